package query

import (
	"regexp"
	"strconv"
	"strings"
)

// This file holds what JSON and space-delimited patterns share: the lexer,
// the boolean expression tree of conditions, and value comparison.

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tAnd
	tOr
	tComma
	tOp     // = != < <= > >=
	tString // "..."
	tRegex  // %...%
	tWord   // anything else: selectors, names, unquoted values, keywords
)

func (k tokKind) String() string {
	switch k {
	case tEOF:
		return "end of pattern"
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tAnd:
		return `"&&"`
	case tOr:
		return `"||"`
	case tComma:
		return `","`
	case tOp:
		return "operator"
	case tString:
		return "quoted string"
	case tRegex:
		return "regex"
	}
	return "word"
}

type opKind uint8

const (
	opEq opKind = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIsNull
	opNotExists
	opIsTrue
	opIsFalse
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IS NULL", "NOT EXISTS", "IS TRUE", "IS FALSE"}

func (o opKind) String() string { return opNames[o] }

type token struct {
	kind tokKind
	pos  int    // byte offset in the whole pattern
	text string // raw text (for tString: without the quotes, escapes intact)
	op   opKind
	re   *regexp.Regexp
}

// lexer tokenizes pattern[pos:end].
type lexer struct {
	pattern string
	pos     int
	end     int
	tok     token  // current token
	regexes int    // %regex% values seen so far
	subject string // what a condition starts with, for messages: "selector" or "field name"
}

// wordStop lists the bytes that end an unquoted word.
const wordStop = "()=!<>&|,\"%"

// next advances to the next token.
func (lx *lexer) next() error {
	p := lx.pattern
	i := lx.pos
	for i < lx.end && isSpace(p[i]) {
		i++
	}
	lx.tok = token{pos: i}
	if i >= lx.end {
		lx.tok.kind = tEOF
		lx.pos = i
		return nil
	}
	c := p[i]
	two := ""
	if i+1 < lx.end {
		two = p[i : i+2]
	}
	switch {
	case c == '(':
		lx.tok.kind, lx.pos = tLParen, i+1
	case c == ')':
		lx.tok.kind, lx.pos = tRParen, i+1
	case c == ',':
		lx.tok.kind, lx.pos = tComma, i+1
	case two == "&&":
		lx.tok.kind, lx.pos = tAnd, i+2
	case two == "||":
		lx.tok.kind, lx.pos = tOr, i+2
	case c == '&' || c == '|':
		return syntaxErr(p, i, "%q must be doubled: use %q", c, string([]byte{c, c}))
	case two == "!=":
		lx.tok.kind, lx.tok.op, lx.pos = tOp, opNe, i+2
	case two == "<=":
		lx.tok.kind, lx.tok.op, lx.pos = tOp, opLe, i+2
	case two == ">=":
		lx.tok.kind, lx.tok.op, lx.pos = tOp, opGe, i+2
	case c == '=':
		lx.tok.kind, lx.tok.op, lx.pos = tOp, opEq, i+1
		if two == "==" {
			lx.pos = i + 2 // tolerate "==" as "="
		}
	case c == '<':
		lx.tok.kind, lx.tok.op, lx.pos = tOp, opLt, i+1
	case c == '>':
		lx.tok.kind, lx.tok.op, lx.pos = tOp, opGt, i+1
	case c == '!':
		return syntaxErr(p, i, `unexpected "!"; did you mean "!="?`)
	case c == '"':
		j := i + 1
		for j < lx.end && p[j] != '"' {
			if p[j] == '\\' && j+1 < lx.end {
				j++
			}
			j++
		}
		if j >= lx.end {
			return syntaxErr(p, i, "unterminated quoted string")
		}
		lx.tok.kind, lx.tok.text, lx.pos = tString, p[i+1:j], j+1
	case c == '%':
		// scanRegex reads up to the next '%', which is inside [pos, end).
		re, after, err := scanRegex(p[:lx.end], i)
		if err != nil {
			err.(*SyntaxError).Pattern = p
			return err
		}
		lx.regexes++
		if lx.regexes > MaxRegexPerPattern {
			return syntaxErr(p, i, "too many regexes: a filter pattern may hold at most %d", MaxRegexPerPattern)
		}
		lx.tok.kind, lx.tok.re, lx.tok.text, lx.pos = tRegex, re, p[i+1:after-1], after
	default:
		j := i
		for j < lx.end && !isSpace(p[j]) && strings.IndexByte(wordStop, p[j]) < 0 {
			j++
		}
		lx.tok.kind, lx.tok.text, lx.pos = tWord, p[i:j], j
	}
	return nil
}

func (lx *lexer) errf(format string, args ...any) error {
	return syntaxErr(lx.pattern, lx.tok.pos, format, args...)
}

// describe names the current token for error messages.
func (lx *lexer) describe() string {
	switch lx.tok.kind {
	case tWord:
		return strconv.Quote(lx.tok.text)
	case tOp:
		return strconv.Quote(lx.tok.op.String())
	case tString:
		return "quoted string \"" + lx.tok.text + "\""
	case tRegex:
		return "regex %" + lx.tok.text + "%"
	}
	return lx.tok.kind.String()
}

// expr is a boolean expression over conditions.
type expr struct {
	op   byte // 'c' condition, '&' and, '|' or
	l, r *expr
	c    *cond
}

type valueKind uint8

const (
	valNone   valueKind = iota // IS NULL, NOT EXISTS, IS TRUE, IS FALSE
	valGlob                    // string with optional * wildcards
	valNumber                  // decimal number
	valRegex                   // %regex%
	valExists                  // "*": present with any value
)

// cond is one comparison: subject OP value.
type cond struct {
	path  []pathElem // JSON patterns: the selector
	field string     // space-delimited patterns: the field name; JSON: the selector text
	op    opKind
	vk    valueKind
	glob  glob
	num   float64
	re    *regexp.Regexp
}

// condParser parses the subject of a condition (the word before the
// operator) into c.
type condParser func(lx *lexer, c *cond) error

// parseOr parses: and ('||' and)*.
func parseOr(lx *lexer, subj condParser) (*expr, error) {
	l, err := parseAnd(lx, subj)
	if err != nil {
		return nil, err
	}
	for lx.tok.kind == tOr {
		if err := lx.next(); err != nil {
			return nil, err
		}
		r, err := parseAnd(lx, subj)
		if err != nil {
			return nil, err
		}
		l = &expr{op: '|', l: l, r: r}
	}
	return l, nil
}

// parseAnd parses: unary ('&&' unary)*.
func parseAnd(lx *lexer, subj condParser) (*expr, error) {
	l, err := parseUnary(lx, subj)
	if err != nil {
		return nil, err
	}
	for lx.tok.kind == tAnd {
		if err := lx.next(); err != nil {
			return nil, err
		}
		r, err := parseUnary(lx, subj)
		if err != nil {
			return nil, err
		}
		l = &expr{op: '&', l: l, r: r}
	}
	return l, nil
}

// parseUnary parses: '(' or ')' | condition.
func parseUnary(lx *lexer, subj condParser) (*expr, error) {
	if lx.tok.kind == tLParen {
		open := lx.tok.pos
		if err := lx.next(); err != nil {
			return nil, err
		}
		e, err := parseOr(lx, subj)
		if err != nil {
			return nil, err
		}
		if lx.tok.kind != tRParen {
			if lx.tok.kind == tEOF {
				return nil, syntaxErr(lx.pattern, open, `unclosed "("`)
			}
			return nil, lx.errf(`expected ")" or an operator, found %s`, lx.describe())
		}
		return e, lx.next()
	}
	c, err := parseCond(lx, subj)
	if err != nil {
		return nil, err
	}
	return &expr{op: 'c', c: c}, nil
}

// parseCond parses: subject (op value | IS NULL | IS TRUE | IS FALSE | NOT EXISTS).
func parseCond(lx *lexer, subj condParser) (*cond, error) {
	if lx.tok.kind != tWord {
		return nil, lx.errf("expected a %s, found %s", lx.subject, lx.describe())
	}
	c := &cond{}
	if err := subj(lx, c); err != nil {
		return nil, err
	}
	if err := lx.next(); err != nil {
		return nil, err
	}
	if lx.tok.kind == tWord && c.path != nil {
		switch strings.ToUpper(lx.tok.text) {
		case "IS":
			if err := lx.next(); err != nil {
				return nil, err
			}
			if lx.tok.kind == tWord {
				switch strings.ToUpper(lx.tok.text) {
				case "NULL":
					c.op = opIsNull
				case "TRUE":
					c.op = opIsTrue
				case "FALSE":
					c.op = opIsFalse
				}
			}
			if c.op == opEq {
				return nil, lx.errf("expected NULL, TRUE or FALSE after IS, found %s", lx.describe())
			}
			return c, lx.next()
		case "NOT":
			if err := lx.next(); err != nil {
				return nil, err
			}
			if lx.tok.kind != tWord || strings.ToUpper(lx.tok.text) != "EXISTS" {
				return nil, lx.errf("expected EXISTS after NOT, found %s", lx.describe())
			}
			c.op = opNotExists
			return c, lx.next()
		}
	}
	if lx.tok.kind != tOp {
		if c.path == nil && lx.tok.kind == tWord {
			return nil, lx.errf(`expected "," or a comparison operator after field %q, found %s`, c.field, lx.describe())
		}
		return nil, lx.errf("expected a comparison operator (= != < <= > >=), found %s", lx.describe())
	}
	c.op = lx.tok.op
	if err := lx.next(); err != nil {
		return nil, err
	}
	valPos := lx.tok.pos
	switch lx.tok.kind {
	case tString:
		g := compileGlob(lx.tok.text, true)
		if lx.tok.text == "*" {
			c.vk = valExists
		} else {
			c.vk, c.glob = valGlob, g
		}
	case tRegex:
		c.vk, c.re = valRegex, lx.tok.re
	case tWord:
		if n, ok := parseDecimal(lx.tok.text); ok {
			c.vk, c.num = valNumber, n
		} else if lx.tok.text == "*" {
			c.vk = valExists
		} else {
			c.vk, c.glob = valGlob, compileGlob(lx.tok.text, false)
		}
	default:
		return nil, lx.errf("expected a value after %q, found %s", c.op.String(), lx.describe())
	}
	if c.vk != valNumber && c.op != opEq && c.op != opNe {
		return nil, syntaxErr(lx.pattern, valPos, "operator %q needs a number; strings and regexes allow only = and !=", c.op.String())
	}
	return c, lx.next()
}

// parseDecimal parses an optionally signed decimal number without an
// exponent ("Strings in scientific notation are not supported").
func parseDecimal(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// glob is a string pattern in which '*' matches any run of characters.
type glob struct {
	parts []string // literal pieces around the stars; len(parts)-1 stars
}

// compileGlob splits s on '*'. In a quoted value (escapes true) \" and \\
// stand for " and \, and \* is a literal star.
func compileGlob(s string, escapes bool) glob {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escapes && c == '\\' && i+1 < len(s) && strings.IndexByte(`"\*`, s[i+1]) >= 0 {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '*' {
			parts = append(parts, b.String())
			b.Reset()
			continue
		}
		b.WriteByte(c)
	}
	return glob{parts: append(parts, b.String())}
}

func (g *glob) match(s string) bool {
	p := g.parts
	if len(p) == 1 {
		return s == p[0]
	}
	if !strings.HasPrefix(s, p[0]) {
		return false
	}
	s = s[len(p[0]):]
	last := p[len(p)-1]
	if len(s) < len(last) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[:len(s)-len(last)]
	for _, mid := range p[1 : len(p)-1] {
		k := strings.Index(s, mid)
		if k < 0 {
			return false
		}
		s = s[k+len(mid):]
	}
	return true
}

// subjKind is the type of the value a condition looks at.
type subjKind uint8

const (
	sMissing subjKind = iota
	sString
	sNumber
	sTrue
	sFalse
	sNull
	sObject
	sArray
)

// subject is the value a condition is evaluated on: a JSON value found
// by a selector, or a field of a space-delimited message.
type subject struct {
	kind    subjKind
	text    string // sString: the characters between the quotes; sNumber: the literal
	escaped bool   // sString text holds JSON escapes
}

// str returns the subject as text for string comparison.
func (v subject) str() (string, bool) {
	switch v.kind {
	case sString:
		if v.escaped {
			return unescapeJSON(v.text), true
		}
		return v.text, true
	case sNumber:
		return v.text, true
	case sTrue:
		return "true", true
	case sFalse:
		return "false", true
	}
	return "", false
}

// number returns the subject as a number for numeric comparison. Strings
// holding a plain decimal number count as numbers.
func (v subject) number() (float64, bool) {
	switch v.kind {
	case sNumber:
		n, err := strconv.ParseFloat(v.text, 64)
		return n, err == nil
	case sString:
		if v.escaped {
			return 0, false
		}
		return parseDecimal(v.text)
	}
	return 0, false
}

// eval evaluates condition c on the subject v. A missing subject matches
// only NOT EXISTS; a type mismatch never matches.
func (c *cond) eval(v subject) bool {
	switch c.op {
	case opNotExists:
		return v.kind == sMissing
	case opIsNull:
		return v.kind == sNull
	case opIsTrue:
		return v.kind == sTrue
	case opIsFalse:
		return v.kind == sFalse
	}
	if v.kind == sMissing {
		return false
	}
	switch c.vk {
	case valExists:
		return c.op == opEq
	case valNumber:
		n, ok := v.number()
		if !ok {
			return false
		}
		switch c.op {
		case opEq:
			return n == c.num
		case opNe:
			return n != c.num
		case opLt:
			return n < c.num
		case opLe:
			return n <= c.num
		case opGt:
			return n > c.num
		case opGe:
			return n >= c.num
		}
		return false
	case valGlob, valRegex:
		s, ok := v.str()
		if !ok {
			return false
		}
		var m bool
		if c.vk == valGlob {
			m = c.glob.match(s)
		} else {
			m = c.re.MatchString(s)
		}
		return m == (c.op == opEq)
	}
	return false
}
