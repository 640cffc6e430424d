package engine

import (
	"slices"
	"strconv"
)

// A rule between two agents of one type must not depend on which of the
// two is the left one. The reducer takes whichever agent reached the wire
// between them first, and with several workers that changes from run to
// run. Asymmetry looks for a case where exchanging the two agents gives
// another net.
//
// For one set of attribute values, the rule's result is a graph: the new
// agents, the integers and the old ports, joined by wires. Exchanging the
// agents gives the graph of the same rule with the attribute values of
// the two sides exchanged and every old port of one side renamed to the
// same port of the other. The rule is symmetric at those values when the
// two graphs are the same up to the order of the new agents. Rules
// without attributes have one graph each way, so the check is exact. With
// attributes it tries a fixed set of values for each, so it can miss an
// asymmetry that only other values show, but a witness it reports is a
// real one.

// Asymmetric describes a case in which exchanging the two agents of a
// rule changes its result.
type Asymmetric struct {
	// Attrs holds the value of each attribute of the rule, in the order
	// of the rule's attribute list, at which the two results differ. It
	// is empty for a rule without attributes.
	Attrs []int64
	// Port is the old port that is an attribute on one side only, or -1.
	Port int
}

// symValues are the attribute values tried, chosen to take both sides of
// comparisons with each other and with small constants. The constants of
// the rule's expressions, and their neighbours, are tried too, so that a
// guard such as a > 100 is seen to hold and to fail.
var symValues = [...]int64{0, 1, 2, -1, 3, 7, -4, 100}

// symMaxValues bounds the values tried for each attribute.
const symMaxValues = 32

// symMaxTries bounds the attribute assignments tried for one rule, and
// symBudget the guards, expressions and wires they evaluate in all, so
// that a rule with thousands of alternatives is checked in milliseconds.
const (
	symMaxTries = 4096
	symBudget   = 1 << 20
)

// Asymmetry checks a rule between two agents of type t, given as for
// Compile. It returns nil if exchanging the two agents gave the same
// result for every assignment of attribute values it tried, or if it
// cannot tell (a body that draws random numbers). A port that is an
// attribute on one side only is reported at once.
func Asymmetry(reg *Registry, t TypeID, attrs []int, alts []AltSpec) *Asymmetric {
	if t == TypeInt || t == TypeNone || int(t) >= reg.Len() {
		return nil
	}
	n := reg.Info(t).Arity()
	values := symValues[:]
	for _, as := range alts {
		codes := append(append([]*Code{as.Guard}, as.Lets...), as.Exprs...)
		for _, c := range codes {
			if c == nil {
				continue
			}
			for _, in := range c.Instrs {
				switch {
				case in.Op == OpRand:
					return nil
				case in.Op == OpConst && len(values) < symMaxValues-2:
					for _, v := range []int64{in.Arg - 1, in.Arg, in.Arg + 1} {
						if !slices.Contains(values, v) {
							values = append(values, v)
						}
					}
				}
			}
		}
	}
	// swapped[k] is the attribute that the exchange puts in the place of
	// attribute k.
	swapped := make([]int, len(attrs))
	for k, a := range attrs {
		if a < 0 || a >= 2*n {
			return nil
		}
		j := slices.Index(attrs, symSwap(a, n))
		if j < 0 {
			return &Asymmetric{Port: a}
		}
		swapped[k] = j
	}

	var w Worker
	env := make([]int64, len(attrs))
	env2 := make([]int64, len(attrs))
	cost := 1
	for _, as := range alts {
		cost += 1 + len(as.Lets) + len(as.Exprs) + len(as.Wires)
	}
	limit := max(1, min(symMaxTries, symBudget/cost))
	tries, sampled := 1, false
	for range attrs {
		tries *= len(values)
		if tries > limit {
			tries, sampled = limit, true
			break
		}
	}
	var rng uint64 = 0x9e3779b97f4a7c15
	for i := range tries {
		if sampled {
			// Too many combinations: draw them with a fixed generator.
			for k := range env {
				rng ^= rng << 13
				rng ^= rng >> 7
				rng ^= rng << 17
				env[k] = values[rng%uint64(len(values))]
			}
		} else {
			v := i
			for k := range env {
				env[k] = values[v%len(values)]
				v /= len(values)
			}
		}
		for k := range env2 {
			env2[k] = env[swapped[k]]
		}
		g1, ok1 := symInstance(&w, reg, alts, env, n, false)
		g2, ok2 := symInstance(&w, reg, alts, env2, n, true)
		if !ok1 || !ok2 {
			// An expression failed for these values (such as a division
			// by zero), or the body is not one the check understands.
			continue
		}
		if !symSame(g1, g2) {
			return &Asymmetric{Attrs: slices.Clone(env), Port: -1}
		}
	}
	return nil
}

