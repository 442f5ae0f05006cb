// Command agent is the end-to-end benchmark of `logwarden agent`: it generates
// a syslog-style file, then measures, one after the other on the same file,
// `cat FILE > /dev/null`, logwarden into a null CloudWatch Logs endpoint (plain
// HTTP and TLS), logwarden into `logwarden server`, and each peer agent whose
// binary is given (Fluent Bit, amazon-cloudwatch-agent). Every run must deliver
// every line exactly once and in order; the results are printed as a Markdown
// table with ratios against cat and against the peers.
//
// Usage:
//
//	go run ./bench/agent -logwarden BIN [-size 1GiB | -lines N] [-runs LIST] [-out FILE]
//
// Peers are taken from the environment only:
//
//	LOGWARDEN_BENCH_FLUENTBIT            path of a fluent-bit binary
//	LOGWARDEN_BENCH_CWAGENT              path of an amazon-cloudwatch-agent binary
//	LOGWARDEN_BENCH_CWAGENT_TRANSLATOR   its config-translator (default: beside it)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environment variables naming the peer binaries.
const (
	envFluentBit  = "LOGWARDEN_BENCH_FLUENTBIT"
	envCWAgent    = "LOGWARDEN_BENCH_CWAGENT"
	envTranslator = "LOGWARDEN_BENCH_CWAGENT_TRANSLATOR"
)

// Defaults of the driver.
const (
	defaultSize    = "1GiB"
	defaultRuns    = "cat,null,null-tls,server,fluentbit,cwagent"
	defaultIdle    = 10 * time.Second // how long a drained agent idles before its RSS is read
	defaultStall   = 60 * time.Second // no new event for this long fails a run
	defaultTimeout = 30 * time.Minute // a whole run's limit
	// flushSeconds is the force_flush_interval (and Fluent Bit's Flush) of
	// every agent, so that the last partial batch costs all of them alike.
	flushSeconds = 1
)

type options struct {
	logwarden string
	size      string
	lines     int64
	file      string
	workDir   string
	keep      bool
	runs      string
	idle      time.Duration
	stall     time.Duration
	timeout   time.Duration
	out       string
	verify    bool
}

func main() {
	var o options
	flag.StringVar(&o.logwarden, "logwarden", "", "path of the logwarden binary (runs needing it are skipped without it)")
	flag.StringVar(&o.size, "size", defaultSize, "size of the generated file (e.g. 64MiB, 1GiB); ignored with -lines")
	flag.Int64Var(&o.lines, "lines", 0, "number of lines of the generated file instead of -size")
	flag.StringVar(&o.file, "file", "", "reuse this file instead of generating one (its lines must end in seq=N)")
	flag.StringVar(&o.workDir, "work", "", "work directory (default: a new temporary one)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.StringVar(&o.runs, "runs", defaultRuns, "comma-separated runs: cat,null,null-tls,server,fluentbit,cwagent")
	flag.DurationVar(&o.idle, "idle", defaultIdle, "idle time after the backlog is drained before idle RSS is read")
	flag.DurationVar(&o.stall, "stall", defaultStall, "fail a run when no event arrives for this long")
	flag.DurationVar(&o.timeout, "timeout", defaultTimeout, "limit of one run")
	flag.StringVar(&o.out, "out", "", "also write the Markdown report to this file")
	flag.BoolVar(&o.verify, "verify", true, "read everything back from logwarden server and check it event by event")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	work := o.workDir
	if work == "" {
		d, err := os.MkdirTemp("", "logwarden-bench-")
		if err != nil {
			return fmt.Errorf("make work dir: %w", err)
		}
		work = d
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("make work dir: %w", err)
	}
	if !o.keep && o.workDir == "" {
		defer os.RemoveAll(work)
	}
	file, err := prepareFile(o, work)
	if err != nil {
		return err
	}
	b, err := newBench(work, file, o)
	if err != nil {
		return err
	}
	defer b.close()
	var results []result
	for _, name := range strings.Split(o.runs, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		slog.Info("run", "name", name, "file", file.Path, "bytes", file.Bytes, "lines", file.Lines)
		rs := b.runNamed(ctx, name)
		for _, r := range rs {
			switch {
			case r.Err != "":
				slog.Error("run failed", "name", r.Name, "err", r.Err)
			case r.Skipped != "":
				slog.Warn("run skipped", "name", r.Name, "why", r.Skipped)
			default:
				slog.Info("run done", "name", r.Name, "wall", r.Wall, "cpu", r.CPU, "peak_rss", r.HWM, "idle_rss", r.IdleRSS)
			}
		}
		results = append(results, rs...)
	}
	md := markdown(file, results)
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// prepareFile generates the input file, or describes the one given.
func prepareFile(o options, work string) (genResult, error) {
	if o.file != "" {
		return describe(o.file)
	}
	spec := genSpec{Lines: o.lines, Seed: 1}
	if o.lines <= 0 {
		n, err := parseSize(o.size)
		if err != nil {
			return genResult{}, err
		}
		spec.Bytes = n
	}
	path := filepath.Join(work, "syslog.log")
	t0 := time.Now()
	g, err := generate(path, spec)
	if err != nil {
		return genResult{}, err
	}
	slog.Info("generated", "path", g.Path, "bytes", g.Bytes, "lines", g.Lines, "took", time.Since(t0).Round(time.Millisecond))
	return g, nil
}

// parseSize parses sizes like 1GiB, 64MiB, 500MB, 1048576.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f <= 0 {
				return 0, fmt.Errorf("parse size %q: not a positive number", s)
			}
			return int64(f * float64(u.mult)), nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("parse size %q: not a positive number", s)
	}
	return n, nil
}
