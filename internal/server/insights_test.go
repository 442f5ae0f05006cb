package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
)

// insightsBase is the first event time of the Insights fixture: the server
// clock less 30 minutes, on a 5-minute boundary.
func insightsBase(now time.Time) int64 {
	return now.Add(-30 * time.Minute).Truncate(5 * time.Minute).UnixMilli()
}

// putInsightsFixture creates /app/web (streams a and b) and /app/api
// (stream c) with a few events from base on.
func putInsightsFixture(t *testing.T, c *cwl.Client, base int64) {
	t.Helper()
	ctx := context.Background()
	const m = 60_000
	for g, streams := range map[string]map[string][]types.InputLogEvent{
		"/app/web": {
			"a": {ev(base, "INFO start"), ev(base+m, "ERROR disk full"), ev(base+6*m, `{"level":"ERROR","latency":40}`)},
			"b": {ev(base+1000, "INFO ok"), ev(base+6*m+999, "INFO edge"), ev(base+7*m, "ERROR timeout")},
		},
		"/app/api": {
			"c": {ev(base+2000, "ERROR api down"), ev(base+11*m, "INFO api up")},
		},
	} {
		must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(g)}))(t)
		for s, evs := range streams {
			must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s)}))(t)
			must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(g), LogStreamName: aws.String(s), LogEvents: evs}))(t)
		}
	}
}

func ev(ts int64, msg string) types.InputLogEvent {
	return types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(msg)}
}

