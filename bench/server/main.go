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
// Run it with bench/server/run.sh (or go run ./bench/server -h).
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/server"
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
	keep := flag.String("data", "", "data directory (default: a temporary one, removed)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the logwarden ingestion phase to this file")
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
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{Listen: "127.0.0.1:0", DataDir: dir, RetentionInterval: -1},
			func(a string) { addrc <- a })
	}()
	lwURL := "http://" + <-addrc

	fmt.Printf("PutLogEvents: %d clients, batches of %d events of ~150 bytes, %s per target\n", clients, batchSize, *dur)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
	}
	lw := ingest(lwURL, "/bench/ingest", *dur)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("  logwarden    %9.0f events/s  %7.1f MiB/s  (%d events, every batch fsynced)\n", lw.rate(), lw.mib(), lw.events)
	if *motoBin != "" {
		if url, stop, err := startMoto(*motoBin); err != nil {
			fmt.Printf("  moto_server  skipped: %v\n", err)
		} else {
			mo := ingest(url, "/bench/ingest", *dur)
			stop()
			fmt.Printf("  moto_server  %9.0f events/s  %7.1f MiB/s  (%d events, in memory)\n", mo.rate(), mo.mib(), mo.events)
			fmt.Printf("  ratio        %9.1fx\n", lw.rate()/mo.rate())
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
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}

	// Stored size after compaction.
	st, err := store.Open(store.Options{Dir: dir, RetentionInterval: -1})
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
	size := dirSize(dir)
	raw := lw.bytes + loaded.bytes
	fmt.Printf("Storage: %.1f MiB on disk for %.1f MiB of messages (%d events): %.1f%% of raw\n",
		float64(size)/(1<<20), float64(raw)/(1<<20), lw.events+loaded.events, 100*float64(size)/float64(raw))
}

type result struct {
	events, bytes int64
	elapsed       time.Duration
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

func startMoto(bin string) (string, func(), error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return fmt.Sprintf("http://127.0.0.1:%d", port), stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("moto_server did not start")
}

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
