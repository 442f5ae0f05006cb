// Package parse turns the raw inputs of a U-43 log review (syslog-style text
// lines, journald JSON exports, audit.log, sulog, xferlog, and the binary
// utmp/wtmp/btmp/lastlog records decoded by internal/binlog) into one flat
// record model that the checks (internal/review/check) consume.
//
// The parsers never panic and never allocate a regexp on the hot path: a line
// is dispatched on its program name and a literal message prefix first.
// A line that is syntactically a log line but whose message is not one the
// review cares about still yields a Record of kind KindOther (so coverage and
// gap checks can count it); only lines that are not log lines at all are
// counted as Unrecognised.
package parse

import "time"

// Kind names what a Record means. Values are stable strings used in reports
// and golden files; checks should compare against the constants.
type Kind string

// SSH (OpenSSH sshd, sshd-session, sshd-auth).
const (
	// KindSSHAccepted: "Accepted METHOD for USER from IP port N ssh2".
	// Method, User, SrcIP, Port are set.
	KindSSHAccepted Kind = "ssh.accepted"
	// KindSSHFailed: "Failed METHOD for [invalid user ]USER from IP port N ssh2".
	// Method, User, SrcIP, Port; Detail is "invalid_user" when the account
	// does not exist.
	KindSSHFailed Kind = "ssh.failed"
	// KindSSHInvalidUser: "Invalid user USER from IP [port N]" (also
	// "Illegal user"). Counts once per connection; the Failed line that
	// usually follows is a separate KindSSHFailed record.
	KindSSHInvalidUser Kind = "ssh.invalid_user"
	// KindSSHMaxAuth: "error: maximum authentication attempts exceeded for
	// [invalid user ]USER from IP port N ssh2 [preauth]" and "Disconnecting
	// ...: Too many authentication failures". Detail "invalid_user" as above.
	KindSSHMaxAuth Kind = "ssh.max_auth_attempts"
	// KindSSHRootRefused: "ROOT LOGIN REFUSED FROM IP" (User "root").
	KindSSHRootRefused Kind = "ssh.root_refused"
	// KindSSHDisconnectPreauth: "Connection closed by [authenticating|invalid
	// user USER] IP port N [preauth]", "Disconnected from ... [preauth]",
	// "Received disconnect from IP port N:11: ... [preauth]".
	// User set when the line names one; Detail "invalid_user" when it says so.
	KindSSHDisconnectPreauth Kind = "ssh.disconnect_preauth"
	// KindSSHNotAllowed: "User USER from IP not allowed because ..." (AllowUsers,
	// DenyUsers, AllowGroups, shell, ...). Detail holds the reason.
	KindSSHNotAllowed Kind = "ssh.not_allowed"
	// KindSSHDisconnect: a post-auth "Disconnected from user USER IP port N" or
	// "Received disconnect" without [preauth].
	KindSSHDisconnect Kind = "ssh.disconnect"
	// KindSSHStart: "Server listening on ADDR port N." (Port set).
	KindSSHStart Kind = "ssh.start"
	// KindSSHStop: "Received signal 15; terminating."
	KindSSHStop Kind = "ssh.stop"
)

