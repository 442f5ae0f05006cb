package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// call posts body to the server with the given target and returns the status,
// headers and decoded JSON body.
func (ts *testServer) call(t *testing.T, target, contentType string, body []byte, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("response is not JSON (%v): %q", err, raw)
	}
	return resp.StatusCode, resp.Header, m
}

func TestProtocol(t *testing.T) {
	ts := startServer(t, Options{Fault: func(op string) *APIError {
		if op == "DeleteLogStream" {
			return newErr("ThrottlingException", "Rate exceeded")
		}
		return nil
	}})
	const ct = "application/x-amz-json-1.1"
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name     string
		target   string
		ctype    string
		body     []byte
		hdr      map[string]string
		status   int
		code     string
		contains string
	}{
		{"empty body is {}", "Logs_20140328.DescribeLogGroups", ct, nil, nil, 200, "", `"logGroups"`},
		{"application/json", "Logs_20140328.CreateLogGroup", "application/json", []byte(`{"logGroupName":"g1","newMember":{"x":[1]}}`), nil, 200, "", ""},
		{"gzip body", "Logs_20140328.CreateLogGroup", ct, gz(`{"logGroupName":"g2"}`), map[string]string{"Content-Encoding": "gzip"}, 200, "", ""},
		{"unknown operation", "Logs_20140328.FlyToTheMoon", ct, []byte(`{}`), nil, 400, codeUnknownOperation, ""},
		{"no target", "", ct, []byte(`{}`), nil, 400, codeUnknownOperation, ""},
		{"malformed JSON", "Logs_20140328.CreateLogGroup", ct, []byte(`{bad`), nil, 400, codeSerialization, ""},
		{"wrong member type", "Logs_20140328.DescribeLogGroups", ct, []byte(`{"limit":"x"}`), nil, 400, codeSerialization, ""},
		{"not an object", "Logs_20140328.DescribeLogGroups", ct, []byte(`[1]`), nil, 400, codeSerialization, ""},
		{"bad gzip", "Logs_20140328.CreateLogGroup", ct, []byte(`{}`), map[string]string{"Content-Encoding": "gzip"}, 400, codeSerialization, ""},
		{"missing name", "Logs_20140328.CreateLogGroup", ct, []byte(`{}`), nil, 400, codeInvalidParameter,
			"1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"},
		{"bad name", "Logs_20140328.CreateLogGroup", ct, []byte(`{"logGroupName":"bad name!"}`), nil, 400, codeInvalidParameter,
			`Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`},
		{"reserved prefix", "Logs_20140328.CreateLogGroup", ct, []byte(`{"logGroupName":"Aws/x"}`), nil, 400, codeInvalidParameter, msgReservedPrefix},
		{"two validation errors", "Logs_20140328.DescribeLogGroups", ct, []byte(`{"logGroupNamePrefix":""}`), nil, 400, codeInvalidParameter,
			"2 validation errors detected: Value '' at 'logGroupNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"stream colon", "Logs_20140328.CreateLogStream", ct, []byte(`{"logGroupName":"g1","logStreamName":"a:b"}`), nil, 400, codeInvalidParameter, `[^:*]*`},
		{"name and identifier", "Logs_20140328.DescribeLogStreams", ct, []byte(`{"logGroupName":"g1","logGroupIdentifier":"g1"}`), nil, 400, codeInvalidParameter, msgNameAndIdentifier},
		{"missing timestamp", "Logs_20140328.PutLogEvents", ct, []byte(`{"logGroupName":"g1","logStreamName":"s","logEvents":[{"message":"x"}]}`), nil, 400, codeInvalidParameter,
			"Value null at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must not be null"},
		{"fault injection", "Logs_20140328.DeleteLogStream", ct, []byte(`{}`), nil, 400, "ThrottlingException", "Rate exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, m := ts.call(t, tc.target, tc.ctype, tc.body, tc.hdr)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, m)
			}
			if h.Get("x-amzn-RequestId") == "" || h.Get("Date") == "" || h.Get("Content-Type") != ct {
				t.Fatalf("headers: %v", h)
			}
			if tc.code != "" && (m["__type"] != tc.code || h.Get("X-Amzn-ErrorType") != tc.code) {
				t.Fatalf("error %v / header %q, want %s", m, h.Get("X-Amzn-ErrorType"), tc.code)
			}
			raw, _ := json.Marshal(m)
			if tc.contains != "" && !strings.Contains(string(raw), tc.contains) {
				t.Fatalf("body %s does not contain %s", raw, tc.contains)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:4586", true}, {"[::1]:4586", true}, {"localhost:1", true},
		{":4586", false}, {"0.0.0.0:4586", false}, {"192.0.2.1:80", false}, {"example.com:80", false},
	}
	for _, tc := range tests {
		if err := checkLoopback(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q) = %v", tc.addr, err)
		}
	}
}
