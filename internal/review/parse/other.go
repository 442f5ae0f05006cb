package parse

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ---- journald export (journalctl -o json) ----

// journalEntry holds the fields of one `journalctl -o json` object we use.
// MESSAGE is a string, or an array of byte values when it is not UTF-8,
// or null.
type journalEntry struct {
	Realtime   string          `json:"__REALTIME_TIMESTAMP"`
	Hostname   string          `json:"_HOSTNAME"`
	Identifier string          `json:"SYSLOG_IDENTIFIER"`
	Comm       string          `json:"_COMM"`
	PID        string          `json:"_PID"`
	SyslogPID  string          `json:"SYSLOG_PID"`
	Transport  string          `json:"_TRANSPORT"`
	Message    json.RawMessage `json:"MESSAGE"`
	BootID     string          `json:"_BOOT_ID"`
	Cursor     string          `json:"__CURSOR"`
}

// JournalInfo carries the journald-specific facts of one entry for the
// evidence manifest (cursor range, boot ids).
type JournalInfo struct {
	Cursor string
	BootID string
}

// JournalLine parses one line of a `journalctl -o json` export. Raw is the
// JSON line itself. The message goes through the same classifiers as
// syslog lines, keyed on SYSLOG_IDENTIFIER (or _COMM).
func (p *Parser) JournalLine(line []byte, lineNo, offset int64) (Record, JournalInfo, error) {
	line = trimCR(line)
	r := Record{Source: p.source, Line: lineNo, Offset: offset}
	var e journalEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return r, JournalInfo{}, fmt.Errorf("decode journal entry: %w", err)
	}
	us, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil || us <= 0 {
		return r, JournalInfo{}, errors.New("decode journal entry: missing or bad __REALTIME_TIMESTAMP")
	}
	msg, err := journalMessage(e.Message)
	if err != nil {
		return r, JournalInfo{}, err
	}
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	r.Raw = string(line)
	r.Time = time.UnixMicro(us).In(p.zone)
	r.Host = e.Hostname
	r.Program = e.Identifier
	if r.Program == "" {
		r.Program = e.Comm
	}
	pid := e.SyslogPID
	if pid == "" {
		pid = e.PID
	}
	r.PID, _ = atoi(pid)
	if e.Transport == "kernel" {
		r.Program = "kernel"
	}
	classify(&r, r.Program, msg)
	return r, JournalInfo{Cursor: e.Cursor, BootID: e.BootID}, nil
}

func journalMessage(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("decode journal MESSAGE: %w", err)
		}
		return s, nil
	case '[':
		var b []int
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", fmt.Errorf("decode journal MESSAGE bytes: %w", err)
		}
		buf := make([]byte, 0, len(b))
		for _, v := range b {
			if v < 0 || v > 255 {
				return "", fmt.Errorf("decode journal MESSAGE bytes: value %d out of range", v)
			}
			buf = append(buf, byte(v))
		}
		return strings.ToValidUTF8(string(buf), string(utf8.RuneError)), nil
	}
	return "", errors.New("decode journal MESSAGE: neither string nor byte array")
}

// ---- audit.log ----

