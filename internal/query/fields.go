package query

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SystemFields are the fields every event has, as Logs Insights names them.
var SystemFields = []string{"@timestamp", "@message", "@logStream", "@log", "@ingestionTime"}

// MessageFields returns the fields a query discovers in a message, sorted:
// for a JSON object its keys flattened as queries name them (nested keys
// joined with '.', array elements numbered: req.status, tags.0); objects and
// arrays themselves are not fields. Other messages have none. At most max
// names are returned when max > 0.
func MessageFields(msg string, max int) []string {
	if i := skipSpace(msg, 0); i >= len(msg) || msg[i] != '{' || !jsonValid(msg) {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(msg), &v); err != nil {
		return nil
	}
	var out []string
	var walk func(prefix string, v any) bool
	walk = func(prefix string, v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "" || strings.ContainsRune(k, utf8.RuneError) {
					continue // a query cannot name it
				}
				if prefix != "" {
					k = prefix + "." + k
				}
				if !walk(k, e) {
					return false
				}
			}
		case []any:
			for i, e := range x {
				if !walk(prefix+"."+strconv.Itoa(i), e) {
					return false
				}
			}
		default:
			if max > 0 && len(out) == max {
				return false
			}
			out = append(out, prefix)
		}
		return true
	}
	walk("", v)
	slices.Sort(out)
	out = slices.Compact(out)
	// Keep what a query reads the same way (duplicate keys: the first wins).
	r := &record{ev: &Event{Message: msg}}
	return slices.DeleteFunc(out, func(name string) bool { return r.jsonField(name).k == kNull })
}
