package agent

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logwarden/logwarden/internal/checkpoint"
	"github.com/logwarden/logwarden/internal/decode"
	"github.com/logwarden/logwarden/internal/pipeline"
	"github.com/logwarden/logwarden/internal/tail"
)

// nowEvery: the read time is refreshed every this many lines (why: one clock
// read per line costs more than the rest of a short line's handling).
const nowEvery = 1024

// tailer follows one path of one source: the file there now, and across
// rotation the next file at that path, draining the old one first.
type tailer struct {
	a    *Agent
	src  *source
	path string
	dir  string   // filepath.Dir(path)
	dirs []string // directories whose notifications wake the tailer (dir, and a symlink target's)
	dest pipeline.Destination
	wake chan struct{}
	// watched: the file's directory is watched, so a slower poll suffices.
	watched bool

	stopAtEOF atomic.Bool

	f       *os.File
	newline tail.Newline // the source's, or big-endian UTF-16 by the file's BOM
	id      tail.ID
	fp      tail.Fingerprint
	rd      *tail.Reader
	proc    *decode.Processor
	h       *checkpoint.Handle
	now     time.Time
	lines   int

	emitFn decode.EmitFunc
	lineFn tail.LineFunc

	// batch collects the events of one read for a BatchSink (nil: no batching).
	batch    []pipeline.Event
	batching bool // inside read(): emit appends to batch
	batchOK  bool // the sink is a BatchSink
	// sinkErr: a hand-over failed (shutdown). Nothing more is handed over, so
	// no later offset is acknowledged past the events that were not.
	sinkErr error

	// released: the descriptor was closed under backpressure (fd_release)
	// and the file could not be reopened as the same file.
	released bool

	// truncatedWhileDown is the checkpoint of this file's previous content
	// when it was truncated (copytruncate) while the agent was stopped.
	truncatedWhileDown *checkpoint.Entry

	// bin is set for a binary login file (wtmp, btmp, utmp, lastlog): its
	// records are shipped as JSON lines (see binary.go).
	bin *binFile
}

// open opens the file at t.path and positions it: at its checkpoint if the
// identity (device, inode and fingerprint) matches, else at byte 0.
func (t *tailer) open() bool {
	if t.bin != nil {
		return t.openBinary()
	}
	f, err := t.a.openFile(t.path)
	fi, ok := t.a.regular(f, err, t.path, "log file")
	if !ok {
		return false
	}
	t.a.clearWarn(t.path)
	if t.proc == nil {
		if t.proc, err = decode.NewProcessor(t.src.popts); err != nil {
			f.Close() // compiled once in New already; cannot fail here
			return false
		}
		t.emitFn = t.emit
		t.lineFn = t.line
		_, t.batchOK = t.a.opts.Sink.(BatchSink)
	}
	t.f, t.id, t.fp, t.released = f, tail.FileID(fi), tail.Fingerprint{}, false
	t.newline = t.src.newline
	var head [2]byte
	n, _ := f.ReadAt(head[:], 0)
	cs := t.src.charset.ForBOM(head[:n])
	t.proc.SetCharset(cs)
	if cs.Newline() == decode.NewlineUTF16BE {
		t.newline = tail.NewlineUTF16BE
	}
	var start int64
	if e, ok := t.lookup(t.id); ok {
		fp := entryFingerprint(e)
		if same, _ := fp.Matches(f); same && e.Offset <= fi.Size() {
			start, t.fp = e.Offset, fp
		} else if e.FingerprintLen > 0 {
			t.truncatedWhileDown = &e
		}
	}
	if start > 0 {
		t.a.log.Info("resuming file", keyPath, t.path, keyOffset, start)
	} else if t.a.importing {
		if st, ok, err := checkpoint.ReadCWAgentState(t.a.opts.ImportCWAgentState, t.path); err != nil {
			t.a.log.Warn("cannot read the CloudWatch Agent's state; reading from the start", keyPath, t.path, keyErr, err)
		} else if ok && st.Offset <= fi.Size() {
			start = st.Offset
			t.a.log.Info("resuming file at the CloudWatch Agent's offset", keyPath, t.path, keyOffset, start)
		}
	}
	t.track(start)
	t.rd = tail.NewReader(f, start, t.newline, t.a.opts.MaxEventBytes)
	t.rd.Verify = t.unchanged
	t.a.busy(t.src.idx, t.id, 1)
	return true
}

