package server

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// APIError is an error answered to the client as awsJson1_1:
// HTTP status, body {"__type": Code, "message": Message} and the
// X-Amzn-ErrorType header.
type APIError struct {
	Status  int
	Code    string
	Message string
	// Extra members added to the error body (e.g. resourceName).
	Extra map[string]any
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func newErr(code, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes and messages, as AWS words them.
const (
	codeInvalidParameter  = "InvalidParameterException"
	codeResourceNotFound  = "ResourceNotFoundException"
	codeAlreadyExists     = "ResourceAlreadyExistsException"
	codeSerialization     = "SerializationException"
	codeUnknownOperation  = "UnknownOperationException"
	codeServiceUnavail    = "ServiceUnavailableException"
	codeTooManyTags       = "TooManyTagsException"
	codeValidation        = "ValidationException"
	codeUnrecognized      = "UnrecognizedClientException"
	codeInvalidSignature  = "InvalidSignatureException"
	codeMissingAuth       = "MissingAuthenticationTokenException"
	codeIncompleteSig     = "IncompleteSignatureException"
	codeMalformedQuery    = "MalformedQueryException"
	codeLimitExceeded     = "LimitExceededException"
	msgGroupNotFound      = "The specified log group does not exist."
	msgStreamNotFound     = "The specified log stream does not exist."
	msgGroupExists        = "The specified log group already exists"
	msgStreamExists       = "The specified log stream already exists"
	msgBadToken           = "The specified nextToken is invalid."
	msgResourceNotFound   = "The specified resource does not exist."
	msgChronological      = "Log events in a single PutLogEvents request must be in chronological order."
	msgSpan24h            = "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
	msgReservedPrefix     = "Log groups starting with AWS/ are reserved for AWS."
	msgOrderByLastEvent   = "Cannot order by LastEventTime with a logStreamNamePrefix."
	msgInvalidToken       = "The security token included in the request is invalid."
	msgSignatureMismatch  = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgNameAndIdentifier  = "LogGroup name and LogGroup identifier are mutually exclusive parameters."
	msgNoNameNoIdentifier = "Either LogGroup name or LogGroup identifier must be specified."
)

// validation collects shape-validation failures in AWS's wording.
type validation struct{ msgs []string }

func quote(v string) string { return "'" + v + "'" }

func (v *validation) fail(value, path, constraint string) {
	v.msgs = append(v.msgs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint))
}

func (v *validation) null(path string) { v.fail("null", path, "Member must not be null") }

// err returns the InvalidParameterException for the collected failures, or nil.
func (v *validation) err() *APIError {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return newErr(codeInvalidParameter, "1 validation error detected: %s", v.msgs[0])
	}
	return newErr(codeInvalidParameter, "%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; "))
}

// str checks a string member: pattern, then length.
func (v *validation) str(s *string, path string, required bool, min, max int, pattern *regexp.Regexp) {
	if s == nil {
		if required {
			v.null(path)
		}
		return
	}
	if pattern != nil && !pattern.MatchString(*s) {
		v.fail(quote(*s), path, "Member must satisfy regular expression pattern: "+pattern.String()[4:len(pattern.String())-2])
	}
	n := len([]rune(*s))
	if n < min {
		v.fail(quote(*s), path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max > 0 && n > max {
		v.fail(quote(*s), path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (v *validation) intRange(n *int64, path string, required bool, min, max int64) {
	if n == nil {
		if required {
			v.null(path)
		}
		return
	}
	if *n < min {
		v.fail(quote(strconv.FormatInt(*n, 10)), path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if *n > max {
		v.fail(quote(strconv.FormatInt(*n, 10)), path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

func (v *validation) enum(s *string, path string, values []string) {
	if s == nil {
		return
	}
	for _, e := range values {
		if *s == e {
			return
		}
	}
	v.fail(quote(*s), path, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

// anchored compiles a pattern as a full match; the constraint text shows the
// pattern without the anchors.
func anchored(p string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + p + `)$`) }

var (
	groupNamePattern    = anchored(`[\.\-_/#A-Za-z0-9]+`)
	groupPatternPattern = anchored(`[\.\-_/#A-Za-z0-9]*`)
	streamNamePattern   = anchored(`[^:*]*`)
	identifierPattern   = anchored(`[\w#+=/:,.@-]*`)
	arnPattern          = anchored(`[\w+=/:,.@-]*`)
	tagKeyPattern       = anchored(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`)
)

const (
	// maxNameLen is the longest log group or stream name.
	maxNameLen = 512
	// maxIdentifierLen is the longest logGroupIdentifier.
	maxIdentifierLen = 2048
	// maxTags is the most tags a resource may carry.
	maxTags = 50
)

var (
	groupClasses    = []string{"STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS"}
	orderByValues   = []string{"LogStreamName", "LastEventTime"}
	retentionValues = []int64{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
