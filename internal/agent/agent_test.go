package agent

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/checkpoint"
	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/decode"
	"github.com/logwarden/logwarden/internal/pipeline"
	"github.com/logwarden/logwarden/internal/tail"
)

const waitLong = 10 * time.Second

// settle is how long a test waits after the events it expects arrived, so
// that a stray or repeated event would arrive too (ten polls at test timings).
const settle = 100 * time.Millisecond

func testSource(path string) config.Source {
	return config.Source{
		FilePath:              path,
		GroupName:             "group",
		StreamName:            "stream",
		MultiLineStartPattern: config.DefaultMultiLineStartPattern,
		RetentionInDays:       -1,
	}
}

type harness struct {
	t      *testing.T
	a      *Agent
	sink   *fakeSink
	cancel context.CancelFunc
	done   chan error
}

// pollOnly makes testOptions turn the inotify fast path off.
var pollOnly bool

// testOptions are fast timings for tests.
func testOptions(state string, sink Sink, srcs ...config.Source) Options {
	if fs, ok := sink.(*fakeSink); ok && useBatch {
		sink = batchFake{fs}
	}
	return Options{
		Sources:            srcs,
		StateDir:           state,
		Sink:               sink,
		ScanInterval:       20 * time.Millisecond,
		PollInterval:       10 * time.Millisecond,
		MultiLineFlush:     40 * time.Millisecond,
		RotateGrace:        100 * time.Millisecond,
		StopTimeout:        2 * time.Second,
		CheckpointInterval: 10 * time.Millisecond,
		DisableNotify:      pollOnly,
	}
}

// useBatch makes testOptions wrap a *fakeSink so that it also offers PutBatch.
var useBatch bool

func start(t *testing.T, opts Options) *harness {
	t.Helper()
	a, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	switch s := opts.Sink.(type) {
	case *fakeSink:
		return startAgent(t, a, s)
	case batchFake:
		return startAgent(t, a, s.fakeSink)
	case *blockingSink:
		return startAgent(t, a, s.fakeSink)
	}
	t.Fatalf("unknown sink %T", opts.Sink)
	return nil
}

func startAgent(t *testing.T, a *Agent, sink *fakeSink) *harness {
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, a: a, sink: sink, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- a.Run(ctx) }()
	t.Cleanup(func() { h.stop() })
	return h
}

func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLong):
		h.t.Fatalf("Run did not return after cancel")
	}
}

func (h *harness) waitCount(n int) {
	h.t.Helper()
	waitFor(h.t, fmt.Sprintf("%d events", n), waitLong, func() bool { return h.sink.count() >= n })
}

// run starts an agent with test timings that follows srcs, keeps its
// checkpoints in state and hands its events to a new fakeSink (h.sink).
func run(t *testing.T, state string, srcs ...config.Source) *harness {
	t.Helper()
	return start(t, testOptions(state, newSink(), srcs...))
}

// finish waits for n events, then for quiet more (so that a stray or
// repeated event would arrive too), and stops the agent.
func (h *harness) finish(n int, quiet time.Duration) {
	h.t.Helper()
	h.waitCount(n)
	time.Sleep(quiet)
	h.stop()
}

// expect is finish for len(want) events; then the messages shipped must be
// exactly want, in order.
func (h *harness) expect(quiet time.Duration, want []string) {
	h.t.Helper()
	h.finish(len(want), quiet)
	assertExactly(h.t, h.sink.messages(), want)
}

// logFile writes ls to app.log in a new directory and returns its path.
func logFile(t *testing.T, ls ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.log")
	appendLines(t, path, ls...)
	return path
}

// rerun runs the named tests of matrix again as subtests with *mode set.
func rerun(t *testing.T, mode *bool, names ...string) {
	*mode = true
	defer func() { *mode = false }()
	for _, n := range names {
		t.Run(n, matrix[n])
	}
}

