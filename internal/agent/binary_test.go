package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/binlog"
	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/testutil"
)

// quiet is how long a test waits to be sure nothing more arrives (many polls
// and scans at the test timings).
const quiet = 300 * time.Millisecond

// binBase is two days ago: inside the window in which the service takes
// events at their own time.
var binBase = time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour)

// login builds the n-th wtmp/btmp record of a test: user "u<n>", one
// minute after the previous one.
func login(typ int16, n int) binlog.Utmp {
	return binlog.Utmp{
		Type: typ, PID: int32(1000 + n), Line: "pts/" + fmt.Sprint(n%10), ID: fmt.Sprintf("ts%d", n%10),
		User: fmt.Sprintf("u%d", n), Host: "203.0.113.5", Session: int64(1000 + n),
		Time: binBase.Add(time.Duration(n)*time.Minute + 123456*time.Microsecond), Addr: netip.MustParseAddr("203.0.113.5"),
	}
}

func appendRecords(t *testing.T, path string, typ int16, from, to int) {
	t.Helper()
	var data []byte
	for i := from; i < to; i++ {
		data = append(data, binlog.EncodeUtmp(login(typ, i), binlog.LayoutX86_64)...)
	}
	appendBytes(t, path, data)
}

// users decodes the JSON line of every shipped event, checks the event's
// timestamp is the record's time and returns the users in order.
func users(t *testing.T, sink *fakeSink, format string) []string {
	t.Helper()
	var out []string
	for _, r := range sink.records() {
		if r.ev.Skip {
			continue
		}
		var j binlog.JSONRecord
		if err := json.Unmarshal([]byte(r.ev.Message), &j); err != nil {
			t.Fatalf("event is not a JSON line: %v: %q", err, r.ev.Message)
		}
		if j.Format != format {
			t.Fatalf("format = %q, want %q: %s", j.Format, format, r.ev.Message)
		}
		ts, err := time.Parse(time.RFC3339Nano, j.Time)
		if err != nil {
			t.Fatalf("record time %q: %v", j.Time, err)
		}
		if r.ev.Timestamp != ts.UnixMilli() {
			t.Fatalf("event timestamp %d, want the record's time %d (%s)", r.ev.Timestamp, ts.UnixMilli(), j.Time)
		}
		name := j.User
		if j.UID != nil {
			name = fmt.Sprintf("uid%d@%s", *j.UID, j.Time)
		}
		out = append(out, name)
	}
	return out
}

// expectUsers waits for len(want) records and quiet more, stops the agent
// and checks that the users of the records shipped in format (see users)
// are exactly want, in order.
func (h *harness) expectUsers(format string, want []string) {
	h.t.Helper()
	h.finish(len(want), quiet)
	assertExactly(h.t, users(h.t, h.sink, format), want)
}

func userNames(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("u%d", i))
	}
	return out
}

func TestAgent_WtmpAppendAndRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wtmp")
	state := t.TempDir()
	appendRecords(t, path, binlog.UserProcess, 0, 3)
	h := run(t, state, testSource(path))
	h.waitCount(3)
	appendRecords(t, path, binlog.UserProcess, 3, 5)
	h.expectUsers("wtmp", userNames(0, 5))
	if got, want := h.sink.records()[0].ev.Message, `"time":"`+binBase.Add(123456*time.Microsecond).Format(time.RFC3339Nano)+`"`; !strings.Contains(got, want) {
		t.Errorf("first event %s, want it to contain %s", got, want)
	}

	appendRecords(t, path, binlog.DeadProcess, 5, 7)
	h2 := run(t, state, testSource(path))
	h2.expectUsers("wtmp", userNames(5, 7))
}

func TestAgent_Btmp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "btmp")
	appendRecords(t, path, binlog.LoginProcess, 0, 4)
	h := run(t, t.TempDir(), testSource(path))
	h.expectUsers("btmp", userNames(0, 4))
}

// writeLastlog rewrites the entry of uid in place, as login does.
func writeLastlog(t *testing.T, path string, uid uint32, at time.Time) {
	t.Helper()
	e := binlog.Lastlog{UID: uid, Time: at, Line: "pts/0", Host: "203.0.113.5"}
	l := binlog.LastlogX86_64
	writeInPlace(t, path, binlog.EncodeLastlog(e, l), int64(uid)*int64(l.Size))
}

