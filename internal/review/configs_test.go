package review

import (
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

// TestRun_ConfigIntegrity reviews a host tree for October and November with
// configuration files changed, removed and loosened in between, and checks
// that R21 reports each against the October report (and that the report
// names files relative to the root).
func TestRun_ConfigIntegrity(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	secure, err := os.ReadFile(filepath.Join("testdata", "rhel-kst", "var", "log", "secure"))
	if err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	write("var/log/secure", string(secure), 0o600)
	write("etc/rsyslog.conf", "*.info /var/log/messages\n", 0o640)
	write("etc/ssh/sshd_config", "PermitRootLogin no\n", 0o600)
	write("etc/sudoers.d/ops", "%ops ALL=(ALL) ALL\n", 0o440)
	write("etc/pam.d/sshd", "auth include password-auth\n", 0o644)

	base := t.TempDir()
	kst, _ := time.LoadLocation("Asia/Seoul")
	review := func(period string) *Outcome {
		t.Helper()
		start, end, _ := ParsePeriod(period, kst)
		out, err := Run(context.Background(), Options{
			Period: period, Policy: policy.Default(), Root: root, OutDir: filepath.Join(base, period), ToolVersion: "test", NoPDF: true,
			Read: FilesReader(source.FileOptions{Root: root, Start: start, End: end, Zone: kst}),
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	r21 := func(o *Outcome) check.Result {
		for _, c := range o.Report.Checks {
			if c.ID == "R21" {
				return c
			}
		}
		t.Fatal("no R21 in the report")
		return check.Result{}
	}

	oct := review("2026-10")
	if got := len(oct.Report.Configs); got != 4 {
		t.Fatalf("October lists %d configuration files, want 4: %+v", got, oct.Report.Configs)
	}
	for _, it := range r21(oct).Items {
		if strings.Contains(it.Key, "changed:") || strings.Contains(it.Key, "removed:") {
			t.Errorf("first period reports a change: %s", it.Key)
		}
	}

	write("etc/ssh/sshd_config", "PermitRootLogin yes\n", 0o600)
	write("etc/rsyslog.conf", "*.info /var/log/messages\n", 0o666)
	if err := os.Remove(filepath.Join(root, "etc", "sudoers.d", "ops")); err != nil {
		t.Fatal(err)
	}
	nov := review("2026-11")
	keys := map[string]check.Severity{}
	for _, it := range r21(nov).Items {
		keys[it.Key] = it.Severity
	}
	for _, want := range []string{"R21||changed:etc/ssh/sshd_config", "R21||removed:etc/sudoers.d/ops", "R21||writable:etc/rsyslog.conf"} {
		if keys[want] != check.SevNotice {
			t.Errorf("%s: severity %q, want notice; items %v", want, keys[want], keys)
		}
	}
	if _, ok := keys["R21||changed:etc/pam.d/sshd"]; ok {
		t.Errorf("unchanged etc/pam.d/sshd reported as changed")
	}
	if v := r21(nov).Verdict; v != check.Notice {
		t.Errorf("R21 verdict = %s, want notice", v)
	}
	for _, c := range nov.Report.Configs {
		if filepath.IsAbs(c.Path) || strings.Contains(c.Path, root) || c.SHA256 == "" {
			t.Errorf("config entry %+v: want a path relative to the root and a hash", c)
		}
	}
	b, err := os.ReadFile(filepath.Join(nov.Dir, evidence.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"configs":[`) {
		t.Errorf("report.json has no configs section for the next period")
	}
}
