package query

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ikind is the type of a Logs Insights value.
type ikind uint8

const (
	kNull ikind = iota // absent
	kStr
	kNum
	kTime // n holds epoch milliseconds
	kBool
)

// ival is a Logs Insights value. Numbers may keep their source text in s
// so that they print as they were written.
type ival struct {
	k ikind
	s string
	n float64
}

func strVal(s string) ival    { return ival{k: kStr, s: s} }
func numVal(n float64) ival   { return ival{k: kNum, n: n} }
func timeVal(ms float64) ival { return ival{k: kTime, n: ms} }
func boolVal(b bool) ival {
	if b {
		return ival{k: kBool, n: 1}
	}
	return ival{k: kBool}
}

// timeLayout is how Logs Insights prints @timestamp and bin() values (UTC).
const timeLayout = "2006-01-02 15:04:05.000"

func formatNum(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

func (v ival) text() string {
	switch v.k {
	case kStr:
		return v.s
	case kNum:
		if v.s != "" {
			return v.s
		}
		return formatNum(v.n)
	case kTime:
		return time.UnixMilli(int64(v.n)).UTC().Format(timeLayout)
	case kBool:
		if v.n != 0 {
			return "true"
		}
		return "false"
	}
	return ""
}

// number returns v as a number; strings count when they hold one.
func (v ival) number() (float64, bool) {
	switch v.k {
	case kNum, kTime, kBool:
		return v.n, true
	case kStr:
		n, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return n, err == nil
	}
	return 0, false
}

func (v ival) truthy() bool {
	switch v.k {
	case kStr:
		return v.s != ""
	case kNum, kTime, kBool:
		return v.n != 0
	}
	return false
}

// compareVals orders a and b: numerically when both are numbers (or a
// number and a numeric string), as text otherwise. ok is false when
// either is absent.
func compareVals(a, b ival) (c int, ok bool) {
	if a.k == kNull || b.k == kNull {
		return 0, false
	}
	// Values that both read as numbers compare as numbers, even when
	// they are strings (parsed fields are strings: "10" > "9").
	an, aok := a.number()
	bn, bok := b.number()
	if aok && bok {
		switch {
		case an < bn:
			return -1, true
		case an > bn:
			return 1, true
		}
		return 0, true
	}
	return strings.Compare(a.text(), b.text()), true
}

// node is a compiled Logs Insights expression.
type node interface {
	eval(r *record) ival
}

type litNode struct{ v ival }

func (n *litNode) eval(*record) ival { return n.v }

type fieldNode struct{ name string }

func (n *fieldNode) eval(r *record) ival { return r.get(n.name) }

type notNode struct{ x node }

func (n *notNode) eval(r *record) ival { return boolVal(!n.x.eval(r).truthy()) }

type logicNode struct {
	and  bool
	l, r node
}

func (n *logicNode) eval(r *record) ival {
	if n.and {
		return boolVal(n.l.eval(r).truthy() && n.r.eval(r).truthy())
	}
	return boolVal(n.l.eval(r).truthy() || n.r.eval(r).truthy())
}

type cmpNode struct {
	op   string
	l, r node
}

func (n *cmpNode) eval(r *record) ival {
	c, ok := compareVals(n.l.eval(r), n.r.eval(r))
	if !ok {
		return boolVal(false)
	}
	switch n.op {
	case "=":
		return boolVal(c == 0)
	case "!=":
		return boolVal(c != 0)
	case "<":
		return boolVal(c < 0)
	case "<=":
		return boolVal(c <= 0)
	case ">":
		return boolVal(c > 0)
	}
	return boolVal(c >= 0)
}

type arithNode struct {
	op   byte
	l, r node
}

func (n *arithNode) eval(r *record) ival {
	a, aok := n.l.eval(r).number()
	b, bok := n.r.eval(r).number()
	if !aok || !bok {
		return ival{}
	}
	switch n.op {
	case '+':
		return numVal(a + b)
	case '-':
		return numVal(a - b)
	case '*':
		return numVal(a * b)
	case '/':
		if b == 0 {
			return ival{}
		}
		return numVal(a / b)
	}
	if b == 0 {
		return ival{}
	}
	return numVal(math.Mod(a, b))
}

type negNode struct{ x node }

func (n *negNode) eval(r *record) ival {
	a, ok := n.x.eval(r).number()
	if !ok {
		return ival{}
	}
	return numVal(-a)
}

// likeNode is "x like "substr"", "x like /re/" and "x =~ /re/".
type likeNode struct {
	x      node
	substr string
	re     *regexp.Regexp
	neg    bool
}

func (n *likeNode) eval(r *record) ival {
	v := n.x.eval(r)
	if v.k == kNull {
		return boolVal(false)
	}
	s := v.text()
	var m bool
	if n.re != nil {
		m = n.re.MatchString(s)
	} else {
		m = strings.Contains(s, n.substr)
	}
	return boolVal(m != n.neg)
}

type inNode struct {
	x    node
	list []node
	neg  bool
}

func (n *inNode) eval(r *record) ival {
	v := n.x.eval(r)
	if v.k == kNull {
		return boolVal(false)
	}
	for _, e := range n.list {
		if c, ok := compareVals(v, e.eval(r)); ok && c == 0 {
			return boolVal(!n.neg)
		}
	}
	return boolVal(n.neg)
}

// duration is a bin()/datefloor() period such as 5m or 1mo.
type duration struct {
	n    int64
	unit string // ms s m h d w mo q y
}

var unitMillis = map[string]int64{
	"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000,
}

// parseDuration parses "5m", "1h", "30s", "2mo" ... (also the long unit
// names Logs Insights accepts, like "5min" or "1hour").
func parseDuration(s string) (duration, bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n <= 0 {
		return duration{}, false
	}
	unit := strings.ToLower(s[i:])
	switch unit {
	case "ms", "msec", "msecs", "millisecond", "milliseconds":
		unit = "ms"
	case "s", "sec", "secs", "second", "seconds":
		unit = "s"
	case "m", "min", "mins", "minute", "minutes":
		unit = "m"
	case "h", "hr", "hrs", "hour", "hours":
		unit = "h"
	case "d", "day", "days":
		unit = "d"
	case "w", "week", "weeks":
		unit = "w"
	case "mo", "month", "months":
		unit = "mo"
	case "q", "qtr", "qtrs", "quarter", "quarters":
		unit = "q"
	case "y", "yr", "yrs", "year", "years":
		unit = "y"
	default:
		return duration{}, false
	}
	return duration{n: n, unit: unit}, true
}

// floor rounds the epoch-millisecond time ms down to a multiple of d (UTC).
func (d duration) floor(ms int64) int64 {
	if u, ok := unitMillis[d.unit]; ok {
		p := d.n * u
		f := ms - ms%p
		if ms < 0 && ms%p != 0 {
			f -= p
		}
		return f
	}
	t := time.UnixMilli(ms).UTC()
	months := int64(t.Year())*12 + int64(t.Month()) - 1
	step := d.n
	switch d.unit {
	case "q":
		step *= 3
	case "y":
		step *= 12
	}
	months -= months % step
	return time.Date(int(months/12), time.Month(months%12+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// ceil rounds ms up to a multiple of d.
func (d duration) ceil(ms int64) int64 {
	f := d.floor(ms)
	if f == ms {
		return ms
	}
	if u, ok := unitMillis[d.unit]; ok {
		return f + d.n*u
	}
	months := d.n
	switch d.unit {
	case "q":
		months *= 3
	case "y":
		months *= 12
	}
	return time.UnixMilli(f).UTC().AddDate(0, int(months), 0).UnixMilli()
}

// binNode is bin(period): @timestamp rounded down to the period.
type binNode struct{ d duration }

func (n *binNode) eval(r *record) ival {
	t := r.get("@timestamp")
	if t.k == kNull {
		return ival{}
	}
	return timeVal(float64(n.d.floor(int64(t.n))))
}

// dateRoundNode is datefloor(x, period) or dateceil(x, period).
type dateRoundNode struct {
	x    node
	d    duration
	ceil bool
}

func (n *dateRoundNode) eval(r *record) ival {
	ms, ok := toMillis(n.x.eval(r))
	if !ok {
		return ival{}
	}
	if n.ceil {
		return timeVal(float64(n.d.ceil(ms)))
	}
	return timeVal(float64(n.d.floor(ms)))
}

func toMillis(v ival) (int64, bool) {
	n, ok := v.number()
	return int64(n), ok
}

// callNode is a scalar function call.
type callNode struct {
	name string
	fn   func(args []ival) ival
	args []node
}

func (n *callNode) eval(r *record) ival {
	var buf [4]ival
	args := buf[:0]
	for _, a := range n.args {
		args = append(args, a.eval(r))
	}
	return n.fn(args)
}

// scalarFunc describes one scalar function: its arity and body.
type scalarFunc struct {
	min, max int // argument count; max -1 for any
	fn       func(a []ival) ival
}

func strFn(f func(string) string) func([]ival) ival {
	return func(a []ival) ival {
		if a[0].k == kNull {
			return ival{}
		}
		return strVal(f(a[0].text()))
	}
}

func numFn(f func(float64) float64) func([]ival) ival {
	return func(a []ival) ival {
		n, ok := a[0].number()
		if !ok {
			return ival{}
		}
		return numVal(f(n))
	}
}

func extremeFn(greatest bool) func([]ival) ival {
	return func(a []ival) ival {
		var best ival
		for _, v := range a {
			if v.k == kNull {
				continue
			}
			c, ok := compareVals(v, best)
			if !ok || (greatest && c > 0) || (!greatest && c < 0) {
				best = v
			}
		}
		return best
	}
}

var scalarFuncs = map[string]scalarFunc{
	"concat": {1, -1, func(a []ival) ival {
		var b strings.Builder
		for _, v := range a {
			b.WriteString(v.text())
		}
		return strVal(b.String())
	}},
	"strlen": {1, 1, func(a []ival) ival {
		if a[0].k == kNull {
			return ival{}
		}
		return numVal(float64(len([]rune(a[0].text()))))
	}},
	"toupper": {1, 1, strFn(strings.ToUpper)},
	"tolower": {1, 1, strFn(strings.ToLower)},
	"trim":    {1, 1, strFn(strings.TrimSpace)},
	"ltrim":   {1, 1, strFn(func(s string) string { return strings.TrimLeft(s, " \t\r\n") })},
	"rtrim":   {1, 1, strFn(func(s string) string { return strings.TrimRight(s, " \t\r\n") })},
	"substr": {2, 3, func(a []ival) ival {
		if a[0].k == kNull {
			return ival{}
		}
		rs := []rune(a[0].text())
		start, _ := a[1].number()
		s := clampInt(int(start), 0, len(rs))
		e := len(rs)
		if len(a) == 3 {
			l, _ := a[2].number()
			e = clampInt(s+int(l), s, len(rs))
		}
		return strVal(string(rs[s:e]))
	}},
	"replace": {3, 3, func(a []ival) ival {
		if a[0].k == kNull {
			return ival{}
		}
		return strVal(strings.ReplaceAll(a[0].text(), a[1].text(), a[2].text()))
	}},
	"strcontains": {2, 2, func(a []ival) ival {
		if a[0].k == kNull {
			return boolVal(false)
		}
		return boolVal(strings.Contains(a[0].text(), a[1].text()))
	}},
	"coalesce": {1, -1, func(a []ival) ival {
		for _, v := range a {
			if v.k != kNull {
				return v
			}
		}
		return ival{}
	}},
	"abs":      {1, 1, numFn(math.Abs)},
	"ceil":     {1, 1, numFn(math.Ceil)},
	"floor":    {1, 1, numFn(math.Floor)},
	"greatest": {1, -1, extremeFn(true)},
	"least":    {1, -1, extremeFn(false)},
	"ispresent": {1, 1, func(a []ival) ival {
		return boolVal(a[0].k != kNull)
	}},
	"isempty": {1, 1, func(a []ival) ival {
		return boolVal(a[0].k == kNull || a[0].text() == "")
	}},
	"isblank": {1, 1, func(a []ival) ival {
		return boolVal(a[0].k == kNull || strings.TrimSpace(a[0].text()) == "")
	}},
	"frommillis": {1, 1, func(a []ival) ival {
		n, ok := a[0].number()
		if !ok {
			return ival{}
		}
		return timeVal(n)
	}},
	"tomillis": {1, 1, func(a []ival) ival {
		n, ok := a[0].number()
		if !ok {
			return ival{}
		}
		return numVal(n)
	}},
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
