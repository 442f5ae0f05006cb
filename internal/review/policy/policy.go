// Package policy holds the review criteria of the U-43 log review: thresholds,
// business hours, holidays, approved accounts and networks. The policy file is
// the written "로그 검토기준" (ISMS-P 2.9.5): the report prints it verbatim.
package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Seoul must resolve the same on hosts without a zoneinfo database
)

// Version is the policy schema version this package reads and writes.
const Version = 1

// maxPolicyBytes bounds a policy file: a criteria document is a few KiB.
const maxPolicyBytes = 1 << 20

// Policy is the full set of review criteria. JSON names are the file format;
// the ko/en tags are the bilingual descriptions `policy print` writes as comments.
type Policy struct {
	Version      int    `json:"version" ko:"정책 형식 버전 (현재 1)" en:"policy schema version (currently 1)"`
	Name         string `json:"name" ko:"정책 이름 (보고서에 인쇄)" en:"policy name (printed in the report)"`
	PolicyRef    string `json:"policy_ref" ko:"근거 내부 지침 조항 (예: 로그관리 지침 제7조)" en:"internal guideline clause this policy implements"`
	Timezone     string `json:"timezone" ko:"판정 기준 시간대 (IANA 이름)" en:"time zone used for business hours and days (IANA name)"`
	Organisation string `json:"organisation" ko:"기관/회사 이름" en:"organisation name"`

	BusinessHours BusinessHours `json:"business_hours" ko:"업무시간 (이 외의 로그인은 R09 업무시간 외 접속)" en:"business hours (logins outside them are R09 off-hours logins)"`
	Holidays      []Holiday     `json:"holidays" ko:"공휴일 목록 (업무일에서 제외). 2026년 대한민국 공휴일 기본 포함" en:"public holidays (not business days); 2026 Korean public holidays built in"`

	AllowedSuGroup        string   `json:"allowed_su_group" ko:"su 사용이 허용된 그룹 (U-45)" en:"group allowed to use su (U-45)"`
	AllowedSuUsers        []string `json:"allowed_su_users" ko:"su 허용 그룹의 구성원 (OS 로그로는 그룹 구성을 알 수 없으므로 명시)" en:"members of the allowed su group (OS logs do not show group membership, so list them)"`
	ApprovedAdminCIDRs    []string `json:"approved_admin_cidrs" ko:"승인된 관리 접속지 (배스천, 접근통제 솔루션, VPN) CIDR. 비어 있으면 R12 미적용" en:"approved admin networks (bastion, access-control gateway, VPN) as CIDRs; empty disables R12"`
	ApprovedAdminAccounts []string `json:"approved_admin_accounts" ko:"승인된 관리자 계정 (sudo 사용 허용)" en:"approved administrator accounts (allowed to use sudo)"`
	PrivilegedAccounts    []string `json:"privileged_accounts" ko:"특수(관리자) 계정: 실패·잠금 시 위험으로 상향" en:"privileged accounts: failures and lockouts on them are raised to finding"`
	PrivilegedGroups      []string `json:"privileged_groups" ko:"관리자 그룹: 구성원 추가 시 위험 (U-50)" en:"privileged groups: adding a member is a finding (U-50)"`
	ChangeTicketPattern   string   `json:"change_ticket_pattern" ko:"변경 요청 번호 형식 (명령·주석에 있으면 승인된 변경으로 간주, 예: CHG-[0-9]+)" en:"change ticket id pattern; a matching id in the command marks the change as approved"`
	SecurityServices      []string `json:"security_services" ko:"로깅·보안 데몬: 중지 시 위험 (R11)" en:"logging and security daemons: a stop is a finding (R11)"`
	ExpectedSources       []string `json:"expected_sources" ko:"수집되어야 하는 로그 종류 (U-72 목록): auth, syslog, cron, wtmp, btmp, lastlog, audit 등" en:"log kinds that must be collected (U-72 inventory): auth, syslog, cron, wtmp, btmp, lastlog, audit, ..."`
	RetentionDays         int      `json:"retention_days" ko:"요구 보존 기간(일): 365, 400, 731 등 (제8조 1년/2년)" en:"required retention in days: 365, 400, 731, ... (1 or 2 years)"`
	ApprovedFTPUploaders  []string `json:"approved_ftp_uploaders" ko:"R19: FTP 업로드가 허용된 계정 (그 외 계정의 업로드는 주의)" en:"R19: accounts allowed to upload over FTP (uploads by others are a notice)"`
	IntegrityFiles        []string `json:"integrity_files" ko:"R21: 무결성(해시·소유자·권한) 점검 대상 설정 파일, 점검 루트 기준 경로 (끝이 /이면 그 디렉터리의 파일 전체)" en:"R21: configuration files whose hash, owner and mode are checked, relative to the reviewed root (a trailing / means every file in that directory)"`
	SuspiciousCommands    []string `json:"suspicious_commands" ko:"고위험 명령 부분 문자열 (sudo/cron): 로그 삭제, 셸 상승, 다운로드 실행" en:"high-risk command substrings (sudo/cron): log wiping, shell escalation, download-and-run"`

	Thresholds Thresholds `json:"thresholds" ko:"검토 임계값" en:"review thresholds"`
}

