package pipeline

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/logwarden/logwarden/internal/cloudwatch"
	"github.com/logwarden/logwarden/internal/testutil"
)

// TestPipeline_Moto ships through the real client into moto_server, a
// third-party CloudWatch Logs emulator: the group and stream are created on
// demand from moto's own ResourceNotFoundException, and every event is read
// back. moto does not decompress request bodies, so this runs uncompressed.
func TestPipeline_Moto(t *testing.T) {
	if testing.Short() {
		t.Skip("moto_server takes seconds to start")
	}
	moto := testutil.Peer(t, "moto_server", "pip install 'moto[server]'")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(moto, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("moto_server did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	cl, err := cloudwatch.New(ctx, cloudwatch.Config{
		Region: "us-east-1", Endpoint: "http://" + addr, Compression: cloudwatch.CompressionNone,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := New(cl, quick())
	dst := Destination{Group: "/moto/app", Stream: "i-0123", RetentionDays: 14}
	acks := newAckLog(t, "moto")
	base := time.Now().Add(-time.Minute).UnixMilli()
	var want []string
	for i := range 2500 {
		msg := fmt.Sprintf("moto line %04d \"q\" \\ 한글", i)
		want = append(want, msg)
		if err := p.Put(ctx, dst, Event{Timestamp: base + int64(i%500), Message: msg, Acker: acks, Offset: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, p)
	if acks.last() != 2500 {
		t.Errorf("last ack %d, want 2500", acks.last())
	}
	st := p.Stats()
	if st.CreatedGroups != 1 || st.Events != 2500 {
		t.Errorf("CreatedGroups=%d Events=%d, want 1 2500", st.CreatedGroups, st.Events)
	}
	eventually(t, "retention", func() bool {
		out, err := cl.Logs().DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(dst.Group)})
		return err == nil && len(out.LogGroups) == 1 && aws.ToInt32(out.LogGroups[0].RetentionInDays) == 14
	})
	closeP(t, p)
	var got []string
	pager := cwl.NewGetLogEventsPaginator(cl.Logs(), &cwl.GetLogEventsInput{
		LogGroupName: aws.String(dst.Group), LogStreamName: aws.String(dst.Stream), StartFromHead: aws.Bool(true),
	}, func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for pager.HasMorePages() {
		out, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			got = append(got, aws.ToString(e.Message))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("moto holds %d events, want %d, exactly once", len(got), len(want))
	}
}
