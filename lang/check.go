package lang

import (
	"fmt"
	"slices"
)

// The checker runs after parsing and before anything is compiled. It
// walks the statements in order and keeps what they define: the arity of
// each agent, the constants, the rules and the state of the names of the
// top-level net. It reports:
//
//   - agents used with different numbers of arguments: the first use or
//     definition fixes the arity, and built-in agents have fixed arities
//     (see builtinArity);
//   - linearity in rules: each ordinary name occurs exactly twice across
//     the left-hand side and the body, counting each alternative of a
//     guard list or an if separately;
//   - linearity in the top-level net: a name occurs at most twice in one
//     net statement, and a name that is already in the interface (it
//     occurred once before) may occur once more, which consumes it;
//   - names in expressions that are neither attribute variables, bound
//     by where/let, nor constants;
//   - rules that can never apply: between two integers, between an
//     integer and a wildcard, or with wildcards on both sides;
//   - "int x" outside a rule's left-hand side, guard lists without a
//     final "_", tuples of more than 5 elements, %foo of an agent whose
//     arity is unknown, two integers connected to each other, (*L) or
//     (*R) twice in one rule body;
//   - constants whose value cannot be computed, or whose name is an
//     agent's.
//
// An attribute variable ("int x" in a pattern) stands for an integer. It
// may be used any number of times (or not at all) in expressions and
// wherever an integer term may stand: as an argument, a list element or
// one side of a connection. It is not a wire, so it never counts for
// linearity and cannot be bound by where/let.
//
// A second rule for the same pair of agents is not an error: it replaces
// the first, and the checker returns a warning.

// builtinArity is the number of auxiliary ports of each built-in agent,
// as a program writes them: Add(r, y) ~ x, Append(r, ys) ~ xs,
// Zip(r, ys) ~ xs, Map(r, f) ~ xs, Dup(a, b), Eraser.
//
// NOTE: the language description does not give Merger's arity. It is
// taken as 1, the result port, because "r << Merger(xs, ys)" stands for
// "Merger(r) ~ (xs, ys)" (see Abbrev.Lower).
var builtinArity = map[string]int{
	"Tuple0": 0, "Tuple2": 2, "Tuple3": 3, "Tuple4": 4, "Tuple5": 5,
	"Nil": 0, "Cons": 2,
	"Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Mod": 2,
	"Append": 2, "Zip": 2, "Map": 2,
	"Eraser": 0, "Dup": 2, "Merger": 1,
}

// maxTuple is the largest tuple the language has (Tuple5).
const maxTuple = 5

// BuiltinArity returns the number of auxiliary ports of a built-in agent,
// and false for a name that is not built in.
func BuiltinArity(agent string) (int, bool) {
	n, ok := builtinArity[agent]
	return n, ok
}

// IntType is the name of the type of integers, which no agent can take.
const IntType = "Int"

// CheckConstName returns an error if name cannot be a constant because
// a character after its first letter cannot be part of a name, or
// because it names the type of integers or a built-in agent. It returns
// nil otherwise.
// Other names are checked against the program when it uses them.
func CheckConstName(name string) error {
	for i := 1; i < len(name); i++ {
		if !isIdentChar(name[i]) {
			return fmt.Errorf("constant name %q is not a name of the language: %q cannot follow its first letter", name, name[i:i+1])
		}
	}
	if name == IntType {
		return fmt.Errorf("%s names the type of integers, so it cannot be a constant", name)
	}
	if _, ok := builtinArity[name]; ok {
		return fmt.Errorf("%s is a built-in agent, so it cannot be a constant", name)
	}
	return nil
}

// Config holds the checker's settings. The zero value checks with no
// predefined constants and no limit on arity.
type Config struct {
	// Consts are constants bound before the program, for example by
	// "-d NAME=VALUE" on the command line. They win over a const
	// declaration of the same name, which gets a warning.
	Consts map[string]int64
	// MaxArity is the largest number of arguments an agent may have.
	// Zero means no limit.
	MaxArity int
	// AllErrors reports every error. Without it the checker keeps only
	// the first error of each line, like the parser.
	AllErrors bool
}

