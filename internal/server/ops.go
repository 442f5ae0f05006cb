package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/logwarden/logwarden/internal/store"
)

type opFunc func(s *Server, rc *reqCtx, body []byte) (any, *APIError)

var operations map[string]opFunc

func init() {
	operations = map[string]opFunc{
		"CreateLogGroup":              handle((*Server).createLogGroup),
		"DeleteLogGroup":              handle((*Server).deleteLogGroup),
		"DescribeLogGroups":           handle((*Server).describeLogGroups),
		"CreateLogStream":             handle((*Server).createLogStream),
		"DeleteLogStream":             handle((*Server).deleteLogStream),
		"DescribeLogStreams":          handle((*Server).describeLogStreams),
		"PutLogEvents":                (*Server).putLogEvents,
		"GetLogEvents":                handle((*Server).getLogEvents),
		"StartLiveTail":               handle((*Server).startLiveTail),
		"FilterLogEvents":             handle((*Server).filterLogEvents),
		"PutRetentionPolicy":          handle((*Server).putRetentionPolicy),
		"DeleteRetentionPolicy":       handle((*Server).deleteRetentionPolicy),
		"TagResource":                 handle((*Server).tagResource),
		"UntagResource":               handle((*Server).untagResource),
		"ListTagsForResource":         handle((*Server).listTagsForResource),
		"TagLogGroup":                 handle((*Server).tagLogGroup),
		"UntagLogGroup":               handle((*Server).untagLogGroup),
		"ListTagsLogGroup":            handle((*Server).listTagsLogGroup),
		"StartQuery":                  handle((*Server).startQuery),
		"GetQueryResults":             handle((*Server).getQueryResults),
		"StopQuery":                   handle((*Server).stopQuery),
		"DescribeQueries":             handle((*Server).describeQueries),
		"GetLogRecord":                handle((*Server).getLogRecord),
		"GetLogGroupFields":           handle((*Server).getLogGroupFields),
		"PutMetricFilter":             handle((*Server).putMetricFilter),
		"DescribeMetricFilters":       handle((*Server).describeMetricFilters),
		"DeleteMetricFilter":          handle((*Server).deleteMetricFilter),
		"TestMetricFilter":            handle((*Server).testMetricFilter),
		"PutSubscriptionFilter":       handle((*Server).putSubscriptionFilter),
		"DescribeSubscriptionFilters": handle((*Server).describeSubscriptionFilters),
		"DeleteSubscriptionFilter":    handle((*Server).deleteSubscriptionFilter),
	}
}

