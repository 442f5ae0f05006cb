// Command logwarden ships logs the way the Amazon CloudWatch Agent does, serves a
// CloudWatch-Logs-compatible API, and writes the periodic U-43 log review report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"up":      {"run the server and an agent for this host's system logs", runUp},
		"agent":   {"ship the files of a CloudWatch Agent JSON config", runAgent},
		"server":  {"serve the CloudWatch Logs API (with Logs Insights and metric filters) from a durable store", runServer},
		"verify":  {"check the integrity chain of a server's store", runVerify},
		"review":  {"write the U-43 log review report for a period", runReview},
		"config":  {"validate a CloudWatch Agent JSON config", runConfig},
		"ctl":     {"amazon-cloudwatch-agent-ctl compatible control", runCtl},
		"version": {"print the version", runVersion},
	}
}

// usageError is an error in the command line: main prints it with the usage and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var ce exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "logwarden: %s\nRun 'logwarden help' for usage.\n", ue.msg)
		return 2
	case errors.As(err, &ce):
		if ce.msg != "" {
			fmt.Fprintln(stderr, ce.msg)
		}
		return ce.code
	default:
		fmt.Fprintf(stderr, "logwarden: %v\n", err)
		return 1
	}
}

// exitError ends the program with a given code after printing msg (if any).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return nil
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: logwarden <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'logwarden <command> -h' for a command's flags.")
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "logwarden %s\n", Version)
	return nil
}
