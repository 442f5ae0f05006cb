package decode

import (
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/config"
)

const syslogLine = "Nov 26 05:09:04 ip-10-0-0-1 sshd[12345]: Accepted publickey for ec2-user from 10.0.0.2 port 50000 ssh2: RSA SHA256:abcdefghijk"

func benchProcessor(b *testing.B, opts Options) {
	p, err := NewProcessor(opts)
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(syslogLine)
	now := time.Now()
	var n int
	emit := func(ts int64, msg string, end int64, skip bool) error { n += len(msg); return nil }
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	b.ResetTimer()
	var off int64
	for i := 0; i < b.N; i++ {
		if err := p.Line(line, off, off+int64(len(line))+1, false, now, emit); err != nil {
			b.Fatal(err)
		}
		off += int64(len(line)) + 1
	}
}

// BenchmarkProcessor measures decode per line: the default start pattern
// (no regexp), a timestamp_format, a custom start regexp, and a legacy encoding.
func BenchmarkProcessor(b *testing.B) {
	b.Run("Default", func(b *testing.B) {
		benchProcessor(b, Options{MultiLineStartPattern: config.DefaultMultiLineStartPattern})
	})
	b.Run("Timestamp", func(b *testing.B) {
		benchProcessor(b, Options{MultiLineStartPattern: config.DefaultMultiLineStartPattern, TimestampFormat: "%b %d %H:%M:%S"})
	})
	b.Run("StartRegexp", func(b *testing.B) {
		benchProcessor(b, Options{MultiLineStartPattern: `^[A-Z][a-z]{2} `})
	})
	b.Run("Latin1", func(b *testing.B) {
		benchProcessor(b, Options{MultiLineStartPattern: config.DefaultMultiLineStartPattern, Encoding: "latin1"})
	})
}