// Operations returns the names of the operations the server answers (the
// X-Amz-Target after "Logs_20140328."), sorted.
func Operations() []string {
	names := make([]string, 0, len(operations))
	for n := range operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type empty struct{}

func (s *Server) groupARN(rc *reqCtx, name string) string {
	return "arn:aws:logs:" + rc.region + ":" + s.acct + ":log-group:" + name
}

// groupFromARN returns the group name of a log group ARN (with or without :*).
func groupFromARN(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "logs" || !strings.HasPrefix(parts[5], "log-group") {
		return "", false
	}
	rest := strings.TrimPrefix(parts[5]+":"+parts[6], "log-group:")
	rest = strings.TrimSuffix(rest, ":*")
	if rest == "" || strings.Contains(rest, ":") {
		return "", false
	}
	return rest, true
}

// --- log groups ---

type createLogGroupIn struct {
	LogGroupName              *string           `json:"logGroupName"`
	KmsKeyID                  *string           `json:"kmsKeyId"`
	Tags                      map[string]string `json:"tags"`
	LogGroupClass             *string           `json:"logGroupClass"`
	DeletionProtectionEnabled *bool             `json:"deletionProtectionEnabled"`
}

func (in *createLogGroupIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.str(in.KmsKeyID, "kmsKeyId", false, 0, 256, nil)
	v.enum(in.LogGroupClass, "logGroupClass", groupClasses)
	validateTags(v, in.Tags, "tags")
}

func (s *Server) createLogGroup(rc *reqCtx, in *createLogGroupIn) (any, *APIError) {
	if strings.HasPrefix(strings.ToLower(*in.LogGroupName), "aws/") {
		return nil, newErr(codeInvalidParameter, msgReservedPrefix)
	}
	if len(in.Tags) > maxTags {
		return nil, tooManyTags(s.groupARN(rc, *in.LogGroupName))
	}
	spec := store.GroupSpec{Name: *in.LogGroupName, Tags: in.Tags,
		KmsKeyID: strOr(in.KmsKeyID, ""), Class: strOr(in.LogGroupClass, "")}
	if in.DeletionProtectionEnabled != nil {
		spec.DeletionProtection = *in.DeletionProtectionEnabled
	}
	return empty{}, storeErr(s.st.CreateGroup(spec))
}

// groupNameIn is the input of the operations that name one log group.
type groupNameIn struct {
	LogGroupName *string `json:"logGroupName"`
}

func (in *groupNameIn) check(v *validation) { v.groupName(in.LogGroupName, true) }

func (s *Server) deleteLogGroup(rc *reqCtx, in *groupNameIn) (any, *APIError) {
	g, e := s.group(*in.LogGroupName)
	if e != nil {
		return nil, e
	}
	if g.DeletionProtection {
		return nil, newErr(codeValidation, "Log group %s has deletion protection enabled.", g.Name)
	}
	return empty{}, storeErr(s.st.DeleteGroup(*in.LogGroupName))
}

type describeLogGroupsIn struct {
	LogGroupNamePrefix  *string  `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string  `json:"logGroupNamePattern"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	LogGroupClass       *string  `json:"logGroupClass"`
	Limit               *int64   `json:"limit"`
	NextToken           *string  `json:"nextToken"`
}

type logGroupOut struct {
	LogGroupName              string  `json:"logGroupName"`
	CreationTime              int64   `json:"creationTime"`
	RetentionInDays           int32   `json:"retentionInDays,omitempty"`
	MetricFilterCount         *int    `json:"metricFilterCount,omitempty"`
	Arn                       string  `json:"arn"`
	StoredBytes               *int64  `json:"storedBytes,omitempty"`
	KmsKeyID                  string  `json:"kmsKeyId,omitempty"`
	LogGroupClass             string  `json:"logGroupClass,omitempty"`
	LogGroupArn               string  `json:"logGroupArn,omitempty"`
	DeletionProtectionEnabled *bool   `json:"deletionProtectionEnabled,omitempty"`
	DataProtectionStatus      *string `json:"dataProtectionStatus,omitempty"`
}

type describeLogGroupsOut struct {
	LogGroups []logGroupOut `json:"logGroups"`
	NextToken string        `json:"nextToken,omitempty"`
}

const (
	// describeLimit is the default and largest page of the Describe operations.
	describeLimit = 50
	// maxIdentifiers is the most logGroupIdentifiers DescribeLogGroups takes.
	maxIdentifiers = 50
)

func (in *describeLogGroupsIn) check(v *validation) {
	v.str(in.LogGroupNamePrefix, "logGroupNamePrefix", false, 1, maxNameLen, groupNamePattern)
	v.str(in.LogGroupNamePattern, "logGroupNamePattern", false, 0, maxNameLen, groupPatternPattern)
	v.enum(in.LogGroupClass, "logGroupClass", groupClasses)
	v.intRange(in.Limit, "limit", false, 1, describeLimit)
	v.identifiers(in.LogGroupIdentifiers, maxIdentifiers)
}

// identifiers checks a logGroupIdentifiers list of at most max entries.
func (v *validation) identifiers(ids []string, max int) {
	v.list(len(ids), ids != nil, "logGroupIdentifiers", max, "'["+strings.Join(ids, ", ")+"]'")
	for i := range ids {
		v.str(&ids[i], fmt.Sprintf("logGroupIdentifiers.%d.member", i+1), false, 1, maxIdentifierLen, identifierPattern)
	}
}

func (s *Server) describeLogGroups(rc *reqCtx, in *describeLogGroupsIn) (any, *APIError) {
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, newErr(codeInvalidParameter, "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if in.LogGroupIdentifiers != nil && (in.LogGroupNamePrefix != nil || in.LogGroupNamePattern != nil) {
		return nil, newErr(codeInvalidParameter, "LogGroup identifiers cannot be combined with a LogGroup name prefix or pattern.")
	}
	limit := int(intOr(in.Limit, describeLimit))
	after := ""
	if in.NextToken != nil {
		var ok bool
		if after, ok = decodeNameToken(*in.NextToken, 'g'); !ok {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
	}
	prefix := strOr(in.LogGroupNamePrefix, "")
	var wanted map[string]bool
	if in.LogGroupIdentifiers != nil {
		wanted = map[string]bool{}
		for _, id := range in.LogGroupIdentifiers {
			if g, ok := groupFromARN(id); ok {
				wanted[g] = true
			} else {
				wanted[id] = true
			}
		}
	}
	out := describeLogGroupsOut{LogGroups: []logGroupOut{}}
	for _, g := range s.st.Groups(prefix) {
		if g.Name <= after && in.NextToken != nil {
			continue
		}
		if wanted != nil && !wanted[g.Name] {
			continue
		}
		if in.LogGroupNamePattern != nil && !strings.Contains(g.Name, *in.LogGroupNamePattern) {
			continue
		}
		if in.LogGroupClass != nil && g.Class != *in.LogGroupClass {
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = encodeNameToken('g', out.LogGroups[limit-1].LogGroupName)
			break
		}
		arn := s.groupARN(rc, g.Name)
		o := logGroupOut{LogGroupName: g.Name, CreationTime: g.CreationTime, Arn: arn + ":*"}
		if in.LogGroupNamePattern == nil {
			mfc, bytes := g.MetricFilters, g.StoredBytes
			dp := g.DeletionProtection
			o.RetentionInDays = g.RetentionDays
			o.MetricFilterCount = &mfc
			o.StoredBytes = &bytes
			o.KmsKeyID = g.KmsKeyID
			o.LogGroupClass = g.Class
			o.LogGroupArn = arn
			o.DeletionProtectionEnabled = &dp
		}
		out.LogGroups = append(out.LogGroups, o)
	}
	return out, nil
}

// --- log streams ---

type streamIn struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

func (in *streamIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	v.streamName(in.LogStreamName, "logStreamName", true)
}

func (s *Server) createLogStream(rc *reqCtx, in *streamIn) (any, *APIError) {
	return empty{}, storeErr(s.st.CreateStream(*in.LogGroupName, *in.LogStreamName))
}

func (s *Server) deleteLogStream(rc *reqCtx, in *streamIn) (any, *APIError) {
	return empty{}, storeErr(s.st.DeleteStream(*in.LogGroupName, *in.LogStreamName))
}

type describeLogStreamsIn struct {
	groupRefIn
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             *string `json:"orderBy"`
	Descending          *bool   `json:"descending"`
	Limit               *int64  `json:"limit"`
	NextToken           *string `json:"nextToken"`
}

type logStreamOut struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

type describeLogStreamsOut struct {
	LogStreams []logStreamOut `json:"logStreams"`
	NextToken  string         `json:"nextToken,omitempty"`
}

func (in *describeLogStreamsIn) check(v *validation) {
	v.streamName(in.LogStreamNamePrefix, "logStreamNamePrefix", false)
	v.enum(in.OrderBy, "orderBy", orderByValues)
	v.intRange(in.Limit, "limit", false, 1, describeLimit)
	in.groupRefIn.check(v)
}

func (s *Server) describeLogStreams(rc *reqCtx, in *describeLogStreamsIn) (any, *APIError) {
	group, e := in.group()
	if e != nil {
		return nil, e
	}
	byTime := in.OrderBy != nil && *in.OrderBy == "LastEventTime"
	if byTime && in.LogStreamNamePrefix != nil {
		return nil, newErr(codeInvalidParameter, msgOrderByLastEvent)
	}
	desc := in.Descending != nil && *in.Descending
	limit := int(intOr(in.Limit, describeLimit))
	streams, err := s.st.Streams(group, strOr(in.LogStreamNamePrefix, ""))
	if err != nil {
		return nil, storeErr(err)
	}
	lastTime := func(si store.StreamInfo) int64 {
		if !si.HasEvents {
			return 0
		}
		return si.LastEventTime
	}
	less := func(a, b store.StreamInfo) bool { return a.Name < b.Name }
	if byTime {
		less = func(a, b store.StreamInfo) bool {
			ta, tb := lastTime(a), lastTime(b)
			if ta != tb {
				return ta < tb
			}
			return a.Name < b.Name
		}
	}
	if desc {
		asc := less
		less = func(a, b store.StreamInfo) bool { return asc(b, a) }
	}
	if byTime || desc {
		sort.Slice(streams, func(i, j int) bool { return less(streams[i], streams[j]) })
	}
	start := 0
	if in.NextToken != nil {
		key, ok := decodeStreamToken(*in.NextToken)
		if !ok || key.byTime != byTime {
			return nil, newErr(codeInvalidParameter, msgBadToken)
		}
		pos := store.StreamInfo{Name: key.name, LastEventTime: key.time, HasEvents: true}
		start = sort.Search(len(streams), func(i int) bool { return less(pos, streams[i]) })
	}
	out := describeLogStreamsOut{LogStreams: []logStreamOut{}}
	for i := start; i < len(streams); i++ {
		si := streams[i]
		if len(out.LogStreams) == limit {
			prev := streams[i-1]
			out.NextToken = encodeStreamToken(streamToken{byTime: byTime, time: lastTime(prev), name: prev.Name})
			break
		}
		o := logStreamOut{LogStreamName: si.Name, CreationTime: si.CreationTime,
			Arn: s.groupARN(rc, group) + ":log-stream:" + si.Name}
		if si.HasEvents {
			f, l, ing := si.FirstEventTime, si.LastEventTime, si.LastIngestionTime
			o.FirstEventTimestamp, o.LastEventTimestamp, o.LastIngestionTime = &f, &l, &ing
			o.UploadSequenceToken = sequenceToken(si.LastIngestionTime)
		}
		out.LogStreams = append(out.LogStreams, o)
	}
	return out, nil
}

// sequenceToken renders a 56-digit sequence token as AWS does (tokens are
// ignored on input since 2023).
func sequenceToken(n int64) string { return fmt.Sprintf("%056d", n) }

// --- retention ---

type putRetentionIn struct {
	LogGroupName    *string `json:"logGroupName"`
	RetentionInDays *int64  `json:"retentionInDays"`
}

func (in *putRetentionIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	if in.RetentionInDays == nil {
		v.null("retentionInDays")
	} else if !validRetention(*in.RetentionInDays) {
		vals := make([]string, len(retentionValues))
		for i, r := range retentionValues {
			vals[i] = strconv.FormatInt(r, 10)
		}
		v.fail(quote(strconv.FormatInt(*in.RetentionInDays, 10)), "retentionInDays",
			"Member must satisfy enum value set: ["+strings.Join(vals, ", ")+"]")
	}
}

func (s *Server) putRetentionPolicy(rc *reqCtx, in *putRetentionIn) (any, *APIError) {
	days := int32(*in.RetentionInDays)
	return empty{}, storeErr(s.st.UpdateGroup(*in.LogGroupName, func(g *store.GroupInfo) error {
		g.RetentionDays = days
		return nil
	}))
}

func validRetention(d int64) bool {
	for _, r := range retentionValues {
		if r == d {
			return true
		}
	}
	return false
}

func (s *Server) deleteRetentionPolicy(rc *reqCtx, in *groupNameIn) (any, *APIError) {
	return empty{}, storeErr(s.st.UpdateGroup(*in.LogGroupName, func(g *store.GroupInfo) error {
		g.RetentionDays = 0
		return nil
	}))
}

// --- tags ---

func validateTags(v *validation, tags map[string]string, path string) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kk, val := k, tags[k]
		v.str(&kk, path+".key", false, 1, 128, tagKeyPattern)
		v.str(&val, path+".value", false, 0, 256, nil)
	}
}

