package parse

import (
	"strings"
)

// Message classifies one syslog message of the given program (ident
// without pid) into r, which should already hold Time, Host, Program, PID,
// Source, Line and Raw. Unclaimed messages get KindOther.
func (p *Parser) Message(r *Record, program, msg string) { classify(r, program, msg) }

// Classify is Message without a Parser (the message carries no timestamp).
func Classify(r *Record, program, msg string) { classify(r, program, msg) }

func classify(r *Record, program, msg string) {
	r.Kind = KindOther
	if strings.HasPrefix(msg, "message repeated ") {
		// rsyslog RepeatedMsgReduction: "message repeated 3 times: [ Failed password ...]"
		rest := msg[len("message repeated "):]
		sp := strings.IndexByte(rest, ' ')
		if sp > 0 && strings.HasPrefix(rest[sp:], " times: [") {
			if n, ok := atoi(rest[:sp]); ok {
				inner := strings.TrimSuffix(strings.TrimPrefix(rest[sp+len(" times: ["):], " "), "]")
				classify(r, program, inner)
				r.Repeat = n
				return
			}
		}
	}
	if len(msg) > 4 && msg[:4] == "pam_" {
		parsePAM(r, msg)
		return
	}
	if len(msg) > 4 && msg[:4] == "PAM " {
		parsePAMMore(r, msg)
		return
	}
	switch program {
	case "sshd", "sshd-session", "sshd-auth":
		parseSSH(r, msg)
	case "sudo":
		parseSudo(r, msg)
	case "su":
		parseSu(r, msg)
	case "useradd", "userdel", "usermod", "groupadd", "groupdel", "groupmod", "gpasswd",
		"passwd", "chpasswd", "chage", "newusers", "chsh", "chfn", "chgpasswd", "vipw":
		parseShadow(r, msg)
	case "CROND", "CRON", "crond", "cron", "crontab", "anacron":
		parseCron(r, msg)
	case "systemd-logind":
		parseLogind(r, msg)
	case "systemd":
		parseSystemd(r, msg)
	case "login":
		parseLogin(r, msg)
	case "kernel":
		// Debian's syslog keeps the dmesg stamp: "kernel: [    0.000000] Linux version ..."
		if len(msg) > 2 && msg[0] == '[' {
			if i := strings.Index(msg, "] "); i > 0 && i < 20 {
				msg = msg[i+2:]
			}
		}
		if strings.HasPrefix(msg, "Linux version ") {
			r.Kind, r.Detail = KindBoot, strings.TrimPrefix(msg, "Linux version ")
			return
		}
		parseKernel(r, msg)
	case "rsyslogd", "systemd-journald", "systemd-journal":
		parseLogDaemon(r, program, msg)
	case "chronyd":
		if strings.HasPrefix(msg, "System clock wrong by") || strings.HasPrefix(msg, "System clock was stepped by") {
			r.Kind, r.Detail = KindClockChange, msg
		}
	}
}

// ---- OpenSSH ----

