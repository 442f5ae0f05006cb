// Package agent wires one log agent: it discovers the files of every
// collect_list entry, tails them across rotation, turns their lines into
// events (internal/decode), hands the events to a Sink (the batching
// pipeline) and advances per-file checkpoints only when the Sink
// acknowledges them.
//
// Rotation: a file renamed or deleted under a tailer is read to its end (and
// kept open until its events are acknowledged) before the new file at the
// path is read; a copytruncate is detected by size or by the fingerprint of
// the first bytes, and the rest of the old content is read from the copy
// found next to the file. A file rotated twice between two checks has its
// middle generation read from the rotated copy (by name order). Files
// rotated or truncated while the agent was stopped are found again by
// device, inode and fingerprint in the same directory.
//
// Binary login files: a file whose base name starts with wtmp, btmp, utmp
// or lastlog and whose content confirms it (binlog.DetectFormat) is shipped
// as one JSON line per record (binlog.JSONRecord), timestamped with the
// record's time, instead of being read as lines; such a name over other
// content is never shipped (one warning). See binary.go.
//
// Known limits: lines written between logrotate's copy and its truncate are
// on no disk and are lost unless the agent read them before the truncate;
// a truncated file whose new first kilobyte equals the old one and which grew
// past the old offset between two checks cannot be told from an append; a
// file rotated while the agent was stopped, or rotated twice between two
// checks, is recovered only if it stays, uncompressed, in the same
// directory under a rotated name (app.log.1, app.log-20261126).
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/logwarden/logwarden/internal/checkpoint"
	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/decode"
	"github.com/logwarden/logwarden/internal/pipeline"
	"github.com/logwarden/logwarden/internal/tail"
)

// Sink is where the agent's events go (the pipeline implements it).
type Sink interface {
	// Put hands one event to dest's queue; it blocks while the destination is
	// backed up (backpressure) and returns ctx.Err() if ctx ends.
	Put(ctx context.Context, dest pipeline.Destination, ev pipeline.Event) error
	// Flush sends everything queued and waits until every event handed over
	// so far reached a terminal outcome (its Acker called).
	Flush(ctx context.Context) error
}

// BatchSink is a Sink that also takes several events for one destination in
// one call (the pipeline does: one lock round trip for many events). The
// agent uses it, when the Sink has it, for the lines of one read.
type BatchSink interface {
	Sink
	// PutBatch hands evs over in order; it returns how many were handed over
	// and, if not all, why (ctx ended, the sink closed).
	PutBatch(ctx context.Context, dest pipeline.Destination, evs []pipeline.Event) (int, error)
}

// putBatchSize is how many events a read collects before handing them over
// (why: enough to amortise the hand-over, few enough to keep latency and the
// held messages small).
const putBatchSize = 256

// DefaultScanInterval is how often globs are evaluated (the CloudWatch Agent
// rescans every second; new files are picked up within this time).
const DefaultScanInterval = time.Second

// DefaultPollInterval is how often a file at EOF is checked for growth,
// rotation and truncation (the CloudWatch Agent polls every 250 ms).
const DefaultPollInterval = 250 * time.Millisecond

// DefaultRotateGrace is how long a rotated or deleted file stays open after
// it stopped growing: a writer may append to the old file until it reopens
// its log (logrotate's postrotate signal).
const DefaultRotateGrace = 2 * time.Second

// DefaultStopTimeout bounds how long a stop waits for the Sink to deliver
// what was handed over before the final checkpoints are written.
const DefaultStopTimeout = 15 * time.Second

// DefaultNotifyPollInterval is how often a file whose directory is watched
// by inotify is still checked (why: notifications wake the tailer at once;
// this slow poll is the safety net, and it keeps thousands of idle files
// from costing thousands of wake-ups a second).
const DefaultNotifyPollInterval = 2 * time.Second

// DefaultFDReleaseAfter is how long a hand-over may block before a
// backpressure_mode "fd_release" source closes its file (the CloudWatch
// Agent's 3 s).
const DefaultFDReleaseAfter = 3 * time.Second

// fdRelease is the backpressure_mode that releases descriptors.
const fdRelease = "fd_release"

// minNotifyScanGap bounds how often file notifications trigger a rescan
// (why: a directory with busy churn must not turn into a scan loop).
const minNotifyScanGap = 50 * time.Millisecond

// Log attribute keys.
const (
	keyPath   = "path"
	keyErr    = "err"
	keySource = "source"
	keyOffset = "offset"
)

