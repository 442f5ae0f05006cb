package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logwarden/logwarden/internal/config"
)

func TestLookupCharset(t *testing.T) {
	cases := []struct {
		name    string
		newline Newline
		utf8    bool
	}{
		{"", NewlineByte, true}, {"utf-8", NewlineByte, true}, {"UTF8", NewlineByte, true}, {"ascii", NewlineByte, true},
		{"utf-16", NewlineUTF16LE, false}, {"UTF-16LE", NewlineUTF16LE, false}, {"utf-16be", NewlineUTF16BE, false},
		{"euc-kr", NewlineByte, false}, {"cp949", NewlineByte, false}, {"gbk", NewlineByte, false},
		{"latin1", NewlineByte, false}, {"iso-8859-1", NewlineByte, false}, {"shift_jis", NewlineByte, false},
		{"windows-1251", NewlineByte, false},
	}
	for _, tc := range cases {
		cs, err := LookupCharset(tc.name)
		if err != nil {
			t.Errorf("LookupCharset(%q): %v", tc.name, err)
			continue
		}
		if cs.Newline() != tc.newline || (cs.enc == nil) != tc.utf8 {
			t.Errorf("LookupCharset(%q) = newline %v, utf8 %v; want %v, %v", tc.name, cs.Newline(), cs.enc == nil, tc.newline, tc.utf8)
		}
	}
	if _, err := LookupCharset("klingon-8"); err == nil || !strings.Contains(err.Error(), `"klingon-8" is not a known encoding name`) {
		t.Errorf("unknown encoding error = %v", err)
	}
}

func TestCharset_AppendUTF8(t *testing.T) {
	cases := []struct {
		enc   string
		in    string
		first bool
		want  string
	}{
		{"utf-8", "plain", false, "plain"},
		{"utf-8", "a\xffb\xc3", false, "a\uFFFDb\uFFFD"},
		{"utf-8", "\xEF\xBB\xBFbom", true, "bom"},
		{"utf-8", "\xEF\xBB\xBFkept", false, "\uFEFFkept"},
		{"latin1", "caf\xe9", false, "café"},
		{"euc-kr", "\xc7\xd1\xb1\xdb", false, "한글"},
		{"cp949", "\x81\x41", false, "갂"}, // a CP949 extension outside EUC-KR
		{"gbk", "\xc4\xe3\xba\xc3", false, "你好"},
		{"utf-16le", "h\x00i\x00", false, "hi"},
		{"utf-16le", "\xff\xfeh\x00", true, "h"},
		{"utf-16be", "\x00h\x00i", false, "hi"},
		{"utf-16le", "\x00\xd8", false, "\uFFFD"}, // lone surrogate
	}
	for _, tc := range cases {
		cs, err := LookupCharset(tc.enc)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(cs.AppendUTF8(nil, []byte(tc.in), tc.first)); got != tc.want {
			t.Errorf("%s AppendUTF8(%q) = %q, want %q", tc.enc, tc.in, got, tc.want)
		}
	}
}

