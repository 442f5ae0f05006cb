// Package source reads the inputs of a U-43 review (a host's log tree under
// a root directory, or CloudWatch Logs groups through the CloudWatch Logs
// API) and streams them as parse.Records restricted to the review period,
// while recording the evidence an auditor needs for each input: path, size,
// SHA-256, byte range, record counts, parse errors, first/last time, gaps.
package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/logwarden/logwarden/internal/binlog"
	"github.com/logwarden/logwarden/internal/review/parse"
)

// Class is the kind of log an input holds.
type Class string

// Input classes.
const (
	ClassAuth     Class = "auth"     // secure, auth.log
	ClassSyslog   Class = "syslog"   // messages, syslog
	ClassCron     Class = "cron"     // cron
	ClassWtmp     Class = "wtmp"     // wtmp
	ClassBtmp     Class = "btmp"     // btmp
	ClassUtmp     Class = "utmp"     // utmp (current sessions)
	ClassLastlog  Class = "lastlog"  // lastlog
	ClassAudit    Class = "audit"    // audit/audit.log
	ClassJournal  Class = "journal"  // journalctl -o json export
	ClassSulog    Class = "sulog"    // sulog
	ClassXferlog  Class = "xferlog"  // xferlog
	ClassWtmpdb   Class = "wtmpdb"   // var/lib/wtmpdb/wtmp.db (Debian 13: SQLite instead of wtmp)
	ClassLastlog2 Class = "lastlog2" // var/lib/lastlog/lastlog2.db (SQLite instead of lastlog)
	ClassOther    Class = "other"    // CloudWatch streams of unknown content
)

