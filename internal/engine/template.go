package engine

import (
	"fmt"
	"sync/atomic"
)

// A rewrite rule is compiled once into a Template. Carrying it out takes
// these steps, in order:
//
//   - load the auxiliary ports of the two agents (the left agent's, then
//     the right agent's, then the two agents themselves) into registers;
//   - read the integer attributes and pick the first alternative whose
//     guard holds, then evaluate its expressions;
//   - free the two agents, and allocate the new ones with their
//     auxiliary ports already filled;
//   - link the remaining pairs of principal ends.
//
// Placing an old port word in a new agent's slot moves that wire end
// without touching the wire, so only principal-to-principal and
// old-to-old connections need a link.

// NoPrograms makes Compile leave templates without a compiled program, so
// that every rewrite goes through the general path. Tests set it to check
// the two paths against each other; rules compiled while it is set keep
// the general path.
var NoPrograms atomic.Bool

// EndKind is the kind of one end of a wire in a rule body.
type EndKind uint8

// End kinds.
const (
	EndExt   EndKind = iota // ext[Index]: an old auxiliary port (left ports, then right ports)
	EndNode                 // port Port of new agent Index; Port 0 is the principal port
	EndConst                // the integer Value
	EndExpr                 // the value of expression Index of the alternative
)

// End is one end of a wire in a rule body.
type End struct {
	Kind  EndKind
	Index int
	Port  int
	Value int64
}

// NodeDecl declares a new agent of a rule body.
type NodeDecl struct {
	Type TypeID
	// ValueFrom is 0 for no Go value, 1 to give the new agent the value of
	// the left agent, 2 for the value of the right agent.
	ValueFrom int
}

// AltSpec is one guarded alternative of a rule body before compilation.
type AltSpec struct {
	Guard *Code   // nil for the unconditional alternative; reads attributes only
	Lets  []*Code // evaluated in order once the guard holds; let i is env[len(attrs)+i]
	Nodes []NodeDecl
	Exprs []*Code
	Wires [][2]End
}

// A rewrite works on a register file of port words, laid out as: the old
// auxiliary ports and the two agents (E = NA+NB+2 words), then the new
// agents, then the fresh wires, then the integer values of the
// alternative. Compilation turns every wire into a register number, so
// carrying out the rule is a few loops over small arrays.

// Value is the source of an integer register.
type Value struct {
	Kind  uint8 // valConst, valBig or valExpr
	Index int32 // expression number for valExpr
	Port  Port  // the INT word for valConst
	Int   int64 // the value for valBig
}

const (
	valConst = iota // an integer that fits in a word
	valBig          // a constant that needs a box
	valExpr         // the value of an expression
)

// Template is a compiled rewrite rule.
type Template struct {
	NA, NB int   // auxiliary ports of the left and right agent
	Attrs  []int // ext indices read as integers; attribute i is env[i]
	Alts   []Alt
	EnvLen int // attributes plus the largest number of lets

	words  [2]int    // cell sizes of the left and right agent
	valued [2]bool   // whether they carry a Go value
	wild   bool      // the right side is a wildcard, kept and rewired
	choose bool      // there are guards or lets: the first alternative is not always taken
	sides  [2]TypeID // the left and right type
	prog   *prog     // the compiled program, nil if the rule needs rewrite: see exec
}

// Alt is one compiled alternative.
type Alt struct {
	Lets   []*Code
	Guard  *Code
	Exprs  []*Code
	Nodes  []NodeSpec
	Vars   int         // fresh wires to allocate
	Values []Value     // integer registers
	Slots  []uint16    // register of each auxiliary slot of each new agent, in order
	Links  [][2]uint16 // pairs of registers to link
	Valued bool        // some new agent takes a Go value
	Regs   int         // size of the register file
	reused [2]bool     // a new agent takes over the left or right cell
	fused  bool        // no slot names the principal port of the same or a later new agent
}

