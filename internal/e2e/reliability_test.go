package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// The CloudWatch Logs operations the fault plan picks on.
const (
	targetPut         = "Logs_20140328.PutLogEvents"
	targetCreateGroup = "Logs_20140328.CreateLogGroup"
)

// seqLine is line i of a stream: the sequence number makes every event
// identifiable, so the checks can tell loss, repeats and order apart.
func seqLine(stream string, i int) string {
	return fmt.Sprintf("Nov 26 05:40:01 %s app[42]: seq=%07d request handled path=/api/v1/items status=200", stream, i)
}

// writeSeqLines appends lines [from, to) of stream to path.
func writeSeqLines(t *testing.T, path, stream string, from, to int) {
	t.Helper()
	lines := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		lines = append(lines, seqLine(stream, i))
	}
	appendLines(t, path, lines)
}

// agentConfig writes a CloudWatch Agent JSON config shipping each stream's
// file to group at endpoint and returns its path.
func agentConfig(t *testing.T, dir, endpoint, group string, files map[string]string) string {
	t.Helper()
	return agentConfigWith(t, dir, endpoint, group, files, nil)
}

// agentConfigWith is agentConfig with more keys of the "logs" section.
func agentConfigWith(t *testing.T, dir, endpoint, group string, files map[string]string, logs map[string]any) string {
	t.Helper()
	var list []any
	for stream, path := range files {
		list = append(list, map[string]any{"file_path": path, "log_group_name": group, "log_stream_name": stream})
	}
	section := map[string]any{"endpoint_override": "http://" + endpoint, "force_flush_interval": 1,
		"logs_collected": map[string]any{"files": map[string]any{"collect_list": list}}}
	for k, v := range logs {
		section[k] = v
	}
	cfg, err := json.Marshal(map[string]any{
		"agent": map[string]any{"region": "us-east-1", "logfile": ""},
		"logs":  section,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitServing waits until srv, started with --listen addr, says it is
// listening there. waitListening alone can be fooled when another process
// (such as a parallel run of these tests) took the port between freeAddr
// and the server's listen: it then reaches that process while srv exited.
func waitServing(t *testing.T, addr string, srv *proc) {
	t.Helper()
	waitListening(t, addr, srv)
	want := "listening on http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(srv.output(), want) {
		select {
		case <-srv.done:
			t.Fatalf("server exited: %v\n%s", srv.err, tail(srv.output()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not say %q within 30s\n%s", want, tail(srv.output()))
		}
	}
}

// seqOf returns the sequence number of an event, or -1.
func seqOf(msg string) int {
	_, rest, ok := strings.Cut(msg, "seq=")
	if !ok || len(rest) < 7 {
		return -1
	}
	n, err := strconv.Atoi(rest[:7])
	if err != nil {
		return -1
	}
	return n
}

// newestSeq is the sequence number of the newest event stored in a stream
// (-1 if none, or if the server does not answer): a cheap progress probe.
func newestSeq(c *cloudwatchlogs.Client, group, stream string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), Limit: aws.Int32(1)})
	if err != nil || len(out.Events) == 0 {
		return -1
	}
	return seqOf(aws.ToString(out.Events[0].Message))
}

// waitNewest waits until the newest event of a stream has at least seq min.
func waitNewest(t *testing.T, c *cloudwatchlogs.Client, group, stream string, min int, d time.Duration, agent *proc) {
	t.Helper()
	waitUntil(t, d, func() bool { return newestSeq(c, group, stream) >= min }, agent)
}

// delivery is what a stream holds, judged event by event.
type delivery struct {
	events  int // events stored
	repeats int // events stored more than once (counted once per extra copy)
	runs    int // maximal runs of consecutive lines stored twice
	longest int // longest such run
	// batches is the fewest batches the repeats can come from: a run of
	// repeated lines may be several adjacent batches, each at most
	// maxBatchEvents long.
	batches int
	spans   []string // the runs, as "first-last" sequence numbers
}

// checkDelivery reads a stream that must hold lines [0, total) of stream
// and fails the test on a lost line, a changed line, a line stored more than
// twice, or lines out of order once repeats are dropped (the first copy of
// each line must come in sequence). It returns what it found; the caller
// bounds repeats and runs.
func checkDelivery(t *testing.T, c *cloudwatchlogs.Client, group, stream string, total int) delivery {
	t.Helper()
	return checkDeliveryOrder(t, c, group, stream, total, true)
}

// checkDeliveryOrder is checkDelivery; with inOrder false (several batches
// of a stream in flight at once, logs.concurrency > 1) lines of equal
// timestamps may be stored in any order, so only the timestamps must never
// go back.
func checkDeliveryOrder(t *testing.T, c *cloudwatchlogs.Client, group, stream string, total int, inOrder bool) delivery {
	t.Helper()
	msgs, ts, err := readStream(context.Background(), c, group, stream)
	if err != nil {
		t.Fatalf("read %s/%s: %v", group, stream, err)
	}
	seen := make([]int, total)
	next := 0
	for i, m := range msgs {
		seq := seqOf(m)
		if seq < 0 || seq >= total || m != seqLine(stream, seq) {
			t.Fatalf("%s event %d is %q, not a line that was written", stream, i, m)
		}
		if i > 0 && ts[i] < ts[i-1] {
			t.Fatalf("%s event %d has timestamp %d, before the %d of the event before it", stream, i, ts[i], ts[i-1])
		}
		if seen[seq] == 0 {
			if seq != next && inOrder {
				t.Fatalf("%s event %d is the first copy of seq %d, want seq %d (out of order)", stream, i, seq, next)
			}
			next++
		}
		seen[seq]++
	}
	d := delivery{events: len(msgs)}
	run := 0
	for seq, n := range seen {
		if n == 0 {
			t.Fatalf("%s: line seq=%d lost (%d of %d lines stored)", stream, seq, next, total)
		}
		if n > 2 {
			t.Fatalf("%s: line seq=%d stored %d times, want at most twice", stream, seq, n)
		}
		if n == 2 {
			if run == 0 {
				d.runs++
			}
			run++
			d.longest = max(d.longest, run)
		} else if run > 0 {
			d.batches += (run + maxBatchEvents - 1) / maxBatchEvents
			d.spans = append(d.spans, fmt.Sprintf("%d-%d", seq-run, seq-1))
			run = 0
		}
		d.repeats += n - 1
	}
	if run > 0 {
		d.batches += (run + maxBatchEvents - 1) / maxBatchEvents
		d.spans = append(d.spans, fmt.Sprintf("%d-%d", total-run, total-1))
	}
	return d
}

// TestServerKill9UnderLoad ships 1,000,000 lines and kills the server with
// SIGKILL twice while the agent is sending, restarting it each time on the
// same data directory and port. The server fsyncs a batch before it answers,
// so no acknowledged line may be lost; a batch stored but not answered when
// the server died is sent again, so each kill may repeat at most one batch,
// as one contiguous run.
func TestServerKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the server kill -9 run in -short mode")
	}
	const (
		total  = 1_000_000
		group  = "/e2e/server-kill"
		stream = "s"
	)
	killAt := []int{total * 3 / 10, total * 65 / 100}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	writeSeqLines(t, logPath, stream, 0, total)

	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	srv := start(t, "server0", nil, "server", "--listen", addr, "--data", data)
	waitServing(t, addr, srv)
	cfgPath := agentConfig(t, dir, addr, group, map[string]string{stream: logPath})
	agent := start(t, "agent", nil, "agent", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"))
	c := client(addr)

	began := time.Now()
	var report []string
	for i, at := range killAt {
		waitNewest(t, c, group, stream, at, 90*time.Second, agent)
		before := newestSeq(c, group, stream)
		srv.kill() // SIGKILL, whatever the server is doing
		down := time.Now()
		if n := newestSeq(c, group, stream); n != -1 {
			t.Fatalf("the server still answers after kill -9 (newest seq %d)", n)
		}
		srv = start(t, fmt.Sprintf("server%d", i+1), nil, "server", "--listen", addr, "--data", data)
		waitServing(t, addr, srv)
		report = append(report, fmt.Sprintf("kill %d: newest seq %d just before, down %s, newest seq %d after the restart",
			i+1, before, time.Since(down).Round(time.Millisecond), newestSeq(c, group, stream)))
	}
	waitNewest(t, c, group, stream, total-1, 120*time.Second, agent)
	time.Sleep(time.Second) // anything still in flight lands before judging
	agent.stop(t)
	elapsed := time.Since(began)

	d := checkDelivery(t, c, group, stream, total)
	for _, r := range report {
		t.Log(r)
	}
	t.Logf("%d lines in %s across %d server kills: %d events stored, 0 lost, %d repeated in %d run(s) %v",
		total, elapsed.Round(time.Millisecond), len(killAt), d.events, d.repeats, d.runs, d.spans)
	if d.batches > len(killAt) {
		t.Fatalf("%d repeated lines in %d runs (longest %d) after %d kills, want at most one batch (%d lines) per kill",
			d.repeats, d.runs, d.longest, len(killAt), maxBatchEvents)
	}
}

