package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/jcs"
)

// DigestSchema names the daily digest's JSON format.
const DigestSchema = "logwarden.review.daily/v1"

// Digest is the daily digest (`review daily`): a short account of one day
// for the operator, not an audit artefact. It has no sign-off, no chain and
// no findings register; the monthly report remains the U-43 evidence.
type Digest struct {
	Schema   string    `json:"schema"`
	Date     string    `json:"date"` // YYYY-MM-DD in Timezone
	Timezone string    `json:"timezone"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Tool     Tool      `json:"tool"`
	Policy   PolicyRef `json:"policy"` // Body left out
	Hosts    []string  `json:"hosts"`
	Mode     string    `json:"mode"`
	// Baseline names the monthly report whose known login sources mark
	// Logins[].New; empty when none was given (nothing is marked new).
	Baseline string        `json:"baseline,omitempty"`
	Verdict  check.Verdict `json:"verdict"` // worst verdict of Checks
	Totals   DigestTotals  `json:"totals"`
	// Logins are the successful logins per account, source and host.
	Logins []DigestLogin `json:"logins"`
	// Failures are the failed logins per source (address, or the terminal
	// for console failures), most first.
	Failures []DigestFailure `json:"failures"`
	// Privilege is sudo and su use per account and target.
	Privilege []DigestPrivilege `json:"privilege"`
	// AccountChanges lists every account or group change, in time order.
	AccountChanges []DigestEvent `json:"account_changes"`
	// Findings are the notice and finding items of the day's checks.
	Findings []DigestFinding `json:"findings"`
	Checks   []DigestCheck   `json:"checks"`
	Sources  []DigestSource  `json:"sources"`
	// Truncated names the lists cut at MaxDigestRows.
	Truncated []string `json:"truncated,omitempty"`
}

// MaxDigestRows bounds each list of the digest, so that a day of scanning
// from thousands of addresses still fits on a screen.
const MaxDigestRows = 50

// DigestTotals are the day's headline numbers.
type DigestTotals struct {
	Records         int64 `json:"records"`
	LoginsOK        int   `json:"logins_ok"`
	LoginsFailed    int   `json:"logins_failed"`
	FailedSources   int   `json:"failed_sources"`
	NewLoginSources int   `json:"new_login_sources"`
	SudoCommands    int   `json:"sudo_commands"`
	SudoDenied      int   `json:"sudo_denied"`
	SuOK            int   `json:"su_ok"`
	SuFailed        int   `json:"su_failed"`
	AccountChanges  int   `json:"account_changes"`
	Findings        int   `json:"findings"`
	Notices         int   `json:"notices"`
}

// DigestLogin is the successful logins of one account from one source.
type DigestLogin struct {
	Host    string    `json:"host,omitempty"`
	User    string    `json:"user"`
	From    string    `json:"from"` // address, or "console"
	Methods []string  `json:"methods,omitempty"`
	Count   int       `json:"count"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	New     bool      `json:"new"`
}

// DigestFailure is the failed logins from one source.
type DigestFailure struct {
	From      string    `json:"from"`
	Count     int       `json:"count"`
	Users     []string  `json:"users"` // accounts tried, at most MaxDigestUsers
	UsersMore int       `json:"users_more,omitempty"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
}

// MaxDigestUsers bounds the accounts listed per failing source.
const MaxDigestUsers = 8

// DigestPrivilege is sudo or su use by one account towards one target.
type DigestPrivilege struct {
	Tool     string   `json:"tool"` // sudo, su
	Host     string   `json:"host,omitempty"`
	User     string   `json:"user"`
	Target   string   `json:"target"`
	OK       int      `json:"ok"`
	Denied   int      `json:"denied"`
	Commands []string `json:"commands,omitempty"` // distinct sudo commands, at most MaxDigestUsers
}

// DigestEvent is one account or group change.
type DigestEvent struct {
	Time   time.Time `json:"time"`
	Host   string    `json:"host,omitempty"`
	Kind   string    `json:"kind"`
	User   string    `json:"user,omitempty"`
	Group  string    `json:"group,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Ref    check.Ref `json:"ref"`
}

// DigestFinding is one notice or finding item of a check.
type DigestFinding struct {
	Rule     string         `json:"rule"`
	Severity check.Severity `json:"severity"`
	Host     string         `json:"host,omitempty"`
	Subject  string         `json:"subject"`
	Count    int            `json:"count"`
	First    time.Time      `json:"first"`
	Last     time.Time      `json:"last"`
	Summary  check.Text     `json:"summary"`
	Evidence []check.Ref    `json:"evidence"`
}