// waitQuery polls GetQueryResults until the query reaches status want.
func waitQuery(t *testing.T, c *cwl.Client, id string, want types.QueryStatus) *cwl.GetQueryResultsOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := must(c.GetQueryResults(context.Background(), &cwl.GetQueryResultsInput{QueryId: aws.String(id)}))(t)
		if out.Status == want {
			return out
		}
		switch out.Status {
		case types.QueryStatusScheduled, types.QueryStatusRunning:
		default:
			t.Fatalf("query %s ended %s, want %s", id, out.Status, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s still %s, want %s", id, out.Status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// renderResults prints rows as "field=value" cells, leaving @ptr out.
func renderResults(rows [][]types.ResultField) string {
	var b strings.Builder
	for _, row := range rows {
		sep := ""
		for _, f := range row {
			if aws.ToString(f.Field) == "@ptr" {
				continue
			}
			fmt.Fprintf(&b, "%s%s=%s", sep, aws.ToString(f.Field), aws.ToString(f.Value))
			sep = " "
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func insightsTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

func TestSDKInsights(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	base := insightsBase(*ts.clock)
	putInsightsFixture(t, c, base)
	const m = 60_000
	from, to := base/1000-60, ts.clock.Unix()
	start := func(t *testing.T, in *cwl.StartQueryInput) string {
		t.Helper()
		if in.StartTime == nil {
			in.StartTime, in.EndTime = aws.Int64(from), aws.Int64(to)
		}
		return aws.ToString(must(c.StartQuery(ctx, in))(t).QueryId)
	}

	t.Run("FieldsFilterSortLimit", func(t *testing.T) {
		id := start(t, &cwl.StartQueryInput{LogGroupName: aws.String("/app/web"),
			QueryString: aws.String("fields @timestamp, @message, @logStream, @log | filter @message like /ERROR/ | sort @timestamp desc | limit 2")})
		out := waitQuery(t, c, id, types.QueryStatusComplete)
		want := fmt.Sprintf("@timestamp=%s @message=ERROR timeout @logStream=b @log=000000000000:/app/web\n"+
			"@timestamp=%s @message={\"level\":\"ERROR\",\"latency\":40} @logStream=a @log=000000000000:/app/web\n",
			insightsTime(base+7*m), insightsTime(base+6*m))
		if got := renderResults(out.Results); got != want {
			t.Errorf("results:\n%s\nwant:\n%s", got, want)
		}
		ptrs := map[string]bool{}
		for _, row := range out.Results {
			for _, f := range row {
				if aws.ToString(f.Field) == "@ptr" && aws.ToString(f.Value) != "" {
					ptrs[aws.ToString(f.Value)] = true
				}
			}
		}
		if len(ptrs) != 2 {
			t.Errorf("rows carry %d distinct @ptr values, want 2", len(ptrs))
		}
		// Each @ptr leads back to its event through GetLogRecord.
		for _, row := range out.Results {
			cell := map[string]string{}
			for _, f := range row {
				cell[aws.ToString(f.Field)] = aws.ToString(f.Value)
			}
			rec := must(c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: aws.String(cell["@ptr"])}))(t).LogRecord
			if rec["@message"] != cell["@message"] || rec["@logStream"] != cell["@logStream"] || rec["@log"] != cell["@log"] {
				t.Errorf("GetLogRecord(%s) = %v, want the row %v", cell["@ptr"], rec, cell)
			}
		}
		_, err := c.GetLogRecord(ctx, &cwl.GetLogRecordInput{LogRecordPointer: aws.String("not-a-pointer")})
		wantAPIError[*types.InvalidParameterException](t, err, "The specified logRecordPointer is invalid.")
		st := out.Statistics
		var bytes float64
		for _, msg := range []string{"INFO start", "ERROR disk full", `{"level":"ERROR","latency":40}`, "INFO ok", "INFO edge", "ERROR timeout"} {
			bytes += float64(len(msg))
		}
		if st == nil || st.RecordsScanned != 6 || st.RecordsMatched != 3 || st.BytesScanned != bytes {
			t.Errorf("statistics %+v, want scanned 6, matched 3, bytes %v", st, bytes)
		}
	})

	t.Run("StatsByBinOverIdentifiers", func(t *testing.T) {
		id := start(t, &cwl.StartQueryInput{
			LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:000000000000:log-group:/app/web", "/app/api"},
			QueryString:         aws.String("filter @message like /ERROR/ | stats count(*) by bin(5m)")})
		out := waitQuery(t, c, id, types.QueryStatusComplete)
		want := fmt.Sprintf("bin(5m)=%s count(*)=2\nbin(5m)=%s count(*)=2\n", insightsTime(base+5*m), insightsTime(base))
		if got := renderResults(out.Results); got != want {
			t.Errorf("results:\n%s\nwant:\n%s", got, want)
		}
		for _, row := range out.Results {
			for _, f := range row {
				if aws.ToString(f.Field) == "@ptr" {
					t.Errorf("aggregate row carries @ptr: %v", row)
				}
			}
		}
		if out.Statistics.RecordsScanned != 8 || out.Statistics.RecordsMatched != 4 {
			t.Errorf("statistics %+v, want scanned 8, matched 4", out.Statistics)
		}
	})

	t.Run("TimeRangeInSecondsEndInclusive", func(t *testing.T) {
		for _, tc := range []struct {
			end  int64
			want string
		}{
			{(base + 6*m) / 1000, "n=3\n"}, // base+1m, base+6m and base+6m+999 ms
			{(base+6*m)/1000 - 1, "n=1\n"},
		} {
			id := start(t, &cwl.StartQueryInput{LogGroupNames: []string{"/app/web"},
				StartTime: aws.Int64((base + m) / 1000), EndTime: aws.Int64(tc.end),
				QueryString: aws.String("stats count(*) as n")})
			out := waitQuery(t, c, id, types.QueryStatusComplete)
			if got := renderResults(out.Results); got != tc.want {
				t.Errorf("endTime %d: %q, want %q", tc.end, got, tc.want)
			}
		}
	})

	t.Run("LimitAndPaging", func(t *testing.T) {
		id := start(t, &cwl.StartQueryInput{LogGroupName: aws.String("/app/web"), Limit: aws.Int32(3),
			QueryString: aws.String("fields @message")})
		waitQuery(t, c, id, types.QueryStatusComplete)
		var all []string
		var token *string
		for page := 0; ; page++ {
			out := must(c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String(id), MaxItems: aws.Int32(2), NextToken: token}))(t)
			all = append(all, strings.TrimSpace(renderResults(out.Results)))
			if token = out.NextToken; token == nil || page > 3 {
				break
			}
		}
		want := []string{"@message=ERROR timeout\n@message=INFO edge", "@message={\"level\":\"ERROR\",\"latency\":40}"}
		if fmt.Sprint(all) != fmt.Sprint(want) {
			t.Errorf("pages %q, want %q", all, want)
		}
	})

	t.Run("MalformedQuery", func(t *testing.T) {
		src := "fields @message | frobnicate x"
		_, err := c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/app/web"),
			StartTime: aws.Int64(from), EndTime: aws.Int64(to), QueryString: aws.String(src)})
		wantAPIError[*types.MalformedQueryException](t, err, "")
		var me *types.MalformedQueryException
		if !errors.As(err, &me) || me.QueryCompileError == nil || me.QueryCompileError.Location == nil {
			t.Fatalf("no queryCompileError in %v", err)
		}
		loc := me.QueryCompileError.Location
		s := strings.Index(src, "frobnicate")
		if aws.ToInt32(loc.StartCharOffset) != int32(s) || aws.ToInt32(loc.EndCharOffset) != int32(s+len("frobnicate")-1) {
			t.Errorf("location %d..%d, want %d..%d", aws.ToInt32(loc.StartCharOffset), aws.ToInt32(loc.EndCharOffset), s, s+len("frobnicate")-1)
		}
		if !strings.Contains(aws.ToString(me.QueryCompileError.Message), "frobnicate") {
			t.Errorf("compile error message %q does not name the command", aws.ToString(me.QueryCompileError.Message))
		}
	})

	t.Run("Errors", func(t *testing.T) {
		q := aws.String("fields @message")
		_, err := c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/nope"), StartTime: aws.Int64(from), EndTime: aws.Int64(to), QueryString: q})
		wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/app/web"), StartTime: aws.Int64(to), EndTime: aws.Int64(from), QueryString: q})
		wantAPIError[*types.InvalidParameterException](t, err, "End time should not be before start time.")
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("/app/web"), LogGroupNames: []string{"/app/api"},
			StartTime: aws.Int64(from), EndTime: aws.Int64(to), QueryString: q})
		wantAPIError[*types.InvalidParameterException](t, err, "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
		many := make([]string, maxQueryGroups+1)
		for i := range many {
			many[i] = fmt.Sprintf("/g/%d", i)
		}
		_, err = c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupNames: many, StartTime: aws.Int64(from), EndTime: aws.Int64(to), QueryString: q})
		wantAPIError[*types.InvalidParameterException](t, err, "")
		if !strings.Contains(err.Error(), "Member must have length less than or equal to 50") {
			t.Errorf("51 groups: %v", err)
		}
		_, err = c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String("no-such-query")})
		wantAPIError[*types.ResourceNotFoundException](t, err, "Query does not exist.")
		_, err = c.StopQuery(ctx, &cwl.StopQueryInput{QueryId: aws.String("no-such-query")})
		wantAPIError[*types.ResourceNotFoundException](t, err, "Query does not exist.")
	})

	t.Run("GetLogGroupFields", func(t *testing.T) {
		out := must(c.GetLogGroupFields(ctx, &cwl.GetLogGroupFieldsInput{
			LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/app/web"),
			Time:               aws.Int64((base + 5*m) / 1000)}))(t) // 8 minutes either side: all six events
		var got []string
		for _, f := range out.LogGroupFields {
			got = append(got, fmt.Sprintf("%s=%d", aws.ToString(f.Name), f.Percent))
		}
		want := "[@timestamp=100 @message=100 @logStream=100 @log=100 @ingestionTime=100 latency=17 level=17]"
		if fmt.Sprint(got) != want {
			t.Errorf("fields %v, want %s", got, want)
		}
		// The last 15 minutes hold no event of the fixture.
		if out := must(c.GetLogGroupFields(ctx, &cwl.GetLogGroupFieldsInput{LogGroupName: aws.String("/app/web")}))(t); len(out.LogGroupFields) != 0 {
			t.Errorf("fields of the last 15 minutes: %+v", out.LogGroupFields)
		}
		_, err := c.GetLogGroupFields(ctx, &cwl.GetLogGroupFieldsInput{LogGroupName: aws.String("/nope")})
		wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
	})

	t.Run("DescribeQueries", func(t *testing.T) {
		out := must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{LogGroupName: aws.String("/app/api")}))(t)
		if len(out.Queries) != 1 {
			t.Fatalf("queries of /app/api: %+v", out.Queries)
		}
		qi := out.Queries[0]
		if aws.ToInt64(qi.CreateTime) != ts.clock.UnixMilli() || qi.Status != types.QueryStatusComplete ||
			!strings.Contains(aws.ToString(qi.QueryString), "bin(5m)") || qi.QueryLanguage != types.QueryLanguageCwli {
			t.Errorf("query info %+v", qi)
		}
		all := must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{Status: types.QueryStatusComplete}))(t)
		if len(all.Queries) != 5 {
			t.Errorf("%d complete queries, want 5", len(all.Queries))
		}
		var ids []string
		var token *string
		for page := 0; page < 5; page++ {
			out := must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{MaxResults: aws.Int32(2), NextToken: token}))(t)
			for _, q := range out.Queries {
				ids = append(ids, aws.ToString(q.QueryId))
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if len(ids) != 5 || ids[0] != aws.ToString(all.Queries[0].QueryId) || ids[4] != aws.ToString(all.Queries[4].QueryId) {
			t.Errorf("paged ids %v, want the 5 of %+v", ids, all.Queries)
		}
	})
}

