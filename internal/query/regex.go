package query

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// maxRegexCost bounds the size of a compiled %regex%, counted as the
// instructions its repetitions expand to: a 1,024-character pattern such
// as %.{1000}.{1000}...% would otherwise take a second and megabytes to
// compile on every request.
const maxRegexCost = 20000

// regexAllowed lists the characters a %regex% may contain besides ASCII
// letters and digits, as the CloudWatch Logs documentation gives them:
// the symbols : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \ * + .
// logwarden also allows the space character. '(' and ')' and multi-byte
// characters are rejected, as AWS rejects them (use \x28 and \x29).
const regexAllowed = ":_#=@/;,-^$?[]{}|\\*+. "

// scanRegex reads the %regex% that starts at pattern[i] (which is '%'),
// checks its characters and compiles it. It returns the offset just after
// the closing '%'.
func scanRegex(pattern string, i int) (*regexp.Regexp, int, error) {
	open := i
	i++
	start := i
	for i < len(pattern) && pattern[i] != '%' {
		c := pattern[i]
		switch {
		case c >= 0x80:
			return nil, i, syntaxErr(pattern, i, "multi-byte characters are not allowed in a regex")
		case c == '(' || c == ')':
			return nil, i, syntaxErr(pattern, i, "%q is not allowed in a regex; use \\x28 or \\x29 to match a parenthesis", c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(regexAllowed, c) >= 0:
		default:
			return nil, i, syntaxErr(pattern, i, "character %q is not allowed in a regex", c)
		}
		i++
	}
	if i >= len(pattern) {
		return nil, i, syntaxErr(pattern, open, "unterminated regex: missing closing %%")
	}
	if i == start {
		return nil, i, syntaxErr(pattern, open, "empty regex")
	}
	src := pattern[start:i]
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, i, syntaxErr(pattern, start, "bad regex: %v", err)
	}
	if regexCost(tree) > maxRegexCost {
		return nil, i, syntaxErr(pattern, start, "regex too complex: it expands to more than %d steps", maxRegexCost)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, i, syntaxErr(pattern, start, "bad regex: %v", err)
	}
	return re, i + 1, nil
}

// parseBareRegex parses a pattern that is a single %regex%.
func parseBareRegex(pattern string, start int) (*regexp.Regexp, error) {
	re, end, err := scanRegex(pattern, start)
	if err != nil {
		return nil, err
	}
	if j := skipSpace(pattern, end); j < len(pattern) {
		return nil, syntaxErr(pattern, j, "unexpected text after the regex; a %%regex%% must be the whole pattern")
	}
	return re, nil
}

// regexCost estimates how many instructions re compiles to.
func regexCost(re *syntax.Regexp) int {
	cost := 1 + len(re.Rune)
	for _, sub := range re.Sub {
		cost += regexCost(sub)
	}
	if re.Op == syntax.OpRepeat {
		n := re.Max
		if n < re.Min {
			n = re.Min // {n,} expands to n copies and a star
		}
		cost *= n + 1
	}
	if cost > maxRegexCost {
		return maxRegexCost + 1 // saturate: nested repeats must not overflow
	}
	return cost
}
