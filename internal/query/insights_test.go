package query

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// t0 is 2026-11-26 03:55:00 UTC in epoch milliseconds.
var t0 = time.Date(2026, 11, 26, 3, 55, 0, 0, time.UTC).UnixMilli()

// testEvents are eight events over ten minutes, oldest first, as a server
// would stream them: access-log lines and JSON application logs.
func testEvents() []Event {
	msgs := []string{
		`[10.0.0.1] GET /index.html 200 512`,
		`{"level":"INFO","req":{"status":200,"path":"/a"},"latency":12,"user":"kim"}`,
		`[10.0.0.2] GET /x 404 12`,
		`{"level":"ERROR","req":{"status":500,"path":"/b"},"latency":340,"user":"lee","tags":["db","slow"]}`,
		`ERROR disk full on /dev/sda1`,
		`{"level":"WARN","req":{"status":429,"path":"/a"},"latency":80,"user":"kim"}`,
		`[10.0.0.1] POST /login 401 40`,
		`{"level":"ERROR","req":{"status":503,"path":"/c"},"latency":1000.5,"user":"park"}`,
	}
	evs := make([]Event, len(msgs))
	for i, m := range msgs {
		stream := "app"
		if strings.HasPrefix(m, "[") {
			stream = "access"
		}
		evs[i] = Event{
			Timestamp:     t0 + int64(i)*75_000, // every 75 s
			IngestionTime: t0 + int64(i)*75_000 + 5,
			Message:       m,
			LogStream:     stream,
			LogGroup:      "web",
			Ptr:           "p" + strconv.Itoa(i),
		}
	}
	return evs
}

