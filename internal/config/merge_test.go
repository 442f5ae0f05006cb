package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name → content under a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	fileA = `{"agent":{"region":"us-east-1"},"logs":{"log_stream_name":"s","logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/a.log"},{"file_path":"/var/log/shared.log"}]}}}}`
	fileB = `{"agent":{"region":"us-east-1","debug":true},"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/shared.log"},{"file_path":"/var/log/b.log"}]}}}}`
)

func filePaths(c *Config) []string {
	var out []string
	for _, f := range c.Logs.LogsCollected.Files.CollectList {
		out = append(out, f.FilePath)
	}
	return out
}

func TestLoad_Merge(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		args    []string // relative to the temporary directory
		want    []string // file paths of the merged collect_list
		wantErr []string // substrings of the error, one per expected problem line
	}{
		{
			name:  "directory merged in path order, duplicates across files dropped",
			files: map[string]string{"conf.d/20-b.json": fileB, "conf.d/10-a.json": fileA, "conf.d/.hidden": "not json"},
			args:  []string{"conf.d"},
			want:  []string{"/var/log/a.log", "/var/log/shared.log", "/var/log/b.log"},
		},
		{
			name:  "files given in any order merge in path order",
			files: map[string]string{"b.json": fileB, "a.json": fileA},
			args:  []string{"b.json", "a.json"},
			want:  []string{"/var/log/a.log", "/var/log/shared.log", "/var/log/b.log"},
		},
		{
			name:  "same file twice is read once",
			files: map[string]string{"a.json": fileA},
			args:  []string{"a.json", "a.json"},
			want:  []string{"/var/log/a.log", "/var/log/shared.log"},
		},
		{
			name: "different scalars",
			files: map[string]string{
				"a.json": fileA,
				"b.json": `{"agent":{"region":"eu-west-1"},"logs":{"log_stream_name":"t","logs_collected":{"files":{"collect_list":[{"file_path":"/x"}]}}}}`,
			},
			args: []string{"a.json", "b.json"},
			wantErr: []string{
				`b.json: agent.region: "eu-west-1" differs from "us-east-1" in `,
				`b.json: logs.log_stream_name: "t" differs from "s" in `,
			},
		},
		{
			name: "credentials compared whole",
			files: map[string]string{
				"a.json": `{"agent":{"credentials":{"role_arn":"arn:aws:iam::111111111111:role/a"}}}`,
				"b.json": `{"agent":{"credentials":{}}}`,
			},
			args:    []string{"a.json", "b.json"},
			wantErr: []string{`b.json: agent.credentials: {} differs from {"role_arn":"arn:aws:iam::111111111111:role/a"}`},
		},
		{
			name: "duplicate inside one file is still an error",
			files: map[string]string{
				"a.json": fileA,
				"b.json": `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/b"},{"file_path":"/b"}]}}}}`,
			},
			args:    []string{"a.json", "b.json"},
			wantErr: []string{`b.json: logs.logs_collected.files.collect_list[3]: duplicates collect_list[2]: items must be unique`},
		},
		{
			name: "problem after the merge names its file",
			files: map[string]string{
				"a.json": fileA,
				"b.json": `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/b","retention_in_days":2}]}}}}`,
			},
			args:    []string{"a.json", "b.json"},
			wantErr: []string{`b.json: logs.logs_collected.files.collect_list[2].retention_in_days: 2 is not one of`},
		},
		{
			name: "conflicts and schema problems together",
			files: map[string]string{
				"a.json": fileA,
				"b.json": `{"agent":{"region":"eu-west-1"},"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/b","timezone":"KST"}]}}}}`,
			},
			args: []string{"a.json", "b.json"},
			wantErr: []string{
				`b.json: agent.region: "eu-west-1" differs from "us-east-1" in `,
				`b.json: logs.logs_collected.files.collect_list[2].timezone: "KST" is not one of Local, LOCAL, UTC`,
			},
		},
		{
			name:    "a section split over two files is checked merged",
			files:   map[string]string{"a.json": `{"logs":{"log_stream_name":"s"}}`, "b.json": `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/b"}]}}}}`},
			args:    []string{"a.json", "b.json"},
			want:    []string{"/b"},
			wantErr: nil,
		},
		{
			name:    "every unreadable input is reported",
			files:   map[string]string{"bad.json": `{"logs":`, "empty.d/.keep": ""},
			args:    []string{"bad.json", "missing.json", "empty.d"},
			wantErr: []string{"bad.json: is not valid JSON: unexpected end of input", "missing.json: cannot be read: no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			var args []string
			for _, a := range tt.args {
				args = append(args, filepath.Join(dir, a))
			}
			cfg, err := Load(args...)
			if len(tt.wantErr) > 0 {
				for _, line := range strings.Split(fmtErr(err), "\n") {
					if strings.Contains(line, " differs from ") && !strings.Contains(line, "a.json: Different values are specified for ") {
						t.Errorf("merge conflict does not name the first file and the key: %s", line)
					}
				}
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a *ValidationError", err)
				}
				if len(ve.Problems) != len(tt.wantErr) {
					t.Errorf("%d problems, want %d:\n%v", len(ve.Problems), len(tt.wantErr), err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := filePaths(cfg); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("collect_list = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoad_MergeOrigins(t *testing.T) {
	dir := writeFiles(t, map[string]string{"10-a.json": fileA, "20-b.json": fileB})
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10-a.json", "10-a.json", "20-b.json"}
	for i, f := range cfg.Logs.LogsCollected.Files.CollectList {
		if got := filepath.Base(f.Origin); got != want[i] {
			t.Errorf("entry %d Origin = %s, want %s", i, got, want[i])
		}
	}
	if !cfg.Agent.Debug || cfg.Agent.Region != "us-east-1" {
		t.Errorf("agent = %+v, want debug from b and region from both", cfg.Agent)
	}
	if got := len(cfg.Files); got != 2 {
		t.Errorf("Files = %v, want 2", cfg.Files)
	}
	wantNotice := "logs.logs_collected.files.collect_list: entry 0 of " + filepath.Join(dir, "20-b.json") +
		" repeats collect_list[1] of " + filepath.Join(dir, "10-a.json") + " and is dropped"
	if len(cfg.Notices) != 1 || cfg.Notices[0] != wantNotice {
		t.Errorf("Notices = %q, want [%q]", cfg.Notices, wantNotice)
	}
}

func TestParse_ByteOrderMark(t *testing.T) {
	if _, err := Parse([]byte("\xef\xbb\xbf"+fileA), "bom.json"); err != nil {
		t.Fatalf("Parse with a BOM: %v", err)
	}
}

func TestLoad_NoArgs(t *testing.T) {
	if _, err := Load(); err == nil {
		t.Fatal("Load() with no path succeeded")
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
