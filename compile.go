package annette

import (
	"fmt"
	"strings"

	"github.com/annette-go/annette/internal/engine"
)

// ruleCompiler turns a RewriteRule into an engine template.
//
// A rule body is resolved as a graph of points. A real point is an end
// the engine handles: an old auxiliary port, a port of a new agent or an
// integer value. Each occurrence of a name is a point too: the port it
// stands in when it is an agent argument or a pattern port, or a virtual
// point when it is one side of a top-level wire. A name joins its two
// occurrences, and a wire joins its two sides. Every real point ends up
// on one path to another real point, and those paths are the wires the
// engine compiles.
type ruleCompiler struct {
	n    *Network
	rule string

	ports     map[string]int // ordinary pattern names → old port index
	portOrder []string       // the ordinary pattern names, left to right
	attrs     []int          // old port indices read as integers
	attrNames map[string]int // attribute name → env index

	// Per alternative.
	env   map[string]int
	nodes []engine.NodeDecl
	exprs []*engine.Code
	real  []engine.End // real points
	peer  []int        // point → the point joined to it by a wire; -1 if none
	name  []int        // point → the other occurrence of its name; -1 if none
	occ   map[string][]int
}

// pattern checks a pattern against its type and returns the type id.
func (c *ruleCompiler) pattern(p Pattern) (engine.TypeID, error) {
	if p.Type == Wildcard {
		if len(p.Ports) != 1 {
			return 0, fmt.Errorf("rule %s: a wildcard pattern names exactly one agent", c.rule)
		}
		return engine.TypeNone, nil
	}
	id, err := c.n.typeID(c.rule, p.Type)
	if err != nil {
		return 0, err
	}
	want := 1
	if id != engine.TypeInt {
		want = c.n.net.Types.Info(id).Arity()
	}
	if len(p.Ports) != want {
		return 0, fmt.Errorf("rule %s: pattern %s names %s, but the type has %s",
			c.rule, p.Type, countNoun(len(p.Ports), "port"), countNoun(want, "auxiliary port"))
	}
	return id, nil
}