// render prints rows one per line as "field=value" cells.
func render(rows [][]Field) string {
	var b strings.Builder
	for _, row := range rows {
		for i, f := range row {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s=%s", f.Field, f.Value)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestInsights_Run(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        string
		matched     float64
	}{
		{
			name:  "default fields newest first",
			query: "limit 2",
			want: "@timestamp=2026-11-26 04:03:45.000 @message={\"level\":\"ERROR\",\"req\":{\"status\":503,\"path\":\"/c\"},\"latency\":1000.5,\"user\":\"park\"} @logStream=app @log=web @ptr=p7\n" +
				"@timestamp=2026-11-26 04:02:30.000 @message=[10.0.0.1] POST /login 401 40 @logStream=access @log=web @ptr=p6\n",
			matched: 8,
		},
		{
			name:    "moto capture query",
			query:   "fields @timestamp, @message | sort @timestamp desc | limit 3",
			want:    "@timestamp=2026-11-26 04:03:45.000 @message={\"level\":\"ERROR\",\"req\":{\"status\":503,\"path\":\"/c\"},\"latency\":1000.5,\"user\":\"park\"} @ptr=p7\n@timestamp=2026-11-26 04:02:30.000 @message=[10.0.0.1] POST /login 401 40 @ptr=p6\n@timestamp=2026-11-26 04:01:15.000 @message={\"level\":\"WARN\",\"req\":{\"status\":429,\"path\":\"/a\"},\"latency\":80,\"user\":\"kim\"} @ptr=p5\n",
			matched: 8,
		},
		{
			name:    "filter like and stats count by bin",
			query:   "filter @message like /ERROR/ | stats count(*) by bin(5m)",
			want:    "bin(5m)=2026-11-26 04:00:00.000 count(*)=2\nbin(5m)=2026-11-26 03:55:00.000 count(*)=1\n",
			matched: 3,
		},
		{
			name:    "json fields and comparisons",
			query:   "fields user, req.status as status | filter req.status >= 429 and level != \"WARN\" | sort status asc",
			want:    "user=lee status=500 @ptr=p3\nuser=park status=503 @ptr=p7\n",
			matched: 2,
		},
		{
			name:    "stats aggregates by field",
			query:   "stats count(*) as n, sum(latency) as total, avg(latency), min(latency), max(latency) by user | sort user",
			want:    "user=park n=1 total=1000.5 avg(latency)=1000.5 min(latency)=1000.5 max(latency)=1000.5\nuser=lee n=1 total=340 avg(latency)=340 min(latency)=340 max(latency)=340\nuser=kim n=2 total=92 avg(latency)=46 min(latency)=12 max(latency)=80\nn=4\n",
			matched: 8,
		},
		{
			name:  "stats only events with the field, then sort and limit",
			query: "filter ispresent(user) | stats count(*) as n by req.path | sort n desc | limit 1",
			want:  "req.path=/a n=2\n",
			// 4 JSON events pass the filter.
			matched: 4,
		},
		{
			name:    "parse glob",
			query:   `parse @message "[*] * * * *" as ip, verb, path, code, bytes | filter ispresent(ip) | stats sum(bytes) as b, count(*) as n by ip`,
			want:    "ip=10.0.0.1 b=552 n=2\nip=10.0.0.2 b=12 n=1\n",
			matched: 3,
		},
		{
			name:    "parse regex with named groups",
			query:   `parse @message /(?<verb>GET|POST) (?<path>\S+) (?<code>\d+)/ | filter code = 404 | fields path, code`,
			want:    "path=/x code=404 @ptr=p2\n",
			matched: 1,
		},
		{
			name:    "parse without fields shows default and parsed fields",
			query:   `parse "disk * on *" as what, dev | filter ispresent(dev)`,
			want:    "@timestamp=2026-11-26 04:00:00.000 @message=ERROR disk full on /dev/sda1 @logStream=app @log=web what=full dev=/dev/sda1 @ptr=p4\n",
			matched: 1,
		},
		{
			name:    "not like, in, not in, =~ case-insensitive",
			query:   "filter @message not like \"[10.\" and level in [\"ERROR\", \"WARN\"] and user not in [\"park\"] and @message =~ /(?i)error/ | display user",
			want:    "user=lee @ptr=p3\n",
			matched: 1,
		},
		{
			name:    "or, not, parentheses, arithmetic",
			query:   "filter not (level = \"INFO\" or @logStream = \"access\") and latency * 2 > 100 | fields latency / 4 as q, user",
			want:    "q=250.125 user=park @ptr=p7\nq=20 user=kim @ptr=p5\nq=85 user=lee @ptr=p3\n",
			matched: 3,
		},
		{
			name:    "functions",
			query:   "filter @logStream = \"app\" and ispresent(user) | fields toupper(user) as u, strlen(user) as l, concat(user, \"@\", level) as c, substr(level, 0, 3) as s, replace(req.path, \"/\", \"_\") as p, coalesce(missing, \"dflt\") as d, abs(-latency) as a, floor(latency) as f | limit 1",
			want:    "u=PARK l=4 c=park@ERROR s=ERR p=_c d=dflt a=1000.5 f=1000 @ptr=p7\n",
			matched: 4,
		},
		{
			name:    "arrays flatten with index",
			query:   "filter tags.1 = \"slow\" | fields tags.0",
			want:    "tags.0=db @ptr=p3\n",
			matched: 1,
		},
		{
			name:    "comments and dedup",
			query:   "# latest event per user\nfilter ispresent(user) # JSON only\n| sort @timestamp desc | dedup user | fields user",
			want:    "user=park @ptr=p7\nuser=kim @ptr=p5\nuser=lee @ptr=p3\n",
			matched: 4,
		},
		{
			name:    "count_distinct, pct, stddev, earliest, latest",
			query:   "filter ispresent(latency) | stats count_distinct(user) as users, pct(latency, 50) as p50, stddev(latency) as sd, earliest(user) as first, latest(user) as last",
			want:    "users=3 p50=80 sd=450.97 first=kim last=park\n",
			matched: 4,
		},
		{
			name:    "datefloor and bin by hour",
			query:   "stats count(*) as n by datefloor(@timestamp, 1h) as hour, bin(1h)",
			want:    "hour=2026-11-26 04:00:00.000 bin(1h)=2026-11-26 04:00:00.000 n=4\nhour=2026-11-26 03:00:00.000 bin(1h)=2026-11-26 03:00:00.000 n=4\n",
			matched: 8,
		},
		{
			name:    "stats then filter on an aggregate",
			query:   "stats count(*) as n by @logStream | filter n > 3 | sort n",
			want:    "@logStream=app n=5\n",
			matched: 8,
		},
		{
			name:    "arithmetic over aggregates",
			query:   "filter ispresent(latency) | stats sum(latency) / count(*) as mean, max(latency) - min(latency) as spread, count(*) * 2 by user | sort user asc",
			want:    "user=kim mean=46 spread=68 count(*) * 2=4\nuser=lee mean=340 spread=0 count(*) * 2=2\nuser=park mean=1000.5 spread=0 count(*) * 2=2\n",
			matched: 4,
		},
		{
			name:    "two stats commands",
			query:   "stats count(*) as n by user | stats sum(n) as events, count(*) as users",
			want:    "events=8 users=4\n", // the non-JSON events form the group with no user
			matched: 8,
		},
		{
			name:    "display after stats and two sort keys",
			query:   "filter ispresent(level) | stats count(*) as n by level, user | sort n desc, user asc | display user, n",
			want:    "user=kim n=1\nuser=kim n=1\nuser=lee n=1\nuser=park n=1\n",
			matched: 4,
		},
		{
			name:    "stats over no records gives no rows",
			query:   "filter level = \"FATAL\" | stats count(*)",
			want:    "",
			matched: 0,
		},
		{
			name:    "ingestion time and log stream",
			query:   "filter @ingestionTime - @timestamp = 5 and @logStream = \"access\" | fields @logStream, @ingestionTime | limit 1",
			want:    "@logStream=access @ingestionTime=2026-11-26 04:02:30.005 @ptr=p6\n",
			matched: 3,
		},
		{
			name:    "no match",
			query:   "filter @message like \"nothing\"",
			want:    "",
			matched: 0,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseInsights(tc.query)
			if err != nil {
				t.Fatalf("ParseInsights: %v", err)
			}
			rows, st := q.Run(slices.Values(testEvents()))
			got := render(rows)
			if tc.name == "count_distinct, pct, stddev, earliest, latest" {
				got = roundSD(got)
			}
			if got != tc.want {
				t.Errorf("rows:\n%s\nwant:\n%s", got, tc.want)
			}
			if st.RecordsScanned != 8 || st.RecordsMatched != tc.matched {
				t.Errorf("stats = %+v, want scanned 8, matched %v", st, tc.matched)
			}
			if st.BytesScanned <= 0 {
				t.Errorf("BytesScanned = %v, want > 0", st.BytesScanned)
			}
		})
	}
}

