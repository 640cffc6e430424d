package annette_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/internal/engine"
)

// arith is an expression of unary arithmetic: the literal k when op is
// empty, else op ("Add" or "Mul") applied to x and y.
type arith struct {
	op   string
	k    int
	x, y *arith
}

func (e *arith) String() string {
	if e.op == "" {
		return strconv.Itoa(e.k)
	}
	sym := "+"
	if e.op == "Mul" {
		sym = "*"
	}
	return "(" + e.x.String() + sym + e.y.String() + ")"
}

func (e *arith) value() int64 {
	switch e.op {
	case "Add":
		return e.x.value() + e.y.value()
	case "Mul":
		return e.x.value() * e.y.value()
	}
	return int64(e.k)
}

// interactions returns the number of interactions the rules of unaryNet
// carry out to reduce e, with a and b the values of x and y. Add(x, y)
// walks x with a add-succ and one add-zero. Mul(x, y) takes a mul-succ
// per unit of a and one mul-zero, which erases y in b+1 interactions. The
// i-th mul-succ duplicates y (b+1) and adds the product below it, (i-1)*b,
// in (i-1)*b + 1.
func (e *arith) interactions() int64 {
	if e.op == "" {
		return 0
	}
	a, b := e.x.value(), e.y.value()
	n := e.x.interactions() + e.y.interactions()
	if e.op == "Add" {
		return n + a + 1
	}
	return n + 1 + (b + 1) + a*(1+(b+1)+1) + b*a*(a-1)/2
}

func drawArith(t *rapid.T, depth int) *arith {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "kind") == 0 {
		return &arith{k: rapid.IntRange(0, 6).Draw(t, "k")}
	}
	op := rapid.SampledFrom([]string{"Add", "Mul"}).Draw(t, "op")
	return &arith{op: op, x: drawArith(t, depth-1), y: drawArith(t, depth-1)}
}

// arithGen generates expressions small enough to reduce in a few
// milliseconds.
var arithGen = rapid.Custom(func(t *rapid.T) *arith { return drawArith(t, 4) }).
	Filter(func(e *arith) bool { return e.interactions() <= 30000 })

// buildUnary adds the unary number k and returns its principal port.
func buildUnary(t fatalT, n *annette.Network, k int) annette.Port {
	t.Helper()
	top := addAgent(t, n, "Z").Main()
	for range k {
		s := addAgent(t, n, "S")
		connect(t, n, s.Port("pred"), top)
		top = s.Main()
	}
	return top
}

// buildArith adds the agents of e and returns the port where its value
// appears.
func buildArith(t fatalT, n *annette.Network, e *arith) annette.Port {
	t.Helper()
	if e.op == "" {
		return buildUnary(t, n, e.k)
	}
	a := addAgent(t, n, e.op)
	connect(t, n, a.Main(), buildArith(t, n, e.x))
	connect(t, n, a.Port("y"), buildArith(t, n, e.y))
	return a.Port("ret")
}

// unaryValue returns the value of a unary number read back as S agents on
// Z, and false if the term has another shape.
func unaryValue(term *annette.Term) (int64, bool) {
	k, tail := countS(term)
	return int64(k), tail.Kind == annette.AgentTerm && tail.Type == "Z"
}

// stepAll calls Step until it reports no interaction and returns the
// number of interactions.
func stepAll(t fatalT, n *annette.Network) int64 {
	t.Helper()
	var k int64
	for {
		ok, err := n.Step(context.Background())
		if err != nil {
			t.Fatalf("Step %d: %v", k+1, err)
		}
		if !ok {
			return k
		}
		k++
	}
}

func TestPropUnaryArith(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := arithGen.Draw(rt, "expr")
		n := unaryNet(t, annette.Config{})
		connect(rt, n, buildArith(rt, n, e), n.Name("out"))
		st := mustReduce(rt, n)
		term, err := n.Read("out")
		if err != nil {
			rt.Fatalf("Read: %v", err)
		}
		got, ok := unaryValue(term)
		if !ok {
			rt.Fatalf("%v reads back as %s, want a unary number", e, term)
		}
		if want := e.value(); got != want {
			rt.Errorf("%v = %d, want %d", e, got, want)
		}
		if want := e.interactions(); st.Interactions != want {
			rt.Errorf("%v took %d interactions, want %d", e, st.Interactions, want)
		}
		// Only the result is left: its S agents and one Z.
		if want := e.value() + 1; st.Live != want {
			rt.Errorf("%v leaves %d live agents, want %d", e, st.Live, want)
		}
	})
}

