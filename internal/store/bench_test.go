package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkFilterSelective measures one FilterLogEvents scan over 1,000,000
// stored events (8 streams) with a pattern that matches a handful of them.
func BenchmarkFilterSelective(b *testing.B) {
	now := time.Now()
	s := openTest(b, b.TempDir(), &now)
	defer s.Close()
	if err := s.CreateGroup(GroupSpec{Name: "g"}); err != nil {
		b.Fatal(err)
	}
	const streams, perStream, batch = 8, 125_000, 1000
	base := now.UnixMilli() - 3_600_000
	for w := 0; w < streams; w++ {
		name := fmt.Sprintf("s%d", w)
		if err := s.CreateStream("g", name); err != nil {
			b.Fatal(err)
		}
		evs := make([]Event, batch)
		for i := 0; i < perStream; i += batch {
			for j := range evs {
				n := i + j
				msg := fmt.Sprintf("host-%02d sshd[%d]: Accepted publickey for deploy from 10.0.%d.%d port %d ssh2 req=%08d", w, 1000+n%3000, n%256, (n*7)%256, 1024+n%60000, n)
				if n%200_000 == 7 {
					msg += " NEEDLE"
				}
				evs[j] = Event{Timestamp: base + int64(n/100), Message: msg}
			}
			if _, err := s.Put("g", name, evs); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.Filter("g", FilterQuery{Limit: 10_000, Match: func(m string) bool { return strings.Contains(m, "NEEDLE") }})
		if err != nil || len(res.Events) != streams || res.Next != nil {
			b.Fatalf("filter: %v %d %v", err, len(res.Events), res.Next)
		}
	}
	b.ReportMetric(float64(streams*perStream)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
