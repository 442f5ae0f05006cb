package store

import (
	"errors"
	"fmt"
	"testing"
)

func names(fs []SavedFilter) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func TestSavedFiltersPersistAndGoWithTheGroup(t *testing.T) {
	dir := t.TempDir()
	now := t0
	s := openTest(t, dir, &now)
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/a"}))
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/b"}))
	if err := s.PutSavedFilter("/nope", SavedFilter{Kind: KindMetric, Name: "x"}, 100); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("filter of a missing group: %v", err)
	}
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindMetric, Name: "errors", Pattern: "ERROR", Spec: []byte(`{"k":1}`)}, 100))
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindMetric, Name: "denied", Pattern: "denied"}, 100))
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindSubscription, Name: "errors", Pattern: ""}, 2))
	mustNil(t, s.PutSavedFilter("/b", SavedFilter{Kind: KindMetric, Name: "b1", Pattern: "x"}, 100))
	s.AddFilterMatches("/a", KindMetric, "errors", now.UnixMilli(), 5)
	s.AddFilterMatches("/a", KindMetric, "errors", now.UnixMilli()-1, 100) // an older filter of that name: ignored
	mustNil(t, s.Close())

	s = openTest(t, dir, &now)
	fs, err := s.SavedFilters("/a", KindMetric, "")
	mustNil(t, err)
	if got := fmt.Sprint(names(fs)); got != "[denied errors]" {
		t.Fatalf("metric filters after reopen: %s", got)
	}
	if f := fs[1]; f.Pattern != "ERROR" || string(f.Spec) != `{"k":1}` || f.CreationTime != now.UnixMilli() || f.Matches != 5 {
		t.Fatalf("filter after reopen: %+v", f)
	}
	if fs, _ := s.SavedFilters("/a", KindSubscription, ""); len(fs) != 1 || fs[0].Name != "errors" {
		t.Fatalf("subscription filters after reopen: %+v", fs)
	}
	if fs, _ := s.SavedFilters("/a", KindMetric, "err"); len(fs) != 1 {
		t.Fatalf("prefix err: %+v", fs)
	}
	if g, _ := s.Group("/a"); g.MetricFilters != 2 {
		t.Fatalf("metric filter count = %d, want 2", g.MetricFilters)
	}
	if err := s.DeleteSavedFilter("/a", KindMetric, "nope"); !errors.Is(err, ErrFilterNotFound) {
		t.Fatalf("delete missing filter: %v", err)
	}
	mustNil(t, s.DeleteSavedFilter("/a", KindMetric, "denied"))
	mustNil(t, s.DeleteGroup("/b"))
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/b"}))
	mustNil(t, s.Close())

	s = openTest(t, dir, &now)
	defer s.Close()
	if fs, _ := s.SavedFilters("/a", KindMetric, ""); fmt.Sprint(names(fs)) != "[errors]" {
		t.Fatalf("after delete and reopen: %v", names(fs))
	}
	if fs, _ := s.SavedFilters("/b", KindMetric, ""); len(fs) != 0 {
		t.Fatalf("a recreated group inherited filters: %+v", fs)
	}
}

func TestSavedFilterLimitAndReplace(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/a"}))
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindSubscription, Name: "one"}, 2))
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindSubscription, Name: "two"}, 2))
	if err := s.PutSavedFilter("/a", SavedFilter{Kind: KindSubscription, Name: "three"}, 2); !errors.Is(err, ErrFilterLimit) {
		t.Fatalf("third subscription filter: %v", err)
	}
	// Metric filters are counted apart.
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindMetric, Name: "three"}, 2))
	s.AddFilterMatches("/a", KindSubscription, "two", now.UnixMilli(), 3)
	now = now.Add(1000)
	// Replacing a filter at the limit is allowed, and restarts it.
	mustNil(t, s.PutSavedFilter("/a", SavedFilter{Kind: KindSubscription, Name: "two", Pattern: "new"}, 2))
	fs, err := s.SavedFilters("/a", KindSubscription, "")
	mustNil(t, err)
	if len(fs) != 2 || fs[1].Pattern != "new" || fs[1].Matches != 0 || fs[1].CreationTime != now.UnixMilli() {
		t.Fatalf("replaced filter: %+v", fs)
	}
}

func TestGetIntoReusesTheSlice(t *testing.T) {
	now := t0
	s := openTest(t, t.TempDir(), &now)
	defer s.Close()
	mustNil(t, s.CreateGroup(GroupSpec{Name: "/a"}))
	mustNil(t, s.CreateStream("/a", "s"))
	_, err := s.Put("/a", "s", events(now.UnixMilli(), 5, "m"))
	mustNil(t, err)
	page, err := s.GetInto(nil, "/a", "s", GetQuery{Limit: 3})
	mustNil(t, err)
	if len(page) != 3 || cap(page) != 3 || page[2].Message != "m 2" {
		t.Fatalf("first page: %+v (cap %d)", page, cap(page))
	}
	first := &page[0]
	kept := page[0].Message
	last := page[len(page)-1]
	page, err = s.GetInto(page, "/a", "s", GetQuery{Limit: 3, After: &Position{Timestamp: last.Timestamp, Seq: last.Seq}})
	mustNil(t, err)
	if len(page) != 2 || &page[0] != first || page[0].Message != "m 3" || page[1].Message != "m 4" || kept != "m 0" {
		t.Fatalf("second page: %+v (reused %v), kept %q", page, &page[0] == first, kept)
	}
}
