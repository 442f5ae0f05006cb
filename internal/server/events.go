package server

import (
	"fmt"
	"math"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
)

// PutLogEvents limits (CloudWatch Logs quotas).
const (
	// maxBatchEvents is the most events in one PutLogEvents.
	maxBatchEvents = 10_000
	// maxBatchBytes bounds Σ(UTF-8 message bytes + 26) of one PutLogEvents.
	maxBatchBytes = 1_048_576
	// maxEventBytes bounds one event's UTF-8 bytes + 26.
	maxEventBytes = 1_048_576
	// maxFuture is how far ahead of the server clock an event may be (2 h).
	maxFuture = 2 * 3_600_000
	// maxAge is how old an event may be (14 days).
	maxAge = 14 * store.DayMillis
	// maxSpan is the largest timestamp span of one batch (24 h).
	maxSpan = store.DayMillis
	// maxValidationMessages bounds the failures listed in one validation error.
	maxValidationMessages = 100
	// maxGetEvents is the largest and default page of GetLogEvents and FilterLogEvents.
	maxGetEvents = 10_000
	// maxPageBytes bounds a page of events (1 MB).
	maxPageBytes = 1_048_576
	// maxFilterScan is how many events of each stream one FilterLogEvents call examines before
	// it returns a partial page with a nextToken.
	maxFilterScan = 2_000_000
	// maxFilterPattern is the longest filter pattern.
	maxFilterPattern = 1024
	// maxStreamNames is the most logStreamNames of FilterLogEvents.
	maxStreamNames = 100
)

// inputEvent is one event of a PutLogEvents request; the has flags tell a
// missing (or null) member from a zero value.
type inputEvent struct {
	Timestamp    int64
	Message      string
	hasTimestamp bool
	hasMessage   bool
}

type putLogEventsIn struct {
	LogGroupName  *string      `json:"logGroupName"`
	LogStreamName *string      `json:"logStreamName"`
	LogEvents     []inputEvent `json:"logEvents"`
	SequenceToken *string      `json:"sequenceToken"`
}

type rejectedInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

type putLogEventsOut struct {
	NextSequenceToken     string        `json:"nextSequenceToken,omitempty"`
	RejectedLogEventsInfo *rejectedInfo `json:"rejectedLogEventsInfo,omitempty"`
}

func (s *Server) putLogEvents(rc *reqCtx, body []byte) (any, *APIError) {
	in, e := decodePutLogEvents(body)
	if e != nil {
		return nil, e
	}
	return s.put(in)
}

func (in *putLogEventsIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.streamName(in.LogStreamName, "logStreamName", true)
	switch n := len(in.LogEvents); {
	case in.LogEvents == nil:
		v.null("logEvents")
	case n < 1:
		v.fail("'[]'", "logEvents", "Member must have length greater than or equal to 1")
	case n > maxBatchEvents:
		v.fail(fmt.Sprintf("'[%d events]'", n), "logEvents", fmt.Sprintf("Member must have length less than or equal to %d", maxBatchEvents))
	}
	for i := range in.LogEvents {
		if len(v.msgs) >= maxValidationMessages {
			break
		}
		ev := &in.LogEvents[i]
		if ev.hasTimestamp && ev.Timestamp >= 0 && ev.hasMessage && len(ev.Message) > 0 {
			continue
		}
		path := fmt.Sprintf("logEvents.%d.member.", i+1)
		if !ev.hasTimestamp {
			v.null(path + "timestamp")
		} else if ev.Timestamp < 0 {
			v.intRange(&ev.Timestamp, path+"timestamp", true, 0, math.MaxInt64)
		}
		if !ev.hasMessage {
			v.null(path + "message")
		} else if len(ev.Message) == 0 {
			v.fail("''", path+"message", "Member must have length greater than or equal to 1")
		}
	}
}

