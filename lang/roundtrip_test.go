package lang

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// roundTrip parses src, prints the program, parses the result again and
// reports any difference between the two trees.
func roundTrip(t *testing.T, name string, src []byte) {
	t.Helper()
	p1, _ := ParseFile(name, src, AllErrors) // statements with errors are left out
	out := p1.String()
	p2, err := ParseFile(name, []byte(out), 0)
	if err != nil {
		t.Errorf("%s: printed program does not parse: %v\n%s", name, err, out)
		return
	}
	if d := astDiff(p1.Stmts, p2.Stmts); d != "" {
		t.Errorf("%s: tree changed after printing: %s\n%s", name, d, out)
	}
	if again := p2.String(); again != out {
		t.Errorf("%s: printing is not stable:\n%s\nthen\n%s", name, out, again)
	}
}

func TestRoundTripFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.in")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, f, src)
	}
}

// gen builds random syntax trees in the canonical shape that the parser
// produces, so that printing and parsing them must give them back.
type gen struct {
	r *rand.Rand
}

var (
	genNames  = []string{"x", "y", "xs", "r'", "a.b", "n_2"}
	genAgents = []string{"A", "Cons", "S", "inc", "f", "Tuple2"}
	genConsts = []string{"N", "MAX"}
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) expr(depth int) Expr {
	k := g.r.IntN(10)
	if depth <= 0 {
		k %= 3
	}
	switch k {
	case 0:
		switch g.r.IntN(8) {
		case 0:
			return &IntLit{Value: math.MinInt64}
		case 1:
			return &IntLit{Value: math.MaxInt64}
		}
		return &IntLit{Value: int64(g.r.IntN(100))}
	case 1:
		return &Ident{Name: g.pick(genNames)}
	case 2:
		return &Ident{Name: g.pick(genConsts)}
	case 3:
		return &Unary{Op: OpNeg, X: g.expr(depth - 1)}
	case 4:
		return &Unary{Op: OpNot, X: g.expr(depth - 1)}
	case 5:
		return &Rand{X: g.expr(depth - 1)}
	}
	return &Binary{X: g.expr(depth - 1), Op: Op(1 + g.r.IntN(int(OpOr))), Y: g.expr(depth - 1)}
}

func (g *gen) reuse() Reuse {
	if g.r.IntN(4) == 0 {
		return Reuse(1 + g.r.IntN(2))
	}
	return NoReuse
}

func (g *gen) terms(n, depth int) []Term {
	var ts []Term
	for range n {
		ts = append(ts, g.term(depth))
	}
	return ts
}

func (g *gen) term(depth int) Term {
	k := g.r.IntN(10)
	if depth <= 0 {
		k %= 3
	}
	switch k {
	case 0:
		return &Name{Name: g.pick(genNames)}
	case 1:
		return &Agent{Name: g.pick([]string{"A", "Z", "Nil"}), Reuse: g.reuse()}
	case 2:
		return &Percent{Agent: g.pick(genAgents)}
	case 3:
		args := g.terms(g.r.IntN(4), depth-1)
		return &Agent{Name: g.pick(genAgents), Parens: true, Args: args, Reuse: g.reuse()}
	case 4:
		n := g.r.IntN(5)
		if n > 0 {
			n++
		}
		return &Tuple{Elems: g.terms(n, depth-1), Reuse: g.reuse()}
	case 5:
		return &List{Elems: g.terms(g.r.IntN(4), depth-1), Reuse: g.reuse()}
	case 6:
		c := &Cons{Heads: g.terms(1+g.r.IntN(3), depth-1), Tail: g.term(depth - 1), Reuse: g.reuse()}
		if tail, ok := c.Tail.(*Cons); ok && tail.Reuse == NoReuse {
			c.Tail = &Name{Name: "t"} // the parser merges such a tail into the chain
		}
		return c
	case 7:
		return &IntVar{Name: g.pick(genNames)}
	}
	e := g.expr(depth - 1)
	if _, ok := e.(*Ident); ok {
		e = &Unary{Op: OpNeg, X: e} // a lone identifier is a name or an agent
	}
	return &ExprTerm{X: e}
}

func (g *gen) binds() *Bindings {
	if g.r.IntN(2) == 0 {
		return nil
	}
	b := &Bindings{Form: BindForm(g.r.IntN(3))}
	for range g.r.IntN(3) {
		b.List = append(b.List, &Binding{Name: g.pick(genNames), Value: g.expr(3)})
	}
	return b
}

