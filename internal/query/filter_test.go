package query

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// matchCase is a pattern with messages that must and must not match it.
type matchCase struct {
	pattern string
	match   []string
	noMatch []string
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.pattern, func(t *testing.T) {
			f, err := CompileFilter(tc.pattern)
			if err != nil {
				t.Fatalf("CompileFilter(%q): %v", tc.pattern, err)
			}
			for _, m := range tc.match {
				if !f.Match(m) {
					t.Errorf("Match(%q) = false, want true", m)
				}
				if !f.MatchBytes([]byte(m)) {
					t.Errorf("MatchBytes(%q) = false, want true", m)
				}
			}
			for _, m := range tc.noMatch {
				if f.Match(m) {
					t.Errorf("Match(%q) = true, want false", m)
				}
			}
		})
	}
}

// The examples are the AWS documentation's, as quoted in the reference
// notes (cwl-api.md §3.A), plus edges of the OR/exclude rule.
func TestFilter_Terms(t *testing.T) {
	runMatchCases(t, []matchCase{
		{pattern: "", match: []string{"", "anything at all"}},
		{pattern: "   ", match: []string{"x"}},
		{
			pattern: "ERROR",
			match:   []string{"Exiting with ERRORCODE: -1", "ERRORNEOUS", "[ERROR] x"},
			noMatch: []string{"Error", "error", "", "ERRO R"},
		},
		{
			pattern: "ERROR Exception",
			match:   []string{"[ERROR] Caught IllegalArgumentException", "Exception then ERROR"},
			noMatch: []string{"[ERROR] only", "Exception only", "error exception"},
		},
		{
			pattern: `"Failed to process the request"`,
			match:   []string{"x Failed to process the request: timeout"},
			noMatch: []string{"Failed to process request", "failed to process the request"},
		},
		{pattern: `"ERROR][grpc"`, match: []string{"[ERROR][grpc] dial"}, noMatch: []string{"[ERROR] [grpc]"}},
		{pattern: `"user@x.com"`, match: []string{"login user@x.com ok"}, noMatch: []string{"user@y.com"}},
		{pattern: `"say \"hi\" to C:\temp \\ ok"`, match: []string{`say "hi" to C:\temp \ ok`}, noMatch: []string{`say \"hi\"`}},
		{
			pattern: "?ERROR ?WARN",
			match:   []string{"ERROR x", "a WARN b", "WARN ERROR"},
			noMatch: []string{"INFO", "warn error"},
		},
		{
			pattern: `?"clean up" ?xyz`,
			match:   []string{"will clean up now", "xyz"},
			noMatch: []string{"cleanup", "clean  up"},
		},
		{
			pattern: "ERROR -Exiting",
			match:   []string{"ERROR disk full"},
			noMatch: []string{"Exiting with ERRORCODE", "INFO"},
		},
		{pattern: `-"health check"`, match: []string{"GET /", "health"}, noMatch: []string{"GET / health check"}},
		{pattern: "-DEBUG -TRACE", match: []string{"INFO"}, noMatch: []string{"DEBUG", "TRACE", "DEBUG TRACE"}},
		{
			// All plain terms must match AND (no ? terms, or at least one ? term).
			pattern: "ERROR ?db ?cache -retry",
			match:   []string{"ERROR db down", "ERROR cache miss", "db ERROR cache"},
			noMatch: []string{"ERROR only", "db cache", "ERROR db retry", "INFO db"},
		},
		{
			// The AWS CDK's FilterPattern.anyTermGroup(["ERROR", "MainThread"],
			// ["WARN", "Deadlock"]) writes this pattern for
			// (ERROR and MainThread) or (WARN and Deadlock).
			pattern: `?"ERROR" "MainThread" ?"WARN" "Deadlock"`,
			match:   []string{"ERROR in MainThread", "WARN Deadlock found", "MainThread WARN Deadlock"},
			noMatch: []string{"ERROR Deadlock", "WARN MainThread", "ERROR", "MainThread Deadlock"},
		},
		{
			pattern: "x ?a b -c ?d",
			match:   []string{"x a b", "x d"},
			noMatch: []string{"x a", "a b d", "x a b c", "x b"},
		},
		{pattern: "\tERROR\n", match: []string{"ERROR"}},
		{pattern: "héllo 로그", match: []string{"héllo 로그 x"}, noMatch: []string{"hello 로그"}},
		{pattern: `""`, match: []string{"", "x"}},
		{pattern: "a-b ?c-d", match: []string{"a-b c-d"}, noMatch: []string{"a-b"}},
		{pattern: "status:404 /api/v1", match: []string{"GET /api/v1 status:404"}, noMatch: []string{"status:404"}},
	})
}

