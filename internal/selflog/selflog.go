// Package selflog sets up logwarden's own log: slog to stderr, or to a file
// that rotates itself by size (agent.logfile), so the agent never fills a disk
// with its own messages.
package selflog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Limits of the self-rotating log file.
const (
	// DefaultMaxBytes is the size at which the log file is rotated.
	DefaultMaxBytes = 100 << 20
	// DefaultBackups is how many rotated files (NAME.1 ... NAME.N) are kept.
	DefaultBackups = 5
)

// RotatingFile is an io.Writer to a file that is renamed to NAME.1 (and older
// ones shifted) once it reaches MaxBytes.
type RotatingFile struct {
	Path     string
	MaxBytes int64
	Backups  int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenRotating opens (appending) the log file at path.
func OpenRotating(path string, maxBytes int64, backups int) (*RotatingFile, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if backups < 0 {
		backups = DefaultBackups
	}
	r := &RotatingFile{Path: path, MaxBytes: maxBytes, Backups: backups}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first if p would take the file past MaxBytes.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size > 0 && r.size+int64(len(p)) > r.MaxBytes {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *RotatingFile) rotate() error {
	r.f.Close()
	if r.Backups == 0 {
		os.Remove(r.Path)
	} else {
		for i := r.Backups - 1; i >= 1; i-- {
			os.Rename(fmt.Sprintf("%s.%d", r.Path, i), fmt.Sprintf("%s.%d", r.Path, i+1))
		}
		os.Rename(r.Path, r.Path+".1")
	}
	return r.open()
}

// Close closes the file.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Close()
}

// ParseLevel maps the CloudWatch Agent's level names (and slog's) to a level;
// "OFF" returns ok=true with off=true.
func ParseLevel(s string) (lvl slog.Level, off bool, err error) {
	switch strings.ToUpper(s) {
	case "", "INFO":
		return slog.LevelInfo, false, nil
	case "DEBUG", "TRACE":
		return slog.LevelDebug, false, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, false, nil
	case "ERROR":
		return slog.LevelError, false, nil
	case "OFF":
		return slog.LevelError, true, nil
	}
	return 0, false, fmt.Errorf("unknown log level %q: want DEBUG, INFO, WARN, ERROR or OFF", s)
}

// New returns a text logger at level writing to path (rotating), or to
// stderr when path is "". The returned closer closes the file.
func New(path string, level slog.Level, off bool, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	if off {
		return slog.New(slog.DiscardHandler), io.NopCloser(nil), nil
	}
	var w io.Writer = stderr
	var c io.Closer = io.NopCloser(nil)
	if path != "" {
		rf, err := OpenRotating(path, DefaultMaxBytes, DefaultBackups)
		if err != nil {
			return nil, nil, err
		}
		w, c = rf, rf
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), c, nil
}
