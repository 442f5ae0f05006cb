package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/logwarden/logwarden/internal/cloudwatch"
)

// ErrClosed is returned by Put after Close.
var ErrClosed = errors.New("pipeline closed")

// Client is what the pipeline needs from CloudWatch Logs. *cloudwatch.Client
// implements it; tests use fakes. Errors are classified with
// cloudwatch.Classify, so fakes return the SDK's error types.
type Client interface {
	// PutLogEvents sends one batch that obeys the PutLogEvents limits and is
	// sorted by timestamp; Rejected counts what the service refused.
	PutLogEvents(ctx context.Context, group, stream string, events []cloudwatch.Event) (cloudwatch.Rejected, error)
	// CreateLogGroup creates group with class ("" = default).
	CreateLogGroup(ctx context.Context, group, class string) error
	// CreateLogStream creates stream; a missing group is a not-found error.
	CreateLogStream(ctx context.Context, group, stream string) error
	// LogGroupRetention returns the group's retention in days (0 = never expire).
	LogGroupRetention(ctx context.Context, group string) (int, error)
	// PutRetentionPolicy sets the group's retention in days.
	PutRetentionPolicy(ctx context.Context, group string, days int) error
}

var _ Client = (*cloudwatch.Client)(nil)

// Clock is the time source; tests inject a fake.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options tune a Pipeline. Zero values take the defaults named below.
type Options struct {
	// FlushInterval is logs.force_flush_interval: a batch that is not full is
	// sent this long after its first event arrived. Default DefaultFlushInterval.
	FlushInterval time.Duration
	// Concurrency is logs.concurrency. With 1 (the default) each
	// destination has one batch in flight, as in the CloudWatch Agent. With
	// N > 1, as the agent's shared sender pool, at most N batches are in
	// flight across all destinations (and so at most N of one destination).
	// Acks stay in order whatever it is.
	Concurrency int
	// MaxBufferedBytes bounds the bytes in queued or in-flight batches across
	// destinations (see DefaultMaxBufferedBytes).
	MaxBufferedBytes int64
	// Logger receives warnings about retries and rejections; nil discards.
	Logger *slog.Logger
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// RetryInitial, ThrottleInitial and RetryMax shape the backoff between
	// attempts (defaults DefaultRetryInitial, DefaultThrottleInitial, DefaultRetryMax).
	RetryInitial    time.Duration
	ThrottleInitial time.Duration
	RetryMax        time.Duration
	// KeepMemory disables returning memory to the OS when the pipeline goes
	// idle after a burst (see IdleReleaseAfter).
	KeepMemory bool
}

// Stats are cumulative counters of a Pipeline.
type Stats struct {
	Events          int64 // events accepted by the destination
	Batches         int64 // PutLogEvents calls that succeeded
	Bytes           int64 // message bytes accepted
	Retries         int64 // failed attempts that were retried
	Throttles       int64 // of which throttling
	RejectedTooOld  int64 // rejectedLogEventsInfo tooOld (acked, not stored)
	RejectedTooNew  int64 // rejectedLogEventsInfo tooNew
	RejectedExpired int64 // rejectedLogEventsInfo expired
	DroppedInvalid  int64 // events of batches refused with InvalidParameterException
	Truncated       int64 // messages cut to MaxEventBytes
	EmptySkipped    int64 // empty messages acked without sending (the API refuses them)
	CreatedStreams  int64
	CreatedGroups   int64
}

type counters struct {
	events, batches, bytes, retries, throttles  atomic.Int64
	tooOld, tooNew, expired, invalid, truncated atomic.Int64
	empty, createdStreams, createdGroups        atomic.Int64
}

// Log attribute keys.
const (
	keyGroup  = "group"
	keyStream = "stream"
	keyErr    = "err"
	keyEvents = "events"
	keyWait   = "wait"
	keyDays   = "days"
)

