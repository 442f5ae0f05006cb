// Package review runs one U-43 periodic log review: it reads the inputs,
// runs the checks, carries the findings register over from the previous
// period, and writes report.json (RFC 8785 canonical JSON, see package jcs),
// report.md, report.html, report.pdf and manifest.json into the output
// directory. Daily runs the same engine over one day for the operator's
// digest (`review daily`), which is not an audit artefact and writes nothing
// by itself.
package review

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/fsutil"
	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/report"
)

// Reader streams every record of every input to fn, input by input and in
// input order, and returns one manifest row per input (path, size, SHA-256,
// byte range, counts). When fn returns ErrStop the reader stops and returns
// what it has. The source package provides the real readers (files, the
// embedded server, CloudWatch Logs); it may be called twice (the second
// time to quote evidence lines).
type Reader func(ctx context.Context, fn func(*parse.Record) error) ([]report.Input, error)

// ErrStop, returned by a Reader's callback, ends the read early without error.
var ErrStop = errors.New("stop reading")

// Options configure one review.
type Options struct {
	Period       string // YYYY-MM
	Policy       *policy.Policy
	PolicySource string // "built-in" or the policy file name
	Read         Reader
	Mode         string // files, server, cloudwatch
	// Root is the reviewed host tree (files mode): its etc/hostname and
	// etc/machine-id go into the manifest.
	Root   string
	OutDir string
	// PrevDir is the previous period's report directory; when empty the
	// directory beside OutDir holding the previous period's report is used.
	PrevDir     string
	Lang        string // ko or en
	ToolVersion string
	ReportDate  string // printed as 보고일; empty leaves a blank
	// Progress, when set, gets one line per input and per million records.
	Progress io.Writer
	// NoPDF skips the PDF rendering.
	NoPDF bool
	// PDF renders report.html to report.pdf; nil chooses by PDFRenderer.
	PDF func(ctx context.Context, htmlPath, pdfPath string) error
	// PDFRenderer is "auto" (headless Chromium when found, else the pure-Go
	// renderer with a Hangul TTF), "chromium" or "go".
	PDFRenderer string
}

// Outcome is what a review produced.
type Outcome struct {
	Report *report.Report
	Dir    string
	// PDFErr is why report.pdf is missing, if it is; the other artefacts
	// are written regardless.
	PDFErr error
	// ReportSHA256 is the hash of report.json.
	ReportSHA256 string
}

// Artefacts in the order the manifest lists them.
var Artefacts = []string{evidence.ReportJSON, evidence.ReportMD, evidence.ReportHTML, evidence.ReportPDF}

// MaxExtracts bounds the evidence lines quoted in the appendix.
const MaxExtracts = 400

// topIPs is how many source addresses the chart shows.
const topIPs = 10

// addBatch and addQueue size the hand-over from the reader to the engine:
// records per batch and batches in flight (bounded memory).
const (
	addBatch = 1024
	addQueue = 8
)

// reviewGCPercent is the garbage collector's GOGC while a review runs. The
// checks engine keeps its event table outside the Go heap, so the live heap
// is small and the parsers' short-lived garbage would, at the default (100),
// let the heap reach twice that before a collection; 50 keeps peak memory
// lower at about the same CPU (25 cost ~15% more CPU for ~10% less memory).
const reviewGCPercent = 50

// progressEvery is how often (records) progress is printed.
const progressEvery = 1_000_000

// ParsePeriod turns "2026-11" into [2026-11-01 00:00, 2026-12-01 00:00) in loc.
func ParsePeriod(label string, loc *time.Location) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", label, loc)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("parse period %q: want YYYY-MM", label)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// PreviousLabel returns the label of the month before label.
func PreviousLabel(label string) string {
	t, err := time.Parse("2006-01", label)
	if err != nil {
		return ""
	}
	return t.AddDate(0, -1, 0).Format("2006-01")
}

type prevState struct {
	dir    string
	rep    *report.Report
	sha    string
	closed map[string]string
}

func loadPrev(opt Options) (*prevState, error) {
	dir := opt.PrevDir
	want := PreviousLabel(opt.Period)
	if dir == "" {
		dir = evidence.FindPeriodDir(filepath.Dir(filepath.Clean(opt.OutDir)), want, opt.OutDir)
		if dir == "" {
			return nil, nil
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, evidence.ReportJSON))
	if err != nil {
		return nil, fmt.Errorf("read previous report: %w", err)
	}
	rep, err := report.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	closed, err := evidence.ClosedFindings(dir)
	if err != nil {
		return nil, err
	}
	return &prevState{dir: dir, rep: rep, sha: evidence.HashBytes(b), closed: closed}, nil
}

