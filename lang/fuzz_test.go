package lang

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse checks that any input parses without a panic and in bounded
// time, and that a program that parses prints as source that parses back
// to the same tree. It also runs the checker and the statement-at-a-time
// parser on the input. The seeds are the files in testdata.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.in")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("x ~ (((1"))
	f.Add([]byte("A >< B | 1 => | 2 => | _ => x ~ y | _ => z ~ w;"))
	f.Fuzz(func(t *testing.T, src []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzOne(t, src)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("no result after 20s for input %q", src)
		}
	})
}

func fuzzOne(t *testing.T, src []byte) {
	p1, err := ParseFile("fuzz.in", src, 0)
	if err == nil {
		out := p1.String()
		p2, err := ParseFile("fuzz.in", []byte(out), 0)
		if err != nil {
			t.Errorf("printed program does not parse: %v\n%s", err, out)
			return
		}
		if d := astDiff(p1.Stmts, p2.Stmts); d != "" {
			t.Errorf("tree changed after printing: %s\n%s", d, out)
		}
		if again := p2.String(); again != out {
			t.Errorf("printing is not stable:\n%s\nthen\n%s", out, again)
		}
		Check(p1, nil)
	}

	rest := src
	for range len(src) + 1 {
		s, n, err := ParseStmt("fuzz.in", rest, 0)
		if err == io.EOF {
			return
		}
		if n <= 0 || n > len(rest) {
			t.Fatalf("ParseStmt consumed %d of %d bytes (stmt %v, err %v)", n, len(rest), s, err)
		}
		if err != nil && s != nil {
			t.Fatalf("ParseStmt returned both %v and %v", s, err)
		}
		rest = rest[n:]
	}
	t.Fatalf("ParseStmt did not reach the end of the input")
}
