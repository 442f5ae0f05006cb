package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var jkey = Key{Source: "src", Dev: 7, Inode: 9}

func openT(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func offsetOf(t *testing.T, s *Store, k Key) int64 {
	t.Helper()
	e, ok := s.Lookup(k)
	if !ok {
		t.Fatalf("no entry for %+v", k)
	}
	return e.Offset
}

// trackedT opens a store in a new directory, tracks the entry of jkey in it
// and acknowledges acks in order (each one journaled).
func trackedT(t *testing.T, acks ...int64) (dir string, s *Store, h *Handle) {
	t.Helper()
	dir = t.TempDir()
	s = openT(t, dir)
	h = s.Track(Entry{Source: jkey.Source, Dev: jkey.Dev, Inode: jkey.Inode})
	for _, off := range acks {
		h.Ack(off)
	}
	return dir, s, h
}

func journalNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := listJournals(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(f.path))
	}
	return out
}

// A store dropped without a save (the process was killed) still knows every
// ack: the journal holds them.
func TestJournal_AckSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	h := s.Track(Entry{Source: "src", Path: "/x.log", Dev: 7, Inode: 9, FingerprintLen: 4, Fingerprint: "abcd"})
	h.Ack(100)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	h.Ack(250)
	h.Ack(400)
	// No Save, no Run: a kill -9 here.
	s2 := openT(t, dir)
	if got := offsetOf(t, s2, jkey); got != 400 {
		t.Fatalf("offset after crash = %d, want 400 (the last ack)", got)
	}
	if e, _ := s2.Lookup(jkey); e.Fingerprint != "abcd" || e.Path != "/x.log" {
		t.Errorf("entry after replay = %+v", e)
	}
	if s2.Fresh() {
		t.Error("a store with a state file reports Fresh")
	}
}

// A file tracked and acked before the first save is not a first start.
func TestJournal_BeforeFirstSave(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	s.Track(Entry{Source: "src", Dev: 7, Inode: 9, Offset: 4096}).Ack(5000)
	s2 := openT(t, dir)
	if s2.Fresh() {
		t.Error("journal-only state reports Fresh (the CloudWatch Agent's state would be imported again)")
	}
	if got := offsetOf(t, s2, jkey); got != 5000 {
		t.Fatalf("offset = %d, want 5000", got)
	}
}

// A save keeps only the journal file started at the save; a graceful stop
// leaves the state file alone.
func TestJournal_SaveTrimsAndStopRemoves(t *testing.T) {
	dir, s, h := trackedT(t)
	for i := int64(1); i <= 5; i++ {
		h.Ack(i * 10)
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if names := journalNames(t, dir); len(names) != 1 {
		t.Fatalf("journal files after saves = %v, want only the current one", names)
	}
	h.Ack(60)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if names := journalNames(t, dir); len(names) != 0 {
		t.Errorf("journal files after a graceful stop = %v, want none", names)
	}
	if got := offsetOf(t, openT(t, dir), jkey); got != 60 {
		t.Errorf("offset after restart = %d, want 60", got)
	}
}

// Records the snapshot already holds are not applied again, even when a
// crash left their file behind (it hit between the save and the removal).
func TestJournal_OldRecordsDoNotRegress(t *testing.T) {
	dir, s, h := trackedT(t, 10, 20)
	old := journalNames(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, old[0]))
	if err != nil {
		t.Fatal(err)
	}
	h.Ack(30)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	// Put the first journal back, holding acks 10 and 20 only.
	if err := os.WriteFile(filepath.Join(dir, old[0]), data, 0o640); err != nil {
		t.Fatal(err)
	}
	if got := offsetOf(t, openT(t, dir), jkey); got != 30 {
		t.Fatalf("offset = %d, want 30 (old records must not win)", got)
	}
}

// Releasing with remove is journaled too.
func TestJournal_Remove(t *testing.T) {
	dir, s, h := trackedT(t, 10)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	h.Release(true)
	if _, ok := openT(t, dir).Lookup(jkey); ok {
		t.Error("an entry removed before the crash came back")
	}
}

// A record cut short (a power loss) ends the replay there.
func TestJournal_TornRecord(t *testing.T) {
	dir, _, _ := trackedT(t, 10, 20)
	names := journalNames(t, dir)
	path := filepath.Join(dir, names[len(names)-1])
	data, _ := os.ReadFile(path)
	cut := strings.LastIndexByte(strings.TrimSuffix(string(data), "\n"), '\n') + 1
	if err := os.WriteFile(path, append(data[:cut], data[cut:len(data)-7]...), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := offsetOf(t, openT(t, dir), jkey); got != 10 {
		t.Fatalf("offset = %d, want 10 (the last whole record)", got)
	}
}

func TestDecodeJournal_Rejects(t *testing.T) {
	good, err := appendRecord(nil, journalRecord{Seq: 3, Op: opPut, Entry: Entry{Source: "s", Offset: 5}})
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSuffix(string(good), "\n")
	for _, tc := range []struct{ name, in, want string }{
		{"NoNewline", line, "record 1: no end of line"},
		{"BadCRC", strings.Replace(line, `"offset":5`, `"offset":6`, 1) + "\n", "record 1: checksum"},
		{"Fields", "3 P\n", "record 1: not <seq> <op> <crc> <entry>"},
		{"ZeroSeq", "0 P 0 {}\n", "record 1: sequence \"0\""},
		{"Repeat", line + "\n" + line + "\n", "record 2: sequence 3 does not follow 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeJournal([]byte(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v, want prefix %q", err, tc.want)
			}
		})
	}
	recs, err := decodeJournal(good)
	if err != nil || len(recs) != 1 || recs[0].Seq != 3 || recs[0].Entry.Offset != 5 {
		t.Fatalf("decode good = %+v, %v", recs, err)
	}
}

// The journal is written once per ack: a save does not wait for acks, and
// acks never wait for an fsync.
func BenchmarkAck(b *testing.B) {
	s, err := Open(b.TempDir(), Options{SaveInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Track(Entry{Source: "/var/log/messages", Path: "/var/log/messages", Dev: 7, Inode: 9, FingerprintLen: 1024, Fingerprint: strings.Repeat("ab", 16)})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Ack(int64(i))
	}
}

func FuzzDecodeJournal(f *testing.F) {
	good, _ := appendRecord(nil, journalRecord{Seq: 1, Op: opPut, Entry: Entry{Source: "s", Path: "/p", Dev: 1, Inode: 2, FingerprintLen: 2, Fingerprint: "ab", Offset: 9}})
	f.Add(good)
	f.Add([]byte("1 D 0 {}\n"))
	f.Add([]byte("ff P zz {\"offset\":-1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _ := decodeJournal(data)
		var prev uint64
		for _, r := range recs {
			if r.Seq <= prev || (r.Op != opPut && r.Op != opDelete) || validEntry(r.Entry) != nil {
				t.Fatalf("decoded an invalid record %+v", r)
			}
			prev = r.Seq
			again, err := appendRecord(nil, r)
			if err != nil {
				t.Fatal(err)
			}
			if back, err := decodeJournal(again); err != nil || len(back) != 1 || back[0] != r {
				t.Fatalf("round trip of %+v = %+v, %v", r, back, err)
			}
		}
	})
}
