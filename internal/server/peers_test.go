package server

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/store"
	"github.com/logwarden/logwarden/internal/testutil"
)

// peerEnv is the environment for the AWS CLI and boto3: fixed fake
// credentials, no user config, no instance metadata.
func peerEnv(t *testing.T) []string {
	home := t.TempDir()
	return append(os.Environ(), "HOME="+home, "AWS_ACCESS_KEY_ID=AKIDPEER", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+home+"/none", "AWS_SHARED_CREDENTIALS_FILE="+home+"/none", "AWS_PAGER=")
}

func needBoto3(t *testing.T) string {
	py := testutil.Peer(t, "python3", "install Python 3")
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		testutil.MissingPeer(t, "python3 module boto3 not importable (pip install boto3)")
	}
	return py
}

// runSequence runs testdata/diff_sequence.py against url.
func runSequence(t *testing.T, py, url string) map[string]map[string]any {
	t.Helper()
	cmd := exec.Command(py, "testdata/diff_sequence.py", url)
	cmd.Env = peerEnv(t)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("diff_sequence.py against %s: %v\n%s", url, err, stderr)
	}
	var res map[string]map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode sequence output: %v\n%s", err, out)
	}
	return res
}

// knownDifferences are the steps where logwarden follows AWS and moto does
// not (the reference notes on the API, section 7). The test asserts that they
// do differ, so a moto fix or a logwarden regression shows up.
var knownDifferences = map[string]string{
	"create_group_bad_name":   "moto accepts a group name outside [.-_/#A-Za-z0-9]",
	"create_stream_dup":       "moto says 'log group already exists' for a duplicate stream",
	"put_rejected":            "moto's tooOldLogEventEndIndex is inclusive (0 instead of 1)",
	"get_missing_stream":      "moto says 'log group does not exist' for a missing stream",
	"get_end_exclusive":       "moto treats GetLogEvents endTime as inclusive",
	"describe_groups_pattern": "moto ignores logGroupNamePattern and returns every group with all fields",
	"describe_groups":         "moto lists the group with the invalid name it accepted",
	"filter_interleaved":      "moto does not interleave streams and fills searchedLogStreams",
	"filter_pattern":          "moto fills searchedLogStreams (AWS returns [])",
	"filter_prefix":           "moto fills searchedLogStreams (AWS returns [])",
	"filter_page2_at_names":   "moto's paging token breaks on stream names containing @",
	"retention_bad":           "moto accepts a retention of 8 days",
	"tag_missing":             "moto tags a log group that does not exist",
	"delete_stream_again":     "moto says 'log group does not exist' for a missing stream",

	"mf_has_creation_time":           "moto's metric filters have no creationTime",
	"mf_put_missing_group":           "moto puts a metric filter on a log group that does not exist",
	"mf_put_two_transformations":     "moto's message quotes the Python list",
	"mf_describe":                    "moto lists metric filters in creation order, not by name",
	"mf_describe_metric":             "moto lists metric filters in creation order, and the one of the missing group",
	"mf_describe_after_update":       "moto adds a second filter of the same name instead of replacing it",
	"mf_delete_missing":              "moto deletes a metric filter that does not exist without an error",
	"mf_describe_after_group_delete": "moto keeps the metric filters of a deleted log group",
}

