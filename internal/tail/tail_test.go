package tail

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfiles(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, n)
		if strings.HasSuffix(n, "/") {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func scanRel(t *testing.T, root, pattern string) []string {
	t.Helper()
	g, err := CompileGlob(filepath.Join(root, pattern))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range g.Scan() {
		rel, _ := filepath.Rel(root, m.Path)
		out = append(out, rel)
	}
	slices.Sort(out)
	return out
}

func TestGlob_Scan(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, "a.log", "b.log", "c.txt", "dir.log/", "x/d.log", "x/y/e.log", "x/y/z/f.log", "app-1.log", "app-2.log", "apb.log")
	os.Symlink(filepath.Join(root, "x"), filepath.Join(root, "link.log"))          // a symlink to a directory: not a file
	os.Symlink(filepath.Join(root, "c.txt"), filepath.Join(root, "ctxt.log"))      // a symlink to a file: followed
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.log"), 0o644); err != nil { // never opened: it would block
		t.Fatal(err)
	}
	cases := []struct {
		pattern string
		want    []string
	}{
		{"a.log", []string{"a.log"}},
		{"dir.log", nil},
		{"*.log", []string{"a.log", "apb.log", "app-1.log", "app-2.log", "b.log", "ctxt.log"}},
		{"?.log", []string{"a.log", "b.log"}},
		{"app-[12].log", []string{"app-1.log", "app-2.log"}},
		{"[!a]*.log", []string{"b.log", "ctxt.log"}},
		{"{a,b}.log", []string{"a.log", "b.log"}},
		{"{a,c}.{log,txt}", []string{"a.log", "c.txt"}},
		{"**/*.log", []string{"a.log", "apb.log", "app-1.log", "app-2.log", "b.log", "ctxt.log", "x/d.log", "x/y/e.log", "x/y/z/f.log"}},
		{"x/**.log", []string{"x/d.log", "x/y/e.log", "x/y/z/f.log"}},
		{"x/*/e.log", []string{"x/y/e.log"}},
		{"x/{y,q}/*.log", []string{"x/y/e.log"}},
		{"ap[!p]*.log", []string{"apb.log"}},
	}
	for _, tc := range cases {
		if got := scanRel(t, root, tc.pattern); !slices.Equal(got, tc.want) {
			t.Errorf("Scan(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestGlob_RescanSeesChanges(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, "a/1.log")
	g, _ := CompileGlob(filepath.Join(root, "**", "*.log"))
	if n := len(g.Scan()); n != 1 {
		t.Fatalf("first scan: %d", n)
	}
	mkfiles(t, root, "a/2.log", "b/c/3.log")
	os.Remove(filepath.Join(root, "a/1.log"))
	got := g.Scan()
	if len(got) != 2 {
		t.Fatalf("rescan = %v", got)
	}
}

func TestCompileGlob_Errors(t *testing.T) {
	for _, p := range []string{"", "/a/{b", "/a/b}", "/a/[b", "/a/**/[x"} {
		if _, err := CompileGlob(p); err == nil {
			t.Errorf("CompileGlob(%q) accepted", p)
		}
	}
}

func TestExclude(t *testing.T) {
	x := Exclude{Blacklist: regexp.MustCompile(`^secret`), StateDir: "/var/lib/lw"}
	cases := map[string]bool{
		"/var/log/a.log": false, "/var/log/a.log.gz": true, "/var/log/a.tar": true, "/var/log/a.zst": true,
		"/var/log/a.zip": true, "/var/log/a.bz2": true, "/var/log/a.rar": true,
		"/var/log/secret.log": true, "/var/secret/a.log": false, "/var/lib/lw/checkpoints.json": true, "/var/lib/lwx": false,
	}
	for p, want := range cases {
		if got := x.Excluded(p); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestNewest(t *testing.T) {
	root := t.TempDir()
	mkfiles(t, root, "a.log", "b.log", "c.log")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(root, "a.log"), old, old)
	os.Chtimes(filepath.Join(root, "c.log"), old, old)
	g, _ := CompileGlob(filepath.Join(root, "*.log"))
	m, ok := Newest(g.Scan())
	if !ok || filepath.Base(m.Path) != "b.log" {
		t.Errorf("Newest = %v %v", m.Path, ok)
	}
	if _, ok := Newest(nil); ok {
		t.Errorf("Newest(nil) ok")
	}
}

type gotLine struct {
	line       string
	start, end int64
	piece      bool
}

// writeOpen writes data to a new file and opens it for reading (closed when
// the test ends).
func writeOpen(tb testing.TB, data []byte) (path string, f *os.File) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return path, f
}

func readAll(t *testing.T, r *Reader) []gotLine {
	t.Helper()
	var out []gotLine
	_, err := r.ReadLines(nil, func(line []byte, start, end int64, piece bool) error {
		out = append(out, gotLine{string(line), start, end, piece})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReader_Lines(t *testing.T) {
	path, f := writeOpen(t, []byte("one\r\ntwo\n\nthr"))
	r := NewReader(f, 0, NewlineByte, 0)
	got := readAll(t, r)
	want := []gotLine{{"one", 0, 5, false}, {"two", 5, 9, false}, {"", 9, 10, false}}
	if !slices.Equal(got, want) {
		t.Fatalf("lines %+v, want %+v", got, want)
	}
	if r.Offset() != 10 || r.ReadOffset() != 13 || !r.HasPartial() {
		t.Errorf("Offset %d ReadOffset %d partial %v", r.Offset(), r.ReadOffset(), r.HasPartial())
	}
	af, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	af.WriteString("ee\nfour\n")
	af.Close()
	got = readAll(t, r)
	want = []gotLine{{"three", 10, 16, false}, {"four", 16, 21, false}}
	if !slices.Equal(got, want) {
		t.Fatalf("after append %+v, want %+v", got, want)
	}
	if err := r.FlushPartial(func([]byte, int64, int64, bool) error { t.Fatal("nothing held"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestReader_LongLinePieces(t *testing.T) {
	long := strings.Repeat("é", 25) // 50 bytes
	_, f := writeOpen(t, []byte("a\n"+long+"\nb\n"))
	got := readAll(t, NewReader(f, 0, NewlineByte, 16))
	var rebuilt string
	for _, g := range got[1 : len(got)-1] {
		if len(g.line) > 16 || !strings.HasPrefix(g.line, "é") && g.line != "" {
			t.Errorf("piece %q cut inside a rune or too long", g.line)
		}
		rebuilt += g.line
	}
	if rebuilt != long || got[0].line != "a" || got[len(got)-1].line != "b" {
		t.Fatalf("pieces %+v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].start != got[i-1].end {
			t.Errorf("gap between %+v and %+v", got[i-1], got[i])
		}
	}
}

func TestReader_BigFileAcrossBlocks(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("z", i%50))
	}
	_, f := writeOpen(t, b.Bytes())
	got := readAll(t, NewReader(f, 0, NewlineByte, 0))
	if len(got) != 50000 || got[49999].end != int64(b.Len()) {
		t.Fatalf("%d lines, last %+v", len(got), got[len(got)-1])
	}
	for i, g := range got {
		if !strings.HasPrefix(g.line, fmt.Sprintf("line %d ", i)) {
			t.Fatalf("line %d = %q", i, g.line)
		}
	}
}

func utf16(s string, be bool) []byte {
	var out []byte
	for _, r := range s {
		hi, lo := byte(r>>8), byte(r)
		if be {
			out = append(out, hi, lo)
		} else {
			out = append(out, lo, hi)
		}
	}
	return out
}

func TestReader_UTF16(t *testing.T) {
	// U+0A0A and U+010A contain a 0x0A byte that is not a newline.
	text := "a\u0a0a\r\nb\u010a\nc\n"
	for _, tc := range []struct {
		nl Newline
		be bool
	}{{NewlineUTF16LE, false}, {NewlineUTF16BE, true}} {
		_, f := writeOpen(t, utf16(text, tc.be))
		got := readAll(t, NewReader(f, 0, tc.nl, 0))
		want := []gotLine{
			{string(utf16("a\u0a0a", tc.be)), 0, 8, false},
			{string(utf16("b\u010a", tc.be)), 8, 14, false},
			{string(utf16("c", tc.be)), 14, 18, false},
		}
		if !slices.Equal(got, want) {
			t.Errorf("be=%v: %+v, want %+v", tc.be, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	path, f := writeOpen(t, []byte("hello"))
	fp, err := ReadFingerprint(f)
	if err != nil || fp.Len != 5 {
		t.Fatalf("fp %+v %v", fp, err)
	}
	af, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	af.WriteString(strings.Repeat(" world", 300))
	af.Close()
	if ok, _ := fp.Matches(f); !ok {
		t.Errorf("a grown file no longer matches its prefix fingerprint")
	}
	big, _ := ReadFingerprint(f)
	if big.Len != FingerprintSize {
		t.Errorf("fingerprint len %d, want %d", big.Len, FingerprintSize)
	}
	os.WriteFile(path, []byte("HELLO world"), 0o644)
	if ok, _ := fp.Matches(f); ok {
		t.Errorf("changed content still matches")
	}
	os.WriteFile(path, []byte("he"), 0o644)
	if ok, _ := fp.Matches(f); ok {
		t.Errorf("truncated content still matches")
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("a\r\nb\n\nc"), 16, 0)
	f.Add([]byte(strings.Repeat("é", 40)+"\n"), 9, 0)
	f.Add([]byte("h\x00\n\x00\n\x0a\x00"), 8, 1)
	f.Add([]byte("\x00h\x00\n\n\x00"), 8, 2)
	f.Fuzz(func(t *testing.T, data []byte, max int, nl int) {
		if max < 8 || max > 1<<16 || nl < 0 || nl > 2 {
			return
		}
		_, fh := writeOpen(t, data)
		r := NewReader(fh, 0, Newline(nl), max)
		var prev int64
		check := func(line []byte, start, end int64, piece bool) error {
			if start != prev || end < start+int64(len(line)) || end > int64(len(data)) {
				t.Fatalf("line %q at %d..%d after %d", line, start, end, prev)
			}
			if !bytes.Equal(line, data[start:start+int64(len(line))]) {
				t.Fatalf("line %q is not the file's bytes at %d", line, start)
			}
			if len(line) > max {
				t.Fatalf("line of %d bytes over max %d", len(line), max)
			}
			prev = end
			return nil
		}
		if _, err := r.ReadLines(nil, check); err != nil {
			t.Fatal(err)
		}
		if err := r.FlushPartial(check); err != nil {
			t.Fatal(err)
		}
		if prev != int64(len(data)) {
			t.Fatalf("consumed %d of %d bytes", prev, len(data))
		}
	})
}

func FuzzGlob(f *testing.F) {
	f.Add("/var/log/**/*.{log,txt}", "/var/log/a/b.log")
	f.Add("/a/[!x]?.log", "/a/yz.log")
	f.Add("/a/{b,{c,d}}/*", "/a/d/e")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		g, err := CompileGlob(pattern)
		if err != nil {
			return
		}
		_ = g.MatchString(path)
	})
}

// TestReader_VerifyDropsChangedBytes: when Verify says the file changed under
// the read (copytruncate between the caller's check and the read), the bytes
// just read are not handed over and the offsets stay.
func TestReader_VerifyDropsChangedBytes(t *testing.T) {
	path, f := writeOpen(t, []byte("a1\na2\n"))
	r := NewReader(f, 0, NewlineByte, 0)
	same := true
	r.Verify = func() bool { return same }
	if got := readAll(t, r); len(got) != 2 {
		t.Fatalf("first read: %+v", got)
	}
	// The file is rewritten with longer content: reading from offset 6 would
	// hand over the new content's tail as if it followed a2.
	os.WriteFile(path, []byte("b1\nb2\nb3\nb4\n"), 0o644)
	same = false
	if got := readAll(t, r); len(got) != 0 {
		t.Fatalf("read across a rewrite handed over %+v", got)
	}
	if r.Offset() != 6 || r.ReadOffset() != 6 {
		t.Errorf("offsets moved to %d/%d, want 6/6", r.Offset(), r.ReadOffset())
	}
}
