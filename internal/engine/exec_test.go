package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// These tests aim at the compiled programs of exec; forModes also runs
// each of them on the general path, so both must agree.

// lastRegs returns the register file of the last rewrite of n's worker
// with rule t.
func (n *testNet) lastRegs(t *Template) []Port {
	if t.prog != nil {
		return n.w.fregs[:]
	}
	return n.w.reg
}

// cmpRule adds Cmp(r) >< (int x) with one alternative per comparison of x
// with a constant, in this order, each sending its number to r:
//
//	x < 0 => 1 | x <= 1 => 2 | x > 10 => 3 | x >= 9 => 4 | x == 5 => 5 |
//	x != 6 => 6 | x % 2 == 0 => 7 (the general guard) | _ => 8
func (n *testNet) cmpRule() TypeID {
	cmp := n.define("Cmp", false, "r")
	guard := func(op Op, k int64) *Code { return code(load(0), push(k), apply(op)) }
	alt := func(g *Code, v int64) AltSpec {
		return AltSpec{Guard: g, Wires: [][2]End{wire(ext(0), constant(v))}}
	}
	even := code(load(0), push(2), apply(OpMod), push(0), apply(OpEq))
	n.rule("cmp", cmp, TypeInt, []int{2},
		alt(guard(OpLt, 0), 1), alt(guard(OpLe, 1), 2), alt(guard(OpGt, 10), 3),
		alt(guard(OpGe, 9), 4), alt(guard(OpEq, 5), 5), alt(guard(OpNe, 6), 6),
		alt(even, 7), alt(nil, 8))
	return cmp
}

