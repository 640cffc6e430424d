package engine

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// testNet builds nets directly on the engine, so that the tests can look
// at what a rewrite does to the store, the heap and the redex stack.
type testNet struct {
	tb  testing.TB
	net *Net
	w   *Worker

	z, s, add, leaf, fold, id, plus2, div, quot, neg, pair TypeID
	tag, label, copyType, mark, keep, box, two             TypeID
	ruleNames                                              []string
}

// newTestNet returns a net with the agent types of these tests and no
// rules. In shared mode the worker uses atomic operations on wire cells.
func newTestNet(tb testing.TB, shared bool) *testNet {
	n := &testNet{tb: tb, net: NewNet()}
	n.w = NewWorker(n.net, 1)
	n.w.Shared = shared
	n.z = n.define("Z", false)
	n.s = n.define("S", false, "pred")
	n.add = n.define("Add", false, "r", "y")
	n.leaf = n.define("Leaf", false, "v")
	n.fold = n.define("Fold", false, "s")
	n.id = n.define("Id", false, "r")
	n.plus2 = n.define("Plus2", false, "s", "x")
	n.div = n.define("Div", false, "r", "y")
	n.quot = n.define("Quot", false, "r", "y")
	n.neg = n.define("Neg", false, "r")
	n.pair = n.define("Pair", false, "l", "r")
	n.tag = n.define("Tag", true, "r")
	n.label = n.define("Label", true)
	n.copyType = n.define("Copy", false, "r")
	n.mark = n.define("Mark", false, "r")
	n.keep = n.define("Keep", false, "r")
	n.box = n.define("Box", false, "x")
	n.two = n.define("Two", false, "a", "b")
	return n
}

func (n *testNet) define(name string, valued bool, aux ...string) TypeID {
	n.tb.Helper()
	id, err := n.net.Types.Define(name, append([]string{"main"}, aux...), valued, nil)
	if err != nil {
		n.tb.Fatal(err)
	}
	return id
}

// rule compiles and adds a rewrite rule.
func (n *testNet) rule(name string, left, right TypeID, attrs []int, alts ...AltSpec) {
	n.tb.Helper()
	t, err := Compile(n.net.Types, left, right, attrs, alts)
	if err != nil {
		n.tb.Fatalf("rule %s: %v", name, err)
	}
	if _, err := n.net.Rules.Add(&Rule{Name: name, Left: left, Right: right, Kind: RuleRewrite, Template: t}, false); err != nil {
		n.tb.Fatal(err)
	}
}

// agent allocates an agent of type t with the given auxiliary ports.
func (n *testNet) agent(t TypeID, aux ...Port) Port {
	p := n.w.NewAgent(t)
	for i, q := range aux {
		n.w.SetAux(p, i, q)
	}
	return p
}

// wiredList builds a list of size Two agents, holding 0 to size-1, in
// front of tail. The tails of the elements go straight to the next
// element, through one wire or through a chain of two wires, in turn.
func (n *testNet) wiredList(size int, tail Port) Port {
	list := tail
	for i := size - 1; i >= 0; i-- {
		switch i % 3 {
		case 1:
			v := n.w.NewVar()
			n.w.Link(v, list)
			list = v
		case 2:
			v, u := n.w.NewVar(), n.w.NewVar()
			n.w.Link(v, u)
			n.w.Link(u, list)
			list = v
		}
		list = n.agent(n.two, n.w.Int(int64(i)), list)
	}
	return list
}

// unary builds the unary number k.
func (n *testNet) unary(k int) Port {
	p := n.agent(n.z)
	for range k {
		p = n.agent(n.s, p)
	}
	return p
}

func (n *testNet) run() error {
	n.w.Prepare()
	return n.w.Run(context.Background(), Limits{})
}

