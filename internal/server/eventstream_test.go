package server

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestESMessage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []esHeader
		payload string
		hex     string // the whole message; "" to skip
	}{
		// A known frame: no headers, no payload (16 bytes, CRCs from the
		// framing's published test vectors).
		{"empty", nil, "", "000000100000000005c248eb7d98c8ff"},
		{"event", []esHeader{{":message-type", "event"}, {":event-type", "sessionUpdate"}}, `{"sessionResults":[]}`, ""},
		{"long value", []esHeader{{"x", string(bytes.Repeat([]byte("v"), 300))}}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := appendESMessage([]byte("junk"), tc.headers, []byte(tc.payload))[4:]
			if tc.hex != "" && hex.EncodeToString(msg) != tc.hex {
				t.Fatalf("encoded %x, want %s", msg, tc.hex)
			}
			h, p, n, err := decodeESMessage(append(msg, "next"...))
			if err != nil || n != len(msg) || string(p) != tc.payload || len(h) != len(tc.headers) {
				t.Fatalf("decoded %v %q %d %v", h, p, n, err)
			}
			for _, want := range tc.headers {
				if h[want.name] != want.value {
					t.Fatalf("header %s = %q, want %q", want.name, h[want.name], want.value)
				}
			}
			if _, _, _, err := decodeESMessage(msg[:len(msg)-1]); !errors.Is(err, errESShort) {
				t.Fatalf("truncated message: %v, want errESShort", err)
			}
			bad := bytes.Clone(msg)
			bad[len(bad)-5] ^= 1
			if _, _, _, err := decodeESMessage(bad); err == nil {
				t.Fatal("a flipped bit passed the checksum")
			}
		})
	}
}

// FuzzESMessage checks that what appendESMessage writes decodes back, and
// that decodeESMessage neither panics nor reads past its input on any bytes.
func FuzzESMessage(f *testing.F) {
	f.Add(":event-type", "sessionStart", []byte(`{"sessionId":"x"}`), []byte{})
	f.Add("", "", []byte{}, appendESMessage(nil, []esHeader{{"a", "b"}}, []byte("p")))
	f.Add("n", "v", []byte("x"), []byte("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff"))
	f.Fuzz(func(t *testing.T, name, value string, payload, raw []byte) {
		if h, p, n, err := decodeESMessage(raw); err == nil {
			if n > len(raw) || n < esPreludeLen+esCRCLen || len(p) > n || h == nil {
				t.Fatalf("decoded %d bytes of %d, payload %d", n, len(raw), len(p))
			}
		}
		if len(name) > 255 || len(value) > 65535 || name == "" {
			return
		}
		msg := appendESMessage(nil, []esHeader{{name, value}}, payload)
		h, p, n, err := decodeESMessage(msg)
		if err != nil || n != len(msg) || !bytes.Equal(p, payload) || h[name] != value {
			t.Fatalf("round trip: %v %q %d %v", h, p, n, err)
		}
	})
}
