// Package pipeline batches events per CloudWatch Logs destination under the
// PutLogEvents limits, applies backpressure, and acknowledges source offsets
// only after the destination accepted them.
package pipeline

// Acker is told, in order, that every event of one source up to offset has
// reached a terminal outcome (accepted by the destination, or rejected by it
// and counted). Implementations persist it as a checkpoint.
type Acker interface {
	Ack(offset int64)
}

// Event is one log event on its way to a destination.
type Event struct {
	// Timestamp is the event time in Unix milliseconds.
	Timestamp int64
	// Message is the event text, valid UTF-8, at most MaxEventBytes long.
	Message string
	// Acker, if not nil, is acknowledged with Offset once this event is done.
	Acker Acker
	// Offset is the source offset just past this event.
	Offset int64
	// Skip marks an ack-only event (for example one dropped by a filter): nothing
	// is sent, but its offset is acknowledged in order with the others.
	Skip bool
}

// Destination names one CloudWatch Logs stream and how its group is created.
type Destination struct {
	Group  string
	Stream string
	// Class is the log group class used when the group is created ("" = service default).
	Class string
	// RetentionDays is applied to the group when > 0 and different; -1 or 0 leaves it alone.
	RetentionDays int
}
