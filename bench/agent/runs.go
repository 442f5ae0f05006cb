package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Names shared by every run.
const (
	benchGroup  = "bench"
	benchStream = "bench"
	benchRegion = "us-east-1"
	// stopGrace is how long a stopped agent may take before it is killed.
	stopGrace = 15 * time.Second
	// pollEvery is the progress poll period of a running measurement.
	pollEvery = 200 * time.Millisecond
	// logTail is how much of a failed process's log is quoted.
	logTail = 2000
)

// result is one measured process.
type result struct {
	Name     string
	Note     string
	Skipped  string // why the run did not happen
	Err      string // why the run failed
	Bytes    int64
	Lines    int64
	Wall     time.Duration // start to last event received
	First    time.Duration // start to first event received (0: not known)
	CPU      time.Duration // user+sys of the process up to the last event
	HWM      int64         // peak RSS while busy
	IdleRSS  int64         // RSS after the idle period
	IdleCPU  time.Duration // CPU used during the idle period
	Idle     time.Duration
	Endpoint time.Duration // CPU the null endpoint (this driver) used
	Delivery *deliveryReport
	Load     float64 // 1-minute load average when the run started
	Peer     bool    // a peer agent, compared against
	Agent    bool    // a logwarden agent run
}

// bench holds what every run shares: the file, the null endpoint on plain
// HTTP and on TLS, and the environment given to agents.
type bench struct {
	o        options
	work     string
	file     genResult
	null     *nullEndpoint
	httpSrv  *http.Server
	tlsSrv   *http.Server
	httpAddr string
	tlsAddr  string
	certPath string
	credPath string
}

func newBench(work string, file genResult, o options) (*bench, error) {
	b := &bench{o: o, work: work, file: file, null: newNullEndpoint()}
	b.certPath = filepath.Join(work, "endpoint-cert.pem")
	cert, err := selfSignedCert(b.certPath)
	if err != nil {
		return nil, err
	}
	b.credPath = filepath.Join(work, "credentials")
	// onPremise CloudWatch agents read the AmazonCloudWatchAgent profile.
	creds := "[default]\naws_access_key_id = AKIDLOGWARDENBENCH\naws_secret_access_key = benchsecret\n" +
		"[AmazonCloudWatchAgent]\naws_access_key_id = AKIDLOGWARDENBENCH\naws_secret_access_key = benchsecret\n"
	if err := os.WriteFile(b.credPath, []byte(creds), 0o600); err != nil {
		return nil, fmt.Errorf("write credentials: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen http: %w", err)
	}
	b.httpAddr = ln.Addr().String()
	b.httpSrv = &http.Server{Handler: b.null, ReadHeaderTimeout: 10 * time.Second}
	go b.httpSrv.Serve(ln)
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen tls: %w", err)
	}
	b.tlsAddr = tln.Addr().String()
	b.tlsSrv = &http.Server{Handler: b.null, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go b.tlsSrv.Serve(tls.NewListener(tln, b.tlsSrv.TLSConfig))
	return b, nil
}

func (b *bench) close() {
	b.httpSrv.Close()
	b.tlsSrv.Close()
}

// runNamed runs one named measurement; it may yield several rows (the
// server run measures the agent and the server process).
func (b *bench) runNamed(ctx context.Context, name string) []result {
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	switch name {
	case "cat":
		return []result{b.runCat(ctx)}
	case "null":
		return []result{b.runLogwardenNull(ctx, false)}
	case "null-tls":
		return []result{b.runLogwardenNull(ctx, true)}
	case "server":
		return b.runLogwardenServer(ctx)
	case "fluentbit":
		return []result{b.runFluentBit(ctx)}
	case "cwagent":
		return []result{b.runCWAgent(ctx)}
	}
	return []result{{Name: name, Err: "unknown run name"}}
}

func (b *bench) base(name string) result {
	return result{Name: name, Bytes: b.file.Bytes, Lines: b.file.Lines, Idle: b.o.idle, Load: loadAvg()}
}

// runCat is the baseline: the cost of reading the file once.
func (b *bench) runCat(ctx context.Context) result {
	r := b.base("cat FILE > /dev/null")
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer devnull.Close()
	cmd := exec.CommandContext(ctx, "cat", b.file.Path)
	cmd.Stdout = devnull
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		r.Err = fmt.Sprintf("run cat: %v", err)
		return r
	}
	r.Wall = time.Since(t0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.HWM = ru.Maxrss << 10
	}
	r.Idle = 0
	return r
}

// env is the environment of every agent: dummy static credentials, no EC2
// metadata, region us-east-1, nothing from the caller's AWS setup.
func (b *bench) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID=AKIDLOGWARDENBENCH",
		"AWS_SECRET_ACCESS_KEY=benchsecret",
		"AWS_REGION="+benchRegion,
		"AWS_DEFAULT_REGION="+benchRegion,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_SHARED_CREDENTIALS_FILE="+b.credPath,
		"AWS_CONFIG_FILE="+filepath.Join(b.work, "aws-config-absent"),
	)
	return append(env, extra...)
}

