package query

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

type stageKind uint8

const (
	stFields stageKind = iota
	stDisplay
	stFilter
	stStats
	stSort
	stLimit
	stParse
	stDedup
)

// column is a named expression: "expr as name" in fields and stats by.
type column struct {
	name string
	x    node
}

type sortKey struct {
	x    node
	desc bool
}

// aggSpec is one aggregate function call of a stats command.
type aggSpec struct {
	fn  string // count count_distinct sum avg min max pct stddev earliest latest
	arg node   // nil for count(*)
	pct float64
}

type statsSpec struct {
	aggs []aggSpec // every aggregate call, in order
	outs []column  // output columns: expressions over aggregates
	by   []column
}

// aggRefNode stands for the result of aggregate i in a stats output
// expression such as sum(bytes) / count(*).
type aggRefNode struct{ i int }

func (n *aggRefNode) eval(r *record) ival {
	if n.i < len(r.aggs) {
		return r.aggs[n.i]
	}
	return ival{}
}

// parseSpec is "parse field "glob" as a, b" or "parse field /(?<a>re)/".
type parseSpec struct {
	field string
	re    *regexp.Regexp
	names []string // output field per capture group (index 1..)
}

type stage struct {
	kind  stageKind
	cols  []column // fields, display
	cond  node     // filter
	stats *statsSpec
	sorts []sortKey
	limit int
	parse *parseSpec
	dedup []node
}

// MaxInsightsLimit is the most rows one query returns (the limit command
// and StartQuery.limit are capped here).
const MaxInsightsLimit = 10000

var aggregateFuncs = map[string]bool{
	"count": true, "count_distinct": true, "sum": true, "avg": true, "min": true, "max": true,
	"pct": true, "stddev": true, "earliest": true, "latest": true,
}

type iparser struct {
	src     string
	toks    []itoken
	i       int
	stats   *statsSpec // the stats command being parsed: aggregates allowed
	inStats bool       // inside a stats command, even where aggregates are not allowed
}

func (p *iparser) peek() itoken { return p.toks[p.i] }

func (p *iparser) next() itoken {
	t := p.toks[p.i]
	if t.kind != iEOF {
		p.i++
	}
	return t
}

func (p *iparser) isKw(word string) bool {
	t := p.toks[p.i]
	return t.kind == iIdent && strings.EqualFold(t.text, word)
}

func (p *iparser) isPunct(s string) bool {
	t := p.toks[p.i]
	return t.kind == iPunct && t.text == s
}

func (p *iparser) errf(t itoken, format string, args ...any) *QueryError {
	q := &ilexer{src: p.src}
	e := q.errAt(t.pos, format, args...)
	if t.end > t.pos {
		e.End = runePos(p.src, t.end) - 1
	}
	return e
}

func describeTok(t itoken) string {
	switch t.kind {
	case iEOF:
		return "end of command"
	case iString:
		return strconv.Quote(t.text)
	case iRegex:
		return "/" + t.text + "/"
	}
	return strconv.Quote(t.text)
}

func (p *iparser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.errf(p.peek(), "expected %q, found %s", s, describeTok(p.peek()))
	}
	p.next()
	return nil
}

// atEnd reports whether the current command is over.
func (p *iparser) atEnd() bool {
	t := p.peek()
	return t.kind == iEOF || (t.kind == iPunct && t.text == "|")
}

// text returns the query text from token index from up to the current token.
func (p *iparser) text(from int) string {
	if p.i == from {
		return ""
	}
	return strings.TrimSpace(p.src[p.toks[from].pos:p.toks[p.i-1].end])
}

func (p *iparser) parseOr() (node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKw("or") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &logicNode{l: l, r: r}
	}
	return l, nil
}

