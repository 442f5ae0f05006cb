package agent

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/binlog"
	"github.com/logwarden/logwarden/internal/checkpoint"
	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/pipeline"
	"github.com/logwarden/logwarden/internal/tail"
)

// Binary login files (wtmp, btmp, utmp, lastlog) are not text: a
// collect_list entry pointing at one ships one JSON line per record
// (binlog.JSONRecord) instead of lines, timestamped with the record's time.
//
// wtmp and btmp only grow: the checkpoint offset is the byte offset past the
// last acknowledged record, and rotation (rename and create, as logrotate
// does) is handled as for text files: the old file is read to its end
// first. lastlog and utmp are rewritten in place: their checkpoint offset is
// a watermark, the (time, index) key of the last acknowledged entry (see
// snapshotKey), and every poll ships the entries whose key is above it, in
// key order. A file named like a binary login file whose content is not one
// is never shipped: the agent warns once and retries at every scan.
//
// A wtmp rotated more than once between two checks leaves generations that
// sat at the path between the checks only (wtmp.1 after the second
// rotation): they are found among the rotated siblings in the same
// directory (see missedGenerations) and read, oldest first, before the file
// now at the path. A restart does the same for rotations while the agent
// was stopped (see recoverRotatedBinary).
//
// Known limits: a generation compressed, or moved out of the directory,
// before it was read is not shipped; a lastlog or utmp entry rewritten with
// a time earlier than the watermark, or a second change of one utmp slot
// within the same second, is not shipped.

// binaryPrefixes are the base-name prefixes of binary login files.
var binaryPrefixes = []string{"wtmp", "btmp", "utmp", "lastlog"}

