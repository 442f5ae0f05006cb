package check

import (
	"cmp"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
)

// kind is the engine's compact event kind.
type kind uint8

const (
	kOther kind = iota
	kLoginOK
	kLoginFail
	kInvalidUser
	kRootRefused
	kMaxAuth
	kLockout
	kSuOK
	kSuFail
	kSudoOK
	kSudoAuthFail
	kSudoDenied
	kAcct
	kServiceStart
	kServiceStop
	kServiceFail
	kBoot
	kShutdown
	kClock
	kLogDrop
	kCronEdit
	kCronCmd
	kSessionClose
	kLastlog
	kLogout
	kAudit  // a notable audit record (R18): failed authentication, rule change, anomaly, auditd stop
	kFTP    // a notable FTP transfer (R19): anonymous or guest, upload by an unapproved user, delete
	kKernel // a kernel anomaly (R20): OOM kill, segfault, promiscuous mode, module taint
)

// rec flags.
const (
	fSecondary = 1 << iota // from btmp/wtmp/sulog: a second record of an event a text log also has
	fInvalid               // the account does not exist
	fConsole               // console/tty login, no remote address
	fWidePos               // pos is an index into Engine.wide (line or offset too large to pack)
)

// Packed positions: the line number in the top posLineBits bits, the byte
// offset plus one (0 = unknown, -1) in the low posOffBits bits; positions
// that do not fit (a 67 M-line or 256 GiB input) go to Engine.wide.
const (
	posOffBits  = 38
	posLineBits = 64 - posOffBits
)

// packPos packs line and off into one word; ok is false when they do not fit.
func packPos(line, off int64) (uint64, bool) {
	if line < 0 || line >= 1<<posLineBits || off < -1 || off+1 >= 1<<posOffBits {
		return 0, false
	}
	return uint64(line)<<posOffBits | uint64(off+1), true
}

// wherePos is an unpacked position.
type wherePos struct{ line, off int64 }

// posOf returns the line and byte offset of x.
func (e *Engine) posOf(x rec) (line, off int64) {
	if x.flags()&fWidePos != 0 {
		w := e.wide[x.pos]
		return w.line, w.off
	}
	return int64(x.pos >> posOffBits), int64(x.pos&(1<<posOffBits-1)) - 1
}

// rec is one interned record. String fields are indexes into Engine.strs.
// It is kept to 32 bytes (millions are held for a month of a busy host): the
// input and host are one index into Engine.orgs (a file rarely holds more
// than one host), the per-kind strings (command, group, detail, target, tty,
// program) of the rare kinds that have them live in Engine.ext, and vk packs
// flags, kind and v, which is either the index into ext (hasExt kinds) or the
// process id (logins and session closes, R17).
type rec struct {
	t    int64  // unix nanoseconds
	pos  uint64 // line and byte offset, packed (see packPos)
	org  uint32 // index into Engine.orgs: input file and host
	user uint32
	ip   uint32
	vk   uint32 // v<<(kindBits+flagBits) | kind<<flagBits | flags
}

// Bits of rec.vk. Linux pids are below 1<<22 (PID_MAX_LIMIT); a larger pid
// is dropped (the record then has none), and records needing an ext entry
// beyond maxV are not kept (counted in Engine.overflow, reported by R10).
const (
	flagBits = 4
	kindBits = 5
	vBits    = 32 - kindBits - flagBits
	maxV     = 1<<vBits - 1
)

// mkVK packs v (0 <= v <= maxV), kind k and flags fl into rec.vk.
func mkVK(v int32, k kind, fl uint8) uint32 {
	return uint32(v)<<(kindBits+flagBits) | uint32(k)<<flagBits | uint32(fl)
}

func (x rec) kind() kind       { return kind(x.vk >> flagBits & (1<<kindBits - 1)) }
func (x rec) flags() uint8     { return uint8(x.vk & (1<<flagBits - 1)) }
func (x rec) v() int32         { return int32(x.vk >> (kindBits + flagBits)) }
func (x *rec) setFlag(f uint8) { x.vk |= uint32(f) }

// origin is an input file and a host, both as indexes.
type origin struct{ src, host uint32 }

// srcOf and hostOf return the input file index and the host string id of x.
func (e *Engine) srcOf(x rec) uint32  { return e.orgs[x.org].src }
func (e *Engine) hostOf(x rec) uint32 { return e.orgs[x.org].host }

// recExt holds the per-kind strings of a record (see rec).
type recExt struct {
	target uint32
	arg    uint32 // command, group or detail (per kind)
	aux    uint32 // method, parse kind or tty (per kind)
}

