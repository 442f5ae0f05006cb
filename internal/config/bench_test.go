package config

import (
	"fmt"
	"strings"
	"testing"
)

// bigConfig is a config with n collect_list entries, each with a group,
// stream, pattern, retention and filter.
func bigConfig(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"agent":{"region":"us-east-1"},"logs":{"log_stream_name":"{instance_id}","logs_collected":{"files":{"collect_list":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"file_path":"/var/log/app%d/*.log","log_group_name":"/app/%d","log_stream_name":"{hostname}-%d",`+
			`"multi_line_start_pattern":"^\\d{4}-","retention_in_days":30,"filters":[{"type":"exclude","expression":"DEBUG|TRACE"}]}`, i, i%100, i)
	}
	b.WriteString(`]}}}}`)
	return []byte(b.String())
}

// BenchmarkParse measures validating and resolving a config at the schema's
// collect_list limit (16384 entries) and a typical one.
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{10, maxCollectListItems} {
		data := bigConfig(n)
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				cfg, err := Parse(data, "bench.json")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := cfg.Sources(testInfo, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