// writeInPlace writes b at offset off of the file at path (created if need be).
func writeInPlace(t *testing.T, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func entry(uid int, at time.Time) string {
	return fmt.Sprintf("uid%d@%s", uid, at.UTC().Format(time.RFC3339Nano))
}

func TestAgent_Lastlog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lastlog")
	state := t.TempDir()
	t1, t2, t3, t4 := binBase, binBase.Add(time.Hour), binBase.Add(2*time.Hour), binBase.Add(3*time.Hour)
	writeLastlog(t, path, 1000, t2) // sparse: uid 0 never logged in yet
	writeLastlog(t, path, 1001, t1)
	h := run(t, state, testSource(path))
	h.waitCount(2)
	writeLastlog(t, path, 1000, t3) // a new login of uid 1000 rewrites its entry
	h.expectUsers("lastlog", []string{entry(1001, t1), entry(1000, t2), entry(1000, t3)})

	writeLastlog(t, path, 0, t4) // while stopped
	h2 := run(t, state, testSource(path))
	h2.expectUsers("lastlog", []string{entry(0, t4)})
}

func TestAgent_WtmpGarbageShipsNothing(t *testing.T) {
	dir := t.TempDir()
	garbage := make([]byte, 10*384)
	x := uint32(7)
	for i := range garbage {
		x = x*1664525 + 1013904223
		garbage[i] = byte(x >> 24)
	}
	paths := []string{filepath.Join(dir, "wtmp"), filepath.Join(dir, "lastlog"), filepath.Join(dir, "btmp.1.gz")}
	var srcs = make([]config.Source, 0, len(paths))
	for _, p := range paths {
		if err := os.WriteFile(p, garbage, 0o644); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, testSource(p))
	}
	var logBuf syncBuffer
	sink := newSink()
	opts := testOptions(t.TempDir(), sink, srcs...)
	opts.Logger = newTestLogger(&logBuf)
	h := start(t, opts)
	time.Sleep(quiet) // ~15 scans
	h.stop()
	if n := len(sink.records()); n != 0 {
		t.Fatalf("%d events shipped from garbage files named like binary login files, want 0: %q", n, head(sink.messages()))
	}
	for _, p := range paths[:2] { // (compressed files are excluded before any open)
		if n := strings.Count(logBuf.String(), "path="+p+" "); n != 1 {
			t.Errorf("%s: %d warnings, want exactly 1; log:\n%s", filepath.Base(p), n, logBuf.String())
		}
	}
}

func TestAgent_WtmpRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wtmp")
	appendRecords(t, path, binlog.UserProcess, 0, 3)
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(3)
	// logrotate: rename, create; a writer that still has the old file open
	// appends one more record to it.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendRecords(t, path, binlog.UserProcess, 4, 6)
	appendRecords(t, path+".1", binlog.UserProcess, 3, 4)
	h.expectUsers("wtmp", userNames(0, 6))
}

func TestAgent_WtmpRotatedWhileStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wtmp")
	state := t.TempDir()
	appendRecords(t, path, binlog.UserProcess, 0, 2)
	run(t, state, testSource(path)).finish(2, quiet)
	appendRecords(t, path, binlog.UserProcess, 2, 4)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendRecords(t, path, binlog.UserProcess, 4, 5)
	h2 := run(t, state, testSource(path))
	h2.expectUsers("wtmp", userNames(2, 5))
}