// matrix are the tests TestAgent_PollOnly and TestAgent_Batched run again.
var matrix = map[string]func(*testing.T){
	"Append":                          TestAgent_Append,
	"PartialLine":                     TestAgent_PartialLine,
	"RenameCreate":                    TestAgent_RenameCreate,
	"CopyTruncate":                    TestAgent_CopyTruncate,
	"DeleteRecreate":                  TestAgent_DeleteRecreate,
	"GlobPicksUpNewFile":              TestAgent_GlobPicksUpNewFile,
	"Symlink":                         TestAgent_Symlink,
	"ResumeAfterRestart":              TestAgent_ResumeAfterRestart,
	"CrashRepeatsOnlyUnacknowledged":  TestAgent_CrashRepeatsOnlyUnacknowledged,
	"LongLine":                        TestAgent_LongLine,
	"FilteredEventsAdvanceCheckpoint": TestAgent_FilteredEventsAdvanceCheckpoint,
}

func lines(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %06d", prefix, i))
	}
	return out
}

func appendLines(t *testing.T, path string, ls ...string) {
	t.Helper()
	appendBytes(t, path, []byte(strings.Join(ls, "\n")+"\n"))
}

// appendBytes appends data to path (created if missing) in one write.
func appendBytes(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

func assertExactly(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	var dup, miss []string
	for _, w := range want {
		switch seen[w] {
		case 0:
			miss = append(miss, w)
		case 1:
		default:
			dup = append(dup, w)
		}
	}
	t.Fatalf("got %d events, want %d (exactly once, in order); missing %d %q, duplicated %d %q; got %q",
		len(got), len(want), len(miss), head(miss), len(dup), head(dup), head(got))
}

func TestAgent_Append(t *testing.T) {
	path := logFile(t, "2026-11-20T10:00:01 first", "2026-11-20T10:00:02 second")
	src := testSource(path)
	src.TimestampFormat = "%Y-%m-%dT%H:%M:%S"
	src.UTC = true
	h := run(t, t.TempDir(), src)
	h.waitCount(2)
	appendLines(t, path, "2026-11-20T10:00:03 third", "no timestamp here")
	h.expect(0, []string{"2026-11-20T10:00:01 first", "2026-11-20T10:00:02 second", "2026-11-20T10:00:03 third", "no timestamp here"})
	recs := h.sink.records()
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()
	wantTS := []int64{base + 1000, base + 2000, base + 3000, base + 3000} // the last reuses the last good timestamp
	for i, r := range recs {
		if r.ev.Timestamp != wantTS[i] {
			t.Errorf("event %d timestamp = %d, want %d", i, r.ev.Timestamp, wantTS[i])
		}
		if r.dest.Group != "group" || r.dest.Stream != "stream" {
			t.Errorf("event %d destination = %+v", i, r.dest)
		}
	}
	if got, want := recs[len(recs)-1].ev.Offset, fileSize(t, path); got != want {
		t.Errorf("last offset = %d, want %d", got, want)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestAgent_PartialLine(t *testing.T) {
	path := logFile(t, "one")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("tw")
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(1)
	time.Sleep(150 * time.Millisecond) // several polls and quiet periods
	if n := h.sink.count(); n != 1 {
		t.Fatalf("an unterminated line was sent: %q", h.sink.messages())
	}
	f.WriteString("o\nthree\n")
	h.expect(0, []string{"one", "two", "three"})
}

func TestAgent_RenameCreate(t *testing.T) {
	path := logFile(t, lines("a", 0, 100)...)
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(100)
	// The writer still holds the old file: lines it writes after the rename must arrive too.
	old, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	old.WriteString(strings.Join(lines("a", 100, 150), "\n") + "\n")
	old.Close()
	appendLines(t, path, lines("b", 0, 100)...)
	h.expect(0, append(lines("a", 0, 150), lines("b", 0, 100)...))
}

// copyTruncate does what logrotate's copytruncate does, then writes next
// (the new content) right away.
func copyTruncate(t *testing.T, path string, next []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if len(next) > 0 {
		if _, err := f.WriteAt([]byte(strings.Join(next, "\n")+"\n"), 0); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAgent_CopyTruncate(t *testing.T) {
	cases := []struct {
		name string
		next []string // new content written right after the truncate; old content is 100 "a" lines
	}{
		{"Smaller", lines("b", 0, 10)},
		{"Same", lines("b", 0, 100)},
		{"Larger", lines("b", 0, 300)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := logFile(t, lines("a", 0, 100)...)
			sink := newSink()
			opts := testOptions(t.TempDir(), sink, testSource(path))
			opts.PollInterval = 300 * time.Millisecond // the rotation happens between two checks
			h := start(t, opts)
			h.waitCount(99)
			waitFor(t, "the last line", waitLong, func() bool { return sink.count() == 100 })
			// Lines written after the agent's last read land in the copy only.
			appendLines(t, path, lines("a", 100, 120)...)
			copyTruncate(t, path, tc.next)
			h.expect(50*time.Millisecond, append(lines("a", 0, 120), tc.next...))
		})
	}
}

func TestAgent_Delete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	w, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WriteString(strings.Join(lines("a", 0, 50), "\n") + "\n")
	sink := newSink()
	state := t.TempDir()
	h := start(t, testOptions(state, sink, testSource(path)))
	h.waitCount(50)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// Written to the deleted (still open) file: must be drained.
	w.WriteString(strings.Join(lines("a", 50, 80), "\n") + "\n")
	h.waitCount(80)
	waitFor(t, "the drained file to be released", waitLong, func() bool { return len(h.a.store.Entries()) == 0 })
	h.stop()
	assertExactly(t, sink.messages(), lines("a", 0, 80))
	st, err := checkpoint.Open(state, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.Entries()); n != 0 {
		t.Errorf("checkpoint of a deleted, fully shipped file kept: %+v", st.Entries())
	}
}

func TestAgent_DeleteRecreate(t *testing.T) {
	path := logFile(t, lines("a", 0, 50)...)
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(50)
	os.Remove(path)
	appendLines(t, path, lines("b", 0, 70)...)
	h.expect(50*time.Millisecond, append(lines("a", 0, 50), lines("b", 0, 70)...))
}

func TestAgent_Symlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "current.log")
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	appendLines(t, a, lines("a", 0, 30)...)
	if err := os.Symlink(a, path); err != nil {
		t.Fatal(err)
	}
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(30)
	appendLines(t, b, lines("b", 0, 40)...)
	tmp := path + ".new"
	os.Symlink(b, tmp)
	if err := os.Rename(tmp, path); err != nil { // atomic retarget
		t.Fatal(err)
	}
	h.waitCount(70)
	appendLines(t, b, lines("b", 40, 50)...)
	h.expect(0, append(lines("a", 0, 30), lines("b", 0, 50)...))
}

func TestAgent_ResumeAfterRestart(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("a", 0, 100)...)
	run(t, state, testSource(path)).expect(0, lines("a", 0, 100))

	appendLines(t, path, lines("a", 100, 150)...)
	run(t, state, testSource(path)).expect(settle, lines("a", 100, 150)) // zero duplicates after a graceful stop
}

