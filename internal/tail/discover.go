package tail

import (
	"path/filepath"
	"regexp"
	"strings"
)

// compressedExts are never followed: the CloudWatch Agent skips rotated,
// compressed archives (globpath exclusions).
var compressedExts = []string{".tar", ".zst", ".gz", ".zip", ".bz2", ".rar"}

// Exclude drops candidates the way the CloudWatch Agent does.
type Exclude struct {
	// Blacklist is matched against the base name; nil for none.
	Blacklist *regexp.Regexp
	// StateDir: files under it (the agent's own state) are never followed.
	StateDir string
}

// Excluded reports whether path must not be followed.
func (x Exclude) Excluded(path string) bool {
	for _, ext := range compressedExts {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	if x.Blacklist != nil && x.Blacklist.MatchString(filepath.Base(path)) {
		return true
	}
	if x.StateDir != "" {
		if abs, err := filepath.Abs(path); err == nil {
			sd := filepath.Clean(x.StateDir)
			if abs == sd || strings.HasPrefix(abs, sd+string(filepath.Separator)) {
				return true
			}
		}
	}
	return false
}

// Filter returns the matches x does not exclude (reusing ms).
func (x Exclude) Filter(ms []Match) []Match {
	out := ms[:0]
	for _, m := range ms {
		if !x.Excluded(m.Path) {
			out = append(out, m)
		}
	}
	return out
}

// Newest returns the match with the latest modification time (ties: the
// lexically greatest path, so the choice is stable), and false if ms is empty.
func Newest(ms []Match) (Match, bool) {
	if len(ms) == 0 {
		return Match{}, false
	}
	best := ms[0]
	for _, m := range ms[1:] {
		bt, mt := best.Info.ModTime(), m.Info.ModTime()
		if mt.After(bt) || (mt.Equal(bt) && m.Path > best.Path) {
			best = m
		}
	}
	return best, true
}
