package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/logwarden/logwarden/internal/query"
)

// FuzzDecodePutLogEvents checks the hand-written PutLogEvents decoder against
// encoding/json: whenever it accepts a body, it must decode it exactly as
// encoding/json does, and it must never panic.
func FuzzDecodePutLogEvents(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"logGroupName":"/g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"m"}]}`,
		`{"logGroupName": "/g", "logStreamName": "s", "logEvents": [{"timestamp": 1700000000000, "message": "h\u00e9llo \"q\" <tag>"}]}`,
		`{"logEvents":[null,{},{"timestamp":null,"message":null}],"x":{"y":[1,2.5e3,true,false,null,"s"]}}`,
		`{"LOGGROUPNAME":"a","logEvents":[{"message":"\ud83d\ude00 \n\t\\/"}]}`,
		`{"logEvents":[{"timestamp":1.5,"message":"x"}]}`, `{"logEvents":[{"timestamp":99999999999999999999}]}`,
		`{"logGroupName":"a"} x`, `{"logEvents":[]}`, `{"logEvents":null}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast putLogEventsIn
		if !fastDecodePut(body, &fast) {
			return
		}
		got, e := decodePutLogEvents(body)
		if e != nil {
			t.Fatalf("fast path accepted but decode failed: %v", e)
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return // the server reads an empty body as {}
		}
		var std struct {
			LogGroupName  *string `json:"logGroupName"`
			LogStreamName *string `json:"logStreamName"`
			LogEvents     []struct {
				Timestamp *int64  `json:"timestamp"`
				Message   *string `json:"message"`
			} `json:"logEvents"`
			SequenceToken *string `json:"sequenceToken"`
		}
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("fast decoder accepted what encoding/json rejects (%v): %q", err, body)
		}
		if !reflect.DeepEqual(std.LogGroupName, got.LogGroupName) || !reflect.DeepEqual(std.LogStreamName, got.LogStreamName) ||
			!reflect.DeepEqual(std.SequenceToken, got.SequenceToken) || (std.LogEvents == nil) != (got.LogEvents == nil) ||
			len(std.LogEvents) != len(got.LogEvents) {
			t.Fatalf("decoders differ on %q", body)
		}
		for i, e := range std.LogEvents {
			g := got.LogEvents[i]
			if (e.Timestamp != nil) != g.hasTimestamp || (e.Timestamp != nil && *e.Timestamp != g.Timestamp) ||
				(e.Message != nil) != g.hasMessage || (e.Message != nil && *e.Message != g.Message) {
				t.Fatalf("event %d differs on %q: std %v/%v fast %+v", i, body, e.Timestamp, e.Message, g)
			}
		}
	})
}

// FuzzServe sends arbitrary bodies to every operation: the answer is always a
// JSON document, and never a server fault.
func FuzzServe(f *testing.F) {
	ops := make([]string, 0, len(operations))
	for op := range operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	seed := func(op, body string) {
		i := sort.SearchStrings(ops, op)
		if i == len(ops) || ops[i] != op {
			f.Fatalf("seed for unknown operation %s", op)
		}
		f.Add(uint8(i), []byte(body))
	}
	seed("CreateLogGroup", `{"logGroupName":"g"}`)
	seed("CreateLogStream", `{"logGroupName":"g","logStreamName":"s"}`)
	seed("PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"x"}]}`)
	seed("FilterLogEvents", `{"logGroupName":"g","filterPattern":"ERROR","nextToken":"x","limit":0}`)
	seed("PutMetricFilter", `{"logGroupName":"g","filterName":"f","filterPattern":"[a, b = 4*]","metricTransformations":[{"metricName":"m","metricNamespace":"n","metricValue":"$b","dimensions":{"A":"$a"}}]}`)
	seed("DescribeMetricFilters", `{"metricName":"m","metricNamespace":"n","limit":1,"nextToken":"bQBn"}`)
	seed("TestMetricFilter", `{"filterPattern":"{ $.a > 1 }","logEventMessages":["{\"a\": 2}","x"]}`)
	seed("PutSubscriptionFilter", `{"logGroupName":"g","filterName":"f","filterPattern":"","destinationArn":"arn:aws:lambda:r:1:function:f","distribution":"Random"}`)
	seed("DescribeSubscriptionFilters", `{"logGroupName":"g","filterNamePrefix":"f","limit":50}`)
	ts := startServer(f, Options{})
	f.Fuzz(func(t *testing.T, opIdx uint8, body []byte) {
		op := ops[int(opIdx)%len(ops)]
		out, e := operations[op](ts.srv, &reqCtx{region: defaultRegion, op: op}, body)
		if e != nil {
			if e.Status >= 500 || e.Code == "" || e.Message == "" {
				t.Fatalf("%s(%q): %+v", op, body, e)
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("%s(%q): encode: %v", op, body, err)
		}
	})
}

// FuzzPlainRun checks the word-at-a-time scan against the byte table.
func FuzzPlainRun(f *testing.F) {
	f.Add([]byte(`plain ascii text with "quote`), 0)
	f.Add([]byte("0123456789abcdef\x1fxyz"), 3)
	f.Add([]byte("abcdefgh\\ijklmnop"), 0)
	f.Add([]byte("héllo wörld, plain plain plain"), 1)
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		if i < 0 || i > len(b) {
			return
		}
		want := i
		for want < len(b) && !special[b[want]] {
			want++
		}
		if got := plainRun(b, i); got != want {
			t.Fatalf("plainRun(%q, %d) = %d, want %d", b, i, got, want)
		}
	})
}

// FuzzPtr checks that @ptr values round-trip through decodePtr and that
// any other text is refused without a panic.
func FuzzPtr(f *testing.F) {
	f.Add("000000000000:/app/web", "i-1@host", int64(1795665497480), uint64(13), "")
	f.Add("", "", int64(-1), uint64(1), "not-a-pointer")
	f.Add("a:b", "s", int64(0), uint64(1<<63), encodePtr(&query.Event{LogGroup: "x:y", LogStream: "z", Timestamp: 5, Ref: 7})+"A")
	f.Fuzz(func(t *testing.T, logName, stream string, ts int64, seq uint64, other string) {
		if seq > 0 {
			p := encodePtr(&query.Event{LogGroup: logName, LogStream: stream, Timestamp: ts, Ref: seq})
			l, s, gotTS, gotSeq, ok := decodePtr(p)
			if !ok || l != logName || s != stream || gotTS != ts || gotSeq != seq {
				t.Fatalf("decodePtr(encodePtr(%q %q %d %d)) = %q %q %d %d %v", logName, stream, ts, seq, l, s, gotTS, gotSeq, ok)
			}
		}
		if l, s, gotTS, gotSeq, ok := decodePtr(other); ok {
			again := encodePtr(&query.Event{LogGroup: l, LogStream: s, Timestamp: gotTS, Ref: gotSeq})
			if l2, s2, ts2, seq2, ok := decodePtr(again); !ok || l2 != l || s2 != s || ts2 != gotTS || seq2 != gotSeq {
				t.Fatalf("decodePtr accepted %q as %q %q %d %d, which does not round-trip", other, l, s, gotTS, gotSeq)
			}
		}
	})
}
