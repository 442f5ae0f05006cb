package review

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/jcs"
	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var kst = time.FixedZone("KST", 9*3600)

// fakeReader serves fixed records per input, in input order, and honours ErrStop.
func fakeReader(inputs map[string][]parse.Record) Reader {
	return func(ctx context.Context, fn func(*parse.Record) error) ([]report.Input, error) {
		names := make([]string, 0, len(inputs))
		for n := range inputs {
			names = append(names, n)
		}
		slicesSort(names)
		var out []report.Input
		for _, n := range names {
			recs := inputs[n]
			info := report.Input{Source: n, Kind: "file", Path: "/" + n, Records: int64(len(recs)), Lines: int64(len(recs))}
			var size int64
			for i := range recs {
				size += int64(len(recs[i].Raw)) + 1
			}
			info.Size, info.ByteEnd = size, size
			info.SHA256 = evidence.HashBytes([]byte(n))
			out = append(out, info)
			for i := range recs {
				r := recs[i]
				if err := fn(&r); err != nil {
					return out, err
				}
			}
		}
		return out, nil
	}
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// month builds a deterministic month of secure and messages records for one
// host, with the incidents the checks look for.
func month(year int, mon time.Month, incidents bool) map[string][]parse.Record {
	var secure, messages []parse.Record
	add := func(list *[]parse.Record, src string, t time.Time, k parse.Kind, f func(*parse.Record)) {
		r := parse.Record{Time: t, Host: "web1", Kind: k, Source: src, Line: int64(len(*list) + 1)}
		if f != nil {
			f(&r)
		}
		r.Raw = fmt.Sprintf("%s web1 %s: %s user=%s ip=%s", t.Format(time.Stamp), r.Program, r.Kind, r.User, r.SrcIP)
		*list = append(*list, r)
	}
	days := time.Date(year, mon+1, 0, 0, 0, 0, 0, kst).Day()
	for d := 1; d <= days; d++ {
		for h := 0; h < 24; h += 3 {
			t := time.Date(year, mon, d, h, 5, 0, 0, kst)
			if incidents && d == 12 && h > 3 && h < 20 {
				continue // the system log goes silent after rsyslog stops (R10, R11)
			}
			add(&messages, "var/log/messages", t, parse.KindOther, func(r *parse.Record) { r.Program = "systemd" })
			add(&secure, "var/log/secure", t.Add(time.Minute), parse.KindCronCmd, func(r *parse.Record) {
				r.Program, r.User, r.Command = "CROND", "root", "/usr/lib64/sa/sa1 1 1"
			})
		}
		// A weekday admin login at 10:00 from the bastion.
		t := time.Date(year, mon, d, 10, 0, 0, 0, kst)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			add(&secure, "var/log/secure", t, parse.KindSSHAccepted, func(r *parse.Record) {
				r.Program, r.User, r.SrcIP, r.Method, r.PID = "sshd", "alice", "10.0.0.5", "publickey", 1000+d
			})
			add(&secure, "var/log/secure", t.Add(time.Minute), parse.KindSudoCommand, func(r *parse.Record) {
				r.Program, r.User, r.TargetUser, r.Command = "sudo", "alice", "root", "/usr/bin/systemctl restart nginx"
			})
			add(&secure, "var/log/secure", t.Add(30*time.Minute), parse.KindPAMSessionClose, func(r *parse.Record) {
				r.Program, r.Method, r.User, r.PID = "sshd", "sshd", "alice", 1000+d
			})
		}
	}
	if incidents {
		// R01/R02: a spray from 198.51.100.7 on the 3rd at 02:00, 30 tries, 12 users.
		base := time.Date(year, mon, 3, 2, 0, 0, 0, kst)
		for i := 0; i < 30; i++ {
			u := fmt.Sprintf("user%02d", i%12)
			add(&secure, "var/log/secure", base.Add(time.Duration(i)*10*time.Second), parse.KindSSHFailed, func(r *parse.Record) {
				r.Program, r.User, r.SrcIP, r.Method, r.Detail = "sshd", u, "198.51.100.7", "password", parse.DetailInvalidUser
			})
		}
		// R04/R05/R09: root succeeds from 203.0.113.9 after 6 failures, on a Sunday night.
		base = time.Date(year, mon, 8, 23, 0, 0, 0, kst)
		for i := 0; i < 6; i++ {
			add(&secure, "var/log/secure", base.Add(time.Duration(i)*time.Minute), parse.KindSSHFailed, func(r *parse.Record) {
				r.Program, r.User, r.SrcIP, r.Method = "sshd", "root", "203.0.113.9", "password"
			})
		}
		add(&secure, "var/log/secure", base.Add(7*time.Minute), parse.KindSSHAccepted, func(r *parse.Record) {
			r.Program, r.User, r.SrcIP, r.Method, r.PID = "sshd", "root", "203.0.113.9", "password", 4242
		})
		// R06: su by bob; R07: sudo denial; R08: useradd + wheel.
		add(&secure, "var/log/secure", time.Date(year, mon, 9, 11, 0, 0, 0, kst), parse.KindSuSuccess, func(r *parse.Record) {
			r.Program, r.User, r.TargetUser, r.TTY = "su", "bob", "root", "pts/1"
		})
		add(&secure, "var/log/secure", time.Date(year, mon, 9, 11, 5, 0, 0, kst), parse.KindSudoNotAllowed, func(r *parse.Record) {
			r.Program, r.User, r.Detail, r.Command = "sudo", "mallory", "not_in_sudoers", "/bin/cat /etc/shadow"
		})
		add(&secure, "var/log/secure", time.Date(year, mon, 10, 14, 0, 0, 0, kst), parse.KindUserAdd, func(r *parse.Record) {
			r.Program, r.User, r.Detail = "useradd", "svc", "uid=1005 gid=1005 home=/home/svc shell=/bin/bash"
		})
		add(&secure, "var/log/secure", time.Date(year, mon, 10, 14, 1, 0, 0, kst), parse.KindGroupMemberAdd, func(r *parse.Record) {
			r.Program, r.User, r.Group = "usermod", "svc", "wheel"
		})
		// R11: rsyslog stopped with no reboot.
		add(&messages, "var/log/messages", time.Date(year, mon, 12, 3, 6, 0, 0, kst), parse.KindServiceStop, func(r *parse.Record) {
			r.Program, r.Detail = "systemd", "rsyslog.service - System Logging Service"
		})
	}
	sortByTime(secure)
	sortByTime(messages)
	return map[string][]parse.Record{"var/log/secure": secure, "var/log/messages": messages}
}

