package lang

// Input describes text typed at a read-eval-print loop so far: how much of
// it can be parsed now, and what the rest is.
type Input struct {
	// Complete is the length of the longest prefix that ends with a ';'
	// outside comments and strings: the statements the loop can run. It
	// is 0 when there is none.
	Complete int
	// Blank is true when the text after Complete contains only blanks
	// and comments, so that no further statement has begun.
	Blank bool
	// InComment is true when the text ends inside a block comment.
	InComment bool
	// Depth is the number of let and '{' bindings open at the end of the
	// text: a ';' inside them separates bindings and ends no statement.
	Depth int
}

// ScanInput reads src as the lexer does and reports how far it goes as
// input of a read-eval-print loop. A ';' inside a comment, a string or
// the bindings of a let or '{' ends nothing, unlike one found by a search
// of the text. depth is the number of such bindings open before src, the
// Depth of the text before it. It takes time in proportion to the length
// of src.
//
// The lexer does not read a src above its size limit, just under 2 GiB.
// ScanInput then reports no statement complete and the text not blank,
// so that a loop keeps the text and the parser reports its size.
func ScanInput(src []byte, depth int) Input {
	in := Input{Depth: depth}
	if len(src) > maxSource {
		return in
	}
	toks := lex("", src, func(_ Pos, msg string, atEOF bool) {
		if atEOF && msg == msgOpenComment {
			in.InComment = true
		}
	})
	last := -1 // index of the last ';' that ends a statement
	for i := range toks.len() {
		t := toks.at(i)
		switch t.kind {
		case kwLet, tLbrace:
			in.Depth++
		case kwIn, tRbrace:
			in.Depth = max(in.Depth-1, 0)
		case tSemi:
			if in.Depth == 0 {
				last = i
				in.Complete = int(t.end)
			}
		}
	}
	// The last token is tEOF: the rest is blank when only it follows.
	in.Blank = last == toks.len()-2
	return in
}
