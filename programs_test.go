package annette_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/internal/engine"
)

// timing matches the line printed after each net; the time varies from
// run to run, so tests compare it as 0.00, and the worker count of a
// parallel run is left out.
var timing = regexp.MustCompile(`(?m)^\((\d+) interactions(?: by \d+ workers)?, [0-9.]+ sec\)$`)

func normalizeTiming(s string) string {
	return timing.ReplaceAllString(s, "($1 interactions, 0.00 sec)")
}

// runProgram runs a program file with the interpreter and returns what it
// printed and the error it stopped with.
func runProgram(t *testing.T, path string) (string, error) {
	t.Helper()
	return runProgramOn(t, path, 1, annette.Auto)
}

// runProgramOn runs a program file with the given number of workers.
func runProgramOn(t *testing.T, path string, workers int, mode annette.ExecutionMode) (string, error) {
	t.Helper()
	return runProgramSwitch(t, path, workers, mode, 0)
}

// runProgramSwitch is runProgramOn with the SequentialTime of the
// interpreter's parallel network set to sequentialTime, unless that is 0.
func runProgramSwitch(t *testing.T, path string, workers int, mode annette.ExecutionMode, sequentialTime time.Duration) (string, error) {
	t.Helper()
	src, err := os.ReadFile(path)
	must(t, err)
	var out, errOut bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{
		Config:  annette.Config{MaxInteractions: 1e9},
		Stdout:  &out,
		Stderr:  &errOut,
		Workers: workers,
		Mode:    mode,
	})
	must(t, err)
	defer ip.Close()
	if p := ip.Parallel(); p != nil && sequentialTime != 0 {
		annette.SetSequentialTime(p, sequentialTime)
	}
	err = ip.Run(path, src)
	return out.String(), err
}

// TestProgramsParallel runs every program of testdata/programs and
// examples on several workers and checks that each prints what the
// sequential reducer prints, interaction counts included, and fails with
// the same error. It runs them in Parallel mode, and in Auto mode with a
// negative SequentialTime, so that Auto mode can hand the pairs of these
// short nets to the workers.
func TestProgramsParallel(t *testing.T) {
	files, err := filepath.Glob("testdata/programs/*.in")
	must(t, err)
	ex, err := filepath.Glob("examples/*.in")
	must(t, err)
	files = append(files, ex...)
	counts := []int{2, 3, 4, 8, 16}
	if raceEnabled() {
		counts = []int{2, 4}
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			want, wantErr := runProgramOn(t, file, 1, annette.Auto)
			for _, workers := range counts {
				for _, mode := range []annette.ExecutionMode{annette.Parallel, annette.Auto} {
					got, err := runProgramSwitch(t, file, workers, mode, -1)
					if normalizeTiming(got) != normalizeTiming(want) {
						t.Errorf("%d workers, %v mode print\n%s\nsequential prints\n%s", workers, mode, got, want)
					}
					if fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Errorf("%d workers, %v mode: error %v, sequential %v", workers, mode, err, wantErr)
					}
				}
			}
		})
	}
}

// TestPrograms runs each testdata/programs/NAME.in and compares its output
// with NAME.out and, for a program that must fail, its error with
// NAME.err, whose first line is "LINE:COL: REGEXP".
func TestPrograms(t *testing.T) {
	files, err := filepath.Glob("testdata/programs/*.in")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no programs in testdata/programs")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".in")
		t.Run(name, func(t *testing.T) {
			out, err := runProgram(t, file)
			base := strings.TrimSuffix(file, ".in")
			if want, rerr := os.ReadFile(base + ".out"); rerr == nil {
				if got := normalizeTiming(out); got != string(want) {
					t.Errorf("output differs\n--- got\n%s--- want\n%s", got, want)
				}
			}
			wantErr, rerr := os.ReadFile(base + ".err")
			if rerr != nil {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			checkProgramError(t, file, err, strings.SplitN(string(wantErr), "\n", 2)[0])
		})
	}
}