func (p *iparser) parseAnd() (node, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isKw("and") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &logicNode{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *iparser) parseNot() (node, error) {
	if p.isKw("not") {
		p.next()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	}
	return p.parseCmp()
}

func (p *iparser) parseCmp() (node, error) {
	l, err := p.parseAdd()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == iPunct {
		switch t.text {
		case "=", "!=", "<", "<=", ">", ">=":
			p.next()
			r, err := p.parseAdd()
			if err != nil {
				return nil, err
			}
			return &cmpNode{op: t.text, l: l, r: r}, nil
		case "=~":
			p.next()
			rt := p.next()
			if rt.kind != iRegex {
				return nil, p.errf(rt, "expected a /regex/ after =~, found %s", describeTok(rt))
			}
			re, err := p.compileRegex(rt)
			if err != nil {
				return nil, err
			}
			return &likeNode{x: l, re: re}, nil
		}
	}
	neg := false
	if p.isKw("not") {
		nt := p.toks[p.i+1]
		if nt.kind == iIdent && (strings.EqualFold(nt.text, "like") || strings.EqualFold(nt.text, "in")) {
			p.next()
			neg = true
		}
	}
	switch {
	case p.isKw("like"):
		p.next()
		vt := p.next()
		switch vt.kind {
		case iString:
			return &likeNode{x: l, substr: vt.text, neg: neg}, nil
		case iRegex:
			re, err := p.compileRegex(vt)
			if err != nil {
				return nil, err
			}
			return &likeNode{x: l, re: re, neg: neg}, nil
		}
		return nil, p.errf(vt, "expected a \"string\" or /regex/ after like, found %s", describeTok(vt))
	case p.isKw("in"):
		p.next()
		if err := p.expectPunct("["); err != nil {
			return nil, err
		}
		var list []node
		for !p.isPunct("]") {
			x, err := p.parseAdd()
			if err != nil {
				return nil, err
			}
			list = append(list, x)
			if p.isPunct(",") {
				p.next()
				continue
			}
			if !p.isPunct("]") {
				return nil, p.errf(p.peek(), "expected \",\" or \"]\" in the in list, found %s", describeTok(p.peek()))
			}
		}
		p.next()
		return &inNode{x: l, list: list, neg: neg}, nil
	}
	return l, nil
}

func (p *iparser) compileRegex(t itoken) (*regexp.Regexp, error) {
	re, err := regexp.Compile(t.text)
	if err != nil {
		return nil, p.errf(t, "bad regex /%s/: %v", t.text, err)
	}
	return re, nil
}

func (p *iparser) parseAdd() (node, error) {
	l, err := p.parseMul()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op := p.next().text[0]
		r, err := p.parseMul()
		if err != nil {
			return nil, err
		}
		l = &arithNode{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *iparser) parseMul() (node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") {
		op := p.next().text[0]
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &arithNode{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *iparser) parseUnary() (node, error) {
	if p.isPunct("-") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &negNode{x: x}, nil
	}
	return p.parsePrimary()
}

func (p *iparser) parsePrimary() (node, error) {
	t := p.next()
	switch t.kind {
	case iNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errf(t, "bad number %q", t.text)
		}
		return &litNode{v: ival{k: kNum, n: n, s: t.text}}, nil
	case iString:
		return &litNode{v: strVal(t.text)}, nil
	case iDuration:
		return nil, p.errf(t, "a time period like %s is only allowed in bin(), datefloor() and dateceil()", t.text)
	case iRegex:
		return nil, p.errf(t, "a /regex/ is only allowed after like or =~")
	case iPunct:
		if t.text == "(" {
			x, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			return x, p.expectPunct(")")
		}
		return nil, p.errf(t, "expected a value, found %s", describeTok(t))
	case iIdent:
		if p.isPunct("(") {
			return p.parseCall(t)
		}
		switch strings.ToLower(t.text) {
		case "true":
			return &litNode{v: boolVal(true)}, nil
		case "false":
			return &litNode{v: boolVal(false)}, nil
		case "and", "or", "not", "like", "in", "as", "by":
			return nil, p.errf(t, "expected a value, found the keyword %q", t.text)
		}
		return &fieldNode{name: t.text}, nil
	}
	return nil, p.errf(t, "expected a value, found %s", describeTok(t))
}

// parseArgs parses "(a, b, ...)" after a function name.
func (p *iparser) parseArgs() ([]node, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var args []node
	for !p.isPunct(")") {
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
		if p.isPunct(",") {
			p.next()
			continue
		}
		if !p.isPunct(")") {
			return nil, p.errf(p.peek(), "expected \",\" or \")\", found %s", describeTok(p.peek()))
		}
	}
	p.next()
	return args, nil
}

func (p *iparser) parseDurationArg() (duration, error) {
	t := p.next()
	if t.kind != iDuration && t.kind != iNumber {
		return duration{}, p.errf(t, "expected a time period like 5m or 1h, found %s", describeTok(t))
	}
	d, ok := parseDuration(t.text)
	if !ok {
		return duration{}, p.errf(t, "bad time period %q; use a whole number and one of ms s m h d w mo q y", t.text)
	}
	return d, nil
}

func (p *iparser) parseCall(name itoken) (node, error) {
	fn := strings.ToLower(name.text)
	switch fn {
	case "bin":
		p.next() // (
		d, err := p.parseDurationArg()
		if err != nil {
			return nil, err
		}
		return &binNode{d: d}, p.expectPunct(")")
	case "datefloor", "dateceil":
		p.next() // (
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
		d, err := p.parseDurationArg()
		if err != nil {
			return nil, err
		}
		return &dateRoundNode{x: x, d: d, ceil: fn == "dateceil"}, p.expectPunct(")")
	}
	if aggregateFuncs[fn] {
		return p.parseAggregate(name, fn)
	}
	sf, ok := scalarFuncs[fn]
	if !ok {
		return nil, p.errf(name, "unknown function %s()", name.text)
	}
	args, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	if len(args) < sf.min || (sf.max >= 0 && len(args) > sf.max) {
		return nil, p.errf(name, "%s() takes %s, got %d", fn, arity(sf.min, sf.max), len(args))
	}
	return &callNode{name: fn, fn: sf.fn, args: args}, nil
}

func arity(lo, hi int) string {
	switch {
	case hi < 0:
		return "at least " + strconv.Itoa(lo) + " arguments"
	case lo == hi && lo == 1:
		return "1 argument"
	case lo == hi:
		return strconv.Itoa(lo) + " arguments"
	}
	return strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + " arguments"
}

// parseAlias parses an optional "as name".
func (p *iparser) parseAlias(def string) (string, error) {
	if !p.isKw("as") {
		return def, nil
	}
	p.next()
	t := p.next()
	if t.kind != iIdent {
		return "", p.errf(t, "expected a field name after as, found %s", describeTok(t))
	}
	return t.text, nil
}

// parseColumns parses "expr [as name], ..." up to the end of the command.
// Without allowExpr only plain field names are accepted, without aliases.
func (p *iparser) parseColumns(cmd string, allowExpr bool) ([]column, error) {
	var cols []column
	for {
		if p.atEnd() {
			return nil, p.errf(p.peek(), "%s needs at least one field", cmd)
		}
		from := p.i
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		name := p.text(from)
		if f, ok := x.(*fieldNode); ok {
			name = f.name
		} else if !allowExpr {
			return nil, p.errf(p.toks[from], "%s takes field names only", cmd)
		}
		if allowExpr {
			if name, err = p.parseAlias(name); err != nil {
				return nil, err
			}
		}
		cols = append(cols, column{name: name, x: x})
		if !p.isPunct(",") {
			return cols, nil
		}
		p.next()
	}
}

func (p *iparser) parseStats() (*statsSpec, error) {
	s := &statsSpec{}
	p.stats, p.inStats = s, true
	defer func() { p.stats, p.inStats = nil, false }()
	for {
		if p.atEnd() || p.isKw("by") {
			return nil, p.errf(p.peek(), "stats needs an aggregate function (count, count_distinct, sum, avg, min, max, pct, stddev, earliest, latest), found %s", describeTok(p.peek()))
		}
		from, before := p.i, len(s.aggs)
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if len(s.aggs) == before {
			return nil, p.errf(p.toks[from], "%s has no aggregate function; stats needs one, such as count(*)", strconv.Quote(p.text(from)))
		}
		name, err := p.parseAlias(p.text(from))
		if err != nil {
			return nil, err
		}
		s.outs = append(s.outs, column{name: name, x: x})
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	p.stats = nil // by takes no aggregates
	if p.isKw("by") {
		p.next()
		cols, err := p.parseColumns("stats by", true)
		if err != nil {
			return nil, err
		}
		s.by = cols
	}
	return s, nil
}

// globToRegex turns a parse glob such as "* [*] *" into a regex with one
// capture group per '*': lazy, except a trailing '*' that takes the rest.
func globToRegex(g string) (*regexp.Regexp, int, error) {
	parts := strings.Split(g, "*")
	var b strings.Builder
	for i, part := range parts {
		if i > 0 {
			if i == len(parts)-1 && part == "" {
				b.WriteString("(.*)")
			} else {
				b.WriteString("(.*?)")
			}
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
	re, err := regexp.Compile("(?s)" + b.String())
	return re, len(parts) - 1, err
}

func (p *iparser) parseParse() (*parseSpec, error) {
	ps := &parseSpec{field: "@message"}
	if t := p.peek(); t.kind == iIdent {
		ps.field = t.text
		p.next()
	}
	t := p.next()
	switch t.kind {
	case iString:
		if !utf8.ValidString(t.text) {
			return nil, p.errf(t, "the parse pattern is not valid UTF-8")
		}
		re, n, err := globToRegex(t.text)
		if err != nil {
			return nil, p.errf(t, "bad parse pattern: %v", err)
		}
		if n == 0 {
			return nil, p.errf(t, "the parse pattern %q has no * to capture", t.text)
		}
		if !p.isKw("as") {
			return nil, p.errf(p.peek(), "expected as and %d field names after the parse pattern", n)
		}
		p.next()
		ps.re = re
		ps.names = append(ps.names, "")
		for {
			nt := p.next()
			if nt.kind != iIdent {
				return nil, p.errf(nt, "expected a field name, found %s", describeTok(nt))
			}
			ps.names = append(ps.names, nt.text)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
		if len(ps.names)-1 != n {
			return nil, p.errf(t, "the parse pattern has %d * but %d field names follow as", n, len(ps.names)-1)
		}
	case iRegex:
		re, err := p.compileRegex(t)
		if err != nil {
			return nil, err
		}
		ps.re = re
		ps.names = re.SubexpNames()
		named := false
		for _, n := range ps.names {
			named = named || n != ""
		}
		if !named {
			return nil, p.errf(t, "the parse regex names no capture group; use (?<name>...)")
		}
	default:
		return nil, p.errf(t, "expected a \"glob\" or /regex/ after parse, found %s", describeTok(t))
	}
	return ps, nil
}

func (p *iparser) parseCommand() (stage, error) {
	t := p.next()
	if t.kind != iIdent {
		return stage{}, p.errf(t, "expected a command (fields, filter, stats, sort, limit, parse, display, dedup), found %s", describeTok(t))
	}
	var st stage
	var err error
	switch cmd := strings.ToLower(t.text); cmd {
	case "fields":
		st.kind = stFields
		st.cols, err = p.parseColumns(cmd, true)
	case "display":
		st.kind = stDisplay
		st.cols, err = p.parseColumns(cmd, false)
	case "filter":
		st.kind = stFilter
		if p.atEnd() {
			return stage{}, p.errf(p.peek(), "filter needs a condition")
		}
		st.cond, err = p.parseOr()
	case "stats":
		st.kind = stStats
		st.stats, err = p.parseStats()
	case "sort":
		st.kind = stSort
		for {
			if p.atEnd() {
				return stage{}, p.errf(p.peek(), "sort needs a field")
			}
			var k sortKey
			if k.x, err = p.parseAdd(); err != nil {
				return stage{}, err
			}
			// Without asc or desc the order is descending, as moto does
			// (AWS's default is not documented).
			k.desc = true
			if p.isKw("asc") {
				p.next()
				k.desc = false
			} else if p.isKw("desc") {
				p.next()
			}
			st.sorts = append(st.sorts, k)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	case "limit":
		st.kind = stLimit
		nt := p.next()
		n, perr := strconv.Atoi(nt.text)
		if nt.kind != iNumber || perr != nil || n < 1 || n > MaxInsightsLimit {
			return stage{}, p.errf(nt, "limit needs a whole number from 1 to %d, found %s", MaxInsightsLimit, describeTok(nt))
		}
		st.limit = n
	case "parse":
		st.kind = stParse
		st.parse, err = p.parseParse()
	case "dedup":
		st.kind = stDedup
		var cols []column
		if cols, err = p.parseColumns(cmd, false); err == nil {
			for _, c := range cols {
				st.dedup = append(st.dedup, c.x)
			}
		}
	default:
		return stage{}, p.errf(t, "unknown or unsupported command %q", t.text)
	}
	if err != nil {
		return stage{}, err
	}
	if !p.atEnd() {
		return stage{}, p.errf(p.peek(), "unexpected %s; separate commands with |", describeTok(p.peek()))
	}
	return st, nil
}

// parseAggregate parses an aggregate call such as count(*), sum(x) or
// pct(x, 95) after its name, inside stats.
func (p *iparser) parseAggregate(name itoken, fn string) (node, error) {
	s := p.stats
	if s == nil && p.inStats {
		return nil, p.errf(name, "aggregate function %s() cannot be nested in another or used after by", fn)
	}
	if s == nil {
		return nil, p.errf(name, "aggregate function %s() is only allowed in stats", fn)
	}
	p.stats = nil // no aggregate inside an aggregate
	defer func() { p.stats = s }()
	a := aggSpec{fn: fn}
	p.next() // (
	if fn == "count" && (p.isPunct("*") || p.isPunct(")")) {
		if p.isPunct("*") {
			p.next()
		}
	} else {
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		a.arg = x
		if fn == "pct" {
			if err := p.expectPunct(","); err != nil {
				return nil, err
			}
			nt := p.next()
			n, err := strconv.ParseFloat(nt.text, 64)
			if nt.kind != iNumber || err != nil || n < 0 || n > 100 {
				return nil, p.errf(nt, "pct() needs a percentile between 0 and 100, found %s", describeTok(nt))
			}
			a.pct = n
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	s.aggs = append(s.aggs, a)
	return &aggRefNode{i: len(s.aggs) - 1}, nil
}