// hasExt reports whether records of kind k keep strings in Engine.ext.
func hasExt(k kind) bool {
	switch k {
	case kSudoOK, kCronCmd, kSudoDenied, kSudoAuthFail, kSuOK, kSuFail, kAcct,
		kServiceStart, kServiceStop, kServiceFail, kBoot, kShutdown, kClock, kLogDrop, kCronEdit, kLogout, kAudit, kFTP, kKernel:
		return true
	}
	return false
}

// extOf returns the per-kind strings of x (zero when it has none).
func (e *Engine) extOf(x rec) recExt {
	if hasExt(x.kind()) {
		return e.ext[x.v()]
	}
	return recExt{}
}

// pidOf returns the process id of a login or session-close record (0 otherwise).
func pidOf(x rec) int32 {
	if hasExt(x.kind()) {
		return 0
	}
	return x.v()
}

// maxEvents bounds the event table: the rules index it with int32.
const maxEvents = 1<<31 - 1

// Engine collects records and judges them against a policy for one period.
type Engine struct {
	pol        *policy.Policy
	cal        *policy.Calendar
	nets       policy.Networks
	start, end time.Time
	days       int

	strs []string
	ids  map[string]uint32

	// files are the inputs (evidence refs name them); streams are the logs
	// they belong to (rotations of one log are one stream), for coverage.
	fileIdx   map[string]uint32
	files     []string
	filePrev  []time.Time
	fileCov   []*srcState
	streamIdx map[string]*srcState
	streams   []*srcState
	lastFile  string
	lastFi    uint32

	// evs holds the records the rules need once Results has run; while
	// records are added they go to tab (memory outside the Go heap that
	// grows without copying), which evs then aliases until Release.
	evs       []rec
	tab       table
	gathered  bool
	evsOnHeap bool
	ext       []recExt
	wide      []wherePos // positions too large to pack into rec.pos
	// orgs are the (input, host) pairs records come from; orgIdx finds
	// them, lastOrg caches the previous one.
	orgs    []origin
	orgIdx  map[origin]uint32
	lastOrg origin
	lastOi  uint32
	// overflow counts the records not kept because the table or ext was full.
	overflow int64

	// cron commands seen (all) and total records by parse kind.
	cronCmds  int
	pamFails  int
	kindCount map[parse.Kind]int64

	// Baseline from the previous period (R13, R14); nil when none.
	baseline *Baseline
	// lastlog entries seen (R14): user -> newest time.
	lastlog map[string]time.Time

	hosts    map[string]bool
	lastHost string
	hostStr  string
	hostID   uint32

	// sudoCount counts every sudo command; only those a rule lists are kept.
	sudoCount int

	// audit records in the period by type, and those with res=failed (R18).
	auditTypes  map[string]int64
	auditFailed map[string]int64
	// FTP transfers in the period by counter name (R19).
	ftp map[string]int

	// Configuration files of the host (R21) and the previous report's;
	// configsSet is false when they were not examined (not a file review).
	configs     []ConfigFile
	prevConfigs []ConfigFile
	hasPrevCfg  bool
	configsSet  bool

	issues []Issue

	// cmdMemo caches the classification of commands (sudo and cron
	// commands repeat); bounded by maxCmdMemo.
	cmdMemo map[string]cmdClass
	// lastCmd is the previous command classified (a one-entry cache).
	lastCmd      string
	lastCmdClass cmdClass
	lastCmdOK    bool
}

type cmdClass struct {
	suspicious string
	wipe       bool
}

// maxCmdMemo bounds the command classification cache.
const maxCmdMemo = 1 << 14

// classifyCmd returns the suspicious substring of cmd (or "") and whether
// it wipes logs, memoised.
func (e *Engine) classifyCmd(cmd string) cmdClass {
	// The same command often repeats line after line (a monitoring job's
	// sudo): comparing with the previous one is cheaper than hashing.
	if cmd == e.lastCmd && e.lastCmdOK {
		return e.lastCmdClass
	}
	c, ok := e.cmdMemo[cmd]
	if !ok {
		c = cmdClass{suspicious: e.suspiciousScan(cmd), wipe: isLogWipe(cmd)}
		if len(e.cmdMemo) < maxCmdMemo {
			e.cmdMemo[strings.Clone(cmd)] = c
		}
	}
	// Not cloned: it pins at most the one buffer the reader's line is in.
	e.lastCmd, e.lastCmdClass, e.lastCmdOK = cmd, c, true
	return c
}

