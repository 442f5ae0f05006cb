package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths.
func selfSigned(t *testing.T) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "logwarden test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, keyPath
}

// TestRunTLSAndShutdown starts Run with TLS, uses it through the SDK, cancels
// the context and checks Run returns and the data survives a second Run.
func TestRunTLSAndShutdown(t *testing.T) {
	cert, key := selfSigned(t)
	dir := filepath.Join(t.TempDir(), "data")
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for round := 0; round < 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		addrc := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Options{Listen: "127.0.0.1:0", DataDir: dir, TLSCert: cert, TLSKey: key},
				func(a string) { addrc <- a })
		}()
		var addr string
		select {
		case addr = <-addrc:
		case err := <-done:
			t.Fatalf("Run: %v", err)
		}
		c := cwl.New(cwl.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://" + addr), HTTPClient: hc,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""), RetryMaxAttempts: 1})
		if round == 0 {
			must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/tls")}))(t)
		} else {
			out := must(c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{}))(t)
			if len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != "/tls" {
				t.Fatalf("after restart: %+v", out.LogGroups)
			}
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run after cancel: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

func TestRunRefusesNonLoopbackWithoutAuth(t *testing.T) {
	err := Run(context.Background(), Options{Listen: "0.0.0.0:0", DataDir: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), "--insecure-listen-anywhere") {
		t.Fatalf("Run on 0.0.0.0 without auth: %v", err)
	}
}
