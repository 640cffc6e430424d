package lang

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// The parser is a recursive-descent parser over the whole token list,
// which the lexer produces up front. A syntax error abandons the current
// statement: the parser records the error and panics with bailout, the
// statement loop recovers, skips to the ';' that ends the statement and
// goes on, so one run reports errors from many statements. Only bailout
// and tooMany are recovered; any other panic, runtime errors included, is
// a bug in the parser and propagates to the caller.
//
// Recursion follows the nesting of the source (agents in agents,
// parentheses, guards), and a depth counter stops it at maxDepth levels.
// Sequences that are long but flat, such as list literals, cons chains
// and chains of one operator, are parsed with loops.

// Mode is a set of flags that change how the parser works.
type Mode uint

const (
	// AllErrors makes the parser report every error it finds. Without it
	// the parser keeps only the first error of each line and stops after
	// 10 errors.
	AllErrors Mode = 1 << iota
)

const (
	maxErrors = 10
	// maxDepth bounds the nesting of terms, expressions and rule bodies.
	// It is far beyond what programs use. At this depth the parser, the
	// checker and the printer need between 64 and 128 MB of goroutine
	// stack (measured on amd64), well below Go's default maximum of 1 GB.
	maxDepth = 100000
)

// ParseFile parses a whole program. The error, if any, is an ErrorList
// sorted by position. The returned Program holds the statements that
// parsed, so it is partial when there are errors.
func ParseFile(filename string, src []byte, mode Mode) (*Program, error) {
	p := newParser(filename, src, mode)
	prog := &Program{File: filename}
	p.run(func() {
		for p.tok.kind != tEOF {
			if p.got(tSemi) {
				continue // an empty statement
			}
			if s := p.stmtOrSkip(); s != nil {
				prog.Stmts = append(prog.Stmts, s)
			}
		}
	})
	return prog, p.finish()
}

// ParseStmt parses the first statement of src, for a read-eval-print loop
// that reads a statement at a time. It returns the statement and the
// number of bytes of src up to and including the statement's ';'. The
// caller passes the rest of src to the next call. Positions count from
// the start of src.
//
// When src holds no statement, only blanks, comments and empty
// statements, ParseStmt returns a nil Stmt and io.EOF. When the statement
// is not finished, IsIncomplete(err) is true and the caller should read
// more input and call ParseStmt again with the longer text. Errors that
// lie after the statement are left for the next call.
func ParseStmt(filename string, src []byte, mode Mode) (Stmt, int, error) {
	p := newParser(filename, src, mode)
	var s Stmt
	p.run(func() {
		for p.got(tSemi) {
		}
		if p.tok.kind != tEOF {
			s = p.stmtOrSkip()
		}
	})
	// After a statement, or after skipping a faulty one, the last token
	// consumed is its ';', unless the input ended first. Too many errors
	// can stop the parser before it consumes a token: the whole input is
	// then taken, with its errors.
	n := len(src)
	if (p.tok.kind != tEOF || s != nil) && p.i > 0 {
		n = int(p.toks.at(p.i - 1).end)
	}
	if s != nil {
		// Keep only the errors up to the statement's ';': a lexical
		// error further on belongs to a later statement.
		semi := *p.toks.at(p.i - 1)
		kept := p.errs[:0]
		for _, e := range p.errs {
			if !p.pos(semi).before(e.Pos) {
				kept = append(kept, e)
			}
		}
		p.errs = kept
	}
	if err := p.finish(); err != nil {
		return nil, n, err
	}
	if s == nil {
		return nil, len(src), io.EOF
	}
	return s, n, nil
}

type parser struct {
	toks  *tokenList
	i     int   // index of tok in toks
	tok   token // the current token
	mode  Mode
	errs  ErrorList
	lines map[Pos]bool // file and line of each error, to count them per line
	depth int          // nesting level of the recursion
	// stopped is set when the parse ended at maxErrors errors.
	stopped bool
}

// bailout abandons the current statement after a syntax error.
type bailout struct{}

// tooMany stops the parse after maxErrors errors.
type tooMany struct{}