func TestExecGuards(t *testing.T) {
	want := func(x int64) int64 {
		switch {
		case x < 0:
			return 1
		case x <= 1:
			return 2
		case x > 10:
			return 3
		case x >= 9:
			return 4
		case x == 5:
			return 5
		case x != 6:
			return 6
		case x%2 == 0:
			return 7
		}
		return 8
	}
	forModes(t, func(t *testing.T, n *testNet) {
		cmp := n.cmpRule()
		outs := map[int64]Port{}
		for x := int64(-2); x <= 12; x++ {
			outs[x] = n.w.NewVar()
			n.w.Push(n.agent(cmp, outs[x]), n.w.Int(x))
		}
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		for x, out := range outs {
			if got := n.show(out); got != itoa(want(x)) {
				t.Errorf("Cmp ~ %d gives %s, want %d", x, got, want(x))
			}
		}
		if r, _ := n.net.Rules.lookup(cmp, TypeInt); !NoPrograms.Load() && (r.Template.prog == nil || hasOp(r.Template.prog, insGuard)) {
			t.Error("the rule has no program, or one that leaves a guard to the expression machine")
		}
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestExecWideAgents builds Pack(r) >< (int x) => r ~ A(e1, …, ek, 42)
// for the widest agent with an instruction of its own (four ports) and
// one wider, whose slots the program lists.
func TestExecWideAgents(t *testing.T) {
	x := code(load(0))
	xPlus1 := code(load(0), push(1), apply(OpAdd))
	x3 := code(load(0), push(3), apply(OpMul))
	xx := code(load(0), load(0), apply(OpMul))
	cases := []struct {
		agent string
		exprs []*Code
		want  string
		op    uint8 // the instruction that builds the agent
	}{
		{"Quad", []*Code{x, xPlus1, x3}, "Quad(7, 8, 21, 42)", insNew4},
		{"Wide", []*Code{x, xPlus1, x3, xx}, "Wide(7, 8, 21, 49, 42)", insNewN},
	}
	for _, c := range cases {
		t.Run(c.agent, func(t *testing.T) {
			forModes(t, func(t *testing.T, n *testNet) {
				ports := []string{"a"}
				wires := [][2]End{wire(ext(0), node(0, 0))}
				for i := range c.exprs {
					ports = append(ports, string(rune('b'+i)))
					wires = append(wires, wire(node(0, i+1), exprEnd(i)))
				}
				wires = append(wires, wire(node(0, len(c.exprs)+1), constant(42)))
				agent := n.define(c.agent, false, ports...)
				pack := n.define("Pack", false, "r")
				n.rule("pack", pack, TypeInt, []int{2}, AltSpec{
					Nodes: []NodeDecl{decl(agent)},
					Exprs: c.exprs,
					Wires: wires,
				})
				out := n.w.NewVar()
				n.w.Push(n.agent(pack, out), n.w.Int(7))
				if err := n.run(); err != nil {
					t.Fatal(err)
				}
				if got := n.show(out); got != c.want {
					t.Errorf("got %s, want %s", got, c.want)
				}
				if r, _ := n.net.Rules.lookup(pack, TypeInt); !NoPrograms.Load() && !hasOp(r.Template.prog, c.op) {
					t.Errorf("the rule has no program building %s with instruction %d", c.agent, c.op)
				}
			})
		})
	}
}

func TestExecCycle(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		mk := n.define("Mk", false, "r")
		// Mk(r) >< Z => Two(a, b) and Pair(l, q) hold each other's
		// principal ports: a ~ Pair, l ~ Two; b ~ 7, q ~ r.
		n.rule("mk", mk, n.z, nil, AltSpec{
			Nodes: []NodeDecl{decl(n.two), decl(n.pair)},
			Wires: [][2]End{
				wire(node(0, 1), node(1, 0)),
				wire(node(1, 1), node(0, 0)),
				wire(node(0, 2), constant(7)),
				wire(node(1, 2), ext(0)),
			},
		})
		out := n.w.NewVar()
		n.w.Push(n.agent(mk, out), n.agent(n.z))
		live := n.w.Live()
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		r, _ := n.net.Rules.lookup(mk, n.z)
		tm := r.Template
		if tm.prog != nil && !hasOp(tm.prog, insFill) {
			t.Error("the program does not allocate the cycle before filling it")
		}
		reg := n.lastRegs(tm)
		two, pair := reg[3], reg[4]
		if two.Type() != n.two || pair.Type() != n.pair {
			t.Fatalf("registers hold %v and %v", two, pair)
		}
		if n.w.Aux(two, 0) != pair || n.w.Aux(pair, 0) != two {
			t.Errorf("Two's a = %v, Pair's l = %v; want each other", n.w.Aux(two, 0), n.w.Aux(pair, 0))
		}
		if got := n.show(n.w.Aux(two, 1)); got != "7" {
			t.Errorf("Two's b = %s, want 7", got)
		}
		if n.w.Aux(pair, 1) != out {
			t.Errorf("Pair's q = %v, want the interface wire %v", n.w.Aux(pair, 1), out)
		}
		if got := n.w.Live(); got != live {
			t.Errorf("live agents %d, want %d (two freed, two made)", got, live)
		}
	})
}

func hasOp(p *prog, op uint8) bool {
	for _, in := range p.code {
		if in.op == op {
			return true
		}
	}
	return false
}

func TestExecLargeIntegers(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		n.intRules()
		big := n.define("Big", false, "r")
		// Big(r) >< (int x) => r ~ (x * 1000000007), then a second
		// interaction through Id.
		n.rule("big", big, TypeInt, []int{2}, AltSpec{
			Nodes: []NodeDecl{decl(n.id)},
			Exprs: []*Code{code(load(0), push(1000000007), apply(OpMul))},
			Wires: [][2]End{
				wire(node(0, 0), exprEnd(0)),
				wire(node(0, 1), ext(0)),
			},
		})
		cases := []int64{
			3,                 // small
			maxInline / 2,     // the product needs a box
			math.MaxInt64 / 3, // the product wraps around
			maxInline + 1,     // the attribute is boxed
			minInline - 1,
		}
		outs := make([]Port, len(cases))
		for i, x := range cases {
			outs[i] = n.w.NewVar()
			n.w.Push(n.agent(big, outs[i]), n.w.Int(x))
		}
		// Plus2 with results just inside and just outside the inline
		// range.
		edge := []Port{n.w.NewVar(), n.w.NewVar()}
		n.w.Push(n.agent(n.plus2, edge[0], n.w.Int(maxInline-1)), n.w.Int(1))
		n.w.Push(n.agent(n.plus2, edge[1], n.w.Int(maxInline)), n.w.Int(1))
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		for i, x := range cases {
			if got, want := n.show(outs[i]), itoa(x*1000000007); got != want {
				t.Errorf("Big ~ %d gives %s, want %s", x, got, want)
			}
		}
		if got, want := n.show(edge[0]), itoa(maxInline); got != want {
			t.Errorf("maxInline-1 + 1 = %s, want %s", got, want)
		}
		if got, want := n.show(edge[1]), itoa(maxInline+1); got != want {
			t.Errorf("maxInline + 1 = %s, want %s", got, want)
		}
	})
}

