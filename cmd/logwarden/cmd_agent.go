package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/logwarden/logwarden/internal/agent"
	"github.com/logwarden/logwarden/internal/checkpoint"
	"github.com/logwarden/logwarden/internal/cloudwatch"
	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/ctl"
	"github.com/logwarden/logwarden/internal/fsutil"
	"github.com/logwarden/logwarden/internal/gctune"
	"github.com/logwarden/logwarden/internal/hostinfo"
	"github.com/logwarden/logwarden/internal/memtrim"
	"github.com/logwarden/logwarden/internal/pipeline"
	"github.com/logwarden/logwarden/internal/selflog"
)

// pipelineCloseTimeout bounds the pipeline's close after the agent stopped.
// The agent has already given the pipeline its stop timeout to deliver what
// was read, so this is only a last moment for a batch still being answered;
// what is not acknowledged by then is read again from the checkpoint at the
// next start. (It was 30 s on top of the stop timeout: a stop during an
// outage took 45 s.)
const pipelineCloseTimeout = 3 * time.Second

const agentUsage = `Usage: logwarden agent -c CONFIG [-c CONFIG ...] [--state-dir DIR] [--mode auto|ec2|onPremise]

Runs the logs section of an Amazon CloudWatch Agent JSON config in the foreground:
every collect_list file is shipped to CloudWatch Logs (or to logs.endpoint_override).
-c may be given several times, or name a .d directory; the files are merged as the
CloudWatch Agent merges them. Checkpoints advance only when the destination accepted
the events, so a restart resumes exactly where it stopped.

Flags:
`

// agentFlags are the flags agent and up share.
type agentFlags struct {
	configs   stringList
	stateDir  string
	mode      string
	logfile   string
	logLevel  string
	envConfig string
	pidfile   string
	// multilineQuiet is how long a pending multi-line event waits for a
	// continuation line before it is sent.
	multilineQuiet time.Duration
	// importState is the CloudWatch Agent's state folder read on a first start.
	importState string
}

func (f *agentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stateDir, "state-dir", checkpoint.DefaultStateDir(), "directory for checkpoints")
	fs.StringVar(&f.mode, "mode", "auto", "ec2 (use instance metadata), onPremise/onPrem (never), or auto")
	fs.StringVar(&f.logfile, "logfile", "", "write the agent's own log here (rotated by size); default: agent.logfile, else stderr")
	fs.StringVar(&f.logLevel, "log-level", "", "DEBUG, INFO, WARN, ERROR or OFF (default INFO, DEBUG with agent.debug)")
	fs.StringVar(&f.envConfig, "env-config", "", "env-config.json written by `logwarden ctl` (log level, set-env)")
	fs.StringVar(&f.pidfile, "pidfile", "", "write the process id here")
	fs.StringVar(&f.importState, "import-cwagent-state", checkpoint.CWAgentStateDir, "on a first start (empty --state-dir), resume each file where the CloudWatch Agent's state files say it stopped; \"\" disables")
	fs.DurationVar(&f.multilineQuiet, "multiline-quiet", defaultMultilineQuiet, "send a pending multi-line event after this long without a continuation line")
}

