package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/report"
)

// DailyRules are the checks the daily digest runs: every rule that judges
// events of a day on their own. R14 (dormant accounts) needs months of
// history and R21 (configuration integrity) compares two reports, so they
// stay in the monthly report.
var DailyRules = []string{"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10",
	"R11", "R12", "R13", "R15", "R16", "R17", "R18", "R19", "R20"}

// maxDigestRefs bounds the evidence lines quoted per digest finding.
const maxDigestRefs = 3

// DailyOptions configure one daily digest.
type DailyOptions struct {
	Date         string // YYYY-MM-DD in the policy's time zone
	Policy       *policy.Policy
	PolicySource string
	Read         Reader // reads [day start, day end)
	Mode         string // files, server, cloudwatch
	// BaselineDir is a monthly report directory (usually the last one): its
	// baseline of login sources per account marks new sources and feeds R13.
	BaselineDir string
	ToolVersion string
	Progress    io.Writer
}

// ParseDay turns "2026-11-03" into [2026-11-03 00:00, 2026-11-04 00:00) in loc.
func ParseDay(date string, loc *time.Location) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", date)
	}
	return t, t.AddDate(0, 0, 1), nil
}

// Yesterday returns the day before now in loc, as YYYY-MM-DD.
func Yesterday(now time.Time, loc *time.Location) string {
	n := now.In(loc)
	return time.Date(n.Year(), n.Month(), n.Day()-1, 0, 0, 0, 0, loc).Format("2006-01-02")
}

// Daily reads one day and returns its digest. It runs the same checks
// engine as the monthly review over the day, keeps DailyRules, and adds
// the tallies an operator reads first: logins, failures, sudo/su, account
// changes. Nothing is written; the caller renders the digest.
func Daily(ctx context.Context, opt DailyOptions) (*report.Digest, error) {
	if opt.Policy == nil {
		opt.Policy = policy.Default()
	}
	if opt.Read == nil {
		return nil, errors.New("daily: no reader")
	}
	loc := opt.Policy.Location()
	start, end, err := ParseDay(opt.Date, loc)
	if err != nil {
		return nil, err
	}
	eng := check.New(opt.Policy, start, end)
	defer eng.Release()
	var base *check.Baseline
	if opt.BaselineDir != "" {
		b, err := os.ReadFile(filepath.Join(opt.BaselineDir, evidence.ReportJSON))
		if err != nil {
			return nil, fmt.Errorf("read baseline report: %w", err)
		}
		rep, err := report.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", opt.BaselineDir, err)
		}
		if base = rep.Baseline; base == nil {
			base = &check.Baseline{}
		}
		eng.SetBaseline(base)
	}
	t := newTally(start, end)
	last := ""
	inputs, err := opt.Read(ctx, func(r *parse.Record) error {
		if r.Source != last {
			last = r.Source
			logf(opt.Progress, "daily: reading %s", last)
		}
		eng.Add(r)
		t.add(r)
		return nil
	})
	if err != nil && !errors.Is(err, ErrStop) {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	addInputs(eng, inputs)
	results := eng.Results()
	cov := eng.Coverage()

	d := &report.Digest{
		Schema: report.DigestSchema, Date: opt.Date, Timezone: opt.Policy.Timezone, Start: start, End: end,
		Tool:   report.Tool{Name: "logwarden", Version: opt.ToolVersion, Ruleset: report.Ruleset},
		Policy: report.PolicyRef{Name: opt.Policy.Name, SHA256: opt.Policy.SHA256(), Source: orDefault(opt.PolicySource, "built-in")},
		Hosts:  eng.Hosts(), Mode: orDefault(opt.Mode, "files"), Verdict: check.Pass,
	}
	if opt.BaselineDir != "" {
		d.Baseline = filepath.Base(filepath.Clean(opt.BaselineDir))
	}
	t.fill(d, base)
	for _, r := range results {
		if !slices.Contains(DailyRules, r.ID) {
			continue
		}
		d.Checks = append(d.Checks, report.DigestCheck{ID: r.ID, Title: r.Title, Verdict: r.Verdict, Counts: r.Counts})
		d.Verdict = worse(d.Verdict, r.Verdict)
		for _, it := range r.Items {
			if it.Severity == check.SevInfo {
				continue
			}
			if it.Severity == check.SevFinding {
				d.Totals.Findings++
			} else {
				d.Totals.Notices++
			}
			refs := it.Evidence
			if len(refs) > maxDigestRefs {
				refs = refs[:maxDigestRefs]
			}
			d.Findings = append(d.Findings, report.DigestFinding{Rule: r.ID, Severity: it.Severity, Host: it.Host, Subject: it.Subject,
				Count: it.Count, First: inLoc(it.First, loc), Last: inLoc(it.Last, loc), Summary: it.Summary, Evidence: refs})
		}
	}
	slices.SortStableFunc(d.Findings, func(a, b report.DigestFinding) int {
		return cmp.Compare(sevRank(b.Severity), sevRank(a.Severity))
	})
	if len(d.Findings) > report.MaxDigestRows {
		d.Findings = d.Findings[:report.MaxDigestRows]
		d.Truncated = append(d.Truncated, "findings")
	}
	for _, c := range cov {
		s := report.DigestSource{Source: c.Source, Class: c.Class, Records: c.Records, Gaps: len(c.Gaps)}
		if !c.First.IsZero() {
			s.First, s.Last = c.First.In(loc), c.Last.In(loc)
		}
		d.Sources = append(d.Sources, s)
	}
	slices.Sort(d.Truncated)
	return d, nil
}