func TestFilter_Regex(t *testing.T) {
	runMatchCases(t, []matchCase{
		{
			pattern: "%AUTHORIZED%",
			match:   []string{"[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST"},
			noMatch: []string{"authorized"},
		},
		{pattern: "%^[hc]at%", match: []string{"hat x", "cat"}, noMatch: []string{"a hat", "bat"}},
		{pattern: "%[hc]at$%", match: []string{"the hat", "cat"}, noMatch: []string{"hats"}},
		{pattern: "%colou?r%", match: []string{"color", "colour"}, noMatch: []string{"colouur"}},
		{pattern: "%a{3,5}%", match: []string{"aaa", "xaaaay"}, noMatch: []string{"aa"}},
		{pattern: `%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`, match: []string{"from 10.0.0.1 port"}, noMatch: []string{"10.0.0"}},
		{pattern: "%[Ee]rror|[Ff]ail%", match: []string{"Error", "error", "Fail", "failed"}, noMatch: []string{"ERROR"}},
		{pattern: `%\x28x\x29%`, match: []string{"f(x)"}, noMatch: []string{"fx"}},
		{pattern: "  %ERROR REQUEST%  ", match: []string{"ERROR REQUEST"}, noMatch: []string{"ERROR  REQUEST"}},
	})
}

// Messages for the JSON examples of the AWS documentation (cwl-api.md §3.B).
const (
	jsonCloudTrail = `{"eventType":"UpdateTrail","sourceIPAddress":"123.125.1.1","errorCode":"AccessDenied",` +
		`"bandwidth":80,"latency":20,"arrayKey":["value","another"],"objectList":[{"id":1},{"id":2}],` +
		`"SomeObject":null,"flag":true,"off":false,"message":"an ERROR here","user":{"id":1,"name":"\"Jo\" \u00e9"},` +
		`"users":[{"email":"John.Doe@example.com"}],"actions":["PUT","POST","GET"],"code":"200","sci":"1e3"}`
	jsonOther = ` { "eventType" : "CreateTrail", "sourceIPAddress" : "123.123.0.7", "bandwidth" : 75.0,
		"latency" : 500, "arrayKey" : [ "other" ], "objectList" : [ { "id" : 2 } , { "id" : 3 } ],
		"SomeObject" : { }, "flag" : false, "x" : 1, "message" : "all good",
		"user" : { "id" : 2 }, "users" : [ { "email" : "nonmatch" } ], "actions" : [ "GET" ] } `
)

