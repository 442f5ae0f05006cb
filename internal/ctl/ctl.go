// Package ctl implements the actions of amazon-cloudwatch-agent-ctl for
// logwarden: fetch-config, append-config, remove-config, start, stop, status,
// set-log-level and set-env, with the same flags and the same status JSON, so
// that runbooks written for the CloudWatch Agent keep working.
//
// The layout under Root mirrors the original's installation directory:
//
//	etc/amazon-cloudwatch-agent.d/   the JSON configs the agent runs (merged)
//	etc/env-config.json              environment for the agent (log level, set-env)
//	etc/ctl.json                     the mode given at the last fetch/append
//	logs/logwarden.log               the agent's own log
//	logs/state/                      checkpoints
//	var/logwarden.pid                the running agent's pid (process supervisor)
package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/fsutil"
)

// DefaultRoot is where ctl keeps configs, logs and state when run as root.
const DefaultRoot = "/opt/logwarden"

// Actions are the -a values amazon-cloudwatch-agent-ctl accepts that logwarden implements.
var Actions = []string{"fetch-config", "append-config", "remove-config", "start", "stop", "status",
	"set-log-level", "set-env", "prep-restart", "cond-restart", "preun"}

// Modes are the -m values; onPrem and onPremise are the same mode.
var Modes = []string{"ec2", "onPremise", "onPrem", "auto"}

// LogLevels are the -l values of set-log-level.
var LogLevels = []string{"INFO", "DEBUG", "WARN", "ERROR", "OFF"}

// Layout names the files under one ctl root.
type Layout struct{ Root string }

// ConfigDir is the .d directory of merged JSON configs.
func (l Layout) ConfigDir() string { return filepath.Join(l.Root, "etc", "amazon-cloudwatch-agent.d") }

// EnvConfig is the env-config.json path.
func (l Layout) EnvConfig() string { return filepath.Join(l.Root, "etc", "env-config.json") }

// ModeFile records the mode given at the last fetch-config or append-config.
func (l Layout) ModeFile() string { return filepath.Join(l.Root, "etc", "ctl.json") }

// LogFile is the agent's own log.
func (l Layout) LogFile() string { return filepath.Join(l.Root, "logs", "logwarden.log") }

// StateDir holds the agent's checkpoints.
func (l Layout) StateDir() string { return filepath.Join(l.Root, "logs", "state") }

// PidFile holds the running agent's pid.
func (l Layout) PidFile() string { return filepath.Join(l.Root, "var", "logwarden.pid") }

// RestartFile is touched by prep-restart and consumed by cond-restart.
func (l Layout) RestartFile() string { return filepath.Join(l.Root, "etc", "restart") }

// Options are one ctl invocation.
type Options struct {
	Action   string
	Mode     string // ec2 (default), onPremise, onPrem, auto
	Config   string // -c: default, all, file:PATH, ssm:NAME
	Restart  bool   // -s
	LogLevel string // -l
	Env      string // -e KEY=VALUE
	Layout   Layout
	// Supervisor starts and stops the agent (systemd, or a detached process).
	Supervisor Supervisor
	Version    string
}

// Supervisor runs the agent in the background.
type Supervisor interface {
	// Start starts the agent with the given mode; it is a no-op when it already runs.
	Start(ctx context.Context, l Layout, mode string) error
	// Stop stops the agent and waits until it has exited; no-op when stopped.
	Stop(ctx context.Context, l Layout) error
	// Status reports whether the agent runs and since when.
	Status(l Layout) (running bool, since time.Time, err error)
}

// Status is the JSON that `-a status` prints, as the original prints it.
type Status struct {
	Status       string `json:"status"`
	StartTime    string `json:"starttime"`
	ConfigStatus string `json:"configstatus"`
	Version      string `json:"version"`
}

