package query

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Event is one log event as a Logs Insights query sees it.
type Event struct {
	Timestamp     int64  // @timestamp, epoch milliseconds
	IngestionTime int64  // @ingestionTime, epoch milliseconds
	Message       string // @message
	LogStream     string // @logStream
	LogGroup      string // @log
	Ptr           string // @ptr, an opaque id the server can resolve (GetLogRecord)
	// Ref is the caller's own reference to the event (a sequence number, say),
	// for RunOptions.Pointer; the query never reads it.
	Ref uint64
}

// Field is one cell of a result row, shaped like GetQueryResults'
// results[][] entries. Every value is a string.
type Field struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Stats are the statistics GetQueryResults reports.
type Stats struct {
	RecordsMatched float64 `json:"recordsMatched"`
	RecordsScanned float64 `json:"recordsScanned"`
	BytesScanned   float64 `json:"bytesScanned"`
}

// defaultColumns are the fields returned when a query has no fields,
// display or stats command.
var defaultColumns = []string{"@timestamp", "@message", "@logStream", "@log"}

// Query is a parsed Logs Insights query. It is immutable and may be run
// many times, concurrently.
type Query struct {
	src        string
	stages     []stage
	columns    []string // output columns
	aggregated bool     // some stats command runs: rows carry no @ptr
	sorted     bool     // some sort command runs
}

// ParseInsights parses a Logs Insights (CWLI) query: commands fields,
// filter, stats, sort, limit, parse, display and dedup separated by '|',
// with '#' comments. Errors are *QueryError values.
func ParseInsights(src string) (*Query, error) {
	if n := utf8.RuneCountInString(src); n > MaxInsightsQueryLength {
		return nil, &QueryError{Query: src, Msg: fmt.Sprintf("query is %d characters long, the limit is %d", n, MaxInsightsQueryLength)}
	}
	toks, err := lexInsights(src)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == iEOF {
		return nil, &QueryError{Query: src, Msg: "empty query"}
	}
	p := &iparser{src: src, toks: toks}
	q := &Query{src: src}
	for {
		if p.atEnd() {
			return nil, p.errf(p.peek(), "empty command")
		}
		st, err := p.parseCommand()
		if err != nil {
			return nil, err
		}
		q.stages = append(q.stages, st)
		if p.peek().kind == iEOF {
			break
		}
		p.next() // |
	}
	q.plan()
	return q, nil
}

// String returns the query text.
func (q *Query) String() string { return q.src }

// plan works out the output columns.
func (q *Query) plan() {
	var cols, parsed []string
	explicit := false
	add := func(name string) {
		if !slices.Contains(cols, name) {
			cols = append(cols, name)
		}
	}
	for _, st := range q.stages {
		switch st.kind {
		case stFields:
			if !explicit {
				cols, explicit = nil, true
			}
			for _, c := range st.cols {
				add(c.name)
			}
		case stDisplay:
			cols, explicit = nil, true
			for _, c := range st.cols {
				add(c.name)
			}
		case stStats:
			cols, explicit, q.aggregated = nil, true, true
			for _, c := range st.stats.by {
				add(c.name)
			}
			for _, c := range st.stats.outs {
				add(c.name)
			}
		case stParse:
			for _, n := range st.parse.names {
				if n != "" && !slices.Contains(parsed, n) {
					parsed = append(parsed, n)
				}
			}
		case stSort:
			q.sorted = true
		}
	}
	if !explicit {
		cols = append(slices.Clone(defaultColumns), parsed...)
	}
	q.columns = cols
}

// record is one row flowing through the pipeline: an event, or a stats
// result row (ev nil), plus the fields the query set.
type record struct {
	ev     *Event
	vals   map[string]ival
	aggs   []ival // stats rows: the aggregate results
	isJSON int8   // message is a JSON object: 0 unknown, 1 yes, -1 no
}

func (r *record) set(name string, v ival) {
	if r.vals == nil {
		r.vals = make(map[string]ival, 4)
	}
	r.vals[name] = v
}