// show formats the tree at p, following filled wires. An unfilled wire is
// shown as "_" and a large integer as its value.
func (n *testNet) show(p Port) string {
	p = n.w.Resolve(p)
	switch {
	case p.IsVar():
		return "_"
	case p.IsInt():
		v, err := n.w.IntValue(p)
		if err != nil {
			return err.Error()
		}
		return strconv.FormatInt(v, 10)
	case p.IsNode():
		info := n.net.Types.Info(p.Type())
		if info.Arity() == 0 {
			return info.Name
		}
		var args []string
		for i := range info.Arity() {
			args = append(args, n.show(n.w.Aux(p, i)))
		}
		return info.Name + "(" + strings.Join(args, ", ") + ")"
	}
	return p.String()
}

// liveValues returns the number of Go values not yet dropped.
func (n *testNet) liveValues() int {
	vs := n.net.Values
	return int(vs.n) - len(vs.free)
}

// freeCells returns the locations on the heap's free list of size words.
func (n *testNet) freeCells(size int) map[uint64]bool {
	out := map[uint64]bool{}
	for l := n.w.heap.free[size]; l != 0; l = *n.w.heap.cell(l) {
		out[l] = true
	}
	return out
}

// forModes runs f on a fresh net with a sequential worker and with a
// worker in Shared mode, each with rules compiled to programs and without;
// all four must behave alike.
func forModes(t *testing.T, f func(t *testing.T, n *testNet)) {
	for _, shared := range []bool{false, true} {
		for _, general := range []bool{false, true} {
			name := "plain"
			if shared {
				name = "shared"
			}
			if general {
				name += "-general"
			}
			t.Run(name, func(t *testing.T) {
				// In the general runs, rules are compiled without a
				// program and every rewrite takes the general path.
				NoPrograms.Store(general)
				defer NoPrograms.Store(false)
				f(t, newTestNet(t, shared))
			})
		}
	}
}

func ext(i int) End          { return End{Kind: EndExt, Index: i} }
func node(i, port int) End   { return End{Kind: EndNode, Index: i, Port: port} }
func constant(v int64) End   { return End{Kind: EndConst, Value: v} }
func exprEnd(i int) End      { return End{Kind: EndExpr, Index: i} }
func wire(x, y End) [2]End   { return [2]End{x, y} }
func load(i int64) Instr     { return Instr{Op: OpLoad, Arg: i} }
func push(v int64) Instr     { return Instr{Op: OpConst, Arg: v} }
func apply(op Op) Instr      { return Instr{Op: op} }
func decl(t TypeID) NodeDecl { return NodeDecl{Type: t} }

// code returns an expression. Its length bounds its stack depth.
func code(ins ...Instr) *Code { return &Code{Instrs: ins, Depth: len(ins)} }

// addRules adds unary addition:
//
//	Add(r, y) >< Z    => r ~ y;
//	Add(r, y) >< S(x) => r ~ S(w), Add(w, y) ~ x;
func (n *testNet) addRules() {
	n.rule("add-zero", n.add, n.z, nil, AltSpec{Wires: [][2]End{wire(ext(0), ext(1))}})
	n.rule("add-succ", n.add, n.s, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.s), decl(n.add)},
		Wires: [][2]End{
			wire(ext(0), node(0, 0)),
			wire(node(0, 1), node(1, 1)),
			wire(node(1, 2), ext(1)),
			wire(node(1, 0), ext(2)),
		},
	})
}

// intRules adds rules with integer attributes:
//
//	Id(r) >< (int x)            => r ~ x;
//	Plus2(s, int x) >< (int y)  => s ~ (x + y);
//	Fold(s) >< Leaf(int v)      => s ~ v;
//	(int x) >< Neg(r)           => r ~ (0 - x);
//	Quot(r, int y) >< (int x)   => r ~ (x / y);
func (n *testNet) intRules() {
	n.rule("id", n.id, TypeInt, []int{2}, AltSpec{
		Exprs: []*Code{code(load(0))},
		Wires: [][2]End{wire(ext(0), exprEnd(0))},
	})
	n.rule("plus2", n.plus2, TypeInt, []int{1, 3}, AltSpec{
		Exprs: []*Code{code(load(0), load(1), apply(OpAdd))},
		Wires: [][2]End{wire(ext(0), exprEnd(0))},
	})
	n.rule("fold-leaf", n.fold, n.leaf, []int{1}, AltSpec{
		Exprs: []*Code{code(load(0))},
		Wires: [][2]End{wire(ext(0), exprEnd(0))},
	})
	n.rule("neg", TypeInt, n.neg, []int{1}, AltSpec{
		Exprs: []*Code{code(push(0), load(0), apply(OpSub))},
		Wires: [][2]End{wire(ext(0), exprEnd(0))},
	})
	n.rule("quot", n.quot, TypeInt, []int{1, 3}, AltSpec{
		Exprs: []*Code{code(load(1), load(0), apply(OpDiv))},
		Wires: [][2]End{wire(ext(0), exprEnd(0))},
	})
}

