package review

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/report"
	"github.com/logwarden/logwarden/internal/testutil"
)

// TestRender_ChromiumPDF prints the Korean report with headless Chromium,
// turns the PDF into PNG pages with pdftoppm, and opens the HTML in
// Chromium checking that the page logs nothing to the console.
func TestRender_ChromiumPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; skipped with -short")
	}
	chromium := testutil.Peer(t, "chromium", "Debian package chromium")
	pdftoppm := testutil.Peer(t, "pdftoppm", "Debian package poppler-utils")
	t.Setenv("LOGWARDEN_CHROMIUM", chromium)
	dir := t.TempDir()
	out, err := Run(context.Background(), Options{
		Period: "2026-11", Policy: testPolicy(), Read: fakeReader(month(2026, time.November, true)), OutDir: dir, Lang: "ko", ToolVersion: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.PDFErr != nil {
		t.Fatalf("pdf: %v", out.PDFErr)
	}
	pdf := filepath.Join(dir, evidence.ReportPDF)
	b, err := os.ReadFile(pdf)
	if err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("report.pdf is not a PDF (%v)", err)
	}
	if res := evidence.Verify(dir, evidence.VerifyOptions{}); !res.OK() {
		t.Fatalf("verify with a real PDF: %v", res.Failures())
	}
	pngDir := os.Getenv("LOGWARDEN_REVIEW_PNG_DIR") // keep the pages to look at them
	if pngDir == "" {
		pngDir = t.TempDir()
	}
	cmd := exec.Command(pdftoppm, "-png", "-r", "60", pdf, filepath.Join(pngDir, "page"))
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, o)
	}
	pages, _ := filepath.Glob(filepath.Join(pngDir, "page*.png"))
	if len(pages) < 2 {
		t.Fatalf("pdftoppm made %d pages, want several", len(pages))
	}
	for _, p := range pages {
		if st, err := os.Stat(p); err != nil || st.Size() < 2000 {
			t.Errorf("page %s looks empty", p)
		}
	}
	// pdftotext, when present, shows the Korean text made it into the PDF.
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		txt, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		for _, want := range []string{"서버 로그 정기 검토 결과 보고서", "이상징후 및 조치 내역", "198.51.100.7"} {
			if !strings.Contains(string(txt), want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
	}

	html, _ := os.ReadFile(filepath.Join(dir, evidence.ReportHTML))
	if regexp.MustCompile(`(?i)(src|href)\s*=|<script|@import|url\(`).Match(html) {
		t.Errorf("report.html refers to external resources or has script")
	}
	udd := t.TempDir()
	args := append(report.ChromiumArgs(udd), "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+filepath.Join(dir, evidence.ReportHTML))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, chromium, args...)
	var stderr strings.Builder
	c.Stderr = &stderr
	dom, err := c.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(string(dom), "서버 로그 정기 검토 결과 보고서") || !strings.Contains(string(dom), "<svg") {
		t.Errorf("dumped DOM lacks the title or the charts")
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("browser console: %s", line)
		}
	}
}

// TestRender_GoPDF renders the PDF without a browser (the fallback) and
// checks the pages with pdftoppm and the Korean text with pdftotext.
func TestRender_GoPDF(t *testing.T) {
	pdftoppm := testutil.Peer(t, "pdftoppm", "Debian package poppler-utils")
	if _, err := report.FindFont("ko"); err != nil {
		testutil.MissingPeer(t, err.Error())
	}
	dir := t.TempDir()
	out, err := Run(context.Background(), Options{
		Period: "2026-11", Policy: testPolicy(), Read: fakeReader(month(2026, time.November, true)), OutDir: dir, Lang: "ko",
		ToolVersion: "test", PDFRenderer: "go",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.PDFErr != nil {
		t.Fatalf("pdf: %v", out.PDFErr)
	}
	pdf := filepath.Join(dir, evidence.ReportPDF)
	pngDir := os.Getenv("LOGWARDEN_REVIEW_PNG_DIR")
	if pngDir == "" {
		pngDir = t.TempDir()
	}
	if o, err := exec.Command(pdftoppm, "-png", "-r", "60", pdf, filepath.Join(pngDir, "gopdf")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, o)
	}
	pages, _ := filepath.Glob(filepath.Join(pngDir, "gopdf*.png"))
	if len(pages) < 2 {
		t.Fatalf("pdftoppm made %d pages", len(pages))
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		txt, err := exec.Command(pdftotext, pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		for _, want := range []string{"서버 로그 정기 검토 결과 보고서", "이상징후 및 조치 내역", "198.51.100.7"} {
			if !strings.Contains(string(txt), want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
	}
	// Deterministic: the same report gives the same PDF bytes.
	again := filepath.Join(t.TempDir(), "again.pdf")
	if err := out.Report.WritePDF("ko", mustFont(t), again); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(pdf)
	b, _ := os.ReadFile(again)
	if string(a) != string(b) {
		t.Errorf("pure-Go PDF differs between two renderings")
	}
}

func mustFont(t *testing.T) string {
	f, err := report.FindFont("ko")
	if err != nil {
		t.Fatal(err)
	}
	return f
}