func TestAgent_CrashRepeatsOnlyUnacknowledged(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("a", 0, 100)...)
	sink1 := newSink()
	sink1.ackLimit = 60 // the destination confirmed only 60 events before the crash
	sink1.flushE = context.DeadlineExceeded
	opts := testOptions(state, sink1, testSource(path))
	opts.StopTimeout = 200 * time.Millisecond
	h := start(t, opts)
	h.waitCount(100)
	// A crash: copy the state file as it is on disk now, stop, put the copy back.
	var data []byte
	waitFor(t, "the checkpoint of 60 acknowledged lines", waitLong, func() bool {
		var err error
		data, err = os.ReadFile(filepath.Join(state, checkpoint.FileName))
		if err != nil {
			return false
		}
		es, err := checkpoint.Decode(data)
		return err == nil && len(es) == 1 && es[0].Offset == 60*int64(len("a 000000\n"))
	})
	h.stop()
	if err := os.WriteFile(filepath.Join(state, checkpoint.FileName), data, 0o640); err != nil {
		t.Fatal(err)
	}
	run(t, state, testSource(path)).expect(settle, lines("a", 60, 100))
}

func TestAgent_CheckpointOnlyOnAck(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("a", 0, 20)...)
	sink := newSink()
	sink.ackLimit = 0
	opts := testOptions(state, sink, testSource(path))
	opts.StopTimeout = 100 * time.Millisecond
	h := start(t, opts)
	h.waitCount(20)
	h.stop()
	st, err := checkpoint.Open(state, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range st.Entries() {
		if e.Offset != 0 {
			t.Errorf("offset advanced without an ack: %+v", e)
		}
	}
}

func TestAgent_LongLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	long := strings.Repeat("x", 2*decode.MaxEventBytes+1234)
	appendLines(t, path, "before", long, "after")
	h := run(t, t.TempDir(), testSource(path))
	h.finish(5, 0)
	got := h.sink.messages()
	want := []string{"before", long[:1048376], long[1048376 : 2*1048376], long[2*1048376:], "after"}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
}