func (g *gen) net(depth int) *Net {
	n := &Net{Binds: g.binds()}
	for range 1 + g.r.IntN(3) {
		if g.r.IntN(3) == 0 {
			n.Conns = append(n.Conns, &Abbrev{
				Outs:  g.terms(g.r.IntN(3), depth),
				Agent: &Agent{Name: g.pick(genAgents), Parens: true, Args: g.terms(1+g.r.IntN(3), depth), Reuse: g.reuse()},
			})
		} else {
			n.Conns = append(n.Conns, &Connection{Left: g.term(depth), Right: g.term(depth)})
		}
	}
	return n
}

func (g *gen) body(depth int) RuleBody {
	k := g.r.IntN(4)
	if depth <= 0 {
		k = 0
	}
	switch k {
	case 1:
		gs := &Guards{}
		for range g.r.IntN(3) {
			gs.Alts = append(gs.Alts, &Guard{Cond: g.expr(2), Body: g.body(depth - 1)})
		}
		gs.Alts = append(gs.Alts, &Guard{Body: g.body(depth - 1)})
		if len(gs.Alts) == 1 {
			gs.Alts = append([]*Guard{{Cond: g.expr(2), Body: g.body(depth - 1)}}, gs.Alts...)
		}
		return gs
	case 2:
		return &If{Cond: g.expr(2), Then: g.body(depth - 1), Else: g.body(depth - 1)}
	}
	return g.net(2)
}

func TestRoundTripGenerated(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	for i := range 3000 {
		e := g.expr(5)
		s, err := parseOne("const X = " + e.String() + ";")
		if err != nil {
			t.Fatalf("expression %d %s: %v", i, e, err)
		}
		if d := astDiff(e, s.(*ConstDecl).Value); d != "" {
			t.Fatalf("expression %d %s reads back as %s: %s", i, e, s.(*ConstDecl).Value, d)
		}

		tm := g.term(4)
		s, err = parseOne("x ~ " + tm.String() + ";")
		if err != nil {
			t.Fatalf("term %d %s: %v", i, tm, err)
		}
		if d := astDiff(tm, s.(*NetStmt).Net.Conns[0].(*Connection).Right); d != "" {
			t.Fatalf("term %d %s reads back differently: %s", i, tm, d)
		}

		net := &NetStmt{Net: g.net(3)}
		s, err = parseOne(net.String())
		if err != nil {
			t.Fatalf("net %d %s: %v", i, net, err)
		}
		if d := astDiff(net, s); d != "" {
			t.Fatalf("net %d %s reads back differently: %s", i, net, d)
		}

		rule := &Rule{
			Left:  &Pattern{Term: &Agent{Name: "F", Parens: true, Args: []Term{&Name{Name: "r"}, &IntVar{Name: "k"}}}},
			Right: &Pattern{Term: &IntVar{Name: "n"}, Kind: PatInt},
			Body:  g.body(3),
		}
		if n, ok := rule.Body.(*Net); ok && len(n.Conns) == 0 {
			n.Binds = nil
		}
		s, err = parseOne(rule.String())
		if err != nil {
			t.Fatalf("rule %d %s: %v", i, rule, err)
		}
		if d := astDiff(rule.Body, s.(*Rule).Body); d != "" {
			t.Fatalf("rule %d %s reads back differently: %s", i, rule, d)
		}
	}
}

func TestRoundTripExprStrings(t *testing.T) {
	for _, tt := range []struct{ e Expr }{
		{&Binary{X: &IntLit{Value: 2}, Op: OpMul, Y: &Unary{Op: OpNeg, X: &IntLit{Value: 3}}}},
		{&Unary{Op: OpNeg, X: &IntLit{Value: math.MinInt64}}},
		{&Binary{X: &Ident{Name: "a"}, Op: OpAnd, Y: &Binary{X: &Ident{Name: "b"}, Op: OpOr, Y: &Ident{Name: "c"}}}},
		{&Unary{Op: OpNot, X: &Binary{X: &Ident{Name: "a"}, Op: OpEq, Y: &IntLit{Value: 1}}}},
	} {
		s, err := parseOne("const X = " + tt.e.String() + ";")
		if err != nil {
			t.Errorf("%s: %v", tt.e, err)
			continue
		}
		if d := astDiff(tt.e, s.(*ConstDecl).Value); d != "" {
			t.Errorf("%s: %s", tt.e, d)
		}
	}
	if got := strconv.Quote((&Binary{X: &IntLit{Value: 2}, Op: OpMul, Y: &Unary{Op: OpNeg, X: &IntLit{Value: 3}}}).String()); got != `"2 * (-3)"` {
		t.Errorf("got %s", got)
	}
}