// startHeldQuery starts a server with the Insights fixture whose queries wait
// in Running until gate is closed, and starts one query over /app/web.
func startHeldQuery(t *testing.T, src string) (ts *testServer, in *cwl.StartQueryInput, id string, gate chan struct{}) {
	t.Helper()
	ts = startServer(t, Options{})
	gate = make(chan struct{})
	ts.srv.queries.gate = gate
	c := ts.client()
	putInsightsFixture(t, c, insightsBase(*ts.clock))
	in = &cwl.StartQueryInput{LogGroupName: aws.String("/app/web"), StartTime: aws.Int64(0),
		EndTime: aws.Int64(ts.clock.Unix()), QueryString: aws.String(src)}
	id = aws.ToString(must(c.StartQuery(context.Background(), in))(t).QueryId)
	waitQuery(t, c, id, types.QueryStatusRunning)
	return ts, in, id, gate
}

// TestSDKInsightsStopLimitTimeout holds queries in Running to stop them, to
// reach the concurrency limit and to let them time out.
func TestSDKInsightsStopLimitTimeout(t *testing.T) {
	ts, in, id, gate := startHeldQuery(t, "stats count(*) as n")
	c := ts.client()
	ctx := context.Background()
	if out := must(c.StopQuery(ctx, &cwl.StopQueryInput{QueryId: aws.String(id)}))(t); !out.Success {
		t.Fatalf("StopQuery: %+v", out)
	}
	if out := must(c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String(id)}))(t); out.Status != types.QueryStatusCancelled || len(out.Results) != 0 {
		t.Fatalf("after StopQuery: %s %v", out.Status, out.Results)
	}
	_, err := c.StopQuery(ctx, &cwl.StopQueryInput{QueryId: aws.String(id)})
	wantAPIError[*types.InvalidParameterException](t, err, "Query is not running.")

	// The stopped query's goroutine ends; then 100 may run and the 101st is refused.
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.queries.runningNow() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stopped query still counts as running")
		}
		time.Sleep(time.Millisecond)
	}
	var ids []string
	for range maxConcurrentQueries {
		ids = append(ids, aws.ToString(must(c.StartQuery(ctx, in))(t).QueryId))
	}
	_, err = c.StartQuery(ctx, in)
	wantAPIError[*types.LimitExceededException](t, err, "Account maximum query concurrency limit of [100] reached.")
	// Only a few run at a time; the others stay Scheduled.
	slots := cap(ts.srv.queries.slots)
	for deadline := time.Now().Add(5 * time.Second); ; {
		running := must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{Status: types.QueryStatusRunning}))(t).Queries
		scheduled := must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{Status: types.QueryStatusScheduled}))(t).Queries
		if len(running) == slots && len(scheduled) == maxConcurrentQueries-slots {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Running and %d Scheduled, want %d and %d", len(running), len(scheduled), slots, maxConcurrentQueries-slots)
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	for _, id := range ids {
		if out := waitQuery(t, c, id, types.QueryStatusComplete); renderResults(out.Results) != "n=6\n" {
			t.Fatalf("query %s: %v", id, renderResults(out.Results))
		}
	}

	// A query that would hold more than maxHeld records fails.
	ts.srv.queries.maxHeld = 2
	failed := *in
	failed.QueryString = aws.String("dedup @message")
	waitQuery(t, c, aws.ToString(must(c.StartQuery(ctx, &failed))(t).QueryId), types.QueryStatusFailed)

	// A query that outlives the timeout ends in Timeout.
	ts.srv.queries.gate = make(chan struct{})
	ts.srv.queries.timeout = 20 * time.Millisecond
	id = aws.ToString(must(c.StartQuery(ctx, in))(t).QueryId)
	if out := waitQuery(t, c, id, types.QueryStatusTimeout); len(out.Results) != 0 {
		t.Fatalf("timed-out query has results: %v", out.Results)
	}
}