// checkProgramError checks err against "LINE:COL: REGEXP".
func checkProgramError(t *testing.T, file string, err error, spec string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", spec)
	}
	pos, pattern, ok := strings.Cut(spec, ": ")
	if !ok {
		t.Fatalf("bad .err line %q: want LINE:COL: REGEXP", spec)
	}
	msg := err.Error()
	prefix := file + ":" + pos + ": "
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	re, rerr := regexp.Compile(pattern)
	if rerr != nil {
		t.Fatalf("bad regexp in .err: %v", rerr)
	}
	if !re.MatchString(msg) {
		t.Errorf("error %q does not match %q", msg, pattern)
	}
}

// TestExamples runs each examples/*.in and checks the lines listed under
// "// Prints:" in its header against what it prints, timing lines left
// out. In the header, "(empty line)" stands for an empty line.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("examples/*.in")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := headerResults(t, file)
			out, err := runProgram(t, file)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if !timing.MatchString(line) {
					got = append(got, line)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("prints\n%s\nheader says\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// headerResults returns the lines under "// Prints:" in a program's
// header comment.
func headerResults(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	must(t, err)
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "// Prints") && strings.HasSuffix(line, ":"):
			in = true
		case in && strings.TrimSpace(line) == "//   (empty line)":
			lines = append(lines, "")
		case in && strings.HasPrefix(line, "//   "):
			lines = append(lines, strings.TrimPrefix(line, "//   "))
		case in:
			return lines
		}
	}
	if !in {
		t.Fatalf("%s has no \"// Prints:\" section in its header", file)
	}
	return lines
}

// quickHeader matches the header of a benchmark program: the result line
// it prints and its interaction count.
var quickHeader = regexp.MustCompile("(?s)Prints `([^`]+)`.*?after[\\s/]+(\\d+)[\\s/]+interactions")

// TestBenchQuick runs the quick sizes of the benchmark programs in
// bench/programs and checks the result and interaction count stated in
// each header, sequentially and on two workers.
func TestBenchQuick(t *testing.T) {
	files, err := filepath.Glob("bench/programs/*-quick.in")
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no quick benchmark programs")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			must(t, err)
			m := quickHeader.FindStringSubmatch(string(src))
			if m == nil {
				t.Fatalf("%s: no \"Prints `...` after N interactions\" in the header", file)
			}
			for _, workers := range []int{1, 2} {
				out, err := runProgramOn(t, file, workers, annette.Auto)
				if err != nil {
					t.Fatalf("%d workers: %v", workers, err)
				}
				var results []string
				var total int64
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					if c := timing.FindStringSubmatch(line); c != nil {
						n, _ := strconv.ParseInt(c[1], 10, 64)
						total += n
						continue
					}
					results = append(results, line)
				}
				if got := strings.Join(results, "\n"); got != m[1] {
					t.Errorf("%d workers print %q, header says %q", workers, got, m[1])
				}
				if want, _ := strconv.ParseInt(m[2], 10, 64); total != want {
					t.Errorf("%d workers: %d interactions, header says %d", workers, total, want)
				}
			}
		})
	}
}

// TestProgramsGeneralRewrite runs every program of testdata/programs, the
// examples and the quick benchmark programs with rewrite rules compiled to
// programs (the fast path) and without (the general path), and checks
// that both print the same, interaction counts included.
func TestProgramsGeneralRewrite(t *testing.T) {
	var files []string
	for _, pat := range []string{"testdata/programs/*.in", "examples/*.in", "bench/programs/*-quick.in"} {
		f, err := filepath.Glob(pat)
		must(t, err)
		files = append(files, f...)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			want, wantErr := runProgramOn(t, file, 1, annette.Sequential)
			engine.NoPrograms.Store(true)
			got, err := runProgramOn(t, file, 1, annette.Sequential)
			engine.NoPrograms.Store(false)
			if normalizeTiming(got) != normalizeTiming(want) {
				t.Errorf("general path prints\n%s\ncompiled programs print\n%s", got, want)
			}
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("general path: error %v, compiled programs: %v", err, wantErr)
			}
		})
	}
}

