// Package server serves the CloudWatch Logs API (awsJson1_1 over HTTP, SigV4)
// from a durable local store (package store), well enough that the AWS CLI,
// boto3, the AWS SDK for Go v2 and logwarden's own agent can use it as they use
// the real service.
//
// Embedding (what `logwarden up` uses):
//
//	err := server.Run(ctx, server.Options{Listen: "127.0.0.1:4586", DataDir: dir},
//		func(addr string) { /* the server is accepting on addr */ })
//
// Run opens the store, listens, serves until ctx is cancelled, then shuts down
// gracefully and closes the store. For tests, New wraps an open store.Store in an
// http.Handler.
//
// Authentication: with Options.AuthFile set, every request must carry a valid
// SigV4 signature by one of the file's keys. The file has one credential per
// line, "ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]", separated by spaces or
// tabs; blank lines and lines starting with # are ignored. Without an auth file
// any signature is accepted, and Run refuses a non-loopback listen address
// unless Options.InsecureListenAnywhere is set.
//
// # Operations
//
// Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups. Log streams:
// CreateLogStream, DeleteLogStream, DescribeLogStreams. Events: PutLogEvents,
// GetLogEvents, FilterLogEvents. Retention: PutRetentionPolicy,
// DeleteRetentionPolicy. Tags: TagResource, UntagResource, ListTagsForResource
// and the legacy TagLogGroup, UntagLogGroup, ListTagsLogGroup. Logs Insights:
// StartQuery, GetQueryResults, StopQuery, DescribeQueries, GetLogRecord for a
// result row's @ptr, and GetLogGroupFields (the fields of up to 10,000 events
// of the last 15 minutes, or 8 minutes either side of the given time; Grafana
// asks for them). Metric filters: PutMetricFilter, DescribeMetricFilters,
// DeleteMetricFilter, TestMetricFilter. Subscription filters:
// PutSubscriptionFilter, DescribeSubscriptionFilters, DeleteSubscriptionFilter.
// Live Tail: StartLiveTail.
// Any other target is answered UnknownOperationException. Operations lists
// them.
//
// Each operation's input type has a check method that adds its shape failures
// in AWS's wording; handle decodes and checks a body before the operation runs.
//
// # Logs Insights
//
// StartQuery parses the query (package query: fields, filter, stats with
// count/count_distinct/sum/avg/min/max/pct/stddev/earliest/latest by fields and
// bin(), sort, limit, parse, display, dedup) and runs it in a goroutine over
// the events of up to 50 log groups (logGroupName, logGroupNames or
// logGroupIdentifiers, names or ARNs) between startTime and endTime, epoch
// seconds, both inclusive. The status goes Scheduled, Running, then Complete,
// Failed, Cancelled (StopQuery) or Timeout (60 minutes). Events are read a page
// at a time, stream by stream; a query keeps only its stats groups, or about
// twice its row limit when it filters, sorts and limits, and fails beyond
// 1,000,000 held records (dedup, a sort after a limit). At most 100 queries are
// Scheduled or Running (LimitExceededException beyond); of those, GOMAXPROCS
// (at least 2) run at a time and the others wait Scheduled. While a query
// runs, GetQueryResults shows its partial rows and statistics, updated every
// second. Results are lists of {field, value}
// strings, @timestamp as "YYYY-MM-DD HH:MM:SS.mmm" UTC, non-aggregate rows with
// an @ptr; statistics count the records scanned and matched and the message
// bytes. Ended queries are kept 24 hours, at most the last 100; then
// GetQueryResults says ResourceNotFoundException. A query that does not parse
// gets MalformedQueryException with queryCompileError.location, the 0-based
// character offsets of the offending token (end inclusive; the end of the query
// is its last character).
//
// # Metric and subscription filters
//
// Both are kept in the store with their log group: they survive restarts and
// go with the group. A group holds at most 100 metric filters and 2
// subscription filters (LimitExceededException beyond; putting an existing
// name replaces that filter, with a new creationTime), and at most 5 of its
// metric and subscription filters together may use a %regex% in their
// patterns (LimitExceededException). Patterns are compiled
// by package query when put, so a bad one is an InvalidParameterException. A
// metric filter takes exactly one metricTransformation, whose metricValue is
// a number or a $field, with at most 3 dimensions and not both dimensions and
// a defaultValue. DescribeMetricFilters lists filters sorted by name (then
// group), across all groups unless logGroupName is given; filterNamePrefix is
// used only with logGroupName, metricName only with metricNamespace.
// TestMetricFilter numbers messages from 1 and extracts "$name" fields of
// space-delimited patterns and "$.path" selectors of JSON patterns.
//
// PutLogEvents counts, per metric filter, the stored events it matches since
// the filter was put. No metrics are published. The counts are on GET
// /debug/metric-filters (tab-separated; refused when an auth file is set) and
// are saved by the store's retention pass and at shutdown, so a crash loses at
// most the last minute of counts. Subscription filters are stored and
// validated (the destination must be a kinesis, firehose, lambda or logs ARN;
// distribution defaults to ByLogStream) but deliver nothing.
//
// # Live Tail
//
// StartLiveTail answers an application/vnd.amazon.eventstream stream (HTTP/1.1
// chunked over http, each message flushed): an initial-response event (the
// Go SDK waits for it), a sessionStart echoing the request with a sessionId and
// requestId, then every second a sessionUpdate with the events PutLogEvents
// stored since the last update in the tailed groups (1 to 10
// logGroupIdentifiers, names or ARNs; with exactly one group, logStreamNames or
// logStreamNamePrefixes, not both) that match logEventFilterPattern (package
// query). An update carries at most 500 events; beyond that it says
// sessionMetadata.sampled and the rest are dropped. Events show the group's
// ARN as logGroupIdentifier. A session ends when the client goes away, when
// the server shuts down, when a write blocks 30 seconds, or after 3 hours with
// a SessionTimeoutException message. At most 15 sessions are open at once
// (LimitExceededException beyond). The encoder is eventstream.go; its decoder
// is for tests and fuzzing.
//
// Clients send StartLiveTail to the host "stream-" + endpoint host unless told
// not to: the Go SDK needs smithyhttp.DisableEndpointHostPrefix(ctx, true) in
// an Initialize middleware (see liveTailClientOption in the tests), the AWS
// CLI and boto3 AWS_DISABLE_HOST_PREFIX_INJECTION=true (or
// disable_host_prefix_injection in the config file).
//
// # Not done
//
// Metric publication and subscription delivery, transformers (applyOnTransformedLogs is stored only)
// and fieldSelectionCriteria (stored only), export tasks,
// resource policies, query definitions, account and region partitioning. Insights: the
// SQL and PPL languages; more than 10,000 result rows (a StartQuery limit up
// to 100,000 is accepted and capped); the SOURCE command; unmasking; @ptr in a
// filter. Texts
// that are guesses, not AWS's known wording: the logGroupIdentifier errors of
// DescribeLogStreams, GetLogEvents and FilterLogEvents; the deletion-protection
// ValidationException; UnknownOperationException's message; and for Insights
// "Query does not exist.", "Query is not running.", "End time should not be
// before start time.", "Exactly one of logGroupName, logGroupNames or
// logGroupIdentifiers must be specified.", the concurrency limit message, the
// MalformedQueryException texts and its offsets, "The specified
// logRecordPointer is invalid." and "The specified log record does not exist.";
// for Live Tail the validation messages, the session limit's message and the
// SessionTimeoutException text, and Live Tail over HTTP/2 (not served);
// for filters "The specified metric filter does not exist.", "The specified
// subscription filter does not exist.", the metricValue, dimension and
// destinationArn messages, the regex quota's error code and message, the wording of metricName without metricNamespace
// (moto's, from AWS's documentation), and TestMetricFilter's eventNumber
// counting from 1.
package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/logwarden/logwarden/internal/store"
)

