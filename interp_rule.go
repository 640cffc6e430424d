package annette

import (
	"errors"
	"fmt"

	"github.com/annette-go/annette/lang"
)

// defineRule compiles a rule of the language to a RewriteRule and adds
// it, replacing any earlier rule for the pair (the checker has already
// warned about that).
func (ip *Interpreter) defineRule(r *lang.Rule) error {
	// Converting the rule defines the agent types it names. A rule that
	// fails is not added, so its new types are removed again. The error
	// is marked unbuilt, so that Exec removes the arities from the
	// checker too.
	types := ip.net.net.Types.Len()
	unbuilt := func(err error) error {
		ip.net.dropTypes(types)
		var pe *ProgramError
		if errors.As(err, &pe) {
			pe.unbuilt = true
		}
		return err
	}
	rule, err := ip.convertRule(r)
	if err != nil {
		return unbuilt(err)
	}
	left, right := rule.Left, rule.Right
	if err := ip.net.ReplaceRule(rule); err != nil {
		return unbuilt(ip.ruleError(r, rule, err))
	}
	if t := rule.wildType(); t != "" && !ip.selfRules[t] {
		if reason := ip.net.wildcardMeetsItself(rule); reason != "" {
			ip.warn(lang.ErrorList{{Pos: r.Pos(), Msg: fmt.Sprintf(
				"rule for %s >< %s also applies to %s >< %s, where it is not symmetric: %s, so results can change with the order of reduction and the number of workers; a rule for %s >< %s would take its place there",
				sideText(left), sideText(right), t, t, reason, t, t)}})
		}
	}
	if reason := rule.asymmetry(ip.net); reason != "" {
		ip.warn(lang.ErrorList{{Pos: r.Pos(), Msg: fmt.Sprintf(
			"rule for %s >< %s is not symmetric: %s, so results can change with the order of reduction and the number of workers",
			left.Type, left.Type, reason)}})
	}
	return nil
}

// sideText returns the type of a rule side, or the name of a wildcard
// side, as the rule is written.
func sideText(p Pattern) string {
	if p.Type == Wildcard && len(p.Ports) == 1 {
		return p.Ports[0]
	}
	return p.Type
}

// convertRule converts r to a RewriteRule named by its position. Errors
// are ProgramErrors at r.
func (ip *Interpreter) convertRule(r *lang.Rule) (RewriteRule, error) {
	fail := func(err error) error { return &ProgramError{Pos: r.Pos(), Err: err} }
	left, err := ip.pattern(r.Left)
	if err != nil {
		return RewriteRule{}, fail(err)
	}
	right, err := ip.pattern(r.Right)
	if err != nil {
		return RewriteRule{}, fail(err)
	}
	rc := ruleConv{ip: ip}
	var cases []Case
	if err := rc.flatten(r.Body, nil, &cases); err != nil {
		return RewriteRule{}, fail(err)
	}
	return RewriteRule{Name: r.Pos().String(), Left: left, Right: right, Cases: cases}, nil
}

// ruleError returns err, the network's error for rule, converted from r,
// as a ProgramError at r. The network names the rule by its position,
// which the ProgramError gives already, so the message names it by its
// agents instead.
func (ip *Interpreter) ruleError(r *lang.Rule, rule RewriteRule, err error) error {
	if inner := errors.Unwrap(err); inner != nil {
		err = fmt.Errorf("rule %s >< %s: %w", rule.Left.Type, rule.Right.Type, inner)
	}
	return &ProgramError{Pos: r.Pos(), Err: err}
}

// checkRules compiles the rules among stmts without adding them, so that
// an error in any of them stops a program before its first statement
// runs, as the checker's errors do. Compiling defines the agent types
// the rules name.
func (ip *Interpreter) checkRules(stmts []lang.Stmt) error {
	for _, s := range stmts {
		r, ok := s.(*lang.Rule)
		if !ok {
			continue
		}
		rule, err := ip.convertRule(r)
		if err != nil {
			return err
		}
		if _, err := rule.compile(ip.net); err != nil {
			return ip.ruleError(r, rule, err)
		}
	}
	return nil
}

// pattern converts one side of a rule.
func (ip *Interpreter) pattern(p *lang.Pattern) (Pattern, error) {
	switch p.Kind {
	case lang.PatInt:
		return Pat("Int", p.Ports[0].Name), nil
	case lang.PatWildcard:
		return Any(p.Wildcard.Name), nil
	}
	if err := ip.ensureType(p.Agent, len(p.Ports)); err != nil {
		return Pattern{}, err
	}
	ports := make([]string, len(p.Ports))
	for i, q := range p.Ports {
		ports[i] = q.Name
		if q.Attr {
			ports[i] = "int " + q.Name
		}
	}
	return Pat(p.Agent, ports...), nil
}

