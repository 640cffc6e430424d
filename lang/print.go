package lang

import (
	"strconv"
	"strings"
)

// This file prints the syntax tree as canonical source. Printing a tree
// that the parser built and parsing the result gives the same tree.
// Expressions get exactly the parentheses that the precedence rules
// need. Terms print with ", " between arguments and with spaces around
// "~", "><", "=>" and "<<".

// Precedence levels of expressions, loosest first. Unary minus applies
// to a primary, and the right operand of '*', '/' and '%' must be a
// primary, so "2 * (-3)" keeps its parentheses.
const (
	levelEq      = 1 // == !=
	levelLogic   = 2 // and or, and prefix not
	levelRel     = 3 // < <= > >=
	levelAdd     = 4 // + -
	levelMul     = 5 // * / %
	levelUnary   = 6 // unary -
	levelPrimary = 7
)

func opLevel(op Op) int {
	switch op {
	case OpEq, OpNe:
		return levelEq
	case OpAnd, OpOr, OpNot:
		return levelLogic
	case OpLt, OpLe, OpGt, OpGe:
		return levelRel
	case OpAdd, OpSub:
		return levelAdd
	case OpMul, OpDiv, OpMod:
		return levelMul
	}
	return levelUnary
}

func exprLevel(e Expr) int {
	switch e := e.(type) {
	case *IntLit:
		if e.Value < 0 {
			return levelUnary
		}
	case *Unary:
		return opLevel(e.Op)
	case *Binary:
		return opLevel(e.Op)
	}
	return levelPrimary
}

// writeExpr prints e, in parentheses unless its level is at least min.
// notOK admits a "not" expression where min is higher than its level:
// the operand of "not" and the right operand of "and" and "or" may
// themselves start with "not".
func writeExpr(b *strings.Builder, e Expr, min int, notOK bool) {
	if u, ok := e.(*Unary); ok && u.Op == OpNot && notOK {
		min = levelLogic
	}
	if exprLevel(e) < min {
		b.WriteByte('(')
		writeExpr(b, e, levelEq, false)
		b.WriteByte(')')
		return
	}
	switch e := e.(type) {
	case *IntLit:
		b.WriteString(strconv.FormatInt(e.Value, 10))
	case *Ident:
		b.WriteString(e.Name)
	case *Rand:
		b.WriteString("rand(")
		writeExpr(b, e.X, levelEq, false)
		b.WriteByte(')')
	case *Unary:
		if e.Op == OpNot {
			b.WriteString("not ")
			writeExpr(b, e.X, levelRel, true)
		} else {
			b.WriteString(e.Op.String())
			writeExpr(b, e.X, levelPrimary, false)
		}
	case *Binary:
		lvl := opLevel(e.Op)
		right, notOK := lvl+1, false
		switch lvl {
		case levelMul:
			right = levelPrimary
		case levelLogic:
			notOK = true
		}
		writeExpr(b, e.X, lvl, false)
		b.WriteString(" " + e.Op.String() + " ")
		writeExpr(b, e.Y, right, notOK)
	}
}

func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, levelEq, false)
	return b.String()
}

// String returns the literal in decimal.
func (e *IntLit) String() string { return exprString(e) }

// String returns the identifier.
func (e *Ident) String() string { return e.Name }

// String returns the expression with the parentheses its operand needs.
func (e *Unary) String() string { return exprString(e) }

// String returns the expression with the parentheses its operands need.
func (e *Binary) String() string { return exprString(e) }

// String returns "rand(X)".
func (e *Rand) String() string { return exprString(e) }

// ---------------------------------------------------------------------------
// Terms

func writeReuse(b *strings.Builder, r Reuse) {
	switch r {
	case ReuseLeft:
		b.WriteString("(*L)")
	case ReuseRight:
		b.WriteString("(*R)")
	}
}

func writeTerms(b *strings.Builder, ts []Term) {
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		writeTerm(b, t)
	}
}