// DefaultListen is the default listen address.
const DefaultListen = "127.0.0.1:4586"

const (
	// maxBodyBytes bounds a request body (a PutLogEvents batch is at most 1 MiB
	// of messages; JSON escaping can multiply that).
	maxBodyBytes = 16 << 20
	// shutdownGrace is how long in-flight requests get on shutdown.
	shutdownGrace = 10 * time.Second
	// targetPrefix is the X-Amz-Target prefix of CloudWatch Logs.
	targetPrefix = "Logs_20140328."
	// defaultRegion is used when a request's credential scope names none.
	defaultRegion = "us-east-1"
	// defaultAccount is the account id shown in ARNs.
	defaultAccount = "000000000000"
)

// Options configures a server.
type Options struct {
	// Listen is the TCP address to listen on; default DefaultListen.
	Listen string
	// DataDir is the store directory; default DefaultDataDir().
	DataDir string
	// AuthFile, when set, names the credentials file; see the package doc.
	AuthFile string
	// TLSCert and TLSKey, when both set, serve HTTPS.
	TLSCert, TLSKey string
	// InsecureListenAnywhere allows a non-loopback address without AuthFile.
	InsecureListenAnywhere bool
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
	// Account is the account id used in ARNs; default 000000000000.
	Account string
	// Fault, when set, is called before every operation; a non-nil result is
	// answered instead (fault injection for retry tests).
	Fault func(op string) *APIError
	// Now returns the server clock; nil means time.Now.
	Now func() time.Time
	// RetentionInterval is passed to the store (see store.Options).
	RetentionInterval time.Duration
}

