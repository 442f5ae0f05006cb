// Command server-bench measures logwarden's embedded CloudWatch Logs server
// against moto_server in one run:
//
//   - PutLogEvents ingestion with 8 concurrent aws-sdk-go-v2 clients, batches
//     of 1,000 events of about 150 bytes (events/s, MiB/s); every logwarden
//     acknowledgement is a synced write;
//   - FilterLogEvents latency with a selective pattern over 1,000,000 stored
//     events;
//   - stored bytes per raw message byte after compaction.
//
// Run it with bench/server/run.sh (or go run ./bench/server -h). The servers run
// as separate processes; their CPU time is read from /proc, so the figures
// "events per server CPU-second" hold on a busy machine too.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/store"
)

const (
	// clients is the number of concurrent writers.
	clients = 8
	// batchSize is the number of events per PutLogEvents.
	batchSize = 1000
	// needle appears in a few events only, for the selective filter.
	needle = "NEEDLE-7f3a9c"
	// msgPool is the number of distinct messages each writer cycles through.
	msgPool = 200_000
)

func main() {
	dur := flag.Duration("duration", 10*time.Second, "ingestion time per target")
	filterEvents := flag.Int("filter-events", 1_000_000, "events stored for the filter benchmark")
	motoBin := flag.String("moto", "moto_server", "moto_server program (empty to skip)")
	lwBin := flag.String("logwarden", "", "logwarden binary (default: go build one)")
	keep := flag.String("data", "", "data directory (default: a temporary one, removed)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this process (the SDK clients) during the logwarden ingestion phase")
	flag.Parse()
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "lw-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	bin := *lwBin
	if bin == "" {
		bin = filepath.Join(dir, "logwarden")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/logwarden/logwarden/cmd/logwarden").CombinedOutput(); err != nil {
			log.Fatalf("build logwarden: %v\n%s", err, out)
		}
	}
	dataDir := filepath.Join(dir, "data")
	lwURL, lwPid, stopLW, err := startServer(bin, "server", "--listen", "127.0.0.1:%d", "--data", dataDir)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Printf("PutLogEvents: %d clients, batches of %d events of ~150 bytes, %s per target\n", clients, batchSize, *dur)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
	}
	cpu0 := procCPU(lwPid)
	lw := ingest(lwURL, "/bench/ingest", *dur)
	lw.cpu = procCPU(lwPid) - cpu0
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("  logwarden    %9.0f events/s  %7.1f MiB/s  server CPU %5.1fs = %7.0f events per CPU-second  (%d events, every batch fsynced)\n",
		lw.rate(), lw.mib(), lw.cpu, float64(lw.events)/lw.cpu, lw.events)
	if *motoBin != "" {
		if url, pid, stop, err := startServer(*motoBin, "-H", "127.0.0.1", "-p", "%d"); err != nil {
			fmt.Printf("  moto_server  skipped: %v\n", err)
		} else {
			c0 := procCPU(pid)
			mo := ingest(url, "/bench/ingest", *dur)
			mo.cpu = procCPU(pid) - c0
			stop()
			fmt.Printf("  moto_server  %9.0f events/s  %7.1f MiB/s  server CPU %5.1fs = %7.0f events per CPU-second  (%d events, in memory)\n",
				mo.rate(), mo.mib(), mo.cpu, float64(mo.events)/mo.cpu, mo.events)
			fmt.Printf("  logwarden/moto: %.1fx events/s, %.1fx events per server CPU-second\n",
				lw.rate()/mo.rate(), (float64(lw.events)/lw.cpu)/(float64(mo.events)/mo.cpu))
		}
	}

	// Filter over filterEvents events in one group (8 streams).
	fmt.Printf("FilterLogEvents over %d events, selective pattern %q:\n", *filterEvents, needle)
	t0 := time.Now()
	loaded := load(lwURL, "/bench/filter", *filterEvents)
	fmt.Printf("  loaded %d events in %.1fs\n", loaded.events, time.Since(t0).Seconds())
	c := client(lwURL)
	for i := 0; i < 3; i++ {
		start := time.Now()
		var found, pages int
		var tok *string
		for {
			out, err := c.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String("/bench/filter"),
				FilterPattern: aws.String(needle), NextToken: tok})
			if err != nil {
				log.Fatal(err)
			}
			found += len(out.Events)
			pages++
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		fmt.Printf("  run %d: %d matches in %d page(s), %.3fs\n", i+1, found, pages, time.Since(start).Seconds())
	}
	stopLW()

	// Stored size after compaction.
	st, err := store.Open(store.Options{Dir: dataDir, RetentionInterval: -1})
	if err != nil {
		log.Fatal(err)
	}
	if err := st.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := st.Compact(); err != nil {
		log.Fatal(err)
	}
	st.Close()
	size := dirSize(dataDir)
	raw := lw.bytes + loaded.bytes
	fmt.Printf("Storage: %.1f MiB on disk for %.1f MiB of messages (%d events): %.1f%% of raw\n",
		float64(size)/(1<<20), float64(raw)/(1<<20), lw.events+loaded.events, 100*float64(size)/float64(raw))
}