func TestRewriteUnaryAdd(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.addRules()
		out := n.w.NewVar()
		n.w.Push(n.agent(n.add, out, n.unary(2)), n.unary(3))
		live := n.w.Live()
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if got := n.show(out); got != "S(S(S(S(S(Z)))))" {
			t.Errorf("out = %s, want S(S(S(S(S(Z)))))", got)
		}
		if got := n.w.Interactions(); got != 4 {
			t.Errorf("interactions = %d, want 4", got)
		}
		// Each add-succ frees Add and S and makes S and Add; add-zero
		// frees Add and Z.
		if got := n.w.Live(); got != live-2 {
			t.Errorf("live agents = %d, want %d", got, live-2)
		}
	})
}

func TestRewriteReusesCells(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.addRules()
		out := n.w.NewVar()
		a := n.agent(n.add, out, n.unary(0))
		b := n.unary(1)
		n.w.Push(a, b)
		n.w.Prepare()
		if ok, err := n.w.Step(); !ok || err != nil {
			t.Fatalf("Step = %v, %v", ok, err)
		}
		// The new Add has the size of the old one and takes over its
		// cell; the new S takes over the old S's cell.
		rs := n.w.Redexes()
		if len(rs) != 1 {
			t.Fatalf("redexes = %v, want one", rs)
		}
		if got := rs[0].A; got.Type() != n.add || got.Loc() != a.Loc() {
			t.Errorf("new Add = %v, want it at the old Add's location %d", got, a.Loc())
		}
		if got := n.w.Resolve(out); got.Type() != n.s || got.Loc() != b.Loc() {
			t.Errorf("out = %v, want S at the old S's location %d", got, b.Loc())
		}
	})
}

// TestRewriteGuardsAndLets uses
//
//	Div(r, int y) >< (int x) | y == 0 => r ~ -1
//	                         | x < 0  => let q = x / y, m = x % y; r ~ Pair(q, 0 - m)
//	                         | _      => let q = x / y; r ~ q;
func TestRewriteGuardsAndLets(t *testing.T) {
	for _, c := range []struct {
		x, y int64
		want string
	}{
		{5, 0, "-1"}, // the lets of the later cases would divide by zero
		{-7, 2, "Pair(-3, 1)"},
		{7, 2, "3"},
	} {
		forModes(t, func(t *testing.T, n *testNet) {
			n.rule("div", n.div, TypeInt, []int{1, 3},
				AltSpec{
					Guard: code(load(0), push(0), apply(OpEq)),
					Wires: [][2]End{wire(ext(0), constant(-1))},
				},
				AltSpec{
					Guard: code(load(1), push(0), apply(OpLt)),
					Lets: []*Code{
						code(load(1), load(0), apply(OpDiv)),
						code(load(1), load(0), apply(OpMod)),
					},
					Nodes: []NodeDecl{decl(n.pair)},
					Exprs: []*Code{code(load(2)), code(push(0), load(3), apply(OpSub))},
					Wires: [][2]End{
						wire(ext(0), node(0, 0)),
						wire(node(0, 1), exprEnd(0)),
						wire(exprEnd(1), node(0, 2)),
					},
				},
				AltSpec{
					Lets:  []*Code{code(load(1), load(0), apply(OpDiv))},
					Exprs: []*Code{code(load(2))},
					Wires: [][2]End{wire(exprEnd(0), ext(0))},
				},
			)
			out := n.w.NewVar()
			n.w.Push(n.agent(n.div, out, n.w.Int(c.y)), n.w.Int(c.x))
			if err := n.run(); err != nil {
				t.Fatal(err)
			}
			if got := n.show(out); got != c.want {
				t.Errorf("%d / %d: out = %s, want %s", c.x, c.y, got, c.want)
			}
			if got := n.w.Interactions(); got != 1 {
				t.Errorf("interactions = %d, want 1", got)
			}
		})
	}
}

