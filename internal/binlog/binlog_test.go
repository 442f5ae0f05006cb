package binlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/testutil"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sampleWtmp is a month of a host's wtmp: boot, two logins (IPv4, IPv6),
// logouts, a clock change and a shutdown.
func sampleWtmp() []Utmp {
	return []Utmp{
		{Type: BootTime, User: "reboot", Line: "~", ID: "~~", Host: "6.1.0-27-amd64", Time: ts("2026-11-01T00:00:00Z")},
		{Type: RunLevel, User: "runlevel", Line: "~", ID: "~~", Host: "6.1.0-27-amd64", PID: 53, Time: ts("2026-11-01T00:00:05Z")},
		{Type: UserProcess, PID: 1234, Line: "pts/0", ID: "ts/0", User: "alice", Host: "203.0.113.5", Session: 1234,
			Time: ts("2026-11-02T00:01:10.123456Z"), Addr: netip.MustParseAddr("203.0.113.5")},
		{Type: UserProcess, PID: 2345, Line: "pts/1", ID: "ts/1", User: "carol", Host: "2001:db8::25", Session: 2345,
			Time: ts("2026-11-04T01:20:00Z"), Addr: netip.MustParseAddr("2001:db8::25")},
		{Type: DeadProcess, PID: 1234, Line: "pts/0", ID: "ts/0", Time: ts("2026-11-04T02:00:00Z"), ExitTerm: 0, ExitCode: 0},
		{Type: OldTime, User: "", Line: "|", Time: ts("2026-11-05T00:00:00Z")},
		{Type: NewTime, User: "", Line: "}", Time: ts("2026-11-05T00:00:04Z")},
		{Type: DeadProcess, PID: 2345, Line: "pts/1", ID: "ts/1", Time: ts("2026-11-05T03:00:00Z"), ExitTerm: 1, ExitCode: 2},
		{Type: RunLevel, User: "shutdown", Line: "~~", ID: "~~", Host: "6.1.0-27-amd64", Time: ts("2026-11-07T15:00:00Z")},
	}
}

func sampleBtmp() []Utmp {
	return []Utmp{
		{Type: LoginProcess, PID: 3105, Line: "ssh:notty", User: "root", Host: "198.51.100.7", Time: ts("2026-11-02T17:14:11Z"), Addr: netip.MustParseAddr("198.51.100.7")},
		{Type: LoginProcess, PID: 3110, Line: "ssh:notty", User: "oracle", Host: "198.51.100.7", Time: ts("2026-11-02T17:15:04Z"), Addr: netip.MustParseAddr("198.51.100.7")},
		{Type: LoginProcess, PID: 7201, Line: "tty1", User: "root", Time: ts("2026-11-06T23:30:00Z")},
	}
}

func encodeAll(us []Utmp, l Layout) []byte {
	var b []byte
	for _, u := range us {
		b = append(b, EncodeUtmp(u, l)...)
	}
	return b
}

func TestUtmpRoundTrip(t *testing.T) {
	for _, l := range []Layout{LayoutX86_64, LayoutAarch64} {
		t.Run(l.Name, func(t *testing.T) {
			for i, u := range sampleWtmp() {
				b := EncodeUtmp(u, l)
				if len(b) != l.Size {
					t.Fatalf("record %d: size %d, want %d", i, len(b), l.Size)
				}
				got, err := DecodeUtmp(b, l)
				if err != nil {
					t.Fatal(err)
				}
				if got != u {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got, u)
				}
			}
		})
	}
}