// Checker checks statements in program order. It remembers what each
// checked statement defines, so a read-eval-print loop keeps one Checker
// and passes it each statement as it is read.
type Checker struct {
	cfg    Config
	agents map[string]agentInfo
	consts map[string]constInfo
	used   map[string]bool // constants that a checked statement names
	rules  map[[2]string]Pos
	// names holds the state of the top-level names that are not absent.
	// After a use statement, whose file the checker has not seen, names
	// missing from the map may be in the interface: namesUnknown is set
	// and absent names are stored explicitly.
	names        map[string]nameState
	namesUnknown bool
	// liveAt holds, for each name stored as nameLive, the value of
	// liveCount when it became live. A live name that became live before
	// maybeBefore reads as nameMaybe: a free or use statement since then
	// may have removed it. So such a statement costs no walk over the
	// names.
	liveAt      map[string]uint64
	liveCount   uint64
	maybeBefore uint64

	errs, warns ErrorList
	undo        []func() // reverts the current statement's changes
	programUndo []func() // reverts the changes of the last CheckProgram

	bound map[boundKey]bool // results of bindsName for the current rule
}

type agentInfo struct {
	arity int
	pos   Pos
}

type constInfo struct {
	value int64
	pos   Pos // zero for constants from Config
}

type nameState uint8

const (
	nameAbsent nameState = iota
	nameLive             // occurs once in the net: an interface name
	nameMaybe            // live or absent: a free or use statement may have removed or added it
)

// NewChecker returns a checker with the given settings. A nil cfg is the
// zero Config.
func NewChecker(cfg *Config) *Checker {
	c := &Checker{
		agents: map[string]agentInfo{},
		consts: map[string]constInfo{},
		used:   map[string]bool{},
		rules:  map[[2]string]Pos{},
		names:  map[string]nameState{},
		liveAt: map[string]uint64{},
	}
	if cfg != nil {
		c.cfg = *cfg
		for name, v := range cfg.Consts {
			c.consts[name] = constInfo{value: v}
		}
	}
	return c
}

// Check checks a whole program with a new Checker. See
// Checker.CheckProgram.
func Check(p *Program, cfg *Config) (warnings ErrorList, err error) {
	return NewChecker(cfg).CheckProgram(p)
}

// CheckProgram checks every statement of p. It goes on after an error,
// keeping what the faulty statement defines, so that one error does not
// cause others. It returns the warnings, and the errors as an ErrorList
// sorted by position.
func (c *Checker) CheckProgram(p *Program) (warnings ErrorList, err error) {
	var errs ErrorList
	c.programUndo = nil
	for _, s := range p.Stmts {
		c.stmt(s)
		c.programUndo = append(c.programUndo, c.undo...)
		errs = append(errs, c.errs...)
		warnings = append(warnings, c.warns...)
	}
	return c.result(warnings, errs)
}

// UndoProgram reverts what the last CheckProgram call added to the
// checker (agent arities, constants, interface names), for a program that
// failed before any of it ran, such as a file that a read-eval-print loop
// reads with a use statement.
func (c *Checker) UndoProgram() {
	for i := len(c.programUndo) - 1; i >= 0; i-- {
		c.programUndo[i]()
	}
	c.programUndo = nil
	c.undo = nil
}

// CheckStmt checks one statement against what earlier statements defined.
// If the statement has errors, the checker undoes every change that the
// statement made to its state, because the statement will not run.
func (c *Checker) CheckStmt(s Stmt) (warnings ErrorList, err error) {
	c.stmt(s)
	if len(c.errs) > 0 {
		for i := len(c.undo) - 1; i >= 0; i-- {
			c.undo[i]()
		}
	}
	return c.result(c.warns, c.errs)
}

// UndoStmt reverts what the statement last checked by CheckStmt added to
// the checker (agent arities, constants, interface names), for a
// statement that failed before any of it ran.
func (c *Checker) UndoStmt() {
	for i := len(c.undo) - 1; i >= 0; i-- {
		c.undo[i]()
	}
	c.undo = nil
}