func TestRewriteAttributes(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.intRules()
		outs := make([]Port, 5)
		for i := range outs {
			outs[i] = n.w.NewVar()
		}
		// The attribute of plus2 arrives through a filled wire.
		x := n.w.NewVar()
		n.w.SetCell(x, n.w.Int(30))
		n.w.Push(n.agent(n.plus2, outs[0], x), n.w.Int(12))
		n.w.Push(n.w.Int(7), n.agent(n.plus2, outs[1], n.w.Int(-3)))
		n.w.Push(n.agent(n.fold, outs[2]), n.agent(n.leaf, n.w.Int(9)))
		// The integer is the left side of the rule, in both orientations.
		n.w.Push(n.agent(n.neg, outs[3]), n.w.Int(5))
		n.w.Push(n.w.Int(-6), n.agent(n.neg, outs[4]))

		live := n.w.Live()
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"42", "4", "9", "-5", "6"} {
			if got := n.show(outs[i]); got != want {
				t.Errorf("out %d = %s, want %s", i, got, want)
			}
		}
		if got := n.w.Interactions(); got != 5 {
			t.Errorf("interactions = %d, want 5", got)
		}
		if got := n.w.Live(); got != live-6 {
			t.Errorf("live agents = %d, want %d", got, live-6)
		}
		if !n.freeCells(1)[x.Loc()] {
			t.Errorf("the attribute's wire cell %d was not freed", x.Loc())
		}
	})
}

func TestRewriteBigIntegers(t *testing.T) {
	const big = 1 << 61
	forModes(t, func(t *testing.T, n *testNet) {
		n.intRules()
		n.rule("const", n.two, n.z, nil, AltSpec{
			Wires: [][2]End{wire(ext(0), constant(-big)), wire(constant(maxInline), ext(1))},
		})
		outs := make([]Port, 6)
		for i := range outs {
			outs[i] = n.w.NewVar()
		}
		in := n.w.Int(big)
		if in&tagMask != tagBig {
			t.Fatalf("Int(%d) = %v, want a boxed integer", int64(big), in)
		}
		n.w.Push(n.agent(n.id, outs[0]), in)
		// A boxed attribute on the agent side, and a sum that needs a box.
		n.w.Push(n.agent(n.plus2, outs[1], n.w.Int(-2*big)), n.w.Int(5))
		n.w.Push(n.agent(n.plus2, outs[2], n.w.Int(maxInline)), n.w.Int(1))
		n.w.Push(n.agent(n.fold, outs[3]), n.agent(n.leaf, n.w.Int(-big)))
		n.w.Push(n.agent(n.two, outs[4], outs[5]), n.agent(n.z))

		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		for i, want := range []int64{big, -2*big + 5, maxInline + 1, -big, -big, maxInline} {
			if got, want := n.show(outs[i]), strconv.FormatInt(want, 10); got != want {
				t.Errorf("out %d = %s, want %s", i, got, want)
			}
		}
		// The box of the consumed integer is freed before the result is
		// boxed, so the result takes it over.
		if got := n.w.Resolve(outs[0]); got&tagMask != tagBig || got.Loc() != in.Loc() {
			t.Errorf("out 0 = %v, want a box at %d, the freed box of the input", got, in.Loc())
		}
	})
}