// track starts the checkpoint of the open file at start, under its
// fingerprint so far.
func (t *tailer) track(start int64) {
	t.h = t.a.store.Track(checkpoint.Entry{
		Source: t.src.key, Path: t.path, Dev: t.id.Dev, Inode: t.id.Ino,
		FingerprintLen: t.fp.Len, Fingerprint: t.fp.Hash, Offset: start,
	})
}

// lookup finds this source's checkpoint of the file id.
func (t *tailer) lookup(id tail.ID) (checkpoint.Entry, bool) {
	return t.a.store.Lookup(checkpoint.Key{Source: t.src.key, Dev: id.Dev, Inode: id.Ino})
}

// entryID is the file id a checkpoint entry is for.
func entryID(e checkpoint.Entry) tail.ID { return tail.ID{Dev: e.Dev, Ino: e.Inode} }

// entryFingerprint is the fingerprint a checkpoint entry holds.
func entryFingerprint(e checkpoint.Entry) tail.Fingerprint {
	return tail.Fingerprint{Len: e.FingerprintLen, Hash: e.Fingerprint}
}

// regular checks the result of opening path: it warns (once) about errors
// other than a missing file, and closes and refuses anything that is not a
// regular file (a directory where a file was). kind names the file in warnings.
func (a *Agent) regular(f *os.File, err error, path, kind string) (fs.FileInfo, bool) {
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			a.warnOnce(path, "cannot open "+kind, err)
		}
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		a.warnOnce(path, "cannot stat "+kind, err)
		return nil, false
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, false
	}
	return fi, true
}

// poke wakes the tailer early (a notification for its directory).
func (t *tailer) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *tailer) emit(ts int64, msg string, end int64, skip bool) error {
	if t.sinkErr != nil {
		return t.sinkErr
	}
	ev := pipeline.Event{Timestamp: ts, Message: msg, Acker: t.h, Offset: end, Skip: skip}
	if t.batching {
		t.batch = append(t.batch, ev)
		if len(t.batch) >= putBatchSize {
			return t.flushBatch()
		}
		return nil
	}
	if t.src.cfg.BackpressureMode != fdRelease || t.released {
		t.sinkErr = t.a.opts.Sink.Put(t.a.sinkCtx, t.dest, ev)
		return t.sinkErr
	}
	ctx, cancel := context.WithTimeout(t.a.sinkCtx, t.a.opts.FDReleaseAfter)
	err := t.a.opts.Sink.Put(ctx, t.dest, ev)
	cancel()
	if err == nil {
		return nil
	}
	if t.a.sinkCtx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.sinkErr = err
		return err
	}
	return t.emitReleased(ev)
}

// emitReleased waits for a backed-up destination with the file closed
// (backpressure_mode fd_release), then reopens it. If the path names another
// file by then, the rest of the released one cannot be read: the tailer
// moves on to the new file, as the CloudWatch Agent does.
func (t *tailer) emitReleased(ev pipeline.Event) error {
	t.a.log.Info("destination backed up: closing the file until it accepts more (backpressure_mode fd_release)", keyPath, t.path)
	t.f.Close()
	t.released = true
	if err := t.a.opts.Sink.Put(t.a.sinkCtx, t.dest, ev); err != nil {
		t.sinkErr = err
		return err
	}
	f, err := t.a.openFile(t.path)
	if err == nil {
		fi, serr := f.Stat()
		same, _ := t.fp.Matches(f)
		if serr == nil && tail.FileID(fi) == t.id && same && fi.Size() >= t.rd.ReadOffset() {
			t.f, t.released = f, false
			t.rd.SetFile(f)
			return nil
		}
		f.Close()
	}
	t.a.log.Warn("file changed while its descriptor was released (backpressure_mode fd_release); its unread rest is lost", keyPath, t.path, keyOffset, ev.Offset)
	return nil
}

