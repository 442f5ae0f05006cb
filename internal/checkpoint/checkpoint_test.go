package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEncodeDecode_RoundTrip(t *testing.T) {
	in := []Entry{
		{Source: "/var/log/b.log|g|s", Path: "/var/log/b.log", Dev: 2049, Inode: 12, FingerprintLen: 1024, Fingerprint: "00ff", Offset: 99, Updated: 1700000000},
		{Source: "/var/log/a.log|g|s", Path: "/var/log/a.log", Dev: 2049, Inode: 11, Offset: 0, Updated: 1700000001},
	}
	data, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, data)
	}
	if len(out) != 2 || out[0].Path != "/var/log/a.log" || out[1].Offset != 99 || out[1].Fingerprint != "00ff" {
		t.Fatalf("Decode(Encode(x)) = %+v", out)
	}
	again, _ := Encode(out)
	if string(again) != string(data) {
		t.Errorf("encoding is not stable:\n%s\n%s", data, again)
	}
}

func TestDecode_Rejects(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"NewerVersion", `{"version":3,"files":[]}`, "decode checkpoint: unsupported checkpoint version 3 (this build reads versions 1 to 2)"},
		{"JournalSeqInVersion1", `{"version":1,"journal_seq":5,"files":[]}`, "decode checkpoint: journal_seq: not a field of version 1"},
		{"NoVersion", `{"files":[]}`, "decode checkpoint: no version field"},
		{"NotJSON", `offset 12`, "decode checkpoint: invalid character"},
		{"NegativeOffset", `{"version":1,"files":[{"offset":-1}]}`, "decode checkpoint: files[0].offset: -1 is negative"},
		{"BadFingerprint", `{"version":1,"files":[{"fingerprint_len":4,"fingerprint":"xyz"}]}`, `decode checkpoint: files[0].fingerprint: "xyz" is not a hex hash`},
		{"HugeFingerprintLen", `{"version":1,"files":[{"fingerprint_len":99999}]}`, "decode checkpoint: files[0].fingerprint_len: 99999 is not within 0..1024"},
		{"UnknownField", `{"version":1,"files":[{"offset":1,"color":"red"}]}`, `decode checkpoint: json: unknown field "color"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Decode(%s) error = %v, want prefix %q", tc.in, err, tc.want)
			}
		})
	}
	if _, err := Decode([]byte(`{"version":7}`)); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("error %v is not ErrUnsupportedVersion", err)
	}
}

func TestOpen_RejectsUnknownVersion(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version":9,"files":[]}`), 0o600)
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "unsupported checkpoint version 9") {
		t.Fatalf("Open error = %v", err)
	}
}

func TestStore_TrackAckSaveReopen(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "."+FileName+".123.tmp"), []byte("half"), 0o600)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "."+FileName+".123.tmp")); !os.IsNotExist(err) {
		t.Errorf("leftover temp file not removed")
	}
	h := s.Track(Entry{Source: "src", Path: "/x.log", Dev: 1, Inode: 2})
	h.Ack(10)
	h.Ack(25)
	h.SetFingerprint(25, "abcd", "/x.log")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	fi1, _ := os.Stat(s.Path())
	if err := s.Save(); err != nil { // nothing changed: no rewrite
		t.Fatal(err)
	}
	fi2, _ := os.Stat(s.Path())
	if !os.SameFile(fi1, fi2) {
		t.Errorf("unchanged state was rewritten")
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := s2.Lookup(Key{Source: "src", Dev: 1, Inode: 2})
	if !ok || e.Offset != 25 || e.FingerprintLen != 25 || e.Fingerprint != "abcd" {
		t.Fatalf("Lookup = %+v, %v", e, ok)
	}
}

func TestHandle_RetiredIgnoresAcks(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := s.Track(Entry{Source: "s", Dev: 1, Inode: 1})
	old.Ack(500)
	gen2 := s.Track(Entry{Source: "s", Dev: 1, Inode: 1}) // after a copytruncate
	old.Ack(900)                                          // a late ack for the old content
	gen2.Ack(30)
	s.Save()
	e, _ := s.Lookup(Key{Source: "s", Dev: 1, Inode: 1})
	if e.Offset != 30 {
		t.Fatalf("offset = %d, want 30 (the new generation's)", e.Offset)
	}
	gen2.Release(true)
	s.Save()
	if _, ok := s.Lookup(Key{Source: "s", Dev: 1, Inode: 1}); ok {
		t.Errorf("released with remove, still present")
	}
}

func TestStore_ExpiresStaleEntries(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-100 * time.Hour).Unix()
	data, _ := Encode([]Entry{
		{Source: "s", Dev: 1, Inode: 1, Offset: 5, Updated: old},
		{Source: "s", Dev: 1, Inode: 2, Offset: 6, Updated: time.Now().Unix()},
	})
	os.WriteFile(filepath.Join(dir, FileName), data, 0o600)
	s, err := Open(dir, Options{StaleAfter: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(Key{Source: "s", Dev: 1, Inode: 1}); ok {
		t.Errorf("stale entry kept")
	}
	if _, ok := s.Lookup(Key{Source: "s", Dev: 1, Inode: 2}); !ok {
		t.Errorf("fresh entry dropped")
	}
}

func TestDefaultStateDir(t *testing.T) {
	got := DefaultStateDir()
	if os.Geteuid() == 0 {
		if got != "/var/lib/logwarden/state" {
			t.Errorf("DefaultStateDir() = %q for root", got)
		}
		return
	}
	t.Setenv("XDG_STATE_HOME", "/tmp/xdg")
	if got := DefaultStateDir(); got != "/tmp/xdg/logwarden" {
		t.Errorf("DefaultStateDir() = %q", got)
	}
}

func FuzzDecode(f *testing.F) {
	seed, _ := Encode([]Entry{{Source: "a|b|c", Path: "/a", Dev: 1, Inode: 2, FingerprintLen: 3, Fingerprint: "0a0b", Offset: 7, Updated: 1}})
	f.Add(seed)
	f.Add([]byte(`{"version":1,"files":[]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"files":[{"offset":-5}]}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Decode(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Offset < 0 || e.FingerprintLen < 0 || e.FingerprintLen > MaxFingerprintLen {
				t.Fatalf("accepted an invalid entry %+v", e)
			}
		}
		out, err := Encode(entries)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(out); err != nil {
			t.Fatalf("re-decode of own encoding: %v", err)
		}
	})
}

func TestOpen_UnwritableStateDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere; covered when run as a normal user")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Fatalf("Open on a read-only dir: %v", err)
	}
}
