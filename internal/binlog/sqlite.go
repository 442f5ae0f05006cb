package binlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

// Debian 13 and openSUSE keep logins in SQLite databases instead of wtmp
// and lastlog: wtmpdb (/var/lib/wtmpdb/wtmp.db) and lastlog2
// (/var/lib/lastlog/lastlog2.db). This file reads them with a small,
// read-only SQLite table scanner (rowid tables only, no SQL), enough for
// those two schemas. Rows still in a -wal file that was not checkpointed
// are not seen; ReadWtmpdb reports such a file in its result.

// maxSQLiteFile bounds the database read into memory.
const maxSQLiteFile = 512 << 20

// maxBtreeDepth bounds b-tree recursion on corrupt files.
const maxBtreeDepth = 64

var errSQLite = errors.New("malformed sqlite database")

type sqliteDB struct {
	b        []byte
	pageSize int
	usable   int
}

func openSQLite(b []byte) (*sqliteDB, error) {
	if len(b) < 100 || !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
		return nil, fmt.Errorf("open sqlite: %w: no SQLite header", errSQLite)
	}
	ps := int(binary.BigEndian.Uint16(b[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("open sqlite: %w: page size %d", errSQLite, ps)
	}
	if enc := binary.BigEndian.Uint32(b[56:]); enc > 1 {
		return nil, fmt.Errorf("open sqlite: text encoding %d is not UTF-8", enc)
	}
	d := &sqliteDB{b: b, pageSize: ps, usable: ps - int(b[20])}
	if d.usable < 480 {
		return nil, fmt.Errorf("open sqlite: %w: usable size %d", errSQLite, d.usable)
	}
	return d, nil
}

// page returns page n (1-based) and the offset of its b-tree header.
func (d *sqliteDB) page(n int) ([]byte, int, error) {
	if n < 1 || int64(n)*int64(d.pageSize) > int64(len(d.b)) {
		return nil, 0, fmt.Errorf("read page %d: %w", n, errSQLite)
	}
	p := d.b[(n-1)*d.pageSize : n*d.pageSize]
	if n == 1 {
		return p, 100, nil
	}
	return p, 0, nil
}

// varint decodes a SQLite varint.
func varint(b []byte) (int64, int) {
	var v uint64
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		if i == 8 {
			v = v<<8 | uint64(b[i])
			return int64(v), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return int64(v), i + 1
		}
	}
	return int64(v), 9
}

// scan calls fn for every row of the rowid table rooted at page root.
func (d *sqliteDB) scan(root int, fn func(rowid int64, rec []any) error) error {
	return d.scanPage(root, 0, fn)
}

func (d *sqliteDB) scanPage(n, depth int, fn func(int64, []any) error) error {
	if depth > maxBtreeDepth {
		return fmt.Errorf("scan table: %w: b-tree too deep", errSQLite)
	}
	p, h, err := d.page(n)
	if err != nil {
		return err
	}
	if h+8 > len(p) {
		return fmt.Errorf("scan table: %w", errSQLite)
	}
	kind := p[h]
	cells := int(binary.BigEndian.Uint16(p[h+3:]))
	hdr := 8
	if kind == 0x05 {
		hdr = 12
	} else if kind != 0x0d {
		return fmt.Errorf("scan table: %w: page %d has type %#x", errSQLite, n, kind)
	}
	ptrs := h + hdr
	if ptrs+2*cells > len(p) {
		return fmt.Errorf("scan table: %w: cell pointers", errSQLite)
	}
	for i := 0; i < cells; i++ {
		off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
		if off >= len(p) || off < ptrs {
			return fmt.Errorf("scan table: %w: cell offset", errSQLite)
		}
		cell := p[off:]
		if kind == 0x05 {
			if len(cell) < 4 {
				return fmt.Errorf("scan table: %w", errSQLite)
			}
			if err := d.scanPage(int(binary.BigEndian.Uint32(cell)), depth+1, fn); err != nil {
				return err
			}
			continue
		}
		size, k := varint(cell)
		if k == 0 || size < 0 || size > maxSQLiteFile {
			return fmt.Errorf("scan table: %w: payload size", errSQLite)
		}
		rowid, k2 := varint(cell[k:])
		if k2 == 0 {
			return fmt.Errorf("scan table: %w: rowid", errSQLite)
		}
		payload, err := d.payload(cell[k+k2:], int(size))
		if err != nil {
			return err
		}
		rec, err := record(payload)
		if err != nil {
			return err
		}
		if err := fn(rowid, rec); err != nil {
			return err
		}
	}
	if kind == 0x05 {
		return d.scanPage(int(binary.BigEndian.Uint32(p[h+8:])), depth+1, fn)
	}
	return nil
}

