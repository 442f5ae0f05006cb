package server

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
)

// This file serves what a query's results lead to: the event behind a row's
// @ptr (GetLogRecord) and the fields a group's events have (GetLogGroupFields).

// encodePtr makes the @ptr of a result row: an opaque token naming the
// group, stream, timestamp and sequence of the event (GetLogRecord's
// logRecordPointer).
func encodePtr(e *query.Event) string {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(e.LogGroup)))
	b = append(b, e.LogGroup...)
	b = binary.AppendUvarint(b, uint64(len(e.LogStream)))
	b = append(b, e.LogStream...)
	b = binary.AppendVarint(b, e.Timestamp)
	b = binary.AppendUvarint(b, e.Ref)
	return sealToken('p', b)
}

// decodePtr opens a @ptr made by encodePtr.
func decodePtr(ptr string) (logName, stream string, ts int64, seq uint64, ok bool) {
	p, ok := openToken(ptr, 'p')
	if !ok {
		return "", "", 0, 0, false
	}
	str := func() (string, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return "", false
		}
		s := string(p[k : k+int(n)])
		p = p[k+int(n):]
		return s, true
	}
	var ok1, ok2 bool
	logName, ok1 = str()
	stream, ok2 = str()
	if !ok1 || !ok2 {
		return "", "", 0, 0, false
	}
	ts, k := binary.Varint(p)
	if k <= 0 {
		return "", "", 0, 0, false
	}
	seq, k2 := binary.Uvarint(p[k:])
	if k2 <= 0 || k+k2 != len(p) || seq == 0 {
		return "", "", 0, 0, false
	}
	return logName, stream, ts, seq, true
}

// --- GetLogRecord ---

type getLogRecordIn struct {
	LogRecordPointer *string `json:"logRecordPointer"`
	Unmask           *bool   `json:"unmask"`
}

func (in *getLogRecordIn) check(v *validation) {
	v.str(in.LogRecordPointer, "logRecordPointer", true, 0, 0, nil)
}

type getLogRecordOut struct {
	LogRecord map[string]string `json:"logRecord"`
}

// getLogRecord returns the event a query result's @ptr names.
func (s *Server) getLogRecord(rc *reqCtx, in *getLogRecordIn) (any, *APIError) {
	logName, stream, ts, seq, ok := decodePtr(*in.LogRecordPointer)
	acct, group, found := strings.Cut(logName, ":")
	if !ok || !found || acct != s.acct {
		return nil, newErr(codeInvalidParameter, "The specified logRecordPointer is invalid.")
	}
	evs, err := s.st.Get(group, stream, store.GetQuery{Start: ts, End: ts + 1, Limit: 1,
		After: &store.Position{Timestamp: ts, Seq: seq - 1}})
	if err != nil {
		return nil, storeErr(err)
	}
	if len(evs) == 0 || evs[0].Seq != seq {
		return nil, newErr(codeResourceNotFound, "The specified log record does not exist.")
	}
	e := evs[0]
	return getLogRecordOut{LogRecord: map[string]string{
		"@timestamp":     strconv.FormatInt(e.Timestamp, 10),
		"@ingestionTime": strconv.FormatInt(e.IngestionTime, 10),
		"@message":       e.Message,
		"@logStream":     stream,
		"@log":           logName,
	}}, nil
}

// GetLogGroupFields limits.
const (
	// fieldsWindow is the span GetLogGroupFields samples: the last 15 minutes,
	// or 8 minutes either side of the given time.
	fieldsWindow = 15 * time.Minute
	fieldsHalf   = 8 * time.Minute
	// maxFieldEvents bounds the events GetLogGroupFields reads.
	maxFieldEvents = 10_000
	// maxFieldNames bounds the fields it reports (and counts).
	maxFieldNames = 1000
)

// --- GetLogGroupFields ---

type getLogGroupFieldsIn struct {
	groupRefIn
	Time *int64 `json:"time"`
}

func (in *getLogGroupFieldsIn) check(v *validation) {
	in.groupRefIn.check(v)
	v.intRange(in.Time, "time", false, 0, math.MaxInt64/1000-1)
}

type logGroupFieldOut struct {
	Name    string `json:"name"`
	Percent int64  `json:"percent"`
}

type getLogGroupFieldsOut struct {
	LogGroupFields []logGroupFieldOut `json:"logGroupFields"`
}

// getLogGroupFields reports the fields of a sample of the group's recent
// events (the system fields and those of JSON messages) and the percentage
// of the sampled events that have each.
func (s *Server) getLogGroupFields(rc *reqCtx, in *getLogGroupFieldsIn) (any, *APIError) {
	group, e := in.group()
	if e != nil {
		return nil, e
	}
	end := s.now()
	if in.Time != nil {
		end = time.Unix(*in.Time, 0).Add(fieldsHalf)
	}
	startMS, endMS := end.Add(-fieldsWindow).UnixMilli(), end.UnixMilli()+1
	if in.Time != nil {
		startMS = end.Add(-2 * fieldsHalf).UnixMilli()
	}
	streams, err := s.st.Streams(group, "")
	if err != nil {
		return nil, storeErr(err)
	}
	counts := map[string]int64{}
	total := 0
	for _, si := range streams {
		if total >= maxFieldEvents {
			break
		}
		if !si.HasEvents || si.LastEventTime < startMS || si.FirstEventTime >= endMS {
			continue
		}
		evs, err := s.st.Get(group, si.Name, store.GetQuery{Start: startMS, End: endMS, Backward: true,
			Limit: maxFieldEvents - total, MaxBytes: queryPageBytes})
		if err != nil && !errors.Is(err, store.ErrStreamNotFound) {
			return nil, storeErr(err)
		}
		total += len(evs)
		for i := range evs {
			for _, f := range query.MessageFields(evs[i].Message, maxFieldNames) {
				if _, ok := counts[f]; ok || len(counts) < maxFieldNames {
					counts[f]++
				}
			}
		}
	}
	out := getLogGroupFieldsOut{LogGroupFields: []logGroupFieldOut{}}
	if total == 0 {
		return out, nil
	}
	for _, f := range query.SystemFields {
		out.LogGroupFields = append(out.LogGroupFields, logGroupFieldOut{Name: f, Percent: 100})
	}
	names := make([]string, 0, len(counts))
	for f := range counts {
		names = append(names, f)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := counts[b] - counts[a]; c != 0 {
			return int(c)
		}
		return strings.Compare(a, b)
	})
	for _, f := range names {
		out.LogGroupFields = append(out.LogGroupFields, logGroupFieldOut{Name: f, Percent: (counts[f]*100 + int64(total)/2) / int64(total)})
	}
	return out, nil
}
