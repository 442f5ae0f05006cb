package review

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/source"
)

// legacyDir holds two months reviewed (2026-11 also signed twice) by the
// logwarden that wrote report.json as indented JSON, before RFC 8785.
const legacyDir = "testdata/legacy-v1"

// copyTree copies the files of src (one level of subdirectories) into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerify_LegacyIndentedReports(t *testing.T) {
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	parent := t.TempDir()
	copyTree(t, legacyDir, parent)
	old := filepath.Join(parent, "2026-11")
	res := evidence.Verify(old, evidence.VerifyOptions{})
	if !res.OK() {
		t.Fatalf("legacy report no longer verifies: %v", res.Failures())
	}
	var sawLegacy, sawSignoffs bool
	for _, c := range res.Checks {
		sawLegacy = sawLegacy || (c.Name == evidence.ReportJSON && strings.Contains(c.Msg, "earlier logwarden"))
		sawSignoffs = sawSignoffs || c.Name == evidence.SignoffsJSON+"[2]"
	}
	if !sawLegacy || !sawSignoffs {
		t.Errorf("legacy report verified without the legacy note or both sign-offs: %+v", res.Checks)
	}

	// A new, canonical report chains to the legacy one by its file hash.
	b, err := os.ReadFile(filepath.Join(old, evidence.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	dec := filepath.Join(parent, "2026-12")
	start, end, _ := ParsePeriod("2026-12", kst)
	out, err := Run(context.Background(), Options{
		Period: "2026-12", Policy: policy.Default(), OutDir: dec, Lang: "ko", ToolVersion: "test", NoPDF: true,
		Read: FilesReader(source.FileOptions{Root: "testdata/rhel-kst", Start: start, End: end, Zone: kst}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Report.Previous == nil || out.Report.Previous.ReportSHA256 != evidence.HashBytes(b) {
		t.Fatalf("2026-12 chains %+v, want the legacy 2026-11 sha256 %s", out.Report.Previous, evidence.HashBytes(b))
	}
	if res := evidence.Verify(dec, evidence.VerifyOptions{}); !res.OK() {
		t.Fatalf("new report chained to a legacy one does not verify: %v", res.Failures())
	}

	// Editing the legacy report is still caught by the chain and the sign-offs.
	edited := strings.Replace(string(b), `"label": "2026-11"`, `"label": "2026-11" `, 1)
	if err := os.WriteFile(filepath.Join(old, evidence.ReportJSON), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := evidence.Verify(dec, evidence.VerifyOptions{}); res.OK() {
		t.Errorf("chain to an edited legacy report still verifies")
	}
	if res := evidence.Verify(old, evidence.VerifyOptions{}); res.OK() {
		t.Errorf("edited legacy report still verifies")
	}
}

func TestVerify_RefusesNonCanonicalReport(t *testing.T) {
	dir := t.TempDir()
	runMonth(t, dir, "2026-11", month(2026, time.November, false), "en")
	b, err := os.ReadFile(filepath.Join(dir, evidence.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	// Same content, members reordered: hashes rewritten consistently, so
	// only the canonical-form check can tell.
	if !strings.HasPrefix(string(b), `{"baseline":`) {
		t.Fatalf("report.json does not start with its first sorted member: %.40s", b)
	}
	var m evidence.Manifest
	alt := `{"schema":"logwarden.review.report/v1",` + string(b[1:])
	alt = strings.Replace(alt, `,"schema":"logwarden.review.report/v1"`, "", 1)
	if err := os.WriteFile(filepath.Join(dir, evidence.ReportJSON), []byte(alt), 0o644); err != nil {
		t.Fatal(err)
	}
	mm, err := evidence.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	m = *mm
	if err := evidence.WriteManifest(dir, &m, Artefacts); err != nil {
		t.Fatal(err)
	}
	res := evidence.Verify(dir, evidence.VerifyOptions{})
	if res.OK() {
		t.Fatal("a non-canonical report.json verifies")
	}
	if f := strings.Join(res.Failures(), "; "); !strings.Contains(f, "RFC 8785") {
		t.Errorf("failure does not name the canonical form: %s", f)
	}
}