// Issue is an integrity problem of an input found by the reader (zeroed
// wtmp records, a truncated record, time going backwards); R10 lists it.
type Issue struct {
	Source   string
	Severity Severity
	Summary  Text
}

// AddIssue records an integrity problem for R10.
func (e *Engine) AddIssue(is Issue) { e.issues = append(e.issues, is) }

// SetClass sets the log class of file's stream when its name did not tell
// (CloudWatch streams); the reader knows it from the content.
func (e *Engine) SetClass(file, class string) {
	s := e.fileCov[e.file(file)]
	if class != "" && s.class == "other" {
		s.class = class
	}
}

type srcState struct {
	name         string
	class        string
	files        []string
	first, last  time.Time
	records      int64
	outOfPeriod  int64
	perHour      []int64
	nonMonotonic int64
}

// Baseline is what the previous period's report remembers about accounts:
// the source IPs each account logged in from and its last login time.
type Baseline struct {
	UserIPs   map[string][]string  `json:"user_ips"`
	LastLogin map[string]time.Time `json:"last_login"`
}

// New returns an engine for the period [start, end) under policy p (validated).
func New(p *policy.Policy, start, end time.Time) *Engine {
	e := &Engine{
		pol:         p,
		cal:         p.Calendar(),
		nets:        p.AdminNetworks(),
		start:       start,
		end:         end,
		ids:         map[string]uint32{"": 0},
		strs:        []string{""},
		fileIdx:     map[string]uint32{},
		streamIdx:   map[string]*srcState{},
		orgIdx:      map[origin]uint32{},
		auditTypes:  map[string]int64{},
		auditFailed: map[string]int64{},
		ftp:         map[string]int{},
		kindCount:   map[parse.Kind]int64{},
		lastlog:     map[string]time.Time{},
		hosts:       map[string]bool{},
		cmdMemo:     map[string]cmdClass{},
	}
	loc := p.Location()
	for d := start.In(loc); d.Before(end); d = d.AddDate(0, 0, 1) {
		e.days++
	}
	return e
}

// SetConfigs gives the engine the host's configuration files for R21, and
// the previous report's when there is one (hasPrev), to detect changes.
func (e *Engine) SetConfigs(cur, prev []ConfigFile, hasPrev bool) {
	e.configs, e.prevConfigs, e.hasPrevCfg, e.configsSet = cur, prev, hasPrev, true
}

// SetBaseline gives the engine the previous period's baseline.
func (e *Engine) SetBaseline(b *Baseline) { e.baseline = b }

func (e *Engine) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := e.ids[s]; ok {
		return id
	}
	s = strings.Clone(s) // do not pin the whole raw line
	id := uint32(len(e.strs))
	e.strs = append(e.strs, s)
	e.ids[s] = id
	return id
}

// classPrefixes maps the start of a file name to its log class; the first
// match wins.
var classPrefixes = []struct{ prefix, class string }{
	{"secure", "auth"}, {"auth", "auth"},
	{"messages", "syslog"}, {"syslog", "syslog"},
	{"cron", "cron"}, {"wtmp", "wtmp"}, {"btmp", "btmp"}, {"lastlog", "lastlog"},
	{"audit", "audit"}, {"sulog", "sulog"}, {"xferlog", "xferlog"},
}

// ClassOf names the kind of log an input is, from its name: auth, syslog,
// cron, wtmp, btmp, lastlog, audit, sulog, xferlog, journal or other.
func ClassOf(source string) string {
	b := strings.ToLower(path.Base(source))
	for _, c := range classPrefixes {
		if strings.HasPrefix(b, c.prefix) {
			return c.class
		}
	}
	if strings.Contains(b, "journal") {
		return "journal"
	}
	return "other"
}

// StreamOf names the log a file belongs to: the path without a rotation
// suffix (".gz", "-20261101", ".1"), so secure-20261101.gz is var/log/secure.
func StreamOf(source string) string {
	s := strings.TrimSuffix(source, ".gz")
	dir, base := path.Split(s)
	if i := strings.LastIndexAny(base, "-."); i > 0 {
		suf := base[i+1:]
		digits := suf != ""
		for _, c := range suf {
			if c < '0' || c > '9' {
				digits = false
				break
			}
		}
		if digits && (len(suf) == 8 || len(suf) <= 3) {
			base = base[:i]
		}
	}
	return dir + base
}