func newParser(filename string, src []byte, mode Mode) *parser {
	p := &parser{mode: mode, lines: map[Pos]bool{}}
	p.toks = lex(filename, src, func(pos Pos, msg string, atEOF bool) {
		p.errs = append(p.errs, &Error{Pos: pos, Msg: msg, atEOF: atEOF})
		p.lines[Pos{File: pos.File, Line: pos.Line}] = true
	})
	p.tok = *p.toks.at(0)
	return p
}

// run calls parse and recovers from the panic that ends parsing early.
func (p *parser) run(parse func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(tooMany); !ok {
				panic(r)
			}
			p.stopped = true
		}
	}()
	parse()
}

func (p *parser) finish() error {
	if p.mode&AllErrors != 0 {
		p.errs.Sort()
		return p.errs.Err()
	}
	p.errs.RemoveMultiples()
	if len(p.errs) > maxErrors {
		p.errs = p.errs[:maxErrors]
		p.stopped = true
	}
	if p.stopped && len(p.errs) > 0 {
		// Say that the list is cut short, at the last error reported.
		last := p.errs[len(p.errs)-1]
		p.errs = append(p.errs, &Error{Pos: last.Pos, Msg: "too many errors; the rest of the file was not checked"})
	}
	return p.errs.Err()
}

// ---------------------------------------------------------------------------
// Tokens and errors

func (p *parser) next() {
	if p.i < p.toks.len()-1 {
		p.i++
	}
	p.tok = *p.toks.at(p.i)
}

// pos returns the position of t.
func (p *parser) pos(t token) Pos { return p.toks.pos(t) }

// text returns the text of t: the decoded value of a string, the source
// text of any other token.
func (p *parser) text(t token) string { return p.toks.text(t) }

// peek returns the token n places after the current one.
func (p *parser) peek(n int) token {
	return *p.toks.at(min(p.i+n, p.toks.len()-1))
}

// got consumes the current token if it has kind k.
func (p *parser) got(k tokKind) bool {
	if p.tok.kind == k {
		p.next()
		return true
	}
	return false
}

// want consumes a token of kind k, or fails with "expected k<context>,
// found ...".
func (p *parser) want(k tokKind, context string) token {
	t := p.tok
	if t.kind != k {
		if k == tSemi {
			p.missingSemi(context)
		}
		p.failExpected(k.String() + context)
	}
	p.next()
	return t
}

// missingSemi reports a missing ';' at the end of the line that lacks
// it, when the token found instead starts a later line: the mistake is
// where the statement ends, not where the next one starts.
func (p *parser) missingSemi(context string) {
	t := p.tok
	if p.i == 0 {
		return
	}
	prev := *p.toks.at(p.i - 1)
	if prev.line >= t.line {
		return
	}
	end := p.pos(prev)
	end.Col += int(prev.end - prev.off)
	found := p.toks.describe(t)
	if t.kind != tEOF {
		found += " at " + p.pos(t).relativeTo(end)
	}
	p.report(end, "expected "+tSemi.String()+context+", found "+found, t.kind == tEOF)
	panic(bailout{})
}

// wantClose consumes the token that closes the bracket opened at open.
func (p *parser) wantClose(k tokKind, open token) {
	if p.tok.kind != k {
		p.failExpected(fmt.Sprintf("%s to close %s at %s",
			k, open.kind, p.pos(open).relativeTo(p.pos(p.tok))))
	}
	p.next()
}

// report records an error without abandoning the statement.
func (p *parser) report(pos Pos, msg string, atEOF bool) {
	p.errs = append(p.errs, &Error{Pos: pos, Msg: msg, atEOF: atEOF})
	if p.mode&AllErrors != 0 {
		return
	}
	p.lines[Pos{File: pos.File, Line: pos.Line}] = true
	if len(p.lines) >= maxErrors {
		panic(tooMany{})
	}
}

// fail records an error at pos and abandons the statement.
func (p *parser) fail(pos Pos, msg string) {
	p.report(pos, msg, false)
	panic(bailout{})
}

// failExpected reports that the current token is not what the grammar
// needs here.
func (p *parser) failExpected(what string) {
	p.report(p.pos(p.tok), "expected "+what+", found "+p.toks.describe(p.tok), p.tok.kind == tEOF)
	panic(bailout{})
}