// ruleConv converts the body of one rule.
type ruleConv struct {
	ip    *Interpreter
	conds int // conditions of enclosing guards repeated in the cases so far
}

// maxRuleConds bounds the conditions of enclosing guards that flattening
// repeats in the cases of one rule. Their number grows with the square of
// the nesting depth: 65536 is about 360 levels of two alternatives each.
// A flat guard list or an else-if chain repeats none.
const maxRuleConds = 1 << 16

// condList is the list of conditions that enclose a rule body, innermost
// first. Sharing the enclosing part between nested bodies keeps the
// descent linear in the depth.
type condList struct {
	cond  Expr
	outer *condList
	n     int // conditions in the list
}

// with returns the list of c and the conditions of l.
func (l *condList) with(c Expr) *condList {
	n := 1
	if l != nil {
		n += l.n
	}
	return &condList{cond: c, outer: l, n: n}
}

// flatten turns nested guard lists and if-then-else into a flat list of
// cases: an alternative nested under conditions c1, c2 gets the guard
// c1 && c2, and the first case whose guard holds is the one the nested
// form would choose.
func (rc *ruleConv) flatten(body lang.RuleBody, conds *condList, out *[]Case) error {
	switch b := body.(type) {
	case *lang.Net:
		c := Case{}
		if conds != nil {
			if rc.conds += conds.n - 1; rc.conds > maxRuleConds {
				return fmt.Errorf("the rule's nested guards and if-then-else repeat more than %d enclosing conditions in its alternatives: nest them less deeply", maxRuleConds)
			}
			list := make([]Expr, 0, conds.n)
			for l := conds; l != nil; l = l.outer {
				list = append(list, l.cond)
			}
			g := list[len(list)-1]
			for i := len(list) - 2; i >= 0; i-- {
				g = Op("&&", g, list[i])
			}
			c.Guard = &g
		}
		if b.Binds != nil {
			for _, bd := range b.Binds.List {
				v, err := rc.expr(bd.Value)
				if err != nil {
					return err
				}
				c.Lets = append(c.Lets, Let{Name: bd.Name, Value: v})
			}
		}
		for _, conn := range b.Conns {
			cn := connection(conn)
			l, err := rc.term(cn.Left)
			if err != nil {
				return err
			}
			r, err := rc.term(cn.Right)
			if err != nil {
				return err
			}
			c.Body = append(c.Body, W(l, r))
		}
		*out = append(*out, c)
	case *lang.Guards:
		for _, alt := range b.Alts {
			sub := conds
			if alt.Cond != nil {
				cond, err := rc.expr(alt.Cond)
				if err != nil {
					return err
				}
				sub = conds.with(cond)
			}
			if err := rc.flatten(alt.Body, sub, out); err != nil {
				return err
			}
		}
	case *lang.If:
		cond, err := rc.expr(b.Cond)
		if err != nil {
			return err
		}
		if err := rc.flatten(b.Then, conds.with(cond), out); err != nil {
			return err
		}
		return rc.flatten(b.Else, conds, out)
	default:
		return fmt.Errorf("unexpected rule body %T", body)
	}
	return nil
}

// term converts a term of a rule body.
func (rc *ruleConv) term(t lang.Term) (Expr, error) {
	switch t := t.(type) {
	case *lang.Name:
		return V(t.Name), nil
	case *lang.ExprTerm:
		return rc.expr(t.X)
	case *lang.Agent:
		if !t.Parens {
			if v, ok := rc.ip.checker.Const(t.Name); ok {
				return N(v), nil
			}
		}
		return rc.agent(t.Name, t.Args)
	case *lang.Tuple:
		return rc.agent(lang.TupleAgent(len(t.Elems)), t.Elems)
	case *lang.List:
		return rc.list(t.Elems, nil)
	case *lang.Cons:
		return rc.list(t.Heads, t.Tail)
	case *lang.Percent:
		return rc.percent(t.Agent)
	}
	return Expr{}, fmt.Errorf("unexpected term %s in a rule body", t)
}

func (rc *ruleConv) agent(name string, args []lang.Term) (Expr, error) {
	if err := rc.ip.ensureType(name, len(args)); err != nil {
		return Expr{}, err
	}
	out := make([]Expr, len(args))
	for i, a := range args {
		e, err := rc.term(a)
		if err != nil {
			return Expr{}, err
		}
		out[i] = e
	}
	return A(name, out...), nil
}

func (rc *ruleConv) list(elems []lang.Term, tail lang.Term) (Expr, error) {
	var acc Expr
	if tail != nil {
		var err error
		if acc, err = rc.term(tail); err != nil {
			return Expr{}, err
		}
	} else {
		acc = A(lang.AgentNil)
	}
	for i := len(elems) - 1; i >= 0; i-- {
		e, err := rc.term(elems[i])
		if err != nil {
			return Expr{}, err
		}
		acc = A(lang.AgentCons, e, acc)
	}
	return acc, nil
}

