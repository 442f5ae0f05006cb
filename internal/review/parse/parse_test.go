package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var kst = time.FixedZone("KST", 9*3600)

// goldenRecords renders records one JSON object per line, without Raw and Source.
func goldenRecords(t *testing.T, recs []Record) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		r.Raw, r.Source = "", ""
		r.Time = r.Time.UTC()
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "parse-golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s", path, i+1, g, w)
			}
		}
	}
}

func parseFile(t *testing.T, path string, o Options) ([]Record, Stats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := NewParser(o)
	var recs []Record
	var st Stats
	sc := bufio.NewScanner(f)
	var n, off int64
	var prev time.Time
	for sc.Scan() {
		n++
		st.Lines++
		r, ok := p.Line(sc.Bytes(), n, off)
		off += int64(len(sc.Bytes())) + 1
		if !ok {
			st.Unrecognised++
			continue
		}
		st.Observe(r.Time, prev)
		prev = r.Time
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs, st
}

func TestGoldenFixtures(t *testing.T) {
	ref := time.Date(2026, 12, 1, 0, 0, 0, 0, kst)
	cases := []struct {
		name, path string
		o          Options
	}{
		{"rhel-kst-secure", "rhel-kst/var/log/secure", Options{Zone: kst, Ref: ref}},
		{"rhel-kst-secure-20261101", "rhel-kst/var/log/secure-20261101", Options{Zone: kst, Ref: ref}},
		{"rhel-kst-cron", "rhel-kst/var/log/cron", Options{Zone: kst, Ref: ref}},
		{"rhel-kst-messages", "rhel-kst/var/log/messages", Options{Zone: kst, Ref: ref}},
		{"debian-utc-auth.log", "debian-utc/var/log/auth.log", Options{Zone: time.UTC, Ref: ref}},
		{"debian-utc-syslog", "debian-utc/var/log/syslog", Options{Zone: time.UTC, Ref: ref}},
		{"newyear-secure", "newyear/secure", Options{Zone: kst, Ref: time.Date(2026, 1, 1, 0, 5, 0, 0, kst)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, _ := parseFile(t, filepath.Join("..", "testdata", c.path), c.o)
			checkGolden(t, c.name, goldenRecords(t, recs))
		})
	}
}

// parseWith runs a per-line parser over a fixture and renders records and
// errors for the golden file.
func parseWith(t *testing.T, path string, fn func(line []byte, n, off int64) (Record, error)) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	var errs []string
	var off int64
	for i, l := range bytes.SplitAfter(data, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		r, err := fn(bytes.TrimSuffix(l, []byte("\n")), int64(i+1), off)
		off += int64(len(l))
		if err != nil {
			errs = append(errs, fmt.Sprintf("error line %d: %v", i+1, err))
			continue
		}
		recs = append(recs, r)
	}
	out := goldenRecords(t, recs)
	for _, e := range errs {
		out = append(out, e+"\n"...)
	}
	return out
}

func TestGoldenOtherFormats(t *testing.T) {
	ref := time.Date(2026, 12, 1, 0, 0, 0, 0, kst)
	dir := filepath.Join("..", "testdata")
	pk := NewParser(Options{Zone: kst, Ref: ref})
	pu := NewParser(Options{Zone: time.UTC, Ref: ref})
	cases := []struct {
		name, path string
		fn         func([]byte, int64, int64) (Record, error)
	}{
		{"debian-utc-journal", "debian-utc/var/log/journal.json", func(l []byte, n, o int64) (Record, error) {
			r, _, err := pu.JournalLine(l, n, o)
			return r, err
		}},
		{"rhel-kst-audit", "rhel-kst/var/log/audit/audit.log", pk.AuditLine},
		{"rhel-kst-sulog", "rhel-kst/var/log/sulog", pk.SulogLine},
		{"rhel-kst-xferlog", "rhel-kst/var/log/xferlog", pk.XferlogLine},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkGolden(t, c.name, parseWith(t, filepath.Join(dir, c.path), c.fn))
		})
	}
}
