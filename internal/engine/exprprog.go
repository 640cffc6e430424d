package engine

// Integer expressions that are not one of the shapes eval computes
// directly (see Code.Optimize) are translated into instructions of the
// rule's program, so that a guard such as (q == c) or (q - c == d) costs
// a few dispatches and no call. The translation simulates the stack of the
// expression machine: stack position d is the attribute slot tbase+d, and
// a value that is still a constant or an attribute is not copied into its
// slot until something needs it there.

// Instructions of translated expressions, after the rule instructions.
// The jumps take their target from r|z<<8, like the guards.
const (
	insKSet = insNewP + 1 + iota // env[r] = int64(w)
	insMov                       // env[r] = env[x]
	insNeg                       // env[r] = -env[x]
	insNot                       // env[r] = 1 if env[x] == 0, else 0
	insBool                      // env[r] = 1 if env[x] != 0, else 0
	insAndV                      // env[r] = 1 if env[x] != 0 and env[y] != 0, else 0
	insOrV                       // env[r] = 1 if env[x] != 0 or env[y] != 0, else 0
	insJz                        // if env[x] == 0, jump
	insJnz                       // if env[x] != 0, set env[x] = 1 and jump
	insJump                      // jump
	insTest                      // unless env[x] != 0, jump to the next alternative
	insTag                       // reg[r] = the integer word of env[x]
	insBinV                      // insBinV+k: env[r] = env[x] op env[y], op = OpAdd+k
	insBinK = insBinV + nBinary  // insBinK+k: env[r] = env[x] op int64(w)

	// insGuardV+k: unless env[x] op env[y] holds, op = OpEq+k, jump to
	// the next alternative. A guard that compares two attributes, such as
	// the x <= y of a sort, costs one dispatch.
	insGuardV = insBinK + nBinary
)

// nBinary is the number of binary operations, OpAdd to OpGe.
const nBinary = 11

// The array index fails to compile if nBinary and the operations disagree.
var _ = [1]struct{}{}[nBinary-int(OpGe-OpAdd)-1]

// operand is a value of a translated expression: env[v], or the constant
// v when konst is set.
type operand struct {
	konst bool
	v     int64
}

// exprTranslator translates one expression.
type exprTranslator struct {
	p     *prog
	tbase int            // slot of stack position 0
	stack []operand      // the simulated stack
	pos   map[int]int    // code index to program index, for jumps
	fix   []int          // jump instructions whose target is a code index (in w)
	pend  []pendingLogic // open and/or operations
	hold  int            // next free slot for the left operand of a fused and/or
}

// pendingLogic is an and/or operation whose right operand is being
// translated. When fused, its left operand x is kept and combined with the
// right one without a jump.
type pendingLogic struct {
	target int
	or     bool
	fused  bool
	x      operand
}

// translateExpr appends instructions that compute c, using slots from
// tbase up as temporaries, and returns where the result is. It reports
// false if c cannot be translated; nothing is appended then.
func (p *prog) translateExpr(c *Code, tbase int) (operand, bool) {
	if tbase+2*c.Depth+1 >= fastRegs {
		return operand{}, false
	}
	for _, in := range c.Instrs {
		if in.Op == OpRand || in.Op == OpLoad && (in.Arg < 0 || in.Arg >= int64(tbase)) {
			return operand{}, false
		}
	}
	start := len(p.code)
	x := &exprTranslator{p: p, tbase: tbase, pos: map[int]int{}, hold: tbase + c.Depth}
	res, ok := x.run(c.Instrs)
	if !ok {
		p.code = p.code[:start]
		return operand{}, false
	}
	for _, j := range x.fix {
		t := x.pos[int(p.code[j].w)]
		p.code[j].r, p.code[j].z, p.code[j].w = uint8(t), uint8(t>>8), 0
	}
	return res, true
}

func (x *exprTranslator) emit(in ins) { x.p.code = append(x.p.code, in) }

// slot returns the slot of stack position d.
func (x *exprTranslator) slot(d int) int64 { return int64(x.tbase + d) }

// materialize moves the top of the stack into its slot.
func (x *exprTranslator) materialize() {
	d := len(x.stack) - 1
	top, s := x.stack[d], x.slot(d)
	switch {
	case top.konst:
		x.emit(ins{op: insKSet, r: uint8(s), w: uint64(top.v)})
	case top.v != s:
		x.emit(ins{op: insMov, r: uint8(s), x: uint8(top.v)})
	}
	x.stack[d] = operand{v: s}
}

func (x *exprTranslator) pop() operand {
	v := x.stack[len(x.stack)-1]
	x.stack = x.stack[:len(x.stack)-1]
	return v
}