func parseSSH(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "Accepted "):
		if parseSSHAuth(r, msg[len("Accepted "):]) {
			r.Kind = KindSSHAccepted
		}
	case strings.HasPrefix(msg, "Failed "):
		if parseSSHAuth(r, msg[len("Failed "):]) {
			r.Kind = KindSSHFailed
		}
	case strings.HasPrefix(msg, "Invalid user "), strings.HasPrefix(msg, "Illegal user "):
		// "Invalid user USER from IP[ port N]"; USER may be empty or contain spaces
		rest := msg[len("Invalid user "):]
		i := strings.LastIndex(rest, " from ")
		if i < 0 {
			if strings.HasPrefix(rest, "from ") { // "Invalid user from IP" (some versions drop the empty name's space)
				r.SrcIP, r.Port = hostPort(rest[len("from "):])
				r.Kind = KindSSHInvalidUser
			}
			return
		}
		r.User = rest[:i]
		r.SrcIP, r.Port = hostPort(rest[i+len(" from "):])
		r.Kind = KindSSHInvalidUser
	case strings.HasPrefix(msg, "error: maximum authentication attempts exceeded for "):
		if parseSSHUserFrom(r, msg[len("error: maximum authentication attempts exceeded for "):]) {
			r.Kind = KindSSHMaxAuth
		}
	case strings.HasPrefix(msg, "Disconnecting") && strings.Contains(msg, "Too many authentication failures"):
		// "Disconnecting authenticating user root IP port N: Too many ..."
		// "Disconnecting invalid user x IP port N: Too many ..."
		// "Disconnecting: Too many authentication failures for root [preauth]" (old)
		// The new forms follow an "error: maximum authentication attempts"
		// line for the same connection, so they only close it; the old form
		// is the only record of the event.
		rest := strings.TrimPrefix(msg[len("Disconnecting"):], " ")
		if c := strings.Index(rest, ": Too many"); c > 0 {
			r.Kind = KindSSHDisconnectPreauth
			parseSSHWho(r, rest[:c])
			if r.Detail == "" {
				r.Detail = "too_many_auth_failures"
			}
		} else if i := strings.Index(msg, "failures for "); i > 0 {
			u := msg[i+len("failures for "):]
			u = strings.TrimSuffix(u, " [preauth]")
			if strings.HasPrefix(u, "invalid user ") {
				u, r.Detail = u[len("invalid user "):], DetailInvalidUser
			}
			r.Kind, r.User = KindSSHMaxAuth, u
		}
	case strings.HasPrefix(msg, "ROOT LOGIN REFUSED FROM "):
		r.Kind, r.User = KindSSHRootRefused, "root"
		r.SrcIP, r.Port = hostPort(msg[len("ROOT LOGIN REFUSED FROM "):])
	case strings.HasPrefix(msg, "Connection closed by "):
		sshClosed(r, msg[len("Connection closed by "):])
	case strings.HasPrefix(msg, "Connection reset by "):
		sshClosed(r, msg[len("Connection reset by "):])
	case strings.HasPrefix(msg, "Disconnected from "):
		sshClosed(r, msg[len("Disconnected from "):])
	case strings.HasPrefix(msg, "Received disconnect from "):
		rest := msg[len("Received disconnect from "):]
		r.SrcIP, r.Port = hostPort(rest)
		if strings.HasSuffix(msg, "[preauth]") {
			r.Kind = KindSSHDisconnectPreauth
		} else {
			r.Kind = KindSSHDisconnect
		}
	case strings.HasPrefix(msg, "User ") && strings.Contains(msg, " not allowed because "):
		// "User root from IP not allowed because not listed in AllowUsers"
		rest := msg[len("User "):]
		nb := strings.Index(rest, " not allowed because ")
		who := rest[:nb]
		r.Detail = rest[nb+len(" not allowed because "):]
		if i := strings.LastIndex(who, " from "); i >= 0 {
			r.User = who[:i]
			r.SrcIP, _ = hostPort(who[i+len(" from "):])
		} else {
			r.User = who
		}
		r.Kind = KindSSHNotAllowed
	case strings.HasPrefix(msg, "Server listening on "):
		rest := msg[len("Server listening on "):]
		if i := strings.LastIndex(rest, " port "); i >= 0 {
			r.Port, _ = atoi(strings.TrimSuffix(rest[i+len(" port "):], "."))
			r.Detail = rest[:i]
		}
		r.Kind = KindSSHStart
	case strings.HasPrefix(msg, "Received signal 15"), strings.HasPrefix(msg, "Received signal 2;"):
		r.Kind = KindSSHStop
	}
}

// parseSSHAuth parses "METHOD for [invalid user ]USER from IP port N ssh2[...]".
func parseSSHAuth(r *Record, s string) bool {
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 || !strings.HasPrefix(s[sp:], " for ") {
		return false
	}
	r.Method = s[:sp]
	return parseSSHUserFrom(r, s[sp+len(" for "):])
}

// parseSSHUserFrom parses "[invalid user |illegal user ]USER from IP port N ...".
func parseSSHUserFrom(r *Record, s string) bool {
	if strings.HasPrefix(s, "invalid user ") {
		s, r.Detail = s[len("invalid user "):], DetailInvalidUser
	} else if strings.HasPrefix(s, "illegal user ") {
		s, r.Detail = s[len("illegal user "):], DetailInvalidUser
	}
	i := strings.LastIndex(s, " from ")
	if i < 0 {
		return false
	}
	r.User = s[:i]
	r.SrcIP, r.Port = hostPort(s[i+len(" from "):])
	return r.SrcIP != ""
}

