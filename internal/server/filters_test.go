package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/store"
)

func metricFilterInput(group, name, pattern string) *cwl.PutMetricFilterInput {
	return &cwl.PutMetricFilterInput{LogGroupName: aws.String(group), FilterName: aws.String(name),
		FilterPattern: aws.String(pattern), MetricTransformations: []types.MetricTransformation{{
			MetricName: aws.String(name + "Count"), MetricNamespace: aws.String("App"), MetricValue: aws.String("1"),
			DefaultValue: aws.Float64(0), Unit: types.StandardUnitCount}}}
}

func renderMetricFilter(f types.MetricFilter) string {
	mt := f.MetricTransformations[0]
	return fmt.Sprintf("%s %s %s %d %s %s %s %v %v %s", aws.ToString(f.LogGroupName), aws.ToString(f.FilterName), aws.ToString(f.FilterPattern),
		aws.ToInt64(f.CreationTime), aws.ToString(mt.MetricName), aws.ToString(mt.MetricNamespace), aws.ToString(mt.MetricValue),
		aws.ToFloat64(mt.DefaultValue), mt.Dimensions, mt.Unit)
}

func filterNames(fs []types.MetricFilter) string {
	var b []string
	for _, f := range fs {
		b = append(b, aws.ToString(f.LogGroupName)+":"+aws.ToString(f.FilterName))
	}
	return strings.Join(b, " ")
}

