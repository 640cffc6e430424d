package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/lang"
)

func TestRunCommands(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		status     int
		stdout     string
		stderrPart string
	}{
		{[]string{"version"}, exitOK, "annette ", ""},
		{[]string{"-version"}, exitOK, "annette ", ""},
		{[]string{"--version"}, exitOK, "annette ", ""},
		{[]string{"--version", "-h"}, exitOK, "usage: annette version", ""},
		{[]string{"--version", "extra"}, exitUsage, "", `--version takes no arguments, found "extra"`},
		{[]string{"help"}, exitOK, "Usage:", ""},
		{[]string{"help", "run"}, exitOK, "usage: annette run", ""},
		{[]string{"help", "bench"}, exitOK, "usage: annette bench", ""},
		{[]string{"help", "version"}, exitOK, "Usage:", ""},
		{[]string{"help", "--version"}, exitOK, "Usage:", ""},
		{[]string{"help", "dot"}, exitOK, "usage: annette dot", ""},
		{[]string{"help", "nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"help", "run", "repl"}, exitUsage, "", "takes at most one command"},
		{[]string{"version", "extra"}, exitUsage, "", `version takes no arguments, found "extra"`},
		{nil, exitUsage, "", "Usage:"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"prog.in"}, exitUsage, "", "use: annette run FILE"},
		{[]string{"-f", "prog.in"}, exitUsage, "", "use: annette run FILE"},
		{[]string{"run", "prog.in", "-t", "1"}, exitUsage, "", "flag -t after the program file"},
		{[]string{"run", ""}, exitUsage, "", "the program file name is empty"},
		{[]string{"run", "-f", ""}, exitUsage, "", "the program file name is empty"},
		{[]string{"dot", ""}, exitUsage, "", "the program file name is empty"},
	} {
		var out, errb bytes.Buffer
		got := run(tc.args, strings.NewReader(""), &out, &errb)
		if got != tc.status {
			t.Errorf("run(%q) = %d, want %d", tc.args, got, tc.status)
		}
		if !strings.Contains(out.String(), tc.stdout) {
			t.Errorf("run(%q) stdout = %q, want it to contain %q", tc.args, out.String(), tc.stdout)
		}
		if !strings.Contains(errb.String(), tc.stderrPart) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tc.args, errb.String(), tc.stderrPart)
		}
	}
}

