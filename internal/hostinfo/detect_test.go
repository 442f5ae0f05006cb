package hostinfo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

const testToken = "test-token-AAAA"

// fakeIMDS serves the instance metadata paths Detect reads, on 127.0.0.1. With
// v2only it refuses requests without the session token, as an instance that
// requires IMDSv2 does.
type fakeIMDS struct {
	v2only   bool
	v1only   bool          // the token endpoint is absent, as on an IMDSv1-only host
	status   int           // when non-zero, every answer has this status
	delay    time.Duration // added before every answer
	requests atomic.Int32
}

func (f *fakeIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
		if f.v1only {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		_, _ = w.Write([]byte(testToken))
		return
	}
	if f.v2only && r.Header.Get("X-Aws-Ec2-Metadata-Token") != testToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/latest/dynamic/instance-identity/document":
		_, _ = w.Write([]byte(`{"accountId":"123456789012","architecture":"x86_64","availabilityZone":"ap-northeast-2a",
			"imageId":"ami-0abc","instanceId":"i-0123456789abcdef0","instanceType":"t3.micro","privateIp":"10.1.2.3",
			"region":"ap-northeast-2","version":"2017-09-30","pendingTime":"2026-11-01T00:00:00Z"}`))
	case "/latest/meta-data/hostname":
		_, _ = w.Write([]byte("ip-10-1-2-3.ap-northeast-2.compute.internal\n"))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func startIMDS(t *testing.T, f *fakeIMDS) imds.Options {
	t.Helper()
	srv := httptest.NewServer(f) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return imds.Options{Endpoint: srv.URL}
}

func TestDetect_IMDS(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	for _, f := range []*fakeIMDS{{v2only: true}, {v1only: true}} {
		checkIMDS(t, detect(context.Background(), false, startIMDS(t, f), 5*time.Second))
	}
}

func checkIMDS(t *testing.T, info Info) {
	t.Helper()
	want := Info{
		InstanceID: "i-0123456789abcdef0",
		Hostname:   "ip-10-1-2-3.ap-northeast-2.compute.internal",
		IPAddress:  "10.1.2.3",
		Region:     "ap-northeast-2",
		AccountID:  "123456789012",
		OnEC2:      true,
	}
	want.LocalHostname = info.LocalHostname
	if info != want {
		t.Errorf("detect = %+v\nwant     %+v", info, want)
	}
	if h, _ := os.Hostname(); h != "" && info.LocalHostname != h {
		t.Errorf("LocalHostname = %q, want the OS hostname %q", info.LocalHostname, h)
	}
}

func TestDetect_Skipped(t *testing.T) {
	tests := []struct {
		name     string
		onPrem   bool
		disabled string
	}{
		{"on premises", true, ""},
		{"AWS_EC2_METADATA_DISABLED", false, "true"},
		{"AWS_EC2_METADATA_DISABLED any case", false, "TRUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_EC2_METADATA_DISABLED", tt.disabled)
			f := &fakeIMDS{}
			info := detect(context.Background(), tt.onPrem, startIMDS(t, f), 5*time.Second)
			if n := f.requests.Load(); n != 0 {
				t.Errorf("%d metadata requests, want none", n)
			}
			checkLocal(t, info)
		})
	}
}

func TestDetect_Fallbacks(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	tests := []struct {
		name string
		f    *fakeIMDS
	}{
		{"server errors", &fakeIMDS{status: http.StatusInternalServerError}},
		{"not found", &fakeIMDS{status: http.StatusNotFound}},
		{"too slow", &fakeIMDS{delay: 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const timeout = 200 * time.Millisecond
			start := time.Now()
			info := detect(context.Background(), false, startIMDS(t, tt.f), timeout)
			// Detect must give up at its deadline; allow slack for a loaded machine.
			if d := time.Since(start); d > timeout+2*time.Second {
				t.Errorf("detect took %v with a %v deadline", d, timeout)
			}
			if tt.f.requests.Load() == 0 {
				t.Error("no metadata request was made")
			}
			checkLocal(t, info)
		})
	}
}

// checkLocal checks an Info built without instance metadata.
func checkLocal(t *testing.T, info Info) {
	t.Helper()
	if info.OnEC2 {
		t.Error("OnEC2 = true")
	}
	if info.InstanceID != UnknownInstanceID || info.Region != UnknownRegion || info.AccountID != UnknownAccount {
		t.Errorf("instance fields = %q %q %q, want the UNKNOWN fallbacks", info.InstanceID, info.Region, info.AccountID)
	}
	if info.Hostname != info.LocalHostname || info.Hostname == "" {
		t.Errorf("Hostname = %q, LocalHostname = %q; want the OS hostname in both", info.Hostname, info.LocalHostname)
	}
	if ip := firstIPv4(); ip != "" && info.IPAddress != ip || ip == "" && info.IPAddress != UnknownIP {
		t.Errorf("IPAddress = %q, want %q (or %s)", info.IPAddress, ip, UnknownIP)
	}
}

// TestDetect_Cached checks that Detect answers from memory the second time.
// Only the on-premises path is used: a test must not reach the real metadata
// address.
func TestDetect_Cached(t *testing.T) {
	first := Detect(context.Background(), true)
	checkLocal(t, first)
	detected.mu.Lock()
	cached := detected.infos[true]
	cached.LocalHostname = "from-cache"
	detected.infos[true] = cached
	detected.mu.Unlock()
	t.Cleanup(func() {
		detected.mu.Lock()
		delete(detected.infos, true)
		detected.mu.Unlock()
	})
	if got := Detect(context.Background(), true); got.LocalHostname != "from-cache" {
		t.Errorf("second Detect = %+v, want the cached answer", got)
	}
}