func writeTerm(b *strings.Builder, t Term) {
	switch t := t.(type) {
	case *Name:
		b.WriteString(t.Name)
	case *Agent:
		writeReuse(b, t.Reuse)
		b.WriteString(t.Name)
		if t.Parens || len(t.Args) > 0 || (t.Name != "" && isLower(t.Name[0])) {
			b.WriteByte('(')
			writeTerms(b, t.Args)
			b.WriteByte(')')
		}
	case *IntVar:
		b.WriteString("int " + t.Name)
	case *Tuple:
		writeReuse(b, t.Reuse)
		b.WriteByte('(')
		writeTerms(b, t.Elems)
		b.WriteByte(')')
	case *List:
		writeReuse(b, t.Reuse)
		b.WriteByte('[')
		writeTerms(b, t.Elems)
		b.WriteByte(']')
	case *Cons:
		writeCons(b, t)
	case *Percent:
		b.WriteString("%" + t.Agent)
	case *ExprTerm:
		writeExpr(b, t.X, levelEq, false)
	}
}

// writeCons prints a cons chain. A head that is itself an unannotated
// chain, or an "int x" declaration, needs parentheses, and so does the
// whole chain when it carries a reuse annotation.
func writeCons(b *strings.Builder, t *Cons) {
	if t.Reuse != NoReuse {
		writeReuse(b, t.Reuse)
		b.WriteByte('(')
	}
	for _, h := range t.Heads {
		if needsParensInCons(h) {
			b.WriteByte('(')
			writeTerm(b, h)
			b.WriteByte(')')
		} else {
			writeTerm(b, h)
		}
		b.WriteByte(':')
	}
	if needsParensInCons(t.Tail) {
		b.WriteByte('(')
		writeTerm(b, t.Tail)
		b.WriteByte(')')
	} else {
		writeTerm(b, t.Tail)
	}
	if t.Reuse != NoReuse {
		b.WriteByte(')')
	}
}

func needsParensInCons(t Term) bool {
	switch t := t.(type) {
	case *Cons:
		return t.Reuse == NoReuse
	case *IntVar:
		return true
	}
	return false
}

func termString(t Term) string {
	var b strings.Builder
	writeTerm(&b, t)
	return b.String()
}

// String returns the name.
func (t *Name) String() string { return t.Name }

// String returns the agent term with its annotation and arguments.
func (t *Agent) String() string { return termString(t) }

// String returns "int x".
func (t *IntVar) String() string { return termString(t) }

// String returns the tuple in parentheses.
func (t *Tuple) String() string { return termString(t) }

// String returns the list literal in brackets.
func (t *List) String() string { return termString(t) }

// String returns the chain with ':' between its parts.
func (t *Cons) String() string { return termString(t) }

// String returns "%Agent".
func (t *Percent) String() string { return termString(t) }

// String returns the expression.
func (t *ExprTerm) String() string { return termString(t) }

// String returns the pattern as written, except that an integer pattern
// always prints as "(int x)".
func (p *Pattern) String() string {
	if p.Kind == PatInt {
		if v, ok := p.Term.(*IntVar); ok {
			return "(int " + v.Name + ")"
		}
	}
	return termString(p.Term)
}

// ---------------------------------------------------------------------------
// Nets and rule bodies

func writeConn(b *strings.Builder, c Conn) {
	switch c := c.(type) {
	case *Connection:
		writeTerm(b, c.Left)
		b.WriteString(" ~ ")
		writeTerm(b, c.Right)
	case *Abbrev:
		writeTerms(b, c.Outs)
		if len(c.Outs) > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("<< ")
		writeTerm(b, c.Agent)
	}
}

func writeConns(b *strings.Builder, cs []Conn) {
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		writeConn(b, c)
	}
}

func writeBindings(b *strings.Builder, list []*Binding, sep string) {
	for i, bd := range list {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(bd.Name + " = ")
		writeExpr(b, bd.Value, levelEq, false)
	}
}

func writeNet(b *strings.Builder, n *Net) {
	if n.Binds == nil {
		writeConns(b, n.Conns)
		return
	}
	switch n.Binds.Form {
	case BindWhere:
		writeConns(b, n.Conns)
		b.WriteString(" where")
		for _, bd := range n.Binds.List {
			b.WriteByte(' ')
			writeBindings(b, []*Binding{bd}, "")
		}
	case BindLet:
		b.WriteString("let ")
		writeBindings(b, n.Binds.List, "; ")
		if len(n.Binds.List) > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("in ")
		writeConns(b, n.Conns)
		b.WriteString(" end")
	case BindBlock:
		b.WriteString("{ ")
		writeBindings(b, n.Binds.List, "; ")
		if len(n.Binds.List) > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("} ")
		writeConns(b, n.Conns)
	}
}