func TestAgent_IncompleteMultiLineAtStop(t *testing.T) {
	path := logFile(t, "first", "second", "  at frame 1", "  at frame 2")
	sink := newSink()
	opts := testOptions(t.TempDir(), sink, testSource(path))
	opts.MultiLineFlush = time.Hour // only the stop can send the last event
	h := start(t, opts)
	h.waitCount(1)
	time.Sleep(100 * time.Millisecond)
	if n := sink.count(); n != 1 {
		t.Fatalf("pending event sent before the stop: %q", sink.messages())
	}
	h.stop()
	assertExactly(t, sink.messages(), []string{"first", "second\n  at frame 1\n  at frame 2"})
}

func TestAgent_GlobPicksUpNewFile(t *testing.T) {
	t.Run("Newest", func(t *testing.T) {
		dir := t.TempDir()
		appendLines(t, filepath.Join(dir, "old.log"), "never read: never the newest")
		past := time.Now().Add(-time.Hour)
		os.Chtimes(filepath.Join(dir, "old.log"), past, past)
		appendLines(t, filepath.Join(dir, "a.log"), "a1")
		sink := newSink()
		h := start(t, testOptions(t.TempDir(), sink, testSource(filepath.Join(dir, "*.log"))))
		h.waitCount(1)
		appendLines(t, filepath.Join(dir, "b.log"), "b1")
		h.waitCount(2)
		appendLines(t, filepath.Join(dir, "a.log"), "a2") // an old newest file stays followed
		h.waitCount(3)
		h.stop()
		assertExactly(t, sink.messages(), []string{"a1", "b1", "a2"})
	})
	t.Run("MultiLogsRecursive", func(t *testing.T) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755)
		src := testSource(filepath.Join(dir, "**", "*.{log,txt}"))
		src.PublishMultiLogs = true
		src.GroupName = ""
		appendLines(t, filepath.Join(dir, "x", "one.log"), "one")
		appendLines(t, filepath.Join(dir, "x", "skip.gz"), "compressed: skipped")
		sink := newSink()
		h := start(t, testOptions(t.TempDir(), sink, src))
		h.waitCount(1)
		appendLines(t, filepath.Join(dir, "x", "y", "two.txt"), "two")
		h.waitCount(2)
		h.stop()
		recs := sink.records()
		groups := map[string]string{}
		for _, r := range recs {
			groups[r.ev.Message] = r.dest.Group
		}
		if len(recs) != 2 || groups["one"] != filepath.Join(dir, "x", "one.log") || groups["two"] != filepath.Join(dir, "x", "y", "two.txt") {
			t.Fatalf("events/groups = %v", groups)
		}
	})
}

// TestAgent_UnreadableFile: a file that cannot be opened is warned about
// once (not at every scan) and read as soon as it can be. As a normal user
// the test takes the read permission away; as root (who ignores it) it makes
// the open fail the same way.
func TestAgent_UnreadableFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendLines(t, path, "secret")
	sink := newSink()
	var logBuf syncBuffer
	opts := testOptions(t.TempDir(), sink, testSource(path))
	opts.Logger = newTestLogger(&logBuf)
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var denied atomic.Bool
	denied.Store(true)
	allow := func() { denied.Store(false) }
	if os.Geteuid() != 0 {
		os.Chmod(path, 0)
		allow = func() { os.Chmod(path, 0o644) }
	} else {
		a.openFile = func(p string) (*os.File, error) {
			if denied.Load() {
				return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
			}
			return openNonBlocking(p)
		}
	}
	h := startAgent(t, a, sink)
	time.Sleep(200 * time.Millisecond) // ten scans
	if n := strings.Count(logBuf.String(), "cannot open log file"); n != 1 {
		t.Fatalf("warnings = %d, want exactly 1; log:\n%s", n, logBuf.String())
	}
	allow()
	h.waitCount(1)
	h.stop()
	assertExactly(t, sink.messages(), []string{"secret"})
	if !strings.Contains(logBuf.String(), "file is readable again") {
		t.Errorf("no notice that the file became readable; log:\n%s", logBuf.String())
	}
}