// payload assembles a table-leaf payload of size p, following overflow pages.
func (d *sqliteDB) payload(b []byte, p int) ([]byte, error) {
	u := d.usable
	x := u - 35
	if p <= x {
		if p > len(b) {
			return nil, fmt.Errorf("read payload: %w", errSQLite)
		}
		return b[:p], nil
	}
	m := ((u-12)*32)/255 - 23
	local := m + (p-m)%(u-4)
	if local > x {
		local = m
	}
	if local+4 > len(b) {
		return nil, fmt.Errorf("read payload: %w", errSQLite)
	}
	out := make([]byte, 0, p)
	out = append(out, b[:local]...)
	next := int(binary.BigEndian.Uint32(b[local:]))
	for guard := 0; len(out) < p; guard++ {
		if next == 0 || guard > len(d.b)/d.pageSize {
			return nil, fmt.Errorf("read overflow: %w", errSQLite)
		}
		pg, _, err := d.page(next)
		if err != nil {
			return nil, err
		}
		n := min(p-len(out), u-4)
		out = append(out, pg[4:4+n]...)
		next = int(binary.BigEndian.Uint32(pg))
	}
	return out, nil
}

// record decodes a SQLite record into nil, int64, float64, string or []byte.
func record(p []byte) ([]any, error) {
	hs, k := varint(p)
	if k == 0 || hs < int64(k) || hs > int64(len(p)) {
		return nil, fmt.Errorf("decode record: %w: header", errSQLite)
	}
	var types []int64
	for i := k; i < int(hs); {
		t, n := varint(p[i:int(hs)])
		if n == 0 {
			return nil, fmt.Errorf("decode record: %w: serial type", errSQLite)
		}
		types = append(types, t)
		i += n
	}
	body := p[hs:]
	out := make([]any, 0, len(types))
	for _, t := range types {
		var n int
		switch {
		case t == 0 || t == 8 || t == 9:
			out = append(out, map[int64]any{0: nil, 8: int64(0), 9: int64(1)}[t])
			continue
		case t >= 1 && t <= 6:
			n = [...]int{0, 1, 2, 3, 4, 6, 8}[t]
		case t == 7:
			n = 8
		case t >= 12:
			n = int((t - 12) / 2)
		default:
			return nil, fmt.Errorf("decode record: %w: serial type %d", errSQLite, t)
		}
		if n > len(body) {
			return nil, fmt.Errorf("decode record: %w: short body", errSQLite)
		}
		v := body[:n]
		body = body[n:]
		switch {
		case t <= 6:
			var x int64
			for _, c := range v {
				x = x<<8 | int64(c)
			}
			if n > 0 && n < 8 && v[0]&0x80 != 0 { // sign-extend
				x -= 1 << (8 * uint(n))
			}
			out = append(out, x)
		case t == 7:
			out = append(out, math.Float64frombits(binary.BigEndian.Uint64(v)))
		case t%2 == 0:
			out = append(out, append([]byte(nil), v...))
		default:
			out = append(out, string(v))
		}
	}
	return out, nil
}

// table finds a table's root page and its column names (in order) from
// sqlite_schema; the INTEGER PRIMARY KEY column, if any, is named in ipk.
func (d *sqliteDB) table(name string) (root int, cols []string, ipk string, err error) {
	found := false
	err = d.scan(1, func(_ int64, rec []any) error {
		if len(rec) < 5 || rec[0] != "table" {
			return nil
		}
		if n, _ := rec[1].(string); !strings.EqualFold(n, name) {
			return nil
		}
		r, _ := rec[3].(int64)
		sql, _ := rec[4].(string)
		root, found = int(r), true
		cols, ipk = columns(sql)
		return nil
	})
	if err == nil && !found {
		err = fmt.Errorf("find table %s: no such table", name)
	}
	return root, cols, ipk, err
}

