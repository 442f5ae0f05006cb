package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// Limits of the server run.
const (
	// serverReady bounds how long `logwarden server` may take to answer.
	serverReady = 30 * time.Second
	// verifyTimeout bounds reading every event back from the server.
	verifyTimeout = 15 * time.Minute
	// getLimit is GetLogEvents' page size limit.
	getLimit = 10000
)

// runLogwardenServer ships the file into `logwarden server` and measures the
// agent and the server process.
func (b *bench) runLogwardenServer(ctx context.Context) []result {
	r := b.base("logwarden → logwarden server")
	r.Agent = true
	if b.o.logwarden == "" {
		r.Skipped = "no -logwarden binary given"
		return []result{r}
	}
	sr := b.base("  logwarden server process (store side)")
	fail := func(err error) []result {
		r.Err = err.Error()
		return []result{r}
	}
	d, err := b.runDir("logwarden-server")
	if err != nil {
		return fail(err)
	}
	addr, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	srvCmd := exec.Command(b.o.logwarden, "server", "--listen", addr, "--data", filepath.Join(d, "data"))
	srvCmd.Env = b.env()
	srv, err := startLogged(srvCmd, filepath.Join(d, "server.log"))
	if err != nil {
		return fail(err)
	}
	defer srv.stop()
	client := cwlClient("http://" + addr)
	if err := waitReady(ctx, client, srv); err != nil {
		return fail(fmt.Errorf("%w; log: %s", err, tailOf(filepath.Join(d, "server.log"))))
	}
	cfg, err := b.cwaConfig("http://"+addr, "")
	if err != nil {
		return fail(err)
	}
	cfgPath := filepath.Join(d, "config.json")
	if err := writeFile(cfgPath, cfg); err != nil {
		return fail(err)
	}
	srv0, err := readProc(srv.pid())
	if err != nil {
		return fail(err)
	}
	agentCmd := exec.Command(b.o.logwarden, "agent", "-c", cfgPath, "--state-dir", filepath.Join(d, "state"))
	agentCmd.Env = b.env()
	agentLog := filepath.Join(d, "agent.log")
	p, err := startLogged(agentCmd, agentLog)
	if err != nil {
		return fail(err)
	}
	defer p.stop()

	// Poll the newest event of the stream; the run is over when it is the
	// file's last line.
	var lastSeq atomic.Int64
	done := make(chan struct{})
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	go func() {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			select {
			case <-pollCtx.Done():
				return
			case <-t.C:
			}
			out, err := client.GetLogEvents(pollCtx, &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String(benchGroup), LogStreamName: aws.String(benchStream),
				StartFromHead: aws.Bool(false), Limit: aws.Int32(1),
			})
			if err != nil || len(out.Events) == 0 {
				continue
			}
			s := seqOf([]byte(aws.ToString(out.Events[len(out.Events)-1].Message)))
			lastSeq.Store(s)
			if s >= b.file.Lines {
				close(done)
				return
			}
		}
	}()
	err = p.waitFor(ctx, done, lastSeq.Load, b.file.Lines, b.o.stall)
	r.Wall = time.Since(p.start)
	sr.Wall = r.Wall
	if err != nil {
		return fail(fmt.Errorf("%w; agent log: %s", err, tailOf(agentLog)))
	}
	busy, err := readProc(p.pid())
	if err != nil {
		return fail(err)
	}
	srvBusy, err := readProc(srv.pid())
	if err != nil {
		return fail(err)
	}
	r.CPU, r.HWM = busy.CPU, busy.HWM
	sr.CPU, sr.HWM = srvBusy.CPU-srv0.CPU, srvBusy.HWM
	idle, err := p.idle(ctx, b.o.idle)
	if err != nil {
		return fail(err)
	}
	srvIdle, err := readProc(srv.pid())
	if err != nil {
		return fail(err)
	}
	r.IdleRSS, r.IdleCPU = idle.RSS, idle.CPU-busy.CPU
	r.HWM = max(r.HWM, idle.HWM)
	sr.IdleRSS, sr.IdleCPU = srvIdle.RSS, srvIdle.CPU-srvBusy.CPU
	sr.HWM = max(sr.HWM, srvIdle.HWM)
	if b.o.verify {
		vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
		rep, err := readBack(vctx, client, b.file.Lines)
		cancel()
		if err != nil {
			r.Err = fmt.Sprintf("read back: %v", err)
		}
		r.Delivery = &rep
	} else {
		r.Note = "last event checked only (-verify=false)"
	}
	return []result{r, sr}
}

// readBack reads the whole stream forward and checks every event.
func readBack(ctx context.Context, client *cloudwatchlogs.Client, n int64) (deliveryReport, error) {
	var s streamCheck
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(benchGroup), LogStreamName: aws.String(benchStream),
		StartFromHead: aws.Bool(true), Limit: aws.Int32(getLimit),
	}
	for {
		out, err := client.GetLogEvents(ctx, in)
		if err != nil {
			return summarise(map[string]*streamCheck{"": &s}, nil, 0, n), fmt.Errorf("get log events: %w", err)
		}
		for _, e := range out.Events {
			s.add(seqOf([]byte(aws.ToString(e.Message))))
		}
		next := aws.ToString(out.NextForwardToken)
		if next == "" || next == aws.ToString(in.NextToken) {
			break
		}
		in.NextToken = aws.String(next)
	}
	return summarise(map[string]*streamCheck{"": &s}, nil, 0, n), nil
}

// cwlClient is an SDK client for a CloudWatch-Logs-compatible endpoint.
func cwlClient(endpoint string) *cloudwatchlogs.Client {
	cfg := aws.Config{
		Region:      benchRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOGWARDENBENCH", "benchsecret", ""),
	}
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// waitReady waits until the server answers DescribeLogGroups.
func waitReady(ctx context.Context, client *cloudwatchlogs.Client, srv *proc) error {
	deadline := time.Now().Add(serverReady)
	for {
		_, err := client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
		if err == nil {
			return nil
		}
		select {
		case <-srv.exited:
			return fmt.Errorf("server exited: %v", srv.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %s: %w", serverReady, err)
		}
	}
}

// freeAddr returns a loopback address with a free port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}