// Pipeline batches events per destination and ships them with a Client.
type Pipeline struct {
	client Client
	opts   Options
	log    *slog.Logger
	clock  Clock

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.RWMutex
	dests     map[Destination]*dest
	closed    bool
	retention map[string]bool // groups whose retention was handled in this process

	last     atomic.Pointer[dest]
	isClosed atomic.Bool

	budget atomic.Int64 // bytes reserved by building, queued and in-flight batches

	sending atomic.Int64 // batches in flight across destinations (counted when Concurrency > 1)

	spaceMu sync.Mutex
	spaceCh chan struct{} // closed (and replaced) whenever a batch finishes

	c counters

	// Idle release: after a burst of at least IdleReleaseBytes, once nothing
	// has been held for IdleReleaseAfter, the heap is returned to the OS.
	sinceRelease atomic.Int64 // bytes shipped since the last release
	activity     atomic.Int64 // batches finished, to tell a quiet period
	releaseArmed atomic.Bool
}

// New returns a running Pipeline that sends through client.
func New(client Client, opts Options) *Pipeline {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if opts.RetryInitial <= 0 {
		opts.RetryInitial = DefaultRetryInitial
	}
	if opts.ThrottleInitial <= 0 {
		opts.ThrottleInitial = DefaultThrottleInitial
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = DefaultRetryMax
	}
	p := &Pipeline{
		client:    client,
		opts:      opts,
		log:       opts.Logger,
		clock:     opts.Clock,
		dests:     make(map[Destination]*dest),
		retention: make(map[string]bool),
		spaceCh:   make(chan struct{}),
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.clock == nil {
		p.clock = realClock{}
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// Stats returns the counters so far.
func (p *Pipeline) Stats() Stats {
	return Stats{
		Events: p.c.events.Load(), Batches: p.c.batches.Load(), Bytes: p.c.bytes.Load(),
		Retries: p.c.retries.Load(), Throttles: p.c.throttles.Load(),
		RejectedTooOld: p.c.tooOld.Load(), RejectedTooNew: p.c.tooNew.Load(), RejectedExpired: p.c.expired.Load(),
		DroppedInvalid: p.c.invalid.Load(), Truncated: p.c.truncated.Load(), EmptySkipped: p.c.empty.Load(),
		CreatedStreams: p.c.createdStreams.Load(), CreatedGroups: p.c.createdGroups.Load(),
	}
}

// Put hands one event to dst's queue. It blocks while the destination is
// backed up (its in-flight batches and one building batch are full, or the
// memory budget is spent) and returns ctx.Err() if ctx ends first, or
// ErrClosed after Close.
//
// Acks reach each Acker in the order its events were handed over, after the
// destination accepted (or explicitly rejected) them. The order holds per
// destination: an Acker must feed a single destination, as one tailed file does.
//
// A message longer than MaxEventBytes is cut (Truncate); an empty message is
// acknowledged without being sent (the API refuses it); a Timestamp <= 0 is
// replaced by the current time. Events the service rejects as too old or too
// new are acknowledged and counted in Stats, never retried.
func (p *Pipeline) Put(ctx context.Context, dst Destination, ev Event) error {
	_, err := p.PutBatch(ctx, dst, []Event{ev})
	return err
}

// PutBatch hands events to dst's queue in order, taking the destination's
// lock once for as many as fit. It returns how many were handed over; on an
// error (ctx ended, ErrClosed) the rest were not.
func (p *Pipeline) PutBatch(ctx context.Context, dst Destination, evs []Event) (int, error) {
	if p.isClosed.Load() {
		return 0, ErrClosed
	}
	d, err := p.dest(dst)
	if err != nil {
		return 0, err
	}
	n := 0
	var ev Event
	prepared := false
	for n < len(evs) {
		if !prepared {
			ev = p.prepare(evs[n])
		}
		prepared = false
		d.mu.Lock()
		for !d.tryAddLocked(&ev) {
			ch := p.space()
			if d.tryAddLocked(&ev) {
				break
			}
			d.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return n, ctx.Err()
			case <-p.ctx.Done():
				return n, ErrClosed
			}
			d.mu.Lock()
		}
		n++
		// Keep the lock for the following events while they fit.
		for n < len(evs) {
			ev = p.prepare(evs[n])
			if !d.tryAddLocked(&ev) {
				prepared = true // wait for room with the lock released
				break
			}
			n++
		}
		d.mu.Unlock()
	}
	return n, nil
}

// prepare fixes what the service would refuse in a single event.
func (p *Pipeline) prepare(ev Event) Event {
	if ev.Skip {
		return ev
	}
	if len(ev.Message) > MaxEventBytes {
		ev.Message = Truncate(ev.Message)
		p.c.truncated.Add(1)
	}
	if ev.Message == "" {
		// PutLogEvents refuses empty messages (min length 1): ack, don't send.
		ev.Skip = true
		p.c.empty.Add(1)
	}
	if ev.Timestamp <= 0 && !ev.Skip {
		ev.Timestamp = p.clock.Now().UnixMilli()
	}
	return ev
}

// Truncate cuts msg to MaxEventBytes at a UTF-8 boundary and appends
// TruncatedMarker; shorter messages are returned as they are.
func Truncate(msg string) string {
	if len(msg) <= MaxEventBytes {
		return msg
	}
	cut := MaxEventBytes - len(TruncatedMarker)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + TruncatedMarker
}

// space returns a channel closed the next time a batch finishes.
func (p *Pipeline) space() <-chan struct{} {
	p.spaceMu.Lock()
	ch := p.spaceCh
	p.spaceMu.Unlock()
	return ch
}

func (p *Pipeline) notifySpace() {
	p.spaceMu.Lock()
	close(p.spaceCh)
	p.spaceCh = make(chan struct{})
	p.spaceMu.Unlock()
}

func (p *Pipeline) dest(dst Destination) (*dest, error) {
	if d := p.last.Load(); d != nil && d.key == dst {
		return d, nil
	}
	p.mu.RLock()
	d, ok := p.dests[dst]
	closed := p.closed
	p.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	if !ok {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		d, ok = p.dests[dst]
		if !ok {
			d = newDest(p, dst)
			p.dests[dst] = d
			p.wg.Add(1)
			go d.run()
			if dst.RetentionDays > 0 && !p.retention[dst.Group] {
				p.retention[dst.Group] = true
				p.wg.Add(1)
				go p.applyRetention(d)
			}
		}
		p.mu.Unlock()
	}
	p.last.Store(d)
	return d, nil
}

func (p *Pipeline) destinations() []*dest {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*dest, 0, len(p.dests))
	for _, d := range p.dests {
		out = append(out, d)
	}
	return out
}

// Flush closes every building batch and waits until every event handed over
// before the call reached a terminal outcome (its Acker was called).
func (p *Pipeline) Flush(ctx context.Context) error {
	type target struct {
		d   *dest
		seq uint64
	}
	var targets []target
	for _, d := range p.destinations() {
		d.mu.Lock()
		t := d.nextSeq - 1
		if !d.cur.empty() {
			t = d.nextSeq
			d.flushReq = true
			d.kickLocked()
		}
		d.mu.Unlock()
		targets = append(targets, target{d, t})
	}
	for {
		ch := p.space()
		pending := 0
		for _, t := range targets {
			t.d.mu.Lock()
			if t.d.doneSeq < t.seq {
				pending++
			}
			t.d.mu.Unlock()
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("flush pipeline: %w", ctx.Err())
		case <-p.ctx.Done():
			return ErrClosed
		}
	}
}

// Close flushes what was handed over (bounded by ctx), then stops every
// goroutine. Events not acknowledged by then stay unacknowledged, so their
// sources re-read them on the next start.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.RLock()
	closed := p.closed
	p.mu.RUnlock()
	if closed {
		return nil
	}
	err := p.Flush(ctx)
	if errors.Is(err, ErrClosed) {
		err = nil
	}
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.isClosed.Store(true)
	p.last.Store(nil)
	p.cancel()
	p.wg.Wait()
	return err
}

