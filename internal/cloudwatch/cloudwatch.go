// Package cloudwatch is logwarden's CloudWatch Logs client: a thin layer over
// aws-sdk-go-v2/service/cloudwatchlogs with a lean PutLogEvents path (the
// request body is serialized and gzip-compressed here, then signed and sent by
// the SDK), the few management calls the agent needs (create group and stream,
// retention), and helpers that classify the service's errors.
//
// The SDK's own retryer is disabled: callers (internal/pipeline) retry with
// their own policy, which never gives up on data the destination did not accept.
package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// OnPremProfile is the shared-config profile the CloudWatch Agent uses in
// onPremise mode; New selects it when Config.OnPrem is set and it exists.
const OnPremProfile = "AmazonCloudWatchAgent"

// CompressionEnv overrides CompressionAuto: "gzip" or "none".
const CompressionEnv = "LOGWARDEN_LOGS_COMPRESSION"

// DefaultUserAgent is the User-Agent prefix when Config.UserAgent is empty.
const DefaultUserAgent = "logwarden/dev"

// DefaultRequestTimeout bounds one HTTP request (connect, send, answer). A
// PutLogEvents of 1 MiB over a slow link fits easily; a hung connection is
// abandoned and the caller retries.
const DefaultRequestTimeout = 60 * time.Second

// DefaultMaxIdleConnsPerHost keeps enough warm connections for concurrent
// batches (logs.concurrency) to one endpoint.
const DefaultMaxIdleConnsPerHost = 32

// Compression selects how PutLogEvents bodies are encoded.
type Compression int

const (
	// CompressionAuto gzips bodies sent to AWS (no endpoint override, or an
	// AWS host name) and sends plain JSON elsewhere, unless the environment
	// variable LOGWARDEN_LOGS_COMPRESSION says "gzip" or "none". Why:
	// measured with BenchmarkPutLogEvents (out-of-process null server), gzip
	// at the fastest level costs about twice the client CPU of plain JSON, but
	// over a real network it cuts request size 4-8x and with it the time each
	// batch is in flight; AWS accepts gzip bodies (the CloudWatch Agent sends
	// them), while emulators such as moto_server do not.
	CompressionAuto Compression = iota
	// CompressionGzip always gzips PutLogEvents bodies (Content-Encoding: gzip).
	CompressionGzip
	// CompressionNone sends bodies as plain JSON.
	CompressionNone
)

// Config says how to reach CloudWatch Logs (or a compatible server).
type Config struct {
	// Region is agent.region; "" means the SDK's environment and shared config,
	// then EC2 instance metadata (IMDSv2) unless AWS_EC2_METADATA_DISABLED=true.
	Region string
	// Endpoint is logs.endpoint_override or a local server URL; "" means the
	// SDK's endpoint resolution (including AWS_ENDPOINT_URL_CLOUDWATCH_LOGS).
	// A value without a scheme gets https://.
	Endpoint string
	// RoleARN is credentials.role_arn: the base credentials assume it through STS.
	RoleARN string
	// Profile is a shared-config profile name; "" means the SDK default.
	Profile string
	// OnPrem selects profile AmazonCloudWatchAgent when Profile is empty and
	// that profile exists in the shared config or credentials file.
	OnPrem bool
	// StaticCredentials, if set, replace the default credential chain (a local server).
	StaticCredentials *aws.Credentials
	// Credentials, if set (and StaticCredentials is not), replaces the
	// default credential chain; it is cached and refreshed by the SDK.
	Credentials aws.CredentialsProvider
	// UserAgent is put in front of the SDK's User-Agent, e.g. "logwarden/1.2.3".
	UserAgent string
	// Compression of PutLogEvents bodies; the zero value is CompressionAuto.
	Compression Compression
	// SignLoopbackPayload makes PutLogEvents to a loopback endpoint hash its
	// body for SigV4 like any other. By default such requests are signed with
	// X-Amz-Content-Sha256: UNSIGNED-PAYLOAD (headers still signed), which
	// saves a SHA-256 pass over every body where no network can alter it;
	// logwarden's server accepts it. AWS endpoints always get the hash.
	SignLoopbackPayload bool
	// RequestTimeout bounds one HTTP request; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxIdleConnsPerHost; 0 means DefaultMaxIdleConnsPerHost.
	MaxIdleConnsPerHost int
	// HTTPClient, if set, replaces the tuned default client. With
	// AWS_CA_BUNDLE set it must offer WithTransportOptions, as
	// awshttp.BuildableClient does.
	HTTPClient aws.HTTPClient
}

// Client talks to CloudWatch Logs. It is safe for concurrent use.
type Client struct {
	logs      *cloudwatchlogs.Client
	creds     aws.CredentialsProvider
	region    string
	gzip      bool
	unsigned  bool // PutLogEvents with UNSIGNED-PAYLOAD (loopback endpoints)
	userAgent string
}