// TestRewriteValues uses
//
//	Tag(r) >< S(x) => r ~ Pair(p, q), x ~ Tag(p) [value of the left Tag], q ~ Z;
//	Tag(r) >< Z    => r ~ Z;
//	Copy(r) >< Label => r ~ Label [value of the right Label];
//
// The new Pair takes over the old Tag's cell, whose last word held the
// value handle, and the new Label takes over the cell of Copy.
func TestRewriteValues(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.rule("tag-succ", n.tag, n.s, nil, AltSpec{
			Nodes: []NodeDecl{decl(n.pair), {Type: n.tag, ValueFrom: 1}, decl(n.z)},
			Wires: [][2]End{
				wire(ext(0), node(0, 0)),
				wire(node(0, 1), node(1, 1)),
				wire(node(0, 2), node(2, 0)),
				wire(ext(1), node(1, 0)),
			},
		})
		n.rule("tag-zero", n.tag, n.z, nil, AltSpec{
			Nodes: []NodeDecl{decl(n.z)},
			Wires: [][2]End{wire(ext(0), node(0, 0))},
		})
		n.rule("copy-label", n.copyType, n.label, nil, AltSpec{
			Nodes: []NodeDecl{{Type: n.label, ValueFrom: 2}},
			Wires: [][2]End{wire(ext(0), node(0, 0))},
		})
		out, out2 := n.w.NewVar(), n.w.NewVar()
		tag := n.agent(n.tag, out)
		n.w.SetValue(tag, "hello")
		n.w.Push(tag, n.unary(2))
		label := n.agent(n.label)
		n.w.SetValue(label, 42)
		n.w.Push(n.agent(n.copyType, out2), label)
		n.w.Prepare()

		if ok, err := n.w.Step(); !ok || err != nil {
			t.Fatalf("Step = %v, %v", ok, err)
		}
		if got := n.w.Value(n.w.Resolve(out2)); got != 42 {
			t.Errorf("value of the new Label = %v, want 42", got)
		}
		if ok, err := n.w.Step(); !ok || err != nil {
			t.Fatalf("Step = %v, %v", ok, err)
		}
		rs := n.w.Redexes()
		if len(rs) != 1 || rs[0].B.Type() != n.tag {
			t.Fatalf("redexes = %v, want S(Z) and the new Tag", rs)
		}
		if got := n.w.Value(rs[0].B); got != "hello" {
			t.Errorf("value of the new Tag = %v, want hello", got)
		}
		if got := n.liveValues(); got != 2 {
			t.Errorf("live values = %d, want 2", got)
		}
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if got := n.show(out); got != "Pair(Pair(Z, Z), Z)" {
			t.Errorf("out = %s, want Pair(Pair(Z, Z), Z)", got)
		}
		if got := n.liveValues(); got != 1 {
			t.Errorf("live values = %d, want 1 (the Label's)", got)
		}
	})
}

// TestRewriteWildcard uses
//
//	Mark(r) >< x => r ~ Box(x);
//	Keep(r) >< x => r ~ x;
func TestRewriteWildcard(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.rule("mark", n.mark, TypeNone, nil, AltSpec{
			Nodes: []NodeDecl{decl(n.box)},
			Wires: [][2]End{wire(ext(0), node(0, 0)), wire(node(0, 1), ext(2))},
		})
		n.rule("keep", n.keep, TypeNone, nil, AltSpec{Wires: [][2]End{wire(ext(2), ext(0))}})
		out, out2 := n.w.NewVar(), n.w.NewVar()
		n.w.Push(n.agent(n.mark, out), n.unary(1))
		n.w.Push(n.unary(2), n.agent(n.keep, out2))
		live := n.w.Live()
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if got := n.show(out); got != "Box(S(Z))" {
			t.Errorf("out = %s, want Box(S(Z))", got)
		}
		if got := n.show(out2); got != "S(S(Z))" {
			t.Errorf("out2 = %s, want S(S(Z))", got)
		}
		if got := n.w.Live(); got != live-1 {
			t.Errorf("live agents = %d, want %d", got, live-1)
		}
	})
}

