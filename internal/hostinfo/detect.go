package hostinfo

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// DetectTimeout bounds all instance metadata calls together, so that a host
// off EC2 (where the metadata address does not answer) starts at most this
// much later.
const DetectTimeout = time.Second

// Detect finds this host's Info. Unless onPrem is set or the environment has
// AWS_EC2_METADATA_DISABLED=true, it asks the EC2 instance metadata service
// (IMDSv2, falling back to IMDSv1 as the CloudWatch Agent does) for the
// instance identity document and the private DNS name, within DetectTimeout.
// Whatever is not found falls back to the local host or to the CloudWatch
// Agent's UNKNOWN strings.
//
// The answer is remembered for the life of the process, as the CloudWatch
// Agent resolves placeholders once per start: later calls with the same
// onPrem return at once.
func Detect(ctx context.Context, onPrem bool) Info {
	detected.mu.Lock()
	defer detected.mu.Unlock()
	if info, ok := detected.infos[onPrem]; ok {
		return info
	}
	info := detect(ctx, onPrem, imds.Options{}, DetectTimeout)
	if ctx.Err() == nil {
		detected.infos[onPrem] = info
	}
	return info
}

// detected caches Detect's answers by onPrem.
var detected = struct {
	mu    sync.Mutex
	infos map[bool]Info
}{infos: map[bool]Info{}}

func detect(ctx context.Context, onPrem bool, opts imds.Options, timeout time.Duration) Info {
	var info Info
	if h, err := os.Hostname(); err == nil && h != "" {
		info.LocalHostname = h
	}
	if !onPrem && !strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		fromIMDS(ctx, &info, opts)
		cancel()
	}
	if info.Hostname == "" {
		info.Hostname = info.LocalHostname
	}
	if info.IPAddress == "" {
		info.IPAddress = firstIPv4()
	}
	fill(&info.InstanceID, UnknownInstanceID)
	fill(&info.Hostname, UnknownHost)
	fill(&info.LocalHostname, UnknownHost)
	fill(&info.IPAddress, UnknownIP)
	fill(&info.Region, UnknownRegion)
	fill(&info.AccountID, UnknownAccount)
	return info
}

func fill(s *string, fallback string) {
	if *s == "" {
		*s = fallback
	}
}

// fromIMDS fills info from the instance metadata service.
func fromIMDS(ctx context.Context, info *Info, opts imds.Options) {
	opts.Retryer = aws.NopRetryer{}
	// The context carries the deadline; the client's own 5 s must not add to it.
	opts.DisableDefaultTimeout = true
	client := imds.New(opts)
	doc, err := client.GetInstanceIdentityDocument(ctx, &imds.GetInstanceIdentityDocumentInput{})
	if err != nil {
		slog.Debug("instance identity document unavailable", "err", err)
		return
	}
	info.OnEC2 = true
	info.InstanceID = doc.InstanceID
	info.Region = doc.Region
	info.AccountID = doc.AccountID
	info.IPAddress = doc.PrivateIP
	out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: "hostname"})
	if err != nil {
		slog.Debug("instance hostname unavailable", "err", err)
		return
	}
	defer out.Content.Close()
	// maxHostnameLen bounds what is read of the hostname answer (a DNS name
	// is at most 253 characters).
	const maxHostnameLen = 1024
	b, err := io.ReadAll(io.LimitReader(out.Content, maxHostnameLen))
	if err != nil {
		slog.Debug("read instance hostname", "err", err)
		return
	}
	info.Hostname = strings.TrimSpace(string(b))
}

// firstIPv4 returns the first non-loopback IPv4 address of this host, in
// the order the system lists its addresses, as the CloudWatch Agent picks it.
func firstIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
			if ip4 := ipn.IP.To4(); ip4 != nil {
				return ip4.String()
			}
		}
	}
	return ""
}