// cwaConfig is a CloudWatch Agent JSON config shipping the file to endpoint.
func (b *bench) cwaConfig(endpoint, logfile string) ([]byte, error) {
	agent := map[string]any{"region": benchRegion}
	if logfile != "" {
		agent["logfile"] = logfile
	}
	cfg := map[string]any{
		"agent": agent,
		"logs": map[string]any{
			"endpoint_override":    endpoint,
			"force_flush_interval": flushSeconds,
			"logs_collected": map[string]any{"files": map[string]any{"collect_list": []any{
				map[string]any{
					"file_path":       b.file.Path,
					"log_group_name":  benchGroup,
					"log_stream_name": benchStream,
				},
			}}},
		},
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// runDir makes a fresh directory for one run.
func (b *bench) runDir(name string) (string, error) {
	d := filepath.Join(b.work, name)
	if err := os.RemoveAll(d); err != nil {
		return "", fmt.Errorf("clean run dir: %w", err)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("make run dir: %w", err)
	}
	return d, nil
}

// runLogwardenNull ships the file into the null endpoint.
func (b *bench) runLogwardenNull(ctx context.Context, useTLS bool) result {
	name, endpoint, extra := "logwarden → null endpoint (http)", "http://"+b.httpAddr, []string(nil)
	dir := "logwarden-null"
	if useTLS {
		name, endpoint = "logwarden → null endpoint (https)", "https://"+b.tlsAddr
		extra = []string{"AWS_CA_BUNDLE=" + b.certPath}
		dir = "logwarden-null-tls"
	}
	r := b.base(name)
	r.Agent = true
	if b.o.logwarden == "" {
		r.Skipped = "no -logwarden binary given"
		return r
	}
	d, err := b.runDir(dir)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	cfg, err := b.cwaConfig(endpoint, "")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	cfgPath := filepath.Join(d, "config.json")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		r.Err = err.Error()
		return r
	}
	cmd := exec.Command(b.o.logwarden, "agent", "-c", cfgPath, "--state-dir", filepath.Join(d, "state"))
	cmd.Env = b.env(extra...)
	return b.measureNull(ctx, r, cmd, filepath.Join(d, "agent.log"))
}

// measureNull runs cmd until the null endpoint has every line, then idles
// it and stops it.
func (b *bench) measureNull(ctx context.Context, r result, cmd *exec.Cmd, logPath string) result {
	b.null.reset(b.file.Lines)
	cpu0 := selfCPU()
	p, err := startLogged(cmd, logPath)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer p.stop()
	err = p.waitFor(ctx, b.null.doneC(), b.null.received, b.file.Lines, b.o.stall)
	r.Wall = time.Since(p.start)
	r.Endpoint = selfCPU() - cpu0
	if f := b.null.firstEvent(); !f.IsZero() {
		r.First = f.Sub(p.start)
	}
	rep := b.null.report(b.file.Lines)
	r.Delivery = &rep
	if err != nil {
		r.Err = err.Error() + "; log: " + tailOf(logPath)
		return r
	}
	busy, err := readProc(p.pid())
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.CPU, r.HWM = busy.CPU, busy.HWM
	idle, err := p.idle(ctx, b.o.idle)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.IdleRSS, r.IdleCPU = idle.RSS, idle.CPU-busy.CPU
	if idle.HWM > r.HWM {
		r.HWM = idle.HWM
	}
	rep = b.null.report(b.file.Lines)
	r.Delivery = &rep
	return r
}

// proc is a started agent process.
type proc struct {
	cmd    *exec.Cmd
	start  time.Time
	exited chan struct{}
	err    error
	log    *os.File
}

// startLogged starts cmd with its output going to logPath.
func startLogged(cmd *exec.Cmd, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &proc{cmd: cmd, exited: make(chan struct{}), log: f}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitFor waits until done is closed, failing when the process exits, when
// progress stalls for stall, or when ctx ends.
func (p *proc) waitFor(ctx context.Context, done <-chan struct{}, progress func() int64, want int64, stall time.Duration) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	last, lastAt := int64(-1), time.Now()
	for {
		select {
		case <-done:
			return nil
		case <-p.exited:
			return fmt.Errorf("agent exited before delivering everything (%d of %d): %v", progress(), want, p.err)
		case <-ctx.Done():
			return fmt.Errorf("timed out at %d of %d events: %w", progress(), want, ctx.Err())
		case <-t.C:
			n := progress()
			if n != last {
				last, lastAt = n, time.Now()
			} else if time.Since(lastAt) > stall {
				return fmt.Errorf("stalled at %d of %d events for %s", n, want, stall)
			}
		}
	}
}

// idle lets a drained agent sit for d and samples it.
func (p *proc) idle(ctx context.Context, d time.Duration) (procSample, error) {
	select {
	case <-time.After(d):
	case <-p.exited:
		return procSample{}, fmt.Errorf("agent exited while idle: %v", p.err)
	case <-ctx.Done():
		return procSample{}, ctx.Err()
	}
	return readProc(p.pid())
}

// stop sends SIGTERM, then SIGKILL after stopGrace.
func (p *proc) stop() {
	defer p.log.Close()
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		slog.Warn("agent ignored SIGTERM; killing", "pid", p.pid())
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tailOf returns the end of a log file for an error message.
func tailOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	if len(b) > logTail {
		b = b[len(b)-logTail:]
	}
	return string(bytes.TrimSpace(b))
}