// Run performs the review and writes the artefacts.
func Run(ctx context.Context, opt Options) (*Outcome, error) {
	if opt.Policy == nil {
		opt.Policy = policy.Default()
	}
	if opt.Lang == "" {
		opt.Lang = "ko"
	}
	if opt.Lang != "ko" && opt.Lang != "en" {
		return nil, fmt.Errorf("review: lang %q is not ko or en", opt.Lang)
	}
	if opt.OutDir == "" {
		return nil, errors.New("review: an output directory is required")
	}
	if opt.Read == nil {
		return nil, errors.New("review: no reader")
	}
	loc := opt.Policy.Location()
	start, end, err := ParsePeriod(opt.Period, loc)
	if err != nil {
		return nil, err
	}
	prev, err := loadPrev(opt)
	if err != nil {
		return nil, err
	}
	defer debug.SetGCPercent(debug.SetGCPercent(reviewGCPercent))
	eng := check.New(opt.Policy, start, end)
	defer eng.Release()
	if prev != nil && prev.rep.Baseline != nil {
		eng.SetBaseline(prev.rep.Baseline)
	}
	// The checks engine runs beside the reader: records are copied into
	// batches and handed to one consumer goroutine, so parsing and judging
	// use two cores while the engine still sees the records in input order.
	// (The reader reuses its *Record; the strings it points to stay valid.)
	batches := make(chan []parse.Record, addQueue)
	free := make(chan []parse.Record, addQueue+2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			for i := range b {
				eng.Add(&b[i])
			}
			free <- b[:0]
		}
	}()
	var n int64
	last := ""
	cur := make([]parse.Record, 0, addBatch)
	inputs, err := opt.Read(ctx, func(r *parse.Record) error {
		if r.Source != last {
			last = r.Source
			logf(opt.Progress, "review: reading %s", last)
		}
		cur = append(cur, *r)
		if len(cur) == addBatch {
			batches <- cur
			select {
			case cur = <-free:
			default:
				cur = make([]parse.Record, 0, addBatch)
			}
		}
		n++
		if n%progressEvery == 0 {
			logf(opt.Progress, "review: %d records", n)
		}
		return nil
	})
	batches <- cur
	close(batches)
	<-done
	if err != nil && !errors.Is(err, ErrStop) {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	logf(opt.Progress, "review: %d records from %d inputs", n, len(inputs))
	addInputs(eng, inputs)
	slices.SortFunc(inputs, func(a, b report.Input) int { return cmp.Compare(a.Source, b.Source) })
	var configs []check.ConfigFile
	if opt.Root != "" {
		if configs, err = scanConfigs(opt.Root, opt.Policy.IntegrityFiles); err != nil {
			return nil, err
		}
		// A previous report without configuration files (a review of no
		// --root, or by an older version) is no reference for changes.
		var prevConfigs []check.ConfigFile
		if prev != nil {
			prevConfigs = prev.rep.Configs
		}
		eng.SetConfigs(configs, prevConfigs, len(prevConfigs) > 0)
	}
	results := eng.Results()
	cov := eng.Coverage()

	rep := &report.Report{
		Schema:     report.Schema,
		ReportDate: opt.ReportDate,
		Period: report.Period{Label: opt.Period, Timezone: opt.Policy.Timezone, Start: start, End: end,
			StartUTC: start.UTC(), EndUTC: end.UTC()},
		Tool: report.Tool{Name: "logwarden", Version: opt.ToolVersion, Ruleset: report.Ruleset},
		Policy: report.PolicyRef{Name: opt.Policy.Name, SHA256: opt.Policy.SHA256(), Source: orDefault(opt.PolicySource, "built-in"),
			Body: json.RawMessage(opt.Policy.JSON())},
		Scope:       report.Scope{Hosts: eng.Hosts(), Sources: sourceNames(cov), Mode: orDefault(opt.Mode, "files")},
		Checks:      results,
		Coverage:    cov,
		Inputs:      inputs,
		Limitations: report.Limitations(),
		Baseline:    eng.NewBaseline(),
		KindCounts:  eng.KindCounts(),
		Configs:     configs,
	}
	rep.DocumentNo = documentNo(opt.Period, rep.Scope.Hosts)
	rep.Charts = charts(eng, cov)
	rep.Register = register(results, prev, opt.Period)
	rep.Overall = overall(results, cov, rep.Register)
	if prev != nil {
		rep.Previous = &report.Previous{Period: prev.rep.Period.Label, ReportSHA256: prev.sha, Dir: filepath.Base(filepath.Clean(prev.dir))}
	}
	rep.Extracts, err = extracts(ctx, opt.Read, inputs, results)
	if err != nil {
		return nil, err
	}
	return write(ctx, opt, rep, cov)
}

