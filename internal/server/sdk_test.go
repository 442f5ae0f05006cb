package server

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/logwarden/logwarden/internal/store"
)

type testServer struct {
	url   string
	st    *store.Store
	srv   *Server
	clock *time.Time
}

// startServer runs the API over a fresh store on a loopback httptest server.
func startServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	now := time.Now()
	ts := &testServer{clock: &now}
	if opts.Now == nil {
		opts.Now = func() time.Time { return *ts.clock }
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(t.TempDir(), "data"), RetentionInterval: -1, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close() // first: it ends Live Tail streams, which hs.Close waits for
		hs.Close()
		st.Close()
	})
	ts.url, ts.st, ts.srv = hs.URL, st, srv
	return ts
}

func newClient(url, key, secret string) *cwl.Client {
	return cwl.New(cwl.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
	})
}

func (ts *testServer) client() *cwl.Client { return newClient(ts.url, "AKIDTEST", "secret") }

// must(f())(t) returns f's value or fails the test.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantAPIError checks err is the typed error T with the given message.
func wantAPIError[T error](t *testing.T, err error, msg string) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T) is not %T", err, err, target)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("message %q, want %q", ae.ErrorMessage(), msg)
	}
}

func TestSDKLifecycle(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app/web"),
		Tags: map[string]string{"team": "ops"}}))(t)
	_, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app/web")})
	wantAPIError[*types.ResourceAlreadyExistsException](t, err, msgGroupExists)
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("i-1@host")}))(t)
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("i-1@host")})
	wantAPIError[*types.ResourceAlreadyExistsException](t, err, msgStreamExists)
	_, err = c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s")})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)

	base := ts.clock.UnixMilli() - 1000
	put := must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("i-1@host"),
		LogEvents: []types.InputLogEvent{
			{Timestamp: aws.Int64(base), Message: aws.String("GET /a 200")},
			{Timestamp: aws.Int64(base + 1), Message: aws.String(`héllo "q" <tag> ERROR`)},
			{Timestamp: aws.Int64(base + 1), Message: aws.String("GET /b 500 ERROR")},
		}}))(t)
	if len(aws.ToString(put.NextSequenceToken)) != 56 || put.RejectedLogEventsInfo != nil {
		t.Fatalf("put output: %+v", put)
	}
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("nope"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base), Message: aws.String("x")}}})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgStreamNotFound)

	// GetLogEvents with the SDK paginator terminates on the duplicate token.
	p := cwl.NewGetLogEventsPaginator(c, &cwl.GetLogEventsInput{LogGroupName: aws.String("/app/web"),
		LogStreamName: aws.String("i-1@host"), StartFromHead: aws.Bool(true), Limit: aws.Int32(2)},
		func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var got []string
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 10 {
			t.Fatal("paginator does not stop")
		}
		out := must(p.NextPage(ctx))(t)
		for _, e := range out.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	if len(got) != 3 || got[1] != `héllo "q" <tag> ERROR` {
		t.Fatalf("get events: %q", got)
	}

	// FilterLogEvents by ARN identifier, pattern, prefix.
	arn := "arn:aws:logs:us-east-1:000000000000:log-group:/app/web"
	fo := must(c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupIdentifier: aws.String(arn),
		FilterPattern: aws.String("ERROR"), LogStreamNamePrefix: aws.String("i-1")}))(t)
	if len(fo.Events) != 2 || fo.NextToken != nil || fo.SearchedLogStreams == nil || len(aws.ToString(fo.Events[0].EventId)) != 56 {
		t.Fatalf("filter: %+v", fo)
	}
	_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/app/web"),
		LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")})
	wantAPIError[*types.InvalidParameterException](t, err, "")

	// Describe.
	dg := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupIdentifiers: []string{"/app/web"}}))(t)
	if len(dg.LogGroups) != 1 || aws.ToInt64(dg.LogGroups[0].StoredBytes) == 0 || aws.ToString(dg.LogGroups[0].LogGroupArn) != arn ||
		aws.ToString(dg.LogGroups[0].Arn) != arn+":*" || dg.LogGroups[0].RetentionInDays != nil {
		t.Fatalf("describe groups: %+v", dg.LogGroups)
	}
	ds := must(c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("/app/web"),
		OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)}))(t)
	if len(ds.LogStreams) != 1 || aws.ToInt64(ds.LogStreams[0].LastEventTimestamp) != base+1 {
		t.Fatalf("describe streams: %+v", ds.LogStreams)
	}
	_, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("/app/web"),
		OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("i")})
	wantAPIError[*types.InvalidParameterException](t, err, msgOrderByLastEvent)

	// Retention.
	_, err = c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/app/web"), RetentionInDays: aws.Int32(8)})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	if !strings.Contains(err.Error(), "Member must satisfy enum value set: [1, 3, 5, 7, 14,") {
		t.Fatalf("retention error: %v", err)
	}
	must(c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/app/web"), RetentionInDays: aws.Int32(7)}))(t)
	dg = must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/app")}))(t)
	if aws.ToInt32(dg.LogGroups[0].RetentionInDays) != 7 {
		t.Fatalf("retention not applied: %+v", dg.LogGroups[0])
	}
	must(c.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String("/app/web")}))(t)

	// Tags, both generations.
	must(c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod"}}))(t)
	must(c.UntagResource(ctx, &cwl.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}))(t)
	lt := must(c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(arn)}))(t)
	if len(lt.Tags) != 1 || lt.Tags["env"] != "prod" {
		t.Fatalf("tags: %v", lt.Tags)
	}
	must(c.TagLogGroup(ctx, &cwl.TagLogGroupInput{LogGroupName: aws.String("/app/web"), Tags: map[string]string{"a": "b"}}))(t)
	must(c.UntagLogGroup(ctx, &cwl.UntagLogGroupInput{LogGroupName: aws.String("/app/web"), Tags: []string{"env"}}))(t)
	ltg := must(c.ListTagsLogGroup(ctx, &cwl.ListTagsLogGroupInput{LogGroupName: aws.String("/app/web")}))(t)
	if len(ltg.Tags) != 1 || ltg.Tags["a"] != "b" {
		t.Fatalf("legacy tags: %v", ltg.Tags)
	}
	_, err = c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(arn + "x"), Tags: map[string]string{"a": "b"}})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgResourceNotFound)

	// Delete.
	must(c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("i-1@host")}))(t)
	_, err = c.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("i-1@host")})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgStreamNotFound)
	must(c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/app/web")}))(t)
	_, err = c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/app/web")})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
}

