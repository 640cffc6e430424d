package lang_test

import (
	"fmt"
	"io"

	"github.com/annette-go/annette/lang"
)

// Example runs the example of the package documentation, and shows the
// error that its comment quotes.
func Example() {
	src := []byte("inc(r) >< (int n) => r ~ n + 1;\ninc(r) ~ 41;\n")
	prog, err := lang.ParseFile("inc.in", src, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	warnings, err := lang.Check(prog, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range warnings {
		fmt.Println("warning:", w)
	}
	for _, s := range prog.Stmts {
		fmt.Println(s)
	}

	noSemicolon := []byte("inc(r) >< (int n) => r ~ n + 1;\ninc(r) ~ 41\n")
	_, err = lang.ParseFile("inc.in", noSemicolon, 0)
	fmt.Println(err)
	// Output:
	// inc(r) >< (int n) => r ~ n + 1;
	// inc(r) ~ 41;
	// inc.in:2:12: expected ';' after net, found end of input
}

func ExampleParseFile() {
	src := []byte(`
fib(r) >< (int n)
| n <= 1 => r ~ n
| _ => fib(a) ~ n - 1, fib(b) ~ n - 2, r << Add(a, b);
fib(r) ~ 10;
r;
`)
	prog, err := lang.ParseFile("fib.in", src, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := lang.Check(prog, nil); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range prog.Stmts {
		fmt.Println(s)
	}
	// Output:
	// fib(r) >< (int n) | n <= 1 => r ~ n | _ => fib(a) ~ n - 1, fib(b) ~ n - 2, r << Add(a, b);
	// fib(r) ~ 10;
	// r;
}

func ExampleCheck() {
	src := []byte("K(a, b) >< Z => a ~ b;\nK(p) ~ Z;\n")
	prog, _ := lang.ParseFile("k.in", src, 0)
	_, err := lang.Check(prog, nil)
	fmt.Println(err)
	// Output:
	// k.in:2:1: expected 2 arguments for agent K as at 1:1, found 1
}

// ExampleParseStmt reads statements the way a read-eval-print loop does.
// It keeps what the user typed and reads another line while the
// statement is incomplete.
func ExampleParseStmt() {
	lines := []string{"inc(r) >< (int n)\n", "  => r ~ n + 1; inc(r) ~ 1;\n", "r;\n"}
	var buf []byte
	for _, line := range lines {
		buf = append(buf, line...)
		for {
			s, n, err := lang.ParseStmt("stdin", buf, 0)
			if lang.IsIncomplete(err) {
				fmt.Println("... (more input needed)")
				break
			}
			buf = buf[n:]
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Println(err)
				continue
			}
			fmt.Println("run:", s)
		}
	}
	// Output:
	// ... (more input needed)
	// run: inc(r) >< (int n) => r ~ n + 1;
	// run: inc(r) ~ 1;
	// run: r;
}