func TestPropUnaryStep(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := arithGen.Draw(rt, "expr")
		byReduce := unaryNet(t, annette.Config{})
		connect(rt, byReduce, buildArith(rt, byReduce, e), byReduce.Name("out"))
		st := mustReduce(rt, byReduce)
		byStep := unaryNet(t, annette.Config{})
		connect(rt, byStep, buildArith(rt, byStep, e), byStep.Name("out"))
		steps := stepAll(rt, byStep)
		if got, want := mustText(rt, byStep, "out"), mustText(rt, byReduce, "out"); got != want {
			rt.Errorf("%v by Step = %s, by Reduce = %s", e, got, want)
		}
		if steps != st.Interactions {
			rt.Errorf("%v took %d steps, Reduce took %d interactions", e, steps, st.Interactions)
		}
		if got := byStep.Stats().Interactions; got != steps {
			rt.Errorf("Stats().Interactions = %d after %d steps", got, steps)
		}
		if got, want := byStep.Stats().Live, st.Live; got != want {
			rt.Errorf("%v leaves %d live agents by Step, %d by Reduce", e, got, want)
		}
	})
}

// tree is a binary tree with integer leaves. A delayed leaf gets its
// integer from an Id interaction, so that folding it may have to wait.
type tree struct {
	leaf    bool
	v       int64
	delayed bool
	l, r    *tree
}

func (tr *tree) String() string {
	if tr.leaf {
		s := strconv.FormatInt(tr.v, 10)
		if tr.delayed {
			s = "id " + s
		}
		return s
	}
	return "(" + tr.l.String() + " " + tr.r.String() + ")"
}

// sum adds the leaves with two's complement wrap-around, as Go does.
func (tr *tree) sum() int64 {
	if tr.leaf {
		return tr.v
	}
	return tr.l.sum() + tr.r.sum()
}

// counts returns the number of leaves and of delayed leaves.
func (tr *tree) counts() (leaves, delayed int64) {
	if tr.leaf {
		if tr.delayed {
			return 1, 1
		}
		return 1, 0
	}
	l1, d1 := tr.l.counts()
	l2, d2 := tr.r.counts()
	return l1 + l2, d1 + d2
}

// interactions returns the number of interactions of folding tr: one
// Fold per leaf and per fork, one Plus and one Plus2 per fork, and one Id
// per delayed leaf.
func (tr *tree) interactions() int64 {
	leaves, delayed := tr.counts()
	forks := leaves - 1
	return leaves + 3*forks + delayed
}

// edgeInts are integers at the edges of the inline and boxed encodings
// and of int64.
var edgeInts = []int64{
	0, -1, 1,
	1<<60 - 1, 1 << 60, -1 << 60, -1<<60 - 1,
	1 << 62, -1 << 62, 1<<62 + 1,
	math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
}

var leafGen = rapid.OneOf(rapid.Int64Range(-1000, 1000), rapid.Int64(), rapid.SampledFrom(edgeInts))

func drawTree(t *rapid.T, depth int) *tree {
	if depth == 0 || rapid.IntRange(0, 3).Draw(t, "kind") == 0 {
		return &tree{leaf: true, v: leafGen.Draw(t, "v"), delayed: rapid.Bool().Draw(t, "delayed")}
	}
	return &tree{l: drawTree(t, depth-1), r: drawTree(t, depth-1)}
}

var treeGen = rapid.Custom(func(t *rapid.T) *tree { return drawTree(t, 7) })

// idType and the Id rules pass an integer on: Id(r) >< (int v) => r ~ v.
var idType = annette.Type{Name: "Id", Ports: []string{"main", "r"}}

