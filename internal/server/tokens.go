package server

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"

	"github.com/logwarden/logwarden/internal/store"
)

// Paging tokens are opaque to clients: a kind byte, a payload and a CRC-32, in
// URL-safe base64 (so any legal name, including '@' and '/', round-trips). They
// are cursors (the last item returned), so they stay valid while data changes.

func sealToken(kind byte, payload []byte) string {
	b := make([]byte, 0, 1+len(payload)+4)
	b = append(b, kind)
	b = append(b, payload...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return base64.RawURLEncoding.EncodeToString(b)
}

func openToken(tok string, kind byte) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 5 || b[0] != kind {
		return nil, false
	}
	n := len(b) - 4
	if crc32.ChecksumIEEE(b[:n]) != binary.BigEndian.Uint32(b[n:]) {
		return nil, false
	}
	return b[1:n], true
}

func encodeNameToken(kind byte, name string) string { return sealToken(kind, []byte(name)) }

func decodeNameToken(tok string, kind byte) (string, bool) {
	p, ok := openToken(tok, kind)
	return string(p), ok
}

type streamToken struct {
	byTime bool
	time   int64
	name   string
}

func encodeStreamToken(t streamToken) string {
	kind := byte('n')
	if t.byTime {
		kind = 't'
	}
	p := binary.BigEndian.AppendUint64(nil, uint64(t.time))
	return sealToken(kind, append(p, t.name...))
}

func decodeStreamToken(tok string) (streamToken, bool) {
	for _, kind := range []byte{'n', 't'} {
		if p, ok := openToken(tok, kind); ok && len(p) >= 8 {
			return streamToken{byTime: kind == 't', time: int64(binary.BigEndian.Uint64(p)), name: string(p[8:])}, true
		}
	}
	return streamToken{}, false
}

// GetLogEvents tokens look like AWS's: "f/" or "b/", 56 digits, "/s". The
// digits are the cursor's timestamp (19), sequence (20) and a check (17).
const checkMod = 100_000_000_000_000_000 // 1e17

func eventCheck(ts int64, seq uint64) uint64 {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:], uint64(ts))
	binary.BigEndian.PutUint64(b[8:], seq)
	h := crc32.ChecksumIEEE(b[:])
	return (uint64(h)*2654435761 + uint64(ts)*31 + seq) % checkMod
}

func encodeEventToken(dir byte, p store.Position) string {
	return fmt.Sprintf("%c/%019d%020d%017d/s", dir, p.Timestamp, p.Seq, eventCheck(p.Timestamp, p.Seq))
}

func decodeEventToken(tok string) (dir byte, p store.Position, ok bool) {
	if len(tok) != 2+56+2 || (tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' || tok[58:] != "/s" {
		return 0, p, false
	}
	ts, err1 := strconv.ParseInt(tok[2:21], 10, 64)
	seq, err2 := strconv.ParseUint(tok[21:41], 10, 64)
	chk, err3 := strconv.ParseUint(tok[41:58], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || ts < 0 || chk != eventCheck(ts, seq) {
		return 0, p, false
	}
	return tok[0], store.Position{Timestamp: ts, Seq: seq}, true
}

func encodeFilterToken(p store.FilterPosition) string {
	b := make([]byte, 0, 32)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Timestamp))
	b = binary.BigEndian.AppendUint64(b, uint64(p.Ingestion))
	b = binary.BigEndian.AppendUint64(b, p.StreamID)
	b = binary.BigEndian.AppendUint64(b, p.Seq)
	return sealToken('F', b)
}

func decodeFilterToken(tok string) (store.FilterPosition, bool) {
	b, ok := openToken(tok, 'F')
	if !ok || len(b) != 32 {
		return store.FilterPosition{}, false
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(b[8*i:]) }
	return store.FilterPosition{Timestamp: int64(u(0)), Ingestion: int64(u(1)), StreamID: u(2), Seq: u(3)}, true
}

// eventID renders a FilterLogEvents eventId: 56 digits, unique per event.
func eventID(ts int64, sid, seq uint64) string {
	return fmt.Sprintf("%019d%018d%019d", ts, sid%1_000_000_000_000_000_000, seq)
}