// UsageError is a bad flag or value: the caller prints the usage and exits 1.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Run performs one action.
func Run(ctx context.Context, o Options, stdout io.Writer) error {
	if o.Mode == "" {
		o.Mode = "ec2"
	}
	if !contains(Actions, o.Action) {
		return &UsageError{fmt.Sprintf("invalid action %q: want one of %s", o.Action, strings.Join(Actions, ", "))}
	}
	if !contains(Modes, o.Mode) {
		return &UsageError{fmt.Sprintf("invalid mode %q: want one of %s", o.Mode, strings.Join(Modes, ", "))}
	}
	l := o.Layout
	switch o.Action {
	case "fetch-config", "append-config", "remove-config":
		if err := changeConfig(o, stdout); err != nil {
			return err
		}
		if o.Restart {
			if err := o.Supervisor.Stop(ctx, l); err != nil {
				return err
			}
			if configured(l) {
				return o.Supervisor.Start(ctx, l, savedMode(l, o.Mode))
			}
			fmt.Fprintln(stdout, "No configuration left: the agent stays stopped.")
		}
		return nil
	case "start":
		if !configured(l) {
			return fmt.Errorf("start: no configuration in %s: run -a fetch-config first", l.ConfigDir())
		}
		return o.Supervisor.Start(ctx, l, savedMode(l, o.Mode))
	case "stop", "preun":
		return o.Supervisor.Stop(ctx, l)
	case "status":
		return printStatus(o, stdout)
	case "set-log-level":
		if !contains(LogLevels, o.LogLevel) {
			return &UsageError{fmt.Sprintf("invalid log level %q: want one of %s", o.LogLevel, strings.Join(LogLevels, ", "))}
		}
		return setEnv(l, "CWAGENT_LOG_LEVEL", o.LogLevel)
	case "set-env":
		k, v, ok := strings.Cut(o.Env, "=")
		if !ok || k == "" {
			return &UsageError{fmt.Sprintf("invalid -e %q: want KEY=VALUE", o.Env)}
		}
		return setEnv(l, k, v)
	case "prep-restart":
		if running, _, _ := o.Supervisor.Status(l); running {
			return fsutil.WriteFileAtomic(l.RestartFile(), nil, 0o644)
		}
		return nil
	case "cond-restart":
		if _, err := os.Stat(l.RestartFile()); err != nil {
			return nil
		}
		if err := o.Supervisor.Start(ctx, l, savedMode(l, o.Mode)); err != nil {
			return err
		}
		return os.Remove(l.RestartFile())
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// configured reports whether the .d directory holds at least one config.
func configured(l Layout) bool {
	names, _ := configNames(l)
	return len(names) > 0
}

func configNames(l Layout) ([]string, error) {
	ents, err := os.ReadDir(l.ConfigDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config dir: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".tmp") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// targetName is the file name a -c source is stored under, as the original
// names it: file:PATH becomes file_<base name with / space : as _>.
func targetName(src string) (kind, arg, name string, err error) {
	kind, arg, _ = strings.Cut(src, ":")
	switch kind {
	case "file":
		if arg == "" {
			return "", "", "", &UsageError{"-c file: needs a path"}
		}
		r := strings.NewReplacer("/", "_", " ", "_", ":", "_")
		return kind, arg, "file_" + r.Replace(filepath.Base(arg)), nil
	case "default":
		return kind, arg, "default", nil
	case "all":
		return kind, arg, "", nil
	case "ssm":
		return "", "", "", fmt.Errorf("-c %s: ssm parameters are not supported by logwarden; fetch the parameter yourself and pass file:PATH", src)
	}
	return "", "", "", &UsageError{fmt.Sprintf("invalid -c %q: want default, all, file:PATH or ssm:NAME", src)}
}

func changeConfig(o Options, stdout io.Writer) error {
	l := o.Layout
	if o.Config == "" {
		o.Config = "default"
	}
	kind, arg, name, err := targetName(o.Config)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(l.ConfigDir(), 0o755); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	if o.Action == "remove-config" {
		return removeConfig(l, kind, name, stdout)
	}
	var data []byte
	switch kind {
	case "file":
		data, err = os.ReadFile(arg)
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
	case "default":
		data = DefaultConfig()
	case "all":
		return &UsageError{"-c all is only valid with remove-config"}
	}
	// Validate the config as it will run: merged with what stays in the .d dir.
	keep, err := configNames(l)
	if err != nil {
		return err
	}
	var paths []string
	if o.Action == "append-config" {
		for _, n := range keep {
			if n != name {
				paths = append(paths, filepath.Join(l.ConfigDir(), n))
			}
		}
	}
	// Errors name the operator's file, not the copy being installed.
	check := arg
	if kind != "file" {
		check = filepath.Join(l.ConfigDir(), name+".tmp")
		if err := fsutil.WriteFileAtomic(check, data, 0o644); err != nil {
			return fmt.Errorf("write config: %w", err)
		}
		defer os.Remove(check)
	}
	if _, err := config.Load(append(paths, check)...); err != nil {
		return fmt.Errorf("configuration validation failed:\n%w", err)
	}
	tmp := filepath.Join(l.ConfigDir(), name+".tmp")
	if err := fsutil.WriteFileAtomic(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if o.Action == "fetch-config" {
		for _, n := range keep {
			if n != name {
				if err := os.Remove(filepath.Join(l.ConfigDir(), n)); err != nil {
					return fmt.Errorf("remove old config: %w", err)
				}
			}
		}
	}
	if err := os.Rename(tmp, filepath.Join(l.ConfigDir(), name)); err != nil {
		return fmt.Errorf("install config: %w", err)
	}
	if err := fsutil.SyncDir(l.ConfigDir()); err != nil {
		return err
	}
	mode, _ := json.Marshal(map[string]string{"mode": o.Mode})
	if err := fsutil.WriteFileAtomic(l.ModeFile(), mode, 0o644); err != nil {
		return fmt.Errorf("write mode: %w", err)
	}
	fmt.Fprintf(stdout, "Configuration validation succeeded: %s installed as %s\n", o.Config, filepath.Join(l.ConfigDir(), name))
	return nil
}

func removeConfig(l Layout, kind, name string, stdout io.Writer) error {
	names, err := configNames(l)
	if err != nil {
		return err
	}
	var remove []string
	if kind == "all" {
		remove = names
	} else {
		remove = []string{name}
	}
	for _, n := range remove {
		if err := os.Remove(filepath.Join(l.ConfigDir(), n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove config: %w", err)
		}
	}
	if err := fsutil.SyncDir(l.ConfigDir()); err != nil {
		return err
	}
	if !configured(l) {
		fmt.Fprintln(stdout, "All logwarden configurations have been removed.")
	}
	return nil
}

// savedMode is the mode recorded at the last fetch/append, else fallback.
func savedMode(l Layout, fallback string) string {
	data, err := os.ReadFile(l.ModeFile())
	if err != nil {
		return fallback
	}
	var m struct {
		Mode string `json:"mode"`
	}
	if json.Unmarshal(data, &m) != nil || m.Mode == "" {
		return fallback
	}
	return m.Mode
}

func printStatus(o Options, stdout io.Writer) error {
	running, since, err := o.Supervisor.Status(o.Layout)
	if err != nil {
		return err
	}
	st := Status{Status: "stopped", ConfigStatus: "not configured", Version: o.Version}
	if running {
		st.Status = "running"
		st.StartTime = since.UTC().Format("2006-01-02T15:04:05-07:00")
	}
	if configured(o.Layout) {
		st.ConfigStatus = "configured"
	}
	out, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(out))
	return err
}

// ReadEnv returns the env-config.json variables of a layout.
func ReadEnv(l Layout) (map[string]string, error) { return ReadEnvFile(l.EnvConfig()) }

// ReadEnvFile returns the variables of an env-config.json; a missing file
// (or path "") has none.
func ReadEnvFile(path string) (map[string]string, error) {
	env := map[string]string{}
	if path == "" {
		return env, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return env, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read env config: %w", err)
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("parse env config %s: %w", path, err)
	}
	return env, nil
}

func setEnv(l Layout, k, v string) error {
	env, err := ReadEnv(l)
	if err != nil {
		return err
	}
	env[k] = v
	data, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.EnvConfig()), 0o755); err != nil {
		return fmt.Errorf("create etc dir: %w", err)
	}
	return fsutil.WriteFileAtomic(l.EnvConfig(), data, 0o644)
}

// DefaultConfig is the config `-c default` installs: the seed's system logs,
// each to a log group of the same name.
func DefaultConfig() []byte {
	return []byte(`{
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          {"file_path": "/var/log/messages", "log_group_name": "/var/log/messages"},
          {"file_path": "/var/log/secure", "log_group_name": "/var/log/secure"}
        ]
      }
    }
  }
}
`)
}