// TestX86_64Offsets pins the offsets of §4.4 byte by byte, independent of
// EncodeUtmp.
func TestX86_64Offsets(t *testing.T) {
	b := make([]byte, 384)
	b[0] = 7
	b[4] = 0xd2
	b[5] = 0x04 // pid 1234
	copy(b[8:], "pts/0")
	copy(b[40:], "ts/0")
	copy(b[44:], "alice")
	copy(b[76:], "host.example")
	b[336] = 9 // session
	// tv_sec 0x6A06AA26 little-endian at 340
	copy(b[340:], []byte{0x26, 0xaa, 0x06, 0x6a})
	copy(b[344:], []byte{0x40, 0xe2, 0x01, 0x00}) // 123456 usec
	copy(b[348:], []byte{203, 0, 113, 5})
	u, err := DecodeUtmp(b, LayoutX86_64)
	if err != nil {
		t.Fatal(err)
	}
	want := Utmp{Type: 7, PID: 1234, Line: "pts/0", ID: "ts/0", User: "alice", Host: "host.example", Session: 9,
		Time: time.Unix(0x6A06AA26, 123456000).UTC(), Addr: netip.MustParseAddr("203.0.113.5")}
	if u != want {
		t.Fatalf("got %+v\nwant %+v", u, want)
	}
	a := make([]byte, 400)
	a[0] = 7
	copy(a[44:], "bob")
	a[336] = 5
	copy(a[344:], []byte{0x26, 0xaa, 0x06, 0x6a, 0, 0, 0, 0})
	copy(a[360:], []byte{198, 51, 100, 7})
	u, err = DecodeUtmp(a, LayoutAarch64)
	if err != nil {
		t.Fatal(err)
	}
	if u.User != "bob" || u.Session != 5 || u.Time.Unix() != 0x6A06AA26 || u.Addr.String() != "198.51.100.7" {
		t.Fatalf("aarch64 decode: %+v", u)
	}
}