func TestRewritePendingAttribute(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.intRules()
		out, v := n.w.NewVar(), n.w.NewVar()
		// Fold >< Leaf is reduced first and must wait for Id to fill v.
		n.w.Push(n.agent(n.id, v), n.w.Int(5))
		n.w.Push(n.agent(n.fold, out), n.agent(n.leaf, v))
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if got := n.show(out); got != "5" {
			t.Errorf("out = %s, want 5", got)
		}
		if got := n.w.Interactions(); got != 2 {
			t.Errorf("interactions = %d, want 2", got)
		}
		if !n.freeCells(1)[v.Loc()] {
			t.Errorf("the attribute's wire cell %d was not freed", v.Loc())
		}
	})
}

func TestRewritePendingForever(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.intRules()
		out, v := n.w.NewVar(), n.w.NewVar()
		fold, leaf := n.agent(n.fold, out), n.agent(n.leaf, v)
		n.w.Push(fold, leaf)
		err := n.run()
		if !errors.Is(err, ErrPending) {
			t.Fatalf("Run = %v, want ErrPending", err)
		}
		if rs := n.w.Redexes(); len(rs) != 1 || rs[0] != (Redex{fold, leaf}) {
			t.Errorf("redexes = %v, want the waiting pair", rs)
		}
		if got := n.w.Interactions(); got != 0 {
			t.Errorf("interactions = %d, want 0", got)
		}
		if got := n.w.Aux(leaf, 0); got != v {
			t.Errorf("Leaf's port = %v, want %v", got, v)
		}
	})
}

// heapState is what a failed interaction must leave unchanged.
type heapState struct {
	free          [freeMask + 1]uint64
	bump          uint64
	allocs, frees int64
}

func (n *testNet) heapState() heapState {
	h := n.w.heap
	return heapState{h.free, h.bump, h.allocs, h.frees}
}

func TestRewriteFailureLeavesNet(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.intRules()
		// Two(a, b) >< (int x) => a ~ S(x + 0), b ~ (x / 0). The first
		// expression needs a box, and the second fails.
		n.rule("two", n.two, TypeInt, []int{3}, AltSpec{
			Nodes: []NodeDecl{decl(n.s)},
			Exprs: []*Code{
				code(load(0), push(0), apply(OpAdd)),
				code(load(0), push(0), apply(OpDiv)),
			},
			Wires: [][2]End{
				wire(ext(0), node(0, 0)),
				wire(node(0, 1), exprEnd(0)),
				wire(ext(1), exprEnd(1)),
			},
		})
		for _, c := range []struct {
			name string
			a, b func() Port
			want error
		}{
			{"division", func() Port { return n.agent(n.quot, n.w.NewVar(), n.w.Int(0)) },
				func() Port { return n.w.Int(7) }, ErrDivideByZero},
			{"second expression", func() Port { return n.agent(n.two, n.w.NewVar(), n.w.NewVar()) },
				func() Port { return n.w.Int(1 << 61) }, ErrDivideByZero},
			{"not an integer", func() Port { return n.agent(n.fold, n.w.NewVar()) },
				func() Port { return n.agent(n.leaf, n.agent(n.z)) }, ErrNotInteger},
		} {
			a, b := c.a(), c.b()
			n.w.stack = n.w.stack[:0]
			n.w.Push(a, b)
			before := n.heapState()
			count := n.w.Interactions()
			err := n.run()
			var f *Fault
			if !errors.As(err, &f) || !errors.Is(err, c.want) {
				t.Errorf("%s: Run = %v, want a Fault with %v", c.name, err, c.want)
				continue
			}
			if rs := n.w.Redexes(); len(rs) != 1 || rs[0] != (Redex{a, b}) {
				t.Errorf("%s: redexes = %v, want the failed pair", c.name, rs)
			}
			if got := n.heapState(); got != before {
				t.Errorf("%s: heap changed from %+v to %+v", c.name, before, got)
			}
			if got := n.w.Interactions(); got != count {
				t.Errorf("%s: interactions = %d, want %d", c.name, got, count)
			}
		}
	})
}
