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