func writeBody(b *strings.Builder, body RuleBody) {
	switch body := body.(type) {
	case *Net:
		writeNet(b, body)
	case *Guards:
		for i, g := range body.Alts {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeGuard(b, g)
		}
	case *If:
		b.WriteString("if ")
		writeExpr(b, body.Cond, levelEq, false)
		b.WriteString(" then ")
		writeBody(b, body.Then)
		b.WriteString(" else ")
		writeBody(b, body.Else)
	}
}

func writeGuard(b *strings.Builder, g *Guard) {
	b.WriteString("| ")
	if g.Cond == nil {
		b.WriteByte('_')
	} else {
		writeExpr(b, g.Cond, levelEq, false)
	}
	b.WriteString(" => ")
	writeBody(b, g.Body)
}

func bodyString(body RuleBody) string {
	var b strings.Builder
	writeBody(&b, body)
	return b.String()
}

// String returns the net's connections and bindings.
func (n *Net) String() string { return bodyString(n) }

// String returns the alternatives separated by spaces.
func (g *Guards) String() string { return bodyString(g) }

// String returns "| cond => body".
func (g *Guard) String() string {
	var b strings.Builder
	writeGuard(&b, g)
	return b.String()
}

// String returns "if cond then body else body".
func (b *If) String() string { return bodyString(b) }

// String returns the bindings in the net's syntax, without the net:
// "where a = 1", "let a = 1 in" or "{ a = 1 }".
func (bs *Bindings) String() string {
	var b strings.Builder
	writeNet(&b, &Net{Binds: bs})
	s := b.String()
	switch bs.Form {
	case BindLet:
		s = strings.TrimSuffix(s, "  end")
	}
	return strings.TrimSpace(s)
}

// String returns "name = expr".
func (bd *Binding) String() string {
	var b strings.Builder
	writeBindings(&b, []*Binding{bd}, "")
	return b.String()
}

// String returns "left ~ right".
func (c *Connection) String() string {
	var b strings.Builder
	writeConn(&b, c)
	return b.String()
}

// String returns the abbreviation as written.
func (a *Abbrev) String() string {
	var b strings.Builder
	writeConn(&b, a)
	return b.String()
}

// ---------------------------------------------------------------------------
// Statements

// String returns the rule, ending with ';'.
func (s *Rule) String() string {
	var b strings.Builder
	b.WriteString(s.Left.String() + " >< " + s.Right.String())
	switch body := s.Body.(type) {
	case *Guards:
		b.WriteByte(' ')
		writeBody(&b, body)
	case *Net:
		b.WriteString(" =>")
		if len(body.Conns) > 0 || body.Binds != nil {
			b.WriteByte(' ')
			writeNet(&b, body)
		}
	default:
		b.WriteString(" => ")
		writeBody(&b, body)
	}
	b.WriteByte(';')
	return b.String()
}

// String returns the net followed by ';'.
func (s *NetStmt) String() string { return s.Net.String() + ";" }

// String returns the names separated by spaces, followed by ';'.
func (s *PrintCmd) String() string {
	names := make([]string, len(s.Names))
	for i, n := range s.Names {
		names[i] = n.Name
	}
	return strings.Join(names, " ") + ";"
}

// String returns "ifce;" or "interface;".
func (s *InterfaceCmd) String() string {
	if s.Long {
		return "interface;"
	}
	return "ifce;"
}

// String returns "free" with its names or "ifce", followed by ';'.
func (s *FreeCmd) String() string {
	switch {
	case s.All && s.Long:
		return "free interface;"
	case s.All:
		return "free ifce;"
	}
	var b strings.Builder
	b.WriteString("free")
	for _, n := range s.Names {
		b.WriteString(" " + n.Name)
	}
	b.WriteByte(';')
	return b.String()
}

// String returns "prnat name;".
func (s *PrnatCmd) String() string { return "prnat " + s.Name.Name + ";" }

// String returns the command with the path quoted.
func (s *UseCmd) String() string { return "use " + quote(s.Path) + ";" }

// String returns "const NAME = expr;".
func (s *ConstDecl) String() string {
	return "const " + s.Name + " = " + exprString(s.Value) + ";"
}

// String returns "memstat;".
func (s *MemstatCmd) String() string { return "memstat;" }

// String returns "exit;".
func (s *ExitCmd) String() string { return "exit;" }

// String returns the program's statements, one per line.
func (p *Program) String() string {
	var b strings.Builder
	for _, s := range p.Stmts {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}