func tooManyTags(arn string) *APIError {
	e := newErr(codeTooManyTags, "A resource can have no more than %d tags.", maxTags)
	e.Extra = map[string]any{"resourceName": arn}
	return e
}

func (s *Server) mergeTags(rc *reqCtx, group string, add map[string]string, remove []string) *APIError {
	var ae *APIError
	err := s.st.UpdateGroup(group, func(g *store.GroupInfo) error {
		if g.Tags == nil {
			g.Tags = map[string]string{}
		}
		for k, v := range add {
			g.Tags[k] = v
		}
		for _, k := range remove {
			delete(g.Tags, k)
		}
		if len(g.Tags) > maxTags {
			ae = tooManyTags(s.groupARN(rc, group))
			return ae
		}
		return nil
	})
	if ae != nil {
		return ae
	}
	return storeErr(err)
}

// resourceIn names a resource (a log group ARN).
type resourceIn struct {
	ResourceArn *string `json:"resourceArn"`
}

func (in *resourceIn) check(v *validation) {
	v.str(in.ResourceArn, "resourceArn", true, 1, 1011, arnPattern)
}

// resourceGroup returns the log group a checked resource ARN names.
func (s *Server) resourceGroup(arn string) (string, *APIError) {
	g, ok := groupFromARN(arn)
	if !ok {
		return "", newErr(codeResourceNotFound, msgResourceNotFound)
	}
	if _, err := s.st.Group(g); err != nil {
		return "", newErr(codeResourceNotFound, msgResourceNotFound)
	}
	return g, nil
}