func (t *tailer) line(line []byte, start, end int64, piece bool) error {
	t.lines++
	if t.lines%nowEvery == 0 {
		t.now = time.Now()
	}
	return t.proc.Line(line, start, end, piece, t.now, t.emitFn)
}

func (t *tailer) read() (int64, error) {
	t.now = time.Now()
	if !t.batchOK || t.src.cfg.BackpressureMode == fdRelease {
		return t.rd.ReadLines(t.a.stopping.Load, t.lineFn)
	}
	// The batch buffer is borrowed only while reading, so that thousands of
	// idle files hold none.
	bp := batchPool.Get().(*[]pipeline.Event)
	t.batch = (*bp)[:0]
	t.batching = true
	n, err := t.rd.ReadLines(t.a.stopping.Load, t.lineFn)
	t.batching = false
	if ferr := t.flushBatch(); err == nil {
		err = ferr
	}
	*bp = t.batch[:0]
	t.batch = nil
	batchPool.Put(bp)
	return n, err
}

var batchPool = sync.Pool{New: func() any { b := make([]pipeline.Event, 0, putBatchSize); return &b }}

// flushBatch hands the collected events over. Events a failed hand-over
// (only at shutdown) did not take are read again at the next start: their
// offsets were never acknowledged.
func (t *tailer) flushBatch() error {
	if len(t.batch) == 0 {
		return nil
	}
	_, err := t.a.opts.Sink.(BatchSink).PutBatch(t.a.sinkCtx, t.dest, t.batch)
	clear(t.batch) // drop the message references
	t.batch = t.batch[:0]
	if err != nil {
		t.sinkErr = err
	}
	return err
}

type fileState int

const (
	stateSame fileState = iota
	stateTruncated
	stateReplaced // the path names another file (rename+create, delete+recreate, symlink retarget)
	stateGone     // the path names nothing
)

func (t *tailer) run() {
	defer t.a.done(t)
	if t.bin != nil {
		t.runBinary()
		return
	}
	timer := time.NewTimer(t.a.opts.PollInterval)
	defer timer.Stop()
	t.recoverRotated()
	t.recoverTruncated()
	for {
		// Check before reading: after a copytruncate the old offset must not
		// be read in the new content.
		switch t.check() {
		case stateTruncated:
			t.truncated()
		case stateReplaced, stateGone:
			t.drain()
			if t.a.stopping.Load() {
				t.stop()
				return
			}
			prev := t.id
			t.retire()
			t.readMissed(prev)
			if !t.open() {
				return
			}
		}
		n, err := t.read()
		if t.released && !t.a.stopping.Load() {
			_ = t.proc.Flush(time.Now(), t.emitFn)
			t.retire()
			if !t.open() {
				return
			}
			continue
		}
		if err != nil && t.a.sinkCtx.Err() == nil && !t.a.stopping.Load() {
			t.a.warnOnce(t.path, "reading log file failed", err)
		}
		if t.a.stopping.Load() {
			t.stop()
			return
		}
		t.growFingerprint()
		_ = t.proc.FlushIfQuiet(time.Now(), t.a.opts.MultiLineFlush, t.emitFn)
		if n > 0 {
			continue
		}
		if t.stopAtEOF.Load() {
			t.autoRemove()
			return
		}
		t.proc.ReleaseArena() // idle: pin no message chunk
		t.sleep(timer, t.idleWait())
	}
}

// autoRemove ends a file read to its end under auto_removal: what is held
// of it is handed over (text) or the queued files are closed (binary), it
// is retired and the file at the path is deleted.
func (t *tailer) autoRemove() {
	if t.bin != nil {
		t.retire()
		t.closePending()
	} else {
		t.drainFlush()
		t.retire()
	}
	if err := os.Remove(t.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.a.log.Warn("auto_removal: cannot delete file", keyPath, t.path, keyErr, err)
	}
}

// sleep waits d on timer, cut short by a notification or the agent stopping.
func (t *tailer) sleep(timer *time.Timer, d time.Duration) {
	timer.Reset(d)
	select {
	case <-timer.C:
	case <-t.wake:
		timer.Stop()
	case <-t.a.stopCh:
	}
}

