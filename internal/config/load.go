package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// Paths of the collect_lists in a document.
const (
	filesListPath    = "logs.logs_collected.files.collect_list"
	windowsListPath  = "logs.logs_collected.windows_events.collect_list"
	journaldListPath = "logs.logs_collected.journald.collect_list"
)

// Log group classes CloudWatch Logs knows; others are ignored with a notice.
const (
	ClassStandard         = "STANDARD"
	ClassInfrequentAccess = "INFREQUENT_ACCESS"
)

// Load reads, merges and validates configuration files. Each path is a JSON
// file or a directory (the CloudWatch Agent's amazon-cloudwatch-agent.d)
// whose regular, non-hidden files are all read. All files are merged in the
// order of their paths, as the CloudWatch Agent merges them. Every problem
// found is returned at once in a *ValidationError.
func Load(paths ...string) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("load config: no file given")
	}
	var (
		files    []string
		problems []Problem
	)
	seen := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			problems = append(problems, Problem{File: p, Rule: "cannot be read: " + pathErr(err)})
			continue
		}
		if !fi.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			problems = append(problems, Problem{File: p, Rule: "cannot be read: " + pathErr(err)})
			continue
		}
		for _, e := range entries {
			full := filepath.Join(p, e.Name())
			if strings.HasPrefix(e.Name(), ".") || seen[full] {
				continue
			}
			if fi, err := os.Stat(full); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			seen[full] = true
			files = append(files, full)
		}
	}
	if len(files) == 0 && len(problems) == 0 {
		problems = append(problems, Problem{File: strings.Join(paths, ", "), Rule: "holds no configuration file"})
	}
	sort.Strings(files)
	docs := make([]document, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, Problem{File: f, Rule: "cannot be read: " + pathErr(err)})
			continue
		}
		docs = append(docs, document{name: f, data: data})
	}
	return build(docs, problems)
}

// Parse validates one configuration document; name is used in messages.
func Parse(data []byte, name string) (*Config, error) {
	return build([]document{{name: name, data: data}}, nil)
}

func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// document is one configuration file's bytes.
type document struct {
	name string
	data []byte
}

// build decodes, merges, validates and types the documents.
func build(docs []document, problems []Problem) (*Config, error) {
	m := newMerger()
	merged := map[string]any{}
	var names []string
	for _, d := range docs {
		root, p := decode(d)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		names = append(names, d.name)
		m.add(merged, root, d.name)
	}
	if len(problems) > 0 {
		// Without every file the merged document is not the one to check.
		return nil, &ValidationError{Problems: problems}
	}

	// A merge conflict keeps the first file's value, so the merged document
	// is still worth checking: report both.
	found := m.problems
	rootRule.check("", merged, &found)
	notices := checkSemantics(merged, &found)
	for i := range found {
		if found[i].File == "" {
			found[i].File = m.origins.fileFor(found[i].Path)
		}
	}
	if len(found) > 0 {
		return nil, &ValidationError{Problems: found}
	}

	cfg, p := typed(merged)
	if p != nil {
		p.File = m.origins.fileFor(p.Path)
		return nil, &ValidationError{Problems: []Problem{*p}}
	}
	cfg.Files = names
	cfg.Notices = append(m.notices, notices...)
	if cfg.Logs != nil && cfg.Logs.LogsCollected.Files != nil {
		for i := range cfg.Logs.LogsCollected.Files.CollectList {
			cfg.Logs.LogsCollected.Files.CollectList[i].Origin = m.origins.fileFor(indexPath(filesListPath, i))
		}
	}
	return cfg, nil
}

// decode reads one JSON object with numbers kept exact.
func decode(d document) (map[string]any, *Problem) {
	// A byte order mark, as some Windows editors write, is not JSON; skip it.
	d.data = bytes.TrimPrefix(d.data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(d.data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			off := dec.InputOffset()
			return nil, &Problem{File: d.name, Rule: fmt.Sprintf("is not valid JSON: unexpected data after the top-level object at %s", position(d.data, off))}
		}
	}
	if err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			// Offset counts the offending byte; point at it.
			return nil, &Problem{File: d.name, Rule: fmt.Sprintf("is not valid JSON: %s at %s", se.Error(), position(d.data, se.Offset-1))}
		case errors.As(err, &te):
			return nil, &Problem{File: d.name, Rule: fmt.Sprintf("is not valid JSON: %s at %s", te.Error(), position(d.data, te.Offset))}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, &Problem{File: d.name, Rule: "is not valid JSON: unexpected end of input"}
		}
		return nil, &Problem{File: d.name, Rule: "is not valid JSON: " + err.Error()}
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, &Problem{File: d.name, Value: showValue(v), Rule: "is not a JSON object: a configuration is an object with agent and logs sections"}
	}
	normalizeNumbers(root)
	return root, nil
}

