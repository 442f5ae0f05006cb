package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
)

// Logs Insights limits (CloudWatch Logs quotas, reference notes §5, unless
// said otherwise).
const (
	// maxConcurrentQueries is the most queries Scheduled or Running at once;
	// StartQuery answers LimitExceededException beyond it.
	maxConcurrentQueries = 100
	// queryTimeout ends a query that runs longer with status Timeout.
	queryTimeout = 60 * time.Minute
	// maxQueryGroups is the most log groups one query reads.
	maxQueryGroups = 50
	// maxStartQueryLimit is the largest StartQuery limit the API takes; the
	// rows returned are capped at query.MaxInsightsLimit all the same.
	maxStartQueryLimit = 100_000
	// maxResultsPage is the largest GetQueryResults page (maxItems).
	maxResultsPage = 10_000
	// queryRetention is how long an ended query's results stay readable (AWS
	// keeps them 7 days; a local server forgets sooner to bound memory).
	queryRetention = 24 * time.Hour
	// maxEndedQueries bounds the ended queries kept; the oldest is forgotten
	// first. With at most 10,000 rows each this bounds the results held.
	maxEndedQueries = 100
	// maxQueryHeld bounds the records (or stats groups) one query holds while
	// it runs; beyond it the query fails instead of exhausting memory. Queries
	// that only filter, sort and limit hold about twice their limit.
	maxQueryHeld = 1_000_000
	// queryPageEvents and queryPageBytes bound one read from the store.
	queryPageEvents = 10_000
	queryPageBytes  = 4 << 20
	// maxDescribeQueries is the largest DescribeQueries page (maxResults).
	maxDescribeQueries = 1000
	// queryProgressEvery is how often a running query updates its partial
	// results.
	queryProgressEvery = time.Second
	// minRunningQueries is the fewest queries Running at once; more run on
	// machines with more CPUs (GOMAXPROCS).
	minRunningQueries = 2
	// maxQueryIDLen is the longest queryId accepted.
	maxQueryIDLen = 256
)

// Query statuses, as GetQueryResults and DescribeQueries show them.
const (
	statusScheduled = "Scheduled"
	statusRunning   = "Running"
	statusComplete  = "Complete"
	statusFailed    = "Failed"
	statusCancelled = "Cancelled"
	statusTimeout   = "Timeout"
)

// queryLanguageCWLI is the only query language this server runs.
const queryLanguageCWLI = "CWLI"

var (
	queryLanguages = []string{"CWLI", "SQL", "PPL"}
	queryStatuses  = []string{statusScheduled, statusRunning, statusComplete, statusFailed, statusCancelled, statusTimeout, "Unknown"}
)

// insightsQuery is one StartQuery and, once it ends, its results.
type insightsQuery struct {
	id      string
	src     string
	groups  []string
	created time.Time
	// start and end bound the event timestamps in ms, end exclusive.
	start, end int64
	limit      int
	q          *query.Query
	cancel     context.CancelFunc

	// Progress while running, read by GetQueryResults.
	scanned, bytes atomic.Int64

	mu     sync.Mutex
	status string
	ended  time.Time
	rows   [][]query.Field
	stats  query.Stats
}

func (iq *insightsQuery) snapshot() (status string, rows [][]query.Field, st query.Stats, ended time.Time) {
	iq.mu.Lock()
	defer iq.mu.Unlock()
	st = iq.stats
	if iq.status == statusScheduled || iq.status == statusRunning {
		st.RecordsScanned, st.BytesScanned = float64(iq.scanned.Load()), float64(iq.bytes.Load())
	}
	return iq.status, iq.rows, st, iq.ended
}

// queries holds the Insights queries of a server and owns their goroutines.
type queries struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// timeout is queryTimeout, maxHeld maxQueryHeld and progressEvery
	// queryProgressEvery. gate, when set, holds every query in Running until
	// it is closed or the query ends; progressGate holds it after each
	// partial result (tests).
	timeout       time.Duration
	maxHeld       int
	progressEvery time.Duration
	gate          chan struct{}
	progressGate  chan struct{}
	// slots holds a token for each query Running.
	slots chan struct{}

	mu      sync.Mutex
	byID    map[string]*insightsQuery
	order   []*insightsQuery // oldest first
	running int
}

