package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/binlog"
	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/testutil"
)

var kst = time.FixedZone("KST", 9*3600)

// copyTree copies a fixture tree into a temp dir so tests can add files.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// addBinaries writes wtmp, wtmp.1, btmp, lastlog and etc/passwd into root.
func addBinaries(t *testing.T, root string) {
	t.Helper()
	l := binlog.LayoutX86_64
	var wtmp, wtmp1, btmp []byte
	wtmp1 = append(wtmp1, binlog.EncodeUtmp(binlog.Utmp{Type: binlog.BootTime, User: "reboot", Line: "~", Host: "5.14.0", Time: mustTime("2026-10-20T00:00:00Z")}, l)...)
	wtmp = append(wtmp, binlog.EncodeUtmp(binlog.Utmp{Type: binlog.BootTime, User: "reboot", Line: "~", Host: "5.14.0", Time: mustTime("2026-10-31T18:12:40Z")}, l)...)
	wtmp = append(wtmp, binlog.EncodeUtmp(binlog.Utmp{Type: binlog.UserProcess, PID: 2210, User: "alice", Line: "pts/0", Host: "203.0.113.5",
		Addr: netip.MustParseAddr("203.0.113.5"), Time: mustTime("2026-11-02T00:01:10Z")}, l)...)
	wtmp = append(wtmp, make([]byte, l.Size)...) // zeroed record
	wtmp = append(wtmp, binlog.EncodeUtmp(binlog.Utmp{Type: binlog.DeadProcess, PID: 2210, Line: "pts/0", Time: mustTime("2026-11-02T00:40:02Z")}, l)...)
	wtmp = append(wtmp, 1, 2, 3) // truncated tail
	btmp = append(btmp, binlog.EncodeUtmp(binlog.Utmp{Type: binlog.LoginProcess, PID: 3101, User: "admin", Line: "ssh:notty", Host: "198.51.100.7",
		Addr: netip.MustParseAddr("198.51.100.7"), Time: mustTime("2026-11-02T17:14:03Z")}, l)...)
	ll := make([]byte, 292*1000)
	ll = append(ll, binlog.EncodeLastlog(binlog.Lastlog{Time: mustTime("2026-11-02T00:01:10Z"), Line: "pts/0", Host: "203.0.113.5"}, binlog.LastlogX86_64)...)
	for name, b := range map[string][]byte{"var/log/wtmp": wtmp, "var/log/wtmp.1": wtmp1, "var/log/btmp": btmp, "var/log/lastlog": ll,
		"etc/passwd": []byte("root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n")} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFilesRHEL(t *testing.T) {
	root := copyTree(t, filepath.Join("..", "testdata", "rhel-kst"))
	addBinaries(t, root)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	end := start.AddDate(0, 1, 0)
	byKind := map[parse.Kind]int{}
	bySource := map[string]int{}
	var outside []string
	inputs, err := Files(context.Background(), FileOptions{Root: root, Start: start, End: end, Zone: kst}, func(r *parse.Record) error {
		byKind[r.Kind]++
		bySource[r.Source]++
		if r.Kind != parse.KindLastlog && (r.Time.Before(start) || !r.Time.Before(end)) {
			outside = append(outside, r.Raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(outside) > 0 {
		t.Fatalf("records outside the period delivered: %q", outside)
	}
	var names []string
	in := map[string]Input{}
	for _, i := range inputs {
		names = append(names, i.Name+":"+string(i.Class))
		in[i.Name] = i
	}
	wantNames := []string{"var/log/secure-20261101:auth", "var/log/secure:auth", "var/log/messages:syslog", "var/log/cron:cron",
		"var/log/audit/audit.log:audit", "var/log/wtmp.1:wtmp", "var/log/wtmp:wtmp", "var/log/btmp:btmp", "var/log/lastlog:lastlog",
		"var/log/sulog:sulog", "var/log/xferlog:xferlog"}
	if strings.Join(names, " ") != strings.Join(wantNames, " ") {
		t.Fatalf("inputs:\n got %v\nwant %v", names, wantNames)
	}
	// secure-20261101: 5 lines, 2 of them before the period (Oct 31 KST)
	s1 := in["var/log/secure-20261101"]
	if s1.Stats.Lines != 5 || s1.InPeriod != 3 || bySource["var/log/secure-20261101"] != 3 {
		t.Errorf("secure-20261101: lines %d in period %d delivered %d", s1.Stats.Lines, s1.InPeriod, bySource["var/log/secure-20261101"])
	}
	if !s1.First.Equal(time.Date(2026, 11, 1, 0, 0, 5, 0, kst)) {
		t.Errorf("secure-20261101 first in period %v", s1.First)
	}
	// byte range: from the third line to the end of the file
	data, _ := os.ReadFile(filepath.Join(root, "var/log/secure-20261101"))
	lines := strings.SplitAfter(string(data), "\n")
	if want := int64(len(lines[0]) + len(lines[1])); s1.ByteStart != want || s1.ByteEnd != int64(len(data)) {
		t.Errorf("byte range [%d,%d), want [%d,%d)", s1.ByteStart, s1.ByteEnd, want, len(data))
	}
	sum := sha256.Sum256(data)
	if s1.SHA256 != hex.EncodeToString(sum[:]) || s1.Size != int64(len(data)) {
		t.Errorf("sha256/size mismatch: %s %d", s1.SHA256, s1.Size)
	}
	// messages: one line is not a log line
	if m := in["var/log/messages"]; m.Stats.Unrecognised != 1 || len(m.Stats.Errors) != 1 || m.Stats.Errors[0].Line != 22 {
		t.Errorf("messages unrecognised: %+v", m.Stats)
	}
	// wtmp: zeroed record and truncated tail are reported; wtmp.1 is before the period
	w := in["var/log/wtmp"]
	if w.Binary == nil || w.Binary.Empty != 1 || w.Binary.TrailingLen != 3 || w.InPeriod != 3 || w.Layout != "x86_64" || len(w.Stats.Errors) != 1 {
		t.Errorf("wtmp: %+v %+v", w, w.Binary)
	}
	if in["var/log/wtmp.1"].InPeriod != 0 {
		t.Errorf("wtmp.1 delivered records outside the period")
	}
	if byKind[parse.KindWtmpLogin] != 1 || byKind[parse.KindWtmpLogout] != 1 || byKind[parse.KindWtmpBoot] != 1 || byKind[parse.KindBtmpFailed] != 1 {
		t.Errorf("binary kinds: %v", byKind)
	}
	if byKind[parse.KindLastlog] != 1 {
		t.Errorf("lastlog records: %d", byKind[parse.KindLastlog])
	}
	// core text kinds arrive
	for k, n := range map[parse.Kind]int{parse.KindSSHAccepted: 4, parse.KindSudoCommand: 2, parse.KindSuSuccess: 3, parse.KindCronCmd: 3,
		parse.KindFTPTransfer: 3, parse.KindAudit: 8} {
		if byKind[k] != n {
			t.Errorf("%s: %d records, want %d", k, byKind[k], n)
		}
	}
	// gaps of the auth class (both files together), at hour resolution
	var gs []string
	for _, g := range in["var/log/secure"].Gaps {
		gs = append(gs, g.From.In(kst).Format("01-02T15")+"/"+g.To.In(kst).Format("01-02T15"))
	}
	if want := "11-01T04/11-02T09 11-03T03/11-04T10 11-04T12/11-05T14 11-05T15/11-06T23 11-08T01/11-25T23 11-26T00/12-01T00"; strings.Join(gs, " ") != want {
		t.Errorf("secure gaps:\n got %s\nwant %s", strings.Join(gs, " "), want)
	}
	if len(in["var/log/secure-20261101"].Gaps) != 0 {
		t.Errorf("gaps on an older rotation: %v", in["var/log/secure-20261101"].Gaps)
	}
}

func TestFilesDebianGzipAndJournal(t *testing.T) {
	root := filepath.Join("..", "testdata", "debian-utc")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	end := start.AddDate(0, 1, 0)
	var got []string
	inputs, err := Files(context.Background(), FileOptions{Root: root, Start: start, End: end, Zone: time.UTC}, func(r *parse.Record) error {
		got = append(got, r.Source+":"+string(r.Kind))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range inputs {
		names = append(names, i.Name)
		if i.Name == "var/log/auth.log.2.gz" {
			// one of two lines is in period (Nov 1 00:00 UTC = 09:00 KST)
			if !i.Compressed || i.Stats.Lines != 2 || i.InPeriod != 1 {
				t.Errorf("auth.log.2.gz: %+v", i)
			}
		}
		if i.Name == "var/log/journal.json" {
			if i.InPeriod != 6 || i.Stats.Unrecognised != 1 || len(i.BootIDs) != 1 || !strings.HasPrefix(i.CursorFirst, "s=") {
				t.Errorf("journal: %+v", i)
			}
		}
	}
	want := "var/log/auth.log.2.gz var/log/auth.log.1 var/log/auth.log var/log/syslog var/log/journal.json"
	if strings.Join(names, " ") != want {
		t.Fatalf("inputs %v, want %s", names, want)
	}
	if len(got) == 0 || got[0] != "var/log/auth.log.2.gz:ssh.failed" {
		t.Fatalf("first record %v", got[:min(3, len(got))])
	}
}

func TestFilesStopEarly(t *testing.T) {
	root := filepath.Join("..", "testdata", "rhel-kst")
	stop := errors.New("enough")
	n := 0
	_, err := Files(context.Background(), FileOptions{Root: root, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, kst), End: time.Date(2026, 12, 1, 0, 0, 0, 0, kst), Zone: kst},
		func(*parse.Record) error {
			n++
			if n == 4 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || n != 4 {
		t.Fatalf("err=%v after %d records", err, n)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name  string
		class Class
		base  string
	}{
		{"secure", ClassAuth, "secure"},
		{"secure-20261101", ClassAuth, "secure"},
		{"secure-20261101.gz", ClassAuth, "secure"},
		{"auth.log.1", ClassAuth, "auth.log"},
		{"auth.log.2.gz", ClassAuth, "auth.log"},
		{"messages-20261025", ClassSyslog, "messages"},
		{"syslog.3.gz", ClassSyslog, "syslog"},
		{"wtmp.1", ClassWtmp, "wtmp"},
		{"btmp-20261101", ClassBtmp, "btmp"},
		{"audit.log.4", ClassAudit, "audit.log"},
		{"cron", ClassCron, "cron"},
		{"crontab", "", ""},
		{"dmesg", "", ""},
	}
	for _, c := range cases {
		cl, base, _, ok := classify(c.name)
		if cl != c.class || base != c.base || ok != (c.class != "") {
			t.Errorf("classify(%s) = %s %s %v", c.name, cl, base, ok)
		}
	}
	// rotation order: oldest first
	cs, err := Discover(filepath.Join("..", "testdata", "rhel-kst"))
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].Name != "var/log/secure-20261101" || cs[1].Name != "var/log/secure" {
		t.Fatalf("order %v %v", cs[0].Name, cs[1].Name)
	}
}

// BenchmarkFilesAuthLog measures the whole local path on a synthetic
// auth.log: read, SHA-256, line split, parse, period filter.
func BenchmarkFilesAuthLog(b *testing.B) {
	root := b.TempDir()
	p := filepath.Join(root, "var/log/auth.log")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	const size = 32 << 20
	if err := parse.WriteSyntheticAuthLog(f, size, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(p)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		n := 0
		if _, err := Files(context.Background(), FileOptions{Root: root, Start: start, End: start.AddDate(0, 1, 0), Zone: time.UTC},
			func(*parse.Record) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no records")
		}
	}
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(st.Size())*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

// cpuTime is the process's user+system CPU time (the machine is shared,
// so CPU time says more than wall time).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestMissingRotations(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "var", "log")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := "Nov  3 02:14:11 web01 sshd[3105]: Failed password for root from 198.51.100.7 port 40030 ssh2\n"
	for _, n := range []string{"auth.log", "auth.log.1", "auth.log.3", "secure", "secure-20261011", "secure-20261018", "secure-20261101"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	inputs, err := Files(context.Background(), FileOptions{Root: root, Start: start, End: start.AddDate(0, 1, 0), Zone: kst},
		func(*parse.Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, in := range inputs {
		got[in.Name] = strings.Join(in.MissingRotations, ",")
	}
	want := map[string]string{
		"var/log/auth.log": "auth.log.2", "var/log/auth.log.1": "", "var/log/auth.log.3": "",
		"var/log/secure": "secure-* between 20261018 and 20261101", "var/log/secure-20261011": "", "var/log/secure-20261018": "", "var/log/secure-20261101": "",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: missing %q, want %q", k, got[k], v)
		}
	}
}

// TestNewYearByMtime: a secure file written on New Year's Day (its mtime)
// holds December lines of the old year and January lines of the new one.
func TestNewYearByMtime(t *testing.T) {
	root := copyTree(t, filepath.Join("..", "testdata", "newyear"))
	p := filepath.Join(root, "secure")
	mt := time.Date(2026, 1, 1, 0, 10, 0, 0, kst)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		start time.Time
		want  []string
	}{
		{time.Date(2025, 12, 1, 0, 0, 0, 0, kst), []string{"2025-12-31T23:58:01+09:00", "2025-12-31T23:59:59+09:00"}},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, kst), []string{"2026-01-01T00:00:00+09:00", "2026-01-01T00:00:30+09:00"}},
	} {
		var got []string
		if _, err := Files(context.Background(), FileOptions{Root: root, Start: c.start, End: c.start.AddDate(0, 1, 0), Zone: kst},
			func(r *parse.Record) error { got = append(got, r.Time.In(kst).Format(time.RFC3339)); return nil }); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("period %s: %v, want %v", c.start.Format("2006-01"), got, c.want)
		}
	}
}

// TestDiscoverLiveHost runs discovery on this machine's own tree: it must
// stay under var/log (fast, no error) and never leave the root.
func TestDiscoverLiveHost(t *testing.T) {
	if _, err := os.Stat("/var/log"); err != nil {
		t.Skip("no /var/log here")
	}
	cs, err := Discover("/")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if !strings.HasPrefix(c.Name, "var/log/") && strings.Contains(c.Name, "/") {
			t.Errorf("found %s outside var/log", c.Name)
		}
	}
}

func TestFilesCancel(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "auth.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := parse.WriteSyntheticAuthLog(f, 4<<20, 3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	_, err = Files(ctx, FileOptions{Root: root, Start: start, End: start.AddDate(0, 1, 0)}, func(*parse.Record) error {
		if n++; n == 1000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v after %d records", err, n)
	}
	if n > 1000+pipeBatch*(pipeDepth+2) {
		t.Fatalf("%d records delivered after cancel", n-1000)
	}
}

// TestEachLineEdges: CRLF endings, a line longer than the read buffer, NUL
// garbage and a missing final newline keep numbering and offsets right.
func TestEachLineEdges(t *testing.T) {
	long := "Nov  3 02:14:11 web01 sshd[1]: " + strings.Repeat("x", readBufSize+1000)
	content := "Nov  3 02:14:11 web01 sshd[3105]: Failed password for root from 198.51.100.7 port 1 ssh2\r\n" +
		long + "\n" +
		"\x00\x00\x00\x00\n" +
		"Nov  3 02:14:12 web01 sshd[3105]: Failed password for root from 198.51.100.7 port 2 ssh2"
	type got struct {
		n, off int64
		len    int
	}
	var lines []got
	var texts []string
	err := eachLine(context.Background(), strings.NewReader(content), func(l []byte, n, off int64) error {
		lines = append(lines, got{n, off, len(l)})
		texts = append(texts, string(l[:min(len(l), 40)]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Index(content, "\n") + 1
	want := []got{
		{1, 0, first - 1}, // CR kept here; the parser trims it
		{2, int64(first), parse.MaxLine},
		{3, int64(first + len(long) + 1), 4},
		{4, int64(first + len(long) + 1 + 5), len(content) - (first + len(long) + 1 + 5)},
	}
	if len(lines) != len(want) {
		t.Fatalf("lines %+v", lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v (%q)", i+1, lines[i], want[i], texts[i])
		}
	}
	// and through Files: two failures parsed, the long line kept cut, the NUL line an error
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "secure"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	ins, err := Files(context.Background(), FileOptions{Root: root, Start: start, End: start.AddDate(0, 1, 0), Zone: kst}, func(r *parse.Record) error {
		kinds = append(kinds, fmt.Sprintf("%d:%s:%d", r.Line, r.Kind, len(r.Raw)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w := fmt.Sprintf("1:ssh.failed:%d 2:other:%d 4:ssh.failed:%d", first-2, parse.MaxLine, want[3].len); strings.Join(kinds, " ") != w {
		t.Errorf("records %v, want %s", kinds, w)
	}
	if ins[0].Stats.Unrecognised != 1 || ins[0].ByteStart != 0 || ins[0].ByteEnd != int64(len(content)) {
		t.Errorf("stats %+v byte end %d (size %d)", ins[0].Stats, ins[0].ByteEnd, len(content))
	}
}

// FuzzEachLine: offsets and numbering stay consistent with the input for
// any bytes, and no line exceeds the read buffer (the parsers cut at
// parse.MaxLine).
func FuzzEachLine(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc"))
	f.Add([]byte("\x00\n\xff\xfe\n"))
	f.Add(bytes.Repeat([]byte("x"), 70000))
	f.Fuzz(func(t *testing.T, b []byte) {
		var next, count int64
		err := eachLine(context.Background(), bytes.NewReader(b), func(l []byte, n, off int64) error {
			count++
			if n != count || off < next || off > int64(len(b)) || len(l) > readBufSize {
				t.Fatalf("line %d at %d (expected >= %d), len %d", n, off, next, len(l))
			}
			if !bytes.HasPrefix(b[off:], l) {
				t.Fatalf("line %d is not the input at %d", n, off)
			}
			next = off + int64(len(l))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(bytes.Count(b, []byte("\n"))); len(b) > 0 && b[len(b)-1] != '\n' {
			want++
			if count != want {
				t.Fatalf("%d lines, want %d", count, want)
			}
		} else if count != want {
			t.Fatalf("%d lines, want %d", count, want)
		}
	})
}

// TestFilesWtmpdb: a Debian 13 host keeps logins in SQLite (wtmpdb,
// lastlog2); they are found under var/lib and read like wtmp/lastlog.
func TestFilesWtmpdb(t *testing.T) {
	py := testutil.Peer(t, "python3", "Debian package python3")
	root := t.TempDir()
	for _, d := range []string{"var/log", "var/lib/wtmpdb", "var/lib/lastlog"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	us := func(s string) string { return strconv.FormatInt(mustTime(s).UnixMicro(), 10) }
	sql := map[string]string{
		"var/lib/wtmpdb/wtmp.db": "CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;" +
			"INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES(1,'reboot'," + us("2026-10-31T18:00:00Z") + "," + us("2026-11-07T15:00:00Z") + ",'~','6.12.48+deb13-amd64',NULL);" +
			"INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES(3,'alice'," + us("2026-11-02T00:01:10Z") + "," + us("2026-11-02T03:00:00Z") + ",'pts/0','203.0.113.5','sshd');" +
			"INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES(3,'bob'," + us("2026-11-02T01:00:00Z") + ",NULL,'pts/1','198.51.100.20','sshd');",
		"var/lib/lastlog/lastlog2.db": "CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER NOT NULL, TTY TEXT, RemoteHost TEXT, Service TEXT);" +
			"INSERT INTO Lastlog2 VALUES('alice',1793577670,'pts/0','203.0.113.5','sshd');",
	}
	for rel, q := range sql {
		cmd := exec.Command(py, "-c", "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.executescript(sys.stdin.read())\nc.close()\n", filepath.Join(root, rel))
		cmd.Stdin = strings.NewReader(q)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python3: %v\n%s", err, out)
		}
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	var got []string
	ins, err := Files(context.Background(), FileOptions{Root: root, Start: start, End: start.AddDate(0, 1, 0), Zone: kst}, func(r *parse.Record) error {
		got = append(got, r.Source+" "+string(r.Kind)+" "+r.User+" "+r.SrcIP+" "+r.Time.UTC().Format(time.RFC3339))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"var/lib/wtmpdb/wtmp.db reboot.wtmp reboot  2026-10-31T18:00:00Z", // 03:00 KST on Nov 1
		"var/lib/wtmpdb/wtmp.db login.wtmp alice 203.0.113.5 2026-11-02T00:01:10Z",
		"var/lib/wtmpdb/wtmp.db login.wtmp bob 198.51.100.20 2026-11-02T01:00:00Z",
		"var/lib/wtmpdb/wtmp.db logout.wtmp alice 203.0.113.5 2026-11-02T03:00:00Z",
		"var/lib/wtmpdb/wtmp.db shutdown.wtmp shutdown  2026-11-07T15:00:00Z",
		"var/lib/lastlog/lastlog2.db lastlog alice 203.0.113.5 2026-11-02T00:01:10Z",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, in := range ins {
		if in.SHA256 == "" || in.Layout != "sqlite" || in.Skipped != "" {
			t.Errorf("input %+v", in)
		}
	}
}
