package annette

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/annette-go/annette/internal/engine"
)

// Rule is a rule for one pair of agent types: an [ActionRule] or a
// [RewriteRule].
//
// A rule whose two types are the same must be symmetric: its result must
// not change when the two agents trade places. A pair of two agents of one
// type has no left and right of its own. The reducer takes as left the
// agent that reached the pair's wire first, and with more than one worker
// that can change from run to run. [RewriteRule.CheckSymmetric] looks for
// a case that breaks this.
type Rule interface {
	compile(n *Network) (*engine.Rule, error)
}

// ActionRule is a rule written as a Go function. When an agent of type
// Left meets an agent of type Right (on either side), Action is called
// with a context through which it reads the two agents, creates agents
// and links ports. Its changes take effect only if it returns nil; if it
// returns an error or panics, the run stops with a *RuleError and the net
// is unchanged. Right may be "Int" for a rule that meets integers.
//
// On a ParallelNetwork, the workers call Action concurrently, each for a
// different pair, so state shared between calls (a counter, a map) needs
// a mutex or atomic operations. A rule may instead declare what each call
// touches in Reads, Writes and Access, and the network then orders the
// calls for it (see the package documentation). An action that returns
// ErrPending (see RuleContext.IntAt) is called again for the same
// pair later, so its side effects outside the net happen once per call:
// read the integers it needs before making them. During the action, the
// network itself is off limits: Close, Snapshot and the calls that change
// it return ErrRunning, and Stats and Pending are not safe to call.
//
// The run checks its context between interactions only, so an action
// that blocks (on a lock, a channel, a slow call) should watch
// RuleContext.Context and return its error when it ends. The run then
// stops with a *RuleError that names the rule and wraps that error, at
// every worker count, so errors.Is finds context.Canceled through it.
//
// An action that calls runtime.Goexit (as testing's FailNow does) stops a
// parallel run with a *RuleError. A sequential run calls the action on
// the goroutine that called Reduce or Step, and Goexit then ends that
// goroutine, with the pair put back in the net. A ParallelNetwork does
// the same in Auto mode before it goes parallel, and in a Step round
// that runs on one worker: a round of fewer pairs than twice
// ParallelConfig.MinBatch, or a small batch of pairs of keyed rules.
type ActionRule struct {
	Name   string
	Left   string
	Right  string
	Action func(c *RuleContext) error

	// Reads and Writes name state outside the two agents that every
	// call of Action reads or writes, as keys of an [Access]. A
	// ParallelNetwork never runs two of its calls at once that conflict
	// on a key, but the calls of two networks are not kept apart. Keys
	// must not be empty.
	Reads, Writes []string
	// Access, if set, returns the keys that one call touches besides
	// Reads and Writes, computed from the two agents before the call,
	// such as the accounts named by their values. The agents are valid
	// during the call of Access only; Access must not change them or
	// keep them. An empty key fails the interaction with a *RuleError.
	// Access is called at every call of the action, whatever the number
	// of workers, and a second time for the pairs that a
	// ParallelNetwork's Step analyses.
	Access func(left, right Agent) Access
}

// RewriteRule is a rule written as a template, compiled once when it is
// added: the new agents to create and the wires among them and the old
// agents' auxiliary ports. The body is either Body, or Cases when the
// rule has guarded alternatives.
//
// Left and Right name each auxiliary port of the two agents. A port name
// written "int x" makes the port an integer attribute: the rule waits for
// an integer there and binds it to x, for use in expressions. For the
// type "Int" the pattern has one name, bound to the integer itself.
type RewriteRule struct {
	Name  string
	Left  Pattern
	Right Pattern
	Body  []Wire
	Cases []Case
}

// Pattern is one side of a rewrite rule: a type and a name for each of
// its auxiliary ports. The names are the rule's own, bound to the ports
// by position in the order of Type.Ports, so they need not be the ports'
// names: Pat("Add", "r", "y") binds r to the first auxiliary port.
type Pattern struct {
	Type  string
	Ports []string
}