func (s *Server) put(in *putLogEventsIn) (any, *APIError) {
	// 1. Shape.
	var v validation
	in.check(&v)
	if e := v.err(); e != nil {
		return nil, e
	}
	// 2. Existence.
	g, e := s.group(*in.LogGroupName)
	if e != nil {
		return nil, e
	}
	if err := s.st.CheckStream(*in.LogGroupName, *in.LogStreamName); err != nil {
		return nil, storeErr(err)
	}
	// 3-5. Sizes and order.
	total := 0
	for i := range in.LogEvents {
		n := len(in.LogEvents[i].Message) + store.EventOverhead
		if n > maxEventBytes {
			return nil, newErr(codeInvalidParameter, "Log event too large: %d bytes exceeds limit of %d", n, maxEventBytes)
		}
		total += n
	}
	if total > maxBatchBytes {
		return nil, newErr(codeInvalidParameter, "Upload too large: %d bytes exceeds limit of %d", total, maxBatchBytes)
	}
	evs := in.LogEvents
	for i := 1; i < len(evs); i++ {
		if evs[i].Timestamp < evs[i-1].Timestamp {
			return nil, newErr(codeInvalidParameter, msgChronological)
		}
	}
	// 6. Classify against the clock (events are sorted, so each class is a run).
	now := s.now().UnixMilli()
	tooOld, expired, tooNew := 0, 0, len(evs)
	expiredBefore := int64(math.MinInt64)
	if g.RetentionDays > 0 {
		expiredBefore = now - int64(g.RetentionDays)*store.DayMillis
	}
	for i := range evs {
		ts := evs[i].Timestamp
		if ts < now-maxAge {
			tooOld = i + 1
		}
		if ts < expiredBefore {
			expired = i + 1
		}
	}
	for i := len(evs) - 1; i >= 0 && evs[i].Timestamp > now+maxFuture; i-- {
		tooNew = i
	}
	first := max(tooOld, expired)
	out := putLogEventsOut{}
	if tooOld > 0 || expired > 0 || tooNew < len(evs) {
		ri := &rejectedInfo{}
		if tooOld > 0 {
			ri.TooOldLogEventEndIndex = &tooOld
		}
		if expired > 0 {
			ri.ExpiredLogEventEndIndex = &expired
		}
		if tooNew < len(evs) {
			ri.TooNewLogEventStartIndex = &tooNew
		}
		out.RejectedLogEventsInfo = ri
	}
	// 7. Span of the accepted events.
	if first < tooNew && evs[tooNew-1].Timestamp-evs[first].Timestamp > maxSpan {
		return nil, newErr(codeInvalidParameter, msgSpan24h)
	}
	// 8. Store.
	if first < tooNew {
		batch := make([]store.Event, tooNew-first)
		for i := range batch {
			ev := &evs[first+i]
			batch[i] = store.Event{Timestamp: ev.Timestamp, Message: ev.Message}
		}
		res, err := s.st.Put(*in.LogGroupName, *in.LogStreamName, batch)
		if err != nil {
			return nil, storeErr(err)
		}
		out.NextSequenceToken = sequenceToken(int64(res.FirstSeq) + int64(len(batch)))
		s.countMetricMatches(*in.LogGroupName, batch)
		s.tails.publish(*in.LogGroupName, *in.LogStreamName, batch, res.IngestionTime)
	} else {
		out.NextSequenceToken = sequenceToken(now)
	}
	return out, nil
}

type getLogEventsIn struct {
	groupRefIn
	LogStreamName *string `json:"logStreamName"`
	StartTime     *int64  `json:"startTime"`
	EndTime       *int64  `json:"endTime"`
	NextToken     *string `json:"nextToken"`
	Limit         *int64  `json:"limit"`
	StartFromHead *bool   `json:"startFromHead"`
}

type outputEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

type getLogEventsOut struct {
	Events            []outputEvent `json:"events"`
	NextForwardToken  string        `json:"nextForwardToken"`
	NextBackwardToken string        `json:"nextBackwardToken"`
}

func (in *getLogEventsIn) check(v *validation) {
	v.streamName(in.LogStreamName, "logStreamName", true)
	v.timeRange(in.StartTime, in.EndTime)
	v.intRange(in.Limit, "limit", false, 1, maxGetEvents)
	in.groupRefIn.check(v)
}

