package policy

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParse_RoundTripCommented(t *testing.T) {
	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) {
			def := Default()
			p, err := Parse(def.Commented(lang))
			if err != nil {
				t.Fatalf("Parse(Commented(%s)): %v", lang, err)
			}
			if got, want := p.JSON(), def.JSON(); !bytes.Equal(got, want) {
				t.Fatalf("round trip changed the policy:\n%s\nwant\n%s", got, want)
			}
			if lang == "ko" && !strings.Contains(string(def.Commented(lang)), "// 업무시간") {
				t.Fatalf("Korean comments missing")
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown field", `{"bogus": 1}`, `"bogus" is not a policy field`},
		{"type", `{"thresholds": {"brute_force_notice": "five"}}`, "thresholds.brute_force_notice: line 1 column"},
		{"syntax", "{\n  \"name\": \"x\",\n}", "policy: line 3 column"},
		{"zone", `{"timezone": "Mars/Olympus"}`, `policy: timezone: "Mars/Olympus" is not an IANA time zone name`},
		{"hours", `{"business_hours": {"start": "20:00", "end": "08:00", "weekdays": ["Mon"]}}`, "business_hours.end: 08:00 is not after start 20:00"},
		{"weekday", `{"business_hours": {"start": "08:00", "end": "20:00", "weekdays": ["Monday"]}}`, `business_hours.weekdays[0]: "Monday"`},
		{"holiday", `{"holidays": [{"date": "2026-13-01", "name": "x"}]}`, `holidays[0].date: "2026-13-01" is not a YYYY-MM-DD date`},
		{"cidr", `{"approved_admin_cidrs": ["10.0.0.0/8", "10.0.0/33"]}`, `approved_admin_cidrs[1]: "10.0.0/33"`},
		{"threshold zero", `{"thresholds": {"brute_force_notice": 0}}`, "thresholds.brute_force_notice: 0 must be greater than 0"},
		{"notice above finding", `{"thresholds": {"brute_force_notice": 50}}`, "thresholds.brute_force_notice: 50 is above brute_force_finding 20"},
		{"ticket", `{"change_ticket_pattern": "CHG-[0-9"}`, "change_ticket_pattern: compile pattern"},
		{"version", `{"version": 2}`, "version: 2 is not supported"},
		{"source class", `{"expected_sources": ["auth", "secure"]}`, `expected_sources[1]: "secure" is not one of`},
		{"absolute config path", `{"integrity_files": ["etc/sudoers", "/etc/shadow"]}`, `integrity_files[1]: "/etc/shadow" is not a path relative`},
		{"config path escapes root", `{"integrity_files": ["etc/../../x"]}`, `integrity_files[0]: "etc/../../x" is not a path relative`},
		{"zero audit threshold", `{"thresholds": {"audit_auth_failures": 0}}`, `thresholds.audit_auth_failures: 0 must be greater than 0`},
		{"zero segfault burst", `{"thresholds": {"segfault_burst": 0}}`, `thresholds.segfault_burst: 0 must be greater than 0`},
		{"trailing", `{} {}`, "unexpected data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse(%s) = nil error, want %q", tt.doc, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%s) error = %q, want it to contain %q", tt.doc, err, tt.want)
			}
		})
	}
}

func TestParse_CommentInsideString(t *testing.T) {
	p, err := Parse([]byte(`{"name": "a // b" // trailing comment
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "a // b" {
		t.Fatalf("Name = %q", p.Name)
	}
}

func TestCalendar_OffHours(t *testing.T) {
	cal := Default().Calendar()
	kst := time.FixedZone("KST", 9*3600)
	tests := []struct {
		at     time.Time
		off    bool
		reason string
	}{
		{time.Date(2026, 11, 2, 9, 0, 0, 0, kst), false, ""},        // Monday 09:00
		{time.Date(2026, 11, 2, 7, 59, 0, 0, kst), true, "night"},   // before 08:00
		{time.Date(2026, 11, 2, 20, 0, 0, 0, kst), true, "night"},   // end is exclusive
		{time.Date(2026, 11, 1, 12, 0, 0, 0, kst), true, "weekend"}, // Sunday
		{time.Date(2026, 10, 9, 10, 0, 0, 0, kst), true, "holiday:한글날 / Hangul Day"},
		{time.Date(2026, 11, 2, 0, 30, 0, 0, time.UTC), false, ""},     // 09:30 KST
		{time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), true, "night"}, // 21:00 KST
	}
	for _, tt := range tests {
		off, why := cal.OffHours(tt.at)
		if off != tt.off || why != tt.reason {
			t.Errorf("OffHours(%s) = %v %q, want %v %q", tt.at, off, why, tt.off, tt.reason)
		}
	}
}

func TestNetworks_Contains(t *testing.T) {
	p := Default()
	p.ApprovedAdminCIDRs = []string{"10.0.0.0/8", "203.0.113.5", "2001:db8::/32"}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	n := p.AdminNetworks()
	for ip, want := range map[string]bool{
		"10.1.2.3": true, "203.0.113.5": true, "203.0.113.6": false, "2001:db8::1": true,
		"::ffff:10.0.0.1": true, "garbage": false, "": false,
	} {
		if got := n.Contains(ip); got != want {
			t.Errorf("Contains(%q) = %v, want %v", ip, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Default().Commented("ko"))
	f.Add([]byte(`{"thresholds": {"brute_force_notice": 3}}`))
	f.Add([]byte(`// c
{"name": "x\" // y"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a policy Validate rejects: %v", err)
		}
		if _, err := Parse(p.JSON()); err != nil {
			t.Fatalf("canonical JSON does not parse: %v", err)
		}
	})
}
