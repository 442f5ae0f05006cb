package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/review"
	"github.com/logwarden/logwarden/internal/review/evidence"
	"github.com/logwarden/logwarden/internal/review/policy"
	"github.com/logwarden/logwarden/internal/review/report"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// readerOptions is what the source flags say about where the logs are.
type readerOptions struct {
	Mode      string // files, server, cloudwatch
	Root      string
	Endpoint  string
	Region    string
	LogGroups []string
	Start     time.Time
	End       time.Time
	Zone      *time.Location // the review's zone (period, business hours)
	HostZone  *time.Location // the zone of timestamps without an offset (RFC 3164)
	Progress  io.Writer
}

// sourceFlags are the flags that say where a review reads its logs; review
// and review daily share them.
type sourceFlags struct {
	mode, root, endpoint, region string
	groups                       stringList
}

func (f *sourceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "source", "files", "where the logs are: files, server or cloudwatch")
	fs.StringVar(&f.root, "root", "/", "files: root of the host tree to review (DIR/var/log/secure ...)")
	fs.StringVar(&f.endpoint, "endpoint", "", "server/cloudwatch: CloudWatch Logs endpoint URL (server default http://127.0.0.1:4586)")
	fs.StringVar(&f.region, "region", "", "cloudwatch: AWS region")
	fs.Var(&f.groups, "log-group", "server/cloudwatch: log group to read (repeatable)")
}

// check rejects an unknown --source; cmd names the command in the message.
func (f *sourceFlags) check(cmd string) error {
	switch f.mode {
	case "files", "server", "cloudwatch":
		return nil
	}
	return usageError{fmt.Sprintf("%s: --source %q is not files, server or cloudwatch", cmd, f.mode)}
}

// reader builds the reader of these flags for [start, end).
func (f *sourceFlags) reader(start, end time.Time, zone, hostZone *time.Location, progress io.Writer) (review.Reader, error) {
	return newReviewReader(readerOptions{Mode: f.mode, Root: f.root, Endpoint: f.endpoint, Region: f.region,
		LogGroups: f.groups, Start: start, End: end, Zone: zone, HostZone: hostZone, Progress: progress})
}

// reviewPolicy loads --policy (or the built-in criteria) and applies --tz;
// it returns the policy and where it came from.
func reviewPolicy(cmd, file, tz string) (*policy.Policy, string, error) {
	pol, src := policy.Default(), "built-in"
	if file != "" {
		p, err := policy.Load(file)
		if err != nil {
			return nil, "", err
		}
		pol, src = p, file
	}
	if tz != "" {
		pol.Timezone = tz
		if err := pol.Validate(); err != nil {
			return nil, "", usageError{fmt.Sprintf("%s: --tz: %v", cmd, err)}
		}
	}
	return pol, src, nil
}

// hostZoneFlag is --host-tz's zone, or def when it is not given.
func hostZoneFlag(cmd, name string, def *time.Location) (*time.Location, error) {
	if name == "" {
		return def, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, usageError{fmt.Sprintf("%s: --host-tz %q is not an IANA time zone name", cmd, name)}
	}
	return loc, nil
}

// newReviewReader builds the reader for the chosen source; cmd_review_source.go
// wires internal/review/source into it.
var newReviewReader = func(o readerOptions) (review.Reader, error) {
	return nil, fmt.Errorf("review: source %q is not available in this build", o.Mode)
}

func runReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "policy":
			return runReviewPolicy(args[1:], stdout, stderr)
		case "ack":
			return runReviewAck(args[1:], stdout, stderr)
		case "verify":
			return runReviewVerify(args[1:], stdout, stderr)
		case "keygen":
			return runReviewKeygen(args[1:], stdout, stderr)
		case "daily":
			return runReviewDaily(ctx, args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("review", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: logwarden review --period YYYY-MM --out DIR [flags]
       logwarden review policy print [--lang ko|en] [--json]
       logwarden review ack REPORTDIR --role 담당|검토|승인 --name NAME [--key FILE] [--comment TEXT] [--finding KEY=정상확인|조치완료|조치중 ...]
       logwarden review verify REPORTDIR [--prev DIR] [--pubkey FILE ...]
       logwarden review keygen --out DIR
       logwarden review daily [--date YYYY-MM-DD] [--source files|server|cloudwatch] [--format md|json] [--out DIR] [--baseline REPORTDIR]

Writes the U-43 periodic log review report (report.json, report.md, report.html,
report.pdf, manifest.json) for one month. Flags:`)
		fs.PrintDefaults()
	}
	period := fs.String("period", "", "month to review, YYYY-MM (required)")
	var src sourceFlags
	src.register(fs)
	policyFile := fs.String("policy", "", "policy file (default: the built-in criteria; see 'review policy print')")
	lang := fs.String("lang", "ko", "report language: ko or en")
	tz := fs.String("tz", "", "time zone of the period and business hours (default: the policy's, Asia/Seoul)")
	hostTZ := fs.String("host-tz", "", "time zone of log timestamps without an offset (default: the review's; EC2 images often log in UTC)")
	out := fs.String("out", "", "output directory (required)")
	prev := fs.String("prev", "", "previous period's report directory (default: found beside --out)")
	reportDate := fs.String("report-date", "", "report date printed in the header, YYYY-MM-DD (default: left blank)")
	noPDF := fs.Bool("no-pdf", false, "do not print report.pdf")
	pdfRenderer := fs.String("pdf-renderer", "auto", "auto (headless Chromium if found, else built-in with a Hangul TTF), chromium or go")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("review: unexpected argument %q", fs.Arg(0))}
	}
	if *period == "" || *out == "" {
		return usageError{"review: --period and --out are required"}
	}
	if *lang != "ko" && *lang != "en" {
		return usageError{fmt.Sprintf("review: --lang %q is not ko or en", *lang)}
	}
	if *reportDate != "" {
		if _, err := time.Parse("2006-01-02", *reportDate); err != nil {
			return usageError{fmt.Sprintf("review: --report-date %q is not YYYY-MM-DD", *reportDate)}
		}
	}
	pol, polSrc, err := reviewPolicy("review", *policyFile, *tz)
	if err != nil {
		return err
	}
	start, end, err := review.ParsePeriod(*period, pol.Location())
	if err != nil {
		return usageError{err.Error()}
	}
	hostZone, err := hostZoneFlag("review", *hostTZ, pol.Location())
	if err != nil {
		return err
	}
	if err := src.check("review"); err != nil {
		return err
	}
	read, err := src.reader(start, end, pol.Location(), hostZone, stderr)
	if err != nil {
		return err
	}
	res, err := review.Run(ctx, review.Options{
		Period: *period, Policy: pol, PolicySource: polSrc, Read: read, Mode: src.mode, Root: rootIf(src.mode, src.root), OutDir: *out, PrevDir: *prev,
		Lang: *lang, ToolVersion: Version, ReportDate: *reportDate, Progress: stderr, NoPDF: *noPDF, PDFRenderer: *pdfRenderer,
	})
	if err != nil {
		return err
	}
	o := res.Report.Overall
	fmt.Fprintf(stdout, "%s %s: %s (pass %d, notice %d, finding %d, n/a %d), open findings %d, lowest coverage %d.%d%%\n",
		res.Report.DocumentNo, res.Report.Period.Label, report.VerdictText(o.Verdict, "en"), o.Pass, o.Notice, o.Finding, o.NA,
		o.OpenFindings, o.CoveragePermille/10, o.CoveragePermille%10)
	fmt.Fprintf(stdout, "wrote %s (report.json sha256 %s)\n", res.Dir, res.ReportSHA256)
	if res.PDFErr != nil && !*noPDF {
		fmt.Fprintf(stderr, "review: report.pdf not written: %v (the other artefacts are complete)\n", res.PDFErr)
	}
	return nil
}

func runReviewPolicy(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "print" {
		return usageError{"review policy: want 'review policy print [--lang ko|en] [--json]'"}
	}
	fs := flag.NewFlagSet("review policy print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "ko", "comment language: ko or en")
	asJSON := fs.Bool("json", false, "print plain JSON without comments")
	file := fs.String("policy", "", "print this policy file (after defaults and validation) instead of the built-in one")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *lang != "ko" && *lang != "en" {
		return usageError{fmt.Sprintf("review policy print: --lang %q is not ko or en", *lang)}
	}
	p := policy.Default()
	if *file != "" {
		var err error
		if p, err = policy.Load(*file); err != nil {
			return err
		}
	}
	if *asJSON {
		_, err := stdout.Write(p.JSON())
		return err
	}
	_, err := stdout.Write(p.Commented(*lang))
	return err
}

// interleaved splits args into flags and positional arguments, so that the
// report directory may come before or after the flags.
func interleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runReviewAck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("review ack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "담당 (prepared), 검토 (reviewed) or 승인 (approved)")
	name := fs.String("name", "", "name of the person signing (required)")
	emp := fs.String("employee-id", "", "employee id")
	decision := fs.String("decision", "", "the person's decision, e.g. 확인 or 조치요구 (never filled in by the tool)")
	comment := fs.String("comment", "", "comment")
	var findings stringList
	fs.Var(&findings, "finding", "KEY=STATUS[:NOTE] disposition of a findings-register entry (정상확인, 조치완료, 조치중); repeatable")
	keyFile := fs.String("key", "", "Ed25519 private key (PEM, from 'review keygen') to sign the sign-off with")
	pos, err := interleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"review ack: want exactly one REPORTDIR"}
	}
	in := evidence.AckInput{Role: *role, Name: *name, EmployeeID: *emp, Decision: *decision, Comment: *comment}
	for _, f := range findings {
		k, rest, ok := strings.Cut(f, "=")
		if !ok {
			return usageError{fmt.Sprintf("review ack: --finding %q is not KEY=STATUS", f)}
		}
		st, note, _ := strings.Cut(rest, ":")
		in.Findings = append(in.Findings, evidence.Disposition{Key: k, Status: st, Note: note})
	}
	if *keyFile != "" {
		if in.Key, err = evidence.LoadPrivateKey(*keyFile); err != nil {
			return err
		}
	}
	s, err := evidence.Ack(pos[0], in, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "recorded sign-off %d: %s %s at %s (entry sha256 %s)\n", s.Seq, s.Role, s.Name, s.Time.Format(time.RFC3339), s.EntrySHA256)
	if in.Key != nil {
		fmt.Fprintf(stdout, "signed with Ed25519 key %s\n", evidence.Fingerprint(in.Key.Public().(ed25519.PublicKey)))
	}
	return nil
}

func runReviewVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("review verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prev := fs.String("prev", "", "previous period's report directory (default: found beside REPORTDIR)")
	var pubkeys stringList
	fs.Var(&pubkeys, "pubkey", "Ed25519 public key (PEM) allowed to sign; every sign-off must then be signed by one of the given keys (repeatable)")
	pos, err := interleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"review verify: want exactly one REPORTDIR"}
	}
	var keys []ed25519.PublicKey
	for _, f := range pubkeys {
		k, err := evidence.LoadPublicKey(f)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	if st, err := os.Stat(pos[0]); err != nil || !st.IsDir() {
		return fmt.Errorf("review verify: %s is not a directory", pos[0])
	}
	res := evidence.Verify(pos[0], evidence.VerifyOptions{PrevDir: *prev, PublicKeys: keys})
	for _, c := range res.Checks {
		mark := "OK  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "%s %s: %s\n", mark, c.Name, c.Msg)
	}
	if !res.OK() {
		return exitError{code: 1, msg: "review verify: FAILED: " + strings.Join(res.Failures(), "; ")}
	}
	fmt.Fprintln(stdout, "verified")
	return nil
}

func runReviewKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("review keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory for "+evidence.PrivateKeyFile+" (mode 0600) and "+evidence.PublicKeyFile+" (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("review keygen: unexpected argument %q", fs.Arg(0))}
	}
	if *out == "" {
		return usageError{"review keygen: --out DIR is required"}
	}
	priv, pub, err := evidence.GenerateKey(*out)
	if err != nil {
		return err
	}
	k, err := evidence.LoadPublicKey(pub)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (private, keep it with the signer) and %s (public, give it to the auditor)\nkey %s\n", priv, pub, evidence.Fingerprint(k))
	return nil
}

// rootIf returns root in files mode (the manifest records the host tree).
func rootIf(mode, root string) string {
	if mode == "files" {
		return root
	}
	return ""
}