func TestAgent_DirectoryWhereFileWas(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	sink := newSink()
	h := start(t, testOptions(t.TempDir(), sink, testSource(path)))
	time.Sleep(100 * time.Millisecond)
	os.Remove(path)
	appendLines(t, path, lines("a", 0, 10)...)
	h.waitCount(10)
	// Now the file is replaced by a directory, then by a file again.
	os.Remove(path)
	os.Mkdir(path, 0o755)
	time.Sleep(300 * time.Millisecond)
	os.Remove(path)
	appendLines(t, path, lines("b", 0, 10)...)
	h.waitCount(20)
	h.stop()
	assertExactly(t, sink.messages(), append(lines("a", 0, 10), lines("b", 0, 10)...))
}

func TestAgent_BinaryGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	garbage := make([]byte, 300<<10)
	x := uint32(12345)
	for i := range garbage {
		x = x*1664525 + 1013904223
		garbage[i] = byte(x >> 24)
		if garbage[i] == '\n' {
			garbage[i] = 0xff
		}
	}
	garbage[0] = 'G' // starts an event of its own
	appendLines(t, path, "valid 1")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(garbage)
	f.WriteString("\n")
	f.Close()
	appendLines(t, path, "valid 2", "valid 3")
	sink := newSink()
	h := start(t, testOptions(t.TempDir(), sink, testSource(path)))
	h.waitCount(3)
	waitFor(t, "valid 3", waitLong, func() bool { m := sink.messages(); return len(m) > 0 && m[len(m)-1] == "valid 3" })
	h.stop()
	var valid []string
	total := 0
	for _, m := range sink.messages() {
		if strings.HasPrefix(m, "valid") {
			valid = append(valid, m)
		}
		if !utf8Valid(m) {
			t.Fatalf("invalid UTF-8 event")
		}
		total += len(m)
	}
	assertExactly(t, valid, []string{"valid 1", "valid 2", "valid 3"})
	if total < len(garbage)/2 {
		t.Errorf("garbage dropped: %d bytes of events for %d bytes of garbage", total, len(garbage))
	}
}

func head(s []string) []string {
	if len(s) > 6 {
		return append(s[:6:6], "...")
	}
	return s
}

// TestAgent_RotatedWhileStopped: lines written while the agent was down,
// then a rotation (rename, or copytruncate), are read at the next start
// from the rotated file, before the new content.
func TestAgent_RotatedWhileStopped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		next   []string // the new content
		rotate func(t *testing.T, path string, next []string)
	}{
		{"Rename", lines("b", 0, 30), func(t *testing.T, path string, next []string) {
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			appendLines(t, path, next...)
		}},
		{"CopyTruncate", lines("b", 0, 200), copyTruncate}, // the new content is longer than the old offset
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			path := logFile(t, lines("a", 0, 100)...)
			run(t, state, testSource(path)).finish(100, 0)
			appendLines(t, path, lines("a", 100, 120)...)
			tc.rotate(t, path, tc.next)
			run(t, state, testSource(path)).expect(settle, append(lines("a", 100, 120), tc.next...))
		})
	}
}

func TestAgent_AutoRemoval(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "app-1.log"), filepath.Join(dir, "app-2.log")
	appendLines(t, first, lines("a", 0, 40)...)
	src := testSource(filepath.Join(dir, "app-*.log"))
	src.AutoRemoval = true
	sink := newSink()
	h := start(t, testOptions(t.TempDir(), sink, src))
	h.waitCount(40)
	appendLines(t, second, lines("b", 0, 10)...)
	future := time.Now().Add(time.Minute)
	os.Chtimes(second, future, future)
	h.waitCount(50)
	waitFor(t, "the old file to be removed", waitLong, func() bool { _, err := os.Stat(first); return os.IsNotExist(err) })
	h.stop()
	assertExactly(t, sink.messages(), append(lines("a", 0, 40), lines("b", 0, 10)...))
	if _, err := os.Stat(second); err != nil {
		t.Errorf("the newest file was removed: %v", err)
	}
}

