package annette

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/annette-go/annette/internal/engine"
)

// printInterface prints every interface name and its term, in Inpla's
// order: by bucket, the bucket of a name being (code of its first
// character + code of its last + code of the one at index (len-1)/2)
// mod 127, buckets ascending, and within a bucket the name that first
// joined the interface latest comes first.
func (ip *Interpreter) printInterface() error {
	names := ip.net.Names() // oldest first
	if len(names) == 0 {
		fmt.Fprintln(ip.out, "<NO-INTERFACE>")
		return nil
	}
	age := map[string]int{}
	for i, n := range names {
		if slot, ok := ip.nameSlot[n]; ok {
			age[n] = slot
		} else {
			// A name that no net statement made keeps its creation
			// order, after the others.
			age[n] = len(ip.nameSlot) + i
		}
	}
	bucket := func(s string) int {
		return (int(s[0]) + int(s[len(s)-1]) + int(s[(len(s)-1)/2])) % 127
	}
	slices.SortStableFunc(names, func(a, b string) int {
		if ba, bb := bucket(a), bucket(b); ba != bb {
			return ba - bb
		}
		return age[b] - age[a]
	})
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + " ")
	}
	b.WriteString("\n\nConnections:\n")
	for _, n := range names {
		t, err := ip.text(n)
		if err != nil {
			return err
		}
		b.WriteString(n + " ->" + t + "\n")
	}
	b.WriteString("\n")
	fmt.Fprint(ip.out, b.String())
	return nil
}

// prnat returns the decimal value of the unary number connected to name.
// As in Inpla, it returns <NOT-DEFINED> for a name that is not in the
// interface and <EMPTY> for one with nothing connected.
func (ip *Interpreter) prnat(name string) (string, error) {
	t, err := ip.net.Read(name)
	if errors.Is(err, ErrUnknownName) {
		return "<NOT-DEFINED>", nil
	}
	if err != nil {
		return "", err
	}
	if t.Kind == EmptyTerm {
		return "<EMPTY>", nil
	}
	var k int64
	for t.Kind == AgentTerm && t.Type == "S" && len(t.Args) == 1 {
		k++
		t = t.Args[0]
	}
	if t.Kind != AgentTerm || t.Type != "Z" || len(t.Args) != 0 {
		return "", errors.New("prnat: " + name + " is not a unary number built from S and Z")
	}
	return strconv.FormatInt(k, 10), nil
}

// free disposes of an interface name, the agents hanging from it, the
// interface names among them and the wire cells that nothing refers to
// any more. Agents are freed without interactions. While active pairs are
// left (after a runtime error), only the names are removed, since an
// agent may belong to one of those pairs. half holds the empty wire cells
// reached from one end so far by the frees of one command, and ends the
// wire ends of the names, which one command builds once. The caller
// checks with heldName that no other term holds the name.
func (ip *Interpreter) free(name string, half *locSet, ends *nameEnds) {
	n := ip.net
	nm, ok := n.names[name]
	if !ok {
		return
	}
	ends.forget(name, nm.cell, n.w)
	n.dropName(name)
	if n.w.Pending() > 0 {
		return
	}
	// The name's cell is filled when a principal port was linked to it;
	// the cell is then referred to by the name only. An empty one is
	// still held by its other end.
	if z := n.w.Cell(nm.cell); z != engine.None {
		n.freeWire(nm.cell)
		ip.freeFrom([]engine.Port{z}, half, ends)
		return
	}
	// One end of the wire is gone. The cell goes when the other does,
	// if that happens in this statement.
	ip.endGone(nm.cell, half)
}

// endGone records that one end of the empty wire cell p is gone. It frees
// the cell when half shows that its other end went earlier in the same
// walk, and otherwise adds the cell to half.
func (ip *Interpreter) endGone(p engine.Port, half *locSet) {
	l := p.Loc()
	if half.has(l) {
		half.remove(l)
		ip.net.freeWire(p)
		return
	}
	half.add(l)
}

// withNamedEnds adds to names every interface name that one of them
// reads as: after x ~ y, x reads as y and y as <EMPTY>, and freeing x
// frees y too, as it frees the names inside the term it removes. Freeing
// y alone stays an error (see heldName), as in Inpla.
func (ip *Interpreter) withNamedEnds(names []string) []string {
	n := ip.net
	freeing := map[string]bool{}
	for _, name := range names {
		freeing[name] = true
	}
	var byCell map[uint64]string
	for _, name := range names {
		nm, ok := n.names[name]
		if !ok || n.w.Cell(nm.cell) == engine.None {
			continue
		}
		end := n.w.Resolve(nm.cell)
		if !end.IsVar() {
			continue
		}
		if byCell == nil {
			byCell = make(map[uint64]string, len(n.names))
			for other, om := range n.names {
				byCell[om.cell.Loc()] = other
			}
		}
		if other, ok := byCell[end.Loc()]; ok && !freeing[other] {
			freeing[other] = true
			names = append(names, other)
		}
	}
	return names
}

