package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/logwarden/logwarden/internal/review"
	"github.com/logwarden/logwarden/internal/review/source"
)

// defaultServerEndpoint is where `logwarden server` listens by default.
const defaultServerEndpoint = "http://127.0.0.1:4586"

func init() { newReviewReader = sourceReader }

func sourceReader(o readerOptions) (review.Reader, error) {
	switch o.Mode {
	case "files":
		return review.FilesReader(source.FileOptions{Root: o.Root, Start: o.Start, End: o.End, Zone: o.HostZone}), nil
	case "server", "cloudwatch":
		if len(o.LogGroups) == 0 {
			return nil, usageError{"review: --source " + o.Mode + " needs at least one --log-group"}
		}
		opt := source.CloudWatchOptions{Endpoint: o.Endpoint, Region: o.Region, Groups: o.LogGroups, Start: o.Start, End: o.End, Zone: o.HostZone}
		if o.Mode == "server" {
			if opt.Endpoint == "" {
				opt.Endpoint = defaultServerEndpoint
			}
			if opt.Region == "" {
				opt.Region = "us-east-1"
			}
			// The embedded server without --auth accepts any signature; give the
			// SDK static credentials so that it does not search for real ones.
			if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
				cfg := aws.Config{Region: opt.Region, Credentials: credentials.NewStaticCredentialsProvider("logwarden", "logwarden", "")}
				ep := opt.Endpoint
				opt.Client = cwl.NewFromConfig(cfg, func(c *cwl.Options) { c.BaseEndpoint = &ep })
			}
		}
		return review.CloudWatchReader(opt), nil
	}
	return nil, fmt.Errorf("review: unknown source %q", o.Mode)
}