type result struct {
	events, bytes int64
	elapsed       time.Duration
	cpu           float64 // server process CPU seconds
}

func (r result) rate() float64 { return float64(r.events) / r.elapsed.Seconds() }
func (r result) mib() float64  { return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds() }

func client(url string) *cwl.Client {
	return cwl.New(cwl.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", "")})
}

// message returns a ~150-byte syslog-style line.
func message(r *rand.Rand, w, i int) string {
	users := []string{"alice", "bob", "carol", "deploy", "root", "nagios"}
	verbs := []string{"Accepted publickey", "Failed password", "session opened", "session closed", "Disconnected"}
	u := r.IntN(len(users))
	// A user's key fingerprint is the same on every line, as in real logs.
	return fmt.Sprintf("host-%02d sshd[%d]: %s for %s from 10.%d.%d.%d port %d ssh2: RSA SHA256:%016x req=%08d",
		w, 1000+r.IntN(30000), verbs[r.IntN(len(verbs))], users[u],
		r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000), uint64(u+1)*0x9e3779b97f4a7c15, i)
}

func setup(c *cwl.Client, group string) {
	ctx := context.Background()
	if _, err := c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		log.Fatal(err)
	}
	for w := 0; w < clients; w++ {
		if _, err := c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group),
			LogStreamName: aws.String(fmt.Sprintf("writer-%d", w))}); err != nil {
			log.Fatal(err)
		}
	}
}

// run has each of the clients put batches until stop says so.
func run(url, group string, stop func(sent int64) bool) result {
	setup(client(url), group)
	var events, bytes atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(url)
			r := rand.New(rand.NewPCG(uint64(w), 42))
			// Messages are made before the clock runs; the needle lands in
			// about one event in 200,000.
			msgs := make([]string, msgPool)
			for i := range msgs {
				msgs[i] = message(r, w, i)
				if r.IntN(200_000) == 0 {
					msgs[i] += " " + needle
				}
			}
			evs := make([]types.InputLogEvent, batchSize)
			for b := 0; !stop(events.Load()); b++ {
				now := time.Now().UnixMilli()
				var n int64
				for i := range evs {
					m := msgs[(b*batchSize+i)%msgPool]
					n += int64(len(m))
					evs[i] = types.InputLogEvent{Timestamp: aws.Int64(now), Message: aws.String(m)}
				}
				_, err := c.PutLogEvents(context.Background(), &cwl.PutLogEventsInput{LogGroupName: aws.String(group),
					LogStreamName: aws.String(fmt.Sprintf("writer-%d", w)), LogEvents: evs})
				if err != nil {
					log.Fatalf("put: %v", err)
				}
				events.Add(batchSize)
				bytes.Add(n)
			}
		}()
	}
	wg.Wait()
	return result{events: events.Load(), bytes: bytes.Load(), elapsed: time.Since(start)}
}

func ingest(url, group string, d time.Duration) result {
	deadline := time.Now().Add(d)
	return run(url, group, func(int64) bool { return time.Now().After(deadline) })
}

func load(url, group string, n int) result {
	return run(url, group, func(sent int64) bool { return sent >= int64(n) })
}

// startServer starts a server program on a free loopback port (args holds
// one %d for the port) and waits until it accepts connections.
func startServer(bin string, args ...string) (url string, pid int, stop func(), err error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", 0, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for i, a := range args {
		if strings.Contains(a, "%d") {
			args[i] = fmt.Sprintf(a, port)
		}
	}
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return fmt.Sprintf("http://127.0.0.1:%d", port), cmd.Process.Pid, stop, nil
		}
	}
	stop()
	return "", 0, nil, fmt.Errorf("%s did not start", bin)
}

// procCPU returns the user+system CPU seconds of a process (Linux /proc).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may contain spaces) start at ") ".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times on Linux.
const clockTicks = 100

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