// enter counts one level of nesting and fails past maxDepth.
func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.pos(p.tok), fmt.Sprintf("nesting too deep: more than %d levels", maxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

// ---------------------------------------------------------------------------
// Statements

// stmtOrSkip parses a statement. After a syntax error it skips to the end
// of the statement and returns nil.
func (p *parser) stmtOrSkip() (s Stmt) {
	start := p.i
	p.depth = 0
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
			p.skipStmt(start)
			s = nil
		}
	}()
	return p.stmt()
}

// skipStmt moves past the ';' that ends the statement which started at
// token start and failed at the current token. A ';' inside "let ... in"
// or "{ ... }" does not end the statement. If counting those never finds
// an end, the first ';' after the error does.
func (p *parser) skipStmt(start int) {
	errAt := p.i
	depth := 0
	for j := start; j < p.toks.len(); j++ {
		switch p.toks.at(j).kind {
		case kwLet, tLbrace:
			depth++
		case kwEnd, tRbrace:
			depth--
		case tSemi:
			if depth <= 0 && j >= errAt {
				p.i = j
				p.next()
				return
			}
		}
	}
	for p.tok.kind != tEOF && p.tok.kind != tSemi {
		p.next()
	}
	p.next()
}

func (p *parser) stmt() Stmt {
	switch p.tok.kind {
	case kwFree:
		return p.freeCmd()
	case kwIfce, kwInterface:
		s := &InterfaceCmd{CmdPos: p.pos(p.tok), Long: p.tok.kind == kwInterface}
		p.next()
		p.want(tSemi, " after "+p.text(*p.toks.at(p.i - 1)))
		return s
	case kwPrnat:
		s := &PrnatCmd{CmdPos: p.pos(p.tok)}
		p.next()
		t := p.want(tName, " after prnat")
		s.Name = &Name{NamePos: p.pos(t), Name: p.text(t)}
		p.want(tSemi, " after prnat name")
		return s
	case kwUse:
		s := &UseCmd{CmdPos: p.pos(p.tok)}
		p.next()
		t := p.want(tString, " after use")
		if p.text(t) == "" {
			p.fail(p.pos(t), "use needs a file name, found \"\"")
		}
		s.PathPos, s.Path = p.pos(t), p.text(t)
		p.want(tSemi, " after use \"file\"")
		return s
	case kwConst:
		return p.constDecl()
	case kwMemstat:
		s := &MemstatCmd{CmdPos: p.pos(p.tok)}
		p.next()
		p.want(tSemi, " after memstat")
		return s
	case kwExit:
		s := &ExitCmd{CmdPos: p.pos(p.tok)}
		p.next()
		p.want(tSemi, " after exit")
		return s
	case tName:
		// A name alone at the end of the input is a print command that
		// lacks its ';', because a net needs a '~' or '<<'.
		if k := p.peek(1).kind; k == tName || k == tSemi || k == tEOF {
			return p.printCmd()
		}
	case kwLet, tLbrace, tAbbrev:
		net := p.net()
		p.want(tSemi, " after net")
		return &NetStmt{Net: net}
	}
	if !startsTerm(p.tok.kind) {
		p.failExpected("rule, net or command")
	}
	first := p.term()
	if p.tok.kind == tCross {
		return p.rule(first)
	}
	net := p.netFrom(first)
	p.want(tSemi, " after net")
	return &NetStmt{Net: net}
}

func startsTerm(k tokKind) bool {
	switch k {
	case tName, tAgent, tNum, tSub, tNot, kwRand, tLparen, tLbrack, tMod,
		kwInt, tReuseL, tReuseR:
		return true
	}
	return false
}

func (p *parser) printCmd() *PrintCmd {
	s := &PrintCmd{Names: p.nameList()}
	p.want(tSemi, " after names to print")
	return s
}

// nameList reads the names of a print or free command. A name on a later
// line than the token before it, followed by something other than a name
// or ';', starts the next statement, as in "a\nb ~ B;". The ';' is then
// missing at the end of the line before it.
func (p *parser) nameList() []*Name {
	var names []*Name
	for p.tok.kind == tName {
		if p.i > 0 && p.pos(p.tok).Line > p.pos(*p.toks.at(p.i - 1)).Line {
			if k := p.peek(1).kind; k != tName && k != tSemi && k != tEOF {
				break
			}
		}
		names = append(names, &Name{NamePos: p.pos(p.tok), Name: p.text(p.tok)})
		p.next()
	}
	return names
}

