package annette

import (
	"context"
	"errors"

	"github.com/annette-go/annette/internal/engine"
)

// reduceWeak carries out the weak strategy of "annette run -w", Inpla's.
// An active pair is reduced only when an interface name occurs in the
// term of one of its two agents: below the agent, through its auxiliary
// ports and the wires they lead to. The pairs go through a
// stack, newest first, and each is checked when it comes off the stack.
// A pair that fails the check is parked. When the stack is empty, the
// parked pairs are checked again, until no pair that is left has a name
// in its term. So a process that produces a stream into an interface
// name runs until its next element waits on a name that is not in the
// interface. Inpla checks a parked pair again at the next statement only.
//
// An integer that a reduced pair waits for is wanted too. The wires the
// pair waits on then count as names, so the parked pair whose term holds
// such a wire is reduced. The waiting pair is tried again once the stack
// is empty.
//
// Checking a pair walks its term, so a long list under a pair costs time
// in proportion to its length at every check, as in Inpla.
func (n *Network) reduceWeak(ctx context.Context) (Stats, error) {
	var st Stats
	demand := &locSet{}
	n.addInterfaceCells(demand)
	scratch := &weakScratch{}
	todo := n.w.TakeRedexes()
	var parked []engine.Redex
	// closed collects the pairs whose terms have no open wire: no name
	// can reach them, so they are never checked again in this statement.
	var closed []engine.Redex
	var waitErr error
	progress := false // an interaction since the waiting pairs were last tried
	putBack := func() {
		n.w.PushAll(closed)
		n.w.PushAll(parked)
		n.w.PushAll(todo)
	}
	// park parks r, or closes it.
	park := func(r engine.Redex, shut bool) {
		if shut {
			closed = append(closed, r)
		} else {
			parked = append(parked, r)
		}
	}
	// unpark moves the parked pairs that demand now makes live to todo.
	unpark := func() {
		stillParked := parked[:0]
		var shut []engine.Redex
		for _, q := range parked {
			switch live, c := n.weakLive(q, demand, scratch); {
			case live:
				todo = append(todo, q)
			case c:
				shut = append(shut, q)
			default:
				stillParked = append(stillParked, q)
			}
		}
		parked = stillParked
		closed = append(closed, shut...)
	}
	for {
		for len(todo) > 0 {
			if err := ctx.Err(); err != nil {
				putBack()
				return st, err
			}
			r := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			if live, shut := n.weakLive(r, demand, scratch); !live {
				park(r, shut)
				continue
			}
			// Step alone with the pair: the stack is empty here.
			n.w.Push(r.A, r.B)
			ok, err := n.Step(ctx)
			todo = append(todo, n.w.TakeStack()...)
			if ok {
				st.Interactions++
				progress = true
			}
			if errors.Is(err, ErrPending) {
				// The pair waits in the worker's deferred list. The
				// parked pairs that can bring its integers go first.
				if waitErr == nil {
					waitErr = err
				}
				n.wantWires(r, demand)
				unpark()
				continue
			}
			if err != nil {
				putBack()
				return st, err
			}
		}
		// A parked pair whose term gained a name since it was checked,
		// such as a Merger's reader once the list it feeds reaches a
		// name, is reduced now.
		if progress {
			// A rule may have joined an interface name to another wire.
			n.addInterfaceCells(demand)
			unpark()
			if len(todo) > 0 {
				continue
			}
		}
		// The pairs that wait for an integer are tried again while
		// interactions happen.
		waiting := n.w.TakeRedexes()
		if len(waiting) == 0 || !progress {
			n.w.PushAll(closed)
			n.w.PushAll(parked)
			n.w.PushAll(waiting)
			if len(waiting) > 0 {
				return st, waitErr
			}
			if st.Interactions > 0 {
				n.namesToJoin = true
			}
			return st, nil
		}
		progress, waitErr = false, nil
		todo = waiting
	}
}

// addInterfaceCells adds to cells the wire cells that stand for
// interface names in a term. Those are each name's own cell and the
// cells that the name leads to through filled wire cells, such as the
// cell of another name after x ~ y.
func (n *Network) addInterfaceCells(cells *locSet) {
	for _, nm := range n.names {
		p := nm.cell
		for steps := 0; p.IsVar() && steps < maxNameChain; steps++ {
			cells.add(p.Loc())
			p = n.w.Cell(p)
		}
	}
}

// maxNameChain bounds the filled wire cells followed from one interface
// name. Such chains are a few cells long; the bound only stops a walk
// around wires that lead back into themselves.
const maxNameChain = 1 << 16

// weakLive reports whether a cell of demand occurs in the term of either
// agent of r: below it through auxiliary ports, the ports a Merger's
// readers keep, and the filled wire cells they lead through. The walk is
// breadth first, so that a name at an agent's own port is found before a
// long list under the other agent is walked. closed reports that the
// term has no open wire, so that no name can ever reach it.
// s is scratch space that the caller keeps from one check to the next.
// A set of its own for each check allocated a page of bits for every
// 32,768 words of the store that the walk touched.
func (n *Network) weakLive(r engine.Redex, demand *locSet, s *weakScratch) (live, closed bool) {
	w := n.w
	defer s.reset()
	s.queue = append(s.queue[:0], r.A, r.B)
	closed = true
	for i := 0; i < len(s.queue); i++ {
		p := s.queue[i]
		if !p.IsNode() || p.Loc() == 0 || s.seen.has(p.Loc()) {
			continue
		}
		s.seen.add(p.Loc())
		s.added = append(s.added, p.Loc())
		ports := make([]engine.Port, 0, n.net.Types.Info(p.Type()).Arity())
		for i := range n.net.Types.Info(p.Type()).Arity() {
			ports = append(ports, w.Aux(p, i))
		}
		if h, ok := w.Value(p).(engine.PortHolder); ok {
			ports = append(ports, h.HeldPorts()...)
			closed = false
		}
		for _, q := range ports {
			for q.IsVar() {
				if demand.has(q.Loc()) {
					return true, false
				}
				z := w.Cell(q)
				if z == engine.None {
					closed = false
					break
				}
				q = z
			}
			if q.IsNode() {
				s.queue = append(s.queue, q)
			}
		}
	}
	return false, closed
}

// weakScratch is the memory that weakLive reuses from one check to the
// next.
type weakScratch struct {
	seen  locSet
	added []uint64 // the locations in seen, to clear them
	queue []engine.Port
}

// reset empties s for the next check.
func (s *weakScratch) reset() {
	for _, l := range s.added {
		s.seen.remove(l)
	}
	s.added = s.added[:0]
}

// wantWires adds to demand the open wires at the auxiliary ports of the
// agents of r, a pair that waits for an integer: one of them brings it.
func (n *Network) wantWires(r engine.Redex, demand *locSet) {
	for _, p := range []engine.Port{r.A, r.B} {
		if !p.IsNode() || p.Loc() == 0 {
			continue
		}
		for i := range n.net.Types.Info(p.Type()).Arity() {
			q := n.w.Resolve(n.w.Aux(p, i))
			if q.IsVar() {
				demand.add(q.Loc())
			}
		}
	}
}
