package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/logwarden/logwarden/internal/review/jcs"
	"github.com/logwarden/logwarden/internal/review/report"
)

// Check is one line of a verification: what was checked and whether it held.
type Check struct {
	Name string `json:"name"` // the file or link checked
	OK   bool   `json:"ok"`
	Msg  string `json:"msg"`
}

// Result is a full verification.
type Result struct {
	Checks []Check `json:"checks"`
}

// OK reports whether every check held.
func (r Result) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Failures returns "name: msg" for every failed check.
func (r Result) Failures() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Msg)
		}
	}
	return out
}

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	// PrevDir is the previous period's report directory; when empty, Verify
	// looks for a sibling directory whose report.json has the previous period.
	PrevDir string
	// PublicKeys, when given (review verify --pubkey), are the keys allowed
	// to sign: every sign-off must then carry a valid signature by one of
	// them. Without them, signed entries are checked against the key they
	// record and unsigned entries pass as hash-chained only.
	PublicKeys []ed25519.PublicKey
}

func (r *Result) add(name string, ok bool, format string, a ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Msg: fmt.Sprintf(format, a...)})
}

// Verify re-hashes every artefact listed in dir/manifest.json, checks that
// report.json and manifest agree, checks the chain to the previous report
// when it can be found, and checks the sign-off chain.
func Verify(dir string, opt VerifyOptions) Result {
	var res Result
	mb, err := os.ReadFile(filepath.Join(dir, ManifestJSON))
	if err != nil {
		res.add(ManifestJSON, false, "%v", err)
		return res
	}
	manifestSHA := HashBytes(mb)
	if sum, err := os.ReadFile(filepath.Join(dir, ManifestSum)); err != nil {
		res.add(ManifestSum, false, "%v", err)
	} else if want := manifestSHA + "  " + ManifestJSON + "\n"; string(sum) != want {
		res.add(ManifestJSON, false, "sha256 %s does not match %s: manifest or its sum changed", manifestSHA, ManifestSum)
	} else {
		res.add(ManifestJSON, true, "sha256 %s", manifestSHA)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		res.add(ManifestJSON, false, "%v", err)
		return res
	}
	if len(m.Artefacts) == 0 {
		res.add(ManifestJSON, false, "lists no artefacts")
	}
	listed := map[string]bool{}
	for _, a := range m.Artefacts {
		listed[a.Name] = true
		got, err := HashFile(filepath.Join(dir, a.Name))
		switch {
		case err != nil:
			res.add(a.Name, false, "%v", err)
		case got.SHA256 != a.SHA256 || got.Size != a.Size:
			res.add(a.Name, false, "sha256 %s (%d bytes), manifest says %s (%d bytes): file changed", got.SHA256, got.Size, a.SHA256, a.Size)
		default:
			res.add(a.Name, true, "sha256 %s", got.SHA256)
		}
	}
	if !listed[ReportJSON] {
		res.add(ReportJSON, false, "not listed in the manifest")
		return res
	}
	b, err := os.ReadFile(filepath.Join(dir, ReportJSON))
	if err != nil {
		res.add(ReportJSON, false, "%v", err)
		return res
	}
	if HashBytes(b) != m.ReportSHA256 {
		res.add(ManifestJSON, false, "report_sha256 %s does not match report.json", m.ReportSHA256)
	}
	verifyCanonical(&res, b)
	rep, err := report.Decode(b)
	if err != nil {
		res.add(ReportJSON, false, "%v", err)
		return res
	}
	if rep.Previous != nil && rep.Previous.ReportSHA256 != m.PrevReportSHA256 {
		res.add(ManifestJSON, false, "prev_report_sha256 %s differs from report.json's %s", m.PrevReportSHA256, rep.Previous.ReportSHA256)
	}
	verifyChain(&res, dir, rep, opt)
	verifySignoffs(&res, dir, HashBytes(b), manifestSHA, opt.PublicKeys)
	return res
}

// legacyPrefix starts every report.json written before reports became RFC
// 8785 canonical JSON (two-space indented, struct order).
const legacyPrefix = "{\n  \"schema\": "

// verifyCanonical checks that report.json is in RFC 8785 canonical form, so
// that any JCS implementation reproduces its bytes and hash from its content.
// Reports written in the earlier indented form are accepted as written: their
// hashes are what the manifest, the chain and the sign-offs recorded.
func verifyCanonical(res *Result, b []byte) {
	if bytes.HasPrefix(b, []byte(legacyPrefix)) {
		res.add(ReportJSON, true, "indented JSON of an earlier logwarden (not RFC 8785); hashes checked as written")
		return
	}
	c, err := jcs.Transform(b)
	switch {
	case err != nil:
		res.add(ReportJSON, false, "not canonical JSON: %v", err)
	case !bytes.Equal(c, b):
		res.add(ReportJSON, false, "not in RFC 8785 canonical form (%d bytes, canonical form %d bytes): not written by logwarden or edited", len(b), len(c))
	default:
		res.add(ReportJSON, true, "RFC 8785 canonical JSON")
	}
}

