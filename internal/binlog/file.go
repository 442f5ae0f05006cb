package binlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Format is the kind of binary login file.
type Format int

// Formats DetectFormat tells apart.
const (
	FormatUnknown Format = iota
	FormatUtmp           // /var/run/utmp: current sessions
	FormatWtmp           // /var/log/wtmp: logins, logouts, boots
	FormatBtmp           // /var/log/btmp: failed logins
	FormatLastlog        // /var/log/lastlog: last login per uid
)

func (f Format) String() string {
	switch f {
	case FormatUtmp:
		return "utmp"
	case FormatWtmp:
		return "wtmp"
	case FormatBtmp:
		return "btmp"
	case FormatLastlog:
		return "lastlog"
	}
	return "unknown"
}

// HeadSize is how many leading bytes DetectFormat wants to see (enough for
// maxProbe records of either utmp layout).
const HeadSize = maxProbe * 400

// DetectFormat tells the format of a binary login file from its name
// (wtmp, btmp, utmp, lastlog, with rotation suffixes such as wtmp.1 or
// btmp-20261101) and confirms it from the content: a name that says wtmp
// over bytes that are not utmp records yields FormatUnknown. A file
// without such a name is recognised as wtmp when its content is sane utmp
// records (lastlog content cannot be told from noise, so it needs its name).
func DetectFormat(path string, head []byte) Format {
	base := strings.ToLower(filepath.Base(path))
	var byName Format
	switch {
	case strings.Contains(base, "lastlog2") || strings.HasSuffix(base, ".db"):
		return FormatUnknown // wtmpdb / lastlog2 are SQLite
	case strings.Contains(base, "lastlog"):
		byName = FormatLastlog
	case strings.Contains(base, "btmp"):
		byName = FormatBtmp
	case strings.Contains(base, "wtmp"):
		byName = FormatWtmp
	case strings.Contains(base, "utmp"):
		byName = FormatUtmp
	}
	if strings.HasSuffix(base, ".gz") || strings.HasSuffix(base, ".xz") || strings.HasSuffix(base, ".zst") || strings.HasSuffix(base, ".bz2") {
		return FormatUnknown
	}
	size := int64(len(head))
	if byName == FormatLastlog {
		if _, err := DetectLastlogLayout(head, roundUp(size, 292*296)); err != nil {
			return FormatUnknown
		}
		return FormatLastlog
	}
	if len(head) == 0 {
		return byName
	}
	if isZero(head) && byName != FormatUnknown && (size%int64(LayoutX86_64.Size) == 0 || size%int64(LayoutAarch64.Size) == 0) {
		// a wiped (zero-filled) wtmp/btmp is a tampering tell, not garbage:
		// read it so its empty records are counted
		return byName
	}
	if _, err := DetectLayout(head, size); err != nil {
		return FormatUnknown
	}
	if byName == FormatUnknown {
		return FormatWtmp
	}
	return byName
}

func roundUp(n, m int64) int64 {
	if n%m == 0 {
		return n
	}
	return n + m - n%m
}

// JSONRecord is the JSON line written for one binary record. Field names are
// stable: they are what shipped events and review evidence contain.
type JSONRecord struct {
	Time    string `json:"time"`           // RFC 3339 with nanoseconds, UTC; "" for lastlog "never"
	Format  string `json:"format"`         // wtmp, btmp, utmp, lastlog
	Type    string `json:"type"`           // USER_PROCESS, BOOT_TIME, ..., or "lastlog"
	User    string `json:"user,omitempty"` // ut_user
	TTY     string `json:"tty,omitempty"`  // ut_line / ll_line
	Host    string `json:"host,omitempty"` // ut_host / ll_host
	IP      string `json:"ip,omitempty"`   // ut_addr_v6
	PID     int32  `json:"pid,omitempty"`
	ID      string `json:"id,omitempty"` // ut_id
	Session int64  `json:"session,omitempty"`
	Exit    *Exit  `json:"exit,omitempty"`
	UID     *int64 `json:"uid,omitempty"` // lastlog index
	Layout  string `json:"layout"`        // x86_64 or aarch64
	Index   int64  `json:"index"`         // 0-based record index in the file
}

// Exit is ut_exit.
type Exit struct {
	Termination int16 `json:"termination"`
	Code        int16 `json:"code"`
}

