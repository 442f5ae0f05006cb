package config

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is a JSON type as the CloudWatch Agent's schema names it.
type kind int

const (
	kindAny kind = iota
	kindObject
	kindArray
	kindString
	kindInteger
	kindBoolean
)

func (k kind) String() string {
	switch k {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindInteger:
		return "an integer"
	case kindBoolean:
		return "a boolean"
	}
	return "a value"
}

// rule describes what one JSON value may be: the subset of JSON Schema
// (draft-04) that the CloudWatch Agent's schema uses for the agent and logs
// sections, written out in Go.
type rule struct {
	kind kind

	// objects
	props      map[string]*rule
	closed     bool     // additionalProperties: false
	extra      *rule    // rule for keys not in props, when not closed
	required   []string // keys that must be present
	anyOf      []string // at least one of these keys must be present
	minProps   int
	objectName string // for messages, e.g. "a collect_list entry"

	// arrays
	items    *rule
	minItems int
	maxItems int // 0: no limit
	unique   bool

	// strings
	minLen, maxLen int // maxLen 0: no limit
	enum           []string
	notEnum        []string // values that are refused
	roleARN        bool     // length ≥ 20 or ${...}, as credentials.role_arn

	// integers
	intEnum  []int64
	min, max *int64
}

func intp(v int64) *int64 { return &v }

// Limits of the CloudWatch Agent's schema.
const (
	maxCollectListItems = 16384  // collect_list maxItems
	maxPathLen          = 4096   // file_path, patterns, formats, logfile
	maxNameLen          = 512    // log group, stream and class names
	maxIntervalSeconds  = 172800 // force_flush_interval maximum (2 days)
	minRoleARNLen       = 20     // credentials.role_arn minLength (or ${...})
	maxRoleARNLen       = 2048   // credentials.role_arn maxLength
	maxRegionLen        = 64     // agent.region maxLength
	maxEventID          = 65535  // windows_events event_ids maximum
)