// file returns the index of an input, registering it and its stream.
func (e *Engine) file(name string) uint32 {
	if name == e.lastFile && len(e.files) > 0 {
		return e.lastFi
	}
	i, ok := e.fileIdx[name]
	if !ok {
		name = strings.Clone(name)
		i = uint32(len(e.files))
		e.fileIdx[name] = i
		e.files = append(e.files, name)
		e.filePrev = append(e.filePrev, time.Time{})
		st := StreamOf(name)
		s := e.streamIdx[st]
		if s == nil {
			hours := int(e.end.Sub(e.start)/time.Hour) + 1
			s = &srcState{name: st, class: ClassOf(st), perHour: make([]int64, hours)}
			e.streamIdx[st] = s
			e.streams = append(e.streams, s)
		}
		s.files = append(s.files, name)
		e.fileCov = append(e.fileCov, s)
	}
	e.lastFile, e.lastFi = e.files[i], i
	return i
}

// AddSource registers an input even if it yields no record, so that an
// empty or unreadable log still shows in coverage (and as a gap).
func (e *Engine) AddSource(name string) { e.file(name) }

// Add takes one record. Records outside the period count for coverage only.
func (e *Engine) Add(r *parse.Record) {
	fi := e.file(r.Source)
	s := e.fileCov[fi]
	e.kindCount[r.Kind]++
	if r.Host != e.lastHost && r.Host != "" {
		e.lastHost = strings.Clone(r.Host)
		e.hosts[e.lastHost] = true
	}
	if prev := e.filePrev[fi]; !prev.IsZero() && prev.Sub(r.Time) > parse.NonMonotonicSlack {
		s.nonMonotonic++
	}
	e.filePrev[fi] = r.Time
	if r.Kind == parse.KindLastlog {
		// lastlog holds each account's latest login whatever its date.
		if u := r.User; u != "" && r.Time.After(e.lastlog[u]) {
			e.lastlog[u] = r.Time
		}
		return
	}
	if r.Time.Before(e.start) || !r.Time.Before(e.end) {
		s.outOfPeriod++
		return
	}
	s.records++
	if s.first.IsZero() || r.Time.Before(s.first) {
		s.first = r.Time
	}
	if r.Time.After(s.last) {
		s.last = r.Time
	}
	s.perHour[int(r.Time.Sub(e.start)/time.Hour)]++

	k, flags := e.classify(r)
	if k == kOther {
		return
	}
	if r.Host != e.hostStr || e.hostID == 0 {
		e.hostID, e.hostStr = e.intern(r.Host), e.strs[e.intern(r.Host)]
	}
	if hasExt(k) && len(e.ext) > maxV {
		e.overflow++
		return
	}
	pid := int32(0)
	if r.PID > 0 && r.PID <= maxV {
		pid = int32(r.PID)
	}
	x := rec{
		t:    r.Time.UnixNano(),
		org:  e.origin(fi, e.hostID),
		user: e.intern(r.User),
		ip:   e.intern(r.SrcIP),
		vk:   mkVK(pid, k, flags),
	}
	if p, ok := packPos(r.Line, r.Offset); ok {
		x.pos = p
	} else {
		x.pos = uint64(len(e.wide))
		x.setFlag(fWidePos)
		e.wide = append(e.wide, wherePos{r.Line, r.Offset})
	}
	if hasExt(k) {
		var xe recExt
		switch k {
		case kSudoOK, kCronCmd:
			xe.arg = e.intern(r.Command)
			xe.target = e.intern(r.TargetUser)
		case kSudoDenied, kSudoAuthFail:
			xe.arg = e.intern(r.Detail)
			xe.aux = e.intern(r.Command)
			xe.target = e.intern(r.TargetUser)
		case kSuOK, kSuFail:
			xe.target = e.intern(r.TargetUser)
			xe.aux = e.intern(r.TTY)
		case kAcct:
			xe.aux = e.intern(string(r.Kind))
			xe.arg = e.intern(r.Group)
			xe.target = e.intern(r.Detail)
		case kServiceStart, kServiceStop, kServiceFail, kBoot, kShutdown, kClock, kLogDrop:
			xe.arg = e.intern(r.Detail)
			xe.aux = e.intern(r.Program)
		case kCronEdit:
			xe.arg = e.intern(r.Detail)
			xe.target = e.intern(r.TargetUser)
		case kLogout:
			xe.aux = e.intern(r.TTY)
		case kAudit:
			xe.aux = e.intern(r.Method)
			xe.arg = e.intern(r.Detail)
		case kKernel:
			xe.aux = e.intern(string(r.Kind))
			xe.arg = e.intern(r.Command)
			xe.target = e.intern(r.Detail)
		case kFTP:
			xe.aux = e.intern(r.Method)
			xe.arg = e.intern(r.Command)
			xe.target = e.intern(ftpMode(r.Detail))
		}
		x.vk = mkVK(int32(len(e.ext)), k, x.flags())
		e.ext = append(e.ext, xe)
	}
	e.push(x)
	// One line may stand for several identical events ("message repeated N
	// times", "PAM N more authentication failures"): failures count N times.
	if r.Repeat > 1 && (k == kLoginFail || k == kInvalidUser) {
		for i := 1; i < min(r.Repeat, maxRepeat); i++ {
			e.push(x)
		}
	}
}