// symSwap returns the old port that takes the place of port a when the
// two agents of n ports each are exchanged.
func symSwap(a, n int) int {
	if a < n {
		return a + n
	}
	return a - n
}

// symEnd is one end of a wire in an instance of a rule body. The zero
// symEnd stands for a port that no wire reaches.
type symEnd struct {
	set   bool
	kind  EndKind // EndExt, EndNode or EndConst
	index int     // old port or new agent
	port  int
	value int64
}

// symGraph is an instance of a rule body.
type symGraph struct {
	types   []TypeID   // of each new agent
	values  []int      // the ValueFrom of each new agent
	partner [][]symEnd // partner[k][p] is the other end of port p of agent k
	ext     map[int]symEnd
}

// symInstance picks the alternative of alts that the attribute values
// select and returns its graph. With swap set, old ports and Go values are renamed as if the
// two agents were exchanged.
func symInstance(w *Worker, reg *Registry, alts []AltSpec, attrs []int64, n int, swap bool) (*symGraph, bool) {
	var as *AltSpec
	env := slices.Clone(attrs)
	for i := range alts {
		g := alts[i].Guard
		if g == nil {
			as = &alts[i]
			break
		}
		v, err := w.eval(g, env)
		if err != nil {
			return nil, false
		}
		if v != 0 {
			as = &alts[i]
			break
		}
	}
	if as == nil {
		return nil, false
	}
	for _, c := range as.Lets {
		v, err := w.eval(c, env)
		if err != nil {
			return nil, false
		}
		env = append(env, v)
	}
	values := make([]int64, len(as.Exprs))
	for i, c := range as.Exprs {
		v, err := w.eval(c, env)
		if err != nil {
			return nil, false
		}
		values[i] = v
	}

	g := &symGraph{ext: map[int]symEnd{}}
	for _, nd := range as.Nodes {
		if int(nd.Type) >= reg.Len() {
			return nil, false
		}
		vf := nd.ValueFrom
		if swap && vf != 0 {
			vf = 3 - vf
		}
		g.types = append(g.types, nd.Type)
		g.values = append(g.values, vf)
		g.partner = append(g.partner, make([]symEnd, reg.Info(nd.Type).Arity()+1))
	}
	end := func(e End) (symEnd, bool) {
		switch e.Kind {
		case EndExt:
			if e.Index < 0 || e.Index >= 2*n {
				return symEnd{}, false
			}
			i := e.Index
			if swap {
				i = symSwap(i, n)
			}
			return symEnd{set: true, kind: EndExt, index: i}, true
		case EndNode:
			if e.Index < 0 || e.Index >= len(g.types) || e.Port < 0 || e.Port >= len(g.partner[e.Index]) {
				return symEnd{}, false
			}
			return symEnd{set: true, kind: EndNode, index: e.Index, port: e.Port}, true
		case EndConst:
			return symEnd{set: true, kind: EndConst, value: e.Value}, true
		case EndExpr:
			if e.Index < 0 || e.Index >= len(values) {
				return symEnd{}, false
			}
			return symEnd{set: true, kind: EndConst, value: values[e.Index]}, true
		}
		return symEnd{}, false
	}
	set := func(at, to symEnd) bool {
		switch at.kind {
		case EndExt:
			if _, dup := g.ext[at.index]; dup {
				return false
			}
			g.ext[at.index] = to
		case EndNode:
			p := &g.partner[at.index][at.port]
			if p.set {
				return false
			}
			*p = to
		}
		return true
	}
	for _, wire := range as.Wires {
		a, ok1 := end(wire[0])
		b, ok2 := end(wire[1])
		if !ok1 || !ok2 || !set(a, b) || !set(b, a) {
			return nil, false
		}
	}
	return g, true
}

