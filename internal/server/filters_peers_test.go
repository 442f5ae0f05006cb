package server

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/logwarden/logwarden/internal/testutil"
)

// TestAWSCLIMetricFilters drives the metric filter operations with the AWS CLI.
func TestAWSCLIMetricFilters(t *testing.T) {
	t.Parallel()
	awsBin := testutil.AWSCLI(t)
	ts := startServer(t, Options{})
	env := peerEnv(t)
	run := cliRunner(t, awsBin, ts.url, env)
	run("create-log-group", "--log-group-name", "/cli/mf")
	run("put-metric-filter", "--log-group-name", "/cli/mf", "--filter-name", "http-404",
		"--filter-pattern", "[ip, id, user, ts, request, status = 404, size]",
		"--metric-transformations", "metricName=NotFound,metricNamespace=Web,metricValue=1,defaultValue=0")
	var desc struct {
		MetricFilters []struct {
			FilterName, FilterPattern, LogGroupName string
			MetricTransformations                   []map[string]any
		}
	}
	out := run("describe-metric-filters", "--log-group-name", "/cli/mf", "--filter-name-prefix", "http")
	if err := json.Unmarshal([]byte(out), &desc); err != nil {
		t.Fatalf("describe-metric-filters: %v\n%s", err, out)
	}
	if len(desc.MetricFilters) != 1 || desc.MetricFilters[0].FilterName != "http-404" ||
		desc.MetricFilters[0].MetricTransformations[0]["metricName"] != "NotFound" ||
		desc.MetricFilters[0].MetricTransformations[0]["defaultValue"] != 0.0 {
		t.Fatalf("describe-metric-filters: %s", out)
	}
	out = run("test-metric-filter", "--filter-pattern", "[ip, id, user, ts, request, status = 404, size]", "--log-event-messages",
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534`,
		`127.0.0.1 - frank [10/Oct/2000:13:25:16 -0700] "GET /b.gif HTTP/1.0" 200 99`)
	var test struct {
		Matches []struct {
			EventNumber     int
			ExtractedValues map[string]string
		}
	}
	if err := json.Unmarshal([]byte(out), &test); err != nil {
		t.Fatalf("test-metric-filter: %v\n%s", err, out)
	}
	if len(test.Matches) != 1 || test.Matches[0].EventNumber != 1 || test.Matches[0].ExtractedValues["$status"] != "404" ||
		test.Matches[0].ExtractedValues["$request"] != "GET /a.gif HTTP/1.0" {
		t.Fatalf("test-metric-filter: %s", out)
	}
	cmd := exec.Command(awsBin, "logs", "--endpoint-url", ts.url, "delete-metric-filter", "--log-group-name", "/cli/mf", "--filter-name", "nope")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "ResourceNotFoundException") {
		t.Fatalf("deleting a missing filter through the CLI: %v %s", err, b)
	}
	run("delete-metric-filter", "--log-group-name", "/cli/mf", "--filter-name", "http-404")
	if out := run("describe-metric-filters"); !strings.Contains(out, `"metricFilters": []`) {
		t.Fatalf("after delete: %s", out)
	}
}

// TestBoto3Filters runs testdata/filters_boto3.py.
func TestBoto3Filters(t *testing.T) {
	t.Parallel()
	py := needBoto3(t)
	ts := startServer(t, Options{})
	cmd := exec.Command(py, "testdata/filters_boto3.py", ts.url)
	cmd.Env = peerEnv(t)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("filters_boto3.py: %v\n%s", err, stderr)
	}
	want := `{"deleteMissing": "ResourceNotFoundException", ` +
		`"describe": [{"creationTime": "int", "filterName": "errors", "filterPattern": "[level = ERROR, ...]", "metric": "Errors"}], ` +
		`"subs": ["sub"], ` +
		`"test": [{"eventMessage": "ERROR broken pipe", "eventNumber": 2, "extractedValues": {"$level": "ERROR"}}], ` +
		`"twoTransformations": "InvalidParameterException"}`
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("filters_boto3.py:\n%s\nwant\n%s", got, want)
	}
}
