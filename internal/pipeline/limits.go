package pipeline

import "time"

// PutLogEvents limits (CloudWatch Logs API reference, PutLogEvents; see
// DESIGN.md "Limits the agent must respect"). A batch that breaks one of them
// is refused whole with InvalidParameterException.
const (
	// MaxBatchEvents is the most events one PutLogEvents may carry.
	MaxBatchEvents = 10_000
	// MaxBatchBytes bounds Σ(UTF-8 message bytes + EventOverheadBytes) of one batch.
	MaxBatchBytes = 1_048_576
	// EventOverheadBytes is what the service adds to each message when it
	// checks MaxBatchBytes and the event size limit.
	EventOverheadBytes = 26
	// MaxBatchSpan is the widest min..max timestamp range of one batch, in
	// milliseconds; the service refuses a batch spanning more than 24 hours.
	MaxBatchSpan = int64(24 * time.Hour / time.Millisecond)
	// MaxEventBytes is the longest message sent, in bytes. The service allows
	// 1 MiB minus EventOverheadBytes; the CloudWatch Agent keeps 200 bytes of
	// headroom (1,048,376) and so do we, so that sources can split long lines
	// at the same place as the original.
	MaxEventBytes = 1_048_576 - 200
	// TruncatedMarker ends a message that was cut to MaxEventBytes (the
	// CloudWatch Agent's marker; the total stays within MaxEventBytes).
	TruncatedMarker = "[Truncated...]"
	// MaxEventAgeMs and MaxEventFutureMs are the service's acceptance window
	// relative to its clock: events older than 14 days or more than 2 hours
	// ahead are rejected and reported in rejectedLogEventsInfo.
	MaxEventAgeMs    = int64(14 * 24 * time.Hour / time.Millisecond)
	MaxEventFutureMs = int64(2 * time.Hour / time.Millisecond)
)

// Defaults of Options.
const (
	// DefaultFlushInterval is logs.force_flush_interval's default: a batch
	// that is not full is sent this long after its first event arrived.
	DefaultFlushInterval = 5 * time.Second
	// DefaultConcurrency is logs.concurrency's default: one batch in flight
	// per destination (N > 1 makes a pool of N shared by all destinations).
	DefaultConcurrency = 1
	// DefaultMaxBufferedBytes bounds the message bytes (+26 each) the
	// pipeline holds across all destinations, building, queued and in flight,
	// so that the agent stays within its 64 MiB memory budget whatever the
	// backlog. A destination that holds nothing may always take one
	// reserveChunk, so none starves: the bound is exceeded by at most
	// reserveChunk per destination.
	DefaultMaxBufferedBytes = 16 << 20
	// reserveChunk is the step in which a building batch takes memory budget
	// (one shared atomic operation per ~500 short events, not per event).
	reserveChunk = 64 << 10
	// IdleReleaseBytes and IdleReleaseAfter: after at least this many bytes
	// went through, once the pipeline has held nothing for this long, its
	// memory is returned to the OS (the idle agent should stay near 15 MiB
	// RSS). A steady trickle of small batches does not trigger it.
	IdleReleaseBytes = 8 << 20
	IdleReleaseAfter = time.Second
	// DefaultRetryInitial and DefaultRetryMax bound the jittered exponential
	// backoff between attempts at one batch (the CloudWatch Agent's short
	// strategy starts at 200 ms and caps at 60 s). Retries never give up.
	DefaultRetryInitial = 200 * time.Millisecond
	DefaultRetryMax     = 60 * time.Second
	// DefaultThrottleInitial is the first backoff after throttling or a 5xx
	// (the CloudWatch Agent's long strategy starts at 2 s).
	DefaultThrottleInitial = 2 * time.Second
	// DefaultRetentionAttempts is how many times a retention check is tried
	// before it is logged and given up for this process (data is unaffected).
	DefaultRetentionAttempts = 5
)
