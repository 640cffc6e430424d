package lang

import "strconv"

// This file defines the syntax tree. Nodes keep the forms of the source,
// including the '<<' abbreviation, list and tuple literals and reuse
// annotations, so that a compiler sees every form and String can print
// source that parses back to the same tree. Each node has
// the position of its first token; nodes with an operator also record the
// operator's position.
//
// The parser normalises three things, so that printing is canonical:
// parentheses around a single term or expression are dropped, a
// parenthesised cons chain in tail position is merged into the chain
// ("a:(b:c)" reads as "a:b:c"), and "-9223372036854775808" is a single
// literal, since its magnitude does not fit in int64 on its own.

// Node is any node of the syntax tree.
type Node interface {
	// Pos returns the position of the node's first token.
	Pos() Pos
	// String returns the node in canonical source syntax.
	String() string
}

// Stmt is a top-level statement: *Rule, *NetStmt, *PrintCmd,
// *InterfaceCmd, *FreeCmd, *PrnatCmd, *UseCmd, *ConstDecl, *MemstatCmd or
// *ExitCmd.
type Stmt interface {
	Node
	stmtNode()
}

// Term is a term of a net: *Name, *Agent, *IntVar, *Tuple, *List, *Cons,
// *Percent or *ExprTerm.
type Term interface {
	Node
	termNode()
}

// Expr is an integer expression: *IntLit, *Ident, *Unary, *Binary or
// *Rand.
type Expr interface {
	Node
	exprNode()
}

// RuleBody is the right-hand side of a rule or of one of its branches:
// *Net, *Guards or *If.
type RuleBody interface {
	Node
	bodyNode()
}

// Conn is one element of a net: *Connection or *Abbrev.
type Conn interface {
	Node
	connNode()
}

// Program is a parsed source file.
type Program struct {
	File  string
	Stmts []Stmt
}

// ---------------------------------------------------------------------------
// Statements

// Rule is an interaction rule "Left >< Right => Body;". Either side may be
// the integer pattern "(int x)", and one side may be a bare name, which
// makes the rule a wildcard rule.
type Rule struct {
	Left     *Pattern
	CrossPos Pos // position of "><"
	Right    *Pattern
	// Body is a *Net (with no connections for "A >< B =>;"), a *Guards
	// for "A >< B | cond => ... | _ => ..." or an *If.
	Body RuleBody
}

// NetStmt is a net evaluated at the top level, such as "inc(r) ~ 10;".
type NetStmt struct {
	Net *Net
}

// PrintCmd prints the terms connected to the names: "x y z;".
type PrintCmd struct {
	Names []*Name
}

// InterfaceCmd prints every interface name and its term: "ifce;" or,
// with Long set, "interface;".
type InterfaceCmd struct {
	CmdPos Pos
	Long   bool
}

// FreeCmd disposes of names and what hangs from them: "free x y;", or
// all interface names for "free ifce;" and "free interface;" (All set,
// Long telling the spelling). "free;" frees nothing.
type FreeCmd struct {
	CmdPos Pos
	Names  []*Name
	All    bool
	Long   bool
}

// PrnatCmd prints the unary number built of S and Z connected to Name:
// "prnat x;".
type PrnatCmd struct {
	CmdPos Pos
	Name   *Name
}

// UseCmd reads another source file: use "file.in";.
type UseCmd struct {
	CmdPos  Pos
	PathPos Pos
	Path    string // the decoded string
}

// ConstDecl binds a constant: "const NAME = expr;". Constant names start
// with an upper-case letter.
type ConstDecl struct {
	CmdPos  Pos
	NamePos Pos
	Name    string
	Value   Expr
}

// MemstatCmd prints memory statistics: "memstat;".
type MemstatCmd struct {
	CmdPos Pos
}

// ExitCmd stops the program: "exit;".
type ExitCmd struct {
	CmdPos Pos
}

// ---------------------------------------------------------------------------
// Rules

// PatternKind is the kind of value a rule side matches.
type PatternKind uint8