func (p *parser) freeCmd() *FreeCmd {
	s := &FreeCmd{CmdPos: p.pos(p.tok)}
	p.next()
	switch p.tok.kind {
	case kwIfce, kwInterface:
		s.All, s.Long = true, p.tok.kind == kwInterface
		p.next()
	default:
		s.Names = p.nameList()
	}
	if p.tok.kind != tSemi {
		p.missingSemi(" after free")
		if s.All {
			p.failExpected("';' after free " + p.text(*p.toks.at(p.i - 1)))
		}
		p.failExpected("name or ';' in free")
	}
	p.next()
	return s
}

func (p *parser) constDecl() *ConstDecl {
	s := &ConstDecl{CmdPos: p.pos(p.tok)}
	p.next()
	if p.tok.kind == tName {
		p.fail(p.pos(p.tok), "constant names start with an upper-case letter, found name "+p.text(p.tok))
	}
	if p.tok.kind != tAgent {
		p.failExpected("constant name after const")
	}
	t := p.tok
	p.next()
	if p.tok.kind == tLparen {
		p.failExpected("'=' after constant name")
	}
	s.NamePos, s.Name = p.pos(t), p.text(t)
	p.want(tAssign, " after constant name")
	s.Value = p.expr()
	p.want(tSemi, " after constant value")
	return s
}

// ---------------------------------------------------------------------------
// Rules

func (p *parser) rule(left Term) *Rule {
	r := &Rule{CrossPos: p.pos(p.tok)}
	p.next()
	right := p.term()
	r.Left = p.pattern(left)
	r.Right = p.pattern(right)
	switch p.tok.kind {
	case tArrow:
		p.next()
		if p.tok.kind == tSemi {
			r.Body = &Net{NetPos: p.pos(p.tok)}
		} else {
			r.Body = p.ruleBody()
		}
	case tPipe:
		r.Body = p.guards()
	default:
		p.failExpected("'=>' or '|' after the rule's agents")
	}
	p.want(tSemi, " after rule")
	return r
}

func (p *parser) ruleBody() RuleBody {
	switch p.tok.kind {
	case tPipe:
		return p.guards()
	case kwIf:
		return p.ifBody()
	}
	return p.net()
}

// guards parses alternatives up to and including the default "_", so a
// nested list ends there and a following '|' belongs to the outer list.
func (p *parser) guards() *Guards {
	p.enter()
	g := &Guards{}
	for p.tok.kind == tPipe {
		alt := &Guard{PipePos: p.pos(p.tok)}
		p.next()
		if !p.got(tWild) {
			alt.Cond = p.expr()
		}
		p.want(tArrow, " after guard condition")
		alt.Body = p.ruleBody()
		g.Alts = append(g.Alts, alt)
		if alt.Cond == nil {
			break
		}
	}
	p.leave()
	return g
}

func (p *parser) ifBody() *If {
	p.enter()
	b := &If{IfPos: p.pos(p.tok)}
	p.next()
	b.Cond = p.expr()
	p.want(kwThen, " after if condition")
	b.Then = p.ruleBody()
	p.want(kwElse, " after then branch")
	b.Else = p.ruleBody()
	p.leave()
	return b
}

// pattern checks that a rule side has a form a rule can match and derives
// its agent and ports.
func (p *parser) pattern(t Term) *Pattern {
	pat := &Pattern{Term: t, Kind: PatAgent}
	switch t := t.(type) {
	case *Name:
		pat.Kind, pat.Wildcard = PatWildcard, t
	case *IntVar:
		pat.Kind = PatInt
		pat.Ports = []*Param{{NamePos: t.NamePos, Name: t.Name, Attr: true}}
	case *Agent:
		p.noReuseInPattern(t.Reuse, t.ReusePos)
		pat.Agent = t.Name
		pat.Ports = p.params(t.Args)
	case *Tuple:
		p.noReuseInPattern(t.Reuse, t.ReusePos)
		pat.Agent = TupleAgent(len(t.Elems))
		pat.Ports = p.params(t.Elems)
	case *List:
		p.noReuseInPattern(t.Reuse, t.ReusePos)
		if len(t.Elems) > 0 {
			p.fail(t.Pos(),
				"a list in a rule pattern must be [] or a cons such as x:xs, found a list literal with elements")
		}
		pat.Agent = AgentNil
	case *Cons:
		p.noReuseInPattern(t.Reuse, t.ReusePos)
		if len(t.Heads) != 1 {
			msg := "a cons in a rule pattern must be a head and a tail such as x:xs, found a chain of %d heads"
			p.fail(t.Pos(), fmt.Sprintf(msg, len(t.Heads)))
		}
		pat.Agent = AgentCons
		pat.Ports = p.params([]Term{t.Heads[0], t.Tail})
	default:
		p.fail(t.Pos(),
			"expected an agent, (int x) or a name as a side of a rule, found "+describeTerm(t))
	}
	return pat
}