// DefaultDataDir is $XDG_DATA_HOME/logwarden, else ~/.local/share/logwarden,
// or /var/lib/logwarden for root.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/logwarden"
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "logwarden")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "logwarden")
	}
	return "logwarden-data"
}

// Server is the CloudWatch Logs API handler.
type Server struct {
	st    *store.Store
	log   *slog.Logger
	creds map[string]credential // nil: accept any signature
	acct  string
	fault func(string) *APIError
	now   func() time.Time
	// queries are the Logs Insights queries, running and ended.
	queries *queries
	// patterns are the compiled patterns of the metric filters.
	patterns patterns
	// filterMu serializes the puts of metric and subscription filters.
	filterMu sync.Mutex
	// tails are the open Live Tail sessions; tailEvery and tailMax, when
	// set, replace liveTailUpdateEvery and liveTailMaxDuration (tests).
	tails              *tails
	tailEvery, tailMax time.Duration
}

// New returns a handler serving the API from st. With a non-empty authFile it
// verifies signatures.
func New(st *store.Store, opts Options) (*Server, error) {
	s := &Server{st: st, log: opts.Logger, acct: opts.Account, fault: opts.Fault, now: opts.Now, queries: newQueries(), tails: newTails()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.acct == "" {
		s.acct = defaultAccount
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.AuthFile != "" {
		c, err := loadAuthFile(opts.AuthFile)
		if err != nil {
			return nil, err
		}
		s.creds = c
	}
	return s, nil
}

// Close ends the Live Tail sessions, stops the running Logs Insights queries
// and waits for them. The store stays open; it belongs to the caller of New.
func (s *Server) Close() {
	s.tails.close()
	s.queries.close()
}

// Run opens the store, serves the API until ctx is done, then shuts down. ready,
// if not nil, is called with the listening address once the server accepts.
func Run(ctx context.Context, opts Options, ready func(addr string)) error {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.DataDir == "" {
		opts.DataDir = DefaultDataDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return errors.New("start server: --tls-cert and --tls-key go together")
	}
	if opts.AuthFile == "" && !opts.InsecureListenAnywhere {
		if err := checkLoopback(opts.Listen); err != nil {
			return err
		}
	}
	st, err := store.Open(store.Options{Dir: opts.DataDir, Logger: opts.Logger, Now: opts.Now,
		RetentionInterval: opts.RetentionInterval})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	h, err := New(st, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http"
	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load TLS key pair: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn)}
	// Live Tail streams last hours: end them when shutdown starts, or it would
	// wait for them.
	srv.RegisterOnShutdown(h.tails.close)
	opts.Logger.Info("serving CloudWatch Logs API", "endpoint", scheme+"://"+ln.Addr().String(),
		"data", opts.DataDir, "auth", opts.AuthFile != "")
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		h.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		opts.Logger.Warn("shutdown", "err", err)
	}
	h.Close()
	opts.Logger.Info("server stopped")
	if err := st.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// checkLoopback refuses listen addresses that are not loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("parse listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %q without --auth: only loopback addresses are allowed unless --insecure-listen-anywhere is given", addr)
}

