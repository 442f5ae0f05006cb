package review

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/jcs"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/report"
	"github.com/logwarden/logwarden/internal/review/source"
)

func runDaily(t *testing.T, root, date, tz string, hostZone *time.Location, baseline string) *report.Digest {
	t.Helper()
	if _, err := os.Stat(root); err != nil {
		t.Skipf("fixture tree missing: %v", err)
	}
	pol := policy.Default()
	pol.Timezone = tz
	if err := pol.Validate(); err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	start, end, err := ParseDay(date, pol.Location())
	if err != nil {
		t.Fatal(err)
	}
	d, err := Daily(context.Background(), DailyOptions{Date: date, Policy: pol, Mode: "files", ToolVersion: "test", BaselineDir: baseline,
		Read: FilesReader(source.FileOptions{Root: root, Start: start, End: end, Zone: hostZone})})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDaily_Golden(t *testing.T) {
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		name, root, date, tz, lang string
		hostZone                   *time.Location
		check                      func(t *testing.T, d *report.Digest)
	}{
		{name: "rhel-kst-2026-11-04", root: "testdata/rhel-kst", date: "2026-11-04", tz: "Asia/Seoul", lang: "ko", hostZone: kst,
			check: func(t *testing.T, d *report.Digest) {
				if d.Totals.SuOK != 1 || d.Totals.SuFailed != 1 || d.Totals.SudoDenied != 3 || d.Totals.SudoCommands != 1 {
					t.Errorf("sudo/su totals = %+v", d.Totals)
				}
				if d.Verdict != check.Finding {
					t.Errorf("verdict %s, want finding (carol not in sudoers)", d.Verdict)
				}
			}},
		{name: "rhel-kst-2026-11-05", root: "testdata/rhel-kst", date: "2026-11-05", tz: "Asia/Seoul", lang: "en", hostZone: kst,
			check: func(t *testing.T, d *report.Digest) {
				if d.Totals.AccountChanges < 5 {
					t.Errorf("account changes = %d, want the useradd/usermod/groupadd lines of Nov 5", d.Totals.AccountChanges)
				}
				for _, e := range d.AccountChanges {
					if e.Time.Format("2006-01-02") != "2026-11-05" {
						t.Errorf("account change outside the day: %+v", e)
					}
				}
			}},
		{name: "debian-utc-2026-11-11", root: "testdata/debian-utc", date: "2026-11-11", tz: "UTC", lang: "en", hostZone: time.UTC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := runDaily(t, tt.root, tt.date, tt.tz, tt.hostZone, "")
			if tt.check != nil {
				tt.check(t, d)
			}
			var ids []string
			for _, c := range d.Checks {
				ids = append(ids, c.ID)
				if c.ID == "R01" && c.Counts["failures"] != d.Totals.LoginsFailed {
					t.Errorf("failed logins %d, R01 counts %d", d.Totals.LoginsFailed, c.Counts["failures"])
				}
				if c.ID == "R04" && c.Counts["logins"] != d.Totals.LoginsOK {
					t.Errorf("logins %d, R04 counts %d", d.Totals.LoginsOK, c.Counts["logins"])
				}
			}
			if !slices.Equal(ids, DailyRules) {
				t.Errorf("checks %v, want %v", ids, DailyRules)
			}
			for _, s := range d.Sources {
				if !s.First.IsZero() && (s.First.Before(d.Start) || !s.Last.Before(d.End)) {
					t.Errorf("%s: records %s..%s outside the day", s.Source, s.First, s.Last)
				}
			}
			js, err := d.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if c, err := jcs.Transform(js); err != nil || !bytes.Equal(c, js) {
				t.Errorf("digest JSON is not canonical (%v)", err)
			}
			again := runDaily(t, tt.root, tt.date, tt.tz, tt.hostZone, "")
			if js2, _ := again.JSON(); !bytes.Equal(js, js2) {
				t.Errorf("two digests of the same day differ")
			}
			var ind bytes.Buffer
			if err := json.Indent(&ind, js, "", "  "); err != nil {
				t.Fatal(err)
			}
			ind.WriteByte('\n')
			for name, got := range map[string][]byte{tt.name + ".json": ind.Bytes(), tt.name + "." + tt.lang + ".md": d.Markdown(tt.lang)} {
				golden := filepath.Join("testdata", "golden", "daily", name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s (run go test -update after checking the change)", name, golden)
				}
			}
		})
	}
}

// TestDaily_NewLoginSources gives a baseline that knows bob only from
// another address: his login of the day is new, and R13 judges it.
func TestDaily_NewLoginSources(t *testing.T) {
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	base := filepath.Join(t.TempDir(), "2026-10")
	rep := &report.Report{Schema: report.Schema, Period: report.Period{Label: "2026-10"},
		Baseline: &check.Baseline{UserIPs: map[string][]string{"bob": {"10.0.0.1"}}, LastLogin: map[string]time.Time{"bob": time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)}}}
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, evidence.ReportJSON), b, 0o644); err != nil {
		t.Fatal(err)
	}
	without := runDaily(t, "testdata/rhel-kst", "2026-11-03", "Asia/Seoul", kst, "")
	with := runDaily(t, "testdata/rhel-kst", "2026-11-03", "Asia/Seoul", kst, base)
	if without.Totals.NewLoginSources != 0 || without.Baseline != "" {
		t.Errorf("without a baseline: %d new sources, baseline %q", without.Totals.NewLoginSources, without.Baseline)
	}
	if with.Baseline != "2026-10" || with.Totals.NewLoginSources != 1 {
		t.Fatalf("with a baseline: %q, %d new sources; logins %+v", with.Baseline, with.Totals.NewLoginSources, with.Logins)
	}
	for _, l := range with.Logins {
		if l.User == "bob" && l.From == "198.51.100.20" && !l.New {
			t.Errorf("bob from 198.51.100.20 not marked new: %+v", l)
		}
	}
	for _, c := range with.Checks {
		if c.ID == "R13" && c.Verdict == check.NA {
			t.Errorf("R13 n/a although a baseline was given")
		}
	}
	if _, err := Daily(context.Background(), DailyOptions{Date: "2026-11-03", Read: fakeReader(nil), BaselineDir: t.TempDir()}); err == nil {
		t.Errorf("a baseline directory without report.json was accepted")
	}
}

func TestDaily_DayBoundaries(t *testing.T) {
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	tests := []struct {
		now  time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 11, 26, 14, 59, 0, 0, time.UTC), kst, "2026-11-25"}, // 23:59 KST on the 26th
		{time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), kst, "2026-11-26"},  // 00:00 KST on the 27th
		{time.Date(2027, 1, 1, 0, 30, 0, 0, kst), kst, "2026-12-31"},
		{time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), time.UTC, "2026-02-28"},
	}
	for _, tt := range tests {
		if got := Yesterday(tt.now, tt.loc); got != tt.want {
			t.Errorf("Yesterday(%s in %s) = %s, want %s", tt.now, tt.loc, got, tt.want)
		}
	}
	s, e, err := ParseDay("2026-11-03", kst)
	if err != nil || s.UTC().Format(time.RFC3339) != "2026-11-02T15:00:00Z" || e.Sub(s) != 24*time.Hour {
		t.Errorf("ParseDay = %s, %s, %v", s, e, err)
	}
	for _, bad := range []string{"2026-11", "2026-02-30", "yesterday"} {
		if _, _, err := ParseDay(bad, kst); err == nil {
			t.Errorf("ParseDay(%q) accepted", bad)
		}
	}
}
