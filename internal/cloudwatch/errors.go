package cloudwatch

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrNoRegion means no region was configured and none could be discovered.
var ErrNoRegion = errors.New("no region in config, environment, shared config or instance metadata")

// Class is what a caller should do about an error from this package.
type Class int

const (
	// ClassNone: no error.
	ClassNone Class = iota
	// ClassRetry: transient (5xx, network, timeout, credentials being
	// refreshed, unknown); retry with backoff.
	ClassRetry
	// ClassThrottle: the service asked us to slow down; retry with a longer backoff.
	ClassThrottle
	// ClassNotFound: the log group or stream does not exist; create it and retry.
	ClassNotFound
	// ClassAlreadyExists: the resource exists; a create call counts as done.
	ClassAlreadyExists
	// ClassInvalid: the request itself is wrong (InvalidParameterException);
	// retrying cannot help.
	ClassInvalid
	// ClassAccepted: legacy DataAlreadyAccepted; the data is already there.
	ClassAccepted
	// ClassCanceled: the caller's context ended.
	ClassCanceled
)

// String names the class for logs.
func (c Class) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassRetry:
		return "retry"
	case ClassThrottle:
		return "throttle"
	case ClassNotFound:
		return "not_found"
	case ClassAlreadyExists:
		return "already_exists"
	case ClassInvalid:
		return "invalid"
	case ClassAccepted:
		return "accepted"
	case ClassCanceled:
		return "canceled"
	}
	return "unknown"
}

// throttleCodes are the error codes the SDK's standard retryer treats as throttling.
var throttleCodes = map[string]bool{
	"Throttling":                             true,
	"ThrottlingException":                    true,
	"ThrottledException":                     true,
	"RequestThrottledException":              true,
	"TooManyRequestsException":               true,
	"ProvisionedThroughputExceededException": true,
	"TransactionInProgressException":         true,
	"RequestLimitExceeded":                   true,
	"BandwidthLimitExceeded":                 true,
	"LimitExceededException":                 true,
	"RequestThrottled":                       true,
	"SlowDown":                               true,
	"PriorRequestNotComplete":                true,
	"EC2ThrottledException":                  true,
}

// Classify tells what to do about err. Anything not recognised is ClassRetry,
// so that data is never given up on because of an unexpected error.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	if errors.Is(err, context.Canceled) {
		return ClassCanceled
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		switch {
		case code == "ResourceNotFoundException":
			return ClassNotFound
		case code == "ResourceAlreadyExistsException":
			return ClassAlreadyExists
		case code == "InvalidParameterException":
			return ClassInvalid
		case code == "DataAlreadyAcceptedException":
			return ClassAccepted
		case throttleCodes[code]:
			return ClassThrottle
		}
	}
	if httpStatus(err) == 429 {
		return ClassThrottle
	}
	return ClassRetry
}

// IsThrottle reports a throttling error (ThrottlingException and the like, or HTTP 429).
func IsThrottle(err error) bool { return Classify(err) == ClassThrottle }

// IsNotFound reports ResourceNotFoundException (group or stream).
func IsNotFound(err error) bool { return Classify(err) == ClassNotFound }

// IsGroupNotFound reports ResourceNotFoundException about a log group
// ("The specified log group does not exist.").
func IsGroupNotFound(err error) bool {
	return IsNotFound(err) && strings.Contains(strings.ToLower(errorMessage(err)), "log group")
}

// IsStreamNotFound reports ResourceNotFoundException about a log stream.
func IsStreamNotFound(err error) bool {
	return IsNotFound(err) && strings.Contains(strings.ToLower(errorMessage(err)), "log stream")
}

// IsAlreadyExists reports ResourceAlreadyExistsException.
func IsAlreadyExists(err error) bool { return Classify(err) == ClassAlreadyExists }

// IsInvalidParameter reports InvalidParameterException, which retrying cannot fix.
func IsInvalidParameter(err error) bool { return Classify(err) == ClassInvalid }

// IsRetryable reports an error worth retrying as is: throttling, HTTP 5xx,
// network failures and timeouts.
func IsRetryable(err error) bool {
	switch Classify(err) {
	case ClassThrottle:
		return true
	case ClassRetry:
		if s := httpStatus(err); s >= 500 {
			return true
		}
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			switch apiErr.ErrorCode() {
			case "ServiceUnavailableException", "ServiceUnavailable", "InternalFailure",
				"RequestTimeout", "RequestTimeoutException", "ExpiredTokenException":
				return true
			}
			return false
		}
		return isNetwork(err)
	}
	return false
}

func isNetwork(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var rErr *smithyhttp.RequestSendError
	return errors.As(err, &rErr)
}

func httpStatus(err error) int {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode()
	}
	return 0
}

func errorMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return err.Error()
}