// TestServerKill9ManyStreams is TestServerKill9UnderLoad with four streams
// sent by a pool of four concurrent requests (logs.concurrency), so several
// batches are in flight when the server dies: each kill may repeat at most
// the concurrency's worth of batches, and every stream must still be whole.
// With concurrency > 1 batches of one stream are sent concurrently (as by the
// CloudWatch Agent), so lines of equal timestamps may be stored out of
// order; timestamps must not go back.
func TestServerKill9ManyStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the server kill -9 run in -short mode")
	}
	const (
		perStream   = 200_000
		concurrency = 4
		group       = "/e2e/server-kill-many"
	)
	streams := []string{"s0", "s1", "s2", "s3"}
	killAt := []int{perStream / 4, perStream / 2, perStream * 3 / 4} // seq of stream s0
	dir := t.TempDir()
	files := map[string]string{}
	for _, s := range streams {
		files[s] = filepath.Join(dir, s+".log")
		writeSeqLines(t, files[s], s, 0, perStream)
	}
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	srv := start(t, "server0", nil, "server", "--listen", addr, "--data", data)
	waitServing(t, addr, srv)
	cfgPath := agentConfigWith(t, dir, addr, group, files, map[string]any{"concurrency": concurrency})
	agent := start(t, "agent", nil, "agent", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"))
	c := client(addr)

	for i, at := range killAt {
		waitNewest(t, c, group, streams[0], at, 90*time.Second, agent)
		srv.kill()
		srv = start(t, fmt.Sprintf("server%d", i+1), nil, "server", "--listen", addr, "--data", data)
		waitServing(t, addr, srv)
	}
	for _, s := range streams {
		waitNewest(t, c, group, s, perStream-1, 120*time.Second, agent)
	}
	time.Sleep(time.Second)
	agent.stop(t)
	total := 0
	for _, s := range streams {
		d := checkDeliveryOrder(t, c, group, s, perStream, false)
		t.Logf("stream %s: %d events for %d lines, 0 lost, %d repeated in %d run(s) %v", s, d.events, perStream, d.repeats, d.runs, d.spans)
		total += d.batches
	}
	t.Logf("%d server kills with %d streams and concurrency %d: at least %d batch(es) repeated in all", len(killAt), len(streams), concurrency, total)
	if total > len(killAt)*concurrency {
		t.Fatalf("at least %d batches repeated across %d kills, want at most the %d in flight per kill", total, len(killAt), concurrency)
	}
}

