package parse

import (
	"strings"
	"time"
	"unsafe"
)

// Options configure a Parser.
type Options struct {
	// Zone resolves timestamps that carry no offset (RFC 3164 and bare ISO
	// 8601). Nil means UTC. Korean hosts usually log in KST, EC2 images in UTC.
	Zone *time.Location
	// Ref anchors the year of RFC 3164 timestamps, which have none: a stamp
	// gets the latest year that puts it no later than Ref+YearSlack. Use the
	// file's mtime for files (nothing in a file is newer than its last write)
	// and the event time for CloudWatch events. Zero means time.Now().
	Ref time.Time
	// Source is copied into every Record.
	Source string
}

// YearSlack tolerates clocks and zones that are slightly off when inferring
// the year of an RFC 3164 stamp (a wrong host zone is at most ±14 h).
const YearSlack = 24 * time.Hour

// MaxLine bounds the bytes of one line kept in Record.Raw; longer lines are
// cut (a syslog line is at most 8 KiB in rsyslog's default configuration).
const MaxLine = 64 << 10

// Parser parses syslog-style lines. It caches the last resolved hour so a
// line costs no zone lookup; it is not safe for concurrent use.
type Parser struct {
	zone   *time.Location
	ref    time.Time
	source string

	// hour cache for RFC 3164 stamps
	arena   []byte // see intern
	lastRaw string // the previous tagged line, for "last message repeated"

	cKey  int64 // month<<40 | day<<32 | hour<<24 | refYear
	cTime time.Time
	cYear int
}

// NewParser returns a Parser for one input.
func NewParser(o Options) *Parser {
	p := &Parser{zone: o.Zone, ref: o.Ref, source: o.Source}
	if p.zone == nil {
		p.zone = time.UTC
	}
	if p.ref.IsZero() {
		p.ref = time.Now()
	}
	p.cKey = -1
	return p
}

// SetRef changes the reference time used for year inference (CloudWatch
// events carry their own timestamp).
func (p *Parser) SetRef(t time.Time) {
	if !t.Equal(p.ref) {
		p.ref = t
		p.cKey = -1
	}
}

// Line parses one syslog line (without its newline). ok is false when the
// line is not a log line (no recognised timestamp and tag); such lines
// should be counted as Unrecognised. lineNo and offset are stored in the
// Record for evidence.
func (p *Parser) Line(line []byte, lineNo, offset int64) (r Record, ok bool) {
	line = trimCR(line)
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	return p.LineString(p.intern(line), lineNo, offset)
}

// arenaBlock is the size of the blocks line copies are carved from: one
// allocation per ~500 lines instead of one per line.
const arenaBlock = 64 << 10

// intern copies b into the parser's arena and returns it as a string. The
// arena is append-only, so the strings stay valid; a block is freed by the
// GC when no Record refers into it any more.
func (p *Parser) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaBlock/4 {
		return string(b)
	}
	if len(p.arena)+len(b) > cap(p.arena) {
		p.arena = make([]byte, 0, arenaBlock)
	}
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return unsafe.String(&p.arena[start], len(b))
}

// LineString is Line for a string already allocated by the caller; the
// Record's string fields share its memory.
func (p *Parser) LineString(raw string, lineNo, offset int64) (r Record, ok bool) {
	r.Source, r.Line, r.Offset, r.Raw = p.source, lineNo, offset, raw
	s := raw
	// optional <PRI>
	if len(s) > 2 && s[0] == '<' {
		if i := indexByteN(s, '>', 5); i > 0 {
			s = s[i+1:]
		}
	}
	var t time.Time
	var rest string
	switch {
	case len(s) >= 15 && s[3] == ' ' && isMonth(s):
		t, rest, ok = p.rfc3164(s)
	case len(s) >= 21 && s[0] == '1' && s[1] == ' ' && isDigit(s[2]): // RFC 5424 "1 TIMESTAMP"
		t, rest, ok = p.iso(s[2:])
		if ok {
			return p.rfc5424(r, t, rest)
		}
	case len(s) >= 19 && isDigit(s[0]):
		t, rest, ok = p.iso(s)
	}
	if !ok {
		return r, false
	}
	r.Time = t
	// host
	sp := indexByte(rest, ' ')
	if sp <= 0 {
		return r, false
	}
	r.Host = rest[:sp]
	rest = rest[sp+1:]
	prog, pid, msg, tagOK := splitTag(rest)
	if !tagOK {
		// "last message repeated N times", "-- MARK --" and other tagless lines
		r.Kind = KindOther
		if n, ok := lastRepeated(rest); ok && p.lastRaw != "" {
			last := p.lastRaw
			q, ok := p.LineString(last, r.Line, r.Offset) // re-parse the previous line: cheaper than keeping its Record
			p.lastRaw = last
			if ok && q.Host == r.Host {
				q.Time, q.Raw, q.Repeat = r.Time, r.Raw, n
				return q, true
			}
		}
		return r, true
	}
	r.Program, r.PID = prog, pid
	p.Message(&r, prog, msg)
	p.lastRaw = raw
	return r, true
}