// sshClosed handles the tails of "Connection closed by" / "Disconnected from":
// "[authenticating user USER |invalid user USER |user USER ]IP port N[ [preauth]]".
func sshClosed(r *Record, s string) {
	pre := strings.HasSuffix(s, "[preauth]")
	parseSSHWho(r, s)
	if pre {
		r.Kind = KindSSHDisconnectPreauth
	} else {
		r.Kind = KindSSHDisconnect
	}
}

// parseSSHWho parses "[authenticating user U |invalid user U |user U ]IP port N...".
func parseSSHWho(r *Record, s string) {
	switch {
	case strings.HasPrefix(s, "authenticating user "):
		s = s[len("authenticating user "):]
	case strings.HasPrefix(s, "invalid user "):
		s, r.Detail = s[len("invalid user "):], DetailInvalidUser
	case strings.HasPrefix(s, "user "):
		s = s[len("user "):]
	default:
		r.SrcIP, r.Port = hostPort(s)
		return
	}
	// USER IP port N: the IP is the token before " port "
	pi := strings.LastIndex(s, " port ")
	head := s
	if pi >= 0 {
		head = s[:pi]
	}
	sp := strings.LastIndexByte(head, ' ')
	if sp < 0 {
		r.SrcIP, r.Port = hostPort(s)
		return
	}
	r.User = head[:sp]
	r.SrcIP, r.Port = hostPort(s[sp+1:])
}

// hostPort parses "IP port N..." or "IP" (with trailing junk such as
// ":11: Bye" or " ssh2") and returns the host and port.
func hostPort(s string) (string, int) {
	end := 0
	for end < len(s) && s[end] != ' ' {
		end++
	}
	host := s[:end]
	host = strings.TrimSuffix(host, ":")
	port := 0
	rest := s[end:]
	if strings.HasPrefix(rest, " port ") {
		rest = rest[len(" port "):]
		n := 0
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		port, _ = atoi(rest[:n])
	}
	return host, port
}

// ---- PAM ----

func parsePAM(r *Record, msg string) {
	// pam_MODULE(SERVICE:TYPE): text
	op := strings.IndexByte(msg, '(')
	cp := strings.Index(msg, "): ")
	if op < 0 || cp < op {
		return
	}
	module := msg[:op]
	svcType := msg[op+1 : cp]
	text := msg[cp+3:]
	svc, typ := svcType, ""
	if c := strings.LastIndexByte(svcType, ':'); c >= 0 {
		svc, typ = svcType[:c], svcType[c+1:]
	}
	r.Method = svc
	switch module {
	case "pam_faillock":
		// "Consecutive login failures for user alice account temporarily locked"
		if i := strings.Index(text, "failures for user "); i >= 0 && strings.Contains(text, "locked") {
			u := text[i+len("failures for user "):]
			if sp := strings.IndexByte(u, ' '); sp >= 0 {
				u = u[:sp]
			}
			r.Kind, r.User = KindAccountLocked, u
		}
		return
	case "pam_tally2", "pam_tally":
		// "user alice (1000) tally 4, deny 3"
		if strings.HasPrefix(text, "user ") && strings.Contains(text, " deny ") {
			u := text[len("user "):]
			if sp := strings.IndexByte(u, ' '); sp >= 0 {
				u = u[:sp]
			}
			r.Kind, r.User, r.Detail = KindAccountLocked, u, text
		}
		return
	}
	switch {
	case strings.HasPrefix(text, "authentication failure;"):
		r.Kind = KindPAMAuthFailure
		kv := text[len("authentication failure;"):]
		var logname, ruser, rhost string
		forEachKV(kv, func(k, v string) {
			switch k {
			case "logname":
				logname = v
			case "ruser":
				ruser = v
			case "rhost":
				rhost = v
			case "tty":
				r.TTY = v
			case "user":
				r.User = v
			}
		})
		r.TargetUser = r.User
		if rhost != "" {
			if looksLikeIP(rhost) {
				r.SrcIP = rhost
			} else {
				r.Detail = "rhost=" + rhost
			}
		}
		by := logname
		if by == "" {
			by = ruser
		}
		if by != "" {
			if r.Detail != "" {
				r.Detail += " "
			}
			r.Detail += "by=" + by
		}
	case strings.HasPrefix(text, "check pass; user unknown"):
		r.Kind = KindPAMUserUnknown
	case strings.HasPrefix(text, "session opened for user "):
		r.Kind = KindPAMSessionOpen
		rest := text[len("session opened for user "):]
		// "alice(uid=1000) by (uid=0)" | "root by alice(uid=1000)" | "alice by (uid=0)"
		by := ""
		if i := strings.Index(rest, " by "); i >= 0 {
			rest, by = rest[:i], rest[i+len(" by "):]
		}
		uid := ""
		if i := strings.IndexByte(rest, '('); i >= 0 {
			uid = strings.TrimSuffix(rest[i+1:], ")")
			rest = rest[:i]
		}
		r.User = rest
		r.TargetUser = rest
		if i := strings.IndexByte(by, '('); i >= 0 {
			by = by[:i]
		}
		switch {
		case by != "" && uid != "":
			r.Detail = "by=" + by + " " + uid
		case by != "":
			r.Detail = "by=" + by
		case uid != "":
			r.Detail = uid
		}
	case strings.HasPrefix(text, "session closed for user "):
		r.Kind = KindPAMSessionClose
		r.User = text[len("session closed for user "):]
	case strings.HasPrefix(text, "password changed for "):
		r.Kind = KindPAMPasswordChanged
		r.User = text[len("password changed for "):]
	}
	_ = typ
}