// TestWeakPendingInteger checks the weak strategy with integers that wait:
// one that a parked pair brings makes that pair run, and one that no pair
// can bring is an error naming the rule.
func TestWeakPendingInteger(t *testing.T) {
	src := `Get(r, int a) >< (int b) => r ~ a + b;
Id(r) >< (int n) => r ~ n;
Get(r, x) ~ 5, Id(x) ~ 2;
r;
Get(s, y) ~ 1;
s;
`
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Stderr: &out, Weak: true, Workers: 1})
	must(t, err)
	defer ip.Close()
	err = ip.Run("weak.in", []byte(src))
	if got := normalizeTiming(out.String()); !strings.HasPrefix(got, "(2 interactions, 0.00 sec)\n7\n") {
		t.Errorf("output = %q, want 7 after 2 interactions first", got)
	}
	if msg := fmt.Sprint(err); !strings.Contains(msg, "has not arrived in rule Get >< Int") || !strings.HasPrefix(msg, "weak.in:5:1:") {
		t.Errorf("error = %v, want the pending integer of Get >< Int", err)
	}
}

// TestWeakPairBelowAgent checks that the weak strategy leaves a pair
// that an interface name reaches only through an agent's auxiliary port,
// with no name in the pair's own term, until a statement takes the agent
// apart.
func TestWeakPairBelowAgent(t *testing.T) {
	src := `Inc(r) >< (int n) => r ~ n + 1;
Open(r) >< Box(x) => r ~ x;
a ~ Box(w), Inc(w) ~ 1;
a;
Open(v) ~ a;
v;
`
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Stderr: &out, Weak: true, Workers: 1})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("weak.in", []byte(src)))
	want := "(0 interactions, 0.00 sec)\nBox(<a1>)\n(2 interactions, 0.00 sec)\n2\n"
	if got := normalizeTiming(out.String()); got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

// TestUnusedConstWarning checks that a constant set before a program that
// never names it gets a warning before the program runs, and a used one
// none.
func TestUnusedConstWarning(t *testing.T) {
	src := "F(r) >< (int x) => r ~ x + SIZE;\nF(a) ~ 1;\na;\n"
	var out, errOut bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{
		Stdout: &out, Stderr: &errOut, Workers: 1,
		Consts: map[string]int64{"SIZE": 2, "SZIE": 9},
	})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("c.in", []byte(src)))
	if got := errOut.String(); !strings.Contains(got, "constant SZIE is set before the program") || strings.Contains(got, "constant SIZE") {
		t.Errorf("stderr = %q, want a warning about SZIE only", got)
	}
	if got := normalizeTiming(out.String()); !strings.HasSuffix(got, "\n3\n") {
		t.Errorf("output = %q, want 3", got)
	}
}

// TestInteractionLimitMessage checks that the limit in the error of a net
// statement is the configured one, not the total of earlier statements.
func TestInteractionLimitMessage(t *testing.T) {
	src := `Down(r) >< (int n)
| n == 0 => r ~ 0
| _      => Down(r) ~ n - 1;
Loop >< Go => Loop ~ Go;
Down(a) ~ 500;
Down(b) ~ 500;
Loop ~ Go;
`
	for _, workers := range []int{1, 2} {
		var out bytes.Buffer
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{
			Stdout: &out, Stderr: &out, Workers: workers,
			Config: annette.Config{MaxInteractions: 1000},
		})
		must(t, err)
		err = ip.Run("lim.in", []byte(src))
		ip.Close()
		if msg := fmt.Sprint(err); !strings.HasPrefix(msg, "lim.in:7:1: ") || !strings.Contains(msg, "(limit 1000)") {
			t.Errorf("%d workers: error = %v, want the limit 1000 at 7:1", workers, err)
		}
	}
}

