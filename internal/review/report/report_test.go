package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
)

func sample() *Report {
	kst := time.FixedZone("KST", 9*3600)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	return &Report{
		Schema: Schema, DocumentNo: "LR-2026-11-WEB1",
		Period: Period{Label: "2026-11", Timezone: "Asia/Seoul", Start: start, End: start.AddDate(0, 1, 0), StartUTC: start.UTC(), EndUTC: start.AddDate(0, 1, 0).UTC()},
		Tool:   Tool{Name: "logwarden", Version: "t", Ruleset: Ruleset},
		Policy: PolicyRef{Name: "p", SHA256: strings.Repeat("a", 64), Source: "built-in", Body: json.RawMessage(`{"retention_days": 365}`)},
		Checks: []check.Result{{ID: "R01", Title: check.Text{Ko: "무차별 <대입>", En: "brute | force"}, Verdict: check.Finding,
			Counts: map[string]int{"b": 2, "a": 1},
			Items: []check.Item{{Key: "R01|h|1.2.3.4", Severity: check.SevFinding, Subject: "1.2.3.4", First: start, Last: start.Add(time.Minute),
				Summary: check.Text{Ko: "<script>alert(1)</script>", En: "a|b"}, Evidence: []check.Ref{{Source: "var/log/secure", Line: 3}}, EvidenceTotal: 12}}}},
		Charts:      Charts{EventsPerDay: []DayCount{{"2026-11-01", 3}, {"2026-11-02", 0}}, FailuresPerHour: make([]int, 24), TopSourceIPs: []IPCount{{"1.2.3.4", 12}}},
		Limitations: Limitations(),
	}
}

func TestHTML_SelfContainedAndEscaped(t *testing.T) {
	for _, lang := range []string{"ko", "en"} {
		h := sample().HTML(lang)
		if regexp.MustCompile(`(?i)<script|(src|href)\s*=|url\(|@import`).Match(h) {
			t.Errorf("%s: HTML has script or external references", lang)
		}
		if !bytes.Contains(h, []byte("&lt;script&gt;")) && lang == "ko" {
			t.Errorf("item text not escaped")
		}
		if bytes.Count(h, []byte("<svg")) != 3 {
			t.Errorf("%s: want 3 inline SVG charts, got %d", lang, bytes.Count(h, []byte("<svg")))
		}
	}
}

func TestMarkdown_TableCellsEscaped(t *testing.T) {
	md := string(sample().Markdown("en"))
	if !strings.Contains(md, `brute \| force`) || !strings.Contains(md, `a\|b`) {
		t.Errorf("pipes in cells not escaped:\n%s", md)
	}
	if !strings.Contains(md, "var/log/secure:3 (+11)") {
		t.Errorf("evidence refs with the remainder count missing")
	}
	if !strings.Contains(md, "a=1, b=2") {
		t.Errorf("counts not in key order")
	}
}

func TestJSON_Deterministic(t *testing.T) {
	a, err := sample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sample().JSON()
	if !bytes.Equal(a, b) {
		t.Fatal("JSON differs for the same report")
	}
	r, err := Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.JSON()
	if !bytes.Equal(a, c) {
		t.Fatalf("decode/encode round trip changed the bytes")
	}
}

func FuzzDecode(f *testing.F) {
	a, _ := sample().JSON()
	f.Add(a)
	f.Add([]byte(`{"schema":"logwarden.review.report/v1"}`))
	f.Add([]byte(`{"schema":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			return
		}
		if _, err := r.JSON(); err != nil {
			t.Fatalf("decoded report does not encode: %v", err)
		}
	})
}