var idRewrite = annette.RewriteRule{Name: "id", Left: Pat("Id", "r"), Right: Pat("Int", "v"),
	Body: []annette.Wire{W(V("r"), V("v"))}}

var idAction = annette.ActionRule{Name: "id", Left: "Id", Right: "Int", Action: func(c *annette.RuleContext) error {
	return c.Link(c.Left().Port("r"), c.Int(c.Right().Value().(int64)))
}}

// buildTree adds the Fork and Leaf agents of tr and returns the principal
// port of its root.
func buildTree(t fatalT, n *annette.Network, tr *tree) annette.Port {
	t.Helper()
	if tr.leaf {
		leaf := addAgent(t, n, "Leaf")
		if tr.delayed {
			id := addAgent(t, n, "Id")
			connect(t, n, leaf.Port("v"), id.Port("r"))
			connect(t, n, id.Main(), n.Int(tr.v))
		} else {
			connect(t, n, leaf.Port("v"), n.Int(tr.v))
		}
		return leaf.Main()
	}
	fork := addAgent(t, n, "Fork")
	connect(t, n, fork.Port("l"), buildTree(t, n, tr.l))
	connect(t, n, fork.Port("r"), buildTree(t, n, tr.r))
	return fork.Main()
}

// foldTypes are the types of foldNet.
var foldTypes = append(append([]annette.Type(nil), treeTypes...), idType)

// foldRules returns the tree rules and the Id rule in one style.
func foldRules(action bool) []annette.Rule {
	if action {
		return append(treeActionRules(), idAction)
	}
	return append(treeRewriteRules(), idRewrite)
}

// addFold adds the agents of tr and a Fold that sums it into the
// interface name total. The Fold pair is connected last, so it is reduced
// before the Id pairs and a fold may reach a delayed leaf before its
// integer.
func addFold(t fatalT, n *annette.Network, tr *tree, total string) {
	t.Helper()
	root := buildTree(t, n, tr)
	fold := addAgent(t, n, "Fold")
	connect(t, n, fold.Port("s"), n.Name(total))
	connect(t, n, fold.Main(), root)
}

// foldNet returns a network that sums tr into the interface name "total".
func foldNet(t *testing.T, rt *rapid.T, action bool, tr *tree) *annette.Network {
	n := newNet(t, annette.Config{}, foldTypes, foldRules(action)...)
	addFold(rt, n, tr, "total")
	return n
}

func TestPropTreeSum(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tr := treeGen.Draw(rt, "tree")
		want := strconv.FormatInt(tr.sum(), 10)
		var texts []string
		var counts []int64
		for _, action := range []bool{false, true} {
			style := map[bool]string{false: "rewrite", true: "action"}[action]
			n := foldNet(t, rt, action, tr)
			st := mustReduce(rt, n)
			got := mustText(rt, n, "total")
			if got != want {
				rt.Errorf("%s rules: total = %s, want %s", style, got, want)
			}
			if st.Interactions != tr.interactions() {
				rt.Errorf("%s rules: interactions = %d, want %d", style, st.Interactions, tr.interactions())
			}
			if st.Live != 0 {
				rt.Errorf("%s rules: live agents = %d, want 0", style, st.Live)
			}
			texts, counts = append(texts, got), append(counts, st.Interactions)
		}
		if texts[0] != texts[1] {
			rt.Errorf("rewrite rules give %s, action rules %s", texts[0], texts[1])
		}
		if counts[0] != counts[1] {
			rt.Errorf("rewrite rules take %d interactions, action rules %d", counts[0], counts[1])
		}
	})
}