// columns extracts column names from a CREATE TABLE statement.
func columns(sql string) (cols []string, ipk string) {
	i, j := strings.IndexByte(sql, '('), strings.LastIndexByte(sql, ')')
	if i < 0 || j < i {
		return nil, ""
	}
	for _, def := range strings.Split(sql[i+1:j], ",") {
		f := strings.Fields(def)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT":
			continue
		}
		name := strings.Trim(f[0], "`\"[]")
		cols = append(cols, name)
		u := strings.ToUpper(def)
		if len(f) > 1 && strings.ToUpper(f[1]) == "INTEGER" && strings.Contains(u, "PRIMARY KEY") {
			ipk = name
		}
	}
	return cols, ipk
}

// rows returns every row of table as column name -> value.
func (d *sqliteDB) rows(table string) ([]map[string]any, error) {
	root, cols, ipk, err := d.table(table)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	err = d.scan(root, func(rowid int64, rec []any) error {
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			if i < len(rec) {
				m[c] = rec[i]
			}
		}
		if ipk != "" {
			m[ipk] = rowid
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// WtmpdbEntry is one wtmpdb row: a boot or a session with its login and
// (once it ended) logout time.
type WtmpdbEntry struct {
	ID         int64
	Type       int64 // 1 BOOT_TIME, 2 RUN_LVL, 3 USER_PROCESS (wtmpdb's numbering)
	User       string
	Login      time.Time
	Logout     time.Time // zero while the session is open
	TTY        string
	RemoteHost string
	Service    string
	PID        int64
}

// wtmpdb record types.
const (
	WtmpdbBootTime    = 1
	WtmpdbRunLevel    = 2
	WtmpdbUserProcess = 3
)

// Lastlog2Entry is one lastlog2 row.
type Lastlog2Entry struct {
	Name       string
	Time       time.Time
	TTY        string
	RemoteHost string
	Service    string
}

func readSQLite(path string) (*sqliteDB, bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("stat sqlite: %w", err)
	}
	if st.Size() > maxSQLiteFile {
		return nil, false, fmt.Errorf("read sqlite %s: larger than %d bytes", path, maxSQLiteFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read sqlite: %w", err)
	}
	d, err := openSQLite(b)
	if err != nil {
		return nil, false, err
	}
	wal := false
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		wal = true
	}
	return d, wal, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int64 {
	n, _ := v.(int64)
	return n
}

func usec(v any) time.Time {
	n, ok := v.(int64)
	if !ok || n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// ReadWtmpdb reads a wtmpdb database. unflushedWAL is true when a non-empty
// -wal file sits beside it (its newest rows may be missing here).
func ReadWtmpdb(path string) (entries []WtmpdbEntry, unflushedWAL bool, err error) {
	d, wal, err := readSQLite(path)
	if err != nil {
		return nil, false, err
	}
	rows, err := d.rows("wtmp")
	if err != nil {
		return nil, wal, fmt.Errorf("read wtmpdb: %w", err)
	}
	for i, r := range rows {
		e := WtmpdbEntry{ID: num(r["ID"]), Type: num(r["Type"]), User: str(r["User"]), Login: usec(r["Login"]),
			Logout: usec(r["Logout"]), TTY: str(r["TTY"]), RemoteHost: str(r["RemoteHost"]), Service: str(r["Service"]), PID: num(r["PID"])}
		if e.ID == 0 {
			e.ID = int64(i + 1)
		}
		entries = append(entries, e)
	}
	return entries, wal, nil
}

// ReadLastlog2 reads a lastlog2 database (times in seconds).
func ReadLastlog2(path string) ([]Lastlog2Entry, error) {
	d, _, err := readSQLite(path)
	if err != nil {
		return nil, err
	}
	rows, err := d.rows("Lastlog2")
	if err != nil {
		return nil, fmt.Errorf("read lastlog2: %w", err)
	}
	var out []Lastlog2Entry
	for _, r := range rows {
		e := Lastlog2Entry{Name: str(r["Name"]), TTY: str(r["TTY"]), RemoteHost: str(r["RemoteHost"]), Service: str(r["Service"])}
		if t := num(r["Time"]); t != 0 {
			e.Time = time.Unix(t, 0).UTC()
		}
		out = append(out, e)
	}
	return out, nil
}
