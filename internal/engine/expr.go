package engine

import (
	"errors"
	"fmt"
)

// Op is one instruction of the integer expression machine. Expressions
// are compiled once, when a rule is added, to a [Code] that evaluates on a
// small stack of int64 values. Arithmetic wraps around (two's complement)
// and division truncates toward zero, as Go's does.
type Op uint8

// Expression operations. Binary operations pop y, then x, and push x op y.
const (
	OpConst Op = iota // push Arg
	OpLoad            // push env[Arg]
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpMod
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpNeg  // negate the top
	OpNot  // 1 if the top is 0, else 0
	OpBool // 1 if the top is not 0, else 0
	OpAndJ // pop; if 0, push 0 and jump to Arg
	OpOrJ  // pop; if not 0, push 1 and jump to Arg
	OpRand // replace the top n by a pseudo-random integer in [0, n)
)

// Instr is one instruction.
type Instr struct {
	Op  Op
	Arg int64
}

// Code is a compiled integer expression. Depth is the stack size it needs.
type Code struct {
	Instrs []Instr
	Depth  int
	Text   string // source form, for messages

	// A Code of the form "x", "k", "x op k" or "x op y" (variables x, y,
	// constant k, op not a division) is evaluated without the stack
	// machine: see Optimize.
	fast     uint8
	fop      Op
	farg, fb int64
}

const (
	fastNone  = iota
	fastLoad  // env[farg]
	fastConst // farg
	fastVK    // env[farg] fop fb
	fastVV    // env[farg] fop env[fb]
)

// Optimize recognises the simple shapes of expression that eval computes
// directly. It must be called once after the instructions are final.
func (c *Code) Optimize() {
	in := c.Instrs
	arith := func(op Op) bool { return op >= OpAdd && op <= OpGe && op != OpDiv && op != OpMod }
	switch {
	case len(in) == 1 && in[0].Op == OpLoad:
		// x is x + 0, which eval computes without a call.
		c.fast, c.farg, c.fb, c.fop = fastVK, in[0].Arg, 0, OpAdd
	case len(in) == 1 && in[0].Op == OpConst:
		c.fast, c.farg = fastConst, in[0].Arg
	case len(in) == 3 && in[0].Op == OpLoad && in[1].Op == OpConst && arith(in[2].Op):
		c.fast, c.farg, c.fb, c.fop = fastVK, in[0].Arg, in[1].Arg, in[2].Op
		if c.fop == OpSub {
			// x - k is x + (-k) in two's complement, k = MinInt64 included.
			c.fop, c.fb = OpAdd, -c.fb
		}
	case len(in) == 3 && in[0].Op == OpLoad && in[1].Op == OpLoad && arith(in[2].Op):
		c.fast, c.farg, c.fb, c.fop = fastVV, in[0].Arg, in[1].Arg, in[2].Op
	}
}

// binary applies a comparison or an arithmetic operation other than a
// division.
func binary(op Op, x, y int64) int64 {
	switch op {
	case OpAdd:
		return x + y
	case OpSub:
		return x - y
	case OpMul:
		return x * y
	case OpEq:
		return b2i(x == y)
	case OpNe:
		return b2i(x != y)
	case OpLt:
		return b2i(x < y)
	case OpLe:
		return b2i(x <= y)
	case OpGt:
		return b2i(x > y)
	}
	return b2i(x >= y)
}

// Errors of expression evaluation.
var (
	ErrDivideByZero = errors.New("division by zero")
	ErrRandRange    = errors.New("rand argument must be positive")
)

// eval runs c with env as its variables. It computes the commonest shapes
// itself, saving the call to evalSlow: x + k (which covers x and x - k),
// x + y and the guard x == k.
func (w *Worker) eval(c *Code, env []int64) (int64, error) {
	switch {
	case c.fop == OpAdd && c.fast == fastVK:
		return env[c.farg] + c.fb, nil
	case c.fop == OpAdd && c.fast == fastVV:
		return env[c.farg] + env[c.fb], nil
	case c.fop == OpEq && c.fast == fastVK:
		return b2i(env[c.farg] == c.fb), nil
	}
	return w.evalSlow(c, env)
}

// evalSlow evaluates the other shapes of expression.
func (w *Worker) evalSlow(c *Code, env []int64) (int64, error) {
	switch c.fast {
	case fastLoad:
		return env[c.farg], nil
	case fastConst:
		return c.farg, nil
	case fastVK:
		return binary(c.fop, env[c.farg], c.fb), nil
	case fastVV:
		return binary(c.fop, env[c.farg], env[c.fb]), nil
	}
	return w.run(c, env)
}

// run evaluates c on the stack machine.
func (w *Worker) run(c *Code, env []int64) (int64, error) {
	if cap(w.evalStack) < c.Depth {
		w.evalStack = padded[int64](c.Depth)[:0]
	}
	st := w.evalStack[:0]
	ins := c.Instrs
	for pc := 0; pc < len(ins); pc++ {
		in := ins[pc]
		switch in.Op {
		case OpConst:
			st = append(st, in.Arg)
			continue
		case OpLoad:
			st = append(st, env[in.Arg])
			continue
		case OpNeg:
			st[len(st)-1] = -st[len(st)-1]
			continue
		case OpNot:
			st[len(st)-1] = b2i(st[len(st)-1] == 0)
			continue
		case OpBool:
			st[len(st)-1] = b2i(st[len(st)-1] != 0)
			continue
		case OpAndJ, OpOrJ:
			v := st[len(st)-1]
			st = st[:len(st)-1]
			if in.Op == OpAndJ && v == 0 {
				st = append(st, 0)
				pc = int(in.Arg) - 1
			} else if in.Op == OpOrJ && v != 0 {
				st = append(st, 1)
				pc = int(in.Arg) - 1
			}
			continue
		case OpRand:
			n := st[len(st)-1]
			if n <= 0 {
				return 0, fmt.Errorf("%w: rand(%d)", ErrRandRange, n)
			}
			st[len(st)-1] = int64(w.rng.Uint64N(uint64(n)))
			continue
		}
		y := st[len(st)-1]
		st = st[:len(st)-1]
		x := &st[len(st)-1]
		switch in.Op {
		case OpAdd:
			*x += y
		case OpSub:
			*x -= y
		case OpMul:
			*x *= y
		case OpDiv:
			if y == 0 {
				return 0, ErrDivideByZero
			}
			*x /= y
		case OpMod:
			if y == 0 {
				return 0, ErrDivideByZero
			}
			*x %= y
		case OpEq:
			*x = b2i(*x == y)
		case OpNe:
			*x = b2i(*x != y)
		case OpLt:
			*x = b2i(*x < y)
		case OpLe:
			*x = b2i(*x <= y)
		case OpGt:
			*x = b2i(*x > y)
		case OpGe:
			*x = b2i(*x >= y)
		default:
			panic(fmt.Sprintf("engine: bad expression op %d", in.Op))
		}
	}
	if len(st) == 0 {
		return 0, nil
	}
	return st[len(st)-1], nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Rand returns a pseudo-random integer in [0, n) from the worker's
// generator; n must be positive.
func (w *Worker) Rand(n uint64) uint64 { return w.rng.Uint64N(n) }