// utf16File writes text (characters of the Basic Multilingual Plane) to
// app.log in UTF-16 with a byte order mark, big- or little-endian, and
// returns its path.
func utf16File(t *testing.T, bigEndian bool, text string) string {
	t.Helper()
	b := []byte{0xff, 0xfe}
	for _, r := range text {
		b = append(b, byte(r), byte(r>>8))
	}
	if bigEndian {
		for i := 0; i < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	}
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAgent_UTF16WithBOM(t *testing.T) {
	src := testSource(utf16File(t, false, "첫째 줄\r\n둘째\u0a0a줄\r\n"))
	src.Encoding = "utf-16le"
	run(t, t.TempDir(), src).expect(0, []string{"첫째 줄", "둘째\u0a0a줄"})
}

func TestAgent_FilteredEventsAdvanceCheckpoint(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, "keep 1", "drop 2", "keep 3", "drop 4")
	src := testSource(path)
	src.Filters = []config.Filter{{Type: "exclude", Expression: "^drop"}}
	sink := newSink()
	h := start(t, testOptions(state, sink, src))
	waitFor(t, "four events", waitLong, func() bool { return len(sink.records()) == 4 })
	h.stop()
	assertExactly(t, sink.messages(), []string{"keep 1", "keep 3"})
	recs := sink.records()
	if !recs[1].ev.Skip || !recs[3].ev.Skip || recs[3].ev.Offset != fileSize(t, path) {
		t.Errorf("filtered events not passed as Skip with offsets: %+v", recs)
	}
	st, _ := checkpoint.Open(state, checkpoint.Options{})
	if es := st.Entries(); len(es) != 1 || es[0].Offset != fileSize(t, path) {
		t.Errorf("checkpoint = %+v, want the whole file", es)
	}
}

// TestAgent_RotationWithSlowAcks rotates while acknowledgements lag behind
// reading: the old file must stay open until acknowledged, and nothing may
// repeat or go missing.
func TestAgent_RotationWithSlowAcks(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("a", 0, 200)...)
	sink := newSink()
	sink.delay = 150 * time.Millisecond
	h := start(t, testOptions(state, sink, testSource(path)))
	h.waitCount(200)
	os.Rename(path, path+".1")
	appendLines(t, path, lines("b", 0, 100)...)
	h.waitCount(300)
	appendLines(t, path, lines("b", 100, 150)...)
	copyTruncate(t, path, lines("c", 0, 50))
	h.waitCount(400)
	time.Sleep(300 * time.Millisecond) // the last acknowledgements land
	h.stop()
	want := append(append(lines("a", 0, 200), lines("b", 0, 150)...), lines("c", 0, 50)...)
	assertExactly(t, sink.messages(), want)
	// Restarting now repeats nothing: every checkpoint reached its end.
	run(t, state, testSource(path)).expect(200*time.Millisecond, nil)
}

// blockingSink blocks every Put until released, like a destination that is down.
type blockingSink struct {
	*fakeSink
	release chan struct{}
}

func (s *blockingSink) Put(ctx context.Context, dest pipeline.Destination, ev pipeline.Event) error {
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.fakeSink.Put(ctx, dest, ev)
}

// TestAgent_BackpressurePausesReading checks that a blocked destination stops
// reading (the file is the buffer) and that a stop still returns in time.
func TestAgent_BackpressurePausesReading(t *testing.T) {
	path := logFile(t, lines("a", 0, 1000)...)
	bs := &blockingSink{fakeSink: newSink(), release: make(chan struct{})}
	opts := testOptions(t.TempDir(), bs, testSource(path))
	opts.StopTimeout = 300 * time.Millisecond
	h := start(t, opts)
	time.Sleep(100 * time.Millisecond)
	if n := bs.count(); n != 0 {
		t.Fatalf("events passed a blocked sink: %d", n)
	}
	for i := 0; i < 10; i++ {
		bs.release <- struct{}{}
	}
	waitFor(t, "ten events", waitLong, func() bool { return bs.count() == 10 })
	began := time.Now()
	h.stop() // fails if Run does not return while the sink is blocked
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("stop took %v with a blocked sink (StopTimeout 300ms)", d)
	}
	assertExactly(t, bs.messages(), lines("a", 0, 10))
}

