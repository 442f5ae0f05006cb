package tail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"unicode/utf8"
)

// BlockSize is how much one read asks for (the CloudWatch Agent's reader
// buffer is also 256 KiB): big enough that a syscall carries ~2,000 syslog lines.
const BlockSize = 256 << 10

// MaxLineBytes is the longest line handed over whole; longer lines are cut
// into pieces of at most this size (the CloudWatch Agent's max_event_size,
// 1 MiB − 200 bytes, so each piece fits one CloudWatch Logs event).
const MaxLineBytes = 1048576 - 200

// Newline says how lines end in the file's bytes.
type Newline int

const (
	// NewlineByte: "\n" (with an optional "\r" before it).
	NewlineByte Newline = iota
	// NewlineUTF16LE: 0x0A 0x00 at an even offset.
	NewlineUTF16LE
	// NewlineUTF16BE: 0x00 0x0A at an even offset.
	NewlineUTF16BE
)

// LineFunc receives one line without its terminator, the file offsets of its
// first byte and just past its terminator, and whether it is a piece of a
// line longer than the limit. line is only valid during the call.
type LineFunc func(line []byte, start, end int64, piece bool) error

var blockPool = sync.Pool{New: func() any { b := make([]byte, BlockSize); return &b }}

// Reader reads lines from an open file from a given offset. An unterminated
// last line is held (at most MaxLineBytes of it) until its terminator
// arrives or FlushPartial is called. A Reader is not safe for concurrent use.
type Reader struct {
	f     *os.File
	nl    Newline
	max   int
	off   int64  // next byte to read
	carry []byte // the held partial line: file bytes [off-len(carry), off)
	// continued: the held line's head was already handed over in pieces.
	continued bool
	// Verify, if set, is called after each read that returned bytes and
	// before they are split into lines. False means the file's content
	// changed under the read (a copytruncate between the caller's check
	// and the read): the bytes are dropped and ReadLines returns, so that
	// the caller's next check sees the truncation.
	Verify func() bool
}

// NewReader reads f from offset. maxLine ≤ 0 means MaxLineBytes.
func NewReader(f *os.File, offset int64, nl Newline, maxLine int) *Reader {
	if maxLine <= 0 || maxLine > MaxLineBytes {
		maxLine = MaxLineBytes
	}
	if maxLine < 8 {
		maxLine = 8
	}
	return &Reader{f: f, nl: nl, max: maxLine &^ 1, off: offset}
}

// Offset is the offset up to which every line was handed over (the start of
// the held partial line).
func (r *Reader) Offset() int64 { return r.off - int64(len(r.carry)) }

// ReadOffset is the offset of the next byte to read.
func (r *Reader) ReadOffset() int64 { return r.off }

// SetFile continues reading from f (the same file, reopened) at the same offsets.
func (r *Reader) SetFile(f *os.File) { r.f = f }

// File is the file being read.
func (r *Reader) File() *os.File { return r.f }

// HasPartial reports whether an unterminated line is held.
func (r *Reader) HasPartial() bool { return len(r.carry) > 0 }

// ReadLines reads to the end of the file, calling fn for every complete
// line. stop, checked between blocks, ends reading early. It returns the
// number of bytes read. If fn fails, the line it failed on is kept for the
// next call and the error is returned.
func (r *Reader) ReadLines(stop func() bool, fn LineFunc) (int64, error) {
	bp := blockPool.Get().(*[]byte)
	buf := *bp
	defer blockPool.Put(bp)
	if len(r.carry)+BlockSize/4 > len(buf) {
		buf = make([]byte, len(r.carry)+BlockSize)
	}
	fill := copy(buf, r.carry)
	r.carry = r.carry[:0]
	scan := fill // data before scan holds no terminator
	var total int64
	for {
		if stop != nil && stop() {
			break
		}
		want := len(buf) - fill
		n, err := r.f.ReadAt(buf[fill:], r.off)
		if err != nil && !errors.Is(err, io.EOF) {
			r.carry = append(r.carry, buf[:fill]...)
			return total, fmt.Errorf("read file: %w", err)
		}
		if n > 0 && r.Verify != nil && !r.Verify() {
			break // the bytes in buf[fill:fill+n] are not this file's any more
		}
		r.off += int64(n)
		total += int64(n)
		fill += n
		base := r.off - int64(fill)
		pos, next, ferr := r.split(buf[:fill], base, scan, fn)
		if ferr == nil {
			pos, ferr = r.pieces(buf[:fill], base, pos, fn)
		}
		if ferr != nil {
			r.carry = append(r.carry, buf[pos:fill]...)
			return total, ferr
		}
		rem := copy(buf, buf[pos:fill])
		scan = next - pos
		if scan < 0 {
			scan = 0
		}
		fill = rem
		if n < want {
			break // end of file
		}
		if len(buf)-fill < BlockSize/4 {
			nb := make([]byte, fill+BlockSize)
			copy(nb, buf[:fill])
			buf = nb
		}
	}
	r.carry = append(r.carry, buf[:fill]...)
	if cap(r.carry) > BlockSize && len(r.carry) < BlockSize/4 {
		r.carry = append([]byte(nil), r.carry...) // do not pin a big buffer
	}
	return total, nil
}

