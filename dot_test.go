package annette_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/annette-go/annette"
)

// dotNodes and dotEdges match the node and edge statements of WriteDot.
var (
	dotNodes = regexp.MustCompile(`(?m)^\t([aino]\d+) \[`)
	dotEdges = regexp.MustCompile(`(?m)^\t(\S+) -- (\S+?)(?: \[.*\])?;$`)
)

// drawDot draws n with WriteDot, checks that the output is one graph
// whose edges join declared nodes, and returns it with the number of
// edges drawn as active pairs.
func drawDot(t *testing.T, n *annette.Network) (out string, pairs int) {
	t.Helper()
	var dot bytes.Buffer
	must(t, n.WriteDot(&dot))
	out = dot.String()
	if !strings.HasPrefix(out, "graph net {\n") || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("output is not one graph:\n%s", out)
	}
	declared := map[string]bool{}
	for _, m := range dotNodes.FindAllStringSubmatch(out, -1) {
		declared[m[1]] = true
	}
	for _, m := range dotEdges.FindAllStringSubmatch(out, -1) {
		for _, end := range m[1:3] {
			if id, _, _ := strings.Cut(end, ":"); !declared[id] {
				t.Errorf("edge %s -- %s names undeclared node %s", m[1], m[2], id)
			}
		}
		if strings.Contains(m[0], "color=red") {
			pairs++
		}
	}
	return out, pairs
}

// TestWriteDotProgram draws a program's nets as built and checks the
// agents, integers, names and active pairs drawn.
func TestWriteDotProgram(t *testing.T) {
	src := `Inc(r) >< (int n) => r ~ n + 1;
Inc(a) ~ 1, Inc(b) ~ 2;
c ~ [5, 6];
`
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: 1, NoReduce: true})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("d.in", []byte(src)))
	if out.Len() != 0 {
		t.Errorf("NoReduce printed %q, want nothing", out.String())
	}
	got, pairs := drawDot(t, ip.Network())
	if pairs != 2 {
		t.Errorf("%d active pairs drawn, want 2:\n%s", pairs, got)
	}
	for _, want := range []string{"<B>Inc</B>", "<B>Cons</B>", "<B>Nil</B>", `label="5"`, `label="2"`, "<B>a</B>", "<B>c</B>"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
}

// TestWriteDotEscapes checks that type names, port names and Go values
// that HTML gives a meaning to are escaped, and that a long value is cut.
func TestWriteDotEscapes(t *testing.T) {
	n := newNet(t, annette.Config{}, []annette.Type{
		{Name: "A<&>", Ports: []string{"main", "x\"y"}, Valued: true},
	})
	a, err := n.AddAgent("A<&>", "<b>"+strings.Repeat("z", 60))
	must(t, err)
	connect(t, n, a.Main(), n.Name("top"))
	connect(t, n, a.Port("x\"y"), n.Int(7))
	got, _ := drawDot(t, n)
	for _, want := range []string{"A&lt;&amp;&gt;", "x&#34;y", `&#34;\u003cb\u003ezzz`, "…"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<b>") || strings.Contains(got, strings.Repeat("z", 45)) {
		t.Errorf("output has an unescaped or uncut value:\n%s", got)
	}
}

// TestInterpreterStepLimit checks that StepLimit stops each net statement
// after that many interactions without an error, leaving its other pairs.
func TestInterpreterStepLimit(t *testing.T) {
	src := `Down(r) >< (int n)
| n == 0 => r ~ 0
| _      => Down(r) ~ n - 1;
Down(a) ~ 10;
Down(b) ~ 2;
`
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: 1, StepLimit: 4})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("s.in", []byte(src)))
	// The second statement ends its own pair in three interactions and
	// takes the fourth from the pair the first statement left.
	if got := normalizeTiming(out.String()); got != "(4 interactions, 0.00 sec)\n(4 interactions, 0.00 sec)\n" {
		t.Errorf("output %q, want two statements of 4 interactions", got)
	}
	if st := ip.Network().Stats(); st.Interactions != 8 {
		t.Errorf("interactions = %d, want 8", st.Interactions)
	}
	got, pairs := drawDot(t, ip.Network())
	if pairs != 1 || !strings.Contains(got, `label="5"`) {
		t.Errorf("%d active pairs left, want Down ~ 5 alone:\n%s", pairs, got)
	}
}