func TestTimestamp_Find(t *testing.T) {
	kst := time.FixedZone("", 9*3600)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		format, msg string
		want        time.Time
		match       string
	}{
		{"%b %d %H:%M:%S", "Nov  5 10:00:07 host sshd[1]: hi", time.Date(2026, 11, 5, 10, 0, 7, 0, time.UTC), "Nov  5 10:00:07"},
		{"%b %-d %H:%M:%S", "x Nov 5 10:00:07", time.Date(2026, 11, 5, 10, 0, 7, 0, time.UTC), "Nov 5 10:00:07"},
		{"%Y-%m-%dT%H:%M:%S.%f%z", "2026-11-20T10:00:01.123456+0900 msg", time.Date(2026, 11, 20, 10, 0, 1, 123e6, kst), "2026-11-20T10:00:01.123456+0900"},
		{"%Y-%m-%dT%H:%M:%S%z", "2026-11-20T10:00:01+09:00 msg", time.Date(2026, 11, 20, 10, 0, 1, 0, kst), "2026-11-20T10:00:01+09:00"},
		{"%Y-%m-%d %H:%M:%S,%f", "2026-11-20 10:00:01,5 x", time.Date(2026, 11, 20, 10, 0, 1, 500e6, time.UTC), "2026-11-20 10:00:01,5"},
		{"%d/%b/%Y:%H:%M:%S %z", `1.2.3.4 - - [20/Nov/2026:10:00:01 -0500] "GET /"`, time.Date(2026, 11, 20, 15, 0, 1, 0, time.UTC), "20/Nov/2026:10:00:01 -0500"},
		{"%A, %B %d, %Y %I:%M:%S %p", "Friday, November 20, 2026 01:02:03 PM", time.Date(2026, 11, 20, 13, 2, 3, 0, time.UTC), "Friday, November 20, 2026 01:02:03 PM"},
		{"%a %b %d %H:%M:%S %Z %Y", "Fri Nov 20 10:00:01 KST 2026", time.Date(2026, 11, 20, 1, 0, 1, 0, time.UTC), "Fri Nov 20 10:00:01 KST 2026"},
		{"%y%m%d %H:%M:%S", "261120 23:59:59", time.Date(2026, 11, 20, 23, 59, 59, 0, time.UTC), "261120 23:59:59"},
		{"%m/%d/%Y %-I:%M %p", "11/20/2026 9:05 AM", time.Date(2026, 11, 20, 9, 5, 0, 0, time.UTC), "11/20/2026 9:05 AM"},
		{"[%Y-%m-%d %H:%M:%S]", "[2026-11-20 10:00:01] (literal brackets)", time.Date(2026, 11, 20, 10, 0, 1, 0, time.UTC), "[2026-11-20 10:00:01]"},
		{"%Y%%%m", "2026%11", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026%11"},
	}
	for _, tc := range cases {
		ts, err := newTimestampIn(tc.format, time.UTC)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		got, a, b, ok := ts.Find([]byte(tc.msg), now)
		if !ok {
			t.Errorf("%q in %q: no match (regex %s)", tc.format, tc.msg, ts.re)
			continue
		}
		if !got.Equal(tc.want) || tc.msg[a:b] != tc.match {
			t.Errorf("%q in %q = %v %q, want %v %q", tc.format, tc.msg, got, tc.msg[a:b], tc.want, tc.match)
		}
	}
}

func TestTimestamp_NoMatchOrInvalid(t *testing.T) {
	ts, _ := newTimestampIn("%Y-%m-%d %H:%M:%S", time.UTC)
	for _, msg := range []string{"no time", "2026-13-01 10:00:00", "2026-02-30 10:00:00", "2026-11-20 25:00:00"} {
		if got, _, _, ok := ts.Find([]byte(msg), time.Now()); ok {
			t.Errorf("Find(%q) = %v, want no timestamp", msg, got)
		}
	}
}

func TestTimestamp_YearAcrossNewYear(t *testing.T) {
	ts, _ := newTimestampIn("%b %d %H:%M:%S", time.UTC)
	cases := []struct {
		now  time.Time
		msg  string
		want time.Time
	}{
		// Read just after midnight on New Year: December's lines are last year's.
		{time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC), "Dec 31 23:59:59", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)},
		{time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC), "Jan  1 00:00:01", time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC)},
		// A little clock skew into the future stays in the current year.
		{time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "Jun  2 00:00:00", time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		got, _, _, ok := ts.Find([]byte(tc.msg), tc.now)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("now %v, %q = %v, want %v", tc.now, tc.msg, got, tc.want)
		}
	}
}

func TestTimestamp_LocalZone(t *testing.T) {
	seoul := time.FixedZone("KST", 9*3600)
	ts, _ := newTimestampIn("%Y-%m-%d %H:%M:%S", seoul)
	got, _, _, _ := ts.Find([]byte("2026-11-20 09:00:00"), time.Now())
	if want := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("local-zone parse = %v, want %v", got, want)
	}
}

