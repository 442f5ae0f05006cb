package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/report"
	"github.com/logwarden/logwarden/internal/review/source"
	"github.com/logwarden/logwarden/internal/review/source/cwltest"
)

// TestReview_ServerSource ships the fixture secure to the embedded server
// with the real SDK client, then runs `logwarden review --source server` on
// it and checks that the central review judges like the review of the file.
func TestReview_ServerSource(t *testing.T) {
	secure := filepath.Join(fixtureRoot, "var", "log", "secure")
	if _, err := os.Stat(secure); err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	kst, _ := time.LoadLocation("Asia/Seoul")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	end := start.AddDate(0, 1, 0)

	// The file review, from a tree holding only that file.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var", "log"), 0o755)
	data, _ := os.ReadFile(secure)
	os.WriteFile(filepath.Join(root, "var", "log", "secure"), data, 0o644)
	fileDir := filepath.Join(t.TempDir(), "files")
	if _, stderr, err := runCmd(t, "review", "--period", "2026-11", "--root", root, "--out", fileDir, "--no-pdf"); err != nil {
		t.Fatalf("file review: %v\n%s", err, stderr)
	}
	var recs []parse.Record
	if _, err := source.Files(context.Background(), source.FileOptions{Root: root, Start: start, End: end, Zone: kst},
		func(r *parse.Record) error { recs = append(recs, *r); return nil }); err != nil {
		t.Fatal(err)
	}

	srv := cwltest.Start(t, "us-east-1", start)
	group, stream := "/var/log/secure", "web01"
	srv.Ship(t, group, stream, recs)

	srvDir := filepath.Join(t.TempDir(), "server")
	_, stderr, err := runCmd(t, "review", "--period", "2026-11", "--source", "server", "--endpoint", srv.URL,
		"--log-group", group, "--out", srvDir, "--no-pdf")
	if err != nil {
		t.Fatalf("server review: %v\n%s", err, stderr)
	}
	fileRep, srvRep := readReport(t, fileDir), readReport(t, srvDir)
	fv, sv := map[string]string{}, map[string]string{}
	for _, c := range fileRep.Checks {
		fv[c.ID] = string(c.Verdict) + "/" + itoa(c.Examined)
	}
	for _, c := range srvRep.Checks {
		sv[c.ID] = string(c.Verdict) + "/" + itoa(c.Examined)
	}
	for _, id := range []string{"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R11", "R15", "R17"} {
		if fv[id] != sv[id] {
			t.Errorf("%s: file review %s, server review %s", id, fv[id], sv[id])
		}
	}
	if srvRep.Scope.Mode != "server" || len(srvRep.Inputs) != 1 || srvRep.Inputs[0].LogGroup != group {
		t.Errorf("server inputs = %+v", srvRep.Inputs)
	}
}

func readReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestReview_DailyServerSource digests one day of the fixture secure read
// back from the embedded server (real SDK client) and compares it with the
// digest of the file.
func TestReview_DailyServerSource(t *testing.T) {
	secure := filepath.Join(fixtureRoot, "var", "log", "secure")
	if _, err := os.Stat(secure); err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	kst, _ := time.LoadLocation("Asia/Seoul")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var", "log"), 0o755)
	data, _ := os.ReadFile(secure)
	os.WriteFile(filepath.Join(root, "var", "log", "secure"), data, 0o644)
	var recs []parse.Record
	if _, err := source.Files(context.Background(), source.FileOptions{Root: root, Start: start, End: start.AddDate(0, 1, 0), Zone: kst},
		func(r *parse.Record) error { recs = append(recs, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	srv := cwltest.Start(t, "us-east-1", start)
	srv.Ship(t, "/var/log/secure", "web01", recs)

	digest := func(args ...string) report.Digest {
		t.Helper()
		out, stderr, err := runCmd(t, append([]string{"review", "daily", "--date", "2026-11-04", "--format", "json"}, args...)...)
		if err != nil {
			t.Fatalf("daily %v: %v\n%s", args, err, stderr)
		}
		var d report.Digest
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	f := digest("--root", root)
	s := digest("--source", "server", "--endpoint", srv.URL, "--log-group", "/var/log/secure")
	if f.Totals != s.Totals {
		t.Errorf("totals: file %+v, server %+v", f.Totals, s.Totals)
	}
	if f.Totals.SuOK != 1 || f.Totals.SudoDenied != 3 {
		t.Errorf("file digest totals %+v, want the su and sudo lines of Nov 4", f.Totals)
	}
	if s.Mode != "server" || len(s.Privilege) != len(f.Privilege) {
		t.Errorf("server digest: mode %s, privilege %+v (file %+v)", s.Mode, s.Privilege, f.Privilege)
	}
}