// NodeSpec is a compiled new agent: its NODE word without location and
// its cell size.
type NodeSpec struct {
	Port      Port
	Words     int
	Arity     int
	ValueFrom int
	Reuse     int // 1 or 2: take over the cell of the left or right agent
	// Placed marks an agent allocated in address order (see place.go
	// and Template.inOrder), together with the fresh wires in its slots.
	Placed bool
}

// Compile builds a template for a rule between types left and right. attrs
// lists the ext indices read as integer attributes: those ports are
// consumed by the read and must not appear in a wire.
func Compile(reg *Registry, left, right TypeID, attrs []int, alts []AltSpec) (*Template, error) {
	na := 0
	if left != TypeInt {
		na = reg.Info(left).Arity()
	}
	nb := 0
	if right != TypeInt && right != TypeNone {
		nb = reg.Info(right).Arity()
	}
	t := &Template{NA: na, NB: nb, Attrs: attrs, sides: [2]TypeID{left, right}}
	for i, id := range [2]TypeID{left, right} {
		if id != TypeInt && id != TypeNone {
			t.words[i] = reg.Info(id).Words()
			t.valued[i] = reg.Info(id).Valued
		}
	}
	// A wildcard rule keeps the agent it matches: the body wires that
	// agent's principal port, ext[na+nb+1], like an old port.
	t.wild = right == TypeNone
	isAttr := map[int]bool{}
	for _, a := range attrs {
		if a < 0 || a >= na+nb+2 {
			return nil, fmt.Errorf("attribute index %d out of range", a)
		}
		if a < na+nb && isAttr[a] {
			return nil, fmt.Errorf("port %d is read as an attribute twice", a)
		}
		isAttr[a] = true
	}
	if len(alts) == 0 {
		return nil, fmt.Errorf("rule has no body")
	}
	for i, as := range alts {
		if as.Guard == nil && i != len(alts)-1 {
			return nil, fmt.Errorf("alternative %d has no guard but is not the last", i+1)
		}
		if as.Guard != nil && i == len(alts)-1 {
			return nil, fmt.Errorf("the last alternative must have no guard")
		}
		alt, err := compileAlt(reg, na+nb, t.wild, isAttr, as)
		if err == nil {
			t.reuse(&alt)
		}
		if err != nil {
			if len(alts) > 1 {
				err = fmt.Errorf("alternative %d: %w", i+1, err)
			}
			return nil, err
		}
		t.Alts = append(t.Alts, alt)
		if len(alts) > 1 || len(as.Lets) > 0 {
			t.choose = true
		}
		if n := len(attrs) + len(as.Lets); n > t.EnvLen {
			t.EnvLen = n
		}
	}
	if !NoPrograms.Load() {
		t.prog = compileProg(t)
	}
	return t, nil
}

// reuse lets new agents take over the cells of the two old agents when
// the sizes match, which saves a free and an allocation each.
func (t *Template) reuse(alt *Alt) {
	free := [2]bool{t.words[0] > 0, t.words[1] > 0 && !t.wild}
	for i := range alt.Nodes {
		ns := &alt.Nodes[i]
		if t.inOrder(alt, i) {
			ns.Placed = true
			continue
		}
		for side := range 2 {
			if free[side] && ns.Words == t.words[side] {
				ns.Reuse = side + 1
				free[side] = false
				alt.reused[side] = true
				break
			}
		}
	}
}

