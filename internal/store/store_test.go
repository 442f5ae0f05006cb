package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB, dir string, now *time.Time) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, RetentionInterval: -1, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func events(base int64, n int, prefix string) []Event {
	ev := make([]Event, n)
	for i := range ev {
		ev[i] = Event{Timestamp: base + int64(i), Message: fmt.Sprintf("%s %d", prefix, i)}
	}
	return ev
}

func TestGroupsStreamsAndPersistence(t *testing.T) {
	dir := t.TempDir()
	now := t0
	s := openTest(t, dir, &now)
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/b", Tags: map[string]string{"k": "v"}}))
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/a"}))
	if err := s.CreateGroup(GroupSpec{Name: "/a"}); !errors.Is(err, ErrGroupExists) {
		t.Fatalf("duplicate group: %v", err)
	}
	mustNil(t, s.CreateStream("/a", "s1"))
	if err := s.CreateStream("/a", "s1"); !errors.Is(err, ErrStreamExists) {
		t.Fatalf("duplicate stream: %v", err)
	}
	if err := s.CreateStream("/nope", "s1"); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("stream in missing group: %v", err)
	}
	if _, err := s.Put("/a", "nope", events(1, 1, "x")); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("put to missing stream: %v", err)
	}
	_, err := s.Put("/a", "s1", events(now.UnixMilli(), 3, "héllo"))
	mustNil(t, err)
	mustNil(t, s.Close())

	s = openTest(t, dir, &now)
	defer s.Close()
	gs := s.Groups("")
	if len(gs) != 2 || gs[0].Name != "/a" || gs[1].Name != "/b" || gs[1].Tags["k"] != "v" {
		t.Fatalf("groups after reopen: %+v", gs)
	}
	if want := int64(3 * len("héllo 0")); gs[0].StoredBytes != want {
		t.Fatalf("storedBytes = %d, want %d", gs[0].StoredBytes, want)
	}
	sts, err := s.Streams("/a", "")
	mustNil(t, err)
	if len(sts) != 1 || !sts[0].HasEvents || sts[0].FirstEventTime != now.UnixMilli() || sts[0].LastEventTime != now.UnixMilli()+2 {
		t.Fatalf("streams after reopen: %+v", sts)
	}
	got, err := s.Get("/a", "s1", GetQuery{})
	mustNil(t, err)
	if len(got) != 3 || got[2].Message != "héllo 2" || got[0].Seq != 1 {
		t.Fatalf("events after reopen: %+v", got)
	}
	mustNil(t, s.DeleteStream("/a", "s1"))
	if _, err := s.Get("/a", "s1", GetQuery{}); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("get deleted stream: %v", err)
	}
	if g, _ := s.Group("/a"); g.StoredBytes != 0 {
		t.Fatalf("storedBytes after stream delete = %d", g.StoredBytes)
	}
	mustNil(t, s.DeleteGroup("/a"))
	if err := s.DeleteGroup("/a"); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("delete missing group: %v", err)
	}
}

func TestGetPaging(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "g"}))
	mustNil(t, s.CreateStream("g", "s"))
	// Two batches whose times interleave: order must be by timestamp.
	_, err := s.Put("g", "s", []Event{{10, "a"}, {30, "c"}, {50, "e"}})
	mustNil(t, err)
	_, err = s.Put("g", "s", []Event{{20, "b"}, {40, "d"}, {40, "d2"}})
	mustNil(t, err)
	msgs := func(ev []StoredEvent) string {
		var b []string
		for _, e := range ev {
			b = append(b, e.Message)
		}
		return strings.Join(b, ",")
	}
	tests := []struct {
		name string
		q    GetQuery
		want string
	}{
		{"all", GetQuery{}, "a,b,c,d,d2,e"},
		{"range end exclusive", GetQuery{Start: 20, End: 40}, "b,c"},
		{"limit head", GetQuery{Limit: 2}, "a,b"},
		{"limit tail", GetQuery{Limit: 2, Backward: true}, "d2,e"},
		{"after", GetQuery{After: &Position{30, 1}}, "e"}, // seq of c is 2 > 1, so c itself... see below
		{"after c", GetQuery{After: &Position{30, 2}}, "d,d2,e"},
		{"before d2", GetQuery{Before: &Position{40, 6}, Limit: 2}, "c,d"},
		{"bytes", GetQuery{MaxBytes: 2 * (1 + EventOverhead)}, "a,b"},
	}
	tests[4].want = "c,d,d2,e"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Get("g", "s", tc.q)
			mustNil(t, err)
			if m := msgs(got); m != tc.want {
				t.Fatalf("got %s, want %s", m, tc.want)
			}
		})
	}
}