func TestSDKMetricFilters(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	for _, g := range []string{"/app", "/db"} {
		must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(g)}))(t)
	}
	must(c.PutMetricFilter(ctx, metricFilterInput("/app", "errors", "ERROR")))(t)
	must(c.PutMetricFilter(ctx, metricFilterInput("/app", "denied", `"permission denied"`)))(t)
	must(c.PutMetricFilter(ctx, metricFilterInput("/db", "errors", "ERROR")))(t)
	latency := metricFilterInput("/db", "latency", `{ $.ms > 100 }`)
	latency.MetricTransformations[0].MetricValue = aws.String("$.ms")
	latency.MetricTransformations[0].DefaultValue = nil
	latency.MetricTransformations[0].Dimensions = map[string]string{"Table": "$.table"}
	latency.MetricTransformations[0].Unit = types.StandardUnitMilliseconds
	must(c.PutMetricFilter(ctx, latency))(t)

	t.Run("errors", func(t *testing.T) {
		long := strings.Repeat("m", 256)
		two := metricFilterInput("/app", "two", "x")
		two.MetricTransformations = append(two.MetricTransformations, two.MetricTransformations[0])
		four := metricFilterInput("/app", "dims", "[a, b, c, d]")
		four.MetricTransformations[0].DefaultValue = nil
		four.MetricTransformations[0].Dimensions = map[string]string{"a": "$a", "b": "$b", "c": "$c", "d": "$d"}
		withDefault := metricFilterInput("/app", "dims", "[a, b]")
		withDefault.MetricTransformations[0].Dimensions = map[string]string{"a": "$a"}
		badValue := metricFilterInput("/app", "v", "x")
		badValue.MetricTransformations[0].MetricValue = aws.String("one")
		badName := metricFilterInput("/app", "n", "x")
		badName.MetricTransformations[0].MetricName = aws.String(long)
		badPattern := metricFilterInput("/app", "p", `{ $.a = `)
		colon := metricFilterInput("/app", "a:b", "x")
		colon.MetricTransformations[0].MetricName = aws.String("m")
		for _, tc := range []struct {
			name string
			in   *cwl.PutMetricFilterInput
			msg  string
		}{
			{"missing group", metricFilterInput("/nope", "x", "x"), msgGroupNotFound},
			{"filter name with colon", colon,
				"1 validation error detected: Value 'a:b' at 'filterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"},
			{"long pattern", metricFilterInput("/app", "x", strings.Repeat("a", 1025)),
				"1 validation error detected: Value '" + strings.Repeat("a", 1025) + "' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024"},
			{"two transformations", two, "1 validation error detected: Value '2 transformations' at 'metricTransformations' failed to satisfy constraint: Member must have length less than or equal to 1"},
			{"long metric name", badName, "1 validation error detected: Value '" + long + "' at 'metricTransformations.1.member.metricName' failed to satisfy constraint: Member must have length less than or equal to 255"},
			{"four dimensions", four, "A metric filter can have at most 3 dimensions."},
			{"dimensions and default", withDefault, "A metric filter with dimensions cannot have a default value."},
			{"metric value", badValue, ""},
			{"pattern", badPattern, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.PutMetricFilter(ctx, tc.in)
				if tc.msg == msgGroupNotFound {
					wantAPIError[*types.ResourceNotFoundException](t, err, tc.msg)
					return
				}
				wantAPIError[*types.InvalidParameterException](t, err, tc.msg)
			})
		}
		_, err := c.PutMetricFilter(ctx, &cwl.PutMetricFilterInput{LogGroupName: aws.String("/app"), FilterName: aws.String("x"),
			FilterPattern: aws.String(""), MetricTransformations: []types.MetricTransformation{}})
		wantAPIError[*types.InvalidParameterException](t, err,
			"1 validation error detected: Value '0 transformations' at 'metricTransformations' failed to satisfy constraint: Member must have length greater than or equal to 1")
	})

	t.Run("describe", func(t *testing.T) {
		all := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{}))(t)
		if got, want := filterNames(all.MetricFilters), "/app:denied /app:errors /db:errors /db:latency"; got != want {
			t.Fatalf("all filters: %s, want %s", got, want)
		}
		// Paging through everything two at a time gives the same list.
		var paged []types.MetricFilter
		p := cwl.NewDescribeMetricFiltersPaginator(c, &cwl.DescribeMetricFiltersInput{Limit: aws.Int32(2)})
		pages := 0
		for p.HasMorePages() {
			out := must(p.NextPage(ctx))(t)
			paged = append(paged, out.MetricFilters...)
			pages++
		}
		if filterNames(paged) != filterNames(all.MetricFilters) || pages != 2 {
			t.Fatalf("paged: %s in %d pages", filterNames(paged), pages)
		}
		byPrefix := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("/db"), FilterNamePrefix: aws.String("lat")}))(t)
		if got := filterNames(byPrefix.MetricFilters); got != "/db:latency" {
			t.Fatalf("prefix: %s", got)
		}
		f := byPrefix.MetricFilters[0]
		mt := f.MetricTransformations[0]
		if aws.ToString(f.FilterPattern) != `{ $.ms > 100 }` || aws.ToString(mt.MetricValue) != "$.ms" || mt.Dimensions["Table"] != "$.table" ||
			mt.Unit != types.StandardUnitMilliseconds || mt.DefaultValue != nil || aws.ToInt64(f.CreationTime) != ts.clock.UnixMilli() {
			t.Fatalf("latency filter: %+v %+v", f, mt)
		}
		byMetric := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{MetricName: aws.String("errorsCount"), MetricNamespace: aws.String("App")}))(t)
		if got := filterNames(byMetric.MetricFilters); got != "/app:errors /db:errors" {
			t.Fatalf("by metric: %s", got)
		}
		if d := byMetric.MetricFilters[0].MetricTransformations[0].DefaultValue; d == nil || *d != 0 {
			t.Fatalf("defaultValue 0 lost: %v", d)
		}
		_, err := c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{MetricName: aws.String("errorsCount")})
		wantAPIError[*types.InvalidParameterException](t, err, "1 validation error detected: Value null at 'metricNamespace' failed to satisfy constraint: "+
			"If you include the metricName parameter in your request, you must also include the metricNamespace parameter.")
		_, err = c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("/nope")})
		wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
		_, err = c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{NextToken: aws.String("bogus")})
		wantAPIError[*types.InvalidParameterException](t, err, msgBadToken)
		groups := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)
		if n := aws.ToInt32(groups.LogGroups[0].MetricFilterCount); n != 2 {
			t.Fatalf("metricFilterCount = %d, want 2", n)
		}
	})

	t.Run("update and delete", func(t *testing.T) {
		upd := metricFilterInput("/app", "errors", "?ERROR ?FATAL")
		must(c.PutMetricFilter(ctx, upd))(t)
		out := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{LogGroupName: aws.String("/app")}))(t)
		if len(out.MetricFilters) != 2 || aws.ToString(out.MetricFilters[1].FilterPattern) != "?ERROR ?FATAL" {
			t.Fatalf("after update: %+v", out.MetricFilters)
		}
		_, err := c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/app"), FilterName: aws.String("nope")})
		wantAPIError[*types.ResourceNotFoundException](t, err, "The specified metric filter does not exist.")
		_, err = c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/nope"), FilterName: aws.String("errors")})
		wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
		must(c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/app"), FilterName: aws.String("denied")}))(t)
		// Deleting a group deletes its filters; a new group of that name has none.
		must(c.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/db")}))(t)
		must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/db")}))(t)
		all := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{}))(t)
		if got := filterNames(all.MetricFilters); got != "/app:errors" {
			t.Fatalf("after deletes: %s", got)
		}
	})

	t.Run("limit", func(t *testing.T) {
		must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/many")}))(t)
		for i := range maxMetricFilters {
			must(c.PutMetricFilter(ctx, metricFilterInput("/many", fmt.Sprintf("f%03d", i), "x")))(t)
		}
		_, err := c.PutMetricFilter(ctx, metricFilterInput("/many", "one-more", "x"))
		wantAPIError[*types.LimitExceededException](t, err, msgLimitExceeded)
		// Replacing one at the limit is fine.
		must(c.PutMetricFilter(ctx, metricFilterInput("/many", "f000", "y")))(t)
	})
}