func TestFilter_JSON(t *testing.T) {
	runMatchCases(t, []matchCase{
		{pattern: `{ $.eventType = "UpdateTrail" }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther, "UpdateTrail", `{"eventType":"UpdateTrail"`}},
		{pattern: `{$.eventType="UpdateTrail"}`, match: []string{jsonCloudTrail}},
		{pattern: `{ $.eventType = UpdateTrail }`, match: []string{jsonCloudTrail}},
		{pattern: `{ $.eventType != "UpdateTrail" }`, match: []string{jsonOther}, noMatch: []string{jsonCloudTrail, `{"a":1}`}},
		{pattern: `{ $.sourceIPAddress != 123.123.* }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther, `{}`}},
		{pattern: `{ $.sourceIPAddress = "123.*.7" }`, match: []string{jsonOther}, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.errorCode = "*" }`, match: []string{jsonCloudTrail, `{"errorCode":null}`, `{"errorCode":{}}`}, noMatch: []string{jsonOther}},
		{pattern: `{ $.errorCode = * }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther}},
		{pattern: `{ $.errorCode = "Access*" }`, match: []string{jsonCloudTrail}, noMatch: []string{`{"errorCode":"NoAccess"}`}},
		{pattern: `{ $.bandwidth > 75 }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther, `{"bandwidth":"high"}`}},
		{pattern: `{ $.bandwidth = 75 }`, match: []string{jsonOther}, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.latency <= 500 }`, match: []string{jsonCloudTrail, jsonOther}, noMatch: []string{`{"latency":500.5}`, `{"latency":[1]}`}},
		{pattern: `{ $.latency >= 500 }`, match: []string{jsonOther}, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.latency < -1.5 }`, match: []string{`{"latency":-2}`, `{"latency":-1e3}`}, noMatch: []string{`{"latency":-1.5}`}},
		{pattern: `{ $.arrayKey[0] = "value" }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther, `{"arrayKey":[]}`, `{"arrayKey":"value"}`}},
		{pattern: `{ $.arrayKey[1] = "another" }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther}},
		{pattern: `{ $.objectList[1].id = 2 }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther}},
		{pattern: `{ $.SomeObject IS NULL }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther, `{}`}},
		{pattern: `{ $.x NOT EXISTS }`, match: []string{jsonCloudTrail, `{}`}, noMatch: []string{jsonOther, `{"x":null}`, "x"}},
		{pattern: `{ $.flag IS TRUE }`, match: []string{jsonCloudTrail}, noMatch: []string{jsonOther, `{"flag":"true"}`}},
		{pattern: `{ $.flag IS FALSE }`, match: []string{jsonOther}, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.flag is true }`, match: []string{jsonCloudTrail}},
		{
			pattern: `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`,
			match:   []string{jsonCloudTrail},
			noMatch: []string{jsonOther},
		},
		{
			pattern: `{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`,
			match:   []string{jsonCloudTrail, jsonOther},
			noMatch: []string{`{"user":{"id":2},"users":[{"email":"x"}],"actions":["GET"]}`},
		},
		{
			// What the AWS CDK writes for FilterPattern.all(stringValue("$.component",
			// "=", "HttpServer"), any(booleanValue("$.error", true),
			// numberValue("$.latency", ">", 1000))).
			pattern: `{ ($.component = "HttpServer") && (($.error IS TRUE) || ($.latency > 1000)) }`,
			match:   []string{`{"component":"HttpServer","error":true}`, `{"component":"HttpServer","error":false,"latency":1001}`},
			noMatch: []string{`{"component":"HttpServer","error":false,"latency":1000}`, `{"component":"Db","error":true}`},
		},
		{pattern: `{ $.a = 1 || $.b = 2 && $.c = 3 }`, match: []string{`{"a":1}`, `{"b":2,"c":3}`}, noMatch: []string{`{"b":2}`, `{"c":3}`}},
		{pattern: `{ $.message = %ERROR|WARN% }`, match: []string{jsonCloudTrail, `{"message":"WARN"}`}, noMatch: []string{jsonOther, `{"message":1}`}},
		{pattern: `{ $.message != %ERROR% }`, match: []string{jsonOther}, noMatch: []string{jsonCloudTrail, `{}`}},
		{pattern: `{ $.user.name = "\"Jo\" é" }`, match: []string{jsonCloudTrail}},
		// The literal pre-check must not hide values spelled with escapes.
		{pattern: `{ $.a = "é*" && $.b = "x" }`, match: []string{`{"a":"\u00e9t\u00e9","b":"x"}`, `{"a":"été","b":"x"}`}, noMatch: []string{`{"a":"ete","b":"x"}`}},
		{pattern: `{ $.code = 200 }`, match: []string{jsonCloudTrail, `{"code":200}`, `{"code":200.0}`}, noMatch: []string{`{"code":"200 OK"}`}},
		{pattern: `{ $.code = "2*" }`, match: []string{jsonCloudTrail, `{"code":204}`}, noMatch: []string{`{"code":true}`}},
		{pattern: `{ $.sci > 5 }`, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.on = true }`, match: []string{`{"on":true}`}, noMatch: []string{`{"on":false}`}},
		{pattern: `{ $[1] = "b" }`, match: []string{`["a","b"]`}, noMatch: []string{`["b"]`, `{"1":"b"}`}},
		{pattern: `{ $.a\u0062 = 1 }`, noMatch: []string{`{"ab":1}`}},
		{pattern: `{ $.ab = 1 }`, match: []string{`{"a\u0062":1}`, `{"x":{"ab":2},"ab":1}`}, noMatch: []string{`{"x":{"ab":1}}`, `[{"ab":1}]`}},
		{pattern: `{ $.a.b = "x" }`, match: []string{"\n{\"a\":{\"b\":\"x\"}}\t"}, noMatch: []string{`{"a":{"b":"x"}} trailing`, `{"a":{"b":"x"},}`, `{"a":"b"}`}},
		// A missing selector is false for = and for !=.
		{pattern: `{ $.missing != "x" }`, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.missing != 3 }`, noMatch: []string{jsonCloudTrail}},
		// Type mismatch: a numeric operator on a string never matches.
		{pattern: `{ $.eventType > 1 }`, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.user != 1 }`, noMatch: []string{jsonCloudTrail}},
		{pattern: `{ $.user != "x" }`, noMatch: []string{jsonCloudTrail}},
	})
}

// The CLF line of the AWS documentation (cwl-api.md §3.C): 7 fields.
const clf = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.html HTTP/1.0" 404 1534`