// TestRunErrorChain checks that a run-time error of a program keeps its
// message in the language's terms and still matches the engine's errors
// with errors.Is and errors.As.
func TestRunErrorChain(t *testing.T) {
	for _, tc := range []struct {
		name, src, msg string
		is             error
		rule           string
	}{
		{"missing rule", "Foo(r) ~ 5;\n", "p.in:1:1: no rule for Foo >< Int", annette.ErrNoRule, ""},
		{"rule after its net", "Foo(r) ~ 5;\nBar >< Baz =>;\n(int n) >< Foo(r) => r ~ n;\n",
			"p.in:1:1: no rule for Foo >< Int (the rule at 3:2 comes later: a rule applies only to the statements after it)",
			annette.ErrNoRule, ""},
		{"wildcard rule after its net", "Foo(r) ~ Baz;\nFoo(r) >< x => r ~ x;\n",
			"p.in:1:1: no rule for Foo >< Baz (the rule at 2:1 comes later: a rule applies only to the statements after it)",
			annette.ErrNoRule, ""},
		{"rule division", "D(r) >< (int n) => r ~ 10 / n;\nD(a) ~ 0;\n",
			"p.in:2:1: division by zero in rule D >< Int (p.in:1:1)", annette.ErrDivideByZero, "p.in:1:1"},
		{"built-in division", "r << Div(7, 0);\n", "p.in:1:1: division by zero in built-in Div", annette.ErrDivideByZero, "Div"},
		{"function agent", "Inc(r) >< (int x) => r ~ x + 1;\nws << Map([1, 2], %Inc);\n",
			"p.in:2:1: no rule for Map >< %Inc", annette.ErrNoRule, ""},
		{"merger of no list", "r << Merger(A, []);\n", "p.in:1:1: no rule for A >< _MergerP", annette.ErrNoRule, ""},
		{"copy of a merger reader", "r << Merger(p, [1]);\np ~ Dup(a, b);\n",
			"p.in:2:1: cannot copy a reader of a Merger (or any agent whose Go value keeps ports of the net) in built-in Dup",
			annette.ErrCopyHeldPorts, "Dup"},
	} {
		for _, workers := range []int{1, 2} {
			err := runProgramError(t, tc.name, workers, tc.src, tc.msg, tc.is)
			var re *annette.RuleError
			if !errors.As(err, &re) {
				t.Errorf("%s, %d workers: error %v does not wrap a *RuleError", tc.name, workers, err)
			} else if re.Rule != tc.rule {
				t.Errorf("%s, %d workers: RuleError.Rule = %q, want %q", tc.name, workers, re.Rule, tc.rule)
			}
		}
	}
}

// TestRunExprErrorPos checks that an integer expression of a net
// statement that fails at run time is reported at its operator or rand
// call, as a constant's is, and still matches the engine's error.
func TestRunExprErrorPos(t *testing.T) {
	for _, tc := range []struct {
		name, src, msg string
		is             error
	}{
		{"division", "a ~ 10 / 0;\na;\n", "p.in:1:8: division by zero", annette.ErrDivideByZero},
		{"modulo nested", "a ~ 1 + (2 * (3 % 0));\n", "p.in:1:17: division by zero", annette.ErrDivideByZero},
		{"in an agent", "a ~ (1, 2 / 0);\n", "p.in:1:11: division by zero", annette.ErrDivideByZero},
		{"rand", "a ~ rand(0);\n", "p.in:1:5: rand argument must be positive: rand(0)", annette.ErrRandRange},
		{"where binding", "a ~ y where y = 4 / 0;\n", "p.in:1:19: division by zero", annette.ErrDivideByZero},
		{"second line", "a ~ 1;\nb ~ 2 %\n  0;\n", "p.in:2:7: division by zero", annette.ErrDivideByZero},
	} {
		for _, workers := range []int{1, 2} {
			runProgramError(t, tc.name, workers, tc.src, tc.msg, tc.is)
		}
	}
}

