package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/testutil"
)

// TestSignature_OpenSSL checks the key files and signatures against OpenSSL:
// a key made by `openssl genpkey` signs a sign-off, and `openssl pkeyutl`
// verifies that signature over SignedMessage with the public key file,
// so an auditor can check a sign-off without logwarden.
func TestSignature_OpenSSL(t *testing.T) {
	openssl := testutil.Peer(t, "openssl", "apt-get install openssl")
	tmp := t.TempDir()
	key, pub := filepath.Join(tmp, "k.pem"), filepath.Join(tmp, "k.pub")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("genpkey", "-algorithm", "ed25519", "-out", key)
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	run("pkey", "-in", key, "-pubout", "-out", pub)
	priv, err := LoadPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dir := newDir(t)
	s, err := Ack(dir, AckInput{Role: "승인", Name: "Park", Comment: "확인", Key: priv}, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if res := Verify(dir, VerifyOptions{PublicKeys: []ed25519.PublicKey{pk}}); !res.OK() {
		t.Fatalf("verify: %v", res.Failures())
	}
	msg, err := s.SignedMessage()
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	msgFile, sigFile := filepath.Join(tmp, "msg"), filepath.Join(tmp, "sig")
	os.WriteFile(msgFile, msg, 0o644)
	os.WriteFile(sigFile, sig, 0o644)
	if out := run("pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msgFile, "-sigfile", sigFile); !strings.Contains(out, "Signature Verified Successfully") {
		t.Errorf("openssl does not verify the sign-off signature: %s", out)
	}
	// And the key files GenerateKey writes are ones OpenSSL reads.
	gpriv, gpub, err := GenerateKey(filepath.Join(tmp, "gen"))
	if err != nil {
		t.Fatal(err)
	}
	derived := run("pkey", "-in", gpriv, "-pubout")
	want, _ := os.ReadFile(gpub)
	if derived != string(want) {
		t.Errorf("openssl derives public key\n%s\nfrom %s, %s holds\n%s", derived, PrivateKeyFile, PublicKeyFile, want)
	}
}
