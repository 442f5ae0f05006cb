package query

import (
	"encoding/json"
	"strconv"
	"strings"
)

// maxJSONDepth bounds the nesting of a message parsed as JSON; deeper
// messages are treated as not JSON rather than risking deep recursion.
const maxJSONDepth = 512

// pathElem is one step of a JSON selector: .key or [index].
type pathElem struct {
	key   string
	index int // -1 for a key step
}

// parseJSONPattern parses "{ expr }" starting at pattern[start] == '{'.
func parseJSONPattern(pattern string, start int) (*expr, error) {
	end := len(pattern)
	for end > start && isSpace(pattern[end-1]) {
		end--
	}
	if pattern[end-1] != '}' || end-1 == start {
		return nil, syntaxErr(pattern, end, `a pattern that starts with "{" must end with "}"`)
	}
	lx := &lexer{pattern: pattern, pos: start + 1, end: end - 1, subject: "selector"}
	if err := lx.next(); err != nil {
		return nil, err
	}
	if lx.tok.kind == tEOF {
		return nil, lx.errf(`empty JSON pattern: expected a condition such as { $.level = "ERROR" }`)
	}
	e, err := parseOr(lx, parseSelector)
	if err != nil {
		return nil, err
	}
	if lx.tok.kind != tEOF {
		return nil, lx.errf(`expected "&&", "||" or "}", found %s`, lx.describe())
	}
	return e, nil
}

// parseSelector parses a JSON selector such as $.a.b[0].c into c.path.
func parseSelector(lx *lexer, c *cond) error {
	s := lx.tok.text
	base := lx.tok.pos
	if s[0] != '$' {
		return lx.errf("expected a selector starting with \"$.\", found %q", s)
	}
	c.path = make([]pathElem, 0, 4)
	c.field = s
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' {
				j++
			}
			if j == i+1 {
				return syntaxErr(lx.pattern, base+i, "empty key in selector %q", s)
			}
			c.path = append(c.path, pathElem{key: s[i+1 : j], index: -1})
			i = j
		case '[':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 || j >= len(s) || s[j] != ']' {
				return syntaxErr(lx.pattern, base+i, "expected an array index like [0] in selector %q", s)
			}
			n, err := strconv.Atoi(s[i+1 : j])
			if err != nil {
				return syntaxErr(lx.pattern, base+i, "array index too large in selector %q", s)
			}
			c.path = append(c.path, pathElem{index: n})
			i = j + 1
		default:
			return syntaxErr(lx.pattern, base+i, "unexpected %q in selector %q; expected \".\" or \"[\"", s[i], s)
		}
	}
	if len(c.path) == 0 {
		return lx.errf("selector %q selects nothing; use $.field", s)
	}
	return nil
}

// matchJSON reports whether message is JSON and satisfies e.
func matchJSON(e *expr, message string) bool {
	if !jsonValid(message) {
		return false
	}
	return evalJSON(e, message)
}

func evalJSON(e *expr, msg string) bool {
	switch e.op {
	case '&':
		return evalJSON(e.l, msg) && evalJSON(e.r, msg)
	case '|':
		return evalJSON(e.l, msg) || evalJSON(e.r, msg)
	}
	return e.c.eval(jsonLookup(msg, e.c.path))
}

// jsonValid reports whether s is exactly one JSON value, with optional
// surrounding whitespace.
func jsonValid(s string) bool {
	i := skipSpace(s, 0)
	end, ok := skipValue(s, i, 0)
	if !ok {
		return false
	}
	return skipSpace(s, end) == len(s)
}

// skipValue checks the JSON value at s[i] and returns the offset just
// after it.
func skipValue(s string, i, depth int) (int, bool) {
	if i >= len(s) || depth > maxJSONDepth {
		return i, false
	}
	switch c := s[i]; {
	case c == '{':
		i = skipSpace(s, i+1)
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = skipString(s, i); !ok {
				return i, false
			}
			i = skipSpace(s, i)
			if i >= len(s) || s[i] != ':' {
				return i, false
			}
			if i, ok = skipValue(s, skipSpace(s, i+1), depth+1); !ok {
				return i, false
			}
			i = skipSpace(s, i)
			if i >= len(s) {
				return i, false
			}
			if s[i] == '}' {
				return i + 1, true
			}
			if s[i] != ',' {
				return i, false
			}
			i = skipSpace(s, i+1)
		}
	case c == '[':
		i = skipSpace(s, i+1)
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skipValue(s, i, depth+1); !ok {
				return i, false
			}
			i = skipSpace(s, i)
			if i >= len(s) {
				return i, false
			}
			if s[i] == ']' {
				return i + 1, true
			}
			if s[i] != ',' {
				return i, false
			}
			i = skipSpace(s, i+1)
		}
	case c == '"':
		return skipString(s, i)
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(s, i)
	case strings.HasPrefix(s[i:], "true"):
		return i + 4, true
	case strings.HasPrefix(s[i:], "false"):
		return i + 5, true
	case strings.HasPrefix(s[i:], "null"):
		return i + 4, true
	}
	return i, false
}

