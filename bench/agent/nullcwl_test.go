package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func TestGenerateLinesEndInSeq(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.log")
	g, err := generate(path, genSpec{Lines: 5000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if g.Lines != 5000 {
		t.Fatalf("lines = %d, want 5000", g.Lines)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != g.Bytes {
		t.Fatalf("bytes = %d, file has %d", g.Bytes, st.Size())
	}
	if avg := float64(g.Bytes) / float64(g.Lines); avg < 110 || avg > 132 {
		t.Errorf("average line is %.1f bytes, want about 121", avg)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := int64(1)
	for sc.Scan() {
		if got := seqOf(sc.Bytes()); got != want {
			t.Fatalf("line %d has seq %d: %q", want, got, sc.Text())
		}
		want++
	}
	d, err := describe(path)
	if err != nil {
		t.Fatal(err)
	}
	if d != g {
		t.Errorf("describe = %+v, generate said %+v", d, g)
	}
}

func TestGenerateBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.log")
	const size = 1 << 20
	g, err := generate(path, genSpec{Bytes: size, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if g.Bytes > size || g.Bytes < size-200 {
		t.Errorf("bytes = %d, want just under %d", g.Bytes, size)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1GiB", 1 << 30, false},
		{"64MiB", 64 << 20, false},
		{"1.5KiB", 1536, false},
		{"500MB", 500e6, false},
		{"4096", 4096, false},
		{"0MiB", 0, true},
		{"lots", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// putBody builds a PutLogEvents body the way an SDK does.
func putBody(t testing.TB, group, stream string, msgs ...string) []byte {
	t.Helper()
	type ev struct {
		Message   string `json:"message"`
		Timestamp int64  `json:"timestamp"`
	}
	in := struct {
		LogEvents     []ev   `json:"logEvents"`
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}{LogGroupName: group, LogStreamName: stream}
	for _, m := range msgs {
		in.LogEvents = append(in.LogEvents, ev{Message: m, Timestamp: 1})
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanPut(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		group    string
		stream   string
		seqs     []int64
		wantFail bool
	}{
		{
			name: "sdk order", body: string(putBody(t, "g", "s", "a seq=1", "b seq=2")),
			group: "g", stream: "s", seqs: []int64{1, 2},
		},
		{
			name:  "fluent bit order and spaces",
			body:  `{"logGroupName": "g1", "logStreamName": "s1", "logEvents": [{"timestamp": 1, "message": "x seq=9"}]}`,
			group: "g1", stream: "s1", seqs: []int64{9},
		},
		{
			name: "message quoting a key", body: string(putBody(t, "g", "s", `"message":"fake seq=5" seq=3`, `logGroupName`)),
			group: "g", stream: "s", seqs: []int64{3, 0},
		},
		{
			name: "escaped backslash before the closing quote", body: string(putBody(t, "g", "s", `tail\`, "n seq=4")),
			group: "g", stream: "s", seqs: []int64{0, 4},
		},
		{name: "no group", body: `{"logStreamName":"s","logEvents":[]}`, wantFail: true},
		{name: "no stream", body: `{"logGroupName":"g","logEvents":[]}`, wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, s, seqs, err := scanPut([]byte(tt.body), nil)
			if (err != nil) != tt.wantFail {
				t.Fatalf("err = %v, want failure %v", err, tt.wantFail)
			}
			if tt.wantFail {
				return
			}
			if g != tt.group || s != tt.stream || fmt.Sprint(seqs) != fmt.Sprint(tt.seqs) {
				t.Errorf("got %q %q %v, want %q %q %v", g, s, seqs, tt.group, tt.stream, tt.seqs)
			}
		})
	}
}

func TestStreamCheck(t *testing.T) {
	tests := []struct {
		name                          string
		seqs                          []int64
		n                             int64
		missing, dups, outOfOrder, no int64
	}{
		{name: "in order", seqs: []int64{1, 2, 3}, n: 3},
		{name: "gap", seqs: []int64{1, 3}, n: 3, missing: 1},
		{name: "duplicate batch", seqs: []int64{1, 2, 1, 2, 3}, n: 3, dups: 2, outOfOrder: 1},
		{name: "swapped", seqs: []int64{2, 1, 3}, n: 3, outOfOrder: 1},
		{name: "no seq", seqs: []int64{1, 0, 2}, n: 2, no: 1},
		{name: "far seq grows the bitmap", seqs: []int64{1, 100000}, n: 2, missing: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s streamCheck
			for _, q := range tt.seqs {
				s.add(q)
			}
			r := summarise(map[string]*streamCheck{"k": &s}, nil, 0, tt.n)
			if r.Missing != tt.missing || r.Dups != tt.dups || r.OutOfOrder != tt.outOfOrder || r.NoSeq != tt.no {
				t.Errorf("report %+v; want missing %d dups %d out of order %d no seq %d",
					r, tt.missing, tt.dups, tt.outOfOrder, tt.no)
			}
			if want := tt.missing+tt.dups+tt.outOfOrder+tt.no == 0; r.ok() != want {
				t.Errorf("ok() = %v, want %v", r.ok(), want)
			}
		})
	}
}

// TestNullEndpointWithSDK drives the null endpoint with the real SDK client
// and with a gzip body, as the agents send it.
func TestNullEndpointWithSDK(t *testing.T) {
	e := newNullEndpoint()
	srv := httptest.NewServer(e)
	defer srv.Close()
	e.reset(4)
	c := cwlClient(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{
			{Message: aws.String("one seq=1"), Timestamp: aws.Int64(1)},
			{Message: aws.String("two seq=2"), Timestamp: aws.Int64(2)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.doneC():
		t.Fatal("done after 2 of 4 events")
	default:
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(putBody(t, "g", "s", "three seq=3", "four seq=4"))
	zw.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, &zb)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", targetPrefix+"PutLogEvents")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("gzip put: status %d, request id %q", resp.StatusCode, resp.Header.Get("X-Amzn-Requestid"))
	}
	select {
	case <-e.doneC():
	case <-ctx.Done():
		t.Fatal("not done after 4 events")
	}
	r := e.report(4)
	if !r.ok() || r.Events != 4 || r.Requests["PutLogEvents"] != 2 || r.Requests["CreateLogGroup"] != 1 {
		t.Errorf("report %+v", r)
	}
	// An unknown target gets a JSON error, not a page.
	resp, err = http.Post(srv.URL, "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") == "" {
		t.Errorf("no target: status %d, error type %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.HWM <= 0 || s.RSS <= 0 || s.HWM < s.RSS {
		t.Errorf("sample %+v: want 0 < RSS <= HWM", s)
	}
	if _, err := readProc(-1); err == nil {
		t.Error("readProc(-1) succeeded")
	}
}

// FuzzScanPut checks that the scanner never panics, and that on any body a
// JSON encoder produces it finds exactly the events and their seqs.
func FuzzScanPut(f *testing.F) {
	f.Add("a seq=1", "b", `"message":"x"`)
	f.Add(`\`, `"`, "seq=12 seq=13")
	f.Add("", "logGroupName", "\n\t\u00e9 seq=99999999999999")
	f.Fuzz(func(t *testing.T, m1, m2, m3 string) {
		body := putBody(t, "g", "s", m1, m2, m3)
		g, s, seqs, err := scanPut(body, nil)
		if err != nil {
			t.Fatalf("scan %s: %v", body, err)
		}
		if g != "g" || s != "s" || len(seqs) != 3 {
			t.Fatalf("scan %s: %q %q %v", body, g, s, seqs)
		}
		// Arbitrary bytes must not panic either.
		scanPut([]byte(m1+m2+m3), nil)
	})
}