// TestTaggedRange checks that tagged accepts exactly the integers that
// fit in an INT word, as inlineInt does.
func TestTaggedRange(t *testing.T) {
	for _, v := range []int64{0, 1, -1, minInline, maxInline, minInline - 1, maxInline + 1,
		math.MinInt64, math.MaxInt64, 1 << 61, -1 << 61, 1<<62 + 5} {
		p, ok := tagged(v)
		q, want := inlineInt(v)
		if ok != want {
			t.Errorf("tagged(%d) fits = %v, want %v", v, ok, want)
		}
		if ok && p != q {
			t.Errorf("tagged(%d) = %#x, want %#x", v, p, q)
		}
	}
}

// TestExecAttrPassThrough passes attributes on unchanged, to a wire and
// to the slots of a new agent: the program reuses the ports that brought
// them and computes nothing.
func TestExecAttrPassThrough(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		keep := n.define("PassOn", false, "r1", "r2", "k")
		pair := n.define("PassPair", false, "a", "b")
		// PassOn(r1, r2, int k) >< (int x) => r1 ~ k, r2 ~ PassPair(x, k);
		// Ext registers: r1=0, r2=1, k=2, PassOn=3, the integer=4.
		n.rule("keep", keep, TypeInt, []int{2, 4}, AltSpec{
			Nodes: []NodeDecl{decl(pair)},
			Exprs: []*Code{code(load(0)), code(load(1)), code(load(0))},
			Wires: [][2]End{
				wire(ext(0), exprEnd(0)),
				wire(ext(1), node(0, 0)),
				wire(node(0, 1), exprEnd(1)),
				wire(node(0, 2), exprEnd(2)),
			},
		})
		r1, r2 := n.w.NewVar(), n.w.NewVar()
		n.w.Push(n.agent(keep, r1, r2, n.w.Int(-5)), n.w.Int(1<<40))
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if got, want := n.show(r1), "-5"; got != want {
			t.Errorf("r1 = %s, want %s", got, want)
		}
		if got, want := n.show(r2), "PassPair(1099511627776, -5)"; got != want {
			t.Errorf("r2 = %s, want %s", got, want)
		}
		r, _ := n.net.Rules.lookup(keep, TypeInt)
		if p := r.Template.prog; p != nil && (hasOp(p, insAddK) || hasOp(p, insTag)) {
			t.Error("the program computes an attribute it passes on unchanged")
		}
	})
}

// TestExecGuardTwoAttrs compares two attributes in a guard, with each
// comparison, against Go's.
func TestExecGuardTwoAttrs(t *testing.T) {
	ops := []struct {
		op   Op
		name string
		f    func(x, y int64) bool
	}{
		{OpEq, "Eq", func(x, y int64) bool { return x == y }},
		{OpNe, "Ne", func(x, y int64) bool { return x != y }},
		{OpLt, "Lt", func(x, y int64) bool { return x < y }},
		{OpLe, "Le", func(x, y int64) bool { return x <= y }},
		{OpGt, "Gt", func(x, y int64) bool { return x > y }},
		{OpGe, "Ge", func(x, y int64) bool { return x >= y }},
	}
	forModes(t, func(t *testing.T, n *testNet) {
		for _, o := range ops {
			// GuardOp(r, int y) >< (int x) | x op y => r ~ 1 | _ => r ~ 0;
			// Ext registers: r=0, y=1, the agent=2, the integer=3.
			ty := n.define("Guard"+o.name, false, "r", "y")
			n.rule("guard "+o.name, ty, TypeInt, []int{3, 1},
				AltSpec{Guard: code(load(0), load(1), apply(o.op)), Wires: [][2]End{wire(ext(0), constant(1))}},
				AltSpec{Wires: [][2]End{wire(ext(0), constant(0))}})
			for x := int64(-2); x <= 2; x++ {
				for y := int64(-2); y <= 2; y++ {
					out := n.w.NewVar()
					n.w.Push(n.agent(ty, out, n.w.Int(y)), n.w.Int(x))
					if err := n.run(); err != nil {
						t.Fatal(err)
					}
					want := "0"
					if o.f(x, y) {
						want = "1"
					}
					if got := n.show(out); got != want {
						t.Errorf("%d %s %d gives %s, want %s", x, o.name, y, got, want)
					}
				}
			}
			if r, _ := n.net.Rules.lookup(ty, TypeInt); !NoPrograms.Load() && !hasOp(r.Template.prog, insGuardV+uint8(o.op-OpEq)) {
				t.Errorf("the %s rule has no program with a two-attribute guard", o.name)
			}
		}
	})
}