func TestIsBinaryName(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/var/log/wtmp", true},
		{"/var/log/wtmp.1", true},
		{"/var/log/btmp-20261101", true},
		{"/var/run/utmp", true},
		{"/var/log/lastlog", true},
		{"/var/log/WTMP", true},
		{"/var/log/secure", false},
		{"/var/log/mywtmp", false},
		{"/var/log/wtmp/app.log", false},
	} {
		if got := isBinaryName(tc.path); got != tc.want {
			t.Errorf("isBinaryName(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestSnapshotKeyOrder(t *testing.T) {
	a, _ := snapshotKey(binBase, 5)
	b, _ := snapshotKey(binBase, 6)
	c, _ := snapshotKey(binBase.Add(time.Second), 0)
	if !(a < b && b < c) {
		t.Errorf("keys not ordered by (time, index): %d %d %d", a, b, c)
	}
	if _, ok := snapshotKey(time.Time{}, 0); ok {
		t.Error("zero time has a key")
	}
	if _, ok := snapshotKey(time.Unix(1<<31, 0), 0); ok {
		t.Error("time past 2038 has a key")
	}
}

func TestAgent_WtmpTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wtmp")
	appendRecords(t, path, binlog.UserProcess, 0, 3)
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(3)
	if err := os.Truncate(path, 0); err != nil { // a wiper, or copytruncate
		t.Fatal(err)
	}
	appendRecords(t, path, binlog.UserProcess, 10, 12)
	h.expectUsers("wtmp", append(userNames(0, 3), userNames(10, 12)...))
}

func TestAgent_WtmpGarbageRecordsSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wtmp")
	appendRecords(t, path, binlog.UserProcess, 0, 20) // more than layout detection probes
	garbage := make([]byte, 5*binlog.LayoutX86_64.Size)
	x := uint32(99)
	for i := range garbage {
		x = x*1664525 + 1013904223
		garbage[i] = byte(x >> 24)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(garbage); err != nil {
		t.Fatal(err)
	}
	f.Close()
	appendRecords(t, path, binlog.UserProcess, 25, 26)
	h := run(t, t.TempDir(), testSource(path))
	h.expectUsers("wtmp", append(userNames(0, 20), "u25"))
}

// writeSlot rewrites utmp slot i in place, as login and logout do.
func writeSlot(t *testing.T, path string, i int, u binlog.Utmp) {
	t.Helper()
	l := binlog.LayoutX86_64
	writeInPlace(t, path, binlog.EncodeUtmp(u, l), int64(i*l.Size))
}

func TestAgent_Utmp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "utmp")
	for i := range 3 {
		writeSlot(t, path, i, login(binlog.UserProcess, i))
	}
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(3)
	logout := login(binlog.DeadProcess, 1)
	logout.User = "u1-logout"
	logout.Time = binBase.Add(time.Hour)
	writeSlot(t, path, 1, logout) // the slot is reused at logout
	h.expectUsers("utmp", []string{"u0", "u1", "u2", "u1-logout"})
}

func TestAgent_WtmpOldRecordsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wtmp")
	old := login(binlog.UserProcess, 0)
	old.Time = time.Now().Add(-60 * 24 * time.Hour).Truncate(time.Microsecond) // two months of history
	future := login(binlog.UserProcess, 1)
	future.Time = time.Now().Add(24 * time.Hour).Truncate(time.Microsecond) // a host clock far ahead
	recent := login(binlog.UserProcess, 2)
	var b []byte
	for _, u := range []binlog.Utmp{old, future, recent} {
		b = append(b, binlog.EncodeUtmp(u, binlog.LayoutX86_64)...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UnixMilli()
	h := run(t, t.TempDir(), testSource(path))
	h.finish(3, 0)
	after := time.Now().UnixMilli()
	recs := h.sink.records()
	for i, u := range []binlog.Utmp{old, future} {
		if ts := recs[i].ev.Timestamp; ts < before || ts > after {
			t.Errorf("%s: timestamp %d, want the read time (%d..%d): the service would refuse the record's time", u.User, ts, before, after)
		}
		if want := `"time":"` + u.Time.UTC().Format(time.RFC3339Nano) + `"`; !strings.Contains(recs[i].ev.Message, want) {
			t.Errorf("%s: message %s lacks the record's own time %s", u.User, recs[i].ev.Message, want)
		}
	}
	if got, want := recs[2].ev.Timestamp, recent.Time.UnixMilli(); got != want {
		t.Errorf("recent record: timestamp %d, want its own time %d", got, want)
	}
}

func TestAgent_WtmpFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wtmp")
	state := t.TempDir()
	appendRecords(t, path, binlog.UserProcess, 0, 4)
	appendRecords(t, path, binlog.DeadProcess, 4, 6)
	src := testSource(path)
	src.Filters = []config.Filter{{Type: "include", Expression: `"type":"USER_PROCESS"`}, {Type: "exclude", Expression: `"user":"u1"`}}
	h := run(t, state, src)
	h.expectUsers("wtmp", []string{"u0", "u2", "u3"})
	// the filtered records were acknowledged: a restart sends nothing again
	h2 := run(t, state, src)
	time.Sleep(quiet)
	h2.stop()
	if n := h2.sink.count(); n != 0 {
		t.Errorf("restart sent %d events again, want 0", n)
	}
}

