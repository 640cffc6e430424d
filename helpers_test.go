package annette_test

import (
	"context"
	"testing"

	"github.com/annette-go/annette"
)

// must fails the test on a non-nil error.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func defineTypes(tb testing.TB, n *annette.Network, types ...annette.Type) {
	tb.Helper()
	for _, t := range types {
		must(tb, n.DefineType(t))
	}
}

func addRules(tb testing.TB, n *annette.Network, rules ...annette.Rule) {
	tb.Helper()
	for _, r := range rules {
		must(tb, n.AddRule(r))
	}
}

var (
	V   = annette.V
	A   = annette.A
	N   = annette.N
	W   = annette.W
	Op  = annette.Op
	Pat = annette.Pat
)

// unaryNet returns a network with Z, S and the rewrite rules of unary
// addition and multiplication:
//
//	Add(r, y) >< Z    => r ~ y;
//	Add(r, y) >< S(x) => r ~ S(w), Add(w, y) ~ x;
//	Mul(r, y) >< Z    => r ~ Z, Erase ~ y;
//	Mul(r, y) >< S(x) => Dup(y1, y2) ~ y, Mul(m, y2) ~ x, Add(r, y1) ~ m;
//	Erase >< Z => ;  Erase >< S(x) => Erase ~ x;
//	Dup(a, b) >< Z => a ~ Z, b ~ Z;
//	Dup(a, b) >< S(x) => a ~ S(a2), b ~ S(b2), Dup(a2, b2) ~ x;
func unaryNet(tb testing.TB, cfg annette.Config) *annette.Network {
	n := annette.NewNetwork(cfg)
	defineTypes(tb, n, unaryTypes...)
	addRules(tb, n, unaryRules()...)
	return n
}

// unaryTypes are the agent types of unaryNet.
var unaryTypes = []annette.Type{
	{Name: "Z"},
	{Name: "S", Ports: []string{"main", "pred"}},
	{Name: "Add", Ports: []string{"main", "ret", "y"}},
	{Name: "Mul", Ports: []string{"main", "ret", "y"}},
	{Name: "Erase"},
	{Name: "Dup", Ports: []string{"main", "a", "b"}},
}

// unaryRules returns the rules of unaryNet.
func unaryRules() []annette.Rule {
	return []annette.Rule{
		annette.RewriteRule{Name: "add-zero", Left: Pat("Add", "r", "y"), Right: Pat("Z"),
			Body: []annette.Wire{W(V("r"), V("y"))}},
		annette.RewriteRule{Name: "add-succ", Left: Pat("Add", "r", "y"), Right: Pat("S", "x"),
			Body: []annette.Wire{W(V("r"), A("S", V("w"))), W(A("Add", V("w"), V("y")), V("x"))}},
		annette.RewriteRule{Name: "mul-zero", Left: Pat("Mul", "r", "y"), Right: Pat("Z"),
			Body: []annette.Wire{W(V("r"), A("Z")), W(A("Erase"), V("y"))}},
		annette.RewriteRule{Name: "mul-succ", Left: Pat("Mul", "r", "y"), Right: Pat("S", "x"),
			Body: []annette.Wire{
				W(A("Dup", V("y1"), V("y2")), V("y")),
				W(A("Mul", V("m"), V("y2")), V("x")),
				W(A("Add", V("r"), V("y1")), V("m")),
			}},
		annette.RewriteRule{Name: "erase-zero", Left: Pat("Erase"), Right: Pat("Z")},
		annette.RewriteRule{Name: "erase-succ", Left: Pat("Erase"), Right: Pat("S", "x"),
			Body: []annette.Wire{W(A("Erase"), V("x"))}},
		annette.RewriteRule{Name: "dup-zero", Left: Pat("Dup", "a", "b"), Right: Pat("Z"),
			Body: []annette.Wire{W(V("a"), A("Z")), W(V("b"), A("Z"))}},
		annette.RewriteRule{Name: "dup-succ", Left: Pat("Dup", "a", "b"), Right: Pat("S", "x"),
			Body: []annette.Wire{
				W(V("a"), A("S", V("a2"))), W(V("b"), A("S", V("b2"))), W(A("Dup", V("a2"), V("b2")), V("x")),
			}},
	}
}

