package agent

import (
	"os"
	"testing"
	"time"
)

// TestAgent_RotatedTwiceBetweenChecks: two rename+create rotations happen
// between two checks of the path, so the middle generation (b) is never at
// the path when the agent looks. It must still be read, whole, after the
// rest of a and before c.
func TestAgent_RotatedTwiceBetweenChecks(t *testing.T) {
	for _, scheme := range []struct {
		name         string
		first, older string // names of the newest and the older rotated copy
	}{
		{"numbered", ".1", ".2"},
		{"dateext", "-20261126", "-20261125"},
	} {
		t.Run(scheme.name, func(t *testing.T) {
			path := logFile(t, lines("a", 0, 100)...)
			sink := newSink()
			opts := testOptions(t.TempDir(), sink, testSource(path))
			opts.PollInterval = time.Second // both rotations land between two checks
			opts.DisableNotify = true
			h := start(t, opts)
			h.waitCount(100)
			appendLines(t, path, lines("a", 100, 120)...)
			mv := func(from, to string) {
				if err := os.Rename(from, to); err != nil {
					t.Fatal(err)
				}
			}
			if scheme.name == "numbered" {
				mv(path, path+scheme.first)
				appendLines(t, path, lines("b", 0, 50)...)
				mv(path+scheme.first, path+scheme.older)
				mv(path, path+scheme.first)
			} else {
				mv(path, path+scheme.older)
				appendLines(t, path, lines("b", 0, 50)...)
				mv(path, path+scheme.first)
			}
			appendLines(t, path, lines("c", 0, 30)...)
			h.expect(50*time.Millisecond, append(append(lines("a", 0, 120), lines("b", 0, 50)...), lines("c", 0, 30)...))
		})
	}
}