func (p *parser) noReuseInPattern(r Reuse, pos Pos) {
	if r != NoReuse {
		p.fail(pos, "reuse annotations belong in rule bodies, found one in a rule's left-hand side")
	}
}

func (p *parser) params(args []Term) []*Param {
	ps := make([]*Param, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case *Name:
			ps[i] = &Param{NamePos: a.NamePos, Name: a.Name}
		case *IntVar:
			ps[i] = &Param{NamePos: a.NamePos, Name: a.Name, Attr: true}
		default:
			p.fail(a.Pos(),
				"expected a name or int x as an argument in a rule pattern, found "+describeTerm(a))
		}
	}
	return ps
}

// ---------------------------------------------------------------------------
// Nets

// net parses a net in any of its three forms with bindings, or without.
func (p *parser) net() *Net {
	open := p.tok
	switch open.kind {
	case kwLet:
		p.next()
		b := &Bindings{Form: BindLet, FormPos: p.pos(open)}
		if p.tok.kind != kwIn {
			b.List = p.bindingList(kwIn)
		}
		p.want(kwIn, " after let bindings")
		conns := p.conns(nil)
		p.wantClose(kwEnd, open)
		return &Net{NetPos: p.pos(open), Binds: b, Conns: conns}
	case tLbrace:
		p.next()
		b := &Bindings{Form: BindBlock, FormPos: p.pos(open)}
		if p.tok.kind != tRbrace {
			b.List = p.bindingList(tRbrace)
		}
		p.wantClose(tRbrace, open)
		return &Net{NetPos: p.pos(open), Binds: b, Conns: p.conns(nil)}
	}
	return p.netFrom(nil)
}

// bindingList parses bindings separated by ';', with an optional ';'
// before the closing token.
func (p *parser) bindingList(closing tokKind) []*Binding {
	var list []*Binding
	for {
		list = append(list, p.binding())
		if !p.got(tSemi) || p.tok.kind == closing {
			return list
		}
	}
}

func (p *parser) binding() *Binding {
	t := p.want(tName, " to bind")
	p.want(tAssign, " after "+p.text(t))
	return &Binding{NamePos: p.pos(t), Name: p.text(t), Value: p.expr()}
}

// netFrom parses connections and an optional where clause. first, when
// not nil, is the already parsed first term.
func (p *parser) netFrom(first Term) *Net {
	n := &Net{NetPos: p.pos(p.tok)}
	if first != nil {
		n.NetPos = first.Pos()
	}
	n.Conns = p.conns(first)
	if p.tok.kind == kwWhere {
		n.Binds = &Bindings{Form: BindWhere, FormPos: p.pos(p.tok)}
		p.next()
		for p.tok.kind == tName && p.peek(1).kind == tAssign {
			n.Binds.List = append(n.Binds.List, p.binding())
		}
	}
	return n
}

func (p *parser) conns(first Term) []Conn {
	cs := []Conn{p.conn(first)}
	for p.got(tComma) {
		cs = append(cs, p.conn(nil))
	}
	return cs
}

func (p *parser) conn(first Term) Conn {
	if first == nil {
		if p.tok.kind == tAbbrev {
			return p.abbrev(nil)
		}
		if !startsTerm(p.tok.kind) {
			p.failExpected("connection")
		}
		first = p.term()
	}
	switch p.tok.kind {
	case tTilde:
		c := &Connection{Left: first, TildePos: p.pos(p.tok)}
		p.next()
		c.Right = p.term()
		return c
	case tComma, tAbbrev:
		outs := []Term{first}
		for p.got(tComma) {
			outs = append(outs, p.term())
		}
		if p.tok.kind != tAbbrev {
			p.failExpected("'<<' after a list of terms")
		}
		return p.abbrev(outs)
	}
	p.failExpected("'~' or '<<' after term")
	return nil
}