// TestWriteDotOddBytes checks that names with control characters and
// bytes that are not UTF-8, which the API accepts, still give labels
// that Graphviz's XML parser takes.
func TestWriteDotOddBytes(t *testing.T) {
	n := newNet(t, annette.Config{}, []annette.Type{{Name: "T\x01", Ports: []string{"main", "p\xff"}}})
	a, err := n.AddAgent("T\x01", nil)
	must(t, err)
	connect(t, n, a.Main(), n.Name("x\x00y"))
	connect(t, n, a.Port("p\xff"), n.Int(1))
	got, _ := drawDot(t, n)
	for _, want := range []string{`T\x01`, "p\uFFFD", `x\x00y`} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, c := range got {
		if c < 0x20 && c != '\n' && c != '\t' {
			t.Fatalf("output holds control character %#x:\n%q", c, got)
		}
	}
	if !utf8.Valid([]byte(got)) {
		t.Errorf("output is not UTF-8:\n%q", got)
	}
}

// TestWriteDotMerger checks that a net with a Merger in progress, which
// Snapshot refuses, can still be drawn: its readers are drawn without
// the end of the output list that they keep.
func TestWriteDotMerger(t *testing.T) {
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: 1, StepLimit: 2})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("m.in", []byte("Merger(r) ~ ([1, 2], [3]);\n")))
	got, _ := drawDot(t, ip.Network())
	if !strings.Contains(got, "<B>_Merge") {
		t.Errorf("no Merger reader drawn:\n%s", got)
	}
}

// TestStepLimitStaysInProgram checks that the interpreter's step limit
// applies to the program's statements only: Go code that reduces the
// network afterwards runs to the end.
func TestStepLimitStaysInProgram(t *testing.T) {
	src := "Down(r) >< (int n)\n| n == 0 => r ~ 0\n| _ => Down(r) ~ n - 1;\nDown(a) ~ 50;\n"
	for _, workers := range []int{1, 2} {
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: workers, StepLimit: 10})
		must(t, err)
		must(t, ip.Run("s.in", []byte(src)))
		if _, err := ip.Network().Reduce(context.Background()); err != nil {
			t.Errorf("%d workers: Reduce after the program: %v", workers, err)
		}
		if got := mustText(t, ip.Network(), "a"); got != "0" {
			t.Errorf("%d workers: a = %s, want 0", workers, got)
		}
		ip.Close()
	}
}

// TestStepLimitPrnatUnfinished checks that prnat of a unary number that
// a step limit or NoReduce left unfinished is no error, while prnat of a
// finished term that is not a unary number still is.
func TestStepLimitPrnatUnfinished(t *testing.T) {
	rules := "Add(r, y) >< Z => r ~ y;\nAdd(r, y) >< S(x) => r ~ S(t), Add(t, y) ~ x;\n"
	for _, tc := range []struct {
		name    string
		cfg     annette.InterpreterConfig
		src     string
		wantErr string
	}{
		{"step limit", annette.InterpreterConfig{Workers: 1, StepLimit: 1}, rules + "Add(a, S(Z)) ~ S(S(Z));\nprnat a;\n", ""},
		{"step limit, 2 workers", annette.InterpreterConfig{Workers: 2, StepLimit: 1}, rules + "Add(a, S(Z)) ~ S(S(Z));\nprnat a;\n", ""},
		{"no reduction", annette.InterpreterConfig{Workers: 1, NoReduce: true}, rules + "a ~ S(t), Add(t, Z) ~ S(Z);\nprnat a;\n", ""},
		{"normal form", annette.InterpreterConfig{Workers: 1, StepLimit: 10}, rules + "Add(a, Q) ~ S(Z);\nprnat a;\n", "p.in:4:1: prnat: a is not a unary number"},
	} {
		ip, err := annette.NewInterpreter(tc.cfg)
		must(t, err)
		err = ip.Run("p.in", []byte(tc.src))
		ip.Close()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v, want no error", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want %s", tc.name, err, tc.wantErr)
		}
	}
}