// Pat returns the Pattern of type typ that names its auxiliary ports, in
// order, with ports.
func Pat(typ string, ports ...string) Pattern { return Pattern{Type: typ, Ports: ports} }

// Wildcard is the Type of a pattern that matches an agent of any type
// (but not an integer).
const Wildcard = "*"

// Any returns a wildcard pattern: the rule applies to its other side's
// type meeting any agent, and name stands for that whole agent in the
// body, which must connect it exactly once. Rules for a specific pair of
// types take precedence over a wildcard rule.
func Any(name string) Pattern { return Pattern{Type: Wildcard, Ports: []string{name}} }

// Case is one guarded alternative of a rewrite rule. The last case has no
// Guard; the first case whose Guard is not zero applies. The Guard reads
// the integer attributes only. Lets bind names to integer values, in
// order, once the case applies, for use in its Body.
type Case struct {
	Lets  []Let
	Guard *Expr
	Body  []Wire
}

// Let binds a name to an integer expression in a Case.
type Let struct {
	Name  string
	Value Expr
}

// Wire connects two terms of a rule body.
type Wire struct{ X, Y Expr }

// W returns a Wire.
func W(x, y Expr) Wire { return Wire{x, y} }

// Expr is a term of a rule body: a name, an agent with arguments, an
// integer or an integer expression.
type Expr struct {
	kind exprKind
	name string // variable name, agent type or operator
	val  int64
	args []Expr
}

type exprKind uint8

const (
	exprName exprKind = iota + 1
	exprAgent
	exprInt
	exprOp
)

// V returns the name x: a wire end (each used exactly twice in a rule,
// counting the patterns) or an integer attribute or let.
func V(x string) Expr { return Expr{kind: exprName, name: x} }

// A returns an agent of the given type with its auxiliary ports connected
// to args in order.
func A(typ string, args ...Expr) Expr { return Expr{kind: exprAgent, name: typ, args: args} }

// N returns the integer v.
func N(v int64) Expr { return Expr{kind: exprInt, val: v} }

// Op returns the binary operation x op y on integers. op is one of
// + - * / % == != < <= > >= && ||. Comparisons give 1 or 0; && and ||
// treat 0 as false and evaluate y only when needed.
func Op(op string, x, y Expr) Expr { return Expr{kind: exprOp, name: op, args: []Expr{x, y}} }

// Neg returns -x.
func Neg(x Expr) Expr { return Expr{kind: exprOp, name: "neg", args: []Expr{x}} }

// Not returns 1 if x is 0 and 0 otherwise.
func Not(x Expr) Expr { return Expr{kind: exprOp, name: "!", args: []Expr{x}} }

// Rand returns a pseudo-random integer in [0, x), drawn from the
// generator that Config.Seed seeds. With more than one worker, the
// numbers drawn differ from run to run (see Config.Seed).
func Rand(x Expr) Expr { return Expr{kind: exprOp, name: "rand", args: []Expr{x}} }

// Ptr returns a pointer to e, for Case.Guard.
func Ptr(e Expr) *Expr { return &e }

// String formats e in the text language's notation.
func (e Expr) String() string {
	var b strings.Builder
	e.format(&b)
	return b.String()
}

