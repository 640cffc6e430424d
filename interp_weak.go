package annette

import (
	"context"
	"errors"

	"github.com/annette-go/annette/internal/engine"
)

// reduceWeak reduces only the active pairs that are connected, through
// any chain of wires and agents, to an interface name: the weak strategy
// of "annette run -w". It works in rounds. Each round finds the connected
// pairs, carries each out once, and leaves the pairs those interactions
// create for the next round. So a pair cut off from the interface is
// never reduced, even one created during a round. The pairs left
// unreduced stay in the network.
//
// Finding the connected pairs walks the whole net, so a round costs time
// in proportion to the net's size. The strategy is meant for programs
// that need it, not for speed.
func (n *Network) reduceWeak(ctx context.Context) (Stats, error) {
	var st Stats
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		all := n.w.TakeRedexes()
		live, parked := n.partitionLive(all)
		if len(live) == 0 {
			for _, r := range parked {
				n.w.Push(r.A, r.B)
			}
			return st, nil
		}
		// A pair whose integer has not arrived stays in the worker's
		// deferred list and is tried again next round, after the other
		// pairs of this round, which may bring the integer. A round that
		// carries out nothing while such a pair waits reports it.
		var waitErr error
		progress := false
		// next collects the pairs made in this round, in order. Putting
		// them back on the stack after every Step, as an earlier version
		// did, copied them once per pair: quadratic in the round's size.
		var next []engine.Redex
		for i, r := range live {
			// Step alone with the pair; the stack is empty here. Pairs
			// made earlier in this round wait for the next round's
			// reachability test. A pair that must wait for its integer
			// must not let Step go on to one of them.
			n.w.Push(r.A, r.B)
			ok, err := n.Step(ctx)
			next = append(next, n.w.TakeStack()...)
			if ok {
				st.Interactions++
				progress = true
			}
			if err != nil && errors.Is(err, ErrPending) {
				if waitErr == nil {
					waitErr = err
				}
				continue
			}
			if err != nil {
				// Put back what this round made and what it did not reach.
				n.w.PushAll(next)
				for _, q := range live[i+1:] {
					n.w.Push(q.A, q.B)
				}
				for _, q := range parked {
					n.w.Push(q.A, q.B)
				}
				return st, err
			}
		}
		n.w.PushAll(next)
		for _, r := range parked {
			n.w.Push(r.A, r.B)
		}
		if !progress && waitErr != nil {
			return st, waitErr
		}
	}
}

// partitionLive splits active pairs into those connected to an interface
// name and the others. It builds an undirected graph whose vertices are
// agents (by store location, or one vertex per nullary agent without
// storage) and unfilled wire cells, reached from the interface names and
// from the pairs, and searches it from the interface names.
//
// NOTE: the graph holds only what is reached through auxiliary ports. An
// agent whose principal port leads back to itself through auxiliary
// ports (K(x, y, k) ~ k), and what only it reaches, is left out, so a
// pair connected to a name only through it is parked.
func (n *Network) partitionLive(pairs []engine.Redex) (live, parked []engine.Redex) {
	w := n.w
	type vertex = uint64 // loc<<1 for agents, loc<<1|1 for wire cells
	adj := map[vertex][]vertex{}
	link := func(a, b vertex) {
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	nullary := uint64(0) // fake locations for agents without storage
	vertexOf := func(p engine.Port) (vertex, bool) {
		p = w.Resolve(p)
		switch {
		case p.IsVar():
			return p.Loc()<<1 | 1, true
		case p.IsNode():
			if p.Loc() == 0 {
				nullary++
				return (1<<62 + nullary) << 1, true
			}
			return p.Loc() << 1, true
		}
		return 0, false // an integer: a leaf
	}
	seen := map[vertex]bool{}
	var stack []engine.Port
	visitAgent := func(p engine.Port, v vertex) {
		if seen[v] {
			return
		}
		seen[v] = true
		stack = append(stack, p)
	}
	expand := func() {
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if p.Loc() == 0 {
				continue
			}
			info := n.net.Types.Info(p.Type())
			self := p.Loc() << 1
			ports := make([]engine.Port, 0, info.Arity())
			for i := range info.Arity() {
				ports = append(ports, w.Aux(p, i))
			}
			if h, ok := w.Value(p).(engine.PortHolder); ok {
				ports = append(ports, h.HeldPorts()...)
			}
			for _, q := range ports {
				q = w.Resolve(q)
				v, ok := vertexOf(q)
				if !ok {
					continue
				}
				link(self, v)
				if q.IsNode() {
					visitAgent(q, v)
				}
			}
		}
	}
	var roots []vertex
	for _, nm := range n.names {
		v, ok := vertexOf(nm.cell)
		if !ok {
			continue
		}
		roots = append(roots, v)
		if q := w.Resolve(nm.cell); q.IsNode() {
			visitAgent(q, v)
		}
	}
	pairV := make([][2]vertex, len(pairs))
	for i, r := range pairs {
		va, okA := vertexOf(r.A)
		vb, okB := vertexOf(r.B)
		if okA {
			visitAgent(r.A, va)
		}
		if okB {
			visitAgent(r.B, vb)
		}
		if okA && okB {
			link(va, vb)
		}
		pairV[i] = [2]vertex{va, vb}
	}
	expand()

	reached := map[vertex]bool{}
	queue := append([]vertex(nil), roots...)
	for _, v := range roots {
		reached[v] = true
	}
	for len(queue) > 0 {
		v := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, u := range adj[v] {
			if !reached[u] {
				reached[u] = true
				queue = append(queue, u)
			}
		}
	}
	for i, r := range pairs {
		if reached[pairV[i][0]] || reached[pairV[i][1]] {
			live = append(live, r)
		} else {
			parked = append(parked, r)
		}
	}
	return live, parked
}