// TestAgent_NotifyFastPath: with polls and scans far apart, inotify alone
// must deliver appended lines and pick up a new file quickly.
func TestAgent_NotifyFastPath(t *testing.T) {
	dir := t.TempDir()
	appendLines(t, filepath.Join(dir, "a.log"), "a1")
	src := testSource(filepath.Join(dir, "*.log"))
	src.PublishMultiLogs = true
	sink := newSink()
	opts := testOptions(t.TempDir(), sink, src)
	opts.PollInterval, opts.ScanInterval = time.Hour, time.Hour
	opts.MultiLineFlush = time.Hour
	h := start(t, opts)
	appendLines(t, filepath.Join(dir, "a.log"), "a2") // sends "a1" (a2 pends)
	waitFor(t, "an appended line, by notification", 3*time.Second, func() bool { return sink.count() == 1 })
	appendLines(t, filepath.Join(dir, "b.log"), "b1", "b2")
	waitFor(t, "a new file, by notification", 3*time.Second, func() bool { return sink.count() == 2 })
	h.stop()
	got := sink.messages()
	slices.Sort(got)
	assertExactly(t, got, []string{"a1", "a2", "b1", "b2"})
}

// TestAgent_PollOnly runs the core of the matrix again without notifications.
func TestAgent_PollOnly(t *testing.T) {
	rerun(t, &pollOnly, "Append", "RenameCreate", "CopyTruncate", "DeleteRecreate", "GlobPicksUpNewFile", "Symlink")
}

func TestAgent_ImportCWAgentState(t *testing.T) {
	cwState := t.TempDir()
	path := logFile(t, lines("a", 0, 100)...)
	// The CloudWatch Agent had shipped the first 60 lines.
	os.WriteFile(filepath.Join(cwState, checkpoint.CWAgentStateName(path)), []byte(fmt.Sprintf("%d\n%s\n", 60*9, path)), 0o644)
	state := t.TempDir()
	sink := newSink()
	opts := testOptions(state, sink, testSource(path))
	opts.ImportCWAgentState = cwState
	start(t, opts).expect(settle, lines("a", 60, 100))
	// Only a fresh state dir imports: a later start uses logwarden's own checkpoint.
	appendLines(t, path, lines("a", 100, 110)...)
	opts.Sink = newSink()
	start(t, opts).expect(settle, lines("a", 100, 110))
}

// openFDs counts this process's descriptors open on path.
func openFDs(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

func TestAgent_FDRelease(t *testing.T) {
	path := logFile(t, lines("a", 0, 20)...)
	src := testSource(path)
	src.BackpressureMode = "fd_release"
	bs := &blockingSink{fakeSink: newSink(), release: make(chan struct{})}
	opts := testOptions(t.TempDir(), bs, src)
	opts.FDReleaseAfter = 100 * time.Millisecond
	h := start(t, opts)
	waitFor(t, "the descriptor to be released", waitLong, func() bool { return openFDs(t, path) == 0 })
	close(bs.release) // the destination is back
	waitFor(t, "all lines", waitLong, func() bool { return bs.count() == 20 })
	if n := openFDs(t, path); n != 1 {
		t.Errorf("descriptors on the file after release = %d, want 1", n)
	}
	appendLines(t, path, lines("a", 20, 30)...)
	waitFor(t, "appended lines", waitLong, func() bool { return bs.count() == 30 })
	h.stop()
	assertExactly(t, bs.messages(), lines("a", 0, 30))
}

// TestAgent_InodeReuse: a checkpoint for this very device and inode, but
// another file's fingerprint (the inode was freed and reused while the agent
// was stopped), must not be applied: the new file is read from byte 0.
func TestAgent_InodeReuse(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("new", 0, 30)...)
	fi, _ := os.Stat(path)
	st := fi.Sys().(*syscall.Stat_t)
	src := testSource(path)
	old := []byte(strings.Repeat("an older file that had this inode\n", 40))
	data, _ := checkpoint.Encode([]checkpoint.Entry{{
		Source: checkpoint.SourceKey(src.FilePath, 0), Path: path,
		Dev: uint64(st.Dev), Inode: uint64(st.Ino), FingerprintLen: len(old[:1024]),
		Fingerprint: tail.HashBytes(old[:1024]).Hash, Offset: 200, Updated: time.Now().Unix(),
	}})
	os.WriteFile(filepath.Join(state, checkpoint.FileName), data, 0o640)
	run(t, state, src).expect(50*time.Millisecond, lines("new", 0, 30))
}

// TestAgent_Batched runs part of the matrix again with a sink that takes
// batches (as the pipeline does).
func TestAgent_Batched(t *testing.T) {
	rerun(t, &useBatch, "Append", "PartialLine", "RenameCreate", "CopyTruncate", "ResumeAfterRestart",
		"CrashRepeatsOnlyUnacknowledged", "LongLine", "FilteredEventsAdvanceCheckpoint")
}