func TestPropTreeStep(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tr := treeGen.Draw(rt, "tree")
		action := rapid.Bool().Draw(rt, "action")
		byReduce := foldNet(t, rt, action, tr)
		st := mustReduce(rt, byReduce)
		want := mustText(rt, byReduce, "total")

		byStep := foldNet(t, rt, action, tr)
		steps := stepAll(rt, byStep)
		if got := mustText(rt, byStep, "total"); got != want {
			rt.Errorf("total by Step = %s, by Reduce = %s", got, want)
		}
		if steps != st.Interactions {
			rt.Errorf("Step took %d steps, Reduce %d interactions", steps, st.Interactions)
		}
		if got := byStep.Stats().Live; got != 0 {
			rt.Errorf("live agents after stepping = %d, want 0", got)
		}

		// Some steps, then Reduce for the rest.
		mixed := foldNet(t, rt, action, tr)
		k := rapid.Int64Range(0, st.Interactions).Draw(rt, "steps")
		for i := range k {
			if ok, err := mixed.Step(context.Background()); !ok || err != nil {
				rt.Fatalf("Step %d of %d = %v, %v", i+1, k, ok, err)
			}
		}
		rest := mustReduce(rt, mixed)
		if got := mustText(rt, mixed, "total"); got != want {
			rt.Errorf("total after %d steps and Reduce = %s, want %s", k, got, want)
		}
		if got := k + rest.Interactions; got != st.Interactions {
			rt.Errorf("%d steps + %d interactions = %d, want %d", k, rest.Interactions, got, st.Interactions)
		}
	})
}

// TestPropRounds reduces one network several times, adding a tree sum or
// a unary expression before each run, and checks that the results of the
// earlier runs stay intact while freed cells are reused.
func TestPropRounds(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		action := rapid.Bool().Draw(rt, "action")
		n := unaryNet(t, annette.Config{})
		defineTypes(t, n, foldTypes...)
		addRules(t, n, foldRules(action)...)
		rounds := rapid.IntRange(1, 6).Draw(rt, "rounds")
		var names, wants []string
		for i := range rounds {
			name := "r" + strconv.Itoa(i)
			if rapid.Bool().Draw(rt, "tree") {
				tr := treeGen.Draw(rt, "tree")
				addFold(rt, n, tr, name)
				wants = append(wants, strconv.FormatInt(tr.sum(), 10))
			} else {
				e := arithGen.Draw(rt, "expr")
				connect(rt, n, buildArith(rt, n, e), n.Name(name))
				wants = append(wants, strings.Repeat("S(", int(e.value()))+"Z"+strings.Repeat(")", int(e.value())))
			}
			names = append(names, name)
			mustReduce(rt, n)
			for j, name := range names {
				if got := mustText(rt, n, name); got != wants[j] {
					rt.Fatalf("after run %d, %s = %s, want %s", i+1, name, got, wants[j])
				}
			}
		}
	})
}

// iexpr is an integer expression of a rewrite rule over the attributes x
// and y: a leaf ("x", "y" or the constant k) or an operator applied to a
// and b.
type iexpr struct {
	op   string
	k    int64
	a, b *iexpr
}

func (e *iexpr) expr() annette.Expr {
	switch e.op {
	case "x", "y":
		return V(e.op)
	case "k":
		return N(e.k)
	case "neg":
		return annette.Neg(e.a.expr())
	case "!":
		return annette.Not(e.a.expr())
	}
	return Op(e.op, e.a.expr(), e.b.expr())
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// eval evaluates e as Go does, with && and || giving 0 or 1 and
// evaluating b only when needed. It returns false on a division or
// modulo by zero.
func (e *iexpr) eval(x, y int64) (int64, bool) {
	switch e.op {
	case "x":
		return x, true
	case "y":
		return y, true
	case "k":
		return e.k, true
	}
	a, ok := e.a.eval(x, y)
	if !ok {
		return 0, false
	}
	switch e.op {
	case "neg":
		return -a, true
	case "!":
		return b2i(a == 0), true
	case "&&":
		if a == 0 {
			return 0, true
		}
		b, ok := e.b.eval(x, y)
		return b2i(b != 0), ok
	case "||":
		if a != 0 {
			return 1, true
		}
		b, ok := e.b.eval(x, y)
		return b2i(b != 0), ok
	}
	b, ok := e.b.eval(x, y)
	if !ok {
		return 0, false
	}
	switch e.op {
	case "+":
		return a + b, true
	case "-":
		return a - b, true
	case "*":
		return a * b, true
	case "/", "%":
		if b == 0 {
			return 0, false
		}
		if e.op == "/" {
			return a / b, true
		}
		return a % b, true
	case "==":
		return b2i(a == b), true
	case "!=":
		return b2i(a != b), true
	case "<":
		return b2i(a < b), true
	case "<=":
		return b2i(a <= b), true
	case ">":
		return b2i(a > b), true
	}
	return b2i(a >= b), true
}

var binaryOps = []string{"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||"}

var constGen = rapid.OneOf(rapid.Int64Range(-3, 3), rapid.SampledFrom(edgeInts))

func drawIExpr(t *rapid.T, depth int) *iexpr {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "kind") == 0 {
		leaf := rapid.SampledFrom([]string{"x", "y", "k"}).Draw(t, "leaf")
		if leaf == "k" {
			return &iexpr{op: "k", k: constGen.Draw(t, "k")}
		}
		return &iexpr{op: leaf}
	}
	if rapid.IntRange(0, 5).Draw(t, "unary") == 0 {
		return &iexpr{op: rapid.SampledFrom([]string{"neg", "!"}).Draw(t, "op"), a: drawIExpr(t, depth-1)}
	}
	op := rapid.SampledFrom(binaryOps).Draw(t, "op")
	return &iexpr{op: op, a: drawIExpr(t, depth-1), b: drawIExpr(t, depth-1)}
}

