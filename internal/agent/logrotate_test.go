package agent

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/testutil"
)

// TestAgent_Logrotate rotates a file that is being written continuously with
// the real logrotate, in both modes, and checks that every line that exists on
// disk afterwards (in the file or its rotated copies) arrived exactly once, in
// order. With create, the writer reopens its file after each rotation (as an
// application does on logrotate's postrotate signal), so no line may be
// missing at all. With copytruncate, logrotate itself loses the lines written
// between its copy and its truncate; those are on no disk and not expected.
func TestAgent_Logrotate(t *testing.T) {
	lr := testutil.Peer(t, "logrotate", "apt-get install logrotate")
	for _, tc := range []struct{ name, mode, compress string }{
		{"create", "create", "nocompress"},
		{"create+compress", "create", "compress"}, // the rotated file is gzipped (and removed) while the agent may still be reading it
		{"copytruncate", "copytruncate", "nocompress"},
	} {
		mode := tc.mode
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			conf := filepath.Join(dir, "logrotate.conf")
			os.WriteFile(conf, []byte(fmt.Sprintf("%s {\n  rotate 100\n  %s\n  %s\n  missingok\n}\n", path, mode, tc.compress)), 0o644)
			appendLines(t, path, "seq 0000000")
			sink := newSink()
			h := start(t, testOptions(t.TempDir(), sink, testSource(path)))

			const total = 20000
			var written atomic.Int64
			writerDone := make(chan error, 1)
			go func() { writerDone <- writeContinuously(path, 1, total, mode == "create", &written) }()
			for r := 0; r < 5; r++ {
				time.Sleep(150 * time.Millisecond)
				out, err := exec.Command(lr, "-f", "-s", filepath.Join(dir, "status"), conf).CombinedOutput()
				if err != nil {
					t.Fatalf("logrotate: %v\n%s", err, out)
				}
			}
			if err := <-writerDone; err != nil {
				t.Fatal(err)
			}
			onDisk := linesOnDisk(t, dir)
			if mode == "create" && len(onDisk) != total {
				t.Fatalf("%d lines on disk, want %d (the writer reopens after each rotation)", len(onDisk), total)
			}
			waitFor(t, "every line on disk", 20*time.Second, func() bool { return sink.count() >= len(onDisk) })
			time.Sleep(100 * time.Millisecond)
			h.stop()
			got := sink.messages()
			if mode == "create" {
				assertExactly(t, got, onDisk)
			} else {
				// The agent may also have read lines logrotate then lost (written
				// after its copy, read by the agent before the truncate): those
				// are real lines too. So: strictly increasing (no duplicate, in
				// order), only lines that were written, and every line on disk.
				assertSubsequence(t, onDisk, got, total)
			}
			t.Logf("%s: %d lines written, %d on disk after 5 rotations, %d delivered exactly once in order", tc.name, total, len(onDisk), len(got))
		})
	}
}

// writeContinuously appends "seq NNNNNNN" lines from..to-1 in small bursts.
// With reopen it reopens the path when it names another file (rotation).
func writeContinuously(path string, from, to int, reopen bool, written *atomic.Int64) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	var ino uint64
	if fi, err := f.Stat(); err == nil {
		ino = fi.Sys().(*syscall.Stat_t).Ino
	}
	for i := from; i < to; i++ {
		if _, err := fmt.Fprintf(f, "seq %07d\n", i); err != nil {
			return err
		}
		written.Add(1)
		if i%25 == 0 {
			time.Sleep(time.Millisecond)
			if reopen {
				// Reopen only once logrotate created the new file: creating it
				// ourselves would race with logrotate's own create.
				if fi, err := os.Stat(path); err == nil && fi.Sys().(*syscall.Stat_t).Ino != ino {
					f.Close()
					if f, err = os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
						return err
					}
					fi, _ := f.Stat()
					ino = fi.Sys().(*syscall.Stat_t).Ino
				}
			}
		}
	}
	return nil
}

// linesOnDisk returns the distinct "seq" lines in dir's app.log* files, sorted.
func linesOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "app.log*"))
	seen := map[int]bool{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		for _, l := range strings.Split(string(data), "\n") {
			if n, err := strconv.Atoi(strings.TrimPrefix(l, "seq ")); err == nil && strings.HasPrefix(l, "seq ") {
				seen[n] = true
			}
		}
	}
	nums := make([]int, 0, len(seen))
	for n := range seen {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = fmt.Sprintf("seq %07d", n)
	}
	return out
}

// assertSubsequence checks that got is strictly increasing "seq" lines below
// total that include every line of want.
func assertSubsequence(t *testing.T, want, got []string, total int) {
	t.Helper()
	prev := -1
	have := map[string]bool{}
	for i, g := range got {
		n, err := strconv.Atoi(strings.TrimPrefix(g, "seq "))
		if err != nil || n <= prev || n >= total {
			t.Fatalf("event %d = %q after seq %d: duplicate, out of order or never written", i, g, prev)
		}
		prev = n
		have[g] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Fatalf("line %q is on disk but was not delivered", w)
		}
	}
}
