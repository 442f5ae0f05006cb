package memtrim

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestReadOnlyMapping(t *testing.T) {
	const exe = "/usr/bin/logwarden"
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"00400000-00c00000 r-xp 00000000 fe:00 123 /usr/bin/logwarden", true},
		{"00c00000-01400000 r--p 00800000 fe:00 123 /usr/bin/logwarden", true},
		{"01400000-01500000 rw-p 01000000 fe:00 123 /usr/bin/logwarden", false}, // data: never
		{"7f0000000000-7f0000100000 r--p 00000000 fe:00 9 /usr/lib/other.so", false},
		{"7f0000000000-7f0000100000 rw-p 00000000 00:00 0", false},
		{"00400000-00c00000 r-xs 00000000 fe:00 123 /usr/bin/logwarden", false}, // shared
	} {
		_, _, ok := readOnlyMapping(tc.line, exe)
		if ok != tc.ok {
			t.Errorf("readOnlyMapping(%q) = %v, want %v", tc.line, ok, tc.ok)
		}
	}
}

func rssFileKiB(t *testing.T) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestTrim_ReleasesExecutablePages checks that Trim lowers the file-backed
// resident set of this test binary and that the process keeps running code
// (pages come back on demand).
func TestTrim_ReleasesExecutablePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	before := rssFileKiB(t)
	res, err := Trim()
	if err != nil {
		t.Fatal(err)
	}
	if res.Mappings == 0 {
		t.Fatal("found no read-only mapping of the executable")
	}
	after := rssFileKiB(t)
	t.Logf("RssFile %d KiB -> %d KiB (%d mappings, %d bytes advised)", before, after, res.Mappings, res.Bytes)
	if after >= before {
		t.Errorf("RssFile did not drop: %d KiB -> %d KiB", before, after)
	}
	// Code paged out runs again.
	if got := strconv.Itoa(42); got != "42" {
		t.Fatal("code misbehaves after Trim")
	}
	if !res.Reclaimed {
		t.Error("the first Trim did not reclaim the executable's pages")
	}
	again, err := Trim()
	if err != nil {
		t.Fatal(err)
	}
	if again.Reclaimed || again.Mappings != res.Mappings {
		t.Errorf("second Trim = %+v, want the same mappings and no reclaim", again)
	}
}