// parsePAMMore handles sshd's summary of a PAM conversation that failed
// several times: "PAM 4 more authentication failures; logname= uid=0 euid=0
// tty=ssh ruser= rhost=IP  user=root". It stands for N further failures.
func parsePAMMore(r *Record, msg string) {
	rest := msg[len("PAM "):]
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 {
		return
	}
	n, ok := atoi(rest[:sp])
	semi := strings.IndexByte(rest, ';')
	if !ok || semi < 0 || !strings.HasPrefix(rest[sp:], " more authentication failure") {
		return
	}
	r.Kind = KindPAMAuthFailure
	var rhost string
	forEachKV(rest[semi+1:], func(k, v string) {
		switch k {
		case "rhost":
			rhost = v
		case "tty":
			r.TTY = v
		case "user":
			r.User = v
		}
	})
	r.TargetUser = r.User
	r.Detail = "more=" + rest[:sp]
	r.Repeat = n
	if looksLikeIP(rhost) {
		r.SrcIP = rhost
	} else if rhost != "" {
		r.Detail += " rhost=" + rhost
	}
}

// forEachKV walks "k=v k2= k3=v3" (values never contain spaces in pam_unix lines).
func forEachKV(s string, fn func(k, v string)) {
	for len(s) > 0 {
		for len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		end := strings.IndexByte(s, ' ')
		tok := s
		if end >= 0 {
			tok, s = s[:end], s[end+1:]
		} else {
			s = ""
		}
		if eq := strings.IndexByte(tok, '='); eq > 0 {
			fn(tok[:eq], tok[eq+1:])
		}
	}
}