// runProgramError runs src as p.in on an Interpreter with the given
// number of workers and checks that it fails with the message msg, as a
// *ProgramError that matches is. It returns the error.
func runProgramError(t *testing.T, name string, workers int, src, msg string, is error) error {
	t.Helper()
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: workers})
	must(t, err)
	err = ip.Run("p.in", []byte(src))
	ip.Close()
	if fmt.Sprint(err) != msg {
		t.Errorf("%s, %d workers: error = %v, want %s", name, workers, err, msg)
	}
	var pe *annette.ProgramError
	if !errors.As(err, &pe) {
		t.Errorf("%s, %d workers: error %v is not a *ProgramError", name, workers, err)
	}
	if !errors.Is(err, is) {
		t.Errorf("%s, %d workers: errors.Is(%v, %v) is false", name, workers, err, is)
	}
	return err
}

// TestRunKeepsNames checks that a second Run on one Interpreter uses the
// rules and the names that the first left.
func TestRunKeepsNames(t *testing.T) {
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("first.in", []byte("Inc(r) >< (int n) => r ~ n + 1;\nInc(x) ~ 4;\n")))
	must(t, ip.Run("second.in", []byte("Inc(y) ~ x;\ny;\n")))
	if got := normalizeTiming(out.String()); got != "(1 interactions, 0.00 sec)\n(1 interactions, 0.00 sec)\n6\n" {
		t.Errorf("output = %q, want 6 from the second run", got)
	}
}

// TestNestedGuardDepth checks that deeply nested guard lists run when
// their flattened conditions stay under the bound, and get an error at the
// rule past it, in time linear in the depth.
func TestNestedGuardDepth(t *testing.T) {
	nested := func(depth int) string {
		return "A(r) >< (int n) " + strings.Repeat("| n == 0 => ", depth) + "r ~ 1 " +
			strings.Repeat("| _ => r ~ 2 ", depth) + ";\nA(a) ~ 0;\na;\n"
	}
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Stderr: &out, Workers: 1})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("ok.in", []byte(nested(100))))
	if got := normalizeTiming(out.String()); !strings.HasSuffix(got, "\n1\n") {
		t.Errorf("depth 100: output = %q, want 1", got)
	}
	err = ip.Run("deep.in", []byte(nested(20000)))
	if msg := fmt.Sprint(err); !strings.HasPrefix(msg, "deep.in:1:1: ") {
		t.Errorf("depth 20000: error = %v, want one at the rule, deep.in:1:1", err)
	}
	if msg := fmt.Sprint(err); !strings.Contains(msg, "nest them less deeply") {
		t.Errorf("depth 20000: error = %v, want the bound on nested conditions", err)
	}

	// A flat list of more alternatives than the bound repeats no
	// condition, so it runs.
	var flat strings.Builder
	flat.WriteString("F(r) >< (int n)")
	for i := range 70000 {
		fmt.Fprintf(&flat, " | n == %d => r ~ %d", i, i)
	}
	flat.WriteString(" | _ => r ~ -1;\nF(x) ~ 69999;\nx;\n")
	out.Reset()
	must(t, ip.Run("flat.in", []byte(flat.String())))
	if got := normalizeTiming(out.String()); !strings.HasSuffix(got, "\n69999\n") {
		t.Errorf("flat list: output = %q, want 69999", got)
	}
}

// TestBuiltinConstRejected checks that a constant given before the
// program cannot take the name of a built-in agent, as const cannot.
func TestBuiltinConstRejected(t *testing.T) {
	for _, name := range []string{"Eraser", "Nil", "Tuple0", "Add"} {
		_, err := annette.NewInterpreter(annette.InterpreterConfig{Consts: map[string]int64{name: 3}})
		if msg := fmt.Sprint(err); !strings.Contains(msg, name+" is a built-in agent") {
			t.Errorf("%s: error = %v, want it rejected as a built-in agent", name, err)
		}
	}
}

