// Package query evaluates CloudWatch Logs filter patterns (FilterLogEvents,
// metric and subscription filters, Live Tail) and a subset of the Logs
// Insights query language against log events.
//
// A filter pattern is compiled once with CompileFilter and then matched
// against many messages with (*Filter).Match. The pattern kind is chosen by
// its first non-space character, as CloudWatch Logs does:
//
//	{ ... }   JSON pattern:            { $.level = "ERROR" && $.latency > 500 }
//	[ ... ]   space-delimited pattern: [ip, user, ..., status = 4*, bytes > 1000]
//	%...%     bare regular expression: %ERROR|WARN%
//	other     terms:                   ERROR "disk full" -debug ?db ?net
//
// Patterns are case-sensitive. The empty pattern matches every message.
//
// Where the AWS documentation leaves behaviour open, this package decides:
//
//   - Terms: plain terms before the first ?term are required; each ?term
//     opens an alternative that also takes the plain terms after it
//     ("?ERROR MainThread ?WARN Deadlock", as the AWS CDK writes term
//     groups); -terms must be absent. Unquoted terms may not hold
//     " ( ) { } [ ] % & | = < > ! , or \; quoted phrases may, with \" and
//     \\ as escapes.
//   - %regex%: the characters AWS lists plus the space; '(' ')' and
//     multi-byte characters are rejected; at most 2 per pattern; RE2
//     semantics, unanchored.
//   - JSON: a missing selector fails every comparison, = and != alike;
//     string values also match the text of numbers and booleans; numeric
//     comparisons accept strings holding plain decimals; "*" tests only
//     that the selector exists.
//   - Space-delimited: fields split on whitespace, with "..." and [...]
//     taken whole without their delimiters; "..." may appear any number
//     of times; all conditions in one field must name that field.
//
// ParseInsights and (*Query).Run evaluate the Logs Insights subset that
// StartQuery and GetQueryResults need.
package query

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// MaxPatternLength is the longest filter pattern CloudWatch Logs accepts,
// in characters (FilterLogEvents.filterPattern, PutMetricFilter, ...).
const MaxPatternLength = 1024

// MaxRegexPerPattern is how many %regex% values one filter pattern may hold
// (CloudWatch Logs quota: "2 regex per filter pattern").
const MaxRegexPerPattern = 2

// kind is the syntax family of a compiled pattern.
type kind uint8

const (
	kindAll   kind = iota // empty pattern: everything matches
	kindTerms             // terms, "phrases", ?or, -exclude
	kindRegex             // %regex%
	kindJSON              // { ... }
	kindSpace             // [ ... ]
)

// Filter is a compiled filter pattern. It is immutable and safe for
// concurrent use by many goroutines.
type Filter struct {
	pattern string
	kind    kind

	// kindTerms: every term in all must occur, none of none may occur,
	// and when there are groups, every term of at least one group must
	// occur. A group is a ?term and the plain terms that follow it.
	all, none []string
	groups    [][]string

	// kindRegex
	re *regexp.Regexp

	// kindJSON
	json *expr

	// kindSpace
	space *spacePattern

	// kindJSON, kindSpace: substrings every matching message holds (the
	// literal text of "=" conditions that must all hold), checked before
	// the message is parsed. For JSON only messages without escapes are
	// checked this way, since an escape can spell the same text otherwise.
	required []string
}

// SyntaxError is the error CompileFilter returns for a pattern it cannot
// parse. Pos is the 1-based character position of the problem in the
// pattern (0 when the problem is the pattern as a whole).
type SyntaxError struct {
	Pattern string
	Pos     int
	Msg     string
}

func (e *SyntaxError) Error() string {
	if e.Pos <= 0 {
		return "invalid filter pattern: " + e.Msg
	}
	return fmt.Sprintf("invalid filter pattern at position %d: %s", e.Pos, e.Msg)
}

// syntaxErr builds a SyntaxError for the byte offset off of pattern.
func syntaxErr(pattern string, off int, format string, args ...any) *SyntaxError {
	if off > len(pattern) {
		off = len(pattern)
	}
	return &SyntaxError{
		Pattern: pattern,
		Pos:     utf8.RuneCountInString(pattern[:off]) + 1,
		Msg:     fmt.Sprintf(format, args...),
	}
}

