// Package check runs the U-43 review rules (R01–R21 of the reference) over
// parsed log records and returns, per rule, the criterion it applied, a
// verdict, counts and findings that point at their evidence lines.
//
// Records are added one at a time (Engine.Add) in any order; the engine keeps
// a compact, interned copy of the records the rules need and sorts them by
// (time, source, line) before judging, so results are deterministic whatever
// the input order.
package check

import "time"

// Verdict is the result of one check, in the report's 양호/주의/위험 scale.
type Verdict string

// Verdicts, from best to worst. NA means the data needed was not available.
const (
	Pass    Verdict = "pass"    // 양호 / 이상 없음
	Notice  Verdict = "notice"  // 주의
	Finding Verdict = "finding" // 위험
	NA      Verdict = "n/a"     // 점검 불가 (data or policy missing)
)

// Severity of a single item. Info items are listed for review but do not
// change the verdict and do not go into the findings register.
type Severity string

// Severities.
const (
	SevInfo    Severity = "info"
	SevNotice  Severity = "notice"
	SevFinding Severity = "finding"
)

func (s Severity) rank() int {
	switch s {
	case SevFinding:
		return 2
	case SevNotice:
		return 1
	}
	return 0
}

// Text is a bilingual string.
type Text struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

// Get returns the text in lang ("ko" or "en").
func (t Text) Get(lang string) string {
	if lang == "en" {
		return t.En
	}
	return t.Ko
}

// Ref points at one evidence line: the input and its 1-based line number
// (record index for binary inputs).
type Ref struct {
	Source string `json:"source"`
	Line   int64  `json:"line"`
	// Offset is the byte offset of the line (record) in the decompressed
	// input, or -1 when the reader does not know it (CloudWatch events).
	Offset int64 `json:"offset"`
}

// Item is one finding or listed event of a check.
type Item struct {
	// Key identifies the item across periods: rule + host + subject, no time,
	// so the findings register can carry it forward.
	Key      string    `json:"key"`
	Severity Severity  `json:"severity"`
	Host     string    `json:"host,omitempty"`
	Subject  string    `json:"subject"` // IP, account or service the item is about
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Count    int       `json:"count"`
	Summary  Text      `json:"summary"`
	// Evidence holds at most MaxRefs lines; EvidenceTotal counts them all.
	Evidence      []Ref `json:"evidence"`
	EvidenceTotal int   `json:"evidence_total"`
}

// MaxRefs bounds the evidence lines kept per item: enough to show the
// pattern; the full set is reproducible from the inputs and the criterion.
const MaxRefs = 10

// MaxItems bounds the items listed per check (the rest are counted), so a
// flood of distinct attacker IPs cannot make the report unreadable.
const MaxItems = 200

// Result is the outcome of one check.
type Result struct {
	ID        string   `json:"id"`
	Title     Text     `json:"title"`
	Criterion Text     `json:"criterion"`
	Maps      []string `json:"maps_to"`
	Verdict   Verdict  `json:"verdict"`
	// Examined counts the records the rule looked at (its input).
	Examined int `json:"examined"`
	// Counts holds named totals (e.g. "failures", "distinct_ips"); JSON
	// encodes map keys sorted, so output stays deterministic.
	Counts map[string]int `json:"counts"`
	Items  []Item         `json:"items"`
	// ItemsDropped counts items beyond MaxItems (lowest severity first).
	ItemsDropped int  `json:"items_dropped,omitempty"`
	Note         Text `json:"note,omitempty"`
}

// SourceCoverage is the collection status of one input over the period.
type SourceCoverage struct {
	Source string `json:"source"`
	Class  string `json:"class"` // auth, syslog, cron, wtmp, btmp, lastlog, audit, sulog, xferlog, journal, other
	// Files are the inputs of this log (its rotations).
	Files []string  `json:"files"`
	First time.Time `json:"first,omitempty"`
	Last  time.Time `json:"last,omitempty"`
	// Records counts records inside the period; OutOfPeriod those outside.
	Records     int64 `json:"records"`
	OutOfPeriod int64 `json:"out_of_period"`
	// PerDay is the record count per day of the period (policy time zone).
	PerDay []int64 `json:"per_day"`
	// CoveragePermille is the share of the period's hours that fall between
	// the first and last record and are not inside a gap, in tenths of a percent.
	CoveragePermille int   `json:"coverage_permille"`
	Gaps             []Gap `json:"gaps"`
	NonMonotonic     int64 `json:"non_monotonic"`
}

// Gap is a silence longer than the policy allows.
type Gap struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Hours int       `json:"hours"`
}

// ConfigFile is the state of one logging or access-control configuration
// file of the reviewed host (R21): its hash, owner and mode, compared with
// the previous period's report.
type ConfigFile struct {
	// Path is relative to the reviewed root ("etc/rsyslog.conf").
	Path string `json:"path"`
	// SHA256 is the content hash; empty when the file could not be read.
	SHA256  string    `json:"sha256,omitempty"`
	Size    int64     `json:"size"`
	Mode    string    `json:"mode"` // permission bits in octal, e.g. "0640"
	UID     int       `json:"uid"`  // owner; -1 when unknown
	ModTime time.Time `json:"mtime"`
	// Error is why the file could not be read (the hash is then missing).
	Error string `json:"error,omitempty"`
}