// looksLikeIP reports whether s is a textual IPv4 or IPv6 address (cheap check).
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case isDigit(c), c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '%':
		default:
			return false
		}
	}
	if colons >= 2 {
		return true
	}
	if dots == 3 && colons == 0 {
		for i := 0; i < len(s); i++ {
			if s[i] != '.' && !isDigit(s[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// ---- sudo ----

func parseSudo(r *Record, msg string) {
	msg = strings.TrimLeft(msg, " ")
	sep := strings.Index(msg, " : ")
	if sep <= 0 {
		return
	}
	user := msg[:sep]
	if strings.IndexByte(user, ' ') >= 0 {
		return
	}
	rest := msg[sep+3:]
	r.User = user
	// COMMAND= runs to the end of the line and may contain " ; "
	if i := strings.Index(rest, "COMMAND="); i >= 0 && (i == 0 || rest[i-1] == ' ') {
		r.Command = rest[i+len("COMMAND="):]
		rest = rest[:i]
	}
	first := true
	kind := KindSudoCommand
	for len(rest) > 0 {
		f := rest
		if i := strings.Index(rest, " ; "); i >= 0 {
			f, rest = rest[:i], rest[i+3:]
		} else {
			rest = ""
		}
		f = strings.TrimSpace(f)
		eq := strings.IndexByte(f, '=')
		if first && (eq < 0 || strings.IndexByte(f[:eq], ' ') >= 0) {
			switch {
			case strings.Contains(f, "incorrect password attempt"):
				kind = KindSudoAuthFailure
				if sp := strings.IndexByte(f, ' '); sp > 0 {
					r.Detail = "attempts=" + f[:sp]
				}
			case strings.HasPrefix(f, "user NOT in sudoers"):
				kind, r.Detail = KindSudoNotAllowed, "not_in_sudoers"
			case strings.HasPrefix(f, "command not allowed"):
				kind, r.Detail = KindSudoNotAllowed, "command_not_allowed"
			case strings.HasPrefix(f, "user NOT authorized on host"):
				kind, r.Detail = KindSudoNotAllowed, "not_authorized_on_host"
			default:
				kind, r.Detail = KindOther, f
			}
			first = false
			continue
		}
		first = false
		if eq < 0 {
			continue
		}
		switch f[:eq] {
		case "TTY":
			r.TTY = f[eq+1:]
		case "USER":
			r.TargetUser = f[eq+1:]
		case "GROUP":
			r.Group = f[eq+1:]
		case "PWD":
			if kind == KindSudoCommand {
				r.Detail = "pwd=" + f[eq+1:]
			}
		}
	}
	if r.Command == "" && kind == KindSudoCommand {
		kind = KindOther
	}
	r.Kind = kind
}

// ---- su ----

func parseSu(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "(to "):
		suUtil(r, msg, KindSuSuccess)
	case strings.HasPrefix(msg, "FAILED SU (to "):
		suUtil(r, msg[len("FAILED SU "):], KindSuFailure)
	case strings.HasPrefix(msg, "Successful su for "):
		suShadow(r, msg[len("Successful su for "):], KindSuSuccess)
	case strings.HasPrefix(msg, "FAILED su for "):
		suShadow(r, msg[len("FAILED su for "):], KindSuFailure)
	case len(msg) > 2 && (msg[0] == '+' || msg[0] == '-') && msg[1] == ' ':
		// shadow: "+ pts/0 alice:root" / "- /dev/pts/0 alice:root"
		rest := msg[2:]
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return
		}
		who := rest[sp+1:]
		c := strings.IndexByte(who, ':')
		if c < 0 {
			return
		}
		r.TTY, r.User, r.TargetUser = rest[:sp], who[:c], who[c+1:]
		if msg[0] == '+' {
			r.Kind = KindSuSuccess
		} else {
			r.Kind = KindSuFailure
		}
	}
}

// suUtil parses "(to TARGET) USER on TTY".
func suUtil(r *Record, s string, k Kind) {
	s = s[len("(to "):]
	cp := strings.IndexByte(s, ')')
	if cp < 0 {
		return
	}
	r.TargetUser = s[:cp]
	rest := strings.TrimPrefix(s[cp+1:], " ")
	if i := strings.LastIndex(rest, " on "); i >= 0 {
		r.User, r.TTY = rest[:i], rest[i+len(" on "):]
	} else {
		r.User = rest
	}
	r.Kind = k
}

// suShadow parses "TARGET by USER".
func suShadow(r *Record, s string, k Kind) {
	i := strings.Index(s, " by ")
	if i < 0 {
		return
	}
	r.TargetUser, r.User, r.Kind = s[:i], s[i+len(" by "):], k
}

// ---- kernel ----

// parseKernel recognises the kernel messages R20 reviews:
//
//	Out of memory: Killed process 1234 (java) total-vm:...     (older: "Kill process 1234 (java) score ...")
//	java[1234]: segfault at 0 ip 00007f... sp ... error 4 in libc.so.6[...]
//	device eth0 entered promiscuous mode / eth0: entered promiscuous mode
//	nvidia: module verification failed: signature and/or required key missing - tainting kernel
//	xyz: loading out-of-tree module taints kernel.
//
// Command is the process, device or module; Detail "pid=N" for processes.
func parseKernel(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "Out of memory: Kill"):
		rest := msg[len("Out of memory: Kill"):]
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "ed"), " process ")
		pid, after, ok := strings.Cut(rest, " (")
		if _, isNum := atoi(pid); !ok || !isNum {
			return
		}
		name, _, _ := strings.Cut(after, ")")
		r.Kind, r.Command, r.Detail = KindKernelOOM, name, "pid="+pid
	case strings.Contains(msg, "]: segfault at "):
		head := msg[:strings.Index(msg, "]: segfault at ")]
		lb := strings.LastIndexByte(head, '[')
		if lb <= 0 {
			return
		}
		if _, isNum := atoi(head[lb+1:]); !isNum {
			return
		}
		r.Kind, r.Command, r.Detail = KindKernelSegfault, head[:lb], "pid="+head[lb+1:]
	case strings.HasSuffix(msg, "entered promiscuous mode"):
		dev := strings.TrimSpace(strings.TrimSuffix(msg, "entered promiscuous mode"))
		dev = strings.TrimSuffix(strings.TrimPrefix(dev, "device "), ":")
		r.Kind, r.Command = KindKernelPromisc, dev
	case strings.Contains(msg, "module verification failed"), strings.Contains(msg, "loading out-of-tree module taints kernel"):
		mod, _, _ := strings.Cut(msg, ": ")
		r.Kind, r.Command, r.Detail = KindKernelTaint, mod, "unsigned"
		if strings.Contains(msg, "out-of-tree") {
			r.Detail = "out-of-tree"
		}
	}
}

