package cloudwatch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestClient_PutLogEvents(t *testing.T) {
	tests := []struct {
		name     string
		comp     Compression
		wantGzip bool
	}{
		{"gzip", CompressionGzip, true},
		{"none", CompressionNone, false},
		{"auto, not AWS", CompressionAuto, false},
	}
	events := []Event{
		{Timestamp: 1_700_000_000_000, Message: `héllo "q" <tag>`},
		{Timestamp: 1_700_000_000_001, Message: "tab\there\nnewline \\ back \x01 ctl"},
		{Timestamp: 1_700_000_000_002, Message: "bad \xff utf8 한국어"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			cl := newTestClient(t, ts.srv.URL, tt.comp)
			ctx := context.Background()
			if err := cl.CreateLogGroup(ctx, "/g", "INFREQUENT_ACCESS"); err != nil {
				t.Fatalf("CreateLogGroup: %v", err)
			}
			if err := cl.CreateLogStream(ctx, "/g", "s"); err != nil {
				t.Fatalf("CreateLogStream: %v", err)
			}
			rej, err := cl.PutLogEvents(ctx, "/g", "s", events)
			if err != nil {
				t.Fatalf("PutLogEvents: %v", err)
			}
			if rej != (Rejected{}) {
				t.Errorf("Rejected = %+v, want none", rej)
			}
			req := ts.lastRequest()
			if req.target != "PutLogEvents" {
				t.Fatalf("target = %q", req.target)
			}
			if got := req.header.Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
				t.Errorf("gzip = %v, want %v", got, tt.wantGzip)
			}
			if ct := req.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type = %q", ct)
			}
			if ua := req.header.Get("User-Agent"); !strings.HasPrefix(ua, "logwarden/test aws-sdk-go-v2/") {
				t.Errorf("User-Agent = %q, want logwarden/test then the SDK's", ua)
			}
			if auth := req.header.Get("Authorization"); !strings.Contains(auth, "Credential=AKIDTEST/") || !strings.Contains(auth, "/us-east-1/logs/aws4_request") {
				t.Errorf("Authorization = %q", auth)
			}
			var body putBody
			if err := json.Unmarshal(req.body, &body); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, req.body)
			}
			if body.LogGroupName != "/g" || body.LogStreamName != "s" || len(body.LogEvents) != len(events) {
				t.Fatalf("body = %+v", body)
			}
			for i, e := range body.LogEvents {
				want := string([]rune(events[i].Message))
				if e.Message != want || e.Timestamp != events[i].Timestamp {
					t.Errorf("event %d = %d %q, want %d %q", i, e.Timestamp, e.Message, events[i].Timestamp, want)
				}
			}
			ts.mu.Lock()
			stored := len(ts.groups["/g"].streams["s"])
			class := ts.groups["/g"].class
			ts.mu.Unlock()
			if stored != len(events) || class != "INFREQUENT_ACCESS" {
				t.Errorf("stored %d events in a %q group, want %d in INFREQUENT_ACCESS", stored, class, len(events))
			}
		})
	}
}

