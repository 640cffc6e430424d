package annette

import (
	"fmt"

	"github.com/annette-go/annette/internal/engine"
	"github.com/annette-go/annette/lang"
)

// netBuilder builds one top-level net statement into the network.
//
// Every occurrence of a name stands for an end of a wire cell. A name
// already in the interface is consumed: its cell loses the interface as
// an end and gains this occurrence. A new name that occurs twice in the
// statement is an internal wire between its two places. A new name that
// occurs once joins the interface. Each agent slot then holds the cell's
// word, and each connection links the words of its two sides, which makes
// an active pair when both are agents.
type netBuilder struct {
	ip   *Interpreter
	n    *Network
	env  map[string]int64       // where/let bindings
	vars map[string]engine.Port // name → its cell for this statement

	// dry makes term evaluate the statement's integer expressions into
	// vals, in the order that building meets them, and build nothing.
	// A statement whose expression fails then leaves the network as it
	// was, and rand draws its numbers in the same order as before.
	dry  bool
	vals map[*lang.ExprTerm]int64

	built bool // build has started to change the network
}

func (b *netBuilder) build(net *lang.Net) error {
	b.env = map[string]int64{}
	if net.Binds != nil {
		for _, bd := range net.Binds.List {
			v, err := b.ip.evalExpr(bd.Value, b.env)
			if err != nil {
				return err
			}
			b.env[bd.Name] = v
		}
	}
	conns := make([]*lang.Connection, len(net.Conns))
	for i, c := range net.Conns {
		conns[i] = connection(c)
	}
	b.dry, b.vals = true, map[*lang.ExprTerm]int64{}
	for _, c := range conns {
		for _, t := range []lang.Term{c.Left, c.Right} {
			if _, err := b.term(t); err != nil {
				return err
			}
		}
	}

	// Count the occurrences of each name and decide what its cell is.
	counts := map[string]int{}
	var order []string
	for _, c := range conns {
		b.names(c.Left, counts, &order)
		b.names(c.Right, counts, &order)
	}
	for _, name := range order {
		// The checker rejects this when it can tell that the name is in the
		// interface, but after a free or use statement it cannot.
		// Consuming the name twice would link its cell to itself.
		if _, live := b.n.names[name]; live && counts[name] > 1 {
			return fmt.Errorf("name %s is already in the interface, so it may occur only once more, found %d occurrences",
				name, counts[name])
		}
	}
	b.dry, b.built = false, true
	b.vars = make(map[string]engine.Port, len(counts))
	w := b.n.w
	for _, name := range order {
		// A name used again is dropped, so join the names that a run
		// left on one wire first. Otherwise its partner reads as <a1>.
		if _, live := b.n.names[name]; live {
			b.n.joinNameWires()
			break
		}
	}
	for _, name := range order {
		if nm, live := b.n.names[name]; live {
			b.vars[name] = nm.cell
			b.n.dropName(name)
			continue
		}
		if counts[name] == 2 {
			b.vars[name] = w.NewVar()
			continue
		}
		b.n.Name(name)
		if _, seen := b.ip.nameSlot[name]; !seen {
			b.ip.nameSlot[name] = len(b.ip.nameSlot)
		}
		// The net connects the name below, past the builder of Connect:
		// mark it, for Take and Connect.
		b.n.names[name].connected = true
		b.vars[name] = b.n.names[name].cell
	}

	// Build and link.
	for _, c := range conns {
		x, err := b.term(c.Left)
		if err != nil {
			return err
		}
		y, err := b.term(c.Right)
		if err != nil {
			return err
		}
		if _, ok := c.Left.(*lang.Name); ok && x.IsVar() {
			if wire := w.Cell(x); wire.IsVar() {
				// A name on the left that already reads as a wire hands
				// that wire to the right side, as Inpla does: after
				// x ~ y, the connection x ~ z makes z read as y. Link
				// from the left would make y read as z instead.
				b.n.freeWire(x)
				w.Link(y, wire)
				continue
			}
		}
		w.Link(x, y)
	}
	return nil
}