type tagResourceIn struct {
	resourceIn
	Tags map[string]string `json:"tags"`
}

func (in *tagResourceIn) check(v *validation) {
	if in.Tags == nil {
		v.null("tags")
	}
	validateTags(v, in.Tags, "tags")
	in.resourceIn.check(v)
}

func (s *Server) tagResource(rc *reqCtx, in *tagResourceIn) (any, *APIError) {
	g, e := s.resourceGroup(*in.ResourceArn)
	if e != nil {
		return nil, e
	}
	return empty{}, s.mergeTags(rc, g, in.Tags, nil)
}

type untagResourceIn struct {
	resourceIn
	TagKeys []string `json:"tagKeys"`
}

func (in *untagResourceIn) check(v *validation) {
	if in.TagKeys == nil {
		v.null("tagKeys")
	}
	in.resourceIn.check(v)
}

func (s *Server) untagResource(rc *reqCtx, in *untagResourceIn) (any, *APIError) {
	g, e := s.resourceGroup(*in.ResourceArn)
	if e != nil {
		return nil, e
	}
	return empty{}, s.mergeTags(rc, g, nil, in.TagKeys)
}

type tagsOut struct {
	Tags map[string]string `json:"tags"`
}

func (s *Server) listTagsForResource(rc *reqCtx, in *resourceIn) (any, *APIError) {
	g, e := s.resourceGroup(*in.ResourceArn)
	if e != nil {
		return nil, e
	}
	return s.groupTags(g)
}

