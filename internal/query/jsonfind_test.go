package query

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestJSONFind(t *testing.T) {
	doc := `{"a.b":1,"a":{"b":2,"c":[10,{"d":"x"}]},"s":"q\"uote","n":null,"t":true,"e\u0078":"esc","o":{}}`
	for _, tc := range []struct {
		name string
		want string // kind:text, or "" for missing
	}{
		{"a.b", "num:1"}, // the literal dotted key comes first in the document
		{"a.c.0", "num:10"},
		{"a.c.1.d", "str:x"},
		{"a.c.2", ""},
		{"a.c.x", ""},
		{"s", `str:q"uote`},
		{"n", "null"},
		{"t", "true"},
		{"ex", "str:esc"},
		{"o", "object"},
		{"a", "object"},
		{"zz", ""},
		{"a.", ""},
	} {
		v := jsonFind(doc, tc.name, 0)
		var got string
		switch v.kind {
		case sString:
			s, _ := v.str()
			got = "str:" + s
		case sNumber:
			got = "num:" + v.text
		case sNull:
			got = "null"
		case sTrue:
			got = "true"
		case sObject:
			got = "object"
		}
		if got != tc.want {
			t.Errorf("jsonFind(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// flattenOracle flattens a JSON object with encoding/json, the way Logs
// Insights names discovered fields: keys joined with '.', array indexes.
func flattenOracle(msg string) (map[string]string, bool) {
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, false
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(k), e)
			}
		case []any:
			for i, e := range x {
				walk(join(strconv.Itoa(i)), e)
			}
		case string:
			out[prefix] = "str:" + x
		case json.Number:
			out[prefix] = "num:" + x.String()
		case bool:
			out[prefix] = "bool:" + strconv.FormatBool(x)
		case nil:
			out[prefix] = "str:null"
		}
	}
	walk("", v)
	return out, true
}

// FuzzJSONFind compares the scanner with encoding/json on documents whose
// keys hold no dots and appear once (where the two namings agree).
func FuzzJSONFind(f *testing.F) {
	for _, s := range []string{jsonCloudTrail, jsonOther, `{"a":[1,[2,{"b":"c"}]]}`, `{"a":"\u00e9\n"}`, `{}`, `[1]`, `{"a":1,"a":2}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		want, ok := flattenOracle(msg)
		r := &record{ev: &Event{Message: msg}}
		if !ok || !jsonValid(msg) || strings.Contains(msg, ".") || strings.Contains(msg, `\`) {
			for _, name := range []string{"a", "a.0", "a.b.c"} {
				r.get(name) // must not panic
			}
			return
		}
		if dupKeys(msg) || !utf8.ValidString(msg) {
			// encoding/json keeps the last duplicate and replaces bad
			// UTF-8; the scanner takes the first and keeps bytes.
			return
		}
		for name, w := range want {
			v := r.get(name)
			var got string
			switch v.k {
			case kStr:
				got = "str:" + v.s
			case kNum:
				got = "num:" + v.s
			case kBool:
				got = "bool:" + v.text()
			}
			if got != w {
				t.Fatalf("field %q of %q = %q, want %q", name, msg, got, w)
			}
		}
	})
}

// dupKeys reports whether some object of the JSON document repeats a key
// or has an empty key (whose dotted name is ambiguous).
func dupKeys(msg string) bool {
	dec := json.NewDecoder(strings.NewReader(msg))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.keys[x] || x == "" {
					return true
				}
				top.keys[x] = true
				top.key = false
				continue
			}
			if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}