const (
	// PatAgent matches one agent, which Pattern.Agent names.
	PatAgent PatternKind = iota
	// PatInt matches an integer, written "(int x)". Ports contains x.
	PatInt
	// PatWildcard matches any agent but not an integer. The side is a
	// bare name, which stands for the matched agent in the body.
	PatWildcard
)

// Names of the built-in agents that have syntax of their own. Patterns
// and the checker use these names, and a program may also write them as
// ordinary agents, as in "Cons(x, xs)".
const (
	AgentNil    = "Nil"    // []
	AgentCons   = "Cons"   // h:t, [h | t]
	AgentTuple0 = "Tuple0" // ()
)

// TupleAgent returns the name of the built-in tuple agent with n
// elements: "Tuple0", "Tuple2", ... The language has no Tuple1, because
// "(t)" is just t, and no tuple larger than 5; the checker rejects those.
func TupleAgent(n int) string {
	return "Tuple" + strconv.Itoa(n)
}

// Pattern is one side of a rule's left-hand side. The parser derives
// Kind, Agent and Ports from Term, so that a compiler need not take apart
// the list and tuple notations. For example, "(int x):xs" is Agent "Cons"
// with ports int x and xs, "(a, b)" is "Tuple2" with ports a and b, and
// "[]" is "Nil".
type Pattern struct {
	Term  Term // the side as written
	Kind  PatternKind
	Agent string   // the agent's name, for PatAgent
	Ports []*Param // auxiliary ports in order for PatAgent, or the attribute for PatInt
	// Wildcard is the name bound to the matched agent, for PatWildcard.
	Wildcard *Name
}

// Param is a port of a rule pattern: a name, or an attribute variable
// declared with "int x".
type Param struct {
	NamePos Pos
	Name    string
	Attr    bool // declared as "int Name"
}

// Guards is a list of guarded alternatives:
//
//	| cond => body | cond => body | _ => body
//
// The first alternative whose condition is not zero is taken. The last
// alternative should be the default "_", which has a nil Cond. The parser
// accepts a list without it, and the checker reports the omission. A
// nested list ends at its own default, so the next '|' continues the
// enclosing list.
type Guards struct {
	Alts []*Guard
}

// Guard is one alternative of a guard list.
type Guard struct {
	PipePos Pos
	Cond    Expr // nil for the default alternative "_"
	Body    RuleBody
}

// If is "if cond then body else body" in a rule body.
type If struct {
	IfPos Pos
	Cond  Expr
	Then  RuleBody
	Else  RuleBody
}

// ---------------------------------------------------------------------------
// Nets

// Net is a list of connections with optional integer bindings. Only a
// whole rule body may be empty ("A >< B =>;"). Elsewhere the parser
// requires at least one connection.
type Net struct {
	NetPos Pos       // position of the first token of the net, or of ';' when empty
	Binds  *Bindings // nil when the net has no where, let or { } part
	Conns  []Conn
}

// BindForm is the syntax used for a net's bindings.
type BindForm uint8

const (
	// BindWhere is "net where a = 1 b = 2".
	BindWhere BindForm = iota
	// BindLet is "let a = 1; b = 2 in net end".
	BindLet
	// BindBlock is "{ a = 1; b = 2 } net".
	BindBlock
)

// Bindings binds lower-case names to integer expressions for use in a
// net. Each binding may use the ones before it.
type Bindings struct {
	Form    BindForm
	FormPos Pos // position of "where", "let" or "{"
	List    []*Binding
}

// Binding is "name = expr".
type Binding struct {
	NamePos Pos
	Name    string
	Value   Expr
}

// Connection is "Left ~ Right".
type Connection struct {
	Left     Term
	TildePos Pos
	Right    Term
}

// Abbrev is the abbreviation "o1, ..., ok << Agent(a1, ..., an)", kept as
// written. Outs may be empty ("<< A(x)"). Lower gives the connection it
// stands for.
type Abbrev struct {
	Outs  []Term
	OpPos Pos    // position of "<<"
	Agent *Agent // has Parens set and at least one argument
}

