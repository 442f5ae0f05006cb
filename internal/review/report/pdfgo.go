package report

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// FontEnv names a TTF file to use for the pure-Go PDF.
const FontEnv = "LOGWARDEN_PDF_FONT"

// hangulFonts are TrueType fonts with Hangul, tried in order (Debian
// fonts-nanum, then others). fpdf reads .ttf only, not .ttc collections.
var hangulFonts = []string{
	"/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
	"/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
	"/usr/share/fonts/truetype/nanum/NanumSquareR.ttf",
	"/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
	"/usr/share/fonts/truetype/baekmuk/gulim.ttf",
}

// latinFonts serve English reports when no Hangul font exists.
var latinFonts = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
}

// ErrNoFont means no TrueType font able to show the report's text was found.
var ErrNoFont = errors.New("no TrueType font with Hangul found: install fonts-nanum (Debian) or set " + FontEnv + " to a .ttf file")

// FindFont returns a TTF able to render lang: LOGWARDEN_PDF_FONT, a Hangul
// font, or for English a Latin one.
func FindFont(lang string) (string, error) {
	if p := os.Getenv(FontEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", FontEnv, p, err)
		}
		return p, nil
	}
	list := hangulFonts
	if lang == "en" {
		list = append(append([]string{}, hangulFonts...), latinFonts...)
	}
	for _, p := range list {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoFont
}

type pdfw struct {
	f    *fpdf.Fpdf
	lang string
	lh   float64 // line height, mm
}

// pageW is the printable width of A4 with 14 mm margins.
const pageW = 210 - 2*14

// WritePDF renders the report as PDF without a browser, with the TTF font
// at fontPath. The file is deterministic: its dates are the period's end.
func (r *Report) WritePDF(lang, fontPath, path string) error {
	font, err := os.ReadFile(fontPath)
	if err != nil {
		return fmt.Errorf("read font: %w", err)
	}
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(14, 14, 14)
	f.SetAutoPageBreak(true, 14)
	f.SetCreationDate(r.Period.End)
	f.SetModificationDate(r.Period.End)
	f.SetCatalogSort(true)
	f.AddUTF8FontFromBytes("body", "", font)
	f.SetTitle(Title(lang)+" "+r.Period.Label, true)
	f.SetCreator("logwarden "+r.Tool.Version, true)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-10)
		f.SetFont("body", "", 7)
		f.CellFormat(0, 4, fmt.Sprintf("%s — %s — %d/{nb}", r.DocumentNo, r.Period.Label, f.PageNo()), "", 0, "C", false, 0, "")
	})
	w := &pdfw{f: f, lang: lang, lh: 4.2}
	f.AddPage()
	w.render(r)
	if err := f.Error(); err != nil {
		return fmt.Errorf("render pdf: %w", err)
	}
	tmp := path + ".tmp"
	if err := f.OutputFileAndClose(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write pdf: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename pdf: %w", err)
	}
	return nil
}

func (w *pdfw) text(size float64, s string) {
	w.f.SetFont("body", "", size)
	w.f.MultiCell(0, size*0.5, s, "", "L", false)
}

func (w *pdfw) heading(s string) {
	w.f.Ln(2)
	if w.f.GetY() > 250 {
		w.f.AddPage()
	}
	w.f.SetFont("body", "", 12)
	w.f.CellFormat(0, 7, s, "B", 1, "L", false, 0, "")
	w.f.Ln(1)
}