// reqCtx is one request being served.
type reqCtx struct {
	region string
	op     string
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ServeHTTP implements the awsJson1_1 protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := requestID()
	h := w.Header()
	h.Set("x-amzn-RequestId", rid)
	h.Set("Date", s.now().UTC().Format(http.TimeFormat))
	if r.Method == http.MethodGet && (r.URL.Path == "/healthz" || r.URL.Path == "/") {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "logwarden CloudWatch Logs API\n")
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == debugFiltersPath {
		s.serveFilterCounts(w)
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 4<<20 {
			bufPool.Put(buf)
		}
	}()
	rc := &reqCtx{region: defaultRegion}
	out, aerr := s.serve(r, buf, rc)
	if ts, ok := out.(*tailSession); ok {
		ts.requestID = rid
		s.streamLiveTail(w, r, ts)
		return
	}
	if aerr != nil {
		s.writeError(w, aerr)
		if aerr.Status >= 500 {
			s.log.Warn("request failed", "op", rc.op, "code", aerr.Code, "msg", aerr.Message, "id", rid)
		} else {
			s.log.Debug("request rejected", "op", rc.op, "code", aerr.Code, "msg", aerr.Message, "id", rid)
		}
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, &APIError{Status: 500, Code: codeServiceUnavail, Message: "encode response: " + err.Error()})
		return
	}
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (s *Server) serve(r *http.Request, buf *bytes.Buffer, rc *reqCtx) (any, *APIError) {
	if r.Method != http.MethodPost {
		return nil, newErr(codeUnknownOperation, "Only POST requests are supported.")
	}
	if _, err := io.Copy(buf, io.LimitReader(r.Body, maxBodyBytes+1)); err != nil {
		return nil, newErr(codeSerialization, "Failed to read the request body.")
	}
	if buf.Len() > maxBodyBytes {
		return nil, &APIError{Status: http.StatusRequestEntityTooLarge, Code: codeSerialization, Message: "Request body too large."}
	}
	raw := buf.Bytes()
	if err := s.authenticate(r, raw, rc); err != nil {
		return nil, err
	}
	body := raw
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, newErr(codeSerialization, "The request body is not valid gzip.")
		}
		body, err = io.ReadAll(io.LimitReader(zr, maxBodyBytes+1))
		if err != nil {
			return nil, newErr(codeSerialization, "The request body is not valid gzip.")
		}
		if len(body) > maxBodyBytes {
			return nil, &APIError{Status: http.StatusRequestEntityTooLarge, Code: codeSerialization, Message: "Request body too large."}
		}
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || operations[op] == nil {
		rc.op = target
		return nil, newErr(codeUnknownOperation, "Operation %q is not supported by this server.", target)
	}
	rc.op = op
	if s.fault != nil {
		if e := s.fault(op); e != nil {
			return nil, e
		}
	}
	return operations[op](s, rc, body)
}

func (s *Server) writeError(w http.ResponseWriter, e *APIError) {
	m := map[string]any{"__type": e.Code, "message": e.Message}
	for k, v := range e.Extra {
		m[k] = v
	}
	body, _ := json.Marshal(m)
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-ErrorType", e.Code)
	h.Set("Content-Length", fmt.Sprint(len(body)))
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	w.Write(body)
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// decode unmarshals an awsJson body into v; an empty body is {}.
func decode(body []byte, v any) *APIError {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return newErr(codeSerialization, "Start of structure or map found where not expected.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return newErr(codeSerialization, "Unexpected value type for member %q.", te.Field)
		}
		return newErr(codeSerialization, "The request body is not valid JSON.")
	}
	return nil
}

// storeErr maps store errors to API errors.
func storeErr(err error) *APIError {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrGroupNotFound):
		return newErr(codeResourceNotFound, msgGroupNotFound)
	case errors.Is(err, store.ErrStreamNotFound):
		return newErr(codeResourceNotFound, msgStreamNotFound)
	case errors.Is(err, store.ErrGroupExists):
		return newErr(codeAlreadyExists, msgGroupExists)
	case errors.Is(err, store.ErrStreamExists):
		return newErr(codeAlreadyExists, msgStreamExists)
	}
	return &APIError{Status: http.StatusServiceUnavailable, Code: codeServiceUnavail, Message: "The service cannot complete the request: " + err.Error()}
}