// hasNew reports whether p builds an agent in a cell of the pair: the
// left agent's for mode 1, the right one's for mode 2.
func hasNew(p *prog, mode uint8) bool {
	for _, in := range p.code {
		if in.op >= insNew1 && in.op <= insAlloc && in.mode == mode {
			return true
		}
	}
	return false
}

func TestExecInPlace(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		// Flip(r) >< Two(a, b) => r ~ Two(b, a): the new Two takes the
		// old Two's cell, the right one.
		flip := n.define("Flip", false, "r")
		n.rule("flip", flip, n.two, nil, AltSpec{
			Nodes: []NodeDecl{decl(n.two)},
			Wires: [][2]End{
				wire(ext(0), node(0, 0)),
				wire(node(0, 1), ext(2)),
				wire(node(0, 2), ext(1)),
			},
		})
		// Make(r, s) >< Box(x) => r ~ Two(x, s): the new Two takes
		// Make's cell, the left one.
		maker := n.define("Make", false, "r", "s")
		n.rule("make", maker, n.box, nil, AltSpec{
			Nodes: []NodeDecl{decl(n.two)},
			Wires: [][2]End{
				wire(ext(0), node(0, 0)),
				wire(node(0, 1), ext(2)),
				wire(node(0, 2), ext(1)),
			},
		})

		flipped, built := n.w.NewVar(), n.w.NewVar()
		n.w.Push(n.agent(flip, flipped), n.agent(n.two, n.w.Int(1), n.w.Int(2)))
		n.w.Push(n.agent(maker, built, n.w.Int(5)), n.agent(n.box, n.w.Int(9)))
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if got, want := n.show(flipped), "Two(2, 1)"; got != want {
			t.Errorf("Flip gives %s, want %s", got, want)
		}
		if got, want := n.show(built), "Two(9, 5)"; got != want {
			t.Errorf("Make gives %s, want %s", got, want)
		}

		if NoPrograms.Load() {
			return
		}
		if r, _ := n.net.Rules.lookup(flip, n.two); !hasNew(r.Template.prog, 2) {
			t.Error("Flip's program does not write its Two in the right agent's cell")
		}
		if r, _ := n.net.Rules.lookup(maker, n.box); !hasNew(r.Template.prog, 1) {
			t.Error("Make's program does not write its Two in the left agent's cell")
		}
	})
}

// TestExecWalkKeepsCells checks that a rule walking a list rebuilds each
// element in its own cell, with its tail wire in the wire's own cell. The
// walker has one word or three, so that only the new element fits the
// old element's cell.
func TestExecWalkKeepsCells(t *testing.T) {
	for _, words := range []int{1, 3} {
		t.Run(strconv.Itoa(words), func(t *testing.T) {
			forModes(t, func(t *testing.T, n *testNet) { testWalk(t, n, words) })
		})
	}
}