// faultPlan is the fault schedule of TestAgentThroughFaultyNetwork. It is
// deterministic (by request number per operation and stream) so a run is
// repeatable. The agent's backoff grows while one batch keeps failing (and
// its first batch of a stream also fails while the group and stream are
// created), so the plan leaves the first faultPlanQuiet puts of a stream
// alone and then never fails two puts of a stream in a row: every batch
// fails at most once, so one whose answer was dropped is stored at most twice.
func faultPlan(target, stream string, n int) fault {
	switch target {
	case targetCreateGroup:
		if n == 0 { // created, but the agent never hears so
			return faultDropAnswer
		}
	case targetPut:
		m := n - faultPlanQuiet
		switch {
		case m < 0:
		case m%6 == 1:
			return faultResetMidRequest
		case m%6 == 3:
			return faultDropAnswer
		case m%12 == 5:
			return faultDelayAnswer
		case m%12 == 11:
			return faultTruncateAnswer
		}
	}
	return faultNone
}

// faultPlanQuiet is how many puts of a stream go through unharmed first.
const faultPlanQuiet = 4

// faultDelay is how long a delayed answer is held: longer than the agent's
// flush interval and retry backoff, shorter than its request timeout.
const faultDelay = 4 * time.Second

// TestAgentThroughFaultyNetwork ships 240,000 lines in two streams through a
// proxy that resets connections mid-request, drops or truncates answers after
// the server stored the batch, and delays answers by seconds. No line may be
// lost; a dropped or truncated answer may repeat its batch once, and nothing
// else may repeat;
// once repeats are dropped each stream is in order.
func TestAgentThroughFaultyNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the faulty-network run in -short mode")
	}
	const (
		perStream = 120_000
		group     = "/e2e/faulty-net"
	)
	streams := []string{"a", "b"}
	dir := t.TempDir()
	files := map[string]string{}
	for _, s := range streams {
		files[s] = filepath.Join(dir, s+".log")
		writeSeqLines(t, files[s], s, 0, perStream)
	}
	addr := freeAddr(t)
	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitServing(t, addr, srv)
	proxy := newFaultProxy(t, addr, faultDelay, faultPlan)
	cfgPath := agentConfig(t, dir, proxy.addr(), group, files)
	began := time.Now()
	agent := start(t, "agent", nil, "agent", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"))
	c := client(addr) // the checks read the server directly

	for _, s := range streams {
		waitNewest(t, c, group, s, perStream-1, 60*time.Second, agent)
	}
	time.Sleep(time.Second) // anything still in flight lands before judging
	agent.stop(t)
	elapsed := time.Since(began)
	if err := proxy.err(); err != nil {
		t.Fatalf("proxy: %v", err)
	}

	for _, s := range streams {
		puts := proxy.requests(targetPut, s)
		resets := proxy.count(targetPut, s, faultResetMidRequest)
		drops := proxy.count(targetPut, s, faultDropAnswer)
		delays := proxy.count(targetPut, s, faultDelayAnswer)
		truncs := proxy.count(targetPut, s, faultTruncateAnswer)
		if resets == 0 || drops == 0 || delays == 0 || truncs == 0 {
			t.Fatalf("stream %s: %d resets, %d dropped answers, %d delays, %d truncated answers injected into PutLogEvents: too few to test anything",
				s, resets, drops, delays, truncs)
		}
		d := checkDelivery(t, c, group, s, perStream)
		t.Logf("stream %s: %d lines, %d PutLogEvents (%d reset mid-request, %d answers dropped, %d truncated, %d delayed %s): %d events stored, 0 lost, %d repeated in %d run(s) %v",
			s, perStream, puts, resets, drops, truncs, delays, faultDelay, d.events, d.repeats, d.runs, d.spans)
		if d.batches > drops+truncs {
			t.Errorf("stream %s: %d lines repeated in %d run(s) (at least %d batches), want at most one batch per dropped or truncated answer (%d)",
				s, d.repeats, d.runs, d.batches, drops+truncs)
		}
	}
	t.Logf("%d lines through the proxy in %s; CreateLogGroup answers dropped: %d",
		len(streams)*perStream, elapsed.Round(time.Millisecond), proxy.count(targetCreateGroup, "", faultDropAnswer))
}

