package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The files in testdata/errors are programs with expected diagnostics.
// A marker comment
//
//	/* ERROR "regexp" */
//
// or /* WARNING "regexp" */ is placed just before the token at which the
// error or warning is reported. The expected position is that of the
// first non-blank character after the comment, or the end of the file.
// A comment written right after a token, with no blank between, at the
// end of a line, marks the position just after that token instead: the
// end of a line that lacks its ';'.
// The text between the quotes is a regular expression, taken as written
// (no escapes are processed), that the message must match.
//
// A file is parsed first. If it has syntax errors, those are compared
// with the ERROR markers; otherwise the checker runs and its errors and
// warnings are compared. Every diagnostic must have a marker at its
// position and every marker a diagnostic.

var markerRE = regexp.MustCompile(`/\* (ERROR|WARNING) "(.*?)" \*/`)

type marker struct {
	kind string
	re   *regexp.Regexp
	pos  Pos
}

func readMarkers(t *testing.T, file string, src []byte) []*marker {
	var ms []*marker
	for _, m := range markerRE.FindAllSubmatchIndex(src, -1) {
		re, err := regexp.Compile(string(src[m[4]:m[5]]))
		if err != nil {
			t.Fatalf("%s: bad marker: %v", file, err)
		}
		off := m[1]
		for off < len(src) && (src[off] == ' ' || src[off] == '\t' || src[off] == '\n' || src[off] == '\r') {
			off++
		}
		if m[0] > 0 && !strings.ContainsRune(" \t\n\r", rune(src[m[0]-1])) && strings.Contains(string(src[m[1]:off]), "\n") {
			off = m[0]
		}
		ms = append(ms, &marker{kind: string(src[m[2]:m[3]]), re: re, pos: offsetPos(file, src, off)})
	}
	return ms
}

// offsetPos converts a byte offset to a position the way the lexer does.
func offsetPos(file string, src []byte, off int) Pos {
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return Pos{File: file, Line: line, Col: off - start + 1}
}

func TestErrorFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.in")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			markers := readMarkers(t, file, src)
			prog, err := ParseFile(file, src, 0)
			var errs, warns ErrorList
			if err != nil {
				errs = err.(ErrorList)
			} else {
				warns, err = Check(prog, nil)
				if err != nil {
					errs = err.(ErrorList)
				}
			}
			matchMarkers(t, markers, "ERROR", errs)
			matchMarkers(t, markers, "WARNING", warns)
		})
	}
}

func matchMarkers(t *testing.T, markers []*marker, kind string, got ErrorList) {
	t.Helper()
	used := map[*marker]bool{}
	for _, e := range got {
		var found *marker
		for _, m := range markers {
			if m.kind == kind && m.pos == e.Pos && !used[m] {
				found = m
				break
			}
		}
		if found == nil {
			t.Errorf("unexpected %s: %v", kind, e)
			continue
		}
		used[found] = true
		if !found.re.MatchString(e.Msg) {
			t.Errorf("%s: %s %q does not match %q", e.Pos, kind, e.Msg, found.re)
		}
	}
	for _, m := range markers {
		if m.kind == kind && !used[m] {
			t.Errorf("%s: missing %s %s", m.pos, kind, fmt.Sprintf("%q", m.re))
		}
	}
}