// origin returns the index of the (input, host) pair, registering it.
func (e *Engine) origin(src, host uint32) uint32 {
	o := origin{src, host}
	if o == e.lastOrg && len(e.orgs) > 0 {
		return e.lastOi
	}
	i, ok := e.orgIdx[o]
	if !ok {
		i = uint32(len(e.orgs))
		e.orgs = append(e.orgs, o)
		e.orgIdx[o] = i
	}
	e.lastOrg, e.lastOi = o, i
	return i
}

// push appends x to the event table: to the mapped table while records are
// being added, to evs (on the Go heap) if records come after judging.
func (e *Engine) push(x rec) {
	n := e.tab.len()
	if e.gathered {
		n = len(e.evs)
	}
	if n >= maxEvents {
		e.overflow++
		return
	}
	if !e.gathered {
		e.tab.push(x)
		return
	}
	if !e.evsOnHeap {
		e.evs, e.evsOnHeap = slices.Clone(e.evs), true
	}
	e.evs = append(e.evs, x)
}

// gather makes the table the judged records (evs), once; records added
// afterwards go to evs directly.
func (e *Engine) gather() {
	if !e.gathered {
		e.evs, e.gathered = e.tab.recs(), true
	}
}

// Release frees the event table. Call it when done with the engine (after
// Results, NewBaseline and FailureChart); the engine is unusable afterwards.
func (e *Engine) Release() {
	e.tab.release()
	if !e.evsOnHeap {
		e.evs = nil
	}
}

// maxRepeat caps how many events one repeated line expands to.
const maxRepeat = 1000

// classify maps a parse kind to the engine's kind; kOther means "coverage only".
func (e *Engine) classify(r *parse.Record) (kind, uint8) {
	var fl uint8
	if r.Detail == parse.DetailInvalidUser {
		fl |= fInvalid
	}
	switch r.Kind {
	case parse.KindSSHAccepted:
		return kLoginOK, fl
	case parse.KindWtmpLogin:
		if r.SrcIP == "" {
			return kLoginOK, fl | fConsole | fSecondary
		}
		return kLoginOK, fl | fSecondary
	case parse.KindRootLoginConsole:
		return kLoginOK, fl | fConsole
	case parse.KindSSHFailed:
		return kLoginFail, fl
	case parse.KindBtmpFailed:
		return kLoginFail, fl | fSecondary
	case parse.KindLoginFailed:
		return kLoginFail, fl | fConsole
	case parse.KindPAMAuthFailure:
		e.pamFails++
		return kOther, 0
	case parse.KindSSHInvalidUser:
		return kInvalidUser, fl | fInvalid
	case parse.KindSSHRootRefused:
		return kRootRefused, fl
	case parse.KindSSHMaxAuth:
		return kMaxAuth, fl
	case parse.KindAccountLocked:
		return kLockout, fl
	case parse.KindSuSuccess:
		if r.Program == "sulog" {
			fl |= fSecondary
		}
		return kSuOK, fl
	case parse.KindSuFailure:
		if r.Program == "sulog" {
			fl |= fSecondary
		}
		return kSuFail, fl
	case parse.KindSudoCommand:
		e.sudoCount++
		c := e.classifyCmd(r.Command)
		if c.suspicious == "" && !c.wipe && !e.unapprovedSudo(r.User) {
			return kOther, 0
		}
		return kSudoOK, fl
	case parse.KindSudoAuthFailure:
		return kSudoAuthFail, fl
	case parse.KindSudoNotAllowed:
		return kSudoDenied, fl
	case parse.KindUserAdd, parse.KindUserDel, parse.KindUserMod, parse.KindGroupAdd, parse.KindGroupDel,
		parse.KindGroupMemberAdd, parse.KindGroupMemberDel, parse.KindPasswdChange, parse.KindPAMPasswordChanged:
		return kAcct, 0
	case parse.KindServiceStart, parse.KindSSHStart:
		return kServiceStart, 0
	case parse.KindServiceStop, parse.KindSSHStop:
		return kServiceStop, 0
	case parse.KindServiceFail:
		return kServiceFail, 0
	case parse.KindBoot, parse.KindWtmpBoot:
		return kBoot, 0
	case parse.KindShutdown, parse.KindWtmpShutdown:
		return kShutdown, 0
	case parse.KindClockChange, parse.KindWtmpClock:
		return kClock, 0
	case parse.KindLogDropped:
		return kLogDrop, 0
	case parse.KindCronEdit:
		return kCronEdit, 0
	case parse.KindCronCmd:
		// cron commands vary by argument, so they are scanned, not memoised.
		e.cronCmds++
		if e.suspiciousScan(r.Command) != "" || isLogWipe(r.Command) {
			return kCronCmd, 0
		}
		return kOther, 0
	case parse.KindPAMSessionClose:
		if r.Method == "sshd" {
			return kSessionClose, 0
		}
	case parse.KindSSHDisconnect:
		return kSessionClose, 0
	case parse.KindWtmpLogout:
		return kLogout, fSecondary
	case parse.KindAudit:
		failed := strings.Contains(r.Detail, "res=failed")
		count(e.auditTypes, r.Method)
		if failed {
			count(e.auditFailed, r.Method)
		}
		if auditNotable(r.Method, failed) {
			return kAudit, fl
		}
	case parse.KindFTPTransfer:
		if e.ftpNotable(r) {
			return kFTP, fl
		}
	case parse.KindKernelOOM, parse.KindKernelSegfault, parse.KindKernelPromisc, parse.KindKernelTaint:
		return kKernel, fl
	}
	return kOther, 0
}