// bindPatterns records the names of the two patterns.
func (c *ruleCompiler) bindPatterns(left, right Pattern, lid, rid engine.TypeID) error {
	c.ports = map[string]int{}
	c.attrNames = map[string]int{}
	na := 0
	if lid != engine.TypeInt {
		na = len(left.Ports)
	}
	nb := 0
	if rid != engine.TypeInt && rid != engine.TypeNone {
		nb = len(right.Ports)
	}
	bind := func(name string, index int, isInt bool) error {
		attr := isInt
		if f := strings.Fields(name); len(f) == 2 && f[0] == "int" {
			name, attr = f[1], true
		}
		if !validName(name) {
			return fmt.Errorf("rule %s: invalid port name %q in a pattern", c.rule, name)
		}
		if _, dup := c.ports[name]; dup {
			return fmt.Errorf("rule %s: name %s occurs twice in the patterns", c.rule, name)
		}
		if _, dup := c.attrNames[name]; dup {
			return fmt.Errorf("rule %s: name %s occurs twice in the patterns", c.rule, name)
		}
		if attr {
			c.attrNames[name] = len(c.attrs)
			c.attrs = append(c.attrs, index)
		} else {
			c.ports[name] = index
			c.portOrder = append(c.portOrder, name)
		}
		return nil
	}
	sides := []struct {
		p     Pattern
		id    engine.TypeID
		base  int
		whole int
	}{{left, lid, 0, na + nb}, {right, rid, na, na + nb + 1}}
	for _, s := range sides {
		if s.id == engine.TypeNone {
			if err := bind(s.p.Ports[0], s.whole, false); err != nil {
				return err
			}
			continue
		}
		if s.id == engine.TypeInt {
			if err := bind(s.p.Ports[0], s.whole, true); err != nil {
				return err
			}
			continue
		}
		for i, name := range s.p.Ports {
			if err := bind(name, s.base+i, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n(),~")
}

// alt compiles one case.
func (c *ruleCompiler) alt(cs Case) (engine.AltSpec, error) {
	var spec engine.AltSpec
	c.env = map[string]int{}
	for name, i := range c.attrNames {
		c.env[name] = i
	}
	c.nodes, c.exprs, c.real, c.peer, c.name = nil, nil, nil, nil, nil
	c.occ = map[string][]int{}

	if cs.Guard != nil {
		code, err := c.code(*cs.Guard)
		if err != nil {
			return spec, fmt.Errorf("guard: %w", err)
		}
		spec.Guard = code
	}
	for k, l := range cs.Lets {
		code, err := c.code(l.Value)
		if err != nil {
			return spec, fmt.Errorf("let %s: %w", l.Name, err)
		}
		if _, isPort := c.ports[l.Name]; isPort || !validName(l.Name) {
			return spec, fmt.Errorf("let %s: invalid or taken name", l.Name)
		}
		spec.Lets = append(spec.Lets, code)
		c.env[l.Name] = len(c.attrs) + k
	}
	// Pattern names in port order, so that the wires, and so the
	// direction of a link between two old ports, do not depend on map
	// order.
	for _, name := range c.portOrder {
		p := c.point(engine.End{Kind: engine.EndExt, Index: c.ports[name]})
		c.occ[name] = append(c.occ[name], p)
	}
	for _, w := range cs.Body {
		x, err := c.term(w.X)
		if err != nil {
			return spec, err
		}
		y, err := c.term(w.Y)
		if err != nil {
			return spec, err
		}
		c.join(x, y)
	}
	for name, ps := range c.occ {
		if len(ps) != 2 {
			return spec, fmt.Errorf("name %s occurs %s; an ordinary name must occur exactly twice", name, times(len(ps)))
		}
		c.name[ps[0]], c.name[ps[1]] = ps[1], ps[0]
	}
	wires, err := c.paths()
	if err != nil {
		return spec, err
	}
	spec.Nodes, spec.Exprs, spec.Wires = c.nodes, c.exprs, wires
	return spec, nil
}

// point adds a point; a real one when e.Kind is set, else a virtual one.
func (c *ruleCompiler) point(e engine.End) int {
	c.real = append(c.real, e)
	c.peer = append(c.peer, -1)
	c.name = append(c.name, -1)
	return len(c.real) - 1
}

const virtualKind = 255

func (c *ruleCompiler) virtual() int { return c.point(engine.End{Kind: virtualKind}) }

func (c *ruleCompiler) join(x, y int) {
	c.peer[x], c.peer[y] = y, x
}

// term returns the point standing for e at a top-level wire side.
func (c *ruleCompiler) term(e Expr) (int, error) {
	switch e.kind {
	case exprName:
		if _, ok := c.env[e.name]; ok {
			return c.value(e)
		}
		p := c.virtual()
		c.occ[e.name] = append(c.occ[e.name], p)
		return p, nil
	case exprAgent:
		return c.agent(e)
	case exprInt, exprOp:
		return c.value(e)
	}
	return 0, fmt.Errorf("invalid term in the body")
}

// value returns a real point for an integer term.
func (c *ruleCompiler) value(e Expr) (int, error) {
	if e.kind == exprInt {
		return c.point(engine.End{Kind: engine.EndConst, Value: e.val}), nil
	}
	code, err := c.code(e)
	if err != nil {
		return 0, err
	}
	c.exprs = append(c.exprs, code)
	return c.point(engine.End{Kind: engine.EndExpr, Index: len(c.exprs) - 1}), nil
}

// agent creates the new agent e and returns its principal point.
func (c *ruleCompiler) agent(e Expr) (int, error) {
	id, ok := c.n.net.Types.Lookup(e.name)
	if !ok {
		return 0, fmt.Errorf("unknown agent type %q", e.name)
	}
	if id == engine.TypeInt {
		return 0, fmt.Errorf("Int is not an agent type; write an integer")
	}
	info := c.n.net.Types.Info(id)
	if len(e.args) != info.Arity() {
		return 0, fmt.Errorf("agent %s has %s but is given %s", e.name,
			countNoun(info.Arity(), "auxiliary port"), countNoun(len(e.args), "argument"))
	}
	k := len(c.nodes)
	c.nodes = append(c.nodes, engine.NodeDecl{Type: id})
	main := c.point(engine.End{Kind: engine.EndNode, Index: k})
	for j, arg := range e.args {
		slot := c.point(engine.End{Kind: engine.EndNode, Index: k, Port: j + 1})
		if arg.kind == exprName {
			if _, ok := c.env[arg.name]; !ok {
				c.occ[arg.name] = append(c.occ[arg.name], slot)
				continue
			}
		}
		p, err := c.term(arg)
		if err != nil {
			return 0, err
		}
		c.join(slot, p)
	}
	return main, nil
}

// paths follows each real point through names and wires to the real point
// at the other end.
func (c *ruleCompiler) paths() ([][2]engine.End, error) {
	done := make([]bool, len(c.real))
	var wires [][2]engine.End
	for start := range c.real {
		if done[start] || c.real[start].Kind == virtualKind {
			continue
		}
		done[start] = true
		// From a real point, leave by its only edge: a name or a wire.
		cur, viaName := start, c.name[start] >= 0
		for {
			var next int
			if viaName {
				next = c.name[cur]
			} else {
				next = c.peer[cur]
			}
			if next < 0 {
				return nil, fmt.Errorf("%s is not connected", c.describe(start))
			}
			if done[next] {
				return nil, fmt.Errorf("%s is connected more than once", c.describe(next))
			}
			done[next] = true
			if c.real[next].Kind != virtualKind {
				if isIntEnd(c.real[start]) && isIntEnd(c.real[next]) {
					return nil, fmt.Errorf("a wire joins two integers, which can never interact")
				}
				wires = append(wires, [2]engine.End{c.real[start], c.real[next]})
				break
			}
			cur, viaName = next, !viaName
		}
	}
	for p := range c.real {
		if !done[p] {
			return nil, fmt.Errorf("a wire forms a loop with no agent on it")
		}
	}
	return wires, nil
}

// isIntEnd reports whether e is an integer the rule makes: a constant or
// the value of an expression.
func isIntEnd(e engine.End) bool { return e.Kind == engine.EndConst || e.Kind == engine.EndExpr }

func (c *ruleCompiler) describe(p int) string {
	e := c.real[p]
	switch e.Kind {
	case engine.EndExt:
		for name, i := range c.ports {
			if i == e.Index {
				return "name " + name
			}
		}
	case engine.EndNode:
		info := c.n.net.Types.Info(c.nodes[e.Index].Type)
		return "port " + info.Ports[e.Port] + " of new agent " + info.Name
	case virtualKind:
		for name, ps := range c.occ {
			for _, q := range ps {
				if q == p {
					return "name " + name
				}
			}
		}
	}
	return "an integer"
}

// code compiles an integer expression.
func (c *ruleCompiler) code(e Expr) (*engine.Code, error) {
	code := &engine.Code{Text: e.String()}
	depth := 0
	var emit func(e Expr) error
	push := func(in engine.Instr) {
		code.Instrs = append(code.Instrs, in)
	}
	emit = func(e Expr) error {
		switch e.kind {
		case exprInt:
			push(engine.Instr{Op: engine.OpConst, Arg: e.val})
			depth++
		case exprName:
			i, ok := c.env[e.name]
			if !ok {
				return fmt.Errorf("%s is not an integer attribute or let; only those can be used in expressions", e.name)
			}
			push(engine.Instr{Op: engine.OpLoad, Arg: int64(i)})
			depth++
		case exprOp:
			if err := emit(e.args[0]); err != nil {
				return err
			}
			if len(e.args) == 1 {
				switch e.name {
				case "neg":
					push(engine.Instr{Op: engine.OpNeg})
				case "!":
					push(engine.Instr{Op: engine.OpNot})
				case "rand":
					push(engine.Instr{Op: engine.OpRand})
				}
				break
			}
			if e.name == "&&" || e.name == "||" {
				op := engine.OpAndJ
				if e.name == "||" {
					op = engine.OpOrJ
				}
				j := len(code.Instrs)
				push(engine.Instr{Op: op})
				depth--
				if err := emit(e.args[1]); err != nil {
					return err
				}
				push(engine.Instr{Op: engine.OpBool})
				code.Instrs[j].Arg = int64(len(code.Instrs))
				break
			}
			op, ok := binaryOps[e.name]
			if !ok {
				return fmt.Errorf("unknown operator %q", e.name)
			}
			if err := emit(e.args[1]); err != nil {
				return err
			}
			push(engine.Instr{Op: op})
			depth--
		case exprAgent:
			return fmt.Errorf("agent %s cannot be used in an integer expression", e.name)
		default:
			return fmt.Errorf("invalid expression")
		}
		if depth > code.Depth {
			code.Depth = depth
		}
		return nil
	}
	if err := emit(e); err != nil {
		return nil, err
	}
	return code, nil
}

var binaryOps = map[string]engine.Op{
	"+": engine.OpAdd, "-": engine.OpSub, "*": engine.OpMul, "/": engine.OpDiv, "%": engine.OpMod,
	"==": engine.OpEq, "!=": engine.OpNe, "<": engine.OpLt, "<=": engine.OpLe, ">": engine.OpGt, ">=": engine.OpGe,
}

// times spells a count of occurrences.
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// countNoun returns n and the noun, in the plural unless n is 1.
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
