package server

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// decodePutLogEvents decodes a PutLogEvents body. A hand-written decoder
// handles well-formed input without per-event allocations (all messages share
// one string); anything it does not accept is decoded again by encoding/json,
// which gives the same result or the SerializationException.
func decodePutLogEvents(body []byte) (*putLogEventsIn, *APIError) {
	in := &putLogEventsIn{}
	if fastDecodePut(body, in) {
		return in, nil
	}
	var std struct {
		LogGroupName  *string `json:"logGroupName"`
		LogStreamName *string `json:"logStreamName"`
		LogEvents     []struct {
			Timestamp *int64  `json:"timestamp"`
			Message   *string `json:"message"`
		} `json:"logEvents"`
		SequenceToken *string `json:"sequenceToken"`
	}
	if e := decode(body, &std); e != nil {
		return nil, e
	}
	in = &putLogEventsIn{LogGroupName: std.LogGroupName, LogStreamName: std.LogStreamName, SequenceToken: std.SequenceToken}
	if std.LogEvents != nil {
		in.LogEvents = make([]inputEvent, len(std.LogEvents))
		for i, e := range std.LogEvents {
			if e.Timestamp != nil {
				in.LogEvents[i].Timestamp, in.LogEvents[i].hasTimestamp = *e.Timestamp, true
			}
			if e.Message != nil {
				in.LogEvents[i].Message, in.LogEvents[i].hasMessage = *e.Message, true
			}
		}
	}
	return in, nil
}

// special marks the bytes that end a plain run inside a JSON string.
var special = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plainRun returns the index of the first byte at or after i that is special
// in a JSON string (see special), or len(b). It checks eight bytes at a time.
func plainRun(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ ('"' * lsb)
		bs := w ^ ('\\' * lsb)
		// A byte is special if it is < 0x20, >= 0x80, '"' or '\\'; each test
		// below sets the high bit of some byte when one is present.
		if ((w-0x20*lsb)|w|(q-lsb)&^q|(bs-lsb)&^bs)&msb != 0 {
			break
		}
	}
	for i < len(b) && !special[b[i]] {
		i++
	}
	return i
}

type jdec struct {
	b   []byte
	i   int
	buf []byte // unescaped messages
	tmp []byte // scratch for keys
}

func (d *jdec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jdec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *jdec) eat(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

func (d *jdec) lit(s string) bool {
	d.ws()
	if bytes.HasPrefix(d.b[d.i:], []byte(s)) {
		d.i += len(s)
		return true
	}
	return false
}

// str appends the unescaped string at the cursor to dst; false if it is not a
// plain, valid JSON string of valid UTF-8.
func (d *jdec) str(dst []byte) ([]byte, bool) {
	if !d.eat('"') {
		return dst, false
	}
	for {
		start := d.i
		d.i = plainRun(d.b, d.i)
		dst = append(dst, d.b[start:d.i]...)
		if d.i >= len(d.b) {
			return dst, false
		}
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return dst, true
		case c < 0x20:
			return dst, false
		case c >= 0x80:
			r, n := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && n <= 1 {
				return dst, false
			}
			dst = append(dst, d.b[d.i:d.i+n]...)
			d.i += n
		default: // backslash
			if d.i+1 >= len(d.b) {
				return dst, false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return dst, false
				}
				if utf16.IsSurrogate(r) {
					if d.i+1 >= len(d.b) || d.b[d.i] != '\\' || d.b[d.i+1] != 'u' {
						return dst, false
					}
					d.i += 2
					r2, ok := d.hex4()
					if !ok {
						return dst, false
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return dst, false
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, false
			}
		}
	}
}

func (d *jdec) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// number returns the extent of a JSON number at the cursor.
func (d *jdec) number() ([]byte, bool) {
	d.ws()
	s := d.i
	i := d.i
	if i < len(d.b) && d.b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d.b) && d.b[i] >= '0' && d.b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d.b) && d.b[i] == '0' {
		i++
	} else if digits() == 0 {
		return nil, false
	}
	if i < len(d.b) && d.b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(d.b) && (d.b[i] == 'e' || d.b[i] == 'E') {
		i++
		if i < len(d.b) && (d.b[i] == '+' || d.b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	d.i = i
	return d.b[s:i], true
}

// skip skips any JSON value.
func (d *jdec) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	switch d.peek() {
	case '"':
		var ok bool
		d.tmp, ok = d.str(d.tmp[:0])
		return ok
	case '{':
		d.i++
		if d.eat('}') {
			return true
		}
		for {
			var ok bool
			if d.tmp, ok = d.str(d.tmp[:0]); !ok || !d.eat(':') || !d.skip(depth+1) {
				return false
			}
			if d.eat('}') {
				return true
			}
			if !d.eat(',') {
				return false
			}
		}
	case '[':
		d.i++
		if d.eat(']') {
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
			if d.eat(']') {
				return true
			}
			if !d.eat(',') {
				return false
			}
		}
	case 't':
		return d.lit("true")
	case 'f':
		return d.lit("false")
	case 'n':
		return d.lit("null")
	}
	_, ok := d.number()
	return ok
}

