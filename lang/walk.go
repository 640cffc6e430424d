package lang

import "fmt"

// This file contains the checker's walk over the terms and expressions of
// one net or rule body.

// walker visits the terms and expressions of one net, one rule body or
// one expression. It counts the occurrences of wire names and checks
// everything else as it goes.
type walker struct {
	c       *Checker
	inRule  bool
	inConst bool
	attrs   map[string]bool   // attribute variables of the rule
	lhs     map[string]*Param // names of the rule's left-hand side
	bound   map[string]bool   // names bound by where/let in this net
	later   []RuleBody        // the bodies a condition chooses, whose where/let names it cannot see

	occ      map[string][]Pos // positions of each wire name
	asValue  map[string]bool  // left-hand side wire names read as integers (reported as errors)
	order    []string         // wire names in order of first occurrence
	reused   [3]Pos           // position of the (*L) and (*R) already seen
	percents []*Percent       // resolved after the net, when all arities are known
}

func (w *walker) net(n *Net) {
	w.occ = map[string][]Pos{}
	if n.Binds != nil {
		w.bindings(n.Binds)
	}
	for _, cn := range n.Conns {
		switch cn := cn.(type) {
		case *Connection:
			w.term(cn.Left)
			w.term(cn.Right)
			w.merger(cn.Left, cn.Right)
			w.merger(cn.Right, cn.Left)
			if w.isInt(cn.Left) && w.isInt(cn.Right) {
				w.c.errorf(cn.TildePos,
					"connection between two integers, %s and %s, which can never interact",
					shortTerm(cn.Left), shortTerm(cn.Right))
			}
		case *Abbrev:
			w.abbrev(cn)
		}
	}
	for _, pct := range w.percents {
		w.percent(pct)
	}
}

func (w *walker) bindings(b *Bindings) {
	w.bound = map[string]bool{}
	for _, bd := range b.List {
		w.expr(bd.Value)
		switch {
		case w.attrs[bd.Name]:
			w.c.errorf(bd.NamePos,
				"%s is an attribute variable of the rule, so it cannot be bound again", bd.Name)
		case w.lhs[bd.Name] != nil:
			w.c.errorf(bd.NamePos,
				"%s is a name of the rule's left-hand side, so it cannot be bound to an integer",
				bd.Name)
		case w.bound[bd.Name] && w.inRule:
			w.c.errorf(bd.NamePos, "%s is bound twice in one rule body", bd.Name)
		case w.bound[bd.Name]:
			w.c.errorf(bd.NamePos, "%s is bound twice in one net", bd.Name)
		}
		w.bound[bd.Name] = true
	}
}

// isValue reports whether a name denotes an integer rather than a wire.
func (w *walker) isValue(name string) bool {
	return w.attrs[name] || w.bound[name]
}

// isInt reports whether a term is certainly an integer.
func (w *walker) isInt(t Term) bool {
	switch t := t.(type) {
	case *ExprTerm:
		return true
	case *Name:
		return w.isValue(t.Name)
	case *Agent:
		return !t.Parens && len(t.Args) == 0 && w.c.isConst(t.Name)
	}
	return false
}

// merger reports a built-in Merger connected to something other than a
// pair of lists: the built-in rules take a 2-tuple only. A name may still
// bring a pair, so it is not reported.
func (w *walker) merger(m, other Term) {
	ag, ok := m.(*Agent)
	if !ok || ag.Name != "Merger" || len(ag.Args) != 1 {
		return
	}
	n := -1 // elements of the tuple, -1 for a list or an integer
	switch o := other.(type) {
	case *Tuple:
		n = len(o.Elems)
	case *List, *Cons, *ExprTerm:
	default:
		return
	}
	if n == 2 {
		return
	}
	w.c.errorf(ag.NamePos, "expected 2 lists for Merger, found %s", shortTerm(other))
}