// split hands over the complete lines of data (whose first byte is at file
// offset base), searching for terminators from scan. It returns the start of
// the unconsumed rest and where the next search must begin.
func (r *Reader) split(data []byte, base int64, scan int, fn LineFunc) (pos, next int, err error) {
	switch r.nl {
	case NewlineByte:
		for {
			i := bytes.IndexByte(data[scan:], '\n')
			if i < 0 {
				return pos, len(data), nil
			}
			i += scan
			line := data[pos:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if n, err := r.deliver(fn, line, base+int64(pos), base+int64(i)+1); err != nil {
				return pos + n, pos + n, err
			}
			pos = i + 1
			scan = pos
		}
	case NewlineUTF16LE:
		for {
			i := bytes.IndexByte(data[scan:], '\n')
			if i < 0 {
				return pos, len(data), nil
			}
			i += scan
			if (base+int64(i))&1 != 0 {
				scan = i + 1
				continue
			}
			if i+1 >= len(data) {
				return pos, i, nil
			}
			if data[i+1] != 0 {
				scan = i + 1
				continue
			}
			line := data[pos:i]
			if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == 0 {
				line = line[:n-2]
			}
			if n, err := r.deliver(fn, line, base+int64(pos), base+int64(i)+2); err != nil {
				return pos + n, pos + n, err
			}
			pos = i + 2
			scan = pos
		}
	default: // NewlineUTF16BE
		for {
			i := bytes.IndexByte(data[scan:], '\n')
			if i < 0 {
				return pos, len(data), nil
			}
			i += scan
			if (base+int64(i))&1 != 1 || i < 1 || data[i-1] != 0 || i-1 < pos {
				scan = i + 1
				continue
			}
			line := data[pos : i-1]
			if n := len(line); n >= 2 && line[n-2] == 0 && line[n-1] == '\r' {
				line = line[:n-2]
			}
			if n, err := r.deliver(fn, line, base+int64(pos), base+int64(i)+1); err != nil {
				return pos + n, pos + n, err
			}
			pos = i + 1
			scan = pos
		}
	}
}

// deliver hands over one complete line, in pieces if it is over the limit
// (or if its head was already handed over in pieces). It returns how many
// bytes of line were handed over before fn failed.
func (r *Reader) deliver(fn LineFunc, line []byte, start, end int64) (int, error) {
	if len(line) <= r.max && !r.continued {
		return 0, fn(line, start, end, false)
	}
	done := 0
	for len(line)-done > r.max {
		n := r.cut(line[done:])
		if err := fn(line[done:done+n], start+int64(done), start+int64(done+n), true); err != nil {
			return done, err
		}
		done += n
		r.continued = true
	}
	if err := fn(line[done:], start+int64(done), end, true); err != nil {
		return done, err
	}
	r.continued = false
	return len(line), nil
}

// pieces hands over the held rest in pieces while it is at least the limit.
func (r *Reader) pieces(data []byte, base int64, pos int, fn LineFunc) (int, error) {
	for len(data)-pos >= r.max {
		n := r.cut(data[pos:])
		if err := fn(data[pos:pos+n], base+int64(pos), base+int64(pos+n), true); err != nil {
			return pos, err
		}
		r.continued = true
		pos += n
	}
	return pos, nil
}

// cut picks the piece length for an over-long line: the limit, moved back
// to a UTF-8 rune boundary (byte newlines) or kept even (UTF-16).
func (r *Reader) cut(b []byte) int {
	if len(b) <= r.max {
		return len(b)
	}
	n := r.max
	if r.nl != NewlineByte {
		return n
	}
	for i := 0; i < utf8.UTFMax && n > 1; i++ {
		if utf8.RuneStart(b[n]) {
			return n
		}
		n--
	}
	return r.max
}

// FlushPartial hands over the held unterminated line, if any, as a line (used
// when the file was rotated or deleted and no terminator will come).
func (r *Reader) FlushPartial(fn LineFunc) error {
	if len(r.carry) == 0 {
		return nil
	}
	start := r.Offset()
	if err := fn(r.carry, start, r.off, r.continued); err != nil {
		return err
	}
	r.carry = r.carry[:0]
	r.continued = false
	return nil
}