// lastRepeated parses "last message repeated N times" (also "time").
func lastRepeated(s string) (int, bool) {
	const pre = "last message repeated "
	if !strings.HasPrefix(s, pre) {
		return 0, false
	}
	rest := s[len(pre):]
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 || !strings.HasPrefix(rest[sp:], " time") {
		return 0, false
	}
	return atoi(rest[:sp])
}

// rfc5424 handles "1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG" after the time.
func (p *Parser) rfc5424(r Record, t time.Time, rest string) (Record, bool) {
	r.Time = t
	f := [4]string{}
	for i := 0; i < 4; i++ {
		sp := indexByte(rest, ' ')
		if sp < 0 {
			return r, false
		}
		f[i], rest = rest[:sp], rest[sp+1:]
	}
	if f[0] != "-" {
		r.Host = f[0]
	}
	if f[1] != "-" {
		r.Program = f[1]
	}
	if n, ok := atoi(f[2]); ok {
		r.PID = n
	}
	// structured data: "-" or one or more [..] elements
	if len(rest) > 0 && rest[0] == '-' {
		rest = rest[1:]
	} else {
		for len(rest) > 0 && rest[0] == '[' {
			end := sdEnd(rest)
			if end < 0 {
				return r, false
			}
			rest = rest[end+1:]
		}
	}
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	if len(rest) >= 3 && rest[:3] == "\xef\xbb\xbf" { // BOM
		rest = rest[3:]
	}
	p.Message(&r, r.Program, rest)
	return r, true
}

func sdEnd(s string) int {
	esc := false
	for i := 1; i < len(s); i++ {
		switch {
		case esc:
			esc = false
		case s[i] == '\\':
			esc = true
		case s[i] == ']':
			return i
		}
	}
	return -1
}

// splitTag splits "prog[pid]: msg" / "prog: msg". It accepts the idents
// syslog daemons produce (no spaces, up to 48 bytes).
func splitTag(s string) (prog string, pid int, msg string, ok bool) {
	const maxTag = 48 // RFC 3164 says 32; journald-forwarded idents run longer
	for i := 0; i < len(s) && i <= maxTag; i++ {
		switch s[i] {
		case '[':
			j := indexByte(s[i:], ']')
			if j < 0 {
				return "", 0, "", false
			}
			n, _ := atoi(s[i+1 : i+j])
			k := i + j + 1
			if k < len(s) && s[k] == ':' {
				k++
			}
			if k < len(s) && s[k] == ' ' {
				k++
			}
			return s[:i], n, s[k:], i > 0
		case ':':
			if i == 0 {
				return "", 0, "", false
			}
			k := i + 1
			if k < len(s) && s[k] == ' ' {
				k++
			}
			return s[:i], 0, s[k:], true
		case ' ':
			return "", 0, "", false
		}
	}
	return "", 0, "", false
}

var monthIdx = func() map[string]time.Month {
	m := map[string]time.Month{}
	for i := time.January; i <= time.December; i++ {
		m[i.String()[:3]] = i
	}
	return m
}()

func isMonth(s string) bool { return monthOf(s) != 0 }

func monthOf(s string) time.Month {
	if len(s) < 3 {
		return 0
	}
	// switch on the first letter keeps this free of map lookups
	a, b, c := s[0], s[1], s[2]
	switch a {
	case 'J':
		if b == 'a' && c == 'n' {
			return time.January
		}
		if b == 'u' && c == 'n' {
			return time.June
		}
		if b == 'u' && c == 'l' {
			return time.July
		}
	case 'F':
		if b == 'e' && c == 'b' {
			return time.February
		}
	case 'M':
		if b == 'a' && c == 'r' {
			return time.March
		}
		if b == 'a' && c == 'y' {
			return time.May
		}
	case 'A':
		if b == 'p' && c == 'r' {
			return time.April
		}
		if b == 'u' && c == 'g' {
			return time.August
		}
	case 'S':
		if b == 'e' && c == 'p' {
			return time.September
		}
	case 'O':
		if b == 'c' && c == 't' {
			return time.October
		}
	case 'N':
		if b == 'o' && c == 'v' {
			return time.November
		}
	case 'D':
		if b == 'e' && c == 'c' {
			return time.December
		}
	}
	return 0
}