// TestClient_SignatureCoversBody re-signs the received request and checks the
// signature: the body we swap in must be the one the SDK signed.
func TestClient_SignatureCoversBody(t *testing.T) {
	ts := newTestServer(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cl, err := New(context.Background(), Config{
		Region: "us-east-1", Endpoint: ts.srv.URL, Compression: CompressionGzip, SignLoopbackPayload: true,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = cl.CreateLogGroup(ctx, "/g", "")
	_ = cl.CreateLogStream(ctx, "/g", "s")
	var raw []byte
	ts.srv.Config.Handler = wrapRaw(ts.srv.Config.Handler, &raw)
	if _, err := cl.PutLogEvents(ctx, "/g", "s", []Event{{Timestamp: 5, Message: "signed body"}}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	req := ts.lastRequest()
	auth := req.header.Get("Authorization")
	signed := auth[strings.Index(auth, "SignedHeaders=")+len("SignedHeaders="):]
	signed = signed[:strings.Index(signed, ",")]
	if !strings.Contains(signed, "content-encoding") {
		t.Errorf("SignedHeaders %q lack content-encoding", signed)
	}
	re, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/", nil)
	for _, h := range strings.Split(signed, ";") {
		if h == "host" {
			continue
		}
		re.Header.Set(h, req.header.Get(h))
	}
	re.ContentLength = int64(len(raw))
	when, err := time.Parse("20060102T150405Z", req.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("X-Amz-Date: %v", err)
	}
	sum := sha256.Sum256(raw)
	creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, re, hex.EncodeToString(sum[:]), "logs", "us-east-1", when); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	sig := func(a string) string { return a[strings.Index(a, "Signature="):] }
	if got, want := sig(auth), sig(re.Header.Get("Authorization")); got != want {
		t.Errorf("signature %s, recomputed over the wire body %s", got, want)
	}
}

func wrapRaw(h http.Handler, raw *[]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := readAllAndRestore(r)
		*raw = b
		h.ServeHTTP(w, r)
	})
}

func TestClient_ErrorClassification(t *testing.T) {
	tests := []struct {
		name    string
		fault   testFault
		class   Class
		retry   bool
		checkFn func(error) bool
	}{
		{"throttling", testFault{400, "ThrottlingException", "Rate exceeded", false}, ClassThrottle, true, IsThrottle},
		{"service unavailable", testFault{503, "ServiceUnavailableException", "down", false}, ClassRetry, true, IsRetryable},
		{"html 500", testFault{500, "", "", true}, ClassRetry, true, IsRetryable},
		{"invalid parameter", testFault{400, "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.", false}, ClassInvalid, false, IsInvalidParameter},
		{"stream not found", testFault{400, "ResourceNotFoundException", "The specified log stream does not exist.", false}, ClassNotFound, false, IsStreamNotFound},
		{"group not found", testFault{400, "ResourceNotFoundException", "The specified log group does not exist.", false}, ClassNotFound, false, IsGroupNotFound},
		{"already exists", testFault{400, "ResourceAlreadyExistsException", "The specified log group already exists", false}, ClassAlreadyExists, false, IsAlreadyExists},
		{"data already accepted", testFault{400, "DataAlreadyAcceptedException", "x", false}, ClassAccepted, false, nil},
		{"access denied", testFault{400, "AccessDeniedException", "no", false}, ClassRetry, false, nil},
	}
	ts := newTestServer(t)
	cl := newTestClient(t, ts.srv.URL, CompressionNone)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.fail(tt.fault)
			_, err := cl.PutLogEvents(context.Background(), "/g", "s", []Event{{Timestamp: 1, Message: "x"}})
			if err == nil {
				t.Fatal("PutLogEvents succeeded, want an error")
			}
			if got := Classify(err); got != tt.class {
				t.Errorf("Classify(%v) = %v, want %v", err, got, tt.class)
			}
			if got := IsRetryable(err); got != tt.retry {
				t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.retry)
			}
			if tt.checkFn != nil && !tt.checkFn(err) {
				t.Errorf("helper says no for %v", err)
			}
		})
	}
	t.Run("group vs stream", func(t *testing.T) {
		err := cl.CreateLogStream(context.Background(), "/missing", "s")
		if !IsGroupNotFound(err) || IsStreamNotFound(err) {
			t.Errorf("CreateLogStream in a missing group: %v, want group not found", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		dead := newTestServer(t)
		url := dead.srv.URL
		dead.srv.Close()
		cl := newTestClient(t, url, CompressionNone)
		_, err := cl.PutLogEvents(context.Background(), "/g", "s", []Event{{Timestamp: 1, Message: "x"}})
		if err == nil || !IsRetryable(err) || Classify(err) != ClassRetry {
			t.Errorf("err = %v (class %v), want a retryable network error", err, Classify(err))
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := cl.PutLogEvents(ctx, "/g", "s", []Event{{Timestamp: 1, Message: "x"}})
		if Classify(err) != ClassCanceled {
			t.Errorf("Classify(%v) = %v, want canceled", err, Classify(err))
		}
	})
}

func TestClient_RejectedAndRetention(t *testing.T) {
	ts := newTestServer(t)
	cl := newTestClient(t, ts.srv.URL, CompressionGzip)
	ctx := context.Background()
	if err := cl.CreateLogGroup(ctx, "/r", ""); err != nil {
		t.Fatal(err)
	}
	if err := cl.CreateLogGroup(ctx, "/r", ""); err != nil {
		t.Errorf("CreateLogGroup of an existing group: %v, want nil", err)
	}
	if err := cl.CreateLogStream(ctx, "/r", "s"); err != nil {
		t.Fatal(err)
	}
	if err := cl.CreateLogStream(ctx, "/r", "s"); err != nil {
		t.Errorf("CreateLogStream of an existing stream: %v, want nil", err)
	}
	rej, err := cl.PutLogEvents(ctx, "/r", "s", []Event{{Timestamp: 1, Message: "old"}, {Timestamp: 1, Message: "old"}, {Timestamp: 9, Message: "ok"}})
	if err != nil {
		t.Fatal(err)
	}
	if rej.TooOld != 2 || rej.Total() != 2 {
		t.Errorf("Rejected = %+v, want TooOld 2", rej)
	}
	days, err := cl.LogGroupRetention(ctx, "/r")
	if err != nil || days != 0 {
		t.Errorf("LogGroupRetention = %d, %v; want 0, nil", days, err)
	}
	if err := cl.PutRetentionPolicy(ctx, "/r", 14); err != nil {
		t.Fatal(err)
	}
	if days, err = cl.LogGroupRetention(ctx, "/r"); err != nil || days != 14 {
		t.Errorf("LogGroupRetention = %d, %v; want 14, nil", days, err)
	}
	if _, err := cl.LogGroupRetention(ctx, "/nope"); !IsNotFound(err) {
		t.Errorf("LogGroupRetention of a missing group: %v, want not found", err)
	}
}

type countingCreds struct{ n atomic.Int32 }

func (c *countingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	c.n.Add(1)
	return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
}

func TestClient_RefreshesCredentialsAfterAuthError(t *testing.T) {
	ts := newTestServer(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	creds := &countingCreds{}
	cl, err := New(context.Background(), Config{Region: "us-east-1", Endpoint: ts.srv.URL, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = cl.CreateLogGroup(ctx, "/g", "")
	_ = cl.CreateLogStream(ctx, "/g", "s")
	if n := creds.n.Load(); n != 1 {
		t.Fatalf("Retrieve called %d times, want 1 (cached)", n)
	}
	ts.fail(testFault{400, "ExpiredTokenException", "The security token included in the request is expired", false})
	if _, err := cl.PutLogEvents(ctx, "/g", "s", []Event{{Timestamp: 1, Message: "x"}}); err == nil {
		t.Fatal("PutLogEvents succeeded through an injected ExpiredTokenException")
	}
	if _, err := cl.PutLogEvents(ctx, "/g", "s", []Event{{Timestamp: 2, Message: "y"}}); err != nil {
		t.Fatal(err)
	}
	if n := creds.n.Load(); n != 2 {
		t.Errorf("Retrieve called %d times, want 2 (refreshed once after ExpiredToken)", n)
	}
}

func TestNew_Region(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\nregion = ap-northeast-2\n[profile AmazonCloudWatchAgent]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	static := &aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}
	tests := []struct {
		name    string
		file    string
		cfg     Config
		want    string
		wantErr error
	}{
		{"explicit", cfgFile, Config{Region: "us-west-2"}, "us-west-2", nil},
		{"shared default", cfgFile, Config{}, "ap-northeast-2", nil},
		{"onprem profile", cfgFile, Config{OnPrem: true}, "eu-west-1", nil},
		{"named profile", cfgFile, Config{Profile: "AmazonCloudWatchAgent"}, "eu-west-1", nil},
		{"none, metadata disabled", filepath.Join(dir, "none"), Config{}, "", ErrNoRegion},
		{"onprem without the profile", filepath.Join(dir, "none"), Config{OnPrem: true, Region: "us-east-2"}, "us-east-2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_CONFIG_FILE", tt.file)
			tt.cfg.StaticCredentials = static
			cl, err := New(context.Background(), tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
			if err == nil && cl.Region() != tt.want {
				t.Errorf("Region() = %q, want %q", cl.Region(), tt.want)
			}
		})
	}
}

func TestClient_UnsignedPayloadOnLoopback(t *testing.T) {
	ts := newTestServer(t)
	cl := newTestClient(t, ts.srv.URL, CompressionNone)
	ctx := context.Background()
	_ = cl.CreateLogGroup(ctx, "/g", "")
	_ = cl.CreateLogStream(ctx, "/g", "s")
	if _, err := cl.PutLogEvents(ctx, "/g", "s", []Event{{Timestamp: 1, Message: "x"}}); err != nil {
		t.Fatal(err)
	}
	req := ts.lastRequest()
	if got := req.header.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
		t.Errorf("X-Amz-Content-Sha256 = %q, want UNSIGNED-PAYLOAD on loopback", got)
	}
	if auth := req.header.Get("Authorization"); !strings.Contains(auth, "x-amz-content-sha256") {
		t.Errorf("Authorization %q does not sign x-amz-content-sha256", auth)
	}
}

// putBody is a PutLogEvents request body as the service reads it.
type putBody struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
	LogEvents     []struct {
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	} `json:"logEvents"`
}

// checkURLs checks the predicate f, named name, on each URL of want.
func checkURLs(t *testing.T, name string, f func(string) bool, want map[string]bool) {
	t.Helper()
	for u, w := range want {
		if got := f(u); got != w {
			t.Errorf("%s(%q) = %v, want %v", name, u, got, w)
		}
	}
}

func TestIsLoopbackURL(t *testing.T) {
	checkURLs(t, "isLoopbackURL", isLoopbackURL, map[string]bool{
		"http://127.0.0.1:4586":                true,
		"http://localhost:1/":                  true,
		"http://[::1]:80/x":                    true,
		"https://logs.us-east-1.amazonaws.com": false,
		"":                                     false,
		"http://10.0.0.1:4586":                 false,
		"http://127.example.com":               false,
	})
}

func TestIsAWSEndpoint(t *testing.T) {
	checkURLs(t, "isAWSEndpoint", isAWSEndpoint, map[string]bool{
		"":                                     true,
		"https://logs.us-east-1.amazonaws.com": true,
		"logs.cn-north-1.amazonaws.com.cn":     true,
		"https://logs.us-east-1.api.aws:443/":  true,
		"https://vpce-1a2b.logs.ap-northeast-2.vpce.amazonaws.com": true,
		"http://127.0.0.1:4586":             false,
		"http://[::1]:80/x":                 false,
		"http://logs.example.com":           false,
		"http://amazonaws.com.evil.example": false,
	})
}

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain ascii text of some length", `"plain ascii text of some length"`},
		{`quote " and \ backslash`, `"quote \" and \\ backslash"`},
		{"ctl \x00\x1f\n\r\t", `"ctl \u0000\u001f\n\r\t"`},
		{"한국어 <tag> & é", `"한국어 <tag> & é"`},
		{"bad \xff\xfe end", `"bad \ufffd\ufffd end"`},
		{"12345678\"12345678", `"12345678\"12345678"`},
		{"\x7f del", "\"\x7f del\""},
	}
	for _, tt := range tests {
		if got := string(AppendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzAppendPutLogEventsBody checks that the hand-written body always parses
// as JSON and carries the same values (invalid UTF-8 as U+FFFD per byte).
func FuzzAppendPutLogEventsBody(f *testing.F) {
	f.Add("/g", "s", int64(1_700_000_000_000), "hello")
	f.Add("/a/b#c", "i-0123", int64(0), "quote \" back \\ nl \n \x00 \xff 한")
	f.Add("g", "s:x", int64(-1), "\u2028\u2029 <>&")
	f.Fuzz(func(t *testing.T, group, stream string, ts int64, msg string) {
		evs := []Event{{Timestamp: ts, Message: msg}, {Timestamp: ts, Message: msg + msg}}
		body := AppendPutLogEventsBody(nil, group, stream, evs)
		zbody, err := AppendGzipPutLogEventsBody(nil, group, stream, evs)
		if err != nil {
			t.Fatalf("AppendGzipPutLogEventsBody: %v", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(zbody))
		if err != nil {
			t.Fatalf("gzip body: %v", err)
		}
		if unz, err := io.ReadAll(zr); err != nil || !bytes.Equal(unz, body) {
			t.Fatalf("gzip body decompresses to %q (%v), want %q", unz, err, body)
		}
		var got putBody
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("invalid JSON: %v\n%q", err, body)
		}
		valid := func(s string) string { return string([]rune(s)) }
		if got.LogGroupName != valid(group) || got.LogStreamName != valid(stream) || len(got.LogEvents) != 2 {
			t.Fatalf("got %+v", got)
		}
		if got.LogEvents[0].Message != valid(msg) || got.LogEvents[1].Message != valid(msg+msg) || got.LogEvents[0].Timestamp != ts {
			t.Fatalf("events %+v, want %q at %d", got.LogEvents, valid(msg), ts)
		}
	})
}

// TestNew_RoleARN assumes credentials.role_arn through a local STS endpoint
// (AWS_ENDPOINT_URL_STS) and checks that log requests are signed with the
// role's session credentials.
func TestNew_RoleARN(t *testing.T) {
	var assumed atomic.Int32
	var gotRole atomic.Value
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" {
			http.Error(w, "bad request", 400)
			return
		}
		if !strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDBASE/") {
			http.Error(w, "not signed with the base credentials", 403)
			return
		}
		assumed.Add(1)
		gotRole.Store(r.Form.Get("RoleArn"))
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
			`<Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>rolesecret</SecretAccessKey>`+
			`<SessionToken>sessiontoken</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>`+
			`<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/logs/logwarden</Arn><AssumedRoleId>AROA:logwarden</AssumedRoleId></AssumedRoleUser>`+
			`</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer sts.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/logwarden-test")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/logwarden-test")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDBASE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "basesecret")
	ts := newTestServer(t)
	const role = "arn:aws:iam::123456789012:role/logs"
	cl, err := New(context.Background(), Config{Region: "us-east-1", Endpoint: ts.srv.URL, RoleARN: role})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.CreateLogGroup(context.Background(), "/role", ""); err != nil {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	req := ts.lastRequest()
	if auth := req.header.Get("Authorization"); !strings.Contains(auth, "Credential=ASIAROLE/") {
		t.Errorf("Authorization = %q, want the assumed role's key", auth)
	}
	if tok := req.header.Get("X-Amz-Security-Token"); tok != "sessiontoken" {
		t.Errorf("X-Amz-Security-Token = %q, want the session token", tok)
	}
	if assumed.Load() != 1 || gotRole.Load() != role {
		t.Errorf("AssumeRole called %d times for %v, want once for %s", assumed.Load(), gotRole.Load(), role)
	}
}