// testWalk adds Walk(out, ...) >< Two(h, tl) => out ~ Two(h, out2),
// Walk(out2, ...) ~ tl and Walk(out, ...) >< Z => out ~ Z, where Walk
// has words auxiliary ports and passes all but the first on unchanged.
// It walks a list of Two cells joined by wires and checks the list it
// gives back.
func testWalk(t *testing.T, n *testNet, words int) {
	walk := n.define("Walk", false, []string{"out", "b", "c"}[:words]...)
	wires := [][2]End{
		wire(ext(0), node(0, 0)),
		wire(node(0, 1), ext(words)),
		wire(node(0, 2), node(1, 1)),
		wire(ext(words+1), node(1, 0)),
	}
	end := [][2]End{wire(ext(0), node(0, 0))}
	for k := 1; k < words; k++ {
		wires = append(wires, wire(node(1, k+1), ext(k)))
		end = append(end, wire(ext(k), constant(0)))
	}
	n.rule("walk", walk, n.two, nil, AltSpec{Nodes: []NodeDecl{decl(n.two), decl(walk)}, Wires: wires})
	n.rule("walk-end", walk, n.z, nil, AltSpec{Nodes: []NodeDecl{decl(n.z)}, Wires: end})

	const size = 50
	var cells, tails []uint64
	var first, prev Port
	for i := range size {
		tail := n.w.NewVar()
		c := n.agent(n.two, n.w.Int(int64(i)), tail)
		if i == 0 {
			first = c
		} else {
			n.w.Link(prev, c)
		}
		cells, tails = append(cells, c.Loc()), append(tails, tail.varLoc())
		prev = tail
	}
	n.w.Link(prev, n.agent(n.z))
	out := n.w.NewVar()
	walker := []Port{out}
	for range words - 1 {
		walker = append(walker, n.w.NewVar())
	}
	n.w.Push(n.agent(walk, walker...), first)
	if err := n.run(); err != nil {
		t.Fatal(err)
	}

	p := n.w.Resolve(out)
	for i := range size {
		if !p.IsNode() || p.Type() != n.two {
			t.Fatalf("element %d is %s", i, n.show(p))
		}
		if got := n.show(n.w.Aux(p, 0)); got != strconv.Itoa(i) {
			t.Fatalf("element %d holds %s", i, got)
		}
		tail := n.w.Aux(p, 1)
		if !NoPrograms.Load() {
			// The compiled program keeps the layout; rewrite need not.
			if p.Loc() != cells[i] {
				t.Errorf("element %d moved from %d to %d", i, cells[i], p.Loc())
			}
			if !tail.IsVar() || tail.varLoc() != tails[i] {
				t.Errorf("element %d's tail is %v, want the wire at %d", i, tail, tails[i])
			}
		}
		p = n.w.Resolve(tail)
	}
	if got := n.show(p); got != "Z" {
		t.Errorf("the list ends in %s", got)
	}
}

// TestExecTakenWirePairOrder checks the order of the pair that a walk
// makes with the agent at its list's tail, which no rule matches, so
// that the fault shows the order. Link puts a wire first, so a tail
// reached through a filled wire gives Z >< Walk whichever end the
// rule's link names first, and a tail held in the slot itself gives the
// pair in the order of the link. Taking the wire's cell (insVarT) must
// not turn the pair round.
func TestExecTakenWirePairOrder(t *testing.T) {
	for _, oldFirst := range []bool{true, false} {
		for _, viaWire := range []bool{true, false} {
			name := fmt.Sprintf("oldFirst=%v,viaWire=%v", oldFirst, viaWire)
			t.Run(name, func(t *testing.T) {
				forModes(t, func(t *testing.T, n *testNet) {
					testTakenWirePairOrder(t, n, oldFirst, viaWire)
				})
			})
		}
	}
}

// testTakenWirePairOrder adds Walk(out) >< Two(h, tl) => out ~ Two(h,
// o2), Walk(o2) ~ tl, with the link of tl written old port first or
// new agent first, and walks Two(1, Z), with Z in the slot or behind a
// filled wire.
func testTakenWirePairOrder(t *testing.T, n *testNet, oldFirst, viaWire bool) {
	walk := n.define("Walk", false, "out")
	link := wire(node(1, 0), ext(2))
	if oldFirst {
		link = wire(ext(2), node(1, 0))
	}
	n.rule("walk", walk, n.two, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.two), decl(walk)},
		Wires: [][2]End{
			wire(ext(0), node(0, 0)),
			wire(node(0, 1), ext(1)),
			wire(node(0, 2), node(1, 1)),
			link,
		},
	})
	tail := n.agent(n.z)
	if viaWire {
		v := n.w.NewVar()
		n.w.Link(v, tail)
		tail = v
	}
	n.w.Push(n.agent(walk, n.w.NewVar()), n.agent(n.two, n.w.Int(1), tail))

	err := n.run()
	var f *Fault
	if !errors.As(err, &f) || !errors.Is(err, ErrNoRule) {
		t.Fatalf("err = %v, want a fault for a missing rule", err)
	}
	want := "Walk >< Z"
	if viaWire || oldFirst {
		want = "Z >< Walk"
	}
	if got := f.Left + " >< " + f.Right; got != want {
		t.Errorf("the fault names %s, want %s", got, want)
	}
	if r, _ := n.net.Rules.lookup(walk, n.two); !NoPrograms.Load() && oldFirst && !hasOp(r.Template.prog, insVarT) {
		t.Error("the walk's program takes no wire cell")
	}
}