// PAM modules (pam_unix, pam_faillock, pam_tally2, pam_sss behave alike).
// Method holds the PAM service ("sshd", "su", "su-l", "sudo", "login",
// "passwd", "crond", "systemd-user", ...) for every pam.* kind.
const (
	// KindPAMAuthFailure: "pam_unix(SVC:auth): authentication failure;
	// logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=USER". User is the
	// target (user=), TargetUser too (for su it's the account switched to),
	// SrcIP from rhost= when it is an address (Detail "rhost=NAME" otherwise),
	// TTY from tty=, Group unused. The invoking account (logname= or ruser=)
	// goes to Detail as "by=NAME" when non-empty.
	// sshd's "PAM N more authentication failures; ... rhost=IP  user=U" is
	// also KindPAMAuthFailure, with Detail "more=N" (it stands for N
	// failures) and Method empty.
	KindPAMAuthFailure Kind = "pam.auth_failure"
	// KindPAMUserUnknown: "pam_unix(SVC:auth): check pass; user unknown".
	KindPAMUserUnknown Kind = "pam.user_unknown"
	// KindPAMSessionOpen: "pam_unix(SVC:session): session opened for user
	// USER[(uid=N)] by [BY](uid=M)". User = USER, Detail = "by=BY" when BY
	// is given (su: the invoking user), "uid=N" kept in Detail too.
	KindPAMSessionOpen Kind = "pam.session_open"
	// KindPAMSessionClose: "pam_unix(SVC:session): session closed for user USER".
	KindPAMSessionClose Kind = "pam.session_close"
	// KindPAMPasswordChanged: "pam_unix(passwd:chauthtok): password changed for USER".
	KindPAMPasswordChanged Kind = "pam.password_changed"
)

// Lockouts.
const (
	// KindAccountLocked: "pam_faillock(SVC:auth): Consecutive login failures
	// for user USER account temporarily locked", pam_tally2 "user USER (N)
	// tally N, deny M", and shadow "lock user 'USER' password" (Detail
	// "passwd_lock" for the latter). Method holds the PAM service if any.
	KindAccountLocked Kind = "account.locked"
)

// sudo and su.
const (
	// KindSudoCommand: "USER : TTY=T ; PWD=P ; USER=TARGET ; [GROUP=G ;]
	// COMMAND=CMD". User, TTY, TargetUser, Group, Command; Detail "pwd=P".
	KindSudoCommand Kind = "sudo.command"
	// KindSudoAuthFailure: "USER : N incorrect password attempts ; TTY=..."
	// (also "1 incorrect password attempt"). Detail "attempts=N".
	KindSudoAuthFailure Kind = "sudo.auth_failure"
	// KindSudoNotAllowed: "USER : user NOT in sudoers ; ..." (Detail
	// "not_in_sudoers"), "command not allowed" (Detail "command_not_allowed"),
	// "user NOT authorized on host" (Detail "not_authorized_on_host").
	KindSudoNotAllowed Kind = "sudo.not_allowed"
	// KindSuSuccess: util-linux "(to TARGET) USER on TTY", shadow
	// "Successful su for TARGET by USER", shadow "+ TTY USER:TARGET", sulog
	// "SU MM/DD HH:MM + TTY USER-TARGET". User = invoking, TargetUser = target.
	KindSuSuccess Kind = "su.success"
	// KindSuFailure: "FAILED SU (to TARGET) USER on TTY", "FAILED su for
	// TARGET by USER", "- TTY USER:TARGET", sulog "-" lines.
	KindSuFailure Kind = "su.failure"
)

// Account and group administration (shadow-utils, passwd, chpasswd, gpasswd).
// User is the account acted on; Group the group; Detail keeps the rest
// verbatim in "key=value" form (e.g. "uid=1001 gid=1001 home=/home/bob
// shell=/bin/bash from=/dev/pts/0").
const (
	KindUserAdd  Kind = "account.useradd"  // "new user: name=bob, UID=1001, ..."
	KindUserDel  Kind = "account.userdel"  // "delete user 'bob'"
	KindUserMod  Kind = "account.usermod"  // "change user 'bob' UID from '1001' to '0'" (Detail "uid 1001->0")
	KindGroupAdd Kind = "account.groupadd" // "new group: name=bob, GID=1001"
	KindGroupDel Kind = "account.groupdel" // "removed group 'bob' owned by 'bob'", "group 'x' removed"
	// KindGroupMemberAdd: "add 'bob' to group 'wheel'", "add 'bob' to shadow
	// group 'wheel'" (Detail "shadow"), gpasswd "user bob added by root to
	// group wheel" (Detail "by=root").
	KindGroupMemberAdd Kind = "account.group_member_add"
	// KindGroupMemberDel: "delete 'bob' from group 'wheel'", gpasswd
	// "user bob removed by root from group wheel".
	KindGroupMemberDel Kind = "account.group_member_del"
	// KindPasswdChange: shadow "password for 'bob' changed by 'root'"
	// (Detail "by=root"), chpasswd "pam_unix(chpasswd:chauthtok): password
	// changed for bob" is KindPAMPasswordChanged.
	KindPasswdChange Kind = "account.passwd_change"
)

