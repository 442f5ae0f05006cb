// Package checkpoint keeps, per followed file, how far its events were
// acknowledged by the destination, and persists that durably: a versioned
// JSON state file written atomically (temp file, fsync, rename, fsync dir),
// coalesced so that a busy agent writes it at most every SaveInterval, and
// between saves a journal that records each ack with one write before the
// ack returns (journal.go), so that a killed agent repeats no acknowledged
// event.
//
// A file is identified by device and inode plus a fingerprint (a hash of its
// first bytes), so that rotation, copytruncate and inode reuse are told apart.
package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Version is the state file format this build writes. Version 2 added
// journal_seq (see journal.go); version 1 files are read as journal_seq 0.
const Version = 2

// minVersion is the oldest state file format this build reads.
const minVersion = 1

// FileName is the state file inside the state directory.
const FileName = "checkpoints.json"

// MaxStateBytes bounds the state file the decoder accepts (why: a corrupt or
// hostile file must not make the agent allocate without bound; 64 MiB holds
// hundreds of thousands of entries).
const MaxStateBytes = 64 << 20

// ErrUnsupportedVersion is returned when the state file was written by a
// newer (or unknown) format version.
var ErrUnsupportedVersion = errors.New("unsupported checkpoint version")

// Entry is the state of one file.
type Entry struct {
	// Source names the collect_list entry that followed the file, so two
	// entries sharing a file keep separate offsets.
	Source string `json:"source"`
	// Path is where the file was last seen (informational; identity is Dev, Inode, Fingerprint).
	Path  string `json:"path"`
	Dev   uint64 `json:"dev"`
	Inode uint64 `json:"inode"`
	// FingerprintLen is how many leading bytes Fingerprint covers.
	FingerprintLen int `json:"fingerprint_len"`
	// Fingerprint is the hex hash of the first FingerprintLen bytes.
	Fingerprint string `json:"fingerprint"`
	// Offset is the byte offset up to which every event was acknowledged.
	Offset int64 `json:"offset"`
	// Updated is when the entry last changed, Unix seconds.
	Updated int64 `json:"updated"`
}

// Key identifies an entry.
type Key struct {
	Source     string
	Dev, Inode uint64
}

// Key returns e's key.
func (e Entry) Key() Key { return Key{Source: e.Source, Dev: e.Dev, Inode: e.Inode} }

type stateFile struct {
	Version int `json:"version"`
	// JournalSeq is the last journal record the snapshot holds.
	JournalSeq uint64  `json:"journal_seq,omitempty"`
	Files      []Entry `json:"files"`
}

// Encode renders entries as a state file, sorted for stable output.
func Encode(entries []Entry) ([]byte, error) { return encodeState(entries, 0) }

func encodeState(entries []Entry, journalSeq uint64) ([]byte, error) {
	sorted := append([]Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Dev != b.Dev {
			return a.Dev < b.Dev
		}
		return a.Inode < b.Inode
	})
	if sorted == nil {
		sorted = []Entry{}
	}
	b, err := json.MarshalIndent(stateFile{Version: Version, JournalSeq: journalSeq, Files: sorted}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint: %w", err)
	}
	return append(b, '\n'), nil
}

// Decode parses a state file. It rejects unknown versions and entries that
// cannot be right (negative offsets, bad fingerprints) rather than guessing.
func Decode(data []byte) ([]Entry, error) {
	sf, err := decodeState(data)
	return sf.Files, err
}

func decodeState(data []byte) (stateFile, error) {
	var none stateFile
	if len(data) > MaxStateBytes {
		return none, fmt.Errorf("decode checkpoint: %d bytes exceeds the %d-byte limit", len(data), MaxStateBytes)
	}
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return none, fmt.Errorf("decode checkpoint: %w", err)
	}
	if head.Version == nil {
		return none, fmt.Errorf("decode checkpoint: no version field")
	}
	if v := *head.Version; v < minVersion || v > Version {
		return none, fmt.Errorf("decode checkpoint: %w %d (this build reads versions %d to %d)", ErrUnsupportedVersion, v, minVersion, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sf stateFile
	if err := dec.Decode(&sf); err != nil {
		return none, fmt.Errorf("decode checkpoint: %w", err)
	}
	if sf.Version < 2 && sf.JournalSeq != 0 {
		return none, fmt.Errorf("decode checkpoint: journal_seq: not a field of version %d", sf.Version)
	}
	for i, e := range sf.Files {
		if err := validEntry(e); err != nil {
			return none, fmt.Errorf("decode checkpoint: files[%d].%w", i, err)
		}
	}
	return sf, nil
}

// validEntry rejects an entry that cannot be right; the error starts with
// the field's name.
func validEntry(e Entry) error {
	if e.Offset < 0 {
		return fmt.Errorf("offset: %d is negative", e.Offset)
	}
	if e.FingerprintLen < 0 || e.FingerprintLen > MaxFingerprintLen {
		return fmt.Errorf("fingerprint_len: %d is not within 0..%d", e.FingerprintLen, MaxFingerprintLen)
	}
	if e.FingerprintLen > 0 && !validHex(e.Fingerprint) {
		return fmt.Errorf("fingerprint: %q is not a hex hash", e.Fingerprint)
	}
	return nil
}

// MaxFingerprintLen is the most leading bytes a fingerprint covers (why: 1 KiB
// tells apart files whose first lines share a header, yet is one small pread).
const MaxFingerprintLen = 1024

func validHex(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// DefaultStateDir is where checkpoints live when --state-dir is not given:
// /var/lib/logwarden/state for root, otherwise $XDG_STATE_HOME/logwarden or
// ~/.local/state/logwarden.
func DefaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/logwarden/state"
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "logwarden")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "state", "logwarden")
	}
	return filepath.Join(os.TempDir(), "logwarden-state")
}

func nowUnix() int64 { return time.Now().Unix() }