// TestPropIntExpr evaluates random integer expressions in a rule body, a
// guard and a let, and compares them with Go.
func TestPropIntExpr(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := drawIExpr(rt, 4)
		x := rapid.OneOf(rapid.Int64Range(-3, 3), leafGen).Draw(rt, "x")
		y := rapid.OneOf(rapid.Int64Range(-3, 3), leafGen).Draw(rt, "y")
		v, ok := e.eval(x, y)
		for _, form := range []struct {
			name string
			rule annette.RewriteRule
			want int64
		}{
			{"body", annette.RewriteRule{Body: []annette.Wire{W(V("r"), e.expr())}}, v},
			{"guard", annette.RewriteRule{Cases: []annette.Case{
				{Guard: annette.Ptr(e.expr()), Body: []annette.Wire{W(V("r"), N(1))}},
				{Body: []annette.Wire{W(V("r"), N(0))}},
			}}, b2i(v != 0)},
			{"let", annette.RewriteRule{Cases: []annette.Case{
				{Lets: []annette.Let{{Name: "z", Value: e.expr()}}, Body: []annette.Wire{W(V("r"), V("z"))}},
			}}, v},
		} {
			rule := form.rule
			rule.Name = "expr-" + form.name
			rule.Left, rule.Right = Pat("Calc", "r", "int y"), Pat("Int", "x")
			n := newNet(t, annette.Config{}, calcTypes, rule)
			c := addAgent(rt, n, "Calc")
			connect(rt, n, c.Port("r"), n.Name("out"))
			connect(rt, n, c.Port("y"), n.Int(y))
			connect(rt, n, c.Main(), n.Int(x))
			_, err := n.Reduce(context.Background())
			if !ok {
				if !errors.Is(err, annette.ErrDivideByZero) {
					rt.Errorf("%s %v with x=%d, y=%d: Reduce = %v, want ErrDivideByZero", form.name, e.expr(), x, y, err)
				}
				continue
			}
			if err != nil {
				rt.Errorf("%s %v with x=%d, y=%d: Reduce = %v", form.name, e.expr(), x, y, err)
				continue
			}
			if got, want := mustText(rt, n, "out"), strconv.FormatInt(form.want, 10); got != want {
				rt.Errorf("%s %v with x=%d, y=%d = %s, want %s", form.name, e.expr(), x, y, got, want)
			}
		}
	})
}

// TestPropList builds random lists of integers, some with a name as the
// tail, and checks their printed form.
func TestPropList(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		elems := rapid.SliceOfN(leafGen, 0, 20).Draw(rt, "elems")
		open := rapid.Bool().Draw(rt, "open")
		n := annette.NewNetwork(annette.Config{})
		var ports []annette.Port
		strs := make([]string, len(elems))
		for i, v := range elems {
			ports = append(ports, n.Int(v))
			strs[i] = strconv.FormatInt(v, 10)
		}
		var tail annette.Port
		want := "[" + strings.Join(strs, ",") + "]"
		if open {
			tail = n.Name("xs")
			want = strings.Join(append(strs, "xs"), ":")
		} else {
			tail = addAgent(rt, n, "Nil").Main()
		}
		connect(rt, n, n.Name("out"), buildList(rt, n, ports, tail))
		mustReduce(rt, n)
		if got := mustText(rt, n, "out"); got != want {
			rt.Errorf("out = %s, want %s", got, want)
		}
	})
}