func TestSDKPutLogEventsRules(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("g")}))(t)
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}))(t)
	now := ts.clock.UnixMilli()
	ev := func(ts int64, msg string) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(msg)}
	}
	big := strings.Repeat("x", maxEventBytes-store.EventOverhead+1)
	half := strings.Repeat("y", 600_000)
	day := int64(store.DayMillis)
	tests := []struct {
		name                string
		events              []types.InputLogEvent
		errMsg              string
		tooOld, tooNew, exp int32
		stored              int
	}{
		{"ok", []types.InputLogEvent{ev(now, "a"), ev(now, "b")}, "", -1, -1, -1, 2},
		{"empty list", []types.InputLogEvent{}, "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1", -1, -1, -1, 0},
		{"empty message", []types.InputLogEvent{ev(now, "")}, "1 validation error detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", -1, -1, -1, 0},
		{"order", []types.InputLogEvent{ev(now, "a"), ev(now-1, "b")}, msgChronological, -1, -1, -1, 0},
		{"event too large", []types.InputLogEvent{ev(now, big)}, "Log event too large: 1048577 bytes exceeds limit of 1048576", -1, -1, -1, 0},
		{"upload too large", []types.InputLogEvent{ev(now, half), ev(now, half)}, "Upload too large: 1200052 bytes exceeds limit of 1048576", -1, -1, -1, 0},
		{"span", []types.InputLogEvent{ev(now-day-1, "a"), ev(now, "b")}, msgSpan24h, -1, -1, -1, 0},
		{"rejected", []types.InputLogEvent{ev(now-15*day, "old"), ev(now-1, "ok"), ev(now, "ok"), ev(now+3*3_600_000, "future")}, "", 1, 3, -1, 2},
		{"all too new", []types.InputLogEvent{ev(now+3*3_600_000, "future")}, "", -1, 0, -1, 0},
	}
	total := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: tc.events})
			if tc.errMsg != "" {
				wantAPIError[*types.InvalidParameterException](t, err, tc.errMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ri := out.RejectedLogEventsInfo
			get := func(p *int32) int32 {
				if p == nil {
					return -1
				}
				return *p
			}
			if ri == nil {
				ri = &types.RejectedLogEventsInfo{}
			}
			if get(ri.TooOldLogEventEndIndex) != tc.tooOld || get(ri.TooNewLogEventStartIndex) != tc.tooNew || get(ri.ExpiredLogEventEndIndex) != tc.exp {
				t.Fatalf("rejected info %+v", ri)
			}
			total += tc.stored
			got := must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)}))(t)
			if len(got.Events) != total {
				t.Fatalf("stored %d events, want %d", len(got.Events), total)
			}
		})
	}
	// Expired events (retention) are rejected with expiredLogEventEndIndex.
	must(c.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}))(t)
	out := must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{ev(now-2*day+5, "expired"), ev(now-1, "ok")}}))(t)
	if ri := out.RejectedLogEventsInfo; ri == nil || aws.ToInt32(ri.ExpiredLogEventEndIndex) != 1 || ri.TooOldLogEventEndIndex != nil {
		t.Fatalf("expired: %+v", out.RejectedLogEventsInfo)
	}
}

