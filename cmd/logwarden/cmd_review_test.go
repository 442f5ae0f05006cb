package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureRoot is the RHEL host tree the review package's tests use.
const fixtureRoot = "../../internal/review/testdata/rhel-kst"

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestReview_PolicyPrint(t *testing.T) {
	for _, tt := range []struct{ lang, want string }{{"ko", "// 업무시간"}, {"en", "// business hours"}} {
		out, _, err := runCmd(t, "review", "policy", "print", "--lang", tt.lang)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, tt.want) || !strings.Contains(out, `"brute_force_notice": 5`) {
			t.Errorf("policy print --lang %s lacks %q:\n%.400s", tt.lang, tt.want, out)
		}
		// every rule with a policy entry is named in its comment (R18–R21 too)
		for _, id := range []string{"R01", "R09", "R17", "R18", "R19", "R20", "R21"} {
			if !strings.Contains(out, id) {
				t.Errorf("policy print --lang %s has no comment for %s", tt.lang, id)
			}
		}
	}
	// What policy print writes is a valid --policy file.
	out, _, _ := runCmd(t, "review", "policy", "print")
	pf := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(pf, []byte(strings.Replace(out, `"brute_force_notice": 5`, `"brute_force_notice": 0`, 1)), 0o644)
	_, _, err := runCmd(t, "review", "policy", "print", "--policy", pf)
	if err == nil || !strings.Contains(err.Error(), "thresholds.brute_force_notice") {
		t.Errorf("bad policy error = %v, want it to name thresholds.brute_force_notice", err)
	}
}