// ---- shadow-utils ----

// groupMember parses "'bob' to group 'wheel'" or "'bob' from shadow group
// 'wheel'" (prep is " to " or " from ") into a record of kind k.
func groupMember(r *Record, s, prep string, k Kind) {
	u, rest := quoted(s)
	shadow := strings.HasPrefix(rest, prep+"shadow group ")
	if !shadow && !strings.HasPrefix(rest, prep+"group ") {
		return
	}
	g, _ := quoted(fromQuote(rest))
	r.Kind, r.User, r.Group = k, u, g
	if shadow {
		r.Detail = "shadow"
	}
}

func parseShadow(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "new user: "):
		r.Kind = KindUserAdd
		shadowKV(r, msg[len("new user: "):])
	case strings.HasPrefix(msg, "new group: "):
		r.Kind = KindGroupAdd
		shadowKV(r, msg[len("new group: "):])
		r.Group, r.User = r.User, ""
	case strings.HasPrefix(msg, "delete user '"):
		r.Kind = KindUserDel
		r.User, _ = quoted(msg[len("delete user "):])
	case strings.HasPrefix(msg, "removed group '"), strings.HasPrefix(msg, "group '") && strings.HasSuffix(msg, "' removed"):
		r.Kind = KindGroupDel
		q := fromQuote(msg)
		r.Group, q = quoted(q)
		if strings.HasPrefix(q, " owned by ") {
			r.User, _ = quoted(q[len(" owned by "):])
		}
	case strings.HasPrefix(msg, "add '"):
		// "add 'bob' to group 'wheel'" / "add 'bob' to shadow group 'wheel'"
		groupMember(r, msg[len("add "):], " to ", KindGroupMemberAdd)
	case strings.HasPrefix(msg, "delete '"):
		groupMember(r, msg[len("delete "):], " from ", KindGroupMemberDel)
	case strings.HasPrefix(msg, "user ") && (strings.Contains(msg, " added by ") || strings.Contains(msg, " removed by ")):
		// gpasswd: "user bob added by root to group wheel"
		f := strings.Fields(msg)
		if len(f) >= 7 && f[3] == "by" {
			r.User, r.Group, r.Detail = f[1], f[len(f)-1], "by="+f[4]
			if f[2] == "added" {
				r.Kind = KindGroupMemberAdd
			} else {
				r.Kind = KindGroupMemberDel
			}
		}
	case strings.HasPrefix(msg, "change user '"), strings.HasPrefix(msg, "change user name '"):
		// "change user 'bob' UID from '1001' to '0'", "change user name 'bob' to 'rob'"
		r.Kind = KindUserMod
		if strings.HasPrefix(msg, "change user name '") {
			old, rest := quoted(msg[len("change user name "):])
			nw, _ := quoted(strings.TrimPrefix(rest, " to "))
			r.User, r.Detail = old, "name "+old+"->"+nw
			return
		}
		u, rest := quoted(msg[len("change user "):])
		r.User = u
		rest = strings.TrimPrefix(rest, " ")
		if sp := strings.Index(rest, " from "); sp > 0 {
			field := strings.ToLower(rest[:sp])
			from, rest2 := quoted(rest[sp+len(" from "):])
			to, _ := quoted(strings.TrimPrefix(rest2, " to "))
			r.Detail = field + " " + from + "->" + to
		} else {
			r.Detail = rest
		}
	case strings.HasPrefix(msg, "lock user '"), strings.HasPrefix(msg, "unlock user '"):
		lock := msg[0] == 'l'
		q := fromQuote(msg)
		u, _ := quoted(q)
		r.User = u
		if lock {
			r.Kind, r.Detail = KindAccountLocked, "passwd_lock"
		} else {
			r.Kind, r.Detail = KindUserMod, "unlock"
		}
	case strings.HasPrefix(msg, "password for '"):
		// shadow passwd: "password for 'bob' changed by 'root'"
		u, rest := quoted(msg[len("password for "):])
		if !strings.HasPrefix(rest, " changed by ") {
			return
		}
		by, _ := quoted(rest[len(" changed by "):])
		r.Kind, r.User, r.Detail = KindPasswdChange, u, "by="+by
	case strings.HasPrefix(msg, "changed password expiry for "):
		r.Kind, r.User, r.Detail = KindUserMod, msg[len("changed password expiry for "):], "expiry"
	case strings.HasPrefix(msg, "group changed in ") || strings.HasPrefix(msg, "group changed "):
		r.Kind, r.Detail = KindUserMod, msg
	}
}

