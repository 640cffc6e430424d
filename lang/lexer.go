package lang

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tIllegal         // a character or identifier that the language does not allow
	tName            // lower-case identifier: a name (wire end or variable)
	tAgent           // upper-case identifier, or lower-case identifier before '('
	tNum             // decimal integer literal, value not yet checked
	tString          // double-quoted string, token.text is the decoded value

	tTilde  // ~
	tCross  // ><
	tArrow  // =>
	tPipe   // |
	tWild   // _
	tComma  // ,
	tSemi   // ;
	tLparen // (
	tRparen // )
	tLbrack // [
	tRbrack // ]
	tLbrace // {
	tRbrace // }
	tColon  // :
	tAbbrev // <<
	tAssign // =
	tAdd    // +
	tSub    // -
	tMul    // *
	tDiv    // /
	tMod    // %
	tEq     // ==
	tNe     // !=
	tLt     // <
	tLe     // <=
	tGt     // >
	tGe     // >=
	tNot    // ! or not
	tAnd    // && or and
	tOr     // || or or
	tReuseL // (*L)
	tReuseR // (*R)

	kwInt
	kwWhere
	kwLet
	kwIn
	kwEnd
	kwIf
	kwThen
	kwElse
	kwRand
	kwFree
	kwIfce
	kwInterface
	kwPrnat
	kwMemstat
	kwUse
	kwExit
	kwConst
)

// tokText is the canonical spelling of each fixed token, used in messages
// such as "expected ';'".
var tokText = [...]string{
	tEOF:        "end of input",
	tIllegal:    "invalid token",
	tName:       "name",
	tAgent:      "agent",
	tNum:        "integer",
	tString:     "string",
	tTilde:      "~",
	tCross:      "><",
	tArrow:      "=>",
	tPipe:       "|",
	tWild:       "_",
	tComma:      ",",
	tSemi:       ";",
	tLparen:     "(",
	tRparen:     ")",
	tLbrack:     "[",
	tRbrack:     "]",
	tLbrace:     "{",
	tRbrace:     "}",
	tColon:      ":",
	tAbbrev:     "<<",
	tAssign:     "=",
	tAdd:        "+",
	tSub:        "-",
	tMul:        "*",
	tDiv:        "/",
	tMod:        "%",
	tEq:         "==",
	tNe:         "!=",
	tLt:         "<",
	tLe:         "<=",
	tGt:         ">",
	tGe:         ">=",
	tNot:        "not",
	tAnd:        "and",
	tOr:         "or",
	tReuseL:     "(*L)",
	tReuseR:     "(*R)",
	kwInt:       "int",
	kwWhere:     "where",
	kwLet:       "let",
	kwIn:        "in",
	kwEnd:       "end",
	kwIf:        "if",
	kwThen:      "then",
	kwElse:      "else",
	kwRand:      "rand",
	kwFree:      "free",
	kwIfce:      "ifce",
	kwInterface: "interface",
	kwPrnat:     "prnat",
	kwMemstat:   "memstat",
	kwUse:       "use",
	kwExit:      "exit",
	kwConst:     "const",
}

// String returns the token's spelling in quotes, or a word for the kinds
// that have no fixed spelling.
func (k tokKind) String() string {
	switch k {
	case tEOF, tIllegal, tName, tAgent, tNum, tString:
		return tokText[k]
	}
	return "'" + tokText[k] + "'"
}

// keywords maps reserved words to their token kinds. The word operators
// share kinds with their symbols: "and" is tAnd like "&&".
var keywords = map[string]tokKind{
	"int": kwInt, "where": kwWhere, "let": kwLet, "in": kwIn, "end": kwEnd,
	"if": kwIf, "then": kwThen, "else": kwElse, "rand": kwRand,
	"free": kwFree, "ifce": kwIfce, "interface": kwInterface,
	"prnat": kwPrnat, "memstat": kwMemstat, "use": kwUse, "exit": kwExit,
	"const": kwConst, "and": tAnd, "or": tOr, "not": tNot,
}

// token is one lexical token. It contains no pointer, so that the collector
// skips the token lists of long files. Its text (tokenList.text) is the
// source from off to end, except for a string: the decoded value.
type token struct {
	kind      tokKind
	line, col int32 // position of the first character
	off       int32 // byte offset of the first character
	end       int32 // byte offset just after the last character
	str       int32 // for a string, the index of its value in tokenList.strs
}