// TestAgent_WtmpLogrotate rotates a wtmp that login keeps appending to with
// the real logrotate, configured like Debian's /etc/logrotate.d/wtmp, and
// checks that every record written arrived exactly once, in order. Like
// glibc's updwtmp, the writer opens the file for each record without
// creating it: a record logged while the file is missing (between
// logrotate's rename and its create) is dropped by the writer.
func TestAgent_WtmpLogrotate(t *testing.T) {
	lr := testutil.Peer(t, "logrotate", "apt-get install logrotate")
	dir := t.TempDir()
	path := filepath.Join(dir, "wtmp")
	conf := filepath.Join(dir, "logrotate.conf")
	if err := os.WriteFile(conf, []byte(path+" {\n  missingok\n  create 0664\n  rotate 10\n  nocompress\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	appendRecords(t, path, binlog.UserProcess, 0, 1)
	sink := newSink()
	var logBuf syncBuffer
	opts := testOptions(t.TempDir(), sink, testSource(path))
	opts.Logger = newTestLogger(&logBuf)
	h := start(t, opts)
	defer func() {
		if t.Failed() {
			t.Log(logBuf.String())
			fs, _ := filepath.Glob(path + "*")
			for _, f := range fs {
				var b strings.Builder
				binlog.ToJSONLines(&b, f)
				ls := strings.Split(strings.TrimSpace(b.String()), "\n")
				fi, _ := os.Stat(f)
				t.Logf("%s: %d records; first %.120s last %.120s ino %v", f, len(ls), ls[0], ls[len(ls)-1], fi.Sys().(*syscall.Stat_t).Ino)
			}
		}
	}()
	const total = 2000
	written := []string{"u0"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i < total; i++ {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				continue // missing: updwtmp drops the record
			}
			if _, err := f.Write(binlog.EncodeUtmp(login(binlog.UserProcess, i), binlog.LayoutX86_64)); err == nil {
				written = append(written, fmt.Sprintf("u%d", i))
			}
			f.Close()
			if i%5 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		if out, err := exec.Command(lr, "-f", "-s", filepath.Join(dir, "status"), conf).CombinedOutput(); err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
	}
	<-done
	rotated, _ := filepath.Glob(path + ".*")
	if len(rotated) == 0 {
		t.Fatal("logrotate rotated nothing")
	}
	for d := time.Now().Add(waitLong); sink.count() < len(written) && time.Now().Before(d); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(quiet)
	h.stop()
	assertExactly(t, users(t, sink, "wtmp"), written)
	t.Logf("%d records written, %d rotations, delivered exactly once in order", len(written), len(rotated))
}

// TestAgent_WtmpFromUtmpdump ships a wtmp written by util-linux (utmpdump
// -r), so the records are not only ones binlog's own encoder wrote.
func TestAgent_WtmpFromUtmpdump(t *testing.T) {
	utmpdump := testutil.Peer(t, "utmpdump", "Debian package util-linux")
	day := time.Now().UTC().Add(-24 * time.Hour).Format("2006-01-02")
	text := "[2] [00000] [~~  ] [reboot  ] [~           ] [6.1.0-27-amd64      ] [0.0.0.0        ] [" + day + "T00:00:00,000000+00:00]\n" +
		"[7] [01234] [ts/0] [alice   ] [pts/0       ] [203.0.113.5         ] [203.0.113.5    ] [" + day + "T00:01:10,123456+00:00]\n" +
		"[8] [01234] [ts/0] [        ] [pts/0       ] [                    ] [0.0.0.0        ] [" + day + "T02:00:00,000000+00:00]\n"
	cmd := exec.Command(utmpdump, "-r")
	cmd.Stdin = strings.NewReader(text)
	bin, err := cmd.Output()
	if err != nil {
		t.Fatalf("utmpdump -r: %v", err)
	}
	if len(bin) != 3*binlog.LayoutX86_64.Size {
		t.Skipf("utmpdump writes %d-byte records on this platform", len(bin)/3)
	}
	path := filepath.Join(t.TempDir(), "wtmp")
	if err := os.WriteFile(path, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	h := run(t, t.TempDir(), testSource(path))
	h.finish(3, 0)
	want := []string{
		`{"time":"` + day + `T00:00:00Z","format":"wtmp","type":"BOOT_TIME","user":"reboot","tty":"~","host":"6.1.0-27-amd64","id":"~~  ","layout":"x86_64","index":0}`,
		`{"time":"` + day + `T00:01:10.123456Z","format":"wtmp","type":"USER_PROCESS","user":"alice","tty":"pts/0","host":"203.0.113.5","ip":"203.0.113.5","pid":1234,"id":"ts/0","layout":"x86_64","index":1}`,
		`{"time":"` + day + `T02:00:00Z","format":"wtmp","type":"DEAD_PROCESS","tty":"pts/0","pid":1234,"id":"ts/0","layout":"x86_64","index":2}`,
	}
	assertExactly(t, h.sink.messages(), want)
	users(t, h.sink, "wtmp") // timestamps are the records' times
}

// BenchmarkAgent_Wtmp measures shipping a wtmp of benchRecords records from
// the first start (decode, JSON, hand-over, acknowledgement).
func BenchmarkAgent_Wtmp(b *testing.B) {
	const benchRecords = 20000
	var buf []byte
	for i := range benchRecords {
		buf = append(buf, binlog.EncodeUtmp(login(binlog.UserProcess, i), binlog.LayoutX86_64)...)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		path := filepath.Join(dir, "wtmp")
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		sink := newSink()
		b.StartTimer()
		stop := runAgent(b, testOptions(b.TempDir(), sink, testSource(path)))
		waitUntil(func() bool { return sink.count() >= benchRecords })
		b.StopTimer()
		stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// TestAgent_LastlogCoarseMtime: a rewrite that leaves size and mtime as they
// were (a file system with one-second mtimes, two logins in one second) is
// still seen.
func TestAgent_LastlogCoarseMtime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lastlog")
	writeLastlog(t, path, 1000, binBase)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	h := run(t, t.TempDir(), testSource(path))
	h.waitCount(1)
	writeLastlog(t, path, 1000, binBase.Add(time.Minute))
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	h.finish(2, 0)
	assertExactly(t, users(t, h.sink, "lastlog"), []string{entry(1000, binBase), entry(1000, binBase.Add(time.Minute))})
}

// TestAgent_WtmpGlobMultiLogs follows wtmp* with publish_multi_logs: after a
// rotation the renamed file is not shipped a second time under its new name.
func TestAgent_WtmpGlobMultiLogs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wtmp")
	appendRecords(t, path, binlog.UserProcess, 0, 3)
	src := testSource(filepath.Join(dir, "wtmp*"))
	src.PublishMultiLogs = true
	h := run(t, t.TempDir(), src)
	h.waitCount(3)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendRecords(t, path, binlog.UserProcess, 3, 5)
	h.finish(5, quiet+300*time.Millisecond) // past the rotate grace and several scans
	assertExactly(t, users(t, h.sink, "wtmp"), userNames(0, 5))
}

func TestAgent_WtmpAarch64(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wtmp")
	var b []byte
	for i := range 3 {
		b = append(b, binlog.EncodeUtmp(login(binlog.UserProcess, i), binlog.LayoutAarch64)...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	h := run(t, t.TempDir(), testSource(path))
	h.expectUsers("wtmp", userNames(0, 3))
	for _, m := range h.sink.messages() {
		if !strings.Contains(m, `"layout":"aarch64"`) {
			t.Fatalf("layout not aarch64: %s", m)
		}
	}
}

// stepper drives the polls of binary tailers through binaryPollHook: a
// tailer parks where it would wait for its next poll until the test lets
// it go, so a test knows that nothing is read while it changes files.
type stepper struct {
	t      *testing.T
	parked chan bool // a tailer parked; true while it drains a rotated file
	step   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// startStepped starts an agent whose binary tailers poll only when the
// test steps them, and waits until the tailer of the one binary file first
// parks (its file read).
func startStepped(t *testing.T, opts Options) (*harness, *stepper) {
	t.Helper()
	s := &stepper{t: t, parked: make(chan bool), step: make(chan struct{}), done: make(chan struct{})}
	binaryPollHook = func(_ string, draining bool) bool {
		select {
		case s.parked <- draining:
		case <-s.done:
			return false
		}
		select {
		case <-s.step:
			return true
		case <-s.done:
			return false
		}
	}
	t.Cleanup(func() { binaryPollHook = nil }) // after the agent stopped (cleanups run last first)
	h := start(t, opts)
	t.Cleanup(s.release)
	s.park()
	return h, s
}

// release lets every tailer poll at its own pace from now on.
func (s *stepper) release() { s.once.Do(func() { close(s.done) }) }

// park waits until a tailer parks and reports whether it is draining.
func (s *stepper) park() bool {
	s.t.Helper()
	select {
	case d := <-s.parked:
		return d
	case <-time.After(waitLong):
		s.t.Fatal("timed out waiting for the binary tailer to poll")
		return false
	}
}

// poll lets the parked tailer run one poll and waits until it parks again.
func (s *stepper) poll() bool {
	s.t.Helper()
	s.step <- struct{}{}
	return s.park()
}

// settle polls until cond holds and the tailer is idle (not draining),
// then a few polls more, so that anything shipped twice would be.
func (s *stepper) settle(cond func() bool) {
	s.t.Helper()
	for i := 0; !cond(); i++ {
		if i > maxSteps {
			s.t.Fatalf("condition not met after %d polls", maxSteps)
		}
		s.poll()
	}
	for s.poll() {
	}
	for range 3 {
		s.poll()
	}
}

// maxSteps bounds the polls a stepped test runs (a handful per generation).
const maxSteps = 200

// stop stops the agent where its tailers are: they read nothing more.
func (s *stepper) stop(h *harness) {
	s.t.Helper()
	h.cancel() // Run marks the agent stopping, then waits for the tailers
	waitFor(s.t, "the agent to stop", waitLong, h.a.stopping.Load)
	s.release()
	h.stop()
}

// expectUsers settles until len(want) records arrived, stops the agent and
// checks that the users of the wtmp records shipped are exactly want, in
// order.
func (s *stepper) expectUsers(h *harness, want []string) {
	s.t.Helper()
	s.settle(func() bool { return h.sink.count() >= len(want) })
	s.stop(h)
	assertExactly(s.t, users(s.t, h.sink, "wtmp"), want)
}

// steppedOptions are testOptions in which a drained file is done at its
// first empty read (no rotate grace to wait for between polls).
func steppedOptions(state, path string) Options {
	opts := testOptions(state, newSink(), testSource(path))
	opts.RotateGrace = time.Nanosecond
	return opts
}

// rotation renames the file at path aside as rotation number gen (from 0),
// as logrotate would, and returns its new name.
type rotation func(t *testing.T, path string, gen int) string

// numbered is logrotate's default naming keeping keep rotated files: the
// oldest is deleted, the others shift up (wtmp.1 -> wtmp.2), the file
// becomes wtmp.1.
func numbered(keep int) rotation {
	return func(t *testing.T, path string, _ int) string {
		t.Helper()
		if err := os.Remove(fmt.Sprintf("%s.%d", path, keep)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for k := keep - 1; k >= 1; k-- {
			if err := os.Rename(fmt.Sprintf("%s.%d", path, k), fmt.Sprintf("%s.%d", path, k+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
		return path + ".1"
	}
}

// dateext is logrotate's dateext naming (wtmp-20261126), one day a rotation.
func dateext(t *testing.T, path string, gen int) string {
	t.Helper()
	to := path + "-" + binBase.AddDate(0, 0, gen).Format("20060102")
	if err := os.Rename(path, to); err != nil {
		t.Fatal(err)
	}
	return to
}

var rotationCases = []struct {
	name      string
	rotate    rotation
	rotations int
	// deletes: the second rotation deletes the first generation.
	deletes bool
}{
	{"numbered twice", numbered(10), 2, false},
	{"numbered three times", numbered(10), 3, false},
	{"rotate 1: the followed file is deleted", numbered(1), 2, true},
	{"dateext twice", dateext, 2, false},
}

// rotateGenerations rotates the file at path rotations times, starting with
// gen, as a host writing records in between: after each rotation one more
// record goes into the renamed file (a writer that still had it open), then
// three into the new file at path. It returns the next user number.
func rotateGenerations(t *testing.T, path string, rotate rotation, gen, rotations, n int) int {
	t.Helper()
	for r := range rotations {
		old := rotate(t, path, gen+r)
		appendRecords(t, old, binlog.UserProcess, n, n+1)
		appendRecords(t, path, binlog.UserProcess, n+1, n+4)
		n += 4
	}
	return n
}

// wtmpWithHistory writes a wtmp of records u0 to u2 in a new directory,
// next to two rotated generations of records no one followed (users u900
// up) that must never be shipped, and returns its path.
func wtmpWithHistory(t *testing.T, rotate rotation) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wtmp")
	for g := range 2 {
		appendRecords(t, path, binlog.UserProcess, 900+2*g, 902+2*g)
		rotate(t, path, g)
	}
	appendRecords(t, path, binlog.UserProcess, 0, 3)
	return path
}

// TestAgent_WtmpRotatedTwiceInOnePoll rotates a wtmp more than once while
// its tailer waits for its next poll: the generations in between (wtmp.1
// after the second rotation) sat at the path between two checks only.
// Every record of every generation arrives exactly once, in order, and a
// restart sends nothing again and goes on where it stopped.
func TestAgent_WtmpRotatedTwiceInOnePoll(t *testing.T) {
	for _, tc := range rotationCases {
		t.Run(tc.name, func(t *testing.T) {
			path, state := wtmpWithHistory(t, tc.rotate), t.TempDir()
			h, s := startStepped(t, steppedOptions(state, path))
			if n := h.sink.count(); n != 3 {
				t.Fatalf("%d events before the rotations, want 3", n)
			}
			n := rotateGenerations(t, path, tc.rotate, 2, tc.rotations, 3)
			s.expectUsers(h, userNames(0, n))

			appendRecords(t, path, binlog.UserProcess, n, n+1)
			h2, s2 := startStepped(t, steppedOptions(state, path))
			s2.expectUsers(h2, userNames(n, n+1))
		})
	}
}

// TestAgent_WtmpRotatedTwiceWhileStopped: the generations a stopped agent
// never saw are read at the next start, after the rest of the file it
// followed and before the file now at the path.
func TestAgent_WtmpRotatedTwiceWhileStopped(t *testing.T) {
	for _, tc := range rotationCases {
		t.Run(tc.name, func(t *testing.T) {
			path, state := wtmpWithHistory(t, tc.rotate), t.TempDir()
			h, s := startStepped(t, steppedOptions(state, path))
			s.expectUsers(h, userNames(0, 3))

			appendRecords(t, path, binlog.UserProcess, 3, 4)
			n := rotateGenerations(t, path, tc.rotate, 2, tc.rotations, 4)
			h2, s2 := startStepped(t, steppedOptions(state, path))
			want := userNames(3, n)
			if tc.deletes {
				want = userNames(5, n) // u3 and u4 went with the deleted file
			}
			s2.expectUsers(h2, want)
		})
	}
}

// TestAgent_WtmpLogrotateTwiceInOnePoll runs the real logrotate twice while
// the tailer waits for its next poll, with records logged after each run
// (as updwtmp does: into the file logrotate created).
func TestAgent_WtmpLogrotateTwiceInOnePoll(t *testing.T) {
	lr := testutil.Peer(t, "logrotate", "apt-get install logrotate")
	for _, keep := range []int{10, 1} {
		t.Run(fmt.Sprintf("rotate %d", keep), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "wtmp")
			conf := filepath.Join(dir, "logrotate.conf")
			if err := os.WriteFile(conf, fmt.Appendf(nil, "%s {\n  missingok\n  create 0664\n  rotate %d\n  nocompress\n}\n", path, keep), 0o644); err != nil {
				t.Fatal(err)
			}
			logrotate := func() {
				t.Helper()
				if out, err := exec.Command(lr, "-f", "-s", filepath.Join(dir, "status"), conf).CombinedOutput(); err != nil {
					t.Fatalf("logrotate: %v\n%s", err, out)
				}
			}
			state := t.TempDir()
			appendRecords(t, path, binlog.UserProcess, 0, 3)
			h, s := startStepped(t, steppedOptions(state, path))
			logrotate()
			appendRecords(t, path, binlog.UserProcess, 3, 6)
			logrotate()
			appendRecords(t, path, binlog.UserProcess, 6, 8)
			if _, err := os.Stat(path + ".1"); err != nil {
				t.Fatalf("logrotate left no wtmp.1: %v", err)
			}
			s.expectUsers(h, userNames(0, 8))

			// and once more while the agent is stopped
			logrotate()
			appendRecords(t, path, binlog.UserProcess, 8, 10)
			logrotate()
			appendRecords(t, path, binlog.UserProcess, 10, 11)
			h2, s2 := startStepped(t, steppedOptions(state, path))
			s2.expectUsers(h2, userNames(8, 11))
		})
	}
}

// TestAgent_WtmpGlobRotatedTwiceInOnePoll: with wtmp* and
// publish_multi_logs the generation rotated away between two polls (at
// wtmp.1) is read once, whether a scan finds it first (a tailer of its own)
// or the tailer of wtmp does (a missed generation); rotated once more, the
// tailers of wtmp and wtmp.1 both see the next generation come to their
// path or pass by, and one of them reads it.
func TestAgent_WtmpGlobRotatedTwiceInOnePoll(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		scanFirst, rotateMore bool
	}{
		{"scan first", true, false},
		{"scan first, rotated again", true, true},
		{"tailer first", false, false},
	} {
		scanFirst := tc.scanFirst
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "wtmp")
			appendRecords(t, path, binlog.UserProcess, 0, 3)
			src := testSource(path + "*")
			src.PublishMultiLogs = true
			opts := steppedOptions(t.TempDir(), path)
			opts.Sources = []config.Source{src}
			opts.Sink.(*fakeSink).ackLimit = 0 // no checkpoint tells that wtmp.1 was read: only its tailer does
			if !scanFirst {
				opts.ScanInterval, opts.DisableNotify = time.Hour, true // no scan after the first
			}
			h, s := startStepped(t, opts)
			n := rotateGenerations(t, path, numbered(10), 0, 2, 3)
			if scanFirst {
				waitFor(t, "a tailer for wtmp.1", waitLong, func() bool { return h.a.running(h.a.sources[0], path+".1") })
				s.park() // it read wtmp.1
			}
			if tc.rotateMore {
				n = rotateGenerations(t, path, numbered(10), 2, 1, n)
			}
			s.release() // several tailers: no one-by-one steps
			h.finish(n, quiet)
			got, want := users(t, h.sink, "wtmp"), userNames(0, n)
			slices.Sort(got) // (files of their own: no order across them)
			slices.Sort(want)
			assertExactly(t, got, want)
		})
	}
}

// siblings writes empty files named names next to a wtmp in a new
// directory and returns the rotated generations found there.
func siblings(t *testing.T, names ...string) []generation {
	t.Helper()
	dir := t.TempDir()
	for _, n := range append([]string{"wtmp"}, names...) {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rotatedSiblings(filepath.Join(dir, "wtmp"))
}

func TestRotatedSiblingsOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  []string // oldest first
	}{
		{"numbered", []string{"wtmp.1", "wtmp.10", "wtmp.2"}, []string{"wtmp.10", "wtmp.2", "wtmp.1"}},
		{"dateext", []string{"wtmp-20261126", "wtmp-20261001", "wtmp-20261125"}, []string{"wtmp-20261001", "wtmp-20261125", "wtmp-20261126"}},
		{"epoch seconds", []string{"wtmp.1795000000", "wtmp.1794999999"}, []string{"wtmp.1794999999", "wtmp.1795000000"}},
		{"not rotations", []string{"wtmpx", "wtmp.", "wtmp.1.gz", "wtmp.2.xz", "btmp.1", "mywtmp.1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs := siblings(t, tc.files...)
			sortGenerations(gs)
			var got []string
			for _, g := range gs {
				got = append(got, filepath.Base(g.path))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("generations %q, want %q (oldest first)", got, tc.want)
			}
		})
	}
}

// FuzzGenerationNewer checks that newer orders any two rotated names
// strictly: never both ways, never a name against itself.
func FuzzGenerationNewer(f *testing.F) {
	f.Add("1", "2")
	f.Add("20261125", "20261126")
	f.Add("1", "20261126")
	f.Add("0001", "1")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		g, h := generationOf(a), generationOf(b)
		if g.newer(g) {
			t.Errorf("%q is newer than itself", a)
		}
		if g.newer(h) && h.newer(g) {
			t.Errorf("%q and %q are each newer than the other", a, b)
		}
	})
}