// Console login(1).
const (
	// KindLoginFailed: "FAILED LOGIN (N) on '/dev/tty1' FOR 'root', Authentication failure".
	KindLoginFailed Kind = "login.failed"
	// KindRootLoginConsole: "ROOT LOGIN ON tty1" / "ROOT LOGIN  on '/dev/tty1'".
	KindRootLoginConsole Kind = "login.root_console"
)

// cron.
const (
	// KindCronCmd: "CROND[890]: (root) CMD (/usr/lib64/sa/sa1 1 1)" and Debian
	// "CRON[..]: (root) CMD (...)". User, Command.
	KindCronCmd Kind = "cron.cmd"
	// KindCronEdit: crontab "(root) BEGIN EDIT (alice)", "REPLACE", "DELETE",
	// "END EDIT", "LIST", and crond "RELOAD". User = the crontab's owner,
	// TargetUser = the account in the parentheses after the verb, Detail =
	// the verb (e.g. "REPLACE").
	KindCronEdit Kind = "cron.edit"
)

// systemd and the system.
const (
	// KindLogindNewSession: "New session 42 of user alice." Detail "session=42".
	KindLogindNewSession Kind = "logind.new_session"
	// KindLogindRemovedSession: "Removed session 42." Detail "session=42".
	KindLogindRemovedSession Kind = "logind.removed_session"
	// KindServiceStart/Stop/Fail: systemd "Started UNIT - Description.",
	// "Stopped ...", "UNIT: Failed with result 'x'." / "Failed to start ...".
	// Detail holds the unit or description as logged.
	KindServiceStart Kind = "service.start"
	KindServiceStop  Kind = "service.stop"
	KindServiceFail  Kind = "service.fail"
	// KindBoot: kernel "Linux version ..." / "Command line:" at boot,
	// journald "-- Boot ID --", systemd "Startup finished", and wtmp BOOT_TIME.
	KindBoot Kind = "system.boot"
	// KindShutdown: systemd "Reached target ... Shutdown", "System is
	// powering down", "Shutting down.", wtmp RUN_LVL shutdown.
	KindShutdown Kind = "system.shutdown"
	// KindClockChange: systemd "Time has been changed", wtmp NEW_TIME/OLD_TIME
	// (Detail "old"/"new"), chronyd "System clock wrong by ...".
	KindClockChange Kind = "system.clock_change"
	// KindLogDropped: rsyslog "imjournal: ... rate-limiting", journald
	// "Suppressed N messages", rsyslog "action ... suspended".
	KindLogDropped Kind = "system.log_dropped"
	// Kernel anomalies (R20). Command = the process (OOM kill, segfault),
	// network device (promiscuous) or module (taint); Detail "pid=N" for
	// processes, "unsigned" or "out-of-tree" for modules.
	KindKernelOOM      Kind = "kernel.oom_kill"
	KindKernelSegfault Kind = "kernel.segfault"
	KindKernelPromisc  Kind = "kernel.promiscuous"
	KindKernelTaint    Kind = "kernel.module_taint"
)

