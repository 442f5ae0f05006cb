package report

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/logwarden/logwarden/internal/review/check"
)

// l picks the Korean or English label.
func l(lang, ko, en string) string {
	if lang == "en" {
		return en
	}
	return ko
}

// VerdictText is the verdict as printed.
func VerdictText(v check.Verdict, lang string) string {
	switch v {
	case check.Pass:
		return l(lang, "양호", "Pass")
	case check.Notice:
		return l(lang, "주의", "Notice")
	case check.Finding:
		return l(lang, "위험", "Finding")
	}
	return l(lang, "점검 불가", "N/A")
}

// SeverityText is an item severity as printed.
func SeverityText(s check.Severity, lang string) string {
	switch s {
	case check.SevFinding:
		return l(lang, "위험", "Finding")
	case check.SevNotice:
		return l(lang, "주의", "Notice")
	}
	return l(lang, "정보", "Info")
}

// StatusText is a register status as printed.
func StatusText(s, lang string) string {
	switch s {
	case "open":
		return l(lang, "조치 필요(open)", "open")
	case "carried":
		return l(lang, "이월(open)", "carried over (open)")
	case "closed":
		return l(lang, "종결", "closed")
	}
	return s
}

func permille(p int) string { return fmt.Sprintf("%d.%d%%", p/10, p%10) }

// Column headings shared by the renderers.

func itemHeads(lang string) []string {
	return []string{l(lang, "수준", "Level"), l(lang, "일시", "When"), l(lang, "서버", "Host"), l(lang, "내용", "What"), l(lang, "증적", "Evidence")}
}

func registerHeads(lang string) []string {
	return []string{"No", l(lang, "일시", "When"), l(lang, "서버", "Host"), l(lang, "규칙", "Rule"), l(lang, "내용", "What"), l(lang, "증적", "Evidence"),
		l(lang, "판단/소명", "Judgement"), l(lang, "조치", "Action"), l(lang, "담당", "Owner"), l(lang, "최초 보고", "Since"), l(lang, "상태", "Status")}
}

func coverageHeads(lang string) []string {
	return []string{l(lang, "로그", "Source"), l(lang, "종류", "Class"), l(lang, "수집 기간", "Collected"),
		l(lang, "건수", "Records"), l(lang, "수집률", "Coverage"), l(lang, "누락 구간", "Gaps"), l(lang, "시각 역행", "Time reversals")}
}

// coverageRow is the cells of one coverage table row (unescaped).
func coverageRow(c check.SourceCoverage, lang string) []string {
	span := "-"
	if c.Records > 0 {
		span = c.First.Format("01-02 15:04") + " ~ " + c.Last.Format("01-02 15:04")
	}
	var gaps []string
	for _, g := range c.Gaps {
		gaps = append(gaps, fmt.Sprintf("%s~%s (%dh)", g.From.Format("01-02 15:04"), g.To.Format("01-02 15:04"), g.Hours))
	}
	return []string{c.Source, c.Class, span, fmt.Sprint(c.Records), permille(c.CoveragePermille), orNone(strings.Join(gaps, "; "), lang), fmt.Sprint(c.NonMonotonic)}
}

// mdHead is a Markdown table's heading row and rule.
func mdHead(cells []string) string {
	return "| " + strings.Join(cells, " | ") + " |\n|" + strings.Repeat("---|", len(cells)) + "\n"
}

// mdRow is a Markdown table row of escaped cells.
func mdRow(cells []string) string {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = mdEscape(c)
	}
	return "| " + strings.Join(esc, " | ") + " |\n"
}

// htmlHead is an HTML table's heading row (the headings need no escaping).
func htmlHead(cells []string) string {
	return "<tr><th>" + strings.Join(cells, "</th><th>") + "</th></tr>"
}

// htmlRow is an HTML table row of escaped cells.
func htmlRow(cells []string) string {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = html.EscapeString(c)
	}
	return "<tr><td>" + strings.Join(esc, "</td><td>") + "</td></tr>"
}

// mdEscape keeps table cells on one line and pipes literal.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

func refsText(refs []check.Ref, total int) string {
	var parts []string
	for _, r := range refs {
		parts = append(parts, fmt.Sprintf("%s:%d", r.Source, r.Line))
	}
	s := strings.Join(parts, ", ")
	if total > len(refs) {
		s += fmt.Sprintf(" (+%d)", total-len(refs))
	}
	return s
}

// countsText renders a counts map in key order.
func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

const timeFmt = "2006-01-02 15:04:05"

// policyFields reads the few policy values the renderings print.
func policyFields(r *Report) (ref string, retention int) {
	var p struct {
		PolicyRef     string `json:"policy_ref"`
		RetentionDays int    `json:"retention_days"`
	}
	_ = json.Unmarshal(r.Policy.Body, &p) // absent fields print as blanks
	return p.PolicyRef, p.RetentionDays
}

func policyRef(r *Report) string { s, _ := policyFields(r); return s }

func policyRetention(r *Report) int { _, n := policyFields(r); return n }

// regWhen is a register entry's time, "-" for entries without one
// (coverage and integrity items are about a whole log).
func regWhen(e Entry) string {
	if e.First.IsZero() {
		return "-"
	}
	return e.First.Format("01-02 15:04")
}