// walkResult is what a walk of TestExecWalkTails leaves: the list and
// count read back, and the worker's figures.
type walkResult struct {
	list, count, rest         string
	interactions, live, wires int64
}

// TestExecWalkTails walks lists whose elements are linked in the slot,
// through a filled wire or through a chain of two wires. A list ends in
// Z, an integer or a boxed integer behind a filled wire, or in a wire
// still empty. Each step also counts the element in a unary number, so
// that it allocates after taking a wire cell. The walk runs as it is,
// with the free lists emptied and the heap's range cut short after 0 to
// 8 words, and with a full stack, so that the fast loop breaks off
// before, at and after insVarT. Every mode and every cut must give the
// same result as the first. Each step pushes Eps ~ Z before it links
// the tail, so that a full stack stops the fast loop at that link.
func TestExecWalkTails(t *testing.T) {
	var cuts []string
	for k := range 9 {
		cuts = append(cuts, "range"+strconv.Itoa(k))
	}
	cuts = append(cuts, "none", "stack")
	for _, end := range []string{"z", "int", "big", "empty"} {
		t.Run(end, func(t *testing.T) {
			var want *walkResult
			for _, cut := range cuts {
				t.Run(cut, func(t *testing.T) {
					forModes(t, func(t *testing.T, n *testNet) {
						got := testWalkTails(t, n, end, cut)
						if want == nil {
							want = &got
						} else if got != *want {
							t.Errorf("got %+v, want %+v", got, *want)
						}
					})
				})
			}
		})
	}
}

// testWalkTails adds
//
//	Walk(out, c) >< Two(h, tl) => out ~ Two(h, o2), c ~ S(c2), Eps ~ Z, tl ~ Walk(o2, c2);
//	Walk(out, c) >< Z          => out ~ Z, c ~ Z;
//	Walk(out, c) >< (int v)    => out ~ v, c ~ Z;
//	Eps >< Z                   => ;
//
// then walks a list with the given end, with the heap's range or the
// stack cut short as cut names, and returns what the walk left.
func testWalkTails(t *testing.T, n *testNet, end, cut string) walkResult {
	walk := n.define("Walk", false, "out", "c")
	eps := n.define("Eps", false)
	n.rule("walk", walk, n.two, nil, AltSpec{
		Nodes: []NodeDecl{decl(walk), decl(n.two), decl(n.s), decl(eps), decl(n.z)},
		Wires: [][2]End{
			wire(ext(0), node(1, 0)),
			wire(node(1, 1), ext(2)),
			wire(node(1, 2), node(0, 1)),
			wire(ext(1), node(2, 0)),
			wire(node(2, 1), node(0, 2)),
			wire(node(3, 0), node(4, 0)),
			wire(ext(3), node(0, 0)),
		},
	})
	n.rule("eps", eps, n.z, nil, AltSpec{})
	n.rule("walk-z", walk, n.z, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.z), decl(n.z)},
		Wires: [][2]End{wire(ext(0), node(0, 0)), wire(ext(1), node(1, 0))},
	})
	n.rule("walk-int", walk, TypeInt, []int{3}, AltSpec{
		Nodes: []NodeDecl{decl(n.z)},
		Exprs: []*Code{code(load(0))},
		Wires: [][2]End{wire(ext(0), exprEnd(0)), wire(ext(1), node(0, 0))},
	})

	// The list, built from its end. Element i is linked to the next in
	// the slot (i%3 == 0), through a filled wire (1) or through a wire
	// whose cell holds a second wire that holds the element (2).
	var rest Port
	switch end {
	case "z":
		rest = n.agent(n.z)
	case "int":
		rest = n.w.Int(7)
	case "big":
		rest = n.w.Int(1 << 62)
	}
	next := n.w.NewVar()
	open := next
	if rest != 0 {
		n.w.Link(next, rest)
	}
	const size = 12
	next = n.wiredList(size, next)
	out, count := n.w.NewVar(), n.w.NewVar()
	n.w.Push(n.agent(walk, out, count), next)

	h := n.w.heap
	switch {
	case cut == "stack":
		n.w.stack = slices.Clip(n.w.stack)
	case strings.HasPrefix(cut, "range"):
		k, _ := strconv.Atoi(strings.TrimPrefix(cut, "range"))
		h.free = [freeMask + 1]uint64{}
		h.end = min(h.end, h.bump+uint64(k))
	}
	if err := n.run(); err != nil {
		t.Fatal(err)
	}
	if r, _ := n.net.Rules.lookup(walk, n.two); !NoPrograms.Load() && !hasOp(r.Template.prog, insVarT) {
		t.Error("the walk's program takes no wire cell")
	}

	res := walkResult{
		list:         n.show(out),
		count:        n.show(count),
		interactions: n.w.Interactions(),
		live:         n.w.Live(),
		wires:        n.w.Wires(),
	}
	if end == "empty" {
		res.rest = n.show(open)
	}
	wantList := map[string]string{"z": "Z", "int": "7", "big": strconv.Itoa(1 << 62), "empty": "_"}[end]
	for i := size - 1; i >= 0; i-- {
		wantList = fmt.Sprintf("Two(%d, %s)", i, wantList)
	}
	if res.list != wantList {
		t.Errorf("the walk gives %s, want %s", res.list, wantList)
	}
	return res
}