// shadowKV parses "name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0".
func shadowKV(r *Record, s string) {
	var b strings.Builder
	for _, f := range strings.Split(s, ", ") {
		eq := strings.IndexByte(f, '=')
		if eq < 0 {
			continue
		}
		k, v := strings.ToLower(f[:eq]), f[eq+1:]
		if k == "name" {
			r.User = v
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	r.Detail = b.String()
}

// fromQuote returns s from its first single quote on, or "" without one.
func fromQuote(s string) string {
	if i := strings.IndexByte(s, '\''); i >= 0 {
		return s[i:]
	}
	return ""
}

// quoted returns the content of a leading 'quoted' string and the rest after it.
func quoted(s string) (string, string) {
	if len(s) == 0 || s[0] != '\'' {
		return "", s
	}
	e := strings.IndexByte(s[1:], '\'')
	if e < 0 {
		return s[1:], ""
	}
	return s[1 : e+1], s[e+2:]
}

// ---- cron ----

func parseCron(r *Record, msg string) {
	// "(root) CMD (/usr/lib64/sa/sa1 1 1)", "(root) BEGIN EDIT (alice)", "(root) RELOAD (/var/spool/cron/root)"
	if len(msg) < 3 || msg[0] != '(' {
		return
	}
	cp := strings.IndexByte(msg, ')')
	if cp < 0 || cp+2 > len(msg) {
		return
	}
	user := msg[1:cp]
	rest := msg[cp+2:]
	verb, arg := rest, ""
	if i := strings.Index(rest, " ("); i >= 0 {
		verb, arg = rest[:i], strings.TrimSuffix(rest[i+2:], ")")
	}
	switch verb {
	case "CMD":
		r.Kind, r.User, r.Command = KindCronCmd, user, arg
	case "BEGIN EDIT", "END EDIT", "REPLACE", "DELETE", "LIST", "RELOAD":
		r.Kind, r.User, r.Detail = KindCronEdit, user, verb
		if verb == "RELOAD" {
			r.Command = arg
		} else {
			r.TargetUser = arg
		}
	}
}

// ---- systemd, logind, login ----

func parseLogind(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "New session "):
		rest := msg[len("New session "):]
		i := strings.Index(rest, " of user ")
		if i < 0 {
			return
		}
		r.Kind = KindLogindNewSession
		r.Detail = "session=" + rest[:i]
		r.User = strings.TrimSuffix(rest[i+len(" of user "):], ".")
	case strings.HasPrefix(msg, "Removed session "):
		r.Kind = KindLogindRemovedSession
		r.Detail = "session=" + strings.TrimSuffix(msg[len("Removed session "):], ".")
	case strings.HasPrefix(msg, "System is powering down"), strings.HasPrefix(msg, "System is rebooting"),
		strings.HasPrefix(msg, "System is halting"):
		r.Kind, r.Detail = KindShutdown, strings.TrimSuffix(msg, ".")
	}
}