// Options configures an Agent.
type Options struct {
	// Sources are the resolved collect_list entries.
	Sources []config.Source
	// StateDir holds checkpoints; default checkpoint.DefaultStateDir().
	StateDir string
	// Sink receives the events. Required.
	Sink   Sink
	Logger *slog.Logger
	// ScanInterval: default DefaultScanInterval.
	ScanInterval time.Duration
	// PollInterval: default DefaultPollInterval.
	PollInterval time.Duration
	// MultiLineFlush is the quiet period after which a pending multi-line
	// event is sent: default decode.DefaultFlushQuiet.
	MultiLineFlush time.Duration
	// RotateGrace: default DefaultRotateGrace.
	RotateGrace time.Duration
	// StopTimeout: default DefaultStopTimeout.
	StopTimeout time.Duration
	// CheckpointInterval: default checkpoint.DefaultSaveInterval.
	CheckpointInterval time.Duration
	// MaxEventBytes: default (and at most) decode.MaxEventBytes; tests lower it.
	MaxEventBytes int
	// NotifyPollInterval: default DefaultNotifyPollInterval (never below PollInterval).
	NotifyPollInterval time.Duration
	// FDReleaseAfter: default DefaultFDReleaseAfter.
	FDReleaseAfter time.Duration
	// DisableNotify turns off the inotify fast path (polling only).
	DisableNotify bool
	// ImportCWAgentState, if set, is the Amazon CloudWatch Agent's state
	// folder (checkpoint.CWAgentStateDir). On the first start with an empty
	// StateDir, files found in the first scan resume at the offset the
	// CloudWatch Agent recorded instead of byte 0, so a migration does not
	// send everything again. (Its state has no file identity; an offset
	// beyond the file's size is ignored.)
	ImportCWAgentState string
}

// Agent follows the configured files. Create it with New, run it with Run.
type Agent struct {
	opts    Options
	log     *slog.Logger
	store   *checkpoint.Store
	sources []*source

	stopping atomic.Bool
	stopCh   chan struct{}
	sinkCtx  context.Context
	wg       sync.WaitGroup

	mu      sync.Mutex
	active  map[activeKey]*tailer
	busyIDs map[idKey]int // files open in a tailer or waiting for acks, per source
	warned  map[string]string

	openFile func(string) (*os.File, error) // os.Open; tests inject failures

	// atStart indexes the checkpoints found at start by source and path, for
	// finding files rotated while the agent was stopped. Under mu.
	atStart map[startKey][]checkpoint.Entry

	importing bool // during the first scan of a fresh state dir, with ImportCWAgentState

	watcher  *tail.Watcher // nil: polling only
	scanWake chan struct{}
	byDir    map[string]map[*tailer]struct{} // active tailers by directory, under mu
}

type activeKey struct {
	src  int
	path string
}

type startKey struct {
	source, path string
}

type idKey struct {
	src int
	id  tail.ID
}

type source struct {
	idx     int
	cfg     config.Source
	key     string
	glob    *tail.Glob
	exclude tail.Exclude
	popts   decode.Options
	newline tail.Newline
	charset *decode.Charset
	// filters are the entry's filters, for the JSON lines of binary login
	// files (text lines go through the decode.Processor's).
	filters []binFilter
}