// AuditLine parses one linux audit record:
// `[node=H ]type=T msg=audit(SECS.MS:SERIAL): k=v ... msg='k=v ...'`.
// Every record becomes KindAudit with Method = the type; see KindAudit.
func (p *Parser) AuditLine(line []byte, lineNo, offset int64) (Record, error) {
	line = trimCR(line)
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	s := string(line)
	r := Record{Source: p.source, Line: lineNo, Offset: offset, Raw: s, Program: "audit", Kind: KindAudit}
	if strings.HasPrefix(s, "node=") {
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return r, errors.New("parse audit record: node without type")
		}
		r.Host, s = s[len("node="):sp], s[sp+1:]
	}
	if !strings.HasPrefix(s, "type=") {
		return r, errors.New("parse audit record: no type=")
	}
	sp := strings.IndexByte(s, ' ')
	if sp < 0 {
		return r, errors.New("parse audit record: no msg=")
	}
	r.Method, s = s[len("type="):sp], s[sp+1:]
	if !strings.HasPrefix(s, "msg=audit(") {
		return r, errors.New("parse audit record: no msg=audit(")
	}
	s = s[len("msg=audit("):]
	cp := strings.Index(s, "):")
	if cp < 0 {
		return r, errors.New("parse audit record: unterminated audit( stamp")
	}
	stamp := s[:cp]
	s = strings.TrimPrefix(s[cp+2:], " ")
	colon := strings.IndexByte(stamp, ':')
	if colon < 0 {
		return r, errors.New("parse audit record: stamp without serial")
	}
	secs, frac, _ := strings.Cut(stamp[:colon], ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return r, fmt.Errorf("parse audit stamp: %w", err)
	}
	r.Time = time.Unix(sec, int64(fracNanos(frac))).In(p.zone)
	var res, op, auid, uid string
	auditKV(s, func(k, v string) {
		switch k {
		case "pid":
			r.PID, _ = atoi(v)
		case "acct":
			r.User = auditValue(v)
		case "id":
			if r.User == "" {
				if _, ok := atoi(v); ok {
					r.User = "uid:" + v
				} else {
					r.User = auditValue(v)
				}
			}
		case "auid":
			auid = v
		case "uid":
			uid = v
		case "addr":
			if v != "?" && looksLikeIP(v) {
				r.SrcIP = v
			}
		case "hostname":
			if r.SrcIP == "" && v != "?" && looksLikeIP(v) {
				r.SrcIP = v
			}
		case "terminal":
			if v != "?" {
				r.TTY = v
			}
		case "exe":
			if r.Command == "" {
				r.Command = auditValue(v)
			}
		case "cmd":
			r.Command = auditValue(v)
		case "res", "success":
			res = auditValue(v)
		case "op":
			op = auditValue(v)
		}
	})
	if r.User == "" && auid != "" && auid != "4294967295" && auid != "-1" {
		r.User = "auid:" + auid
	}
	_ = uid
	var d []string
	if res != "" {
		switch res {
		case "yes", "success":
			res = "success"
		case "no", "failed":
			res = "failed"
		}
		d = append(d, "res="+res)
	}
	if op != "" {
		d = append(d, "op="+strings.ReplaceAll(op, " ", "_"))
	}
	r.Detail = strings.Join(d, " ")
	return r, nil
}

// auditKV walks "k=v k="v w" k='inner k=v' ..." calling fn for each pair,
// descending into a quoted msg='...' body.
func auditKV(s string, fn func(k, v string)) {
	for guard := 0; len(s) > 0 && guard < 4096; guard++ {
		s = strings.TrimLeft(s, " \x1d")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return
		}
		k := s[:eq]
		if sp := strings.IndexByte(k, ' '); sp >= 0 { // a bare word: skip it
			s = s[sp+1:]
			continue
		}
		s = s[eq+1:]
		var v string
		switch {
		case len(s) > 0 && (s[0] == '"' || s[0] == '\''):
			q := s[0]
			e := strings.IndexByte(s[1:], q)
			if e < 0 {
				v, s = s[1:], ""
			} else {
				v, s = s[1:e+1], s[e+2:]
			}
			if q == '\'' && k == "msg" {
				auditKV(v, fn)
				continue
			}
			v = "\"" + v + "\"" // keep the quoting so auditValue knows it is not hex
		default:
			e := strings.IndexAny(s, " \x1d")
			if e < 0 {
				v, s = s, ""
			} else {
				v, s = s[:e], s[e:]
			}
		}
		fn(k, v)
	}
}

