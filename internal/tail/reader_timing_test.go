package tail

import (
	"bytes"
	"strings"
	"testing"
)

// BenchmarkReader measures line splitting alone over a 32 MiB file of
// 121-byte lines.
func BenchmarkReader(b *testing.B) {
	line := strings.Repeat("x", 120) + "\n"
	data := bytes.Repeat([]byte(line), (32<<20)/len(line))
	_, f := writeOpen(b, data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := NewReader(f, 0, NewlineByte, 0)
		n := 0
		if _, err := r.ReadLines(nil, func(l []byte, _, _ int64, _ bool) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != len(data)/len(line) {
			b.Fatalf("lines %d", n)
		}
	}
}
