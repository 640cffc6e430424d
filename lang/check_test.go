package lang

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func checkSrc(t *testing.T, src string, cfg *Config) (ErrorList, ErrorList) {
	t.Helper()
	p, err := ParseFile("", []byte(src), 0)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	warns, err := Check(p, cfg)
	var errs ErrorList
	if err != nil {
		errs = err.(ErrorList)
	}
	return errs, warns
}

func TestCheckArityAtUse(t *testing.T) {
	errs, _ := checkSrc(t, "K(a, b) >< Zz => a ~ b;\nK(p) ~ Zz;", nil)
	if len(errs) != 1 {
		t.Fatalf("got %v, want one error", errs)
	}
	if e := errs[0]; e.Pos.Line != 2 || e.Pos.Col != 1 || !strings.Contains(e.Msg, "agent K") {
		t.Errorf("got %v, want an arity error for K at 2:1", e)
	}
}

func TestCheckIntRuleSide(t *testing.T) {
	for _, src := range []string{
		"F(r) >< Int => r ~ 1;",
		"F(r) >< Int(n) => r ~ n;",
		"Int(n) >< F(r) => r ~ n;",
	} {
		errs, _ := checkSrc(t, src, nil)
		if len(errs) != 1 {
			t.Errorf("%q: got %v, want one error", src, errs)
			continue
		}
		if want := "Int cannot be a rule side: write (int n) to match an integer"; errs[0].Msg != want {
			t.Errorf("%q: got %q, want %q", src, errs[0].Msg, want)
		}
	}
}

func TestCheckPrograms(t *testing.T) {
	files, _ := filepath.Glob("testdata/programs/*.in")
	if len(files) == 0 {
		t.Fatal("no programs in testdata/programs")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseFile(f, src, 0)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		warns, err := Check(p, nil)
		if err != nil || len(warns) > 0 {
			t.Errorf("%s: errors %v, warnings %v", f, err, warns)
		}
	}
}

func TestCheckStmtUndoesFailedStatement(t *testing.T) {
	c := NewChecker(nil)
	stmt := func(src string) error {
		s, _, err := ParseStmt("", []byte(src), 0)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		_, err = c.CheckStmt(s)
		return err
	}

	// The rule fails, so A's arity 1 must not stay behind.
	if err := stmt("A(x) >< B => Eraser ~ Z;"); err == nil {
		t.Fatal("rule with a missing name passed")
	}
	if _, ok := c.Arity("A"); ok {
		t.Error("arity of A kept after a failed statement")
	}
	if err := stmt("A(p, q) ~ B;"); err != nil {
		t.Errorf("A with 2 arguments after the failed rule: %v", err)
	}
	if n, ok := c.Arity("A"); !ok || n != 2 {
		t.Errorf("Arity(A) = %d, %v, want 2", n, ok)
	}

	// p and q are in the interface now. A failed statement must not
	// consume p.
	if err := stmt("p ~ C(1 + z);"); err == nil {
		t.Fatal("net with an unbound name in an expression passed")
	}
	if err := stmt("p ~ D;"); err != nil {
		t.Errorf("second occurrence of p: %v", err)
	}
	if err := stmt("q ~ E(q);"); err == nil {
		t.Error("q occurring three times passed")
	}
	if err := stmt("p ~ F(p);"); err != nil {
		t.Errorf("p after it was consumed: %v", err)
	}
}