func (e Expr) format(b *strings.Builder) {
	switch e.kind {
	case exprName:
		b.WriteString(e.name)
	case exprInt:
		fmt.Fprint(b, e.val)
	case exprAgent:
		b.WriteString(e.name)
		if r, _ := utf8.DecodeRuneInString(e.name); len(e.args) == 0 && unicode.IsLower(r) {
			// A lower-case word alone is a name in the text language.
			b.WriteString("()")
		}
		if len(e.args) > 0 {
			b.WriteByte('(')
			for i, a := range e.args {
				if i > 0 {
					b.WriteString(", ")
				}
				a.format(b)
			}
			b.WriteByte(')')
		}
	case exprOp:
		switch e.name {
		case "neg":
			b.WriteString("-(")
			e.args[0].format(b)
			b.WriteByte(')')
		case "!", "rand":
			b.WriteString(e.name + "(")
			e.args[0].format(b)
			b.WriteByte(')')
		default:
			b.WriteByte('(')
			e.args[0].format(b)
			b.WriteString(" " + e.name + " ")
			e.args[1].format(b)
			b.WriteByte(')')
		}
	default:
		b.WriteString("<invalid>")
	}
}

// AddRule adds a rule. It fails if a rule for the same pair of types
// exists already, in either orientation; use [Network.ReplaceRule] to
// replace one. It does not check that a rule between two agents of one
// type is symmetric: [RewriteRule.CheckSymmetric] does.
func (n *Network) AddRule(r Rule) error { return n.addRule(r, false) }

// ReplaceRule adds a rule, replacing the rule for the same pair of types
// if there is one.
func (n *Network) ReplaceRule(r Rule) error { return n.addRule(r, true) }

func (n *Network) addRule(r Rule, replace bool) error {
	if n.running.Load() {
		return ErrRunning
	}
	if r == nil {
		return errors.New("annette: missing rule: AddRule and ReplaceRule need a RewriteRule or an ActionRule, not nil")
	}
	er, err := r.compile(n)
	if err != nil {
		return err
	}
	prev, err := n.net.Rules.Add(er, replace)
	if err != nil {
		if prev != nil {
			// Add returns the rule the pair has already, with its error.
			return fmt.Errorf("%w; use ReplaceRule to replace it", err)
		}
		return err
	}
	n.changed()
	if n.cfg.Events != nil {
		return n.reportRule(er, prev != nil)
	}
	return nil
}

// errIntInt is the error for a rule between two integers. Connect and
// rule bodies reject a wire between two integers, so such a rule could
// never apply.
func errIntInt(rule string) error {
	return fmt.Errorf("rule %s: both sides are Int, and no net joins two integers", rule)
}

func (n *Network) typeID(rule, name string) (engine.TypeID, error) {
	id, ok := n.net.Types.Lookup(name)
	if !ok {
		return 0, fmt.Errorf("rule %s: unknown agent type %q", rule, name)
	}
	return id, nil
}

func (r ActionRule) compile(n *Network) (*engine.Rule, error) {
	if r.Name == "" {
		r.Name = r.Left + "><" + r.Right
	}
	if r.Action == nil {
		return nil, fmt.Errorf("rule %s: Action is nil", r.Name)
	}
	left, err := n.typeID(r.Name, r.Left)
	if err != nil {
		return nil, err
	}
	right, err := n.typeID(r.Name, r.Right)
	if err != nil {
		return nil, err
	}
	if left == engine.TypeInt && right == engine.TypeInt {
		return nil, errIntInt(r.Name)
	}
	rc := &actionRunner{n: n, name: r.Name, action: r.Action}
	if err := rc.declare(r.Reads, r.Writes, r.Access); err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	return &engine.Rule{Name: r.Name, Left: left, Right: right, Kind: engine.RuleNative, Native: rc.run, Slow: true, Owner: rc}, nil
}

func (r RewriteRule) compile(n *Network) (*engine.Rule, error) {
	r.Name = r.ruleName()
	s, err := r.specs(n)
	if err != nil {
		return nil, err
	}
	t, err := engine.Compile(n.net.Types, s.left, s.right, s.attrs, s.alts)
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.Name, err)
	}
	return &engine.Rule{Name: r.Name, Left: s.left, Right: s.right, Kind: engine.RuleRewrite, Template: t}, nil
}