// TestAgent_WtmpStoppedWithGenerationsQueued stops the agent while it
// drains the rotated wtmp, with the generation rotated away between two
// polls and the new file queued behind it: the next start reads both, and
// nothing twice.
func TestAgent_WtmpStoppedWithGenerationsQueued(t *testing.T) {
	for _, tc := range rotationCases {
		t.Run(tc.name, func(t *testing.T) {
			path, state := wtmpWithHistory(t, tc.rotate), t.TempDir()
			h, s := startStepped(t, steppedOptions(state, path))
			n := rotateGenerations(t, path, tc.rotate, 2, tc.rotations, 3)
			if !s.poll() {
				t.Fatal("the tailer is not draining the rotated file after the rotations")
			}
			s.stop(h)
			assertExactly(t, users(t, h.sink, "wtmp"), userNames(0, 4)) // the rotated file and its late record

			h2, s2 := startStepped(t, steppedOptions(state, path))
			s2.expectUsers(h2, userNames(4, n))
		})
	}
}

// TestAgent_WtmpMissingThenRotatedTwice: the path has no file for longer
// than the rotate grace (rotated without create), so its tailer ends; by
// the next scan a new wtmp was created, filled and rotated away, and
// another one created. The tailer the scan starts reads the generation in
// between before the new file.
func TestAgent_WtmpMissingThenRotatedTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wtmp")
	appendRecords(t, path, binlog.UserProcess, 0, 3)
	opts := steppedOptions(t.TempDir(), path)
	opts.ScanInterval, opts.DisableNotify = time.Hour, true // scans only when the test says
	h, s := startStepped(t, opts)
	rotate := numbered(10)
	rotate(t, path, 0) // no new file
	s.step <- struct{}{}
	waitFor(t, "the tailer to end", waitLong, func() bool { return !h.a.running(h.a.sources[0], path) })
	appendRecords(t, path, binlog.UserProcess, 3, 6)
	rotate(t, path, 1)
	appendRecords(t, path, binlog.UserProcess, 6, 8)
	h.a.scan() // (the agent's own scans wait an hour)
	s.park()
	s.expectUsers(h, userNames(0, 8))
}
