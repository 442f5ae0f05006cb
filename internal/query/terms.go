package query

import "strings"

// termSpecial lists the characters an unquoted term may not contain: they
// belong to the other pattern syntaxes, so a term holding one is almost
// certainly a mistake. CloudWatch Logs answers such terms with "Invalid
// character(s) in term"; quoting the term ("user@x.com") always works.
const termSpecial = "\"(){}[]%&|=<>!,\\"

// parseTerms parses a term pattern from pattern[start:] into f.
//
// Plain terms before the first ?term are all required; each ?term starts
// an alternative that also takes the plain terms after it, and one
// alternative must match in full; -terms must all be absent. So
// "ERROR ?db ?cache" is ERROR and (db or cache), and
// "?ERROR MainThread ?WARN Deadlock" is (ERROR and MainThread) or (WARN
// and Deadlock): the pattern the AWS CDK writes for
// FilterPattern.anyTermGroup. For patterns whose plain terms all come
// first this is the rule "all plain terms AND (no ?terms, or one ?term)".
func parseTerms(f *Filter, pattern string, start int) error {
	i := start
	for {
		i = skipSpace(pattern, i)
		if i >= len(pattern) {
			return nil
		}
		tokStart := i
		prefix := byte(0)
		if c := pattern[i]; c == '?' || c == '-' {
			prefix = c
			i++
		}
		var term string
		var err error
		switch {
		case i >= len(pattern) || isSpace(pattern[i]):
			return syntaxErr(pattern, tokStart, "%q must be followed by a term", string(prefix))
		case pattern[i] == '"':
			term, i, err = parsePhrase(pattern, i)
			if err != nil {
				return err
			}
			if i < len(pattern) && !isSpace(pattern[i]) {
				return syntaxErr(pattern, i, "unexpected %q after closing quote; separate terms with spaces", pattern[i])
			}
		default:
			j := i
			for j < len(pattern) && !isSpace(pattern[j]) {
				c := pattern[j]
				if strings.IndexByte(termSpecial, c) >= 0 {
					if c == '%' && j == i {
						return syntaxErr(pattern, j, "a %%regex%% must be the whole pattern; it cannot be combined with terms")
					}
					return syntaxErr(pattern, j, "character %q is not allowed in an unquoted term; put the term in double quotes", c)
				}
				if c < 0x20 || c == 0x7f {
					return syntaxErr(pattern, j, "control character %q is not allowed in a term", c)
				}
				j++
			}
			term, i = pattern[i:j], j
		}
		switch {
		case prefix == '?':
			f.groups = append(f.groups, []string{term})
		case prefix == '-':
			f.none = append(f.none, term)
		case len(f.groups) > 0:
			g := &f.groups[len(f.groups)-1]
			*g = append(*g, term)
		case term != "":
			f.all = append(f.all, term)
		}
	}
}

// parsePhrase parses the double-quoted string that starts at pattern[i]
// and returns its text and the offset just after the closing quote. The
// escapes \" and \\ stand for " and \; any other backslash is literal.
func parsePhrase(pattern string, i int) (string, int, error) {
	open := i
	i++
	var b strings.Builder
	plain := true // no escape seen: the text is a substring of pattern
	seg := i
	for i < len(pattern) {
		switch c := pattern[i]; c {
		case '"':
			if plain {
				return pattern[seg:i], i + 1, nil
			}
			b.WriteString(pattern[seg:i])
			return b.String(), i + 1, nil
		case '\\':
			if i+1 < len(pattern) && (pattern[i+1] == '"' || pattern[i+1] == '\\') {
				plain = false
				b.WriteString(pattern[seg:i])
				b.WriteByte(pattern[i+1])
				i += 2
				seg = i
				continue
			}
		}
		i++
	}
	return "", i, syntaxErr(pattern, open, "unterminated quoted string")
}
