// Package jcs encodes JSON in the canonical form of RFC 8785, the JSON
// Canonicalization Scheme (JCS): no whitespace, object members sorted by the
// UTF-16 code units of their names, numbers written as ECMAScript's
// Number.prototype.toString writes an IEEE 754 double, and strings escaped
// only where JSON requires it (", \, and the control characters below
// U+0020, with the short forms \b \t \n \f \r and lowercase \u00xx for the
// rest). Every other character, including '<', '&', U+2028 and non-ASCII
// text, is written as UTF-8.
//
// report.json is written in this form and is hashed, chained and signed as
// its exact bytes, so `sha256sum report.json` gives the hash that manifest.json
// and the next period's report record, and any independent RFC 8785
// implementation re-canonicalising the file must reproduce it byte for byte.
//
// Input must be I-JSON (RFC 7493): duplicate object member names and numbers
// outside the range of a double are refused. Integers above 2^53 lose
// precision, as they do in every JCS implementation.
package jcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects, so that hostile input
// cannot exhaust the stack.
const maxDepth = 1000

// Marshal encodes v with encoding/json and canonicalises the result.
// encoding/json never writes an object member twice, so Marshal decodes its
// output into plain values (twice as fast as Transform's token walk) and
// writes those.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("canonicalise json: %w", err)
	}
	var out bytes.Buffer
	out.Grow(len(b))
	if err := writeValue(&out, x); err != nil {
		return nil, fmt.Errorf("canonicalise json: %w", err)
	}
	return out.Bytes(), nil
}

// writeValue writes a value decoded with UseNumber in canonical form.
func writeValue(out *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]member, 0, len(t))
		for k := range t {
			keys = append(keys, member{key: k, units: utf16.Encode([]rune(k))})
		}
		sort.Slice(keys, func(i, j int) bool { return lessUnits(keys[i].units, keys[j].units) })
		out.WriteByte('{')
		for i, m := range keys {
			if i > 0 {
				out.WriteByte(',')
			}
			writeString(out, m.key)
			out.WriteByte(':')
			if err := writeValue(out, t[m.key]); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case []any:
		out.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeValue(out, e); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	default:
		return token(nil, out, v, 0)
	}
	return nil
}

// Transform returns the canonical form of the JSON text b.
func Transform(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	out.Grow(len(b))
	if err := value(dec, &out, 0); err != nil {
		return nil, fmt.Errorf("canonicalise json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("canonicalise json: data after the top-level value")
	}
	return out.Bytes(), nil
}

func value(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	return token(dec, out, tok, depth)
}

func token(dec *json.Decoder, out *bytes.Buffer, tok json.Token, depth int) error {
	switch t := tok.(type) {
	case nil:
		out.WriteString("null")
	case bool:
		out.WriteString(strconv.FormatBool(t))
	case string:
		writeString(out, t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return fmt.Errorf("number %s: not an IEEE 754 double", t)
		}
		s, err := FormatNumber(f)
		if err != nil {
			return err
		}
		out.WriteString(s)
	case json.Delim:
		if depth >= maxDepth {
			return fmt.Errorf("nested deeper than %d", maxDepth)
		}
		if t == '[' {
			return array(dec, out, depth+1)
		}
		return object(dec, out, depth+1)
	default:
		return fmt.Errorf("unexpected token %v", tok)
	}
	return nil
}

func array(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	out.WriteByte('[')
	for i := 0; ; i++ {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok == json.Delim(']') {
			out.WriteByte(']')
			return nil
		}
		if i > 0 {
			out.WriteByte(',')
		}
		if err := token(dec, out, tok, depth); err != nil {
			return err
		}
	}
}

type member struct {
	key   string
	units []uint16
	val   []byte
}

func object(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	var members []member
	seen := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			break
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key %v is not a string", tok)
		}
		if seen[key] {
			return fmt.Errorf("duplicate object member %q", key)
		}
		seen[key] = true
		var v bytes.Buffer
		if err := value(dec, &v, depth); err != nil {
			return err
		}
		members = append(members, member{key: key, units: utf16.Encode([]rune(key)), val: v.Bytes()})
	}
	sort.Slice(members, func(i, j int) bool { return lessUnits(members[i].units, members[j].units) })
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteByte(',')
		}
		writeString(out, m.key)
		out.WriteByte(':')
		out.Write(m.val)
	}
	out.WriteByte('}')
	return nil
}

// lessUnits orders two names by their UTF-16 code units (RFC 8785 §3.2.3),
// which differs from UTF-8 byte order for characters above U+FFFF versus
// U+E000..U+FFFF.
func lessUnits(a, b []uint16) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

const hexDigits = "0123456789abcdef"

func writeString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				out.WriteString("\uFFFD") // as encoding/json does with invalid UTF-8
			} else {
				out.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		switch c {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\b':
			out.WriteString(`\b`)
		case '\t':
			out.WriteString(`\t`)
		case '\n':
			out.WriteString(`\n`)
		case '\f':
			out.WriteString(`\f`)
		case '\r':
			out.WriteString(`\r`)
		default:
			if c < 0x20 {
				out.WriteString(`\u00`)
				out.WriteByte(hexDigits[c>>4])
				out.WriteByte(hexDigits[c&0xf])
			} else {
				out.WriteByte(c)
			}
		}
		i++
	}
	out.WriteByte('"')
}

// FormatNumber writes f as ECMAScript's Number.prototype.toString does
// (ECMA-262 Number::toString with radix 10): the shortest digits that read
// back as f, in plain notation for 1e-7 <= |f| < 1e21 and exponential
// notation ("1e+21", "1.5e-7") outside it. NaN and infinities are not JSON.
func FormatNumber(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("number %v is not valid in JSON", f)
	}
	if f == 0 {
		return "0", nil // also -0
	}
	var sb strings.Builder
	if f < 0 {
		sb.WriteByte('-')
		f = -f
	}
	// Shortest round-trip digits: "d.ddde±XX".
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	k := len(digits)
	n := x + 1 // the decimal point sits after n digits
	switch {
	case k <= n && n <= 21:
		sb.WriteString(digits)
		sb.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		sb.WriteString(digits[:n])
		sb.WriteByte('.')
		sb.WriteString(digits[n:])
	case -6 < n && n <= 0:
		sb.WriteString("0.")
		sb.WriteString(strings.Repeat("0", -n))
		sb.WriteString(digits)
	default:
		sb.WriteByte(digits[0])
		if k > 1 {
			sb.WriteByte('.')
			sb.WriteString(digits[1:])
		}
		sb.WriteByte('e')
		if n-1 >= 0 {
			sb.WriteByte('+')
		} else {
			sb.WriteByte('-')
		}
		sb.WriteString(strconv.Itoa(abs(n - 1)))
	}
	return sb.String(), nil
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
