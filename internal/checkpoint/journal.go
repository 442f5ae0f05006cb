package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The journal makes an acknowledgement survive a crash of the process the
// moment it is recorded, without an fsync per batch: every ack (and every
// new or removed entry) is appended as one record to a journal file with a
// single write(2), which a kill -9 cannot undo, since the data is in the
// page cache. The state file stays the durable, fsynced snapshot: each save
// starts a new journal file and, once the snapshot is on disk, deletes the
// older ones. Opening the store replays the records newer than the snapshot.
//
// A power loss can lose the journal's last records (they are not fsynced):
// the agent then resumes from the snapshot, at most SaveInterval older, and
// sends those events again; nothing is lost.
//
// Record: "<seq> <op> <crc> <entry JSON>\n", seq and crc in lower-case hex,
// op P (put the entry) or D (delete it), crc the CRC-32C of "<seq> <op>
// <entry JSON>". Replay stops at the first record that does not decode (the
// tail of a write the crash cut short).

// journalPrefix starts the name of each journal file; the rest is the
// 16-digit hex sequence number of its first record.
const journalPrefix = FileName + ".journal."

// maxJournalRecord bounds one record (why: an entry is a few hundred bytes
// even with a long path; a longer line is corruption, not a record).
const maxJournalRecord = 64 << 10

// maxJournalBytes bounds what Open reads of all journal files together
// (why: a save starts a new file every SaveInterval, so the files are small;
// this much means saves failed for a long time, and replaying more would
// only hold memory).
const maxJournalBytes = MaxStateBytes

const (
	opPut    = 'P'
	opDelete = 'D'
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// journalRecord is one decoded record.
type journalRecord struct {
	Seq   uint64
	Op    byte
	Entry Entry
}

// appendRecord encodes r onto dst.
func appendRecord(dst []byte, r journalRecord) ([]byte, error) {
	body, err := json.Marshal(r.Entry)
	if err != nil {
		return dst, fmt.Errorf("encode journal record: %w", err)
	}
	head := strconv.FormatUint(r.Seq, 16) + " " + string(r.Op)
	crc := crc32.Update(crc32.Checksum([]byte(head+" "), crcTable), crcTable, body)
	dst = append(dst, head...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(crc), 16)
	dst = append(dst, ' ')
	dst = append(dst, body...)
	return append(dst, '\n'), nil
}

// decodeJournal returns the records of one journal file up to the first one
// that does not decode, and an error describing that one (nil when the file
// ended cleanly). Records must have increasing sequence numbers.
func decodeJournal(data []byte) ([]journalRecord, error) {
	var out []journalRecord
	var prev uint64
	for line := 1; len(data) > 0; line++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return out, fmt.Errorf("record %d: no end of line (a write cut short)", line)
		}
		rec, err := decodeRecord(data[:i])
		if err != nil {
			return out, fmt.Errorf("record %d: %w", line, err)
		}
		if len(out) > 0 && rec.Seq <= prev {
			return out, fmt.Errorf("record %d: sequence %d does not follow %d", line, rec.Seq, prev)
		}
		prev = rec.Seq
		out = append(out, rec)
		data = data[i+1:]
	}
	return out, nil
}

func decodeRecord(line []byte) (journalRecord, error) {
	var r journalRecord
	if len(line) > maxJournalRecord {
		return r, fmt.Errorf("%d bytes exceeds the %d-byte limit", len(line), maxJournalRecord)
	}
	seqB, rest, ok1 := bytes.Cut(line, []byte{' '})
	opB, rest, ok2 := bytes.Cut(rest, []byte{' '})
	crcB, body, ok3 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || !ok3 || len(opB) != 1 {
		return r, errors.New("not <seq> <op> <crc> <entry>")
	}
	seq, err := strconv.ParseUint(string(seqB), 16, 64)
	if err != nil || seq == 0 {
		return r, fmt.Errorf("sequence %q is not a positive hex number", seqB)
	}
	crc, err := strconv.ParseUint(string(crcB), 16, 32)
	if err != nil {
		return r, fmt.Errorf("checksum %q is not hex", crcB)
	}
	head := line[:len(seqB)+1+len(opB)+1]
	if got := crc32.Update(crc32.Checksum(head, crcTable), crcTable, body); uint64(got) != crc {
		return r, fmt.Errorf("checksum %08x does not match %08x", got, crc)
	}
	if op := opB[0]; op != opPut && op != opDelete {
		return r, fmt.Errorf("unknown operation %q", op)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r.Entry); err != nil {
		return r, fmt.Errorf("entry: %w", err)
	}
	if err := validEntry(r.Entry); err != nil {
		return r, err
	}
	r.Seq, r.Op = seq, opB[0]
	return r, nil
}