func collect(t *testing.T, a *Assembler, lines ...string) []string {
	t.Helper()
	var out []string
	emit := func(msg []byte, end int64) error { out = append(out, string(msg)); return nil }
	for i, l := range lines {
		if err := a.Add([]byte(l), int64(i+1), time.Now(), emit); err != nil {
			t.Fatal(err)
		}
	}
	a.Flush(emit)
	return out
}

func TestAssembler(t *testing.T) {
	start, _ := NewStartFunc(config.DefaultMultiLineStartPattern, nil)
	got := collect(t, NewAssembler(start, 0), "a", "  b", "\tc", "", "d", "e", " f")
	want := []string{"a\n  b\n\tc\n", "d", "e\n f"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("default pattern: %q, want %q", got, want)
	}
	// Continuations before any start line form an event of their own.
	got = collect(t, NewAssembler(start, 0), "  orphan", "x")
	if len(got) != 2 || got[0] != "  orphan" {
		t.Errorf("orphan continuation: %q", got)
	}
	custom, _ := NewStartFunc(`^\[`, nil)
	got = collect(t, NewAssembler(custom, 0), "[1] a", "b", "[2] c")
	if len(got) != 2 || got[0] != "[1] a\nb" {
		t.Errorf("custom pattern: %q", got)
	}
}

func TestAssembler_Truncates(t *testing.T) {
	start, _ := NewStartFunc(config.DefaultMultiLineStartPattern, nil)
	limit := 40
	got := collect(t, NewAssembler(start, limit), "start 0123456789", " cont 0123456789", " more 0123456789", " dropped", "next")
	if len(got) != 2 {
		t.Fatalf("events %q", got)
	}
	if len(got[0]) != limit || !strings.HasSuffix(got[0], TruncatedMarker) || !strings.HasPrefix(got[0], "start 0123456789\n cont") {
		t.Errorf("truncated event = %q (%d bytes)", got[0], len(got[0]))
	}
	if got[1] != "next" {
		t.Errorf("after truncation: %q", got[1])
	}
	// Never cut inside a rune.
	got = collect(t, NewAssembler(start, 30), "x", " "+strings.Repeat("한", 20))
	if !utf8.ValidString(got[0]) || len(got[0]) > 30 {
		t.Errorf("cut inside a rune: %q", got[0])
	}
}

type ev struct {
	ts   int64
	msg  string
	end  int64
	skip bool
}

