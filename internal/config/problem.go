package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxValueShown is how many characters of a value a problem quotes before it
// cuts the rest with an ellipsis, so one huge string cannot flood a terminal.
const maxValueShown = 80

// Problem is one reason a configuration is invalid.
type Problem struct {
	File  string // the file the offending value came from; "" when unknown
	Path  string // JSON path, e.g. logs.logs_collected.files.collect_list[2].retention_in_days
	Value string // the offending value as JSON (shortened); "" when the rule is about a key
	Rule  string // what the value breaks, e.g. "is not one of -1, 1, 3"
}

// String renders the problem as "FILE: PATH: VALUE RULE".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	if p.Value != "" {
		b.WriteString(p.Value)
		b.WriteString(" ")
	}
	b.WriteString(p.Rule)
	return b.String()
}

// ValidationError lists every problem found in a configuration.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// showValue renders v as compact JSON, shortened to maxValueShown characters.
func showValue(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	if utf8.RuneCountInString(s) > maxValueShown {
		r := []rune(s)
		s = string(r[:maxValueShown]) + "…"
	}
	return s
}

// joinPath appends an object key to a JSON path. Keys that are not plain
// identifiers (service.name) are written in brackets so the path stays
// unambiguous.
func joinPath(path, key string) string {
	plain := key != ""
	for i, r := range key {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if !plain {
		q, _ := json.Marshal(key)
		return path + "[" + string(q) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends an array index to a JSON path.
func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