// addInputs tells the engine about every input read (so that a silent log
// counts) and turns the readers' tamper tells and missing rotations into
// R10 issues.
func addInputs(eng *check.Engine, inputs []report.Input) {
	for _, in := range inputs {
		if in.Note != "" {
			continue // skipped by the reader (not a log); listed in the manifest
		}
		eng.AddSource(in.Source)
		eng.SetClass(in.Source, in.Class)
		if m := in.MissingRotations; len(m) > 0 {
			eng.AddIssue(check.Issue{Source: in.Source, Severity: check.SevFinding, Summary: check.Text{
				Ko: fmt.Sprintf("%s: 순환(rotation) 파일 누락: %s", in.Source, strings.Join(m, ", ")),
				En: fmt.Sprintf("%s: rotated files missing from the chain: %s", in.Source, strings.Join(m, ", ")),
			}})
		}
		if t := in.Tamper; t != nil {
			sev := check.SevNotice
			if t.Empty > 0 || t.TrailingBytes > 0 {
				sev = check.SevFinding
			}
			eng.AddIssue(check.Issue{Source: in.Source, Severity: sev, Summary: check.Text{
				Ko: fmt.Sprintf("%s: 0으로 지워진 레코드 %d개, 불완전한 끝 %d바이트, 시각 역행 %d회, 비정상 레코드 %d개", in.Source, t.Empty, t.TrailingBytes, t.Backwards, t.Insane),
				En: fmt.Sprintf("%s: %d zeroed records, %d trailing bytes, %d time reversals, %d insane records", in.Source, t.Empty, t.TrailingBytes, t.Backwards, t.Insane),
			}})
		}
	}
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", a...)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sourceNames(cov []check.SourceCoverage) []string {
	out := make([]string, 0, len(cov))
	for _, c := range cov {
		out = append(out, c.Source)
	}
	return out
}

func documentNo(period string, hosts []string) string {
	tag := "ALL"
	if len(hosts) == 1 {
		tag = strings.ToUpper(hosts[0])
	}
	return "LR-" + period + "-" + tag
}

func charts(eng *check.Engine, cov []check.SourceCoverage) report.Charts {
	days := eng.Days()
	c := report.Charts{EventsPerDay: make([]report.DayCount, len(days))}
	for i, d := range days {
		c.EventsPerDay[i].Day = d
		for _, s := range cov {
			if i < len(s.PerDay) {
				c.EventsPerDay[i].Count += s.PerDay[i]
			}
		}
	}
	perHour, top := eng.FailureChart(topIPs)
	c.FailuresPerHour = perHour
	c.TopSourceIPs = make([]report.IPCount, len(top))
	for i, t := range top {
		c.TopSourceIPs[i] = report.IPCount{IP: t.IP, Failures: t.Failures}
	}
	return c
}

// register builds the findings register: this period's notice and finding
// items, then open entries carried from the previous register.
func register(results []check.Result, prev *prevState, period string) []report.Entry {
	prevOpen := map[string]report.Entry{}
	var prevOrder []string
	if prev != nil {
		for _, e := range prev.rep.Register {
			if e.Status == "closed" {
				continue
			}
			prevOpen[e.Key] = e
			prevOrder = append(prevOrder, e.Key)
		}
	}
	var out []report.Entry
	seen := map[string]bool{}
	for _, r := range results {
		for _, it := range r.Items {
			if it.Severity == check.SevInfo || seen[it.Key] {
				continue
			}
			seen[it.Key] = true
			e := report.Entry{Key: it.Key, Rule: r.ID, Severity: it.Severity, Host: it.Host, Subject: it.Subject,
				First: it.First, Last: it.Last, Count: it.Count, Summary: it.Summary, Evidence: it.Evidence, Since: period, Status: "open"}
			if p, ok := prevOpen[it.Key]; ok {
				if _, closed := prev.closed[it.Key]; !closed {
					e.Since = p.Since
				}
			}
			out = append(out, e)
		}
	}
	for _, k := range prevOrder {
		if seen[k] {
			continue
		}
		p := prevOpen[k]
		if by, ok := prev.closed[k]; ok {
			p.Status, p.ClosedBy = "closed", by
		} else {
			p.Status = "carried"
		}
		p.Evidence = []check.Ref{} // refs point into the previous period's inputs, listed in its report
		out = append(out, p)
	}
	for i := range out {
		out[i].No = i + 1
		if out[i].Evidence == nil {
			out[i].Evidence = []check.Ref{}
		}
	}
	if out == nil {
		out = []report.Entry{}
	}
	return out
}