// CompileFilter parses a CloudWatch Logs filter pattern. The empty (or
// all-blank) pattern matches every event. A pattern that does not parse
// gives a *SyntaxError naming the position and the problem.
func CompileFilter(pattern string) (*Filter, error) {
	if n := utf8.RuneCountInString(pattern); n > MaxPatternLength {
		return nil, &SyntaxError{Pattern: pattern, Msg: fmt.Sprintf("pattern is %d characters long, the limit is %d", n, MaxPatternLength)}
	}
	f := &Filter{pattern: pattern}
	start := skipSpace(pattern, 0)
	if start == len(pattern) {
		f.kind = kindAll
		return f, nil
	}
	var err error
	switch pattern[start] {
	case '{':
		f.kind = kindJSON
		f.json, err = parseJSONPattern(pattern, start)
		if err == nil {
			f.required = requiredLiterals(f.json, nil)
		}
	case '[':
		f.kind = kindSpace
		f.space, err = parseSpacePattern(pattern, start)
		if err == nil {
			for _, sl := range f.space.slots {
				if sl.cond != nil {
					f.required = requiredLiterals(sl.cond, f.required)
				}
			}
		}
	case '%':
		f.kind = kindRegex
		f.re, err = parseBareRegex(pattern, start)
	default:
		f.kind = kindTerms
		err = parseTerms(f, pattern, start)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Regexes returns how many %regex% values the pattern holds (CloudWatch
// Logs allows 2 per pattern, which CompileFilter enforces, and 5 per log
// group across its metric and subscription filters, which is the caller's to
// check).
func (f *Filter) Regexes() int {
	switch f.kind {
	case kindRegex:
		return 1
	case kindJSON:
		return countRegexes(f.json)
	case kindSpace:
		n := 0
		for _, sl := range f.space.slots {
			if sl.cond != nil {
				n += countRegexes(sl.cond)
			}
		}
		return n
	}
	return 0
}

func countRegexes(e *expr) int {
	if e == nil {
		return 0
	}
	if e.op == 'c' {
		if e.c.vk == valRegex {
			return 1
		}
		return 0
	}
	return countRegexes(e.l) + countRegexes(e.r)
}

// String returns the pattern the filter was compiled from.
func (f *Filter) String() string { return f.pattern }

// MatchAll reports whether the filter matches every message (the empty
// pattern), so that callers can skip calling Match.
func (f *Filter) MatchAll() bool { return f.kind == kindAll }

// Match reports whether message matches the pattern. It does not allocate
// for term, space-delimited and most JSON patterns.
func (f *Filter) Match(message string) bool {
	switch f.kind {
	case kindAll:
		return true
	case kindTerms:
		return f.matchTerms(message)
	case kindRegex:
		return f.re.MatchString(message)
	case kindJSON:
		if len(f.required) > 0 && strings.IndexByte(message, '\\') < 0 && !containsAll(message, f.required) {
			return false
		}
		return matchJSON(f.json, message)
	case kindSpace:
		if !containsAll(message, f.required) {
			return false
		}
		return f.space.match(message)
	}
	return false
}

// MatchBytes is Match for a message held in a byte slice, without copying
// it. The filter does not retain message.
func (f *Filter) MatchBytes(message []byte) bool {
	return f.Match(unsafe.String(unsafe.SliceData(message), len(message)))
}

// Literals returns substrings that every matching message contains (the
// required terms of a term pattern, the literal text of the = conditions
// of a space-delimited one), for use as a pre-filter such as a bloom
// filter or an index skip. A nil result means no such guarantee is known.
// The caller must not modify the returned slice.
func (f *Filter) Literals() []string {
	switch f.kind {
	case kindTerms:
		return f.all
	case kindSpace:
		return f.required // fields are verbatim substrings of the message
	}
	return nil
}

func (f *Filter) matchTerms(m string) bool {
	for _, t := range f.all {
		if !strings.Contains(m, t) {
			return false
		}
	}
	for _, t := range f.none {
		if strings.Contains(m, t) {
			return false
		}
	}
	if len(f.groups) == 0 {
		return true
	}
groups:
	for _, g := range f.groups {
		for _, t := range g {
			if !strings.Contains(m, t) {
				continue groups
			}
		}
		return true
	}
	return false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func containsAll(m string, subs []string) bool {
	for _, t := range subs {
		if !strings.Contains(m, t) {
			return false
		}
	}
	return true
}

// requiredLiterals appends to out the longest literal piece of every "="
// string condition that e needs to hold (those joined by && only).
func requiredLiterals(e *expr, out []string) []string {
	switch e.op {
	case '&':
		return requiredLiterals(e.r, requiredLiterals(e.l, out))
	case 'c':
		if e.c.op == opEq && e.c.vk == valGlob {
			best := ""
			for _, p := range e.c.glob.parts {
				if len(p) > len(best) {
					best = p
				}
			}
			if best != "" {
				out = append(out, best)
			}
		}
	}
	return out
}

// Extract reports whether message matches and, when it does, the values
// the pattern names, keyed as TestMetricFilter's extractedValues are: for
// a space-delimited pattern every named field as "$name"; for a JSON
// pattern every selector the pattern uses ("$.a.b") that holds a string,
// number, boolean or null. Other patterns extract nothing.
func (f *Filter) Extract(message string) (map[string]string, bool) {
	if !f.Match(message) {
		return nil, false
	}
	out := make(map[string]string)
	switch f.kind {
	case kindSpace:
		fields := splitFields(message, nil)
		at := make([]int, len(f.space.slots))
		f.space.assign(message, fields, at)
		for i, sl := range f.space.slots {
			if !sl.ellipsis {
				fs := fields[at[i]]
				out["$"+sl.name] = message[fs.start:fs.end]
			}
		}
	case kindJSON:
		extractJSON(f.json, message, out)
	}
	return out, true
}

func extractJSON(e *expr, msg string, out map[string]string) {
	if e.op != 'c' {
		extractJSON(e.l, msg, out)
		extractJSON(e.r, msg, out)
		return
	}
	v := jsonLookup(msg, e.c.path)
	if v.kind == sNull {
		out[e.c.field] = "null"
	} else if s, ok := v.str(); ok {
		out[e.c.field] = s
	}
}
