package query

import (
	"fmt"
	"strings"
)

// MaxInsightsQueryLength is the longest Logs Insights query string
// StartQuery accepts, in characters.
const MaxInsightsQueryLength = 10000

// QueryError is the error ParseInsights returns for a query it cannot
// parse (the server answers MalformedQueryException). Pos is the 1-based
// character position of the problem, 0 for the query as a whole; End is
// the 1-based position of the last character of the offending token (Pos
// when the problem is one character or the end of the query).
type QueryError struct {
	Query string
	Pos   int
	End   int
	Msg   string
}

func (e *QueryError) Error() string {
	if e.Pos <= 0 {
		return "malformed query: " + e.Msg
	}
	return fmt.Sprintf("malformed query at position %d: %s", e.Pos, e.Msg)
}

type itok uint8

const (
	iEOF itok = iota
	iIdent
	iNumber
	iDuration // 5m, 1h: a number directly followed by a unit
	iString
	iRegex
	iPunct // | , ( ) [ ] = != < <= > >= =~ + - * / %
)

type itoken struct {
	kind itok
	pos  int    // byte offset in the query
	end  int    // byte offset just after the token
	text string // identifier (backticks removed), punctuation, decoded string, regex source, number text
}

// ilexer tokenizes a whole Logs Insights query up front.
type ilexer struct {
	src  string
	toks []itoken
}

func (q *ilexer) errAt(off int, format string, args ...any) *QueryError {
	pos := runePos(q.src, off)
	return &QueryError{Query: q.src, Pos: pos, End: pos, Msg: fmt.Sprintf(format, args...)}
}

func runePos(s string, off int) int {
	if off > len(s) {
		off = len(s)
	}
	return len([]rune(s[:off])) + 1
}

func isIdentStart(c byte) bool {
	return c == '@' || c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '.'
}

// lexInsights splits src into tokens. A '/' starts a regex unless it
// follows a value (an identifier, number, string or closing bracket), in
// which case it divides.
func lexInsights(src string) ([]itoken, error) {
	q := &ilexer{src: src}
	i := 0
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			q.toks = append(q.toks, itoken{kind: iEOF, pos: i, end: i})
			return q.toks, nil
		}
		c := src[i]
		start := i
		switch {
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '"' || c == '\'':
			var b strings.Builder
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' && i+1 < len(src) {
					i++
					switch src[i] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(src[i])
					}
					i++
					continue
				}
				b.WriteByte(src[i])
				i++
			}
			if i >= len(src) {
				return nil, q.errAt(start, "unterminated string")
			}
			i++
			q.toks = append(q.toks, itoken{kind: iString, pos: start, end: i, text: b.String()})
		case c == '/' && q.regexAllowed():
			i++
			var b strings.Builder
			for i < len(src) && src[i] != '/' {
				if src[i] == '\\' && i+1 < len(src) {
					if src[i+1] != '/' {
						b.WriteByte('\\')
					}
					b.WriteByte(src[i+1])
					i += 2
					continue
				}
				b.WriteByte(src[i])
				i++
			}
			if i >= len(src) {
				return nil, q.errAt(start, "unterminated regex: missing closing /")
			}
			i++
			q.toks = append(q.toks, itoken{kind: iRegex, pos: start, end: i, text: b.String()})
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, q.errAt(start, "unterminated `quoted` field name")
			}
			i += j + 2
			q.toks = append(q.toks, itoken{kind: iIdent, pos: start, end: i, text: src[start+1 : i-1]})
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			for i < len(src) && (isDigit(src[i]) || src[i] == '.') {
				i++
			}
			kind := iNumber
			if i < len(src) && ((src[i] >= 'a' && src[i] <= 'z') || (src[i] >= 'A' && src[i] <= 'Z')) {
				kind = iDuration
				for i < len(src) && ((src[i] >= 'a' && src[i] <= 'z') || (src[i] >= 'A' && src[i] <= 'Z')) {
					i++
				}
			}
			q.toks = append(q.toks, itoken{kind: kind, pos: start, end: i, text: src[start:i]})
		case isIdentStart(c):
			for i < len(src) && isIdentChar(src[i]) {
				i++
			}
			if c == '@' && i < len(src) && src[i] == '`' { // @`aws.tag.x:y`
				j := strings.IndexByte(src[i+1:], '`')
				if j < 0 {
					return nil, q.errAt(i, "unterminated `quoted` field name")
				}
				name := "@" + src[i+1:i+1+j]
				i += j + 2
				q.toks = append(q.toks, itoken{kind: iIdent, pos: start, end: i, text: name})
				continue
			}
			q.toks = append(q.toks, itoken{kind: iIdent, pos: start, end: i, text: src[start:i]})
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "!=", "<=", ">=", "=~", "==":
				i += 2
				if two == "==" {
					two = "="
				}
				q.toks = append(q.toks, itoken{kind: iPunct, pos: start, end: i, text: two})
				continue
			}
			if strings.IndexByte("|,()[]=<>+-*/%", c) < 0 {
				return nil, q.errAt(start, "unexpected character %q", c)
			}
			i++
			q.toks = append(q.toks, itoken{kind: iPunct, pos: start, end: i, text: string(c)})
		}
	}
}

// regexAllowed reports whether a '/' here starts a regex: it does unless
// the previous token ends a value.
func (q *ilexer) regexAllowed() bool {
	if len(q.toks) == 0 {
		return true
	}
	t := q.toks[len(q.toks)-1]
	switch t.kind {
	case iNumber, iDuration, iString, iRegex:
		return false
	case iIdent:
		// Keywords that take an operand: a regex may follow them.
		switch strings.ToLower(t.text) {
		case "like", "and", "or", "not", "in", "parse":
			return true
		}
		// "parse @message /re/": the field name is followed by a regex.
		if len(q.toks) >= 2 {
			p := q.toks[len(q.toks)-2]
			if p.kind == iIdent && strings.EqualFold(p.text, "parse") {
				return true
			}
		}
		return false
	case iPunct:
		return t.text != ")" && t.text != "]"
	}
	return true
}
