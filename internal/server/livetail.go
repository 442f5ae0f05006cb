package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
)

// Live Tail limits (CloudWatch Logs quotas).
const (
	// maxLiveTailSessions is the most Live Tail sessions open at once (AWS
	// allows 15 per account); StartLiveTail answers LimitExceededException
	// beyond it.
	maxLiveTailSessions = 15
	// maxLiveTailGroups is the most log groups one session tails.
	maxLiveTailGroups = 10
	// maxLiveTailStreams is the most logStreamNames or logStreamNamePrefixes.
	maxLiveTailStreams = 100
	// liveTailMaxDuration ends a session (SessionTimeoutException).
	liveTailMaxDuration = 3 * time.Hour
	// liveTailUpdateEvery is how often a session sends a sessionUpdate.
	liveTailUpdateEvery = time.Second
	// maxLiveTailUpdateEvents is the most events one sessionUpdate carries;
	// beyond it the update is marked sampled and the rest are dropped.
	maxLiveTailUpdateEvents = 500
	// liveTailWriteTimeout ends a session whose client stops reading.
	liveTailWriteTimeout = 30 * time.Second
)

type startLiveTailIn struct {
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
	LogStreamNames        []string `json:"logStreamNames"`
	LogStreamNamePrefixes []string `json:"logStreamNamePrefixes"`
	LogEventFilterPattern *string  `json:"logEventFilterPattern"`
}

func (in *startLiveTailIn) check(v *validation) {
	if in.LogGroupIdentifiers == nil {
		v.null("logGroupIdentifiers")
	}
	v.identifiers(in.LogGroupIdentifiers, maxLiveTailGroups)
	v.list(len(in.LogStreamNames), in.LogStreamNames != nil, "logStreamNames", maxLiveTailStreams, fmt.Sprintf("'%v'", in.LogStreamNames))
	for i := range in.LogStreamNames {
		v.streamName(&in.LogStreamNames[i], fmt.Sprintf("logStreamNames.%d.member", i+1), false)
	}
	v.list(len(in.LogStreamNamePrefixes), in.LogStreamNamePrefixes != nil, "logStreamNamePrefixes", maxLiveTailStreams, fmt.Sprintf("'%v'", in.LogStreamNamePrefixes))
	for i := range in.LogStreamNamePrefixes {
		v.streamName(&in.LogStreamNamePrefixes[i], fmt.Sprintf("logStreamNamePrefixes.%d.member", i+1), false)
	}
	v.str(in.LogEventFilterPattern, "logEventFilterPattern", false, 0, maxFilterPattern, nil)
}