// isBinaryName reports whether path names a binary login file (wtmp,
// wtmp.1, btmp-20261101, lastlog, ...). Compressed rotations (wtmp.1.gz)
// count too: they are detected as unknown and never shipped.
func isBinaryName(path string) bool {
	base := strings.ToLower(filepath.Base(path))
	for _, p := range binaryPrefixes {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

// mtimeResolution is the coarsest modification-time granularity expected
// (why: a file rewritten in place within the same mtime tick as a read shows
// no change; it is read again until its mtime is this much older than a read).
const mtimeResolution = 2 * time.Second

// errStopping ends a record walk when the agent stops.
var errStopping = errors.New("agent stopping")

// maxSnapshotSec bounds the record times a watermark can hold: the key
// keeps the seconds in its upper 31 bits (why: the offset is an int64; 32-bit
// ll_time/ut_tv cannot exceed it anyway). Entries outside (0, maxSnapshotSec)
// are not shipped.
const maxSnapshotSec = 1<<31 - 1

// snapshotKey orders the entries of a file rewritten in place: by time, then
// by index (uid for lastlog, slot for utmp). ok is false when t does not fit.
func snapshotKey(t time.Time, index int64) (key int64, ok bool) {
	sec := t.Unix()
	if t.IsZero() || sec <= 0 || sec >= maxSnapshotSec || index < 0 || index >= 1<<32 {
		return 0, false
	}
	return sec<<32 | index, true
}

// binFile is a tailer's state for a binary login file.
type binFile struct {
	format binlog.Format
	// snapshot: the file is rewritten in place (lastlog, utmp).
	snapshot bool
	// next: stream files, the byte offset of the next record to read;
	// snapshot files, the key of the last entry handed over.
	next int64
	// size and mtime at the last snapshot read, and when it was (unchanged
	// since a read well after the mtime: nothing to read).
	size   int64
	mtime  time.Time
	readAt time.Time
	// pending are the files to read after the open one, in order: those
	// found at the path since it was rotated away, and generations that
	// were rotated away between two checks. Each is opened (and counted
	// busy) as soon as it is seen, so that it is read next even if it is
	// rotated away too while the old one drains.
	pending []pendingFile
	// pathID is the file last seen at the path, and seenAt a time at which
	// it was still there (taken before the stat that saw it): a file
	// created at the path later has a modification time after seenAt.
	pathID tail.ID
	seenAt time.Time
	// resumed: the open file continues at a checkpoint.
	resumed bool
}

// pendingFile is a file queued to be read after the open one.
type pendingFile struct {
	f  *os.File
	id tail.ID
}

// detectBinary confirms from the content that f (at path, size bytes) is a
// binary login file, and which one. An empty file is taken by its name.
func detectBinary(path string, f *os.File, size int64) (binlog.Format, error) {
	head := make([]byte, min(int64(binlog.HeadSize), size))
	if n, err := f.ReadAt(head, 0); err != nil && !(errors.Is(err, io.EOF) && n == len(head)) {
		return binlog.FormatUnknown, fmt.Errorf("read binary log head: %w", err)
	}
	format := binlog.DetectFormat(path, head)
	if format == binlog.FormatUnknown {
		return format, fmt.Errorf("detect binary log format: %w", binlog.ErrUnknownFile)
	}
	return format, nil
}

// openBinary is open for a binary login file: it positions the tailer at its
// checkpoint (stream files: if device, inode and fingerprint match).
func (t *tailer) openBinary() (opened bool) {
	var f *os.File
	var err error
	queued := len(t.bin.pending) > 0
	seen := time.Now()
	if queued {
		p := t.bin.pending[0]
		t.bin.pending = t.bin.pending[1:]
		f = p.f
		defer func() {
			if !opened {
				t.a.busy(t.src.idx, p.id, -1) // counted when it was queued
			}
		}()
	} else {
		f, err = t.a.openFile(t.path)
	}
	fi, ok := t.a.regular(f, err, t.path, "binary login file")
	if !ok {
		return false
	}
	format, err := detectBinary(t.path, f, fi.Size())
	if err != nil {
		f.Close()
		t.a.warnOnce(t.path, "not shipping a file named like a binary login file (wtmp, btmp, utmp, lastlog) whose content is not one", err)
		return false
	}
	t.a.clearWarn(t.path)
	if !queued && !t.a.claim(t.src.idx, tail.FileID(fi)) {
		f.Close() // another tailer of the source reads it (publish_multi_logs: a generation read as one rotated away)
		return false
	}
	t.f, t.id, t.fp = f, tail.FileID(fi), tail.Fingerprint{}
	if !queued {
		t.bin.pathID, t.bin.seenAt = t.id, seen
	}
	t.a.log.Debug("following binary login file", keyPath, t.path, "inode", t.id.Ino, "size", fi.Size())
	t.bin.format = format
	t.bin.snapshot = format == binlog.FormatLastlog || format == binlog.FormatUtmp
	t.bin.size, t.bin.mtime = -1, time.Time{}
	var start int64
	t.bin.resumed = false
	if e, ok := t.lookup(t.id); ok {
		fp := entryFingerprint(e)
		if t.bin.snapshot {
			start, t.bin.resumed = e.Offset, true
		} else if same, _ := fp.Matches(f); same && e.Offset <= fi.Size() {
			start, t.fp, t.bin.resumed = e.Offset, fp, true
		}
	}
	if start > 0 {
		t.a.log.Info("resuming binary login file", keyPath, t.path, keyOffset, start)
	}
	t.track(start)
	t.bin.next = start
	return true
}

// putBinary hands one record's event over (its offset only, when the
// entry's filters drop its message) and moves the read position past it;
// after a failed hand-over (shutdown) nothing more is, so no later offset
// is acknowledged.
func (t *tailer) putBinary(ev pipeline.Event) error {
	if t.sinkErr != nil {
		return t.sinkErr
	}
	if !ev.Skip && !t.src.passes(ev.Message) {
		ev.Message, ev.Skip = "", true
	}
	if t.sinkErr = t.a.opts.Sink.Put(t.a.sinkCtx, t.dest, ev); t.sinkErr != nil {
		return t.sinkErr
	}
	t.bin.next = ev.Offset
	return nil
}

// windowMargin is kept inside the service's acceptance window (why: an
// event waits in the pipeline, and the host's clock may differ from the
// service's, before it is checked).
const windowMargin = time.Hour

// eventTime is a record's time in Unix milliseconds. A record the service
// would refuse as too old (the first start on a wtmp holding months of
// history) or too far ahead is stamped with the read time instead, so it is
// kept, not rejected: its JSON line still has the record's own time.
func eventTime(ts time.Time) int64 {
	now := time.Now()
	if ts.IsZero() {
		return now.UnixMilli()
	}
	ms := ts.UnixMilli()
	oldest := now.UnixMilli() - pipeline.MaxEventAgeMs + windowMargin.Milliseconds()
	latest := now.UnixMilli() + pipeline.MaxEventFutureMs - windowMargin.Milliseconds()
	if ms < oldest || ms > latest {
		return now.UnixMilli()
	}
	return ms
}

// binFilter is one include/exclude filter of a collect_list entry.
type binFilter struct {
	include bool
	re      *regexp.Regexp
}

func compileFilters(fs []config.Filter) ([]binFilter, error) {
	var out []binFilter
	for i, f := range fs {
		re, err := regexp.Compile(f.Expression)
		if err != nil {
			return nil, fmt.Errorf("compile filters[%d].expression: %w", i, err)
		}
		out = append(out, binFilter{include: f.Type == "include", re: re})
	}
	return out, nil
}

// passes applies the entry's filters to one JSON line, as the CloudWatch
// Agent applies them to a text line.
func (s *source) passes(msg string) bool {
	for _, f := range s.filters {
		if f.re.MatchString(msg) != f.include {
			return false
		}
	}
	return true
}

// readBinary hands over the new records of the open file and returns how
// many it handed over.
func (t *tailer) readBinary() int {
	fi, err := t.f.Stat()
	if err != nil || fi.Size() == 0 {
		return 0
	}
	if t.bin.snapshot && fi.Size() == t.bin.size && fi.ModTime().Equal(t.bin.mtime) && t.bin.readAt.Sub(t.bin.mtime) > mtimeResolution {
		return 0 // rewritten in place: no change, no read (lastlog can be large)
	}
	statAt := time.Now()
	if !t.bin.snapshot && fi.Size() <= t.bin.next {
		return 0
	}
	rd, err := binlog.NewReader(t.path, t.f, fi.Size())
	if err != nil {
		t.a.warnOnce(t.path, "not shipping a binary login file whose content is not valid records", err)
		return 0
	}
	t.a.clearWarn(t.path)
	if t.bin.snapshot {
		n, err := t.readSnapshot(rd)
		if err == nil {
			t.bin.size, t.bin.mtime, t.bin.readAt = fi.Size(), fi.ModTime(), statAt
		}
		return n
	}
	rs := int64(rd.Layout.Size)
	t.bin.next -= t.bin.next % rs
	if t.fp.Len == 0 && fi.Size() >= rs {
		if fp, ok := readHead(t.f, rs); ok {
			t.fp = fp
			t.h.SetFingerprint(fp.Len, fp.Hash, t.path)
		}
	}
	n, bad := 0, 0
	_, _, err = rd.EachUtmp(t.bin.next, func(i int64, u binlog.Utmp) error {
		if t.a.stopping.Load() {
			return errStopping
		}
		end := (i + 1) * rs
		ev := pipeline.Event{Acker: t.h, Offset: end}
		switch {
		case u.Type == binlog.Empty:
			// a zeroed record (wiped, or padding): nothing to ship, but
			// its offset is acknowledged in order
			ev.Timestamp, ev.Skip = time.Now().UnixMilli(), true
		case !plausible(u):
			ev.Timestamp, ev.Skip = time.Now().UnixMilli(), true
			bad++
		default:
			ev.Timestamp = eventTime(u.Time)
			ev.Message = string(binlog.UtmpJSON(u, rd.Format, rd.Layout, i).Marshal())
		}
		if err := t.putBinary(ev); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errStopping) && t.sinkErr == nil {
		t.a.warnOnce(t.path, "reading binary login file failed", err)
	}
	if bad > 0 {
		t.a.log.Warn("skipped records that are not valid utmp records (garbage written into a binary login file?)", keyPath, t.path, "records", bad)
	}
	return n
}

// Record times outside this range are not a real login (the bounds binlog's
// layout detection uses).
var (
	minRecordTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	maxRecordTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// plausible reports whether a non-empty record is a real one: a known
// ut_type and a plausible time. Anything else is binary garbage that
// happens to sit in the file and is not shipped.
func plausible(u binlog.Utmp) bool {
	return u.Type > binlog.Empty && u.Type <= binlog.Accounting &&
		!u.Time.Before(minRecordTime) && u.Time.Before(maxRecordTime)
}

// readHead fingerprints the first n bytes of f.
func readHead(f *os.File, n int64) (tail.Fingerprint, bool) {
	buf := make([]byte, n)
	if m, err := f.ReadAt(buf, 0); int64(m) < n && err != nil {
		return tail.Fingerprint{}, false
	}
	return tail.HashBytes(buf), true
}

// snapEntry is one entry of a snapshot file waiting to be handed over.
type snapEntry struct {
	key int64
	ts  int64
	msg string
}

// readSnapshot hands over, in key order, the entries of a lastlog or utmp
// file whose key is above the watermark.
func (t *tailer) readSnapshot(rd *binlog.Reader) (int, error) {
	var todo []snapEntry
	var err error
	if rd.Format == binlog.FormatLastlog {
		_, err = rd.EachLastlog(binlog.MaxLastlogBytes, func(e binlog.Lastlog) error {
			if k, ok := snapshotKey(e.Time, int64(e.UID)); ok && k > t.bin.next {
				todo = append(todo, snapEntry{k, eventTime(e.Time), string(binlog.LastlogJSON(e, rd.LLayout).Marshal())})
			}
			return nil
		})
	} else {
		_, _, err = rd.EachUtmp(0, func(i int64, u binlog.Utmp) error {
			if !plausible(u) {
				return nil // empty slot, or garbage
			}
			if k, ok := snapshotKey(u.Time, i); ok && k > t.bin.next {
				todo = append(todo, snapEntry{k, eventTime(u.Time), string(binlog.UtmpJSON(u, rd.Format, rd.Layout, i).Marshal())})
			}
			return nil
		})
	}
	if err != nil {
		t.a.warnOnce(t.path, "reading binary login file failed", err)
		return 0, err
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].key < todo[j].key })
	n := 0
	for _, e := range todo {
		if t.a.stopping.Load() {
			return n, errStopping
		}
		if err := t.putBinary(pipeline.Event{Timestamp: e.ts, Message: e.msg, Acker: t.h, Offset: e.key}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// checkBinary compares the path and the open binary file.
func (t *tailer) checkBinary() fileState {
	seen := time.Now()
	fi, err := os.Stat(t.path)
	if err != nil {
		return statFailed(err)
	}
	id := tail.FileID(fi)
	if id == t.bin.pathID {
		t.bin.seenAt = seen
	}
	if id != t.id {
		return stateReplaced
	}
	if t.bin.snapshot {
		return stateSame // rewritten in place: the watermark covers it
	}
	return t.checkOpen(t.bin.next)
}

// binaryPollHook, set by tests only, is called where a binary tailer waits
// for its next poll, with its path and whether it is draining a rotated
// file: a test blocks in it to step the polls one by one. It returns
// whether it stood for the wait (false: wait as usual).
var binaryPollHook func(path string, draining bool) bool

// runBinary is run for a binary login file.
func (t *tailer) runBinary() {
	timer := time.NewTimer(t.a.opts.PollInterval)
	defer timer.Stop()
	t.recoverRotatedBinary()
	for {
		switch t.checkBinary() {
		case stateTruncated:
			if !t.a.waitAcked(t.h, t.bin.next) {
				t.f.Close()
				return
			}
			t.a.log.Warn("binary login file truncated; reading it from the start", keyPath, t.path, keyOffset, t.bin.next)
			t.fp, t.bin.next = tail.Fingerprint{}, 0
			t.track(0)
		case stateReplaced, stateGone:
			t.openNext()
			t.drainBinary()
			if t.a.stopping.Load() {
				t.stopBinary()
				return
			}
			t.retire()
			opened := t.open()
			for !opened && len(t.bin.pending) > 0 { // a queued file that is not a binary login file
				opened = t.open()
			}
			if !opened {
				return
			}
		}
		n := t.readBinary()
		if t.a.stopping.Load() {
			t.stopBinary()
			return
		}
		if n > 0 {
			continue
		}
		if t.stopAtEOF.Load() {
			t.autoRemove()
			return
		}
		if binaryPollHook != nil && binaryPollHook(t.path, false) {
			continue
		}
		t.sleep(timer, t.pollWait())
	}
}

// stopBinary closes the open file and the queued ones at shutdown.
func (t *tailer) stopBinary() {
	t.f.Close()
	t.closePending()
}

// drainBinary reads a rotated or deleted binary file until it stopped
// growing for RotateGrace.
func (t *tailer) drainBinary() {
	last := time.Now()
	for !t.a.stopping.Load() {
		t.openNext()
		now := time.Now()
		if t.readBinary() > 0 {
			last = now
		} else if now.Sub(last) >= t.a.opts.RotateGrace {
			return
		}
		if binaryPollHook != nil && binaryPollHook(t.path, true) {
			continue
		}
		t.pause()
	}
}

// closePending closes the queued files at shutdown: unread, they are found
// again at the next start (see recoverRotatedBinary).
func (t *tailer) closePending() {
	for _, p := range t.bin.pending {
		t.unclaim(p.f, p.id)
	}
	t.bin.pending = nil
}

// openNext queues the file now at the path when it is new there (rotation
// created it), after the generations that sat at the path between the one
// seen there before and it (see missedGenerations).
func (t *tailer) openNext() {
	seen := time.Now()
	fi, err := os.Stat(t.path)
	if err != nil {
		return
	}
	id := tail.FileID(fi)
	if id == t.bin.pathID || id == t.id || t.isPending(id) {
		t.bin.pathID, t.bin.seenAt = id, seen
		return
	}
	f, err := t.a.openFile(t.path)
	if err != nil {
		return
	}
	if ofi, err := f.Stat(); err != nil || tail.FileID(ofi) != id {
		f.Close() // replaced again since the stat: the next poll sees the newer file
		return
	}
	if !t.bin.snapshot { // (lastlog and utmp are rewritten in place, not rotated)
		t.bin.pending = append(t.bin.pending, t.missedGenerations(id)...)
	}
	t.bin.pathID, t.bin.seenAt = id, seen
	if !t.a.claim(t.src.idx, id) {
		f.Close() // another tailer of the source reads it (publish_multi_logs: it was renamed to this path)
		return
	}
	t.bin.pending = append(t.bin.pending, pendingFile{f: f, id: id})
}

func (t *tailer) isPending(id tail.ID) bool {
	for _, p := range t.bin.pending {
		if p.id == id {
			return true
		}
	}
	return false
}

// generation is a rotated sibling of a followed file: a file next to it
// whose name is the followed name, a separator and a suffix (wtmp.1,
// wtmp-20261126).
type generation struct {
	path string
	fi   fs.FileInfo
	id   tail.ID
	// num is the number of logrotate's numbered names (wtmp.1 is the
	// newest), -1 for other suffixes, which sort oldest first as text
	// (dateext: wtmp-20261125 before wtmp-20261126).
	num    int
	suffix string
}

// rotationSeparators may join a followed name and its rotation suffix.
const rotationSeparators = ".-_"

// maxRotateDigits: a suffix of at most this many digits is logrotate's
// rotation number (rotate 9999 at most); a longer one is a date or epoch
// seconds (dateext), which grows with time.
const maxRotateDigits = 4

// rotatedSiblings lists the rotated generations next to path of binary
// login records. Compressed ones are left out: their records cannot be read
// in place.
func rotatedSiblings(path string) []generation {
	return rotatedCopies(path, func(p string) bool { return binlog.DetectFormat(p, nil) != binlog.FormatUnknown })
}

// rotatedCopies lists the rotated generations next to path that readable accepts;
// compressed names are always left out.
func rotatedCopies(path string, readable func(string) bool) []generation {
	dir, base := filepath.Dir(path), filepath.Base(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []generation
	for _, de := range ents {
		name := de.Name()
		if len(name) < len(base)+2 || !strings.HasPrefix(name, base) || !strings.ContainsRune(rotationSeparators, rune(name[len(base)])) || !de.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, name)
		if (tail.Exclude{}).Excluded(p) || !readable(p) {
			continue // compressed
		}
		fi, err := de.Info()
		if err != nil {
			continue
		}
		g := generationOf(name[len(base)+1:])
		g.path, g.fi, g.id = p, fi, tail.FileID(fi)
		out = append(out, g)
	}
	return out
}

// findGeneration returns the generation of gs that is the file id (the
// last one listed, for a file with several names), or nil.
func findGeneration(gs []generation, id tail.ID) *generation {
	for i := len(gs) - 1; i >= 0; i-- {
		if gs[i].id == id {
			return &gs[i]
		}
	}
	return nil
}

// generationOf places a rotated name by its suffix (after the separator).
func generationOf(suffix string) generation {
	g := generation{num: -1, suffix: suffix}
	if n, err := strconv.Atoi(suffix); err == nil && n >= 0 && len(suffix) <= maxRotateDigits {
		g.num = n
	}
	return g
}

// newer reports whether g is a later generation than h by their names;
// names of two different schemes are not ordered.
func (g generation) newer(h generation) bool {
	switch {
	case g.num >= 0 && h.num >= 0:
		return g.num < h.num
	case g.num < 0 && h.num < 0:
		return g.suffix > h.suffix
	}
	return false
}

// sortGenerations orders gs oldest first: by name when all follow one
// scheme, else by modification time.
func sortGenerations(gs []generation) {
	oneScheme := true
	for _, g := range gs {
		oneScheme = oneScheme && (g.num < 0) == (gs[0].num < 0)
	}
	sort.SliceStable(gs, func(i, j int) bool {
		if oneScheme {
			return gs[j].newer(gs[i])
		}
		return gs[i].fi.ModTime().Before(gs[j].fi.ModTime())
	})
}

// missedGenerations opens, oldest first, the generations that were created
// at the path after the file last seen there (t.bin.pathID) and before the
// one there now (next), and were rotated away between two checks, so were
// never seen at the path. When the last seen file is among the rotated
// siblings (wtmp.2), they are the siblings newer by name (wtmp.1); when it
// is not (deleted: rotate 1), the siblings modified since it was last seen
// at the path.
func (t *tailer) missedGenerations(next tail.ID) []pendingFile {
	gens := rotatedSiblings(t.path)
	known := map[tail.ID]bool{next: true, t.id: true, t.bin.pathID: true}
	for _, p := range t.bin.pending {
		known[p.id] = true
	}
	anchor := findGeneration(gens, t.bin.pathID)
	since := t.bin.seenAt.Add(-mtimeResolution) // (why: mtimes may be coarser than the clock)
	var missed []generation
	for _, g := range gens {
		switch {
		case known[g.id]:
		case anchor != nil:
			if g.newer(*anchor) {
				missed = append(missed, g)
			}
		case !g.fi.ModTime().Before(since):
			missed = append(missed, g)
		}
	}
	sortGenerations(missed)
	var out []pendingFile
	for _, g := range missed {
		if f := t.claimGeneration(g); f != nil {
			t.a.log.Info("binary login file was rotated more than once between two checks; reading the generation in between", keyPath, g.path)
			out = append(out, pendingFile{f: f, id: g.id})
		}
	}
	return out
}

// claimGeneration opens g for this tailer and counts it busy, unless it
// changed since it was listed, a checkpoint of this source covers all of
// it, or another tailer of the source has it open.
func (t *tailer) claimGeneration(g generation) *os.File {
	return t.openGeneration(g, t.shippedAll)
}

// openGeneration opens g for this tailer and counts it busy, unless it
// changed since it was listed, skip (when not nil) refuses it, or another
// tailer of the source has it open.
func (t *tailer) openGeneration(g generation, skip func(*os.File, fs.FileInfo) bool) *os.File {
	f, err := t.a.openFile(g.path)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || tail.FileID(fi) != g.id || (skip != nil && skip(f, fi)) || !t.a.claim(t.src.idx, g.id) {
		f.Close()
		return nil
	}
	return f
}

// unclaim closes f, a file this tailer counted busy as id, unread.
func (t *tailer) unclaim(f *os.File, id tail.ID) {
	f.Close()
	t.a.busy(t.src.idx, id, -1)
}

// shippedAll reports whether a checkpoint of this source covers the whole
// of f.
func (t *tailer) shippedAll(f *os.File, fi fs.FileInfo) bool {
	id := tail.FileID(fi)
	e, ok := t.lookup(id)
	if !ok || e.Offset < fi.Size() {
		return false
	}
	same, _ := entryFingerprint(e).Matches(f)
	return same
}

// claim counts id busy for source src unless it is already.
func (a *Agent) claim(src int, id tail.ID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := idKey{src, id}
	if a.busyIDs[k] > 0 {
		return false
	}
	a.busyIDs[k] = 1
	return true
}

// recovery is a rotated file read at start before the file at the path.
type recovery struct {
	f   *os.File
	e   checkpoint.Entry
	gen *generation // nil: found outside the rotation names
}

// recoverRotatedBinary reads, before the file now at t.path, what was not
// shipped of the wtmp/btmp files that were at this path while no tailer
// followed it (the agent was stopped, or the path had no file for longer
// than the rotate grace): the rest of each file followed there (found by
// device, inode and fingerprint among the checkpoints), and, when the file
// at the path is new, the generations never seen, found as
// missedGenerations does: newer by name than the newest followed one among
// the rotated siblings, or, if none of those is left, modified after the
// last checkpoint of one that is gone. Oldest first.
func (t *tailer) recoverRotatedBinary() {
	entries := t.takeAtStart() // (the one of this file's inode as it was: the file at the path may reuse it)
	if t.bin.snapshot {
		return
	}
	had := map[tail.ID]bool{t.id: true} // (the file at the path: just tracked)
	for _, e := range entries {
		had[entryID(e)] = true
	}
	for _, e := range t.a.store.Entries() { // files followed at this path since the start
		if e.Source == t.src.key && e.Path == t.path && !had[entryID(e)] {
			entries = append(entries, e)
		}
	}
	gens := rotatedSiblings(t.path)
	byID := map[tail.ID]*generation{}
	for i := range gens {
		byID[gens[i].id] = &gens[i]
	}
	known := map[tail.ID]bool{t.id: true}
	var todo []recovery
	var anchor *generation
	var goneAt int64 // the last update of a checkpoint whose file is gone
	for _, e := range entries {
		id := entryID(e)
		if e.FingerprintLen == 0 {
			continue
		}
		if id == t.id {
			if !t.bin.resumed { // the inode was reused: the file is gone
				goneAt = max(goneAt, e.Updated)
			}
			continue
		}
		fp := entryFingerprint(e)
		g := byID[id]
		var f *os.File
		if g != nil {
			f = openMatching(g.path, id, fp)
		} else {
			f = findByID(filepath.Dir(t.path), id, fp, e.Offset)
		}
		if f == nil {
			goneAt = max(goneAt, e.Updated)
			continue
		}
		known[id] = true
		if g != nil && (anchor == nil || g.newer(*anchor)) {
			anchor = g
		}
		fi, err := f.Stat()
		if err != nil || fi.Size() <= e.Offset || !t.a.claim(t.src.idx, id) {
			f.Close()
			continue
		}
		todo = append(todo, recovery{f: f, e: e, gen: g})
	}
	if !t.bin.resumed { // the file at the path is new: look for generations never seen
		since := time.Unix(goneAt, 0).Add(-mtimeResolution)
		for i := range gens {
			g := &gens[i]
			if known[g.id] || (anchor != nil && !g.newer(*anchor)) || (anchor == nil && (goneAt == 0 || g.fi.ModTime().Before(since))) {
				continue
			}
			if f := t.claimGeneration(*g); f != nil {
				todo = append(todo, recovery{f: f, e: checkpoint.Entry{Source: t.src.key, Path: t.path, Dev: g.id.Dev, Inode: g.id.Ino}, gen: g})
			}
		}
	}
	sortRecoveries(todo)
	for _, r := range todo {
		id := entryID(r.e)
		if t.a.stopping.Load() {
			t.unclaim(r.f, id)
			continue
		}
		t.a.log.Info("reading what was not shipped of a binary login file rotated while no tailer followed it", keyPath, r.f.Name(), keyOffset, r.e.Offset)
		t.readAsideBinary(r.f, id, r.e)
	}
}

// readAsideBinary is readAside for binary login files: it reads f (file
// id, counted busy by the caller), a file other than the one the tailer
// follows, from e.Offset to its end under a checkpoint tracked for e, and
// retires it. The state of the open file is kept.
func (t *tailer) readAsideBinary(f *os.File, id tail.ID, e checkpoint.Entry) {
	curF, curH, curID, curFP, curNext := t.f, t.h, t.id, t.fp, t.bin.next
	t.f, t.h, t.id, t.bin.next = f, t.a.store.Track(e), id, e.Offset
	t.fp = entryFingerprint(e)
	for t.readBinary() > 0 && !t.a.stopping.Load() {
	}
	t.retire()
	t.f, t.h, t.id, t.fp, t.bin.next = curF, curH, curID, curFP, curNext
}

// takeAtStart hands over, once, the checkpoints found at start for this
// source and path.
func (t *tailer) takeAtStart() []checkpoint.Entry {
	t.a.mu.Lock()
	defer t.a.mu.Unlock()
	k := startKey{t.src.key, t.path}
	entries := t.a.atStart[k]
	delete(t.a.atStart, k)
	return entries
}

// sortRecoveries orders rs oldest first: files found outside the rotation
// names (their age is unknown) first, then the generations.
func sortRecoveries(rs []recovery) {
	var gens []generation
	for _, r := range rs {
		if r.gen != nil {
			gens = append(gens, *r.gen)
		}
	}
	sortGenerations(gens)
	rank := map[tail.ID]int{}
	for i, g := range gens {
		rank[g.id] = i + 1
	}
	sort.SliceStable(rs, func(i, j int) bool {
		return rank[entryID(rs[i].e)] < rank[entryID(rs[j].e)]
	})
}

// openMatching opens path if it is still the file id and starts with fp.
func openMatching(path string, id tail.ID, fp tail.Fingerprint) *os.File {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	if err == nil && tail.FileID(fi) == id {
		if same, _ := fp.Matches(f); same {
			return f
		}
	}
	f.Close()
	return nil
}