// ---------------------------------------------------------------------------
// Terms

// Reuse is a reuse annotation on an agent built in a rule body. (*L) or
// (*R) marks the agent as one that may reuse the memory of the left or
// right agent of the active pair. It is a performance hint only.
type Reuse uint8

const (
	// NoReuse means no annotation.
	NoReuse Reuse = iota
	// ReuseLeft is "(*L)".
	ReuseLeft
	// ReuseRight is "(*R)".
	ReuseRight
)

// Name is a name: a wire end, or in a rule body an attribute variable or
// a where/let binding standing for its integer.
type Name struct {
	NamePos Pos
	Name    string
}

// Agent is an agent term "A", "A(t1, ..., tn)" or "f(t1, ..., tn)".
// Parens records that parentheses were written, which they always are
// for a lower-case agent. An upper-case Agent with no parentheses may also be a
// constant: the compiler looks the name up among the constants first.
type Agent struct {
	ReusePos Pos // position of the annotation when Reuse is set
	Reuse    Reuse
	NamePos  Pos
	Name     string
	Parens   bool
	Args     []Term
}

// IntVar declares an attribute variable, "int x". It belongs in rule
// patterns only. The parser accepts it anywhere a term may appear, and
// the checker reports other places.
type IntVar struct {
	IntPos  Pos
	NamePos Pos
	Name    string
}

// Tuple is "(t1, ..., tn)" for n = 0 or n >= 2: the built-in agent Tuple0,
// Tuple2, ... A tuple of more than 5 elements parses, and the checker
// reports it.
type Tuple struct {
	ReusePos Pos
	Reuse    Reuse
	Lparen   Pos
	Elems    []Term
}

// List is a list literal "[t1, ..., tn]", which stands for
// t1:...:tn:[]. The empty list "[]" is the agent Nil. A Reuse annotation
// applies to the outermost agent.
type List struct {
	ReusePos Pos
	Reuse    Reuse
	Lbrack   Pos
	Elems    []Term
}

// Cons is a cons chain Heads[0]:Heads[1]:...:Tail, or "[h | t]" with one
// head. ':' groups to the right, so the chain is the built-in Cons agent
// nested to the right. A Reuse annotation applies to the outermost Cons.
type Cons struct {
	ReusePos Pos
	Reuse    Reuse
	ConsPos  Pos // position of the first token: the first head, or '['
	Heads    []Term
	Tail     Term
}

// Percent is the function abbreviation "%foo": for an agent foo of arity
// n it stands for ((r, x1, ..., x(n-1)), foo(r, x1, ..., x(n-1))) when n
// >= 2 and for (r, foo(r)) when n = 1, with fresh names r and xi.
type Percent struct {
	PctPos  Pos
	NamePos Pos
	Agent   string
}

// ExprTerm is an integer expression used as a term: an anonymous integer
// agent, as in "r ~ n + 1". A bare name or an upper-case identifier is
// never an ExprTerm; the parser makes them a *Name or an *Agent.
type ExprTerm struct {
	X Expr
}

// ---------------------------------------------------------------------------
// Expressions

// Op is an operator of an integer expression.
type Op uint8

// The operators. Arithmetic is 64-bit two's complement and '/' and '%'
// truncate toward zero. Comparisons and the logical operators give 1 for
// true and 0 for false, and treat 0 as false.
const (
	OpAdd Op = iota + 1 // +
	OpSub               // -
	OpMul               // *
	OpDiv               // /
	OpMod               // %
	OpEq                // ==
	OpNe                // !=
	OpLt                // <
	OpLe                // <=
	OpGt                // >
	OpGe                // >=
	OpAnd               // && and
	OpOr                // || or
	OpNot               // ! not (unary)
	OpNeg               // - (unary)
)

var opText = [...]string{
	OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%",
	OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpAnd: "and", OpOr: "or", OpNot: "not", OpNeg: "-",
}