func (s *Server) groupTags(name string) (any, *APIError) {
	g, e := s.group(name)
	if e != nil {
		return nil, e
	}
	if g.Tags == nil {
		g.Tags = map[string]string{}
	}
	return tagsOut{Tags: g.Tags}, nil
}

type tagLogGroupIn struct {
	LogGroupName *string           `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

func (in *tagLogGroupIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	if in.Tags == nil {
		v.null("tags")
	}
	validateTags(v, in.Tags, "tags")
}

func (s *Server) tagLogGroup(rc *reqCtx, in *tagLogGroupIn) (any, *APIError) {
	return empty{}, s.mergeTags(rc, *in.LogGroupName, in.Tags, nil)
}

type untagLogGroupIn struct {
	LogGroupName *string  `json:"logGroupName"`
	Tags         []string `json:"tags"`
}

func (in *untagLogGroupIn) check(v *validation) {
	v.groupName(in.LogGroupName, true)
	if in.Tags == nil {
		v.null("tags")
	}
}

func (s *Server) untagLogGroup(rc *reqCtx, in *untagLogGroupIn) (any, *APIError) {
	return empty{}, s.mergeTags(rc, *in.LogGroupName, nil, in.Tags)
}

func (s *Server) listTagsLogGroup(rc *reqCtx, in *groupNameIn) (any, *APIError) {
	return s.groupTags(*in.LogGroupName)
}