func sortByTime(list []parse.Record) {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Time.Before(list[j].Time) })
	for i := range list {
		list[i].Line = int64(i + 1)
	}
}

func fakePDF(_ context.Context, htmlPath, pdfPath string) error {
	b, err := os.ReadFile(htmlPath)
	if err != nil {
		return err
	}
	return os.WriteFile(pdfPath, append([]byte("%PDF-1.4 fake\n"), b[:64]...), 0o644)
}

func testPolicy() *policy.Policy {
	p := policy.Default()
	p.ApprovedAdminCIDRs = []string{"10.0.0.0/24"}
	p.AllowedSuUsers = []string{"alice"}
	p.ExpectedSources = []string{"auth", "syslog"}
	return p
}

func runMonth(t *testing.T, dir, period string, inputs map[string][]parse.Record, lang string) *Outcome {
	t.Helper()
	out, err := Run(context.Background(), Options{
		Period: period, Policy: testPolicy(), Read: fakeReader(inputs), OutDir: dir, Lang: lang,
		ToolVersion: "test", PDF: fakePDF,
	})
	if err != nil {
		t.Fatalf("Run(%s): %v", period, err)
	}
	return out
}

func verdicts(r *report.Report) map[string]check.Verdict {
	m := map[string]check.Verdict{}
	for _, c := range r.Checks {
		m[c.ID] = c.Verdict
	}
	return m
}