func TestSDKGetLogEventsTokens(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("g")}))(t)
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}))(t)
	base := ts.clock.UnixMilli() - 100
	var evs []types.InputLogEvent
	for i := 0; i < 7; i++ {
		evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(base + int64(i)), Message: aws.String(fmt.Sprint(i))})
	}
	must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: evs}))(t)
	in := func(tok *string, head bool) *cwl.GetLogEventsInput {
		return &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(3), NextToken: tok, StartFromHead: aws.Bool(head)}
	}
	msgs := func(o *cwl.GetLogEventsOutput) string {
		var b []string
		for _, e := range o.Events {
			b = append(b, aws.ToString(e.Message))
		}
		return strings.Join(b, "")
	}
	// Backward from the end (startFromHead=false).
	o := must(c.GetLogEvents(ctx, in(nil, false)))(t)
	if msgs(o) != "456" {
		t.Fatalf("tail page %q", msgs(o))
	}
	o = must(c.GetLogEvents(ctx, in(o.NextBackwardToken, false)))(t)
	if msgs(o) != "123" {
		t.Fatalf("backward page %q", msgs(o))
	}
	o = must(c.GetLogEvents(ctx, in(o.NextBackwardToken, false)))(t)
	if msgs(o) != "0" {
		t.Fatalf("backward page %q", msgs(o))
	}
	tok := o.NextBackwardToken
	o = must(c.GetLogEvents(ctx, in(tok, false)))(t)
	if msgs(o) != "" || aws.ToString(o.NextBackwardToken) != aws.ToString(tok) {
		t.Fatalf("end of backward paging: %q %s", msgs(o), aws.ToString(o.NextBackwardToken))
	}
	// Forward paging with endTime exclusive.
	o = must(c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		StartFromHead: aws.Bool(true), StartTime: aws.Int64(base + 2), EndTime: aws.Int64(base + 5)}))(t)
	if msgs(o) != "234" {
		t.Fatalf("time range %q", msgs(o))
	}
	// A later event shows up behind an old forward token (stable cursor).
	o = must(c.GetLogEvents(ctx, in(nil, true)))(t)
	o = must(c.GetLogEvents(ctx, in(o.NextForwardToken, true)))(t)
	o = must(c.GetLogEvents(ctx, in(o.NextForwardToken, true)))(t)
	end := o.NextForwardToken
	o = must(c.GetLogEvents(ctx, in(end, true)))(t)
	if msgs(o) != "" || aws.ToString(o.NextForwardToken) != aws.ToString(end) {
		t.Fatalf("end of forward paging: %q", msgs(o))
	}
	must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(base + 50), Message: aws.String("7")}}}))(t)
	o = must(c.GetLogEvents(ctx, in(end, true)))(t)
	if msgs(o) != "7" {
		t.Fatalf("new event after end token: %q", msgs(o))
	}
	_, err := c.GetLogEvents(ctx, in(aws.String("f/123"), true))
	wantAPIError[*types.InvalidParameterException](t, err, msgBadToken)
}