// roundSD keeps two decimals of the sd= cell.
func roundSD(s string) string {
	i := strings.Index(s, "sd=")
	if i < 0 {
		return s
	}
	j := strings.IndexByte(s[i:], ' ') + i
	f, err := strconv.ParseFloat(s[i+3:j], 64)
	if err != nil {
		return s
	}
	return s[:i+3] + strconv.FormatFloat(f, 'f', 2, 64) + s[j:]
}

func TestInsights_Limits(t *testing.T) {
	var evs []Event
	for i := range 5000 {
		evs = append(evs, Event{Timestamp: t0 + int64(i), Message: "n=" + strconv.Itoa(i), Ptr: strconv.Itoa(i)})
	}
	q, err := ParseInsights(`parse "n=*" as n | sort n asc | limit 3 | display n`)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := q.Run(slices.Values(evs))
	if got, want := render(rows), "n=0 @ptr=0\nn=1 @ptr=1\nn=2 @ptr=2\n"; got != want {
		t.Errorf("sort asc limit 3:\n%s\nwant:\n%s", got, want)
	}
	q, err = ParseInsights("fields @message")
	if err != nil {
		t.Fatal(err)
	}
	rows, st := q.RunLimit(slices.Values(evs), 2)
	if got, want := render(rows), "@message=n=4999 @ptr=4999\n@message=n=4998 @ptr=4998\n"; got != want {
		t.Errorf("RunLimit 2:\n%s\nwant:\n%s", got, want)
	}
	if st.RecordsMatched != 5000 {
		t.Errorf("RecordsMatched = %v, want 5000", st.RecordsMatched)
	}
	rows, _ = q.Run(slices.Values(evs))
	if len(rows) != 5000 {
		t.Errorf("Run returned %d rows, want 5000", len(rows))
	}
	// A limit command overrides StartQuery's limit, larger or smaller.
	for _, tc := range []struct{ cmd, start, want int }{{4, 2, 4}, {2, 4, 2}} {
		q, err := ParseInsights("fields @message | limit " + strconv.Itoa(tc.cmd))
		if err != nil {
			t.Fatal(err)
		}
		if rows, _ := q.RunLimit(slices.Values(evs), tc.start); len(rows) != tc.want {
			t.Errorf("limit %d with RunLimit %d: %d rows, want %d", tc.cmd, tc.start, len(rows), tc.want)
		}
	}
}