// count adds one to m[k], copying k when it is new (it may point into a
// reader's buffer).
func count(m map[string]int64, k string) {
	if n, ok := m[k]; ok {
		m[k] = n + 1
		return
	}
	m[strings.Clone(k)] = 1
}

// auditNotable reports the audit records R18 lists one by one: failed
// logins and authentications, audit rule changes, anomalies and auditd
// stopping; the rest are only counted by type.
func auditNotable(typ string, failed bool) bool {
	switch {
	case failed && (typ == "USER_LOGIN" || typ == "USER_AUTH" || typ == "USER_ACCT"):
		return true
	case typ == "CONFIG_CHANGE", typ == "DAEMON_END", typ == "DAEMON_ABORT", strings.HasPrefix(typ, "ANOM_"):
		return true
	}
	return false
}

// ftpMode returns the xferlog access mode (a anonymous, g guest, r real
// user) from a transfer's detail.
func ftpMode(detail string) string {
	if i := strings.Index(detail, "mode="); i >= 0 && i+len("mode=") < len(detail) {
		return detail[i+len("mode=") : i+len("mode=")+1]
	}
	return ""
}

// ftpNotable counts an FTP transfer and reports whether R19 lists it:
// anonymous or guest access, an upload by a user outside
// approved_ftp_uploaders, or a delete.
func (e *Engine) ftpNotable(r *parse.Record) bool {
	e.ftp["transfers"]++
	mode := ftpMode(r.Detail)
	notable := false
	switch mode {
	case "a":
		e.ftp["anonymous"]++
		notable = true
	case "g":
		e.ftp["guest"]++
		notable = true
	}
	if strings.Contains(r.Detail, "status=i") {
		e.ftp["incomplete"]++
	}
	switch r.Method {
	case "download":
		e.ftp["downloads"]++
	case "upload":
		e.ftp["uploads"]++
		if !slices.Contains(e.pol.ApprovedFTPUploaders, r.User) {
			notable = true
		}
	case "delete":
		e.ftp["deletes"]++
		notable = true
	}
	return notable
}

// suspiciousScan returns the first policy high-risk substring in cmd, or "".
func (e *Engine) suspiciousScan(cmd string) string {
	if cmd == "" {
		return ""
	}
	for _, s := range e.pol.SuspiciousCommands {
		if s != "" && strings.Contains(cmd, s) {
			return s
		}
	}
	return ""
}