// heldName returns the first of names whose wire ends, past any wires
// joined to it, at an auxiliary port in the term of an interface name
// outside names, or at such a name itself, and that name. Freeing it
// would leave that term a wire with no end, so free rejects it, as Inpla
// does. It walks the other terms once.
func (ip *Interpreter) heldName(names []string) (held, holder string, ok bool) {
	n := ip.net
	w := n.w
	freeing := map[string]bool{}
	target := map[uint64]string{} // open wire ends of the names, by cell
	for _, name := range names {
		freeing[name] = true
	}
	for _, name := range names {
		if nm, ok := n.names[name]; ok {
			if end := w.Resolve(nm.cell); end.IsVar() {
				if _, dup := target[end.Loc()]; !dup {
					target[end.Loc()] = name
				}
			}
		}
	}
	if len(target) == 0 {
		return "", "", false
	}
	holders := map[string]string{} // held name -> first holder found
	var seen locSet
	for _, other := range n.order {
		if other == "" || freeing[other] {
			continue
		}
		stack := []engine.Port{w.Resolve(n.names[other].cell)}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if p.IsVar() {
				if name, ok := target[p.Loc()]; ok && holders[name] == "" {
					holders[name] = other
				}
				continue
			}
			if !p.IsNode() || p.Loc() == 0 || seen.has(p.Loc()) {
				continue
			}
			seen.add(p.Loc())
			for i := range n.net.Types.Info(p.Type()).Arity() {
				stack = append(stack, w.Resolve(w.Aux(p, i)))
			}
		}
	}
	for _, name := range names {
		if holder := holders[name]; holder != "" {
			return name, holder, true
		}
	}
	return "", "", false
}

// discard disposes of active pairs that a failed statement left, with
// the agents and wire cells only they reach, and the interface names
// that lead straight to them, as free does for a name. A wire from the
// term of another name to a dropped pair stays, open.
func (ip *Interpreter) discard(pairs []engine.Redex) {
	if len(pairs) == 0 {
		return
	}
	stack := make([]engine.Port, 0, 2*len(pairs))
	for _, r := range pairs {
		stack = append(stack, r.A, r.B)
	}
	ip.freeFrom(stack, &locSet{}, ip.nameEnds())
}

// nameEnds maps the empty cells that are no name's own to the names
// that read as them through filled cells, as d does after a ~ B(c),
// d ~ c, for the frees of one command. The map is built when a free
// first meets such a cell, so that frees of terms without open wires
// take no walk over all names.
type nameEnds struct {
	readers map[uint64]string
	built   bool
}

// nameEnds returns an empty nameEnds for the frees of one command.
func (ip *Interpreter) nameEnds() *nameEnds { return &nameEnds{} }

// reader returns the name that reads as the empty cell at l, if any.
func (e *nameEnds) reader(n *Network, l uint64) (string, bool) {
	if !e.built {
		e.built = true
		e.readers = map[uint64]string{}
		for s, f := range n.names {
			if z := n.w.Cell(f.cell); z.IsVar() {
				if end := n.w.Resolve(z); end.IsVar() && n.byCell[end.Loc()] == "" {
					e.readers[end.Loc()] = s
				}
			}
		}
	}
	name, ok := e.readers[l]
	return name, ok
}

// forget removes the name, whose own cell is cell, before free drops it.
func (e *nameEnds) forget(name string, cell engine.Port, w *engine.Worker) {
	if !e.built {
		return
	}
	if z := w.Cell(cell); z.IsVar() {
		if end := w.Resolve(z); end.IsVar() && e.readers[end.Loc()] == name {
			delete(e.readers, end.Loc())
		}
	}
}

// freeFrom frees the ports on stack and everything only they reach.
func (ip *Interpreter) freeFrom(stack []engine.Port, half *locSet, ends *nameEnds) {
	n := ip.net
	w := n.w
	var seen locSet // agents reached
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		// A filled wire cell was left by the end linked first: with this
		// end freed too, nothing refers to it.
		for p.IsVar() {
			z := w.Cell(p)
			if z == engine.None {
				break
			}
			n.freeWire(p)
			p = z
		}
		switch {
		case p.IsVar():
			// An empty cell joins two ends: free it when both are gone,
			// that is, when its other end is an interface name or was
			// reached too.
			l := p.Loc()
			if other, ok := n.byCell[l]; ok {
				n.dropName(other)
				n.freeWire(p)
			} else if reader, ok := ends.reader(n, l); ok {
				// The name's wire ends here: it goes with the term, and
				// so do its own cell and the cells on the way.
				delete(ends.readers, l)
				cell := n.names[reader].cell
				n.dropName(reader)
				for q := cell; q.Loc() != l; {
					next := w.Cell(q)
					n.freeWire(q)
					q = next
				}
				n.freeWire(p)
			} else {
				ip.endGone(p, half)
			}
		case p.IsInt():
			w.DropInt(p)
		case p.IsNode():
			if p.Loc() != 0 {
				if seen.has(p.Loc()) {
					continue // a cycle
				}
				seen.add(p.Loc())
			}
			info := n.net.Types.Info(p.Type())
			for i := range info.Arity() {
				stack = append(stack, w.Aux(p, i))
			}
			w.FreeAgent(p)
		}
	}
}
