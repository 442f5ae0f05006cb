package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// compileTicket compiles change_ticket_pattern.
func compileTicket(pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("compile pattern: %w", err)
	}
	return re, nil
}

// TicketRE returns the compiled change ticket pattern, or nil when unset.
func (p *Policy) TicketRE() *regexp.Regexp {
	if p.ChangeTicketPattern == "" {
		return nil
	}
	re, err := compileTicket(p.ChangeTicketPattern)
	if err != nil {
		return nil
	}
	return re
}

// Commented writes the policy as JSON with a // comment line before every
// field, in Korean (lang "ko") or English ("en"). Load reads it back.
func (p *Policy) Commented(lang string) []byte {
	var b bytes.Buffer
	if lang == "en" {
		b.WriteString("// logwarden review policy: the written log review criteria (ISMS-P 2.9.5, KISA U-43).\n")
		b.WriteString("// Edit and pass with --policy FILE. Lines starting with // are comments.\n")
	} else {
		b.WriteString("// logwarden 로그 검토기준 정책 파일 (ISMS-P 2.9.5 로그 검토기준, KISA U-43).\n")
		b.WriteString("// 수정 후 --policy FILE 로 지정. // 로 시작하는 줄은 주석.\n")
	}
	writeValue(&b, reflect.ValueOf(*p), "", lang)
	b.WriteByte('\n')
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v reflect.Value, indent, lang string) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		b.WriteString("{\n")
		in := indent + "  "
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if c := f.Tag.Get(lang); c != "" {
				fmt.Fprintf(b, "%s// %s\n", in, c)
			}
			fmt.Fprintf(b, "%s%q: ", in, name)
			writeValue(b, v.Field(i), in, lang)
			if i < t.NumField()-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case reflect.Slice:
		if v.Len() == 0 {
			b.WriteString("[]")
			return
		}
		if v.Type().Elem().Kind() == reflect.Struct {
			b.WriteString("[\n")
			in := indent + "  "
			for i := 0; i < v.Len(); i++ {
				raw, _ := json.Marshal(v.Index(i).Interface())
				b.WriteString(in)
				b.Write(raw)
				if i < v.Len()-1 {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
			}
			b.WriteString(indent + "]")
			return
		}
		raw, _ := json.Marshal(v.Interface())
		b.Write(raw)
	default:
		raw, _ := json.Marshal(v.Interface())
		b.Write(raw)
	}
}