func TestMetricFilterMatchCounts(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app")}))(t)
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("s")}))(t)
	must(c.PutMetricFilter(ctx, metricFilterInput("/app", "errors", "ERROR")))(t)
	must(c.PutMetricFilter(ctx, metricFilterInput("/app", "all", "")))(t)
	now := ts.clock.UnixMilli()
	must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{ev(now, "ERROR one"), ev(now, "fine"), ev(now, "ERROR two")}}))(t)
	resp, err := http.Get(ts.url + debugFiltersPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "# logGroup\tfilterName\tmatches\tfilterPattern\n/app\tall\t3\t\"\"\n/app\terrors\t2\t\"ERROR\"\n"
	if string(body) != want {
		t.Fatalf("debug page:\n%s\nwant\n%s", body, want)
	}
	fs, err := ts.st.SavedFilters("/app", store.KindMetric, "errors")
	if err != nil || len(fs) != 1 || fs[0].Matches != 2 {
		t.Fatalf("store count: %+v %v", fs, err)
	}
}

func TestSDKTestMetricFilter(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	access := `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534`
	for _, tc := range []struct {
		name, pattern string
		messages      []string
		want          string // eventNumber:extracted values, one per match
	}{
		{"terms", "ERROR -debug", []string{"ERROR disk", "INFO ok", "ERROR debug x"}, "1:map[]"},
		{"empty matches all", "", []string{"a", "b"}, "1:map[] 2:map[]"},
		{"space-delimited", "[ip, id, user, ts, request, status = 404, size]", []string{access, "too few"},
			"1:map[$id:- $ip:127.0.0.1 $request:GET /apache_pb.gif HTTP/1.0 $size:1534 $status:404 $ts:10/Oct/2000:13:25:15 -0700 $user:frank]"},
		{"json", `{ $.ms > 100 }`, []string{`{"ms": 50}`, `{"ms": 150}`, "not json"}, "2:map[$.ms:150]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := must(c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{FilterPattern: aws.String(tc.pattern), LogEventMessages: tc.messages}))(t)
			var got []string
			for _, m := range out.Matches {
				if aws.ToString(m.EventMessage) != tc.messages[m.EventNumber-1] {
					t.Fatalf("match %d: message %q", m.EventNumber, aws.ToString(m.EventMessage))
				}
				got = append(got, fmt.Sprintf("%d:%v", m.EventNumber, m.ExtractedValues))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("matches %s, want %s", g, tc.want)
			}
		})
	}
	_, err := c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{FilterPattern: aws.String("x"), LogEventMessages: make([]string, 51)})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{FilterPattern: aws.String("%a(b)%"), LogEventMessages: []string{"ab"}})
	wantAPIError[*types.InvalidParameterException](t, err, "")
	_, err = c.TestMetricFilter(ctx, &cwl.TestMetricFilterInput{FilterPattern: aws.String("x"), LogEventMessages: []string{"ok", ""}})
	wantAPIError[*types.InvalidParameterException](t, err,
		"1 validation error detected: Value '' at 'logEventMessages.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1")
}