// skipString checks the JSON string at s[i] == '"'.
func skipString(s string, i int) (int, bool) {
	i++
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(s) {
				return i, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) {
					return i, false
				}
				for _, h := range []byte(s[i+2 : i+6]) {
					if !isHex(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			i++
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipNumber checks the JSON number at s[i].
func skipNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return i, false
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return i, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return i, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i, true
}

// jsonLookup follows path in the valid JSON document s; a nil path
// describes s itself.
func jsonLookup(s string, path []pathElem) subject {
	i := skipSpace(s, 0)
	for _, p := range path {
		if i >= len(s) {
			return subject{}
		}
		if p.index >= 0 {
			if s[i] != '[' {
				return subject{}
			}
			i = skipSpace(s, i+1)
			if i < len(s) && s[i] == ']' {
				return subject{}
			}
			for n := 0; ; n++ {
				if n == p.index {
					break
				}
				i, _ = skipValue(s, i, 0)
				i = skipSpace(s, i)
				if i >= len(s) || s[i] != ',' {
					return subject{}
				}
				i = skipSpace(s, i+1)
			}
			continue
		}
		if s[i] != '{' {
			return subject{}
		}
		i = skipSpace(s, i+1)
		found := false
		for i < len(s) && s[i] == '"' {
			kend, _ := skipString(s, i)
			key := s[i+1 : kend-1]
			i = skipSpace(s, skipSpace(s, kend)+1) // past ':'
			if keyEqual(key, p.key) {
				found = true
				break
			}
			i, _ = skipValue(s, i, 0)
			i = skipSpace(s, i)
			if i >= len(s) || s[i] != ',' {
				return subject{}
			}
			i = skipSpace(s, i+1)
		}
		if !found {
			return subject{}
		}
	}
	if i >= len(s) {
		return subject{}
	}
	switch c := s[i]; {
	case c == '"':
		end, _ := skipString(s, i)
		text := s[i+1 : end-1]
		return subject{kind: sString, text: text, escaped: strings.IndexByte(text, '\\') >= 0}
	case c == '{':
		return subject{kind: sObject}
	case c == '[':
		return subject{kind: sArray}
	case c == 't':
		return subject{kind: sTrue}
	case c == 'f':
		return subject{kind: sFalse}
	case c == 'n':
		return subject{kind: sNull}
	}
	end, _ := skipNumber(s, i)
	return subject{kind: sNumber, text: s[i:end]}
}

// keyEqual compares a raw JSON object key (between its quotes) with name.
func keyEqual(raw, name string) bool {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw == name
	}
	return unescapeJSON(raw) == name
}

// unescapeJSON decodes the characters of a valid JSON string (without
// its quotes). Only strings that hold escapes get here.
func unescapeJSON(raw string) string {
	var out string
	if err := json.Unmarshal([]byte(`"`+raw+`"`), &out); err != nil {
		return raw
	}
	return out
}

// jsonFind looks up a Logs Insights field name such as "req.status" or
// "tags.0" in the valid JSON document s. A dot may separate nested keys
// or be part of a key ("a.b" finds {"a.b":1} as well as {"a":{"b":1}});
// a number after a dot indexes an array.
func jsonFind(s string, name string, depth int) subject {
	i := skipSpace(s, 0)
	if i >= len(s) || depth > maxJSONDepth {
		return subject{}
	}
	switch s[i] {
	case '{':
		i = skipSpace(s, i+1)
		for i < len(s) && s[i] == '"' {
			kend, _ := skipString(s, i)
			key := s[i+1 : kend-1]
			vstart := skipSpace(s, skipSpace(s, kend)+1) // past ':'
			vend, _ := skipValue(s, vstart, 0)
			if keyEqual(key, name) {
				return jsonLookup(s[vstart:vend], nil)
			}
			if k := keyPrefix(key, name); k > 0 {
				if v := jsonFind(s[vstart:vend], name[k:], depth+1); v.kind != sMissing {
					return v
				}
			}
			i = skipSpace(s, vend)
			if i >= len(s) || s[i] != ',' {
				return subject{}
			}
			i = skipSpace(s, i+1)
		}
	case '[':
		dot := strings.IndexByte(name, '.')
		idxText, rest := name, ""
		if dot >= 0 {
			idxText, rest = name[:dot], name[dot+1:]
		}
		idx, err := strconv.Atoi(idxText)
		if err != nil || idx < 0 {
			return subject{}
		}
		if dot < 0 {
			return jsonLookup(s, []pathElem{{index: idx}})
		}
		// Find the element's extent to descend into it.
		return jsonFind(jsonElement(s, idx), rest, depth+1)
	}
	return subject{}
}

// keyPrefix returns len(key)+1 when name starts with key followed by a
// dot, else 0. Keys with escapes are compared decoded.
func keyPrefix(raw, name string) int {
	key := raw
	if strings.IndexByte(raw, '\\') >= 0 {
		key = unescapeJSON(raw)
	}
	if len(name) > len(key) && name[len(key)] == '.' && name[:len(key)] == key {
		return len(key) + 1
	}
	return 0
}

// jsonElement returns the text of element idx of the JSON array s.
func jsonElement(s string, idx int) string {
	i := skipSpace(s, skipSpace(s, 0)+1)
	for n := 0; i < len(s); n++ {
		end, ok := skipValue(s, i, 0)
		if !ok {
			return ""
		}
		if n == idx {
			return s[i:end]
		}
		i = skipSpace(s, end)
		if i >= len(s) || s[i] != ',' {
			return ""
		}
		i = skipSpace(s, i+1)
	}
	return ""
}
