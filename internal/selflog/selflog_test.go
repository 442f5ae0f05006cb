package selflog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatingFile_Rotates(t *testing.T) {
	p := filepath.Join(t.TempDir(), "agent.log")
	r, err := OpenRotating(p, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 39) + "\n" // 40 bytes
	for i := 0; i < 10; i++ {
		if _, err := r.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	for _, name := range []string{p, p + ".1", p + ".2"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Size() > 100 {
			t.Errorf("%s is %d bytes, over the 100-byte limit", name, fi.Size())
		}
	}
	if _, err := os.Stat(p + ".3"); !os.IsNotExist(err) {
		t.Errorf("%s.3 exists, want at most 2 backups", p)
	}
}

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in      string
		off, ok bool
	}{{"INFO", false, true}, {"debug", false, true}, {"OFF", true, true}, {"loud", false, false}} {
		_, off, err := ParseLevel(tc.in)
		if (err == nil) != tc.ok || off != tc.off {
			t.Errorf("ParseLevel(%q) = off %v, err %v; want off %v, ok %v", tc.in, off, err, tc.off, tc.ok)
		}
	}
}
