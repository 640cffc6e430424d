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
	todo := n.w.TakeRedexes()
	var parked []engine.Redex
	var waitErr error
	progress := false // an interaction since the waiting pairs were last tried
	putBack := func() {
		n.w.PushAll(parked)
		n.w.PushAll(todo)
	}
	// unpark moves the parked pairs that demand now makes live to todo.
	unpark := func() {
		kept := parked[:0]
		for _, q := range parked {
			if n.weakLive(q, demand) {
				todo = append(todo, q)
			} else {
				kept = append(kept, q)
			}
		}
		parked = kept
	}
	for {
		for len(todo) > 0 {
			if err := ctx.Err(); err != nil {
				putBack()
				return st, err
			}
			r := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			if !n.weakLive(r, demand) {
				parked = append(parked, r)
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
			n.w.PushAll(parked)
			n.w.PushAll(waiting)
			if len(waiting) > 0 {
				return st, waitErr
			}
			return st, nil
		}
		progress, waitErr = false, nil
		todo = waiting
	}
}

// addInterfaceCells adds to cells the wire cells that stand for
// interface names in a term: each name's own cell, and the cells that a
// name leads to through filled wire cells, such as the cell of another
// name after x ~ y.
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
// readers keep, and the filled wire cells they lead through.
func (n *Network) weakLive(r engine.Redex, demand *locSet) bool {
	w := n.w
	var seen locSet
	stack := []engine.Port{r.A, r.B}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !p.IsNode() || p.Loc() == 0 || seen.has(p.Loc()) {
			continue
		}
		seen.add(p.Loc())
		ports := make([]engine.Port, 0, n.net.Types.Info(p.Type()).Arity())
		for i := range n.net.Types.Info(p.Type()).Arity() {
			ports = append(ports, w.Aux(p, i))
		}
		if h, ok := w.Value(p).(engine.PortHolder); ok {
			ports = append(ports, h.HeldPorts()...)
		}
		for _, q := range ports {
			for q.IsVar() {
				if demand.has(q.Loc()) {
					return true
				}
				z := w.Cell(q)
				if z == engine.None {
					break
				}
				q = z
			}
			if q.IsNode() {
				stack = append(stack, q)
			}
		}
	}
	return false
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