// position turns a byte offset into "line L, column C".
func position(data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// maxExactFloat bounds the integral numbers written with a fraction or an
// exponent (5.0, 1e3) that are rewritten as plain integers: beyond 2^53 a
// float64 no longer holds every integer.
const maxExactFloat = 1 << 53

// normalizeNumbers rewrites integral numbers such as 5.0 as 5, so that the
// typed decoding and the equality of merged values see one form.
func normalizeNumbers(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok {
				x[k] = normalizeNumber(n)
			} else {
				normalizeNumbers(e)
			}
		}
	case []any:
		for i, e := range x {
			if n, ok := e.(json.Number); ok {
				x[i] = normalizeNumber(n)
			} else {
				normalizeNumbers(e)
			}
		}
	}
}

func normalizeNumber(n json.Number) json.Number {
	if _, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return n
	}
	f, err := n.Float64()
	if err == nil && f == math.Trunc(f) && math.Abs(f) <= maxExactFloat {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return n
}

// typed turns the validated generic document into a Config. What the schema
// allows but Go's types cannot hold (an integer beyond int64) is a problem.
func typed(merged map[string]any) (*Config, *Problem) {
	sub := map[string]any{}
	for _, k := range []string{"agent", "logs"} {
		if v, ok := merged[k]; ok {
			sub[k] = v
		}
	}
	b, err := json.Marshal(sub)
	if err != nil {
		return nil, &Problem{Rule: "cannot be encoded: " + err.Error()}
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &Problem{Path: te.Field, Value: strings.TrimPrefix(te.Value, "number "), Rule: "does not fit in " + te.Type.String()}
		}
		return nil, &Problem{Rule: "cannot be decoded: " + err.Error()}
	}
	return &cfg, nil
}

// ignoredSections are top-level sections logwarden reads but does not act on.
var ignoredSections = map[string]string{
	"metrics":       "metrics are not collected by logwarden",
	"traces":        "traces are not collected by logwarden",
	"opentelemetry": "the OpenTelemetry pipeline is not run by logwarden",
	"csm":           "client-side monitoring is not run by logwarden",
}

// usedAgentKeys are the agent keys logwarden acts on.
var usedAgentKeys = map[string]bool{"region": true, "debug": true, "logfile": true, "run_as_user": true, "credentials": true}

