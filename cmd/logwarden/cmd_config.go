package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/logwarden/logwarden/internal/config"
	"github.com/logwarden/logwarden/internal/hostinfo"
)

// runConfig is `logwarden config validate|show FILE...`.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"config: want a subcommand: validate FILE... or show FILE..."}
	}
	switch args[0] {
	case "validate":
		return runConfigValidate(args[1:], stdout, stderr)
	case "show":
		return runConfigShow(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		cfgUsage(stdout)
		return nil
	}
	return usageError{fmt.Sprintf("config: unknown subcommand %q (want validate or show)", args[0])}
}

func cfgUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  logwarden config validate FILE|DIR...   check a CloudWatch Agent JSON config; list every problem")
	fmt.Fprintln(w, "  logwarden config show [-m ec2|onPremise] FILE|DIR...   print the resolved log sources as JSON")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Several files, or a .d directory, are merged as the CloudWatch Agent merges them.")
}

// cfgLoad loads the files and prints problems and notices to stderr.
func cfgLoad(files []string, stderr io.Writer) (*config.Config, error) {
	cfg, err := config.Load(files...)
	var ve *config.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Fprintln(stderr, p.String())
		}
		return nil, exitError{code: 1, msg: fmt.Sprintf("config: invalid: %d %s", len(ve.Problems), cfgPlural(len(ve.Problems), "problem"))}
	}
	if err != nil {
		return nil, err
	}
	for _, n := range cfg.Notices {
		fmt.Fprintln(stderr, "notice: "+n)
	}
	return cfg, nil
}

func runConfigValidate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("config validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"config validate: name at least one config file or .d directory"}
	}
	cfg, err := cfgLoad(fs.Args(), stderr)
	if err != nil {
		return err
	}
	// Count groups without asking the instance metadata service: names are
	// compared before placeholders are resolved.
	groups := map[string]bool{}
	entries, perFile := 0, 0
	if cfg.Logs != nil && cfg.Logs.LogsCollected.Files != nil {
		for _, f := range cfg.Logs.LogsCollected.Files.CollectList {
			entries++
			switch {
			case f.LogGroupName != "":
				groups[strings.ToLower(f.LogGroupName)] = true
			case f.PublishMultiLogs:
				perFile++
			default:
				groups[strings.ToLower(config.DefaultGroupName(f.FilePath))] = true
			}
		}
	}
	msg := fmt.Sprintf("OK: %s merged; %d collect_list %s into %d log %s",
		cfgFileList(cfg.Files), entries, cfgPlural(entries, "entry"), len(groups), cfgPlural(len(groups), "group"))
	if perFile > 0 {
		msg += fmt.Sprintf(" (+ %d %s with one group per matched file)", perFile, cfgPlural(perFile, "entry"))
	}
	fmt.Fprintln(stdout, msg)
	return nil
}

func cfgFileList(files []string) string {
	if len(files) == 1 {
		return files[0]
	}
	return fmt.Sprintf("%d files (%s)", len(files), strings.Join(files, ", "))
}

func cfgPlural(n int, word string) string {
	switch {
	case n == 1:
		return word
	case strings.HasSuffix(word, "y"):
		return word[:len(word)-1] + "ies"
	}
	return word + "s"
}

// cfgShown is what `config show` prints.
type cfgShown struct {
	Files         []string        `json:"files"`
	Mode          string          `json:"mode"`
	Region        string          `json:"region"`
	Logfile       string          `json:"logfile"`
	FlushInterval string          `json:"force_flush_interval"`
	RoleARN       string          `json:"role_arn,omitempty"`
	Endpoint      string          `json:"endpoint_override,omitempty"`
	Host          hostinfo.Info   `json:"host"`
	Sources       []config.Source `json:"sources"`
	Notices       []string        `json:"notices,omitempty"`
}

func runConfigShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("config show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("m", "ec2", "mode as amazon-cloudwatch-agent-ctl -m: ec2, onPremise or onPrem (no instance metadata)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"config show: name at least one config file or .d directory"}
	}
	var onPrem bool
	switch *mode {
	case "ec2":
	case "onPremise", "onPrem":
		onPrem = true
	default:
		return usageError{fmt.Sprintf("config show: -m %q: want ec2, onPremise or onPrem", *mode)}
	}
	cfg, err := cfgLoad(fs.Args(), stderr)
	if err != nil {
		return err
	}
	info := hostinfo.Detect(ctx, onPrem)
	sources, err := cfg.Sources(info, onPrem)
	if err != nil {
		return fmt.Errorf("config show: %w", err)
	}
	region, err := cfg.Region(info)
	if err != nil {
		region = ""
		fmt.Fprintln(stderr, "notice: "+err.Error())
	}
	out := cfgShown{
		Files:         cfg.Files,
		Mode:          *mode,
		Region:        region,
		Logfile:       cfg.Logfile(),
		FlushInterval: cfg.FlushInterval().String(),
		RoleARN:       cfg.RoleARN(),
		Host:          info,
		Sources:       sources,
		Notices:       cfg.Notices,
	}
	if cfg.Logs != nil {
		out.Endpoint = cfg.Logs.EndpointOverride
	}
	sort.Strings(out.Notices)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write sources: %w", err)
	}
	return nil
}
