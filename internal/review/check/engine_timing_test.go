package check

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
)

// benchRecords is the record mix of parse.WriteSyntheticAuthLog as the
// engine sees it: failed root logins, invalid users, accepted logins (the
// kinds the engine keeps) and the rest (counted only), one line every
// 0-300 ms from the start of November.
func benchRecords(n int) []parse.Record {
	rng := rand.New(rand.NewSource(1))
	t := pStart
	out := make([]parse.Record, n)
	for i := range out {
		t = t.Add(time.Duration(rng.Intn(300)) * time.Millisecond)
		r := parse.Record{Time: t, Host: "web01", Source: "var/log/auth.log", Line: int64(i + 1), Offset: int64(i) * 110, PID: rng.Intn(99999), Program: "sshd"}
		switch rng.Intn(10) {
		case 0:
			r.Kind, r.User, r.SrcIP, r.Method = parse.KindSSHFailed, "root", fmt.Sprintf("198.51.100.%d", rng.Intn(255)), "password"
		case 1:
			r.Kind, r.User, r.SrcIP = parse.KindSSHInvalidUser, fmt.Sprintf("admin%d", rng.Intn(99999)), fmt.Sprintf("203.0.113.%d", rng.Intn(255))
		case 2:
			r.Kind, r.User, r.SrcIP, r.Method = parse.KindSSHAccepted, "alice", fmt.Sprintf("192.0.2.%d", rng.Intn(255)), "publickey"
		default:
			r.Kind = parse.KindOther
		}
		out[i] = r
	}
	return out
}

// BenchmarkEngine_AddResults adds a million records of the synthetic mix
// and judges them: the engine's share of a review, without reading or
// parsing.
//
//	go test -run '^$' -bench Engine_AddResults -benchmem ./internal/review/check/
//
// 2026-11-26, 2-core machine under load, best of 3 alternating runs:
// 283 ms/op and 29.7 MB/op with 32-byte records and int32 index groups,
// 282 ms/op and 60.5 MB/op before (40-byte records, []int groups).
func BenchmarkEngine_AddResults(b *testing.B) {
	recs := benchRecords(1_000_000)
	p := policy.Default()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := New(p, pStart, pEnd)
		for k := range recs {
			e.Add(&recs[k])
		}
		if got := len(e.Results()); got == 0 {
			b.Fatal("no results")
		}
		e.Release()
	}
}