func (p *parser) abbrev(outs []Term) *Abbrev {
	a := &Abbrev{Outs: outs, OpPos: p.pos(p.tok)}
	p.next()
	reuse, reusePos := p.reuse()
	if p.tok.kind != tAgent || p.peek(1).kind != tLparen {
		p.failExpected("agent with arguments after '<<'")
	}
	a.Agent = p.agent()
	a.Agent.Reuse, a.Agent.ReusePos = reuse, reusePos
	if len(a.Agent.Args) == 0 {
		p.fail(a.Agent.NamePos, "expected at least one argument in "+a.Agent.Name+
			"() after '<<', whose last argument meets the principal port")
	}
	return a
}

// reuse consumes a reuse annotation if there is one.
func (p *parser) reuse() (Reuse, Pos) {
	switch p.tok.kind {
	case tReuseL:
		pos := p.pos(p.tok)
		p.next()
		return ReuseLeft, pos
	case tReuseR:
		pos := p.pos(p.tok)
		p.next()
		return ReuseRight, pos
	}
	return NoReuse, Pos{}
}

// ---------------------------------------------------------------------------
// Terms

// term parses a term, which may be a cons chain "a:b:c".
func (p *parser) term() Term {
	p.enter()
	first := p.annotatedItem()
	if p.tok.kind != tColon {
		p.leave()
		return first
	}
	c := &Cons{ConsPos: first.Pos(), Heads: []Term{first}}
	for p.got(tColon) {
		c.Heads = append(c.Heads, p.annotatedItem())
	}
	c.Tail = c.Heads[len(c.Heads)-1]
	c.Heads = c.Heads[:len(c.Heads)-1]
	mergeTail(c)
	p.leave()
	return c
}

// mergeTail flattens a cons chain whose tail is an unannotated chain, as
// in "a:(b:c)", so that equal lists have one shape in the tree.
func mergeTail(c *Cons) {
	if t, ok := c.Tail.(*Cons); ok && t.Reuse == NoReuse {
		c.Heads = append(c.Heads, t.Heads...)
		c.Tail = t.Tail
	}
}

func (p *parser) annotatedItem() Term {
	reuse, pos := p.reuse()
	if reuse == NoReuse {
		return p.item()
	}
	t := p.item()
	switch t := t.(type) {
	case *Agent:
		if t.Reuse == NoReuse {
			t.Reuse, t.ReusePos = reuse, pos
			return t
		}
	case *Tuple:
		if t.Reuse == NoReuse {
			t.Reuse, t.ReusePos = reuse, pos
			return t
		}
	case *List:
		if t.Reuse == NoReuse {
			t.Reuse, t.ReusePos = reuse, pos
			return t
		}
	case *Cons:
		if t.Reuse == NoReuse {
			t.Reuse, t.ReusePos = reuse, pos
			return t
		}
	}
	p.fail(pos,
		"expected an agent, a tuple or a list after a reuse annotation, found "+describeTerm(t))
	return nil
}

func (p *parser) item() Term {
	switch p.tok.kind {
	case tAgent:
		if p.peek(1).kind == tLparen {
			return p.noOperator(p.agent())
		}
		return p.exprItem()
	case tName, tNum, tSub, tNot, kwRand:
		return p.exprItem()
	case tLparen:
		return p.parenItem()
	case tLbrack:
		return p.noOperator(p.list())
	case tMod:
		pct := &Percent{PctPos: p.pos(p.tok)}
		p.next()
		if p.tok.kind != tAgent && p.tok.kind != tName {
			p.failExpected("agent name after '%'")
		}
		pct.NamePos, pct.Agent = p.pos(p.tok), p.text(p.tok)
		p.next()
		return p.noOperator(pct)
	case kwInt:
		v := &IntVar{IntPos: p.pos(p.tok)}
		p.next()
		t := p.want(tName, " after int")
		v.NamePos, v.Name = p.pos(t), p.text(t)
		return p.noOperator(v)
	}
	p.failExpected("term")
	return nil
}

