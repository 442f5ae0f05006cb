package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/logwarden/logwarden/internal/hostinfo"
)

// DefaultLogfile is agent.logfile when the key is absent, as for the
// CloudWatch Agent on Linux.
const DefaultLogfile = "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"

// BackpressureEnv supplies backpressure_mode for entries that do not set it.
const BackpressureEnv = "CWAGENT_LOGS_BACKPRESSURE_MODE"

// EveryLinePattern is the start pattern of an entry whose
// multi_line_start_pattern is {timestamp_format} without a timestamp_format:
// every line starts an event.
const EveryLinePattern = "^"

// now is the clock {date} reads; tests replace it.
var now = time.Now

// Logfile is where the agent writes its own log: agent.logfile, or
// DefaultLogfile when absent. "" means standard error.
func (c *Config) Logfile() string {
	if c.Agent.Logfile == nil {
		return DefaultLogfile
	}
	return *c.Agent.Logfile
}

// FlushInterval is logs.force_flush_interval, DefaultForceFlushInterval
// seconds when absent.
func (c *Config) FlushInterval() time.Duration {
	if c.Logs == nil || c.Logs.ForceFlushInterval <= 0 {
		return DefaultForceFlushInterval * time.Second
	}
	return time.Duration(c.Logs.ForceFlushInterval) * time.Second
}

// ErrNoRegion is returned by Region when no source names a region.
var ErrNoRegion = errors.New("no region: set agent.region or AWS_REGION, or run on EC2")

// OnPremProfile is the shared-config profile the CloudWatch Agent uses off EC2.
const OnPremProfile = "AmazonCloudWatchAgent"

// Region resolves the region to send to, in the CloudWatch Agent's order:
// agent.region; the AWS_REGION or AWS_DEFAULT_REGION environment variable;
// the region of the shared-config profile (AWS_PROFILE, else, off EC2,
// AmazonCloudWatchAgent, else default); then the instance's region from info.
func (c *Config) Region(info hostinfo.Info) (string, error) {
	if c.Agent.Region != "" {
		return c.Agent.Region, nil
	}
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(env); r != "" {
			return r, nil
		}
	}
	if r := profileRegion(info.OnEC2); r != "" {
		return r, nil
	}
	if info.Region != "" && info.Region != hostinfo.UnknownRegion {
		return info.Region, nil
	}
	return "", ErrNoRegion
}

// profileRegion is the region of the shared-config profile in use, or "".
func profileRegion(onEC2 bool) string {
	profiles := []string{"default"}
	switch p := os.Getenv("AWS_PROFILE"); {
	case p != "":
		profiles = []string{p}
	case !onEC2:
		profiles = []string{OnPremProfile, "default"}
	}
	files := func(o *awsconfig.LoadSharedConfigOptions) {
		if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
			o.ConfigFiles = []string{f}
		}
		if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
			o.CredentialsFiles = []string{f}
		}
	}
	for _, p := range profiles {
		sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), p, files)
		if err == nil && sc.Region != "" {
			return sc.Region
		}
	}
	return ""
}

// RoleARN is the role to assume for CloudWatch Logs: logs.credentials.role_arn,
// else agent.credentials.role_arn, else "".
func (c *Config) RoleARN() string {
	if c.Logs != nil && c.Logs.Credentials != nil && c.Logs.Credentials.RoleARN != "" {
		return c.Logs.Credentials.RoleARN
	}
	if c.Agent.Credentials != nil {
		return c.Agent.Credentials.RoleARN
	}
	return ""
}

// Placeholders returns the values the placeholders of group and stream names
// resolve to, keyed by placeholder ("{instance_id}", ...). {aws_region} is
// the resolved region, {date} today's date in local time.
func (c *Config) Placeholders(info hostinfo.Info) map[string]string {
	region, err := c.Region(info)
	if err != nil {
		region = hostinfo.UnknownRegion
	}
	or := func(s, fallback string) string {
		if s == "" {
			return fallback
		}
		return s
	}
	return map[string]string{
		"{instance_id}":    or(info.InstanceID, hostinfo.UnknownInstanceID),
		"{hostname}":       or(info.Hostname, hostinfo.UnknownHost),
		"{local_hostname}": or(info.LocalHostname, hostinfo.UnknownHost),
		"{ip_address}":     or(info.IPAddress, hostinfo.UnknownIP),
		"{aws_region}":     region,
		"{account_id}":     or(info.AccountID, hostinfo.UnknownAccount),
		"{date}":           now().Format("2006-01-02"),
	}
}

func replacer(values map[string]string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(values))
	for _, k := range sortedKeys(values) {
		pairs = append(pairs, k, values[k])
	}
	return strings.NewReplacer(pairs...)
}

