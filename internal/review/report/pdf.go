package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// pdfTimeout bounds one headless Chromium print.
const pdfTimeout = 90 * time.Second

// ErrNoPDFRenderer means no headless browser was found to print the PDF.
var ErrNoPDFRenderer = errors.New("no PDF renderer: install chromium (Debian package chromium) to get report.pdf")

// chromiumNames are the browser commands tried, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindChromium returns the path of a headless-capable Chromium, or "".
// LOGWARDEN_CHROMIUM overrides the search.
func FindChromium() string {
	if p := os.Getenv("LOGWARDEN_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// ChromiumArgs are the flags for a quiet, offline headless run.
func ChromiumArgs(userDataDir string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-quic", "--disable-extensions",
		"--user-data-dir=" + userDataDir,
	}
}

// PrintPDF prints the HTML file htmlPath to pdfPath with headless Chromium.
// The HTML is self-contained, so the browser needs no network.
func PrintPDF(ctx context.Context, htmlPath, pdfPath string) error {
	bin := FindChromium()
	if bin == "" {
		return ErrNoPDFRenderer
	}
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return fmt.Errorf("resolve html path: %w", err)
	}
	udd, err := os.MkdirTemp("", "logwarden-chromium-")
	if err != nil {
		return fmt.Errorf("create browser profile: %w", err)
	}
	defer os.RemoveAll(udd)
	tmp := pdfPath + ".tmp"
	args := append(ChromiumArgs(udd), "--no-pdf-header-footer", "--print-to-pdf="+tmp, "file://"+abs)
	ctx, cancel := context.WithTimeout(ctx, pdfTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("print pdf with %s: %w: %s", bin, err, tail(out, 400))
	}
	st, err := os.Stat(tmp)
	if err != nil || st.Size() == 0 {
		os.Remove(tmp)
		return fmt.Errorf("print pdf with %s: no output: %s", bin, tail(out, 400))
	}
	if err := os.Rename(tmp, pdfPath); err != nil {
		return fmt.Errorf("rename pdf: %w", err)
	}
	return nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
