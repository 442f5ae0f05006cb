package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// FilterKind tells metric filters from subscription filters. A log group's
// filters of one kind share one name space; the two kinds do not.
type FilterKind byte

// The kinds of saved filters.
const (
	KindMetric       FilterKind = 'm'
	KindSubscription FilterKind = 's'
)

// Errors of the saved-filter methods.
var (
	ErrFilterNotFound = errors.New("filter does not exist")
	ErrFilterLimit    = errors.New("too many filters in the log group")
)

// SavedFilter is a metric or subscription filter of a log group. The store
// keeps it with the group: it survives restarts and goes when the group is
// deleted.
type SavedFilter struct {
	Kind         FilterKind `json:"-"`
	Name         string     `json:"-"`
	Pattern      string     `json:"pattern"`
	CreationTime int64      `json:"creationTime"`
	// Spec is the rest of the filter as the caller describes it (the server
	// keeps the API's JSON members); the store does not read it.
	Spec json.RawMessage `json:"spec,omitempty"`
	// Matches counts the events that matched since the filter was created, as
	// reported by AddFilterMatches.
	Matches int64 `json:"matches,omitempty"`
}

// savedFilter is a SavedFilter in memory; the fields of f are immutable once
// the filter is in a group's map (an update replaces the whole value).
type savedFilter struct {
	f       SavedFilter
	matches atomic.Int64
	saved   atomic.Int64 // the count last written to disk
}

type filterKey struct {
	kind FilterKind
	name string
}

// filterDBKey returns the database key of a saved filter:
// "f" gid(8) kind(1) name.
func filterDBKey(gid uint64, kind FilterKind, name string) []byte {
	k := idPrefix(prefixFilter, gid)
	k = append(k, byte(kind))
	return append(k, name...)
}

func (sf *savedFilter) record() []byte {
	r := sf.f
	r.Matches = sf.matches.Load()
	v, _ := json.Marshal(&r)
	return v
}

// loadFilters reads the saved filters of the groups in byID.
func (s *Store) loadFilters(byID map[uint64]*group) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixFilter}, UpperBound: []byte{prefixFilter + 1}})
	if err != nil {
		return fmt.Errorf("read filters: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 10 {
			continue
		}
		g := byID[binary.BigEndian.Uint64(k[1:])]
		if g == nil {
			continue
		}
		sf := &savedFilter{}
		if err := json.Unmarshal(it.Value(), &sf.f); err != nil {
			return fmt.Errorf("decode filter %q of group %q: %w", k[10:], g.info.Name, err)
		}
		sf.f.Kind, sf.f.Name = FilterKind(k[9]), string(k[10:])
		sf.matches.Store(sf.f.Matches)
		sf.saved.Store(sf.f.Matches)
		if g.filters == nil {
			g.filters = map[filterKey]*savedFilter{}
		}
		g.filters[filterKey{sf.f.Kind, sf.f.Name}] = sf
	}
	return it.Error()
}

// filterCount returns how many filters of kind g holds; the caller holds s.mu.
func (g *group) filterCount(kind FilterKind) int {
	n := 0
	for k := range g.filters {
		if k.kind == kind {
			n++
		}
	}
	return n
}

// PutSavedFilter creates the filter f.Kind/f.Name of a group, or replaces
// it (with a new creation time and a match count of zero). A new filter is
// refused with ErrFilterLimit when the group already has maxPerGroup filters
// of that kind. CreationTime is set by the store.
func (s *Store) PutSavedFilter(groupName string, f SavedFilter, maxPerGroup int) error {
	s.mu.Lock()
	g, ok := s.grps[groupName]
	if !ok {
		s.mu.Unlock()
		return ErrGroupNotFound
	}
	key := filterKey{f.Kind, f.Name}
	if _, exists := g.filters[key]; !exists && g.filterCount(f.Kind) >= maxPerGroup {
		s.mu.Unlock()
		return ErrFilterLimit
	}
	f.CreationTime = s.now().UnixMilli()
	f.Matches = 0
	f.Spec = append(json.RawMessage(nil), f.Spec...)
	sf := &savedFilter{f: f}
	if g.filters == nil {
		g.filters = map[filterKey]*savedFilter{}
	}
	g.filters[key] = sf
	b := s.db.NewBatch()
	_ = b.Set(filterDBKey(g.info.ID, f.Kind, f.Name), sf.record(), nil)
	req := s.enqueue(b)
	s.mu.Unlock()
	return req.wait()
}

// DeleteSavedFilter deletes a filter of a group.
func (s *Store) DeleteSavedFilter(groupName string, kind FilterKind, name string) error {
	s.mu.Lock()
	g, ok := s.grps[groupName]
	if !ok {
		s.mu.Unlock()
		return ErrGroupNotFound
	}
	key := filterKey{kind, name}
	if _, ok := g.filters[key]; !ok {
		s.mu.Unlock()
		return ErrFilterNotFound
	}
	delete(g.filters, key)
	b := s.db.NewBatch()
	_ = b.Delete(filterDBKey(g.info.ID, kind, name), nil)
	req := s.enqueue(b)
	s.mu.Unlock()
	return req.wait()
}

// SavedFilters returns the filters of one kind of a group whose names start
// with prefix, in byte order of their names, with their current match counts.
// A group without such filters gives an empty list, cheaply.
func (s *Store) SavedFilters(groupName string, kind FilterKind, prefix string) ([]SavedFilter, error) {
	s.mu.RLock()
	g, ok := s.grps[groupName]
	if !ok {
		s.mu.RUnlock()
		return nil, ErrGroupNotFound
	}
	var out []SavedFilter
	for k, sf := range g.filters {
		if k.kind == kind && strings.HasPrefix(k.name, prefix) {
			f := sf.f
			f.Matches = sf.matches.Load()
			out = append(out, f)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AddFilterMatches adds n to the match count of a filter created at
// creationTime (a filter replaced meanwhile is left alone). Counts are kept in
// memory and written by SaveFilterCounts, which the retention pass and Close
// call: a crash loses at most the counts of the last pass interval.
func (s *Store) AddFilterMatches(groupName string, kind FilterKind, name string, creationTime, n int64) {
	if n == 0 {
		return
	}
	s.mu.RLock()
	if g, ok := s.grps[groupName]; ok {
		if sf, ok := g.filters[filterKey{kind, name}]; ok && sf.f.CreationTime == creationTime {
			sf.matches.Add(n)
		}
	}
	s.mu.RUnlock()
}

// SaveFilterCounts writes the match counts that changed since the last call.
func (s *Store) SaveFilterCounts() error {
	s.mu.RLock()
	var b *pebble.Batch
	var marks []func()
	for _, g := range s.grps {
		for _, sf := range g.filters {
			m := sf.matches.Load()
			if m == sf.saved.Load() {
				continue
			}
			if b == nil {
				b = s.db.NewBatch()
			}
			r := sf.f
			r.Matches = m
			v, _ := json.Marshal(&r)
			_ = b.Set(filterDBKey(g.info.ID, sf.f.Kind, sf.f.Name), v, nil)
			marks = append(marks, func() { sf.saved.Store(m) })
		}
	}
	if b == nil {
		s.mu.RUnlock()
		return nil
	}
	req := s.enqueue(b)
	s.mu.RUnlock()
	if err := req.wait(); err != nil {
		return fmt.Errorf("save filter counts: %w", err)
	}
	for _, mark := range marks {
		mark()
	}
	return nil
}
