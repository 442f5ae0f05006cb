package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/selflog"
	"github.com/logwarden/logwarden/internal/server"
)

// upFlushInterval, with the agent's 1 s multi-line quiet period, makes a
// line written to a system log visible in the local server within about two
// seconds: a local server has no request cost worth batching for.
const upFlushInterval = 1

// upRegion is the region `up` signs with; the local server accepts any.
const upRegion = "us-east-1"

// systemLogs are the logs `up` collects when they exist: the seed's list for
// Amazon Linux / RHEL and Debian / Ubuntu. Each is a glob so that a host whose
// current file is missing but whose rotated files exist is still covered (the
// newest match is followed, as the CloudWatch Agent does).
var systemLogs = []string{
	"messages", "secure", "cron", "boot.log", "dmesg", "maillog",
	"cloud-init-output.log", "syslog", "auth.log", "kern.log",
	// Binary login records, shipped as one JSON line per record (U-43 asks
	// for them, and they rotate away within a month or two).
	"wtmp", "btmp", "lastlog",
}

const upUsage = `Usage: logwarden up [--listen 127.0.0.1:4586] [--data DIR] [-c CONFIG]

Starts the embedded CloudWatch Logs server with its data in DIR and an agent that
ships this host's system logs to it (or the files of CONFIG), then prints how to read
them with the AWS CLI. Ctrl-C stops both: the agent first, after it delivered what it read.

Flags:
`

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", server.DefaultListen, "address of the CloudWatch Logs API")
	dataDir := fs.String("data", server.DefaultDataDir(), "directory of the server's store")
	varLog := fs.String("var-log", "/var/log", "directory holding the system logs to collect")
	var f agentFlags
	fs.Var(&f.configs, "c", "CloudWatch Agent JSON config to run instead of the built-in one (repeatable)")
	f.register(fs)
	fs.Usage = func() { fmt.Fprint(stderr, upUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("up: unexpected argument %q", fs.Arg(0))}
	}
	if !flagSet(fs, "state-dir") {
		f.stateDir = filepath.Join(*dataDir, "agent-state")
	}
	f.mode = "onPremise" // up never asks EC2 instance metadata
	if !flagSet(fs, "import-cwagent-state") {
		f.importState = "" // up starts its own history
	}

	var cfg *config.Config
	var found []string
	var err error
	if len(f.configs) > 0 {
		if cfg, err = config.Load(f.configs...); err != nil {
			return err
		}
	} else {
		data, names := builtinConfig(*varLog)
		found = names
		if cfg, err = config.Parse(data, "built-in config"); err != nil {
			return fmt.Errorf("up: built-in config: %w", err)
		}
	}

	lvl, off, err := selflog.ParseLevel(f.logLevel)
	if err != nil {
		return usageError{"--log-level: " + err.Error()}
	}
	srvLog := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	if off {
		srvLog = slog.New(slog.DiscardHandler)
	}
	srvCtx, stopServer := context.WithCancel(context.Background())
	defer stopServer()
	ready := make(chan string, 1)
	srvDone := make(chan error, 1)
	go func() {
		srvDone <- server.Run(srvCtx, server.Options{Listen: *listen, DataDir: *dataDir, Logger: srvLog.With("part", "server")},
			func(addr string) { ready <- addr })
	}()
	var url string
	select {
	case addr := <-ready:
		url = "http://" + addr
	case err := <-srvDone:
		return fmt.Errorf("up: server: %w", err)
	case <-ctx.Done():
		stopServer()
		return <-srvDone
	}

	printUpBanner(stdout, url, *dataDir, cfg, found, *varLog, len(f.configs) > 0)

	var wg sync.WaitGroup
	agentErr := error(nil)
	if cfg.Logs != nil && cfg.Logs.LogsCollected.Files != nil && len(cfg.Logs.LogsCollected.Files.CollectList) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agentErr = runAgentConfig(ctx, cfg, f, &agentEndpoint{url: url, region: upRegion}, stderr)
		}()
	}
	select {
	case <-ctx.Done():
	case err := <-srvDone:
		// The server stopped on its own: stop the agent too.
		stopServer()
		wg.Wait()
		return fmt.Errorf("up: server stopped: %w", err)
	}
	wg.Wait() // the agent delivers what it read before the server goes away
	stopServer()
	srvErr := <-srvDone
	return errors.Join(agentErr, srvErr)
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// builtinConfig is a CloudWatch Agent config collecting the system logs that
// exist under varLog, each into a log group named after its /var/log path.
func builtinConfig(varLog string) ([]byte, []string) {
	var list []map[string]any
	var names []string
	for _, name := range systemLogs {
		pattern := filepath.Join(varLog, name) + "*"
		matches, _ := filepath.Glob(pattern)
		if !hasFile(matches) {
			continue
		}
		names = append(names, name)
		list = append(list, map[string]any{
			"file_path":      pattern,
			"log_group_name": "/var/log/" + name,
		})
	}
	cfg := map[string]any{"agent": map[string]any{"logfile": ""}}
	if len(list) > 0 {
		cfg["logs"] = map[string]any{
			"force_flush_interval": upFlushInterval,
			"logs_collected":       map[string]any{"files": map[string]any{"collect_list": list}},
		}
	}
	data, _ := json.MarshalIndent(cfg, "", "  ")
	return data, names
}

func hasFile(paths []string) bool {
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

func printUpBanner(w io.Writer, url, dataDir string, cfg *config.Config, found []string, varLog string, custom bool) {
	fmt.Fprintf(w, "logwarden up: CloudWatch Logs API on %s, data in %s\n", url, dataDir)
	var groups []string
	if cfg.Logs != nil && cfg.Logs.LogsCollected.Files != nil {
		for _, e := range cfg.Logs.LogsCollected.Files.CollectList {
			g := e.LogGroupName
			if g == "" {
				g = config.DefaultGroupName(e.FilePath)
			}
			groups = append(groups, g)
			fmt.Fprintf(w, "  collecting %s -> log group %s\n", e.FilePath, g)
		}
	}
	if len(groups) == 0 {
		if custom {
			fmt.Fprintln(w, "  the config collects no files: serving the API only")
		} else {
			fmt.Fprintf(w, "  none of the usual system logs exist under %s: serving the API only\n", varLog)
		}
		groups = []string{"/var/log/syslog"}
	}
	fmt.Fprintln(w, "Read them with the AWS CLI (any key works against this server):")
	fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=logwarden AWS_SECRET_ACCESS_KEY=logwarden AWS_REGION=%s\n", upRegion)
	fmt.Fprintf(w, "  aws logs describe-log-groups --endpoint-url %s\n", url)
	fmt.Fprintf(w, "  aws logs tail %s --endpoint-url %s --follow\n", groups[0], url)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