// String returns the operator's canonical spelling. The logical
// operators print as the words "and", "or" and "not".
func (op Op) String() string {
	if int(op) < len(opText) && opText[op] != "" {
		return opText[op]
	}
	return "?"
}

// IntLit is an integer literal. The parser produces only non-negative
// values, except for the folded literal -9223372036854775808.
type IntLit struct {
	ValuePos Pos
	Value    int64
}

// Ident is a name in an expression: an attribute variable or a binding
// (lower-case), or a constant (upper-case).
type Ident struct {
	NamePos Pos
	Name    string
}

// Unary is "-X" (OpNeg) or "not X" (OpNot).
type Unary struct {
	OpPos Pos
	Op    Op
	X     Expr
}

// Binary is "X op Y".
type Binary struct {
	X     Expr
	OpPos Pos
	Op    Op
	Y     Expr
}

// Rand is "rand(X)": a pseudo-random integer in [0, X).
type Rand struct {
	RandPos Pos
	X       Expr
}

// ---------------------------------------------------------------------------
// Positions and markers

// Pos returns the position of the left pattern.
func (s *Rule) Pos() Pos { return s.Left.Term.Pos() }

// Pos returns the position of the net.
func (s *NetStmt) Pos() Pos { return s.Net.Pos() }

// Pos returns the position of the first name.
func (s *PrintCmd) Pos() Pos { return s.Names[0].NamePos }

// Pos returns the position of the keyword.
func (s *InterfaceCmd) Pos() Pos { return s.CmdPos }

// Pos returns the position of "free".
func (s *FreeCmd) Pos() Pos { return s.CmdPos }

// Pos returns the position of "prnat".
func (s *PrnatCmd) Pos() Pos { return s.CmdPos }

// Pos returns the position of "use".
func (s *UseCmd) Pos() Pos { return s.CmdPos }

// Pos returns the position of "const".
func (s *ConstDecl) Pos() Pos { return s.CmdPos }

// Pos returns the position of "memstat".
func (s *MemstatCmd) Pos() Pos { return s.CmdPos }

// Pos returns the position of "exit".
func (s *ExitCmd) Pos() Pos { return s.CmdPos }

// Pos returns the position of the pattern's term.
func (p *Pattern) Pos() Pos { return p.Term.Pos() }

// Pos returns the position of the first alternative's '|'.
func (g *Guards) Pos() Pos { return g.Alts[0].PipePos }

// Pos returns the position of '|'.
func (g *Guard) Pos() Pos { return g.PipePos }

// Pos returns the position of "if".
func (b *If) Pos() Pos { return b.IfPos }

// Pos returns the position of the first token of the net.
func (n *Net) Pos() Pos { return n.NetPos }

// Pos returns the position of "where", "let" or "{".
func (b *Bindings) Pos() Pos { return b.FormPos }

// Pos returns the position of the bound name.
func (b *Binding) Pos() Pos { return b.NamePos }

// Pos returns the position of the left term.
func (c *Connection) Pos() Pos { return c.Left.Pos() }

// Pos returns the position of the first output, or of "<<" when there
// are none.
func (a *Abbrev) Pos() Pos {
	if len(a.Outs) > 0 {
		return a.Outs[0].Pos()
	}
	return a.OpPos
}

// Pos returns the position of the name.
func (t *Name) Pos() Pos { return t.NamePos }

// Pos returns the position of "int".
func (t *IntVar) Pos() Pos { return t.IntPos }

// Pos returns the position of '%'.
func (t *Percent) Pos() Pos { return t.PctPos }

// Pos returns the position of the expression.
func (t *ExprTerm) Pos() Pos {
	return t.X.Pos()
}

// Pos returns the position of the reuse annotation if there is one, and
// of the agent's name otherwise.
func (t *Agent) Pos() Pos { return reusePos(t.Reuse, t.ReusePos, t.NamePos) }

// Pos returns the position of the reuse annotation if there is one, and
// of '(' otherwise.
func (t *Tuple) Pos() Pos { return reusePos(t.Reuse, t.ReusePos, t.Lparen) }

