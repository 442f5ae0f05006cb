package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGenerateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	priv, pub, err := GenerateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(priv)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %04o, want 0600", st.Mode().Perm())
	}
	k, err := LoadPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(k.Public()) {
		t.Errorf("public key file does not match the private key")
	}
	if _, _, err := GenerateKey(dir); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second GenerateKey into the same dir: %v, want a refusal", err)
	}
	if err := os.Chmod(priv, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrivateKey(priv); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable private key loaded: %v", err)
	}
	if _, err := LoadPublicKey(priv); err == nil {
		t.Errorf("a private key file loaded as a public key")
	}
}

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// editSignoffs rewrites signoffs.json through fn, as a forger without the
// private key would; rehash recomputes the hash chain after the edit.
func editSignoffs(t *testing.T, dir string, rehash bool, fn func([]Signoff)) {
	t.Helper()
	list, err := ReadSignoffs(dir)
	if err != nil {
		t.Fatal(err)
	}
	fn(list)
	if rehash {
		prev := ""
		for i := range list {
			list[i].PrevEntrySHA256 = prev
			list[i].EntrySHA256 = list[i].hash()
			prev = list[i].EntrySHA256
		}
	}
	b, _ := json.Marshal(list)
	if err := os.WriteFile(filepath.Join(dir, SignoffsJSON), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSignedSignoffs(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	pubA, privA := newKey(t)
	pubB, privB := newKey(t)
	pubX, _ := newKey(t)
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		keys   []ed25519.PublicKey
		fail   string // "" = verifies; else the failing check's name and message substring
	}{
		{name: "signed, recorded keys", keys: nil},
		{name: "signed, both keys given", keys: []ed25519.PublicKey{pubA, pubB}},
		{name: "wrong key", keys: []ed25519.PublicKey{pubA, pubX},
			fail: "signoffs.json[2] signature: 승인 Park: signed with key " + Fingerprint(pubB)},
		{name: "tampered signature", keys: []ed25519.PublicKey{pubA, pubB},
			tamper: func(t *testing.T, dir string) {
				editSignoffs(t, dir, false, func(l []Signoff) {
					sig, _ := base64.StdEncoding.DecodeString(l[0].Signature)
					sig[10] ^= 1
					l[0].Signature = base64.StdEncoding.EncodeToString(sig)
				})
			},
			fail: "signoffs.json[1] signature: 검토 김검토: Ed25519 signature does not match"},
		{name: "edited comment, chain recomputed", // the hash chain is fooled, the signature is not
			tamper: func(t *testing.T, dir string) {
				editSignoffs(t, dir, true, func(l []Signoff) { l[1].Comment = "조치 불필요" })
			},
			fail: "signoffs.json[2] signature: 승인 Park: Ed25519 signature does not match"},
		{name: "signature stripped, chain recomputed", keys: []ed25519.PublicKey{pubA, pubB},
			tamper: func(t *testing.T, dir string) {
				editSignoffs(t, dir, true, func(l []Signoff) { l[0].Signature, l[0].PublicKey = "", "" })
			},
			fail: "signoffs.json[1] signature: 검토 김검토: not signed, but --pubkey requires"},
		{name: "signature stripped, key kept",
			tamper: func(t *testing.T, dir string) {
				editSignoffs(t, dir, false, func(l []Signoff) { l[1].Signature = "" })
			},
			fail: "signoffs.json[2] signature: 승인 Park: records public_key"},
		{name: "signature not base64",
			tamper: func(t *testing.T, dir string) {
				editSignoffs(t, dir, false, func(l []Signoff) { l[0].Signature = "!!" })
			},
			fail: "signoffs.json[1] signature: 검토 김검토: signature is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newDir(t)
			a, err := Ack(dir, AckInput{Role: "검토", Name: "김검토", Key: privA}, at)
			if err != nil {
				t.Fatal(err)
			}
			if a.Signature == "" || a.PublicKey != base64.StdEncoding.EncodeToString(pubA) {
				t.Fatalf("sign-off not signed: %+v", a)
			}
			if _, err := Ack(dir, AckInput{Role: "승인", Name: "Park", Comment: "확인", Key: privB}, at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if tt.tamper != nil {
				tt.tamper(t, dir)
			}
			res := Verify(dir, VerifyOptions{PublicKeys: tt.keys})
			fails := strings.Join(res.Failures(), "\n")
			if tt.fail == "" {
				if !res.OK() {
					t.Fatalf("verify: %s", fails)
				}
				n := 0
				for _, c := range res.Checks {
					if strings.HasSuffix(c.Name, " signature") && c.OK {
						n++
					}
				}
				if n != 2 {
					t.Errorf("%d valid signature checks, want 2: %+v", n, res.Checks)
				}
				return
			}
			if res.OK() || !strings.Contains(fails, tt.fail) {
				t.Fatalf("failures:\n%s\nwant one containing %q", fails, tt.fail)
			}
		})
	}
}

func TestSignedMessage_CoversEveryFieldButSignature(t *testing.T) {
	s := Signoff{Seq: 1, Role: "검토", Name: "김", Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), EntrySHA256: "e", Signature: "s"}
	m1, err := s.SignedMessage()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(m1), SigningContext+`{"employee_id"`) && !strings.HasPrefix(string(m1), SigningContext+`{"entry_sha256"`) {
		t.Errorf("message is not the context plus canonical JSON: %q", m1)
	}
	if strings.Contains(string(m1), `"signature"`) {
		t.Errorf("message includes the signature: %q", m1)
	}
	s.Signature = "other"
	m2, _ := s.SignedMessage()
	s.EntrySHA256 = "f"
	m3, _ := s.SignedMessage()
	if string(m1) != string(m2) || string(m1) == string(m3) {
		t.Errorf("signature changed the message, or entry_sha256 did not")
	}
}

