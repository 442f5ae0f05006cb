package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logwarden/logwarden/internal/hostinfo"
)

// samplesDir finds the CloudWatch Agent's sample configs: LOGWARDEN_CWAGENT_SAMPLES,
// else the shared copy beside the project. It skips the test when neither exists.
func samplesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LOGWARDEN_CWAGENT_SAMPLES")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "cwagent-samples")
	}
	if _, err := os.Stat(filepath.Join(dir, "sampleSchema")); err != nil {
		t.Skipf("CloudWatch Agent sample configs not found in %s (set LOGWARDEN_CWAGENT_SAMPLES to the directory holding sampleSchema/ of aws/amazon-cloudwatch-agent's translator/config): %v", dir, err)
	}
	return dir
}

// TestCWAgentSampleSchema checks logwarden's verdict on the CloudWatch Agent's
// own schema samples: valid*.json accepted, invalid*.json rejected.
func TestCWAgentSampleSchema(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "sampleSchema")
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(p)
			switch {
			case strings.HasPrefix(name, "valid"):
				if err != nil {
					t.Fatalf("rejected a valid sample:\n%v", err)
				}
				if _, err := cfg.Sources(testInfo, false); err != nil {
					t.Fatalf("Sources: %v", err)
				}
			case strings.HasPrefix(name, "invalid"):
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("accepted an invalid sample (err %v)", err)
				}
				for _, p := range ve.Problems {
					if p.Path == "" || p.File == "" {
						t.Errorf("problem without path or file: %+v", p)
					}
				}
				t.Logf("%v", err)
			default:
				t.Skip("neither valid nor invalid")
			}
		})
	}
}

var testInfo = hostinfo.Info{
	InstanceID:    "i-0123456789abcdef0",
	Hostname:      "ip-10-0-0-5.ap-northeast-2.compute.internal",
	LocalHostname: "web-1",
	IPAddress:     "10.0.0.5",
	Region:        "ap-northeast-2",
	AccountID:     "123456789012",
	OnEC2:         true,
}