// walkRules are rules that walk a list and rebuild it. Copy keeps each
// element, and its new tail wire takes the cell of the wire it walks
// past. Sc multiplies each element by k, and a product that does not
// fit in an inline integer needs a box. A list may end in an integer.
const walkRules = `Copy(out) >< Cons(h, tl) => out ~ Cons(h, o2), tl ~ Copy(o2);
Copy(out) >< Nil => out ~ Nil;
Copy(out) >< (int n) => out ~ n;
Sc(out, int k) >< Cons(int h, tl) => out ~ Cons(h * k, o2), tl ~ Sc(o2, k);
Sc(out, int k) >< Nil => out ~ Nil;
Sc(out, int k) >< (int n) => out ~ n * k;
`

// TestPropListWalks runs a pipeline of walkers over random lists of
// integers, boxed ones included. Each walker reads the list that the one
// before it builds, once after that one has finished and once while it
// runs. The program must print the same, interaction counts and memstat
// included, with rules compiled to programs and without, and on one
// worker and on two.
func TestPropListWalks(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		elems := rapid.SliceOfN(leafGen.Filter(func(v int64) bool { return v != math.MinInt64 }), 0, 40).Draw(rt, "elems")
		k := rapid.OneOf(rapid.Int64Range(-3, 3), rapid.Int64Range(math.MinInt64+1, math.MaxInt64)).Draw(rt, "k")
		end := rapid.SampledFrom([]string{"[]", "7", "4611686018427387904"}).Draw(rt, "end")
		stages := rapid.SliceOfN(rapid.SampledFrom([]string{"Copy", "Sc"}), 1, 5).Draw(rt, "stages")

		var src strings.Builder
		src.WriteString(walkRules)
		list := end
		for i := len(elems) - 1; i >= 0; i-- {
			list = strconv.FormatInt(elems[i], 10) + ":" + list
		}
		// The walkers one statement each, so that each walks a list whose
		// wires the one before has filled, then all in one statement.
		pipeline := func(prefix, sep string) string {
			var b strings.Builder
			prev := list
			for i, s := range stages {
				if i > 0 {
					b.WriteString(sep)
				}
				out := prefix + strconv.Itoa(i)
				args := out
				if s == "Sc" {
					args += ", " + strconv.FormatInt(k, 10)
				}
				fmt.Fprintf(&b, "%s(%s) ~ %s", s, args, prev)
				prev = out
			}
			fmt.Fprintf(&b, ";\n%s;\nmemstat;\n", prev)
			return b.String()
		}
		src.WriteString(pipeline("a", ";\n"))
		src.WriteString(pipeline("b", ", "))
		path := filepath.Join(dir, "walk.in")
		if err := os.WriteFile(path, []byte(src.String()), 0o644); err != nil {
			rt.Fatal(err)
		}

		want, wantErr := runProgramOn(t, path, 1, annette.Sequential)
		if wantErr != nil {
			rt.Fatalf("program\n%s\nfails: %v", src.String(), wantErr)
		}
		engine.NoPrograms.Store(true)
		general, err := runProgramOn(t, path, 1, annette.Sequential)
		engine.NoPrograms.Store(false)
		if err != nil || normalizeTiming(general) != normalizeTiming(want) {
			rt.Errorf("program\n%s\ngeneral path prints\n%s(error %v), compiled programs print\n%s", src.String(), general, err, want)
		}
		par, err := runProgramOn(t, path, 2, annette.Parallel)
		if err != nil || normalizeTiming(par) != normalizeTiming(want) {
			rt.Errorf("program\n%s\ntwo workers print\n%s(error %v), one prints\n%s", src.String(), par, err, want)
		}
	})
}