func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f agentFlags
	fs.Var(&f.configs, "c", "CloudWatch Agent JSON config file or .d directory (repeatable)")
	f.register(fs)
	fs.Usage = func() { fmt.Fprint(stderr, agentUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(f.configs) == 0 {
		return usageError{"agent: -c CONFIG is required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("agent: unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := config.Load(f.configs...)
	if err != nil {
		return err
	}
	return runAgentConfig(ctx, cfg, f, nil, stderr)
}

// agentEndpoint, when not nil, points the agent at a local server with static
// credentials (logwarden up) instead of the config's endpoint and AWS.
type agentEndpoint struct {
	url    string
	region string
}

// runAgentConfig runs an agent for cfg until ctx ends.
func runAgentConfig(ctx context.Context, cfg *config.Config, f agentFlags, local *agentEndpoint, stderr io.Writer) error {
	env, err := ctl.ReadEnvFile(f.envConfig)
	if err != nil {
		return err
	}
	for k, v := range env {
		if k != "CWAGENT_LOG_LEVEL" {
			os.Setenv(k, v)
		}
	}
	level := f.logLevel
	if level == "" {
		level = env["CWAGENT_LOG_LEVEL"]
	}
	if level == "" && cfg.Agent.Debug {
		level = "DEBUG"
	}
	lvl, off, err := selflog.ParseLevel(level)
	if err != nil {
		return usageError{err.Error()}
	}
	logPath := f.logfile
	if logPath == "" && cfg.Agent.Logfile != nil {
		logPath = *cfg.Agent.Logfile
	}
	log, closer, err := selflog.New(logPath, lvl, off, stderr)
	if err != nil {
		return err
	}
	defer closer.Close()

	for _, n := range cfg.Notices {
		log.Info("config notice", "notice", n)
	}
	if local == nil {
		// The agent alone: its heap is bounded, so collect against a limit
		// (logwarden up shares the process with the server's store).
		gctune.Start(ctx, log.With("part", "gc"))
	}
	onPrem, err := resolveMode(ctx, f.mode)
	if err != nil {
		return err
	}
	info := hostinfo.Detect(ctx, onPrem)
	sources, err := cfg.Sources(info, onPrem)
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return errors.New("agent: the config collects no files (logs.logs_collected.files.collect_list is empty)")
	}
	cwCfg := cloudwatch.Config{RoleARN: cfg.RoleARN(), OnPrem: onPrem, UserAgent: "logwarden/" + Version}
	if cfg.Logs != nil {
		cwCfg.Endpoint = cfg.Logs.EndpointOverride
	}
	if r, err := cfg.Region(info); err == nil {
		cwCfg.Region = r
	}
	if local != nil {
		cwCfg.Endpoint, cwCfg.Region, cwCfg.RoleARN = local.url, local.region, ""
		cwCfg.StaticCredentials = &aws.Credentials{AccessKeyID: "logwarden", SecretAccessKey: "logwarden", Source: "logwarden up"}
	}
	cw, err := cloudwatch.New(ctx, cwCfg)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	concurrency := 1
	if cfg.Logs != nil && cfg.Logs.Concurrency > 1 {
		concurrency = cfg.Logs.Concurrency
	}
	pl := pipeline.New(cw, pipeline.Options{FlushInterval: cfg.FlushInterval(), Concurrency: concurrency, Logger: log.With("part", "pipeline")})
	ag, err := agent.New(agent.Options{Sources: sources, StateDir: f.stateDir, Sink: pl, Logger: log.With("part", "agent"),
		MultiLineFlush: f.multilineQuiet, ImportCWAgentState: f.importState})
	if err != nil {
		pl.Close(context.Background())
		return err
	}
	if f.pidfile != "" {
		if err := fsutil.WriteFileAtomic(f.pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("write pid file: %w", err)
		}
		defer os.Remove(f.pidfile)
	}
	log.Info("agent started", "version", Version, "files", len(sources), "region", cw.Region(),
		"endpoint", cwCfg.Endpoint, "state", ag.StatePath(), "mode", map[bool]string{true: "onPremise", false: "ec2"}[onPrem])
	go trimWhenIdle(ctx, func() int64 { return pl.Stats().Events }, log)
	runErr := ag.Run(ctx)
	closeCtx, cancel := context.WithTimeout(context.Background(), pipelineCloseTimeout)
	defer cancel()
	if err := pl.Close(closeCtx); err != nil {
		log.Warn("pipeline close", "err", err)
	}
	st := pl.Stats()
	log.Info("agent stopped", "events", st.Events, "batches", st.Batches, "bytes", st.Bytes, "retries", st.Retries,
		"rejected_too_old", st.RejectedTooOld, "rejected_too_new", st.RejectedTooNew, "rejected_expired", st.RejectedExpired,
		"dropped_invalid", st.DroppedInvalid)
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return nil
}

// defaultMultilineQuiet is how long the last event of a quiet file waits for
// a continuation line. The CloudWatch Agent waits about 5 s
// (decode.DefaultFlushQuiet); a program writes one multi-line event (a stack
// trace) within milliseconds, so 1 s keeps events whole and makes the last
// line of a burst visible 4 s sooner.
const defaultMultilineQuiet = time.Second

// idleCheck is how often the agent looks whether it went idle; after
// idleChecks quiet checks it gives memory back (see memtrim).
const (
	idleCheck  = 5 * time.Second
	idleChecks = 2
)

// trimWhenIdle releases freed heap and touched executable pages while the
// event count stands still, so an idle agent holds little memory. It trims at
// every idle check (a few hundred microseconds each), because the idle
// agent's own scans map some code back in.
func trimWhenIdle(ctx context.Context, events func() int64, log *slog.Logger) {
	t := time.NewTicker(idleCheck)
	defer t.Stop()
	last, quiet := events(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := events(); n != last {
			last, quiet = n, 0
			continue
		}
		quiet++
		if quiet >= idleChecks {
			res, err := memtrim.Trim()
			if quiet == idleChecks {
				log.Debug("idle: memory released", "mappings", res.Mappings, "reclaimed", res.Reclaimed, "err", err)
			}
		}
	}
}

// resolveMode maps --mode to onPrem; auto asks instance metadata (unless it is
// disabled) whether this is EC2.
func resolveMode(ctx context.Context, mode string) (onPrem bool, err error) {
	switch mode {
	case "ec2":
		return false, nil
	case "onPremise", "onPrem":
		return true, nil
	case "auto", "":
		switch {
		case os.Getenv("RUN_IN_AWS") == "True":
			return false, nil
		case strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true"):
			return true, nil
		}
		return !hostinfo.Detect(ctx, false).OnEC2, nil
	}
	return false, usageError{fmt.Sprintf("--mode %q: want ec2, onPremise, onPrem or auto", mode)}
}
