package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// FuzzParse checks that Parse never panics, that every rejection is a
// *ValidationError whose problems say what is wrong, and that every accepted
// config resolves into sources whose patterns compile.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","publish_multi_logs":true}]}}}}`))
	f.Add([]byte(`{"logs":{"log_stream_name":"{date}{hostname}","logs_collected":{"files":{"collect_list":[{"file_path":"/a","log_group_name":"{aws_region"}]}}}}`))
	f.Add([]byte(`{"logs":{"force_flush_interval":1e400,"logs_collected":{"files":{"collect_list":[{"file_path":"/a","retention_in_days":-0.0}]}}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.json")
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error is not a *ValidationError with problems: %v", err)
			}
			for _, p := range ve.Problems {
				if p.Rule == "" {
					t.Fatalf("problem without a rule: %+v", p)
				}
			}
			return
		}
		for _, onPrem := range []bool{false, true} {
			sources, err := cfg.Sources(testInfo, onPrem)
			if err != nil {
				t.Fatalf("Sources(onPrem=%v) of a valid config: %v", onPrem, err)
			}
			for _, s := range sources {
				if s.MultiLineStartPattern == "" {
					t.Fatalf("source %d has no start pattern", s.Index)
				}
				if s.MultiLineStartPattern != TimestampFormatPlaceholder {
					if _, err := regexp.Compile(s.MultiLineStartPattern); err != nil {
						t.Fatalf("source %d: start pattern does not compile: %v", s.Index, err)
					}
				}
				if s.RetentionInDays == 0 || s.RetentionInDays < -1 {
					t.Fatalf("source %d: retention %d", s.Index, s.RetentionInDays)
				}
				if !s.PublishMultiLogs && s.GroupName == "" && DefaultGroupName(s.FilePath) != "" {
					t.Fatalf("source %d: no group", s.Index)
				}
			}
		}
	})
}