// UtmpJSON builds the JSON form of u.
func UtmpJSON(u Utmp, f Format, l Layout, index int64) JSONRecord {
	j := JSONRecord{Format: f.String(), Type: TypeName(u.Type), User: u.User, TTY: u.Line, Host: u.Host,
		PID: u.PID, ID: u.ID, Session: u.Session, Layout: l.Name, Index: index}
	if !u.Time.IsZero() {
		j.Time = u.Time.UTC().Format(time.RFC3339Nano)
	}
	if u.Addr.IsValid() {
		j.IP = u.Addr.String()
	}
	if u.ExitTerm != 0 || u.ExitCode != 0 {
		j.Exit = &Exit{Termination: u.ExitTerm, Code: u.ExitCode}
	}
	return j
}

// LastlogJSON builds the JSON form of e.
func LastlogJSON(e Lastlog, l LastlogLayout) JSONRecord {
	uid := int64(e.UID)
	j := JSONRecord{Format: "lastlog", Type: "lastlog", TTY: e.Line, Host: e.Host, UID: &uid, Layout: l.Name, Index: uid}
	if !e.Time.IsZero() {
		j.Time = e.Time.UTC().Format(time.RFC3339Nano)
	}
	return j
}

// Marshal renders j as one JSON line without the newline.
func (j JSONRecord) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(j) // only strings and numbers: cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Reader walks the records of one binary login file.
type Reader struct {
	Format  Format
	Layout  Layout        // utmp formats
	LLayout LastlogLayout // lastlog
	r       io.ReaderAt
	size    int64
}

// Open detects the format and layout of the file at path (see
// DetectFormat) and returns a Reader over it, or ErrUnknownFile.
func Open(path string) (*Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open binary log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("stat binary log: %w", err)
	}
	rd, err := NewReader(path, f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return rd, f, nil
}

// NewReader detects the format of r (named path, size bytes) and returns a
// Reader, or an error wrapping ErrUnknownFile / ErrNotUtmp / ErrNotLastlog.
func NewReader(path string, r io.ReaderAt, size int64) (*Reader, error) {
	head := make([]byte, min(int64(HeadSize), size))
	if n, err := r.ReadAt(head, 0); err != nil && !(errors.Is(err, io.EOF) && n == len(head)) {
		return nil, fmt.Errorf("read binary log head: %w", err)
	}
	f := DetectFormat(path, head)
	rd := &Reader{Format: f, r: r, size: size}
	var err error
	switch f {
	case FormatUnknown:
		return nil, fmt.Errorf("detect %s: %w", filepath.Base(path), ErrUnknownFile)
	case FormatLastlog:
		if rd.LLayout, err = DetectLastlogLayout(head, size); err != nil {
			return nil, fmt.Errorf("detect %s: %w", filepath.Base(path), err)
		}
	default:
		if rd.Layout, err = DetectLayout(head, size); err != nil {
			if !isZero(head) {
				return nil, fmt.Errorf("detect %s: %w", filepath.Base(path), err)
			}
			rd.Layout = LayoutX86_64 // zero-filled: DetectFormat checked the size
			if size%int64(LayoutX86_64.Size) != 0 {
				rd.Layout = LayoutAarch64
			}
		}
	}
	return rd, nil
}

// RecordSize is the size of one record of the detected layout.
func (rd *Reader) RecordSize() int {
	if rd.Format == FormatLastlog {
		return rd.LLayout.Size
	}
	return rd.Layout.Size
}

// Stats describes one pass over a binary file: what a reviewer needs to
// judge whether it was tampered with (§4.4 tampering tells).
type Stats struct {
	Records     int64 // complete records read (including empty ones)
	Empty       int64 // all-zero / EMPTY records (log wipers zero records)
	TrailingLen int64 // bytes of an incomplete last record (size not a multiple)
	Backwards   int64 // records whose time is earlier than the previous one
	Insane      int64 // records that failed the sanity check (decoded anyway)
}

// chunkRecords bounds memory: records are read this many at a time.
const chunkRecords = 256