// Results sorts what was collected and runs every check, in ID order.
func (e *Engine) Results() []Result {
	e.gather()
	slices.SortFunc(e.evs, func(a, b rec) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		if c := cmp.Compare(e.files[e.srcOf(a)], e.files[e.srcOf(b)]); c != 0 {
			return c
		}
		la, _ := e.posOf(a)
		lb, _ := e.posOf(b)
		return cmp.Compare(la, lb)
	})
	e.dedup()
	j := &judge{e: e, idUnapproved: e.intern("unapproved"), idIncorrectPassword: e.intern("incorrect_password")}
	rules := []func() Result{
		j.r01, j.r02, j.r03, j.r04, j.r05, j.r06, j.r07, j.r08, j.r09,
		j.r10, j.r11, j.r12, j.r13, j.r14, j.r15, j.r16, j.r17, j.r18, j.r19, j.r20, j.r21,
	}
	// The rules only read the engine (they scan commands rather than use
	// the Add-time command cache, and key strings are interned above), so
	// they run on every core;
	// each writes its own slot, so the order stays R01..R21.
	out := make([]Result, len(rules))
	next := make(chan int, len(rules))
	for i := range rules {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(rules)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = rules[i]()
			}
		}()
	}
	wg.Wait()
	return out
}

// dedup drops secondary records (btmp, wtmp, sulog) that repeat an event a
// text log already has: one ssh password failure is both an sshd line and a
// btmp record; counting both would double R01–R03.
func (e *Engine) dedup() {
	type key struct {
		sec            int64
		kind           kind
		host, ip, user uint32
	}
	anySecondary := false
	for _, x := range e.evs {
		if x.flags()&fSecondary != 0 {
			anySecondary = true
			break
		}
	}
	if !anySecondary {
		return
	}
	primary := map[key]bool{}
	hasText := map[kind]bool{}
	for _, x := range e.evs {
		if x.flags()&fSecondary != 0 {
			continue
		}
		hasText[x.kind()] = true
		primary[key{x.t / int64(time.Second), x.kind(), 0, x.ip, x.user}] = true
	}
	out := e.evs[:0]
	for _, x := range e.evs {
		if x.flags()&fSecondary != 0 && x.flags()&fConsole == 0 && hasText[x.kind()] {
			sec := x.t / int64(time.Second)
			dup := false
			// wtmp/btmp are written within a couple of seconds of the sshd line.
			for d := int64(-2); d <= 2 && !dup; d++ {
				dup = primary[key{sec + d, x.kind(), 0, x.ip, x.user}]
			}
			if dup || x.kind() == kSuOK || x.kind() == kSuFail {
				// sulog has minute precision: when syslog has su lines, it wins.
				continue
			}
		}
		out = append(out, x)
	}
	e.evs = out
}

// Coverage returns the per-source collection status, sorted by source.
func (e *Engine) Coverage() []SourceCoverage {
	out := make([]SourceCoverage, 0, len(e.streams))
	gapAuth := e.pol.Thresholds.GapAuthHours
	gapSys := e.pol.Thresholds.GapSyslogHours
	loc := e.pol.Location()
	for _, s := range e.streams {
		files := slices.Clone(s.files)
		slices.Sort(files)
		c := SourceCoverage{
			Source: s.name, Class: s.class, Files: files, Records: s.records, OutOfPeriod: s.outOfPeriod,
			NonMonotonic: s.nonMonotonic, PerDay: make([]int64, e.days), Gaps: []Gap{},
		}
		if s.records > 0 {
			c.First, c.Last = s.first, s.last
		}
		for h, n := range s.perHour {
			at := e.start.Add(time.Duration(h) * time.Hour)
			if !at.Before(e.end) {
				break
			}
			d := dayIndex(e.start, at, loc)
			if d >= 0 && d < len(c.PerDay) {
				c.PerDay[d] += n
			}
		}
		limit := 0
		switch s.class {
		case "auth":
			limit = gapAuth
		case "syslog", "journal":
			limit = gapSys
		}
		total := len(s.perHour)
		if e.end.Sub(e.start)%time.Hour == 0 {
			total = int(e.end.Sub(e.start) / time.Hour)
		}
		covered := 0
		run := 0
		flush := func(h int) {
			if limit > 0 && run > limit {
				c.Gaps = append(c.Gaps, Gap{From: e.start.Add(time.Duration(h-run) * time.Hour), To: e.start.Add(time.Duration(h) * time.Hour), Hours: run})
			}
			run = 0
		}
		for h := 0; h < total; h++ {
			if s.perHour[h] > 0 {
				flush(h)
				covered++
				continue
			}
			run++
		}
		flush(total)
		// Hours between records that are not part of a reported gap count as covered.
		if s.records > 0 {
			firstH := int(s.first.Sub(e.start) / time.Hour)
			lastH := int(s.last.Sub(e.start) / time.Hour)
			span := lastH - firstH + 1
			gapHours := 0
			for _, g := range c.Gaps {
				from := int(g.From.Sub(e.start) / time.Hour)
				to := int(g.To.Sub(e.start) / time.Hour)
				if from < firstH {
					from = firstH
				}
				if to > lastH+1 {
					to = lastH + 1
				}
				if to > from {
					gapHours += to - from
				}
			}
			covered = span - gapHours
			// Leading and trailing silence only counts as covered if shorter than the gap limit.
			if limit == 0 || firstH <= limit {
				covered += firstH
			}
			if tail := total - lastH - 1; limit == 0 || tail <= limit {
				covered += tail
			}
		}
		if total > 0 {
			c.CoveragePermille = covered * 1000 / total
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b SourceCoverage) int { return cmp.Compare(a.Source, b.Source) })
	return out
}

