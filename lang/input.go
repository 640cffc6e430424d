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
}

// ScanInput reads src as the lexer does and reports how far it goes as
// input of a read-eval-print loop. A ';' inside a comment or a string
// ends nothing, unlike one found by a search of the text. It takes time
// in proportion to the length of src.
func ScanInput(src []byte) Input {
	var in Input
	toks := lex("", src, func(_ Pos, msg string, atEOF bool) {
		if atEOF && msg == msgOpenComment {
			in.InComment = true
		}
	})
	last := -1 // index of the last ';'
	for i, t := range toks {
		if t.kind == tSemi {
			last = i
			in.Complete = t.end
		}
	}
	// The last token is tEOF: the rest is blank when only it follows.
	in.Blank = last == len(toks)-2
	return in
}
