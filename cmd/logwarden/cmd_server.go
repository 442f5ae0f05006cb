package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/logwarden/logwarden/internal/server"
)

// runServer runs `logwarden server`: the CloudWatch Logs API over a durable
// local store, until ctx is cancelled (Ctrl-C or SIGTERM).
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts server.Options
	var debug bool
	fs.StringVar(&opts.Listen, "listen", server.DefaultListen, "address to listen on")
	fs.StringVar(&opts.DataDir, "data", server.DefaultDataDir(), "store directory")
	fs.StringVar(&opts.AuthFile, "auth", "", "credentials file (lines \"ACCESS_KEY_ID SECRET [SESSION_TOKEN]\"); verify SigV4 signatures")
	fs.StringVar(&opts.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&opts.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&opts.InsecureListenAnywhere, "insecure-listen-anywhere", false, "allow a non-loopback address without --auth")
	fs.BoolVar(&debug, "debug", false, "log every rejected request")
	fs.Usage = func() { serverUsage(fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("server: unexpected argument %q", fs.Arg(0))}
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return server.Run(ctx, opts, func(addr string) {
		scheme := "http"
		if opts.TLSCert != "" {
			scheme = "https"
		}
		fmt.Fprintf(stdout, "logwarden server listening on %s://%s (data in %s)\n", scheme, addr, opts.DataDir)
		fmt.Fprintf(stdout, "try: aws logs describe-log-groups --endpoint-url %s://%s --region us-east-1\n", scheme, addr)
	})
}

// serverUsage prints `logwarden server -h`: what the server answers, then the
// flags.
func serverUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintln(w, "Usage: logwarden server [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Serves the CloudWatch Logs API (awsJson1_1, SigV4) from a durable local store, for")
	fmt.Fprintln(w, "the AWS CLI, boto3, the AWS SDKs and logwarden agents (--endpoint-url).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Operations:")
	line := " "
	for _, op := range server.Operations() {
		if len(line)+1+len(op) > 88 {
			fmt.Fprintln(w, line)
			line = " "
		}
		line += " " + op
	}
	fmt.Fprintln(w, line)
	fmt.Fprintln(w, strings.TrimSpace(`
Logs Insights queries (StartQuery) support fields, filter, stats ... by bin(), sort,
limit, parse, display and dedup. Metric filters count the events they match (GET
/debug/metric-filters without --auth) but publish no metrics; subscription filters
are stored and validated but deliver nothing. StartLiveTail streams newly put events
(every second, at most 500 per update, 15 sessions); the AWS CLI and boto3 need
AWS_DISABLE_HOST_PREFIX_INJECTION=true, or they call the host stream-<endpoint host>.`))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fs.PrintDefaults()
}
