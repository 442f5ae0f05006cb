package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the null endpoint.
const (
	// maxRequestBody bounds a decoded request body; PutLogEvents allows 1 MiB
	// of payload, JSON escaping and framing stay well under four times that.
	maxRequestBody = 8 << 20
	// maxSeq bounds the per-stream bitmap that proves exactly-once delivery
	// (2^31 lines, far above a 1 GiB file's 9 M).
	maxSeq = 1 << 31
	// targetPrefix is the awsJson1_1 X-Amz-Target prefix of CloudWatch Logs.
	targetPrefix = "Logs_20140328."
	// maxSeqDigits bounds the digits read after seq= (maxSeq has 10).
	maxSeqDigits = 12
)

// Quoted keys the scanner looks for.
var (
	keyGroup   = []byte(`"logGroupName"`)
	keyStream  = []byte(`"logStreamName"`)
	keyMessage = []byte(`"message"`)
)

// streamCheck follows one (group, stream): every seq seen, in what order.
type streamCheck struct {
	events     int64 // events received, duplicates included
	unique     int64 // distinct seq values received
	dups       int64 // events whose seq was already received
	outOfOrder int64 // events whose seq is below the previous event's
	noSeq      int64 // events without a parsable seq
	last       int64
	seen       []uint64
}

// add records one event's seq.
func (s *streamCheck) add(seq int64) {
	s.events++
	if seq <= 0 || seq >= maxSeq {
		s.noSeq++
		return
	}
	if seq < s.last {
		s.outOfOrder++
	}
	s.last = seq
	w := int(seq >> 6)
	if w >= len(s.seen) {
		grow := max(w+1, 2*len(s.seen))
		n := make([]uint64, grow)
		copy(n, s.seen)
		s.seen = n
	}
	bit := uint64(1) << (uint(seq) & 63)
	if s.seen[w]&bit != 0 {
		s.dups++
		return
	}
	s.seen[w] |= bit
	s.unique++
}

// missing counts the seq values in 1..n never received.
func (s *streamCheck) missing(n int64) int64 {
	var got int64
	for seq := int64(1); seq <= n; seq++ {
		w := int(seq >> 6)
		if w < len(s.seen) && s.seen[w]&(uint64(1)<<(uint(seq)&63)) != 0 {
			got++
		}
	}
	return n - got
}

// deliveryReport sums what one run delivered.
type deliveryReport struct {
	Streams    int
	Events     int64
	Unique     int64
	Dups       int64
	OutOfOrder int64
	NoSeq      int64
	Missing    int64
	Requests   map[string]int64
	BodyBytes  int64
}

// ok reports exactly-once, in-order delivery of lines 1..n.
func (d deliveryReport) ok() bool {
	return d.Missing == 0 && d.Dups == 0 && d.OutOfOrder == 0 && d.NoSeq == 0
}

// String is a short verdict for the results table.
func (d deliveryReport) String() string {
	if d.ok() {
		return "exactly once, in order"
	}
	return fmt.Sprintf("missing %d, dup %d, out of order %d, no seq %d",
		d.Missing, d.Dups, d.OutOfOrder, d.NoSeq)
}

// nullEndpoint answers every CloudWatch Logs awsJson1_1 operation with a
// minimal valid reply, and checks what PutLogEvents delivers.
type nullEndpoint struct {
	mu        sync.Mutex
	streams   map[string]*streamCheck
	requests  map[string]int64
	bodyBytes int64
	expect    int64
	unique    int64
	done      chan struct{}
	lastEvent atomic.Int64 // unix nanoseconds of the latest accepted event
	first     time.Time    // when the first event of this run arrived
	reqID     atomic.Int64
	bufs      sync.Pool
}

func newNullEndpoint() *nullEndpoint {
	e := &nullEndpoint{}
	e.bufs.New = func() any { return new(bytes.Buffer) }
	e.reset(0)
	return e
}

// reset forgets everything and waits for expect distinct events.
func (e *nullEndpoint) reset(expect int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.streams = map[string]*streamCheck{}
	e.requests = map[string]int64{}
	e.bodyBytes = 0
	e.expect = expect
	e.unique = 0
	e.done = make(chan struct{})
	e.first = time.Time{}
	e.lastEvent.Store(time.Now().UnixNano())
}

// doneC is closed once expect distinct events arrived.
func (e *nullEndpoint) doneC() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done
}

// firstEvent returns when the run's first event arrived (zero if none).
func (e *nullEndpoint) firstEvent() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.first
}

// received returns the number of distinct events so far.
func (e *nullEndpoint) received() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.unique
}

// report summarises delivery of lines 1..n.
func (e *nullEndpoint) report(n int64) deliveryReport {
	e.mu.Lock()
	defer e.mu.Unlock()
	return summarise(e.streams, e.requests, e.bodyBytes, n)
}

func summarise(streams map[string]*streamCheck, reqs map[string]int64, body, n int64) deliveryReport {
	r := deliveryReport{Streams: len(streams), Requests: map[string]int64{}, BodyBytes: body}
	for k, v := range reqs {
		r.Requests[k] = v
	}
	var best *streamCheck
	for _, s := range streams {
		r.Events += s.events
		r.Unique += s.unique
		r.Dups += s.dups
		r.OutOfOrder += s.outOfOrder
		r.NoSeq += s.noSeq
		if best == nil || s.unique > best.unique {
			best = s
		}
	}
	if best == nil {
		r.Missing = n
	} else {
		r.Missing = best.missing(n)
	}
	return r
}