// TestInsightsForgetsEndedQueries checks that results are dropped after
// queryRetention.
func TestInsightsForgetsEndedQueries(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixMilli())
	ts := startServer(t, Options{Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	c := ts.client()
	ctx := context.Background()
	putInsightsFixture(t, c, insightsBase(time.UnixMilli(clock.Load())))
	in := &cwl.StartQueryInput{LogGroupName: aws.String("/app/api"), StartTime: aws.Int64(0),
		EndTime: aws.Int64(clock.Load() / 1000), QueryString: aws.String("fields @message")}
	old := aws.ToString(must(c.StartQuery(ctx, in))(t).QueryId)
	waitQuery(t, c, old, types.QueryStatusComplete)
	clock.Add((queryRetention + time.Minute).Milliseconds())
	fresh := aws.ToString(must(c.StartQuery(ctx, in))(t).QueryId)
	waitQuery(t, c, fresh, types.QueryStatusComplete)
	_, err := c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String(old)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Query does not exist.")
	out := must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{}))(t)
	if len(out.Queries) != 1 || aws.ToString(out.Queries[0].QueryId) != fresh {
		t.Errorf("queries after the retention: %+v", out.Queries)
	}
	// Beyond maxEndedQueries the oldest ended query is forgotten first.
	for range maxEndedQueries {
		waitQuery(t, c, aws.ToString(must(c.StartQuery(ctx, in))(t).QueryId), types.QueryStatusComplete)
	}
	out = must(c.DescribeQueries(ctx, &cwl.DescribeQueriesInput{}))(t)
	if len(out.Queries) != maxEndedQueries || aws.ToString(out.Queries[len(out.Queries)-1].QueryId) == fresh {
		t.Errorf("%d queries kept, the oldest %s; want %d without %s", len(out.Queries),
			aws.ToString(out.Queries[len(out.Queries)-1].QueryId), maxEndedQueries, fresh)
	}
	_, err = c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String(fresh)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "Query does not exist.")
}