func TestFilter_SpaceDelimited(t *testing.T) {
	runMatchCases(t, []matchCase{
		{pattern: "[ip, user, username, timestamp, request, status_code, bytes]", match: []string{clf}, noMatch: []string{"a b c", clf + " extra"}},
		{pattern: "[..., status_code, bytes]", match: []string{clf, "a b"}, noMatch: []string{"a"}},
		{
			pattern: `[ip, user, username, timestamp, request = "*html*", status_code = 4*, bytes]`,
			match:   []string{clf},
			noMatch: []string{strings.Replace(clf, " 404 ", " 200 ", 1), strings.Replace(clf, ".html", ".gif", 1)},
		},
		{
			pattern: "[..., status_code = 404 || status_code = 410, bytes]",
			match:   []string{clf, "x 410 5"},
			noMatch: []string{"x 400 5", "404"},
		},
		{pattern: "[..., bytes > 1000]", match: []string{clf}, noMatch: []string{"x 999", "x big", ""}},
		{pattern: "[w1=ERROR, w2]", match: []string{"ERROR disk"}, noMatch: []string{"ERROR disk full", "WARN disk", "ERRORS disk"}},
		{pattern: "[ip, ..., request = %GET%, ...]", match: []string{clf, `1.2.3.4 "GET /"`}, noMatch: []string{`1.2.3.4 "POST /"`, "GET"}},
		{pattern: `[ip = 127.0.0.1, user != "-", ...]`, noMatch: []string{clf}},
		{pattern: `[ip = 127.0.0.*, user = "-", ...]`, match: []string{clf}},
		{pattern: `[a, b, c = "*2000:13*"]`, match: []string{"x y [10/Oct/2000:13:25:15 -0700]"}},
		{pattern: `[a, b >= 1 && b < 10, c]`, match: []string{"x 1 y", "x 9.5 y"}, noMatch: []string{"x 10 y", "x 0 y"}},
		{pattern: `[a, (b = x || b = y) && b != "*z", ...]`, match: []string{"1 x", "1 y 2"}, noMatch: []string{"1 z", "1"}},
		{pattern: "[...]", match: []string{"", "a b c"}},
		{pattern: "[..., x = 1, ..., y = 2, ...]", match: []string{"1 2", "0 1 0 0 2 0", "2 1 2"}, noMatch: []string{"2 1", "1 1"}},
		{pattern: "[a,b]", match: []string{"  one\ttwo  "}, noMatch: []string{"one"}},
		{pattern: "[a, b = open]", match: []string{`x "open`}},
		{pattern: `[status-code = "4*", bytes-sent > 10]`, match: []string{"404 11"}, noMatch: []string{"404 10"}},
	})
}