// connection returns the plain connection c stands for, lowering the <<
// abbreviation.
func connection(c lang.Conn) *lang.Connection {
	if a, ok := c.(*lang.Abbrev); ok {
		return a.Lower()
	}
	return c.(*lang.Connection)
}

// names counts the wire names in t, without recursion. It meets them in
// the order in which Inpla creates them, because that order decides the
// order of ifce. The arguments of an agent and the parts of a list come
// from the last to the first, and the elements of a tuple from the first
// to the last.
func (b *netBuilder) names(t lang.Term, counts map[string]int, order *[]string) {
	stack := []lang.Term{t}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch t := t.(type) {
		case *lang.Name:
			if _, bound := b.env[t.Name]; bound {
				continue
			}
			if counts[t.Name] == 0 {
				*order = append(*order, t.Name)
			}
			counts[t.Name]++
		case *lang.Agent:
			stack = append(stack, t.Args...)
		case *lang.Tuple:
			for i := len(t.Elems) - 1; i >= 0; i-- {
				stack = append(stack, t.Elems[i])
			}
		case *lang.List:
			stack = appendNamed(stack, t.Elems)
		case *lang.Cons:
			stack = appendNamed(stack, t.Heads)
			stack = append(stack, t.Tail)
		}
	}
}

// appendNamed appends to stack the terms of ts that may hold a name, in
// their order. It leaves out integer expressions, which names skips: a
// list literal of a million numbers then adds nothing.
func appendNamed(stack, ts []lang.Term) []lang.Term {
	for _, t := range ts {
		if _, ok := t.(*lang.ExprTerm); !ok {
			stack = append(stack, t)
		}
	}
	return stack
}

// A fill job writes the word of a term into auxiliary slot slot of the
// agent at word parent. Terms are built top-down with a stack of jobs so
// that deep terms and long lists need no recursion.
type fillJob struct {
	parent engine.Port
	slot   int
	t      lang.Term
	// For the rest of a list: elems[i:] of a list literal, or heads[i:]
	// and tail of a cons chain.
	elems []lang.Term
	tail  lang.Term
	list  bool
}

// term builds t and returns the word for its principal end.
func (b *netBuilder) term(t lang.Term) (engine.Port, error) {
	var root engine.Port
	stack := []fillJob{{t: t, slot: -1}}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var word engine.Port
		var err error
		if j.list {
			word, stack, err = b.listRest(j.elems, j.tail, stack)
		} else {
			word, stack, err = b.node(j.t, stack)
		}
		if err != nil {
			return 0, err
		}
		switch {
		case j.slot < 0:
			root = word
		case !b.dry:
			b.n.w.SetAux(j.parent, j.slot, word)
		}
	}
	return root, nil
}

// node returns the word for t, allocating its agent and queueing the
// fills of its slots.
func (b *netBuilder) node(t lang.Term, stack []fillJob) (engine.Port, []fillJob, error) {
	w := b.n.w
	switch t := t.(type) {
	case *lang.Name:
		if b.dry {
			return 0, stack, nil
		}
		if v, bound := b.env[t.Name]; bound {
			return w.Int(v), stack, nil
		}
		return b.vars[t.Name], stack, nil
	case *lang.ExprTerm:
		if lit, ok := t.X.(*lang.IntLit); ok {
			// A literal cannot fail and draws no random number, so both
			// passes read it in place: a long list of numbers needs no
			// entry in vals.
			if b.dry {
				return 0, stack, nil
			}
			return w.Int(lit.Value), stack, nil
		}
		if v, ok := b.vals[t]; ok && !b.dry {
			return w.Int(v), stack, nil
		}
		v, err := b.ip.evalExpr(t.X, b.env)
		if err != nil {
			return 0, stack, err
		}
		if b.dry {
			b.vals[t] = v
			return 0, stack, nil
		}
		return w.Int(v), stack, nil
	case *lang.Agent:
		if !t.Parens {
			if v, ok := b.ip.checker.Const(t.Name); ok {
				if b.dry {
					return 0, stack, nil
				}
				return w.Int(v), stack, nil
			}
		}
		return b.agent(t.Name, t.Args, stack)
	case *lang.Tuple:
		return b.agent(lang.TupleAgent(len(t.Elems)), t.Elems, stack)
	case *lang.List:
		return b.listRest(t.Elems, nil, stack)
	case *lang.Cons:
		return b.listRest(t.Heads, t.Tail, stack)
	case *lang.Percent:
		if b.dry {
			return 0, stack, nil
		}
		p, err := b.ip.percentNet(w, t.Agent)
		return p, stack, err
	}
	return 0, stack, fmt.Errorf("unexpected term %s in a net", t)
}

