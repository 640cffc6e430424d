package engine

// A guard is translated into jumps rather than into a value that is then
// tested: (q == c) or (q - c == d) becomes "if q == c, go to the body;
// t = q - c; unless t == d, go to the next alternative", three
// instructions where the value form takes seven. The n-queens guard of
// the benchmark suite went from 12 instructions to 5. The expression machine's
// code is first turned back into a tree, because and/or jump over their
// right operand and the jumps of the translation follow the tree.

// gnode is a node of a guard expression.
type gnode struct {
	op   Op // OpConst, OpLoad, a unary or binary operation, OpAndJ or OpOrJ
	k    int64
	a, b *gnode
}

// guardTree rebuilds the tree of c. It reports false for code of a shape
// it does not handle.
func guardTree(c *Code) (*gnode, bool) {
	type pending struct {
		target, depth int
		or            bool
		left          *gnode
	}
	var stack []*gnode
	var pend []pending
	code := c.Instrs
	for i := 0; i <= len(code); i++ {
		for len(pend) > 0 && pend[len(pend)-1].target == i {
			pe := pend[len(pend)-1]
			pend = pend[:len(pend)-1]
			if len(stack) != pe.depth+1 {
				return nil, false
			}
			op := OpAndJ
			if pe.or {
				op = OpOrJ
			}
			stack[pe.depth] = &gnode{op: op, a: pe.left, b: stack[pe.depth]}
		}
		if i == len(code) {
			break
		}
		in := code[i]
		switch {
		case in.Op == OpConst || in.Op == OpLoad:
			stack = append(stack, &gnode{op: in.Op, k: in.Arg})
		case len(stack) == 0:
			return nil, false
		case in.Op == OpNeg || in.Op == OpNot || in.Op == OpBool:
			stack[len(stack)-1] = &gnode{op: in.Op, a: stack[len(stack)-1]}
		case in.Op == OpAndJ || in.Op == OpOrJ:
			t := int(in.Arg)
			if t <= i || t > len(code) || len(pend) > 0 && t > pend[len(pend)-1].target {
				return nil, false
			}
			left := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			pend = append(pend, pending{target: t, depth: len(stack), or: in.Op == OpOrJ, left: left})
		case in.Op >= OpAdd && in.Op <= OpGe && len(stack) >= 2:
			n := len(stack)
			stack[n-2] = &gnode{op: in.Op, a: stack[n-2], b: stack[n-1]}
			stack = stack[:n-1]
		default:
			return nil, false
		}
	}
	if len(pend) != 0 || len(stack) != 1 {
		return nil, false
	}
	return stack[0], true
}

// guardTranslator emits the jumps of one guard.
type guardTranslator struct {
	x      exprTranslator // for binary
	next   int            // next free temporary slot
	labels []int          // program index of each label, -1 until placed
	fix    [][2]int       // jump instructions and the labels they jump to
	fail   []int          // jump instructions to the next alternative
}

// translateGuard appends instructions that fall through when guard c
// holds and jump to the next alternative when it does not, using slots
// from tbase up as temporaries. It returns the jumps whose target is the
// next alternative, to be set when that is known. It reports false if c
// cannot be translated; nothing is appended then.
func (p *prog) translateGuard(c *Code, tbase int) ([]int, bool) {
	root, ok := guardTree(c)
	if !ok {
		return nil, false
	}
	for _, in := range c.Instrs {
		if in.Op == OpLoad && (in.Arg < 0 || in.Arg >= int64(tbase)) {
			return nil, false
		}
	}
	start := len(p.code)
	g := &guardTranslator{x: exprTranslator{p: p}, next: tbase}
	if !g.jump(root, false, -1) {
		p.code = p.code[:start]
		return nil, false
	}
	for _, f := range g.fix {
		t := g.labels[f[1]]
		p.code[f[0]].r, p.code[f[0]].z = uint8(t), uint8(t>>8)
	}
	return g.fail, true
}

// label returns a new label, to be placed later.
func (g *guardTranslator) label() int {
	g.labels = append(g.labels, -1)
	return len(g.labels) - 1
}

// place places label l at the next instruction.
func (g *guardTranslator) place(l int) { g.labels[l] = len(g.x.p.code) }