func (c *Checker) result(warns, errs ErrorList) (ErrorList, error) {
	warns.Sort()
	if c.cfg.AllErrors {
		errs.Sort()
	} else {
		errs.RemoveMultiples()
	}
	return warns, errs.Err()
}

// Arity returns the number of arguments of an agent, built in or seen in
// a checked statement.
func (c *Checker) Arity(agent string) (int, bool) {
	if n, ok := builtinArity[agent]; ok {
		return n, true
	}
	a, ok := c.agents[agent]
	return a.arity, ok
}

// Const returns the value of a constant from the configuration or from a
// checked declaration.
func (c *Checker) Const(name string) (int64, bool) {
	k, ok := c.consts[name]
	if ok {
		c.used[name] = true
	}
	return k.value, ok
}

// UnusedConfigConsts returns, sorted, the constants of the Config that no
// checked statement has named, so that a caller can warn about a
// command-line constant that a typing slip made useless.
func (c *Checker) UnusedConfigConsts() []string {
	var out []string
	for name := range c.cfg.Consts {
		if !c.used[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (c *Checker) errorf(pos Pos, format string, args ...any) {
	c.errs.Add(pos, fmt.Sprintf(format, args...))
}

func (c *Checker) warnf(pos Pos, format string, args ...any) {
	c.warns.Add(pos, fmt.Sprintf(format, args...))
}

// setAgent, setConst, setRule and setName change the checker's state and
// record how to undo the change.
func (c *Checker) setAgent(name string, a agentInfo) {
	c.agents[name] = a
	c.undo = append(c.undo, func() { delete(c.agents, name) })
}

func (c *Checker) setConst(name string, k constInfo) {
	c.consts[name] = k
	c.undo = append(c.undo, func() { delete(c.consts, name) })
}

func (c *Checker) setRule(key [2]string, pos Pos) {
	old, had := c.rules[key]
	c.rules[key] = pos
	c.undo = append(c.undo, func() {
		if had {
			c.rules[key] = old
		} else {
			delete(c.rules, key)
		}
	})
}

func (c *Checker) setName(name string, st nameState) {
	old, had := c.names[name]
	oldAt, hadAt := c.liveAt[name]
	if st == nameAbsent && !c.namesUnknown {
		delete(c.names, name)
	} else {
		c.names[name] = st
	}
	if st == nameLive {
		c.liveCount++
		c.liveAt[name] = c.liveCount
	}
	c.undo = append(c.undo, func() {
		if had {
			c.names[name] = old
		} else {
			delete(c.names, name)
		}
		if hadAt {
			c.liveAt[name] = oldAt
		} else {
			delete(c.liveAt, name)
		}
	})
}

// liveToMaybe makes every name that is live now read as nameMaybe.
func (c *Checker) liveToMaybe() {
	old := c.maybeBefore
	c.undo = append(c.undo, func() { c.maybeBefore = old })
	c.maybeBefore = c.liveCount + 1
}

// resetNames replaces the whole table of names.
func (c *Checker) resetNames(names map[string]nameState, unknown bool) {
	oldNames, oldUnknown := c.names, c.namesUnknown
	c.undo = append(c.undo, func() { c.names, c.namesUnknown = oldNames, oldUnknown })
	c.names, c.namesUnknown = names, unknown
}

func (c *Checker) nameState(name string) nameState {
	if st, ok := c.names[name]; ok {
		if st == nameLive && c.liveAt[name] < c.maybeBefore {
			return nameMaybe
		}
		return st
	}
	if c.namesUnknown {
		return nameMaybe
	}
	return nameAbsent
}

func (c *Checker) stmt(s Stmt) {
	c.errs, c.warns, c.undo = nil, nil, nil
	switch s := s.(type) {
	case *Rule:
		c.rule(s)
	case *NetStmt:
		c.netStmt(s.Net)
	case *ConstDecl:
		c.constDecl(s)
	case *FreeCmd:
		switch {
		case s.All:
			c.resetNames(map[string]nameState{}, false)
		case len(s.Names) > 0:
			// The names that occur in the freed terms are freed too,
			// and which they are is known only when the program runs.
			c.liveToMaybe()
			for _, n := range s.Names {
				c.setName(n.Name, nameAbsent)
			}
		}
	case *UseCmd:
		// The file may define anything: a caller that wants it checked
		// replaces the statement by the file's statements (ExpandUses).
		c.liveToMaybe()
		c.resetNames(c.names, true)
	}
}

// ---------------------------------------------------------------------------
// Agents and constants

// useAgent checks an agent used with n arguments against its arity and
// records the arity at the first use. origin explains in the message where
// the count comes from, when it is not simply the arguments.
func (c *Checker) useAgent(name string, n int, pos Pos, origin string) {
	if name == IntType {
		c.errorf(pos, "%s names the type of integers here, so it cannot name an agent: rename the agent", name)
		return
	}
	if want, ok := builtinArity[name]; ok {
		if n != want {
			c.errorf(pos,
				"expected %s for built-in agent %s, found %d%s",
				plural(want, "argument"), name, n, origin)
		}
		return
	}
	if k, ok := c.consts[name]; ok {
		c.errorf(pos,
			"%s is a constant%s, so it cannot be used as an agent", name, atPos(k.pos, pos))
		return
	}
	if a, ok := c.agents[name]; ok {
		if n != a.arity {
			c.errorf(pos,
				"expected %s for agent %s as at %s, found %d%s",
				plural(a.arity, "argument"), name, a.pos.relativeTo(pos), n, origin)
		}
		return
	}
	if c.cfg.MaxArity > 0 && n > c.cfg.MaxArity {
		c.errorf(pos,
			"agent %s has %d arguments, more than the maximum of %d", name, n, c.cfg.MaxArity)
	}
	c.setAgent(name, agentInfo{arity: n, pos: pos})
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// atPos returns " (defined at line:col)" for a known position.
func atPos(at, from Pos) string {
	if !at.IsValid() {
		return " (set on the command line)"
	}
	return " (defined at " + at.relativeTo(from) + ")"
}

func (c *Checker) isConst(name string) bool {
	_, ok := c.consts[name]
	if ok {
		c.used[name] = true
	}
	return ok
}

func (c *Checker) constDecl(d *ConstDecl) {
	w := &walker{c: c, inConst: true}
	w.expr(d.Value)
	if k, ok := c.consts[d.Name]; ok {
		c.used[d.Name] = true
		if !k.pos.IsValid() {
			c.warnf(d.NamePos,
				"constant %s is set on the command line, so this declaration is ignored", d.Name)
		} else {
			c.warnf(d.NamePos,
				"constant %s is already defined at %s, so this declaration is ignored",
				d.Name, k.pos.relativeTo(d.NamePos))
		}
		return
	}
	if err := CheckConstName(d.Name); err != nil {
		c.errorf(d.NamePos, "%v", err)
		return
	}
	if a, ok := c.agents[d.Name]; ok {
		c.errorf(d.NamePos,
			"%s is used as an agent at %s, so it cannot be a constant",
			d.Name, a.pos.relativeTo(d.NamePos))
		return
	}
	if len(c.errs) > 0 {
		return
	}
	v, err := evalConst(d.Value, c.Const)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	c.setConst(d.Name, constInfo{value: v, pos: d.NamePos})
}

// ---------------------------------------------------------------------------
// Rules

// sideKey names a rule side for the table of rules: the agent's name, or
// "(int)" or "_", which no agent can be called.
func sideKey(p *Pattern) string {
	switch p.Kind {
	case PatInt:
		return "(int)"
	case PatWildcard:
		return "_"
	}
	return p.Agent
}

func (c *Checker) rule(r *Rule) {
	c.bound = nil // bindsName's results hold for one rule's bodies
	errs := len(c.errs)
	l, rt := r.Left, r.Right
	switch {
	case l.Kind == PatWildcard && rt.Kind == PatWildcard:
		c.errorf(r.Pos(), "a rule needs an agent on at least one side, found names on both sides")
	case l.Kind == PatInt && rt.Kind == PatInt:
		c.errorf(r.Pos(), "a rule cannot match two integers: integers never interact")
	case l.Kind != PatAgent && rt.Kind != PatAgent:
		c.errorf(r.Pos(),
			"a wildcard does not match integers, so a rule between (int x) and a name never applies")
	}
	c.patternAgent(l)
	c.patternAgent(rt)

	ctx := &ruleCtx{lhs: map[string]*Param{}, attrs: map[string]bool{}}
	for _, p := range []*Pattern{l, rt} {
		params := p.Ports
		if p.Kind == PatWildcard {
			params = []*Param{{NamePos: p.Wildcard.NamePos, Name: p.Wildcard.Name}}
		}
		for _, prm := range params {
			if prev, dup := ctx.lhs[prm.Name]; dup {
				c.errorf(prm.NamePos,
					"name %s occurs twice in the rule's left-hand side (first at %s)",
					prm.Name, prev.NamePos.relativeTo(prm.NamePos))
				continue
			}
			ctx.lhs[prm.Name] = prm
			ctx.order = append(ctx.order, prm)
			if prm.Attr {
				ctx.attrs[prm.Name] = true
			}
		}
	}

	key := [2]string{sideKey(l), sideKey(rt)}
	if key[1] < key[0] {
		key[0], key[1] = key[1], key[0]
	}
	prev, replaces := c.rules[key]

	c.ruleBody(r.Body, ctx)
	if len(c.errs) > errs {
		return // a rejected rule replaces nothing
	}
	if replaces {
		c.warnf(r.Pos(),
			"rule for %s >< %s replaces the rule at %s",
			sideName(l), sideName(rt), prev.relativeTo(r.Pos()))
	}
	c.setRule(key, r.Pos())
}

// sideName names a rule side in messages as sideKey does, but an
// integer as Int, the name run-time errors give it.
func sideName(p *Pattern) string {
	if p.Kind == PatInt {
		return "Int"
	}
	return sideKey(p)
}

// patternAgent checks the agent of a rule side like any other use.
func (c *Checker) patternAgent(p *Pattern) {
	if p.Kind != PatAgent {
		return
	}
	if t, ok := p.Term.(*Tuple); ok && len(t.Elems) > maxTuple {
		c.errorf(t.Pos(),
			"expected a tuple of at most %d elements, found %d", maxTuple, len(t.Elems))
		return
	}
	if p.Agent == IntType {
		// Go code names this side Int, so a reader may try it here.
		c.errorf(p.Term.Pos(), "%s cannot be a rule side: write (int n) to match an integer", IntType)
		return
	}
	c.useAgent(p.Agent, len(p.Ports), p.Term.Pos(), "")
}

// ruleCtx holds what a rule's left-hand side declares.
type ruleCtx struct {
	lhs   map[string]*Param // every name of the left-hand side
	order []*Param          // the same, in source order
	attrs map[string]bool   // the attribute variables among them
}

func (c *Checker) ruleBody(b RuleBody, ctx *ruleCtx) {
	switch b := b.(type) {
	case *Net:
		c.ruleNet(b, ctx)
	case *If:
		w := &walker{c: c, inRule: true, attrs: ctx.attrs, lhs: ctx.lhs,
			later: []RuleBody{b.Then, b.Else}}
		w.expr(b.Cond)
		c.ruleBody(b.Then, ctx)
		c.ruleBody(b.Else, ctx)
	case *Guards:
		for i, g := range b.Alts {
			if g.Cond == nil {
				if i == 0 {
					c.errorf(g.PipePos,
						"expected a condition in the first alternative of a guard list, found '_'")
				}
			} else {
				w := &walker{c: c, inRule: true, attrs: ctx.attrs, lhs: ctx.lhs,
					later: []RuleBody{g.Body}}
				w.expr(g.Cond)
			}
			c.ruleBody(g.Body, ctx)
		}
		if last := b.Alts[len(b.Alts)-1]; last.Cond != nil {
			c.errorf(last.PipePos,
				"expected the guard list to end with a default alternative '| _ => ...', found none")
		}
	}
}

// boundIn reports whether a where or let in one of bodies, in its nets
// and in the nets of its alternatives, binds name. The checker calls it
// only for a name it cannot resolve. The results are kept per body and
// name in c.bound. The conditions of a long if-else chain that all name
// one unknown name then take time in proportion to its length.
func (c *Checker) boundIn(bodies []RuleBody, name string) bool {
	for _, b := range bodies {
		if c.bindsName(b, name) {
			return true
		}
	}
	return false
}

// boundKey is the key of one result of bindsName.
type boundKey struct {
	body RuleBody
	name string
}

// bindsName reports whether body binds name in a where or let, at any
// depth. It recurses once per level of nesting.
func (c *Checker) bindsName(body RuleBody, name string) bool {
	key := boundKey{body, name}
	if v, ok := c.bound[key]; ok {
		return v
	}
	found := false
	switch b := body.(type) {
	case *Net:
		if b.Binds != nil {
			for _, bd := range b.Binds.List {
				found = found || bd.Name == name
			}
		}
	case *If:
		found = c.bindsName(b.Then, name) || c.bindsName(b.Else, name)
	case *Guards:
		for _, g := range b.Alts {
			found = found || c.bindsName(g.Body, name)
		}
	}
	if c.bound == nil {
		c.bound = map[boundKey]bool{}
	}
	c.bound[key] = found
	return found
}

// ruleNet checks one body of a rule: a whole body, or one alternative.
func (c *Checker) ruleNet(n *Net, ctx *ruleCtx) {
	w := &walker{c: c, inRule: true, attrs: ctx.attrs, lhs: ctx.lhs}
	w.net(n)

	for _, prm := range ctx.order {
		if prm.Attr {
			continue
		}
		switch occ := w.occ[prm.Name]; {
		case len(occ) == 0 && w.asValue[prm.Name]:
			// The name is read as an integer. That error, which requests
			// an int declaration, covers the missing occurrence too.
		case len(occ) == 0 && w.bound[prm.Name]:
			// A where or let binds the name, so the body's uses of it
			// read the binding. The binding's error covers this one.
		case len(occ) == 0:
			c.errorf(n.Pos(),
				"expected name %s from the left-hand side (at %s) to occur once in this rule body, found no occurrence",
				prm.Name, prm.NamePos.relativeTo(n.Pos()))
		case len(occ) > 1:
			c.errorf(occ[1],
				"expected name %s from the left-hand side to occur once in the rule body, found %d occurrences",
				prm.Name, len(occ))
		}
	}
	for _, name := range w.order {
		if _, ok := ctx.lhs[name]; ok {
			continue
		}
		switch occ := w.occ[name]; {
		case len(occ) == 1:
			c.errorf(occ[0],
				"expected name %s to occur twice in the rule body, found it once (it is not in the left-hand side)",
				name)
		case len(occ) > 2:
			c.errorf(occ[2],
				"expected name %s to occur twice in the rule body, found %d occurrences",
				name, len(occ))
		}
	}
}

// ---------------------------------------------------------------------------
// Top-level nets

func (c *Checker) netStmt(n *Net) {
	w := &walker{c: c}
	w.net(n)
	for _, name := range w.order {
		occ := w.occ[name]
		if len(occ) > 2 {
			c.errorf(occ[2],
				"expected name %s to occur at most twice in a net, found %d occurrences",
				name, len(occ))
			continue
		}
		switch c.nameState(name) {
		case nameLive:
			if len(occ) == 2 {
				c.errorf(occ[0],
					"name %s is already in the interface, so it may occur only once more, found 2 occurrences",
					name)
				continue
			}
			c.setName(name, nameAbsent) // the second occurrence consumes it
		case nameMaybe:
			if len(occ) == 2 {
				c.setName(name, nameAbsent)
			}
		case nameAbsent:
			if len(occ) == 1 {
				c.setName(name, nameLive)
			}
		}
	}
}