func TestDuration_Floor(t *testing.T) {
	ts := time.Date(2026, 11, 26, 3, 57, 42, 123e6, time.UTC).UnixMilli()
	for _, tc := range []struct{ period, floor, ceil string }{
		{"5m", "2026-11-26 03:55:00.000", "2026-11-26 04:00:00.000"},
		{"1h", "2026-11-26 03:00:00.000", "2026-11-26 04:00:00.000"},
		{"30s", "2026-11-26 03:57:30.000", "2026-11-26 03:58:00.000"},
		{"100ms", "2026-11-26 03:57:42.100", "2026-11-26 03:57:42.200"},
		{"1d", "2026-11-26 00:00:00.000", "2026-11-27 00:00:00.000"},
		{"1mo", "2026-11-01 00:00:00.000", "2026-12-01 00:00:00.000"},
		{"1q", "2026-10-01 00:00:00.000", "2027-01-01 00:00:00.000"},
		{"1y", "2026-01-01 00:00:00.000", "2027-01-01 00:00:00.000"},
		{"5min", "2026-11-26 03:55:00.000", "2026-11-26 04:00:00.000"},
	} {
		d, ok := parseDuration(tc.period)
		if !ok {
			t.Fatalf("parseDuration(%q) failed", tc.period)
		}
		if got := timeVal(float64(d.floor(ts))).text(); got != tc.floor {
			t.Errorf("floor(%s) = %s, want %s", tc.period, got, tc.floor)
		}
		if got := timeVal(float64(d.ceil(ts))).text(); got != tc.ceil {
			t.Errorf("ceil(%s) = %s, want %s", tc.period, got, tc.ceil)
		}
	}
}

var insightsErrorQueries = []string{
	"",
	"   # only a comment",
	"fields",
	"fields a,",
	"filter",
	"filter a =",
	"filter a like 5",
	"filter a =~ \"x\"",
	"filter a in [1, 2",
	"filter (a = 1",
	"filter a = 1 b = 2",
	"filter @message like /unterminated",
	"filter @message like /a(/",
	"filter \"unterminated",
	"filter a ! b",
	"fields a | | limit 1",
	"frobnicate x",
	"stats",
	"stats foo(x)",
	"stats count(*) by",
	"stats x + 1",
	"stats sum(count(*))",
	"stats count(*) by sum(x)",
	"stats pct(x)",
	"stats pct(x, 150)",
	"stats sum(x",
	"fields sum(x)",
	"fields bin(5)",
	"fields bin(5zz)",
	"fields nosuch(x)",
	"fields strlen(a, b)",
	"fields 5m",
	"sort",
	"limit 0",
	"limit 10001",
	"limit x",
	"parse @message \"no star\" as a",
	"parse @message \"* *\" as a",
	"parse @message \"* *\"",
	"parse @message /(\\S+)/",
	"parse @message 42",
	"parse \"\x80*\" as a",
	"display a + 1",
	"fields `unterminated",
	strings.Repeat("x", MaxInsightsQueryLength+1),
}

func TestParseInsights_Errors(t *testing.T) {
	var b strings.Builder
	for _, src := range insightsErrorQueries {
		_, err := ParseInsights(src)
		if err == nil {
			t.Errorf("ParseInsights(%q) succeeded, want an error", src)
			continue
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("ParseInsights(%q) error %T, want *QueryError", src, err)
		}
		shown := src
		if len(shown) > 60 {
			shown = shown[:20] + "..." + strconv.Itoa(len(src)) + " chars"
		}
		fmt.Fprintf(&b, "%q\n\t%s\n", shown, err)
	}
	golden(t, "insights_errors.golden", b.String())
}