func TestSDKDescribePaging(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	for _, g := range []string{"b", "a", "B", "a.b", "_x"} {
		must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(g)}))(t)
	}
	var names []string
	var tok *string
	for {
		o := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(2), NextToken: tok}))(t)
		for _, g := range o.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
		if tok = o.NextToken; tok == nil {
			break
		}
	}
	if strings.Join(names, " ") != "B _x a a.b b" {
		t.Fatalf("ASCII order: %v", names)
	}
	o := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String(".")}))(t)
	if len(o.LogGroups) != 1 || o.LogGroups[0].StoredBytes != nil || o.LogGroups[0].Arn == nil {
		t.Fatalf("pattern: %+v", o.LogGroups)
	}
	_, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{Limit: aws.Int32(51)})
	wantAPIError[*types.InvalidParameterException](t, err, "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50")
	_, err = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{NextToken: aws.String("garbage")})
	wantAPIError[*types.InvalidParameterException](t, err, msgBadToken)

	// Streams whose names contain '@' page correctly (moto truncates here).
	for _, s := range []string{"x@1", "x@2", "x@3", "y"} {
		must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("a"), LogStreamName: aws.String(s)}))(t)
	}
	p := cwl.NewDescribeLogStreamsPaginator(c, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("a"), Limit: aws.Int32(1), Descending: aws.Bool(true)})
	names = nil
	for p.HasMorePages() {
		for _, s := range must(p.NextPage(ctx))(t).LogStreams {
			names = append(names, aws.ToString(s.LogStreamName))
		}
	}
	if strings.Join(names, " ") != "y x@3 x@2 x@1" {
		t.Fatalf("stream paging: %v", names)
	}
}

func TestSDKFilterPagingAcrossStreams(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("g")}))(t)
	base := ts.clock.UnixMilli() - 1000
	for si, s := range []string{"a@b", "c@d"} {
		must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(s)}))(t)
		var evs []types.InputLogEvent
		for i := 0; i < 5; i++ {
			evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(base + int64(2*i+si)), Message: aws.String(fmt.Sprintf("%s-%d", s, i))})
		}
		must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(s), LogEvents: evs}))(t)
	}
	p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(3)})
	var got []string
	for p.HasMorePages() {
		for _, e := range must(p.NextPage(ctx))(t).Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	want := "a@b-0 c@d-0 a@b-1 c@d-1 a@b-2 c@d-2 a@b-3 c@d-3 a@b-4 c@d-4"
	if strings.Join(got, " ") != want {
		t.Fatalf("interleaved paging:\n got %v\nwant %s", got, want)
	}
}

func TestSDKSigV4(t *testing.T) {
	auth := filepath.Join(t.TempDir(), "auth")
	if err := os.WriteFile(auth, []byte("# keys\nAKIDGOOD goodsecret\nAKIDTOK toksecret sessiontoken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Options{AuthFile: auth})
	ctx := context.Background()
	must(newClient(ts.url, "AKIDGOOD", "goodsecret").CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("g")}))(t)
	tok := cwl.New(cwl.Options{Region: "eu-west-1", BaseEndpoint: aws.String(ts.url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTOK", "toksecret", "sessiontoken")})
	must(tok.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)

	tests := []struct {
		name, key, secret, code string
	}{
		{"bad secret", "AKIDGOOD", "wrong", codeInvalidSignature},
		{"unknown key", "AKIDNOPE", "goodsecret", codeUnrecognized},
		{"missing token", "AKIDTOK", "toksecret", codeUnrecognized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newClient(ts.url, tc.key, tc.secret).DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
		})
	}
	// Clock skew: the server clock runs 20 minutes ahead.
	*ts.clock = time.Now().Add(20 * time.Minute)
	c := newClient(ts.url, "AKIDGOOD", "goodsecret")
	_, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != codeInvalidSignature || !strings.HasPrefix(ae.ErrorMessage(), "Signature expired") {
		t.Fatalf("skewed request: %v", err)
	}
}