// key reads an object key followed by ':'.
func (d *jdec) key() ([]byte, bool) {
	var ok bool
	d.tmp, ok = d.str(d.tmp[:0])
	if !ok || !d.eat(':') {
		return nil, false
	}
	return d.tmp, true
}

// optString reads a string or null into *dst (encoding/json semantics: null
// leaves the member as it was).
func (d *jdec) optString(dst **string) bool {
	if d.lit("null") {
		return true
	}
	var b []byte
	b, ok := d.str(nil)
	if !ok {
		return false
	}
	s := string(b)
	*dst = &s
	return true
}

type msgRef struct{ off, n int }

func fastDecodePut(body []byte, in *putLogEventsIn) bool {
	d := &jdec{b: body}
	if d.ws(); d.i == len(d.b) {
		return true // empty body is {}
	}
	if !d.eat('{') {
		return false
	}
	var refs []msgRef
	var events []inputEvent
	eventsSet := false
	if !d.eat('}') {
		for {
			k, ok := d.key()
			if !ok {
				return false
			}
			switch {
			case bytes.EqualFold(k, []byte("logGroupName")):
				ok = d.optString(&in.LogGroupName)
			case bytes.EqualFold(k, []byte("logStreamName")):
				ok = d.optString(&in.LogStreamName)
			case bytes.EqualFold(k, []byte("sequenceToken")):
				ok = d.optString(&in.SequenceToken)
			case bytes.EqualFold(k, []byte("logEvents")):
				if d.lit("null") {
					events, refs, eventsSet = nil, nil, false
					break
				}
				events, refs, ok = d.events(events[:0], refs[:0])
				eventsSet = ok
			default:
				ok = d.skip(0)
			}
			if !ok {
				return false
			}
			if d.eat('}') {
				break
			}
			if !d.eat(',') {
				return false
			}
		}
	}
	if d.peek() != 0 || d.i != len(d.b) {
		return false
	}
	if eventsSet {
		// d.buf belongs to this request and is never written again.
		all := unsafe.String(unsafe.SliceData(d.buf), len(d.buf))
		for i := range events {
			if refs[i].off >= 0 {
				events[i].Message = all[refs[i].off : refs[i].off+refs[i].n]
			}
		}
		in.LogEvents = events
		if in.LogEvents == nil {
			in.LogEvents = []inputEvent{}
		}
	}
	return true
}

func (d *jdec) events(events []inputEvent, refs []msgRef) ([]inputEvent, []msgRef, bool) {
	if !d.eat('[') {
		return nil, nil, false
	}
	if d.eat(']') {
		return events, refs, true
	}
	if events == nil {
		// Guess the count from the body size (~150-byte events).
		n := len(d.b) / 128
		events = make([]inputEvent, 0, min(n+1, maxBatchEvents+1))
		refs = make([]msgRef, 0, cap(events))
		d.buf = make([]byte, 0, len(d.b))
	}
	for {
		var ev inputEvent
		ref := msgRef{off: -1}
		if !d.lit("null") {
			if !d.eat('{') {
				return nil, nil, false
			}
			if !d.eat('}') {
				for {
					k, ok := d.key()
					if !ok {
						return nil, nil, false
					}
					switch {
					case bytes.EqualFold(k, []byte("timestamp")):
						if d.lit("null") {
							break
						}
						num, ok2 := d.number()
						if !ok2 {
							return nil, nil, false
						}
						v, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(num), len(num)), 10, 64)
						if err != nil {
							return nil, nil, false
						}
						ev.Timestamp, ev.hasTimestamp = v, true
					case bytes.EqualFold(k, []byte("message")):
						if d.lit("null") {
							break
						}
						off := len(d.buf)
						var ok2 bool
						if d.buf, ok2 = d.str(d.buf); !ok2 {
							return nil, nil, false
						}
						ref = msgRef{off: off, n: len(d.buf) - off}
						ev.hasMessage = true
					default:
						ok = d.skip(1)
					}
					if !ok {
						return nil, nil, false
					}
					if d.eat('}') {
						break
					}
					if !d.eat(',') {
						return nil, nil, false
					}
				}
			}
		}
		events = append(events, ev)
		refs = append(refs, ref)
		if d.eat(']') {
			return events, refs, true
		}
		if !d.eat(',') {
			return nil, nil, false
		}
	}
}