func (r *record) get(name string) ival {
	if v, ok := r.vals[name]; ok {
		return v
	}
	if r.ev == nil {
		return ival{}
	}
	switch name {
	case "@timestamp":
		return timeVal(float64(r.ev.Timestamp))
	case "@message":
		return strVal(r.ev.Message)
	case "@logStream":
		return strVal(r.ev.LogStream)
	case "@log":
		return strVal(r.ev.LogGroup)
	case "@ingestionTime":
		return timeVal(float64(r.ev.IngestionTime))
	case "@ptr":
		if r.ev.Ptr == "" {
			return ival{}
		}
		return strVal(r.ev.Ptr)
	}
	return r.jsonField(name)
}

// jsonField finds a field discovered in a JSON object message: nested
// keys are joined with '.', array elements are numbered (arr.0). Objects
// and arrays themselves are not fields.
func (r *record) jsonField(name string) ival {
	if r.isJSON == 0 {
		r.isJSON = -1
		m := r.ev.Message
		if i := skipSpace(m, 0); i < len(m) && m[i] == '{' && jsonValid(m) {
			r.isJSON = 1
		}
	}
	if r.isJSON < 0 {
		return ival{}
	}
	v := jsonFind(r.ev.Message, name, 0)
	switch v.kind {
	case sString:
		s, _ := v.str()
		return strVal(s)
	case sNumber:
		n, _ := strconv.ParseFloat(v.text, 64)
		return ival{k: kNum, n: n, s: v.text}
	case sTrue:
		return boolVal(true)
	case sFalse:
		return boolVal(false)
	case sNull:
		return strVal("null")
	}
	return ival{}
}

// applyRecord runs a per-record stage; false drops the record.
func (st *stage) applyRecord(r *record) bool {
	switch st.kind {
	case stFields, stDisplay:
		for _, c := range st.cols {
			if f, isField := c.x.(*fieldNode); isField && f.name == c.name {
				continue // a plain field needs no copy
			}
			r.set(c.name, c.x.eval(r))
		}
	case stFilter:
		return st.cond.eval(r).truthy()
	case stParse:
		src := r.get(st.parse.field)
		if src.k == kNull {
			return true
		}
		s := src.text()
		m := st.parse.re.FindStringSubmatchIndex(s)
		if m == nil {
			return true
		}
		for i, name := range st.parse.names {
			if name == "" || m[2*i] < 0 {
				continue
			}
			r.set(name, strVal(s[m[2*i]:m[2*i+1]]))
		}
	}
	return true
}

// streaming reports whether the stage works record by record.
func (st *stage) streaming() bool {
	switch st.kind {
	case stFields, stDisplay, stFilter, stParse:
		return true
	}
	return false
}