// maxSource is the size in bytes of the largest file that the lexer
// reads. A token stores its offsets, line and column in 32 bits, and the
// end of input of a file of n bytes can be at column or line n+1, so n
// must stay below math.MaxInt32. A test lowers it.
var maxSource = math.MaxInt32 - 1

// tokenList holds a file's tokens in chunks of tokenChunk, so that it
// grows without copying. A literal of millions of numbers would
// otherwise copy all its tokens at each doubling of a slice.
type tokenList struct {
	chunks [][]token
	n      int

	file string
	src  []byte
	strs []string // decoded values of the strings
}

const (
	tokenShift = 12
	tokenChunk = 1 << tokenShift
)

// add appends t.
func (l *tokenList) add(t token) {
	if l.n&(tokenChunk-1) == 0 {
		// The first chunk starts small: a line of the REPL or a short
		// file needs few tokens.
		size := tokenChunk
		if l.n == 0 {
			size = 64
		}
		l.chunks = append(l.chunks, make([]token, 0, size))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, t)
	l.n++
}

// len returns the number of tokens.
func (l *tokenList) len() int { return l.n }

// at returns token i.
func (l *tokenList) at(i int) *token { return &l.chunks[i>>tokenShift][i&(tokenChunk-1)] }

// text returns the text of t: the decoded value of a string, the source
// text of any other token.
func (l *tokenList) text(t token) string {
	if t.kind == tString {
		return l.strs[t.str]
	}
	return string(l.src[t.off:t.end])
}

// pos returns the position of t.
func (l *tokenList) pos(t token) Pos {
	return Pos{File: l.file, Line: int(t.line), Col: int(t.col)}
}

// describe names t for a "found ..." part of a message.
func (l *tokenList) describe(t token) string {
	text := l.text(t)
	switch t.kind {
	case tEOF:
		return "end of input"
	case tName:
		return "name " + text
	case tAgent:
		return "agent " + text
	case tNum:
		return "integer " + text
	case tString:
		return "string " + quote(text)
	}
	return "'" + text + "'"
}

// lexer turns source bytes into tokens. It reports problems through errh
// and goes on, and every byte moves it forward, so the token list always
// ends with tEOF (TestLexNeverStalls and FuzzParse check this).
type lexer struct {
	file      string
	src       []byte
	off       int // offset of the next unread byte
	line      int // line of src[off]
	lineStart int // offset of the first byte of that line
	toks      tokenList
	errh      func(pos Pos, msg string, atEOF bool)
}

// lex splits src into tokens. A lower-case identifier followed by '(',
// with any spaces, newlines or comments in between, comes out as tAgent.
func lex(file string, src []byte, errh func(pos Pos, msg string, atEOF bool)) *tokenList {
	lx := &lexer{file: file, src: src, line: 1, errh: errh}
	lx.toks.file, lx.toks.src = file, src
	if len(src) > maxSource {
		errh(Pos{File: file, Line: 1, Col: 1}, fmt.Sprintf("file too large: %d bytes, the limit is %d", len(src), maxSource), false)
		lx.src, lx.toks.src = nil, nil
	}
	// The byte order mark is checked in lx.src, which is empty for a
	// rejected file, so that the end-of-input token stays inside toks.src.
	if s := lx.src; len(s) >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF {
		lx.off = 3 // a UTF-8 byte order mark is not part of the program
		lx.lineStart = 3
	}
	for {
		lx.skipSpace()
		if lx.off >= len(lx.src) {
			lx.emit(tEOF, lx.off)
			return &lx.toks
		}
		lx.next()
	}
}

func (lx *lexer) pos(off int) Pos {
	return Pos{File: lx.file, Line: lx.line, Col: off - lx.lineStart + 1}
}

// emit adds a token of the given kind from start to the current offset.
func (lx *lexer) emit(kind tokKind, start int) {
	if kind == tLparen {
		if n := lx.toks.len(); n > 0 && lx.toks.at(n-1).kind == tName {
			lx.toks.at(n - 1).kind = tAgent
		}
	}
	lx.add(kind, lx.pos(start), start, 0)
}

