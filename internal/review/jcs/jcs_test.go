package jcs

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestFormatNumber uses the IEEE 754 examples of RFC 8785 Appendix B.
func TestFormatNumber(t *testing.T) {
	tests := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tc := range tests {
		got, err := FormatNumber(math.Float64frombits(tc.bits))
		if err != nil || got != tc.want {
			t.Errorf("FormatNumber(%#016x) = %q, %v; want %q", tc.bits, got, err, tc.want)
		}
	}
	for _, bits := range []uint64{0x7fffffffffffffff, 0x7ff0000000000000, 0xfff0000000000000} {
		if s, err := FormatNumber(math.Float64frombits(bits)); err == nil {
			t.Errorf("FormatNumber(%#016x) = %q, want an error (NaN/Infinity are not JSON)", bits, s)
		}
	}
}

func TestTransform(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{ // RFC 8785 §3.2.2
			name: "rfc serialization example",
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{ // RFC 8785 §3.2.3: UTF-16 code unit order puts the emoji (D83D) before U+FB33
			name: "rfc sorting example",
			in: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{name: "nested objects sorted at every level", in: `{"b":{"z":1,"a":[{"y":2,"x":1}]},"a":0}`,
			want: `{"a":0,"b":{"a":[{"x":1,"y":2}],"z":1}}`},
		{name: "no html escaping, u2028 verbatim", in: `"<a&b>\u2028\u007f"`, want: "\"<a&b>\u2028\u007f\""},
		{name: "control characters", in: `"\u0000\u0008\u0009\u000a\u000b\u000c\u000d\u001f"`, want: `"\u0000\b\t\n\u000b\f\r\u001f"`},
		{name: "integers and exponents", in: `[1.0, -0, 1e2, 100000000000000000000000, 1e-7, 0.1e-6, 123456789012345678]`,
			want: `[1,0,100,1e+23,1e-7,1e-7,123456789012345680]`},
		{name: "empty containers", in: ` { "a" : [ ] , "b" : { } } `, want: `{"a":[],"b":{}}`},
		{name: "korean text verbatim", in: `{"결재":"미결재"}`, want: `{"결재":"미결재"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Transform([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestTransform_Refuses(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`, // I-JSON: duplicate names
		`1e400`,         // not a double
		`[1,2`,          // truncated
		`{"a":1} {}`,    // two values
		`{1:2}`,
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	} {
		if got, err := Transform([]byte(in)); err == nil {
			t.Errorf("Transform(%.40q) = %s, want an error", in, got)
		}
	}
}

func TestMarshal(t *testing.T) {
	type inner struct {
		Z string  `json:"z"`
		A float64 `json:"a"`
	}
	got, err := Marshal(map[string]any{"k": inner{Z: "<x>", A: 0.5}, "b": []int{3, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"b":[3,1],"k":{"a":0.5,"z":"<x>"}}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzTransform checks, for any JSON text encoding/json accepts, that the
// canonical form is valid JSON, decodes to the same value, and is a fixed
// point of Transform.
func FuzzTransform(f *testing.F) {
	for _, s := range []string{
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
		`{"\ud83d\ude00":1,"\ufb33":2,"\u20ac":3}`,
		`"\u0000\u001f\\\"/"`, `[null,true,false,-0,5e-324]`, `{"a":{"b":[{}]}}`, `"\ud800"`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var want any
		if json.Unmarshal(in, &want) != nil {
			return
		}
		got, err := Transform(in)
		if err != nil {
			return // duplicate names, numbers out of range, too deep: refused on purpose
		}
		var back any
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("canonical form %q is not JSON: %v", got, err)
		}
		if !reflect.DeepEqual(normalise(want), normalise(back)) {
			t.Fatalf("value changed: %q -> %q", in, got)
		}
		var v any
		if json.Unmarshal(in, &v) == nil {
			if m, err := Marshal(json.RawMessage(in)); err != nil || string(m) != string(got) {
				t.Fatalf("Marshal %q = %q (%v), Transform gives %q", in, m, err, got)
			}
		}
		again, err := Transform(got)
		if err != nil || string(again) != string(got) {
			t.Fatalf("not a fixed point: %q -> %q (%v)", got, again, err)
		}
	})
}

// normalise maps -0 to 0, which JCS writes as "0".
func normalise(v any) any {
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return 0.0
		}
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k])
		}
	}
	return v
}

func BenchmarkMarshalReport(b *testing.B) {
	in, err := os.ReadFile("../testdata/legacy-v1/2026-11/report.json")
	if err != nil {
		b.Skipf("fixture missing: %v", err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Marshal(json.RawMessage(in)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransformReport canonicalises a monthly report.json of the
// fixture tree (about 120 KB), the size a review writes.
func BenchmarkTransformReport(b *testing.B) {
	in, err := os.ReadFile("../testdata/legacy-v1/2026-11/report.json")
	if err != nil {
		b.Skipf("fixture missing: %v", err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Transform(in); err != nil {
			b.Fatal(err)
		}
	}
}