// RetentionDays are the values retention_in_days accepts; -1 leaves the
// group's retention alone.
var RetentionDays = []int64{-1, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func str(minLen, maxLen int) *rule { return &rule{kind: kindString, minLen: minLen, maxLen: maxLen} }
func boolean() *rule               { return &rule{kind: kindBoolean} }

var (
	nameRule      = str(1, maxNameLen)
	retentionRule = &rule{kind: kindInteger, intEnum: RetentionDays}
	intervalRule  = &rule{kind: kindInteger, min: intp(1), max: intp(maxIntervalSeconds)}

	credentialsRule = &rule{kind: kindObject, closed: true, objectName: "credentials", props: map[string]*rule{
		"role_arn": {kind: kindString, roleARN: true, maxLen: maxRoleARNLen},
	}}

	filterRule = &rule{kind: kindObject, closed: true, objectName: "a filter", props: map[string]*rule{
		"type":       {kind: kindString, enum: []string{"include", "exclude"}},
		"expression": {kind: kindString},
	}}
	filtersRule = &rule{kind: kindArray, items: filterRule}

	fileEntryRule = &rule{kind: kindObject, closed: true, objectName: "a files collect_list entry", required: []string{"file_path"}, props: map[string]*rule{
		"file_path":                str(0, maxPathLen),
		"log_group_name":           nameRule,
		"log_stream_name":          nameRule,
		"log_group_class":          nameRule,
		"multi_line_start_pattern": str(1, maxPathLen),
		"timestamp_format":         str(1, maxPathLen),
		"timezone":                 {kind: kindString, enum: []string{"Local", "LOCAL", "UTC"}},
		"trim_timestamp":           boolean(),
		"encoding":                 str(1, maxPathLen),
		"auto_removal":             boolean(),
		"backpressure_mode":        {kind: kindString, enum: []string{"fd_release"}},
		"blacklist":                str(1, maxPathLen),
		"publish_multi_logs":       boolean(),
		"retention_in_days":        retentionRule,
		"filters":                  filtersRule,
		"service.name":             str(1, 255),
		"deployment.environment":   str(1, 259),
	}}

	windowsEntryRule = &rule{kind: kindObject, closed: true, objectName: "a windows_events collect_list entry",
		required: []string{"event_name"}, anyOf: []string{"event_levels", "event_ids", "filters"},
		props: map[string]*rule{
			"event_name": {kind: kindString, minLen: 1, maxLen: 255, notEnum: []string{"Forwarded Events"}},
			"event_levels": {kind: kindArray, items: &rule{kind: kindString,
				enum: []string{"CRITICAL", "ERROR", "WARNING", "INFORMATION", "VERBOSE"}}},
			"event_ids":         {kind: kindArray, minItems: 1, unique: true, items: &rule{kind: kindInteger, min: intp(0), max: intp(maxEventID)}},
			"filters":           filtersRule,
			"log_stream_name":   nameRule,
			"log_group_name":    nameRule,
			"log_group_class":   nameRule,
			"retention_in_days": retentionRule,
			"event_format":      {kind: kindString, enum: []string{"text", "xml"}},
		}}

	journaldEntryRule = &rule{kind: kindObject, closed: true, objectName: "a journald collect_list entry",
		required: []string{"log_group_name"},
		props: map[string]*rule{
			"log_group_name":    nameRule,
			"log_stream_name":   nameRule,
			"log_group_class":   nameRule,
			"retention_in_days": retentionRule,
			"filters":           filtersRule,
			"units":             {kind: kindArray, minItems: 1, unique: true, items: str(0, 256)},
			"priority": {kind: kindString, enum: []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
				"0", "1", "2", "3", "4", "5", "6", "7"}},
			"matches": {kind: kindArray, minItems: 1, unique: true, items: &rule{kind: kindObject, extra: &rule{kind: kindString}}},
		}}

	collectList = func(name string, item *rule) *rule {
		return &rule{kind: kindObject, closed: true, objectName: name, required: []string{"collect_list"}, props: map[string]*rule{
			"collect_list": {kind: kindArray, items: item, minItems: 1, maxItems: maxCollectListItems, unique: true},
		}}
	}

	// appSignalsRule is logs.metrics_collected.app_signals (and its newer
	// name application_signals), checked to the depth logwarden reports.
	appSignalsRule = &rule{kind: kindObject, props: map[string]*rule{
		"hosted_in": str(1, 1024),
		"rules": {kind: kindArray, items: &rule{kind: kindObject, objectName: "a rule", required: []string{"selectors", "action"}, props: map[string]*rule{
			"selectors":    {kind: kindArray},
			"replacements": {kind: kindArray},
			"action":       {kind: kindString, enum: []string{"drop", "keep", "replace"}},
			"rule_name":    str(1, 0),
		}}},
		"tls": {kind: kindObject},
	}}

	// logsMetricsRule is logs.metrics_collected: metrics sent as embedded
	// metric format logs, which logwarden ignores, checked for keys and types.
	logsMetricsRule = &rule{kind: kindObject, props: map[string]*rule{
		"app_signals":         appSignalsRule,
		"application_signals": appSignalsRule,
		"ecs": {kind: kindObject, closed: true, objectName: "ecs", props: map[string]*rule{
			"metrics_collection_interval": intervalRule,
			"disable_metric_extraction":   boolean(),
		}},
		"kubernetes": {kind: kindObject, props: map[string]*rule{
			"cluster_name":                str(1, maxNameLen),
			"jmx_container_insights":      boolean(),
			"metrics_collection_interval": intervalRule,
			"disable_metric_extraction":   boolean(),
		}},
		"prometheus": {kind: kindObject, closed: true, objectName: "prometheus", props: map[string]*rule{
			"cluster_name":              str(0, 0),
			"log_group_name":            str(0, 0),
			"prometheus_config_path":    str(0, 0),
			"emf_processor":             {kind: kindObject},
			"ecs_service_discovery":     {kind: kindObject},
			"disable_metric_extraction": boolean(),
		}},
		"otlp": {kind: kindObject},
	}}

	logsRule = &rule{kind: kindObject, closed: true, objectName: "logs", anyOf: []string{"logs_collected", "metrics_collected"}, props: map[string]*rule{
		"logs_collected": {kind: kindObject, closed: true, objectName: "logs_collected", minProps: 1, props: map[string]*rule{
			"files":          collectList("files", fileEntryRule),
			"windows_events": collectList("windows_events", windowsEntryRule),
			"journald":       collectList("journald", journaldEntryRule),
			"application_signals": {kind: kindObject, props: map[string]*rule{
				"log_group_name":  nameRule,
				"log_stream_name": nameRule,
				"disabled":        boolean(),
			}},
		}},
		"metrics_collected":      logsMetricsRule,
		"log_stream_name":        nameRule,
		"force_flush_interval":   intervalRule,
		"credentials":            credentialsRule,
		"endpoint_override":      str(4, 2048),
		"service.name":           str(1, 255),
		"deployment.environment": str(1, 259),
		"concurrency":            {kind: kindInteger, min: intp(1)},
	}}

	agentRule = &rule{kind: kindObject, props: map[string]*rule{
		"metrics_collection_interval": intervalRule,
		"logfile":                     str(0, maxPathLen),
		"region":                      str(1, maxRegionLen),
		"debug":                       boolean(),
		"aws_sdk_log_level":           str(0, 0),
		"credentials":                 credentialsRule,
		"omit_hostname":               boolean(),
		"service.name":                str(1, 255),
		"deployment.environment":      str(1, 259),
		// Not in the schema, but logwarden reads it as the start wrapper does.
		"run_as_user": str(0, 0),
	}}

	rootRule = &rule{kind: kindObject, props: map[string]*rule{
		"agent": agentRule,
		"logs":  logsRule,
	}}
)

var envPlaceholder = regexp.MustCompile(`^\$\{.+\}$`)