// emitString adds a string token with the given value, which starts at
// pos and offset start.
func (lx *lexer) emitString(pos Pos, start int, value string) {
	lx.add(tString, pos, start, len(lx.toks.strs))
	lx.toks.strs = append(lx.toks.strs, value)
}

// add appends a token from start to the current offset, at pos, with str
// as its index in the string values.
func (lx *lexer) add(kind tokKind, pos Pos, start, str int) {
	lx.toks.add(token{kind: kind, line: int32(pos.Line), col: int32(pos.Col),
		off: int32(start), end: int32(lx.off), str: int32(str)})
}

func (lx *lexer) newline(at int) {
	lx.line++
	lx.lineStart = at + 1
}

// skipSpace skips blanks, newlines and comments.
func (lx *lexer) skipSpace() {
	for lx.off < len(lx.src) {
		switch c := lx.src[lx.off]; {
		case c == '\n':
			lx.newline(lx.off)
			lx.off++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.off++
		case c == '/' && lx.peek(1) == '/':
			for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
				lx.off++
			}
		case c == '/' && lx.peek(1) == '*':
			lx.blockComment()
		default:
			return
		}
	}
}

func (lx *lexer) blockComment() {
	start := lx.pos(lx.off)
	lx.off += 2
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		if c == '*' && lx.peek(1) == '/' {
			lx.off += 2
			return
		}
		if c == '\n' {
			lx.newline(lx.off)
		}
		lx.off++
	}
	lx.errh(start, msgOpenComment, true)
}

// msgOpenComment is the error of a block comment that the input ends in.
const msgOpenComment = "comment not terminated: '/*' has no matching '*/'"

// peek returns the byte n places after the current one, or 0 past the end.
func (lx *lexer) peek(n int) byte {
	if lx.off+n < len(lx.src) {
		return lx.src[lx.off+n]
	}
	return 0
}

func isLower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return isLower(c) || isUpper(c) }

// isIdentChar reports whether c may follow the first letter of a name or
// an agent identifier.
func isIdentChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '\'' || c == '.'
}

// twoChar lists the operators of two characters, tried before the single
// characters so that "><" is not read as '>' and '<'.
var twoChar = map[string]tokKind{
	"><": tCross, "=>": tArrow, "<<": tAbbrev, "==": tEq, "!=": tNe,
	"<=": tLe, ">=": tGe, "&&": tAnd, "||": tOr,
}

var oneChar = map[byte]tokKind{
	'~': tTilde, '|': tPipe, ',': tComma, ';': tSemi, '(': tLparen,
	')': tRparen, '[': tLbrack, ']': tRbrack, '{': tLbrace, '}': tRbrace,
	':': tColon, '=': tAssign, '+': tAdd, '-': tSub, '*': tMul, '/': tDiv,
	'%': tMod, '<': tLt, '>': tGt, '!': tNot,
}