// ruleSpecs is a rewrite rule translated for engine.Compile.
type ruleSpecs struct {
	left, right engine.TypeID
	attrs       []int
	attrNames   []string // the name of each attribute, in the order of attrs
	alts        []engine.AltSpec
}

// specs translates r, whose Name is set, for engine.Compile.
func (r RewriteRule) specs(n *Network) (*ruleSpecs, error) {
	c := ruleCompiler{n: n, rule: r.Name}
	left, right := r.Left, r.Right
	lid, err := c.pattern(left)
	if err != nil {
		return nil, err
	}
	rid, err := c.pattern(right)
	if err != nil {
		return nil, err
	}
	if lid == engine.TypeNone && rid == engine.TypeNone {
		return nil, fmt.Errorf("rule %s: both sides are wildcards", r.Name)
	}
	if lid == engine.TypeInt && rid == engine.TypeInt {
		return nil, errIntInt(r.Name)
	}
	if lid == engine.TypeNone {
		// The engine keeps the wildcard on the right.
		left, right, lid, rid = right, left, rid, lid
	}
	if err := c.bindPatterns(left, right, lid, rid); err != nil {
		return nil, err
	}
	cases := r.Cases
	if len(cases) == 0 {
		cases = []Case{{Body: r.Body}}
	} else if len(r.Body) > 0 {
		return nil, fmt.Errorf("rule %s: set Body or Cases, not both", r.Name)
	}
	var alts []engine.AltSpec
	for i, cs := range cases {
		if cs.Guard == nil && i < len(cases)-1 {
			return nil, fmt.Errorf("rule %s: case %d has no guard but is not the last", r.Name, i+1)
		}
		if cs.Guard != nil && i == len(cases)-1 {
			return nil, fmt.Errorf("rule %s: the last case must have no guard", r.Name)
		}
		alt, err := c.alt(cs)
		if err != nil {
			if len(cases) > 1 {
				return nil, fmt.Errorf("rule %s: case %d: %w", r.Name, i+1, err)
			}
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		alts = append(alts, alt)
	}
	names := make([]string, len(c.attrs))
	for name, k := range c.attrNames {
		names[k] = name
	}
	return &ruleSpecs{left: lid, right: rid, attrs: c.attrs, attrNames: names, alts: alts}, nil
}

// CheckSymmetric looks for a case in which r, a rule between two agents
// of one type, gives another net when its two agents trade places, which
// makes results depend on the order of reduction (see [Rule]). A wildcard
// rule T >< x is checked for the pair of two T agents, to which it
// applies unless n has a rule for T >< T. It returns an error that
// describes the case. It returns nil if it found none, if r is between
// two types or if r does not compile in n. The check is exact for a rule without
// integer attributes. For one with attributes it tries a fixed set of
// small values and the numbers in the rule's expressions with their
// neighbours, so it can miss a case that only other values show. annette
// run warns about the rules of a program that fail it.
func (r RewriteRule) CheckSymmetric(n *Network) error {
	if n == nil {
		return errors.New("annette: CheckSymmetric needs the network that defines the rule's types")
	}
	if reason := n.wildcardMeetsItself(r); reason != "" {
		return fmt.Errorf("wildcard rule %s applies to %s >< %s, where it is not symmetric: %s", r.ruleName(), r.wildType(), r.wildType(), reason)
	}
	if reason := r.asymmetry(n); reason != "" {
		return fmt.Errorf("rule %s is not symmetric: %s", r.ruleName(), reason)
	}
	return nil
}

// wildcardAsymmetry looks for a case in which r, a wildcard rule T >< x,
// gives another net when it meets two agents of type T and they trade
// places. For that pair the rule is the ordinary rule T >< T in which x
// stands for the second agent, with its ports left as they are, and
// asymmetry checks that rule. It returns "" if r is not a wildcard rule
// or is symmetric there. The caller checks that no rule for T >< T
// exists, which would take precedence.
func (r RewriteRule) wildcardAsymmetry(n *Network) string {
	side, x := r.Left, r.Right
	if side.Type == Wildcard {
		side, x = x, side
	}
	if x.Type != Wildcard || side.Type == Wildcard || side.Type == "Int" || len(x.Ports) != 1 {
		return ""
	}
	// Names with '#' cannot clash with the rule's own names.
	name := x.Ports[0]
	ports := make([]string, len(side.Ports))
	args := make([]Expr, len(side.Ports))
	for i := range ports {
		ports[i] = name + "#" + strconv.Itoa(i)
		args[i] = V(ports[i])
	}
	agent := A(side.Type, args...)
	subst := func(ws []Wire) []Wire {
		out := make([]Wire, len(ws))
		for i, w := range ws {
			out[i] = Wire{replaceName(w.X, name, agent), replaceName(w.Y, name, agent)}
		}
		return out
	}
	same := RewriteRule{Name: r.Name, Left: side, Right: Pattern{Type: side.Type, Ports: ports}, Body: subst(r.Body)}
	for _, c := range r.Cases {
		c.Body = subst(c.Body)
		same.Cases = append(same.Cases, c)
	}
	return same.asymmetry(n)
}

// wildcardMeetsItself returns the reason why r, a wildcard rule T >< x,
// is not symmetric for the pair of two T agents (see
// wildcardAsymmetry), or "" if it is, if r is not a wildcard rule or if
// n has a rule for T >< T, which takes precedence.
func (n *Network) wildcardMeetsItself(r RewriteRule) string {
	t := r.wildType()
	if t == "" {
		return ""
	}
	if id, ok := n.net.Types.Lookup(t); ok && n.net.Rules.Find(id, id) != nil {
		return ""
	}
	return r.wildcardAsymmetry(n)
}

// wildType returns T for a wildcard rule T >< x, and "" for other rules.
func (r RewriteRule) wildType() string {
	switch {
	case r.Right.Type == Wildcard && r.Left.Type != Wildcard:
		return r.Left.Type
	case r.Left.Type == Wildcard && r.Right.Type != Wildcard:
		return r.Right.Type
	}
	return ""
}

// ruleName returns r's name, or its two types for a rule without one.
func (r RewriteRule) ruleName() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Left.Type + "><" + r.Right.Type
}