// TestUndoProgram checks that UndoProgram takes back every statement of
// the last CheckProgram, the faulty ones included, and leaves what an
// earlier statement defined.
func TestUndoProgram(t *testing.T) {
	c := NewChecker(nil)
	s, _, err := ParseStmt("", []byte("k ~ K(1);"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckStmt(s); err != nil {
		t.Fatal(err)
	}

	p, err := ParseFile("", []byte("x ~ A;\nconst N = 2;\nB ~ C(1);\nD ~ C;\nk ~ E;\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckProgram(p); err == nil {
		t.Fatal("program with two arities of C passed")
	}
	c.UndoProgram()

	for _, agent := range []string{"A", "B", "C", "D", "E"} {
		if _, ok := c.Arity(agent); ok {
			t.Errorf("arity of %s kept after UndoProgram", agent)
		}
	}
	if _, ok := c.Const("N"); ok {
		t.Error("constant N kept after UndoProgram")
	}
	if n, ok := c.Arity("K"); !ok || n != 1 {
		t.Errorf("Arity(K) = %d, %v, want 1 from the statement before the program", n, ok)
	}

	s, _, err = ParseStmt("", []byte("y ~ F(x, x), k ~ G;"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckStmt(s); err != nil {
		t.Errorf("x twice and k once more after UndoProgram: %v", err)
	}
}

func TestCheckConsts(t *testing.T) {
	c := NewChecker(&Config{Consts: map[string]int64{"SIZE": 7}})
	p, err := ParseFile("", []byte("const SIZE = 3;\nconst TWICE = SIZE * 2;\nx ~ SIZE;\nconst NEG = -TWICE;"), 0)
	if err != nil {
		t.Fatal(err)
	}
	warns, err := c.CheckProgram(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Pos.Line != 1 || !strings.Contains(warns[0].Msg, "set on the command line") {
		t.Errorf("warnings %v, want one about SIZE on line 1", warns)
	}
	for name, want := range map[string]int64{"SIZE": 7, "TWICE": 14, "NEG": -14} {
		if v, ok := c.Const(name); !ok || v != want {
			t.Errorf("Const(%s) = %d, %v, want %d", name, v, ok, want)
		}
	}
	if _, ok := c.Arity("SIZE"); ok {
		t.Error("the constant SIZE was taken for an agent")
	}
}

func TestCheckMaxArity(t *testing.T) {
	errs, _ := checkSrc(t, "x ~ A(1, 2, 3), y ~ B(1, 2);", &Config{MaxArity: 2})
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "more than the maximum of 2") {
		t.Errorf("got %v", errs)
	}
}

func TestCheckAllErrors(t *testing.T) {
	src := "A(r) >< B => r ~ x, y ~ Z;"
	errs, _ := checkSrc(t, src, nil)
	if len(errs) != 1 {
		t.Errorf("default: %d errors, want 1 per line: %v", len(errs), errs)
	}
	errs, _ = checkSrc(t, src, &Config{AllErrors: true})
	if len(errs) != 2 {
		t.Errorf("AllErrors: %d errors, want 2: %v", len(errs), errs)
	}
}

func TestCheckBuiltinArity(t *testing.T) {
	c := NewChecker(nil)
	for agent, want := range map[string]int{
		"Tuple0": 0, "Tuple5": 5, "Nil": 0, "Cons": 2, "Add": 2, "Mod": 2,
		"Append": 2, "Zip": 2, "Map": 2, "Eraser": 0, "Dup": 2, "Merger": 1,
	} {
		if n, ok := c.Arity(agent); !ok || n != want {
			t.Errorf("Arity(%s) = %d, %v, want %d", agent, n, ok, want)
		}
		if n, ok := BuiltinArity(agent); !ok || n != want {
			t.Errorf("BuiltinArity(%s) = %d, %v, want %d", agent, n, ok, want)
		}
	}
	if _, ok := BuiltinArity("Tuple1"); ok {
		t.Error("Tuple1 is built in")
	}
	errs, _ := checkSrc(t, "r << Merger([1], [2]), a, b << Merger([1], [2]);", nil)
	if len(errs) != 1 || errs[0].Pos.Col != 32 {
		t.Errorf("got %v, want one error at the second Merger, which has two outputs", errs)
	}
	// The built-in Merger takes a pair of lists only.
	for _, src := range []string{"s << Merger([1]);", "s << Merger([1], [2], [3]);",
		"Merger(s) ~ ([1], [2], [3]);", "Merger(s) ~ [1, 2];", "Merger(s) ~ 5;"} {
		errs, _ = checkSrc(t, src, nil)
		if len(errs) != 1 || !strings.Contains(errs[0].Msg, "expected 2 lists for Merger") {
			t.Errorf("%s: got %v, want the list count error", src, errs)
		}
	}
	// A name may bring the pair.
	if errs, _ = checkSrc(t, "Merger(s) ~ p, p ~ ([1], [2]);", nil); len(errs) != 0 {
		t.Errorf("Merger through a name: %v", errs)
	}
}

func TestCheckRuleWarnings(t *testing.T) {
	errs, warns := checkSrc(t, "f(r) >< Z => r ~ 1;\nf(r) >< Z => r ~ 2;\nZ >< f(s) => s ~ 3;\nf(r) >< S(x) => r ~ x;", nil)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(warns) != 2 || warns[0].Pos.Line != 2 || warns[1].Pos.Line != 3 {
		t.Fatalf("warnings %v, want lines 2 and 3", warns)
	}
	if want := "rule for Z >< f replaces the rule at 2:1"; warns[1].Msg != want {
		t.Errorf("got %q, want %q", warns[1].Msg, want)
	}
}

func TestExpandUses(t *testing.T) {
	files := map[string]string{
		"main.in":  "use \"lib.in\";\nx ~ K(1);\n",
		"lib.in":   "K(a, b) >< Z => a ~ b;\nuse \"deep.in\";\n",
		"deep.in":  "y ~ Z;\n",
		"loop.in":  "use \"loop2.in\";\n",
		"loop2.in": "use \"loop.in\";\n",
		"bad.in":   "x ~ ;\n",
		// A relative path inside a used file is resolved against that
		// file's directory when it is not found as written.
		"top/main.in":  "use \"lib/a.in\";\n",
		"top/lib/a.in": "use \"b.in\";\nx ~ Z;\n",
		"top/lib/b.in": "y ~ Z;\n",
		// An error in a nested file names it by the path it was read
		// from; a cycle through "./" is still a cycle.
		"top/errs.in":     "use \"lib/bad2.in\";\n",
		"top/lib/bad2.in": "x ~ ;\n",
		"top/self.in":     "use \"./self.in\";\n",
	}
	read := func(path string) ([]byte, error) {
		src, ok := files[path]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return []byte(src), nil
	}
	parse := func(name string) *Program {
		p, err := ParseFile(name, []byte(files[name]), 0)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	p, err := ExpandUses(parse("main.in"), read, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "K(a, b) >< Z => a ~ b;\ny ~ Z;\nx ~ K(1);\n"; got != want {
		t.Errorf("expanded:\n%s\nwant:\n%s", got, want)
	}
	_, err = Check(p, nil)
	if err == nil || !strings.Contains(err.Error(), "main.in:2:5: expected 2 arguments for agent K as at lib.in:1:1") {
		t.Errorf("check across files: %v", err)
	}

	p, err = ExpandUses(parse("top/main.in"), read, 0)
	if err != nil {
		t.Fatalf("nested relative use: %v", err)
	}
	if got, want := p.String(), "y ~ Z;\nx ~ Z;\n"; got != want {
		t.Errorf("nested relative use expanded:\n%s\nwant:\n%s", got, want)
	}

	_, err = ExpandUses(parse("top/errs.in"), read, 0)
	if err == nil || !strings.HasPrefix(err.Error(), "top/lib/bad2.in:1:5: expected term") {
		t.Errorf("error in a nested file: %v, want it named top/lib/bad2.in", err)
	}
	_, err = ExpandUses(parse("top/self.in"), read, 0)
	if err == nil || !strings.Contains(err.Error(), "use cycle: top/self.in uses top/self.in") {
		t.Errorf("cycle through ./: %v", err)
	}

	_, err = ExpandUses(parse("loop.in"), read, 0)
	if err == nil || !strings.Contains(err.Error(), "use cycle: loop.in uses loop2.in uses loop.in") {
		t.Errorf("cycle: %v", err)
	}

	prog, _ := ParseFile("x.in", []byte("use \"missing.in\";\nuse \"bad.in\";\n"), 0)
	_, err = ExpandUses(prog, read, 0)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("got %v, want two errors", err)
	}
	if !strings.HasPrefix(list[0].Error(), "bad.in:1:5: expected term") {
		t.Errorf("error in used file: %v", list[0])
	}
	if !strings.HasPrefix(list[1].Error(), "x.in:1:5: cannot read missing.in") {
		t.Errorf("missing file: %v", list[1])
	}
}

func TestExpandUsesBoundsFiles(t *testing.T) {
	// Each file uses the next one twice: 2^20 reads without a bound.
	read := func(path string) ([]byte, error) {
		var i int
		if _, err := fmt.Sscanf(path, "f%d.in", &i); err != nil || i >= 20 {
			return []byte("a ~ A;\n"), nil
		}
		return []byte(fmt.Sprintf("use \"f%d.in\";\nuse \"f%d.in\";\n", i+1, i+1)), nil
	}
	p, err := ParseFile("f0.in", []byte("use \"f1.in\";\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ExpandUses(p, read, 0)
	if err == nil || !strings.Contains(err.Error(), "use statements read more than 10000 files") {
		t.Errorf("got %v, want the file count error", err)
	}
}

func TestCheckUnusedConfigConsts(t *testing.T) {
	c := NewChecker(&Config{Consts: map[string]int64{"SIZE": 7, "SIZ": 1, "N": 2, "DECL": 3}})
	p, err := ParseFile("", []byte("const DECL = 1;\nF(r) >< (int x) => r ~ (x + N);\nx ~ SIZE;"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckProgram(p); err != nil {
		t.Fatal(err)
	}
	if got := c.UnusedConfigConsts(); !slices.Equal(got, []string{"SIZ"}) {
		t.Errorf("unused constants %v, want [SIZ]", got)
	}
}

// TestCheckReplaceWarning checks the warning of a rule that replaces
// another: an integer side is named Int, as at run time, and a rule that
// is rejected replaces nothing, so it gets no warning.
func TestCheckReplaceWarning(t *testing.T) {
	errs, warns := checkSrc(t, "Inc(r) >< (int n) => r ~ n;\nInc(r) >< (int n) => r ~ n + 1;\n", nil)
	if len(errs) != 0 || len(warns) != 1 || warns[0].Msg != "rule for Inc >< Int replaces the rule at 1:1" {
		t.Errorf("warnings %v, errors %v, want one warning naming Inc >< Int", warns, errs)
	}
	errs, warns = checkSrc(t, "L >< Go => L ~ Go;\nL(a) >< Go => L(a) ~ Go;\n", nil)
	if len(errs) == 0 || len(warns) != 0 {
		t.Errorf("warnings %v, errors %v, want the arity error alone", warns, errs)
	}
}