// emitJump appends in, a jump to label l (-1: the next alternative).
func (g *guardTranslator) emitJump(in ins, l int) {
	if l < 0 {
		g.fail = append(g.fail, len(g.x.p.code))
	} else {
		g.fix = append(g.fix, [2]int{len(g.x.p.code), l})
	}
	g.x.emit(in)
}

// negated maps a comparison to its negation, and mirrored to the
// comparison with its operands swapped.
var (
	negated  = map[Op]Op{OpEq: OpNe, OpNe: OpEq, OpLt: OpGe, OpGe: OpLt, OpLe: OpGt, OpGt: OpLe}
	mirrored = map[Op]Op{OpEq: OpEq, OpNe: OpNe, OpLt: OpGt, OpGt: OpLt, OpLe: OpGe, OpGe: OpLe}
)

// jump emits code that jumps to label l when n's truth is want and falls
// through otherwise.
func (g *guardTranslator) jump(n *gnode, want bool, l int) bool {
	switch n.op {
	case OpAndJ, OpOrJ:
		// An and is false as soon as its left operand is, and an or is
		// true as soon as its left operand is.
		short := n.op == OpOrJ
		if want == short {
			return g.jump(n.a, want, l) && g.jump(n.b, want, l)
		}
		skip := g.label()
		if !g.jump(n.a, short, skip) || !g.jump(n.b, want, l) {
			return false
		}
		g.place(skip)
		return true
	case OpNot:
		return g.jump(n.a, !want, l)
	case OpBool:
		return g.jump(n.a, want, l)
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		a, ok := g.value(n.a)
		if !ok {
			return false
		}
		b, ok := g.value(n.b)
		if !ok {
			return false
		}
		op := n.op
		if a.konst && b.konst {
			if (binary(op, a.v, b.v) != 0) == want {
				g.emitJump(ins{op: insJump}, l)
			}
			return true
		}
		if a.konst {
			a, b, op = b, a, mirrored[op]
		}
		// The guard instructions jump unless the comparison holds.
		if want {
			op = negated[op]
		}
		k := uint8(op - OpEq)
		if b.konst {
			g.emitJump(ins{op: insGuardEq + k, x: uint8(a.v), w: uint64(b.v)}, l)
		} else {
			g.emitJump(ins{op: insGuardV + k, x: uint8(a.v), y: uint8(b.v)}, l)
		}
		return true
	}
	v, ok := g.value(n)
	if !ok {
		return false
	}
	if v.konst {
		if (v.v != 0) == want {
			g.emitJump(ins{op: insJump}, l)
		}
		return true
	}
	// With 0 in w, GuardNe jumps when v is 0 and GuardEq when it is not.
	op := uint8(insGuardNe)
	if want {
		op = insGuardEq
	}
	g.emitJump(ins{op: op, x: uint8(v.v)}, l)
	return true
}

// value emits code that computes n into a temporary slot, unless it is a
// constant or an attribute, and returns where it is. An and/or, whose
// value is not only its truth, is left to translateExpr.
func (g *guardTranslator) value(n *gnode) (operand, bool) {
	switch n.op {
	case OpConst:
		return operand{konst: true, v: n.k}, true
	case OpLoad:
		return operand{v: n.k}, true
	case OpNeg, OpNot, OpBool:
		a, ok := g.value(n.a)
		if !ok {
			return operand{}, false
		}
		if a.konst {
			return operand{konst: true, v: unary(n.op, a.v)}, true
		}
		s, ok := g.temp()
		if !ok {
			return operand{}, false
		}
		g.x.emit(ins{op: unaryIns[n.op], r: uint8(s), x: uint8(a.v)})
		return operand{v: s}, true
	case OpAndJ, OpOrJ:
		return operand{}, false
	}
	a, ok := g.value(n.a)
	if !ok {
		return operand{}, false
	}
	b, ok := g.value(n.b)
	if !ok {
		return operand{}, false
	}
	if a.konst && b.konst && !((n.op == OpDiv || n.op == OpMod) && b.v == 0) {
		return operand{konst: true, v: fold(n.op, a.v, b.v)}, true
	}
	s, ok := g.temp()
	if !ok {
		return operand{}, false
	}
	g.x.binary(n.op, s, a, b)
	return operand{v: s}, true
}

// temp returns a fresh temporary slot.
func (g *guardTranslator) temp() (int64, bool) {
	if g.next >= fastRegs {
		return 0, false
	}
	g.next++
	return int64(g.next - 1), true
}