// table draws rows with wrapped cells; widths are fractions of the page.
func (w *pdfw) table(size float64, widths []float64, header []string, rows [][]string) {
	f := w.f
	f.SetFont("body", "", size)
	lh := size * 0.45
	cols := make([]float64, len(widths))
	for i, x := range widths {
		cols[i] = x * pageW
	}
	if header != nil {
		drawRow(f, header, cols, lh, true, w)
	}
	for _, r := range rows {
		lines := make([][]string, len(r))
		n := 1
		for i, c := range r {
			lines[i] = f.SplitText(c, cols[i]-2)
			if len(lines[i]) == 0 {
				lines[i] = []string{""}
			}
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lh + 1.5
		_, pageH := f.GetPageSize()
		if f.GetY()+h > pageH-16 {
			f.AddPage()
			if header != nil {
				drawRow(f, header, cols, lh, true, w)
			}
		}
		drawLines(f, lines, cols, lh, h, false)
	}
	f.Ln(1)
}

func drawRow(f *fpdf.Fpdf, cells []string, cols []float64, lh float64, fill bool, _ *pdfw) {
	lines := make([][]string, len(cells))
	n := 1
	for i, c := range cells {
		lines[i] = f.SplitText(c, cols[i]-2)
		if len(lines[i]) == 0 {
			lines[i] = []string{""}
		}
		n = max(n, len(lines[i]))
	}
	drawLines(f, lines, cols, lh, float64(n)*lh+1.5, fill)
}

func drawLines(f *fpdf.Fpdf, lines [][]string, cols []float64, lh, h float64, fill bool) {
	x0, y0 := f.GetX(), f.GetY()
	x := x0
	if fill {
		f.SetFillColor(235, 235, 235)
	}
	for i, ls := range lines {
		style := "D"
		if fill {
			style = "FD"
		}
		f.Rect(x, y0, cols[i], h, style)
		for j, l := range ls {
			f.SetXY(x+1, y0+0.75+float64(j)*lh)
			f.CellFormat(cols[i]-2, lh, l, "", 0, "L", false, 0, "")
		}
		x += cols[i]
	}
	f.SetXY(x0, y0+h)
}

func (w *pdfw) render(r *Report) {
	lang := w.lang
	f := w.f
	// Approval box on the right, title on the left.
	y := f.GetY()
	f.SetFont("body", "", 8)
	bx := float64(14 + pageW - 3*22)
	for i, role := range []string{l(lang, "담당", "Prepared"), l(lang, "검토", "Reviewed"), l(lang, "승인", "Approved")} {
		f.SetFillColor(235, 235, 235)
		f.Rect(bx+float64(i)*22, y, 22, 6, "FD")
		f.SetXY(bx+float64(i)*22, y+1)
		f.CellFormat(22, 4, role, "", 0, "C", false, 0, "")
		f.Rect(bx+float64(i)*22, y+6, 22, 16, "D")
	}
	f.SetXY(14, y)
	f.SetFont("body", "", 15)
	f.MultiCell(pageW-3*22-4, 7, Title(lang), "", "L", false)
	f.SetFont("body", "", 9)
	f.SetX(14)
	f.CellFormat(0, 5, l(lang, "문서번호", "Document No.")+": "+r.DocumentNo, "", 1, "L", false, 0, "")
	f.CellFormat(0, 5, l(lang, "보고일", "Report date")+": "+orBlank(r.ReportDate), "", 1, "L", false, 0, "")
	f.CellFormat(0, 5, fmt.Sprintf("%s: %s ~ %s (%s)", l(lang, "점검 기간", "Period"), r.Period.Start.Format(timeFmt), r.Period.End.Add(-time.Second).Format(timeFmt), r.Period.Timezone), "", 1, "L", false, 0, "")
	f.SetY(max(f.GetY(), y+24))
	w.text(7.5, l(lang, "결재란은 사람이 서명함: 서명은 `logwarden review ack`로 signoffs.json에 기록되며 도구가 채우지 않음 (미결재).",
		"The approval box is for people: sign-offs are recorded in signoffs.json with `logwarden review ack`; the tool never fills it (not yet approved)."))

	w.heading("1. " + l(lang, "개요", "Overview"))
	basis := "KISA U-43, U-72; ISMS-P 2.9.4, 2.9.5, 2.9.6"
	if ref := policyRef(r); ref != "" {
		basis += "; " + ref
	}
	w.text(9, "• "+l(lang, "근거", "Basis")+": "+basis)
	w.text(9, fmt.Sprintf("• %s: [%s, %s) = [%s, %s) UTC", l(lang, "점검 기간", "Period"), r.Period.Start.Format("2006-01-02T15:04:05Z07:00"), r.Period.End.Format("2006-01-02T15:04:05Z07:00"),
		r.Period.StartUTC.Format("2006-01-02T15:04:05"), r.Period.EndUTC.Format("2006-01-02T15:04:05")))
	w.text(9, fmt.Sprintf("• %s: %s (%s: %s)", l(lang, "점검 대상 호스트", "Hosts"), orNone(strings.Join(r.Scope.Hosts, ", "), lang), l(lang, "수집 방식", "mode"), r.Scope.Mode))
	w.text(9, fmt.Sprintf("• %s: %s %s, %s %s, %s %s (sha256 %s)", l(lang, "생성", "Generated by"), r.Tool.Name, r.Tool.Version, l(lang, "규칙", "ruleset"), r.Tool.Ruleset, l(lang, "정책", "policy"), r.Policy.Name, r.Policy.SHA256[:16]))

	o := r.Overall
	w.heading("2. " + l(lang, "종합 결과", "Overall result"))
	w.text(10, fmt.Sprintf("%s: %s — %s %d, %s %d, %s %d, %s %d", l(lang, "종합 판정", "Overall verdict"), VerdictText(o.Verdict, lang),
		l(lang, "양호", "pass"), o.Pass, l(lang, "주의", "notice"), o.Notice, l(lang, "위험", "finding"), o.Finding, l(lang, "점검 불가", "n/a"), o.NA))
	w.text(9, fmt.Sprintf("%s: %s; %s: %d (%s %d)", l(lang, "최저 수집률(인증·시스템 로그)", "Lowest coverage (auth/system logs)"), permille(o.CoveragePermille),
		l(lang, "미결 이상징후", "open findings"), o.OpenFindings, l(lang, "이전 기간에서 이월", "carried over"), o.CarriedOver))

	w.heading("3. " + l(lang, "점검 기준", "Criteria applied"))
	var rows [][]string
	for _, c := range r.Checks {
		rows = append(rows, []string{c.ID, c.Title.Get(lang), c.Criterion.Get(lang), strings.Join(c.Maps, ", ")})
	}
	w.table(7.5, []float64{.07, .2, .53, .2}, []string{"ID", l(lang, "항목", "Check"), l(lang, "판단기준", "Criterion"), l(lang, "관련 기준", "Maps to")}, rows)

	w.heading("4. " + l(lang, "항목별 결과", "Results per check"))
	rows = nil
	for _, c := range r.Checks {
		note := countsText(c.Counts)
		if n := c.Note.Get(lang); n != "" {
			note = n
		}
		rows = append(rows, []string{c.ID, c.Title.Get(lang), fmt.Sprint(c.Examined), VerdictText(c.Verdict, lang), note})
	}
	w.table(7.5, []float64{.07, .25, .08, .1, .5}, []string{"ID", l(lang, "항목", "Check"), l(lang, "건수", "Count"), l(lang, "판정", "Verdict"), l(lang, "비고", "Notes")}, rows)

	w.heading("5. " + l(lang, "세부 내역", "Details"))
	for _, c := range r.Checks {
		if len(c.Items) == 0 {
			continue
		}
		w.text(9.5, fmt.Sprintf("%s %s — %s", c.ID, c.Title.Get(lang), VerdictText(c.Verdict, lang)))
		rows = nil
		for _, it := range c.Items {
			rows = append(rows, []string{SeverityText(it.Severity, lang), when(it), it.Host, it.Summary.Get(lang), refsText(it.Evidence, it.EvidenceTotal)})
		}
		w.table(7, []float64{.07, .16, .08, .44, .25}, itemHeads(lang), rows)
	}

	w.heading("6. " + l(lang, "이상징후 및 조치 내역", "Findings register"))
	if len(r.Register) == 0 {
		w.text(9, l(lang, "해당 없음.", "None."))
	} else {
		rows = nil
		for _, e := range r.Register {
			rows = append(rows, []string{fmt.Sprint(e.No), regWhen(e), e.Host, e.Rule, SeverityText(e.Severity, lang) + ": " + e.Summary.Get(lang),
				e.Disposition, e.Action, e.Owner, e.Since, StatusText(e.Status, lang)})
		}
		w.table(6.5, []float64{.04, .09, .06, .05, .36, .1, .08, .06, .07, .09}, []string{"No", l(lang, "일시", "When"), l(lang, "서버", "Host"), l(lang, "규칙", "Rule"), l(lang, "내용", "What"),
			l(lang, "판단/소명", "Judgement"), l(lang, "조치", "Action"), l(lang, "담당", "Owner"), l(lang, "최초 보고", "Since"), l(lang, "상태", "Status")}, rows)
	}

	w.heading("7. " + l(lang, "수집·보존 현황", "Collection and retention"))
	rows = nil
	for _, c := range r.Coverage {
		rows = append(rows, coverageRow(c, lang))
	}
	w.table(7, []float64{.22, .08, .2, .09, .09, .25, .07}, []string{l(lang, "로그", "Source"), l(lang, "종류", "Class"), l(lang, "수집 기간", "Collected"),
		l(lang, "건수", "Records"), l(lang, "수집률", "Coverage"), l(lang, "누락 구간", "Gaps"), l(lang, "시각 역행", "Reversals")}, rows)
	w.text(8, fmt.Sprintf("%s: %d%s", l(lang, "요구 보존 기간", "Required retention"), policyRetention(r), l(lang, "일", " days")))

	w.heading("8. " + l(lang, "한계", "Limitations"))
	for _, t := range r.Limitations {
		w.text(8.5, "• "+t.Get(lang))
	}
	w.heading(l(lang, "부록 A. 증적 발췌", "Appendix A. Evidence extracts"))
	if len(r.Extracts) == 0 {
		w.text(9, l(lang, "해당 없음.", "None."))
	}
	for _, x := range r.Extracts {
		w.text(6.5, fmt.Sprintf("%s:%d: %s", x.Source, x.Line, x.Text))
	}
	w.heading(l(lang, "부록 B. 입력 목록", "Appendix B. Inputs"))
	rows = nil
	for _, in := range r.Inputs {
		rows = append(rows, []string{in.Source, in.Kind, fmt.Sprint(in.Size), fmt.Sprint(in.Records), fmt.Sprint(in.ParseErrors), in.SHA256})
	}
	w.table(6.5, []float64{.2, .1, .09, .08, .07, .46}, []string{l(lang, "로그", "Source"), l(lang, "종류", "Kind"), l(lang, "크기", "Size"), l(lang, "레코드", "Records"), l(lang, "파싱 오류", "Errors"), "SHA-256"}, rows)
	w.heading(l(lang, "부록 C. 정책 파일", "Appendix C. Policy file") + " (" + r.Policy.Source + ")")
	w.text(6, strings.TrimSpace(string(r.Policy.Body)))
}