// applyRetention sets dst's group retention once per process, after the
// group is known to exist.
func (p *Pipeline) applyRetention(d *dest) {
	defer p.wg.Done()
	select {
	case <-d.exists:
	case <-p.ctx.Done():
		return
	}
	group, days := d.key.Group, d.key.RetentionDays
	log := p.log.With(keyGroup, group, keyDays, days)
	wait := time.Second
	for attempt := 1; ; attempt++ {
		cur, err := p.client.LogGroupRetention(p.ctx, group)
		if err == nil && cur == days {
			return
		}
		if err == nil {
			err = p.client.PutRetentionPolicy(p.ctx, group, days)
			if err == nil {
				log.Info("set log group retention", "previous", cur)
				return
			}
		}
		if p.ctx.Err() != nil {
			return
		}
		if attempt >= DefaultRetentionAttempts {
			log.Warn("give up setting log group retention", keyErr, err)
			return
		}
		if !p.sleep(jitter(wait)) {
			return
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func (p *Pipeline) sleep(d time.Duration) bool {
	select {
	case <-p.clock.After(d):
		return true
	case <-p.ctx.Done():
		return false
	}
}

// jitter returns a uniform duration in [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half)
}

// ackRec is the highest offset of one Acker within a batch.
type ackRec struct {
	acker  Acker
	offset int64
}

// batch is one PutLogEvents request in the making, with the acks it releases.
type batch struct {
	seq      uint64
	events   []cloudwatch.Event
	acks     []ackRec
	bytes    int64
	reserved int64 // memory budget held (>= bytes)
	minTs    int64
	maxTs    int64
	unsorted bool
	done     bool
}

func (b *batch) empty() bool { return b == nil || (len(b.events) == 0 && len(b.acks) == 0) }

func (b *batch) reset() {
	clear(b.events) // drop message references
	b.events = b.events[:0]
	clear(b.acks)
	b.acks = b.acks[:0]
	b.bytes, b.reserved, b.minTs, b.maxTs, b.unsorted, b.done, b.seq = 0, 0, 0, 0, false, false, 0
}

// fits reports whether an event of size bytes at ts can join b.
func (b *batch) fits(ts int64, size int64) bool {
	if len(b.events) == 0 {
		return true
	}
	if len(b.events) >= MaxBatchEvents || b.bytes+size > MaxBatchBytes {
		return false
	}
	lo, hi := min(b.minTs, ts), max(b.maxTs, ts)
	return hi-lo < MaxBatchSpan
}

func (b *batch) addAck(a Acker, off int64) {
	if a == nil {
		return
	}
	if n := len(b.acks); n > 0 && b.acks[n-1].acker == a {
		b.acks[n-1].offset = off
		return
	}
	for i := range b.acks {
		if b.acks[i].acker == a {
			b.acks[i].offset = off
			return
		}
	}
	b.acks = append(b.acks, ackRec{a, off})
}

// dest is the queue and sender of one Destination.
type dest struct {
	p   *Pipeline
	key Destination
	log *slog.Logger

	mu       sync.Mutex
	cur      *batch    // the batch being built
	curFirst time.Time // when cur got its first item
	inflight []*batch  // closed batches not yet finished, in seq order
	nextSeq  uint64    // seq of the next batch to close (from 1)
	doneSeq  uint64    // every batch with seq <= doneSeq is finished
	flushReq bool
	reserved int64 // budget bytes held by cur and inflight
	kick     chan struct{}

	ackMu sync.Mutex // serialises ack delivery in seq order

	existsOnce sync.Once
	exists     chan struct{} // closed once the group and stream are known to exist
}

func newDest(p *Pipeline, key Destination) *dest {
	return &dest{
		p:       p,
		key:     key,
		log:     p.log.With(keyGroup, key.Group, keyStream, key.Stream),
		nextSeq: 1,
		kick:    make(chan struct{}, 1),
		exists:  make(chan struct{}),
	}
}

func (d *dest) kickLocked() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// batchPool recycles batches across destinations; the GC empties it when
// the agent is idle, so many quiet destinations hold no batch memory.
var batchPool = sync.Pool{New: func() any { return &batch{events: make([]cloudwatch.Event, 0, 256)} }}

func (d *dest) newBatchLocked() *batch {
	return batchPool.Get().(*batch)
}

// reserveLocked takes need more bytes of the memory budget for cur. A
// destination that holds nothing may always reserve, so none starves.
func (d *dest) reserveLocked(b *batch, size int64) bool {
	if b.bytes+size <= b.reserved {
		return true
	}
	need := (b.bytes + size - b.reserved + reserveChunk - 1) / reserveChunk * reserveChunk
	p := d.p
	if d.reserved > 0 && p.budget.Load()+need > p.opts.MaxBufferedBytes {
		return false
	}
	p.budget.Add(need)
	b.reserved += need
	d.reserved += need
	return true
}

// tryAddLocked adds ev to the building batch, closing it first if ev does
// not fit. It returns false, changing nothing, if the batch must close but
// the destination has no room (backpressure).
func (d *dest) tryAddLocked(ev *Event) bool {
	if ev.Skip {
		if ev.Acker == nil {
			return true
		}
		if d.cur == nil {
			d.cur = d.newBatchLocked()
		}
		if d.cur.empty() {
			d.startLocked()
		}
		d.cur.addAck(ev.Acker, ev.Offset)
		return true
	}
	size := int64(len(ev.Message) + EventOverheadBytes)
	b := d.cur
	if b != nil && !b.fits(ev.Timestamp, size) {
		if !d.closeLocked() {
			return false
		}
		b = nil
	}
	if b == nil {
		if d.cur == nil {
			d.cur = d.newBatchLocked()
		}
		b = d.cur
	}
	if !d.reserveLocked(b, size) {
		// Over the memory budget: ship what this destination has so that
		// the budget frees up, and wait.
		d.closeLocked()
		return false
	}
	if b.empty() {
		d.startLocked()
	}
	n := len(b.events)
	if n == 0 {
		b.minTs, b.maxTs = ev.Timestamp, ev.Timestamp
	} else {
		if ev.Timestamp < b.events[n-1].Timestamp {
			b.unsorted = true
		}
		b.minTs = min(b.minTs, ev.Timestamp)
		b.maxTs = max(b.maxTs, ev.Timestamp)
	}
	b.events = append(b.events, cloudwatch.Event{Timestamp: ev.Timestamp, Message: ev.Message})
	b.bytes += size
	b.addAck(ev.Acker, ev.Offset)
	if len(b.events) >= MaxBatchEvents || b.bytes > MaxBatchBytes-EventOverheadBytes-64 {
		d.closeLocked() // full: hand it to a sender now if there is room
	}
	return true
}

// startLocked notes that cur just got its first item and arms the flush timer.
func (d *dest) startLocked() {
	d.curFirst = d.p.clock.Now()
	d.kickLocked()
}

// closeLocked moves the building batch to the in-flight set and starts its
// sender, if the destination and the memory budget have room.
func (d *dest) closeLocked() bool {
	b := d.cur
	if b.empty() {
		return true
	}
	p := d.p
	if len(d.inflight) >= p.opts.Concurrency {
		return false
	}
	// Holding p.mu (read) orders this wg.Add before Close's Wait.
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed || p.ctx.Err() != nil {
		return false
	}
	if !p.takeSlot() {
		return false
	}
	b.seq = d.nextSeq
	d.nextSeq++
	d.cur = nil
	d.flushReq = false
	d.inflight = append(d.inflight, b)
	p.wg.Add(1)
	go d.send(b)
	return true
}

// run closes the building batch when force_flush_interval has passed since
// its first event, or when Flush asks.
func (d *dest) run() {
	p := d.p
	defer p.wg.Done()
	for {
		var timer <-chan time.Time
		var space <-chan struct{}
		d.mu.Lock()
		if !d.cur.empty() {
			age := p.clock.Now().Sub(d.curFirst)
			if d.flushReq || age >= p.opts.FlushInterval {
				space = p.space()
				if d.closeLocked() {
					d.flushReq = false
					space = nil
				}
			} else {
				timer = p.clock.After(p.opts.FlushInterval - age)
			}
		}
		d.mu.Unlock()
		select {
		case <-d.kick:
		case <-timer:
		case <-space:
		case <-p.ctx.Done():
			return
		}
	}
}

// send delivers b (retrying as long as it takes) and then releases its acks
// in order.
func (d *dest) send(b *batch) {
	p := d.p
	defer p.wg.Done()
	if len(b.events) > 0 {
		if b.unsorted {
			slices.SortStableFunc(b.events, func(x, y cloudwatch.Event) int { return cmp.Compare(x.Timestamp, y.Timestamp) })
		}
		if !d.deliver(b) {
			p.releaseSlot()
			return // closing: not acknowledged, re-read on the next start
		}
	}
	p.releaseSlot()
	d.finish(b)
}

// takeSlot reserves one of the Concurrency sender slots shared by all
// destinations; with Concurrency 1 there is no shared limit (each
// destination's own limit of one applies).
func (p *Pipeline) takeSlot() bool {
	if p.opts.Concurrency <= 1 {
		return true
	}
	for {
		n := p.sending.Load()
		if n >= int64(p.opts.Concurrency) {
			return false
		}
		if p.sending.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// releaseSlot gives back a slot taken by takeSlot and wakes whoever waits
// for one (finish wakes them only when acks advance).
func (p *Pipeline) releaseSlot() {
	if p.opts.Concurrency <= 1 {
		return
	}
	p.sending.Add(-1)
	p.notifySpace()
}

// finish marks b done and acks every finished batch at the head of the
// in-flight list, in seq order. The batches leave the list only after their
// acks returned, so this destination sends its next batch only once the
// previous one's acks are recorded (the checkpoint journals an ack before
// returning): a crash then repeats at most the batches in flight.
func (d *dest) finish(b *batch) {
	p := d.p
	d.mu.Lock()
	b.done = true
	d.mu.Unlock()
	// One finisher at a time: it acks whatever finished at the head.
	d.ackMu.Lock()
	d.mu.Lock()
	n := 0
	for n < len(d.inflight) && d.inflight[n].done {
		n++
	}
	fin := slices.Clone(d.inflight[:n])
	d.mu.Unlock()
	if n == 0 {
		d.ackMu.Unlock()
		return
	}
	for _, f := range fin {
		for _, a := range f.acks {
			a.acker.Ack(a.offset)
		}
	}
	d.mu.Lock()
	// Only finish removes batches, and finishers take turns: the head is fin.
	clear(d.inflight[:n])
	d.inflight = d.inflight[n:]
	for _, f := range fin {
		d.doneSeq = f.seq
		p.budget.Add(-f.reserved)
		p.sinceRelease.Add(f.reserved)
		d.reserved -= f.reserved
		f.reset()
		batchPool.Put(f)
	}
	d.kickLocked()
	d.mu.Unlock()
	d.ackMu.Unlock()
	p.notifySpace()
	p.activity.Add(1)
	p.maybeRelease()
}

// maybeRelease arms a one-shot check that returns the heap to the OS once the
// pipeline has held nothing for IdleReleaseAfter after a burst. Pooled request
// bodies and batches would otherwise keep the idle agent's RSS at its busy
// level, since an idle process does not collect garbage.
func (p *Pipeline) maybeRelease() {
	if p.opts.KeepMemory || p.sinceRelease.Load() < IdleReleaseBytes || p.budget.Load() != 0 {
		return
	}
	if !p.releaseArmed.CompareAndSwap(false, true) {
		return
	}
	seen := p.activity.Load()
	time.AfterFunc(IdleReleaseAfter, func() {
		p.releaseArmed.Store(false)
		if p.ctx.Err() != nil {
			return
		}
		if p.activity.Load() != seen || p.budget.Load() != 0 {
			p.maybeRelease() // still busy: look again later
			return
		}
		p.sinceRelease.Store(0)
		// sync.Pool keeps its items through one collection (victim cache):
		// collect once so the second one, in FreeOSMemory, frees them.
		runtime.GC()
		debug.FreeOSMemory()
		p.log.Debug("idle: returned memory to the OS")
	})
}

// deliver sends b until the destination accepted it (or refused it for good).
// It returns false only when the pipeline is closing.
func (d *dest) deliver(b *batch) bool {
	p := d.p
	ctx := p.ctx
	var wait time.Duration
	notFound := 0
	for attempt := 1; ; attempt++ {
		rej, err := p.client.PutLogEvents(ctx, d.key.Group, d.key.Stream, b.events)
		if err == nil {
			d.accepted(b, rej)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		class := cloudwatch.Classify(err)
		switch class {
		case cloudwatch.ClassNotFound:
			notFound++
			berr := d.bootstrap(ctx)
			if berr == nil && notFound == 1 {
				continue // created: retry the put at once
			}
			if berr != nil {
				err = berr
				class = cloudwatch.Classify(berr)
			}
		case cloudwatch.ClassInvalid:
			p.c.invalid.Add(int64(len(b.events)))
			d.log.Error("destination refused batch, dropping it", keyEvents, len(b.events), keyErr, err)
			return true
		case cloudwatch.ClassAccepted:
			d.accepted(b, cloudwatch.Rejected{})
			return true
		}
		p.c.retries.Add(1)
		initial := p.opts.RetryInitial
		if class == cloudwatch.ClassThrottle || cloudwatch.IsRetryable(err) {
			initial = p.opts.ThrottleInitial
			if class == cloudwatch.ClassThrottle {
				p.c.throttles.Add(1)
			}
		}
		if wait == 0 {
			wait = initial
		} else {
			wait = min(wait*2, p.opts.RetryMax)
		}
		sleep := jitter(wait)
		if attempt == 1 || attempt%10 == 0 {
			d.log.Warn("put log events failed, retrying", "attempt", attempt, keyWait, sleep, keyErr, err)
		}
		if !p.sleep(sleep) {
			return false
		}
	}
}

func (d *dest) accepted(b *batch, rej cloudwatch.Rejected) {
	p := d.p
	n := int64(len(b.events))
	if t := rej.Total(); t > 0 {
		p.c.tooOld.Add(int64(rej.TooOld))
		p.c.tooNew.Add(int64(rej.TooNew))
		p.c.expired.Add(int64(rej.Expired))
		n -= int64(t)
		d.log.Warn("destination rejected events", "too_old", rej.TooOld, "too_new", rej.TooNew, "expired", rej.Expired)
	}
	p.c.events.Add(n)
	p.c.batches.Add(1)
	p.c.bytes.Add(b.bytes - int64(len(b.events))*EventOverheadBytes)
	d.existsOnce.Do(func() { close(d.exists) })
}

// bootstrap creates the stream, and the group first if it is missing too.
func (d *dest) bootstrap(ctx context.Context) error {
	p := d.p
	g, s := d.key.Group, d.key.Stream
	err := p.client.CreateLogStream(ctx, g, s)
	if err == nil || cloudwatch.IsAlreadyExists(err) {
		p.c.createdStreams.Add(1)
		return nil
	}
	if !cloudwatch.IsNotFound(err) {
		return fmt.Errorf("create log stream: %w", err)
	}
	if err := p.client.CreateLogGroup(ctx, g, d.key.Class); err != nil && !cloudwatch.IsAlreadyExists(err) {
		return fmt.Errorf("create log group: %w", err)
	}
	p.c.createdGroups.Add(1)
	d.log.Info("created log group")
	if err := p.client.CreateLogStream(ctx, g, s); err != nil && !cloudwatch.IsAlreadyExists(err) {
		return fmt.Errorf("create log stream: %w", err)
	}
	p.c.createdStreams.Add(1)
	return nil
}
