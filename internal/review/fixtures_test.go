package review

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/source"
)

// TestRun_FixtureTrees reviews the host trees under testdata (RHEL in KST,
// Debian in UTC) end to end through the real file source and parsers, twice,
// and checks the verdicts and that report.json is byte-identical.
func TestRun_FixtureTrees(t *testing.T) {
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		root     string
		hostZone *time.Location
		want     map[string]check.Verdict
	}{
		{"testdata/rhel-kst", kst, map[string]check.Verdict{
			"R05": check.Finding, // remote root login
			"R07": check.Finding, // user NOT in sudoers
			"R08": check.Finding, // UID 0 and wheel
			"R10": check.Finding, // the system log goes silent after rsyslog stops
			"R12": check.NA,      // no approved networks in the default policy
			"R18": check.Finding, // an audit rule was removed (CONFIG_CHANGE)
			"R19": check.Notice,  // anonymous download, upload and delete in xferlog
			"R20": check.Notice,  // an OOM kill and eth0 in promiscuous mode
		}},
		{"testdata/debian-utc", time.UTC, map[string]check.Verdict{
			"R12": check.NA,
			"R18": check.NA, // no audit.log
			"R19": check.NA, // no xferlog
			"R20": check.Pass,
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.root), func(t *testing.T) {
			if _, err := os.Stat(tt.root); err != nil {
				t.Skipf("fixture tree missing: %v", err)
			}
			var reports [][]byte
			for i := 0; i < 2; i++ {
				dir := filepath.Join(t.TempDir(), "2026-11")
				start, end, _ := ParsePeriod("2026-11", kst)
				out, err := Run(context.Background(), Options{
					Period: "2026-11", Policy: policy.Default(), OutDir: dir, Lang: "ko", ToolVersion: "test", NoPDF: true,
					Read: FilesReader(source.FileOptions{Root: tt.root, Start: start, End: end, Zone: tt.hostZone}),
				})
				if err != nil {
					t.Fatal(err)
				}
				got := verdicts(out.Report)
				for id, v := range tt.want {
					if got[id] != v {
						t.Errorf("%s verdict = %s, want %s", id, got[id], v)
					}
				}
				if len(out.Report.Inputs) == 0 || out.Report.Inputs[0].SHA256 == "" {
					t.Errorf("inputs lack hashes: %+v", out.Report.Inputs)
				}
				if len(out.Report.Extracts) == 0 {
					t.Errorf("no evidence extracts")
				}
				for _, x := range out.Report.Extracts {
					if strings.HasSuffix(x.Source, ".gz") || !strings.Contains(x.Source, "log") {
						continue
					}
					b, err := os.ReadFile(filepath.Join(tt.root, x.Source))
					if err != nil {
						continue // binary or journal inputs are quoted as their JSON lines
					}
					lines := strings.Split(string(b), "\n")
					if x.Line < 1 || int(x.Line) > len(lines) {
						t.Errorf("extract %s:%d beyond the file", x.Source, x.Line)
						continue
					}
					if got := lines[x.Line-1]; got != x.Text && !strings.HasPrefix(x.Text, "{") {
						t.Errorf("extract %s:%d = %q, file line is %q", x.Source, x.Line, x.Text, got)
					}
				}
				if res := evidence.Verify(dir, evidence.VerifyOptions{}); !res.OK() {
					t.Errorf("verify: %v", res.Failures())
				}
				b, err := os.ReadFile(filepath.Join(dir, evidence.ReportJSON))
				if err != nil {
					t.Fatal(err)
				}
				reports = append(reports, b)
			}
			if !bytes.Equal(reports[0], reports[1]) {
				t.Errorf("report.json differs between two runs over the same tree")
			}
		})
	}
}