// TestAgentRestartLoop stops the agent with SIGTERM five times while it
// ships 500,000 lines (more lines are written while it is down) and checks
// that every line arrives exactly once and in order: a graceful stop
// repeats nothing.
func TestAgentRestartLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the restart-loop run in -short mode")
	}
	const (
		first    = 250_000 // lines written before the first start
		perStop  = 50_000  // lines written while the agent is down
		restarts = 5
		total    = first + restarts*perStop
		group    = "/e2e/restart-loop"
		stream   = "s"
	)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	writeSeqLines(t, logPath, stream, 0, first)
	addr := freeAddr(t)
	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitServing(t, addr, srv)
	cfgPath := agentConfig(t, dir, addr, group, map[string]string{stream: logPath})
	state := filepath.Join(dir, "state")
	c := client(addr)

	written := first
	agent := start(t, "agent0", nil, "agent", "-c", cfgPath, "--state-dir", state)
	var stops []string
	midBacklog, prev := 0, -1
	for i := 1; i <= restarts; i++ {
		// The agent ships a backlog in well under a second here, so stop it
		// as soon as it has started (a SIGTERM before its signal handler is
		// installed would just kill it) and shipped anything new.
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(agent.output(), "agent started") || newestSeq(c, group, stream) <= prev {
			if time.Now().After(deadline) {
				t.Fatalf("agent %d shipped nothing new within 60s\n%s", i-1, tail(agent.output()))
			}
			time.Sleep(10 * time.Millisecond)
		}
		agent.stop(t)
		prev = newestSeq(c, group, stream)
		if prev < written-1 {
			midBacklog++
		}
		stops = append(stops, fmt.Sprintf("%d/%d", prev+1, written))
		writeSeqLines(t, logPath, stream, written, written+perStop)
		written += perStop
		agent = start(t, fmt.Sprintf("agent%d", i), nil, "agent", "-c", cfgPath, "--state-dir", state)
	}
	waitNewest(t, c, group, stream, total-1, 60*time.Second, agent)
	time.Sleep(time.Second)
	agent.stop(t)

	d := checkDelivery(t, c, group, stream, total)
	t.Logf("%d lines; agent stopped with SIGTERM %d times (%d with a backlog left) with shipped/written lines %s: %d events stored, 0 lost, %d repeated",
		total, restarts, midBacklog, strings.Join(stops, ", "), d.events, d.repeats)
	if d.repeats != 0 {
		t.Fatalf("%d lines repeated in %d run(s) across graceful restarts, want none", d.repeats, d.runs)
	}
}