// replaceName returns e with every occurrence of the name x replaced by
// with.
func replaceName(e Expr, x string, with Expr) Expr {
	switch e.kind {
	case exprName:
		if e.name == x {
			return with
		}
	case exprAgent:
		args := make([]Expr, len(e.args))
		for i, a := range e.args {
			args[i] = replaceName(a, x, with)
		}
		e.args = args
	}
	return e
}

// asymmetry looks for a case in which r, a rule between two agents of
// one type, gives another net when its two agents are exchanged (see
// engine.Asymmetry). It returns a description of the case, or "" if it
// found none or r is not such a rule.
func (r RewriteRule) asymmetry(n *Network) string {
	if r.Left.Type != r.Right.Type {
		return ""
	}
	r.Name = r.ruleName()
	s, err := r.specs(n)
	if err != nil || s.left != s.right {
		return ""
	}
	a := engine.Asymmetry(n.net.Types, s.left, s.attrs, s.alts)
	switch {
	case a == nil:
		return ""
	case a.Port >= 0:
		i := a.Port % len(r.Left.Ports)
		attr, plain := r.Left.Ports[i], r.Right.Ports[i]
		if a.Port >= len(r.Left.Ports) {
			attr, plain = plain, attr
		}
		return fmt.Sprintf("port %d is %q on one side and %q on the other", i+1, attr, plain)
	case len(a.Attrs) == 0:
		return "exchanging its two agents gives another net"
	}
	var b strings.Builder
	for k, v := range a.Attrs {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %d", s.attrNames[k], v)
	}
	return "with " + b.String() + ", exchanging its two agents gives another net"
}
