package cloudwatch

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/klauspost/compress/gzip"
)

// GzipLevel is the compression level of PutLogEvents bodies: the fastest
// real level. Log text still shrinks 5-10x and the CPU cost stays below the
// cost of signing and sending the uncompressed body.
const GzipLevel = gzip.BestSpeed

// Event is one log event as sent: Unix milliseconds and a UTF-8 message.
type Event struct {
	Timestamp int64
	Message   string
}

// Rejected counts the events of one PutLogEvents the service refused
// (rejectedLogEventsInfo), per reason. The rest of the batch was stored.
type Rejected struct {
	// TooOld is tooOldLogEventEndIndex (exclusive: events [0, TooOld) were too old).
	TooOld int
	// TooNew is n - tooNewLogEventStartIndex.
	TooNew int
	// Expired is expiredLogEventEndIndex (exclusive, like tooOld).
	Expired int
}

// Total is the number of distinct rejected events. Too-old and expired events
// both form a prefix of the batch, so they overlap.
func (r Rejected) Total() int { return max(r.TooOld, r.Expired) + r.TooNew }

// RejectedFrom converts the service's rejectedLogEventsInfo for a batch of n events.
func RejectedFrom(info *types.RejectedLogEventsInfo, n int) Rejected {
	var r Rejected
	if info == nil {
		return r
	}
	clamp := func(v int) int { return min(max(v, 0), n) }
	if info.TooOldLogEventEndIndex != nil {
		r.TooOld = clamp(int(*info.TooOldLogEventEndIndex))
	}
	if info.ExpiredLogEventEndIndex != nil {
		r.Expired = clamp(int(*info.ExpiredLogEventEndIndex))
	}
	if info.TooNewLogEventStartIndex != nil {
		r.TooNew = n - clamp(int(*info.TooNewLogEventStartIndex))
	}
	return r
}

// placeholderEvents satisfy the SDK's input validation; the serialized body is
// replaced by ours before signing (see bodyOverride).
var placeholderEvents = []types.InputLogEvent{{Message: aws.String("-"), Timestamp: aws.Int64(0)}}

type bodyKey struct{}

type bodyOverride struct {
	body []byte
	gzip bool
}

var jsonPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, GzipLevel)
	return w
}}

// gzipChunk is how much JSON is built before it is handed to the compressor:
// small enough to stay in cache, large enough to amortise the call.
const gzipChunk = 32 << 10

// PutLogEvents sends events, which must already obey the PutLogEvents limits
// (count, size, 24 h span, chronological order), to group/stream. The request
// body is built here without the SDK's generic serializer and, unless
// disabled, gzip-compressed; the SDK signs and sends it.
func (c *Client) PutLogEvents(ctx context.Context, group, stream string, events []Event) (Rejected, error) {
	var ov bodyOverride
	bp := bodyPool.Get().(*[]byte)
	if c.gzip {
		body, err := AppendGzipPutLogEventsBody((*bp)[:0], group, stream, events)
		if err != nil {
			return Rejected{}, err
		}
		ov = bodyOverride{body: body, gzip: true}
	} else {
		dst := (*bp)[:0]
		if hint := bodySizeHint(events); cap(dst) < hint {
			dst = make([]byte, 0, hint)
		}
		ov = bodyOverride{body: AppendPutLogEventsBody(dst, group, stream, events)}
	}
	in := &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		LogEvents:     placeholderEvents,
	}
	out, err := c.logs.PutLogEvents(ctx, in, func(o *cloudwatchlogs.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Serialize.Insert(&ov, "OperationSerializer", middleware.After)
		})
		if c.unsigned {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware, v4.AddContentSHA256HeaderMiddleware)
		}
	})
	if err != nil {
		c.checkCredentials(err)
		// The transport may still hold the body: leave it to the GC.
		return Rejected{}, fmt.Errorf("put log events: %w", err)
	}
	// A 2xx answer means the server read the whole body, so it is free again.
	*bp = ov.body[:0]
	bodyPool.Put(bp)
	return RejectedFrom(out.RejectedLogEventsInfo, len(events)), nil
}

// bodyPool holds request bodies for reuse once a request succeeded.
var bodyPool = sync.Pool{New: func() any { b := []byte(nil); return &b }}