func verifyChain(res *Result, dir string, rep *report.Report, opt VerifyOptions) {
	if rep.Previous == nil {
		res.add("chain", true, "first report of the series (no previous report)")
		return
	}
	prev := opt.PrevDir
	if prev == "" && rep.Previous.Dir != "" {
		d := filepath.Join(filepath.Dir(filepath.Clean(dir)), filepath.Base(rep.Previous.Dir))
		if _, err := os.Stat(filepath.Join(d, ReportJSON)); err == nil {
			prev = d
		}
	}
	if prev == "" {
		prev = FindPeriodDir(filepath.Dir(filepath.Clean(dir)), rep.Previous.Period, dir)
	}
	if prev == "" {
		res.add("chain", true, "previous report %s (sha256 %s) not found beside %s; chain not re-checked", rep.Previous.Period, rep.Previous.ReportSHA256, dir)
		return
	}
	got, err := HashFile(filepath.Join(prev, ReportJSON))
	if err != nil {
		res.add("chain", false, "%v", err)
		return
	}
	if got.SHA256 != rep.Previous.ReportSHA256 {
		res.add("chain", false, "%s: sha256 %s, but this report chains %s: previous report changed or replaced", filepath.Join(prev, ReportJSON), got.SHA256, rep.Previous.ReportSHA256)
		return
	}
	res.add("chain", true, "previous report %s sha256 %s matches", rep.Previous.Period, got.SHA256)
}

// FindPeriodDir looks in parent for a report directory (other than self)
// whose report.json covers period ("2026-10"); "" when there is none.
func FindPeriodDir(parent, period, self string) string {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return ""
	}
	selfAbs, _ := filepath.Abs(self)
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		d := filepath.Join(parent, e.Name())
		if a, _ := filepath.Abs(d); a == selfAbs {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, ReportJSON))
		if err != nil {
			continue
		}
		var head struct {
			Period struct {
				Label string `json:"label"`
			} `json:"period"`
		}
		if json.Unmarshal(b, &head) == nil && head.Period.Label == period {
			return d
		}
	}
	return ""
}

func verifySignoffs(res *Result, dir, reportSHA, manifestSHA string, keys []ed25519.PublicKey) {
	list, err := ReadSignoffs(dir)
	if err != nil {
		res.add(SignoffsJSON, false, "%v", err)
		return
	}
	if len(list) == 0 {
		res.add(SignoffsJSON, true, "no sign-offs yet (미결재)")
		return
	}
	prev := ""
	for i, s := range list {
		name := fmt.Sprintf("%s[%d]", SignoffsJSON, i+1)
		switch {
		case s.Seq != i+1:
			res.add(name, false, "seq %d, want %d: entry removed or reordered", s.Seq, i+1)
		case s.PrevEntrySHA256 != prev:
			res.add(name, false, "prev_entry_sha256 does not match entry %d: chain broken", i)
		case s.hash() != s.EntrySHA256:
			res.add(name, false, "entry_sha256 does not match its content: entry edited or forged")
		case s.ReportSHA256 != reportSHA:
			res.add(name, false, "signed report sha256 %s, report.json is %s", s.ReportSHA256, reportSHA)
		case s.ManifestSHA256 != manifestSHA:
			res.add(name, false, "signed manifest sha256 %s, manifest.json is %s: manifest changed after sign-off", s.ManifestSHA256, manifestSHA)
		default:
			res.add(name, true, "%s %s at %s", s.Role, s.Name, s.Time.Format("2006-01-02T15:04:05Z"))
		}
		verifySignature(res, name, s, keys)
		prev = s.EntrySHA256
	}
}

// verifySignature adds the signature line of one sign-off, when there is a
// signature or when keys demand one.
func verifySignature(res *Result, name string, s Signoff, keys []ed25519.PublicKey) {
	name += " signature"
	who := fmt.Sprintf("%s %s", s.Role, s.Name)
	if s.Signature == "" {
		if s.PublicKey != "" {
			res.add(name, false, "%s: records public_key %s but no signature: signature removed", who, s.PublicKey)
			return
		}
		if len(keys) > 0 {
			res.add(name, false, "%s: %v, but --pubkey requires every sign-off to be signed", who, errUnsigned)
		}
		return
	}
	raw, err := decodeB64(s.PublicKey, ed25519.PublicKeySize, "public_key")
	if err != nil {
		res.add(name, false, "%s: %v", who, err)
		return
	}
	pub := ed25519.PublicKey(raw)
	sig, err := decodeB64(s.Signature, ed25519.SignatureSize, "signature")
	if err != nil {
		res.add(name, false, "%s: %v", who, err)
		return
	}
	known := len(keys) == 0
	for _, k := range keys {
		known = known || pub.Equal(k)
	}
	if !known {
		fps := make([]string, len(keys))
		for i, k := range keys {
			fps[i] = Fingerprint(k)
		}
		res.add(name, false, "%s: signed with key %s, which is not the --pubkey key (%s)", who, Fingerprint(pub), strings.Join(fps, ", "))
		return
	}
	msg, err := s.SignedMessage()
	if err != nil {
		res.add(name, false, "%s: %v", who, err)
		return
	}
	if !ed25519.Verify(pub, msg, sig) {
		res.add(name, false, "%s: Ed25519 signature does not match the entry (key %s): entry or signature altered", who, Fingerprint(pub))
		return
	}
	if len(keys) == 0 {
		res.add(name, true, "%s: valid Ed25519 signature by the key recorded in the entry, %s (pass --pubkey to check whose key it is)", who, Fingerprint(pub))
		return
	}
	res.add(name, true, "%s: valid Ed25519 signature by the --pubkey key %s", who, Fingerprint(pub))
}
