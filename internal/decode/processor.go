package decode

import (
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/logwarden/logwarden/internal/config"
)

// Options configures a Processor from one collect_list entry.
type Options struct {
	Encoding              string
	MultiLineStartPattern string
	TimestampFormat       string
	UTC                   bool
	TrimTimestamp         bool
	Filters               []config.Filter
	// MaxEventBytes: default (and at most) MaxEventBytes.
	MaxEventBytes int
}

// OptionsFor takes a Processor's options from a resolved config.Source.
func OptionsFor(s config.Source) Options {
	return Options{
		Encoding:              s.Encoding,
		MultiLineStartPattern: s.MultiLineStartPattern,
		TimestampFormat:       s.TimestampFormat,
		UTC:                   s.UTC,
		TrimTimestamp:         s.TrimTimestamp,
		Filters:               s.Filters,
	}
}

type filter struct {
	include bool
	re      *regexp.Regexp
}

// Processor turns one file's raw lines into events. It is not safe for
// concurrent use: each followed file has its own.
type Processor struct {
	cs      *Charset
	asm     *Assembler
	ts      *Timestamp
	trim    bool
	filters []filter
	limit   int

	scratch []byte
	lastTS  int64 // last successfully parsed timestamp, Unix ms
	arena   []byte
	chunk   int
	now     time.Time
	emit    EmitFunc
	out     func(msg []byte, end int64) error
}

// NewProcessor compiles opts.
func NewProcessor(opts Options) (*Processor, error) {
	cs, err := LookupCharset(opts.Encoding)
	if err != nil {
		return nil, err
	}
	p := &Processor{cs: cs, trim: opts.TrimTimestamp, limit: opts.MaxEventBytes}
	if p.limit <= 0 || p.limit > MaxEventBytes {
		p.limit = MaxEventBytes
	}
	if opts.TimestampFormat != "" {
		if p.ts, err = NewTimestamp(opts.TimestampFormat, opts.UTC); err != nil {
			return nil, err
		}
	}
	start, err := NewStartFunc(opts.MultiLineStartPattern, p.ts)
	if err != nil {
		return nil, err
	}
	p.asm = NewAssembler(start, p.limit)
	for i, f := range opts.Filters {
		re, err := regexp.Compile(f.Expression)
		if err != nil {
			return nil, fmt.Errorf("compile filters[%d].expression: %w", i, err)
		}
		switch f.Type {
		case "include":
			p.filters = append(p.filters, filter{include: true, re: re})
		case "exclude":
			p.filters = append(p.filters, filter{re: re})
		default:
			return nil, fmt.Errorf("compile filters[%d].type: %q is not include or exclude", i, f.Type)
		}
	}
	p.out = p.finish
	return p, nil
}

// SetCharset switches the encoding (ForBOM's choice for one file). Call it
// before the first line.
func (p *Processor) SetCharset(cs *Charset) { p.cs = cs }

// Charset is the processor's encoding.
func (p *Processor) Charset() *Charset { return p.cs }

// Line processes one raw line (without its line terminator) that ends at
// source offset end and starts at offset start; now is the read time. A
// piece of an over-long line (split by the tailer) is passed with
// piece=true and becomes an event of its own.
func (p *Processor) Line(raw []byte, start, end int64, piece bool, now time.Time, emit EmitFunc) error {
	p.now, p.emit = now, emit
	line := raw
	if p.cs.enc != nil || start == 0 || !utf8.Valid(raw) {
		p.scratch = p.cs.AppendUTF8(p.scratch[:0], raw, start == 0)
		line = p.scratch
	}
	if len(line) > p.limit {
		// Decoding can grow a line past the limit: emit it in pieces.
		for len(line) > p.limit {
			n := CutUTF8(line, p.limit)
			if err := p.asm.Standalone(line[:n], start, p.out); err != nil {
				return err
			}
			line = line[n:]
		}
		return p.asm.Standalone(line, end, p.out)
	}
	var err error
	if piece {
		err = p.asm.Standalone(line, end, p.out)
	} else {
		err = p.asm.Add(line, end, now, p.out)
	}
	if cap(p.scratch) > 64<<10 {
		p.scratch = nil // do not pin a big decode buffer after a long line
	}
	return err
}

// Flush emits the pending multi-line event now.
func (p *Processor) Flush(now time.Time, emit EmitFunc) error {
	p.now, p.emit = now, emit
	return p.asm.Flush(p.out)
}

// FlushIfQuiet emits the pending event when no line arrived for quiet.
func (p *Processor) FlushIfQuiet(now time.Time, quiet time.Duration, emit EmitFunc) error {
	if ok, since := p.asm.Pending(); ok && now.Sub(since) >= quiet {
		return p.Flush(now, emit)
	}
	return nil
}

// PendingSince reports whether a multi-line event is waiting and when its last line arrived.
func (p *Processor) PendingSince() (bool, time.Time) { return p.asm.Pending() }

// Pending reports whether a multi-line event is waiting.
func (p *Processor) Pending() bool {
	ok, _ := p.asm.Pending()
	return ok
}

// finish applies timestamp, trim and filters to one assembled event.
func (p *Processor) finish(msg []byte, end int64) error {
	ts := p.lastTS
	if p.ts != nil {
		if t, a, b, ok := p.ts.Find(msg, p.now); ok {
			ts = t.UnixMilli()
			p.lastTS = ts
			if p.trim {
				msg = trimTimestamp(msg, a, b)
			}
		}
	}
	if ts == 0 {
		ts = p.now.UnixMilli()
	}
	for _, f := range p.filters {
		if f.re.Match(msg) != f.include {
			return p.emit(ts, "", end, true)
		}
	}
	return p.emit(ts, p.intern(msg), end, false)
}

// Message arena: messages are copied into shared, append-only chunks, so a
// burst of short lines costs one allocation per chunk instead of one per
// event. A chunk's bytes are never written again once a string points at
// them. Chunks start small and double while lines keep coming, up to
// arenaMax; ReleaseArena (at EOF) drops the current one, so an idle file
// pins nothing and a trickle of lines pins little.
const (
	arenaMin = 512
	arenaMax = 32 << 10
)

func (p *Processor) intern(msg []byte) string {
	if len(msg) == 0 {
		return ""
	}
	if len(msg) > arenaMax/8 {
		return string(msg)
	}
	if cap(p.arena)-len(p.arena) < len(msg) {
		p.chunk = min(max(p.chunk*2, arenaMin), arenaMax)
		p.arena = make([]byte, 0, max(p.chunk, len(msg)))
	}
	start := len(p.arena)
	p.arena = append(p.arena, msg...)
	return unsafe.String(&p.arena[start], len(msg))
}

// ReleaseArena drops the message chunk being filled (call when the file is
// idle); the next message starts a small one.
func (p *Processor) ReleaseArena() {
	p.arena, p.chunk = nil, 0
}

// trimTimestamp removes msg[a:b] and then leading space, tab, CR and LF.
// It reuses msg's memory.
func trimTimestamp(msg []byte, a, b int) []byte {
	if a > 0 {
		n := copy(msg[a:], msg[b:])
		msg = msg[:a+n]
	} else {
		msg = msg[b:]
	}
	i := 0
	for i < len(msg) && (msg[i] == ' ' || msg[i] == '\t' || msg[i] == '\r' || msg[i] == '\n') {
		i++
	}
	return msg[i:]
}
