package cloudwatch

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// CreateLogGroup creates group with class ("" = the service default). An
// existing group is not an error.
func (c *Client) CreateLogGroup(ctx context.Context, group, class string) error {
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}
	if class != "" {
		in.LogGroupClass = types.LogGroupClass(class)
	}
	_, err := c.logs.CreateLogGroup(ctx, in)
	if err != nil && !IsAlreadyExists(err) {
		c.checkCredentials(err)
		return fmt.Errorf("create log group %q: %w", group, err)
	}
	return nil
}

// CreateLogStream creates stream in group. An existing stream is not an
// error; a missing group is (IsNotFound).
func (c *Client) CreateLogStream(ctx context.Context, group, stream string) error {
	_, err := c.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
	})
	if err != nil && !IsAlreadyExists(err) {
		c.checkCredentials(err)
		return fmt.Errorf("create log stream %q in %q: %w", stream, group, err)
	}
	return nil
}

// LogGroupRetention returns group's retentionInDays (0 = never expire), found
// with DescribeLogGroups(logGroupIdentifiers). A missing group is a
// ResourceNotFoundException-classified error.
func (c *Client) LogGroupRetention(ctx context.Context, group string) (int, error) {
	out, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupIdentifiers: []string{group},
	})
	if IsInvalidParameter(err) {
		// Some endpoints reject the identifier filter; fall back to a prefix query
		// as the CloudWatch Agent does.
		out, err = c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{
			LogGroupNamePrefix: aws.String(group),
		})
	}
	if err != nil {
		c.checkCredentials(err)
		return 0, fmt.Errorf("describe log group %q: %w", group, err)
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) == group {
			return int(aws.ToInt32(g.RetentionInDays)), nil
		}
	}
	return 0, fmt.Errorf("describe log group %q: %w", group, &types.ResourceNotFoundException{Message: aws.String("The specified log group does not exist.")})
}

// PutRetentionPolicy sets group's retention to days.
func (c *Client) PutRetentionPolicy(ctx context.Context, group string, days int) error {
	_, err := c.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName:    aws.String(group),
		RetentionInDays: aws.Int32(int32(days)),
	})
	if err != nil {
		c.checkCredentials(err)
		return fmt.Errorf("put retention policy %q: %w", group, err)
	}
	return nil
}

// userAgentPrefix puts our product token in front of the SDK's User-Agent.
type userAgentPrefix string

func addUserAgentPrefix(ua string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(userAgentPrefix(ua), middleware.Before)
	}
}

func (userAgentPrefix) ID() string { return "LogwardenUserAgent" }

func (p userAgentPrefix) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		if cur := req.Header.Get("User-Agent"); cur != "" {
			req.Header.Set("User-Agent", string(p)+" "+cur)
		} else {
			req.Header.Set("User-Agent", string(p))
		}
	}
	return next.HandleFinalize(ctx, in)
}