// New validates opts, compiles every source and opens the checkpoint store.
func New(opts Options) (*Agent, error) {
	if opts.Sink == nil {
		return nil, errors.New("new agent: no sink")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StateDir == "" {
		opts.StateDir = checkpoint.DefaultStateDir()
	}
	setDefault(&opts.ScanInterval, DefaultScanInterval)
	setDefault(&opts.PollInterval, DefaultPollInterval)
	setDefault(&opts.MultiLineFlush, decode.DefaultFlushQuiet)
	setDefault(&opts.RotateGrace, DefaultRotateGrace)
	setDefault(&opts.StopTimeout, DefaultStopTimeout)
	setDefault(&opts.CheckpointInterval, checkpoint.DefaultSaveInterval)
	setDefault(&opts.FDReleaseAfter, DefaultFDReleaseAfter)
	setDefault(&opts.NotifyPollInterval, DefaultNotifyPollInterval)
	opts.NotifyPollInterval = max(opts.NotifyPollInterval, opts.PollInterval)
	if opts.MaxEventBytes <= 0 || opts.MaxEventBytes > decode.MaxEventBytes {
		opts.MaxEventBytes = decode.MaxEventBytes
	}
	stateDir, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("new agent: %w", err)
	}
	a := &Agent{
		opts:    opts,
		log:     opts.Logger,
		stopCh:  make(chan struct{}),
		active:  map[activeKey]*tailer{},
		busyIDs: map[idKey]int{},
		warned:  map[string]string{},

		openFile: openNonBlocking,
		scanWake: make(chan struct{}, 1),
		byDir:    map[string]map[*tailer]struct{}{},
	}
	seen := map[string]int{}
	for i, s := range opts.Sources {
		src, err := compileSource(i, s, stateDir, opts.MaxEventBytes)
		if err != nil {
			return nil, fmt.Errorf("new agent: collect_list[%d] (%s): %w", s.Index, s.FilePath, err)
		}
		src.key = checkpoint.SourceKey(s.FilePath, seen[s.FilePath])
		seen[s.FilePath]++
		a.sources = append(a.sources, src)
	}
	a.store, err = checkpoint.Open(stateDir, checkpoint.Options{SaveInterval: opts.CheckpointInterval, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("new agent: %w", err)
	}
	a.atStart = map[startKey][]checkpoint.Entry{}
	for _, e := range a.store.Entries() {
		k := startKey{e.Source, e.Path}
		a.atStart[k] = append(a.atStart[k], e)
	}
	return a, nil
}

// openNonBlocking opens path for reading without blocking should it have
// become a FIFO since the scan (O_NONBLOCK changes nothing for regular files).
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func compileSource(i int, s config.Source, stateDir string, maxEvent int) (*source, error) {
	g, err := tail.CompileGlob(s.FilePath)
	if err != nil {
		return nil, err
	}
	src := &source{idx: i, cfg: s, glob: g, popts: decode.OptionsFor(s)}
	src.popts.MaxEventBytes = maxEvent
	src.exclude.StateDir = stateDir
	if s.Blacklist != "" {
		if src.exclude.Blacklist, err = regexp.Compile(s.Blacklist); err != nil {
			return nil, fmt.Errorf("compile blacklist: %w", err)
		}
	}
	p, err := decode.NewProcessor(src.popts)
	if err != nil {
		return nil, err
	}
	src.charset = p.Charset()
	if src.filters, err = compileFilters(s.Filters); err != nil {
		return nil, err
	}
	switch p.Charset().Newline() {
	case decode.NewlineUTF16LE:
		src.newline = tail.NewlineUTF16LE
	case decode.NewlineUTF16BE:
		src.newline = tail.NewlineUTF16BE
	}
	return src, nil
}

// destination names where the file at path goes.
func (s *source) destination(path string) pipeline.Destination {
	g, st := s.cfg.Destination(path)
	return pipeline.Destination{Group: g, Stream: st, Class: s.cfg.LogGroupClass, RetentionDays: s.cfg.RetentionInDays}
}

// StatePath is the checkpoint file's path.
func (a *Agent) StatePath() string { return a.store.Path() }

// Run follows the files until ctx ends. Then it stops reading, hands over
// pending multi-line events, flushes the Sink (bounded by StopTimeout),
// writes the final checkpoints and returns. Run is called once per Agent.
func (a *Agent) Run(ctx context.Context) error {
	storeCtx, stopStore := context.WithCancel(context.WithoutCancel(ctx))
	storeDone := make(chan error, 1)
	go func() { storeDone <- a.store.Run(storeCtx) }()
	sinkCtx, cancelSink := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSink()
	a.sinkCtx = sinkCtx

	if !a.opts.DisableNotify {
		if w, err := tail.NewWatcher(); err != nil {
			a.log.Info("no file notifications; polling only", keyErr, err)
		} else {
			a.watcher = w
			defer w.Close()
			go a.watchLoop(w)
		}
	}
	t := time.NewTicker(a.opts.ScanInterval)
	a.importing = a.opts.ImportCWAgentState != "" && a.store.Fresh()
	a.scan()
	a.importing = false
	last := time.Now()
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-t.C:
			a.scan()
			last = time.Now()
		case <-a.scanWake:
			if wait := minNotifyScanGap - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					running = false
					continue
				case <-time.After(wait):
				}
			}
			a.scan()
			last = time.Now()
		}
	}
	t.Stop()

	a.stopping.Store(true)
	close(a.stopCh)
	grace, cancelGrace := context.WithTimeout(context.WithoutCancel(ctx), a.opts.StopTimeout)
	defer cancelGrace()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-grace.Done():
		cancelSink()
		<-done
	}
	if err := a.opts.Sink.Flush(grace); err != nil {
		a.log.Warn("stop: the sink did not deliver everything in time; undelivered events are read again at the next start", keyErr, err)
	}
	cancelSink()
	stopStore()
	if err := <-storeDone; err != nil {
		return fmt.Errorf("stop agent: %w", err)
	}
	return nil
}

