package cloudwatch

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// testServer is a minimal CloudWatch Logs endpoint (awsJson1_1) for the
// client tests: groups, streams, events and retention in memory, plus
// injectable faults.
type testServer struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	groups    map[string]*testGroup
	requests  []testRequest
	faults    []testFault // consumed in order, one per request
	retention map[string]int
}

type testGroup struct {
	class   string
	streams map[string][]putEvent
}

type putEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

type testRequest struct {
	target string
	header http.Header
	body   []byte // decoded (gunzipped) body
	raw    int    // bytes on the wire
}

type testFault struct {
	status int
	code   string
	msg    string
	html   bool
}

func newTestServer(t *testing.T) *testServer {
	ts := &testServer{t: t, groups: map[string]*testGroup{}, retention: map[string]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ts.srv = httptest.NewUnstartedServer(http.HandlerFunc(ts.serve))
	ts.srv.Listener.Close()
	ts.srv.Listener = l
	ts.srv.Start()
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *testServer) fail(f ...testFault) {
	ts.mu.Lock()
	ts.faults = append(ts.faults, f...)
	ts.mu.Unlock()
}

func (ts *testServer) lastRequest() testRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests[len(ts.requests)-1]
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Write(b)
}

func (ts *testServer) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeErr(w, 400, "SerializationException", err.Error())
		return
	}
	body := raw
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			writeErr(w, 400, "SerializationException", "bad gzip: "+err.Error())
			return
		}
		if body, err = io.ReadAll(zr); err != nil {
			writeErr(w, 400, "SerializationException", "bad gzip: "+err.Error())
			return
		}
	}
	target := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	ts.mu.Lock()
	ts.requests = append(ts.requests, testRequest{target: target, header: r.Header.Clone(), body: body, raw: len(raw)})
	var fault *testFault
	if len(ts.faults) > 0 {
		fault = &ts.faults[0]
		ts.faults = ts.faults[1:]
	}
	ts.mu.Unlock()
	if fault != nil {
		if fault.html {
			w.WriteHeader(fault.status)
			io.WriteString(w, "<html>oops</html>")
			return
		}
		writeErr(w, fault.status, fault.code, fault.msg)
		return
	}
	var in struct {
		LogGroupName        string     `json:"logGroupName"`
		LogStreamName       string     `json:"logStreamName"`
		LogGroupClass       string     `json:"logGroupClass"`
		LogEvents           []putEvent `json:"logEvents"`
		LogGroupIdentifiers []string   `json:"logGroupIdentifiers"`
		RetentionInDays     int        `json:"retentionInDays"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, 400, "SerializationException", err.Error())
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	g := ts.groups[in.LogGroupName]
	out := map[string]any{}
	switch target {
	case "CreateLogGroup":
		if g != nil {
			writeErr(w, 400, "ResourceAlreadyExistsException", "The specified log group already exists")
			return
		}
		ts.groups[in.LogGroupName] = &testGroup{class: in.LogGroupClass, streams: map[string][]putEvent{}}
	case "CreateLogStream":
		if g == nil {
			writeErr(w, 400, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		}
		if _, ok := g.streams[in.LogStreamName]; ok {
			writeErr(w, 400, "ResourceAlreadyExistsException", "The specified log stream already exists")
			return
		}
		g.streams[in.LogStreamName] = nil
	case "PutLogEvents":
		if g == nil {
			writeErr(w, 400, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		}
		evs, ok := g.streams[in.LogStreamName]
		if !ok {
			writeErr(w, 400, "ResourceNotFoundException", "The specified log stream does not exist.")
			return
		}
		for i, e := range in.LogEvents {
			if e.Timestamp == nil || e.Message == nil {
				writeErr(w, 400, "InvalidParameterException", fmt.Sprintf("1 validation error detected: Value null at 'logEvents.%d.member.timestamp' failed to satisfy constraint: Member must not be null", i+1))
				return
			}
		}
		g.streams[in.LogStreamName] = append(evs, in.LogEvents...)
		out["nextSequenceToken"] = "49039859613988222463129381038383742830624011434565478434"
		// Events at timestamp 1 are "too old" for this server.
		old := 0
		for _, e := range in.LogEvents {
			if *e.Timestamp == 1 {
				old++
			}
		}
		if old > 0 {
			out["rejectedLogEventsInfo"] = map[string]int{"tooOldLogEventEndIndex": old}
		}
	case "DescribeLogGroups":
		var list []map[string]any
		for _, id := range in.LogGroupIdentifiers {
			if _, ok := ts.groups[id]; !ok {
				continue
			}
			m := map[string]any{"logGroupName": id, "creationTime": 1}
			if d := ts.retention[id]; d > 0 {
				m["retentionInDays"] = d
			}
			list = append(list, m)
		}
		out["logGroups"] = list
	case "PutRetentionPolicy":
		if g == nil {
			writeErr(w, 400, "ResourceNotFoundException", "The specified log group does not exist.")
			return
		}
		ts.retention[in.LogGroupName] = in.RetentionInDays
	default:
		writeErr(w, 400, "UnknownOperationException", "unknown operation "+target)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	b, _ := json.Marshal(out)
	w.Write(b)
}

// newTestClient returns a Client pointed at ts with static credentials and
// no access to instance metadata.
func newTestClient(t testing.TB, url string, c Compression) *Client {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/logwarden-test")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/logwarden-test")
	cl, err := New(context.Background(), Config{
		Region:            "us-east-1",
		Endpoint:          url,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
		UserAgent:         "logwarden/test",
		Compression:       c,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cl
}

// readAllAndRestore reads r's body and puts an equivalent reader back.
func readAllAndRestore(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	return b, err
}
