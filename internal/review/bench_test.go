package review

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/source"
)

// benchSizeEnv sets the generated auth.log size in MiB (default 1024).
const benchSizeEnv = "LOGWARDEN_REVIEW_BENCH_MIB"

// BenchmarkReviewAuthLog generates an auth.log (1 GiB by default; not
// committed), reviews it end to end (file source, parsers, checks, report.json,
// md, html, manifest; no PDF) and, when logwatch is installed, runs logwatch's
// sshd, pam_unix and sudo services over the same file. It prints wall time,
// CPU time and peak RSS of both.
//
//	go test -run '^$' -bench ReviewAuthLog -benchtime 1x ./internal/review/
//
// Measured 2026-11-26 on the 2-core development machine (load average 2-3):
// 1 GiB, 9.16 M records: logwarden 14.6 s wall, 14.3 cpu-s, peak RSS 338 MiB
// (48-byte event records on the Go heap); logwatch 7.7 --numeric 156.7 s
// wall, 173.8 cpu-s, 391 MiB. With the event table off the heap (40-byte
// records): 512 MiB reviewed with peak RSS 123-143 MiB (was 380-422).
// 2026-11-26, 32-byte records and int32 index groups in the rules: 1 GiB
// peak RSS 133 MiB (was 223 at 40 bytes), 256 MiB 58-63 MiB (was 79-89);
// CPU unchanged within the noise of a loaded machine.
func BenchmarkReviewAuthLog(b *testing.B) {
	mib := int64(1024)
	if v := os.Getenv(benchSizeEnv); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number of MiB", benchSizeEnv, v)
		}
		mib = n
	}
	root := b.TempDir()
	logDir := filepath.Join(root, "var", "log")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(logDir, "auth.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := parse.WriteSyntheticAuthLog(f, mib<<20, 1); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	// The synthetic log starts 2026-11-01 UTC and spans about two weeks.
	start, end, _ := ParsePeriod("2026-11", time.UTC)
	p := policy.Default()
	p.Timezone = "UTC"
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cpu0, wall0 := cpuSelf(), time.Now()
		out, err := Run(context.Background(), Options{
			Period: "2026-11", Policy: p, OutDir: filepath.Join(b.TempDir(), "out"), NoPDF: true, ToolVersion: "bench",
			Read: FilesReader(source.FileOptions{Root: root, Start: start, End: end, Zone: time.UTC}),
		})
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(wall0), cpuSelf()-cpu0
		var recs int64
		for _, in := range out.Report.Inputs {
			recs += in.Records
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		fmt.Printf("logwarden review: %d MiB, %d records: wall %.1f s, cpu %.1f s, peak RSS %d MiB (test process), load average %s\n",
			st.Size()>>20, recs, wall.Seconds(), cpu.Seconds(), maxRSSSelf()>>20, loadAverage())
	}
	b.StopTimer()
	lw, err := exec.LookPath("logwatch")
	if err != nil {
		fmt.Println("logwatch: not installed (Debian package logwatch); no comparison")
		return
	}
	timeout := 10 * time.Minute
	if v := os.Getenv(logwatchTimeoutEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			timeout = d
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, lw, "--logdir", logDir, "--service", "sshd", "--service", "pam_unix", "--service", "sudo",
		"--range", "All", "--detail", "10", "--output", "stdout", "--format", "text",
		// --numeric: without it the sshd script reverse-resolves every address
		// and, with no network, stalls for minutes on lookup timeouts.
		"--numeric")
	cmd.Stdout, cmd.Stderr = nil, nil
	// logwatch runs a pipeline of perl scripts: kill the whole group on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cpu0, wall0 := childrenCPU(), time.Now()
	err = cmd.Run()
	wall, cpu := time.Since(wall0), childrenCPU()-cpu0
	if ctx.Err() != nil {
		fmt.Printf("logwatch (sshd, pam_unix, sudo): did not finish within %s (%s=DURATION to wait longer)\n", timeout, logwatchTimeoutEnv)
		return
	}
	if err != nil {
		fmt.Printf("logwatch: %v\n", err)
		return
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("logwatch (sshd, pam_unix, sudo): wall %.1f s, cpu %.1f s (with its perl children), peak RSS %d MiB (largest process)\n",
		wall.Seconds(), cpu.Seconds(), ru.Maxrss>>10)
}

// logwatchTimeoutEnv bounds the logwatch run (a Go duration, default 10m).
const logwatchTimeoutEnv = "LOGWARDEN_LOGWATCH_TIMEOUT"

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the 1-minute load average ("?" when unknown): on a shared
// machine wall time depends on it, CPU time much less.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// maxRSSSelf is the peak resident set of this process in bytes.
func maxRSSSelf() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10
}