// check validates v at path against r and appends what is wrong to out.
func (r *rule) check(path string, v any, out *[]Problem) {
	add := func(value, msg string) {
		*out = append(*out, Problem{Path: path, Value: value, Rule: msg})
	}
	if r.kind != kindAny && kindOf(v) != r.kind {
		add(showValue(v), "is not "+r.kind.String())
		return
	}
	switch r.kind {
	case kindObject:
		r.checkObject(path, v.(map[string]any), out)
	case kindArray:
		r.checkArray(path, v.([]any), out)
	case kindString:
		s := v.(string)
		n := utf8.RuneCountInString(s)
		switch {
		case r.roleARN && n < minRoleARNLen && !envPlaceholder.MatchString(s):
			add(showValue(v), fmt.Sprintf("is neither at least %d characters long nor a ${...} placeholder", minRoleARNLen))
		case n < r.minLen:
			add(showValue(v), fmt.Sprintf("is shorter than %d %s", r.minLen, plural(r.minLen, "character")))
		case r.maxLen > 0 && n > r.maxLen:
			add(showValue(v), fmt.Sprintf("is %d characters long, more than the maximum %d", n, r.maxLen))
		}
		if len(r.enum) > 0 && !contains(r.enum, s) {
			add(showValue(v), "is not one of "+strings.Join(r.enum, ", "))
		}
		if contains(r.notEnum, s) {
			add(showValue(v), "is not allowed")
		}
	case kindInteger:
		n := v.(json.Number)
		f, _ := n.Float64()
		if len(r.intEnum) > 0 {
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil || !containsInt(r.intEnum, i) {
				add(n.String(), "is not one of "+joinInts(r.intEnum))
			}
		}
		if r.min != nil && f < float64(*r.min) {
			add(n.String(), fmt.Sprintf("is less than the minimum %d", *r.min))
		}
		if r.max != nil && f > float64(*r.max) {
			add(n.String(), fmt.Sprintf("is more than the maximum %d", *r.max))
		}
	}
}

func (r *rule) checkObject(path string, m map[string]any, out *[]Problem) {
	if len(m) < r.minProps {
		*out = append(*out, Problem{Path: path, Value: "{}", Rule: fmt.Sprintf("must have at least %d %s", r.minProps, plural(r.minProps, "key"))})
	}
	for _, k := range r.required {
		if _, ok := m[k]; !ok {
			*out = append(*out, Problem{Path: joinPath(path, k), Rule: "is required in " + r.name()})
		}
	}
	if len(r.anyOf) > 0 {
		found := false
		for _, k := range r.anyOf {
			if _, ok := m[k]; ok {
				found = true
			}
		}
		if !found {
			*out = append(*out, Problem{Path: path, Rule: "must contain " + quoteList(r.anyOf, "or")})
		}
	}
	for _, k := range sortedKeys(m) {
		sub, ok := r.props[k]
		switch {
		case ok:
			sub.check(joinPath(path, k), m[k], out)
		case r.closed:
			*out = append(*out, Problem{Path: joinPath(path, k), Rule: "is not allowed in " + r.name() + " (allowed keys: " + strings.Join(sortedKeys(r.props), ", ") + ")"})
		case r.extra != nil:
			r.extra.check(joinPath(path, k), m[k], out)
		}
	}
}

func (r *rule) checkArray(path string, a []any, out *[]Problem) {
	if len(a) < r.minItems {
		*out = append(*out, Problem{Path: path, Value: showValue(a), Rule: fmt.Sprintf("has %d %s, fewer than the minimum %d", len(a), plural(len(a), "item"), r.minItems)})
	}
	if r.maxItems > 0 && len(a) > r.maxItems {
		*out = append(*out, Problem{Path: path, Rule: fmt.Sprintf("has %d items, more than the maximum %d", len(a), r.maxItems)})
	}
	if r.unique {
		first := make(map[string]int, len(a))
		for i, v := range a {
			k := canonical(v)
			if j, ok := first[k]; ok {
				*out = append(*out, Problem{Path: indexPath(path, i), Rule: fmt.Sprintf("duplicates %s: items must be unique", indexPath(lastElem(path), j))})
				continue
			}
			first[k] = i
		}
	}
	if r.items != nil {
		for i, v := range a {
			r.items.check(indexPath(path, i), v, out)
		}
	}
}

func (r *rule) name() string {
	if r.objectName != "" {
		return r.objectName
	}
	return "this object"
}

// canonical is a string equal for two decoded JSON values exactly when they
// are deep-equal: their JSON with object keys sorted.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// kindOf returns the schema type of a value decoded with UseNumber. A number
// is an integer when it has no fractional part, as draft-04 validators decide.
func kindOf(v any) kind {
	switch x := v.(type) {
	case map[string]any:
		return kindObject
	case []any:
		return kindArray
	case string:
		return kindString
	case bool:
		return kindBoolean
	case json.Number:
		if _, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return kindInteger
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return kindInteger
		}
		return -1 // a number that is not an integer
	case nil:
		return -2 // null
	}
	return kindAny
}

func lastElem(path string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 && path[i] == '.' {
		return path[i+1:]
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(list []int64, n int64) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func joinInts(list []int64) string {
	parts := make([]string, len(list))
	for i, n := range list {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(parts, ", ")
}

func quoteList(keys []string, conj string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
