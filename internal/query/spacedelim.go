package query

// spacePattern is a compiled space-delimited pattern: [f1, f2 = v, ..., fn].
type spacePattern struct {
	slots []slot
}

// slot is one comma-separated element of a space-delimited pattern.
type slot struct {
	ellipsis bool   // "...": any number of fields, including none
	name     string // field name
	cond     *expr  // nil: any value
}

// fieldSpan is a message field as byte offsets [start, end).
type fieldSpan struct{ start, end int }

// maxStackFields is how many message fields are split without allocating.
const maxStackFields = 64

// parseSpacePattern parses "[ slot, slot, ... ]" starting at
// pattern[start] == '['.
func parseSpacePattern(pattern string, start int) (*spacePattern, error) {
	end := len(pattern)
	for end > start && isSpace(pattern[end-1]) {
		end--
	}
	if pattern[end-1] != ']' || end-1 == start {
		return nil, syntaxErr(pattern, end, `a pattern that starts with "[" must end with "]"`)
	}
	lx := &lexer{pattern: pattern, pos: start + 1, end: end - 1, subject: "field name"}
	if err := lx.next(); err != nil {
		return nil, err
	}
	if lx.tok.kind == tEOF {
		return nil, lx.errf("empty space-delimited pattern: name at least one field, as in [ip, user, status]")
	}
	p := &spacePattern{}
	for {
		s, err := parseSlot(lx)
		if err != nil {
			return nil, err
		}
		p.slots = append(p.slots, s)
		switch lx.tok.kind {
		case tEOF:
			return p, nil
		case tComma:
			if err := lx.next(); err != nil {
				return nil, err
			}
		default:
			return nil, lx.errf(`expected "," or "]", found %s`, lx.describe())
		}
	}
}

// parseSlot parses one field: "...", a name, or conditions on one name.
func parseSlot(lx *lexer) (slot, error) {
	if lx.tok.kind == tWord {
		name, pos := lx.tok.text, lx.tok.pos
		save := *lx
		if err := lx.next(); err != nil {
			return slot{}, err
		}
		if lx.tok.kind == tComma || lx.tok.kind == tEOF {
			if name == "..." {
				return slot{ellipsis: true}, nil
			}
			if err := checkFieldName(lx, name, pos); err != nil {
				return slot{}, err
			}
			return slot{name: name}, nil
		}
		*lx = save
	}
	var s slot
	subj := func(lx *lexer, c *cond) error {
		name := lx.tok.text
		if err := checkFieldName(lx, name, lx.tok.pos); err != nil {
			return err
		}
		if s.name == "" {
			s.name = name
		} else if name != s.name {
			return lx.errf("condition on field %q inside the field %q; separate fields with \",\"", name, s.name)
		}
		c.field = name
		return nil
	}
	e, err := parseOr(lx, subj)
	if err != nil {
		return slot{}, err
	}
	s.cond = e
	return s, nil
}

// checkFieldName accepts names made of letters, digits, '_' and '-' (the
// column names the AWS CDK accepts).
func checkFieldName(lx *lexer, name string, pos int) error {
	if name == "..." {
		return syntaxErr(lx.pattern, pos, `"..." cannot have a condition`)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '-' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return syntaxErr(lx.pattern, pos+i, "unexpected %q in field name %q; field names hold letters, digits, _ and -", c, name)
		}
	}
	return nil
}

// splitFields appends the fields of m to dst. Fields are separated by
// whitespace; a field that starts with '"' runs to the next '"' and one
// that starts with '[' runs to the next ']', the delimiters not included.
func splitFields(m string, dst []fieldSpan) []fieldSpan {
	i := 0
	for {
		for i < len(m) && isSpace(m[i]) {
			i++
		}
		if i >= len(m) {
			return dst
		}
		var closer byte
		switch m[i] {
		case '"':
			closer = '"'
		case '[':
			closer = ']'
		}
		if closer != 0 {
			j := i + 1
			for j < len(m) && m[j] != closer {
				j++
			}
			dst = append(dst, fieldSpan{i + 1, j})
			i = j + 1
			continue
		}
		j := i
		for j < len(m) && !isSpace(m[j]) {
			j++
		}
		dst = append(dst, fieldSpan{i, j})
		i = j
	}
}

func (s *slot) matchField(v string) bool {
	if s.cond == nil {
		return true
	}
	return evalField(s.cond, v)
}

func evalField(e *expr, v string) bool {
	switch e.op {
	case '&':
		return evalField(e.l, v) && evalField(e.r, v)
	case '|':
		return evalField(e.l, v) || evalField(e.r, v)
	}
	return e.c.eval(subject{kind: sString, text: v})
}

// match reports whether message m fits the pattern: every slot takes one
// field, in order, and each "..." takes any number of fields.
func (p *spacePattern) match(m string) bool {
	var buf [maxStackFields]fieldSpan
	return p.assign(m, splitFields(m, buf[:0]), nil)
}

// assign matches the fields of m against the slots. When at is not nil
// (len(p.slots) long) it receives the field index each slot took.
func (p *spacePattern) assign(m string, fields []fieldSpan, at []int) bool {
	slots := p.slots
	si, fi := 0, 0
	star, starF := -1, 0 // last "..." seen and the field it resumes from
	for fi < len(fields) {
		if si < len(slots) && slots[si].ellipsis {
			star, starF = si, fi
			si++
			continue
		}
		if si < len(slots) {
			f := fields[fi]
			if slots[si].matchField(m[f.start:f.end]) {
				if at != nil {
					at[si] = fi
				}
				si++
				fi++
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last "..." take one more field and retry from there.
		starF++
		si, fi = star+1, starF
	}
	for si < len(slots) && slots[si].ellipsis {
		si++
	}
	return si == len(slots)
}