func newQueries() *queries {
	ctx, cancel := context.WithCancel(context.Background())
	return &queries{ctx: ctx, cancel: cancel, timeout: queryTimeout, maxHeld: maxQueryHeld, progressEvery: queryProgressEvery,
		slots: make(chan struct{}, max(runtime.GOMAXPROCS(0), minRunningQueries)), byID: map[string]*insightsQuery{}}
}

// close cancels the running queries and waits for their goroutines.
func (qs *queries) close() {
	qs.cancel()
	qs.wg.Wait()
}

// forget drops ended queries older than queryRetention, and the oldest ended
// ones beyond maxEndedQueries. Called with qs.mu held.
func (qs *queries) forget(now time.Time) {
	ended := 0
	for _, iq := range qs.order {
		if _, _, _, t := iq.snapshot(); !t.IsZero() {
			ended++
		}
	}
	kept := qs.order[:0]
	for _, iq := range qs.order {
		_, _, _, t := iq.snapshot()
		if !t.IsZero() && (now.Sub(t) > queryRetention || ended > maxEndedQueries) {
			ended--
			delete(qs.byID, iq.id)
			continue
		}
		kept = append(kept, iq)
	}
	clear(qs.order[len(kept):])
	qs.order = kept
}

// runningNow is the number of queries Scheduled or Running.
func (qs *queries) runningNow() int {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	return qs.running
}

func (qs *queries) get(id string) (*insightsQuery, *APIError) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	iq := qs.byID[id]
	if iq == nil {
		return nil, newErr(codeResourceNotFound, "Query does not exist.")
	}
	return iq, nil
}

// --- StartQuery ---

