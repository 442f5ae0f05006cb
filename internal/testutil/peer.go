// Package testutil holds helpers shared by the project's tests.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequirePeersEnv, when set to 1, turns a missing peer tool into a test failure
// instead of a skip. CI sets it after installing the peers.
const RequirePeersEnv = "LOGWARDEN_REQUIRE_PEERS"

// PeersRequired reports whether missing peers must fail tests.
func PeersRequired() bool { return os.Getenv(RequirePeersEnv) == "1" }

// Peer returns the path of the external program name (the AWS CLI, moto_server,
// logrotate, chromium, ...). When it is not installed the test is skipped with a
// message saying how to get it, or fails if LOGWARDEN_REQUIRE_PEERS=1.
func Peer(tb testing.TB, name, howToGet string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	MissingPeer(tb, name+" not found on PATH ("+howToGet+")")
	return ""
}

// MissingPeer skips (or, with LOGWARDEN_REQUIRE_PEERS=1, fails) the test because
// a peer it needs is missing; why says what is missing and how to get it.
func MissingPeer(tb testing.TB, why string) {
	tb.Helper()
	if PeersRequired() {
		tb.Fatalf("peer required (%s=1) but missing: %s", RequirePeersEnv, why)
	}
	tb.Skipf("skipping: %s; set %s=1 to make this a failure", why, RequirePeersEnv)
}

// AWSCLIEnv names the AWS CLI to use when it is not the first `aws` on PATH
// (CI points it at Debian's AWS CLI v2 when a v1 comes first).
const AWSCLIEnv = "LOGWARDEN_AWS_CLI"

// AWSCLI returns the AWS CLI to run: $LOGWARDEN_AWS_CLI, else `aws` on PATH
// (skipping or failing the test as Peer does when there is none).
func AWSCLI(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(AWSCLIEnv); p != "" {
		return p
	}
	return Peer(tb, "aws", "apt-get install awscli")
}
