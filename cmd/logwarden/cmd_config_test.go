package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func configTestdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "internal", "config", "testdata"}, parts...)...)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int // 0: success
		wantOut    string
		wantStderr []string
	}{
		{"valid", []string{configTestdata("valid", "full.json")}, 0,
			"OK: " + configTestdata("valid", "full.json") + " merged; 5 collect_list entries into 4 log groups\n",
			[]string{`notice: logs.logs_collected.files.collect_list[3].log_group_class: "glacier" ignored`}},
		{"valid, two files", []string{configTestdata("valid", "full.json"), configTestdata("valid", "multi_logs.json")}, 0,
			"", nil},
		{"invalid lists every problem", []string{configTestdata("invalid", "retention.json")}, 1, "",
			[]string{
				configTestdata("invalid", "retention.json") + ": logs.logs_collected.files.collect_list[2].retention_in_days: 8 is not one of -1, 1, 3, 5",
				"collect_list[1].retention_in_days: 0 is not one of",
				`collect_list[3].retention_in_days: "30" is not an integer`,
				"collect_list[4].retention_in_days: 30.5 is not an integer",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"config", "validate"}, tt.args...), &stdout, &stderr)
			var ee exitError
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Fatalf("err = %v; stderr:\n%s", err, stderr.String())
			case tt.wantCode != 0 && (!errors.As(err, &ee) || ee.code != tt.wantCode):
				t.Fatalf("err = %v, want exit code %d", err, tt.wantCode)
			}
			if tt.wantOut != "" && stdout.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.wantOut)
			}
			if tt.wantCode == 0 && !strings.HasPrefix(stdout.String(), "OK: ") {
				t.Errorf("stdout = %q, want an OK line", stdout.String())
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestConfigShow(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"config", "show", "-m", "onPremise", configTestdata("valid", "multi_logs.json")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("err = %v; stderr:\n%s", err, stderr.String())
	}
	var got struct {
		Mode    string `json:"mode"`
		Sources []struct {
			GroupName  string `json:"log_group_name"`
			StreamName string `json:"log_stream_name"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if got.Mode != "onPremise" || len(got.Sources) != 4 {
		t.Fatalf("mode %q, %d sources; want onPremise, 4", got.Mode, len(got.Sources))
	}
	if s := got.Sources[1]; s.GroupName != "svc" || s.StreamName != "host" {
		t.Errorf("source 1 = %+v, want group svc, stream host", s)
	}
}

func TestConfigUsage(t *testing.T) {
	for _, args := range [][]string{{"config"}, {"config", "check"}, {"config", "validate"}, {"config", "show", "-m", "cloud", "x.json"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