// inOrder reports whether new agent i of alt is an element that a merge
// writes out, to be allocated in address order (see place.go). Such an
// agent
//
//   - has the right agent's type, which the left agent's does not share:
//     it is the kind of element the rule takes apart;
//   - has its principal port linked to an old port of the left agent:
//     the rule writes it out;
//   - carries attributes of the left agent only: the element was carried
//     there, not taken from the right agent, whose cell reuse would give
//     it;
//   - and another new agent is linked to an old port of the left agent:
//     the rule goes on along a list that the left agent held, not along
//     the tail of the right one.
//
// Bubble sort's pass also writes out an element it carried, but it goes
// on along the tail of the element it took apart, so each element stays
// in the cell of the one before it in the same list.
func (t *Template) inOrder(alt *Alt, i int) bool {
	ns := &alt.Nodes[i]
	if ns.Port.Type() != t.sides[1] || t.sides[0] == t.sides[1] || t.wild {
		return false
	}
	// linkedLeft reports whether register r is linked to an old port of
	// the left agent.
	linkedLeft := func(r int) bool {
		for _, l := range alt.Links {
			if int(l[0]) == r && int(l[1]) < t.NA || int(l[1]) == r && int(l[0]) < t.NA {
				return true
			}
		}
		return false
	}
	base := t.NA + t.NB + 2
	if !linkedLeft(base + i) {
		return false
	}
	goesOn := false
	for j := range alt.Nodes {
		if j != i && linkedLeft(base+j) {
			goesOn = true
		}
	}
	return goesOn && t.attrSides(alt, i) == 1
}

// attrSides returns which old agents' attributes new agent i of alt
// holds in its slots: bit 0 for the left agent, bit 1 for the right.
func (t *Template) attrSides(alt *Alt, i int) int {
	vbase := t.NA + t.NB + 2 + len(alt.Nodes) + alt.Vars
	o := 0
	for j := range i {
		o += alt.Nodes[j].Arity
	}
	sides := 0
	for _, s := range alt.Slots[o : o+alt.Nodes[i].Arity] {
		k := int(s) - vbase
		if k < 0 || k >= len(alt.Values) || alt.Values[k].Kind != valExpr {
			continue
		}
		if a, ok := attrLoad(alt.Exprs[alt.Values[k].Index], len(t.Attrs)); ok {
			if t.Attrs[a] < t.NA {
				sides |= 1
			} else {
				sides |= 2
			}
		}
	}
	return sides
}

