package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/logwarden/logwarden/internal/review/parse"
)

// CloudWatchOptions configure CloudWatch.
type CloudWatchOptions struct {
	// Endpoint overrides the service endpoint (the embedded server, e.g.
	// "http://127.0.0.1:4566"); empty means AWS's endpoint for Region.
	Endpoint string
	Region   string
	// Groups are the log groups to read; each must exist.
	Groups []string
	// StreamPrefix limits the streams read (e.g. a host's instance id).
	StreamPrefix string
	// Start and End delimit the period [Start, End).
	Start, End time.Time
	// Zone resolves RFC 3164 stamps inside the messages.
	Zone *time.Location
	// GapThreshold; zero means DefaultGapThreshold.
	GapThreshold time.Duration
	// Client, when set, is used as is (tests, custom credentials);
	// otherwise one is built from the default credential chain.
	Client *cwl.Client
}

// defaultServerRegion is used with an Endpoint when no region is set.
const defaultServerRegion = "us-east-1"

// anonKey signs requests to an endpoint when no credentials are found.
const anonKey = "logwarden"

// filterPageLimit is the events per FilterLogEvents page (the API maximum).
const filterPageLimit = 10000

// maxPages bounds one group's pagination (10,000 events a page: 1e9 events).
const maxPages = 100000

// CloudWatch reads every event of opts.Groups in [Start, End) through the
// CloudWatch Logs API (FilterLogEvents, the same client for the embedded
// server and AWS), parses each message with the same parsers as local files
// (syslog lines, journald JSON, audit records, binlog JSON lines) and
// streams the records in period to fn. It returns one Input per
// group/stream: Name "group/stream", SHA256 over the messages read (each
// followed by "\n", in API order), Size their byte count; byte offsets are
// -1. Records' Line is the event's 1-based index within its stream. As with
// Files, the *Record given to fn is reused.
func CloudWatch(ctx context.Context, opts CloudWatchOptions, fn func(*parse.Record) error) ([]Input, error) {
	if opts.Zone == nil {
		opts.Zone = time.UTC
	}
	if opts.GapThreshold == 0 {
		opts.GapThreshold = DefaultGapThreshold
	}
	client := opts.Client
	if client == nil {
		region := opts.Region
		if region == "" && opts.Endpoint != "" {
			region = defaultServerRegion
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
		if err != nil {
			return nil, fmt.Errorf("load aws config: %w", err)
		}
		if opts.Endpoint != "" {
			// the embedded server without an auth file accepts any
			// signature: an air-gapped reviewer needs no AWS credentials
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				cfg.Credentials = credentials.NewStaticCredentialsProvider(anonKey, anonKey, "")
			}
		}
		client = cwl.NewFromConfig(cfg, func(o *cwl.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
		})
	}
	if len(opts.Groups) == 0 {
		return nil, ErrNoGroups
	}
	var inputs []Input
	for _, g := range opts.Groups {
		ins, err := readGroup(ctx, client, g, opts, fn)
		inputs = append(inputs, ins...)
		if err != nil {
			return inputs, err
		}
	}
	return inputs, nil
}

type cwStream struct {
	in    *Input
	pt    *periodTracker
	p     *parse.Parser
	h     hash.Hash
	n     int64
	hours []uint32
}