// pause waits one poll interval between two reads of a draining file, cut
// short by a notification or the agent stopping.
func (t *tailer) pause() {
	select {
	case <-time.After(t.a.opts.PollInterval):
	case <-t.wake:
	case <-t.a.stopCh:
	}
}

// pollWait is how long to sleep at EOF: the poll interval, slower when
// notifications cover the file.
func (t *tailer) pollWait() time.Duration {
	if t.watched {
		return t.a.opts.NotifyPollInterval
	}
	return t.a.opts.PollInterval
}

// idleWait is pollWait, cut short when a pending multi-line event is due.
func (t *tailer) idleWait() time.Duration {
	d := t.pollWait()
	if ok, since := t.proc.PendingSince(); ok {
		due := t.a.opts.MultiLineFlush - time.Since(since)
		d = max(min(d, due), time.Millisecond)
	}
	return d
}

// stop hands over the pending multi-line event at shutdown. An unterminated
// line stays held: it is read again at the next start.
func (t *tailer) stop() {
	_ = t.proc.Flush(time.Now(), t.emitFn)
	t.f.Close()
}

// check compares the path and the open file.
func (t *tailer) check() fileState {
	fi, err := os.Stat(t.path)
	if err != nil {
		return statFailed(err)
	}
	if tail.FileID(fi) != t.id {
		return stateReplaced
	}
	return t.checkOpen(t.rd.ReadOffset())
}

// statFailed is the state of a path that could not be checked: gone if
// nothing is there, else the same (checked again at the next poll).
func statFailed(err error) fileState {
	if errors.Is(err, fs.ErrNotExist) {
		return stateGone
	}
	return stateSame
}

// checkOpen compares the open file, still at the path, with what was read
// of it: shorter than offset, or no longer starting with the fingerprinted
// bytes, it was truncated.
func (t *tailer) checkOpen(offset int64) fileState {
	ofi, err := t.f.Stat()
	if err != nil {
		return stateSame
	}
	if ofi.Size() < offset {
		return stateTruncated
	}
	if same, err := t.fp.Matches(t.f); err == nil && !same { // (an empty fingerprint matches)
		return stateTruncated
	}
	return stateSame
}

// growFingerprint extends the fingerprint over bytes read so far, up to its size.
func (t *tailer) growFingerprint() {
	off := t.rd.ReadOffset()
	if t.fp.Len >= tail.FingerprintSize || off <= int64(t.fp.Len) {
		return
	}
	n := min(off, tail.FingerprintSize)
	buf := make([]byte, n)
	if m, err := t.f.ReadAt(buf, 0); int64(m) < n || (err != nil && m < len(buf)) {
		return
	}
	fp := tail.HashBytes(buf)
	if t.fp.Len > 0 && tail.HashBytes(buf[:t.fp.Len]).Hash != t.fp.Hash {
		return // the content changed under us: check() sees it as a truncation
	}
	t.fp = fp
	t.h.SetFingerprint(fp.Len, fp.Hash, t.path)
}

// drain reads a rotated or deleted file until it stopped growing for
// RotateGrace, then hands over its last partial line and pending event.
func (t *tailer) drain() {
	last := time.Now()
	for !t.a.stopping.Load() {
		n, err := t.read()
		if err != nil {
			break
		}
		now := time.Now()
		if n > 0 {
			last = now
		} else if now.Sub(last) >= t.a.opts.RotateGrace {
			break
		}
		_ = t.proc.FlushIfQuiet(now, t.a.opts.MultiLineFlush, t.emitFn)
		t.pause()
	}
	if !t.a.stopping.Load() {
		t.drainFlush()
	}
}

func (t *tailer) drainFlush() {
	t.now = time.Now()
	_ = t.rd.FlushPartial(t.lineFn)
	_ = t.proc.Flush(t.now, t.emitFn)
}

// retire closes the current file once everything read from it was
// acknowledged, in the background; its checkpoint is removed if the file is
// deleted, else kept until it goes stale.
func (t *tailer) retire() {
	if t.bin != nil {
		t.retireFile(t.f, t.h, t.id, t.bin.next)
		return
	}
	t.retireFile(t.f, t.h, t.id, t.rd.Offset())
}

