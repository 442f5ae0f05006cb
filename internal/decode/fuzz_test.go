package decode

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logwarden/logwarden/internal/config"
)

func FuzzCharset(f *testing.F) {
	f.Add("utf-8", []byte("a\xffb"))
	f.Add("utf-16le", []byte("h\x00\x00\xd8"))
	f.Add("utf-16be", []byte("\x00h\xd8"))
	f.Add("euc-kr", []byte("\xc7\xd1\xb1"))
	f.Add("gbk", []byte("\xc4\xe3\xba"))
	f.Add("latin1", []byte("caf\xe9"))
	f.Add("shift_jis", []byte("\x82\xa0\x82"))
	f.Fuzz(func(t *testing.T, enc string, line []byte) {
		cs, err := LookupCharset(enc)
		if err != nil {
			return
		}
		out := cs.AppendUTF8([]byte("p"), line, true)
		if !utf8.Valid(out) || out[0] != 'p' {
			t.Fatalf("%s: invalid output %q", enc, out)
		}
		if len(line) > 0 && len(out) == 1 && !strings.HasPrefix(string(line), "\xEF\xBB\xBF") && cs.enc == nil {
			t.Fatalf("%s: input dropped", enc)
		}
	})
}

func FuzzTimestamp(f *testing.F) {
	f.Add("%Y-%m-%dT%H:%M:%S.%f%z", "2026-11-20T10:00:01.123+09:00")
	f.Add("%b %d %H:%M:%S", "Feb 30 25:61:61")
	f.Add("%A, %B %d, %Y %I:%M:%S %p %Z", "Friday, November 20, 2026 13:02:03 PM KST")
	f.Add("%-m/%-d/%y %-I:%-M:%-S", "2/29/27 0:0:0")
	f.Add("%%%-", "%")
	f.Fuzz(func(t *testing.T, format, msg string) {
		ts, err := newTimestampIn(format, time.UTC)
		if err != nil {
			return
		}
		got, a, b, ok := ts.Find([]byte(msg), time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
		if !ok {
			return
		}
		if a < 0 || b > len(msg) || a > b {
			t.Fatalf("match bounds %d..%d of %d", a, b, len(msg))
		}
		if got.Year() < 0 || got.Year() > 9999 {
			t.Fatalf("year %d from %q", got.Year(), msg)
		}
	})
}

func FuzzAssembler(f *testing.F) {
	f.Add("a\n  b\n\nc\n d", 32, `^[\S]`)
	f.Add(strings.Repeat("x", 100)+"\n "+strings.Repeat("한", 50), 40, `^\d`)
	f.Add("\xff\xfe\n\t\n", 24, config.DefaultMultiLineStartPattern)
	f.Fuzz(func(t *testing.T, text string, limit int, pattern string) {
		if limit < 0 || limit > 4096 {
			return
		}
		start, err := NewStartFunc(pattern, nil)
		if err != nil {
			return
		}
		p := &Processor{cs: &Charset{name: "utf-8"}}
		p.limit = max(limit, len(TruncatedMarker)+8)
		p.asm = NewAssembler(start, p.limit)
		p.out = p.finish
		var last int64
		var events int
		emit := func(ts int64, msg string, end int64, skip bool) error {
			if len(msg) > p.limit || !utf8.ValidString(msg) {
				t.Fatalf("event %q: %d bytes (limit %d) or invalid UTF-8", msg, len(msg), p.limit)
			}
			if end < last {
				t.Fatalf("offsets went back: %d after %d", end, last)
			}
			last = end
			events++
			return nil
		}
		var off int64
		lines := strings.Split(text, "\n")
		for _, l := range lines {
			s := off
			off += int64(len(l)) + 1
			if err := p.Line([]byte(l), s, off, false, time.Now(), emit); err != nil {
				t.Fatal(err)
			}
		}
		p.Flush(time.Now(), emit)
		if last != off {
			t.Fatalf("last offset %d, want %d", last, off)
		}
		if events == 0 || events > len(lines)+3*len(text)/(p.limit-4)+1 {
			t.Fatalf("%d events for %d lines", events, len(lines))
		}
	})
}
