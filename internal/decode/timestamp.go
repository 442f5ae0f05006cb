package decode

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Timestamp finds and parses a strftime-style timestamp_format in messages.
//
// Tokens (the CloudWatch Agent's set): %B %b month name, %m %-m month,
// %d %-d day (a leading space allowed), %A %a weekday name, %H %I %-I hour,
// %M %-M minute, %S %-S second, %Y %y year, %p AM/PM, %Z zone abbreviation,
// %z ±hhmm (also ±hh:mm and Z), %f fraction (1-9 digits, kept to the
// millisecond), %% a percent sign. Other text, and unknown tokens, match
// literally.
type Timestamp struct {
	format string
	re     *regexp.Regexp
	fields []tsField // fields[i] is capture group i+2 (group 1 is the whole timestamp)
	loc    *time.Location
	hasYr  bool
}

type tsField byte

const (
	fMonthName tsField = iota + 1
	fMonth
	fDay
	fWeekday
	fHour24
	fHour12
	fMinute
	fSecond
	fYear4
	fYear2
	fAMPM
	fZoneAbbr
	fZoneOffset
	fFraction
)

var tsTokens = map[string]struct {
	f  tsField
	re string
}{
	"B": {fMonthName, `[A-Za-z]{3,9}`}, "b": {fMonthName, `[A-Za-z]{3}`},
	"m": {fMonth, `\s{0,1}\d{1,2}`}, "-m": {fMonth, `\s{0,1}\d{1,2}`},
	"d": {fDay, `\s{0,1}\d{1,2}`}, "-d": {fDay, `\s{0,1}\d{1,2}`},
	"A": {fWeekday, `[A-Za-z]{6,9}`}, "a": {fWeekday, `[A-Za-z]{3}`},
	"H": {fHour24, `\d{2}`}, "-H": {fHour24, `\d{1,2}`},
	"I": {fHour12, `\d{2}`}, "-I": {fHour12, `\d{1,2}`},
	"M": {fMinute, `\d{2}`}, "-M": {fMinute, `\d{1,2}`},
	"S": {fSecond, `\d{2}`}, "-S": {fSecond, `\d{1,2}`},
	"Y": {fYear4, `\d{4}`}, "y": {fYear2, `\d{2}`},
	"p": {fAMPM, `[AaPp][Mm]`},
	"Z": {fZoneAbbr, `[A-Za-z]{1,5}`},
	"z": {fZoneOffset, `(?:[+-]\d{2}:?\d{2}|Z)`},
	"f": {fFraction, `\d{1,9}`},
}

// NewTimestamp compiles format. utc selects UTC, otherwise the host's local zone.
func NewTimestamp(format string, utc bool) (*Timestamp, error) {
	loc := time.Local
	if utc {
		loc = time.UTC
	}
	return newTimestampIn(format, loc)
}

func newTimestampIn(format string, loc *time.Location) (*Timestamp, error) {
	if format == "" {
		return nil, fmt.Errorf("compile timestamp_format: empty format")
	}
	t := &Timestamp{format: format, loc: loc}
	var re strings.Builder
	re.WriteString("(")
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			j := i + 1
			for j < len(format) && format[j] != '%' {
				j++
			}
			re.WriteString(regexp.QuoteMeta(format[i:j]))
			i = j
			continue
		}
		tok := format[i+1 : i+2]
		n := 2
		if tok == "-" && i+2 < len(format) {
			tok = format[i+1 : i+3]
			n = 3
		}
		if tok == "%" {
			re.WriteString("%")
			i += 2
			continue
		}
		spec, ok := tsTokens[tok]
		if !ok {
			re.WriteString(regexp.QuoteMeta(format[i : i+n]))
			i += n
			continue
		}
		re.WriteString("(" + spec.re + ")")
		t.fields = append(t.fields, spec.f)
		if spec.f == fYear4 || spec.f == fYear2 {
			t.hasYr = true
		}
		i += n
	}
	re.WriteString(")")
	expr := re.String()
	// The CloudWatch Agent strips a leading optional space from the regex.
	expr = strings.Replace(expr, `((\s{0,1}`, `((`, 1)
	r, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("compile timestamp_format %q: %w", format, err)
	}
	t.re = r
	return t, nil
}

// Regexp is the timestamp regex (group 1 is the whole timestamp); it is also
// the start pattern when multi_line_start_pattern is "{timestamp_format}".
func (t *Timestamp) Regexp() *regexp.Regexp { return t.re }

// Find locates the first timestamp in msg and parses it. It returns the
// time, the [start, end) of the match in msg, and ok=false when nothing
// matched or the matched text is not a valid time. now is the read time, used
// to infer a missing year.
func (t *Timestamp) Find(msg []byte, now time.Time) (ts time.Time, start, end int, ok bool) {
	m := t.re.FindSubmatchIndex(msg)
	if m == nil {
		return time.Time{}, 0, 0, false
	}
	ts, ok = t.parse(msg, m, now)
	return ts, m[2], m[3], ok
}

