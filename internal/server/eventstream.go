package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The application/vnd.amazon.eventstream framing of StartLiveTail's response:
// each message is a prelude (total length, headers length, both uint32 big
// endian, and the CRC32 of those 8 bytes), the headers, the payload and the
// CRC32 of everything before it. A header is a 1-byte name length, the name,
// a 1-byte value type and the value; this server writes only strings (type 7,
// a uint16 length and the bytes).
const (
	esPreludeLen = 12
	esCRCLen     = 4
	// esMaxMessage is the largest message the decoder accepts (the
	// framing's own limit is 16 MiB).
	esMaxMessage = 16 << 20
	// esMaxHeaders is the largest headers section (the framing's limit).
	esMaxHeaders = 128 << 10
	esTypeString = 7
)

// esHeader is one string header of an event-stream message.
type esHeader struct{ name, value string }

// appendESMessage appends one event-stream message to dst.
func appendESMessage(dst []byte, headers []esHeader, payload []byte) []byte {
	hlen := 0
	for _, h := range headers {
		hlen += 1 + len(h.name) + 1 + 2 + len(h.value)
	}
	total := esPreludeLen + hlen + len(payload) + esCRCLen
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hlen))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	for _, h := range headers {
		dst = append(dst, byte(len(h.name)))
		dst = append(dst, h.name...)
		dst = append(dst, esTypeString)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(h.value)))
		dst = append(dst, h.value...)
	}
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// errESShort is decodeESMessage's answer when b holds no whole message yet.
var errESShort = errors.New("decode event-stream message: incomplete")

// decodeESMessage decodes the message at the start of b and returns its
// headers (string, bool, integer, byte-array and timestamp values, shown as
// text), its payload (a sub-slice of b) and its length.
func decodeESMessage(b []byte) (map[string]string, []byte, int, error) {
	if len(b) < esPreludeLen {
		return nil, nil, 0, errESShort
	}
	total := int(binary.BigEndian.Uint32(b))
	hlen := int(binary.BigEndian.Uint32(b[4:]))
	if crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:]) {
		return nil, nil, 0, errors.New("decode event-stream message: prelude checksum mismatch")
	}
	if total > esMaxMessage || hlen > esMaxHeaders || total < esPreludeLen+hlen+esCRCLen {
		return nil, nil, 0, fmt.Errorf("decode event-stream message: bad lengths %d/%d", total, hlen)
	}
	if len(b) < total {
		return nil, nil, 0, errESShort
	}
	if crc32.ChecksumIEEE(b[:total-esCRCLen]) != binary.BigEndian.Uint32(b[total-esCRCLen:]) {
		return nil, nil, 0, errors.New("decode event-stream message: message checksum mismatch")
	}
	hs := b[esPreludeLen : esPreludeLen+hlen]
	headers := map[string]string{}
	for len(hs) > 0 {
		n := int(hs[0])
		if len(hs) < 2+n {
			return nil, nil, 0, errors.New("decode event-stream message: truncated header")
		}
		name, typ := string(hs[1:1+n]), hs[1+n]
		hs = hs[2+n:]
		var size int
		switch typ {
		case 0, 1: // true, false
			headers[name] = fmt.Sprint(typ == 0)
			continue
		case 2:
			size = 1
		case 3:
			size = 2
		case 4:
			size = 4
		case 5, 8:
			size = 8
		case 9:
			size = 16
		case 6, esTypeString:
			if len(hs) < 2 {
				return nil, nil, 0, errors.New("decode event-stream message: truncated header")
			}
			l := int(binary.BigEndian.Uint16(hs))
			if len(hs) < 2+l {
				return nil, nil, 0, errors.New("decode event-stream message: truncated header")
			}
			headers[name] = string(hs[2 : 2+l])
			hs = hs[2+l:]
			continue
		default:
			return nil, nil, 0, fmt.Errorf("decode event-stream message: header type %d", typ)
		}
		if len(hs) < size {
			return nil, nil, 0, errors.New("decode event-stream message: truncated header")
		}
		headers[name] = fmt.Sprintf("%x", hs[:size])
		hs = hs[size:]
	}
	return headers, b[esPreludeLen+hlen : total-esCRCLen], total, nil
}
