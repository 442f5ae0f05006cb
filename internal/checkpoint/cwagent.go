package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CWAgentStateDir is where the Amazon CloudWatch Agent keeps its per-file
// offsets on Linux (file_state_folder).
const CWAgentStateDir = "/opt/aws/amazon-cloudwatch-agent/logs/state"

// maxCWAgentState bounds a CloudWatch Agent state file (why: it holds an
// offset, a path of at most 4 KiB and at most a few thousand ranges).
const maxCWAgentState = 1 << 20

// CWAgentState is one CloudWatch Agent state file: the acknowledged offset
// of a file and its path.
type CWAgentState struct {
	Offset int64
	Path   string
}

// CWAgentStateName is the state file name the CloudWatch Agent uses for
// path: "/", " " and ":" become "_".
func CWAgentStateName(path string) string {
	return strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(path)
}

// ParseCWAgentState decodes a CloudWatch Agent state file: line 1 the offset,
// line 2 the file path, an optional line 3 of ranges ("0-1234,2000-2100").
// With ranges, the offset used is the end of the first range that starts at
// 0 (everything before a gap was acknowledged).
func ParseCWAgentState(data []byte) (CWAgentState, error) {
	if len(data) > maxCWAgentState {
		return CWAgentState{}, fmt.Errorf("parse cloudwatch agent state: %d bytes is over %d", len(data), maxCWAgentState)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\r\n"), "\n")
	if len(lines) < 2 {
		return CWAgentState{}, errors.New("parse cloudwatch agent state: want an offset line and a path line")
	}
	off, err := strconv.ParseInt(strings.TrimSpace(lines[0]), 10, 64)
	if err != nil || off < 0 {
		return CWAgentState{}, fmt.Errorf("parse cloudwatch agent state: offset %q is not a non-negative integer", lines[0])
	}
	st := CWAgentState{Offset: off, Path: strings.TrimRight(lines[1], "\r")}
	if st.Path == "" {
		return CWAgentState{}, errors.New("parse cloudwatch agent state: empty path")
	}
	if len(lines) >= 3 && strings.TrimSpace(lines[2]) != "" {
		first := strings.SplitN(strings.TrimSpace(lines[2]), ",", 2)[0]
		a, b, ok := strings.Cut(first, "-")
		start, err1 := strconv.ParseInt(a, 10, 64)
		end, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || start < 0 || end < start {
			return CWAgentState{}, fmt.Errorf("parse cloudwatch agent state: range %q is not start-end", first)
		}
		if start == 0 && end < st.Offset {
			st.Offset = end // a gap after the first range: resume at the gap
		} else if start > 0 {
			st.Offset = 0
		}
	}
	return st, nil
}

// ReadCWAgentState reads the CloudWatch Agent's state for path from dir. It
// returns ok=false when there is none or it names another path.
func ReadCWAgentState(dir, path string) (CWAgentState, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, CWAgentStateName(path)))
	if errors.Is(err, fs.ErrNotExist) {
		return CWAgentState{}, false, nil
	}
	if err != nil {
		return CWAgentState{}, false, fmt.Errorf("read cloudwatch agent state: %w", err)
	}
	st, err := ParseCWAgentState(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))
	if err != nil {
		return CWAgentState{}, false, err
	}
	return st, st.Path == path, nil
}
