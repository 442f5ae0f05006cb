package query

import (
	"slices"
	"strings"
	"testing"
)

// FuzzCompileFilter checks that no pattern makes the compiler or the
// matcher panic, and that a compiled filter is consistent: Match and
// MatchBytes agree, recompiling gives the same answer, every literal is in
// every matching message, and the empty-pattern shortcut holds.
func FuzzCompileFilter(f *testing.F) {
	for _, p := range []string{
		"", "ERROR", `ERROR "disk full" ?a ?b -c`, "%AUTHORIZED%", `%\d+%`,
		`{ $.eventType = "UpdateTrail" }`, `{ ($.user.id = 2 && $.users[0].email = "x") || $.actions[2] = "GET" }`,
		`{ $.a IS NULL || $.b NOT EXISTS || $.c IS TRUE }`, `{ $.m = %ERROR|WARN% }`, `{ $.n >= -1.5 }`,
		"[ip, user, username, timestamp, request = \"*html*\", status_code = 4*, bytes]",
		"[..., status_code = 404 || status_code = 410, bytes]", "[ip, ..., request = %GET%, ...]",
		`"unterminated`, "{ $.a = ", "[a,", "%(x)%",
	} {
		for _, m := range []string{"", clf, jsonCloudTrail, "ERROR disk full", `["a",1,{"b":null}]`} {
			f.Add(p, m)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		flt, err := CompileFilter(pattern)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("CompileFilter(%q) error %T, want *SyntaxError", pattern, err)
			}
			return
		}
		got := flt.Match(message)
		if b := flt.MatchBytes([]byte(message)); b != got {
			t.Fatalf("Match=%v MatchBytes=%v for %q on %q", got, b, pattern, message)
		}
		if _, ok := flt.Extract(message); ok != got {
			t.Fatalf("Extract ok=%v but Match=%v for %q on %q", ok, got, pattern, message)
		}
		// The literal pre-check only ever skips work.
		switch flt.kind {
		case kindJSON:
			if full := matchJSON(flt.json, message); full != got {
				t.Fatalf("Match=%v but the full JSON evaluation says %v for %q on %q", got, full, pattern, message)
			}
		case kindSpace:
			if full := flt.space.match(message); full != got {
				t.Fatalf("Match=%v but the full evaluation says %v for %q on %q", got, full, pattern, message)
			}
		}
		again, err := CompileFilter(flt.String())
		if err != nil {
			t.Fatalf("recompile %q: %v", pattern, err)
		}
		if again.Match(message) != got {
			t.Fatalf("recompiled filter disagrees for %q on %q", pattern, message)
		}
		if got {
			for _, l := range flt.Literals() {
				if !strings.Contains(message, l) {
					t.Fatalf("message %q matches %q but lacks literal %q", message, pattern, l)
				}
			}
		}
		if flt.MatchAll() && !got {
			t.Fatalf("MatchAll filter %q rejected %q", pattern, message)
		}
	})
}

// FuzzMatch fixes a few patterns of each syntax and fuzzes the message,
// checking the matcher against simple independent oracles where one exists.
func FuzzMatch(f *testing.F) {
	for _, m := range []string{"", clf, jsonCloudTrail, jsonOther, "ERROR disk full", `{"a":[1,{"b":"x"}]}`, `{"a":`, "[x", `"q`} {
		f.Add(m)
	}
	terms := mustCompile(f, `ERROR ?disk ?net -debug`)
	jsonValidF := mustCompile(f, `{ $.a NOT EXISTS || $.a = "*" }`)
	others := []*Filter{
		mustCompile(f, `{ $.a[1].b = "x" && $.eventType != "y*" }`),
		mustCompile(f, `{ $.latency <= 500 || $.message = %ERR% }`),
		mustCompile(f, "[ip, ..., status = 4* || status > 499, bytes]"),
		mustCompile(f, "[..., a = %x%, ...]"),
		mustCompile(f, "%^[A-Z]+ d%"),
	}
	f.Fuzz(func(t *testing.T, m string) {
		want := strings.Contains(m, "ERROR") && !strings.Contains(m, "debug") &&
			(strings.Contains(m, "disk") || strings.Contains(m, "net"))
		if got := terms.Match(m); got != want {
			t.Fatalf("terms.Match(%q) = %v, want %v", m, got, want)
		}
		// "a missing or present" holds exactly for every JSON message.
		if got, want := jsonValidF.Match(m), jsonValid(m); got != want {
			t.Fatalf("JSON tautology on %q = %v, want %v (json validity)", m, got, want)
		}
		for _, flt := range others {
			flt.Match(m)
		}
	})
}

func mustCompile(tb testing.TB, p string) *Filter {
	tb.Helper()
	f, err := CompileFilter(p)
	if err != nil {
		tb.Fatalf("CompileFilter(%q): %v", p, err)
	}
	return f
}

// FuzzMessageFields checks that field discovery never panics and that every
// field it reports is one a query reads from that message.
func FuzzMessageFields(f *testing.F) {
	for _, m := range []string{jsonCloudTrail, jsonOther, `{"a":[1,{"b":"x"}],"c":{"d":null}}`, `{"a":`, "plain", `{"a.b":1,"a":{"b":2}}`, `{"":1}`} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		fields := MessageFields(msg, 50)
		if len(fields) > 50 || !slices.IsSorted(fields) || len(slices.Compact(slices.Clone(fields))) != len(fields) {
			t.Fatalf("MessageFields(%q) = %q: not a sorted set of at most 50", msg, fields)
		}
		r := &record{ev: &Event{Message: msg}}
		for _, name := range fields {
			if r.jsonField(name).k == kNull {
				t.Fatalf("MessageFields(%q) reports %q, which a query does not find", msg, name)
			}
		}
	})
}