type startQueryIn struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupNames       []string `json:"logGroupNames"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	QueryString         *string  `json:"queryString"`
	Limit               *int64   `json:"limit"`
	QueryLanguage       *string  `json:"queryLanguage"`
}

func (in *startQueryIn) check(v *validation) {
	v.groupName(in.LogGroupName, false)
	v.list(len(in.LogGroupNames), in.LogGroupNames != nil, "logGroupNames", maxQueryGroups, fmt.Sprintf("'%v'", in.LogGroupNames))
	for i := range in.LogGroupNames {
		v.str(&in.LogGroupNames[i], fmt.Sprintf("logGroupNames.%d.member", i+1), false, 1, maxNameLen, groupNamePattern)
	}
	v.identifiers(in.LogGroupIdentifiers, maxQueryGroups)
	v.intRange(in.StartTime, "startTime", true, 0, math.MaxInt64/1000-1)
	v.intRange(in.EndTime, "endTime", true, 0, math.MaxInt64/1000-1)
	v.str(in.QueryString, "queryString", true, 0, query.MaxInsightsQueryLength, nil)
	v.intRange(in.Limit, "limit", false, 1, maxStartQueryLimit)
	v.enum(in.QueryLanguage, "queryLanguage", queryLanguages)
}

// groups returns the log groups named by exactly one of logGroupName,
// logGroupNames and logGroupIdentifiers (names or ARNs, with or without :*).
func (in *startQueryIn) groups() ([]string, *APIError) {
	given := 0
	var names []string
	if in.LogGroupName != nil {
		given++
		names = []string{*in.LogGroupName}
	}
	if in.LogGroupNames != nil {
		given++
		names = in.LogGroupNames
	}
	if in.LogGroupIdentifiers != nil {
		given++
		names = make([]string, len(in.LogGroupIdentifiers))
		for i, id := range in.LogGroupIdentifiers {
			names[i] = id
			if g, ok := groupFromARN(id); ok {
				names[i] = g
			}
		}
	}
	if given != 1 {
		return nil, newErr(codeInvalidParameter, "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
	}
	seen := map[string]bool{}
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

type startQueryOut struct {
	QueryID string `json:"queryId"`
}

func (s *Server) startQuery(rc *reqCtx, in *startQueryIn) (any, *APIError) {
	groups, e := in.groups()
	if e != nil {
		return nil, e
	}
	if lang := strOr(in.QueryLanguage, queryLanguageCWLI); lang != queryLanguageCWLI {
		return nil, newErr(codeInvalidParameter, "Query language %s is not supported by this server; use CWLI.", lang)
	}
	if *in.EndTime < *in.StartTime {
		return nil, newErr(codeInvalidParameter, "End time should not be before start time.")
	}
	q, err := query.ParseInsights(*in.QueryString)
	if err != nil {
		return nil, malformedQuery(*in.QueryString, err)
	}
	for _, g := range groups {
		if _, e := s.group(g); e != nil {
			return nil, e
		}
	}
	now := s.now()
	iq := &insightsQuery{
		id:      requestID(),
		src:     *in.QueryString,
		groups:  groups,
		created: now,
		start:   *in.StartTime * 1000,
		end:     (*in.EndTime + 1) * 1000, // endTime is inclusive: its whole second
		limit:   int(intOr(in.Limit, query.MaxInsightsLimit)),
		q:       q,
		status:  statusScheduled,
	}
	qs := s.queries
	qs.mu.Lock()
	if qs.running >= maxConcurrentQueries {
		qs.mu.Unlock()
		return nil, newErr(codeLimitExceeded, "Account maximum query concurrency limit of [%d] reached.", maxConcurrentQueries)
	}
	if qs.ctx.Err() != nil {
		qs.mu.Unlock()
		return nil, &APIError{Status: 503, Code: codeServiceUnavail, Message: "The server is shutting down."}
	}
	qs.forget(now)
	qs.running++
	qs.byID[iq.id] = iq
	qs.order = append(qs.order, iq)
	ctx, cancel := context.WithTimeout(qs.ctx, qs.timeout)
	iq.cancel = cancel
	qs.wg.Add(1)
	qs.mu.Unlock()
	go s.runQuery(ctx, iq)
	return startQueryOut{QueryID: iq.id}, nil
}

// malformedQuery is StartQuery's answer to a query that does not parse:
// queryCompileError carries the 0-based character offsets of the offending
// token, the end inclusive (unverified against AWS).
func malformedQuery(src string, err error) *APIError {
	e := newErr(codeMalformedQuery, "%s", capitalize(err.Error()))
	var qe *query.QueryError
	if !errors.As(err, &qe) {
		return e
	}
	last := max(len([]rune(src))-1, 0)
	start, end := min(qe.Pos-1, last), min(qe.End-1, last) // the end of the query: its last character
	if qe.Pos <= 0 {
		start, end = 0, last
	}
	e.Extra = map[string]any{"queryCompileError": map[string]any{
		"location": map[string]int{"startCharOffset": start, "endCharOffset": end},
		"message":  qe.Msg,
	}}
	return e
}

// runQuery evaluates iq over the store and records how it ended.
func (s *Server) runQuery(ctx context.Context, iq *insightsQuery) {
	defer s.queries.wg.Done()
	defer iq.cancel()
	// Scheduled until a slot frees: a few queries run at a time, which bounds
	// their CPU and memory; the others wait their turn.
	select {
	case s.queries.slots <- struct{}{}:
		defer func() { <-s.queries.slots }()
	case <-ctx.Done():
	}
	iq.mu.Lock()
	if iq.status == statusScheduled {
		iq.status = statusRunning
	}
	iq.mu.Unlock()
	if g := s.queries.gate; g != nil {
		select {
		case <-g:
		case <-ctx.Done():
		}
	}
	var readErr error
	partial := func(rows [][]query.Field, st query.Stats) {
		iq.mu.Lock()
		if iq.status == statusRunning {
			iq.rows, iq.stats = rows, st
		}
		iq.mu.Unlock()
		if g := s.queries.progressGate; g != nil {
			select {
			case <-g:
			case <-ctx.Done():
			}
		}
	}
	rows, st, err := iq.q.RunWith(s.queryEvents(ctx, iq, &readErr), query.RunOptions{
		Limit: iq.limit, MaxHeld: s.queries.maxHeld, Pointer: encodePtr,
		Progress: partial, ProgressEvery: s.queries.progressEvery})
	status := statusComplete
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		status = statusTimeout
	case ctx.Err() != nil:
		status = statusCancelled
	case err != nil || readErr != nil:
		status = statusFailed
		s.log.Warn("query failed", "queryId", iq.id, "err", errors.Join(err, readErr))
	}
	if status != statusComplete {
		rows = nil
	}
	if rows == nil {
		rows = [][]query.Field{}
	}
	s.queries.mu.Lock()
	s.queries.running--
	s.queries.mu.Unlock()
	iq.mu.Lock()
	defer iq.mu.Unlock()
	if iq.status == statusCancelled { // StopQuery got there first
		return
	}
	iq.status, iq.rows, iq.stats, iq.ended = status, rows, st, s.now()
}

// queryEvents reads the events of iq's groups in its time range, stream by
// stream, a page at a time. Groups or streams deleted meanwhile are skipped;
// another read failure is left in *errp and ends the sequence.
func (s *Server) queryEvents(ctx context.Context, iq *insightsQuery, errp *error) iter.Seq[query.Event] {
	return func(yield func(query.Event) bool) {
		for _, g := range iq.groups {
			streams, err := s.st.Streams(g, "")
			if errors.Is(err, store.ErrGroupNotFound) {
				continue
			}
			if err != nil {
				*errp = err
				return
			}
			logName := s.acct + ":" + g
			// One page slice for the whole query: the events' strings are
			// new with each page, so what the query keeps stays valid.
			var page []store.StoredEvent
			for _, si := range streams {
				if !si.HasEvents || si.LastEventTime < iq.start || si.FirstEventTime >= iq.end {
					continue
				}
				q := store.GetQuery{Start: iq.start, End: iq.end, Limit: queryPageEvents, MaxBytes: queryPageBytes}
				for {
					if ctx.Err() != nil {
						return
					}
					evs, err := s.st.GetInto(page, g, si.Name, q)
					if errors.Is(err, store.ErrGroupNotFound) || errors.Is(err, store.ErrStreamNotFound) {
						break
					}
					if err != nil {
						*errp = err
						return
					}
					if len(evs) == 0 {
						break
					}
					page = evs
					n := 0
					for i := range evs {
						e := &evs[i]
						n += len(e.Message)
						if !yield(query.Event{Timestamp: e.Timestamp, IngestionTime: e.IngestionTime, Message: e.Message,
							LogStream: si.Name, LogGroup: logName, Ref: e.Seq}) {
							return
						}
					}
					iq.scanned.Add(int64(len(evs)))
					iq.bytes.Add(int64(n))
					last := evs[len(evs)-1]
					q.After = &store.Position{Timestamp: last.Timestamp, Seq: last.Seq}
				}
			}
		}
	}
}

// --- GetQueryResults ---

type queryIDIn struct {
	QueryID *string `json:"queryId"`
}

func (in *queryIDIn) check(v *validation) {
	v.str(in.QueryID, "queryId", true, 0, maxQueryIDLen, nil)
}

type getQueryResultsIn struct {
	queryIDIn
	MaxItems  *int64  `json:"maxItems"`
	NextToken *string `json:"nextToken"`
}

func (in *getQueryResultsIn) check(v *validation) {
	in.queryIDIn.check(v)
	v.intRange(in.MaxItems, "maxItems", false, 1, maxResultsPage)
	v.str(in.NextToken, "nextToken", false, 1, 0, nil)
}

type queryStatsOut struct {
	RecordsMatched          float64 `json:"recordsMatched"`
	RecordsScanned          float64 `json:"recordsScanned"`
	BytesScanned            float64 `json:"bytesScanned"`
	EstimatedRecordsSkipped float64 `json:"estimatedRecordsSkipped"`
	EstimatedBytesSkipped   float64 `json:"estimatedBytesSkipped"`
	LogGroupsScanned        float64 `json:"logGroupsScanned"`
}

type getQueryResultsOut struct {
	Status        string          `json:"status"`
	Results       [][]query.Field `json:"results"`
	Statistics    queryStatsOut   `json:"statistics"`
	QueryLanguage string          `json:"queryLanguage"`
	NextToken     string          `json:"nextToken,omitempty"`
}

func (s *Server) getQueryResults(rc *reqCtx, in *getQueryResultsIn) (any, *APIError) {
	iq, e := s.queries.get(*in.QueryID)
	if e != nil {
		return nil, e
	}
	status, rows, st, _ := iq.snapshot()
	from := 0
	if in.NextToken != nil {
		p, ok := openToken(*in.NextToken, 'r')
		n, k := binary.Uvarint(p)
		if !ok || k != len(p) || k <= 0 || n > uint64(len(rows)) {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
		from = int(n)
	}
	if rows == nil {
		rows = [][]query.Field{}
	}
	out := getQueryResultsOut{Status: status, Results: [][]query.Field{}, QueryLanguage: queryLanguageCWLI,
		Statistics: queryStatsOut{RecordsMatched: st.RecordsMatched, RecordsScanned: st.RecordsScanned,
			BytesScanned: st.BytesScanned, LogGroupsScanned: float64(len(iq.groups))}}
	to := len(rows)
	if in.MaxItems != nil && from+int(*in.MaxItems) < to {
		to = from + int(*in.MaxItems)
		out.NextToken = sealToken('r', binary.AppendUvarint(nil, uint64(to)))
	}
	if from < to {
		out.Results = rows[from:to]
	}
	return out, nil
}

// --- StopQuery ---

type stopQueryOut struct {
	Success bool `json:"success"`
}

func (s *Server) stopQuery(rc *reqCtx, in *queryIDIn) (any, *APIError) {
	iq, e := s.queries.get(*in.QueryID)
	if e != nil {
		return nil, e
	}
	iq.mu.Lock()
	if iq.status != statusScheduled && iq.status != statusRunning {
		iq.mu.Unlock()
		return nil, newErr(codeInvalidParameter, "Query is not running.")
	}
	iq.status, iq.rows, iq.ended = statusCancelled, [][]query.Field{}, s.now()
	iq.mu.Unlock()
	iq.cancel()
	return stopQueryOut{Success: true}, nil
}

// --- DescribeQueries ---

type describeQueriesIn struct {
	LogGroupName  *string `json:"logGroupName"`
	Status        *string `json:"status"`
	MaxResults    *int64  `json:"maxResults"`
	NextToken     *string `json:"nextToken"`
	QueryLanguage *string `json:"queryLanguage"`
}

func (in *describeQueriesIn) check(v *validation) {
	v.groupName(in.LogGroupName, false)
	v.enum(in.Status, "status", queryStatuses)
	v.intRange(in.MaxResults, "maxResults", false, 1, maxDescribeQueries)
	v.str(in.NextToken, "nextToken", false, 1, 0, nil)
	v.enum(in.QueryLanguage, "queryLanguage", queryLanguages)
}

type queryInfoOut struct {
	QueryID       string   `json:"queryId"`
	QueryString   string   `json:"queryString"`
	Status        string   `json:"status"`
	CreateTime    int64    `json:"createTime"`
	LogGroupName  string   `json:"logGroupName"`
	QueryLanguage string   `json:"queryLanguage"`
	QueryDuration *int64   `json:"queryDuration,omitempty"`
	BytesScanned  *float64 `json:"bytesScanned,omitempty"`
}

type describeQueriesOut struct {
	Queries   []queryInfoOut `json:"queries"`
	NextToken string         `json:"nextToken,omitempty"`
}

// describeQueries lists the known queries newest first; the token is the
// id of the last one listed.
func (s *Server) describeQueries(rc *reqCtx, in *describeQueriesIn) (any, *APIError) {
	limit := int(intOr(in.MaxResults, maxDescribeQueries))
	qs := s.queries
	qs.mu.Lock()
	qs.forget(s.now())
	list := append([]*insightsQuery(nil), qs.order...)
	qs.mu.Unlock()
	i := len(list) - 1
	if in.NextToken != nil {
		id, ok := decodeNameToken(*in.NextToken, 'q')
		if !ok {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
		for i >= 0 && list[i].id != id {
			i--
		}
		i-- // resume after it
	}
	out := describeQueriesOut{Queries: []queryInfoOut{}}
	if lang := strOr(in.QueryLanguage, queryLanguageCWLI); lang != queryLanguageCWLI {
		return out, nil
	}
	for ; i >= 0; i-- {
		iq := list[i]
		status, _, st, ended := iq.snapshot()
		if in.Status != nil && status != *in.Status {
			continue
		}
		if in.LogGroupName != nil && !slices.Contains(iq.groups, *in.LogGroupName) {
			continue
		}
		if len(out.Queries) == limit {
			out.NextToken = encodeNameToken('q', out.Queries[limit-1].QueryID)
			break
		}
		o := queryInfoOut{QueryID: iq.id, QueryString: iq.src, Status: status, CreateTime: iq.created.UnixMilli(),
			LogGroupName: iq.groups[0], QueryLanguage: queryLanguageCWLI}
		if !ended.IsZero() {
			d, b := ended.Sub(iq.created).Milliseconds(), st.BytesScanned
			o.QueryDuration, o.BytesScanned = &d, &b
		}
		out.Queries = append(out.Queries, o)
	}
	return out, nil
}