func FuzzParseInsights(f *testing.F) {
	for _, s := range []string{
		"fields @timestamp, @message | sort @timestamp desc | limit 3",
		"filter @message like /ERROR/ | stats count(*) by bin(5m)",
		"stats avg(latency), pct(latency, 95) by user | sort user asc",
		`parse @message "[*] * * * *" as ip, verb, path, code, bytes | filter code >= 400`,
		`parse @message /(?<verb>GET|POST) (?<path>\S+)/ | dedup path`,
		"filter not (a = 1 or b in [1, \"x\"]) and c =~ /x/ | fields concat(a, b) as c, datefloor(@timestamp, 1h)",
		"fields a # comment\n| limit 1",
	} {
		f.Add(s)
	}
	evs := testEvents()
	f.Fuzz(func(t *testing.T, src string) {
		q, err := ParseInsights(src)
		if err != nil {
			qe, ok := err.(*QueryError)
			if !ok {
				t.Fatalf("ParseInsights(%q) error %T, want *QueryError", src, err)
			}
			if n := utf8.RuneCountInString(src); qe.Pos < 0 || qe.End < qe.Pos || qe.End > n+1 || (qe.Pos > 0 && qe.End == 0) {
				t.Fatalf("ParseInsights(%q) error at %d..%d, outside the %d characters", src, qe.Pos, qe.End, n)
			}
			return
		}
		rows, st := q.RunLimit(slices.Values(evs), 5)
		bound := 5
		if q.hasLimit() {
			bound = len(evs) // the query's own limit overrides 5; no more rows than events
		}
		if len(rows) > bound {
			t.Fatalf("%q returned %d rows over the limit %d", src, len(rows), bound)
		}
		if st.RecordsScanned != float64(len(evs)) || st.RecordsMatched > st.RecordsScanned {
			t.Fatalf("%q stats %+v", src, st)
		}
		again, err := ParseInsights(q.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", src, err)
		}
		if rows2, _ := again.RunLimit(slices.Values(evs), 5); render(rows2) != render(rows) {
			t.Fatalf("%q is not deterministic", src)
		}
	})
}

func BenchmarkInsights(b *testing.B) {
	evs := make([]Event, 100_000)
	for i := range evs {
		lvl := []string{"INFO", "WARN", "ERROR"}[i%3]
		evs[i] = Event{
			Timestamp: t0 + int64(i)*10,
			Message:   `{"level":"` + lvl + `","latency":` + strconv.Itoa(i%1000) + `,"path":"/p` + strconv.Itoa(i%7) + `"}`,
			Ptr:       strconv.Itoa(i),
		}
	}
	var bytes int64
	for _, e := range evs {
		bytes += int64(len(e.Message))
	}
	for _, bc := range []struct{ name, query string }{
		{"filter_like", `filter @message like "ERROR" | fields @timestamp, @message | limit 100`},
		{"stats_json", `stats count(*), avg(latency) by level, bin(1m)`},
	} {
		q, err := ParseInsights(bc.query)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(bytes)
			for b.Loop() {
				q.Run(slices.Values(evs))
			}
		})
	}
}