// New resolves region and credentials and builds a Client. It makes no request.
func New(ctx context.Context, cfg Config) (*Client, error) {
	var opts []func(*config.LoadOptions) error
	imdsDisabled := strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true")
	if imdsDisabled {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	} else if !imdsDisabled {
		opts = append(opts, config.WithEC2IMDSRegion())
	}
	profile := cfg.Profile
	if profile == "" && cfg.OnPrem && profileExists(OnPremProfile) {
		profile = OnPremProfile
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if cfg.StaticCredentials != nil {
		opts = append(opts, config.WithCredentialsProvider(credentials.StaticCredentialsProvider{Value: *cfg.StaticCredentials}))
	} else if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	// We retry ourselves (internal/pipeline); one attempt per call here.
	opts = append(opts, config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	} else {
		opts = append(opts, config.WithHTTPClient(newHTTPClient(cfg)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("resolve region: %w", ErrNoRegion)
	}
	// After LoadDefaultConfig, which needs the concrete BuildableClient to
	// add AWS_CA_BUNDLE's roots.
	awsCfg.HTTPClient = plainBodies{awsCfg.HTTPClient}
	if cfg.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "logwarden"
		})
		awsCfg.Credentials = aws.NewCredentialsCache(provider)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	endpoint := cfg.Endpoint
	if endpoint != "" && !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	c := &Client{region: awsCfg.Region, userAgent: ua, creds: awsCfg.Credentials,
		unsigned: isLoopbackURL(endpoint) && !cfg.SignLoopbackPayload}
	switch cfg.Compression {
	case CompressionGzip:
		c.gzip = true
	case CompressionNone:
		c.gzip = false
	default:
		switch strings.ToLower(os.Getenv(CompressionEnv)) {
		case "gzip":
			c.gzip = true
		case "none":
			c.gzip = false
		default:
			c.gzip = isAWSEndpoint(endpoint)
		}
	}
	c.logs = cloudwatchlogs.NewFromConfig(awsCfg, func(o *cloudwatchlogs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.APIOptions = append(o.APIOptions, addUserAgentPrefix(ua))
	})
	return c, nil
}

// Region is the resolved AWS region.
func (c *Client) Region() string { return c.region }

// Logs is the underlying SDK client, for readers (GetLogEvents, FilterLogEvents).
func (c *Client) Logs() *cloudwatchlogs.Client { return c.logs }

// Gzip reports whether PutLogEvents bodies are compressed.
func (c *Client) Gzip() bool { return c.gzip }

func newHTTPClient(cfg Config) *awshttp.BuildableClient {
	timeout := cfg.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	idle := cfg.MaxIdleConnsPerHost
	if idle <= 0 {
		idle = DefaultMaxIdleConnsPerHost
	}
	bc := awshttp.NewBuildableClient().WithTimeout(timeout).WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = idle * 2
		tr.MaxIdleConnsPerHost = idle
		tr.IdleConnTimeout = 90 * time.Second
		tr.ResponseHeaderTimeout = timeout
		// Larger socket buffers for 1 MiB bodies.
		tr.WriteBufferSize = 64 << 10
		tr.ReadBufferSize = 16 << 10
	})
	return bc
}

// plainBodies hides the io.WriterTo of the SDK's request bodies from
// net/http. smithy-go wraps a body in a closer whose WriteTo returns io.EOF
// once closed, and closes it as soon as the answer's headers arrive; after
// sending Content-Length bytes, net/http's write loop copies the body once
// more to see that nothing is left, and when a fast endpoint has already
// answered that copy meets the closed body and counts as a failed write:
// the connection is closed, sometimes under the 200 being read, and then a
// batch the endpoint stored is sent again (aws/aws-sdk-go-v2#2737). A
// read-only body ends that copy with a plain io.EOF.
type plainBodies struct{ aws.HTTPClient }

func (c plainBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return c.HTTPClient.Do(r)
}

// readOnlyBody is an io.ReadCloser and nothing more.
type readOnlyBody struct{ io.ReadCloser }

// profileExists reports whether name is a profile in the shared config or
// credentials file (honouring AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE).
func profileExists(name string) bool {
	files := []string{config.DefaultSharedConfigFilename(), config.DefaultSharedCredentialsFilename()}
	if v := os.Getenv("AWS_CONFIG_FILE"); v != "" {
		files[0] = v
	}
	if v := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); v != "" {
		files[1] = v
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
				continue
			}
			section := strings.TrimSpace(line[1 : len(line)-1])
			section = strings.TrimSpace(strings.TrimPrefix(section, "profile "))
			if section == name {
				return true
			}
		}
	}
	return false
}

// isAWSEndpoint reports whether u is empty (the SDK resolves an AWS
// endpoint) or names an AWS host.
func isAWSEndpoint(u string) bool {
	if u == "" {
		return true
	}
	host := u
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndex(host, ":"); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".c2s.ic.gov", ".sc2s.sgov.gov"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// credentialCodes are errors after which cached credentials are dropped, so
// that the next attempt fetches fresh ones (rotated keys, expired sessions).
var credentialCodes = map[string]bool{
	"ExpiredTokenException":       true,
	"ExpiredToken":                true,
	"UnrecognizedClientException": true,
	"InvalidClientTokenId":        true,
}

// checkCredentials invalidates cached credentials after an authentication error.
func (c *Client) checkCredentials(err error) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || !credentialCodes[apiErr.ErrorCode()] {
		return
	}
	if cache, ok := c.creds.(*aws.CredentialsCache); ok {
		cache.Invalidate()
	}
}

// isLoopbackURL reports whether u names localhost or a loopback address.
func isLoopbackURL(u string) bool {
	if u == "" {
		return false
	}
	host := u
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if strings.HasPrefix(host, "[") {
		if i := strings.Index(host, "]"); i >= 0 {
			host = host[1:i]
		}
	} else if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
