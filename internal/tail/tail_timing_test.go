package tail

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkGlobScan rescans `root/**/*.log` over 5,000 files in 100
// directories (plus 5,000 non-matching files), the case that makes the
// CloudWatch Agent burn a core: a rescan should cost about one stat per
// directory. (The agent stats only matches it does not follow yet, or all
// of them for the newest-file rule.)
func BenchmarkGlobScan(b *testing.B) {
	root := b.TempDir()
	for d := 0; d < 100; d++ {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", d/10), fmt.Sprintf("e%02d", d))
		os.MkdirAll(dir, 0o755)
		for i := 0; i < 50; i++ {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.log", i)), nil, 0o644)
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", i)), nil, 0o644)
		}
	}
	time.Sleep(2 * mtimeSlack) // let the listings settle, as on a real host
	for _, tc := range []struct{ name, pattern string }{
		{"DoubleStar", "**/*.log"},
		{"Alternation", "d0{1,2}/*/f00[!5].log"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g, err := CompileGlob(filepath.Join(root, tc.pattern))
			if err != nil {
				b.Fatal(err)
			}
			n := len(g.ScanPaths())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := len(g.ScanPaths()); got != n {
					b.Fatalf("matches %d, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n), "matches")
		})
	}
}