// EachUtmp calls fn for every complete record from byte offset from on
// (a multiple of the record size); it returns the offset after the last
// complete record so a tailer can resume there.
func (rd *Reader) EachUtmp(from int64, fn func(index int64, u Utmp) error) (next int64, st Stats, err error) {
	if rd.Format == FormatLastlog || rd.Format == FormatUnknown {
		return from, st, errors.New("read utmp records: not a utmp file")
	}
	rs := int64(rd.Layout.Size)
	if from%rs != 0 {
		return from, st, fmt.Errorf("read utmp records: offset %d is not a multiple of %d", from, rs)
	}
	buf := make([]byte, rs*chunkRecords)
	var prev time.Time
	off := from
	for off+rs <= rd.size {
		n := min(int64(len(buf)), (rd.size-off)/rs*rs)
		got, rerr := rd.r.ReadAt(buf[:n], off)
		got -= got % int(rs)
		for i := 0; i < got; i += int(rs) {
			rec := buf[i : i+int(rs)]
			st.Records++
			if !saneUtmp(rec, rd.Layout) {
				st.Insane++
			}
			u, _ := DecodeUtmp(rec, rd.Layout)
			if u.Type == Empty {
				st.Empty++
			}
			if !u.Time.IsZero() {
				if !prev.IsZero() && u.Time.Before(prev) {
					st.Backwards++
				}
				prev = u.Time
			}
			if err := fn((off+int64(i))/rs, u); err != nil {
				return off + int64(i), st, err
			}
		}
		off += int64(got)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return off, st, fmt.Errorf("read utmp records: %w", rerr)
		}
		if got == 0 {
			break
		}
	}
	st.TrailingLen = rd.size - off
	if st.TrailingLen >= rs {
		st.TrailingLen = 0
	}
	return off, st, nil
}

// EachLastlog calls fn for every entry with a non-zero time. It skips holes
// of sparse files chunk by chunk without decoding them (lastlog of a uid
// like 4294967294 is a terabyte-sized sparse file: callers should bound
// what they read with maxBytes; 0 means the whole file).
func (rd *Reader) EachLastlog(maxBytes int64, fn func(e Lastlog) error) (st Stats, err error) {
	if rd.Format != FormatLastlog {
		return st, errors.New("read lastlog: not a lastlog file")
	}
	rs := int64(rd.LLayout.Size)
	end := rd.size
	if maxBytes > 0 && maxBytes < end {
		end = maxBytes - maxBytes%rs
	}
	buf := make([]byte, rs*chunkRecords)
	for off := int64(0); off+rs <= end; {
		n := min(int64(len(buf)), (end-off)/rs*rs)
		got, rerr := rd.r.ReadAt(buf[:n], off)
		got -= got % int(rs)
		for i := 0; i < got; i += int(rs) {
			rec := buf[i : i+int(rs)]
			st.Records++
			if isZero(rec) {
				st.Empty++
				continue
			}
			if !saneLastlog(rec, rd.LLayout) {
				st.Insane++
			}
			uid := uint32((off + int64(i)) / rs)
			e, _ := DecodeLastlog(rec, uid, rd.LLayout)
			if e.Time.IsZero() {
				st.Empty++
				continue
			}
			if err := fn(e); err != nil {
				return st, err
			}
		}
		off += int64(got)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return st, fmt.Errorf("read lastlog: %w", rerr)
		}
		if got == 0 {
			break
		}
	}
	if rd.size%rs != 0 {
		st.TrailingLen = rd.size % rs
	}
	return st, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// MaxLastlogBytes bounds how much of a lastlog file ToJSONLines reads
// (uids up to ~3.6 million at 292 bytes each); sparse tails beyond it are
// accounts that cannot exist on an audited host in practice.
const MaxLastlogBytes = 1 << 30

// ToJSONLines writes one JSON line per record of the binary login file at
// path to w (lastlog: one per entry that has logged in; utmp formats: one
// per non-empty record). It returns the number of lines written, or an
// error (wrapping ErrUnknownFile) without writing anything when the file
// is not a binary login file.
func ToJSONLines(w io.Writer, path string) (int64, error) {
	rd, f, err := Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	emit := func(j JSONRecord) error {
		b := j.Marshal()
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write json line: %w", err)
		}
		n++
		return nil
	}
	if rd.Format == FormatLastlog {
		_, err = rd.EachLastlog(MaxLastlogBytes, func(e Lastlog) error { return emit(LastlogJSON(e, rd.LLayout)) })
		return n, err
	}
	_, _, err = rd.EachUtmp(0, func(i int64, u Utmp) error {
		if u.Type == Empty {
			return nil
		}
		return emit(UtmpJSON(u, rd.Format, rd.Layout, i))
	})
	return n, err
}
