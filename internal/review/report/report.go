// Package report holds the canonical U-43 review report (report.json, the
// source of truth, in RFC 8785 canonical JSON) and its renderings: Markdown, self-contained HTML with
// inline SVG charts, and PDF. Rendering is a pure function of the Report, so
// the same inputs give byte-identical files.
package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/logwarden/logwarden/internal/review/check"
	"github.com/logwarden/logwarden/internal/review/jcs"
)

// Schema names the report.json format.
const Schema = "logwarden.review.report/v1"

// Ruleset names the version of the rules in internal/review/check.
const Ruleset = "U43-R01-R21/2026.11"

// Report is the canonical review result for one period.
type Report struct {
	Schema     string `json:"schema"`
	DocumentNo string `json:"document_no"`
	// ReportDate is the date the operator gave (--report-date); empty when
	// none, so that the file does not depend on the wall clock.
	ReportDate  string                 `json:"report_date,omitempty"`
	Period      Period                 `json:"period"`
	Tool        Tool                   `json:"tool"`
	Policy      PolicyRef              `json:"policy"`
	Scope       Scope                  `json:"scope"`
	Overall     Overall                `json:"overall"`
	Checks      []check.Result         `json:"checks"`
	Register    []Entry                `json:"register"`
	Coverage    []check.SourceCoverage `json:"coverage"`
	Inputs      []Input                `json:"inputs"`
	Charts      Charts                 `json:"charts"`
	Extracts    []Extract              `json:"extracts"`
	Limitations []check.Text           `json:"limitations"`
	Baseline    *check.Baseline        `json:"baseline"`
	Previous    *Previous              `json:"previous"`
	KindCounts  map[string]int64       `json:"record_kinds"`
	// Configs are the host's configuration files (R21) in a file review;
	// the next period compares its files with these.
	Configs []check.ConfigFile `json:"configs,omitempty"`
}

// Period is the reviewed interval [Start, End).
type Period struct {
	Label    string    `json:"label"` // e.g. 2026-11
	Timezone string    `json:"timezone"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	StartUTC time.Time `json:"start_utc"`
	EndUTC   time.Time `json:"end_utc"`
}

// Tool identifies the program that made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Ruleset string `json:"ruleset"`
}

// PolicyRef is the criteria applied: name, hash and the policy itself.
type PolicyRef struct {
	Name   string          `json:"name"`
	SHA256 string          `json:"sha256"`
	Source string          `json:"source"` // "built-in" or the file name given
	Body   json.RawMessage `json:"body"`
}

// Scope is what was reviewed.
type Scope struct {
	Hosts   []string `json:"hosts"`
	Sources []string `json:"sources"`
	Mode    string   `json:"mode"` // files, server, cloudwatch
}

// Overall is the summary verdict.
type Overall struct {
	Verdict check.Verdict `json:"verdict"`
	Pass    int           `json:"pass"`
	Notice  int           `json:"notice"`
	Finding int           `json:"finding"`
	NA      int           `json:"na"`
	// CoveragePermille is the lowest coverage among auth/syslog sources.
	CoveragePermille int `json:"coverage_permille"`
	OpenFindings     int `json:"open_findings"`
	CarriedOver      int `json:"carried_over"`
}

// Entry is one line of the findings register (이상징후 및 조치 내역). The
// judgement, action, owner and closing fields stay empty: people fill them
// in through recorded sign-offs, never the tool.
type Entry struct {
	No       int            `json:"no"`
	Key      string         `json:"key"`
	Rule     string         `json:"rule"`
	Severity check.Severity `json:"severity"`
	Host     string         `json:"host,omitempty"`
	Subject  string         `json:"subject"`
	First    time.Time      `json:"first"`
	Last     time.Time      `json:"last"`
	Count    int            `json:"count"`
	Summary  check.Text     `json:"summary"`
	Evidence []check.Ref    `json:"evidence"`
	// Since is the period the finding was first reported in.
	Since string `json:"since"`
	// Status: "open" (new or recurring this period), "carried" (open from an
	// earlier period, not seen again), "closed" (closed by a recorded
	// disposition before this period; listed once, then dropped).
	Status      string `json:"status"`
	Disposition string `json:"disposition"`
	Action      string `json:"action"`
	Owner       string `json:"owner"`
	ClosedBy    string `json:"closed_by,omitempty"`
}

// Input is one reviewed input as the manifest lists it.
type Input struct {
	Source       string    `json:"source"`
	Kind         string    `json:"kind"` // file, gzip, wtmp, cloudwatch, ...
	Path         string    `json:"path,omitempty"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256,omitempty"`
	ByteStart    int64     `json:"byte_start"`
	ByteEnd      int64     `json:"byte_end"`
	Inode        uint64    `json:"inode,omitempty"`
	ModTime      time.Time `json:"mtime,omitempty"`
	LogGroup     string    `json:"log_group,omitempty"`
	LogStream    string    `json:"log_stream,omitempty"`
	Lines        int64     `json:"lines"`
	Records      int64     `json:"records"`
	Unrecognised int64     `json:"unrecognised"`
	ParseErrors  int64     `json:"parse_errors"`
	First        time.Time `json:"first,omitempty"`
	Last         time.Time `json:"last,omitempty"`
	Note         string    `json:"note,omitempty"`
	// Tamper holds the tampering tells of a binary login file (wtmp/btmp).
	Tamper *BinaryTells `json:"tamper,omitempty"`
	// Class is the log kind (auth, syslog, ...), when the reader knows it.
	Class string `json:"class,omitempty"`
	// MissingRotations names rotated files expected in this log's chain
	// but absent (a deleted week of logs).
	MissingRotations []string `json:"missing_rotations,omitempty"`
}