// TestPrintInterrupted checks that printing a big term stops when the
// interpreter's context is cancelled, and prints nothing.
func TestPrintInterrupted(t *testing.T) {
	src := `Build(r) >< (int d)
| d == 0 => r ~ L
| _      => r ~ N(a, b), Build(a) ~ d - 1, Build(b) ~ d - 1;
Build(t) ~ 14;
`
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: 1})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("build.in", []byte(src)))
	out.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ip.SetContext(ctx)
	for _, stmt := range []string{"t;\n", "ifce;\n"} {
		err = ip.Run("print.in", []byte(stmt))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%q: error = %v, want context.Canceled", stmt, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("output = %d bytes, want none", out.Len())
	}
	ip.SetContext(context.Background())
	must(t, ip.Run("print.in", []byte("t;\n")))
	if !strings.HasPrefix(out.String(), "N(N(") {
		t.Errorf("output after the cancel = %.20q, want the tree", out.String())
	}
}

// TestFreeHeld checks that free refuses a name that another name's term
// holds, also through wires a reduction joined, or that another name is
// wired to, and that the refused statement frees nothing.
func TestFreeHeld(t *testing.T) {
	tests := []struct{ name, src, err, after string }{
		{"through a reduction", "Id(r) >< Go(x) => r ~ x;\na ~ Box(p), Id(p) ~ Go(q);\nfree q;\n", "q cannot be freed because a refers to it", "a;\n"},
		{"through a wire", "a ~ Box(x), x ~ y;\nfree y;\n", "y cannot be freed because a refers to it", "a;\n"},
		{"wired to a name", "x ~ y;\nfree y;\n", "y cannot be freed because x refers to it", "x;\n"},
		{"the first statement name", "a ~ Box(c), d ~ D;\nfree d c;\n", "c cannot be freed because a refers to it", "d;\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: 1})
			must(t, err)
			defer ip.Close()
			err = ip.Run("free.in", []byte(tc.src))
			if !strings.Contains(fmt.Sprint(err), tc.err) {
				t.Errorf("error = %v, want %q", err, tc.err)
			}
			out.Reset()
			must(t, ip.Run("after.in", []byte(tc.after)))
			if got := out.String(); strings.Contains(got, "<a") || strings.Contains(got, "NON-DEFINED") {
				t.Errorf("after the refused free: %q", got)
			}
		})
	}
}

// TestInterpreterNilContext checks that SetContext(nil) restores the
// default context instead of making the next run panic.
func TestInterpreterNilContext(t *testing.T) {
	for _, workers := range []int{1, 2} {
		var out bytes.Buffer
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: workers})
		must(t, err)
		ip.SetContext(nil)
		must(t, ip.Run("nil.in", []byte("A >< B => ;\nA ~ B;\nx ~ 7;\nx;\n")))
		if !strings.Contains(out.String(), "7") {
			t.Errorf("%d workers: output = %q, want 7", workers, out.String())
		}
		must(t, ip.Close())
	}
}

// TestInterpreterRunKeepsFailedNet runs a program whose net stops at the
// interaction limit, then a second program on the same Interpreter. Run
// keeps the failed net's pairs, as documented, and the second Run
// reduces them first, so its net meets the limit too.
func TestInterpreterRunKeepsFailedNet(t *testing.T) {
	const fib = "Fib(r) >< (int n)\n  | n <= 1 => r ~ n\n  | _ => Fib(a) ~ (n - 1), Fib(b) ~ (n - 2), r << Add(a, b);\n"
	for _, workers := range []int{1, 2} {
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: workers,
			Config: annette.Config{MaxInteractions: 200}})
		must(t, err)
		if err := ip.Run("big.in", []byte(fib+"Fib(r) ~ 15;\nr;\n")); !errors.Is(err, annette.ErrInteractionLimit) {
			t.Errorf("%d workers: first Run = %v, want ErrInteractionLimit", workers, err)
		}
		if ip.Network().Pending() == 0 {
			t.Errorf("%d workers: no pair pending after the failed Run", workers)
		}
		if err := ip.Run("small.in", []byte("Fib(q) ~ 5;\nq;\n")); !errors.Is(err, annette.ErrInteractionLimit) {
			t.Errorf("%d workers: second Run = %v, want ErrInteractionLimit", workers, err)
		}
		must(t, ip.Close())
	}
}

