package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Settings of the go test entry point; the full-size run is run.sh.
const (
	// benchDefaultSize is the generated file of BenchmarkAgentEndToEnd.
	benchDefaultSize = "64MiB"
	// envBenchBin names a prebuilt logwarden binary to measure instead of
	// building one.
	envBenchBin = "LOGWARDEN_BENCH_BIN"
	// envBenchSize overrides benchDefaultSize.
	envBenchSize = "LOGWARDEN_BENCH_SIZE"
	// benchIdle is the idle period before idle RSS is read; short, since
	// every iteration pays it.
	benchIdle = 2 * time.Second
)

// BenchmarkAgentEndToEnd runs the built logwarden binary on a generated
// syslog file into the null endpoint, which checks that every line arrives
// once and in order. It reports MB/s of the file, CPU-seconds per GiB and peak
// and idle RSS of the agent process.
//
//	go test -run '^$' -bench AgentEndToEnd -benchtime 3x ./bench/agent
func BenchmarkAgentEndToEnd(b *testing.B) {
	bin := os.Getenv(envBenchBin)
	work := b.TempDir()
	if bin == "" {
		bin = filepath.Join(work, "logwarden")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/logwarden/logwarden/cmd/logwarden").CombinedOutput()
		if err != nil {
			b.Skipf("skipping: cannot build logwarden: %v: %s", err, strings.TrimSpace(string(out)))
		}
	}
	size := benchDefaultSize
	if s := os.Getenv(envBenchSize); s != "" {
		size = s
	}
	n, err := parseSize(size)
	if err != nil {
		b.Fatal(err)
	}
	file, err := generate(filepath.Join(work, "syslog.log"), genSpec{Bytes: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	o := options{logwarden: bin, idle: benchIdle, stall: 30 * time.Second, timeout: 10 * time.Minute}
	bn, err := newBench(work, file, o)
	if err != nil {
		b.Fatal(err)
	}
	defer bn.close()
	b.ResetTimer()
	var cpu, wall time.Duration
	var hwm, idle int64
	for i := 0; i < b.N; i++ {
		r := bn.runLogwardenNull(context.Background(), false)
		if r.Err != "" {
			if strings.Contains(r.Err, "not implemented") {
				b.Skipf("skipping: logwarden agent is not implemented yet: %s", r.Err)
			}
			b.Fatalf("run %d: %s", i, r.Err)
		}
		if r.Delivery == nil || !r.Delivery.ok() {
			b.Fatalf("run %d: delivery %v", i, r.Delivery)
		}
		cpu += r.CPU
		wall += r.Wall
		hwm = max(hwm, r.HWM)
		idle = max(idle, r.IdleRSS)
	}
	b.StopTimer()
	// The idle period and the stop are not part of a run: ns/op and MB/s
	// are reported from start to last event received.
	b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(file.Bytes)*float64(b.N)/1e6/wall.Seconds(), "MB/s")
	gib := float64(file.Bytes) / (1 << 30) * float64(b.N)
	b.ReportMetric(cpu.Seconds()/gib, "CPU-s/GiB")
	b.ReportMetric(float64(file.Bytes)*float64(b.N)/mib/cpu.Seconds(), "MiB/CPU-s")
	b.ReportMetric(float64(file.Lines)*float64(b.N)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(hwm)/mib, "peak-RSS-MiB")
	b.ReportMetric(float64(idle)/mib, "idle-RSS-MiB")
}