func compileAlt(reg *Registry, nports int, wild bool, isAttr map[int]bool, as AltSpec) (Alt, error) {
	next := nports
	if wild {
		next = nports + 2
	}
	alt := Alt{Lets: as.Lets, Guard: as.Guard, Exprs: as.Exprs}
	for _, nd := range as.Nodes {
		if int(nd.Type) <= int(TypeInt) || int(nd.Type) >= reg.Len() {
			return alt, fmt.Errorf("new agent has invalid type id %d", nd.Type)
		}
		info := reg.Info(nd.Type)
		if nd.ValueFrom != 0 && !info.Valued {
			return alt, fmt.Errorf("new agent %s takes a value but its type carries none", info.Name)
		}
		alt.Nodes = append(alt.Nodes, NodeSpec{
			Port:      NodePort(nd.Type, 0),
			Words:     info.Words(),
			Arity:     info.Arity(),
			ValueFrom: nd.ValueFrom,
		})
		if info.Valued {
			alt.Valued = true
		}
	}
	usedExt := make([]int, next)
	usedPort := make([][]int, len(as.Nodes))
	for i, nd := range as.Nodes {
		usedPort[i] = make([]int, reg.Info(nd.Type).Arity()+1)
	}
	describe := func(e End) string {
		switch e.Kind {
		case EndExt:
			return fmt.Sprintf("old port %d", e.Index)
		case EndNode:
			info := reg.Info(as.Nodes[e.Index].Type)
			return fmt.Sprintf("port %s of new agent %s", info.Ports[e.Port], info.Name)
		}
		return "integer"
	}
	check := func(e End) error {
		switch e.Kind {
		case EndExt:
			if e.Index < 0 || e.Index >= next || e.Index == nports {
				return fmt.Errorf("old port index %d out of range", e.Index)
			}
			if isAttr[e.Index] {
				return fmt.Errorf("%s is an integer attribute and cannot be wired", describe(e))
			}
			usedExt[e.Index]++
		case EndNode:
			if e.Index < 0 || e.Index >= len(as.Nodes) {
				return fmt.Errorf("new agent index %d out of range", e.Index)
			}
			if e.Port < 0 || e.Port >= len(usedPort[e.Index]) {
				return fmt.Errorf("new agent %s has no port %d", reg.Info(as.Nodes[e.Index].Type).Name, e.Port)
			}
			usedPort[e.Index][e.Port]++
		case EndExpr:
			if e.Index < 0 || e.Index >= len(as.Exprs) {
				return fmt.Errorf("expression index %d out of range", e.Index)
			}
		case EndConst:
		default:
			return fmt.Errorf("bad wire end kind %d", e.Kind)
		}
		return nil
	}
	// Registers of the old ports, the new agents and the wires are known
	// now; value registers are numbered after the wires once all are seen.
	base := nports + 2
	slots := make([][]int, len(as.Nodes))
	for i := range slots {
		slots[i] = make([]int, alt.Nodes[i].Arity)
	}
	var values []Value
	register := func(e End) int {
		switch e.Kind {
		case EndExt:
			return e.Index
		case EndNode:
			return base + e.Index
		case EndExpr:
			values = append(values, Value{Kind: valExpr, Index: int32(e.Index)})
		default:
			if p, ok := inlineInt(e.Value); ok {
				values = append(values, Value{Kind: valConst, Port: p})
			} else {
				values = append(values, Value{Kind: valBig, Int: e.Value})
			}
		}
		return -len(values) // resolved below
	}
	var links [][2]int
	fill := func(e End, r int) { slots[e.Index][e.Port-1] = r }
	isAux := func(e End) bool { return e.Kind == EndNode && e.Port > 0 }
	for _, w := range as.Wires {
		x, y := w[0], w[1]
		if err := check(x); err != nil {
			return alt, err
		}
		if err := check(y); err != nil {
			return alt, err
		}
		if !isAux(x) && isAux(y) {
			x, y = y, x
		}
		switch {
		case isAux(x) && isAux(y):
			v := -1<<20 - alt.Vars // a wire register, resolved below
			alt.Vars++
			fill(x, v)
			fill(y, v)
		case isAux(x):
			fill(x, register(y))
		default:
			links = append(links, [2]int{register(x), register(y)})
		}
	}
	// Resolve the placeholders: wires follow the new agents, values follow
	// the wires.
	resolve := func(r int) uint16 {
		switch {
		case r <= -1<<20:
			return uint16(base + len(as.Nodes) + (-1<<20 - r))
		case r < 0:
			return uint16(base + len(as.Nodes) + alt.Vars + (-r - 1))
		}
		return uint16(r)
	}
	alt.fused = true
	for i, ss := range slots {
		for _, r := range ss {
			reg := resolve(r)
			if int(reg) >= base+i && int(reg) < base+len(as.Nodes) {
				alt.fused = false
			}
			alt.Slots = append(alt.Slots, reg)
		}
	}
	for _, l := range links {
		alt.Links = append(alt.Links, [2]uint16{resolve(l[0]), resolve(l[1])})
	}
	alt.Values = values
	alt.Regs = base + len(as.Nodes) + alt.Vars + len(values)
	if alt.Regs > 1<<16 {
		return alt, fmt.Errorf("rule body is too large")
	}
	for _, c := range as.Exprs {
		c.Optimize()
	}
	for _, c := range as.Lets {
		c.Optimize()
	}
	if as.Guard != nil {
		as.Guard.Optimize()
	}
	for i, n := range usedExt {
		if isAttr[i] || i == nports {
			continue
		}
		if n != 1 {
			return alt, fmt.Errorf("old port %d is wired %d times; it must be wired exactly once", i, n)
		}
	}
	for i, ports := range usedPort {
		for p, n := range ports {
			if n != 1 {
				return alt, fmt.Errorf("%s is wired %d times; it must be wired exactly once",
					describe(End{Kind: EndNode, Index: i, Port: p}), n)
			}
		}
	}
	return alt, nil
}
