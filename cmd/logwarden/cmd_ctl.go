package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/logwarden/logwarden/internal/ctl"
)

const ctlUsage = `Usage: logwarden ctl -a ACTION [-m ec2|onPremise|onPrem|auto] [-c default|all|file:PATH] [-s] [-l LEVEL] [-e KEY=VALUE] [--root DIR]

The same actions and flags as amazon-cloudwatch-agent-ctl:
  -a fetch-config   install a config, replacing all others (-c file:PATH or default)
  -a append-config  add a config beside the others
  -a remove-config  remove one config (-c file:PATH) or all (-c all)
  -a start | stop | status
  -a set-log-level  -l INFO|DEBUG|WARN|ERROR|OFF
  -a set-env        -e KEY=VALUE
  -s                restart the agent after fetch/append/remove
Configs, logs and state live under --root (default /opt/logwarden as root,
~/.local/share/logwarden/ctl otherwise; env LOGWARDEN_CTL_ROOT).
The agent runs as the systemd unit logwarden.service where systemd runs, else as a
detached process with a pid file (force with LOGWARDEN_CTL_SUPERVISOR=process).
`

func runCtl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, ctlUsage) }
	var o ctl.Options
	fs.StringVar(&o.Action, "a", "", "action")
	fs.StringVar(&o.Mode, "m", "ec2", "mode")
	fs.StringVar(&o.Config, "c", "", "config source")
	fs.BoolVar(&o.Restart, "s", false, "restart after changing the config")
	fs.Bool("d", false, "dual-stack endpoints (accepted for compatibility; no effect)")
	fs.StringVar(&o.LogLevel, "l", "", "log level for set-log-level")
	fs.StringVar(&o.Env, "e", "", "KEY=VALUE for set-env")
	root := fs.String("root", defaultCtlRoot(), "directory for configs, logs and state")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Action == "" {
		fs.Usage()
		return exitError{code: 1}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	o.Layout = ctl.Layout{Root: *root}
	o.Version = Version
	if os.Getenv("LOGWARDEN_CTL_SUPERVISOR") != "process" && os.Geteuid() == 0 && ctl.SystemdRunning() {
		o.Supervisor = ctl.Systemd{Exe: exe}
	} else {
		o.Supervisor = ctl.Process{Exe: exe}
	}
	err = ctl.Run(ctx, o, stdout)
	var ue *ctl.UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s\n\n%s", ue.Msg, ctlUsage)
		return exitError{code: 1}
	}
	return err
}

func defaultCtlRoot() string {
	if r := os.Getenv("LOGWARDEN_CTL_ROOT"); r != "" {
		return r
	}
	if os.Geteuid() == 0 {
		return ctl.DefaultRoot
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "logwarden", "ctl")
	}
	return ctl.DefaultRoot
}