func TestFilterInterleavesAndResumes(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "g"}))
	for _, n := range []string{"a@x", "b", "c"} {
		mustNil(t, s.CreateStream("g", n))
	}
	_, _ = s.Put("g", "a@x", []Event{{1, "a1"}, {4, "a4 ERROR"}, {7, "a7"}})
	_, _ = s.Put("g", "b", []Event{{2, "b2 ERROR"}, {5, "b5"}, {8, "b8 ERROR"}})
	_, _ = s.Put("g", "c", []Event{{3, "c3"}, {6, "c6 ERROR"}, {9, "c9"}})
	var all []string
	var after *FilterPosition
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("no end")
		}
		res, err := s.Filter("g", FilterQuery{Limit: 2, After: after})
		mustNil(t, err)
		for _, e := range res.Events {
			all = append(all, e.Message)
		}
		if res.Next == nil {
			break
		}
		after = res.Next
	}
	if got := strings.Join(all, ","); got != "a1,b2 ERROR,c3,a4 ERROR,b5,c6 ERROR,a7,b8 ERROR,c9" {
		t.Fatalf("interleaved: %s", got)
	}
	res, err := s.Filter("g", FilterQuery{Prefix: "a", Start: 2, End: 7, Match: func(m string) bool { return strings.Contains(m, "ERROR") }})
	mustNil(t, err)
	if len(res.Events) != 1 || res.Events[0].Stream != "a@x" || res.Next != nil {
		t.Fatalf("prefix filter: %+v", res)
	}
	res, err = s.Filter("g", FilterQuery{Streams: []string{"b", "c"}, MaxScan: 2})
	mustNil(t, err)
	// Each stream examines 2 events (b2 b5, c3 c6); only b2 c3 b5 are known
	// complete, and the next page resumes after b5.
	if len(res.Events) != 3 || res.Next == nil || res.Events[2].Message != "b5" {
		t.Fatalf("scan bound: %+v", res)
	}
	res, err = s.Filter("g", FilterQuery{Streams: []string{"b", "c"}, After: res.Next})
	mustNil(t, err)
	if len(res.Events) != 3 || res.Events[0].Message != "c6 ERROR" || res.Next != nil {
		t.Fatalf("resume after scan bound: %+v", res)
	}
}

func TestRetention(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "g"}))
	mustNil(t, s.CreateStream("g", "s"))
	old := now.Add(-3 * 24 * time.Hour).UnixMilli()
	_, err := s.Put("g", "s", events(old, 5, "old"))
	mustNil(t, err)
	_, err = s.Put("g", "s", events(now.UnixMilli(), 2, "new"))
	mustNil(t, err)
	mustNil(t, s.UpdateGroup("g", func(g *GroupInfo) error { g.RetentionDays = 1; return nil }))
	got, err := s.Get("g", "s", GetQuery{})
	mustNil(t, err)
	if len(got) != 2 {
		t.Fatalf("expired events visible: %d", len(got))
	}
	n, err := s.ExpireNow()
	mustNil(t, err)
	if n != 5 {
		t.Fatalf("expired %d, want 5", n)
	}
	if g, _ := s.Group("g"); g.StoredBytes != int64(2*len("new 0")) {
		t.Fatalf("storedBytes after expiry = %d", g.StoredBytes)
	}
	sts, err := s.Streams("g", "")
	mustNil(t, err)
	if sts[0].FirstEventTime != now.UnixMilli() {
		t.Fatalf("firstEventTimestamp after expiry = %d, want %d", sts[0].FirstEventTime, now.UnixMilli())
	}
	rep, err := s.Verify(context.Background())
	mustNil(t, err)
	if !rep.OK() {
		t.Fatalf("verify after retention: %s", rep)
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "g"}))
	mustNil(t, s.CreateStream("g", "shared"))
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := s.Put("g", "shared", events(int64(i), 10, fmt.Sprintf("w%d", w))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := s.Get("g", "shared", GetQuery{})
	mustNil(t, err)
	if len(got) != 8*20*10 {
		t.Fatalf("got %d events", len(got))
	}
	rep, err := s.Verify(context.Background())
	mustNil(t, err)
	if !rep.OK() || rep.Batches != 160 {
		t.Fatalf("verify: %s", rep)
	}
}