// BusinessHours are the working hours on business days, in Policy.Timezone.
type BusinessHours struct {
	Start    string   `json:"start" ko:"시작 시각 (HH:MM)" en:"start time (HH:MM)"`
	End      string   `json:"end" ko:"종료 시각 (HH:MM, 미포함)" en:"end time (HH:MM, exclusive)"`
	Weekdays []string `json:"weekdays" ko:"업무 요일 (Mon..Sun)" en:"business weekdays (Mon..Sun)"`
}

// Holiday is one non-business day.
type Holiday struct {
	Date string `json:"date" ko:"날짜 (YYYY-MM-DD)" en:"date (YYYY-MM-DD)"`
	Name string `json:"name" ko:"이름" en:"name"`
}

// Thresholds are the numeric criteria of the checks.
type Thresholds struct {
	BruteForceNotice      int `json:"brute_force_notice" ko:"R01 주의: 한 IP에서 창 안의 실패 횟수" en:"R01 notice: failures from one IP within the window"`
	BruteForceFinding     int `json:"brute_force_finding" ko:"R01 위험: 한 IP에서 창 안의 실패 횟수" en:"R01 finding: failures from one IP within the window"`
	BruteForceWindowMin   int `json:"brute_force_window_minutes" ko:"R01 창 길이(분)" en:"R01 window (minutes)"`
	BruteForceDaily       int `json:"brute_force_daily_finding" ko:"R01 위험: 한 IP에서 24시간 실패 횟수" en:"R01 finding: failures from one IP in 24 h"`
	SprayDistinctUsers    int `json:"spray_distinct_users" ko:"R02 위험: 한 IP가 창 안에 시도한 서로 다른 계정 수" en:"R02 finding: distinct user names tried by one IP within the window"`
	SprayWindowMin        int `json:"spray_window_minutes" ko:"R02 창 길이(분)" en:"R02 window (minutes)"`
	AccountFailures       int `json:"account_failures" ko:"R03 주의: 한 계정의 24시간 실패 횟수 (U-03 10회)" en:"R03 notice: failures of one account in 24 h (U-03: 10)"`
	AccountWindowMin      int `json:"account_window_minutes" ko:"R03 창 길이(분)" en:"R03 window (minutes)"`
	SuccessAfterFailures  int `json:"success_after_failures" ko:"R04 위험: 성공 직전 창 안의 실패 횟수 (IP 또는 계정)" en:"R04 finding: failures (same IP or user) within the window before a success"`
	SuccessAfterWindowMin int `json:"success_after_window_minutes" ko:"R04 창 길이(분)" en:"R04 window (minutes)"`
	GapAuthHours          int `json:"gap_auth_hours" ko:"R10 주의: 인증 로그(auth/secure) 무기록 허용 시간" en:"R10 notice: longest silence allowed in the auth log (hours)"`
	GapSyslogHours        int `json:"gap_syslog_hours" ko:"R10 주의: 시스템 로그(messages/syslog/journal) 무기록 허용 시간" en:"R10 notice: longest silence allowed in the system log (hours)"`
	MinCoveragePercent    int `json:"min_coverage_percent" ko:"R10 주의: 점검 기간 대비 최소 수집 비율(%)" en:"R10 notice: minimum share of the period covered by data (%)"`
	DormantDays           int `json:"dormant_days" ko:"R14 장기 미사용 기준(일)" en:"R14 dormant account threshold (days)"`
	SessionMaxHours       int `json:"session_max_hours" ko:"R17 주의: 세션 최대 길이(시간)" en:"R17 notice: longest session allowed (hours)"`
	ClockStepSeconds      int `json:"clock_step_seconds" ko:"R16 주의: 시각 변경 허용 폭(초)" en:"R16 notice: clock step allowed (seconds)"`
	SegfaultBurst         int `json:"segfault_burst" ko:"R20 주의: 한 프로그램의 1시간 내 segfault 횟수 (미만은 정보로 목록화)" en:"R20 notice: segfaults of one program within an hour (fewer are listed as info)"`
	AuditAuthFailures     int `json:"audit_auth_failures" ko:"R18 주의: 한 계정·접속지의 감사 로그 인증 실패(USER_LOGIN/USER_AUTH/USER_ACCT res=failed) 횟수 (미만은 정보로 목록화)" en:"R18 notice: failed authentications in the audit log (USER_LOGIN/USER_AUTH/USER_ACCT res=failed) for one account and address (fewer are listed as info)"`
}

