package decode

import (
	"fmt"
	"regexp"
	"time"

	"github.com/logwarden/logwarden/internal/config"
)

// StartFunc reports whether a decoded line starts a new event.
type StartFunc func(line []byte) bool

// NewStartFunc compiles a multi_line_start_pattern. The default `^[\S]` takes
// a fast path without regexp; exactly "{timestamp_format}" uses ts's regex
// (ts must then be non-nil).
func NewStartFunc(pattern string, ts *Timestamp) (StartFunc, error) {
	switch pattern {
	case config.DefaultMultiLineStartPattern, "":
		return startsNonSpace, nil
	case config.TimestampFormatPlaceholder:
		if ts == nil {
			return nil, fmt.Errorf("compile multi_line_start_pattern: %s needs a timestamp_format", config.TimestampFormatPlaceholder)
		}
		return ts.Regexp().Match, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("compile multi_line_start_pattern %q: %w", pattern, err)
	}
	return re.Match, nil
}

// startsNonSpace is `^[\S]`: RE2's \s is [\t\n\f\r ], so any other first byte
// (including the first byte of a multi-byte rune) starts an event.
func startsNonSpace(line []byte) bool {
	if len(line) == 0 {
		return false
	}
	switch line[0] {
	case ' ', '\t', '\n', '\f', '\r':
		return false
	}
	return true
}

// Assembler joins lines into multi-line events. A line that matches the start
// pattern (or any line when nothing is pending) closes the pending event and
// opens a new one; other lines are appended with "\n". An event that would
// grow past the limit is cut and ends in TruncatedMarker; further
// continuation lines are discarded (their offsets still advance).
type Assembler struct {
	start     StartFunc
	limit     int
	buf       []byte
	pending   bool
	truncated bool
	end       int64
	since     time.Time // when the last line was added
}

// NewAssembler makes an assembler; limit ≤ 0 means MaxEventBytes.
func NewAssembler(start StartFunc, limit int) *Assembler {
	if limit <= 0 {
		limit = MaxEventBytes
	}
	if limit < len(TruncatedMarker)+8 {
		limit = len(TruncatedMarker) + 8
	}
	return &Assembler{start: start, limit: limit}
}

// Add takes one decoded line (valid UTF-8, at most the limit) ending at
// source offset end. When it closes the pending event, out is called with
// that event's bytes (valid until the next call) and end offset.
func (a *Assembler) Add(line []byte, end int64, now time.Time, out func(msg []byte, end int64) error) error {
	if a.pending && a.start(line) {
		if err := a.Flush(out); err != nil {
			return err
		}
	}
	a.since = now
	if !a.pending {
		a.buf = append(a.buf[:0], line...)
		a.pending, a.truncated, a.end = true, false, end
		if len(a.buf) > a.limit {
			a.cut()
		}
		return nil
	}
	a.end = end
	if a.truncated {
		return nil
	}
	if len(a.buf)+1+len(line) > a.limit {
		a.buf = append(a.buf, '\n')
		a.buf = append(a.buf, line...)
		a.cut()
		return nil
	}
	a.buf = append(a.buf, '\n')
	a.buf = append(a.buf, line...)
	return nil
}

// cut shortens buf to the limit, ending in the marker.
func (a *Assembler) cut() {
	keep := CutUTF8(a.buf, a.limit-len(TruncatedMarker))
	a.buf = append(a.buf[:keep], TruncatedMarker...)
	a.truncated = true
}

// Standalone emits line as an event of its own (a piece of an over-long line
// split at the limit), after flushing whatever was pending.
func (a *Assembler) Standalone(line []byte, end int64, out func(msg []byte, end int64) error) error {
	if err := a.Flush(out); err != nil {
		return err
	}
	return out(line, end)
}

// Flush emits the pending event, if any.
func (a *Assembler) Flush(out func(msg []byte, end int64) error) error {
	if !a.pending {
		return nil
	}
	a.pending = false
	err := out(a.buf, a.end)
	if cap(a.buf) > 64<<10 {
		a.buf = nil // do not pin a huge buffer after a big event
	}
	return err
}

// Pending reports whether an event is pending and when its last line arrived.
func (a *Assembler) Pending() (bool, time.Time) { return a.pending, a.since }
