package lang

// evalConst computes a constant expression: integers, constants and
// operators, with 64-bit two's complement arithmetic and division that
// truncates toward zero.
func evalConst(e Expr, lookup func(string) (int64, bool)) (int64, *Error) {
	switch e := e.(type) {
	case *IntLit:
		return e.Value, nil
	case *Ident:
		if v, ok := lookup(e.Name); ok {
			return v, nil
		}
		return 0, &Error{Pos: e.NamePos, Msg: "undefined constant " + e.Name}
	case *Rand:
		return 0, &Error{Pos: e.RandPos, Msg: "rand is not allowed in a constant"}
	case *Unary:
		x, err := evalConst(e.X, lookup)
		if err != nil {
			return 0, err
		}
		if e.Op == OpNeg {
			return -x, nil
		}
		return truth(x == 0), nil
	case *Binary:
		x, err := evalConst(e.X, lookup)
		if err != nil {
			return 0, err
		}
		y, err := evalConst(e.Y, lookup)
		if (e.Op == OpAnd && x == 0) || (e.Op == OpOr && x != 0) {
			// The left operand decides, as in a rule, where the right one
			// is not evaluated: a division by zero there is no error. A
			// name that is not defined still is.
			if err == nil || err.Msg == msgDivZero {
				return truth(e.Op == OpOr), nil
			}
		}
		if err != nil {
			return 0, err
		}
		return binaryValue(e, x, y)
	}
	return 0, &Error{Pos: e.Pos(), Msg: "invalid constant expression"}
}

// msgDivZero is the message of a division by zero in a constant.
const msgDivZero = "division by zero in a constant"

func binaryValue(e *Binary, x, y int64) (int64, *Error) {
	switch e.Op {
	case OpAdd:
		return x + y, nil
	case OpSub:
		return x - y, nil
	case OpMul:
		return x * y, nil
	case OpDiv, OpMod:
		if y == 0 {
			return 0, &Error{Pos: e.OpPos, Msg: msgDivZero}
		}
		if e.Op == OpDiv {
			return x / y, nil
		}
		return x % y, nil
	case OpEq:
		return truth(x == y), nil
	case OpNe:
		return truth(x != y), nil
	case OpLt:
		return truth(x < y), nil
	case OpLe:
		return truth(x <= y), nil
	case OpGt:
		return truth(x > y), nil
	case OpGe:
		return truth(x >= y), nil
	case OpAnd:
		return truth(x != 0 && y != 0), nil
	case OpOr:
		return truth(x != 0 || y != 0), nil
	}
	return 0, &Error{Pos: e.OpPos, Msg: "invalid operator in a constant"}
}

func truth(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