// Default returns the built-in policy: the reference's defaults, KST business
// hours Mon–Fri 08:00–20:00 and the 2026 Korean public holidays.
func Default() *Policy {
	return &Policy{
		Version:      Version,
		Name:         "logwarden 기본 로그 검토기준 / default log review criteria",
		PolicyRef:    "",
		Timezone:     "Asia/Seoul",
		Organisation: "",
		BusinessHours: BusinessHours{
			Start:    "08:00",
			End:      "20:00",
			Weekdays: []string{"Mon", "Tue", "Wed", "Thu", "Fri"},
		},
		Holidays:              Korea2026(),
		AllowedSuGroup:        "wheel",
		AllowedSuUsers:        []string{},
		ApprovedAdminCIDRs:    []string{},
		ApprovedAdminAccounts: []string{},
		PrivilegedAccounts:    []string{"root"},
		PrivilegedGroups:      []string{"wheel", "sudo", "adm", "root"},
		ChangeTicketPattern:   "",
		SecurityServices: []string{"sshd", "ssh", "rsyslog", "syslog", "systemd-journald", "auditd", "crond", "cron",
			"amazon-cloudwatch-agent", "logwarden"},
		ExpectedSources:      []string{"auth"},
		RetentionDays:        365,
		ApprovedFTPUploaders: []string{},
		IntegrityFiles: []string{"etc/rsyslog.conf", "etc/rsyslog.d/", "etc/syslog.conf", "etc/systemd/journald.conf",
			"etc/audit/auditd.conf", "etc/audit/audit.rules", "etc/logrotate.conf", "etc/ssh/sshd_config",
			"etc/sudoers", "etc/sudoers.d/", "etc/pam.d/", "etc/login.defs", "etc/security/faillock.conf"},
		SuspiciousCommands: []string{"/var/log", "history -c", "shred", "truncate", "/bin/bash", "/bin/sh", "/bin/su", "sudo -i", "sudo -s", "curl ", "wget ", "base64 -d", "nc ", "/tmp/", "/dev/shm"},
		Thresholds: Thresholds{
			BruteForceNotice:      5,
			BruteForceFinding:     20,
			BruteForceWindowMin:   10,
			BruteForceDaily:       100,
			SprayDistinctUsers:    10,
			SprayWindowMin:        60,
			AccountFailures:       10,
			AccountWindowMin:      24 * 60,
			SuccessAfterFailures:  5,
			SuccessAfterWindowMin: 60,
			GapAuthHours:          24,
			GapSyslogHours:        6,
			MinCoveragePercent:    95,
			DormantDays:           90,
			SessionMaxHours:       12,
			ClockStepSeconds:      1,
			AuditAuthFailures:     5,
			SegfaultBurst:         5,
		},
	}
}

// Korea2026 is the list of 2026 public holidays of the Republic of Korea
// (관공서의 공휴일에 관한 규정, incl. substitute holidays and the 2026-06-03
// local election day). Override it with the policy's holidays field.
func Korea2026() []Holiday {
	return []Holiday{
		{"2026-01-01", "신정 / New Year's Day"},
		{"2026-02-16", "설날 연휴 / Seollal"},
		{"2026-02-17", "설날 / Seollal"},
		{"2026-02-18", "설날 연휴 / Seollal"},
		{"2026-03-01", "삼일절 / Independence Movement Day"},
		{"2026-03-02", "대체공휴일(삼일절) / substitute holiday"},
		{"2026-05-05", "어린이날 / Children's Day"},
		{"2026-05-24", "부처님오신날 / Buddha's Birthday"},
		{"2026-05-25", "대체공휴일(부처님오신날) / substitute holiday"},
		{"2026-06-03", "전국동시지방선거 / local elections"},
		{"2026-06-06", "현충일 / Memorial Day"},
		{"2026-08-15", "광복절 / Liberation Day"},
		{"2026-08-17", "대체공휴일(광복절) / substitute holiday"},
		{"2026-09-24", "추석 연휴 / Chuseok"},
		{"2026-09-25", "추석 / Chuseok"},
		{"2026-09-26", "추석 연휴 / Chuseok"},
		{"2026-10-03", "개천절 / National Foundation Day"},
		{"2026-10-05", "대체공휴일(개천절) / substitute holiday"},
		{"2026-10-09", "한글날 / Hangul Day"},
		{"2026-12-25", "성탄절 / Christmas Day"},
	}
}