// ServeHTTP implements the awsJson1_1 protocol for CloudWatch Logs.
func (e *nullEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Clients check for the request id AWS sends (Fluent Bit rejects a 200
	// without it).
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("bench-%d", e.reqID.Add(1)))
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		writeAWSError(w, "UnknownOperationException", "unknown operation")
		return
	}
	buf := e.bufs.Get().(*bytes.Buffer)
	defer e.bufs.Put(buf)
	buf.Reset()
	if err := readBody(buf, r); err != nil {
		writeAWSError(w, "SerializationException", err.Error())
		return
	}
	var (
		key  string
		seqs []int64
	)
	if op == "PutLogEvents" {
		group, stream, s, err := scanPut(buf.Bytes(), nil)
		if err != nil {
			writeAWSError(w, "SerializationException", err.Error())
			return
		}
		key, seqs = group+"\x00"+stream, s
	}
	e.record(op, key, seqs, int64(buf.Len()))
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch op {
	case "DescribeLogGroups":
		io.WriteString(w, `{"logGroups":[]}`)
	case "DescribeLogStreams":
		io.WriteString(w, `{"logStreams":[]}`)
	default:
		io.WriteString(w, `{}`)
	}
}

// record counts one request and the events it carried.
func (e *nullEndpoint) record(op, key string, seqs []int64, body int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests[op]++
	e.bodyBytes += body
	if op != "PutLogEvents" {
		return
	}
	s := e.streams[key]
	if s == nil {
		s = &streamCheck{}
		e.streams[key] = s
	}
	for _, q := range seqs {
		before := s.unique
		s.add(q)
		e.unique += s.unique - before
	}
	if len(seqs) > 0 {
		now := time.Now()
		if e.first.IsZero() {
			e.first = now
		}
		e.lastEvent.Store(now.UnixNano())
	}
	if e.expect > 0 && e.unique >= e.expect {
		select {
		case <-e.done:
		default:
			close(e.done)
		}
	}
}

// readBody reads a request body, gunzipping it when the client says so.
func readBody(dst *bytes.Buffer, r *http.Request) error {
	var src io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return fmt.Errorf("open gzip body: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	n, err := dst.ReadFrom(io.LimitReader(src, maxRequestBody+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if n > maxRequestBody {
		return errors.New("read body: larger than the limit")
	}
	return nil
}

func writeAWSError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}

// scanPut pulls the group, the stream and every event's seq out of a
// PutLogEvents body without a full JSON decode: at hundreds of MiB/s a
// reflective decoder would cost the measured agent a whole core. A JSON string
// never holds an unescaped quote, so a quoted key followed by a colon cannot
// be confused with message text.
func scanPut(body []byte, seqs []int64) (group, stream string, out []int64, err error) {
	g, ok := stringField(body, keyGroup)
	if !ok {
		return "", "", nil, errors.New("scan body: no logGroupName")
	}
	s, ok := stringField(body, keyStream)
	if !ok {
		return "", "", nil, errors.New("scan body: no logStreamName")
	}
	out = seqs[:0]
	rest := body
	for {
		v, next, ok := nextStringField(rest, keyMessage)
		if !ok {
			break
		}
		out = append(out, seqOf(v))
		rest = rest[next:]
	}
	return string(g), string(s), out, nil
}

// stringField returns the raw (still escaped) value of the first string
// field called name.
func stringField(b, key []byte) ([]byte, bool) {
	v, _, ok := nextStringField(b, key)
	return v, ok
}

// nextStringField finds key (a quoted name), a colon and a string value, and
// returns the raw value and the offset just past it.
func nextStringField(b, key []byte) (val []byte, next int, ok bool) {
	off := 0
	for {
		i := bytes.Index(b[off:], key)
		if i < 0 {
			return nil, 0, false
		}
		j := off + i + len(key)
		j = skipSpace(b, j)
		if j < len(b) && b[j] == ':' {
			j = skipSpace(b, j+1)
			if j < len(b) && b[j] == '"' {
				end, ok := stringEnd(b, j+1)
				if !ok {
					return nil, 0, false
				}
				return b[j+1 : end], end + 1, true
			}
		}
		off = off + i + 1
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index of the quote closing a string that starts at i.
func stringEnd(b []byte, i int) (int, bool) {
	for {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			return 0, false
		}
		q := i + k
		bs := 0
		for p := q - 1; p >= 0 && b[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q, true
		}
		i = q + 1
	}
}

// seqOf returns the number after the last " seq=" of a message, or 0.
func seqOf(msg []byte) int64 {
	i := bytes.LastIndex(msg, []byte(seqMarker))
	if i < 0 {
		return 0
	}
	d := msg[i+len(seqMarker):]
	var v int64
	n := 0
	for n < len(d) && n < maxSeqDigits && d[n] >= '0' && d[n] <= '9' {
		v = v*10 + int64(d[n]-'0')
		n++
	}
	return v
}