func (t *tailer) retireFile(f *os.File, h *checkpoint.Handle, id tail.ID, end int64) {
	t.a.wg.Add(1)
	go func() {
		defer t.a.wg.Done()
		acked := t.a.waitAcked(h, end)
		deleted := false
		if fi, err := f.Stat(); err == nil && tail.Links(fi) == 0 {
			deleted = true
		}
		f.Close()
		if acked {
			h.Release(deleted)
		}
		t.a.busy(t.src.idx, id, -1)
	}()
}

// readAside reads f (file id, counted busy by the caller), a file other
// than the one the tailer follows, under a checkpoint tracked for e: from
// e.Offset to its end, then its last partial line and pending event unless
// the agent is stopping. Then it retires f; the tailer's own checkpoint
// handle is kept.
func (t *tailer) readAside(f *os.File, id tail.ID, e checkpoint.Entry) {
	cur := t.h
	t.h = t.a.store.Track(e)
	rd := tail.NewReader(f, e.Offset, t.newline, t.a.opts.MaxEventBytes)
	t.now = time.Now()
	_, _ = rd.ReadLines(t.a.stopping.Load, t.lineFn)
	if !t.a.stopping.Load() {
		_ = rd.FlushPartial(t.lineFn)
		_ = t.proc.Flush(time.Now(), t.emitFn)
	}
	t.retireFile(f, t.h, id, rd.Offset())
	t.h = cur
}

// recoverRotated reads, before the file now at t.path, the rest of a file
// that was followed at this path and was rotated away (renamed next to it)
// while the agent was down, found by its device, inode and fingerprint.
func (t *tailer) recoverRotated() {
	for _, e := range t.takeAtStart() {
		id := entryID(e)
		if e.FingerprintLen == 0 || id == t.id {
			continue
		}
		t.a.mu.Lock()
		busy := t.a.busyIDs[idKey{t.src.idx, id}] > 0
		t.a.mu.Unlock()
		if busy {
			continue
		}
		f := findByID(filepath.Dir(t.path), id, entryFingerprint(e), e.Offset)
		if f == nil {
			continue
		}
		t.a.log.Info("reading the rest of a file rotated while the agent was stopped", keyPath, f.Name(), keyOffset, e.Offset)
		t.a.busy(t.src.idx, id, 1)
		t.readAside(f, id, e)
	}
}

// readMissed reads, oldest first and whole, the generations created at the
// path after prev (the file just drained) and rotated away before the next
// check: with two rotations between two checks the middle one was never at
// the path when the agent looked. They are the rotated copies next to the
// path newer by name than prev's copy (app.log.1 when prev is app.log.2;
// app.log-20261126 when prev is app.log-20261125) that no tailer reads and
// no checkpoint knows. Nothing is done when prev was not renamed next to
// the path (deleted, or moved elsewhere): then there is no order to go by.
func (t *tailer) readMissed(prev tail.ID) {
	gens := rotatedCopies(t.path, func(string) bool { return true })
	anchor := findGeneration(gens, prev)
	if anchor == nil {
		return
	}
	var missed []generation
	for _, g := range gens {
		if g.id == prev || !g.newer(*anchor) {
			continue
		}
		if _, known := t.lookup(g.id); known {
			continue
		}
		missed = append(missed, g)
	}
	sortGenerations(missed)
	for _, g := range missed {
		if t.a.stopping.Load() {
			return
		}
		t.readWhole(g)
	}
}

// readWhole reads a missed generation from its start and retires it.
func (t *tailer) readWhole(g generation) {
	f := t.openGeneration(g, nil) // (readMissed left out the generations a checkpoint knows)
	if f == nil {
		return
	}
	fp, err := tail.ReadFingerprint(f)
	if err != nil {
		t.unclaim(f, g.id)
		return
	}
	t.a.log.Info("reading a file rotated away between two checks", keyPath, g.path)
	t.readAside(f, g.id, checkpoint.Entry{Source: t.src.key, Path: g.path, Dev: g.id.Dev, Inode: g.id.Ino, FingerprintLen: fp.Len, Fingerprint: fp.Hash})
}