// inLoc shows t in loc, leaving the zero time (no time known) as it is.
func inLoc(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}

func sevRank(s check.Severity) int {
	if s == check.SevFinding {
		return 1
	}
	return 0
}

// worse returns the worse of two verdicts (n/a never wins).
func worse(a, b check.Verdict) check.Verdict {
	rank := map[check.Verdict]int{check.Pass: 0, check.Notice: 1, check.Finding: 2}
	if r, ok := rank[b]; ok && r > rank[a] {
		return b
	}
	return a
}

// tally keeps the digest's per-day tables. Binary logs (wtmp, btmp) and sulog
// repeat what the text logs say; they are used only for a table when no text
// log gave it any row (hosts without rsyslog), except console logins, which
// only wtmp may record.
type tally struct {
	start, end time.Time
	records    int64
	logins     map[loginKey]*report.DigestLogin
	loginSec   map[loginKey]*report.DigestLogin
	fails      map[string]*failRow
	failsSec   map[string]*failRow
	priv       map[privKey]*report.DigestPrivilege
	privSec    map[privKey]*report.DigestPrivilege
	sudo       int
	sudoDenied int
	accounts   []report.DigestEvent
}

type loginKey struct{ host, user, from string }
type privKey struct{ tool, host, user, target string }
type failRow struct {
	report.DigestFailure
	users map[string]bool
}

func newTally(start, end time.Time) *tally {
	return &tally{start: start, end: end,
		logins: map[loginKey]*report.DigestLogin{}, loginSec: map[loginKey]*report.DigestLogin{},
		fails: map[string]*failRow{}, failsSec: map[string]*failRow{},
		priv: map[privKey]*report.DigestPrivilege{}, privSec: map[privKey]*report.DigestPrivilege{}}
}

func (t *tally) add(r *parse.Record) {
	if r.Time.Before(t.start) || !r.Time.Before(t.end) {
		return // lastlog state and the like
	}
	t.records++
	n := max(1, r.Repeat)
	switch r.Kind {
	case parse.KindSSHAccepted:
		t.login(t.logins, r.Host, r.User, r.SrcIP, r.Method, r.Time)
	case parse.KindRootLoginConsole:
		t.login(t.logins, r.Host, "root", "console", "login", r.Time)
	case parse.KindWtmpLogin:
		from := r.SrcIP
		if from == "" {
			from = "console"
		}
		t.login(t.loginSec, r.Host, r.User, from, "", r.Time)
	case parse.KindSSHFailed:
		t.fail(t.fails, r.SrcIP, r.User, n, r.Time)
	case parse.KindLoginFailed:
		t.fail(t.fails, "console", r.User, n, r.Time)
	case parse.KindBtmpFailed:
		from := r.SrcIP
		if from == "" {
			from = "console"
		}
		t.fail(t.failsSec, from, r.User, n, r.Time)
	case parse.KindSudoCommand:
		t.sudo++
		p := t.privRow(t.priv, "sudo", r.Host, r.User, orDefault(r.TargetUser, "root"))
		p.OK++
		if len(p.Commands) < report.MaxDigestUsers && !slices.Contains(p.Commands, r.Command) {
			p.Commands = append(p.Commands, r.Command)
		}
	case parse.KindSudoNotAllowed, parse.KindSudoAuthFailure:
		t.sudoDenied++
		t.privRow(t.priv, "sudo", r.Host, r.User, orDefault(r.TargetUser, "root")).Denied++
	case parse.KindSuSuccess, parse.KindSuFailure:
		m := t.priv
		if r.Program == "sulog" {
			m = t.privSec
		}
		p := t.privRow(m, "su", r.Host, r.User, orDefault(r.TargetUser, "root"))
		if r.Kind == parse.KindSuSuccess {
			p.OK++
		} else {
			p.Denied++
		}
	case parse.KindUserAdd, parse.KindUserDel, parse.KindUserMod, parse.KindGroupAdd, parse.KindGroupDel,
		parse.KindGroupMemberAdd, parse.KindGroupMemberDel, parse.KindPasswdChange, parse.KindPAMPasswordChanged:
		t.accounts = append(t.accounts, report.DigestEvent{Time: r.Time.In(t.start.Location()), Host: r.Host, Kind: string(r.Kind),
			User: r.User, Group: r.Group, Detail: r.Detail, Ref: check.Ref{Source: r.Source, Line: r.Line, Offset: r.Offset}})
	}
}