func readGroup(ctx context.Context, client *cwl.Client, group string, opts CloudWatchOptions, fn func(*parse.Record) error) ([]Input, error) {
	class := groupClass(group)
	streams := map[string]*cwStream{}
	var order []string
	hours := make([]uint32, periodHours(opts.Start, opts.End))
	in := &cwl.FilterLogEventsInput{
		LogGroupName: aws.String(group),
		StartTime:    aws.Int64(opts.Start.UnixMilli()),
		EndTime:      aws.Int64(opts.End.UnixMilli() - 1), // the API's end is inclusive
		Limit:        aws.Int32(filterPageLimit),
	}
	if opts.StreamPrefix != "" {
		in.LogStreamNamePrefix = aws.String(opts.StreamPrefix)
	}
	pager := cwl.NewFilterLogEventsPaginator(client, in)
	rec := new(parse.Record) // reused: fn must not keep the pointer
	collect := func() []Input {
		out := make([]Input, 0, len(order))
		for _, name := range order {
			s := streams[name]
			s.in.SHA256 = hex.EncodeToString(s.h.Sum(nil))
			out = append(out, *s.in)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		if len(out) > 0 {
			out[len(out)-1].Gaps = hourGaps(hours, opts.Start, opts.End, opts.GapThreshold)
		}
		return out
	}
	for pages := 0; pager.HasMorePages(); pages++ {
		if pages >= maxPages {
			return collect(), fmt.Errorf("filter log events %s: more than %d pages", group, maxPages)
		}
		page, err := pager.NextPage(ctx)
		if err != nil {
			return collect(), fmt.Errorf("filter log events %s: %w", group, err)
		}
		for _, ev := range page.Events {
			stream := aws.ToString(ev.LogStreamName)
			s := streams[stream]
			if s == nil {
				name := strings.TrimSuffix(group, "/") + "/" + stream
				cin := &Input{Name: name, Class: class, Group: group, Stream: stream, ByteStart: -1, ByteEnd: -1}
				s = &cwStream{in: cin, h: sha256.New(),
					p: parse.NewParser(parse.Options{Zone: opts.Zone, Source: name})}
				s.pt = &periodTracker{in: cin, start: opts.Start, end: opts.End, hours: hours, fn: fn}
				streams[stream] = s
				order = append(order, stream)
			}
			msg := aws.ToString(ev.Message)
			s.h.Write([]byte(msg))
			s.h.Write([]byte{'\n'})
			s.in.Size += int64(len(msg)) + 1
			s.n++
			s.in.Stats.Lines++
			evTime := time.UnixMilli(aws.ToInt64(ev.Timestamp)).In(opts.Zone)
			*rec = parseEvent(s, class, msg, evTime)
			if err := s.pt.observe(rec, 0); err != nil {
				return collect(), err
			}
		}
	}
	ins := collect()
	if len(ins) == 0 { // a silent group is a gap over the whole period
		ins = []Input{{Name: group, Class: class, Group: group, ByteStart: -1, ByteEnd: -1,
			Gaps: hourGaps(hours, opts.Start, opts.End, opts.GapThreshold)}}
	}
	for i := range ins {
		ins[i].ByteStart, ins[i].ByteEnd = -1, -1
	}
	return ins, nil
}

// parseEvent parses one CloudWatch message the way its content asks.
func parseEvent(s *cwStream, class Class, msg string, evTime time.Time) parse.Record {
	s.p.SetRef(evTime)
	var r parse.Record
	var ok bool
	switch {
	case strings.HasPrefix(msg, "{"):
		if r, ok = parse.FromBinlogJSON(msg, s.in.Name, s.n); ok {
			break
		}
		if strings.Contains(msg, `"__REALTIME_TIMESTAMP"`) {
			var err error
			r, _, err = s.p.JournalLine([]byte(msg), s.n, -1)
			ok = err == nil
		}
	case class == ClassAudit || strings.HasPrefix(msg, "type=") || strings.HasPrefix(msg, "node="):
		var err error
		r, err = s.p.AuditLine([]byte(msg), s.n, -1)
		ok = err == nil
	case class == ClassSulog:
		var err error
		r, err = s.p.SulogLine([]byte(msg), s.n, -1)
		ok = err == nil
	case class == ClassXferlog:
		var err error
		r, err = s.p.XferlogLine([]byte(msg), s.n, -1)
		ok = err == nil
	default:
		r, ok = s.p.LineString(msg, s.n, -1)
	}
	if !ok {
		// not a log line we know: keep it for coverage with the event time
		r = parse.Record{Time: evTime, Kind: parse.KindOther, Source: s.in.Name, Line: s.n, Offset: -1, Raw: msg}
	}
	r.Offset = -1
	return r
}

// groupClass guesses the class from a log group name such as
// "/var/log/secure", "/ec2/auth.log", "secure".
func groupClass(group string) Class {
	base := path.Base(strings.TrimSuffix(group, "/"))
	if c, _, _, ok := classify(base); ok {
		return c
	}
	switch {
	case strings.Contains(group, "journal"):
		return ClassJournal
	case strings.Contains(group, "audit"):
		return ClassAudit
	}
	return ClassOther
}

// ErrNoGroups is returned when CloudWatch is called without groups.
var ErrNoGroups = errors.New("no log groups given")
