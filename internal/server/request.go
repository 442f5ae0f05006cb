package server

import (
	"fmt"
	"math"
	"strings"

	"github.com/logwarden/logwarden/internal/store"
)

// request is an operation's decoded input. check adds its shape failures to v
// in the order AWS lists them; rules that need more than the shape (mutually
// exclusive members, existence) stay in the operation.
type request interface{ check(v *validation) }

// handle adapts an operation over a typed input to an opFunc: it decodes the
// body into a new T, checks its shape and answers the failures, so the
// operation itself starts from a well-formed input.
func handle[T any, P interface {
	*T
	request
}](op func(*Server, *reqCtx, *T) (any, *APIError)) opFunc {
	return func(s *Server, rc *reqCtx, body []byte) (any, *APIError) {
		in := P(new(T))
		if e := decode(body, in); e != nil {
			return nil, e
		}
		var v validation
		in.check(&v)
		if e := v.err(); e != nil {
			return nil, e
		}
		return op(s, rc, (*T)(in))
	}
}

// groupName checks a logGroupName member.
func (v *validation) groupName(s *string, required bool) {
	v.str(s, "logGroupName", required, 1, maxNameLen, groupNamePattern)
}

// streamName checks a log stream name member at path.
func (v *validation) streamName(s *string, path string, required bool) {
	v.str(s, path, required, 1, maxNameLen, streamNamePattern)
}

// timeRange checks the optional startTime and endTime (epoch ms).
func (v *validation) timeRange(start, end *int64) {
	v.intRange(start, "startTime", false, 0, math.MaxInt64)
	v.intRange(end, "endTime", false, 0, math.MaxInt64)
}

// list checks the length of a list member that is present (1 to max
// entries); shown is the value as the failure quotes it.
func (v *validation) list(n int, present bool, path string, max int, shown string) {
	if !present || (n >= 1 && n <= max) {
		return
	}
	c := "Member must have length greater than or equal to 1"
	if n > max {
		c = fmt.Sprintf("Member must have length less than or equal to %d", max)
	}
	v.fail(shown, path, c)
}

// groupRefIn is the pair logGroupName / logGroupIdentifier, of which an
// operation takes exactly one.
type groupRefIn struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
}

func (in *groupRefIn) check(v *validation) {
	v.groupName(in.LogGroupName, false)
	v.str(in.LogGroupIdentifier, "logGroupIdentifier", false, 1, maxIdentifierLen, identifierPattern)
}

// group returns the group named by exactly one of logGroupName and
// logGroupIdentifier (a name or a log group ARN).
func (in *groupRefIn) group() (string, *APIError) {
	name, ident := in.LogGroupName, in.LogGroupIdentifier
	switch {
	case name != nil && ident != nil:
		return "", newErr(codeInvalidParameter, msgNameAndIdentifier)
	case name != nil:
		return *name, nil
	case ident != nil:
		if strings.HasPrefix(*ident, "arn:") {
			g, ok := groupFromARN(*ident)
			if !ok {
				return "", newErr(codeInvalidParameter, "Invalid log group identifier: %s", *ident)
			}
			return g, nil
		}
		return *ident, nil
	}
	return "", newErr(codeInvalidParameter, msgNoNameNoIdentifier)
}

// group looks a log group up, answering ResourceNotFound when it is missing.
func (s *Server) group(name string) (store.GroupInfo, *APIError) {
	g, err := s.st.Group(name)
	return g, storeErr(err)
}

// intOr returns *p, or def when p is nil.
func intOr(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

// strOr returns *p, or def when p is nil.
func strOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
