package store

import (
	"encoding/binary"
)

// Key layout (all integers big-endian so byte order is numeric order):
//
//	"c"                                   -> next id (8 bytes)
//	"g" name                              -> group record (JSON)
//	"s" gid(8) name                       -> stream record (binary, see streamRecord)
//	"e" gid(8) sid(8) ts(8) seq(8)        -> uvarint(ingestionTime) message
//	"h" gid(8) sid(8) firstSeq(8)         -> chain record (binary, see chainRecord)
//	"f" gid(8) kind(1) name               -> saved filter (JSON, see SavedFilter)
//
// Timestamps are stored offset by 1<<63 so that negative values (never accepted
// by the API, but harmless) still sort before positive ones.
const (
	prefixCounter = 'c'
	prefixGroup   = 'g'
	prefixStream  = 's'
	prefixEvent   = 'e'
	prefixChain   = 'h'
	prefixFilter  = 'f'

	// eventKeyLen is the length of an event key.
	eventKeyLen = 1 + 8 + 8 + 8 + 8
	// streamPrefixLen is the length of the event-key prefix naming one stream.
	streamPrefixLen = 1 + 8 + 8
)

func tsBits(ts int64) uint64      { return uint64(ts) ^ (1 << 63) }
func bitsTs(b uint64) int64       { return int64(b ^ (1 << 63)) }
func counterKey() []byte          { return []byte{prefixCounter} }
func groupKey(name string) []byte { return append([]byte{prefixGroup}, name...) }

func streamKey(gid uint64, name string) []byte {
	k := make([]byte, 9, 9+len(name))
	k[0] = prefixStream
	binary.BigEndian.PutUint64(k[1:], gid)
	return append(k, name...)
}

// putEventKey writes the event key into dst (len ≥ eventKeyLen).
func putEventKey(dst []byte, gid, sid uint64, ts int64, seq uint64) {
	dst[0] = prefixEvent
	binary.BigEndian.PutUint64(dst[1:], gid)
	binary.BigEndian.PutUint64(dst[9:], sid)
	binary.BigEndian.PutUint64(dst[17:], tsBits(ts))
	binary.BigEndian.PutUint64(dst[25:], seq)
}

func eventKey(gid, sid uint64, ts int64, seq uint64) []byte {
	k := make([]byte, eventKeyLen)
	putEventKey(k, gid, sid, ts, seq)
	return k
}

// decodeEventKey returns the parts of an event key; ok is false for a malformed key.
func decodeEventKey(k []byte) (gid, sid uint64, ts int64, seq uint64, ok bool) {
	if len(k) != eventKeyLen || k[0] != prefixEvent {
		return 0, 0, 0, 0, false
	}
	return binary.BigEndian.Uint64(k[1:]), binary.BigEndian.Uint64(k[9:]),
		bitsTs(binary.BigEndian.Uint64(k[17:])), binary.BigEndian.Uint64(k[25:]), true
}

// idPrefix returns p followed by the given ids.
func idPrefix(p byte, ids ...uint64) []byte {
	k := make([]byte, 1+8*len(ids))
	k[0] = p
	for i, id := range ids {
		binary.BigEndian.PutUint64(k[1+8*i:], id)
	}
	return k
}

// prefixEnd returns the smallest key greater than every key starting with p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

func chainKey(gid, sid, firstSeq uint64) []byte { return idPrefix(prefixChain, gid, sid, firstSeq) }
