// Package tail finds the files a collect_list entry names (globs incl. `**`,
// `{a,b}` and `[!x]`), identifies them across rotation (device/inode plus a
// fingerprint of their first bytes), and reads them in big blocks, split into
// lines without an unbounded buffer.
package tail

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Match is one file a glob matched, with its stat (symlinks resolved).
type Match struct {
	Path string
	Info os.FileInfo
}

type globKind int

const (
	globLiteral  globKind = iota // no metacharacter: a plain stat
	globSimple                   // * ? [ only: filepath.Glob
	globExtended                 // ** { } !: our matcher, walking from the literal prefix
)

// Glob matches file paths the way the CloudWatch Agent's file_path does.
// `**` crosses directories (and "/**/" also matches a single "/"), `{a,b}`
// is alternation, `[!x]` negates a class. A Glob caches directory listings
// and re-reads a directory only when its modification time changed, so a
// rescan over thousands of files costs one stat per directory.
// A Glob is not safe for concurrent use.
type Glob struct {
	pattern  string
	kind     globKind
	root     string
	re       *regexp.Regexp
	maxDepth int // -1: unlimited
	cache    map[string]*dirListing
	gen      uint64
}

type dirListing struct {
	mtime   time.Time
	read    time.Time
	subdirs []string // names
	matched []string // full paths of non-directory entries the pattern matched
	gen     uint64
}

// mtimeSlack: a directory listed within this long of its last change is read
// again next time, because a change in the same timestamp tick (the kernel's
// coarse clock, a few milliseconds) would not move its modification time.
const mtimeSlack = 100 * time.Millisecond

// CompileGlob compiles pattern (an absolute or relative path glob).
func CompileGlob(pattern string) (*Glob, error) {
	if pattern == "" {
		return nil, fmt.Errorf("compile glob: empty pattern")
	}
	g := &Glob{pattern: pattern, cache: map[string]*dirListing{}}
	switch {
	case !strings.ContainsAny(pattern, "*?[{}!"):
		g.kind = globLiteral
		g.root = filepath.Dir(pattern)
		return g, nil
	case !strings.Contains(pattern, "**") && !strings.ContainsAny(pattern, "{}!"):
		if _, err := filepath.Match(pattern, ""); err != nil {
			return nil, fmt.Errorf("compile glob %q: %w", pattern, err)
		}
		g.kind = globSimple
		g.root = literalDir(pattern)
		return g, nil
	}
	g.kind = globExtended
	expr, err := globToRegexp(pattern)
	if err != nil {
		return nil, fmt.Errorf("compile glob %q: %w", pattern, err)
	}
	if g.re, err = regexp.Compile(expr); err != nil {
		return nil, fmt.Errorf("compile glob %q: %w", pattern, err)
	}
	g.root = literalDir(pattern)
	g.maxDepth = -1
	if !strings.Contains(pattern, "**") {
		rest := strings.TrimPrefix(strings.TrimPrefix(pattern, g.root), "/")
		g.maxDepth = strings.Count(rest, "/")
	}
	return g, nil
}

// literalDir is the longest directory prefix of pattern without a metacharacter.
func literalDir(pattern string) string {
	meta := strings.IndexAny(pattern, "*?[{\\")
	if meta < 0 {
		meta = len(pattern)
	}
	slash := strings.LastIndex(pattern[:meta], "/")
	switch {
	case slash < 0:
		return "."
	case slash == 0:
		return "/"
	}
	return pattern[:slash]
}

// Pattern is the glob as written.
func (g *Glob) Pattern() string { return g.pattern }

// Root is the deepest directory every match lies under (an extended glob
// walks from it; the agent watches it for new files).
func (g *Glob) Root() string { return g.root }