// TestAgent_ResumeAcrossStreamRename: a stream name that changes between runs
// (a {date} placeholder) must not make the agent send the file again.
func TestAgent_ResumeAcrossStreamRename(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("a", 0, 10)...)
	src := testSource(path)
	src.StreamName = "host-2026-11-25"
	run(t, state, src).finish(10, 0)
	appendLines(t, path, lines("a", 10, 15)...)
	src.StreamName = "host-2026-11-26"
	h := run(t, state, src)
	h.expect(settle, lines("a", 10, 15))
	if r := h.sink.records(); r[0].dest.Stream != "host-2026-11-26" {
		t.Errorf("stream = %q", r[0].dest.Stream)
	}
}

// TestAgent_NotifySymlinkTarget: appends to a symlink's target in another
// directory are noticed by notification, not only by the slow poll.
func TestAgent_NotifySymlinkTarget(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	target := filepath.Join(data, "real.log")
	appendLines(t, target, "one")
	path := filepath.Join(dir, "current.log")
	os.Symlink(target, path)
	sink := newSink()
	opts := testOptions(t.TempDir(), sink, testSource(path))
	opts.PollInterval, opts.NotifyPollInterval, opts.ScanInterval = time.Hour, time.Hour, time.Hour
	h := start(t, opts)
	h.waitCount(1) // the quiet flush sends "one"
	appendLines(t, target, "two", "three")
	waitFor(t, "appends to the target, by notification", 3*time.Second, func() bool { return sink.count() == 3 })
	h.stop()
	assertExactly(t, sink.messages(), []string{"one", "two", "three"})
}

// TestAgent_DirectoryCreatedLater: the glob's directory does not exist at
// start; files in it are found once it does, by polling and then by notification.
func TestAgent_DirectoryCreatedLater(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "later")
	sink := newSink()
	h := start(t, testOptions(t.TempDir(), sink, testSource(filepath.Join(dir, "*.log"))))
	time.Sleep(50 * time.Millisecond)
	os.Mkdir(dir, 0o755)
	appendLines(t, filepath.Join(dir, "a.log"), "a1")
	h.waitCount(1)
	appendLines(t, filepath.Join(dir, "b.log"), "b1")
	h.waitCount(2)
	h.stop()
	assertExactly(t, sink.messages(), []string{"a1", "b1"})
}

// TestAgent_CrashDuringRotation: the destination acknowledged only part of
// the old file when it was rotated and the agent crashed. The next start
// reads the unacknowledged rest from the rotated file, then the new file.
func TestAgent_CrashDuringRotation(t *testing.T) {
	state := t.TempDir()
	path := logFile(t, lines("a", 0, 100)...)
	sink1 := newSink()
	sink1.ackLimit = 50
	sink1.flushE = context.DeadlineExceeded
	opts := testOptions(state, sink1, testSource(path))
	opts.StopTimeout = 200 * time.Millisecond
	h := start(t, opts)
	h.waitCount(100)
	os.Rename(path, path+".1")
	appendLines(t, path, lines("b", 0, 30)...)
	h.waitCount(130)
	var data []byte
	waitFor(t, "the checkpoints of both files", waitLong, func() bool {
		var err error
		if data, err = os.ReadFile(filepath.Join(state, checkpoint.FileName)); err != nil {
			return false
		}
		es, err := checkpoint.Decode(data)
		return err == nil && len(es) == 2
	})
	h.stop()
	os.WriteFile(filepath.Join(state, checkpoint.FileName), data, 0o640) // as the crash left it
	run(t, state, testSource(path)).expect(settle, append(lines("a", 50, 100), lines("b", 0, 30)...))
}

// TestAgent_UTF16ByteOrderMark: with encoding "utf-16" (no byte order
// named), a big-endian byte order mark selects big-endian splitting and
// decoding; "utf-16le" and the CloudWatch Agent's default stay little-endian.
func TestAgent_UTF16ByteOrderMark(t *testing.T) {
	src := testSource(utf16File(t, true, "big ਊ endian\nsecond\n"))
	src.Encoding = "utf-16"
	run(t, t.TempDir(), src).expect(0, []string{"big \u0a0a endian", "second"})
}
