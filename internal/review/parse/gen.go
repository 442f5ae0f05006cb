package parse

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"time"
)

// syntheticMsgs is the message mix of WriteSyntheticAuthLog: brute force,
// invalid users, logins, PAM, cron, sudo, logind and firewall noise.
var syntheticMsgs = []string{
	"sshd[%d]: Failed password for root from 198.51.100.%d port %d ssh2",
	"sshd[%d]: Invalid user admin%d from 203.0.113.%d port 22",
	"sshd[%d]: Accepted publickey for alice from 192.0.2.%d port %d ssh2: ED25519 SHA256:q1w2e3r4t5y6u7i8o9p0AaSsDdFfGgHhJjKkLlZzXxC",
	"sshd[%d]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=%d)%.0d",
	"sshd[%d]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.%d  user=root%.0d",
	"CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 %d %d)",
	"sudo[%d]:   alice : TTY=pts/%d ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx%.0d",
	"systemd-logind[%d]: New session %d of user alice.%.0d",
	"sshd[%d]: Connection closed by authenticating user root 198.51.100.%d port %d [preauth]",
	"kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00 SRC=198.51.100.%d DST=192.0.2.1 LEN=40 PROTO=TCP SPT=%d DPT=%d",
}

// WriteSyntheticAuthLog writes about size bytes of a realistic RFC 3164
// auth.log (host web01, UTC, starting 2026-11-01, a line every 0-300 ms)
// for benchmarks; the same seed gives the same bytes.
func WriteSyntheticAuthLog(w io.Writer, size int64, seed int64) error {
	rng := rand.New(rand.NewSource(seed))
	bw := bufio.NewWriterSize(w, 1<<20)
	t := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var n int64
	for n < size {
		t = t.Add(time.Duration(rng.Intn(300)) * time.Millisecond)
		m := syntheticMsgs[rng.Intn(len(syntheticMsgs))]
		var line string
		if strings.HasPrefix(m, "kernel") {
			line = fmt.Sprintf("%s web01 "+m+"\n", t.Format(time.Stamp), rng.Intn(255), rng.Intn(65535), rng.Intn(1024))
		} else {
			line = fmt.Sprintf("%s web01 "+m+"\n", t.Format(time.Stamp), rng.Intn(99999), rng.Intn(255), rng.Intn(65535))
		}
		k, err := bw.WriteString(line)
		n += int64(k)
		if err != nil {
			return fmt.Errorf("write synthetic auth.log: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write synthetic auth.log: %w", err)
	}
	return nil
}