// TestSignoff_OldEntriesHashUnchanged pins the entry hash of an unsigned
// sign-off, so that chains written before signatures existed still verify.
func TestSignoff_OldEntriesHashUnchanged(t *testing.T) {
	s := Signoff{Seq: 1, Role: "검토", Name: "김", Time: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), ReportSHA256: "r", ManifestSHA256: "m"}
	const want = `{"seq":1,"role":"검토","name":"김","time":"2026-12-01T09:00:00Z","report_sha256":"r","manifest_sha256":"m","prev_entry_sha256":"","entry_sha256":""}`
	if got := s.hash(); got != HashBytes([]byte(want)) {
		t.Errorf("unsigned entry hash changed: %s, want sha256(%s)", got, want)
	}
}

// FuzzVerifySignoffs feeds arbitrary signoffs.json contents to Verify: it
// must never panic, never accept a file it did not write unless the file is
// a valid chain, and report every entry it could decode.
func FuzzVerifySignoffs(f *testing.F) {
	dir := newDir(f)
	_, priv, _ := ed25519.GenerateKey(nil)
	if _, err := Ack(dir, AckInput{Role: "검토", Name: "김", Key: priv}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, SignoffsJSON))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"seq":1,"signature":"AAAA","public_key":"AAAA"}]`))
	f.Add([]byte(`{"seq":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, SignoffsJSON), b, 0o644); err != nil {
			t.Fatal(err)
		}
		res := Verify(dir, VerifyOptions{PublicKeys: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}})
		var list []Signoff
		if json.Unmarshal(b, &list) != nil {
			if res.OK() {
				t.Fatalf("undecodable signoffs.json verified: %q", b)
			}
			return
		}
		for i, s := range list {
			if res.OK() && (s.Seq != i+1 || s.Signature == "") {
				t.Fatalf("entry %d (seq %d, signature %q) verified", i+1, s.Seq, s.Signature)
			}
		}
	})
}
