// Package evidence makes a review's artefacts checkable by an auditor: the
// manifest with the SHA-256 of every artefact and input, the chain from each
// report to the previous period's, and the append-only sign-off record,
// whose entries may be signed with the signer's Ed25519 key (GenerateKey,
// AckInput.Key, VerifyOptions.PublicKeys). A hash chain shows that nothing
// was edited since; only a signature shows who signed, because anyone who
// can write the file can recompute a chain.
// The tool records what people decide; it never decides for them.
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/logwarden/logwarden/internal/fsutil"
	"github.com/logwarden/logwarden/internal/review/report"
)

// File names in a report directory.
const (
	ReportJSON   = "report.json"
	ReportMD     = "report.md"
	ReportHTML   = "report.html"
	ReportPDF    = "report.pdf"
	ManifestJSON = "manifest.json"
	SignoffsJSON = "signoffs.json"
	// ManifestSum holds the manifest's SHA-256 in sha256sum(1) format, so
	// that `sha256sum -c manifest.sha256` works without logwarden.
	ManifestSum = "manifest.sha256"
)

// ManifestSchema names the manifest format.
const ManifestSchema = "logwarden.review.manifest/v1"

// Artefact is one file of the report directory with its hash.
type Artefact struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest lists what a review read and wrote.
type Manifest struct {
	Schema           string         `json:"schema"`
	DocumentNo       string         `json:"document_no"`
	Period           report.Period  `json:"period"`
	Tool             report.Tool    `json:"tool"`
	PolicySHA256     string         `json:"policy_sha256"`
	Hosts            []string       `json:"hosts"`
	HostIdentity     *HostIdentity  `json:"host_identity,omitempty"`
	BuildCommit      string         `json:"build_commit,omitempty"`
	ReportSHA256     string         `json:"report_sha256"`
	PrevReportSHA256 string         `json:"prev_report_sha256,omitempty"`
	PrevPeriod       string         `json:"prev_period,omitempty"`
	Inputs           []report.Input `json:"inputs"`
	Gaps             []Gap          `json:"gaps"`
	Artefacts        []Artefact     `json:"artefacts"`
	Notes            []string       `json:"notes,omitempty"`
}

// HostIdentity is what the reviewed tree says about its host.
type HostIdentity struct {
	Root      string `json:"root"`
	Hostname  string `json:"hostname,omitempty"`
	MachineID string `json:"machine_id,omitempty"`
}

// Gap is one coverage gap of one source, repeated from the report.
type Gap struct {
	Source string    `json:"source"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Hours  int       `json:"hours"`
}

// HashBytes returns the hex SHA-256 of b.
func HashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// HashFile hashes one file.
func HashFile(path string) (Artefact, error) {
	f, err := os.Open(path)
	if err != nil {
		return Artefact{}, fmt.Errorf("open artefact: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Artefact{}, fmt.Errorf("hash artefact: %w", err)
	}
	return Artefact{Name: filepath.Base(path), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return b.Bytes(), nil
}

// WriteManifest hashes the named artefacts in dir (those that exist) and
// writes manifest.json atomically.
func WriteManifest(dir string, m *Manifest, artefacts []string) error {
	m.Schema = ManifestSchema
	m.Artefacts = m.Artefacts[:0]
	for _, name := range artefacts {
		a, err := HashFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if name == ReportJSON {
			m.ReportSHA256 = a.SHA256
		}
		m.Artefacts = append(m.Artefacts, a)
	}
	sort.Slice(m.Artefacts, func(i, j int) bool { return m.Artefacts[i].Name < m.Artefacts[j].Name })
	b, err := encode(m)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, ManifestJSON), b, 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	sum := HashBytes(b) + "  " + ManifestJSON + "\n"
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, ManifestSum), []byte(sum), 0o644); err != nil {
		return fmt.Errorf("write manifest sum: %w", err)
	}
	return nil
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestJSON))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: decode manifest: %w", ManifestJSON, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("%s: schema %q, want %q", ManifestJSON, m.Schema, ManifestSchema)
	}
	return &m, nil
}
