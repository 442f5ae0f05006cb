package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestMain keeps the host's AWS settings out of the tests: no shared config,
// no profile, no region from the environment.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(os.TempDir(), "logwarden-config-test-no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(os.TempDir(), "logwarden-config-test-no-aws-credentials"),
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		BackpressureEnv:               "",
	} {
		os.Setenv(k, v)
	}
	os.Exit(m.Run())
}

// fixedNow pins {date} for the duration of a test.
func fixedNow(t testing.TB) {
	t.Helper()
	old := now
	now = func() time.Time { return time.Date(2026, 11, 26, 5, 0, 0, 0, time.Local) }
	t.Cleanup(func() { now = old })
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestLoad_Invalid loads every testdata/invalid config and compares the full
// list of problems with its .err golden file.
func TestLoad_Invalid(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no testdata/invalid configs")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := Load(p)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load accepted an invalid config: cfg=%+v err=%v", cfg, err)
			}
			for _, pr := range ve.Problems {
				if pr.File != p {
					t.Errorf("problem names file %q, want %q: %v", pr.File, p, pr)
				}
				if pr.Rule == "" {
					t.Errorf("problem without a rule: %+v", pr)
				}
			}
			golden(t, strings.TrimSuffix(p, ".json")+".err", []byte(err.Error()+"\n"))
		})
	}
}

// TestLoad_Valid loads every testdata/valid config and compares its notices
// and resolved sources with its .golden file.
func TestLoad_Valid(t *testing.T) {
	fixedNow(t)
	t.Setenv(BackpressureEnv, "")
	paths, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no testdata/valid configs")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := Load(p)
			if err != nil {
				t.Fatalf("Load rejected a valid config:\n%v", err)
			}
			sources, err := cfg.Sources(testInfo, false)
			if err != nil {
				t.Fatalf("Sources: %v", err)
			}
			var b bytes.Buffer
			for _, n := range cfg.Notices {
				b.WriteString("notice: " + n + "\n")
			}
			enc := json.NewEncoder(&b)
			enc.SetIndent("", "  ")
			if err := enc.Encode(sources); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(p, ".json")+".golden", b.Bytes())
		})
	}
}

