package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeSupervisor records what ctl asked of it.
type fakeSupervisor struct {
	running bool
	since   time.Time
	calls   []string
}

func (f *fakeSupervisor) Start(_ context.Context, _ Layout, mode string) error {
	f.calls = append(f.calls, "start "+mode)
	f.running, f.since = true, time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	return nil
}

func (f *fakeSupervisor) Stop(context.Context, Layout) error {
	f.calls = append(f.calls, "stop")
	f.running = false
	return nil
}

func (f *fakeSupervisor) Status(Layout) (bool, time.Time, error) { return f.running, f.since, nil }

const goodConfig = `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/messages"}]}}}}`

func writeConfig(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func configFiles(t *testing.T, l Layout) []string {
	t.Helper()
	names, err := configNames(l)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestTargetName(t *testing.T) {
	for _, tc := range []struct{ src, name string }{
		{"file:/opt/aws/amazon-cloudwatch-agent/bin/logs.json", "file_logs.json"},
		{"file:/tmp/my config:1.json", "file_my_config_1.json"},
		{"default", "default"},
	} {
		_, _, name, err := targetName(tc.src)
		if err != nil || name != tc.name {
			t.Errorf("targetName(%q) = %q, %v; want %q", tc.src, name, err, tc.name)
		}
	}
	for _, bad := range []string{"file:", "s3:bucket", "ssm:AmazonCloudWatch-linux"} {
		if _, _, _, err := targetName(bad); err == nil {
			t.Errorf("targetName(%q) succeeded, want an error", bad)
		}
	}
}

func TestRun_UsageErrors(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	for _, o := range []Options{
		{Action: "explode"},
		{Action: "status", Mode: "cloud"},
		{Action: "set-log-level", LogLevel: "LOUD"},
		{Action: "set-env", Env: "NOEQUALS"},
	} {
		o.Layout, o.Supervisor = l, &fakeSupervisor{}
		err := Run(context.Background(), o, &bytes.Buffer{})
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Run(%+v) = %v, want a UsageError", o, err)
		}
	}
}

func TestRun_FetchAppendRemove(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Root: filepath.Join(dir, "root")}
	sup := &fakeSupervisor{}
	run := func(o Options) error {
		o.Layout, o.Supervisor, o.Version = l, sup, "test"
		return Run(context.Background(), o, &bytes.Buffer{})
	}
	a := writeConfig(t, dir, "a.json", goodConfig)
	b := writeConfig(t, dir, "b.json", strings.Replace(goodConfig, "messages", "secure", 1))
	bad := writeConfig(t, dir, "bad.json", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/x","timezone":"Mars"}]}}}}`)

	if err := run(Options{Action: "start"}); err == nil {
		t.Fatal("start without a config succeeded")
	}
	if err := run(Options{Action: "fetch-config", Mode: "onPremise", Config: "file:" + a, Restart: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := configFiles(t, l), []string{"file_a.json"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after fetch-config: %v, want %v", got, want)
	}
	if got, want := sup.calls, []string{"stop", "start onPremise"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("-s made calls %v, want %v", got, want)
	}
	if err := run(Options{Action: "append-config", Config: "file:" + b}); err != nil {
		t.Fatal(err)
	}
	if got, want := configFiles(t, l), []string{"file_a.json", "file_b.json"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after append-config: %v, want %v", got, want)
	}
	err := run(Options{Action: "append-config", Config: "file:" + bad})
	if err == nil || !strings.Contains(err.Error(), bad+": logs.logs_collected.files.collect_list[0].timezone") {
		t.Fatalf("append of a bad config: %v, want an error naming the file and collect_list[0].timezone", err)
	}
	if got, want := configFiles(t, l), []string{"file_a.json", "file_b.json"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("a refused config changed the installed ones: %v, want %v", got, want)
	}
	// fetch-config replaces everything.
	if err := run(Options{Action: "fetch-config", Config: "file:" + b}); err != nil {
		t.Fatal(err)
	}
	if got, want := configFiles(t, l), []string{"file_b.json"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after a second fetch-config: %v, want %v", got, want)
	}
	var buf bytes.Buffer
	if err := Run(context.Background(), Options{Action: "status", Layout: l, Supervisor: sup, Version: "test"}, &buf); err != nil {
		t.Fatal(err)
	}
	var st Status
	if err := json.Unmarshal(buf.Bytes(), &st); err != nil {
		t.Fatalf("status output is not JSON: %v\n%s", err, buf.String())
	}
	if want := (Status{"running", "2026-11-26T05:00:00+00:00", "configured", "test"}); st != want {
		t.Fatalf("status = %+v, want %+v", st, want)
	}
	if err := run(Options{Action: "remove-config", Config: "all", Restart: true}); err != nil {
		t.Fatal(err)
	}
	if got := configFiles(t, l); len(got) != 0 {
		t.Fatalf("after remove-config -c all: %v, want none", got)
	}
	if sup.running {
		t.Fatal("the agent runs with no config left")
	}
}

func TestRun_SetEnv(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	for _, o := range []Options{{Action: "set-log-level", LogLevel: "DEBUG"}, {Action: "set-env", Env: "HTTPS_PROXY=http://127.0.0.1:3128"}} {
		o.Layout, o.Supervisor = l, &fakeSupervisor{}
		if err := Run(context.Background(), o, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	env, err := ReadEnv(l)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CWAGENT_LOG_LEVEL": "DEBUG", "HTTPS_PROXY": "http://127.0.0.1:3128"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("env-config = %v, want %v", env, want)
	}
}

func TestSystemdUnit(t *testing.T) {
	u := Systemd{Exe: "/usr/bin/logwarden"}.Unit(Layout{Root: "/opt/logwarden"}, "ec2")
	for _, want := range []string{
		"ExecStart=/usr/bin/logwarden agent -c /opt/logwarden/etc/amazon-cloudwatch-agent.d --state-dir /opt/logwarden/logs/state --mode ec2",
		"Restart=on-failure", "WantedBy=multi-user.target",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "--pidfile") {
		t.Errorf("a systemd unit needs no pid file:\n%s", u)
	}
}
