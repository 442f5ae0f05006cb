// Package decode turns raw lines of a log file into CloudWatch Logs events
// the way the Amazon CloudWatch Agent does: it decodes the file's encoding to
// valid UTF-8, assembles multi-line events (start pattern, quiet-period
// flush, size cut with [Truncated...]), finds and parses the timestamp
// (strftime timestamp_format, optional trim_timestamp), and applies
// include/exclude filters.
package decode

import "time"

// MaxEventBytes is the largest message the agent emits: CloudWatch Logs
// accepts 1 MiB per event including 26 bytes of overhead, and the
// CloudWatch Agent keeps 200 bytes in reserve (max_event_size 1,048,576 − 200).
const MaxEventBytes = 1048576 - 200

// TruncatedMarker ends a multi-line event that was cut at MaxEventBytes
// (the CloudWatch Agent's marker, pusher/batch.go).
const TruncatedMarker = "[Truncated...]"

// DefaultFlushQuiet is how long a pending multi-line event waits for a
// continuation line before it is sent (the CloudWatch Agent publishes after
// five 1 s ticks without a new start line).
const DefaultFlushQuiet = 5 * time.Second

// EmitFunc receives one finished event: its timestamp (Unix ms), message
// (valid UTF-8, at most the limit), the source offset just past it, and
// whether it was dropped by a filter (skip: acknowledge only, send nothing).
type EmitFunc func(ts int64, msg string, end int64, skip bool) error