func TestParse_Messages(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // one full problem line that must be present
	}{
		{"retention enum", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a"},{"file_path":"/b"},{"file_path":"/c","retention_in_days":8}]}}}}`,
			"x.json: logs.logs_collected.files.collect_list[2].retention_in_days: 8 is not one of -1, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"},
		{"unknown key", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","from_beginning":true}]}}}}`,
			"x.json: logs.logs_collected.files.collect_list[0].from_beginning: is not allowed in a files collect_list entry (allowed keys: auto_removal, backpressure_mode, blacklist, deployment.environment, encoding, file_path, filters, log_group_class, log_group_name, log_stream_name, multi_line_start_pattern, publish_multi_logs, retention_in_days, service.name, timestamp_format, timezone, trim_timestamp)"},
		{"dotted key", `{"logs":{"service.name":"","logs_collected":{"files":{"collect_list":[{"file_path":"/a"}]}}}}`,
			`x.json: logs["service.name"]: "" is shorter than 1 character`},
		{"timezone", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","timezone":"KST"}]}}}}`,
			`x.json: logs.logs_collected.files.collect_list[0].timezone: "KST" is not one of Local, LOCAL, UTC`},
		{"bad regexp", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","blacklist":"("}]}}}}`,
			"x.json: logs.logs_collected.files.collect_list[0].blacklist: \"(\" is not a valid regular expression: error parsing regexp: missing closing ): `(`"},
		{"logs needs logs_collected", `{"logs":{}}`,
			`x.json: logs: must contain "logs_collected" or "metrics_collected"`},
		{"too large for Go", `{"logs":{"concurrency":1e300,"logs_collected":{"files":{"collect_list":[{"file_path":"/a"}]}}}}`,
			"x.json: logs.concurrency: 1e300 does not fit in int"},
		{"syntax", "{\n \"logs\": }", "x.json: is not valid JSON: invalid character '}' looking for beginning of value at line 2, column 10"},
		{"long value is cut", `{"agent":{"region":"` + strings.Repeat("r", 100) + `"}}`,
			`x.json: agent.region: "` + strings.Repeat("r", maxValueShown-1) + `… is 100 characters long, more than the maximum 64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "x.json")
			if err == nil {
				t.Fatal("Parse accepted the document")
			}
			lines := strings.Split(err.Error(), "\n")
			for _, l := range lines {
				if l == tt.want {
					return
				}
			}
			t.Errorf("missing problem line\n want: %s\n got:\n%s", tt.want, err)
		})
	}
}

// TestParse_AllProblemsAtOnce checks that validation does not stop at the
// first problem.
func TestParse_AllProblemsAtOnce(t *testing.T) {
	doc := `{"logs":{"force_flush_interval":0,"logs_collected":{"files":{"collect_list":[
		{"file_path":"/a","retention_in_days":2},{"timezone":"x"},{"file_path":"/c","encoding":"nope","blacklist":"["}]}}}}`
	_, err := Parse([]byte(doc), "x.json")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	paths := map[string]bool{}
	for _, p := range ve.Problems {
		paths[p.Path] = true
	}
	for _, want := range []string{
		"logs.force_flush_interval",
		"logs.logs_collected.files.collect_list[0].retention_in_days",
		"logs.logs_collected.files.collect_list[1].file_path",
		"logs.logs_collected.files.collect_list[1].timezone",
		"logs.logs_collected.files.collect_list[2].encoding",
		"logs.logs_collected.files.collect_list[2].blacklist",
	} {
		if !paths[want] {
			t.Errorf("no problem at %s; got:\n%v", want, err)
		}
	}
}

func TestParse_Typed(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "valid", "full.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Agent.Region, "ap-northeast-2"; got != want {
		t.Errorf("Agent.Region = %q, want %q", got, want)
	}
	if got, want := cfg.Logfile(), "/var/log/logwarden/agent.log"; got != want {
		t.Errorf("Logfile() = %q, want %q", got, want)
	}
	if got, want := cfg.FlushInterval(), 15*time.Second; got != want {
		t.Errorf("FlushInterval() = %v, want %v", got, want)
	}
	if got, want := cfg.RoleARN(), "${LOGS_ROLE_ARN}"; got != want {
		t.Errorf("RoleARN() = %q, want %q", got, want)
	}
	if got, want := cfg.Agent.RunAsUser, "cwagent"; got != want {
		t.Errorf("RunAsUser = %q, want %q", got, want)
	}
	if got, want := cfg.Logs.Concurrency, 4; got != want {
		t.Errorf("Concurrency = %d, want %d", got, want)
	}
	list := cfg.Logs.LogsCollected.Files.CollectList
	if got := *list[0].RetentionInDays; got != 365 {
		t.Errorf("retention = %d, want 365", got)
	}
	if list[0].Origin != filepath.Join("testdata", "valid", "full.json") {
		t.Errorf("Origin = %q", list[0].Origin)
	}

	empty, err := Parse([]byte(`{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a"}]}}}}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := empty.Logfile(), DefaultLogfile; got != want {
		t.Errorf("default Logfile() = %q, want %q", got, want)
	}
	if got, want := empty.FlushInterval(), 5*time.Second; got != want {
		t.Errorf("default FlushInterval() = %v, want %v", got, want)
	}
	stderr, err := Parse([]byte(`{"agent":{"logfile":""}}`), "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := stderr.Logfile(); got != "" {
		t.Errorf(`Logfile() with "" = %q, want ""`, got)
	}
}

func TestKnownEncoding(t *testing.T) {
	for name, want := range map[string]bool{
		"utf-8": true, "UTF8": true, "utf_8": true, "ascii": true, "utf-16le": true, "UTF-16": true,
		"euc-kr": true, "cp949": true, "gbk": true, "latin1": true, "shift_jis": true, "windows-1252": true,
		"ISO-8859-1": true, "klingon": false, "utf-9": false,
	} {
		if got := KnownEncoding(name); got != want {
			t.Errorf("KnownEncoding(%q) = %v, want %v", name, got, want)
		}
	}
}
