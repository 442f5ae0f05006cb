package config

import (
	"fmt"
	"reflect"
	"strings"
)

// origins remembers which file set each JSON path of a merged document, so
// problems found after the merge can still name their file.
type origins map[string]string

// fileFor returns the file that set path or its nearest ancestor.
func (o origins) fileFor(path string) string {
	for p := path; p != ""; {
		if f, ok := o[p]; ok {
			return f
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return o[""]
}

// wholeValues are the object paths that are compared as one value when two
// files both set them, rather than merged key by key.
var wholeValues = map[string]bool{
	"agent.credentials": true,
	"logs.credentials":  true,
}

// merger merges documents as the CloudWatch Agent merges the files of its .d
// directory: objects key by key, collect_list arrays concatenated without the
// entries an earlier file already has, other arrays as a union, and any other
// value must be identical in every file that sets it.
type merger struct {
	origins  origins
	problems []Problem
	notices  []string
}

func newMerger() *merger { return &merger{origins: origins{}} }

// add merges src, read from file, into dst.
func (m *merger) add(dst, src map[string]any, file string) {
	if _, ok := m.origins[""]; !ok {
		m.origins[""] = file
	}
	m.mergeMap("", dst, src, file)
}

func (m *merger) mergeMap(path string, dst, src map[string]any, file string) {
	for _, k := range sortedKeys(src) {
		p := joinPath(path, k)
		v := src[k]
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			m.record(p, v, file)
			continue
		}
		oldMap, oldIsMap := old.(map[string]any)
		newMap, newIsMap := v.(map[string]any)
		if oldIsMap && newIsMap && !wholeValues[p] {
			m.mergeMap(p, oldMap, newMap, file)
			continue
		}
		oldList, oldIsList := old.([]any)
		newList, newIsList := v.([]any)
		if oldIsList && newIsList {
			dst[k] = m.mergeList(p, oldList, newList, file, k == "collect_list")
			continue
		}
		if !reflect.DeepEqual(old, v) {
			m.problems = append(m.problems, Problem{File: file, Path: p, Value: showValue(v),
				Rule: fmt.Sprintf("differs from %s in %s: Different values are specified for %s", showValue(old), m.origins.fileFor(p), k)})
		}
	}
}

// mergeList appends the items of src that dst does not hold yet. For a
// collect_list only items from earlier files count as already held, so that
// a duplicate inside one file is still reported by the uniqueness rule.
func (m *merger) mergeList(path string, dst, src []any, file string, perFile bool) []any {
	held := make(map[string]int, len(dst)+len(src))
	for i, v := range dst {
		held[canonical(v)] = i
	}
	for j, v := range src {
		k := canonical(v)
		if i, ok := held[k]; ok {
			if perFile {
				m.notices = append(m.notices, fmt.Sprintf("%s: entry %d of %s repeats %s of %s and is dropped",
					path, j, file, indexPath(lastElem(path), i), m.origins.fileFor(indexPath(path, i))))
			}
			continue
		}
		if !perFile {
			held[k] = len(dst)
		}
		m.record(indexPath(path, len(dst)), v, file)
		dst = append(dst, v)
	}
	return dst
}

// record notes that file set path (and, for a collect_list, each entry).
func (m *merger) record(path string, v any, file string) {
	m.origins[path] = file
	if l, ok := v.([]any); ok {
		for i := range l {
			m.origins[indexPath(path, i)] = file
		}
	}
}