// BinaryTells are the signs that a utmp-format file was edited: zeroed
// records, a size that is not a multiple of the record size, time going
// backwards, records that fail the sanity check.
type BinaryTells struct {
	Empty         int64 `json:"empty_records"`
	TrailingBytes int64 `json:"trailing_bytes"`
	Backwards     int64 `json:"backwards"`
	Insane        int64 `json:"insane"`
}

// Charts is the data behind the HTML charts.
type Charts struct {
	EventsPerDay    []DayCount `json:"events_per_day"`
	FailuresPerHour []int      `json:"failures_per_hour"` // 24 cells, hour of day in the period's zone
	TopSourceIPs    []IPCount  `json:"top_source_ips"`
}

// DayCount is the number of records on one day.
type DayCount struct {
	Day   string `json:"day"`
	Count int64  `json:"count"`
}

// IPCount is the number of failed logins from one address.
type IPCount struct {
	IP       string `json:"ip"`
	Failures int    `json:"failures"`
}

// Extract is one evidence line quoted in the appendix.
type Extract struct {
	Source string `json:"source"`
	Line   int64  `json:"line"`
	Text   string `json:"text"`
}

// Previous chains this report to the last period's.
type Previous struct {
	Period       string `json:"period"`
	ReportSHA256 string `json:"report_sha256"`
	// Dir is the previous report directory's name (a sibling of this one).
	Dir string `json:"dir,omitempty"`
}

// JSON encodes the report as RFC 8785 canonical JSON (package jcs): no
// whitespace, no trailing newline, member names sorted by UTF-16 code units,
// times in the period's zone. Same report, same bytes; the file's SHA-256 is
// the hash that the manifest, the next period's report and the sign-offs
// record. Reports written before this form (two-space indented) are still
// read by Decode and still verify by the hashes recorded for them.
func (r *Report) JSON() ([]byte, error) {
	b, err := jcs.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return b, nil
}

// Decode reads a report.json.
func Decode(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("decode report: schema %q, want %q", r.Schema, Schema)
	}
	return &r, nil
}

// Limitations lists what OS logs cannot prove; printed in every report.
func Limitations() []check.Text {
	return []check.Text{
		{Ko: "OS 로그에는 '처리한 정보주체 정보'가 없음: 개인정보의 안전성 확보조치 기준 제8조의 접속기록 점검은 애플리케이션·DB 접속기록으로 별도 수행해야 하며, 이 보고서만으로 제8조 준수를 주장할 수 없음.",
			En: "OS logs do not record which data subjects were processed: the access-record review of the Personal Information Security Standard Art. 8 must be done on application/DB logs; this report alone does not show Art. 8 compliance."},
		{Ko: "수행업무(조회·다운로드 등)는 sudo 명령과 감사 로그로만 근사할 수 있으며, 다운로드 사유 확인(제8조②)은 이 보고서의 범위 밖임.",
			En: "Tasks performed (view, download, ...) are approximated only by sudo commands and audit records; checking download reasons (Art. 8 ②) is outside this report."},
		{Ko: "로그가 삭제·변조된 뒤 남은 기록만으로는 변조 이전 내용을 증명할 수 없음: 원격 저장소(CloudWatch Logs 등)의 보존·무결성 설정을 함께 확인해야 함 (ISMS-P 2.9.4).",
			En: "Logs that were deleted or altered before collection cannot be reconstructed from what remains: check the retention and integrity settings of the remote store (CloudWatch Logs etc.) as well (ISMS-P 2.9.4)."},
		{Ko: "공개키 인증 실패는 btmp에 기록되지 않으며, syslog 속도 제한 시 일부 인증 이벤트가 누락될 수 있음.",
			En: "Public-key failures are not written to btmp, and syslog rate limiting can drop authentication events."},
		{Ko: "업무시간·공휴일·허용 계정·승인 접속지 판단은 정책 파일의 값에 따름: 정책이 실제 운영과 다르면 판정도 다름.",
			En: "Business hours, holidays, allowed accounts and approved networks come from the policy file: if it differs from practice, so do the verdicts."},
		{Ko: "이 도구는 판정·소명·조치·결재를 대신하지 않음: 결재란과 조치 내역은 기록된 서명(signoffs.json)으로만 채워짐.",
			En: "The tool does not make the reviewer's judgement, explanation, action or approval: the approval box and register actions are filled only from recorded sign-offs (signoffs.json)."},
	}
}