// percent returns the function agent %name.
func (rc *ruleConv) percent(name string) (Expr, error) {
	id, err := rc.ip.percentType(name)
	if err != nil {
		return Expr{}, err
	}
	return A("_Percent", N(int64(id))), nil
}

var opNames = map[lang.Op]string{
	lang.OpAdd: "+", lang.OpSub: "-", lang.OpMul: "*", lang.OpDiv: "/", lang.OpMod: "%",
	lang.OpEq: "==", lang.OpNe: "!=", lang.OpLt: "<", lang.OpLe: "<=", lang.OpGt: ">", lang.OpGe: ">=",
	lang.OpAnd: "&&", lang.OpOr: "||",
}

// expr converts an integer expression; constants become their values.
func (rc *ruleConv) expr(e lang.Expr) (Expr, error) {
	switch e := e.(type) {
	case *lang.IntLit:
		return N(e.Value), nil
	case *lang.Ident:
		if v, ok := rc.ip.checker.Const(e.Name); ok {
			return N(v), nil
		}
		return V(e.Name), nil
	case *lang.Unary:
		x, err := rc.expr(e.X)
		if err != nil {
			return Expr{}, err
		}
		if e.Op == lang.OpNot {
			return Not(x), nil
		}
		return Neg(x), nil
	case *lang.Binary:
		x, err := rc.expr(e.X)
		if err != nil {
			return Expr{}, err
		}
		y, err := rc.expr(e.Y)
		if err != nil {
			return Expr{}, err
		}
		return Op(opNames[e.Op], x, y), nil
	case *lang.Rand:
		x, err := rc.expr(e.X)
		if err != nil {
			return Expr{}, err
		}
		return Rand(x), nil
	}
	return Expr{}, fmt.Errorf("unexpected expression %s", e)
}

// exprError is a failure of an expression in a top-level net, at the
// operator, call or name that failed.
type exprError struct {
	pos lang.Pos
	err error
}

func (e *exprError) Error() string { return e.pos.String() + ": " + e.err.Error() }

func (e *exprError) Unwrap() error { return e.err }

// evalExpr evaluates an expression of a top-level net, with env holding
// the where/let bindings. It returns an *exprError.
func (ip *Interpreter) evalExpr(e lang.Expr, env map[string]int64) (int64, error) {
	switch e := e.(type) {
	case *lang.IntLit:
		return e.Value, nil
	case *lang.Ident:
		if v, ok := env[e.Name]; ok {
			return v, nil
		}
		if v, ok := ip.checker.Const(e.Name); ok {
			return v, nil
		}
		return 0, &exprError{pos: e.NamePos, err: fmt.Errorf("%s is not bound to an integer", e.Name)}
	case *lang.Unary:
		x, err := ip.evalExpr(e.X, env)
		if err != nil {
			return 0, err
		}
		if e.Op == lang.OpNot {
			return b2i(x == 0), nil
		}
		return -x, nil
	case *lang.Rand:
		x, err := ip.evalExpr(e.X, env)
		if err != nil {
			return 0, err
		}
		if x <= 0 {
			return 0, &exprError{pos: e.RandPos, err: fmt.Errorf("%w: rand(%d)", ErrRandRange, x)}
		}
		return int64(ip.net.w.Rand(uint64(x))), nil
	case *lang.Binary:
		x, err := ip.evalExpr(e.X, env)
		if err != nil {
			return 0, err
		}
		switch e.Op {
		case lang.OpAnd:
			if x == 0 {
				return 0, nil
			}
		case lang.OpOr:
			if x != 0 {
				return 1, nil
			}
		}
		y, err := ip.evalExpr(e.Y, env)
		if err != nil {
			return 0, err
		}
		switch e.Op {
		case lang.OpAdd:
			return x + y, nil
		case lang.OpSub:
			return x - y, nil
		case lang.OpMul:
			return x * y, nil
		case lang.OpDiv, lang.OpMod:
			if y == 0 {
				return 0, &exprError{pos: e.OpPos, err: ErrDivideByZero}
			}
			if e.Op == lang.OpDiv {
				return x / y, nil
			}
			return x % y, nil
		case lang.OpEq:
			return b2i(x == y), nil
		case lang.OpNe:
			return b2i(x != y), nil
		case lang.OpLt:
			return b2i(x < y), nil
		case lang.OpLe:
			return b2i(x <= y), nil
		case lang.OpGt:
			return b2i(x > y), nil
		case lang.OpGe:
			return b2i(x >= y), nil
		case lang.OpAnd, lang.OpOr:
			return b2i(y != 0), nil
		}
	}
	return 0, &exprError{pos: e.Pos(), err: fmt.Errorf("unexpected expression %s", e)}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
