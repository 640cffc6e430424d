package lang

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// The parser must handle long and deeply nested input without running
// out of stack and in time linear in its size. The time limit here is
// loose, to catch quadratic behaviour, not to benchmark. Each case took
// at most 0.4 s with the race detector on a shared 2-core amd64 machine.
const bigLimit = 10 * time.Second

func parseBig(t *testing.T, src string) *Program {
	t.Helper()
	start := time.Now()
	p, err := ParseFile("big.in", []byte(src), 0)
	if d := time.Since(start); d > bigLimit {
		t.Errorf("parsing %d bytes took %v", len(src), d)
	} else {
		t.Logf("parsed %d bytes in %v", len(src), d)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBigList(t *testing.T) {
	const n = 100000
	var b strings.Builder
	b.WriteString("x ~ [")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString("];\n")
	p := parseBig(t, b.String())
	list := p.Stmts[0].(*NetStmt).Net.Conns[0].(*Connection).Right.(*List)
	if len(list.Elems) != n {
		t.Fatalf("%d elements, want %d", len(list.Elems), n)
	}
	if _, err := Check(p, nil); err != nil {
		t.Error(err)
	}
	if p.String() != b.String() {
		t.Error("the list does not print as written")
	}
}

func TestBigConsChain(t *testing.T) {
	const n = 100000
	var b strings.Builder
	b.WriteString("x ~ ")
	for i := range n {
		b.WriteString(strconv.Itoa(i) + ":")
	}
	b.WriteString("[];\n")
	p := parseBig(t, b.String())
	c := p.Stmts[0].(*NetStmt).Net.Conns[0].(*Connection).Right.(*Cons)
	if len(c.Heads) != n {
		t.Fatalf("%d heads, want %d", len(c.Heads), n)
	}
	if p.String() != b.String() {
		t.Error("the chain does not print as written")
	}
}

func TestDeepTerm(t *testing.T) {
	const n = 60000
	src := "x ~ " + strings.Repeat("S(", n) + "Z" + strings.Repeat(")", n) + ";\n"
	p := parseBig(t, src)
	depth := 0
	for tm := p.Stmts[0].(*NetStmt).Net.Conns[0].(*Connection).Right; ; depth++ {
		a := tm.(*Agent)
		if a.Name == "Z" {
			break
		}
		tm = a.Args[0]
	}
	if depth != n {
		t.Fatalf("depth %d, want %d", depth, n)
	}
	if _, err := Check(p, nil); err != nil {
		t.Error(err)
	}
	if p.String() != src {
		t.Error("the term does not print as written")
	}
}

func TestDeepExpressions(t *testing.T) {
	const n = 60000
	parseBig(t, "const X = "+strings.Repeat("(", n)+"1"+strings.Repeat(")", n)+";")
	parseBig(t, "const X = "+strings.Repeat("1 + ", n)+"1;")
	parseBig(t, "const X = "+strings.Repeat("not ", n)+"1;")
	parseBig(t, "x ~ "+strings.Repeat("[", n)+strings.Repeat("]", n)+";")
}

func TestNestingLimit(t *testing.T) {
	for name, src := range map[string]string{
		"agents":      "x ~ " + strings.Repeat("S(", maxDepth+1) + "Z" + strings.Repeat(")", maxDepth+1) + ";",
		"parentheses": "const X = " + strings.Repeat("(", maxDepth+1) + "1" + strings.Repeat(")", maxDepth+1) + ";",
		"operators":   "const X = " + strings.Repeat("1 - ", maxDepth+1) + "1;",
	} {
		_, err := ParseFile("", []byte(src), 0)
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(maxDepth)) {
			t.Errorf("%s: got %v, want a nesting error", name, err)
		}
	}
}

// BenchmarkParseLongList parses a list literal of a million numbers,
// the way a program takes its input data.
func BenchmarkParseLongList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("x ~ [")
	for i := range 1000000 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(strconv.Itoa(i % 1000))
	}
	sb.WriteString("];\n")
	src := []byte(sb.String())
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFile("list.in", src, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFileTooLarge checks that a file above the lexer's size limit is
// rejected with one error at its start, with the limit lowered for the
// test.
func TestFileTooLarge(t *testing.T) {
	defer func(n int) { maxSource = n }(maxSource)
	maxSource = 10
	_, err := ParseFile("big.in", []byte("x ~ 1; y ~ 2;"), 0)
	if err == nil {
		t.Fatal("ParseFile accepted a file above the limit")
	}
	if want := "big.in:1:1: file too large: 13 bytes, the limit is 10"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if _, err := ParseFile("small.in", []byte("x ~ 1;"), 0); err != nil {
		t.Errorf("a file under the limit: %v", err)
	}
}

// TestFileTooLargeWithBOM checks that a rejected file that starts with a
// byte order mark still lexes to one end-of-input token at 1:1. The
// token's offsets must lie inside the source that the token list keeps,
// which is empty for a rejected file.
func TestFileTooLargeWithBOM(t *testing.T) {
	defer func(n int) { maxSource = n }(maxSource)
	maxSource = 10
	toks, errs := lexString("\xEF\xBB\xBFx ~ 1; y ~ 2;")
	if got, want := strings.Join(toks, " "), "EOF:@1:1"; got != want {
		t.Errorf("tokens = %s, want %s", got, want)
	}
	if got, want := strings.Join(errs, "; "), "1:1: file too large: 16 bytes, the limit is 10"; got != want {
		t.Errorf("errors = %s, want %s", got, want)
	}
}

// TestLargestFilePositions checks that the end-of-input token of a file
// at the size limit keeps its position, which is column maxSource+1 when
// the file is one line and line maxSource+1 when it is all newlines. The
// lexer is set to the state that the end of such a file leaves, because
// reading 2 GiB would take too long for a test.
func TestLargestFilePositions(t *testing.T) {
	for name, lx := range map[string]*lexer{
		"one line":      {line: 1, off: maxSource},
		"only newlines": {line: maxSource + 1, lineStart: maxSource, off: maxSource},
	} {
		want := lx.pos(lx.off)
		lx.emit(tEOF, lx.off)
		tok := *lx.toks.at(0)
		if got := lx.toks.pos(tok); got != want {
			t.Errorf("%s: end of input at %d:%d, want %d:%d", name, got.Line, got.Col, want.Line, want.Col)
		}
		if int(tok.end) != maxSource {
			t.Errorf("%s: end-of-input token ends at offset %d, want %d", name, tok.end, maxSource)
		}
	}
}