// Binary login records (internal/binlog), one Record per utmp/lastlog entry.
// Source = file path, Line = record index (1-based), Raw = the JSON line that
// binlog.ToJSONLines writes for that record.
const (
	// KindWtmpLogin: USER_PROCESS. User, TTY, SrcIP (ut_addr_v6, else the
	// host when it parses as an IP), Detail "host=NAME" when the host is a
	// name, PID.
	KindWtmpLogin Kind = "login.wtmp"
	// KindWtmpLogout: DEAD_PROCESS. TTY, PID (User usually empty).
	KindWtmpLogout Kind = "logout.wtmp"
	// KindWtmpBoot: BOOT_TIME "reboot" (Detail = kernel version from ut_host).
	KindWtmpBoot Kind = "reboot.wtmp"
	// KindWtmpShutdown: RUN_LVL with user "shutdown".
	KindWtmpShutdown Kind = "shutdown.wtmp"
	// KindWtmpRunLevel: other RUN_LVL records (Detail "runlevel=N").
	KindWtmpRunLevel Kind = "runlevel.wtmp"
	// KindWtmpClock: NEW_TIME / OLD_TIME (Detail "new_time"/"old_time").
	KindWtmpClock Kind = "clock.wtmp"
	// KindWtmpOther: INIT_PROCESS, LOGIN_PROCESS, ACCOUNTING in wtmp.
	KindWtmpOther Kind = "other.wtmp"
	// KindBtmpFailed: any btmp record (failed login): User as typed, TTY,
	// SrcIP/host.
	KindBtmpFailed Kind = "login.btmp_failed"
	// KindLastlog: one lastlog entry with ll_time != 0. User is the uid as a
	// decimal string prefixed "uid:" unless the caller maps it to a name
	// (Detail "uid=N" always), TTY, SrcIP/host, Time = last login.
	KindLastlog Kind = "lastlog"
)

// audit.log (linux audit), FTP, and the rest.
const (
	// KindAudit: one audit.log record. Method = the record type
	// ("USER_LOGIN", "USER_AUTH", "ADD_USER", "USER_CMD", ...), User from
	// acct=/id= (or auid), SrcIP from addr=, TTY from terminal=, Command
	// from exe= (USER_CMD: cmd=, hex-decoded), Detail "res=success|failed"
	// plus "op=..." when present. Host from node= when present.
	KindAudit Kind = "audit"
	// KindFTPTransfer: one xferlog line. User, SrcIP, Command = filename,
	// Method = "download"/"upload"/"delete", Detail "mode=a|g|r bytes=N
	// status=c|i".
	KindFTPTransfer Kind = "ftp.transfer"
	// KindOther: a well-formed log line whose message no parser claims.
	// It still counts for coverage (first/last time, per-day counts).
	KindOther Kind = "other"
)

// DetailInvalidUser marks sshd records about a user that does not exist.
const DetailInvalidUser = "invalid_user"