// unary builds the unary number k and returns its principal port. It
// builds from the inside out, so it needs no recursion.
func unary(tb testing.TB, n *annette.Network, k int) annette.Port {
	tb.Helper()
	z, err := n.AddAgent("Z", nil)
	must(tb, err)
	top := z.Main()
	for range k {
		s, err := n.AddAgent("S", nil)
		must(tb, err)
		must(tb, n.Connect(s.Port("pred"), top))
		top = s.Main()
	}
	return top
}

// binop connects op(result, y) ~ x, with result the interface name out.
func binop(tb testing.TB, n *annette.Network, op string, x, y annette.Port, out string) {
	tb.Helper()
	a, err := n.AddAgent(op, nil)
	must(tb, err)
	must(tb, n.Connect(a.Port("ret"), n.Name(out)))
	must(tb, n.Connect(a.Port("y"), y))
	must(tb, n.Connect(a.Main(), x))
}

// treeTypes are the agent types of the tree-sum program.
var treeTypes = []annette.Type{
	{Name: "Grow", Ports: []string{"main", "t"}},
	{Name: "Leaf", Ports: []string{"main", "v"}},
	{Name: "Fork", Ports: []string{"main", "l", "r"}},
	{Name: "Fold", Ports: []string{"main", "s"}},
	{Name: "Plus", Ports: []string{"main", "s", "y"}},
	{Name: "Plus2", Ports: []string{"main", "s", "x"}},
}

// treeRewriteRules build a full binary tree of depth d with Grow and sum
// its leaves with Fold:
//
//	Grow(t) >< (int d) | d == 0 => t ~ Leaf(1)
//	                   | _      => t ~ Fork(l, r), Grow(l) ~ (d-1), Grow(r) ~ (d-1);
//	Fold(s) >< Leaf(int v) => s ~ v;
//	Fold(s) >< Fork(l, r)  => Plus(s, sr) ~ sl, Fold(sl) ~ l, Fold(sr) ~ r;
//	Plus(s, y) >< (int x)      => Plus2(s, x) ~ y;
//	Plus2(s, int x) >< (int y) => s ~ (x + y);
func treeRewriteRules() []annette.Rule {
	dm1 := Op("-", V("d"), N(1))
	return []annette.Rule{
		annette.RewriteRule{Name: "grow", Left: Pat("Grow", "t"), Right: Pat("Int", "d"),
			Cases: []annette.Case{
				{Guard: annette.Ptr(Op("==", V("d"), N(0))), Body: []annette.Wire{W(V("t"), A("Leaf", N(1)))}},
				{Body: []annette.Wire{
					W(V("t"), A("Fork", V("l"), V("r"))),
					W(A("Grow", V("l")), dm1),
					W(A("Grow", V("r")), dm1),
				}},
			}},
		annette.RewriteRule{Name: "fold-leaf", Left: Pat("Fold", "s"), Right: Pat("Leaf", "int v"),
			Body: []annette.Wire{W(V("s"), V("v"))}},
		annette.RewriteRule{Name: "fold-fork", Left: Pat("Fold", "s"), Right: Pat("Fork", "l", "r"),
			Body: []annette.Wire{
				W(A("Plus", V("s"), V("sr")), V("sl")),
				W(A("Fold", V("sl")), V("l")),
				W(A("Fold", V("sr")), V("r")),
			}},
		annette.RewriteRule{Name: "plus", Left: Pat("Plus", "s", "y"), Right: Pat("Int", "x"),
			Body: []annette.Wire{W(A("Plus2", V("s"), V("x")), V("y"))}},
		annette.RewriteRule{Name: "plus2", Left: Pat("Plus2", "s", "int x"), Right: Pat("Int", "y"),
			Body: []annette.Wire{W(V("s"), Op("+", V("x"), V("y")))}},
	}
}

