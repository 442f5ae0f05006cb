package decode

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Newline says how lines are delimited in the raw file bytes.
type Newline int

const (
	// NewlineByte: lines end in 0x0A (UTF-8 and every ASCII-compatible encoding).
	NewlineByte Newline = iota
	// NewlineUTF16LE: lines end in 0x0A 0x00 at an even offset.
	NewlineUTF16LE
	// NewlineUTF16BE: lines end in 0x00 0x0A at an even offset.
	NewlineUTF16BE
)

// Charset decodes one line of a file's encoding into UTF-8.
type Charset struct {
	name    string
	newline Newline
	enc     encoding.Encoding // nil: UTF-8, only validated
	sniff   bool              // "utf-16" without a byte order: a BOM may pick big-endian
}

var utf16BE = &Charset{name: "utf-16be", newline: NewlineUTF16BE, enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}

// ForBOM returns the charset to use for a file that starts with head: for
// "utf-16" without a byte order, a big-endian byte order mark (FE FF)
// selects UTF-16BE; otherwise c itself.
func (c *Charset) ForBOM(head []byte) *Charset {
	if c.sniff && len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF {
		return utf16BE
	}
	return c
}

// Name is the canonical name the charset was looked up as.
func (c *Charset) Name() string { return c.name }

// Newline is how lines are split in this encoding.
func (c *Charset) Newline() Newline { return c.newline }

// LookupCharset resolves a config encoding name: "", utf-8, utf8, utf_8 and
// ascii mean no decoding; utf-16/utf-16le/utf-16be; euc-kr, cp949, gbk,
// latin1/iso-8859-1 and every other WHATWG label (as the CloudWatch Agent,
// which validates against them) or IANA name.
func LookupCharset(name string) (*Charset, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "", "utf-8", "utf8", "utf_8", "ascii", "us-ascii":
		return &Charset{name: "utf-8"}, nil
	case "utf-16", "utf_16", "utf16":
		// No byte order named: little-endian like the CloudWatch Agent, unless
		// the file starts with a big-endian byte order mark (see ForBOM).
		return &Charset{name: "utf-16le", newline: NewlineUTF16LE, enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), sniff: true}, nil
	case "utf-16le", "utf_16le", "utf16le":
		return &Charset{name: "utf-16le", newline: NewlineUTF16LE, enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, nil
	case "utf-16be", "utf_16be", "utf16be":
		return &Charset{name: "utf-16be", newline: NewlineUTF16BE, enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, nil
	case "cp949", "ms949", "uhc", "windows-949", "euc-kr", "euckr":
		return &Charset{name: n, enc: korean.EUCKR}, nil
	case "gbk", "cp936", "gb2312":
		return &Charset{name: n, enc: simplifiedchinese.GBK}, nil
	case "gb18030":
		return &Charset{name: n, enc: simplifiedchinese.GB18030}, nil
	}
	if e, err := htmlindex.Get(n); err == nil {
		return charsetFor(n, e), nil
	}
	if e, err := ianaindex.IANA.Encoding(n); err == nil && e != nil {
		return charsetFor(n, e), nil
	}
	return nil, fmt.Errorf("look up encoding: %q is not a known encoding name", name)
}

func charsetFor(name string, e encoding.Encoding) *Charset {
	if e == unicode.UTF8 {
		return &Charset{name: "utf-8"}
	}
	return &Charset{name: name, enc: e}
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// AppendUTF8 appends line, decoded to UTF-8, to dst. Bytes that are not
// valid in the encoding become U+FFFD; nothing is dropped. A leading byte
// order mark is removed when first is true (the line starts the file).
func (c *Charset) AppendUTF8(dst, line []byte, first bool) []byte {
	if c.enc == nil {
		if first {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if utf8.Valid(line) {
			return append(dst, line...)
		}
		return appendValid(dst, line)
	}
	out, err := c.enc.NewDecoder().Bytes(line)
	if err != nil {
		// x/text decoders replace invalid input; an error here means a
		// transformer bug, so fall back to the raw bytes made valid.
		out = line
	}
	if first {
		out = bytes.TrimPrefix(out, utf8BOM)
	}
	if utf8.Valid(out) {
		return append(dst, out...)
	}
	return appendValid(dst, out)
}

// appendValid appends b with every invalid byte replaced by U+FFFD.
func appendValid(dst, b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			dst = append(dst, "\uFFFD"...)
			b = b[1:]
			continue
		}
		dst = append(dst, b[:size]...)
		b = b[size:]
	}
	return dst
}

// CutUTF8 returns the longest prefix of b no longer than max bytes that does
// not end inside a UTF-8 sequence (it never returns empty for max ≥ 4).
func CutUTF8(b []byte, max int) int {
	if len(b) <= max {
		return len(b)
	}
	n := max
	for i := 0; i < utf8.UTFMax && n > 0; i++ {
		if utf8.RuneStart(b[n]) {
			return n
		}
		n--
	}
	return max
}
