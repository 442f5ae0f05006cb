package query

import (
	"strconv"
	"testing"
)

// appJSON is a typical structured application log line, without escapes.
const appJSON = `{"time":"2026-11-26T05:08:26.123Z","level":"INFO","msg":"request served","method":"GET",` +
	`"path":"/api/v1/items","status":200,"latency":12,"user":"kim","trace":"4bf92f3577b34da6a3ce929d0e0e4736"}`

// BenchmarkMatch measures Match per message for each syntax; SetBytes
// makes the MB/s column the matching throughput.
func BenchmarkMatch(b *testing.B) {
	syslog := "Nov 26 05:08:26 ip-10-0-0-1 sshd[1234]: Accepted publickey for ec2-user from 10.0.0.2 port 50022 ssh2: RSA SHA256:abc"
	for _, bc := range []struct {
		name, pattern, msg string
	}{
		{"term_miss", "ERROR", syslog},
		{"terms_hit", `sshd Accepted "ec2-user from" ?publickey ?password -Failed`, syslog},
		{"regex", `%port \d+ ssh2%`, syslog},
		{"json", `{ $.eventType = "UpdateTrail" && $.latency <= 500 && $.objectList[1].id = 2 }`, jsonCloudTrail},
		{"json_miss_value", `{ $.level = "ERROR" && $.latency > 500 }`, appJSON},
		{"json_miss_nonjson", `{ $.eventType = "UpdateTrail" }`, syslog},
		{"space", `[ip, user, username, timestamp, request = "*html*", status_code = 4*, bytes > 1000]`, clf},
		{"space_ellipsis", `[..., status_code = 404 || status_code = 410, bytes]`, clf},
	} {
		f, err := CompileFilter(bc.pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.msg)))
			for b.Loop() {
				f.Match(bc.msg)
			}
		})
	}
}

// BenchmarkMatchMillion runs one term filter over 1,000,000 distinct
// messages, the FilterLogEvents budget (under 1 s including the store).
func BenchmarkMatchMillion(b *testing.B) {
	msgs := make([]string, 1_000_000)
	for i := range msgs {
		lvl := "INFO"
		if i%1000 == 0 {
			lvl = "ERROR"
		}
		msgs[i] = "2026-11-26T05:08:26Z " + lvl + " request " + strconv.Itoa(i) + " served in 12ms path=/api/v1/items"
	}
	f, err := CompileFilter(`ERROR "request" -timeout`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, m := range msgs {
			if f.Match(m) {
				n++
			}
		}
		if n != 1000 {
			b.Fatalf("matched %d, want 1000", n)
		}
	}
}