func TestReview_RunAckVerify(t *testing.T) {
	if _, err := os.Stat(fixtureRoot); err != nil {
		t.Skipf("fixture tree missing: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "2026-11")
	out, stderr, err := runCmd(t, "review", "--period", "2026-11", "--root", fixtureRoot, "--out", dir, "--no-pdf", "--lang", "en")
	if err != nil {
		t.Fatalf("review: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "LR-2026-11-") || !strings.Contains(stderr, "review: reading var/log/secure") {
		t.Errorf("stdout %q / stderr %q", out, stderr)
	}
	for _, f := range []string{"report.json", "report.md", "report.html", "manifest.json", "manifest.sha256"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if out, _, err := runCmd(t, "review", "verify", dir); err != nil || !strings.Contains(out, "verified") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, "review", "ack", dir, "--role", "감독", "--name", "x"); err == nil {
		t.Errorf("ack accepted an unknown role")
	}
	if out, _, err := runCmd(t, "review", "ack", dir, "--role", "검토", "--name", "김검토", "--comment", "확인함"); err != nil || !strings.Contains(out, "sign-off 1") {
		t.Fatalf("ack: %v %s", err, out)
	}
	if out, _, err := runCmd(t, "review", "verify", dir); err != nil || !strings.Contains(out, "검토 김검토") {
		t.Fatalf("verify after ack: %v\n%s", err, out)
	}
	html := filepath.Join(dir, "report.html")
	b, _ := os.ReadFile(html)
	os.WriteFile(html, append(b, ' '), 0o644)
	out, _, err = runCmd(t, "review", "verify", dir)
	if err == nil || !strings.Contains(out, "FAIL report.html") {
		t.Fatalf("verify of a changed report.html: err %v\n%s", err, out)
	}
	if code := exitCode(err, &bytes.Buffer{}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
}

func TestReview_Usage(t *testing.T) {
	for _, args := range [][]string{
		{"review"},
		{"review", "--period", "2026-13", "--out", "x"},
		{"review", "--period", "2026-11", "--out", "x", "--lang", "jp"},
		{"review", "--period", "2026-11", "--out", "x", "--source", "ftp"},
		{"review", "verify"},
	} {
		_, _, err := runCmd(t, args...)
		var ue usageError
		if err == nil || !asUsage(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

func asUsage(err error, ue *usageError) bool {
	u, ok := err.(usageError)
	if ok {
		*ue = u
	}
	return ok
}

func TestReview_KeygenSignedAckVerify(t *testing.T) {
	if _, err := os.Stat(fixtureRoot); err != nil {
		t.Skipf("fixture tree missing: %v", err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "2026-11")
	if _, stderr, err := runCmd(t, "review", "--period", "2026-11", "--root", fixtureRoot, "--out", dir, "--no-pdf"); err != nil {
		t.Fatalf("review: %v\n%s", err, stderr)
	}
	keys, other := filepath.Join(tmp, "keys"), filepath.Join(tmp, "other")
	for _, d := range []string{keys, other} {
		if out, _, err := runCmd(t, "review", "keygen", "--out", d); err != nil || !strings.Contains(out, "key ed25519:") {
			t.Fatalf("keygen: %v %s", err, out)
		}
	}
	if _, _, err := runCmd(t, "review", "keygen", "--out", keys); err == nil {
		t.Errorf("keygen replaced an existing key")
	}
	priv, pub := filepath.Join(keys, "signoff.key"), filepath.Join(keys, "signoff.pub")
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", st, err)
	}
	out, _, err := runCmd(t, "review", "ack", dir, "--role", "승인", "--name", "Park", "--key", priv)
	if err != nil || !strings.Contains(out, "signed with Ed25519 key ed25519:") {
		t.Fatalf("signed ack: %v %s", err, out)
	}
	if out, _, err := runCmd(t, "review", "verify", dir, "--pubkey", pub); err != nil || !strings.Contains(out, "OK   signoffs.json[1] signature: 승인 Park: valid Ed25519 signature by the --pubkey key") {
		t.Fatalf("verify --pubkey: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, "review", "verify", dir, "--pubkey", filepath.Join(other, "signoff.pub"))
	if err == nil || !strings.Contains(out, "FAIL signoffs.json[1] signature: 승인 Park: signed with key") {
		t.Fatalf("verify with the wrong key: %v\n%s", err, out)
	}
	// An unsigned sign-off fails once keys are required.
	if _, _, err := runCmd(t, "review", "ack", dir, "--role", "검토", "--name", "Kim"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "review", "verify", dir, "--pubkey", pub)
	if err == nil || !strings.Contains(out, "FAIL signoffs.json[2] signature: 검토 Kim: not signed") {
		t.Fatalf("verify of an unsigned entry with --pubkey: %v\n%s", err, out)
	}
	if _, _, err := runCmd(t, "review", "verify", dir); err != nil {
		t.Errorf("verify without --pubkey: %v", err)
	}
}

func TestReview_Daily(t *testing.T) {
	if _, err := os.Stat(fixtureRoot); err != nil {
		t.Skipf("fixture tree missing: %v", err)
	}
	// Without --date the digest covers yesterday in the review's zone:
	// 2026-11-05 00:30 KST is still the 4th in UTC, yesterday is the 4th.
	defer func(f func() time.Time) { reviewNow = f }(reviewNow)
	reviewNow = func() time.Time { return time.Date(2026, 11, 4, 15, 30, 0, 0, time.UTC) }
	out, stderr, err := runCmd(t, "review", "daily", "--root", fixtureRoot, "--format", "json")
	if err != nil {
		t.Fatalf("daily: %v\n%s", err, stderr)
	}
	var d struct {
		Date   string `json:"date"`
		Totals struct {
			SuOK       int `json:"su_ok"`
			SudoDenied int `json:"sudo_denied"`
		} `json:"totals"`
		Checks []struct{ ID string } `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("daily --format json: %v\n%s", err, out)
	}
	if d.Date != "2026-11-04" || d.Totals.SuOK != 1 || d.Totals.SudoDenied != 3 || len(d.Checks) == 0 {
		t.Errorf("digest = %+v", d)
	}
	dir := t.TempDir()
	out, _, err = runCmd(t, "review", "daily", "--root", fixtureRoot, "--date", "2026-11-05", "--lang", "en", "--out", dir)
	if err != nil || !strings.HasPrefix(out, "# Daily Log Digest — 2026-11-05") || !strings.Contains(out, "account.usermod") {
		t.Fatalf("daily md: %v\n%s", err, out)
	}
	md, err := os.ReadFile(filepath.Join(dir, "daily-2026-11-05.md"))
	if err != nil || string(md) != out {
		t.Errorf("daily-2026-11-05.md differs from stdout (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "daily-2026-11-05.json")); err != nil {
		t.Errorf("daily-2026-11-05.json: %v", err)
	}
	for _, args := range [][]string{
		{"review", "daily", "--date", "2026-11-31"},
		{"review", "daily", "--format", "pdf"},
		{"review", "daily", "--source", "ftp"},
		{"review", "daily", "extra"},
	} {
		var ue usageError
		if _, _, err := runCmd(t, args...); err == nil || !asUsage(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