// globToRegexp translates an extended glob into an anchored RE2 expression.
func globToRegexp(p string) (string, error) {
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				for i+1 < len(p) && p[i+1] == '*' {
					i++
				}
				if i+1 < len(p) && p[i+1] == '/' && (i < 2 || p[i-2] == '/') {
					// "/**/" also matches "/": zero directories.
					b.WriteString("(?:.*/)?")
					i++
					continue
				}
				b.WriteString(".*")
				continue
			}
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := i + 1
			if j < len(p) && (p[j] == '!' || p[j] == '^') {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				return "", fmt.Errorf("unterminated character class at offset %d", i)
			}
			class := p[i+1 : j]
			b.WriteString("[")
			if strings.HasPrefix(class, "!") || strings.HasPrefix(class, "^") {
				b.WriteString("^")
				class = class[1:]
			}
			for k := 0; k < len(class); k++ {
				if class[k] == '\\' || class[k] == '[' || (class[k] == ']' && k > 0) {
					b.WriteByte('\\')
				}
				b.WriteByte(class[k])
			}
			b.WriteString("]")
			i = j
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth == 0 {
				return "", fmt.Errorf("unmatched } at offset %d", i)
			}
			depth--
			b.WriteString(")")
		case ',':
			if depth > 0 {
				b.WriteString("|")
			} else {
				b.WriteString(",")
			}
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			} else {
				b.WriteString(`\\`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	if depth != 0 {
		return "", fmt.Errorf("unmatched {")
	}
	b.WriteString("$")
	return b.String(), nil
}

// MatchString reports whether path matches the glob (without touching the disk).
func (g *Glob) MatchString(path string) bool {
	switch g.kind {
	case globLiteral:
		return path == g.pattern
	case globSimple:
		ok, _ := filepath.Match(g.pattern, path)
		return ok
	}
	return g.re.MatchString(path)
}

// Scan returns every non-directory file the glob matches now (symlinks
// resolved, so a symlink to a directory is left out). Errors reading
// individual directories are skipped, as a missing file is.
func (g *Glob) Scan() []Match { return Stat(g.ScanPaths()) }

// ScanPaths returns the paths the glob matches now without stat-ing them
// (real directories are left out; a symlink to one is not, see Stat).
func (g *Glob) ScanPaths() []string {
	switch g.kind {
	case globLiteral:
		return []string{g.pattern}
	case globSimple:
		paths, _ := filepath.Glob(g.pattern)
		return paths
	}
	g.gen++
	var paths []string
	now := time.Now()
	g.walk(g.root, 0, now, &paths)
	for d, l := range g.cache {
		if l.gen != g.gen {
			delete(g.cache, d)
		}
	}
	return paths
}

func (g *Glob) walk(dir string, depth int, now time.Time, out *[]string) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return
	}
	l := g.cache[dir]
	if l == nil || !l.mtime.Equal(fi.ModTime()) || l.read.Sub(l.mtime) < mtimeSlack {
		l = g.list(dir, fi.ModTime(), now)
		g.cache[dir] = l
	}
	l.gen = g.gen
	*out = append(*out, l.matched...)
	if g.maxDepth >= 0 && depth >= g.maxDepth {
		return
	}
	for _, name := range l.subdirs {
		g.walk(joinPath(dir, name), depth+1, now, out)
	}
}

func (g *Glob) list(dir string, mtime, now time.Time) *dirListing {
	l := &dirListing{mtime: mtime, read: now}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return l
	}
	for _, e := range ents {
		full := joinPath(dir, e.Name())
		if e.Type()&fs.ModeDir != 0 {
			// Real directories only: symlinked directories are not walked (loops).
			l.subdirs = append(l.subdirs, e.Name())
			continue
		}
		if g.re.MatchString(full) {
			l.matched = append(l.matched, full)
		}
	}
	return l
}

func joinPath(dir, name string) string {
	switch dir {
	case ".":
		return name
	case "/":
		return "/" + name
	}
	return dir + "/" + name
}

// Stat stats paths (following symlinks) and keeps the regular files.
func Stat(paths []string) []Match {
	out := make([]Match, 0, len(paths))
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue // missing, a directory, or a FIFO/device (opening a FIFO would block)
		}
		out = append(out, Match{Path: p, Info: fi})
	}
	return out
}