func (s *Server) getLogEvents(rc *reqCtx, in *getLogEventsIn) (any, *APIError) {
	group, e := in.group()
	if e != nil {
		return nil, e
	}
	q := store.GetQuery{Limit: int(intOr(in.Limit, maxGetEvents)), MaxBytes: maxPageBytes, Start: intOr(in.StartTime, 0)}
	if in.EndTime != nil {
		q.End = *in.EndTime
		if q.End == 0 {
			q.End = -1 // endTime 0 excludes everything
		}
	}
	var dir byte
	var pos store.Position
	if in.NextToken != nil {
		var ok bool
		if dir, pos, ok = decodeEventToken(*in.NextToken); !ok {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
		if dir == 'f' {
			q.After = &pos
		} else {
			q.Before = &pos
		}
	} else {
		q.Backward = in.StartFromHead == nil || !*in.StartFromHead
	}
	var evs []store.StoredEvent
	var err error
	if q.End >= 0 {
		evs, err = s.st.Get(group, *in.LogStreamName, q)
	} else {
		err = s.st.CheckStream(group, *in.LogStreamName)
	}
	if err != nil {
		return nil, storeErr(err)
	}
	out := getLogEventsOut{Events: make([]outputEvent, len(evs))}
	for i, e := range evs {
		out.Events[i] = outputEvent{Timestamp: e.Timestamp, Message: e.Message, IngestionTime: e.IngestionTime}
	}
	switch {
	case len(evs) > 0:
		out.NextForwardToken = encodeEventToken('f', store.Position{Timestamp: evs[len(evs)-1].Timestamp, Seq: evs[len(evs)-1].Seq})
		out.NextBackwardToken = encodeEventToken('b', store.Position{Timestamp: evs[0].Timestamp, Seq: evs[0].Seq})
	case in.NextToken != nil:
		// At the end: echo the token, so clients see a duplicate and stop.
		out.NextForwardToken = encodeEventToken('f', pos)
		out.NextBackwardToken = encodeEventToken('b', pos)
	default:
		start, end := q.Start, q.End
		if end <= 0 {
			end = math.MaxInt64
		}
		out.NextForwardToken = encodeEventToken('f', store.Position{Timestamp: max(start, 0)})
		out.NextBackwardToken = encodeEventToken('b', store.Position{Timestamp: end})
	}
	return out, nil
}

type filterLogEventsIn struct {
	groupRefIn
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int64   `json:"limit"`
	Interleaved         *bool    `json:"interleaved"`
}

type filteredEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type filterLogEventsOut struct {
	Events             []filteredEvent `json:"events"`
	SearchedLogStreams []struct{}      `json:"searchedLogStreams"`
	NextToken          string          `json:"nextToken,omitempty"`
}

func (in *filterLogEventsIn) check(v *validation) {
	v.list(len(in.LogStreamNames), in.LogStreamNames != nil, "logStreamNames", maxStreamNames, fmt.Sprintf("'%v'", in.LogStreamNames))
	for i := range in.LogStreamNames {
		v.streamName(&in.LogStreamNames[i], fmt.Sprintf("logStreamNames.%d.member", i+1), false)
	}
	v.streamName(in.LogStreamNamePrefix, "logStreamNamePrefix", false)
	v.timeRange(in.StartTime, in.EndTime)
	v.str(in.FilterPattern, "filterPattern", false, 0, maxFilterPattern, nil)
	v.intRange(in.Limit, "limit", false, 1, maxGetEvents)
	in.groupRefIn.check(v)
}

func (s *Server) filterLogEvents(rc *reqCtx, in *filterLogEventsIn) (any, *APIError) {
	group, e := in.group()
	if e != nil {
		return nil, e
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, newErr(codeInvalidParameter, "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	q := store.FilterQuery{Streams: in.LogStreamNames, Prefix: strOr(in.LogStreamNamePrefix, ""),
		Start: intOr(in.StartTime, 0), End: intOr(in.EndTime, 0),
		Limit: int(intOr(in.Limit, maxGetEvents)), MaxBytes: maxPageBytes, MaxScan: maxFilterScan}
	if in.NextToken != nil {
		p, ok := decodeFilterToken(*in.NextToken)
		if !ok {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
		q.After = &p
	}
	if in.FilterPattern != nil && *in.FilterPattern != "" {
		f, err := query.CompileFilter(*in.FilterPattern)
		if err != nil {
			return nil, newErr(codeInvalidParameter, "%s", capitalize(err.Error()))
		}
		q.Match = f.Match
	}
	if in.EndTime != nil && q.End < q.Start {
		return filterLogEventsOut{Events: []filteredEvent{}, SearchedLogStreams: []struct{}{}}, nil
	}
	res, err := s.st.Filter(group, q)
	if err != nil {
		return nil, storeErr(err)
	}
	out := filterLogEventsOut{Events: make([]filteredEvent, len(res.Events)), SearchedLogStreams: []struct{}{}}
	for i, e := range res.Events {
		out.Events[i] = filteredEvent{LogStreamName: e.Stream, Timestamp: e.Timestamp, Message: e.Message,
			IngestionTime: e.IngestionTime, EventID: eventID(e.Timestamp, e.StreamID, e.Seq)}
	}
	if res.Next != nil {
		out.NextToken = encodeFilterToken(*res.Next)
	}
	return out, nil
}

// capitalize upper-cases the first letter of an error text for an API message.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