func TestSDKSubscriptionFilters(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app")}))(t)
	put := func(name, dest string) error {
		_, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/app"),
			FilterName: aws.String(name), FilterPattern: aws.String("ERROR"), DestinationArn: aws.String(dest)})
		return err
	}
	kinesis := "arn:aws:kinesis:us-east-1:000000000000:stream/logs"
	must(0, put("to-kinesis", kinesis))(t)
	must(c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/app"),
		FilterName: aws.String("to-lambda"), FilterPattern: aws.String(""), Distribution: types.DistributionRandom,
		DestinationArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f"), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")}))(t)
	wantAPIError[*types.LimitExceededException](t, put("third", kinesis), msgLimitExceeded)
	must(0, put("to-kinesis", kinesis))(t) // an update at the limit
	wantAPIError[*types.InvalidParameterException](t, put("x", "not-an-arn"), "Invalid destinationArn: not-an-arn")
	wantAPIError[*types.InvalidParameterException](t, put("x", "arn:aws:s3:::bucket"), "")
	_, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/nope"),
		FilterName: aws.String("x"), FilterPattern: aws.String(""), DestinationArn: aws.String(kinesis)})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
	_, err = c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/app"),
		FilterName: aws.String("x"), FilterPattern: aws.String(""), DestinationArn: aws.String(kinesis), Distribution: "Sometimes"})
	wantAPIError[*types.InvalidParameterException](t, err,
		"1 validation error detected: Value 'Sometimes' at 'distribution' failed to satisfy constraint: Member must satisfy enum value set: [Random, ByLogStream]")

	out := must(c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("/app")}))(t)
	if len(out.SubscriptionFilters) != 2 {
		t.Fatalf("describe: %+v", out.SubscriptionFilters)
	}
	k, l := out.SubscriptionFilters[0], out.SubscriptionFilters[1]
	if aws.ToString(k.FilterName) != "to-kinesis" || aws.ToString(k.DestinationArn) != kinesis || k.Distribution != types.DistributionByLogStream ||
		aws.ToString(k.LogGroupName) != "/app" || aws.ToString(k.FilterPattern) != "ERROR" || aws.ToInt64(k.CreationTime) != ts.clock.UnixMilli() {
		t.Fatalf("kinesis filter: %+v", k)
	}
	if l.Distribution != types.DistributionRandom || aws.ToString(l.RoleArn) != "arn:aws:iam::000000000000:role/r" {
		t.Fatalf("lambda filter: %+v", l)
	}
	page := must(c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("/app"), Limit: aws.Int32(1)}))(t)
	if len(page.SubscriptionFilters) != 1 || page.NextToken == nil {
		t.Fatalf("page 1: %+v", page)
	}
	page = must(c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("/app"), Limit: aws.Int32(1), NextToken: page.NextToken}))(t)
	if len(page.SubscriptionFilters) != 1 || aws.ToString(page.SubscriptionFilters[0].FilterName) != "to-lambda" || page.NextToken != nil {
		t.Fatalf("page 2: %+v", page)
	}
	byPrefix := must(c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("/app"), FilterNamePrefix: aws.String("to-l")}))(t)
	if len(byPrefix.SubscriptionFilters) != 1 {
		t.Fatalf("prefix: %+v", byPrefix.SubscriptionFilters)
	}
	_, err = c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("/nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, msgGroupNotFound)
	_, err = c.DeleteSubscriptionFilter(ctx, &cwl.DeleteSubscriptionFilterInput{LogGroupName: aws.String("/app"), FilterName: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "The specified subscription filter does not exist.")
	must(c.DeleteSubscriptionFilter(ctx, &cwl.DeleteSubscriptionFilterInput{LogGroupName: aws.String("/app"), FilterName: aws.String("to-kinesis")}))(t)
	must(0, put("third", kinesis))(t)
}

// TestFiltersSurviveRestart puts filters, closes the store, opens it again
// under a new server, and finds them.
func TestFiltersSurviveRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	var url string
	serve := func() (*cwl.Client, func()) {
		st, err := store.Open(store.Options{Dir: dir, RetentionInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(st, Options{})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		url = hs.URL
		return newClient(hs.URL, "AKIDTEST", "secret"), func() {
			hs.Close()
			srv.Close()
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		}
	}
	c, stop := serve()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/app")}))(t)
	must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("s")}))(t)
	must(c.PutMetricFilter(ctx, metricFilterInput("/app", "errors", "ERROR")))(t)
	must(c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/app"), FilterName: aws.String("sub"),
		FilterPattern: aws.String("WARN"), DestinationArn: aws.String("arn:aws:firehose:us-east-1:000000000000:deliverystream/d")}))(t)
	must(c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/app"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{ev(time.Now().UnixMilli(), "ERROR x")}}))(t)
	before := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{}))(t)
	stop()

	c, stop = serve()
	defer stop()
	after := must(c.DescribeMetricFilters(ctx, &cwl.DescribeMetricFiltersInput{}))(t)
	if len(after.MetricFilters) != 1 || renderMetricFilter(before.MetricFilters[0]) != renderMetricFilter(after.MetricFilters[0]) {
		t.Fatalf("metric filters after restart: %+v, before %+v", after.MetricFilters, before.MetricFilters)
	}
	subs := must(c.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("/app")}))(t)
	if len(subs.SubscriptionFilters) != 1 || aws.ToString(subs.SubscriptionFilters[0].FilterPattern) != "WARN" {
		t.Fatalf("subscription filters after restart: %+v", subs.SubscriptionFilters)
	}
	fs := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)
	if aws.ToInt32(fs.LogGroups[0].MetricFilterCount) != 1 {
		t.Fatalf("metricFilterCount after restart: %+v", fs.LogGroups[0])
	}
	// The match count was saved at Close.
	resp, err := http.Get(url + debugFiltersPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "/app\terrors\t1\t") {
		t.Fatalf("debug page after restart:\n%s", body)
	}
}