// applyList runs a stage over a materialized list of records.
func (st *stage) applyList(list []*record) []*record {
	switch st.kind {
	case stStats:
		a := newAggregator(st.stats)
		for _, r := range list {
			a.add(r)
		}
		return a.rows()
	case stSort:
		sortRecords(list, st.sorts)
		return list
	case stLimit:
		if len(list) > st.limit {
			list = list[:st.limit]
		}
		return list
	case stDedup:
		seen := make(map[string]bool)
		out := list[:0]
		for _, r := range list {
			k := groupKey(r, st.dedup)
			if !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
		return out
	}
	out := list[:0]
	for _, r := range list {
		if st.applyRecord(r) {
			out = append(out, r)
		}
	}
	return out
}

// compareRecords orders records by sort keys; absent values sort last.
func compareRecords(a, b *record, keys []sortKey) int {
	for _, k := range keys {
		va, vb := k.x.eval(a), k.x.eval(b)
		switch {
		case va.k == kNull && vb.k == kNull:
			continue
		case va.k == kNull:
			return 1
		case vb.k == kNull:
			return -1
		}
		c, _ := compareVals(va, vb)
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func sortRecords(list []*record, keys []sortKey) {
	slices.SortStableFunc(list, func(a, b *record) int { return compareRecords(a, b, keys) })
}

// newestFirst is the order of results without a sort command.
var newestFirst = []sortKey{{x: &fieldNode{name: "@timestamp"}, desc: true}}

// ErrTooManyRecords is RunWith's error when a query would hold more than
// RunOptions.MaxHeld records or stats groups at once.
var ErrTooManyRecords = errors.New("query holds too many records")

// RunOptions tunes RunWith.
type RunOptions struct {
	// Limit is StartQuery's limit: the most rows returned when the query has
	// no limit command (a limit command overrides it); 0 or more than
	// MaxInsightsLimit means MaxInsightsLimit.
	Limit int
	// MaxHeld bounds the records a query holds at once: the stats groups, or
	// the matching records when later commands need them all (dedup, a sort
	// after a limit). Queries that only filter, sort and limit hold about
	// twice their limit whatever this says. 0 means no bound.
	MaxHeld int
	// Pointer, when set, gives the @ptr of a result row whose event has no
	// Ptr; it is called for the returned rows only.
	Pointer func(e *Event) string
	// Progress, when set, is called about every ProgressEvery while the query
	// runs, with the rows and statistics it would return if the events ended
	// there (GetQueryResults' partial results).
	Progress      func(rows [][]Field, st Stats)
	ProgressEvery time.Duration
}

// progressCheck is how many events pass between looks at the clock for
// RunOptions.Progress.
const progressCheck = 4096

// Run evaluates the query over events with the default result limit
// (MaxInsightsLimit) and returns the result rows and statistics.
func (q *Query) Run(events iter.Seq[Event]) ([][]Field, Stats) {
	return q.RunLimit(events, MaxInsightsLimit)
}

// RunLimit is Run with StartQuery's limit: the most rows returned when the
// query has no limit command of its own.
func (q *Query) RunLimit(events iter.Seq[Event], limit int) ([][]Field, Stats) {
	rows, st, _ := q.RunWith(events, RunOptions{Limit: limit})
	return rows, st
}

// RunWith evaluates the query over events. The statistics count what was
// read even when the run fails.
func (q *Query) RunWith(events iter.Seq[Event], o RunOptions) ([][]Field, Stats, error) {
	limit := o.Limit
	if limit <= 0 || limit > MaxInsightsLimit || q.hasLimit() {
		limit = MaxInsightsLimit // a limit command overrides StartQuery's
	}
	first := 0
	for first < len(q.stages) && q.stages[first].streaming() {
		first++
	}
	rest := q.stages[first:]
	var agg *aggregator
	if len(rest) > 0 && rest[0].kind == stStats {
		agg = newAggregator(rest[0].stats)
		rest = rest[1:]
	}
	// Without stats, keep only the rows that can still make the result.
	var order []sortKey
	keep := -1
	if agg == nil {
		order, keep = q.pruneOrder(rest, limit)
	}

	// result finishes the rows held: the stats groups, or the kept records.
	result := func(list []*record) [][]Field {
		if agg != nil {
			list = agg.rows()
		} else if len(rest) == 0 || rest[0].kind != stSort {
			sortRecords(list, newestFirst)
		}
		for i := range rest {
			list = rest[i].applyList(list)
		}
		if len(list) > limit {
			list = list[:limit]
		}
		return q.format(list, o.Pointer)
	}

	var st Stats
	var list []*record
	var worst *record // once pruned, the last row kept: later rows must sort before it
	var ev Event
	scratch := record{ev: &ev}
	lastProgress := time.Now()
	for e := range events {
		ev = e
		if o.Progress != nil && int64(st.RecordsScanned)%progressCheck == progressCheck-1 && time.Since(lastProgress) >= o.ProgressEvery {
			// The later stages work on a copy of the list (they may reorder or
			// cut it); they only set the same values again on shared records.
			o.Progress(result(slices.Clone(list)), st)
			lastProgress = time.Now()
		}
		st.RecordsScanned++
		st.BytesScanned += float64(len(e.Message))
		scratch.vals, scratch.isJSON = nil, 0
		ok := true
		for i := range q.stages[:first] {
			if !q.stages[i].applyRecord(&scratch) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		st.RecordsMatched++
		if agg != nil {
			agg.add(&scratch)
			if o.MaxHeld > 0 && len(agg.order) > o.MaxHeld {
				return nil, st, ErrTooManyRecords
			}
			continue
		}
		if worst != nil && compareRecords(&scratch, worst, order) >= 0 {
			continue // it would sort after the last row kept (ties keep the earlier)
		}
		kept := &record{ev: new(Event), vals: scratch.vals, isJSON: scratch.isJSON}
		*kept.ev = e
		list = append(list, kept)
		if keep >= 0 && len(list) >= 2*keep+1024 {
			sortRecords(list, order)
			clear(list[keep:])
			list = list[:keep]
			worst = list[keep-1]
		} else if keep < 0 && o.MaxHeld > 0 && len(list) > o.MaxHeld {
			return nil, st, ErrTooManyRecords
		}
	}
	return result(list), st, nil
}

// hasLimit reports whether the query has a limit command.
func (q *Query) hasLimit() bool {
	for i := range q.stages {
		if q.stages[i].kind == stLimit {
			return true
		}
	}
	return false
}

// pruneOrder returns the order and count of the rows worth keeping while
// scanning, or keep -1 when the remaining stages need every row.
func (q *Query) pruneOrder(rest []stage, limit int) ([]sortKey, int) {
	order := newestFirst
	keep := limit
	for i, st := range rest {
		switch st.kind {
		case stSort:
			if i != 0 {
				return nil, -1
			}
			order = st.sorts
		case stLimit:
			keep = min(keep, st.limit)
		case stFields, stDisplay, stParse:
		default:
			return nil, -1
		}
	}
	return order, keep
}

// format turns records into result rows.
func (q *Query) format(list []*record, pointer func(*Event) string) [][]Field {
	rows := make([][]Field, 0, len(list))
	for _, r := range list {
		if r.ev != nil && r.ev.Ptr == "" && pointer != nil {
			r.ev.Ptr = pointer(r.ev)
		}
		row := make([]Field, 0, len(q.columns)+1)
		for _, c := range q.columns {
			v := r.get(c)
			if v.k == kNull {
				continue
			}
			row = append(row, Field{Field: c, Value: v.text()})
		}
		if !q.aggregated && r.ev != nil && r.ev.Ptr != "" && !slices.Contains(q.columns, "@ptr") {
			row = append(row, Field{Field: "@ptr", Value: r.ev.Ptr})
		}
		rows = append(rows, row)
	}
	return rows
}

// appendKey appends the identity of a record's values of xs to b.
func appendKey(b []byte, r *record, xs []node) []byte {
	for _, x := range xs {
		v := x.eval(r)
		b = append(b, byte('0'+v.k))
		switch v.k {
		case kNum, kTime, kBool:
			b = strconv.AppendFloat(b, v.n, 'g', -1, 64)
		default:
			b = append(b, v.s...)
		}
		b = append(b, 0)
	}
	return b
}

// groupKey is appendKey as a string.
func groupKey(r *record, xs []node) string {
	return string(appendKey(nil, r, xs))
}

// aggState accumulates one aggregate of one group.
type aggState struct {
	count    int64
	sum      float64
	mean, m2 float64 // Welford's running mean and squared deviations
	best     ival    // min, max, earliest, latest
	bestT    int64
	distinct map[string]struct{}
	vals     []float64 // pct
}

type group struct {
	keys   []ival
	states []aggState
}

type aggregator struct {
	spec   *statsSpec
	byX    []node
	groups map[string]*group
	order  []*group
	key    []byte // scratch for the group key
}

func newAggregator(s *statsSpec) *aggregator {
	a := &aggregator{spec: s, groups: make(map[string]*group)}
	for _, c := range s.by {
		a.byX = append(a.byX, c.x)
	}
	return a
}

func (a *aggregator) add(r *record) {
	a.key = appendKey(a.key[:0], r, a.byX)
	g := a.groups[string(a.key)]
	if g == nil {
		k := string(a.key)
		g = &group{states: make([]aggState, len(a.spec.aggs))}
		for _, x := range a.byX {
			g.keys = append(g.keys, x.eval(r))
		}
		a.groups[k] = g
		a.order = append(a.order, g)
	}
	for i := range a.spec.aggs {
		spec := &a.spec.aggs[i]
		s := &g.states[i]
		if spec.arg == nil {
			s.count++
			continue
		}
		v := spec.arg.eval(r)
		if v.k == kNull {
			continue
		}
		switch spec.fn {
		case "count":
			s.count++
		case "count_distinct":
			if s.distinct == nil {
				s.distinct = make(map[string]struct{})
			}
			s.distinct[v.text()] = struct{}{}
		case "sum", "avg", "stddev", "pct":
			n, ok := v.number()
			if !ok {
				continue
			}
			s.count++
			s.sum += n
			d := n - s.mean
			s.mean += d / float64(s.count)
			s.m2 += d * (n - s.mean)
			if spec.fn == "pct" {
				s.vals = append(s.vals, n)
			}
		case "min", "max":
			c, ok := compareVals(v, s.best)
			if !ok || (spec.fn == "min" && c < 0) || (spec.fn == "max" && c > 0) {
				s.best = v
			}
		case "earliest", "latest":
			t, _ := toMillis(r.get("@timestamp"))
			if s.count == 0 || (spec.fn == "earliest" && t < s.bestT) || (spec.fn == "latest" && t >= s.bestT) {
				s.best, s.bestT = v, t
			}
			s.count++
		}
	}
}

func (s *aggState) result(spec *aggSpec) ival {
	switch spec.fn {
	case "count":
		return numVal(float64(s.count))
	case "count_distinct":
		return numVal(float64(len(s.distinct)))
	case "sum":
		if s.count == 0 {
			return ival{}
		}
		return numVal(s.sum)
	case "avg":
		if s.count == 0 {
			return ival{}
		}
		return numVal(s.sum / float64(s.count))
	case "stddev":
		// The sample standard deviation (n-1).
		if s.count < 2 {
			return ival{}
		}
		return numVal(math.Sqrt(s.m2 / float64(s.count-1)))
	case "pct":
		if len(s.vals) == 0 {
			return ival{}
		}
		slices.Sort(s.vals)
		// Nearest rank.
		i := int(math.Ceil(spec.pct/100*float64(len(s.vals)))) - 1
		return numVal(s.vals[clampInt(i, 0, len(s.vals)-1)])
	}
	return s.best
}

// rows returns one record per group, ordered by the group values (time
// bins newest first).
func (a *aggregator) rows() []*record {
	out := make([]*record, 0, len(a.order))
	for _, g := range a.order {
		r := &record{vals: make(map[string]ival, len(a.spec.by)+len(a.spec.outs)), aggs: make([]ival, len(a.spec.aggs))}
		for i, c := range a.spec.by {
			r.vals[c.name] = g.keys[i]
		}
		for i := range a.spec.aggs {
			r.aggs[i] = g.states[i].result(&a.spec.aggs[i])
		}
		for _, c := range a.spec.outs {
			r.vals[c.name] = c.x.eval(r)
		}
		out = append(out, r)
	}
	var keys []sortKey
	for _, c := range a.spec.by {
		desc := false
		switch c.x.(type) {
		case *binNode, *dateRoundNode:
			desc = true // time buckets: newest first
		}
		keys = append(keys, sortKey{x: &fieldNode{name: c.name}, desc: desc})
	}
	sortRecords(out, keys)
	return out
}