// DigestCheck is one check's outcome for the day.
type DigestCheck struct {
	ID      string         `json:"id"`
	Title   check.Text     `json:"title"`
	Verdict check.Verdict  `json:"verdict"`
	Counts  map[string]int `json:"counts"`
}

// DigestSource is one log of the day.
type DigestSource struct {
	Source  string    `json:"source"`
	Class   string    `json:"class"`
	Records int64     `json:"records"`
	First   time.Time `json:"first,omitempty"`
	Last    time.Time `json:"last,omitempty"`
	Gaps    int       `json:"gaps"`
}

// JSON encodes the digest as RFC 8785 canonical JSON.
func (d *Digest) JSON() ([]byte, error) {
	b, err := jcs.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode digest: %w", err)
	}
	return b, nil
}

// DigestTitle is the digest's heading.
func DigestTitle(lang string) string {
	return l(lang, "일일 로그 점검 요약", "Daily Log Digest")
}

// Markdown renders the digest in lang ("ko" or "en").
func (d *Digest) Markdown(lang string) []byte {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	tf := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(d.Start.Location()).Format("15:04:05")
	}
	span := func(a, b time.Time) string {
		if a.IsZero() {
			return ""
		}
		return tf(a) + "–" + tf(b)
	}
	w("# %s — %s\n\n", DigestTitle(lang), d.Date)
	w("%s: [%s, %s) (%s) · %s: %s · %s: %s · %s %s\n\n", l(lang, "기간", "Day"), d.Start.Format("2006-01-02T15:04Z07:00"), d.End.Format("2006-01-02T15:04Z07:00"),
		d.Timezone, l(lang, "호스트", "hosts"), orNone(strings.Join(d.Hosts, ", "), lang), l(lang, "수집 방식", "mode"), d.Mode, d.Tool.Name, d.Tool.Version)
	w("%s\n\n", l(lang, "운영자용 요약이며 감사 증적이 아님: 서명·해시 체인·이상징후 대장은 월간 보고서(`logwarden review`)에 있음.",
		"An operator's summary, not audit evidence: sign-off, hash chain and findings register belong to the monthly report (`logwarden review`)."))
	t := d.Totals
	w("**%s: %s** — ", l(lang, "판정", "Verdict"), VerdictText(d.Verdict, lang))
	w("%s %d · %s %d (%s %d) · %s %d · sudo %d (%s %d) · su %d (%s %d) · %s %d · %s %d / %s %d\n\n",
		l(lang, "로그인 성공", "logins"), t.LoginsOK, l(lang, "실패", "failed"), t.LoginsFailed, l(lang, "출발지", "sources"), t.FailedSources,
		l(lang, "새 접속지", "new login sources"), t.NewLoginSources, t.SudoCommands, l(lang, "거부", "denied"), t.SudoDenied,
		t.SuOK, l(lang, "실패", "failed"), t.SuFailed, l(lang, "계정 변경", "account changes"), t.AccountChanges,
		l(lang, "위험", "findings"), t.Findings, l(lang, "주의", "notices"), t.Notices)

	w("## %s\n\n", l(lang, "이상징후", "Findings"))
	if len(d.Findings) == 0 {
		w("%s\n\n", l(lang, "없음.", "None."))
	} else {
		w("%s", mdHead([]string{"ID", l(lang, "등급", "Severity"), l(lang, "시각", "Time"), l(lang, "호스트", "Host"), l(lang, "내용", "Summary"), l(lang, "증적", "Evidence")}))
		for _, f := range d.Findings {
			w("%s", mdRow([]string{f.Rule, SeverityText(f.Severity, lang), span(f.First, f.Last), f.Host, f.Summary.Get(lang), refsText(f.Evidence, len(f.Evidence))}))
		}
		w("\n")
	}

	w("## %s\n\n", l(lang, "로그인 성공", "Successful logins"))
	if d.Baseline == "" {
		w("%s\n\n", l(lang, "기준 보고서(--baseline)가 없어 새 접속지를 표시하지 않음.", "No baseline report (--baseline): new login sources are not marked."))
	}
	if len(d.Logins) == 0 {
		w("%s\n\n", l(lang, "없음.", "None."))
	} else {
		w("%s", mdHead([]string{l(lang, "계정", "Account"), l(lang, "접속지", "From"), l(lang, "호스트", "Host"), l(lang, "방식", "Method"), l(lang, "횟수", "Count"), l(lang, "처음–마지막", "First–last"), l(lang, "새 접속지", "New")}))
		for _, x := range d.Logins {
			nw := ""
			if x.New {
				nw = l(lang, "**새 접속지**", "**new**")
			}
			w("%s", mdRow([]string{x.User, x.From, x.Host, strings.Join(x.Methods, ", "), fmt.Sprint(x.Count), span(x.First, x.Last), nw}))
		}
		w("\n")
	}

	w("## %s\n\n", l(lang, "로그인 실패", "Failed logins"))
	if len(d.Failures) == 0 {
		w("%s\n\n", l(lang, "없음.", "None."))
	} else {
		w("%s", mdHead([]string{l(lang, "출발지", "From"), l(lang, "횟수", "Count"), l(lang, "시도 계정", "Accounts tried"), l(lang, "처음–마지막", "First–last")}))
		for _, x := range d.Failures {
			users := strings.Join(x.Users, ", ")
			if x.UsersMore > 0 {
				users += fmt.Sprintf(" (+%d)", x.UsersMore)
			}
			w("%s", mdRow([]string{x.From, fmt.Sprint(x.Count), users, span(x.First, x.Last)}))
		}
		w("\n")
	}

	w("## %s\n\n", l(lang, "sudo·su 사용", "sudo and su"))
	if len(d.Privilege) == 0 {
		w("%s\n\n", l(lang, "없음.", "None."))
	} else {
		w("%s", mdHead([]string{l(lang, "도구", "Tool"), l(lang, "계정", "Account"), l(lang, "대상", "Target"), l(lang, "호스트", "Host"), l(lang, "성공", "OK"), l(lang, "거부·실패", "Denied/failed"), l(lang, "명령", "Commands")}))
		for _, x := range d.Privilege {
			w("%s", mdRow([]string{x.Tool, x.User, x.Target, x.Host, fmt.Sprint(x.OK), fmt.Sprint(x.Denied), strings.Join(x.Commands, "; ")}))
		}
		w("\n")
	}

	w("## %s\n\n", l(lang, "계정·권한 변경", "Account changes"))
	if len(d.AccountChanges) == 0 {
		w("%s\n\n", l(lang, "없음.", "None."))
	} else {
		w("%s", mdHead([]string{l(lang, "시각", "Time"), l(lang, "호스트", "Host"), l(lang, "종류", "Kind"), l(lang, "계정", "Account"), l(lang, "그룹", "Group"), l(lang, "내용", "Detail"), l(lang, "증적", "Evidence")}))
		for _, x := range d.AccountChanges {
			w("%s", mdRow([]string{tf(x.Time), x.Host, x.Kind, x.User, x.Group, x.Detail, fmt.Sprintf("%s:%d", x.Ref.Source, x.Ref.Line)}))
		}
		w("\n")
	}

	w("## %s\n\n", l(lang, "점검 항목", "Checks"))
	w("%s", mdHead([]string{"ID", l(lang, "항목", "Check"), l(lang, "판정", "Verdict"), l(lang, "건수", "Counts")}))
	for _, c := range d.Checks {
		w("%s", mdRow([]string{c.ID, c.Title.Get(lang), VerdictText(c.Verdict, lang), countsText(c.Counts)}))
	}
	w("\n## %s\n\n", l(lang, "수집 로그", "Logs read"))
	if len(d.Sources) == 0 {
		w("%s\n\n", l(lang, "이 날짜의 로그 없음.", "No logs for this day."))
	} else {
		w("%s", mdHead([]string{l(lang, "로그", "Log"), l(lang, "종류", "Class"), l(lang, "건수", "Records"), l(lang, "처음–마지막", "First–last"), l(lang, "공백", "Gaps")}))
		for _, s := range d.Sources {
			w("%s", mdRow([]string{s.Source, s.Class, fmt.Sprint(s.Records), span(s.First, s.Last), fmt.Sprint(s.Gaps)}))
		}
		w("\n")
	}
	if len(d.Truncated) > 0 {
		w("%s: %s\n", l(lang, fmt.Sprintf("%d행까지만 표시한 목록", MaxDigestRows), fmt.Sprintf("Lists cut at %d rows", MaxDigestRows)), strings.Join(d.Truncated, ", "))
	}
	return b.Bytes()
}