// TestVerifyDetectsTampering edits the Pebble data outside the API.
func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		kind   string
		tamper func(db *pebble.DB, key []byte, val []byte) error
	}{
		{"changed", ProblemChanged, func(db *pebble.DB, k, v []byte) error {
			v = append([]byte(nil), v...)
			v[len(v)-1] ^= 1
			return db.Set(k, v, pebble.Sync)
		}},
		{"removed", ProblemRemoved, func(db *pebble.DB, k, _ []byte) error { return db.Delete(k, pebble.Sync) }},
		{"inserted", ProblemInserted, func(db *pebble.DB, k, v []byte) error {
			k = append([]byte(nil), k...)
			k[len(k)-1] += 100 // a sequence number no batch owns
			return db.Set(k, v, pebble.Sync)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			now := t0
			s := openTest(t, dir, &now)
			mustNil(t, s.CreateGroup(GroupSpec{Name: "/var/log/secure"}))
			mustNil(t, s.CreateStream("/var/log/secure", "host-1"))
			mustNil(t, s.CreateStream("/var/log/secure", "host-2"))
			_, err := s.Put("/var/log/secure", "host-1", events(now.UnixMilli(), 10, "sshd"))
			mustNil(t, err)
			_, err = s.Put("/var/log/secure", "host-2", events(now.UnixMilli(), 10, "sshd"))
			mustNil(t, err)
			rep, err := s.Verify(context.Background())
			mustNil(t, err)
			if !rep.OK() {
				t.Fatalf("clean store: %s", rep)
			}
			gid := s.grps["/var/log/secure"].info.ID
			sid := s.grps["/var/log/secure"].streams["host-2"].rec.ID
			mustNil(t, s.Close())

			db, err := pebble.Open(dir, pebbleOptions(false))
			mustNil(t, err)
			k := eventKey(gid, sid, now.UnixMilli()+4, 5)
			v, c, err := db.Get(k)
			mustNil(t, err)
			v = append([]byte(nil), v...)
			c.Close()
			mustNil(t, tc.tamper(db, k, v))
			mustNil(t, db.Close())

			rep, err = VerifyDir(context.Background(), dir)
			mustNil(t, err)
			if len(rep.Problems) != 1 {
				t.Fatalf("want one problem, got %s", rep)
			}
			p := rep.Problems[0]
			if p.Kind != tc.kind || p.Stream != "host-2" || p.Group != "/var/log/secure" {
				t.Fatalf("problem = %+v", p)
			}
			if !strings.Contains(rep.String(), `stream "host-2"`) {
				t.Fatalf("report does not name the stream: %s", rep)
			}
		})
	}
}

// TestFilterManyStreamsSmallBudget pages through many streams with a byte
// budget that forces early stops: every event comes back once, in order.
func TestFilterManyStreamsSmallBudget(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "g"}))
	const streams, per = 20, 30
	big := strings.Repeat("m", 3000)
	for w := 0; w < streams; w++ {
		name := fmt.Sprintf("s%02d", w)
		mustNil(t, s.CreateStream("g", name))
		ev := make([]Event, per)
		for i := range ev {
			ev[i] = Event{Timestamp: int64(i*streams + w), Message: fmt.Sprintf("%06d %s", i*streams+w, big)}
		}
		_, err := s.Put("g", name, ev)
		mustNil(t, err)
	}
	var got []string
	var after *FilterPosition
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("no end")
		}
		res, err := s.Filter("g", FilterQuery{After: after, MaxBytes: 100_000, Limit: 10_000})
		mustNil(t, err)
		for _, e := range res.Events {
			got = append(got, e.Message[:6])
		}
		if res.Next == nil {
			break
		}
		after = res.Next
	}
	if len(got) != streams*per {
		t.Fatalf("got %d events, want %d", len(got), streams*per)
	}
	for i, m := range got {
		if m != fmt.Sprintf("%06d", i) {
			t.Fatalf("event %d is %s", i, m)
		}
	}
}