// Record is one parsed log event. Zero values mean "not present in the line".
type Record struct {
	// Time is the event time. RFC 3164 times are resolved in the input's
	// zone with the year inferred (see Options); RFC 3339 times keep their
	// own offset; binary records are in UTC.
	Time time.Time `json:"time"`
	// Host is the syslog host field, journald _HOSTNAME or audit node=.
	Host string `json:"host,omitempty"`
	// Program is the syslog ident without the pid ("sshd", "sshd-session",
	// "sudo", "CROND"...), "wtmp"/"btmp"/"lastlog" for binary inputs,
	// "audit" for audit.log, "sulog", "xferlog".
	Program string `json:"program,omitempty"`
	// PID is the syslog [pid], journald _PID, or ut_pid.
	PID int `json:"pid,omitempty"`

	Kind Kind `json:"kind"`
	// User is the acting/authenticating account (see each Kind).
	User string `json:"user,omitempty"`
	// TargetUser is the account switched to (su, sudo) or acted on when it
	// differs from User.
	TargetUser string `json:"target_user,omitempty"`
	// SrcIP is the remote address, textual (IPv4 dotted or IPv6), as logged.
	SrcIP string `json:"src_ip,omitempty"`
	// Port is the remote port (sshd) or listening port (ssh.start).
	Port int `json:"port,omitempty"`
	// Method is the ssh auth method ("password", "publickey",
	// "keyboard-interactive/pam"), the PAM service, or the audit type.
	Method string `json:"method,omitempty"`
	// TTY as logged ("pts/0", "ssh:notty", "/dev/tty1").
	TTY string `json:"tty,omitempty"`
	// Command is the sudo/cron command or the FTP file name.
	Command string `json:"command,omitempty"`
	// Group is the group name for account.* kinds and sudo GROUP=.
	Group string `json:"group,omitempty"`
	// Detail carries the remaining facts as space-separated key=value pairs
	// or a single flag word; see each Kind.
	Detail string `json:"detail,omitempty"`

	// Repeat, when above 1, is the number of identical events this record
	// stands for: rsyslog's "message repeated N times: [ msg ]" (N), its
	// older "last message repeated N times" (N more of the previous line,
	// whose fields are copied), sshd's "PAM N more authentication failures"
	// (N). Zero means one event. Counting checks should add max(1, Repeat).
	Repeat int `json:"repeat,omitempty"`

	// Source names the input: a file path, "group/stream" for CloudWatch.
	Source string `json:"source"`
	// Line is the 1-based line number (text) or record index (binary) in Source.
	Line int64 `json:"line"`
	// Offset is the byte offset of the line/record start in the (decompressed)
	// Source, or -1 when unknown (CloudWatch events).
	Offset int64 `json:"offset"`
	// Raw is the original line (text) or the record's JSON line (binary),
	// without the trailing newline.
	Raw string `json:"raw"`
}

// ParseError describes one input line that could not be parsed.
type ParseError struct {
	Source string `json:"source"`
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

func (e ParseError) Error() string {
	return e.Source + ":" + itoa64(e.Line) + ": " + e.Reason
}

// MaxErrors caps Stats.Errors so a binary file fed as text cannot grow
// memory without bound; ErrorsDropped counts the rest.
const MaxErrors = 100

// Stats summarises one parse of one input.
type Stats struct {
	// Lines is the number of lines (text) or records (binary) read.
	Lines int64 `json:"lines"`
	// Records is the number of Records produced (including KindOther),
	// before any period filtering by the caller.
	Records int64 `json:"records"`
	// Unrecognised counts lines that are not log lines at all (no
	// timestamp/prefix); they yield no Record.
	Unrecognised int64 `json:"unrecognised"`
	// First and Last are the earliest and latest record times seen.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Errors holds up to MaxErrors parse errors; ErrorsDropped the rest.
	Errors        []ParseError `json:"errors,omitempty"`
	ErrorsDropped int64        `json:"errors_dropped,omitempty"`
	// NonMonotonic counts records whose time went backwards by more than
	// NonMonotonicSlack compared with the previous record of the same input
	// (a tampering tell, §5.3).
	NonMonotonic int64 `json:"non_monotonic,omitempty"`
}

// NonMonotonicSlack tolerates the small reorderings syslog daemons produce.
const NonMonotonicSlack = 2 * time.Second

// AddError records a parse error, respecting MaxErrors.
func (s *Stats) AddError(e ParseError) {
	if len(s.Errors) < MaxErrors {
		s.Errors = append(s.Errors, e)
		return
	}
	s.ErrorsDropped++
}

// Observe updates First/Last/Records/NonMonotonic for a produced record;
// prev is the previous record's time in the same input (zero if none).
func (s *Stats) Observe(t, prev time.Time) {
	s.Records++
	if t.IsZero() {
		return
	}
	if s.First.IsZero() || t.Before(s.First) {
		s.First = t
	}
	if t.After(s.Last) {
		s.Last = t
	}
	if !prev.IsZero() && prev.Sub(t) > NonMonotonicSlack {
		s.NonMonotonic++
	}
}

func itoa64(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	var b [20]byte
	i := len(b)
	for n != 0 {
		d := n % 10
		if d < 0 {
			d = -d
		}
		i--
		b[i] = byte('0' + d)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