func (x *exprTranslator) run(code []Instr) (operand, bool) {
	for i := 0; i <= len(code); i++ {
		x.pos[i] = len(x.p.code)
		for len(x.pend) > 0 && x.pend[len(x.pend)-1].target == i {
			pe := x.pend[len(x.pend)-1]
			x.pend = x.pend[:len(x.pend)-1]
			if len(x.stack) == 0 {
				return operand{}, false
			}
			if pe.fused {
				x.combine(pe)
			} else {
				// The jump left its value in the slot: the other path
				// must too.
				x.materialize()
				x.pos[i] = len(x.p.code)
			}
		}
		if i == len(code) {
			break
		}
		in := code[i]
		if in.Op != OpConst && in.Op != OpLoad && len(x.stack) == 0 {
			return operand{}, false
		}
		switch in.Op {
		case OpConst:
			x.stack = append(x.stack, operand{konst: true, v: in.Arg})
		case OpLoad:
			x.stack = append(x.stack, operand{v: in.Arg})
		case OpNeg, OpNot, OpBool:
			d := len(x.stack) - 1
			v := x.stack[d]
			if v.konst {
				x.stack[d] = operand{konst: true, v: unary(in.Op, v.v)}
				continue
			}
			x.emit(ins{op: unaryIns[in.Op], r: uint8(x.slot(d)), x: uint8(v.v)})
			x.stack[d] = operand{v: x.slot(d)}
		case OpAndJ, OpOrJ:
			target := int(in.Arg)
			if target <= i || target > len(code) {
				return operand{}, false
			}
			pe := pendingLogic{target: target, or: in.Op == OpOrJ, fused: fusable(code, i, target)}
			if pe.fused {
				v := x.pop()
				if !v.konst && v.v >= int64(x.tbase) {
					// A temporary would be overwritten by the right
					// operand: keep it in a slot of its own.
					if x.hold >= fastRegs {
						return operand{}, false
					}
					x.emit(ins{op: insMov, r: uint8(x.hold), x: uint8(v.v)})
					v = operand{v: int64(x.hold)}
					x.hold++
				}
				pe.x = v
			} else {
				x.materialize()
				op := uint8(insJz)
				if pe.or {
					op = insJnz
				}
				x.fix = append(x.fix, len(x.p.code))
				x.emit(ins{op: op, x: uint8(x.slot(len(x.stack) - 1)), w: uint64(target)})
				x.pop()
			}
			x.pend = append(x.pend, pe)
		default:
			if in.Op < OpAdd || in.Op > OpGe || len(x.stack) < 2 {
				return operand{}, false
			}
			b := x.pop()
			a := x.pop()
			d := len(x.stack)
			if a.konst && b.konst && !((in.Op == OpDiv || in.Op == OpMod) && b.v == 0) {
				x.stack = append(x.stack, operand{konst: true, v: fold(in.Op, a.v, b.v)})
				continue
			}
			x.binary(in.Op, x.slot(d), a, b)
			x.stack = append(x.stack, operand{v: x.slot(d)})
		}
	}
	if len(x.pend) != 0 || len(x.stack) > 1 {
		return operand{}, false
	}
	if len(x.stack) == 0 {
		return operand{konst: true}, true
	}
	return x.stack[0], true
}

// fusable reports whether the and/or at code[i] jumping to target can be
// computed without the jump: its right operand, code[i+1:target], cannot
// fail, and ends with OpBool as the compiler emits it.
func fusable(code []Instr, i, target int) bool {
	if target-1 <= i || code[target-1].Op != OpBool {
		return false
	}
	for _, in := range code[i+1 : target] {
		if in.Op == OpDiv || in.Op == OpMod || in.Op == OpRand {
			return false
		}
	}
	return true
}

// combine ends the fused and/or pe: the right operand, already 0 or 1, is
// on top of the stack.
func (x *exprTranslator) combine(pe pendingLogic) {
	d := len(x.stack) - 1
	a, b := pe.x, x.stack[d]
	s := x.slot(d)
	switch {
	case a.konst:
		// x and y is y when x holds, else 0; x or y is 1 when x holds,
		// else y.
		if (a.v != 0) == pe.or {
			x.stack[d] = operand{konst: true, v: b2i(pe.or)}
		}
	case b.konst:
		if (b.v != 0) == pe.or {
			x.stack[d] = operand{konst: true, v: b2i(pe.or)}
		} else {
			x.emit(ins{op: insBool, r: uint8(s), x: uint8(a.v)})
			x.stack[d] = operand{v: s}
		}
	default:
		op := uint8(insAndV)
		if pe.or {
			op = insOrV
		}
		x.emit(ins{op: op, r: uint8(s), x: uint8(a.v), y: uint8(b.v)})
		x.stack[d] = operand{v: s}
	}
}

// binary emits env[dst] = a op b, where a and b are not both constants.
func (x *exprTranslator) binary(op Op, dst int64, a, b operand) {
	k := uint8(op - OpAdd)
	if a.konst {
		switch op {
		case OpAdd, OpMul, OpEq, OpNe:
			a, b = b, a
		case OpLt, OpLe, OpGt, OpGe:
			a, b = b, a
			k = uint8(mirrored[op] - OpAdd)
		default:
			x.emit(ins{op: insKSet, r: uint8(dst), w: uint64(a.v)})
			a = operand{v: dst}
		}
	}
	if b.konst {
		x.emit(ins{op: uint8(insBinK) + k, r: uint8(dst), x: uint8(a.v), w: uint64(b.v)})
		return
	}
	x.emit(ins{op: uint8(insBinV) + k, r: uint8(dst), x: uint8(a.v), y: uint8(b.v)})
}

// unaryIns maps OpNeg, OpNot and OpBool to their instructions.
var unaryIns = map[Op]uint8{OpNeg: insNeg, OpNot: insNot, OpBool: insBool}

// unary applies OpNeg, OpNot or OpBool.
func unary(op Op, v int64) int64 {
	switch op {
	case OpNeg:
		return -v
	case OpNot:
		return b2i(v == 0)
	}
	return b2i(v != 0)
}

// fold applies a binary operation to two constants; y is not 0 for a
// division.
func fold(op Op, x, y int64) int64 {
	switch op {
	case OpDiv:
		return x / y
	case OpMod:
		return x % y
	}
	return binary(op, x, y)
}