// rfc3164 parses "Mmm dd hh:mm:ss " (day space- or zero-padded) and
// returns the rest after the following space.
func (p *Parser) rfc3164(s string) (time.Time, string, bool) {
	mon := monthOf(s)
	if mon == 0 {
		return time.Time{}, "", false
	}
	var day int
	switch {
	case s[4] == ' ' && isDigit(s[5]):
		day = int(s[5] - '0')
	case isDigit(s[4]) && isDigit(s[5]):
		day = int(s[4]-'0')*10 + int(s[5]-'0')
	default:
		return time.Time{}, "", false
	}
	if s[6] != ' ' || s[9] != ':' || s[12] != ':' || day < 1 || day > 31 {
		return time.Time{}, "", false
	}
	hh, ok1 := two(s[7:9])
	mm, ok2 := two(s[10:12])
	ss, ok3 := two(s[13:15])
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, "", false
	}
	rest := s[15:]
	var nsec int
	if len(rest) > 0 && rest[0] == '.' { // some daemons add fractions
		i := 1
		for i < len(rest) && isDigit(rest[i]) {
			i++
		}
		nsec = fracNanos(rest[1:i])
		rest = rest[i:]
	}
	// "Mmm dd hh:mm:ss yyyy" variant is rare; not accepted as it is ambiguous with a host named 2026
	if len(rest) == 0 || rest[0] != ' ' {
		return time.Time{}, "", false
	}
	rest = rest[1:]
	base := p.hourStart(mon, day, hh)
	if base.IsZero() {
		return time.Time{}, "", false
	}
	return base.Add(time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second + time.Duration(nsec)), rest, true
}

// hourStart returns the start of the hour (year inferred from Ref), cached.
func (p *Parser) hourStart(mon time.Month, day, hh int) time.Time {
	key := int64(mon)<<40 | int64(day)<<32 | int64(hh)<<24 | int64(p.ref.Year()&0xffffff)
	if key == p.cKey {
		return p.cTime
	}
	limit := p.ref.Add(YearSlack)
	y := p.ref.In(p.zone).Year()
	t := time.Date(y, mon, day, hh, 0, 0, 0, p.zone)
	if t.After(limit) {
		t = time.Date(y-1, mon, day, hh, 0, 0, 0, p.zone)
	}
	if t.Day() != day { // Feb 29 in a non-leap year, Apr 31 ...
		// Feb 29 of the inferred year does not exist: try the previous leap year
		for k := 1; k <= 4 && t.Day() != day; k++ {
			t = time.Date(y-1-k, mon, day, hh, 0, 0, 0, p.zone)
		}
		if t.Day() != day {
			return time.Time{}
		}
	}
	p.cKey, p.cTime = key, t
	return t
}

// iso parses "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm] " and returns the
// rest after the following space. Without an offset the input zone applies.
func (p *Parser) iso(s string) (time.Time, string, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, "", false
	}
	y, ok0 := four(s[:4])
	mo, ok1 := two(s[5:7])
	d, ok2 := two(s[8:10])
	hh, ok3 := two(s[11:13])
	mm, ok4 := two(s[14:16])
	ss, ok5 := two(s[17:19])
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5) || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, "", false
	}
	i := 19
	nsec := 0
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		nsec = fracNanos(s[i+1 : j])
		i = j
	}
	loc := p.zone
	if i < len(s) {
		switch s[i] {
		case 'Z', 'z':
			loc = time.UTC
			i++
		case '+', '-':
			if i+3 > len(s) {
				return time.Time{}, "", false
			}
			oh, okh := two(s[i+1 : i+3])
			if !okh {
				return time.Time{}, "", false
			}
			j := i + 3
			om := 0
			if j < len(s) && s[j] == ':' {
				j++
			}
			if j+2 <= len(s) && isDigit(s[j]) {
				var okm bool
				om, okm = two(s[j : j+2])
				if !okm {
					return time.Time{}, "", false
				}
				j += 2
			}
			off := oh*3600 + om*60
			if s[i] == '-' {
				off = -off
			}
			loc = fixedZone(off)
			i = j
		}
	}
	if i >= len(s) || s[i] != ' ' {
		return time.Time{}, "", false
	}
	t := time.Date(y, time.Month(mo), d, hh, mm, ss, nsec, loc)
	if t.Day() != d {
		return time.Time{}, "", false
	}
	return t, s[i+1:], true
}

var zoneCache = map[int]*time.Location{0: time.UTC, 9 * 3600: time.FixedZone("", 9*3600)}

func fixedZone(off int) *time.Location {
	if l, ok := zoneCache[off]; ok {
		return l
	}
	return time.FixedZone("", off)
}

func fracNanos(d string) int {
	n := 0
	for i := 0; i < 9; i++ {
		n *= 10
		if i < len(d) {
			n += int(d[i] - '0')
		}
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func two(s string) (int, bool) {
	if len(s) != 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func four(s string) (int, bool) {
	a, ok1 := two(s[:2])
	b, ok2 := two(s[2:])
	return a*100 + b, ok1 && ok2
}

// atoi parses a non-negative decimal of at most 9 digits.
func atoi(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func indexByte(s string, c byte) int { return strings.IndexByte(s, c) }

func indexByteN(s string, c byte, n int) int {
	for i := 0; i < len(s) && i < n; i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
