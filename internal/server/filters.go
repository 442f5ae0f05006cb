package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
)

// Metric and subscription filters are stored with their log group (package
// store, SavedFilter): the pattern in its own field, the other members of the
// API shape as JSON in Spec. Metric filters count the events they match as
// PutLogEvents stores them; nothing publishes metrics and subscription filters
// deliver nothing.

const (
	// maxMetricFilters is the most metric filters a log group may have.
	maxMetricFilters = 100
	// maxSubscriptionFilters is the most subscription filters a log group may have.
	maxSubscriptionFilters = 2
	// maxTestMessages is the most messages TestMetricFilter takes.
	maxTestMessages = 50
	// maxMetricDimensions is the most dimensions one metric transformation may have.
	maxMetricDimensions = 3
	// maxMetricNameLen bounds metricName and metricNamespace; maxDimensionLen
	// bounds dimension keys and values.
	maxMetricNameLen = 255
	maxDimensionLen  = 255
	// maxMetricValueLen bounds metricValue.
	maxMetricValueLen = 100
	// maxFieldSelectionLen bounds fieldSelectionCriteria.
	maxFieldSelectionLen = 2000
	// maxRegexFilters is the most metric and subscription filters of one log
	// group, together, whose patterns hold a %regex%.
	maxRegexFilters = 5
	// maxPatternCache bounds the compiled patterns kept for PutLogEvents.
	maxPatternCache  = 10_000
	msgLimitExceeded = "Resource limit exceeded."
)

var (
	filterNamePattern = anchored(`[^:*]*`)
	metricNamePattern = anchored(`[^:*$]*`)
	distributions     = []string{"Random", "ByLogStream"}
	standardUnits     = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
		"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
		"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
		"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
		"Count/Second", "None"}
)

// filterErr maps the store's filter errors; others go to storeErr.
func filterErr(err error, kind store.FilterKind) *APIError {
	switch {
	case errors.Is(err, store.ErrFilterNotFound):
		if kind == store.KindMetric {
			return newErr(codeResourceNotFound, "The specified metric filter does not exist.")
		}
		return newErr(codeResourceNotFound, "The specified subscription filter does not exist.")
	case errors.Is(err, store.ErrFilterLimit):
		return newErr(codeLimitExceeded, msgLimitExceeded)
	}
	return storeErr(err)
}

// compilePattern compiles a filter pattern, answering InvalidParameterException.
func compilePattern(p string) (*query.Filter, *APIError) {
	f, err := query.CompileFilter(p)
	if err != nil {
		return nil, newErr(codeInvalidParameter, "%s", capitalize(err.Error()))
	}
	return f, nil
}

// patterns caches compiled filter patterns for PutLogEvents.
type patterns struct {
	mu sync.RWMutex
	m  map[string]*query.Filter
}