func dayIndex(start, t time.Time, loc *time.Location) int {
	s := start.In(loc)
	d0 := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	lt := t.In(loc)
	d1 := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	return int(d1.Sub(d0).Hours()+12) / 24
}

// KindCounts returns the number of records per parse kind (all inputs).
func (e *Engine) KindCounts() map[string]int64 {
	out := make(map[string]int64, len(e.kindCount))
	for k, v := range e.kindCount {
		out[string(k)] = v
	}
	return out
}

// NewBaseline returns the previous baseline extended with this period's
// remote logins, for the next period's R13/R14.
func (e *Engine) NewBaseline() *Baseline {
	e.gather()
	b := &Baseline{UserIPs: map[string][]string{}, LastLogin: map[string]time.Time{}}
	if e.baseline != nil {
		for u, ips := range e.baseline.UserIPs {
			b.UserIPs[u] = append([]string(nil), ips...)
		}
		for u, t := range e.baseline.LastLogin {
			b.LastLogin[u] = t
		}
	}
	for _, x := range e.evs {
		if x.kind() != kLoginOK {
			continue
		}
		u := e.strs[x.user]
		if u == "" {
			continue
		}
		if ip := e.strs[x.ip]; ip != "" && !slices.Contains(b.UserIPs[u], ip) {
			b.UserIPs[u] = append(b.UserIPs[u], ip)
		}
		t := time.Unix(0, x.t).UTC()
		if t.After(b.LastLogin[u]) {
			b.LastLogin[u] = t
		}
	}
	for u := range b.UserIPs {
		slices.Sort(b.UserIPs[u])
	}
	return b
}

// Hosts returns the host names seen in the records, sorted.
func (e *Engine) Hosts() []string {
	out := make([]string, 0, len(e.hosts))
	for h := range e.hosts {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// IPFailures is the number of failed logins from one address.
type IPFailures struct {
	IP       string
	Failures int
}

// FailureChart returns failed remote logins per hour of day (policy zone) and
// the top n source addresses by failures (ties by address). Call after Results.
func (e *Engine) FailureChart(n int) ([]int, []IPFailures) {
	e.gather()
	loc := e.pol.Location()
	perHour := make([]int, 24)
	byIP := map[uint32]int{}
	for _, x := range e.evs {
		if x.kind() != kLoginFail {
			continue
		}
		perHour[time.Unix(0, x.t).In(loc).Hour()]++
		if x.ip != 0 {
			byIP[x.ip]++
		}
	}
	top := make([]IPFailures, 0, len(byIP))
	for ip, c := range byIP {
		top = append(top, IPFailures{e.strs[ip], c})
	}
	slices.SortFunc(top, func(a, b IPFailures) int {
		if c := cmp.Compare(b.Failures, a.Failures); c != 0 {
			return c
		}
		return cmp.Compare(a.IP, b.IP)
	})
	if len(top) > n {
		top = top[:n]
	}
	return perHour, top
}

// Days returns the period's days as YYYY-MM-DD in the policy zone.
func (e *Engine) Days() []string {
	loc := e.pol.Location()
	var out []string
	for d := e.start.In(loc); d.Before(e.end); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}

// unapprovedSudo reports a sudo user outside approved_admin_accounts (only
// when the policy lists them).
func (e *Engine) unapprovedSudo(user string) bool {
	if len(e.pol.ApprovedAdminAccounts) == 0 {
		return false
	}
	for _, a := range e.pol.ApprovedAdminAccounts {
		if a == user {
			return false
		}
	}
	return true
}