// Sample queries in the style of the Logs Insights documentation must all
// parse and run.
func TestParseInsights_SampleQueries(t *testing.T) {
	for _, src := range []string{
		"fields @timestamp, @message | sort @timestamp desc | limit 25",
		"stats count(*) by @logStream | limit 100",
		"fields @timestamp, @message | filter @message like /Exception/ | stats count(*) as exceptionCount by bin(1h) | sort exceptionCount desc",
		`parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency) by @method, @user`,
		"fields @timestamp, @message | filter @message not like /healthcheck/",
		"stats count_distinct(srcAddr) as numSrc by dstAddr | sort numSrc desc | limit 10",
		`fields @timestamp, @message | parse @message "[*] *" as loggingType, loggingMessage | filter loggingType = "ERROR" | display loggingMessage`,
		"stats sum(packets) as packetsTransferred by srcAddr, dstAddr | sort packetsTransferred desc | limit 15",
		"filter @type = \"REPORT\" | stats avg(@duration), max(@duration), min(@duration) by bin(5m)",
		"fields @timestamp, @message, @logStream, @log | filter (range>3000 and accountId=123456789012) | sort @timestamp desc | limit 20",
		"fields `foo-bar` | filter `foo-bar` = 1",
		"filter @`aws.tag.aws:cloudformation:stack-name` = \"my-stack\"",
		"FIELDS @message | LIMIT 5",
		"filter statusCode in [300,400,500] | fields statusCode",
		"filter fullName not in [\"Jane Doe\", \"John Doe\"]",
		"filter @message =~ /(?i)error/ and not ispresent(ignored) | stats earliest(@timestamp), latest(@message)",
		"fields strlen(@message) as len, toupper(@logStream) | sort len desc",
		"stats pct(latency, 99) as p99, stddev(latency) by bin(1d)",
		"fields datefloor(@timestamp, 1h) as hour | stats count(*) by hour",
	} {
		q, err := ParseInsights(src)
		if err != nil {
			t.Errorf("ParseInsights(%q): %v", src, err)
			continue
		}
		q.Run(slices.Values(testEvents()))
	}
	// And the parsed field of the user=... sample really is extracted.
	q, err := ParseInsights(`parse @message "user=*, method:*, latency := *" as @user, @method, @latency | stats avg(@latency) as avg by @method, @user`)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := q.Run(slices.Values([]Event{
		{Timestamp: t0, Message: "user=kim, method:GET, latency := 10"},
		{Timestamp: t0 + 1, Message: "user=kim, method:GET, latency := 30"},
		{Timestamp: t0 + 2, Message: "user=lee, method:PUT, latency := 5"},
	}))
	if got, want := render(rows), "@method=GET @user=kim avg=20\n@method=PUT @user=lee avg=5\n"; got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
}

func TestQueryError_Span(t *testing.T) {
	for _, tc := range []struct {
		src      string
		pos, end int
	}{
		{"fields a | frobnicate x", 12, 21},
		{"stats count(*) by", 18, 18},
		{"filter a ! b", 10, 10},
		{"fields é | nosuch(x)", 12, 17},
		{"", 0, 0},
	} {
		_, err := ParseInsights(tc.src)
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Fatalf("ParseInsights(%q) = %v, want a *QueryError", tc.src, err)
		}
		if qe.Pos != tc.pos || qe.End != tc.end {
			t.Errorf("ParseInsights(%q) error at %d..%d, want %d..%d (%v)", tc.src, qe.Pos, qe.End, tc.pos, tc.end, err)
		}
	}
}

