package engine

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"pgregory.net/rapid"
)

// exprTree is an integer expression over the attributes x and y, for
// checking translated expressions against Go arithmetic.
type exprTree struct {
	op   string // "x", "y", "k", a unary op ("neg", "!") or a binary one
	k    int64
	args []*exprTree
}

var binaryNames = map[string]Op{
	"+": OpAdd, "-": OpSub, "*": OpMul, "/": OpDiv, "%": OpMod,
	"==": OpEq, "!=": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe,
}

func exprGen(depth int) *rapid.Generator[*exprTree] {
	return rapid.Custom(func(t *rapid.T) *exprTree {
		leaf := []string{"x", "y", "k"}
		ops := []string{"x", "y", "k", "neg", "!", "&&", "||",
			"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">="}
		if depth == 0 {
			ops = leaf
		}
		e := &exprTree{op: rapid.SampledFrom(ops).Draw(t, "op")}
		switch e.op {
		case "x", "y":
		case "k":
			e.k = rapid.SampledFrom([]int64{0, 1, 2, -1, 3, 7, math.MaxInt64, math.MinInt64}).Draw(t, "k")
		case "neg", "!":
			e.args = []*exprTree{exprGen(depth-1).Draw(t, "a")}
		default:
			e.args = []*exprTree{exprGen(depth-1).Draw(t, "a"), exprGen(depth-1).Draw(t, "b")}
		}
		return e
	})
}

func (e *exprTree) String() string {
	switch e.op {
	case "x", "y":
		return e.op
	case "k":
		return fmt.Sprint(e.k)
	case "neg", "!":
		return fmt.Sprintf("%s(%v)", e.op, e.args[0])
	}
	return fmt.Sprintf("(%v %s %v)", e.args[0], e.op, e.args[1])
}

// eval computes e with Go's arithmetic, which wraps around like the
// engine's.
func (e *exprTree) eval(x, y int64) (int64, error) {
	switch e.op {
	case "x":
		return x, nil
	case "y":
		return y, nil
	case "k":
		return e.k, nil
	}
	a, err := e.args[0].eval(x, y)
	if err != nil {
		return 0, err
	}
	switch e.op {
	case "neg":
		return -a, nil
	case "!":
		return b2i(a == 0), nil
	case "&&", "||":
		if (a != 0) == (e.op == "||") {
			return b2i(a != 0), nil
		}
		b, err := e.args[1].eval(x, y)
		return b2i(b != 0), err
	}
	b, err := e.args[1].eval(x, y)
	if err != nil {
		return 0, err
	}
	switch e.op {
	case "/", "%":
		if b == 0 {
			return 0, ErrDivideByZero
		}
		if e.op == "/" {
			return a / b, nil
		}
		return a % b, nil
	}
	return binary(binaryNames[e.op], a, b), nil
}

// code compiles e to the expression machine as the rule compiler does:
// x is env[0], y is env[1], and "a && b" jumps over b when a is 0.
func (e *exprTree) code() *Code {
	c := &Code{Text: e.String()}
	depth := 0
	var emit func(e *exprTree)
	push := func(op Op, arg int64) { c.Instrs = append(c.Instrs, Instr{Op: op, Arg: arg}) }
	emit = func(e *exprTree) {
		switch e.op {
		case "x", "y", "k":
			if e.op == "k" {
				push(OpConst, e.k)
			} else {
				push(OpLoad, map[string]int64{"x": 0, "y": 1}[e.op])
			}
			depth++
			c.Depth = max(c.Depth, depth)
			return
		}
		emit(e.args[0])
		switch e.op {
		case "neg":
			push(OpNeg, 0)
		case "!":
			push(OpNot, 0)
		case "&&", "||":
			op := OpAndJ
			if e.op == "||" {
				op = OpOrJ
			}
			j := len(c.Instrs)
			push(op, 0)
			depth--
			emit(e.args[1])
			push(OpBool, 0)
			c.Instrs[j].Arg = int64(len(c.Instrs))
		default:
			emit(e.args[1])
			push(binaryNames[e.op], 0)
			depth--
		}
	}
	emit(e)
	return c
}

// TestExprTranslated checks random expressions used as a result, a guard
// and a let, on compiled programs and on the general path, against Go.
func TestExprTranslated(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := exprGen(4).Draw(rt, "expr")
		x := rapid.SampledFrom([]int64{0, 1, -1, 2, 5, 1 << 40, math.MaxInt64, math.MinInt64}).Draw(rt, "x")
		y := rapid.SampledFrom([]int64{0, 1, -3, 7, math.MinInt64}).Draw(rt, "y")
		want, wantErr := e.eval(x, y)
		for _, general := range []bool{false, true} {
			NoPrograms.Store(general)
			got, err := runExpr(t, e, x, y)
			NoPrograms.Store(false)
			if (err != nil) != (wantErr != nil) || err != nil && !errors.Is(err, wantErr) {
				rt.Fatalf("general=%v: %v with x=%d y=%d: error %v, want %v", general, e, x, y, err, wantErr)
			}
			if err == nil && got != [3]int64{want, b2i(want != 0), want} {
				rt.Fatalf("general=%v: %v with x=%d y=%d gives %v, want %d", general, e, x, y, got, want)
			}
		}
	})
}

// runExpr reduces E(r, y) ~ x with three rules built from e: r ~ e,
// r ~ 1 when e holds (else 0), and a let v = e with r ~ v.
func runExpr(tb testing.TB, e *exprTree, x, y int64) ([3]int64, error) {
	n := newTestNet(tb, false)
	var got [3]int64
	for i := range got {
		typ := n.define(fmt.Sprintf("E%d", i), false, "r", "y")
		var alts []AltSpec
		switch i {
		case 0:
			alts = []AltSpec{{Exprs: []*Code{e.code()}, Wires: [][2]End{wire(ext(0), exprEnd(0))}}}
		case 1:
			alts = []AltSpec{
				{Guard: e.code(), Wires: [][2]End{wire(ext(0), constant(1))}},
				{Wires: [][2]End{wire(ext(0), constant(0))}},
			}
		case 2:
			alts = []AltSpec{{
				Lets:  []*Code{e.code()},
				Exprs: []*Code{code(load(2))},
				Wires: [][2]End{wire(ext(0), exprEnd(0))},
			}}
		}
		n.rule(fmt.Sprint("e", i), typ, TypeInt, []int{3, 1}, alts...)
		if pr := n.net.Rules.Find(typ, TypeInt).Template.prog; pr != nil {
			for _, op := range []uint8{insExpr, insGuard, insLet} {
				if hasOp(pr, op) {
					tb.Errorf("%v: the program evaluates with the expression machine (instruction %d)", e, op)
				}
			}
		}
		out := n.w.NewVar()
		n.w.Push(n.agent(typ, out, n.w.Int(y)), n.w.Int(x))
		if err := n.run(); err != nil {
			return got, err
		}
		v, err := n.w.IntValue(n.w.Resolve(out))
		if err != nil {
			return got, err
		}
		got[i] = v
	}
	return got, nil
}