func runProcessor(t *testing.T, opts Options, now time.Time, lines ...string) []ev {
	t.Helper()
	p, err := NewProcessor(opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []ev
	emit := func(ts int64, msg string, end int64, skip bool) error {
		out = append(out, ev{ts, msg, end, skip})
		return nil
	}
	var off int64
	for _, l := range lines {
		start := off
		off += int64(len(l)) + 1
		if err := p.Line([]byte(l), start, off, false, now, emit); err != nil {
			t.Fatal(err)
		}
	}
	p.Flush(now, emit)
	return out
}

func TestProcessor_TimestampTrimFilters(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	opts := Options{
		MultiLineStartPattern: config.TimestampFormatPlaceholder,
		TimestampFormat:       "%Y-%m-%d %H:%M:%S",
		UTC:                   true,
		TrimTimestamp:         true,
		Filters:               []config.Filter{{Type: "include", Expression: "ERROR|WARN"}, {Type: "exclude", Expression: "healthcheck"}},
	}
	got := runProcessor(t, opts, now,
		"2026-11-20 10:00:01 ERROR boom",
		"  at frame",
		"2026-11-20 10:00:02 INFO fine",
		"2026-11-20 10:00:03 WARN healthcheck slow",
		"2026-11-20 10:00:04 WARN disk")
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()
	want := []ev{
		{base + 1000, "ERROR boom\n  at frame", 42, false},
		{base + 2000, "", 72, true},
		{base + 3000, "", 114, true},
		{base + 4000, "WARN disk", 144, false},
	}
	if len(got) != len(want) {
		t.Fatalf("events %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestProcessor_TimestampFallback(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	opts := Options{MultiLineStartPattern: config.DefaultMultiLineStartPattern, TimestampFormat: "%H:%M:%S %Y-%m-%d", UTC: true}
	got := runProcessor(t, opts, now, "no time yet", "10:00:00 2026-11-25 good", "no time again")
	good := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).UnixMilli()
	if got[0].ts != now.UnixMilli() || got[1].ts != good || got[2].ts != good {
		t.Errorf("timestamps %d %d %d; want read time, then %d twice", got[0].ts, got[1].ts, got[2].ts, good)
	}
}

func TestProcessor_DecodedLineOverLimitIsSplit(t *testing.T) {
	// 300 two-byte GBK characters become 900 bytes of UTF-8, over a 256-byte limit.
	line := strings.Repeat("\xc4\xe3", 300)
	got := runProcessor(t, Options{Encoding: "gbk", MaxEventBytes: 256}, time.Now(), line)
	var all string
	for _, e := range got {
		if len(e.msg) > 256 || !utf8.ValidString(e.msg) {
			t.Fatalf("event of %d bytes / invalid", len(e.msg))
		}
		all += e.msg
	}
	if all != strings.Repeat("你", 300) || got[len(got)-1].end != int64(len(line)+1) {
		t.Errorf("pieces do not rebuild the line (%d events)", len(got))
	}
}

func TestNewProcessor_Errors(t *testing.T) {
	cases := []struct {
		opts Options
		want string
	}{
		{Options{Encoding: "nope"}, `look up encoding: "nope" is not a known encoding name`},
		{Options{MultiLineStartPattern: "("}, "compile multi_line_start_pattern"},
		{Options{MultiLineStartPattern: config.TimestampFormatPlaceholder}, "needs a timestamp_format"},
		{Options{Filters: []config.Filter{{Type: "include", Expression: "["}}}, "compile filters[0].expression"},
		{Options{Filters: []config.Filter{{Type: "maybe", Expression: "x"}}}, `compile filters[0].type: "maybe" is not include or exclude`},
	}
	for _, tc := range cases {
		if _, err := NewProcessor(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewProcessor(%+v) error = %v, want %q", tc.opts, err, tc.want)
		}
	}
}

// TestProcessor_MessagesStayIntact: messages share arena chunks; none may
// change after it was emitted, across chunk boundaries and releases.
func TestProcessor_MessagesStayIntact(t *testing.T) {
	p, err := NewProcessor(Options{MultiLineStartPattern: config.DefaultMultiLineStartPattern})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	emit := func(ts int64, msg string, end int64, skip bool) error { got = append(got, msg); return nil }
	var want []string
	var off int64
	for i := 0; i < 20000; i++ {
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("y", i%300))
		want = append(want, l)
		p.Line([]byte(l), off, off+int64(len(l))+1, false, time.Now(), emit)
		off += int64(len(l)) + 1
		if i%777 == 0 {
			p.ReleaseArena()
		}
	}
	p.Flush(time.Now(), emit)
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d changed: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestCharset_ForBOM(t *testing.T) {
	ambiguous, _ := LookupCharset("utf-16")
	le, _ := LookupCharset("utf-16le")
	if got := ambiguous.ForBOM([]byte{0xfe, 0xff}); got.Newline() != NewlineUTF16BE {
		t.Errorf("utf-16 with FE FF: %s", got.Name())
	}
	if got := ambiguous.ForBOM([]byte{0xff, 0xfe}); got != ambiguous {
		t.Errorf("utf-16 with FF FE: %s", got.Name())
	}
	if got := le.ForBOM([]byte{0xfe, 0xff}); got != le {
		t.Errorf("utf-16le must not be overridden by a BOM")
	}
}