func TestQuery_RunWith(t *testing.T) {
	evs := testEvents()
	for i := range evs {
		evs[i].Ptr, evs[i].Ref = "", uint64(100+i)
	}
	calls := 0
	ptr := func(e *Event) string { calls++; return "r" + strconv.FormatUint(e.Ref, 10) }
	q, err := ParseInsights("fields @logStream | limit 2")
	if err != nil {
		t.Fatal(err)
	}
	rows, st, err := q.RunWith(slices.Values(evs), RunOptions{Pointer: ptr})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := render(rows), "@logStream=app @ptr=r107\n@logStream=access @ptr=r106\n"; got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	if calls != 2 {
		t.Errorf("Pointer called %d times, want 2 (the returned rows only)", calls)
	}
	if st.RecordsScanned != 8 || st.BytesScanned == 0 {
		t.Errorf("stats %+v", st)
	}
	for _, tc := range []struct {
		query   string
		maxHeld int
		wantErr bool
	}{
		{"stats count(*) by @message", 7, true},
		{"stats count(*) by @message", 8, false},
		{"dedup @message", 7, true},
		{"dedup @message", 0, false},
		{"sort @message | limit 1", 1, false}, // pruned: holds about twice its limit
	} {
		q, err := ParseInsights(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = q.RunWith(slices.Values(evs), RunOptions{MaxHeld: tc.maxHeld})
		if got := errors.Is(err, ErrTooManyRecords); got != tc.wantErr {
			t.Errorf("%q with MaxHeld %d: err %v, want ErrTooManyRecords %v", tc.query, tc.maxHeld, err, tc.wantErr)
		}
	}
}

// TestInsights_PruneMatchesFullSort checks that a query which keeps only its
// best rows while scanning returns what sorting every row would, ties included.
func TestInsights_PruneMatchesFullSort(t *testing.T) {
	var evs []Event
	for i := range 6000 {
		evs = append(evs, Event{Timestamp: t0 + int64(i%37), Message: "k=" + strconv.Itoa((i*7919)%101), Ptr: strconv.Itoa(i)})
	}
	for _, sortCmd := range []string{"sort k desc", "sort k asc", "sort @timestamp asc", ""} {
		pruned, err := ParseInsights(`parse "k=*" as k | ` + sortCmd + ` | limit 7`)
		if sortCmd == "" {
			pruned, err = ParseInsights(`parse "k=*" as k | limit 7`)
		}
		if err != nil {
			t.Fatal(err)
		}
		full, err := ParseInsights(strings.TrimSuffix(`parse "k=*" as k | `+sortCmd, " | "))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := pruned.Run(slices.Values(evs))
		all, _ := full.Run(slices.Values(evs))
		if render(got) != render(all[:7]) {
			t.Errorf("%q: pruned\n%s\nfull sort\n%s", sortCmd, render(got), render(all[:7]))
		}
	}
}

func TestMessageFields(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		max  int
		want string
	}{
		{`{"level":"ERROR","req":{"status":500,"path":"/b"},"latency":340,"tags":["db","slow"],"e":{},"n":null}`, 0,
			"latency level n req.path req.status tags.0 tags.1"},
		{`  {"a":[{"b":1},[2]]}`, 0, "a.0.b a.1.0"},
		{`{"a":1,"b":2,"c":3}`, 2, "a b"}, // which two depends on map order; checked by count below
		{`[1,2]`, 0, ""},
		{`ERROR disk full`, 0, ""},
		{`{"a":`, 0, ""},
	} {
		got := MessageFields(tc.msg, tc.max)
		if tc.max > 0 {
			if len(got) != tc.max {
				t.Errorf("MessageFields(%q, %d) = %v, want %d names", tc.msg, tc.max, got, tc.max)
			}
			continue
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("MessageFields(%q) = %v, want %s", tc.msg, got, tc.want)
		}
	}
	// Every discovered field is one a query can read.
	msg := `{"level":"ERROR","req":{"status":500},"tags":["db","slow"]}`
	for _, f := range MessageFields(msg, 0) {
		q, err := ParseInsights("fields `" + f + "` as v | filter ispresent(v)")
		if err != nil {
			t.Fatal(err)
		}
		if rows, _ := q.Run(slices.Values([]Event{{Message: msg}})); len(rows) != 1 {
			t.Errorf("field %s is discovered but a query does not find it", f)
		}
	}
}

func TestQuery_RunWithProgress(t *testing.T) {
	var evs []Event
	for i := range 10_000 {
		evs = append(evs, Event{Timestamp: t0 + int64(i), Message: "n=" + strconv.Itoa(i)})
	}
	for _, tc := range []struct {
		query string
		want  []string // the partial rows at each call, then the result
	}{
		{"stats count(*) as n", []string{"n=4095\n", "n=8191\n", "n=10000\n"}},
		{"fields @message | sort @timestamp desc | limit 1", []string{"@message=n=4094\n", "@message=n=8190\n", "@message=n=9999\n"}},
		{"parse 'n=*' as k | dedup k | limit 2 | display k", []string{"k=4094\nk=4093\n", "k=8190\nk=8189\n", "k=9999\nk=9998\n"}},
	} {
		q, err := ParseInsights(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var scanned []float64
		rows, _, err := q.RunWith(slices.Values(evs), RunOptions{Progress: func(rows [][]Field, st Stats) {
			got = append(got, render(rows))
			scanned = append(scanned, st.RecordsScanned)
		}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, render(rows))
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || fmt.Sprint(scanned) != "[4095 8191]" {
			t.Errorf("%q: progress %q at %v, want %q at [4095 8191]", tc.query, got, scanned, tc.want)
		}
	}
}
