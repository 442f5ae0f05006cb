package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newDir writes a minimal report directory: report.json and a manifest.
func newDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	rep := `{"period":{"label":"2026-11"},"schema":"logwarden.review.report/v1"}` // RFC 8785 form
	if err := os.WriteFile(filepath.Join(dir, ReportJSON), []byte(rep), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ReportMD), []byte("# report\n"), 0o644)
	if err := WriteManifest(dir, &Manifest{}, []string{ReportJSON, ReportMD, ReportPDF}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWriteManifest_SkipsMissingAndHashes(t *testing.T) {
	dir := newDir(t)
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Artefacts) != 2 || m.Artefacts[0].Name != ReportJSON || m.Artefacts[1].Name != ReportMD {
		t.Fatalf("artefacts = %+v (report.pdf absent must be left out)", m.Artefacts)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ReportJSON))
	if m.ReportSHA256 != HashBytes(b) {
		t.Fatalf("report_sha256 %s != %s", m.ReportSHA256, HashBytes(b))
	}
	if res := Verify(dir, VerifyOptions{}); !res.OK() {
		t.Fatalf("verify: %v", res.Failures())
	}
}

func TestAck(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   AckInput
		want string // error substring; "" = success
	}{
		{"ok korean role", AckInput{Role: "검토", Name: "김검토"}, ""},
		{"ok english role", AckInput{Role: "approved", Name: "Park"}, ""},
		{"unknown role", AckInput{Role: "감사", Name: "x"}, "is not one of 담당, 검토, 승인"},
		{"no name", AckInput{Role: "승인", Name: "  "}, "--name is required"},
		{"bad finding status", AckInput{Role: "검토", Name: "k", Findings: []Disposition{{Key: "R01|h|1.2.3.4", Status: "whatever"}}}, "status \"whatever\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newDir(t)
			s, err := Ack(dir, tt.in, at)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Ack error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Seq != 1 || s.EntrySHA256 == "" || s.PrevEntrySHA256 != "" || s.Decision != "" {
				t.Fatalf("sign-off = %+v", s)
			}
		})
	}
}

func TestAck_ChainAndClosedFindings(t *testing.T) {
	dir := newDir(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a, err := Ack(dir, AckInput{Role: "담당", Name: "이", Findings: []Disposition{{Key: "k1", Status: "fixed"}, {Key: "k2", Status: "in-progress"}}}, at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Ack(dir, AckInput{Role: "검토", Name: "김", Findings: []Disposition{{Key: "k2", Status: "정상확인"}, {Key: "k1", Status: "조치중"}}}, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if b.Seq != 2 || b.PrevEntrySHA256 != a.EntrySHA256 {
		t.Fatalf("second entry does not chain: %+v", b)
	}
	closed, err := ClosedFindings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := closed["k1"]; ok {
		t.Errorf("k1 was reopened (조치중) but counts as closed")
	}
	if !strings.Contains(closed["k2"], "검토 김 (정상확인)") {
		t.Errorf("k2 closed by = %q", closed["k2"])
	}
	if res := Verify(dir, VerifyOptions{}); !res.OK() {
		t.Fatalf("verify: %v", res.Failures())
	}
}

func TestVerify_MissingManifest(t *testing.T) {
	res := Verify(t.TempDir(), VerifyOptions{})
	if res.OK() || !strings.Contains(strings.Join(res.Failures(), ""), ManifestJSON) {
		t.Fatalf("empty dir verified: %+v", res)
	}
}
