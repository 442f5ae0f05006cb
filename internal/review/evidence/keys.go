package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/logwarden/logwarden/internal/fsutil"
)

// Key file names written by GenerateKey: PEM, PKCS #8 for the private key
// and PKIX (SubjectPublicKeyInfo) for the public key, the forms openssl
// reads (`openssl pkey -in signoff.key -pubout`).
const (
	PrivateKeyFile = "signoff.key"
	PublicKeyFile  = "signoff.pub"
)

// maxKeyFile bounds the size of a key file read from disk.
const maxKeyFile = 16 << 10

// GenerateKey writes a new Ed25519 key pair into dir: the private key with
// mode 0600 and the public key with mode 0644, each written atomically and
// durably. It refuses to replace existing key files.
func GenerateKey(dir string) (privPath, pubPath string, err error) {
	privPath, pubPath = filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("generate key: %s exists; move it away first (a sign-off key is never replaced silently)", p)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("create key dir: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", fmt.Errorf("encode public key: %w", err)
	}
	if err := fsutil.WriteFileAtomic(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", "", fmt.Errorf("write private key: %w", err)
	}
	if err := fsutil.WriteFileAtomic(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return "", "", fmt.Errorf("write public key: %w", err)
	}
	return privPath, pubPath, nil
}

func readPEM(path, typ string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if st.Size() > maxKeyFile {
		return nil, fmt.Errorf("read key: %s is larger than %d bytes", path, maxKeyFile)
	}
	if typ == "PRIVATE KEY" && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("read key: %s has mode %04o; a private key must be readable by its owner only (chmod 600)", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, fmt.Errorf("read key: %s is not a PEM %q block", path, typ)
	}
	return blk.Bytes, nil
}

// LoadPrivateKey reads a PKCS #8 PEM Ed25519 private key (from GenerateKey
// or `openssl genpkey -algorithm ed25519`).
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key %s: %T is not an Ed25519 key", path, k)
	}
	return priv, nil
}

// LoadPublicKey reads a PKIX PEM Ed25519 public key.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("parse public key %s: %T is not an Ed25519 key", path, k)
	}
	return pub, nil
}

// Fingerprint names a public key: "ed25519:" and the first 16 bytes of the
// SHA-256 of the raw 32-byte key, in hex.
func Fingerprint(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(s[:16])
}

func decodeB64(s string, n int, what string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s is not base64: %w", what, err)
	}
	if len(b) != n {
		return nil, fmt.Errorf("%s is %d bytes, want %d", what, len(b), n)
	}
	return b, nil
}

var errUnsigned = errors.New("not signed")