// checkSemantics applies the rules the CloudWatch Agent's translator adds to
// its schema (regular expressions, encodings, filters, per-group retention and
// class), appending problems, and returns notices about what is ignored.
func checkSemantics(root map[string]any, out *[]Problem) []string {
	var notices []string
	note := func(path, msg string) { notices = append(notices, path+": "+msg) }
	for _, k := range sortedKeys(root) {
		switch k {
		case "agent", "logs":
		default:
			reason, ok := ignoredSections[k]
			if !ok {
				reason = "not a section logwarden knows"
			}
			note(k, "ignored: "+reason)
		}
	}
	if agent, ok := root["agent"].(map[string]any); ok {
		for _, k := range sortedKeys(agent) {
			if !usedAgentKeys[k] {
				note(joinPath("agent", k), "ignored: not used for logs")
			}
		}
	}
	logs, _ := root["logs"].(map[string]any)
	for _, k := range []string{"metrics_collected", "service.name", "deployment.environment"} {
		if _, ok := logs[k]; ok {
			note(joinPath("logs", k), "ignored: logwarden ships log files only")
		}
	}
	collected, _ := logs["logs_collected"].(map[string]any)
	for _, k := range sortedKeys(collected) {
		switch k {
		case "files":
		case "windows_events":
			note(joinPath("logs.logs_collected", k), "ignored: Windows event logs are not collected by logwarden")
		case "journald":
			note(joinPath("logs.logs_collected", k), "ignored: journald is not read by logwarden; collect the files journald forwards to instead")
		default:
			note(joinPath("logs.logs_collected", k), "ignored: not collected by logwarden")
		}
	}
	files, _ := collected["files"].(map[string]any)
	list, _ := files["collect_list"].([]any)
	if files == nil {
		note("logs.logs_collected.files", "absent: this configuration ships no log file")
	}

	retention := map[string]groupSetting{}
	class := map[string]groupSetting{}
	// Entries often share patterns; compile each distinct one once.
	compiled := map[string]error{}
	checkRegexp := func(path, s string, out *[]Problem) {
		err, ok := compiled[s]
		if !ok {
			_, err = regexp.Compile(s)
			compiled[s] = err
		}
		if err != nil {
			*out = append(*out, Problem{Path: path, Value: showValue(s), Rule: "is not a valid regular expression: " + err.Error()})
		}
	}
	for i, item := range list {
		e, ok := item.(map[string]any)
		if !ok {
			continue
		}
		p := indexPath(filesListPath, i)
		if s, ok := e["multi_line_start_pattern"].(string); ok && s != TimestampFormatPlaceholder {
			checkRegexp(joinPath(p, "multi_line_start_pattern"), s, out)
		}
		if s, ok := e["blacklist"].(string); ok {
			checkRegexp(joinPath(p, "blacklist"), s, out)
		}
		if s, ok := e["encoding"].(string); ok && s != "" && !KnownEncoding(s) {
			*out = append(*out, Problem{Path: joinPath(p, "encoding"), Value: showValue(s),
				Rule: "is not a known encoding (a WHATWG label or IANA name such as utf-8, utf-16le, euc-kr, shift_jis, iso-8859-1)"})
		}
		if fs, ok := e["filters"].([]any); ok {
			for j, f := range fs {
				checkFilter(indexPath(joinPath(p, "filters"), j), f, out, checkRegexp)
			}
		}
		if s, ok := e["multi_line_start_pattern"].(string); ok && s == TimestampFormatPlaceholder {
			if _, has := e["timestamp_format"]; !has {
				note(joinPath(p, "multi_line_start_pattern"), "{timestamp_format} without a timestamp_format: every line starts an event")
			}
		}
		multi, _ := e["publish_multi_logs"].(bool)
		removal, _ := e["auto_removal"].(bool)
		if multi && removal {
			note(joinPath(p, "auto_removal"), "has no effect with publish_multi_logs")
		}
		if _, ok := e["backpressure_mode"]; ok && removal {
			note(joinPath(p, "backpressure_mode"), "ignored because auto_removal is on")
		}
		for _, k := range []string{"service.name", "deployment.environment"} {
			if _, ok := e[k]; ok {
				note(joinPath(p, k), "ignored: logwarden sends no entity metadata")
			}
		}
		group, hasGroup := e["log_group_name"].(string)
		if fp, ok := e["file_path"].(string); ok && !hasGroup && !multi {
			switch def := DefaultGroupName(fp); {
			case def == "":
				note(joinPath(p, "log_group_name"), fmt.Sprintf("absent: file_path %q gives an empty default group name", fp))
			case strings.ContainsAny(def, "*?[{"):
				note(joinPath(p, "log_group_name"), fmt.Sprintf("absent: the default group %q derived from file_path is not a valid log group name", def))
			}
		}
		key := strings.ToLower(group)
		if n, ok := e["retention_in_days"].(json.Number); ok && hasGroup {
			if days, err := strconv.ParseInt(n.String(), 10, 64); err == nil && days > 0 {
				checkGroupSetting(retention, key, group, groupSetting{value: n.String(), index: i}, joinPath(p, "retention_in_days"), "retention_in_days", out)
			}
		}
		if c, ok := e["log_group_class"].(string); ok {
			up := strings.ToUpper(c)
			switch {
			case up != ClassStandard && up != ClassInfrequentAccess:
				note(joinPath(p, "log_group_class"), fmt.Sprintf("%q ignored: not %s or %s", c, ClassStandard, ClassInfrequentAccess))
			case hasGroup:
				checkGroupSetting(class, key, group, groupSetting{value: strconv.Quote(up), index: i}, joinPath(p, "log_group_class"), "log_group_class", out)
			}
		}
	}
	return notices
}

// groupSetting is the first value one log group got for a setting.
type groupSetting struct {
	value string
	index int
}

func checkGroupSetting(seen map[string]groupSetting, key, group string, s groupSetting, path, name string, out *[]Problem) {
	first, ok := seen[key]
	if !ok {
		seen[key] = s
		return
	}
	if first.value != s.value {
		*out = append(*out, Problem{Path: path, Value: s.value,
			Rule: fmt.Sprintf("differs from %s set for the same log group %q by collect_list[%d]: different %s values can't be set for the same log group",
				first.value, group, first.index, name)})
	}
}

func checkFilter(path string, v any, out *[]Problem, checkRegexp func(path, s string, out *[]Problem)) {
	f, ok := v.(map[string]any)
	if !ok {
		return // the schema reports it
	}
	if t, ok := f["type"]; !ok || t == "" {
		*out = append(*out, Problem{Path: joinPath(path, "type"), Rule: `is required: "include" or "exclude"`})
	}
	expr, ok := f["expression"]
	if !ok || expr == "" {
		*out = append(*out, Problem{Path: joinPath(path, "expression"), Rule: "is required: a regular expression"})
	}
	if s, ok := expr.(string); ok && s != "" {
		checkRegexp(joinPath(path, "expression"), s, out)
	}
}

// KnownEncoding reports whether name is an encoding the CloudWatch Agent
// accepts (a WHATWG label, an IANA name, or one of its own spellings of
// UTF-8) or the Korean code page cp949, which logwarden adds.
func KnownEncoding(name string) bool {
	switch strings.ToLower(name) {
	case "utf-8", "utf8", "utf_8", "ascii":
		return true
	case "cp949", "ms949", "uhc":
		// Korean Windows code page: not a WHATWG or IANA name, but what
		// Korean servers write; x/text's EUC-KR decoder covers it.
		return true
	}
	if _, err := htmlindex.Get(name); err == nil {
		return true
	}
	_, err := ianaindex.IANA.Encoding(name)
	return err == nil
}