// TestUseFileTooLarge uses a sparse file of more than the lexer's limit
// with the default ReadFile: it fails at the use statement, by its size,
// without reading the file.
func TestUseFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.in")
	fd, err := os.Create(big)
	must(t, err)
	if err := fd.Truncate(math.MaxInt32); err != nil {
		fd.Close()
		t.Skipf("no sparse file here: %v", err)
	}
	must(t, fd.Close())
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{})
	must(t, err)
	defer ip.Close()
	err = ip.Run("main.in", []byte("use \""+big+"\";\n"))
	want := "main.in:1:5: cannot read " + big + ": file too large: 2147483647 bytes"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Run = %v, want an error that starts with %q", err, want)
	}
}

// TestDupLiveLimit copies a list with the built-in Dup, whose
// interactions run outside compiled rules: every worker count must stop
// at the live agent limit, and a run without it must record the peak.
func TestDupLiveLimit(t *testing.T) {
	const src = "Dup(a, b) ~ [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];\na b;\n"
	for _, workers := range []int{1, 2} {
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: workers, Config: annette.Config{MaxLiveAgents: 15}})
		must(t, err)
		err = ip.Run("p.in", []byte(src))
		ip.Close()
		if !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("%d workers: Run = %v, want ErrAgentLimit", workers, err)
		}
	}
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &bytes.Buffer{}})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("p.in", []byte(src)))
	if got := ip.Network().Stats().PeakLive; got != 22 {
		t.Errorf("peak live agents = %d, want 22", got)
	}
}

// TestManyNamesLinear checks that statements, ifce and free take time in
// proportion to the number of interface names, not to its square. Each
// of 20,000 statements adds a name, and ifce prints them all. Then one
// free statement each removes half of them, and free ifce the rest. On a
// 2-core machine, the ifce and the free ifce took about 35 s each when
// each printed or freed name walked every name, and 20,000 free
// statements took 110 s when each copied the checker's table of names.
// The whole program takes well under a second now.
func TestManyNamesLinear(t *testing.T) {
	const names = 20000
	var src strings.Builder
	src.WriteString("Inc(r) >< (int n) => r ~ n + 1;\n")
	for i := range names {
		fmt.Fprintf(&src, "Inc(a%d) ~ %d;\n", i, i)
	}
	fmt.Fprintf(&src, "a%d;\nifce;\n", names-1)
	for i := range names / 2 {
		fmt.Fprintf(&src, "free a%d;\n", i)
	}
	src.WriteString("free ifce;\nifce;\nmemstat;\n")

	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: 1})
	must(t, err)
	defer ip.Close()
	start := time.Now()
	must(t, ip.Run("many.in", []byte(src.String())))
	elapsed := time.Since(start)

	got := out.String()
	want := "\n\n<NO-INTERFACE>\nUsing 0 agent nodes and 0 name nodes.\n\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("output ends in %q, want %q", got[max(0, len(got)-len(want)):], want)
	}
	if last := fmt.Sprintf("\na%d ->%d\n", names-1, names); !strings.Contains(got, last) {
		t.Errorf("ifce lacks the line %q", last)
	}
	if n := strings.Count(got, " ->"); n != names {
		t.Errorf("ifce lists %d names, want %d", n, names)
	}
	if !raceEnabled() && elapsed > 10*time.Second {
		t.Errorf("took %v, want well under 10 s", elapsed)
	}
}
