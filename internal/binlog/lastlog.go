package binlog

import (
	"encoding/binary"
	"time"
)

// LastlogLayout describes struct lastlog.
type LastlogLayout struct {
	Name   string
	Size   int  // 292 (32-bit ll_time) or 296 (64-bit ll_time)
	Time64 bool // ll_time is int64 (aarch64)
}

// The two struct lastlog layouts.
var (
	LastlogX86_64  = LastlogLayout{Name: "x86_64", Size: 292}
	LastlogAarch64 = LastlogLayout{Name: "aarch64", Size: 296, Time64: true}
)

// Lastlog is one decoded lastlog entry; UID is its index in the file.
type Lastlog struct {
	UID  uint32
	Time time.Time // zero when the account never logged in
	Line string
	Host string
}

func (l LastlogLayout) offLine() int { return 4 + boolInt(l.Time64)*4 }

// DecodeLastlog decodes the entry at index uid from b (one record).
func DecodeLastlog(b []byte, uid uint32, l LastlogLayout) (Lastlog, error) {
	if len(b) < l.Size {
		return Lastlog{}, ErrShort
	}
	var sec int64
	if l.Time64 {
		sec = int64(binary.LittleEndian.Uint64(b))
	} else {
		sec = int64(int32(binary.LittleEndian.Uint32(b)))
	}
	e := Lastlog{UID: uid}
	if sec != 0 {
		e.Time = time.Unix(sec, 0).UTC()
	}
	ol := l.offLine()
	e.Line = cstr(b[ol : ol+lenLine])
	e.Host = cstr(b[ol+lenLine : ol+lenLine+lenHost])
	return e, nil
}

// EncodeLastlog writes e in layout l.
func EncodeLastlog(e Lastlog, l LastlogLayout) []byte {
	b := make([]byte, l.Size)
	var sec int64
	if !e.Time.IsZero() {
		sec = e.Time.Unix()
	}
	if l.Time64 {
		binary.LittleEndian.PutUint64(b, uint64(sec))
	} else {
		binary.LittleEndian.PutUint32(b, uint32(sec))
	}
	ol := l.offLine()
	copy(b[ol:ol+lenLine], e.Line)
	copy(b[ol+lenLine:ol+lenLine+lenHost], e.Host)
	return b
}

// saneLastlog: an all-zero entry, or a plausible time with printable
// line/host fields. For the 32-bit layout, bytes 4..8 are the start of
// ll_line; for the 64-bit layout they are the high half of ll_time.
func saneLastlog(b []byte, l LastlogLayout) bool {
	if len(b) < l.Size {
		return false
	}
	if isZero(b[:l.Size]) {
		return true
	}
	var sec int64
	if l.Time64 {
		sec = int64(binary.LittleEndian.Uint64(b))
	} else {
		sec = int64(int32(binary.LittleEndian.Uint32(b)))
	}
	if sec < minPlausible || sec > maxPlausible {
		return false
	}
	ol := l.offLine()
	return textField(b[ol:ol+lenLine]) && textField(b[ol+lenLine:ol+lenLine+lenHost])
}

// DetectLastlogLayout picks the layout from the file size and the first
// non-zero entries in head: the 292-byte layout unless only the 296-byte
// layout fits. ErrNotLastlog when neither does.
func DetectLastlogLayout(head []byte, size int64) (LastlogLayout, error) {
	if size == 0 {
		return LastlogX86_64, nil
	}
	var ok []LastlogLayout
	for _, l := range []LastlogLayout{LastlogX86_64, LastlogAarch64} {
		n := len(head) / l.Size
		good, nonZero := true, 0
		for i := 0; i < n && i < 64; i++ {
			rec := head[i*l.Size : (i+1)*l.Size]
			if !saneLastlog(rec, l) {
				good = false
				break
			}
			for _, c := range rec {
				if c != 0 {
					nonZero++
					break
				}
			}
		}
		if good && nonZero > 0 {
			ok = append(ok, l)
		}
	}
	// lastlog is sparse: the head may be all zero (root never logged in);
	// then fall back on size divisibility.
	if len(ok) == 0 {
		allZero := true
		for _, c := range head {
			if c != 0 {
				allZero = false
				break
			}
		}
		if !allZero {
			return LastlogLayout{}, ErrNotLastlog
		}
		ok = []LastlogLayout{LastlogX86_64, LastlogAarch64}
	}
	for _, l := range ok {
		if size%int64(l.Size) == 0 {
			return l, nil
		}
	}
	return LastlogLayout{}, ErrNotLastlog
}