// TestLinkQuickMatchesLink runs linkQuick and Link on twin nets, shared
// and not. The wire linked is empty, holds an agent, holds an empty wire
// or holds a wire that holds an agent. Its other end is an agent or an
// integer. Both must leave the same pairs, the same content in the inner
// wire and the same wire count.
func TestLinkQuickMatchesLink(t *testing.T) {
	// build returns a net and the wire x in the given state, and the
	// inner wire of states 2 and 3.
	build := func(shared bool, kind int) (n *testNet, x, inner Port) {
		n = newTestNet(t, shared)
		w := n.w
		x = w.NewVar()
		switch kind {
		case 1:
			w.Link(x, w.NewAgent(n.z))
		case 2, 3:
			inner = w.NewVar()
			if kind == 3 {
				w.Link(inner, w.NewAgent(n.z))
			}
			// As a rule that joins two wires leaves them.
			*(*uint64)(w.heap.word(x.Loc())) = uint64(inner)
		}
		return n, x, inner
	}
	// show describes a port without its location, which differs between
	// the twin nets.
	show := func(p Port) string {
		if p.IsNode() {
			return fmt.Sprintf("agent of type %d", p.Type())
		}
		return fmt.Sprintf("word %#x", uint64(p))
	}
	read := func(n *testNet, inner Port, kind int) string {
		var b strings.Builder
		for _, r := range n.w.stack {
			fmt.Fprintf(&b, "pair (%s, %s); ", show(r.A), show(r.B))
		}
		if kind == 2 {
			// The only state in which the inner wire stays in use.
			fmt.Fprintf(&b, "inner wire holds %s; ", show(n.w.heap.load(inner.Loc())))
		}
		fmt.Fprintf(&b, "%d wires", n.w.Wires())
		return b.String()
	}
	for _, shared := range []bool{false, true} {
		for kind := range 4 {
			for _, intEnd := range []bool{false, true} {
				quick, xq, iq := build(shared, kind)
				slow, xs, is := build(shared, kind)
				yq, ys := quick.w.Int(7), slow.w.Int(7)
				if !intEnd {
					yq, ys = quick.w.NewAgent(quick.s), slow.w.NewAgent(slow.s)
				}
				quick.w.linkQuick(xq, yq)
				slow.w.Link(xs, ys)
				if got, want := read(quick, iq, kind), read(slow, is, kind); got != want {
					t.Errorf("shared %v, wire state %d, integer end %v: linkQuick left %s, Link %s", shared, kind, intEnd, got, want)
				}
			}
		}
	}
}
