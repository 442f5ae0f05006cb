package gctune

import (
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

func restore(t *testing.T) {
	pct := debug.SetGCPercent(100)
	lim := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(lim)
	})
}

func TestStep(t *testing.T) {
	restore(t)
	s := &state{log: slog.New(slog.DiscardHandler)}
	s.useLimit()
	for _, tc := range []struct {
		live        uint64
		wantLimited bool
	}{
		{5 << 20, true},
		{19 << 20, true},  // under 2/3 of 30 MiB
		{21 << 20, false}, // over: fall back to heap growth
		{15 << 20, false}, // between the thresholds: stay
		{9 << 20, true},   // under 1/3: back to the limit
	} {
		s.step(tc.live)
		if s.limited != tc.wantLimited {
			t.Fatalf("after live=%d MiB limited=%v, want %v", tc.live>>20, s.limited, tc.wantLimited)
		}
		gotLimit := debug.SetMemoryLimit(-1) // -1 reads without changing
		if tc.wantLimited && gotLimit != Limit || !tc.wantLimited && gotLimit != math.MaxInt64 {
			t.Fatalf("after live=%d MiB the memory limit is %d", tc.live>>20, gotLimit)
		}
	}
}

func TestStart_OperatorSettingsWin(t *testing.T) {
	restore(t)
	t.Setenv("GOGC", "50")
	if Start(context.Background(), slog.New(slog.DiscardHandler)) {
		t.Fatal("Start took over although GOGC is set")
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit changed to %d", got)
	}
}

func TestStart_SetsLimit(t *testing.T) {
	restore(t)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !Start(ctx, slog.New(slog.DiscardHandler)) {
		t.Fatal("Start did not take over")
	}
	if got := debug.SetMemoryLimit(-1); got != Limit {
		t.Errorf("memory limit = %d, want %d", got, Limit)
	}
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GOGC was %d, want off", got)
	}
}
