package source

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/logwarden/logwarden/internal/binlog"
	"github.com/logwarden/logwarden/internal/review/parse"
)

type fakeEvent struct {
	Stream  string `json:"logStreamName"`
	Time    int64  `json:"timestamp"`
	Message string `json:"message"`
	Ingest  int64  `json:"ingestionTime"`
	ID      string `json:"eventId"`
}

// fakeLogs is a minimal FilterLogEvents endpoint (awsJson1_1) that pages
// two events at a time, enough to drive the real SDK client.
type fakeLogs struct {
	mu     sync.Mutex
	groups map[string][]fakeEvent
	calls  int
	t      *testing.T
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if got := r.Header.Get("X-Amz-Target"); got != "Logs_20140328.FilterLogEvents" {
		http.Error(w, `{"__type":"UnknownOperationException"}`, 400)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		f.t.Errorf("request not SigV4-signed")
	}
	body, _ := io.ReadAll(r.Body)
	var in struct {
		LogGroupName string `json:"logGroupName"`
		StartTime    int64  `json:"startTime"`
		EndTime      int64  `json:"endTime"`
		NextToken    string `json:"nextToken"`
		Prefix       string `json:"logStreamNamePrefix"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	evs, ok := f.groups[in.LogGroupName]
	if !ok {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}`)
		return
	}
	var sel []fakeEvent
	for _, e := range evs {
		if e.Time >= in.StartTime && e.Time <= in.EndTime && strings.HasPrefix(e.Stream, in.Prefix) {
			sel = append(sel, e)
		}
	}
	from, _ := strconv.Atoi(in.NextToken)
	to := min(from+2, len(sel))
	out := map[string]any{"events": sel[from:to], "searchedLogStreams": []any{}}
	if to < len(sel) {
		out["nextToken"] = strconv.Itoa(to)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func TestCloudWatch(t *testing.T) {
	ms := func(s string) int64 { return mustTime(s).UnixMilli() }
	wtmpLine := string(binlog.UtmpJSON(binlog.Utmp{Type: binlog.UserProcess, User: "alice", Line: "pts/0", Host: "203.0.113.5",
		Time: mustTime("2026-11-02T00:01:10Z"), PID: 2210}, binlog.FormatWtmp, binlog.LayoutX86_64, 4).Marshal())
	f := &fakeLogs{t: t, groups: map[string][]fakeEvent{
		"/var/log/secure": {
			{Stream: "i-0abc", Time: ms("2026-10-31T14:59:59Z"), Message: "Oct 31 23:59:59 web01 sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2"},
			{Stream: "i-0abc", Time: ms("2026-11-02T00:01:10Z"), Message: "Nov  2 09:01:10 web01 sshd[2210]: Accepted publickey for alice from 203.0.113.5 port 51234 ssh2"},
			{Stream: "i-0def", Time: ms("2026-11-02T17:14:03Z"), Message: "Nov  3 02:14:03 web02 sshd[3101]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2"},
			{Stream: "i-0abc", Time: ms("2026-11-04T02:00:05Z"), Message: "Nov  4 11:00:05 web01 sudo[4201]:   carol : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/carol ; USER=root ; COMMAND=/bin/bash"},
			{Stream: "i-0abc", Time: ms("2026-11-05T00:00:00Z"), Message: "free text the agent shipped"},
			{Stream: "i-0abc", Time: ms("2026-12-01T00:00:00Z"), Message: "Dec  1 09:00:00 web01 sshd[9]: Accepted password for x from 192.0.2.9 port 9 ssh2"},
		},
		"/var/log/wtmp":  {{Stream: "i-0abc", Time: ms("2026-11-02T00:01:10Z"), Message: wtmpLine}},
		"/var/log/empty": {},
		"/var/log/sulog": {{Stream: "i-0abc", Time: ms("2026-11-04T01:25:00Z"), Message: "SU 11/04 10:25 + pts/1 carol-root"}},
		"/var/log/audit/audit.log": {{Stream: "i-0abc", Time: ms("2026-11-02T17:14:03Z"),
			Message: `type=USER_LOGIN msg=audit(1793639643.000:1100): pid=3101 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="admin" exe="/usr/sbin/sshd" hostname=? addr=198.51.100.7 terminal=ssh res=failed'`}},
	}}
	hs := httptest.NewServer(f)
	defer hs.Close()
	client := cwl.New(cwl.Options{Region: "ap-northeast-2", BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	var recs []parse.Record
	inputs, err := CloudWatch(context.Background(), CloudWatchOptions{Client: client, Groups: []string{"/var/log/secure", "/var/log/wtmp", "/var/log/empty", "/var/log/sulog", "/var/log/audit/audit.log"},
		Start: start, End: start.AddDate(0, 1, 0), Zone: kst}, func(r *parse.Record) error {
		recs = append(recs, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Source+" "+string(r.Kind)+" "+r.User+" "+r.Time.UTC().Format(time.RFC3339))
	}
	want := []string{
		"/var/log/secure/i-0abc ssh.accepted alice 2026-11-02T00:01:10Z",
		"/var/log/secure/i-0def ssh.failed admin 2026-11-02T17:14:03Z",
		"/var/log/secure/i-0abc sudo.not_allowed carol 2026-11-04T02:00:05Z",
		"/var/log/secure/i-0abc other  2026-11-05T00:00:00Z",
		"/var/log/wtmp/i-0abc login.wtmp alice 2026-11-02T00:01:10Z",
		"/var/log/sulog/i-0abc su.success carol 2026-11-04T01:25:00Z",
		"/var/log/audit/audit.log/i-0abc audit admin 2026-11-02T17:14:03Z",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.calls < 4 {
		t.Errorf("expected paging, got %d calls", f.calls)
	}
	var names []string
	for _, in := range inputs {
		names = append(names, in.Name+":"+string(in.Class)+":"+strconv.FormatInt(in.InPeriod, 10))
		if in.Name == "/var/log/empty" && (len(in.Gaps) != 1 || in.Gaps[0].To.Sub(in.Gaps[0].From) != 30*24*time.Hour) {
			t.Errorf("empty group gaps %v", in.Gaps)
		}
	}
	if w := "/var/log/secure/i-0abc:auth:3 /var/log/secure/i-0def:auth:1 /var/log/wtmp/i-0abc:wtmp:1 /var/log/empty:other:0 " +
		"/var/log/sulog/i-0abc:sulog:1 /var/log/audit/audit.log/i-0abc:audit:1"; strings.Join(names, " ") != w {
		t.Errorf("inputs %v, want %s", names, w)
	}
	// an unknown group is an error that names it
	_, err = CloudWatch(context.Background(), CloudWatchOptions{Client: client, Groups: []string{"/nope"}, Start: start, End: start.AddDate(0, 1, 0)},
		func(*parse.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "/nope") || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("missing group error: %v", err)
	}
}