// Load reads a policy file. The file is JSON; // line comments (as written by
// `policy print`) are allowed. Fields left out keep their default values.
// Every error names the field.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Parse decodes and validates a policy document on top of the defaults.
func Parse(b []byte) (*Policy, error) {
	if len(b) > maxPolicyBytes {
		return nil, fmt.Errorf("policy is %d bytes, more than the %d allowed", len(b), maxPolicyBytes)
	}
	clean := StripComments(b)
	p := Default()
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, describeDecodeError(clean, err)
	}
	if dec.More() {
		return nil, errors.New("policy: unexpected data after the JSON object")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func describeDecodeError(src []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(src, se.Offset)
		return fmt.Errorf("policy: line %d column %d: %v", line, col, se)
	case errors.As(err, &te):
		line, col := lineCol(src, te.Offset)
		return fmt.Errorf("policy: %s: line %d column %d: want %s, got JSON %s", te.Field, line, col, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("policy: %s is not a policy field", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fmt.Errorf("policy: %w", err)
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// StripComments blanks // line comments outside JSON strings with spaces, so
// byte offsets (and so line numbers in errors) stay those of the original.
func StripComments(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	inStr, esc := false, false
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
			continue
		}
		if c == '/' && i+1 < len(out) && out[i+1] == '/' {
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		}
	}
	return out
}

// knownClasses are the log kinds expected_sources may name.
var knownClasses = map[string]bool{
	"auth": true, "syslog": true, "cron": true, "wtmp": true, "btmp": true, "lastlog": true,
	"audit": true, "journal": true, "sulog": true, "xferlog": true,
}

var weekdayNames = map[string]time.Weekday{
	"Sun": time.Sunday, "Mon": time.Monday, "Tue": time.Tuesday, "Wed": time.Wednesday,
	"Thu": time.Thursday, "Fri": time.Friday, "Sat": time.Saturday,
}

// Validate checks every field and returns all problems at once, each naming its field.
func (p *Policy) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("policy: %s: %s", field, fmt.Sprintf(format, a...)))
	}
	if p.Version != Version {
		bad("version", "%d is not supported (want %d)", p.Version, Version)
	}
	if _, err := time.LoadLocation(p.Timezone); err != nil || p.Timezone == "" {
		bad("timezone", "%q is not an IANA time zone name", p.Timezone)
	}
	s, errS := parseClock(p.BusinessHours.Start)
	if errS != nil {
		bad("business_hours.start", "%q: %v", p.BusinessHours.Start, errS)
	}
	e, errE := parseClock(p.BusinessHours.End)
	if errE != nil {
		bad("business_hours.end", "%q: %v", p.BusinessHours.End, errE)
	}
	if errS == nil && errE == nil && e <= s {
		bad("business_hours.end", "%s is not after start %s", p.BusinessHours.End, p.BusinessHours.Start)
	}
	for i, d := range p.BusinessHours.Weekdays {
		if _, ok := weekdayNames[d]; !ok {
			bad(fmt.Sprintf("business_hours.weekdays[%d]", i), "%q is not one of Mon Tue Wed Thu Fri Sat Sun", d)
		}
	}
	for i, h := range p.Holidays {
		if _, err := time.Parse("2006-01-02", h.Date); err != nil {
			bad(fmt.Sprintf("holidays[%d].date", i), "%q is not a YYYY-MM-DD date", h.Date)
		}
	}
	for i, c := range p.ApprovedAdminCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			if _, err2 := netip.ParseAddr(c); err2 != nil {
				bad(fmt.Sprintf("approved_admin_cidrs[%d]", i), "%q is not a CIDR prefix or an IP address", c)
			}
		}
	}
	if p.ChangeTicketPattern != "" {
		if _, err := compileTicket(p.ChangeTicketPattern); err != nil {
			bad("change_ticket_pattern", "%v", err)
		}
	}
	for i, c := range p.ExpectedSources {
		if !knownClasses[c] {
			bad(fmt.Sprintf("expected_sources[%d]", i), "%q is not one of auth, syslog, cron, wtmp, btmp, lastlog, audit, journal, sulog, xferlog", c)
		}
	}
	for i, f := range p.IntegrityFiles {
		if f == "" || strings.HasPrefix(f, "/") || slices.Contains(strings.Split(f, "/"), "..") {
			bad(fmt.Sprintf("integrity_files[%d]", i), "%q is not a path relative to the reviewed root", f)
		}
	}
	if p.RetentionDays < 0 {
		bad("retention_days", "%d is negative", p.RetentionDays)
	}
	t := p.Thresholds
	for _, f := range []struct {
		name string
		v    int
	}{
		{"brute_force_notice", t.BruteForceNotice}, {"brute_force_finding", t.BruteForceFinding},
		{"brute_force_window_minutes", t.BruteForceWindowMin}, {"brute_force_daily_finding", t.BruteForceDaily},
		{"spray_distinct_users", t.SprayDistinctUsers}, {"spray_window_minutes", t.SprayWindowMin},
		{"account_failures", t.AccountFailures}, {"account_window_minutes", t.AccountWindowMin},
		{"success_after_failures", t.SuccessAfterFailures}, {"success_after_window_minutes", t.SuccessAfterWindowMin},
		{"gap_auth_hours", t.GapAuthHours}, {"gap_syslog_hours", t.GapSyslogHours},
		{"dormant_days", t.DormantDays}, {"session_max_hours", t.SessionMaxHours},
		{"clock_step_seconds", t.ClockStepSeconds}, {"audit_auth_failures", t.AuditAuthFailures},
		{"segfault_burst", t.SegfaultBurst},
	} {
		if f.v <= 0 {
			bad("thresholds."+f.name, "%d must be greater than 0", f.v)
		}
	}
	if t.BruteForceFinding > 0 && t.BruteForceNotice > t.BruteForceFinding {
		bad("thresholds.brute_force_notice", "%d is above brute_force_finding %d", t.BruteForceNotice, t.BruteForceFinding)
	}
	if t.MinCoveragePercent < 0 || t.MinCoveragePercent > 100 {
		bad("thresholds.min_coverage_percent", "%d is not between 0 and 100", t.MinCoveragePercent)
	}
	return errors.Join(errs...)
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, errors.New("not an HH:MM time")
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Location returns the policy's time zone (validated).
func (p *Policy) Location() *time.Location {
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Calendar answers business-hours questions quickly; build it once per review.
type Calendar struct {
	loc        *time.Location
	start, end int // minutes after midnight
	weekdays   [7]bool
	holidays   map[string]string
}

// Calendar builds the business-hours calendar of a validated policy.
func (p *Policy) Calendar() *Calendar {
	c := &Calendar{loc: p.Location(), holidays: map[string]string{}}
	c.start, _ = parseClock(p.BusinessHours.Start)
	c.end, _ = parseClock(p.BusinessHours.End)
	for _, d := range p.BusinessHours.Weekdays {
		c.weekdays[weekdayNames[d]] = true
	}
	for _, h := range p.Holidays {
		c.holidays[h.Date] = h.Name
	}
	return c
}

// OffHours reports whether t is outside business hours, and why
// ("holiday:<name>", "weekend", "night").
func (c *Calendar) OffHours(t time.Time) (bool, string) {
	lt := t.In(c.loc)
	if name, ok := c.holidays[lt.Format("2006-01-02")]; ok {
		return true, "holiday:" + name
	}
	if !c.weekdays[lt.Weekday()] {
		return true, "weekend"
	}
	m := lt.Hour()*60 + lt.Minute()
	if m < c.start || m >= c.end {
		return true, "night"
	}
	return false, ""
}

// Networks is the parsed list of approved admin networks.
type Networks []netip.Prefix

// AdminNetworks parses approved_admin_cidrs (a bare address is a /32 or /128).
func (p *Policy) AdminNetworks() Networks {
	var n Networks
	for _, c := range p.ApprovedAdminCIDRs {
		if pf, err := netip.ParsePrefix(c); err == nil {
			n = append(n, pf.Masked())
		} else if a, err := netip.ParseAddr(c); err == nil {
			n = append(n, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return n
}

// Contains reports whether ip (text) is inside one of the networks.
func (n Networks) Contains(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range n {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// JSON returns the canonical JSON of the policy (indented, stable field order).
func (p *Policy) JSON() []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err) // only plain types: cannot fail
	}
	return append(b, '\n')
}

// SHA256 is the hex SHA-256 of the canonical JSON: the report names the
// criteria it applied by this hash.
func (p *Policy) SHA256() string {
	s := sha256.Sum256(p.JSON())
	return hex.EncodeToString(s[:])
}

// Set is a small string set built from a policy list.
type Set map[string]bool

// NewSet builds a set from a list.
func NewSet(list []string) Set {
	s := Set{}
	for _, v := range list {
		s[v] = true
	}
	return s
}

// Sorted returns the members in order.
func (s Set) Sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
