package lang

import (
	"errors"
	"fmt"
	"sort"
)

// Error is a syntax or semantic error, or a warning, at a position in the
// source.
type Error struct {
	Pos Pos
	Msg string

	// atEOF marks an error that more input could cure: the input ended
	// inside a statement or a block comment. IsIncomplete reads it.
	atEOF bool
}

// Error formats the error as "file:line:col: message", dropping the parts
// of the position that are unknown.
func (e *Error) Error() string {
	if e.Pos.File == "" && !e.Pos.IsValid() {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is a list of errors or of warnings. The parser and the
// checker return one, sorted by position, as their error value, and the
// checker returns its warnings in another.
type ErrorList []*Error

// Add appends an error at pos with the message msg.
func (l *ErrorList) Add(pos Pos, msg string) {
	*l = append(*l, &Error{Pos: pos, Msg: msg})
}

// Len returns the number of errors in the list.
func (l ErrorList) Len() int { return len(l) }

// Swap exchanges the errors at i and j.
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }

// Less orders errors by file name, line and column.
func (l ErrorList) Less(i, j int) bool { return l[i].Pos.before(l[j].Pos) }

// Sort sorts the list by position. Errors at the same position keep the
// order in which they were added.
func (l ErrorList) Sort() { sort.Stable(l) }

// RemoveMultiples sorts the list and keeps only the first error of each
// line, because later errors on a line are usually caused by the first.
func (l *ErrorList) RemoveMultiples() {
	l.Sort()
	out := (*l)[:0]
	var last Pos
	for i, e := range *l {
		if i > 0 && e.Pos.File == last.File && e.Pos.Line == last.Line {
			continue
		}
		last = e.Pos
		out = append(out, e)
	}
	clear((*l)[len(out):])
	*l = out
}

// Error returns the first error's text and, when there are more, how many
// follow, as "(and 3 more errors)". An empty list, such as the warnings
// of a program without any, returns "no errors or warnings".
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors or warnings"
	case 1:
		return l[0].Error()
	case 2:
		return l[0].Error() + " (and 1 more error)"
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Err returns nil for an empty list and the list itself otherwise, so that
// a function can return l.Err() as its error.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Unwrap returns the errors of the list, so that errors.As can find an
// *Error in it.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// IsIncomplete reports whether every error in err is caused by the input
// ending inside a statement: a statement without its ';', an open 'let'
// or an unterminated block comment. A read-eval-print loop then reads
// another line and parses the whole text again.
func IsIncomplete(err error) bool {
	var l ErrorList
	if !errors.As(err, &l) || len(l) == 0 {
		return false
	}
	for _, e := range l {
		if !e.atEOF {
			return false
		}
	}
	return true
}