// Gap is a silence inside the period longer than the threshold.
type Gap struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Input is one manifest row: what was read and what it held.
type Input struct {
	// Name is the path relative to the root, slash-separated (e.g.
	// "var/log/secure-20261101"), or "group/stream" for CloudWatch.
	Name  string `json:"name"`
	Class Class  `json:"class"`
	// Path is the file's path as opened (empty for CloudWatch).
	Path       string    `json:"path,omitempty"`
	Size       int64     `json:"size"`
	Mtime      time.Time `json:"mtime,omitzero"`
	Inode      uint64    `json:"inode,omitempty"`
	SHA256     string    `json:"sha256,omitempty"` // of the bytes on disk (compressed for .gz)
	Compressed bool      `json:"compressed,omitempty"`
	// ByteStart/ByteEnd delimit the in-period records in the (decompressed)
	// content: [ByteStart, ByteEnd). Both -1 when no record is in period.
	ByteStart int64 `json:"byte_start"`
	ByteEnd   int64 `json:"byte_end"`
	// Stats covers the whole input, in period or not.
	Stats parse.Stats `json:"stats"`
	// InPeriod counts records delivered to the callback; First/Last are
	// their earliest and latest times.
	InPeriod int64     `json:"in_period"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	// Gaps is set on the newest input of each class only and lists the
	// silences longer than GapThreshold of the whole class (all its rotated
	// files together) inside [Start, End), at one-hour resolution.
	Gaps []Gap `json:"gaps,omitempty"`
	// Binary-file facts (wtmp/btmp/utmp/lastlog): layout name and the
	// tampering tells of binlog.Stats.
	Layout string        `json:"layout,omitempty"`
	Binary *binlog.Stats `json:"binary,omitempty"`
	// Journald: first/last cursor and the boot ids seen.
	CursorFirst string   `json:"cursor_first,omitempty"`
	CursorLast  string   `json:"cursor_last,omitempty"`
	BootIDs     []string `json:"boot_ids,omitempty"`
	// CloudWatch: group and stream.
	Group  string `json:"group,omitempty"`
	Stream string `json:"stream,omitempty"`
	// MissingRotations is set on the newest input of a rotation chain and
	// names the rotated files that should exist but do not: a gap in a
	// numbered chain (auth.log.1, auth.log.3.gz: auth.log.2 is missing) or
	// in a dated chain (secure-20261011, -20261018, -20261101: a file
	// between 20261018 and 20261101 is missing).
	MissingRotations []string `json:"missing_rotations,omitempty"`
	// Skipped says why an input found under the root was not read (not a
	// log, binary with an unknown layout...). Such inputs have no records.
	Skipped string `json:"skipped,omitempty"`
}

// DefaultGapThreshold is the silence that counts as a gap (reference §5.3:
// 24 h for secure/auth).
const DefaultGapThreshold = 24 * time.Hour

// refFutureLimit clamps the year-inference reference of a file: a file
// modified long after the period (a fixture checked out a year later, a
// copy) still dates its RFC 3164 lines near the period.
const refFutureLimit = 180 * 24 * time.Hour

// readBufSize is the line reader's buffer; longer lines are cut at
// parse.MaxLine and the rest skipped.
const readBufSize = 256 << 10

// maxWalkFiles bounds the discovery walk of a root directory.
const maxWalkFiles = 100000

// maxWalkDepth bounds how deep below var/log (or a flat root) Discover looks.
const maxWalkDepth = 4

// FileOptions configure Files.
type FileOptions struct {
	// Root is the directory holding the host's tree (files are looked for
	// anywhere below it, typically Root/var/log/...). "/" reviews the live host.
	Root string
	// Start and End delimit the period [Start, End).
	Start, End time.Time
	// Zone resolves timestamps without an offset (RFC 3164): the host's zone.
	Zone *time.Location
	// GapThreshold; zero means DefaultGapThreshold.
	GapThreshold time.Duration
	// Logger receives notices about skipped files; nil means slog.Default().
	Logger *slog.Logger
}

// Files streams every record in [Start, End) of every log under opts.Root to
// fn (lastlog entries are delivered whatever their time: they are state, not
// events) and returns one Input per file found. Records of one input arrive
// in file order; inputs of one class arrive oldest rotation first. The
// *Record given to fn is reused for the next record: fn must copy what it
// keeps (its strings may be kept as they are). An error
// from fn stops the walk and is returned as is (with the inputs read so
// far), so a caller may stop early with a sentinel error.
func Files(ctx context.Context, opts FileOptions, fn func(*parse.Record) error) ([]Input, error) {
	if opts.Zone == nil {
		opts.Zone = time.UTC
	}
	if opts.GapThreshold == 0 {
		opts.GapThreshold = DefaultGapThreshold
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cands, err := Discover(opts.Root)
	if err != nil {
		return nil, err
	}
	names := passwdNames(filepath.Join(opts.Root, "etc", "passwd"))
	var inputs []Input
	newest := map[Class]int{} // index in inputs of the newest input per class
	hours := map[Class][]uint32{}
	finish := func() {
		for cl, i := range newest {
			if cl == ClassLastlog || cl == ClassUtmp {
				continue
			}
			inputs[i].Gaps = hourGaps(hours[cl], opts.Start, opts.End, opts.GapThreshold)
		}
	}
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return inputs, err
		}
		h := hours[c.Class]
		if h == nil {
			h = make([]uint32, periodHours(opts.Start, opts.End))
			hours[c.Class] = h
		}
		in, err := readFile(ctx, c, opts, names, h, fn)
		if in.Skipped != "" {
			opts.Logger.Info("review input skipped", "path", c.Path, "reason", in.Skipped)
		}
		inputs = append(inputs, in)
		if in.Skipped == "" {
			newest[in.Class] = len(inputs) - 1
		}
		if err != nil {
			finish()
			return inputs, err
		}
	}
	finish()
	markMissingRotations(cands, inputs)
	return inputs, nil
}

// markMissingRotations fills MissingRotations (see Input). cands and inputs
// are parallel.
func markMissingRotations(cands []Candidate, inputs []Input) {
	type chain struct {
		newest int
		nums   []int
		dates  []int
	}
	chains := map[string]*chain{}
	var order []string
	for i, c := range cands {
		if i >= len(inputs) {
			break
		}
		k := path.Dir(c.Name) + "/" + c.Base
		ch := chains[k]
		if ch == nil {
			ch = &chain{}
			chains[k] = ch
			order = append(order, k)
		}
		ch.newest = i // cands are oldest first within a chain
		switch {
		case c.Rank > 0 && c.Rank < 1000:
			ch.nums = append(ch.nums, c.Rank)
		case c.Rank >= 1000:
			ch.dates = append(ch.dates, 1_000_000_000-c.Rank)
		}
	}
	for _, k := range order {
		ch := chains[k]
		var missing []string
		if len(ch.nums) > 0 {
			have := map[int]bool{}
			hi := 0
			for _, n := range ch.nums {
				have[n] = true
				hi = max(hi, n)
			}
			for n := 1; n < hi; n++ {
				if !have[n] {
					missing = append(missing, path.Base(k)+"."+strconv.Itoa(n))
				}
			}
		}
		if len(ch.dates) >= 3 {
			sort.Ints(ch.dates)
			days := make([]int, len(ch.dates))
			for i, d := range ch.dates {
				t := time.Date(d/10000, time.Month(d/100%100), d%100, 0, 0, 0, 0, time.UTC)
				days[i] = int(t.Unix() / 86400)
			}
			step := days[1] - days[0]
			for i := 2; i < len(days); i++ {
				step = min(step, days[i]-days[i-1])
			}
			for i := 1; i < len(days) && step > 0; i++ {
				if days[i]-days[i-1] >= 2*step {
					missing = append(missing, fmt.Sprintf("%s-* between %d and %d", path.Base(k), ch.dates[i-1], ch.dates[i]))
				}
			}
		}
		inputs[ch.newest].MissingRotations = missing
	}
}

// maxPeriodHours bounds the hour histogram (a little over a year).
const maxPeriodHours = 24 * 400

func periodHours(start, end time.Time) int {
	n := int(end.Sub(start)/time.Hour) + 1
	return max(0, min(n, maxPeriodHours))
}

// hourGaps returns the runs of empty hours at least threshold long.
func hourGaps(h []uint32, start, end time.Time, threshold time.Duration) []Gap {
	var gaps []Gap
	run := -1
	flush := func(i int) {
		if run < 0 {
			return
		}
		from := start.Add(time.Duration(run) * time.Hour)
		to := start.Add(time.Duration(i) * time.Hour)
		if to.After(end) {
			to = end
		}
		if to.Sub(from) >= threshold {
			gaps = append(gaps, Gap{From: from, To: to})
		}
		run = -1
	}
	for i, n := range h {
		if start.Add(time.Duration(i) * time.Hour).After(end) {
			break
		}
		if n == 0 {
			if run < 0 {
				run = i
			}
			continue
		}
		flush(i)
	}
	flush(len(h))
	return gaps
}

// Candidate is a file Discover found, with its class and rotation rank.
type Candidate struct {
	Path  string // as opened
	Name  string // relative to the root, slash-separated
	Class Class
	// Rank orders a rotation chain oldest first: higher is older.
	Rank int
	// Base is the log's name without rotation suffixes ("secure", "auth.log").
	Base string
}

// Discover walks root and returns the log files it recognises by name,
// sorted by class, then base name, then oldest rotation first. Journald
// exports are recognised by content (*.json / *.jsonl whose first line has
// __REALTIME_TIMESTAMP).
func Discover(root string) ([]Candidate, error) {
	var out []Candidate
	count := 0
	// A host tree (the live "/" or a copy) is searched under var/log only,
	// plus the files directly in root (a journald export placed beside it);
	// a flat directory of collected files is searched to maxWalkDepth.
	walkRoot, depthLimit, flatTop := root, maxWalkDepth, false
	if st, err := os.Stat(filepath.Join(root, "var", "log")); err == nil && st.IsDir() {
		walkRoot, depthLimit, flatTop = filepath.Join(root, "var", "log"), maxWalkDepth, true
	}
	visit := func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == walkRoot {
				return err
			}
			return nil // unreadable subdirectory: skip it
		}
		if d.IsDir() {
			if path == walkRoot {
				return nil
			}
			switch d.Name() {
			case "proc", "sys", "dev", "run", "journal", "private":
				return filepath.SkipDir
			}
			if rel, _ := filepath.Rel(walkRoot, path); strings.Count(filepath.ToSlash(rel), "/")+1 >= depthLimit {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		count++
		if count > maxWalkFiles {
			return fmt.Errorf("walk %s: more than %d files", root, maxWalkFiles)
		}
		class, base, rank, ok := classify(d.Name())
		if !ok && (strings.HasSuffix(d.Name(), ".json") || strings.HasSuffix(d.Name(), ".jsonl")) && isJournalExport(path) {
			class, base, rank, ok = ClassJournal, d.Name(), 0, true
		}
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, Candidate{Path: path, Name: filepath.ToSlash(rel), Class: class, Rank: rank, Base: base})
		return nil
	}
	if err := filepath.WalkDir(walkRoot, visit); err != nil {
		return nil, fmt.Errorf("discover logs: %w", err)
	}
	if flatTop {
		for _, db := range []struct {
			rel   string
			class Class
		}{{"var/lib/wtmpdb/wtmp.db", ClassWtmpdb}, {"var/lib/lastlog/lastlog2.db", ClassLastlog2}} {
			p := filepath.Join(root, filepath.FromSlash(db.rel))
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				out = append(out, Candidate{Path: p, Name: db.rel, Class: db.class, Base: path.Base(db.rel)})
			}
		}
		ents, err := os.ReadDir(root)
		if err != nil {
			return nil, fmt.Errorf("discover logs: %w", err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				if err := visit(filepath.Join(root, e.Name()), e, nil); err != nil {
					return nil, fmt.Errorf("discover logs: %w", err)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Class != b.Class {
			return classOrder(a.Class) < classOrder(b.Class)
		}
		if filepath.Dir(a.Name) != filepath.Dir(b.Name) || a.Base != b.Base {
			return a.Name < b.Name
		}
		if a.Rank != b.Rank {
			return a.Rank > b.Rank
		}
		return a.Name < b.Name
	})
	return out, nil
}

func classOrder(c Class) int {
	for i, x := range []Class{ClassAuth, ClassSyslog, ClassCron, ClassJournal, ClassAudit, ClassWtmp, ClassWtmpdb, ClassBtmp,
		ClassUtmp, ClassLastlog, ClassLastlog2, ClassSulog, ClassXferlog} {
		if x == c {
			return i
		}
	}
	return 99
}

// classify maps a file name to its class and rotation rank: "secure" 0,
// "secure-20261101" -20261101 (dated: newer date = younger, so rank is
// negative date... ordered so older first), "auth.log.1" 1, "auth.log.2.gz" 2.
func classify(name string) (Class, string, int, bool) {
	base := strings.TrimSuffix(name, ".gz")
	rank := 0
	// dateext: name-YYYYMMDD
	if i := strings.LastIndexByte(base, '-'); i > 0 && len(base)-i-1 == 8 {
		if d, err := strconv.Atoi(base[i+1:]); err == nil {
			// older date must sort first: rank grows as the date gets older
			rank = 1_000_000_000 - d
			base = base[:i]
		}
	}
	// numbered: name.N
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		if n, err := strconv.Atoi(base[i+1:]); err == nil && n >= 0 && n < 1000 {
			rank = n
			base = base[:i]
		}
	}
	var c Class
	switch base {
	case "secure", "auth.log", "auth":
		c = ClassAuth
	case "messages", "syslog":
		c = ClassSyslog
	case "cron", "cron.log":
		c = ClassCron
	case "wtmp":
		c = ClassWtmp
	case "btmp":
		c = ClassBtmp
	case "utmp":
		c = ClassUtmp
	case "lastlog":
		c = ClassLastlog
	case "audit.log":
		c = ClassAudit
	case "sulog":
		c = ClassSulog
	case "xferlog", "vsftpd.log", "proftpd.xferlog":
		c = ClassXferlog
	default:
		return "", "", 0, false
	}
	return c, base, rank, true
}

func isJournalExport(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	return bytes.HasPrefix(bytes.TrimSpace(head[:n]), []byte("{")) && bytes.Contains(head[:n], []byte(`"__REALTIME_TIMESTAMP"`))
}

// passwdNames reads uid -> name from an /etc/passwd copy, if present.
func passwdNames(path string) map[uint32]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	m := map[uint32]string{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.SplitN(l, ":", 4)
		if len(f) < 3 {
			continue
		}
		if uid, err := strconv.ParseUint(f[2], 10, 32); err == nil {
			if _, dup := m[uint32(uid)]; !dup {
				m[uint32(uid)] = f[0]
			}
		}
	}
	return m
}

// periodTracker accumulates the in-period facts of one input.
type periodTracker struct {
	in    *Input
	start time.Time
	end   time.Time
	hours []uint32 // the class's records per hour of the period
	prev  time.Time
	fn    func(*parse.Record) error
}

// observe accounts for a record and delivers it when it is in period.
func (pt *periodTracker) observe(r *parse.Record, size int64) error {
	in := pt.in
	in.Stats.Observe(r.Time, pt.prev)
	pt.prev = r.Time
	if r.Time.Before(pt.start) || !r.Time.Before(pt.end) {
		if r.Kind != parse.KindLastlog {
			return nil
		}
	} else {
		if in.First.IsZero() || r.Time.Before(in.First) {
			in.First = r.Time
		}
		if r.Time.After(in.Last) {
			in.Last = r.Time
		}
		if i := int(r.Time.Sub(pt.start) / time.Hour); i < len(pt.hours) {
			pt.hours[i]++
		}
	}
	in.InPeriod++
	if in.ByteStart < 0 {
		in.ByteStart = r.Offset
	}
	in.ByteEnd = r.Offset + size
	return pt.fn(r)
}

func readFile(ctx context.Context, c Candidate, opts FileOptions, names map[uint32]string, hours []uint32, fn func(*parse.Record) error) (Input, error) {
	in := Input{Name: c.Name, Class: c.Class, Path: c.Path, ByteStart: -1, ByteEnd: -1}
	f, err := os.Open(c.Path)
	if err != nil {
		in.Skipped = "open: " + err.Error()
		return in, nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		in.Skipped = "stat: " + err.Error()
		return in, nil
	}
	in.Size, in.Mtime = st.Size(), st.ModTime().UTC()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		in.Inode = uint64(sys.Ino)
	}
	pt := &periodTracker{in: &in, start: opts.Start, end: opts.End, hours: hours, fn: fn}
	switch c.Class {
	case ClassWtmp, ClassBtmp, ClassUtmp, ClassLastlog:
		return in, readBinary(f, c, &in, names, pt)
	case ClassWtmpdb, ClassLastlog2:
		return in, readSQLiteDB(f, c, &in, pt)
	}
	h := sha256.New()
	var r io.Reader = io.TeeReader(f, h)
	if strings.HasSuffix(c.Path, ".gz") {
		in.Compressed = true
		gz, err := gzip.NewReader(r)
		if err != nil {
			in.Skipped = "gunzip: " + err.Error()
			hashRest(f, h, &in)
			return in, nil
		}
		defer gz.Close()
		r = gz
	}
	cr := &countingReader{r: r}
	r = cr
	ref := in.Mtime
	if lim := opts.End.Add(refFutureLimit); ref.After(lim) {
		ref = lim
	}
	p := parse.NewParser(parse.Options{Zone: opts.Zone, Ref: ref, Source: c.Name})
	var jfirst bool
	boot := map[string]bool{}
	// Lines are parsed on a second goroutine while fn (the checks) runs on
	// this one: batches of records go through a small ring (see pipe).
	pp := newPipe(ctx)
	pt.fn = pp.commit
	err = pp.run(fn, func() error {
		return eachLine(pp.ctx, r, func(line []byte, n, off int64) error {
			rec := pp.slot()
			in.Stats.Lines++
			var perr error
			ok := true
			switch c.Class {
			case ClassJournal:
				var ji parse.JournalInfo
				*rec, ji, perr = p.JournalLine(line, n, off)
				if perr == nil {
					if !jfirst {
						in.CursorFirst, jfirst = ji.Cursor, true
					}
					in.CursorLast = ji.Cursor
					if ji.BootID != "" && !boot[ji.BootID] {
						boot[ji.BootID] = true
						in.BootIDs = append(in.BootIDs, ji.BootID)
					}
				}
			case ClassAudit:
				*rec, perr = p.AuditLine(line, n, off)
			case ClassSulog:
				*rec, perr = p.SulogLine(line, n, off)
			case ClassXferlog:
				*rec, perr = p.XferlogLine(line, n, off)
			default:
				*rec, ok = p.Line(line, n, off)
				if !ok && len(bytes.TrimSpace(line)) > 0 {
					perr = errors.New("not a syslog line")
				}
			}
			if perr != nil || !ok {
				if len(bytes.TrimSpace(line)) == 0 {
					return nil
				}
				in.Stats.Unrecognised++
				in.Stats.AddError(parse.ParseError{Source: c.Name, Line: n, Reason: perr.Error()})
				return nil
			}
			return pt.observe(rec, int64(len(line))+1)
		})
	})
	if err != nil {
		var pe *readError
		if errors.As(err, &pe) {
			in.Stats.AddError(parse.ParseError{Source: c.Name, Line: in.Stats.Lines, Reason: err.Error()})
			err = nil
		} else {
			return in, err
		}
	}
	if in.ByteEnd > cr.n { // the last line had no newline
		in.ByteEnd = cr.n
	}
	hashRest(f, h, &in)
	return in, nil
}

// countingReader counts the (decompressed) bytes read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// hashRest finishes the SHA-256 of the file on disk (a gzip reader may stop
// before EOF) and stores it.
func hashRest(f *os.File, h hash.Hash, in *Input) {
	// everything the tee has seen is hashed; hash the remainder
	if _, err := io.Copy(h, f); err != nil {
		in.Stats.AddError(parse.ParseError{Source: in.Name, Reason: "hash: " + err.Error()})
		return
	}
	in.SHA256 = hex.EncodeToString(h.Sum(nil))
}

// pipeBatch is how many records travel together between the parsing
// goroutine and the callback; pipeDepth how many batches are in flight.
const (
	pipeBatch = 512
	pipeDepth = 4
)

type batch struct {
	recs []parse.Record
	n    int
}

// pipe runs a producer (read + parse + period filter) on its own goroutine
// and delivers its records, in order, to fn on the caller's goroutine.
// Records live in recycled batches, so fn must not keep the pointer.
type pipe struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	cur    *batch
	full   chan *batch
	free   chan *batch
}

var errPipeStopped = errors.New("pipeline stopped")

func newPipe(ctx context.Context) *pipe {
	p := &pipe{parent: ctx, full: make(chan *batch, pipeDepth), free: make(chan *batch, pipeDepth+1)}
	p.ctx, p.cancel = context.WithCancel(ctx)
	for i := 0; i < pipeDepth; i++ {
		p.free <- &batch{recs: make([]parse.Record, pipeBatch)}
	}
	p.cur = &batch{recs: make([]parse.Record, pipeBatch)}
	return p
}

// slot is where the producer parses the next record.
func (p *pipe) slot() *parse.Record { return &p.cur.recs[p.cur.n] }

// commit keeps the record in the current slot (the producer's fn).
func (p *pipe) commit(*parse.Record) error {
	p.cur.n++
	if p.cur.n == len(p.cur.recs) {
		return p.flush()
	}
	return nil
}

func (p *pipe) flush() error {
	if p.cur.n == 0 {
		return nil
	}
	select {
	case p.full <- p.cur:
	case <-p.ctx.Done():
		return errPipeStopped
	}
	select {
	case p.cur = <-p.free:
	case <-p.ctx.Done():
		return errPipeStopped
	}
	p.cur.n = 0
	return nil
}

// run starts produce and feeds fn until produce ends or fn fails; it
// returns fn's error first, else produce's.
func (p *pipe) run(fn func(*parse.Record) error, produce func() error) error {
	var perr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(p.full)
		perr = produce()
		if perr == nil {
			perr = p.flush()
		}
	}()
	var ferr error
	for b := range p.full {
		if ferr == nil {
			for i := 0; i < b.n; i++ {
				if err := fn(&b.recs[i]); err != nil {
					ferr = err
					p.cancel() // stop the producer; keep draining until it closes full
					break
				}
			}
		}
		p.free <- b
	}
	<-done
	p.cancel()
	if ferr != nil {
		return ferr
	}
	if errors.Is(perr, errPipeStopped) {
		return p.parent.Err() // only a cancelled parent stops the producer when fn did not fail
	}
	return perr
}

// readError marks an input read failure (as opposed to a callback error).
type readError struct{ err error }

func (e *readError) Error() string { return "read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// eachLine calls fn for every line (without "\n" / "\r\n") with its
// 1-based number and byte offset. Lines longer than parse.MaxLine are cut.
func eachLine(ctx context.Context, r io.Reader, fn func(line []byte, n, off int64) error) error {
	br := bufio.NewReaderSize(r, readBufSize)
	var n, off int64
	var long []byte
	for {
		if n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// long line: keep the first MaxLine bytes, skip to the newline
			long = append(long[:0], line[:min(len(line), parse.MaxLine)]...)
			size := int64(len(line))
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				size += int64(len(line))
				if room := parse.MaxLine - len(long); room > 0 {
					long = append(long, line[:min(len(line), room)]...)
				}
			}
			n++
			if cbErr := fn(bytes.TrimSuffix(long, []byte("\n")), n, off); cbErr != nil {
				return cbErr
			}
			off += size
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return &readError{err}
			}
			continue
		}
		if len(line) > 0 {
			n++
			if cbErr := fn(bytes.TrimSuffix(line, []byte("\n")), n, off); cbErr != nil {
				return cbErr
			}
			off += int64(len(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &readError{err}
		}
	}
}

func readBinary(f *os.File, c Candidate, in *Input, names map[uint32]string, pt *periodTracker) error {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		in.Skipped = "hash: " + err.Error()
		return nil
	}
	in.SHA256 = hex.EncodeToString(h.Sum(nil))
	rd, err := binlog.NewReader(c.Path, f, in.Size)
	if err != nil {
		in.Skipped = err.Error()
		return nil
	}
	rec := new(parse.Record) // reused: fn must not keep the pointer
	if rd.Format == binlog.FormatLastlog {
		in.Layout = rd.LLayout.Name
		st, err := rd.EachLastlog(binlog.MaxLastlogBytes, func(e binlog.Lastlog) error {
			in.Stats.Lines++
			*rec = parse.FromLastlog(e, rd.LLayout, names, c.Name)
			return pt.observe(rec, int64(rd.LLayout.Size))
		})
		in.Binary = &st
		return err
	}
	in.Layout = rd.Layout.Name
	_, st, err := rd.EachUtmp(0, func(i int64, u binlog.Utmp) error {
		in.Stats.Lines++
		if u.Type == binlog.Empty {
			return nil
		}
		*rec = parse.FromUtmp(u, rd.Format, rd.Layout, i, c.Name)
		return pt.observe(rec, int64(rd.Layout.Size))
	})
	in.Binary = &st
	if st.TrailingLen > 0 {
		in.Stats.AddError(parse.ParseError{Source: c.Name, Line: st.Records + 1,
			Reason: fmt.Sprintf("size %d is not a multiple of the %d-byte record: %d trailing bytes", in.Size, rd.Layout.Size, st.TrailingLen)})
	}
	return err
}

// readSQLiteDB reads a wtmpdb or lastlog2 database; its events are
// delivered in time order.
func readSQLiteDB(f *os.File, c Candidate, in *Input, pt *periodTracker) error {
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		in.Skipped = "hash: " + err.Error()
		return nil
	}
	in.SHA256 = hex.EncodeToString(h.Sum(nil))
	in.Layout = "sqlite"
	var recs []parse.Record
	if c.Class == ClassLastlog2 {
		es, err := binlog.ReadLastlog2(c.Path)
		if err != nil {
			in.Skipped = err.Error()
			return nil
		}
		for i, e := range es {
			in.Stats.Lines++
			if !e.Time.IsZero() {
				recs = append(recs, parse.FromLastlog2(e, c.Name, int64(i+1)))
			}
		}
	} else {
		es, wal, err := binlog.ReadWtmpdb(c.Path)
		if err != nil {
			in.Skipped = err.Error()
			return nil
		}
		if wal {
			in.Stats.AddError(parse.ParseError{Source: c.Name, Reason: "a non-empty -wal file is beside the database: its newest rows may be missing"})
		}
		for _, e := range es {
			in.Stats.Lines++
			recs = append(recs, parse.FromWtmpdb(e, c.Name)...)
		}
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
	}
	for i := range recs {
		if err := pt.observe(&recs[i], 0); err != nil {
			return err
		}
	}
	in.ByteStart, in.ByteEnd = -1, -1
	return nil
}
