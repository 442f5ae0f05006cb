package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// cwaStateDefault is where a translated CloudWatch Agent config keeps its
// file offsets; the benchmark moves it into the run directory.
const cwaStateDefault = "/opt/aws/amazon-cloudwatch-agent/logs/state"

// runFluentBit runs Fluent Bit (in_tail → cloudwatch_logs) on the file. Its
// cloudwatch_logs output always speaks TLS (and refuses a `tls` property), so
// it is pointed at the TLS side of the null endpoint, trusting its
// certificate through tls.ca_file.
func (b *bench) runFluentBit(ctx context.Context) result {
	r := b.base("Fluent Bit (tail → cloudwatch_logs, https)")
	r.Peer = true
	bin := os.Getenv(envFluentBit)
	if bin == "" {
		r.Skipped = envFluentBit + " is not set (path of a fluent-bit binary)"
		return r
	}
	d, err := b.runDir("fluentbit")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	host, port, err := net.SplitHostPort(b.tlsAddr)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	// The same work as the agents: read from the head, keep offsets in a
	// database (the agents keep checkpoints), ship the line as the message.
	conf := fmt.Sprintf(`[SERVICE]
    Flush             %d
    Log_Level         warn
[INPUT]
    Name              tail
    Path              %s
    Read_from_Head    true
    DB                %s
[OUTPUT]
    Name              cloudwatch_logs
    Match             *
    region            %s
    log_group_name    %s
    log_stream_name   %s
    log_key           log
    auto_create_group true
    endpoint          %s
    port              %s
    tls.verify        Off
    tls.ca_file       %s
`, flushSeconds, b.file.Path, filepath.Join(d, "tail.db"), benchRegion, benchGroup, benchStream,
		host, port, b.certPath)
	confPath := filepath.Join(d, "fluent-bit.conf")
	if err := writeFile(confPath, []byte(conf)); err != nil {
		r.Err = err.Error()
		return r
	}
	cmd := exec.Command(bin, "-c", confPath)
	cmd.Env = b.env()
	return b.measureNull(ctx, r, cmd, filepath.Join(d, "fluent-bit.log"))
}

// runCWAgent runs amazon-cloudwatch-agent the way its start script does:
// config-translator turns the JSON into TOML (and YAML), then the agent runs
// on them.
func (b *bench) runCWAgent(ctx context.Context) result {
	r := b.base("amazon-cloudwatch-agent (http)")
	r.Peer = true
	bin := os.Getenv(envCWAgent)
	if bin == "" {
		r.Skipped = envCWAgent + " is not set (path of an amazon-cloudwatch-agent binary)"
		return r
	}
	translator := os.Getenv(envTranslator)
	if translator == "" {
		translator = filepath.Join(filepath.Dir(bin), "config-translator")
	}
	d, err := b.runDir("cwagent")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	fail := func(err error) result {
		r.Err = err.Error()
		return r
	}
	cfg, err := b.cwaConfig("http://"+b.httpAddr, filepath.Join(d, "amazon-cloudwatch-agent.log"))
	if err != nil {
		return fail(err)
	}
	// The legacy single JSON stays absent; the config goes into the .d
	// directory as `ctl -a fetch-config -c file:...` leaves it.
	jsonPath := filepath.Join(d, "amazon-cloudwatch-agent.json")
	tomlPath := filepath.Join(d, "amazon-cloudwatch-agent.toml")
	yamlPath := filepath.Join(d, "amazon-cloudwatch-agent.yaml")
	envPath := filepath.Join(d, "env-config.json")
	common := filepath.Join(d, "common-config.toml")
	inDir := filepath.Join(d, "amazon-cloudwatch-agent.d")
	if err := os.MkdirAll(inDir, 0o755); err != nil {
		return fail(fmt.Errorf("make config dir: %w", err))
	}
	if err := writeFile(filepath.Join(inDir, "file_bench.json"), cfg); err != nil {
		return fail(err)
	}
	// A common-config that names the shared credentials file, as an
	// on-premises install does.
	commonText := fmt.Sprintf("[credentials]\n  shared_credential_profile = \"AmazonCloudWatchAgent\"\n  shared_credential_file = %q\n", b.credPath)
	if err := writeFile(common, []byte(commonText)); err != nil {
		return fail(err)
	}
	// As the start script runs it: multi-config "remove" translates the
	// files already in the .d directory.
	tr := exec.CommandContext(ctx, translator, "--input", jsonPath, "--input-dir", inDir,
		"--output", tomlPath, "--mode", "onPrem", "--config", common, "--multi-config", "remove")
	tr.Env = b.env()
	tr.Dir = d
	if out, err := tr.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("config-translator: %v: %s", err, bytes.TrimSpace(out)))
	}
	toml, err := os.ReadFile(tomlPath)
	if err != nil {
		return fail(fmt.Errorf("read translated config: %w", err))
	}
	toml = bytes.ReplaceAll(toml, []byte(cwaStateDefault), []byte(filepath.Join(d, "state")))
	if err := writeFile(tomlPath, toml); err != nil {
		return fail(err)
	}
	args := []string{"-config", tomlPath}
	if _, err := os.Stat(envPath); err == nil {
		args = append(args, "-envconfig", envPath)
	}
	if _, err := os.Stat(yamlPath); err == nil {
		args = append(args, "-otelconfig", yamlPath)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = b.env("RUN_IN_CONTAINER=False")
	cmd.Dir = d
	r.Note = "config-translator, then amazon-cloudwatch-agent on its TOML"
	return b.measureNull(ctx, r, cmd, filepath.Join(d, "stdout.log"))
}

// writeFile writes a small file of the benchmark's work directory.
func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write file: %w", err)
	}
	return nil
}