// noOperator fails when a term that is not an integer is followed by an
// arithmetic or comparison operator.
func (p *parser) noOperator(t Term) Term {
	if _, lvl := binaryOp(p.tok.kind); lvl != 0 {
		p.fail(p.pos(p.tok), fmt.Sprintf("expected integer expression before %s, found %s",
			p.tok.kind, describeTerm(t)))
	}
	return t
}

// exprItem parses an expression in term position and turns a lone
// identifier into a name or an agent.
func (p *parser) exprItem() Term {
	return exprToTerm(p.binaryExpr(levelEq))
}

func exprToTerm(e Expr) Term {
	if id, ok := e.(*Ident); ok {
		if isLower(id.Name[0]) {
			return &Name{NamePos: id.NamePos, Name: id.Name}
		}
		return &Agent{NamePos: id.NamePos, Name: id.Name}
	}
	return &ExprTerm{X: e}
}

// parenItem parses "()", "(t)" and tuples. "(t)" is t, and when an
// operator follows, t is the first operand of an expression, as in
// "(n - 1) * 2".
func (p *parser) parenItem() Term {
	open := p.tok
	p.next()
	if p.got(tRparen) {
		return p.noOperator(&Tuple{Lparen: p.pos(open)})
	}
	elems := []Term{p.term()}
	for p.got(tComma) {
		elems = append(elems, p.term())
	}
	p.wantClose(tRparen, open)
	if len(elems) > 1 {
		return p.noOperator(&Tuple{Lparen: p.pos(open), Elems: elems})
	}

	t := elems[0]
	if _, lvl := binaryOp(p.tok.kind); lvl == 0 {
		return t
	}

	var x Expr
	switch t := t.(type) {
	case *ExprTerm:
		x = t.X
	case *Name:
		x = &Ident{NamePos: t.NamePos, Name: t.Name}
	case *Agent:
		if !t.Parens && t.Reuse == NoReuse {
			x = &Ident{NamePos: t.NamePos, Name: t.Name}
		}
	}
	if x == nil {
		return p.noOperator(t)
	}

	return &ExprTerm{X: p.binaryFrom(x, levelEq)}
}

func (p *parser) agent() *Agent {
	a := &Agent{NamePos: p.pos(p.tok), Name: p.text(p.tok), Parens: true}
	p.next()
	open := p.tok
	p.next()
	if p.got(tRparen) {
		return a
	}
	for {
		a.Args = append(a.Args, p.term())
		if !p.got(tComma) {
			break
		}
	}
	p.wantClose(tRparen, open)
	return a
}

// list parses "[]", "[t1, ..., tn]" and "[h | t]".
func (p *parser) list() Term {
	open := p.tok
	p.next()
	if p.got(tRbrack) {
		return &List{Lbrack: p.pos(open)}
	}
	first := p.term()
	if p.got(tPipe) {
		c := &Cons{ConsPos: p.pos(open), Heads: []Term{first}, Tail: p.term()}
		p.wantClose(tRbrack, open)
		mergeTail(c)
		return c
	}
	l := &List{Lbrack: p.pos(open), Elems: []Term{first}}
	for p.got(tComma) {
		l.Elems = append(l.Elems, p.term())
	}
	if p.tok.kind == tPipe {
		p.fail(p.pos(p.tok),
			"expected ']', found '|': only one element may come before '|' in [h | t]")
	}
	p.wantClose(tRbrack, open)
	return l
}

// describeTerm names a term for a "found ..." part of a message.
func describeTerm(t Term) string {
	switch t := t.(type) {
	case *Name:
		return "name " + t.Name
	case *Agent:
		return "agent " + t.Name
	case *IntVar:
		return "int " + t.Name
	case *Tuple:
		return fmt.Sprintf("a tuple of %d elements", len(t.Elems))
	case *List:
		return "a list"
	case *Cons:
		return "a cons"
	case *Percent:
		return "%" + t.Agent
	case *ExprTerm:
		if x, ok := t.X.(*IntLit); ok {
			return "integer " + x.String()
		}
		return "an integer expression"
	}
	return "a term"
}

// ---------------------------------------------------------------------------
// Expressions

