package lang

import "strconv"

// Pos is a position in a source file. Line and Col are 1-based, and Col
// counts bytes from the start of the line, as the Go tools do, so a tab
// counts as one column and a multi-byte character as several. A zero Line
// means the position is unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether the position has a line number.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats the position as "file:line:col". It drops the column when
// it is unknown, the line when the line is unknown, and the file name when
// it is empty. An entirely unknown position prints as "-".
func (p Pos) String() string {
	s := p.File
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	if s == "" {
		s = "-"
	}
	return s
}

// before reports whether p comes before q in the same file, or whether p's
// file name sorts first.
func (p Pos) before(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// relativeTo formats p for a message about a node at q: without the file
// name when both are in the same file.
func (p Pos) relativeTo(q Pos) string {
	if p.File == q.File {
		p.File = ""
	}
	return p.String()
}