var monthNames = map[[3]byte]time.Month{
	{'j', 'a', 'n'}: 1, {'f', 'e', 'b'}: 2, {'m', 'a', 'r'}: 3, {'a', 'p', 'r'}: 4, {'m', 'a', 'y'}: 5, {'j', 'u', 'n'}: 6,
	{'j', 'u', 'l'}: 7, {'a', 'u', 'g'}: 8, {'s', 'e', 'p'}: 9, {'o', 'c', 't'}: 10, {'n', 'o', 'v'}: 11, {'d', 'e', 'c'}: 12,
}

// atoi parses ASCII digits (the regex guarantees nothing else); ok=false if empty or not digits.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// zoneAbbr resolves common zone abbreviations (seconds east of UTC).
var zoneAbbr = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
	"KST": 9 * 3600, "JST": 9 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"EST": -5 * 3600, "EDT": -4 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600,
	"PST": -8 * 3600, "PDT": -7 * 3600, "CET": 3600, "CEST": 2 * 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600, "WET": 0, "WEST": 3600, "BST": 3600,
	"HKT": 8 * 3600, "SGT": 8 * 3600, "AEST": 10 * 3600, "AEDT": 11 * 3600,
}

// futureSlack: a year-less timestamp further than this in the future belongs
// to the previous year (the CloudWatch Agent's New Year rule).
const futureSlack = 30 * 24 * time.Hour

func (t *Timestamp) parse(msg []byte, m []int, now time.Time) (time.Time, bool) {
	year, month, day := -1, time.Month(1), 1
	hour, min, sec, nsec := 0, 0, 0, 0
	pm, hasPM, h12 := false, false, false
	loc := t.loc
	for i, f := range t.fields {
		a, b := m[2*(i+2)], m[2*(i+2)+1]
		if a < 0 {
			return time.Time{}, false
		}
		s := bytes.TrimSpace(msg[a:b])
		if len(s) == 0 {
			return time.Time{}, false
		}
		switch f {
		case fMonthName:
			if len(s) < 3 {
				return time.Time{}, false
			}
			mo, ok := monthNames[[3]byte{lower(s[0]), lower(s[1]), lower(s[2])}]
			if !ok {
				return time.Time{}, false
			}
			month = mo
		case fWeekday:
			// informational only
		case fAMPM:
			hasPM = true
			pm = s[0] == 'P' || s[0] == 'p'
		case fZoneAbbr:
			if off, ok := zoneAbbr[strings.ToUpper(string(s))]; ok {
				if off == 0 {
					loc = time.UTC
				} else {
					loc = time.FixedZone(strings.ToUpper(string(s)), off)
				}
			}
		case fZoneOffset:
			if s[0] == 'Z' {
				loc = time.UTC
				continue
			}
			var d [4]byte
			n := 0
			for _, c := range s[1:] {
				if c != ':' && n < 4 {
					d[n] = c
					n++
				}
			}
			hh, ok1 := atoi(d[:2])
			mm, ok2 := atoi(d[2:n])
			if !ok1 || !ok2 || hh > 23 || mm > 59 {
				return time.Time{}, false
			}
			off := hh*3600 + mm*60
			if s[0] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
		case fFraction:
			// Keep millisecond precision like the CloudWatch Agent: pad or cut to 3 digits.
			ms := 0
			for k := 0; k < 3; k++ {
				ms *= 10
				if k < len(s) {
					ms += int(s[k] - '0')
				}
			}
			nsec = ms * int(time.Millisecond)
		default:
			v, ok := atoi(s)
			if !ok {
				return time.Time{}, false
			}
			switch f {
			case fMonth:
				if v < 1 || v > 12 {
					return time.Time{}, false
				}
				month = time.Month(v)
			case fDay:
				day = v
			case fHour24:
				hour = v
			case fHour12:
				hour, h12 = v, true
			case fMinute:
				min = v
			case fSecond:
				sec = v
			case fYear4:
				year = v
			case fYear2:
				year = 2000 + v
				if v >= 69 {
					year = 1900 + v
				}
			}
		}
	}
	if h12 || hasPM {
		if hour < 1 || hour > 12 {
			return time.Time{}, false
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	if day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 {
		sec = 59 // a leap second is kept within its minute
	}
	inferred := year < 0
	if inferred {
		year = now.In(loc).Year()
	}
	ts := time.Date(year, month, day, hour, min, sec, nsec, loc)
	if ts.Day() != day {
		return time.Time{}, false // 31 Feb and the like
	}
	if inferred && ts.Sub(now) > futureSlack {
		ts = time.Date(year-1, month, day, hour, min, sec, nsec, loc)
	}
	return ts, true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