// binaryOp returns the operator and precedence level of a binary
// operator token, or level 0 for any other token.
func binaryOp(k tokKind) (Op, int) {
	switch k {
	case tEq:
		return OpEq, levelEq
	case tNe:
		return OpNe, levelEq
	case tAnd:
		return OpAnd, levelLogic
	case tOr:
		return OpOr, levelLogic
	case tLt:
		return OpLt, levelRel
	case tLe:
		return OpLe, levelRel
	case tGt:
		return OpGt, levelRel
	case tGe:
		return OpGe, levelRel
	case tAdd:
		return OpAdd, levelAdd
	case tSub:
		return OpSub, levelAdd
	case tMul:
		return OpMul, levelMul
	case tDiv:
		return OpDiv, levelMul
	case tMod:
		return OpMod, levelMul
	}
	return 0, 0
}

func (p *parser) expr() Expr { return p.binaryExpr(levelEq) }

// binaryExpr parses an expression whose operators all have at least the
// level min. A prefix "not" is allowed only where min admits the logical
// level, and it applies to a whole comparison.
func (p *parser) binaryExpr(min int) Expr {
	var x Expr
	if p.tok.kind == tNot && min <= levelLogic {
		x = p.notExpr()
	} else {
		x = p.unaryExpr()
	}
	return p.binaryFrom(x, min)
}

// binaryFrom continues an expression whose first operand is x. Operators
// of one level group to the left. The right operand of '*', '/' and '%'
// is a primary, and that of "and" and "or" is a comparison or another
// "not".
func (p *parser) binaryFrom(x Expr, min int) Expr {
	chain := 0
	for {
		op, lvl := binaryOp(p.tok.kind)
		if lvl == 0 || lvl < min {
			return x
		}
		// A long chain is not recursion here, but it makes a tree as
		// deep as it is long, which later passes walk recursively.
		if chain++; p.depth+chain > maxDepth {
			p.fail(p.pos(p.tok), fmt.Sprintf("expression too long: more than %d operators in a chain",
				maxDepth))
		}
		opPos := p.pos(p.tok)
		p.next()
		var y Expr
		switch lvl {
		case levelMul:
			y = p.primaryExpr()
		case levelLogic:
			if p.tok.kind == tNot {
				y = p.notExpr()
			} else {
				y = p.binaryExpr(levelRel)
			}
		default:
			y = p.binaryExpr(lvl + 1)
		}
		x = &Binary{X: x, OpPos: opPos, Op: op, Y: y}
	}
}

func (p *parser) notExpr() Expr {
	p.enter()
	u := &Unary{OpPos: p.pos(p.tok), Op: OpNot}
	p.next()
	if p.tok.kind == tNot {
		u.X = p.notExpr()
	} else {
		u.X = p.binaryExpr(levelRel)
	}
	p.leave()
	return u
}

// unaryExpr parses a primary with an optional unary minus. "-" directly
// before 9223372036854775808 folds into one literal, the only way to
// write the smallest int64.
func (p *parser) unaryExpr() Expr {
	if p.tok.kind != tSub {
		return p.primaryExpr()
	}
	pos := p.pos(p.tok)
	p.next()
	if p.tok.kind == tNum && strings.TrimLeft(p.text(p.tok), "0") == "9223372036854775808" {
		p.next()
		return &IntLit{ValuePos: pos, Value: math.MinInt64}
	}
	return &Unary{OpPos: pos, Op: OpNeg, X: p.primaryExpr()}
}

func (p *parser) primaryExpr() Expr {
	t := p.tok
	switch t.kind {
	case tNum:
		p.next()
		v, ok := parseIntLit(p.text(t))
		if !ok {
			p.report(p.pos(t),
				"integer "+p.text(t)+" out of range: literals must fit in a signed 64-bit integer", false)
		}
		return &IntLit{ValuePos: p.pos(t), Value: v}
	case tName:
		p.next()
		return &Ident{NamePos: p.pos(t), Name: p.text(t)}
	case tAgent:
		if p.peek(1).kind == tLparen {
			break
		}
		p.next()
		return &Ident{NamePos: p.pos(t), Name: p.text(t)}
	case tLparen:
		p.enter()
		p.next()
		x := p.expr()
		p.wantClose(tRparen, t)
		p.leave()
		return x
	case kwRand:
		p.next()
		open := p.want(tLparen, " after rand")
		x := p.expr()
		p.wantClose(tRparen, open)
		return &Rand{RandPos: p.pos(t), X: x}
	}
	p.failExpected("integer expression")
	return nil
}