func TestDetectLayout(t *testing.T) {
	x := encodeAll(sampleWtmp(), LayoutX86_64)
	a := encodeAll(sampleWtmp(), LayoutAarch64)
	zeroed := append(append(append([]byte{}, x[:384*2]...), make([]byte, 384)...), x[384*3:]...)
	cases := []struct {
		name string
		data []byte
		want string
		err  error
	}{
		{"x86_64", x, "x86_64", nil},
		{"aarch64", a, "aarch64", nil},
		{"x86_64 truncated tail", x[:len(x)-100], "x86_64", nil},
		{"aarch64 truncated tail", a[:len(a)-7], "aarch64", nil},
		{"zeroed record in the middle", zeroed, "x86_64", nil},
		{"text", []byte(strings.Repeat("Nov  1 00:00:00 host sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2\n", 10)), "", ErrNotUtmp},
		{"all zero", make([]byte, 384*4), "", ErrNotUtmp},
		{"random-ish", bytes.Repeat([]byte{0x07, 0, 0, 0, 0xff}, 200), "", ErrNotUtmp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head := c.data[:min(len(c.data), HeadSize)]
			l, err := DetectLayout(head, int64(len(c.data)))
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err == nil && l.Name != c.want {
				t.Fatalf("layout %s, want %s", l.Name, c.want)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	w := encodeAll(sampleWtmp(), LayoutX86_64)
	ll := append(make([]byte, 292*1000), EncodeLastlog(Lastlog{UID: 1000, Time: ts("2026-11-02T00:01:10Z"), Line: "pts/0", Host: "203.0.113.5"}, LastlogX86_64)...)
	text := []byte("Nov  1 00:00:00 host sshd[1]: x\n")
	cases := []struct {
		path string
		head []byte
		want Format
	}{
		{"/var/log/wtmp", w, FormatWtmp},
		{"/var/log/wtmp.1", w, FormatWtmp},
		{"/var/log/btmp-20261101", encodeAll(sampleBtmp(), LayoutX86_64), FormatBtmp},
		{"/run/utmp", w, FormatUtmp},
		{"/var/log/lastlog", ll[:HeadSize], FormatLastlog},
		{"/var/log/lastlog", make([]byte, 292*3), FormatLastlog},
		{"/var/log/wtmp", text, FormatUnknown},
		{"/var/log/wtmp", make([]byte, 384*5), FormatWtmp}, // wiped: read, so the zeroed records are counted
		{"/tmp/unnamed.bin", make([]byte, 384*5), FormatUnknown},
		{"/var/log/lastlog", text, FormatUnknown},
		{"/var/log/wtmp.gz", w, FormatUnknown},
		{"/tmp/unnamed.bin", w, FormatWtmp},
		{"/var/log/secure", text, FormatUnknown},
		{"/var/lib/wtmpdb/wtmp.db", []byte("SQLite format 3\x00"), FormatUnknown},
	}
	for _, c := range cases {
		if got := DetectFormat(c.path, c.head); got != c.want {
			t.Errorf("DetectFormat(%s) = %v, want %v", c.path, got, c.want)
		}
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestToJSONLines(t *testing.T) {
	for _, l := range []Layout{LayoutX86_64, LayoutAarch64} {
		t.Run(l.Name, func(t *testing.T) {
			data := encodeAll(sampleWtmp(), l)
			data = append(data, make([]byte, l.Size)...) // a zeroed record: skipped
			data = append(data, EncodeUtmp(sampleWtmp()[2], l)[:l.Size/2]...)
			p := writeFile(t, "wtmp", data)
			var out bytes.Buffer
			n, err := ToJSONLines(&out, p)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(sampleWtmp())) {
				t.Fatalf("wrote %d lines, want %d", n, len(sampleWtmp()))
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			var j JSONRecord
			if err := json.Unmarshal([]byte(lines[3]), &j); err != nil {
				t.Fatal(err)
			}
			want := JSONRecord{Time: "2026-11-04T01:20:00Z", Format: "wtmp", Type: "USER_PROCESS", User: "carol", TTY: "pts/1",
				Host: "2001:db8::25", IP: "2001:db8::25", PID: 2345, ID: "ts/1", Session: 2345, Layout: l.Name, Index: 3}
			if j != want {
				t.Fatalf("line 4:\n got %+v\nwant %+v", j, want)
			}
			if !strings.Contains(lines[7], `"exit":{"termination":1,"code":2}`) {
				t.Fatalf("exit status missing: %s", lines[7])
			}
		})
	}
	// a wiped wtmp is read (all records empty), not refused
	wiped := writeFile(t, "wtmp", make([]byte, 384*10))
	rd, fh, err := Open(wiped)
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := rd.EachUtmp(0, func(int64, Utmp) error { return nil })
	fh.Close()
	if err != nil || st.Records != 10 || st.Empty != 10 {
		t.Fatalf("wiped wtmp: %+v %v", st, err)
	}
	// garbage never yields output
	p := writeFile(t, "wtmp", []byte(strings.Repeat("this is a text file, not wtmp\n", 40)))
	var out bytes.Buffer
	if _, err := ToJSONLines(&out, p); !errors.Is(err, ErrUnknownFile) || out.Len() != 0 {
		t.Fatalf("text named wtmp: err=%v out=%q", err, out.String())
	}
}

func TestLastlog(t *testing.T) {
	for _, l := range []LastlogLayout{LastlogX86_64, LastlogAarch64} {
		t.Run(l.Name, func(t *testing.T) {
			entries := map[uint32]Lastlog{
				0:    {UID: 0, Time: ts("2026-11-06T14:45:10Z"), Line: "pts/0", Host: "203.0.113.9"},
				1000: {UID: 1000, Time: ts("2026-11-02T00:01:10Z"), Line: "pts/0", Host: "203.0.113.5"},
				1003: {UID: 1003, Time: ts("2026-07-01T09:00:00Z"), Line: "tty1"},
			}
			f, err := os.Create(filepath.Join(t.TempDir(), "lastlog"))
			if err != nil {
				t.Fatal(err)
			}
			for uid, e := range entries {
				if _, err := f.WriteAt(EncodeLastlog(e, l), int64(uid)*int64(l.Size)); err != nil {
					t.Fatal(err)
				}
			}
			// a sparse tail like nfsnobody's uid 65534
			if err := f.Truncate(65535 * int64(l.Size)); err != nil {
				t.Fatal(err)
			}
			f.Close()
			rd, fh, err := Open(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			if rd.Format != FormatLastlog || rd.LLayout != l {
				t.Fatalf("detected %v %+v", rd.Format, rd.LLayout)
			}
			got := map[uint32]Lastlog{}
			st, err := rd.EachLastlog(0, func(e Lastlog) error { got[e.UID] = e; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(entries) || st.Records != 65535 {
				t.Fatalf("got %d entries, %d records: %+v", len(got), st.Records, got)
			}
			for uid, e := range entries {
				if got[uid] != e {
					t.Errorf("uid %d: got %+v want %+v", uid, got[uid], e)
				}
			}
		})
	}
}

// TestUtmpdumpRoundTrip has util-linux build a wtmp from its text form and
// checks that our decoder reads util-linux's bytes, then the reverse.
func TestUtmpdumpRoundTrip(t *testing.T) {
	utmpdump := testutil.Peer(t, "utmpdump", "Debian package util-linux")
	text := "[7] [01234] [ts/0] [alice   ] [pts/0       ] [203.0.113.5         ] [203.0.113.5    ] [2026-11-02T00:01:10,123456+00:00]\n" +
		"[6] [03105] [    ] [root    ] [ssh:notty   ] [198.51.100.7        ] [198.51.100.7   ] [2026-11-02T17:14:11,000000+00:00]\n" +
		"[2] [00000] [~~  ] [reboot  ] [~           ] [6.1.0-27-amd64      ] [0.0.0.0        ] [2026-11-01T00:00:00,000000+00:00]\n" +
		"[7] [02345] [ts/1] [carol   ] [pts/1       ] [2001:db8::25        ] [2001:db8::25   ] [2026-11-04T01:20:00,000000+00:00]\n"
	cmd := exec.Command(utmpdump, "-r")
	cmd.Stdin = strings.NewReader(text)
	bin, err := cmd.Output()
	if err != nil {
		t.Fatalf("utmpdump -r: %v", err)
	}
	if len(bin)%384 != 0 {
		t.Skipf("utmpdump writes %d-byte records on this platform", len(bin)/4)
	}
	want := []Utmp{
		{Type: 7, PID: 1234, ID: "ts/0", User: "alice", Line: "pts/0", Host: "203.0.113.5", Addr: netip.MustParseAddr("203.0.113.5"), Time: ts("2026-11-02T00:01:10.123456Z")},
		{Type: 6, PID: 3105, User: "root", Line: "ssh:notty", Host: "198.51.100.7", Addr: netip.MustParseAddr("198.51.100.7"), Time: ts("2026-11-02T17:14:11Z")},
		{Type: 2, ID: "~~", User: "reboot", Line: "~", Host: "6.1.0-27-amd64", Time: ts("2026-11-01T00:00:00Z")},
		{Type: 7, PID: 2345, ID: "ts/1", User: "carol", Line: "pts/1", Host: "2001:db8::25", Addr: netip.MustParseAddr("2001:db8::25"), Time: ts("2026-11-04T01:20:00Z")},
	}
	if l, err := DetectLayout(bin, int64(len(bin))); err != nil || l != LayoutX86_64 {
		t.Fatalf("DetectLayout on utmpdump output: %v %v", l, err)
	}
	for i, w := range want {
		u, err := DecodeUtmp(bin[i*384:], LayoutX86_64)
		if err != nil {
			t.Fatal(err)
		}
		u.ID = strings.TrimRight(u.ID, " ")
		if u != w {
			t.Errorf("record %d from utmpdump:\n got %+v\nwant %+v", i, u, w)
		}
	}
	// reverse: our bytes, util-linux's reading
	p := writeFile(t, "wtmp", encodeAll(sampleWtmp(), LayoutX86_64))
	out, err := exec.Command(utmpdump, p).Output()
	if err != nil {
		t.Fatalf("utmpdump: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(sampleWtmp()) {
		t.Fatalf("utmpdump printed %d records, want %d:\n%s", len(lines), len(sampleWtmp()), out)
	}
	for i, u := range sampleWtmp() {
		f := bracketFields(lines[i])
		if len(f) != 8 {
			t.Fatalf("utmpdump line %q", lines[i])
		}
		ip := "0.0.0.0"
		if u.Addr.IsValid() {
			ip = u.Addr.String()
		}
		got := []string{f[0], strings.TrimLeft(f[1], "0"), f[3], f[4], f[5], f[6], f[7]}
		exp := []string{itoa(int(u.Type)), strings.TrimLeft(itoa(int(u.PID)), "0"), u.User, u.Line, u.Host, ip,
			u.Time.Format("2006-01-02T15:04:05,000000+00:00")}
		for k := range got {
			if got[k] != exp[k] {
				t.Errorf("record %d field %d: utmpdump says %q, we wrote %q", i, k, got[k], exp[k])
			}
		}
	}
}

func bracketFields(s string) []string {
	var f []string
	for {
		i := strings.IndexByte(s, '[')
		j := strings.IndexByte(s, ']')
		if i < 0 || j < i {
			return f
		}
		f = append(f, strings.TrimSpace(s[i+1:j]))
		s = s[j+1:]
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLastAndLastb checks that util-linux last/lastb read our records as we
// meant them (user, tty, address, time).
func TestLastAndLastb(t *testing.T) {
	last := testutil.Peer(t, "last", "Debian package util-linux")
	wtmp := writeFile(t, "wtmp", encodeAll(sampleWtmp(), LayoutX86_64))
	expectOutput(t, []string{
		"alice    pts/0        203.0.113.5      Mon Nov  2 00:01:10 2026 - Wed Nov  4 02:00:00 2026",
		"carol    pts/1        2001:db8::25     Wed Nov  4 01:20:00 2026 - Thu Nov  5 03:00:00 2026",
		"reboot   system boot  0.0.0.0          Sun Nov  1 00:00:00 2026",
		"shutdown system down  0.0.0.0          Sat Nov  7 15:00:00 2026",
		"wtmp begins Sun Nov  1 00:00:00 2026",
	}, last, "-F", "-i", "-w", "-x", "-f", wtmp)
	lastb := testutil.Peer(t, "lastb", "Debian package util-linux")
	btmp := writeFile(t, "btmp", encodeAll(sampleBtmp(), LayoutX86_64))
	expectOutput(t, []string{
		"root     ssh:notty    198.51.100.7     Mon Nov  2 17:14:11 2026",
		"oracle   ssh:notty    198.51.100.7     Mon Nov  2 17:15:04 2026",
		"root     tty1         0.0.0.0          Fri Nov  6 23:30:00 2026",
	}, lastb, "-F", "-i", "-w", "-f", btmp)
}

// expectOutput runs name with args in UTC and the C locale and checks that
// its output contains every line of want.
func expectOutput(t *testing.T, want []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("%s output lacks %q:\n%s", filepath.Base(name), w, out)
		}
	}
}

func FuzzUtmp(f *testing.F) {
	f.Add(encodeAll(sampleWtmp(), LayoutX86_64))
	f.Add(encodeAll(sampleBtmp(), LayoutAarch64))
	f.Add([]byte("not utmp"))
	f.Add(make([]byte, 384))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range []Layout{LayoutX86_64, LayoutAarch64} {
			u, err := DecodeUtmp(b, l)
			if err != nil {
				continue
			}
			_ = UtmpJSON(u, FormatWtmp, l, 0).Marshal()
			if !json.Valid(UtmpJSON(u, FormatWtmp, l, 0).Marshal()) {
				t.Fatal("invalid JSON")
			}
		}
		_ = DetectFormat("wtmp", b)
		if l, err := DetectLayout(b, int64(len(b))); err == nil {
			rd := &Reader{Format: FormatWtmp, Layout: l, r: bytes.NewReader(b), size: int64(len(b))}
			if _, _, err := rd.EachUtmp(0, func(int64, Utmp) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzLastlog(f *testing.F) {
	f.Add(EncodeLastlog(Lastlog{Time: ts("2026-11-02T00:01:10Z"), Line: "pts/0", Host: "203.0.113.5"}, LastlogX86_64))
	f.Add(make([]byte, 296*2))
	f.Add([]byte("text"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, l := range []LastlogLayout{LastlogX86_64, LastlogAarch64} {
			if e, err := DecodeLastlog(b, 0, l); err == nil && !json.Valid(LastlogJSON(e, l).Marshal()) {
				t.Fatal("invalid JSON")
			}
		}
		if l, err := DetectLastlogLayout(b, int64(len(b))); err == nil {
			rd := &Reader{Format: FormatLastlog, LLayout: l, r: bytes.NewReader(b), size: int64(len(b))}
			if _, err := rd.EachLastlog(0, func(Lastlog) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestLastlogTool has shadow's lastlog(8) read a file we wrote (it chroots
// into -R, which needs root).
func TestLastlogTool(t *testing.T) {
	lastlog := testutil.Peer(t, "lastlog", "Debian package login")
	if os.Geteuid() != 0 {
		t.Skip("skipping: lastlog -R chroots and needs root")
	}
	root := t.TempDir()
	for _, d := range []string{"etc", "var/log"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n"
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 292*1000)
	data = append(data, EncodeLastlog(Lastlog{Time: ts("2026-11-02T00:01:10Z"), Line: "pts/0", Host: "203.0.113.5"}, LastlogX86_64)...)
	if err := os.WriteFile(filepath.Join(root, "var/log/lastlog"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lastlog, "-R", root)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lastlog -R: %v\n%s", err, out)
	}
	var alice, bob string
	for _, l := range strings.Split(string(out), "\n") {
		switch strings.SplitN(l, " ", 2)[0] {
		case "alice":
			alice = strings.Join(strings.Fields(l), " ")
		case "bob":
			bob = strings.Join(strings.Fields(l), " ")
		}
	}
	if alice != "alice pts/0 203.0.113.5 Mon Nov 2 00:01:10 +0000 2026" || bob != "bob **Never logged in**" {
		t.Fatalf("lastlog read our file as:\n%s", out)
	}
}

func TestFollower(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wtmp")
	recs := sampleWtmp()
	if err := os.WriteFile(p, encodeAll(recs[:3], LayoutX86_64), 0o644); err != nil {
		t.Fatal(err)
	}
	fl := &Follower{Path: p}
	var lines []string
	emit := func(b []byte) error { lines = append(lines, string(b)); return nil }
	if n, err := fl.Poll(emit); err != nil || n != 3 {
		t.Fatalf("first poll: %d %v", n, err)
	}
	if n, err := fl.Poll(emit); err != nil || n != 0 {
		t.Fatalf("idle poll: %d %v", n, err)
	}
	// append two records and half of a third (being written)
	fh, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	fh.Write(encodeAll(recs[3:5], LayoutX86_64))
	fh.Write(EncodeUtmp(recs[5], LayoutX86_64)[:100])
	fh.Close()
	if n, err := fl.Poll(emit); err != nil || n != 2 || fl.State.Offset != 5*384 {
		t.Fatalf("append poll: %d %v offset %d", n, err, fl.State.Offset)
	}
	// a failing ship is retried
	boom := errors.New("ship failed")
	fh, _ = os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	fh.Write(EncodeUtmp(recs[5], LayoutX86_64)[100:])
	fh.Close()
	if _, err := fl.Poll(func([]byte) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("want ship error, got %v", err)
	}
	if n, err := fl.Poll(emit); err != nil || n != 1 {
		t.Fatalf("retry poll: %d %v", n, err)
	}
	// rotation: a new file at the same path starts over
	os.Rename(p, p+".1")
	os.WriteFile(p, encodeAll(recs[6:7], LayoutX86_64), 0o644)
	if n, err := fl.Poll(emit); err != nil || n != 1 {
		t.Fatalf("rotated poll: %d %v", n, err)
	}
	if len(lines) != 7 || !strings.Contains(lines[6], `"type":"NEW_TIME"`) || !strings.Contains(lines[3], `"user":"carol"`) {
		t.Fatalf("lines:\n%s", strings.Join(lines, "\n"))
	}
	// lastlog: only changed entries are shipped
	ll := filepath.Join(dir, "lastlog")
	write := func(uid uint32, at string) {
		fh, _ := os.OpenFile(ll, os.O_CREATE|os.O_WRONLY, 0o644)
		fh.WriteAt(EncodeLastlog(Lastlog{Time: ts(at), Line: "pts/0", Host: "203.0.113.5"}, LastlogX86_64), int64(uid)*292)
		fh.Close()
	}
	write(0, "2026-11-01T00:00:00Z")
	write(1000, "2026-11-02T00:00:00Z")
	lf := &Follower{Path: ll}
	var got []string
	if n, err := lf.Poll(func(b []byte) error { got = append(got, string(b)); return nil }); err != nil || n != 2 {
		t.Fatalf("lastlog poll: %d %v", n, err)
	}
	write(1000, "2026-11-03T00:00:00Z")
	if n, err := lf.Poll(func(b []byte) error { got = append(got, string(b)); return nil }); err != nil || n != 1 || !strings.Contains(got[2], `"uid":1000`) {
		t.Fatalf("lastlog change: %d %v %v", n, err, got)
	}
	// garbage is refused
	txt := filepath.Join(dir, "btmp")
	os.WriteFile(txt, []byte(strings.Repeat("plain text, not btmp\n", 50)), 0o644)
	if _, err := (&Follower{Path: txt}).Poll(emit); !errors.Is(err, ErrUnknownFile) {
		t.Fatalf("text btmp: %v", err)
	}
}
