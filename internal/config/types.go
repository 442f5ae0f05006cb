// Package config reads the Amazon CloudWatch Agent's JSON configuration
// (the agent and logs sections) exactly as the original accepts it, validates
// it with errors that name the JSON path, and resolves placeholders and
// defaults into Sources the agent can run.
package config

// Config is one merged CloudWatch Agent JSON configuration. Only the sections
// logwarden acts on are typed; metrics and traces are ignored with a notice.
type Config struct {
	Agent Agent `json:"agent"`
	Logs  *Logs `json:"logs,omitempty"`

	// Files are the configuration files merged into this Config, in merge order.
	Files []string `json:"-"`
	// Notices say what the configuration holds that logwarden accepts but
	// ignores (metrics, journald, ...), one "path: reason" line each.
	Notices []string `json:"-"`
}

// Agent is the "agent" section.
type Agent struct {
	Region      string       `json:"region,omitempty"`
	Debug       bool         `json:"debug,omitempty"`
	Logfile     *string      `json:"logfile,omitempty"` // nil: default path; "": stderr
	RunAsUser   string       `json:"run_as_user,omitempty"`
	Credentials *Credentials `json:"credentials,omitempty"`
}

// Credentials is agent.credentials or logs.credentials.
type Credentials struct {
	RoleARN string `json:"role_arn,omitempty"`
}

// Logs is the "logs" section.
type Logs struct {
	LogsCollected      LogsCollected `json:"logs_collected"`
	LogStreamName      string        `json:"log_stream_name,omitempty"`
	ForceFlushInterval int           `json:"force_flush_interval,omitempty"` // seconds; 0 means DefaultForceFlushInterval
	EndpointOverride   string        `json:"endpoint_override,omitempty"`
	Credentials        *Credentials  `json:"credentials,omitempty"`
	Concurrency        int           `json:"concurrency,omitempty"`
}

// LogsCollected is logs.logs_collected.
type LogsCollected struct {
	Files *Files `json:"files,omitempty"`
}

// Files is logs.logs_collected.files.
type Files struct {
	CollectList []File `json:"collect_list"`
}

// File is one logs.logs_collected.files.collect_list[] entry, as written.
type File struct {
	FilePath              string   `json:"file_path"`
	LogGroupName          string   `json:"log_group_name,omitempty"`
	LogStreamName         string   `json:"log_stream_name,omitempty"`
	Timezone              string   `json:"timezone,omitempty"`
	TimestampFormat       string   `json:"timestamp_format,omitempty"`
	MultiLineStartPattern string   `json:"multi_line_start_pattern,omitempty"`
	TrimTimestamp         bool     `json:"trim_timestamp,omitempty"`
	Encoding              string   `json:"encoding,omitempty"`
	Filters               []Filter `json:"filters,omitempty"`
	RetentionInDays       *int     `json:"retention_in_days,omitempty"`
	LogGroupClass         string   `json:"log_group_class,omitempty"`
	AutoRemoval           bool     `json:"auto_removal,omitempty"`
	PublishMultiLogs      bool     `json:"publish_multi_logs,omitempty"`
	Blacklist             string   `json:"blacklist,omitempty"`
	BackpressureMode      string   `json:"backpressure_mode,omitempty"`

	// Origin is the configuration file the entry came from ("" when unknown).
	Origin string `json:"-"`
}

// Filter is one include/exclude filter of a collect_list entry.
type Filter struct {
	Type       string `json:"type"` // "include" or "exclude"
	Expression string `json:"expression"`
}

// DefaultForceFlushInterval is logs.force_flush_interval when absent, in seconds.
const DefaultForceFlushInterval = 5

// DefaultMultiLineStartPattern is the CloudWatch Agent's start pattern when
// multi_line_start_pattern is absent: every line that starts with a
// non-space character starts a new event.
const DefaultMultiLineStartPattern = `^[\S]`

// TimestampFormatPlaceholder as the whole multi_line_start_pattern means
// "an event starts where the timestamp regex matches".
const TimestampFormatPlaceholder = "{timestamp_format}"

// Source is one collect_list entry after validation, placeholder resolution
// and defaults: what the agent runs.
type Source struct {
	// Index is the entry's position in the merged collect_list (for messages).
	Index int `json:"index"`
	// FilePath is the glob pattern to follow.
	FilePath string `json:"file_path"`
	// GroupName and StreamName have placeholders resolved. GroupName is "" when
	// it is derived per matched file (see Destination).
	GroupName  string `json:"log_group_name"`
	StreamName string `json:"log_stream_name"`
	// UTC is true when timezone is exactly "UTC"; otherwise local time.
	UTC                   bool     `json:"utc,omitempty"`
	TimestampFormat       string   `json:"timestamp_format,omitempty"` // strftime form, "" for none
	MultiLineStartPattern string   `json:"multi_line_start_pattern"`   // RE2, or exactly TimestampFormatPlaceholder; never ""
	TrimTimestamp         bool     `json:"trim_timestamp,omitempty"`
	Encoding              string   `json:"encoding,omitempty"` // "" or "utf-8" means no decoding
	Filters               []Filter `json:"filters,omitempty"`
	RetentionInDays       int      `json:"retention_in_days"`         // -1: leave retention alone
	LogGroupClass         string   `json:"log_group_class,omitempty"` // "", "STANDARD" or "INFREQUENT_ACCESS"
	AutoRemoval           bool     `json:"auto_removal,omitempty"`
	PublishMultiLogs      bool     `json:"publish_multi_logs,omitempty"`
	Blacklist             string   `json:"blacklist,omitempty"`         // RE2 on base names, "" for none
	BackpressureMode      string   `json:"backpressure_mode,omitempty"` // "" or "fd_release"
	// Origin is the configuration file the entry came from ("" when unknown).
	Origin string `json:"origin,omitempty"`
}
