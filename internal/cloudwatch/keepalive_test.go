package cloudwatch

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// TestPutLogEvents_KeepsConnection sends many small batches to a fast local
// endpoint and checks that one keep-alive connection carries them all and
// that no call fails. With the SDK's request body as it is, net/http's
// write loop can meet the body already closed by smithy-go once the answer
// arrived, and then closes the connection under the 200 being read: the
// batch was stored but the call fails, and the pipeline sends it again.
func TestPutLogEvents_KeepsConnection(t *testing.T) {
	ts := newTestServer(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/logwarden-test")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/logwarden-test")
	var dials atomic.Int64
	d := &net.Dialer{}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, n, a string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, n, a)
		}
	})
	cl, err := New(context.Background(), Config{
		Region: "us-east-1", Endpoint: ts.srv.URL, HTTPClient: hc,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := cl.CreateLogGroup(ctx, "/g", ""); err != nil {
		t.Fatal(err)
	}
	if err := cl.CreateLogStream(ctx, "/g", "s"); err != nil {
		t.Fatal(err)
	}
	const calls = 2000
	failed := 0
	for i := range calls {
		if _, err := cl.PutLogEvents(ctx, "/g", "s", []Event{{Timestamp: int64(i + 1), Message: "x"}}); err != nil {
			failed++
			if failed == 1 {
				t.Logf("first failure: %v", err)
			}
		}
	}
	if failed > 0 || dials.Load() != 1 {
		t.Fatalf("%d of %d PutLogEvents failed, %d connections dialed (want 0 and 1)", failed, calls, dials.Load())
	}
}
