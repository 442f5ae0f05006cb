package ctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Timeouts of the process supervisor.
const (
	// startCheck is how long Start waits for the agent to write its pid file.
	startCheck = 5 * time.Second
	// stopWait is how long Stop waits after SIGTERM before SIGKILL; the agent
	// uses it to send what it has read and save its checkpoints.
	stopWait = 60 * time.Second
)

// AgentArgs is the agent command line ctl starts for a layout and mode.
func AgentArgs(l Layout, mode string) []string {
	return []string{"agent", "-c", l.ConfigDir(), "--state-dir", l.StateDir(), "--mode", mode,
		"--env-config", l.EnvConfig(), "--logfile", l.LogFile(), "--pidfile", l.PidFile()}
}

// Process supervises the agent as a detached child process with a pid file;
// it is used where systemd is not running (containers, tests).
type Process struct {
	// Exe is the logwarden binary to run.
	Exe string
}

// Start starts the agent unless it already runs.
func (p Process) Start(ctx context.Context, l Layout, mode string) error {
	if running, _, _ := p.Status(l); running {
		return nil
	}
	for _, d := range []string{filepath.Dir(l.LogFile()), filepath.Dir(l.PidFile()), l.StateDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	os.Remove(l.PidFile())
	out, err := os.OpenFile(l.LogFile()+".out", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open agent output: %w", err)
	}
	defer out.Close()
	cmd := exec.Command(p.Exe, AgentArgs(l, mode)...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start agent: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.NewTimer(startCheck)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("agent exited at start (%v); see %s", err, l.LogFile()+".out")
		case <-tick.C:
			if pid, err := readPid(l); err == nil && pid == cmd.Process.Pid {
				return nil
			}
		case <-deadline.C:
			return fmt.Errorf("agent did not write %s within %s; see %s", l.PidFile(), startCheck, l.LogFile()+".out")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stop stops the agent gracefully and waits for it to exit.
func (p Process) Stop(ctx context.Context, l Layout) error {
	pid, err := readPid(l)
	if err != nil || !alive(pid) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop agent %d: %w", pid, err)
	}
	deadline := time.Now().Add(stopWait)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("agent %d did not stop within %s: killed", pid, stopWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	os.Remove(l.PidFile())
	return nil
}

// Status reports whether the agent named by the pid file runs.
func (p Process) Status(l Layout) (bool, time.Time, error) {
	pid, err := readPid(l)
	if err != nil || !alive(pid) {
		return false, time.Time{}, nil
	}
	fi, err := os.Stat(l.PidFile())
	if err != nil {
		return false, time.Time{}, nil
	}
	return true, fi.ModTime(), nil
}

func readPid(l Layout) (int, error) {
	data, err := os.ReadFile(l.PidFile())
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("bad pid file %s", l.PidFile())
	}
	return pid, nil
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// Field 3 (after the parenthesised command) is the state; Z is a zombie.
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

// Systemd supervises the agent as the systemd unit logwarden.service.
type Systemd struct {
	Exe      string
	UnitPath string // default /etc/systemd/system/logwarden.service
}

// SystemdRunning reports whether systemd is the init system here.
func SystemdRunning() bool {
	fi, err := os.Stat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// Unit is the unit file text for a layout and mode.
func (s Systemd) Unit(l Layout, mode string) string {
	args := AgentArgs(l, mode)
	// systemd tracks the process itself; no pid file needed.
	args = args[:len(args)-2]
	return fmt.Sprintf(`[Unit]
Description=logwarden log agent (CloudWatch Agent compatible)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=%s %s
Restart=on-failure
RestartSec=10s
KillMode=process
TimeoutStopSec=90s

[Install]
WantedBy=multi-user.target
`, s.Exe, strings.Join(args, " "))
}

func (s Systemd) unitPath() string {
	if s.UnitPath != "" {
		return s.UnitPath
	}
	return "/etc/systemd/system/logwarden.service"
}

func systemctl(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Start writes the unit, enables it and restarts it.
func (s Systemd) Start(ctx context.Context, l Layout, mode string) error {
	if err := os.WriteFile(s.unitPath(), []byte(s.Unit(l, mode)), 0o644); err != nil {
		return fmt.Errorf("write unit: %w", err)
	}
	for _, a := range [][]string{{"daemon-reload"}, {"enable", "logwarden.service"}, {"restart", "logwarden.service"}} {
		if err := systemctl(ctx, a...); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops the unit.
func (s Systemd) Stop(ctx context.Context, _ Layout) error {
	if _, err := os.Stat(s.unitPath()); err != nil {
		return nil
	}
	return systemctl(ctx, "stop", "logwarden.service")
}

// Status asks systemd whether the unit is active and since when.
func (s Systemd) Status(Layout) (bool, time.Time, error) {
	out, err := exec.Command("systemctl", "show", "logwarden.service", "-p", "ActiveState", "-p", "ActiveEnterTimestamp").Output()
	if err != nil {
		return false, time.Time{}, nil
	}
	var active bool
	var since time.Time
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "ActiveState":
			active = v == "active"
		case "ActiveEnterTimestamp":
			since, _ = time.Parse("Mon 2006-01-02 15:04:05 MST", v)
		}
	}
	return active, since, nil
}