// bodySizeHint is a close upper estimate of the JSON body size, so that the
// buffer is allocated once.
func bodySizeHint(events []Event) int {
	n := 256
	for i := range events {
		n += len(events[i].Message) + 48
	}
	return n + n/64
}

// AppendGzipPutLogEventsBody appends the gzip-compressed PutLogEvents body
// to dst. The JSON is built in small chunks that go straight into the
// compressor.
func AppendGzipPutLogEventsBody(dst []byte, group, stream string, events []Event) ([]byte, error) {
	out := bytes.NewBuffer(dst)
	out.Grow(len(events)*16 + 1024)
	zw := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(zw)
	zw.Reset(out)
	bp := jsonPool.Get().(*[]byte)
	defer jsonPool.Put(bp)
	buf := append((*bp)[:0], `{"logEvents":[`...)
	for i := range events {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendEvent(buf, &events[i])
		if len(buf) >= gzipChunk {
			if _, err := zw.Write(buf); err != nil {
				return nil, fmt.Errorf("compress body: %w", err)
			}
			buf = buf[:0]
		}
	}
	buf = appendTail(buf, group, stream)
	if _, err := zw.Write(buf); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	*bp = buf[:0]
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	return out.Bytes(), nil
}

// ID names the middleware in the SDK stack.
func (*bodyOverride) ID() string { return "LogwardenPutLogEventsBody" }

// HandleSerialize replaces the body the SDK serialized with ours.
func (b *bodyOverride) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("replace body: unexpected transport type %T", in.Request)
	}
	sreq, err := req.SetStream(bytes.NewReader(b.body))
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("replace body: %w", err)
	}
	if b.gzip {
		sreq.Header.Set("Content-Encoding", "gzip")
	}
	in.Request = sreq
	return next.HandleSerialize(ctx, in)
}

// AppendPutLogEventsBody appends the awsJson1_1 body of a PutLogEvents request
// to dst, in the Go SDK's layout (keys sorted, raw UTF-8, no spaces). Invalid
// UTF-8 in a message is replaced by U+FFFD.
func AppendPutLogEventsBody(dst []byte, group, stream string, events []Event) []byte {
	dst = append(dst, `{"logEvents":[`...)
	for i := range events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendEvent(dst, &events[i])
	}
	return appendTail(dst, group, stream)
}

func appendEvent(dst []byte, e *Event) []byte {
	dst = append(dst, `{"message":`...)
	dst = AppendJSONString(dst, e.Message)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, e.Timestamp, 10)
	return append(dst, '}')
}

func appendTail(dst []byte, group, stream string) []byte {
	dst = append(dst, `],"logGroupName":`...)
	dst = AppendJSONString(dst, group)
	dst = append(dst, `,"logStreamName":`...)
	dst = AppendJSONString(dst, stream)
	return append(dst, '}')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// AppendJSONString appends s as a JSON string literal. Bytes that need no
// escaping are copied in runs, eight at a time.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	i := 0
	for i < len(s) {
		// Fast skip over 8 plain ASCII bytes (no control, '"', '\\', or >= 0x80).
		for i+8 <= len(s) {
			// An unaligned 8-byte load; byte order does not matter, only
			// whether any byte is special.
			w := *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
			ctl := (w - lsb*0x20) & ^w
			quo := w ^ (lsb * '"')
			quo = (quo - lsb) & ^quo
			bsl := w ^ (lsb * '\\')
			bsl = (bsl - lsb) & ^bsl
			if (ctl|quo|bsl|w)&msb != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// putLogEventsSDK is the plain SDK path, kept to compare against in benchmarks
// and tests.
func (c *Client) putLogEventsSDK(ctx context.Context, group, stream string, events []Event) (Rejected, error) {
	in := &cloudwatchlogs.PutLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		LogEvents:     make([]types.InputLogEvent, len(events)),
	}
	for i, e := range events {
		in.LogEvents[i] = types.InputLogEvent{Message: aws.String(e.Message), Timestamp: aws.Int64(e.Timestamp)}
	}
	out, err := c.logs.PutLogEvents(ctx, in)
	if err != nil {
		return Rejected{}, fmt.Errorf("put log events: %w", err)
	}
	return RejectedFrom(out.RejectedLogEventsInfo, len(events)), nil
}