// checkLogwardenSequence asserts what AWS answers on the steps where the
// comparison with moto cannot tell.
func checkLogwardenSequence(t *testing.T, lw map[string]map[string]any) {
	t.Helper()
	get := func(step string) string {
		b, _ := json.Marshal(lw[step])
		return string(b)
	}
	wants := map[string]string{
		"create_group_dup":                   `"error":"ResourceAlreadyExistsException"`,
		"create_group_bad_name":              `"error":"InvalidParameterException"`,
		"create_stream_dup":                  `"message":"The specified log stream already exists"`,
		"put_rejected":                       `"tooNewLogEventStartIndex":3,"tooOldLogEventEndIndex":1`,
		"put_unsorted":                       `"message":"Log events in a single PutLogEvents request must be in chronological order."`,
		"get_missing_stream":                 `"message":"The specified log stream does not exist."`,
		"get_end_exclusive":                  `"message":"ERROR disk full"`,
		"describe_groups_pattern":            `{"ok":{"logGroups":[{"arn":"arn:aws:logs:us-east-1:ACCOUNT:log-group:/diff/app:*","creationTime":"\u003ctime\u003e","logGroupName":"/diff/app"}]}}`,
		"describe_streams_last_event_prefix": `"message":"Cannot order by LastEventTime with a logStreamNamePrefix."`,
		"filter_interleaved":                 `"message":"ab-1","timestamp":10},{"eventId":"\u003cid\u003e","ingestionTime":"\u003ctime\u003e","logStreamName":"a@c","message":"ac-1","timestamp":11}`,
		"filter_page2_at_names":              `"message":"ac-1"`,
		"retention_bad":                      `"error":"InvalidParameterException"`,
		"tag_missing":                        `"error":"ResourceNotFoundException"`,
		"describe_after_retention":           `"retentionInDays":7`,
		"mf_has_creation_time":               `{"ok":true}`,
		"mf_put_missing_group":               `"error":"ResourceNotFoundException"`,
		"mf_put_two_transformations":         `"error":"InvalidParameterException"`,
		"mf_describe":                        `"filterName":"b-denied"`,
		"mf_describe_metric":                 `"filterName":"b-denied"`,
		"mf_describe_after_update":           `"filterPattern":"?ERROR ?FATAL"`,
		"mf_delete_missing":                  `"error":"ResourceNotFoundException"`,
		"mf_describe_after_group_delete":     `{"ok":{"metricFilters":[]}}`,
	}
	for step, want := range wants {
		if got := get(step); !strings.Contains(got, want) {
			t.Errorf("logwarden step %s = %s, want it to contain %s", step, got, want)
		}
	}
	for _, step := range []string{"mf_describe", "mf_describe_metric", "mf_describe_after_update"} {
		if got := get(step); strings.Count(got, `"filterName"`) != 2 || strings.Index(got, `"b-denied"`) > strings.Index(got, `"errors"`) {
			t.Errorf("logwarden step %s = %s, want b-denied then errors", step, got)
		}
	}
	if got := get("get_end_exclusive"); strings.Contains(got, "INFO ok") {
		t.Errorf("get_end_exclusive returned the event at endTime: %s", got)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestBoto3AndDifferentialMoto runs a scripted boto3 sequence against
// logwarden and checks AWS's answers, then runs it against moto_server too and
// compares the normalized answers step by step.
func TestBoto3AndDifferentialMoto(t *testing.T) {
	t.Parallel()
	py := needBoto3(t)
	ts := startServer(t, Options{})
	motoPath, motoErr := exec.LookPath("moto_server")
	var motoCmd *exec.Cmd
	port := freePort(t)
	if motoErr == nil {
		// Start moto now: it takes seconds to boot while logwarden runs the sequence.
		motoCmd = exec.Command(motoPath, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
		motoCmd.Env = peerEnv(t)
		if err := motoCmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			motoCmd.Process.Kill()
			motoCmd.Wait()
		})
	}
	lw := runSequence(t, py, ts.url)
	checkLogwardenSequence(t, lw)
	testutil.Peer(t, "moto_server", "pip install 'moto[server]'")
	motoURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("moto_server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	mo := runSequence(t, py, motoURL)
	steps := make([]string, 0, len(lw))
	for s := range lw {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	for _, s := range steps {
		same := reflect.DeepEqual(lw[s], mo[s])
		why, known := knownDifferences[s]
		switch {
		case known && same:
			t.Errorf("step %s: expected a difference (%s) but moto now agrees: %v", s, why, lw[s])
		case !known && !same:
			a, _ := json.Marshal(lw[s])
			b, _ := json.Marshal(mo[s])
			t.Errorf("step %s differs:\nlogwarden %s\nmoto      %s", s, a, b)
		}
	}
	for s := range knownDifferences {
		if _, ok := lw[s]; !ok {
			t.Errorf("known difference %s names no step", s)
		}
	}
}

// cliRunner returns a function that runs "aws logs ARGS" against url with
// JSON output and returns the output, failing the test on an error.
func cliRunner(t *testing.T, awsBin, url string, env []string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command(awsBin, append([]string{"logs", "--endpoint-url", url, "--output", "json"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws logs %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}

// TestAWSCLI drives logwarden with the AWS CLI (v1 or v2).
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	awsBin := testutil.AWSCLI(t)
	ts := startServer(t, Options{})
	env := peerEnv(t)
	run := cliRunner(t, awsBin, ts.url, env)
	now := time.Now().UnixMilli()
	run("create-log-group", "--log-group-name", "/cli/app")
	run("create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "host@1")
	out := run("put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "host@1", "--log-events",
		fmt.Sprintf("timestamp=%d,message=first line", now-2), fmt.Sprintf("timestamp=%d,message=ERROR second", now-1))
	if !strings.Contains(out, "nextSequenceToken") {
		t.Fatalf("put-log-events: %s", out)
	}
	out = run("get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "host@1", "--start-from-head")
	if !strings.Contains(out, "first line") || !strings.Contains(out, "ERROR second") {
		t.Fatalf("get-log-events: %s", out)
	}
	out = run("filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR")
	if strings.Contains(out, "first line") || !strings.Contains(out, "ERROR second") {
		t.Fatalf("filter-log-events: %s", out)
	}
	out = run("describe-log-streams", "--log-group-name", "/cli/app")
	if !strings.Contains(out, `"host@1"`) {
		t.Fatalf("describe-log-streams: %s", out)
	}
	cmd := exec.Command(awsBin, "logs", "--endpoint-url", ts.url, "create-log-group", "--log-group-name", "/cli/app")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "ResourceAlreadyExistsException") {
		t.Fatalf("duplicate group through the CLI: %v %s", err, b)
	}
	ver, _ := exec.Command(awsBin, "--version").CombinedOutput()
	if strings.HasPrefix(string(ver), "aws-cli/2") {
		out = run("tail", "/cli/app", "--since", "1h")
		if !strings.Contains(out, "ERROR second") {
			t.Fatalf("aws logs tail: %s", out)
		}
	}
}

// TestBoto3Insights runs Logs Insights queries through boto3.
func TestBoto3Insights(t *testing.T) {
	t.Parallel()
	py := needBoto3(t)
	ts := startServer(t, Options{})
	now := ts.clock.UnixMilli()
	cmd := exec.Command(py, "testdata/insights_boto3.py", ts.url, fmt.Sprint(now))
	cmd.Env = peerEnv(t)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("insights_boto3.py: %v\n%s", err, stderr)
	}
	var res struct {
		Stats, Fields struct {
			Status     string
			Results    [][]map[string]string
			Statistics map[string]float64
		}
		Malformed struct {
			Error    string
			Location map[string]int
		}
		Describe []struct {
			Status     string
			CreateTime json.Number
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	cells := func(rows [][]map[string]string) string {
		var b strings.Builder
		for _, row := range rows {
			for _, f := range row {
				if f["field"] != "@ptr" {
					fmt.Fprintf(&b, "%s=%s ", f["field"], f["value"])
				}
			}
			b.WriteString("| ")
		}
		return b.String()
	}
	if got, want := cells(res.Stats.Results), "level=INFO n=1 avg_ms=10 max(ms)=10 | level=ERROR n=2 avg_ms=40 max(ms)=50 | "; res.Stats.Status != "Complete" || got != want {
		t.Errorf("stats: %s %q, want %q", res.Stats.Status, got, want)
	}
	if res.Stats.Statistics["recordsScanned"] != 3 || res.Stats.Statistics["recordsMatched"] != 3 {
		t.Errorf("stats statistics: %v", res.Stats.Statistics)
	}
	if got, want := cells(res.Fields.Results), "level=ERROR ms=30 | "; got != want || len(res.Fields.Results[0]) != 3 {
		t.Errorf("fields: %q (%v), want %q and an @ptr", got, res.Fields.Results, want)
	}
	if res.Malformed.Error != "MalformedQueryException" || res.Malformed.Location["startCharOffset"] != 11 {
		t.Errorf("malformed: %+v", res.Malformed)
	}
	if len(res.Describe) != 2 || res.Describe[0].CreateTime.String() != fmt.Sprint(now) {
		t.Errorf("describe: %+v, want 2 queries created at %d", res.Describe, now)
	}
}

// TestAWSCLIInsights runs a Logs Insights query with the AWS CLI.
func TestAWSCLIInsights(t *testing.T) {
	t.Parallel()
	awsBin := testutil.AWSCLI(t)
	ts := startServer(t, Options{})
	env := peerEnv(t)
	run := cliRunner(t, awsBin, ts.url, env)
	// The data goes in through the store: the CLI part is the queries.
	now := ts.clock.UnixMilli()
	if err := ts.st.CreateGroup(store.GroupSpec{Name: "/cli/app"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.CreateStream("/cli/app", "host@1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.st.Put("/cli/app", "host@1", []store.Event{{Timestamp: now - 2, Message: "first line"}, {Timestamp: now - 1, Message: "ERROR second"}}); err != nil {
		t.Fatal(err)
	}
	// start-query, then get-query-results until Complete.
	out := run("start-query", "--log-group-name", "/cli/app", "--start-time", fmt.Sprint(now/1000-60),
		"--end-time", fmt.Sprint(now/1000+1), "--query-string", "filter @message like /ERROR/ | fields @timestamp, @message")
	var started struct {
		QueryID string `json:"queryId"`
	}
	if err := json.Unmarshal([]byte(out), &started); err != nil || started.QueryID == "" {
		t.Fatalf("start-query: %v %s", err, out)
	}
	var res struct {
		Status  string `json:"status"`
		Results [][]struct {
			Field, Value string
		} `json:"results"`
		Statistics struct {
			RecordsMatched, RecordsScanned float64
		} `json:"statistics"`
	}
	for deadline := time.Now().Add(10 * time.Second); res.Status != "Complete"; {
		if time.Now().After(deadline) {
			t.Fatalf("get-query-results: still %q", res.Status)
		}
		out = run("get-query-results", "--query-id", started.QueryID)
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("get-query-results: %v %s", err, out)
		}
	}
	wantTS := time.UnixMilli(now - 1).UTC().Format("2006-01-02 15:04:05.000")
	if len(res.Results) != 1 || len(res.Results[0]) != 3 || res.Results[0][0].Value != wantTS ||
		res.Results[0][1].Value != "ERROR second" || res.Results[0][2].Field != "@ptr" ||
		res.Statistics.RecordsScanned != 2 || res.Statistics.RecordsMatched != 1 {
		t.Fatalf("get-query-results: %s", out)
	}
	out = run("describe-queries", "--log-group-name", "/cli/app")
	if !regexp.MustCompile(`"createTime": \d+[^\d.]`).MatchString(out) || !strings.Contains(out, started.QueryID) {
		t.Fatalf("describe-queries (createTime must be an integer): %s", out)
	}
	cmd := exec.Command(awsBin, "logs", "--endpoint-url", ts.url, "start-query", "--log-group-name", "/cli/app",
		"--start-time", "0", "--end-time", "1", "--query-string", "stats count(*) by")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "MalformedQueryException") {
		t.Fatalf("malformed query through the CLI: %v %s", err, b)
	}
}