// recoverTruncated reads the rest of this file's previous content from the
// copy copytruncate left next to it, when the truncation happened while the
// agent was stopped.
func (t *tailer) recoverTruncated() {
	e := t.truncatedWhileDown
	t.truncatedWhileDown = nil
	if e == nil {
		return
	}
	f := findCopy(t.path, t.id, entryFingerprint(*e), e.Offset)
	if f == nil {
		t.a.log.Warn("file was truncated or replaced while the agent was stopped and no copy of its old content was found; reading it from the start", keyPath, t.path)
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return
	}
	id := tail.FileID(fi)
	t.a.log.Info("reading the rest of a file truncated while the agent was stopped from its copy", keyPath, f.Name(), keyOffset, e.Offset)
	t.a.busy(t.src.idx, id, 1)
	t.readAside(f, id, checkpoint.Entry{Source: t.src.key, Path: f.Name(), Dev: id.Dev, Inode: id.Ino, FingerprintLen: e.FingerprintLen, Fingerprint: e.Fingerprint, Offset: e.Offset})
}

// findByID opens the regular file in dir with id whose content still starts
// with fp and is longer than offset.
func findByID(dir string, id tail.ID, fp tail.Fingerprint, offset int64) *os.File {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil || tail.FileID(fi) != id || fi.Size() <= offset {
			continue
		}
		return openMatching(filepath.Join(dir, de.Name()), id, fp)
	}
	return nil
}

// truncated handles copytruncate: the rest of the old content is read from
// the rotated copy when one is found next to the file, then the file is
// read again from byte 0 under a new checkpoint generation.
func (t *tailer) truncated() {
	t.now = time.Now()
	end := t.rd.Offset()
	if cp := t.findCopy(); cp != nil {
		rd := tail.NewReader(cp, t.rd.Offset(), t.newline, t.a.opts.MaxEventBytes)
		_, _ = rd.ReadLines(t.a.stopping.Load, t.lineFn)
		_ = rd.FlushPartial(t.lineFn)
		end = rd.Offset()
		cp.Close()
	} else {
		t.a.log.Warn("file truncated (copytruncate?) and no rotated copy found; lines written after the last read may be lost", keyPath, t.path, keyOffset, t.rd.Offset())
		_ = t.rd.FlushPartial(t.lineFn)
		end = t.rd.ReadOffset()
	}
	_ = t.proc.Flush(t.now, t.emitFn)
	// Keep the old content's checkpoint until all of it was acknowledged: a
	// crash before that resumes from the copy (see recoverTruncated).
	if !t.a.waitAcked(t.h, end) {
		return // stopping: the old checkpoint stays; the next start reads the rest from the copy
	}
	t.fp = tail.Fingerprint{}
	t.track(0)
	t.rd = tail.NewReader(t.f, 0, t.newline, t.a.opts.MaxEventBytes)
	t.rd.Verify = t.unchanged
}

// unchanged reports whether the open file still starts with the bytes the
// fingerprint covers. Called after each read, it closes the window between
// check() and the read: bytes of a file truncated and rewritten in between
// are dropped instead of being sent from the old offset (and again from 0).
func (t *tailer) unchanged() bool {
	if t.fp.Len == 0 {
		return true
	}
	same, err := t.fp.Matches(t.f)
	return err != nil || same
}

// findCopy looks next to the file for the copy copytruncate made.
func (t *tailer) findCopy() *os.File {
	return findCopy(t.path, t.id, t.fp, t.rd.Offset())
}

// findCopy looks next to path for a regular file (not path's own file id)
// that starts with the bytes of fp and is at least minSize long. The most
// recently modified candidate wins.
func findCopy(path string, id tail.ID, fp tail.Fingerprint, minSize int64) *os.File {
	if fp.Len == 0 {
		return nil
	}
	dir := filepath.Dir(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var best *os.File
	var bestTime time.Time
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if p == path || (tail.Exclude{}).Excluded(p) {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.Size() < minSize || tail.FileID(fi) == id {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if same, _ := fp.Matches(f); !same || (best != nil && !fi.ModTime().After(bestTime)) {
			f.Close()
			continue
		}
		if best != nil {
			best.Close()
		}
		best, bestTime = f, fi.ModTime()
	}
	return best
}