// scan evaluates every source's glob and starts tailers for new files.
func (a *Agent) scan() {
	for _, src := range a.sources {
		a.watchDir(src.glob.Root()) // once it exists (the watcher ignores repeats)
		paths := src.glob.ScanPaths()
		kept := paths[:0]
		for _, p := range paths {
			if src.exclude.Excluded(p) {
				continue
			}
			if src.cfg.PublishMultiLogs && a.running(src, p) {
				continue // followed already: no stat needed
			}
			kept = append(kept, p)
		}
		ms := tail.Stat(kept)
		if !src.cfg.PublishMultiLogs {
			m, ok := tail.Newest(ms)
			ms = ms[:0]
			if ok {
				ms = append(ms, m)
			}
		}
		for _, m := range ms {
			a.consider(src, m)
		}
	}
}

func (a *Agent) running(src *source, path string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.active[activeKey{src.idx, path}]
	return ok
}

func (a *Agent) consider(src *source, m tail.Match) {
	k := activeKey{src.idx, m.Path}
	a.mu.Lock()
	_, running := a.active[k]
	busy := a.busyIDs[idKey{src.idx, tail.FileID(m.Info)}] > 0
	a.mu.Unlock()
	if running || busy || a.stopping.Load() {
		return
	}
	t := &tailer{a: a, src: src, path: m.Path, dir: filepath.Dir(m.Path), dest: src.destination(m.Path), wake: make(chan struct{}, 1)}
	if isBinaryName(m.Path) {
		t.bin = &binFile{}
	}
	if !t.open() {
		return
	}
	t.dirs = []string{t.dir}
	if real, err := filepath.EvalSymlinks(t.path); err == nil && filepath.Dir(real) != t.dir {
		t.dirs = append(t.dirs, filepath.Dir(real)) // appends to a symlink's target show up there
	}
	a.mu.Lock()
	if src.cfg.AutoRemoval {
		for key, other := range a.active {
			if key.src == src.idx {
				other.stopAtEOF.Store(true)
				other.poke()
			}
		}
	}
	a.active[k] = t
	for _, d := range t.dirs {
		if a.byDir[d] == nil {
			a.byDir[d] = map[*tailer]struct{}{}
		}
		a.byDir[d][t] = struct{}{}
	}
	a.mu.Unlock()
	t.watched = true
	for _, d := range t.dirs {
		t.watched = a.watchDir(d) && t.watched
	}
	a.wg.Add(1)
	go t.run()
}

// watchDir adds dir to the fast path, if there is one. A directory that
// cannot be watched (missing yet, too many watches) is left to polling.
func (a *Agent) watchDir(dir string) bool {
	return a.watcher != nil && a.watcher.Add(dir) == nil
}

// watchLoop turns notifications into a rescan (entries changed) and into
// wake-ups of the tailers whose file lives in the changed directory.
func (a *Agent) watchLoop(w *tail.Watcher) {
	for ch := range w.Events() {
		if ch.Entries {
			select {
			case a.scanWake <- struct{}{}:
			default:
			}
		}
		a.mu.Lock()
		if ch.Dir == "" { // queue overflow: wake everyone
			for _, t := range a.active {
				t.poke()
			}
		}
		for t := range a.byDir[ch.Dir] {
			t.poke()
		}
		a.mu.Unlock()
	}
}

// warnOnce logs a problem with path once until it changes or clears.
func (a *Agent) warnOnce(path, msg string, err error) {
	text := msg + ": " + err.Error()
	a.mu.Lock()
	seen := a.warned[path] == text
	a.warned[path] = text
	a.mu.Unlock()
	if !seen {
		a.log.Warn(msg+"; retrying at every scan", keyPath, path, keyErr, err)
	}
}

func (a *Agent) clearWarn(path string) {
	a.mu.Lock()
	_, was := a.warned[path]
	delete(a.warned, path)
	a.mu.Unlock()
	if was {
		a.log.Info("file is readable again", keyPath, path)
	}
}

func (a *Agent) busy(src int, id tail.ID, delta int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := idKey{src, id}
	a.busyIDs[k] += delta
	if a.busyIDs[k] <= 0 {
		delete(a.busyIDs, k)
	}
}

func (a *Agent) done(t *tailer) {
	a.mu.Lock()
	if a.active[activeKey{t.src.idx, t.path}] == t {
		delete(a.active, activeKey{t.src.idx, t.path})
	}
	for _, d := range t.dirs {
		if m := a.byDir[d]; m != nil {
			delete(m, t)
			if len(m) == 0 {
				delete(a.byDir, d)
			}
		}
	}
	a.mu.Unlock()
	a.wg.Done()
}

// waitAcked waits until h acknowledged offset (or the agent stops).
func (a *Agent) waitAcked(h *checkpoint.Handle, offset int64) bool {
	for h.Acked() < offset {
		if a.stopping.Load() {
			return false
		}
		select {
		case <-a.stopCh:
			return false
		case <-time.After(a.opts.PollInterval / 5):
		}
	}
	return true
}