// liveTailEvent is one LiveTailSessionLogEvent.
type liveTailEvent struct {
	LogStreamName      string `json:"logStreamName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	Message            string `json:"message"`
	Timestamp          int64  `json:"timestamp"`
	IngestionTime      int64  `json:"ingestionTime"`
}

// tailSession is one StartLiveTail stream.
type tailSession struct {
	id, requestID string
	// groups maps each tailed group's name to the identifier shown in events
	// (its ARN).
	groups   map[string]string
	start    liveTailStart
	streams  map[string]bool
	prefixes []string
	filter   *query.Filter // nil: every event

	mu      sync.Mutex
	pending []liveTailEvent
	sampled bool
}

type liveTailStart struct {
	RequestID             string   `json:"requestId"`
	SessionID             string   `json:"sessionId"`
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
	LogStreamNames        []string `json:"logStreamNames,omitempty"`
	LogStreamNamePrefixes []string `json:"logStreamNamePrefixes,omitempty"`
	LogEventFilterPattern string   `json:"logEventFilterPattern"`
}

func (ts *tailSession) wants(stream string) bool {
	if ts.streams != nil {
		return ts.streams[stream]
	}
	if ts.prefixes == nil {
		return true
	}
	for _, p := range ts.prefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// take returns the events gathered since the last call and whether some were
// dropped.
func (ts *tailSession) take() ([]liveTailEvent, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	evs, sampled := ts.pending, ts.sampled
	ts.pending, ts.sampled = nil, false
	return evs, sampled
}

// tails holds the open Live Tail sessions.
type tails struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.RWMutex
	sessions map[*tailSession]bool
}

func newTails() *tails {
	ctx, cancel := context.WithCancel(context.Background())
	return &tails{ctx: ctx, cancel: cancel, sessions: map[*tailSession]bool{}}
}

// close ends every session and refuses new ones.
func (t *tails) close() { t.cancel() }

func (t *tails) remove(ts *tailSession) {
	t.mu.Lock()
	delete(t.sessions, ts)
	t.mu.Unlock()
}

// publish hands a stored batch to the sessions tailing its stream.
func (t *tails) publish(group, stream string, batch []store.Event, ingestion int64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for ts := range t.sessions {
		ident, ok := ts.groups[group]
		if !ok || !ts.wants(stream) {
			continue
		}
		ts.mu.Lock()
		for i := range batch {
			if ts.filter != nil && !ts.filter.Match(batch[i].Message) {
				continue
			}
			if len(ts.pending) == maxLiveTailUpdateEvents {
				ts.sampled = true
				break
			}
			ts.pending = append(ts.pending, liveTailEvent{LogStreamName: stream, LogGroupIdentifier: ident,
				Message: batch[i].Message, Timestamp: batch[i].Timestamp, IngestionTime: ingestion})
		}
		ts.mu.Unlock()
	}
}

func (s *Server) startLiveTail(rc *reqCtx, in *startLiveTailIn) (any, *APIError) {
	if (in.LogStreamNames != nil || in.LogStreamNamePrefixes != nil) && len(in.LogGroupIdentifiers) != 1 {
		return nil, newErr(codeInvalidParameter, "logStreamNames and logStreamNamePrefixes can only be given with exactly one log group identifier.")
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefixes != nil {
		return nil, newErr(codeInvalidParameter, "logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
	}
	ts := &tailSession{id: requestID(), groups: map[string]string{}, prefixes: in.LogStreamNamePrefixes,
		start: liveTailStart{LogGroupIdentifiers: in.LogGroupIdentifiers, LogStreamNames: in.LogStreamNames,
			LogStreamNamePrefixes: in.LogStreamNamePrefixes, LogEventFilterPattern: strOr(in.LogEventFilterPattern, "")}}
	for _, id := range in.LogGroupIdentifiers {
		name := id
		if g, ok := groupFromARN(id); ok {
			name = g
		}
		if _, e := s.group(name); e != nil {
			return nil, e
		}
		ts.groups[name] = s.groupARN(rc, name)
	}
	if in.LogStreamNames != nil {
		ts.streams = map[string]bool{}
		for _, n := range in.LogStreamNames {
			ts.streams[n] = true
		}
	}
	if p := ts.start.LogEventFilterPattern; p != "" {
		f, err := query.CompileFilter(p)
		if err != nil {
			return nil, newErr(codeInvalidParameter, "%s", capitalize(err.Error()))
		}
		if !f.MatchAll() {
			ts.filter = f
		}
	}
	t := s.tails
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		return nil, &APIError{Status: 503, Code: codeServiceUnavail, Message: "The server is shutting down."}
	}
	if len(t.sessions) >= maxLiveTailSessions {
		return nil, newErr(codeLimitExceeded, "You have exceeded the maximum number of concurrent Live Tail sessions (%d).", maxLiveTailSessions)
	}
	t.sessions[ts] = true
	return ts, nil
}

// streamLiveTail writes a session's event stream: initial-response,
// sessionStart, then a sessionUpdate every second until the client goes away,
// the server closes or liveTailMaxDuration passes.
func (s *Server) streamLiveTail(w http.ResponseWriter, r *http.Request, ts *tailSession) {
	defer s.tails.remove(ts)
	ctl := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	var buf []byte
	send := func(headers []esHeader, v any) error {
		payload, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode live tail event: %w", err)
		}
		buf = appendESMessage(buf[:0], headers, payload)
		ctl.SetWriteDeadline(time.Now().Add(liveTailWriteTimeout))
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write live tail event: %w", err)
		}
		if err := ctl.Flush(); err != nil {
			return fmt.Errorf("flush live tail event: %w", err)
		}
		return nil
	}
	event := func(typ string) []esHeader {
		return []esHeader{{":message-type", "event"}, {":event-type", typ}, {":content-type", "application/json"}}
	}
	ts.start.RequestID, ts.start.SessionID = ts.requestID, ts.id
	if err := send(event("initial-response"), struct{}{}); err != nil {
		return
	}
	if err := send(event("sessionStart"), ts.start); err != nil {
		return
	}
	s.log.Debug("live tail started", "session", ts.id, "groups", ts.start.LogGroupIdentifiers)
	tick := time.NewTicker(cmp.Or(s.tailEvery, liveTailUpdateEvery))
	defer tick.Stop()
	end := time.NewTimer(cmp.Or(s.tailMax, liveTailMaxDuration))
	defer end.Stop()
	type metadata struct {
		Sampled bool `json:"sampled"`
	}
	type update struct {
		SessionMetadata metadata        `json:"sessionMetadata"`
		SessionResults  []liveTailEvent `json:"sessionResults"`
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.tails.ctx.Done():
			return
		case <-end.C:
			send([]esHeader{{":message-type", "exception"}, {":exception-type", "SessionTimeoutException"}, {":content-type", "application/json"}},
				map[string]string{"message": "Session timed out after 3 hours."})
			return
		case <-tick.C:
			evs, sampled := ts.take()
			if evs == nil {
				evs = []liveTailEvent{}
			}
			if err := send(event("sessionUpdate"), update{SessionMetadata: metadata{Sampled: sampled}, SessionResults: evs}); err != nil {
				s.log.Debug("live tail ended", "session", ts.id, "err", err)
				return
			}
		}
	}
}

// liveTails is the number of open Live Tail sessions.
func (s *Server) liveTails() int {
	s.tails.mu.RLock()
	defer s.tails.mu.RUnlock()
	return len(s.tails.sessions)
}