// agent allocates an agent and queues its arguments.
func (b *netBuilder) agent(name string, args []lang.Term, stack []fillJob) (engine.Port, []fillJob, error) {
	var p engine.Port
	if !b.dry {
		if err := b.ip.ensureType(name, len(args)); err != nil {
			return 0, stack, err
		}
		id, _ := b.n.net.Types.Lookup(name)
		p = b.n.w.NewAgent(id)
	}
	for i := len(args) - 1; i >= 0; i-- {
		stack = append(stack, fillJob{parent: p, slot: i, t: args[i]})
	}
	return p, stack, nil
}

// listRest builds the list elems followed by tail (Nil when tail is nil)
// one cons at a time.
func (b *netBuilder) listRest(elems []lang.Term, tail lang.Term, stack []fillJob) (engine.Port, []fillJob, error) {
	if len(elems) == 0 {
		if tail != nil {
			return b.node(tail, stack)
		}
		p, st, err := b.agent(lang.AgentNil, nil, stack)
		return p, st, err
	}
	var p engine.Port
	if !b.dry {
		id, _ := b.n.net.Types.Lookup(lang.AgentCons)
		p = b.n.w.NewAgent(id)
	}
	stack = append(stack,
		fillJob{parent: p, slot: 1, list: true, elems: elems[1:], tail: tail},
		fillJob{parent: p, slot: 0, t: elems[0]})
	return p, stack, nil
}

// percentNet builds the function agent %foo, which behaves as the
// function net (r, foo(r)) for an agent of one port and
// ((r, x1, ...), foo(r, x1, ...)) for more.
func (ip *Interpreter) percentNet(w *engine.Worker, name string) (engine.Port, error) {
	id, err := ip.percentType(name)
	if err != nil {
		return 0, err
	}
	pid, _ := ip.net.net.Types.Lookup("_Percent")
	f := w.NewAgent(pid)
	w.SetAux(f, 0, w.Int(int64(id)))
	return f, nil
}

// percentType returns the type id of the agent named by %name.
func (ip *Interpreter) percentType(name string) (engine.TypeID, error) {
	arity, ok := ip.checker.Arity(name)
	if !ok || arity < 1 || arity > 5 {
		return 0, fmt.Errorf("%%%s needs an agent with 1 to 5 ports", name)
	}
	if err := ip.ensureType(name, arity); err != nil {
		return 0, err
	}
	id, _ := ip.net.net.Types.Lookup(name)
	return id, nil
}

// dropName removes name from the interface; its cell stays, as an
// ordinary wire. Its entry in order becomes "", and order is compacted
// when half of it is such entries, so that dropping each of many names
// costs constant time on average.
func (n *Network) dropName(name string) {
	nm, ok := n.names[name]
	if !ok {
		return
	}
	delete(n.names, name)
	delete(n.byCell, nm.cell.Loc())
	n.order[nm.pos] = ""
	n.dropped++
	if n.dropped <= len(n.order)/2 {
		return
	}
	live := n.order[:0]
	for _, o := range n.order {
		if o != "" {
			n.names[o].pos = len(live)
			live = append(live, o)
		}
	}
	clear(n.order[len(live):])
	n.order, n.dropped = live, 0
}