func overall(results []check.Result, cov []check.SourceCoverage, reg []report.Entry) report.Overall {
	o := report.Overall{Verdict: check.Pass, CoveragePermille: 1000}
	for _, r := range results {
		switch r.Verdict {
		case check.Pass:
			o.Pass++
		case check.Notice:
			o.Notice++
			if o.Verdict == check.Pass {
				o.Verdict = check.Notice
			}
		case check.Finding:
			o.Finding++
			o.Verdict = check.Finding
		default:
			o.NA++
		}
	}
	seen := false
	for _, c := range cov {
		if c.Class == "auth" || c.Class == "syslog" || c.Class == "journal" {
			seen = true
			o.CoveragePermille = min(o.CoveragePermille, c.CoveragePermille)
		}
	}
	if !seen {
		o.CoveragePermille = 0
	}
	for _, e := range reg {
		switch e.Status {
		case "open":
			o.OpenFindings++
		case "carried":
			o.OpenFindings++
			o.CarriedOver++
		}
	}
	if o.CarriedOver > 0 && o.Verdict == check.Pass {
		o.Verdict = check.Notice
	}
	return o
}

// extracts quotes the lines findings point at: straight from the file at
// the recorded byte offset for plain text files, and by a second read of
// the inputs for the rest (compressed, binary, CloudWatch).
func extracts(ctx context.Context, read Reader, inputs []report.Input, results []check.Result) ([]report.Extract, error) {
	byName := map[string]report.Input{}
	for _, in := range inputs {
		byName[in.Source] = in
	}
	want := map[string]map[int64]bool{}
	direct := map[string][]check.Ref{}
	n, rest := 0, 0
	for _, r := range results {
		for _, it := range r.Items {
			if it.Severity == check.SevInfo {
				continue
			}
			for _, ref := range it.Evidence {
				if n >= MaxExtracts {
					break
				}
				if want[ref.Source] == nil {
					want[ref.Source] = map[int64]bool{}
				}
				if want[ref.Source][ref.Line] {
					continue
				}
				n++
				if in, ok := byName[ref.Source]; ok && ref.Offset >= 0 && seekable(in) {
					direct[ref.Source] = append(direct[ref.Source], ref)
					want[ref.Source][ref.Line] = false
					continue
				}
				want[ref.Source][ref.Line] = true
				rest++
			}
		}
	}
	out := []report.Extract{}
	for src, refs := range direct {
		got, err := readAtOffsets(byName[src].Path, refs)
		if err != nil {
			return nil, fmt.Errorf("quote evidence from %s: %w", src, err)
		}
		out = append(out, got...)
	}
	if rest > 0 {
		left := rest
		_, err := read(ctx, func(r *parse.Record) error {
			if lines := want[r.Source]; lines[r.Line] {
				out = append(out, report.Extract{Source: r.Source, Line: r.Line, Text: r.Raw})
				delete(lines, r.Line)
				if left--; left == 0 {
					return ErrStop
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrStop) {
			return nil, fmt.Errorf("quote evidence: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b report.Extract) int {
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return out, nil
}

// seekable reports whether an input's lines can be read back at their offsets:
// a plain (uncompressed) text file.
func seekable(in report.Input) bool {
	if in.Path == "" || strings.Contains(in.Kind, "gzip") {
		return false
	}
	switch in.Class {
	case "auth", "syslog", "cron", "audit", "sulog", "xferlog", "journal":
		return true
	}
	return false
}

// maxQuote bounds one quoted line (parse keeps at most this much in Raw).
const maxQuote = parse.MaxLine

func readAtOffsets(path string, refs []check.Ref) ([]report.Extract, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var out []report.Extract
	for _, ref := range refs {
		var line []byte
		for off := ref.Offset; len(line) < maxQuote; {
			k, err := f.ReadAt(buf, off)
			if i := bytes.IndexByte(buf[:k], '\n'); i >= 0 {
				line = append(line, buf[:i]...)
				break
			}
			line = append(line, buf[:k]...)
			off += int64(k)
			if err != nil {
				break
			}
		}
		if len(line) > maxQuote {
			line = line[:maxQuote]
		}
		out = append(out, report.Extract{Source: ref.Source, Line: ref.Line, Text: strings.TrimSuffix(string(line), "\r")})
	}
	return out, nil
}

func write(ctx context.Context, opt Options, rep *report.Report, cov []check.SourceCoverage) (*Outcome, error) {
	if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output dir: %w", err)
	}
	js, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{evidence.ReportJSON, js},
		{evidence.ReportMD, rep.Markdown(opt.Lang)},
		{evidence.ReportHTML, rep.HTML(opt.Lang)},
	}
	for _, f := range files {
		if err := fsutil.WriteFileAtomic(filepath.Join(opt.OutDir, f.name), f.data, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	out := &Outcome{Report: rep, Dir: opt.OutDir, ReportSHA256: evidence.HashBytes(js)}
	pdfPath := filepath.Join(opt.OutDir, evidence.ReportPDF)
	_ = os.Remove(pdfPath) // never leave a PDF of an earlier run beside new artefacts
	if opt.NoPDF {
		out.PDFErr = errors.New("pdf disabled")
	} else {
		logf(opt.Progress, "review: printing %s", evidence.ReportPDF)
		out.PDFErr = renderPDF(ctx, opt, rep, pdfPath)
		if out.PDFErr == nil {
			if err := syncFile(pdfPath); err != nil {
				return nil, err
			}
		}
	}
	m := &evidence.Manifest{
		DocumentNo: rep.DocumentNo, Period: rep.Period, Tool: rep.Tool, PolicySHA256: rep.Policy.SHA256,
		Hosts: rep.Scope.Hosts, Inputs: rep.Inputs, Gaps: []evidence.Gap{},
	}
	if rep.Previous != nil {
		m.PrevReportSHA256, m.PrevPeriod = rep.Previous.ReportSHA256, rep.Previous.Period
	}
	if opt.Root != "" {
		m.HostIdentity = &evidence.HostIdentity{Root: opt.Root, Hostname: firstLine(filepath.Join(opt.Root, "etc", "hostname")),
			MachineID: firstLine(filepath.Join(opt.Root, "etc", "machine-id"))}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				m.BuildCommit = s.Value
			}
		}
	}
	for _, c := range cov {
		for _, g := range c.Gaps {
			m.Gaps = append(m.Gaps, evidence.Gap{Source: c.Source, From: g.From, To: g.To, Hours: g.Hours})
		}
	}
	if out.PDFErr != nil {
		m.Notes = append(m.Notes, "report.pdf not written: "+out.PDFErr.Error())
	}
	if err := evidence.WriteManifest(opt.OutDir, m, Artefacts); err != nil {
		return nil, err
	}
	return out, nil
}

func renderPDF(ctx context.Context, opt Options, rep *report.Report, pdfPath string) error {
	htmlPath := filepath.Join(opt.OutDir, evidence.ReportHTML)
	if opt.PDF != nil {
		return opt.PDF(ctx, htmlPath, pdfPath)
	}
	goPDF := func() error {
		font, err := report.FindFont(opt.Lang)
		if err != nil {
			return err
		}
		return rep.WritePDF(opt.Lang, font, pdfPath)
	}
	switch opt.PDFRenderer {
	case "go":
		return goPDF()
	case "chromium":
		return report.PrintPDF(ctx, htmlPath, pdfPath)
	case "", "auto":
		err := report.PrintPDF(ctx, htmlPath, pdfPath)
		if errors.Is(err, report.ErrNoPDFRenderer) {
			if gerr := goPDF(); gerr != nil {
				return fmt.Errorf("%w; pure-Go fallback: %w", err, gerr)
			}
			return nil
		}
		return err
	}
	return fmt.Errorf("review: pdf renderer %q is not auto, chromium or go", opt.PDFRenderer)
}

// firstLine returns the first line of a small file, or "".
func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > 4096 {
		return ""
	}
	l, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(l)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return fsutil.SyncDir(filepath.Dir(path))
}