func TestMalformedQueryLocation(t *testing.T) {
	for _, tc := range []struct {
		src        string
		start, end int
	}{
		{"fields a | nosuch(x)", 11, 16},
		{"stats count(*) by", 16, 16}, // at the end: the last character
		{"filter é ! b", 9, 9},        // character offsets, not bytes
		{"", 0, 0},
	} {
		_, err := query.ParseInsights(tc.src)
		e := malformedQuery(tc.src, err)
		loc := e.Extra["queryCompileError"].(map[string]any)["location"].(map[string]int)
		if e.Code != codeMalformedQuery || loc["startCharOffset"] != tc.start || loc["endCharOffset"] != tc.end {
			t.Errorf("%q: %s %v, want %d..%d", tc.src, e.Code, loc, tc.start, tc.end)
		}
	}
}

// TestInsightsClose checks that Close ends the running queries and refuses
// new ones.
func TestInsightsClose(t *testing.T) {
	ts, in, id, _ := startHeldQuery(t, "fields @message") // the gate is never opened
	c := ts.client()
	ctx := context.Background()
	ts.srv.Close() // returns once the query's goroutine is gone
	if n := ts.srv.queries.runningNow(); n != 0 {
		t.Fatalf("%d queries still running after Close", n)
	}
	if out := must(c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String(id)}))(t); out.Status != types.QueryStatusCancelled {
		t.Errorf("status after Close %s, want Cancelled", out.Status)
	}
	_, err := c.StartQuery(ctx, in)
	wantAPIError[*types.ServiceUnavailableException](t, err, "The server is shutting down.")
}

// TestInsightsPartialResults checks that GetQueryResults shows the rows so
// far while a query runs.
func TestInsightsPartialResults(t *testing.T) {
	ts := startServer(t, Options{})
	ts.srv.queries.progressEvery = 0 // every 4,096 events
	progress := make(chan struct{})
	ts.srv.queries.progressGate = progress
	now := ts.clock.UnixMilli()
	if err := ts.st.CreateGroup(store.GroupSpec{Name: "big"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.CreateStream("big", "s"); err != nil {
		t.Fatal(err)
	}
	evs := make([]store.Event, 10_000)
	for i := range evs {
		evs[i] = store.Event{Timestamp: now - 10_000 + int64(i), Message: "line " + fmt.Sprint(i)}
	}
	if _, err := ts.st.Put("big", "s", evs); err != nil {
		t.Fatal(err)
	}
	c := ts.client()
	ctx := context.Background()
	id := aws.ToString(must(c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("big"), StartTime: aws.Int64(0),
		EndTime: aws.Int64(ts.clock.Unix()), QueryString: aws.String("stats count(*) as n")}))(t).QueryId)
	var out *cwl.GetQueryResultsOutput
	for deadline := time.Now().Add(5 * time.Second); ; {
		out = must(c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: aws.String(id)}))(t)
		if len(out.Results) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if got := renderResults(out.Results); out.Status != types.QueryStatusRunning || got != "n=4095\n" || out.Statistics.RecordsMatched != 4095 {
		t.Fatalf("while running: %s %q %+v, want Running n=4095", out.Status, got, out.Statistics)
	}
	close(progress)
	if out := waitQuery(t, c, id, types.QueryStatusComplete); renderResults(out.Results) != "n=10000\n" {
		t.Errorf("complete: %q", renderResults(out.Results))
	}
}
