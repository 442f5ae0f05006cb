// Package query evaluates CloudWatch Logs filter patterns (and, later, Logs
// Insights queries) against log events.
package query

import "strings"

// Filter is a compiled filter pattern.
type Filter struct {
	terms []string
}

// CompileFilter parses a FilterLogEvents filter pattern. The empty pattern
// matches every event.
//
// This first version handles plain terms only; the full language lands next.
func CompileFilter(pattern string) (*Filter, error) {
	return &Filter{terms: strings.Fields(pattern)}, nil
}

// Match reports whether message matches the pattern.
func (f *Filter) Match(message string) bool {
	for _, t := range f.terms {
		if !strings.Contains(message, t) {
			return false
		}
	}
	return true
}
