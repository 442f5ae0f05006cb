package tail

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// FingerprintSize is how many leading bytes identify a file's content (why:
// 1 KiB tells apart files whose first lines share a header, and costs one
// small pread; while a file is shorter its fingerprint grows with it).
const FingerprintSize = 1024

// ID is a file's device and inode.
type ID struct {
	Dev, Ino uint64
}

// FileID returns fi's device and inode (zero if the platform has none).
func FileID(fi os.FileInfo) ID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}
	}
	return ID{}
}

// Links is fi's hard link count (0 once the file was deleted), or 1 if unknown.
func Links(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// Fingerprint is a hash of a file's first Len bytes.
type Fingerprint struct {
	Len  int
	Hash string // hex; "" when Len is 0
}

// HashBytes fingerprints b (all of it).
func HashBytes(b []byte) Fingerprint {
	if len(b) == 0 {
		return Fingerprint{}
	}
	sum := sha256.Sum256(b)
	return Fingerprint{Len: len(b), Hash: hex.EncodeToString(sum[:16])}
}

// ReadFingerprint fingerprints the first min(size, FingerprintSize) bytes of f.
func ReadFingerprint(f *os.File) (Fingerprint, error) {
	var buf [FingerprintSize]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Fingerprint{}, fmt.Errorf("read fingerprint: %w", err)
	}
	return HashBytes(buf[:n]), nil
}

// Matches reports whether f still starts with the bytes fp was taken from.
// A file now shorter than fp.Len does not match (it was truncated).
func (fp Fingerprint) Matches(f *os.File) (bool, error) {
	if fp.Len == 0 {
		return true, nil
	}
	if fp.Len > FingerprintSize {
		return false, nil // not one of ours: no file matches it
	}
	var arr [FingerprintSize]byte // on the stack: the reader calls this after every read
	buf := arr[:fp.Len]
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read fingerprint: %w", err)
	}
	if n < fp.Len {
		return false, nil
	}
	return HashBytes(buf).Hash == fp.Hash, nil
}