// TestAgentStopWhileAnswerDelayed stops the agent with SIGTERM while the
// answer to a PutLogEvents that the server has stored is held by the proxy:
// a graceful stop waits for it (within its stop timeout), so the restarted
// agent sends nothing again.
func TestAgentStopWhileAnswerDelayed(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the delayed-answer stop in -short mode")
	}
	const (
		total  = 60_000
		group  = "/e2e/stop-delayed"
		stream = "s"
		held   = 3 * time.Second // well under the agent's 15 s stop timeout
	)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	writeSeqLines(t, logPath, stream, 0, total)
	addr := freeAddr(t)
	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitServing(t, addr, srv)
	proxy := newFaultProxy(t, addr, held, func(target, _ string, n int) fault {
		if target == targetPut && n == 2 {
			return faultDelayAnswer
		}
		return faultNone
	})
	cfgPath := agentConfig(t, dir, proxy.addr(), group, map[string]string{stream: logPath})
	state := filepath.Join(dir, "state")
	c := client(addr)

	agent := start(t, "agent1", nil, "agent", "-c", cfgPath, "--state-dir", state)
	select {
	case <-proxy.delaying:
	case <-time.After(30 * time.Second):
		t.Fatalf("no PutLogEvents reached the proxy's delay in 30s\n%s", tail(agent.output()))
	}
	stopped := time.Now()
	agent.stop(t)
	took := time.Since(stopped)
	atStop := newestSeq(c, group, stream)

	agent = start(t, "agent2", nil, "agent", "-c", cfgPath, "--state-dir", state)
	waitNewest(t, c, group, stream, total-1, 60*time.Second, agent)
	time.Sleep(time.Second)
	agent.stop(t)
	d := checkDelivery(t, c, group, stream, total)
	t.Logf("SIGTERM while an answer was held %s: the stop took %s, %d lines stored by then; after the restart %d events, 0 lost, %d repeated %v",
		held, took.Round(time.Millisecond), atStop+1, d.events, d.repeats, d.spans)
	if d.repeats != 0 {
		t.Fatalf("%d lines repeated after a graceful stop during a held answer, want none", d.repeats)
	}
}

// TestAgentStopDuringOutage stops the agent with SIGTERM while its
// destination is down (nothing listens): the stop gives up within the
// agent's stop timeout, and once the destination is up the restarted agent
// delivers every line exactly once (nothing was marked shipped that was not).
func TestAgentStopDuringOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the stop-during-outage run in -short mode")
	}
	const (
		total  = 50_000
		group  = "/e2e/stop-outage"
		stream = "s"
		// stopBound is the agent's 15 s stop timeout plus slack.
		stopBound = 25 * time.Second
	)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	writeSeqLines(t, logPath, stream, 0, total)
	addr := freeAddr(t) // nothing listens here yet
	cfgPath := agentConfig(t, dir, addr, group, map[string]string{stream: logPath})
	state := filepath.Join(dir, "state")

	agent := start(t, "agent1", nil, "agent", "-c", cfgPath, "--state-dir", state)
	waitUntil(t, 30*time.Second, func() bool { return strings.Contains(agent.output(), "retrying") }, agent)
	stopped := time.Now()
	agent.stop(t)
	took := time.Since(stopped)
	if took > stopBound {
		t.Errorf("the stop during the outage took %s, want at most %s", took, stopBound)
	}

	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitServing(t, addr, srv)
	c := client(addr)
	agent = start(t, "agent2", nil, "agent", "-c", cfgPath, "--state-dir", state)
	waitNewest(t, c, group, stream, total-1, 60*time.Second, agent)
	time.Sleep(time.Second)
	agent.stop(t)
	d := checkDelivery(t, c, group, stream, total)
	t.Logf("SIGTERM during an outage: the stop took %s; after the restart %d events for %d lines, 0 lost, %d repeated",
		took.Round(time.Millisecond), d.events, total, d.repeats)
	if d.repeats != 0 {
		t.Fatalf("%d lines repeated, want none (nothing reached a server before the stop)", d.repeats)
	}
}