func TestRun_VerdictsAndDeterminism(t *testing.T) {
	base := t.TempDir()
	in := month(2026, time.November, true)
	a := runMonth(t, filepath.Join(base, "a"), "2026-11", in, "ko")
	b := runMonth(t, filepath.Join(base, "b"), "2026-11", month(2026, time.November, true), "ko")
	want := map[string]check.Verdict{
		"R01": check.Finding, "R02": check.Finding, "R03": check.Pass, "R04": check.Finding, "R05": check.Finding,
		"R06": check.Finding, "R07": check.Finding, "R08": check.Finding, "R09": check.Notice, "R10": check.Finding,
		"R11": check.Finding, "R12": check.Finding, "R13": check.NA, "R14": check.NA, "R15": check.Pass, "R16": check.Pass, "R17": check.Pass,
	}
	got := verdicts(a.Report)
	for id, v := range want {
		if got[id] != v {
			t.Errorf("%s verdict = %s, want %s", id, got[id], v)
		}
	}
	if a.Report.Overall.Verdict != check.Finding {
		t.Errorf("overall = %s", a.Report.Overall.Verdict)
	}
	for _, name := range []string{evidence.ReportJSON, evidence.ReportMD, evidence.ReportHTML} {
		x, _ := os.ReadFile(filepath.Join(a.Dir, name))
		y, _ := os.ReadFile(filepath.Join(b.Dir, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs on the same input (%d vs %d bytes)", name, len(x), len(y))
		}
	}
	if len(a.Report.Extracts) == 0 {
		t.Errorf("no evidence extracts")
	}
	if res := evidence.Verify(a.Dir, evidence.VerifyOptions{}); !res.OK() {
		t.Errorf("fresh report does not verify: %v", res.Failures())
	}
}

func TestRun_Golden(t *testing.T) {
	dir := t.TempDir()
	runMonth(t, dir, "2026-11", month(2026, time.November, true), "ko")
	for _, name := range []string{evidence.ReportJSON, evidence.ReportMD} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", name)
		if name == evidence.ReportJSON {
			// report.json is one line of RFC 8785 JSON; the golden file keeps
			// it indented so that a change reads as a diff.
			canon, err := jcs.Transform(got)
			if err != nil || !bytes.Equal(canon, got) {
				t.Errorf("report.json is not RFC 8785 canonical JSON (%v)", err)
			}
			var ind bytes.Buffer
			if err := json.Indent(&ind, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			got = append(ind.Bytes(), '\n')
		}
		if *update {
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
}

func TestRun_English(t *testing.T) {
	dir := t.TempDir()
	runMonth(t, dir, "2026-11", month(2026, time.November, true), "en")
	md, _ := os.ReadFile(filepath.Join(dir, evidence.ReportMD))
	for _, want := range []string{"# Periodic Server Log Review Report", "## 6. Findings register", "Prepared by", "## 8. Limitations"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("English report lacks %q", want)
		}
	}
	if bytes.Contains(md, []byte("점검 기간")) {
		t.Errorf("English report has Korean labels")
	}
}

func TestRun_RegisterCarriesOver(t *testing.T) {
	base := t.TempDir()
	oct := runMonth(t, filepath.Join(base, "2026-10"), "2026-10", month(2026, time.October, true), "ko")
	var r01, r06 string
	for _, e := range oct.Report.Register {
		switch e.Rule {
		case "R01":
			r01 = e.Key
		case "R06":
			r06 = e.Key
		}
	}
	if r01 == "" || r06 == "" {
		t.Fatalf("October register lacks R01/R06: %+v", oct.Report.Register)
	}
	// A reviewer closes the su finding; the brute-force one stays open.
	if _, err := evidence.Ack(oct.Dir, evidence.AckInput{Role: "검토", Name: "김검토",
		Findings: []evidence.Disposition{{Key: r06, Status: "정상확인", Note: "승인된 작업"}}}, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	nov := runMonth(t, filepath.Join(base, "2026-11"), "2026-11", month(2026, time.November, false), "ko")
	status := map[string]report.Entry{}
	for _, e := range nov.Report.Register {
		status[e.Key] = e
	}
	if e := status[r01]; e.Status != "carried" || e.Since != "2026-10" {
		t.Errorf("R01 entry = %q since %q, want carried since 2026-10", e.Status, e.Since)
	}
	if e := status[r06]; e.Status != "closed" || !strings.Contains(e.ClosedBy, "김검토") {
		t.Errorf("R06 entry = %q by %q, want closed by 김검토", e.Status, e.ClosedBy)
	}
	if nov.Report.Previous == nil || nov.Report.Previous.ReportSHA256 != oct.ReportSHA256 {
		t.Errorf("previous = %+v, want chain to %s", nov.Report.Previous, oct.ReportSHA256)
	}
	if nov.Report.Overall.CarriedOver == 0 || nov.Report.Overall.Verdict == check.Pass {
		t.Errorf("overall = %+v: carried findings must keep the verdict from pass", nov.Report.Overall)
	}
	if res := evidence.Verify(nov.Dir, evidence.VerifyOptions{}); !res.OK() {
		t.Errorf("November does not verify: %v", res.Failures())
	}
	// December: the closed entry is gone, the open one still carried.
	dec := runMonth(t, filepath.Join(base, "2026-12"), "2026-12", month(2026, time.December, false), "ko")
	keys := map[string]string{}
	for _, e := range dec.Report.Register {
		keys[e.Key] = e.Status
	}
	if keys[r01] != "carried" || keys[r06] != "" {
		t.Errorf("December register = %v", keys)
	}
}

func TestVerify_DetectsTampering(t *testing.T) {
	base := t.TempDir()
	oct := runMonth(t, filepath.Join(base, "2026-10"), "2026-10", month(2026, time.October, true), "ko")
	mk := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "x", "2026-11")
		runMonth(t, dir, "2026-11", month(2026, time.November, true), "ko")
		if _, err := evidence.Ack(dir, evidence.AckInput{Role: "담당", Name: "이담당"}, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if _, err := evidence.Ack(dir, evidence.AckInput{Role: "승인", Name: "박승인", Decision: "확인"}, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	flip := func(t *testing.T, path string, at func(b []byte) int) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		i := at(b)
		b[i] ^= 0x01
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	middle := func(b []byte) int { return len(b) / 2 }
	for _, name := range []string{evidence.ReportJSON, evidence.ReportMD, evidence.ReportHTML, evidence.ReportPDF, evidence.ManifestJSON, evidence.SignoffsJSON} {
		t.Run("byte in "+name, func(t *testing.T) {
			dir := mk(t)
			if res := evidence.Verify(dir, evidence.VerifyOptions{}); !res.OK() {
				t.Fatalf("untouched dir fails: %v", res.Failures())
			}
			flip(t, filepath.Join(dir, name), middle)
			res := evidence.Verify(dir, evidence.VerifyOptions{})
			if res.OK() {
				t.Fatalf("changed byte in %s not detected", name)
			}
			if !strings.Contains(strings.Join(res.Failures(), "\n"), strings.TrimSuffix(name, ".json")) {
				t.Errorf("failure does not name %s: %v", name, res.Failures())
			}
		})
	}
	t.Run("forged sign-off", func(t *testing.T) {
		dir := mk(t)
		path := filepath.Join(dir, evidence.SignoffsJSON)
		b, _ := os.ReadFile(path)
		b = bytes.Replace(b, []byte("박승인"), []byte("최위조"), 1)
		os.WriteFile(path, b, 0o644)
		res := evidence.Verify(dir, evidence.VerifyOptions{})
		if res.OK() || !strings.Contains(strings.Join(res.Failures(), "\n"), "signoffs.json[2]") {
			t.Fatalf("forged sign-off not detected: %v", res.Failures())
		}
	})
	t.Run("removed sign-off", func(t *testing.T) {
		dir := mk(t)
		list, _ := evidence.ReadSignoffs(dir)
		b, _ := jsonIndent(list[1:])
		os.WriteFile(filepath.Join(dir, evidence.SignoffsJSON), b, 0o644)
		if res := evidence.Verify(dir, evidence.VerifyOptions{}); res.OK() {
			t.Fatalf("removed first sign-off not detected")
		}
	})
	t.Run("broken chain", func(t *testing.T) {
		dir := filepath.Join(base, "2026-11")
		runMonth(t, dir, "2026-11", month(2026, time.November, true), "ko")
		if res := evidence.Verify(dir, evidence.VerifyOptions{}); !res.OK() {
			t.Fatalf("chained report fails before tampering: %v", res.Failures())
		}
		flip(t, filepath.Join(oct.Dir, evidence.ReportJSON), middle)
		res := evidence.Verify(dir, evidence.VerifyOptions{})
		if res.OK() || !strings.Contains(strings.Join(res.Failures(), "\n"), "chain") {
			t.Fatalf("replaced previous report not detected: %v", res.Failures())
		}
	})
	t.Run("ack refuses altered report", func(t *testing.T) {
		dir := mk(t)
		flip(t, filepath.Join(dir, evidence.ReportMD), middle)
		if _, err := evidence.Ack(dir, evidence.AckInput{Role: "검토", Name: "김검토"}, time.Now()); err == nil {
			t.Fatal("ack signed an altered report")
		}
	})
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