func TestFilter_ManyFields(t *testing.T) {
	// More fields than fit on the stack still split correctly.
	var words []string
	for i := range 200 {
		words = append(words, strconv.Itoa(i))
	}
	msg := strings.Join(words, " ")
	f, err := CompileFilter("[first = 0, ..., last = 199]")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(msg) {
		t.Errorf("Match(200 fields) = false, want true")
	}
	if f.Match(msg + " 200") {
		t.Errorf("Match(201 fields) = true, want false")
	}
}

func TestFilter_Literals(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"", nil},
		{`ERROR "disk full" ?x -y`, []string{"ERROR", "disk full"}},
		{"?a ?b", nil},
		{"%ERROR%", nil},
		{`{ $.a = "b" }`, nil},
		{`[a = "x*yy", b != zz, c = 4* || c = 5*, d = %r%, ...]`, []string{"yy"}},
	} {
		f, err := CompileFilter(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Literals(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Literals(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestFilter_MatchAll(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    bool
	}{{"", true}, {" \t", true}, {"x", false}, {"[...]", false}} {
		f, err := CompileFilter(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.MatchAll(); got != tc.want {
			t.Errorf("MatchAll(%q) = %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

// errorPatterns are patterns that must not compile; their messages are
// kept in testdata/errors.golden.
var errorPatterns = []string{
	strings.Repeat("a", MaxPatternLength+1),
	`"unterminated`,
	`"a"b`,
	"?",
	"ERROR -",
	"user@x.com,y",
	"a=b",
	"ERROR %regex%",
	"(x)",
	"%%",
	"%abc",
	"%something!%",
	"%(a|b)%",
	"%é%",
	"%a[%",
	"%a% b",
	"%" + strings.Repeat(".{1000}", 30) + "%",
	"{",
	"{}",
	"{ $.a = 1",
	"{ a = 1 }",
	"{ $.a }",
	"{ $.a = }",
	`{ $.a > "x" }`,
	"{ $.a > x* }",
	"{ $.a < %x% }",
	"{ $.a = 1 & $.b = 2 }",
	"{ $.a = 1 | $.b = 2 }",
	"{ $.a ! 1 }",
	"{ ($.a = 1 }",
	"{ $.a = 1) }",
	"{ $.a = 1 $.b = 2 }",
	"{ $.a IS MAYBE }",
	"{ $.a NOT THERE }",
	"{ $.a[x] = 1 }",
	"{ $.a..b = 1 }",
	"{ $ = 1 }",
	"{ $.a = %x% && $.b = %y% && $.c = %z% }",
	`{ $.a = "x }`,
	"[",
	"[]",
	"[a b]",
	"[a, b = 1 && c = 2]",
	"[..., ... = 1]",
	"[a.b]",
	"[a,, b]",
	"[a = %x%, b = %y%, c = %z%]",
	"[a >= foo]",
}

func TestCompileFilter_Errors(t *testing.T) {
	var b strings.Builder
	for _, p := range errorPatterns {
		_, err := CompileFilter(p)
		if err == nil {
			t.Errorf("CompileFilter(%q) succeeded, want an error", p)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("CompileFilter(%q) error %T, want *SyntaxError", p, err)
		}
		shown := p
		if len(shown) > 60 {
			shown = shown[:20] + "..." + strconv.Itoa(len(p)) + " chars"
		}
		fmt.Fprintf(&b, "%q\n\t%s\n", shown, err)
	}
	golden(t, "errors.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestMatch_NoAllocs(t *testing.T) {
	for _, tc := range []struct{ pattern, msg string }{
		{`ERROR "disk full" ?a ?b -debug`, "2026-11-26 ERROR disk full on /dev/b"},
		{"[ip, user, username, timestamp, request = \"*html*\", status_code = 4*, bytes > 1000]", clf},
		{`{ $.eventType = "UpdateTrail" && $.latency <= 500 && $.objectList[1].id = 2 }`, jsonCloudTrail},
	} {
		f, err := CompileFilter(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if !f.Match(tc.msg) {
			t.Fatalf("Match(%q) = false", tc.msg)
		}
		if n := testing.AllocsPerRun(100, func() { f.Match(tc.msg) }); n != 0 {
			t.Errorf("Match for %q allocates %v times, want 0", tc.pattern, n)
		}
	}
}

func TestFilter_Extract(t *testing.T) {
	for _, tc := range []struct {
		pattern, msg string
		want         string // fmt.Sprint of the map, or "no match"
	}{
		{"[ip, user, username, timestamp, request, status_code = 4*, bytes]", clf,
			"map[$bytes:1534 $ip:127.0.0.1 $request:GET /apache_pb.html HTTP/1.0 $status_code:404 $timestamp:10/Oct/2000:13:25:15 -0700 $user:- $username:frank]"},
		{"[..., status = 4* || status = 5*, bytes]", clf, "map[$bytes:1534 $status:404]"},
		{"[a, ..., b = x, ...]", "1 2 x 3 x", "map[$a:1 $b:x]"},
		{"[..., bytes > 5000]", clf, "no match"},
		{`{ $.latency > 10 && ($.user.id = 1 || $.SomeObject IS NULL) && $.user NOT EXISTS }`, jsonCloudTrail, "no match"},
		{`{ $.latency > 10 && ($.user.id = 1 || $.SomeObject IS NULL) && $.flag IS TRUE && $.user.name = "*" }`, jsonCloudTrail,
			`map[$.SomeObject:null $.flag:true $.latency:20 $.user.id:1 $.user.name:"Jo" é]`},
		{"ERROR", "ERROR x", "map[]"},
	} {
		f, err := CompileFilter(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got := "no match"
		if m, ok := f.Extract(tc.msg); ok {
			got = fmt.Sprint(m)
		}
		if got != tc.want {
			t.Errorf("Extract(%q) = %s, want %s", tc.pattern, got, tc.want)
		}
	}
}

// A Filter and a Query are shared by concurrent requests.
func TestConcurrentUse(t *testing.T) {
	f, err := CompileFilter(`{ $.level = "ERROR" && $.latency > 100 }`)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseInsights("filter ispresent(user) | stats count(*) as n, avg(latency) by user | sort n desc")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := q.Run(slices.Values(testEvents()))
	done := make(chan string)
	for range 4 {
		go func() {
			n := 0
			for _, e := range testEvents() {
				if f.Match(e.Message) {
					n++
				}
			}
			rows, _ := q.Run(slices.Values(testEvents()))
			done <- fmt.Sprint(n, render(rows))
		}()
	}
	for range 4 {
		if got := <-done; got != fmt.Sprint(2, render(want)) {
			t.Errorf("concurrent result %q", got)
		}
	}
}

func TestFilter_Regexes(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    int
	}{
		{"", 0},
		{"ERROR -debug", 0},
		{"%ERROR|WARN%", 1},
		{`{ $.msg = %fail% || $.level = "ERROR" }`, 1},
		{`{ ($.a = %x%) && ($.b = %y%) }`, 2},
		{`[ip, ..., request = %GET%, status = 5*]`, 1},
		{`[a = %x%, b = %y%]`, 2},
		{`{ $.a = "%not a regex%" }`, 0},
	} {
		f, err := CompileFilter(tc.pattern)
		if err != nil {
			t.Fatalf("CompileFilter(%q): %v", tc.pattern, err)
		}
		if got := f.Regexes(); got != tc.want {
			t.Errorf("Regexes(%q) = %d, want %d", tc.pattern, got, tc.want)
		}
	}
}