// symSame reports whether g1 and g2 are the same graph up to the order of
// their new agents. The old ports stay where they are. Every new agent of
// one must match one of the other with the same type, the same Go value
// and matching wires.
func symSame(g1, g2 *symGraph) bool {
	if len(g1.types) != len(g2.types) || len(g1.ext) != len(g2.ext) {
		return false
	}
	m := make([]int, len(g1.types)) // agent of g1 -> agent of g2, plus one
	inv := make([]int, len(g2.types))
	var queue []int

	// match compares two ends and pairs the agents they reach.
	match := func(a, b symEnd) bool {
		if a.set != b.set || a.kind != b.kind {
			return false
		}
		if !a.set {
			return true
		}
		switch a.kind {
		case EndExt:
			return a.index == b.index
		case EndConst:
			return a.value == b.value
		}
		if a.port != b.port || g1.types[a.index] != g2.types[b.index] || g1.values[a.index] != g2.values[b.index] {
			return false
		}
		switch {
		case m[a.index] == 0 && inv[b.index] == 0:
			m[a.index], inv[b.index] = b.index+1, a.index+1
			queue = append(queue, a.index)
			return true
		default:
			return m[a.index] == b.index+1
		}
	}

	exts := make([]int, 0, len(g1.ext))
	for i := range g1.ext {
		exts = append(exts, i)
	}
	slices.Sort(exts)
	for _, i := range exts {
		b, ok := g2.ext[i]
		if !ok || !match(g1.ext[i], b) {
			return false
		}
	}

	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for p, a := range g1.partner[k] {
			if !match(a, g2.partner[m[k]-1][p]) {
				return false
			}
		}
	}

	// The agents that no old port leads to form closed pieces, such as
	// a new active pair with an integer. They must be the same pieces.
	return slices.Equal(symPieces(g1, m), symPieces(g2, inv))
}

// symPieces returns a description of each closed piece of g, the agents
// that mapped leaves at zero, in sorted order. Each piece is described
// from each of its agents in turn, and the least description is kept, so
// that equal pieces get equal descriptions.
func symPieces(g *symGraph, mapped []int) []string {
	seen := make([]bool, len(g.types))
	var pieces []string
	for k := range g.types {
		if mapped[k] != 0 || seen[k] {
			continue
		}
		// The agents of k's piece.
		piece := []int{k}
		seen[k] = true
		for i := 0; i < len(piece); i++ {
			for _, e := range g.partner[piece[i]] {
				if e.set && e.kind == EndNode && !seen[e.index] {
					seen[e.index] = true
					piece = append(piece, e.index)
				}
			}
		}
		best := ""
		for _, root := range piece {
			if d := symDescribe(g, root); best == "" || d < best {
				best = d
			}
		}
		pieces = append(pieces, best)
	}
	slices.Sort(pieces)
	return pieces
}

// symDescribe numbers the agents of the piece of root in the order a
// walk from root meets them and writes each agent's type, value and
// wires with those numbers.
func symDescribe(g *symGraph, root int) string {
	num := map[int]int{root: 0}
	order := []int{root}
	var b []byte
	for i := 0; i < len(order); i++ {
		k := order[i]
		b = append(b, '(')
		b = strconv.AppendInt(b, int64(g.types[k]), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(g.values[k]), 10)
		for _, e := range g.partner[k] {
			b = append(b, ' ')
			switch {
			case !e.set:
				b = append(b, '?')
			case e.kind == EndConst:
				b = append(b, '#')
				b = strconv.AppendInt(b, e.value, 10)
			case e.kind == EndExt:
				b = append(b, 'x')
				b = strconv.AppendInt(b, int64(e.index), 10)
			default:
				j, ok := num[e.index]
				if !ok {
					j = len(order)
					num[e.index] = j
					order = append(order, e.index)
				}
				b = strconv.AppendInt(b, int64(j), 10)
				b = append(b, '.')
				b = strconv.AppendInt(b, int64(e.port), 10)
			}
		}
		b = append(b, ')')
	}
	return string(b)
}