// TestPackageDocListsOperations keeps the package doc (and so `go doc`)
// naming every operation the server answers.
func TestPackageDocListsOperations(t *testing.T) {
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ := strings.Cut(string(src), "\npackage server")
	doc = strings.NewReplacer("//", "", "\n", " ").Replace(doc)
	ops := Operations()
	if len(ops) < 30 {
		t.Fatalf("Operations() = %v", ops)
	}
	for _, op := range ops {
		if !regexp.MustCompile(`\b` + op + `\b`).MatchString(doc) {
			t.Errorf("the package doc does not name %s", op)
		}
	}
}

func TestRegexFilterQuota(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/re")}))(t)
	for i := range maxRegexFilters - 1 {
		must(c.PutMetricFilter(ctx, metricFilterInput("/re", fmt.Sprintf("re%d", i), fmt.Sprintf("%%ERR%d%%", i))))(t)
	}
	sub := func(name, pattern string) error {
		_, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/re"), FilterName: aws.String(name),
			FilterPattern: aws.String(pattern), DestinationArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f")})
		return err
	}
	must(0, sub("fifth", `{ $.msg = %x% }`))(t)
	const msg = "A log group can have at most 5 metric and subscription filters whose patterns use regular expressions."
	_, err := c.PutMetricFilter(ctx, metricFilterInput("/re", "sixth", "[a = %x%, b]"))
	wantAPIError[*types.LimitExceededException](t, err, msg)
	wantAPIError[*types.LimitExceededException](t, sub("other", "%y%"), msg)
	must(0, sub("other", "no regex"))(t)
	// Replacing a filter that has a regex with another regex is no new one.
	must(c.PutMetricFilter(ctx, metricFilterInput("/re", "re0", "%changed%")))(t)
	must(0, sub("fifth", "%z%"))(t)
	must(c.DeleteMetricFilter(ctx, &cwl.DeleteMetricFilterInput{LogGroupName: aws.String("/re"), FilterName: aws.String("re1")}))(t)
	must(c.PutMetricFilter(ctx, metricFilterInput("/re", "sixth", "[a = %x%, b]")))(t)
}