func (c *patterns) get(p string) *query.Filter {
	c.mu.RLock()
	f := c.m[p]
	c.mu.RUnlock()
	if f != nil {
		return f
	}
	f, err := query.CompileFilter(p)
	if err != nil {
		return nil // stored patterns compiled when they were put
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxPatternCache {
		c.m = map[string]*query.Filter{}
	}
	c.m[p] = f
	c.mu.Unlock()
	return f
}

// putFilter stores a metric or subscription filter after checking the
// per-group quota of filters with regular expressions. filterMu makes the
// check and the put one step.
func (s *Server) putFilter(group string, f store.SavedFilter, compiled *query.Filter, max int) *APIError {
	s.filterMu.Lock()
	defer s.filterMu.Unlock()
	if compiled.Regexes() > 0 {
		n := 1
		for _, kind := range []store.FilterKind{store.KindMetric, store.KindSubscription} {
			fs, err := s.st.SavedFilters(group, kind, "")
			if err != nil {
				return storeErr(err)
			}
			for _, o := range fs {
				if o.Kind == f.Kind && o.Name == f.Name {
					continue // being replaced
				}
				if c := s.patterns.get(o.Pattern); c != nil && c.Regexes() > 0 {
					n++
				}
			}
		}
		if n > maxRegexFilters {
			return newErr(codeLimitExceeded, "A log group can have at most %d metric and subscription filters whose patterns use regular expressions.", maxRegexFilters)
		}
	}
	return filterErr(s.st.PutSavedFilter(group, f, max), f.Kind)
}

// countMetricMatches adds the events of a stored batch that each metric
// filter of the group matches to the filter's count.
func (s *Server) countMetricMatches(group string, batch []store.Event) {
	fs, err := s.st.SavedFilters(group, store.KindMetric, "")
	if err != nil || len(fs) == 0 {
		return
	}
	for _, f := range fs {
		m := s.patterns.get(f.Pattern)
		if m == nil {
			continue
		}
		n := int64(len(batch))
		if !m.MatchAll() {
			n = 0
			for i := range batch {
				if m.Match(batch[i].Message) {
					n++
				}
			}
		}
		s.st.AddFilterMatches(group, store.KindMetric, f.Name, f.CreationTime, n)
	}
}

// debugFiltersPath is the GET page listing the metric filters and their
// match counts.
const debugFiltersPath = "/debug/metric-filters"

// serveFilterCounts writes one line per metric filter: log group, filter
// name, events matched since the filter was put, pattern (tab-separated).
// Unsigned GET requests carry no credentials, so with an auth file the page
// is refused.
func (s *Server) serveFilterCounts(w http.ResponseWriter) {
	if s.creds != nil {
		http.Error(w, "the metric filter page is off when --auth is set", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b strings.Builder
	b.WriteString("# logGroup\tfilterName\tmatches\tfilterPattern\n")
	for _, g := range s.st.Groups("") {
		if g.MetricFilters == 0 {
			continue
		}
		fs, _ := s.st.SavedFilters(g.Name, store.KindMetric, "")
		for _, f := range fs {
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\n", g.Name, f.Name, f.Matches, strconv.Quote(f.Pattern))
		}
	}
	io.WriteString(w, b.String())
}

// --- metric filters ---

type metricTransformation struct {
	MetricName      *string           `json:"metricName"`
	MetricNamespace *string           `json:"metricNamespace"`
	MetricValue     *string           `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            *string           `json:"unit,omitempty"`
}

// metricSpec is what a metric filter keeps besides its name and pattern.
type metricSpec struct {
	MetricTransformations     []metricTransformation `json:"metricTransformations"`
	ApplyOnTransformedLogs    *bool                  `json:"applyOnTransformedLogs,omitempty"`
	FieldSelectionCriteria    *string                `json:"fieldSelectionCriteria,omitempty"`
	EmitSystemFieldDimensions []string               `json:"emitSystemFieldDimensions,omitempty"`
}

type putMetricFilterIn struct {
	LogGroupName  *string `json:"logGroupName"`
	FilterName    *string `json:"filterName"`
	FilterPattern *string `json:"filterPattern"`
	metricSpec
}

// filterName checks a filterName member.
func (v *validation) filterName(s *string, required bool) {
	v.str(s, "filterName", required, 1, maxNameLen, filterNamePattern)
}

func (in *putMetricFilterIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.filterName(in.FilterName, true)
	v.str(in.FilterPattern, "filterPattern", true, 0, query.MaxPatternLength, nil)
	mts := in.MetricTransformations
	if mts == nil {
		v.null("metricTransformations")
	}
	v.list(len(mts), mts != nil, "metricTransformations", 1, fmt.Sprintf("'%d transformations'", len(mts)))
	for i := range mts {
		mt := &mts[i]
		p := fmt.Sprintf("metricTransformations.%d.member.", i+1)
		v.str(mt.MetricName, p+"metricName", true, 0, maxMetricNameLen, metricNamePattern)
		v.str(mt.MetricNamespace, p+"metricNamespace", true, 0, maxMetricNameLen, metricNamePattern)
		v.str(mt.MetricValue, p+"metricValue", true, 0, maxMetricValueLen, nil)
		keys := make([]string, 0, len(mt.Dimensions))
		for k := range mt.Dimensions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			kk, val := k, mt.Dimensions[k]
			v.str(&kk, p+"dimensions.key", false, 0, maxDimensionLen, nil)
			v.str(&val, p+"dimensions.value", false, 0, maxDimensionLen, nil)
		}
		v.enum(mt.Unit, p+"unit", standardUnits)
	}
	v.str(in.FieldSelectionCriteria, "fieldSelectionCriteria", false, 0, maxFieldSelectionLen, nil)
}

// checkMetricValue accepts a number or a reference to a field the pattern
// names ($.selector for JSON patterns, $name for space-delimited ones).
func checkMetricValue(val string) *APIError {
	if _, err := strconv.ParseFloat(val, 64); err == nil {
		return nil
	}
	if strings.HasPrefix(val, "$") && len(val) > 1 {
		return nil
	}
	return newErr(codeInvalidParameter, "Invalid metric value: %s. The metric value must be a number or a field reference such as $.latency or $size.", val)
}

func (s *Server) putMetricFilter(rc *reqCtx, in *putMetricFilterIn) (any, *APIError) {
	compiled, e := compilePattern(*in.FilterPattern)
	if e != nil {
		return nil, e
	}
	mt := in.MetricTransformations[0]
	if e := checkMetricValue(*mt.MetricValue); e != nil {
		return nil, e
	}
	if len(mt.Dimensions) > maxMetricDimensions {
		return nil, newErr(codeInvalidParameter, "A metric filter can have at most %d dimensions.", maxMetricDimensions)
	}
	if len(mt.Dimensions) > 0 && mt.DefaultValue != nil {
		return nil, newErr(codeInvalidParameter, "A metric filter with dimensions cannot have a default value.")
	}
	spec, err := json.Marshal(&in.metricSpec)
	if err != nil {
		return nil, storeErr(err)
	}
	f := store.SavedFilter{Kind: store.KindMetric, Name: *in.FilterName, Pattern: *in.FilterPattern, Spec: spec}
	return empty{}, s.putFilter(*in.LogGroupName, f, compiled, maxMetricFilters)
}

type describeMetricFiltersIn struct {
	LogGroupName     *string `json:"logGroupName"`
	FilterNamePrefix *string `json:"filterNamePrefix"`
	NextToken        *string `json:"nextToken"`
	Limit            *int64  `json:"limit"`
	MetricName       *string `json:"metricName"`
	MetricNamespace  *string `json:"metricNamespace"`
}

func (in *describeMetricFiltersIn) check(v *validation) {
	v.groupName(in.LogGroupName, false)
	v.str(in.FilterNamePrefix, "filterNamePrefix", false, 1, maxNameLen, filterNamePattern)
	v.str(in.NextToken, "nextToken", false, 1, 0, nil)
	v.intRange(in.Limit, "limit", false, 1, describeLimit)
	v.str(in.MetricName, "metricName", false, 0, maxMetricNameLen, metricNamePattern)
	v.str(in.MetricNamespace, "metricNamespace", false, 0, maxMetricNameLen, metricNamePattern)
}

type metricFilterOut struct {
	FilterName    string `json:"filterName"`
	FilterPattern string `json:"filterPattern"`
	metricSpec
	CreationTime int64  `json:"creationTime"`
	LogGroupName string `json:"logGroupName"`
}

type describeMetricFiltersOut struct {
	MetricFilters []metricFilterOut `json:"metricFilters"`
	NextToken     string            `json:"nextToken,omitempty"`
}

// metricFilterToken is the cursor of DescribeMetricFilters: the last filter
// returned, as (filter name, group name), the order of the results.
func encodeFilterCursor(kind byte, filter, group string) string {
	return sealToken(kind, []byte(filter+"\x00"+group))
}

func decodeFilterCursor(tok string, kind byte) (filter, group string, ok bool) {
	p, ok := openToken(tok, kind)
	if !ok {
		return "", "", false
	}
	filter, group, ok = strings.Cut(string(p), "\x00")
	return filter, group, ok
}

func (s *Server) describeMetricFilters(rc *reqCtx, in *describeMetricFiltersIn) (any, *APIError) {
	if (in.MetricName == nil) != (in.MetricNamespace == nil) {
		var v validation
		if in.MetricNamespace == nil {
			v.fail("null", "metricNamespace", "If you include the metricName parameter in your request, you must also include the metricNamespace parameter.")
		} else {
			v.fail("null", "metricName", "If you include the metricNamespace parameter in your request, you must also include the metricName parameter.")
		}
		return nil, v.err()
	}
	var afterName, afterGroup string
	if in.NextToken != nil {
		var ok bool
		if afterName, afterGroup, ok = decodeFilterCursor(*in.NextToken, 'm'); !ok {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
	}
	var groups []string
	prefix := ""
	if in.LogGroupName != nil {
		if _, e := s.group(*in.LogGroupName); e != nil {
			return nil, e
		}
		groups = []string{*in.LogGroupName}
		// AWS uses filterNamePrefix only together with logGroupName.
		prefix = strOr(in.FilterNamePrefix, "")
	} else {
		for _, g := range s.st.Groups("") {
			if g.MetricFilters > 0 {
				groups = append(groups, g.Name)
			}
		}
	}
	var all []metricFilterOut
	for _, g := range groups {
		fs, err := s.st.SavedFilters(g, store.KindMetric, prefix)
		if errors.Is(err, store.ErrGroupNotFound) && in.LogGroupName == nil {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, storeErr(err)
		}
		for _, f := range fs {
			o := metricFilterOut{FilterName: f.Name, FilterPattern: f.Pattern, CreationTime: f.CreationTime, LogGroupName: g}
			if err := json.Unmarshal(f.Spec, &o.metricSpec); err != nil {
				return nil, storeErr(fmt.Errorf("decode metric filter %q: %w", f.Name, err))
			}
			if in.MetricName != nil && !hasMetric(o.MetricTransformations, *in.MetricName, *in.MetricNamespace) {
				continue
			}
			if in.NextToken != nil && (f.Name < afterName || f.Name == afterName && g <= afterGroup) {
				continue
			}
			all = append(all, o)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].FilterName != all[j].FilterName {
			return all[i].FilterName < all[j].FilterName
		}
		return all[i].LogGroupName < all[j].LogGroupName
	})
	limit := int(intOr(in.Limit, describeLimit))
	out := describeMetricFiltersOut{MetricFilters: all}
	if len(all) > limit {
		out.MetricFilters = all[:limit]
		last := all[limit-1]
		out.NextToken = encodeFilterCursor('m', last.FilterName, last.LogGroupName)
	}
	if out.MetricFilters == nil {
		out.MetricFilters = []metricFilterOut{}
	}
	return out, nil
}

func hasMetric(mts []metricTransformation, name, namespace string) bool {
	for _, mt := range mts {
		if strOr(mt.MetricName, "") == name && strOr(mt.MetricNamespace, "") == namespace {
			return true
		}
	}
	return false
}

// filterRefIn names one filter of one log group.
type filterRefIn struct {
	LogGroupName *string `json:"logGroupName"`
	FilterName   *string `json:"filterName"`
}

func (in *filterRefIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.filterName(in.FilterName, true)
}

func (s *Server) deleteMetricFilter(rc *reqCtx, in *filterRefIn) (any, *APIError) {
	return empty{}, filterErr(s.st.DeleteSavedFilter(*in.LogGroupName, store.KindMetric, *in.FilterName), store.KindMetric)
}

type testMetricFilterIn struct {
	FilterPattern    *string  `json:"filterPattern"`
	LogEventMessages []string `json:"logEventMessages"`
}

func (in *testMetricFilterIn) check(v *validation) {
	v.str(in.FilterPattern, "filterPattern", true, 0, query.MaxPatternLength, nil)
	if in.LogEventMessages == nil {
		v.null("logEventMessages")
	}
	v.list(len(in.LogEventMessages), in.LogEventMessages != nil, "logEventMessages", maxTestMessages,
		fmt.Sprintf("'%d messages'", len(in.LogEventMessages)))
	for i := range in.LogEventMessages {
		v.str(&in.LogEventMessages[i], fmt.Sprintf("logEventMessages.%d.member", i+1), false, 1, 0, nil)
	}
}

type metricFilterMatch struct {
	EventNumber     int64             `json:"eventNumber"`
	EventMessage    string            `json:"eventMessage"`
	ExtractedValues map[string]string `json:"extractedValues"`
}

type testMetricFilterOut struct {
	Matches []metricFilterMatch `json:"matches"`
}

// testMetricFilter runs the pattern over the messages; eventNumber counts the
// messages from 1.
func (s *Server) testMetricFilter(rc *reqCtx, in *testMetricFilterIn) (any, *APIError) {
	f, e := compilePattern(*in.FilterPattern)
	if e != nil {
		return nil, e
	}
	out := testMetricFilterOut{Matches: []metricFilterMatch{}}
	for i, msg := range in.LogEventMessages {
		vals, ok := f.Extract(msg)
		if !ok {
			continue
		}
		if vals == nil {
			vals = map[string]string{}
		}
		out.Matches = append(out.Matches, metricFilterMatch{EventNumber: int64(i + 1), EventMessage: msg, ExtractedValues: vals})
	}
	return out, nil
}

// --- subscription filters ---

// subscriptionSpec is what a subscription filter keeps besides its name and
// pattern.
type subscriptionSpec struct {
	DestinationArn         *string  `json:"destinationArn"`
	RoleArn                *string  `json:"roleArn,omitempty"`
	Distribution           *string  `json:"distribution,omitempty"`
	ApplyOnTransformedLogs *bool    `json:"applyOnTransformedLogs,omitempty"`
	FieldSelectionCriteria *string  `json:"fieldSelectionCriteria,omitempty"`
	EmitSystemFields       []string `json:"emitSystemFields,omitempty"`
}

type putSubscriptionFilterIn struct {
	LogGroupName  *string `json:"logGroupName"`
	FilterName    *string `json:"filterName"`
	FilterPattern *string `json:"filterPattern"`
	subscriptionSpec
}

func (in *putSubscriptionFilterIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.filterName(in.FilterName, true)
	v.str(in.FilterPattern, "filterPattern", true, 0, query.MaxPatternLength, nil)
	v.str(in.DestinationArn, "destinationArn", true, 1, 0, nil)
	v.str(in.RoleArn, "roleArn", false, 1, 0, nil)
	v.enum(in.Distribution, "distribution", distributions)
	v.str(in.FieldSelectionCriteria, "fieldSelectionCriteria", false, 0, maxFieldSelectionLen, nil)
}

func (s *Server) putSubscriptionFilter(rc *reqCtx, in *putSubscriptionFilterIn) (any, *APIError) {
	compiled, e := compilePattern(*in.FilterPattern)
	if e != nil {
		return nil, e
	}
	// Nothing is delivered, so the destination is only checked to be an ARN
	// of a service that can receive log events.
	parts := strings.SplitN(*in.DestinationArn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[5] == "" {
		return nil, newErr(codeInvalidParameter, "Invalid destinationArn: %s", *in.DestinationArn)
	}
	switch parts[2] {
	case "kinesis", "firehose", "lambda", "logs":
	default:
		return nil, newErr(codeInvalidParameter, "Invalid destinationArn: %s. The destination must be a Kinesis data stream, a Firehose delivery stream, a Lambda function or a CloudWatch Logs destination.", *in.DestinationArn)
	}
	if in.Distribution == nil {
		d := "ByLogStream"
		in.Distribution = &d
	}
	spec, err := json.Marshal(&in.subscriptionSpec)
	if err != nil {
		return nil, storeErr(err)
	}
	f := store.SavedFilter{Kind: store.KindSubscription, Name: *in.FilterName, Pattern: *in.FilterPattern, Spec: spec}
	return empty{}, s.putFilter(*in.LogGroupName, f, compiled, maxSubscriptionFilters)
}

type describeSubscriptionFiltersIn struct {
	LogGroupName     *string `json:"logGroupName"`
	FilterNamePrefix *string `json:"filterNamePrefix"`
	NextToken        *string `json:"nextToken"`
	Limit            *int64  `json:"limit"`
}

func (in *describeSubscriptionFiltersIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.str(in.FilterNamePrefix, "filterNamePrefix", false, 1, maxNameLen, filterNamePattern)
	v.str(in.NextToken, "nextToken", false, 1, 0, nil)
	v.intRange(in.Limit, "limit", false, 1, describeLimit)
}

type subscriptionFilterOut struct {
	FilterName    string `json:"filterName"`
	LogGroupName  string `json:"logGroupName"`
	FilterPattern string `json:"filterPattern"`
	subscriptionSpec
	CreationTime int64 `json:"creationTime"`
}

type describeSubscriptionFiltersOut struct {
	SubscriptionFilters []subscriptionFilterOut `json:"subscriptionFilters"`
	NextToken           string                  `json:"nextToken,omitempty"`
}

func (s *Server) describeSubscriptionFilters(rc *reqCtx, in *describeSubscriptionFiltersIn) (any, *APIError) {
	after := ""
	if in.NextToken != nil {
		var ok bool
		if after, ok = decodeNameToken(*in.NextToken, 'u'); !ok {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
	}
	fs, err := s.st.SavedFilters(*in.LogGroupName, store.KindSubscription, strOr(in.FilterNamePrefix, ""))
	if err != nil {
		return nil, storeErr(err)
	}
	limit := int(intOr(in.Limit, describeLimit))
	out := describeSubscriptionFiltersOut{SubscriptionFilters: []subscriptionFilterOut{}}
	for _, f := range fs {
		if in.NextToken != nil && f.Name <= after {
			continue
		}
		if len(out.SubscriptionFilters) == limit {
			out.NextToken = encodeNameToken('u', out.SubscriptionFilters[limit-1].FilterName)
			break
		}
		o := subscriptionFilterOut{FilterName: f.Name, LogGroupName: *in.LogGroupName, FilterPattern: f.Pattern, CreationTime: f.CreationTime}
		if err := json.Unmarshal(f.Spec, &o.subscriptionSpec); err != nil {
			return nil, storeErr(fmt.Errorf("decode subscription filter %q: %w", f.Name, err))
		}
		out.SubscriptionFilters = append(out.SubscriptionFilters, o)
	}
	return out, nil
}

func (s *Server) deleteSubscriptionFilter(rc *reqCtx, in *filterRefIn) (any, *APIError) {
	return empty{}, filterErr(s.st.DeleteSavedFilter(*in.LogGroupName, store.KindSubscription, *in.FilterName), store.KindSubscription)
}