// journalFile is one journal file found in the state directory.
type journalFile struct {
	path  string
	first uint64 // sequence number of its first record
}

// listJournals returns dir's journal files, oldest first.
func listJournals(dir string) ([]journalFile, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list journal: %w", err)
	}
	var out []journalFile
	for _, de := range des {
		hex, ok := strings.CutPrefix(de.Name(), journalPrefix)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			continue // not one of ours
		}
		out = append(out, journalFile{path: filepath.Join(dir, de.Name()), first: first})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out, nil
}

// readJournals returns the records of dir's journal files newer than after,
// in order. A file that ends in a torn record ends the replay there: what
// follows cannot be trusted to be complete.
func readJournals(dir string, after uint64) ([]journalRecord, []string, error) {
	files, err := listJournals(dir)
	if err != nil {
		return nil, nil, err
	}
	var out []journalRecord
	var notes []string
	total := 0
	last := after
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read journal: %w", err)
		}
		if total += len(data); total > maxJournalBytes {
			// Saves kept failing for long: start from what was read rather
			// than not at all (the rest is sent again, nothing is lost).
			notes = append(notes, fmt.Sprintf("%s: the journal exceeds %d bytes; later records ignored", filepath.Base(f.path), maxJournalBytes))
			break
		}
		recs, derr := decodeJournal(data)
		for _, r := range recs {
			if r.Seq <= last {
				continue // already in the snapshot, or a repeat
			}
			out = append(out, r)
			last = r.Seq
		}
		if derr != nil {
			notes = append(notes, fmt.Sprintf("%s: %v; later records ignored", filepath.Base(f.path), derr))
			break
		}
	}
	return out, notes, nil
}

// journal appends records to the current journal file.
type journal struct {
	dir  string
	f    *os.File
	seq  uint64 // last sequence number used
	buf  []byte
	werr error // the last append error, reported by the next save
}

// open starts a new journal file for the records after j.seq.
func (j *journal) open() error {
	name := filepath.Join(j.dir, fmt.Sprintf("%s%016x", journalPrefix, j.seq+1))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	j.f = f
	return nil
}

// append writes one record with a single write call.
func (j *journal) append(op byte, e Entry) {
	if j.f == nil {
		if err := j.open(); err != nil {
			j.werr = err
			return
		}
	}
	j.seq++
	b, err := appendRecord(j.buf[:0], journalRecord{Seq: j.seq, Op: op, Entry: e})
	j.buf = b
	if err == nil {
		_, err = j.f.Write(b)
	}
	if err != nil {
		j.werr = fmt.Errorf("append journal: %w", err)
	}
}

// rotate closes the current file and starts a new one; it returns the last
// sequence number written before the switch.
func (j *journal) rotate() (uint64, error) {
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
	return j.seq, j.open()
}

// close closes the current file.
func (j *journal) close() {
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
}

// removeUpTo deletes the journal files whose records are all at most seq
// (those a durable snapshot holds).
func removeUpTo(dir string, seq uint64) error {
	files, err := listJournals(dir)
	if err != nil {
		return err
	}
	for i, f := range files {
		// f holds [f.first, next.first); all of it is <= seq when the next
		// file starts at or below seq+1.
		end := uint64(0)
		if i+1 < len(files) {
			end = files[i+1].first
		}
		if f.first <= seq && (end != 0 && end <= seq+1) {
			if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove journal: %w", err)
			}
		}
	}
	return nil
}