// writeProgram writes src to a file in a temporary directory.
func writeProgram(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunProgram(t *testing.T) {
	ok := writeProgram(t, "add.in", "r << Add(3, 4);\nr;\n")
	div := writeProgram(t, "div.in", "Div3(q, int a) >< (int b) => q ~ (a / b);\nDiv3(q, 10) ~ 0;\n")
	syntax := writeProgram(t, "syntax.in", "r << Add(3, 4);\nr;\n@@@ ~~ )(\n")
	consts := writeProgram(t, "const.in", "const N = 2;\nr << Add(N, 1);\nr;\n")
	grow := writeProgram(t, "grow.in", "Grow(r) >< Go => r ~ S(s), Grow(s) ~ Go;\nGrow(x) ~ Go;\n")
	// Only active pairs multiply here: the store stays small.
	pairs := writeProgram(t, "pairs.in", "B >< (int n) => B ~ n, B ~ n;\nB ~ 0;\n")
	// A chain of wide agents that grows under the weak strategy too,
	// since the interface name stays in the term of its pair.
	tree := writeProgram(t, "tree.in", "Acc(r, x) >< Go => Acc(r, N(x, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z)) ~ Go;\nAcc(tree, Z) ~ Go;\n")
	for _, tc := range []struct {
		name    string
		args    []string
		stdin   string
		status  int
		stdout  string
		errPart string
	}{
		{"file", []string{"run", ok}, "", exitOK, "(2 interactions, 0.00 sec)\n7\n", ""},
		{"-f", []string{"run", "-f", ok}, "", exitOK, "7\n", ""},
		{"without .in", []string{"run", strings.TrimSuffix(ok, ".in")}, "", exitOK, "7\n", ""},
		{"stdin", []string{"run"}, "x << Mul(6, 7);\nx;\n", exitOK, "42\n", ""},
		{"runtime error", []string{"run", div}, "", exitError, "", "div.in:2:1: division by zero in rule Div3 >< Int"},
		{"syntax error", []string{"run", syntax}, "", exitError, "", "syntax.in:3:1:"},
		{"missing file", []string{"run", "/nonexistent/prog.in"}, "", exitError, "", "no such file"},
		{"missing file and .in", []string{"run", "/nonexistent/prog"}, "", exitError, "", "(/nonexistent/prog.in not found either)"},
		{"two files", []string{"run", ok, ok}, "", exitUsage, "", "give one program file"},
		{"bad flag", []string{"run", "-bogus", ok}, "", exitUsage, "", "Run 'annette run -h' to list the flags."},
		{"bad -d", []string{"run", "-d", "N", consts}, "", exitUsage, "", "NAME=VALUE"},
		{"-d for a built-in agent", []string{"run", "-d", "Eraser=3", consts}, "", exitUsage, "", "Eraser is a built-in agent"},
		{"-d", []string{"run", "-d", "N=40", consts}, "", exitOK, "41\n", ""},
		{"inpla flags", []string{"run", "-Xms", "16", "-foptimise-tail-calls", ok}, "", exitOK, "7\n", ""},
		{"interaction limit", []string{"run", "-max-interactions", "1", ok}, "", exitError, "", "interaction limit"},
		{"memory limit", []string{"run", "-t", "1", "-max-memory", "16", grow}, "", exitError, "", "grow.in:2:1: memory limit reached (limit 16 MiB)"},
		{"memory limit parallel", []string{"run", "-t", "2", "-max-memory", "16", grow}, "", exitError, "", "memory limit reached (limit 16 MiB)"},
		{"memory limit on pairs", []string{"run", "-t", "1", "-max-memory", "16", pairs}, "", exitError, "", "pairs.in:2:1: memory limit reached"},
		{"memory limit weak", []string{"run", "-w", "-t", "1", "-max-memory", "4", tree}, "", exitError, "", "tree.in:2:1: memory limit reached (limit 4 MiB)"},
		{"memory limit weak parallel", []string{"run", "-w", "-t", "2", "-max-memory", "4", tree}, "", exitError, "", "tree.in:2:1: memory limit reached (limit 4 MiB)"},
		{"memory limit too large", []string{"run", "-max-memory", "17592186044417", ok}, "", exitUsage, "", "-max-memory"},
		{"memory limit on pairs parallel", []string{"run", "-t", "2", "-max-memory", "16", pairs}, "", exitError, "", "memory limit reached"},
		{"too many threads", []string{"run", "-t", "100000", ok}, "", exitUsage, "", "at most 4096 threads"},
		{"lower-case -d", []string{"run", "-d", "n=5", consts}, "", exitUsage, "", "must start with an upper-case letter"},
		{"-d name with a dash", []string{"run", "-d", "A-B=5", consts}, "", exitUsage, "", `"-" cannot follow its first letter`},
		{"-d set twice", []string{"run", "-d", "M=5", "-d", "M=6", consts}, "", exitUsage, "", "constant M is set twice, to 5 and to 6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			got := run(tc.args, strings.NewReader(tc.stdin), &out, &errb)
			if got != tc.status {
				t.Errorf("status = %d, want %d (stderr %q)", got, tc.status, errb.String())
			}
			if got := timing.ReplaceAllString(out.String(), ", 0.00 sec)"); !strings.HasSuffix(got, tc.stdout) {
				t.Errorf("stdout = %q, want it to end with %q", out.String(), tc.stdout)
			}
			if tc.stdout == "" && out.Len() != 0 && tc.status != exitOK {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
			if !strings.Contains(errb.String(), tc.errPart) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tc.errPart)
			}
		})
	}
}