func shortTerm(t Term) string {
	s := t.String()
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

func (w *walker) abbrev(a *Abbrev) {
	for _, t := range a.Outs {
		w.term(t)
	}
	ag := a.Agent
	w.reuse(ag.Reuse, ag.ReusePos)
	for _, t := range ag.Args {
		w.term(t)
	}
	arity := len(a.Outs) + len(ag.Args) - 1
	if ag.Name == "Merger" {
		arity = len(a.Outs)
		// The built-in Merger interacts with a pair of lists only.
		if len(ag.Args) != 2 {
			w.c.errorf(ag.NamePos, "expected 2 lists for Merger, found %d", len(ag.Args))
		}
	}
	origin := fmt.Sprintf(" in the expansion of '<<' (%s + %s - 1 for the principal port)",
		plural(len(a.Outs), "output"), plural(len(ag.Args), "argument"))
	if ag.Name == "Merger" {
		origin = " in the expansion of '<<'"
	}
	w.c.useAgent(ag.Name, arity, ag.NamePos, origin)
}

// reuse checks that a reuse annotation is in a rule body and that each
// agent of the active pair is reused at most once in it.
func (w *walker) reuse(r Reuse, pos Pos) {
	if r == NoReuse {
		return
	}
	if !w.inRule {
		w.c.warnf(pos, "reuse annotation %s has no effect outside a rule body", reuseText(r))
		return
	}
	if prev := w.reused[r]; prev.IsValid() {
		w.c.errorf(pos,
			"%s is used twice in one rule body (first at %s): each agent of the active pair can be reused once",
			reuseText(r), prev.relativeTo(pos))
		return
	}
	w.reused[r] = pos
}

func reuseText(r Reuse) string {
	if r == ReuseLeft {
		return "(*L)"
	}
	return "(*R)"
}

func (w *walker) name(n *Name) {
	if w.isValue(n.Name) {
		return
	}
	if _, seen := w.occ[n.Name]; !seen {
		w.order = append(w.order, n.Name)
	}
	w.occ[n.Name] = append(w.occ[n.Name], n.NamePos)
}

func (w *walker) term(t Term) {
	switch t := t.(type) {
	case *Name:
		w.name(t)
	case *Agent:
		if !t.Parens && len(t.Args) == 0 && w.c.isConst(t.Name) && t.Reuse == NoReuse {
			return // a constant
		}
		w.reuse(t.Reuse, t.ReusePos)
		w.c.useAgent(t.Name, len(t.Args), t.NamePos, "")
		for _, a := range t.Args {
			w.term(a)
		}
	case *IntVar:
		w.c.errorf(t.IntPos,
			"int %s declares an attribute variable, which only a rule's left-hand side may do",
			t.Name)
	case *Tuple:
		w.reuse(t.Reuse, t.ReusePos)
		if len(t.Elems) > maxTuple {
			w.c.errorf(t.Lparen,
				"expected a tuple of at most %d elements, found %d", maxTuple, len(t.Elems))
		}
		for _, e := range t.Elems {
			w.term(e)
		}
	case *List:
		w.reuse(t.Reuse, t.ReusePos)
		for _, e := range t.Elems {
			w.term(e)
		}
	case *Cons:
		w.reuse(t.Reuse, t.ReusePos)
		for _, h := range t.Heads {
			w.term(h)
		}
		w.term(t.Tail)
	case *Percent:
		w.percents = append(w.percents, t)
	case *ExprTerm:
		w.expr(t.X)
	}
}

// percent checks that %foo names an agent whose arity is known by now
// and that the tuple it abbreviates exists.
func (w *walker) percent(p *Percent) {
	n, ok := w.c.Arity(p.Agent)
	switch {
	case w.c.isConst(p.Agent):
		w.c.errorf(p.PctPos, "expected an agent after '%%', found constant %s", p.Agent)
	case !ok:
		w.c.errorf(p.PctPos,
			"unknown agent %s in %%%s: its arity must be known from an earlier use or rule",
			p.Agent, p.Agent)
	case n == 0:
		w.c.errorf(p.PctPos,
			"%%%s needs an agent with at least one argument, found %s with none", p.Agent, p.Agent)
	case n > maxTuple:
		w.c.errorf(p.PctPos,
			"%%%s needs an agent with at most %d arguments, found %s with %d",
			p.Agent, maxTuple, p.Agent, n)
	}
}

// expr checks that every name in an expression denotes an integer.
func (w *walker) expr(e Expr) {
	switch e := e.(type) {
	case *Ident:
		w.ident(e)
	case *Unary:
		w.expr(e.X)
	case *Binary:
		w.expr(e.X)
		w.expr(e.Y)
	case *Rand:
		w.expr(e.X)
	}
}

func (w *walker) ident(id *Ident) {
	if !isLower(id.Name[0]) {
		if !w.c.isConst(id.Name) {
			w.c.errorf(id.NamePos, "undefined constant %s", id.Name)
		}
		return
	}
	if w.isValue(id.Name) {
		return
	}
	switch {
	case w.inConst:
		w.c.errorf(id.NamePos, "expected a constant expression, found name %s", id.Name)
	case w.lhs[id.Name] != nil:
		if w.asValue == nil {
			w.asValue = map[string]bool{}
		}
		w.asValue[id.Name] = true
		w.c.errorf(id.NamePos,
			"%s is not an attribute variable, so it has no integer value: declare it as int %s in the left-hand side",
			id.Name, id.Name)
	case w.c.boundIn(w.later, id.Name):
		w.c.errorf(id.NamePos,
			"%s is bound by a where or let of the body this condition chooses, which the condition cannot see: write its expression in the condition",
			id.Name)
	case w.inRule:
		w.c.errorf(id.NamePos,
			"%s is not an attribute variable or a where/let binding, so it has no integer value",
			id.Name)
	default:
		w.c.errorf(id.NamePos, "%s is not bound to an integer: bind it with where or let", id.Name)
	}
}