// treeActionRules are the same rules written as Go functions.
func treeActionRules() []annette.Rule {
	link := func(c *annette.RuleContext, p, q annette.Port) error { return c.Link(p, q) }
	return []annette.Rule{
		annette.ActionRule{Name: "grow", Left: "Grow", Right: "Int", Action: func(c *annette.RuleContext) error {
			d := c.Right().Value().(int64)
			t := c.Left().Port("t")
			if d == 0 {
				leaf, err := c.NewAgent("Leaf", nil)
				if err != nil {
					return err
				}
				if err := link(c, leaf.Port("v"), c.Int(1)); err != nil {
					return err
				}
				return link(c, t, leaf.Main())
			}
			fork, err := c.NewAgent("Fork", nil)
			if err != nil {
				return err
			}
			if err := link(c, t, fork.Main()); err != nil {
				return err
			}
			for _, side := range []string{"l", "r"} {
				g, err := c.NewAgent("Grow", nil)
				if err != nil {
					return err
				}
				if err := link(c, g.Port("t"), fork.Port(side)); err != nil {
					return err
				}
				if err := link(c, g.Main(), c.Int(d-1)); err != nil {
					return err
				}
			}
			return nil
		}},
		annette.ActionRule{Name: "fold-leaf", Left: "Fold", Right: "Leaf", Action: func(c *annette.RuleContext) error {
			v, err := c.IntAt(c.Right().Port("v"))
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("s"), c.Int(v))
		}},
		annette.ActionRule{Name: "fold-fork", Left: "Fold", Right: "Fork", Action: func(c *annette.RuleContext) error {
			plus, _ := c.NewAgent("Plus", nil)
			f1, _ := c.NewAgent("Fold", nil)
			f2, _ := c.NewAgent("Fold", nil)
			for _, l := range [][2]annette.Port{
				{plus.Port("s"), c.Left().Port("s")},
				{plus.Main(), f1.Port("s")},
				{plus.Port("y"), f2.Port("s")},
				{f1.Main(), c.Right().Port("l")},
				{f2.Main(), c.Right().Port("r")},
			} {
				if err := c.Link(l[0], l[1]); err != nil {
					return err
				}
			}
			return nil
		}},
		annette.ActionRule{Name: "plus", Left: "Plus", Right: "Int", Action: func(c *annette.RuleContext) error {
			p2, _ := c.NewAgent("Plus2", nil)
			for _, l := range [][2]annette.Port{
				{p2.Port("s"), c.Left().Port("s")},
				{p2.Port("x"), c.Int(c.Right().Value().(int64))},
				{p2.Main(), c.Left().Port("y")},
			} {
				if err := c.Link(l[0], l[1]); err != nil {
					return err
				}
			}
			return nil
		}},
		annette.ActionRule{Name: "plus2", Left: "Plus2", Right: "Int", Action: func(c *annette.RuleContext) error {
			x, err := c.IntAt(c.Left().Port("x"))
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("s"), c.Int(x+c.Right().Value().(int64)))
		}},
	}
}

// treeNet returns a network that grows a tree of the given depth and sums
// it into the interface name "total".
func treeNet(tb testing.TB, rules []annette.Rule, depth int64) *annette.Network {
	tb.Helper()
	n := annette.NewNetwork(annette.Config{})
	defineTypes(tb, n, treeTypes...)
	addRules(tb, n, rules...)
	g, err := n.AddAgent("Grow", nil)
	must(tb, err)
	f, err := n.AddAgent("Fold", nil)
	must(tb, err)
	must(tb, n.Connect(g.Main(), n.Int(depth)))
	must(tb, n.Connect(g.Port("t"), f.Main()))
	must(tb, n.Connect(f.Port("s"), n.Name("total")))
	return n
}

// treeInteractions is the interaction count of treeNet at depth d.
func treeInteractions(d int) int64 { return 3<<(d+1) - 4 }

// stepSeqToEnd calls n.Step until it reports no interaction and returns
// the number of steps that carried one out.
func stepSeqToEnd(tb testing.TB, n *annette.Network) int64 {
	tb.Helper()
	var steps int64
	for {
		ok, err := n.Step(context.Background())
		must(tb, err)
		if !ok {
			return steps
		}
		steps++
	}
}