func (t *tally) login(m map[loginKey]*report.DigestLogin, host, user, from, method string, at time.Time) {
	k := loginKey{host, user, from}
	x := m[k]
	if x == nil {
		x = &report.DigestLogin{Host: host, User: user, From: from, First: at}
		m[k] = x
	}
	x.Count++
	x.First, x.Last = minTime(x.First, at), maxTime(x.Last, at)
	if method != "" && !slices.Contains(x.Methods, method) {
		x.Methods = append(x.Methods, method)
		slices.Sort(x.Methods)
	}
}

func (t *tally) fail(m map[string]*failRow, from, user string, n int, at time.Time) {
	if from == "" {
		from = "unknown"
	}
	x := m[from]
	if x == nil {
		x = &failRow{DigestFailure: report.DigestFailure{From: from, First: at}, users: map[string]bool{}}
		m[from] = x
	}
	x.Count += n
	x.First, x.Last = minTime(x.First, at), maxTime(x.Last, at)
	if user != "" {
		x.users[user] = true
	}
}

func (t *tally) privRow(m map[privKey]*report.DigestPrivilege, tool, host, user, target string) *report.DigestPrivilege {
	k := privKey{tool, host, user, target}
	if m[k] == nil {
		m[k] = &report.DigestPrivilege{Tool: tool, Host: host, User: user, Target: target}
	}
	return m[k]
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// fill writes the tallies into d, marking logins from sources the baseline
// does not know for the account as new.
func (t *tally) fill(d *report.Digest, base *check.Baseline) {
	loc := t.start.Location()
	logins := t.logins
	if len(logins) == 0 {
		logins = t.loginSec
	} else {
		for k, v := range t.loginSec {
			if k.from == "console" && logins[k] == nil {
				logins[k] = v
			}
		}
	}
	for _, x := range logins {
		x.First, x.Last = x.First.In(loc), x.Last.In(loc)
		if base != nil && x.From != "console" && !slices.Contains(base.UserIPs[x.User], x.From) {
			x.New = true
			d.Totals.NewLoginSources++
		}
		d.Totals.LoginsOK += x.Count
		d.Logins = append(d.Logins, *x)
	}
	slices.SortFunc(d.Logins, func(a, b report.DigestLogin) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.From, b.From), cmp.Compare(a.Host, b.Host))
	})
	fails := t.fails
	if len(fails) == 0 {
		fails = t.failsSec
	}
	for _, x := range fails {
		users := make([]string, 0, len(x.users))
		for u := range x.users {
			users = append(users, u)
		}
		slices.Sort(users)
		if len(users) > report.MaxDigestUsers {
			x.UsersMore = len(users) - report.MaxDigestUsers
			users = users[:report.MaxDigestUsers]
		}
		x.Users = users
		x.First, x.Last = x.First.In(loc), x.Last.In(loc)
		d.Totals.LoginsFailed += x.Count
		d.Failures = append(d.Failures, x.DigestFailure)
	}
	d.Totals.FailedSources = len(d.Failures)
	slices.SortFunc(d.Failures, func(a, b report.DigestFailure) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.From, b.From))
	})
	hasSu := false
	for k := range t.priv {
		hasSu = hasSu || k.tool == "su"
	}
	for k, v := range t.privSec {
		if !hasSu {
			t.priv[k] = v
		}
	}
	for _, p := range t.priv {
		if p.Tool == "su" {
			d.Totals.SuOK += p.OK
			d.Totals.SuFailed += p.Denied
		}
		d.Privilege = append(d.Privilege, *p)
	}
	d.Totals.SudoCommands, d.Totals.SudoDenied = t.sudo, t.sudoDenied
	slices.SortFunc(d.Privilege, func(a, b report.DigestPrivilege) int {
		return cmp.Or(cmp.Compare(a.Tool, b.Tool), cmp.Compare(a.User, b.User), cmp.Compare(a.Target, b.Target), cmp.Compare(a.Host, b.Host))
	})
	d.AccountChanges = t.accounts
	slices.SortStableFunc(d.AccountChanges, func(a, b report.DigestEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Ref.Source, b.Ref.Source), cmp.Compare(a.Ref.Line, b.Ref.Line))
	})
	d.Totals.AccountChanges = len(d.AccountChanges)
	d.Totals.Records = t.records
	cut := func(name string, n int) int {
		if n > report.MaxDigestRows {
			d.Truncated = append(d.Truncated, name)
			return report.MaxDigestRows
		}
		return n
	}
	d.Logins = d.Logins[:cut("logins", len(d.Logins))]
	d.Failures = d.Failures[:cut("failures", len(d.Failures))]
	d.Privilege = d.Privilege[:cut("privilege", len(d.Privilege))]
	d.AccountChanges = d.AccountChanges[:cut("account_changes", len(d.AccountChanges))]
}
