package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/fsutil"
	"github.com/logwarden/logwarden/internal/review/jcs"
)

// Roles of the approval line (결재): 담당 → 검토 → 승인.
var Roles = map[string]string{
	"담당": "담당", "작성": "담당", "prepared": "담당", "preparer": "담당",
	"검토": "검토", "reviewed": "검토", "reviewer": "검토",
	"승인": "승인", "approved": "승인", "approver": "승인",
}

// FindingStatuses a person may record for a register entry.
var FindingStatuses = map[string]string{
	"정상확인": "정상확인", "normal": "정상확인",
	"조치완료": "조치완료", "fixed": "조치완료", "closed": "조치완료",
	"조치중": "조치중", "in-progress": "조치중",
}

// Disposition is a person's decision on one register entry.
type Disposition struct {
	Key    string `json:"key"`
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// Signoff is one recorded sign-off. EntrySHA256 covers every other field
// but Signature, and PrevEntrySHA256 the previous entry, so an edited,
// removed or reordered entry breaks the chain. The chain alone can be
// recomputed by anyone who edits the file; a signed entry (PublicKey and
// Signature, Ed25519) can only be made by the holder of the private key.
// The signature covers SignedMessage: SigningContext followed by the RFC 8785
// canonical JSON of the entry without its signature member (entry_sha256
// included).
type Signoff struct {
	Seq             int           `json:"seq"`
	Role            string        `json:"role"`
	Name            string        `json:"name"`
	EmployeeID      string        `json:"employee_id,omitempty"`
	Time            time.Time     `json:"time"`
	Decision        string        `json:"decision,omitempty"`
	Comment         string        `json:"comment,omitempty"`
	Findings        []Disposition `json:"findings,omitempty"`
	ReportSHA256    string        `json:"report_sha256"`
	ManifestSHA256  string        `json:"manifest_sha256"`
	PrevEntrySHA256 string        `json:"prev_entry_sha256"`
	// PublicKey is the signer's raw 32-byte Ed25519 public key, base64.
	PublicKey   string `json:"public_key,omitempty"`
	EntrySHA256 string `json:"entry_sha256"`
	// Signature is the Ed25519 signature of SignedMessage, base64.
	Signature string `json:"signature,omitempty"`
}

// SigningContext starts every signed message, so that a sign-off signature
// cannot be taken for a signature of anything else made with the same key.
const SigningContext = "logwarden.review.signoff/v1\n"

// SignedMessage returns the bytes a sign-off's signature covers.
func (s Signoff) SignedMessage() ([]byte, error) {
	s.Signature = ""
	b, err := jcs.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode sign-off: %w", err)
	}
	return append([]byte(SigningContext), b...), nil
}

// maxNameLen bounds free-text fields of a sign-off.
const maxNameLen = 200

func (s Signoff) hash() string {
	s.EntrySHA256 = ""
	s.Signature = ""
	b, _ := json.Marshal(s) // plain fields: cannot fail
	return HashBytes(b)
}

// ReadSignoffs reads dir/signoffs.json; a missing file is an empty list.
func ReadSignoffs(dir string) ([]Signoff, error) {
	b, err := os.ReadFile(filepath.Join(dir, SignoffsJSON))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read signoffs: %w", err)
	}
	var list []Signoff
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: decode signoffs: %w", SignoffsJSON, err)
	}
	return list, nil
}

// AckInput is what a person states when signing.
type AckInput struct {
	Role, Name, EmployeeID, Decision, Comment string
	Findings                                  []Disposition
	// Key, when set, signs the entry (review ack --key).
	Key ed25519.PrivateKey
}

// Ack appends a sign-off for the report in dir, after checking that the
// directory verifies (a person must not sign altered artefacts).
func Ack(dir string, in AckInput, now time.Time) (Signoff, error) {
	role, ok := Roles[strings.ToLower(strings.TrimSpace(in.Role))]
	if !ok {
		return Signoff{}, fmt.Errorf("ack: role %q is not one of 담당, 검토, 승인", in.Role)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return Signoff{}, errors.New("ack: --name is required: a sign-off names the person")
	}
	for _, f := range []string{in.Name, in.EmployeeID, in.Decision} {
		if len(f) > maxNameLen {
			return Signoff{}, fmt.Errorf("ack: field longer than %d bytes", maxNameLen)
		}
	}
	for i, d := range in.Findings {
		st, ok := FindingStatuses[d.Status]
		if !ok {
			return Signoff{}, fmt.Errorf("ack: finding %s: status %q is not one of 정상확인, 조치완료, 조치중", d.Key, d.Status)
		}
		in.Findings[i].Status = st
	}
	res := Verify(dir, VerifyOptions{})
	if !res.OK() {
		return Signoff{}, fmt.Errorf("ack: %s does not verify, refusing to sign: %s", dir, strings.Join(res.Failures(), "; "))
	}
	list, err := ReadSignoffs(dir)
	if err != nil {
		return Signoff{}, err
	}
	rep, err := HashFile(filepath.Join(dir, ReportJSON))
	if err != nil {
		return Signoff{}, err
	}
	man, err := HashFile(filepath.Join(dir, ManifestJSON))
	if err != nil {
		return Signoff{}, err
	}
	s := Signoff{
		Seq: len(list) + 1, Role: role, Name: name, EmployeeID: in.EmployeeID, Time: now.UTC().Truncate(time.Second),
		Decision: in.Decision, Comment: in.Comment, Findings: in.Findings,
		ReportSHA256: rep.SHA256, ManifestSHA256: man.SHA256,
	}
	if len(list) > 0 {
		s.PrevEntrySHA256 = list[len(list)-1].EntrySHA256
	}
	if in.Key != nil {
		s.PublicKey = base64.StdEncoding.EncodeToString(in.Key.Public().(ed25519.PublicKey))
	}
	s.EntrySHA256 = s.hash()
	if in.Key != nil {
		msg, err := s.SignedMessage()
		if err != nil {
			return Signoff{}, err
		}
		s.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(in.Key, msg))
	}
	list = append(list, s)
	b, err := encode(list)
	if err != nil {
		return Signoff{}, err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, SignoffsJSON), b, 0o644); err != nil {
		return Signoff{}, fmt.Errorf("write signoffs: %w", err)
	}
	return s, nil
}

// ClosedFindings returns the register keys that people closed (정상확인 or
// 조치완료) in dir's sign-offs, with the closing entry's name.
func ClosedFindings(dir string) (map[string]string, error) {
	list, err := ReadSignoffs(dir)
	if err != nil {
		return nil, err
	}
	closed := map[string]string{}
	for _, s := range list {
		for _, d := range s.Findings {
			switch d.Status {
			case "정상확인", "조치완료":
				closed[d.Key] = fmt.Sprintf("%s %s (%s) %s", s.Role, s.Name, d.Status, s.Time.Format("2006-01-02"))
			default:
				delete(closed, d.Key)
			}
		}
	}
	return closed, nil
}