func TestRepl(t *testing.T) {
	input := strings.Join([]string{
		"Inc(r) >< (int x)",
		"  => r ~ x + 1;",
		"Inc(a) ~ 41; a;",
		"oops ~~ ;",
		"b << Add(1,",
		"2); b;",
		"exit;",
		"c ~ 5; c;",
	}, "\n")
	var out, errb bytes.Buffer
	if got := run([]string{"repl"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	want := "(1 interactions, 0.00 sec)\n42\n(2 interactions, 0.00 sec)\n3\n"
	if got := timing.ReplaceAllString(out.String(), ", 0.00 sec)"); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if !strings.Contains(errb.String(), "<input 4>:1:") {
		t.Errorf("stderr = %q, want the syntax error of line 4", errb.String())
	}
}

// timing matches the end of the line printed after each net, whose time
// varies and whose worker count depends on the machine; tests compare it
// as ", 0.00 sec)".
var timing = regexp.MustCompile(`( by \d+ workers)?, [0-9.]+ sec\)`)

// TestRunFlags runs each testdata/programs/flags/NAME.in with the
// arguments in NAME.args (one per line, before the file name) and
// compares the output with NAME.out.
func TestRunFlags(t *testing.T) {
	files, err := filepath.Glob("../../testdata/programs/flags/*.in")
	if err != nil || len(files) == 0 {
		t.Fatalf("no programs in testdata/programs/flags (%v)", err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(file, ".in")
		t.Run(filepath.Base(base), func(t *testing.T) {
			args := []string{"run"}
			if b, err := os.ReadFile(base + ".args"); err == nil {
				for _, a := range strings.Split(strings.TrimSpace(string(b)), "\n") {
					args = append(args, strings.TrimSpace(a))
				}
			}
			args = append(args, file)
			want, err := os.ReadFile(base + ".out")
			if err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			if got := run(args, strings.NewReader(""), &out, &errb); got != exitOK {
				t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
			}
			if got := timing.ReplaceAllString(out.String(), ", 0.00 sec)"); got != string(want) {
				t.Errorf("output differs\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

// TestReplLimitPerStatement checks that a statement stopped by the
// interaction limit does not stop the statements after it.
func TestReplLimitPerStatement(t *testing.T) {
	input := "L(r) >< (int n) => L(r) ~ n + 1;\nL(x) ~ 0;\nInc(r) >< (int x) => r ~ x + 1;\nInc(a) ~ 1;\na;\n"
	var out, errb bytes.Buffer
	if got := run([]string{"repl", "-t", "1", "-max-interactions", "1000"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if !strings.Contains(errb.String(), "interaction limit reached") {
		t.Errorf("stderr = %q, want the limit error of the endless statement", errb.String())
	}
	if got := timing.ReplaceAllString(out.String(), ", 0.00 sec)"); !strings.HasSuffix(got, "(1 interactions, 0.00 sec)\n2\n") {
		t.Errorf("stdout = %q, want the next statement to run and print 2", got)
	}
}

// TestReplAfterMemoryLimit checks that after a statement stopped by the
// memory limit and a free of what it built, the next statements can run
// on the freed cells, at one and at two workers. The store never shrinks,
// so a limit checked against its size alone stopped every later
// statement.
func TestReplAfterMemoryLimit(t *testing.T) {
	input := strings.Join([]string{
		"Grow(r) >< Go => r ~ S(w), Grow(w) ~ Go;",
		"Inc(r) >< (int n) => r ~ n + 1;",
		"Grow(z) ~ Go;",
		"free z;",
		"Inc(c) ~ 1; c;",
		"Grow(q) ~ Go;",
	}, "\n") + "\n"
	for _, workers := range []string{"1", "2"} {
		var out, errb bytes.Buffer
		if got := run([]string{"repl", "-t", workers, "-max-memory", "4"}, strings.NewReader(input), &out, &errb); got != exitOK {
			t.Fatalf("-t %s: status = %d, want 0 (stderr %q)", workers, got, errb.String())
		}
		if n := strings.Count(errb.String(), "memory limit reached (limit 4 MiB)"); n != 2 {
			t.Errorf("-t %s: stderr = %q, want the memory limit error of both Grow statements", workers, errb.String())
		}
		if !strings.HasSuffix(strings.TrimSpace(out.String()), "\n2") {
			t.Errorf("-t %s: stdout = %q, want the Inc statement to print 2", workers, out.String())
		}
	}
}

// TestReplStackAfterMemoryLimit checks that after a memory limit error
// and a free, a statement whose stack of pairs grows while its store
// does not still runs. Counting the stacks at the start of a statement
// made it fail with the memory limit.
func TestReplStackAfterMemoryLimit(t *testing.T) {
	input := strings.Join([]string{
		"G(r) >< Go => r ~ S(x), G(x) ~ Go;",
		"Fan(r) >< (int n) => if n == 0 then r ~ Z else r ~ S(a), Fan(a) ~ n-1, Fan(b) ~ n-1, Eraser ~ b;",
		"Fan(t) ~ 10;", "free t;",
		"G(a) ~ Go;", "free a;",
		"Fan(t) ~ 10;", "free t;",
		"Fan(t) ~ 3;",
	}, "\n") + "\n"
	for _, workers := range []string{"1", "2"} {
		var out, errb bytes.Buffer
		if got := run([]string{"repl", "-t", workers, "-max-memory", "16"}, strings.NewReader(input), &out, &errb); got != exitOK {
			t.Fatalf("-t %s: status = %d, want 0 (stderr %q)", workers, got, errb.String())
		}
		if n := strings.Count(errb.String(), "memory limit reached"); n != 1 {
			t.Errorf("-t %s: stderr = %q, want the memory limit error of the G statement alone", workers, errb.String())
		}
		if n := strings.Count(out.String(), "interactions"); n != 3 {
			t.Errorf("-t %s: stdout = %q, want three Fan statements run", workers, out.String())
		}
	}
}

// TestReplUnusedConst checks that a constant given with -d that no
// statement names gets a warning when the session ends, and a named one
// none.
func TestReplUnusedConst(t *testing.T) {
	var out, errb bytes.Buffer
	input := "b ~ N;\nb;\n"
	if got := run([]string{"repl", "-t", "1", "-d", "SZIE=5", "-d", "N=2"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if want := "annette: warning: constant SZIE was set with -d but no statement named it\n"; errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
}

// TestReplConstOverridden checks that a const statement typed at the
// prompt for a constant set with -d prints Inpla's message only, as
// annette run does, and no warning besides.
func TestReplConstOverridden(t *testing.T) {
	var out, errb bytes.Buffer
	input := "const N = 2;\nb ~ N;\nb;\n"
	if got := run([]string{"repl", "-t", "1", "-d", "N=5"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if want := "`N' has been already bound to a value `5' as immutable.\n\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("stdout = %q, want it to start with %q", out.String(), want)
	}
	if errb.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", errb.String())
	}
}

// TestReplFailedExpressionBuildsNothing checks that a statement whose
// integer expression fails leaves no agent and no name behind, even
// where parts of it come before the expression, and that the arity it
// gave Baz is forgotten.
func TestReplFailedExpressionBuildsNothing(t *testing.T) {
	input := "g ~ Baz(x), x ~ 1/0, y ~ Q;\nifce; memstat;\nh ~ Baz;\nh;\n"
	var out, errb bytes.Buffer
	if got := run([]string{"repl", "-t", "1"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if !strings.Contains(errb.String(), "division by zero") {
		t.Errorf("stderr = %q, want a division by zero", errb.String())
	}
	for _, want := range []string{"<NO-INTERFACE>\nUsing 0 agent nodes and 0 name nodes.", "\nBaz\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout = %q, want it to contain %q", out.String(), want)
		}
	}
}

// TestReplFailedRuleDefinesNothing checks that a rule whose body fails
// to compile leaves no agent arity behind: the agents it names may be
// used with other arities afterwards.
func TestReplFailedRuleDefinesNothing(t *testing.T) {
	input := "A(r) >< C => w ~ w, r ~ 1;\na ~ A(r, s), c ~ C(q);\na c;\n"
	var out, errb bytes.Buffer
	if got := run([]string{"repl", "-t", "1"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if want := "<input 1>:1:1: rule A >< C: a wire forms a loop with no agent on it\n"; errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
	if want := "A(r,s) C(q)\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("stdout = %q, want it to end in %q", out.String(), want)
	}
}

// TestReplFailedNetFreed checks that the agents of a net whose reduction
// failed are freed with their names, while a net that shares a wire with
// it stays as it was.
func TestReplFailedNetFreed(t *testing.T) {
	input := strings.Join([]string{
		"Inc(r) >< (int n) => r ~ n + 1;",
		"p ~ Pair(x, 2);",
		"Inc(c) ~ Q;",
		"ifce; memstat;",
		"Inc(x) ~ Q;",
		"p; memstat;",
	}, "\n")
	var out, errb bytes.Buffer
	if got := run([]string{"repl", "-t", "1"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if n := strings.Count(errb.String(), "no rule for Inc >< Q"); n != 2 {
		t.Errorf("stderr = %q, want two errors for Inc >< Q", errb.String())
	}
	got := timing.ReplaceAllString(out.String(), ", 0.00 sec)")
	// After the first failure only p and x are left, with the Pair agent:
	// c went with Inc and Q. The second failure frees Inc and Q but not
	// the Pair, which holds x's wire.
	for _, want := range []string{
		"Connections:\np ->Pair(x,2)\nx -><EMPTY>\n\nUsing 1 agent nodes and 2 name nodes.",
		"Pair(<a1>,2)\nUsing 1 agent nodes and 2 name nodes.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stdout = %q, want it to contain %q", got, want)
		}
	}
}

// TestReplExitWithoutSemicolon checks that exit or quit alone on a line
// ends the session when no statement is pending, and that otherwise the
// line is read as before.
func TestReplExitWithoutSemicolon(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"exit", "a ~ 1; a;\nexit\nb ~ 2; b;\n", "1\n"},
		{"quit with spaces", "a ~ 1; a;\n  quit \t\nb ~ 2; b;\n", "1\n"},
		{"after a comment", "/* note */\nexit\nb ~ 2; b;\n", ""},
		{"inside a statement", "a ~\nquit\n;\nb ~ 2; b;\n", "2\n"},
		{"inside a comment", "/*\nexit\n*/ b ~ 2; b;\n", "2\n"},
		{"longer name", "exits ~ 2; exits;\n", "2\n"},
	} {
		var out, errb bytes.Buffer
		run([]string{"repl"}, strings.NewReader(tc.input), &out, &errb)
		// Only the printed terms matter: drop the lines that count
		// interactions.
		var got strings.Builder
		for line := range strings.Lines(out.String()) {
			if !strings.HasPrefix(line, "(") {
				got.WriteString(line)
			}
		}
		if got.String() != tc.want {
			t.Errorf("%s: printed %q, want %q (stderr %q)", tc.name, got.String(), tc.want, errb.String())
		}
	}
}

func TestReplUnfinishedInput(t *testing.T) {
	var out, errb bytes.Buffer
	if got := run([]string{"repl"}, strings.NewReader("Inc(a) ~ "), &out, &errb); got != exitError {
		t.Errorf("status = %d, want %d (stderr %q)", got, exitError, errb.String())
	}
}

// TestReplUseRuntimeError checks that a used file whose net fails leaves
// no active pairs behind for the next statement.
func TestReplUseRuntimeError(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.in")
	if err := os.WriteFile(bad, []byte("Foo ~ Bar;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	input := "use \"" + bad + "\";\nx ~ 1;\nx;\n"
	var out, errb bytes.Buffer
	if got := run([]string{"repl", "-t", "1"}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if n := strings.Count(errb.String(), "no rule for Foo >< Bar"); n != 1 {
		t.Errorf("stderr = %q, want the error once", errb.String())
	}
	if got := timing.ReplaceAllString(out.String(), ", 0.00 sec)"); got != "(0 interactions, 0.00 sec)\n1\n" {
		t.Errorf("stdout = %q, want the next statement to run and print 1", got)
	}
}

// TestReplUseFailedCheckDefinesNothing checks that a used file that
// fails its check, or whose rule fails to compile, runs nothing and
// leaves no name or arity behind for the statements after it.
func TestReplUseFailedCheckDefinesNothing(t *testing.T) {
	for _, tc := range []struct{ name, file, err string }{
		{"check", "x ~ A;\nB ~ C(1);\nD ~ C;\n", "expected 1 argument for agent C"},
		{"compile", "x ~ A;\nC(r) >< B => w ~ w, r ~ 1;\n", "a wire forms a loop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.in")
			if err := os.WriteFile(bad, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			input := "use \"" + bad + "\";\ny ~ F(x, x), c ~ C, a ~ A(z);\ny c a;\n"
			var out, errb bytes.Buffer
			if got := run([]string{"repl", "-t", "1"}, strings.NewReader(input), &out, &errb); got != exitOK {
				t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
			}
			if n := strings.Count(errb.String(), "\n"); n != 1 || !strings.Contains(errb.String(), tc.err) {
				t.Errorf("stderr = %q, want one line with %q", errb.String(), tc.err)
			}
			if want := "F(<a1>,<a1>) C A(z)\n"; !strings.HasSuffix(out.String(), want) {
				t.Errorf("stdout = %q, want it to end in %q", out.String(), want)
			}
		})
	}
}

// TestInterrupted checks the message of a run stopped by Ctrl-C, whose
// context is the only one cancelled by a signal.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	canceled := &annette.ProgramError{Pos: lang.Pos{File: "p.in", Line: 2, Col: 1}, Err: context.Canceled}
	if got := interrupted(ctx, canceled); got != canceled {
		t.Errorf("before the signal: %v, want the error unchanged", got)
	}
	cancel()
	if got, want := interrupted(ctx, canceled).Error(), "p.in:2:1: interrupted"; got != want {
		t.Errorf("after the signal: %q, want %q", got, want)
	}
	other := errors.New("division by zero")
	if got := interrupted(ctx, other); got != other {
		t.Errorf("another error became %v", got)
	}
}

// scriptLines is a lineReader that returns its lines in turn; an entry
// of nil stands for Ctrl-C at the prompt.
type scriptLines struct{ lines []*string }

func (s *scriptLines) ReadLine(bool) (string, error) {
	if len(s.lines) == 0 {
		return "", io.EOF
	}
	l := s.lines[0]
	s.lines = s.lines[1:]
	if l == nil {
		return "", errDiscard
	}
	return *l, nil
}

// TestReplCtrlCDiscards checks that Ctrl-C in the middle of a statement
// drops what was typed of it, and that the next statement runs alone.
func TestReplCtrlCDiscards(t *testing.T) {
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	var errb bytes.Buffer
	str := func(s string) *string { return &s }
	lines := &scriptLines{lines: []*string{str("x ~ Foo("), nil, str("y ~ 2;")}}
	if got := repl(ip, lines, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("stderr = %q, want nothing: the unfinished statement was dropped", errb.String())
	}
}

// TestHelpToStdout checks that -h prints a subcommand's help to standard
// output, so that it can be paged, and nothing to standard error.
func TestHelpToStdout(t *testing.T) {
	for _, cmd := range []string{"run", "repl", "bench", "dot", "version"} {
		var out, errb bytes.Buffer
		if got := run([]string{cmd, "-h"}, strings.NewReader(""), &out, &errb); got != exitOK {
			t.Errorf("%s -h: status %d, want 0", cmd, got)
		}
		if want := "usage: annette " + cmd; !strings.Contains(out.String(), want) {
			t.Errorf("%s -h: stdout %q, want it to contain %q", cmd, out.String(), want)
		}
		if !strings.Contains(out.String(), "-max-memory") && (cmd == "run" || cmd == "repl") {
			t.Errorf("%s -h: stdout lacks the flag list", cmd)
		}
		if errb.Len() != 0 {
			t.Errorf("%s -h: stderr %q, want nothing", cmd, errb.String())
		}
	}
}

// TestReplComments checks that comments end no statement and begin none:
// a ';' in a comment, a comment after the last statement and lines of
// comments alone.
func TestReplComments(t *testing.T) {
	tests := []struct {
		name, input, stdout string
		status              int
		stderr              string
	}{
		{"semicolon in a line comment", "x ~ 1; // first; second\ny ~ 2;\nx y;\n", "1 2\n", exitOK, ""},
		{"semicolon in a block comment", "x ~ /* ; */ 3;\nx;\n", "3\n", exitOK, ""},
		{"comment after the last statement", "a ~ B; // done\n", "", exitOK, ""},
		{"comment lines only", "// one\n/* two */\n", "", exitOK, ""},
		{"error counts lines after comments", "// c\n\n// d\na ~ 5 +;\n", "", exitOK, "<input 4>:1:8:"},
		{"block comment over lines", "/* a\n   b */\n", "", exitOK, ""},
		{"let binding ends a line", "let n = 10;\nm = n * n in b ~ m end;\nb;\n", "100\n", exitOK, ""},
		{"brace binding ends a line", "{ k = 3;\n} c ~ [k, k];\nc;\n", "[3,3]\n", exitOK, ""},
		{"let over many lines", "let x0 = 0;\nx1 = x0 + 1;\nx2 = x1 + 1;\ny = 1 in a ~ x2 end;\na;\n", "2\n", exitOK, ""},
		{"let in a rule", "Vol(r, int w) >< (int h) => let s = w * h;\n  v = s * 2 in r ~ (s, v) end;\nVol(f, 2) ~ 5;\nf;\n", "(1 interactions, 0.00 sec)\n(10,20)\n", exitOK, ""},
		{"statements after an error run", "a ~ ; b ~ 2; b;\n", "2\n", exitOK, "<input 1>:1:5:"},
		{"error column after a statement", "a ~ 1; b ~ Foo(;\n", "", exitOK, "<input 1>:1:16:"},
		{"error line after a statement", "a ~\nFoo; b ~ (\nBar;\n", "", exitOK, "<input 2>:2:4: expected ')' to close '(' at 1:10"},
		{"open block comment", "a ~ B;\n/* c\n", "", exitError, "input ended inside a comment"},
		{"open statement", "a ~ B;\nb ~ // c\n", "", exitError, "input ended inside a statement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := run([]string{"repl", "-t", "1"}, strings.NewReader(tc.input), &out, &errb); got != tc.status {
				t.Errorf("status = %d, want %d (stderr %q)", got, tc.status, errb.String())
			}
			got := strings.ReplaceAll(timing.ReplaceAllString(out.String(), ", 0.00 sec)"), "(0 interactions, 0.00 sec)\n", "")
			if got != tc.stdout {
				t.Errorf("stdout = %q, want %q", got, tc.stdout)
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr = %q, want %q in it", errb.String(), tc.stderr)
			}
		})
	}
}

// TestReplPromptAfterComment checks that a line of comments leaves the
// prompt for a new statement, and that an unfinished statement gets the
// continuation prompt.
func TestReplPromptAfterComment(t *testing.T) {
	lines := &promptLines{lines: []string{"// note", "a ~ B; // x", "b ~", "C;"}}
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	if status := repl(ip, lines, io.Discard); status != exitOK {
		t.Fatalf("status = %d", status)
	}
	if want := []bool{false, false, false, true, false}; fmt.Sprint(lines.more) != fmt.Sprint(want) {
		t.Errorf("continuation prompts %v, want %v", lines.more, want)
	}
}

// promptLines is a lineReader that records whether each read asked for
// the continuation of a statement.
type promptLines struct {
	lines []string
	more  []bool
}

func (p *promptLines) ReadLine(more bool) (string, error) {
	p.more = append(p.more, more)
	if len(p.lines) == 0 {
		return "", io.EOF
	}
	line := p.lines[0]
	p.lines = p.lines[1:]
	return line, nil
}

// failWriter fails every write, as a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteErrors checks that results or profiles that cannot be
// written make the run fail with a message.
func TestWriteErrors(t *testing.T) {
	prog := filepath.Join(t.TempDir(), "ok.in")
	if err := os.WriteFile(prog, []byte("x ~ 1;\nx;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	if got := run([]string{"run", "-t", "1", prog}, strings.NewReader(""), failWriter{}, &errb); got != exitError {
		t.Errorf("results to a failing writer: status = %d, want %d", got, exitError)
	}
	if !strings.Contains(errb.String(), "writing the results failed: disk full") {
		t.Errorf("results to a failing writer: stderr = %q", errb.String())
	}
	errb.Reset()
	if got := run([]string{"repl", "-t", "1"}, strings.NewReader("x ~ 1;\nx;\n"), failWriter{}, &errb); got != exitError {
		t.Errorf("repl results to a failing writer: status = %d, want %d", got, exitError)
	}
	if !strings.Contains(errb.String(), "writing the results failed: disk full") {
		t.Errorf("repl results to a failing writer: stderr = %q", errb.String())
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full to fail the profiles")
	}
	for _, flag := range []string{"-cpuprofile", "-memprofile"} {
		errb.Reset()
		if got := run([]string{"run", "-t", "1", flag, "/dev/full", prog}, strings.NewReader(""), io.Discard, &errb); got != exitError {
			t.Errorf("%s /dev/full: status = %d, want %d", flag, got, exitError)
		}
		if !strings.Contains(errb.String(), "writing the profiles failed") {
			t.Errorf("%s /dev/full: stderr = %q", flag, errb.String())
		}
	}
}

// TestReplProfilesAndStats checks that repl writes the profiles and
// prints the statistics of the session when it ends.
func TestReplProfilesAndStats(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	var out, errb bytes.Buffer
	input := "F(r) >< (int n) => r ~ n;\nF(a) ~ 1;\nF(b) ~ 2;\n"
	if got := run([]string{"repl", "-t", "1", "-stats", "-cpuprofile", cpu, "-memprofile", mem}, strings.NewReader(input), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, stderr %q", got, errb.String())
	}
	if !strings.Contains(errb.String(), "interactions: 2\n") {
		t.Errorf("stderr = %q, want the session's 2 interactions", errb.String())
	}
	for _, p := range []string{cpu, mem} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", p, err)
		}
	}
}

// TestReplMatchesRun feeds each program of testdata/programs that runs
// without an error to the REPL line by line, and checks that it prints
// what annette run prints for the whole file.
func TestReplMatchesRun(t *testing.T) {
	files, err := filepath.Glob("../../testdata/programs/*.in")
	if err != nil || len(files) == 0 {
		t.Fatalf("no programs in testdata/programs (%v)", err)
	}
	for _, file := range files {
		base := strings.TrimSuffix(file, ".in")
		if _, err := os.Stat(base + ".err"); err == nil {
			continue // the REPL goes on after an error, run does not
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "use ") || strings.Contains(string(src), "rand") {
			continue // paths relative to the file; random draws
		}
		t.Run(filepath.Base(base), func(t *testing.T) {
			var runOut, replOut, errb bytes.Buffer
			if got := run([]string{"run", "-t", "1", file}, strings.NewReader(""), &runOut, &errb); got != exitOK {
				t.Fatalf("run: status %d, stderr %q", got, errb.String())
			}
			if got := run([]string{"repl", "-t", "1"}, bytes.NewReader(src), &replOut, &errb); got != exitOK {
				t.Fatalf("repl: status %d, stderr %q", got, errb.String())
			}
			norm := func(s string) string { return timing.ReplaceAllString(s, ", 0.00 sec)") }
			if got, want := norm(replOut.String()), norm(runOut.String()); got != want {
				t.Errorf("repl printed\n%s\nrun printed\n%s", got, want)
			}
		})
	}
}

// TestReadFileTooLarge gives a sparse file one byte over the limit: it
// is rejected by its size, before any of it is read.
func TestReadFileTooLarge(t *testing.T) {
	name := filepath.Join(t.TempDir(), "big.in")
	fd, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := fd.Truncate(maxSource + 1); err != nil {
		fd.Close()
		t.Skipf("no sparse file here: %v", err)
	}
	fd.Close()
	if _, err := readFile(name); !errors.Is(err, errTooLarge) {
		t.Errorf("readFile = %v, want %v", err, errTooLarge)
	}
}
