package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/logwarden/logwarden/internal/fsutil"
	"github.com/logwarden/logwarden/internal/review"
)

// reviewNow is the clock `review daily` takes "yesterday" from (tests set it).
var reviewNow = time.Now

func runReviewDaily(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("review daily", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: logwarden review daily [--date YYYY-MM-DD] [--source files|server|cloudwatch] [flags]

Prints a short digest of one day (default: yesterday in the review's time
zone): logins, failed logins, new login sources, sudo/su, account changes and
the findings of the checks that make sense for one day. An operator's summary,
not audit evidence: no sign-off, no hash chain. Flags:`)
		fs.PrintDefaults()
	}
	date := fs.String("date", "", "day to digest, YYYY-MM-DD (default: yesterday in --tz)")
	var src sourceFlags
	src.register(fs)
	policyFile := fs.String("policy", "", "policy file (default: the built-in criteria)")
	tz := fs.String("tz", "", "the operator's time zone: the day's boundaries (default: the policy's, Asia/Seoul)")
	hostTZ := fs.String("host-tz", "", "time zone of log timestamps without an offset (default: --tz)")
	lang := fs.String("lang", "ko", "language: ko or en")
	format := fs.String("format", "md", "stdout format: md or json")
	out := fs.String("out", "", "also write daily-DATE.md and daily-DATE.json into this directory")
	baseline := fs.String("baseline", "", "a monthly report directory whose known login sources mark new ones (default: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("review daily: unexpected argument %q", fs.Arg(0))}
	}
	if *lang != "ko" && *lang != "en" {
		return usageError{fmt.Sprintf("review daily: --lang %q is not ko or en", *lang)}
	}
	if *format != "md" && *format != "json" {
		return usageError{fmt.Sprintf("review daily: --format %q is not md or json", *format)}
	}
	if err := src.check("review daily"); err != nil {
		return err
	}
	pol, polSrc, err := reviewPolicy("review daily", *policyFile, *tz)
	if err != nil {
		return err
	}
	loc := pol.Location()
	if *date == "" {
		*date = review.Yesterday(reviewNow(), loc)
	}
	start, end, err := review.ParseDay(*date, loc)
	if err != nil {
		return usageError{"review daily: " + err.Error()}
	}
	hostZone, err := hostZoneFlag("review daily", *hostTZ, loc)
	if err != nil {
		return err
	}
	read, err := src.reader(start, end, loc, hostZone, nil)
	if err != nil {
		return err
	}
	d, err := review.Daily(ctx, review.DailyOptions{Date: *date, Policy: pol, PolicySource: polSrc, Read: read, Mode: src.mode,
		BaselineDir: *baseline, ToolVersion: Version})
	if err != nil {
		return err
	}
	js, err := d.JSON()
	if err != nil {
		return err
	}
	md := d.Markdown(*lang)
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("create output dir: %w", err)
		}
		for name, b := range map[string][]byte{"daily-" + *date + ".md": md, "daily-" + *date + ".json": js} {
			if err := fsutil.WriteFileAtomic(filepath.Join(*out, name), b, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
		}
	}
	if *format == "json" {
		_, err = stdout.Write(append(js, '\n'))
		return err
	}
	_, err = stdout.Write(md)
	return err
}