// Sources resolves the files collect_list into what the agent runs:
// placeholders in group and stream names replaced once, and every default
// applied as the CloudWatch Agent applies it. onPrem selects the on-premises
// default stream (the host name) over the EC2 one ({instance_id}).
func (c *Config) Sources(info hostinfo.Info, onPrem bool) ([]Source, error) {
	if c.Logs == nil || c.Logs.LogsCollected.Files == nil {
		return nil, nil
	}
	r := replacer(c.Placeholders(info))
	stream, err := c.defaultStream(r, info, onPrem)
	if err != nil {
		return nil, err
	}
	envBackpressure := ""
	if os.Getenv(BackpressureEnv) == "fd_release" {
		envBackpressure = "fd_release"
	}
	logfile := c.Logfile()
	list := c.Logs.LogsCollected.Files.CollectList
	out := make([]Source, 0, len(list))
	for i, f := range list {
		s := Source{
			Index:                 i,
			FilePath:              f.FilePath,
			StreamName:            stream,
			UTC:                   f.Timezone == "UTC",
			TimestampFormat:       f.TimestampFormat,
			MultiLineStartPattern: f.MultiLineStartPattern,
			TrimTimestamp:         f.TrimTimestamp,
			Encoding:              f.Encoding,
			Filters:               append([]Filter(nil), f.Filters...),
			RetentionInDays:       -1,
			AutoRemoval:           f.AutoRemoval,
			PublishMultiLogs:      f.PublishMultiLogs,
			Blacklist:             f.Blacklist,
			BackpressureMode:      f.BackpressureMode,
			Origin:                f.Origin,
		}
		switch {
		case f.LogGroupName != "":
			s.GroupName = r.Replace(f.LogGroupName)
		case !f.PublishMultiLogs:
			s.GroupName = DefaultGroupName(f.FilePath)
		}
		if f.LogStreamName != "" {
			s.StreamName = r.Replace(f.LogStreamName)
		}
		if s.FilePath == logfile {
			// The agent's own log: the CloudWatch Agent drops its timestamp keys.
			s.TimestampFormat = ""
		}
		switch {
		case s.MultiLineStartPattern == "":
			s.MultiLineStartPattern = DefaultMultiLineStartPattern
		case s.MultiLineStartPattern == TimestampFormatPlaceholder && s.TimestampFormat == "":
			// No timestamp regex to start events: the CloudWatch Agent then
			// treats every line as an event of its own.
			s.MultiLineStartPattern = EveryLinePattern
		}
		switch strings.ToLower(s.Encoding) {
		case "utf-8", "utf8", "utf_8", "ascii":
			s.Encoding = ""
		}
		if f.RetentionInDays != nil && *f.RetentionInDays > 0 {
			s.RetentionInDays = *f.RetentionInDays
		}
		if up := strings.ToUpper(f.LogGroupClass); up == ClassStandard || up == ClassInfrequentAccess {
			s.LogGroupClass = up
		}
		if s.BackpressureMode == "" {
			s.BackpressureMode = envBackpressure
		}
		if s.AutoRemoval {
			s.BackpressureMode = ""
		}
		out = append(out, s)
	}
	return out, nil
}

// defaultStream is logs.log_stream_name resolved, else the instance id on EC2
// or the host name on premises.
func (c *Config) defaultStream(r *strings.Replacer, info hostinfo.Info, onPrem bool) (string, error) {
	if c.Logs.LogStreamName != "" {
		return r.Replace(c.Logs.LogStreamName), nil
	}
	if !onPrem {
		return r.Replace("{instance_id}"), nil
	}
	h := info.LocalHostname
	if h == "" || h == hostinfo.UnknownHost {
		return "", fmt.Errorf("resolve default log stream: the host name is unknown; set logs.log_stream_name")
	}
	return h, nil
}

// DefaultGroupName is the log group of an entry without log_group_name and
// without publish_multi_logs: file_path minus its last extension.
func DefaultGroupName(filePath string) string {
	return strings.TrimSuffix(filePath, filepath.Ext(filePath))
}

// invalidGroupChar matches what the CloudWatch Agent replaces with "_" when it
// derives a group name from a file path.
var invalidGroupChar = regexp.MustCompile(`[^.\-_/#A-Za-z0-9]`)

// MultiLogGroupName is the group of a publish_multi_logs entry without
// log_group_name for the file at path: the path with backslashes as slashes
// and every character outside [.-_/#A-Za-z0-9] replaced by "_".
func MultiLogGroupName(path string) string {
	return invalidGroupChar.ReplaceAllString(strings.ReplaceAll(path, `\`, "/"), "_")
}

// Destination is the log group and stream the events of the file at path
// (one match of s.FilePath) go to. Without publish_multi_logs every match
// shares the entry's group and stream. With it, an entry without a group
// sends each file to a group named after the file; an entry with a group
// sends each file to its own stream, <stream>_<path with / as _>.
func (s Source) Destination(path string) (group, stream string) {
	if !s.PublishMultiLogs {
		if s.GroupName == "" {
			return DefaultGroupName(s.FilePath), s.StreamName
		}
		return s.GroupName, s.StreamName
	}
	if s.GroupName == "" {
		return MultiLogGroupName(path), s.StreamName
	}
	return s.GroupName, s.StreamName + "_" + strings.ReplaceAll(MultiLogGroupName(path), "/", "_")
}