// Pos returns the position of the reuse annotation if there is one, and
// of '[' otherwise.
func (t *List) Pos() Pos { return reusePos(t.Reuse, t.ReusePos, t.Lbrack) }

// Pos returns the position of the reuse annotation if there is one, and
// of the first token of the chain otherwise.
func (t *Cons) Pos() Pos { return reusePos(t.Reuse, t.ReusePos, t.ConsPos) }

func reusePos(r Reuse, at, otherwise Pos) Pos {
	if r != NoReuse {
		return at
	}
	return otherwise
}

// Pos returns the position of the literal.
func (e *IntLit) Pos() Pos { return e.ValuePos }

// Pos returns the position of the identifier.
func (e *Ident) Pos() Pos { return e.NamePos }

// Pos returns the position of the operator.
func (e *Unary) Pos() Pos { return e.OpPos }

// Pos returns the position of the left operand.
func (e *Binary) Pos() Pos { return e.X.Pos() }

// Pos returns the position of "rand".
func (e *Rand) Pos() Pos { return e.RandPos }

func (*Rule) stmtNode()         {}
func (*NetStmt) stmtNode()      {}
func (*PrintCmd) stmtNode()     {}
func (*InterfaceCmd) stmtNode() {}
func (*FreeCmd) stmtNode()      {}
func (*PrnatCmd) stmtNode()     {}
func (*UseCmd) stmtNode()       {}
func (*ConstDecl) stmtNode()    {}
func (*MemstatCmd) stmtNode()   {}
func (*ExitCmd) stmtNode()      {}

func (*Net) bodyNode()    {}
func (*Guards) bodyNode() {}
func (*If) bodyNode()     {}

func (*Connection) connNode() {}
func (*Abbrev) connNode()     {}

func (*Name) termNode()     {}
func (*Agent) termNode()    {}
func (*IntVar) termNode()   {}
func (*Tuple) termNode()    {}
func (*List) termNode()     {}
func (*Cons) termNode()     {}
func (*Percent) termNode()  {}
func (*ExprTerm) termNode() {}

func (*IntLit) exprNode() {}
func (*Ident) exprNode()  {}
func (*Unary) exprNode()  {}
func (*Binary) exprNode() {}
func (*Rand) exprNode()   {}

// ---------------------------------------------------------------------------
// Lowering

// Lower returns the connection that the abbreviation stands for. In
// general "o1, ..., ok << A(a1, ..., an)" is "A(o1, ..., ok, a1, ...,
// a(n-1)) ~ an": the outputs fill the first auxiliary ports and the last
// argument meets the principal port. Two built-in agents differ:
//
//   - "r << Append(xs, ys)" is "Append(r, ys) ~ xs", so that the operands
//     keep their reading order;
//   - "r << Merger(xs, ys)" is "Merger(r) ~ (xs, ys)": Merger has one
//     auxiliary port and takes the two lists as a pair on its principal
//     port.
//
// The returned terms share the abbreviation's subterms.
func (a *Abbrev) Lower() *Connection {
	args := a.Agent.Args
	agent := &Agent{
		ReusePos: a.Agent.ReusePos, Reuse: a.Agent.Reuse,
		NamePos: a.Agent.NamePos, Name: a.Agent.Name, Parens: true,
	}
	agent.Args = append(agent.Args, a.Outs...)
	var principal Term
	switch {
	case a.Agent.Name == "Merger":
		principal = args[0]
		if len(args) > 1 {
			principal = &Tuple{Lparen: args[0].Pos(), Elems: args}
		}
	case a.Agent.Name == "Append" && len(args) == 2:
		agent.Args = append(agent.Args, args[1])
		principal = args[0]
	default:
		agent.Args = append(agent.Args, args[:len(args)-1]...)
		principal = args[len(args)-1]
	}
	return &Connection{Left: agent, TildePos: a.OpPos, Right: principal}
}