// next scans one token starting at a non-blank byte.
func (lx *lexer) next() {
	start := lx.off
	c := lx.src[start]
	switch {
	case isLetter(c):
		lx.off++
		for lx.off < len(lx.src) && isIdentChar(lx.src[lx.off]) {
			lx.off++
		}
		kind := tAgent
		if isLower(c) {
			kind = tName
			if kw, ok := keywords[string(lx.src[start:lx.off])]; ok {
				kind = kw
			}
		}
		lx.emit(kind, start)
	case isDigit(c):
		for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
			lx.off++
		}
		lx.emit(tNum, start)
	case c == '_':
		lx.off++
		if lx.off < len(lx.src) && isIdentChar(lx.src[lx.off]) {
			for lx.off < len(lx.src) && isIdentChar(lx.src[lx.off]) {
				lx.off++
			}
			text := string(lx.src[start:lx.off])
			lx.errh(lx.pos(start), fmt.Sprintf("invalid identifier %s: identifiers cannot start with '_'",
				text), false)
			lx.emit(tIllegal, start)
			return
		}
		lx.emit(tWild, start)
	case c == '"':
		lx.str()
	case c == '(' && lx.reuseAnnotation():
		// reuseAnnotation has emitted the token.
	case c >= utf8.RuneSelf:
		r, size := utf8.DecodeRune(lx.src[start:])
		lx.off += size
		msg := fmt.Sprintf("invalid character %U %q", r, r)
		if r == utf8.RuneError && size == 1 {
			msg = "invalid UTF-8 encoding"
		}
		lx.errh(lx.pos(start), msg, false)
		lx.emit(tIllegal, start)
	default:
		if start+1 < len(lx.src) && c == '-' && lx.src[start+1] == '>' {
			// No operator is spelled "->", and '-' followed by '>' never
			// parses, so it is most likely a rule's arrow mistyped: read
			// it as one after reporting it.
			lx.off += 2
			lx.errh(lx.pos(start), "invalid operator '->': a rule's arrow is '=>'", false)
			lx.emit(tArrow, start)
			return
		}
		if start+1 < len(lx.src) && c == '<' && lx.src[start+1] == '>' {
			// '<' followed by '>' never parses either. It is most likely
			// a rule's '><' mistyped, or a not-equal from another
			// language: read it as '><' after reporting it.
			lx.off += 2
			lx.errh(lx.pos(start), "invalid operator '<>': a rule's two agents are joined by '><', and not equal is '!='", false)
			lx.emit(tCross, start)
			return
		}
		if start+1 < len(lx.src) {
			if kind, ok := twoChar[string(lx.src[start:start+2])]; ok {
				lx.off += 2
				lx.emit(kind, start)
				return
			}
		}
		lx.off++
		text := string(lx.src[start:lx.off])
		if kind, ok := oneChar[c]; ok {
			lx.emit(kind, start)
			return
		}
		msg := fmt.Sprintf("invalid character %q", text)
		if c < ' ' || c == 0x7f {
			msg = fmt.Sprintf("invalid character %U", rune(c))
		}
		lx.errh(lx.pos(start), msg, false)
		lx.emit(tIllegal, start)
	}
}

// reuseAnnotation scans "(*L)" or "(*R)", allowing blanks inside the
// parentheses, and reports whether it found one. A '(' followed by
// anything else is left for the caller.
func (lx *lexer) reuseAnnotation() bool {
	i := lx.off + 1
	blanks := func() {
		for i < len(lx.src) && (lx.src[i] == ' ' || lx.src[i] == '\t') {
			i++
		}
	}
	blanks()
	if i+1 >= len(lx.src) || lx.src[i] != '*' {
		return false
	}
	side := lx.src[i+1]
	if side != 'L' && side != 'R' {
		return false
	}
	i += 2
	blanks()
	if i >= len(lx.src) || lx.src[i] != ')' {
		return false
	}
	start := lx.off
	lx.off = i + 1
	kind := tReuseL
	if side == 'R' {
		kind = tReuseR
	}
	lx.emit(kind, start)
	return true
}

// str scans a double-quoted string. A string must end on the line where
// it starts. The escapes are \" \\ \n and \t.
func (lx *lexer) str() {
	start := lx.off
	startPos := lx.pos(start)
	lx.off++
	var buf []byte
	for {
		if lx.off >= len(lx.src) || lx.src[lx.off] == '\n' {
			lx.errh(startPos,
				"string not terminated: missing '\"' before the end of the line", false)
			break
		}
		c := lx.src[lx.off]
		if c == '"' {
			lx.off++
			break
		}
		if c == '\\' {
			esc := lx.peek(1)
			switch esc {
			case '"', '\\':
				buf = append(buf, esc)
			case 'n':
				buf = append(buf, '\n')
			case 't':
				buf = append(buf, '\t')
			default:
				if esc == '\n' || lx.off+1 >= len(lx.src) {
					lx.off++
					continue // reported as an unterminated string
				}
				lx.errh(lx.pos(lx.off), fmt.Sprintf("unknown escape sequence '\\%c' in string",
					esc), false)
			}
			lx.off += 2
			continue
		}
		buf = append(buf, c)
		lx.off++
	}
	lx.emitString(startPos, start, string(buf))
}

// quote writes s as a string literal that the lexer reads back as s.
func quote(s string) string {
	buf := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, c)
		}
	}
	return string(append(buf, '"'))
}

// parseIntLit converts a decimal literal to int64. It returns ok false
// when the value does not fit.
func parseIntLit(text string) (int64, bool) {
	v, err := strconv.ParseInt(text, 10, 64)
	return v, err == nil
}