// auditValue unquotes "v" or decodes an unquoted hex-encoded value (the
// audit system hex-encodes values with spaces or special characters).
func auditValue(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && len(v)%2 == 0 && isHex(v) {
		if b, err := hex.DecodeString(v); err == nil && utf8.Valid(b) && printable(b) {
			return string(b)
		}
	}
	return v
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ---- sulog ----

// SulogLine parses a shadow-utils sulog line "SU MM/DD HH:MM +|- TTY USER-TARGET".
// The year comes from Ref like RFC 3164 stamps; the zone from Options.
func (p *Parser) SulogLine(line []byte, lineNo, offset int64) (Record, error) {
	line = trimCR(line)
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	s := string(line)
	r := Record{Source: p.source, Line: lineNo, Offset: offset, Raw: s, Program: "sulog"}
	f := strings.Fields(s)
	if len(f) != 6 || f[0] != "SU" || len(f[1]) != 5 || f[1][2] != '/' || len(f[2]) != 5 || f[2][2] != ':' {
		return r, errors.New("parse sulog line: not SU MM/DD HH:MM +|- TTY USER-TARGET")
	}
	mo, ok1 := two(f[1][:2])
	d, ok2 := two(f[1][3:])
	hh, ok3 := two(f[2][:2])
	mm, ok4 := two(f[2][3:])
	if !(ok1 && ok2 && ok3 && ok4) || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 {
		return r, errors.New("parse sulog line: bad date or time")
	}
	base := p.hourStart(time.Month(mo), d, hh)
	if base.IsZero() {
		return r, errors.New("parse sulog line: no such date")
	}
	r.Time = base.Add(time.Duration(mm) * time.Minute)
	switch f[3] {
	case "+":
		r.Kind = KindSuSuccess
	case "-":
		r.Kind = KindSuFailure
	default:
		return r, errors.New("parse sulog line: result is neither + nor -")
	}
	r.TTY = f[4]
	// USER-TARGET: user names may contain '-', so split at the last one
	// unless the target is empty.
	who := f[5]
	i := strings.LastIndexByte(who, '-')
	if i <= 0 {
		return r, errors.New("parse sulog line: no USER-TARGET")
	}
	r.User, r.TargetUser = who[:i], who[i+1:]
	return r, nil
}

// ---- xferlog ----

// XferlogLine parses one xferlog(5) line. The file name may contain
// spaces: the first 9 tokens are taken from the left (5 for the ctime stamp,
// then transfer-time, host, size) and the last 9 from the right.
func (p *Parser) XferlogLine(line []byte, lineNo, offset int64) (Record, error) {
	line = trimCR(line)
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	s := string(line)
	r := Record{Source: p.source, Line: lineNo, Offset: offset, Raw: s, Program: "xferlog", Kind: KindFTPTransfer}
	f := strings.Fields(s)
	if len(f) < 18 {
		return r, errors.New("parse xferlog line: fewer than 18 fields")
	}
	t, err := time.ParseInLocation("Mon Jan 2 15:04:05 2006", strings.Join(f[:5], " "), p.zone)
	if err != nil {
		return r, fmt.Errorf("parse xferlog time: %w", err)
	}
	r.Time = t
	r.SrcIP = f[6]
	size := f[7]
	tail := f[len(f)-9:]
	// file name: between the 8th token and the tail, spacing preserved
	// file name: from after the 9th token to before the last 9, spacing kept
	name := strings.Join(f[8:len(f)-9], " ")
	if start := afterFields(s, 8); start > 0 {
		end := len(strings.TrimRight(s, " \t"))
		for k := 0; k < 9 && end > 0; k++ {
			end = strings.LastIndexAny(strings.TrimRight(s[:end], " \t"), " \t")
		}
		if end > start {
			name = s[start:end]
		}
	}
	r.Command = name
	switch tail[2] {
	case "o":
		r.Method = "download"
	case "i":
		r.Method = "upload"
	case "d":
		r.Method = "delete"
	default:
		r.Method = tail[2]
	}
	r.User = tail[4]
	r.Detail = "mode=" + tail[3] + " bytes=" + size + " status=" + tail[8]
	return r, nil
}

// afterFields returns the index just past the n-th whitespace-separated
// field of s and the whitespace after it, or -1.
func afterFields(s string, n int) int {
	i := 0
	for k := 0; k < n; k++ {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			return -1
		}
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}