func parseSystemd(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "Started "):
		r.Kind, r.Detail = KindServiceStart, strings.TrimSuffix(msg[len("Started "):], ".")
	case strings.HasPrefix(msg, "Stopped "):
		r.Kind, r.Detail = KindServiceStop, strings.TrimSuffix(msg[len("Stopped "):], ".")
	case strings.HasPrefix(msg, "Failed to start "):
		r.Kind, r.Detail = KindServiceFail, strings.TrimSuffix(msg[len("Failed to start "):], ".")
	case strings.Contains(msg, ": Failed with result "):
		i := strings.Index(msg, ": Failed with result ")
		r.Kind, r.Detail = KindServiceFail, msg[:i]
	case strings.HasPrefix(msg, "Time has been changed"):
		r.Kind, r.Detail = KindClockChange, "time_changed"
	}
}

func parseLogin(r *Record, msg string) {
	switch {
	case strings.HasPrefix(msg, "FAILED LOGIN "):
		// "FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure"
		r.Kind = KindLoginFailed
		if i := strings.Index(msg, " on '"); i >= 0 {
			r.TTY, _ = quoted(msg[i+len(" on "):])
		}
		if i := strings.Index(msg, " FOR '"); i >= 0 {
			var rest string
			r.User, rest = quoted(msg[i+len(" FOR "):])
			r.Detail = strings.TrimPrefix(rest, ", ")
		}
		if i := strings.Index(msg, " FROM '"); i >= 0 {
			h, _ := quoted(msg[i+len(" FROM "):])
			if looksLikeIP(h) {
				r.SrcIP = h
			}
		}
	case strings.HasPrefix(msg, "ROOT LOGIN "):
		// "ROOT LOGIN ON tty1" / "ROOT LOGIN  on '/dev/tty1'"
		r.Kind, r.User = KindRootLoginConsole, "root"
		rest := strings.TrimLeft(msg[len("ROOT LOGIN "):], " ")
		if strings.HasPrefix(rest, "ON ") || strings.HasPrefix(rest, "on ") {
			t := rest[3:]
			if sp := strings.IndexByte(t, ' '); sp >= 0 {
				t = t[:sp]
			}
			r.TTY = strings.Trim(t, "'")
		}
	}
}

func parseLogDaemon(r *Record, program, msg string) {
	switch {
	case strings.HasPrefix(msg, "[origin software=\"rsyslogd\"") && strings.HasSuffix(msg, "] start"):
		r.Kind, r.Detail = KindServiceStart, "rsyslogd"
	case strings.HasPrefix(msg, "[origin software=\"rsyslogd\"") && strings.Contains(msg, "] exiting on signal "):
		r.Kind, r.Detail = KindServiceStop, "rsyslogd"
	case program != "rsyslogd" && strings.HasPrefix(msg, "Journal started"):
		r.Kind, r.Detail = KindServiceStart, "systemd-journald"
	case program != "rsyslogd" && strings.HasPrefix(msg, "Journal stopped"):
		r.Kind, r.Detail = KindServiceStop, "systemd-journald"
	case strings.Contains(msg, "rate-limiting"), strings.HasPrefix(msg, "Suppressed "),
		strings.Contains(msg, "messages lost due to rate-limiting"), strings.Contains(msg, "Missed ") && strings.Contains(msg, "kernel messages"):
		r.Kind, r.Detail = KindLogDropped, msg
	}
}
