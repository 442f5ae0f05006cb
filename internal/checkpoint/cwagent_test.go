package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCWAgentState(t *testing.T) {
	cases := []struct {
		in   string
		want CWAgentState
		err  string
	}{
		{"1234\n/var/log/messages\n", CWAgentState{1234, "/var/log/messages"}, ""},
		{"1234\n/var/log/messages", CWAgentState{1234, "/var/log/messages"}, ""},
		{"1234\n/var/log/messages\n0-1234\n", CWAgentState{1234, "/var/log/messages"}, ""},
		{"1200\n/var/log/messages\n0-500,900-1200\n", CWAgentState{500, "/var/log/messages"}, ""},
		{"1200\n/var/log/messages\n100-1200\n", CWAgentState{0, "/var/log/messages"}, ""},
		{"abc\n/x\n", CWAgentState{}, `offset "abc" is not a non-negative integer`},
		{"-1\n/x\n", CWAgentState{}, "is not a non-negative integer"},
		{"12\n", CWAgentState{}, "want an offset line and a path line"},
		{"12\n/x\n5-\n", CWAgentState{}, `range "5-" is not start-end`},
	}
	for _, tc := range cases {
		got, err := ParseCWAgentState([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseCWAgentState(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseCWAgentState(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestReadCWAgentState(t *testing.T) {
	dir := t.TempDir()
	if got := CWAgentStateName("/var/log/my app:1.log"); got != "_var_log_my_app_1.log" {
		t.Fatalf("CWAgentStateName = %q", got)
	}
	os.WriteFile(filepath.Join(dir, "_var_log_a.log"), []byte("42\n/var/log/a.log\n"), 0o644)
	st, ok, err := ReadCWAgentState(dir, "/var/log/a.log")
	if err != nil || !ok || st.Offset != 42 {
		t.Fatalf("ReadCWAgentState = %+v %v %v", st, ok, err)
	}
	if _, ok, err := ReadCWAgentState(dir, "/var/log/none.log"); ok || err != nil {
		t.Errorf("missing state: ok=%v err=%v", ok, err)
	}
	// "/var/log/a_log" escapes to a different name; a colliding name with another path is not used.
	os.WriteFile(filepath.Join(dir, "_var_log_b_c"), []byte("7\n/var/log/b:c\n"), 0o644)
	if _, ok, _ := ReadCWAgentState(dir, "/var/log/b/c"); ok {
		t.Errorf("state of another path accepted")
	}
}

func FuzzParseCWAgentState(f *testing.F) {
	f.Add([]byte("1234\n/var/log/messages\n0-500,900-1200\n"))
	f.Add([]byte("0\n/x"))
	f.Add([]byte("9\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseCWAgentState(data)
		if err != nil {
			return
		}
		if st.Offset < 0 || st.Path == "" {
			t.Fatalf("accepted %+v", st)
		}
	})
}
