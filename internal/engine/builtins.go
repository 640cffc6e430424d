package engine

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// The built-in agents of the text language (Inpla 0.13) and their rules,
// written as native rules. Each call of a native rule is one interaction,
// so a built-in that Inpla reduces in several interactions is split here
// into the same number of steps, with internal helper agents for the
// intermediate states. Helper names start with "_", which the language
// does not allow, so programs cannot write them.
//
// Ownership: a rule owns the two agents of its active pair, and every
// agent whose principal port is held in an auxiliary slot of an agent it
// owns, because no other reducer can reach such an agent. A rule may read
// and rewrite the slots of the agents it owns, retype their cells, and
// allocate new agents and wires. It touches wire cells only through
// Link, which hands each agent it connects over to whichever reducer
// forms the next active pair with it. So a rule finishes building an
// agent before it links the agent.

// maxTupleSize is the number of elements of the largest tuple type.
const maxTupleSize = 5

// builtinTypes lists the types InstallBuiltins defines, with their port
// names, principal port first.
var builtinTypes = []struct {
	name  string
	ports []string
}{
	{"Eraser", nil},
	{"Dup", []string{"main", "a", "b"}},
	{"Add", []string{"main", "result", "operand"}},
	{"Sub", []string{"main", "result", "operand"}},
	{"Mul", []string{"main", "result", "operand"}},
	{"Div", []string{"main", "result", "operand"}},
	{"Mod", []string{"main", "result", "operand"}},
	{"Append", []string{"main", "result", "ys"}},
	{"Zip", []string{"main", "result", "ys"}},
	{"Map", []string{"main", "result", "fn"}},
	{"Merger", []string{"main", "result"}},

	// _Add … _Mod hold the first integer and wait for the second one. The
	// names are Inpla's, which prints them in a net that is still waiting.
	{"_Add", []string{"main", "result", "operand"}},
	{"_Sub", []string{"main", "result", "operand"}},
	{"_Mul", []string{"main", "result", "operand"}},
	{"_Div", []string{"main", "result", "operand"}},
	{"_Mod", []string{"main", "result", "operand"}},
	// _ZipC holds the first cons of the principal list and waits for a
	// cons of the other list.
	{"_ZipC", []string{"main", "result", "xs"}},
	// _Merge reads one of the two lists of a Merger; its Go value is the
	// *merge the two readers share.
	{"_Merge", nil},
	// _Percent is the function agent %foo of the text language: its one
	// port holds the type id of foo as an integer.
	{"_Percent", []string{"main", "agent"}},
}

// dataTypes lists the list and tuple types that the caller normally
// defines before InstallBuiltins, with their port names.
var dataTypes = []struct {
	name  string
	ports []string
}{
	{"Nil", nil},
	{"Cons", []string{"main", "head", "tail"}},
	{"Tuple0", nil},
	{"Tuple2", []string{"main", "e1", "e2"}},
	{"Tuple3", []string{"main", "e1", "e2", "e3"}},
	{"Tuple4", []string{"main", "e1", "e2", "e3", "e4"}},
	{"Tuple5", []string{"main", "e1", "e2", "e3", "e4", "e5"}},
}

// builtins holds the type ids that the native rules refer to.
type builtins struct {
	eraser, dup   TypeID
	nilList, cons TypeID
	tuple         [maxTupleSize + 1]TypeID // by size; tuple[1] is TypeNone
	zip, zipCons  TypeID
	merge         TypeID
	percent       TypeID
	types         *Registry
}

// InstallBuiltins defines the built-in agent types of the text language
// in n.Types and adds their rules to n.Rules. It returns the type id of
// every type it defines or uses, by name:
//
//   - Eraser (no auxiliary port) erases whatever it meets.
//   - Dup (a, b) copies whatever it meets into a and b.
//   - Add, Sub, Mul, Div and Mod (result, operand): Add(r, y) ~ x connects
//     r to x + y once both integers are there. The others compute y − x,
//     y × x, y / x and y mod x.
//   - Append (result, ys): Append(r, ys) ~ xs connects r to xs ++ ys.
//   - Zip (result, ys): Zip(r, ys) ~ xs connects r to the list of pairs
//     (y, x), as long as the shorter list.
//   - Map (result, fn): Map(r, f) ~ xs applies the function net f to each
//     element, where f ~ (w, x) connects w to the result for x.
//   - Merger (result): Merger(r) ~ (xs, ys) connects r to the elements of
//     xs followed by those of ys.
//   - Internal helpers whose names start with "_".
//
// The list and tuple types Nil, Cons (head, tail), Tuple0 and Tuple2 …
// Tuple5 (e1 … eN) are looked up by name and defined if absent. Rules
// are added for the annihilation of two equal tuples, of two conses and
// of two empty lists. All rules are marked Builtin, so user rules take
// priority. Eraser and Dup have wildcard rules, which meet any agent, and
// separate rules for integers.
//
// InstallBuiltins fails if a built-in type name is already defined, if an
// existing list or tuple type has other ports or carries a Go value, or
// if a rule for one of these pairs is already defined. The net may then
// be partly set up and should be discarded.
func InstallBuiltins(n *Net) (map[string]TypeID, error) {
	ids := map[string]TypeID{}
	for _, t := range dataTypes {
		id, err := dataType(n.Types, t.name, t.ports)
		if err != nil {
			return nil, err
		}
		ids[t.name] = id
	}
	for _, t := range builtinTypes {
		if _, ok := n.Types.Lookup(t.name); ok {
			return nil, fmt.Errorf("built-in agent type %s is already defined", t.name)
		}
	}
	for _, t := range builtinTypes {
		id, err := n.Types.Define(t.name, t.ports, t.name == "_Merge", nil)
		if err != nil {
			return nil, err
		}
		ids[t.name] = id
	}

	b := &builtins{
		eraser:  ids["Eraser"],
		dup:     ids["Dup"],
		nilList: ids["Nil"],
		cons:    ids["Cons"],
		zip:     ids["Zip"],
		zipCons: ids["_ZipC"],
		merge:   ids["_Merge"],
		percent: ids["_Percent"],
		types:   n.Types,
	}
	b.tuple[0] = ids["Tuple0"]
	for size := 2; size <= maxTupleSize; size++ {
		b.tuple[size] = ids[fmt.Sprintf("Tuple%d", size)]
	}
	for _, r := range b.rules(ids) {
		r.Kind = RuleNative
		if r.Template != nil {
			r.Kind = RuleRewrite
		}
		r.Builtin = true
		if _, err := n.Rules.Add(r, false); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// dataType returns the id of the list or tuple type called name, defining
// it if absent. An existing one must have the expected number of
// auxiliary ports and no Go value, because the rules move words between
// these agents' cells and retype them.
func dataType(reg *Registry, name string, ports []string) (TypeID, error) {
	id, ok := reg.Lookup(name)
	if !ok {
		return reg.Define(name, ports, false, nil)
	}
	info := reg.Info(id)
	want := max(len(ports)-1, 0)
	if info.Arity() != want || info.Valued {
		return 0, fmt.Errorf("agent type %s must have %d auxiliary ports and no Go value to be used by the built-in rules", name, want)
	}
	return id, nil
}

// rules returns the built-in rules, without their Kind and Builtin flag.
func (b *builtins) rules(ids map[string]TypeID) []*Rule {
	rs := []*Rule{
		{Name: "Eraser", Left: b.eraser, Right: TypeNone, Native: b.erase, native: nativeErase},
		{Name: "Eraser", Left: b.eraser, Right: TypeInt, Native: b.eraseInt, native: nativeEraseInt},
		{Name: "Dup", Left: b.dup, Right: TypeNone, Native: b.duplicate, native: nativeDup},
		{Name: "Dup", Left: b.dup, Right: TypeInt, Native: b.duplicateInt},

		{Name: "Nil", Left: b.nilList, Right: b.nilList, Native: annihilate},
		{Name: "Cons", Left: b.cons, Right: b.cons, Native: annihilate},
		{Name: "Tuple0", Left: b.tuple[0], Right: b.tuple[0], Native: annihilate},

		{Name: "Append", Left: ids["Append"], Right: b.nilList, Native: appendNil},
		{Name: "Append", Left: ids["Append"], Right: b.cons, Native: copyCons},

		{Name: "Zip", Left: b.zip, Right: b.nilList, Native: b.endNil},
		{Name: "Zip", Left: b.zip, Right: b.cons, Native: b.zipCons1},
		{Name: "Zip", Left: b.zipCons, Right: b.nilList, Native: b.endNil},
		{Name: "Zip", Left: b.zipCons, Right: b.cons, Native: b.zipCons2},

		{Name: "Map", Left: ids["Map"], Right: b.nilList, Native: b.endNil},
		{Name: "Map", Left: ids["Map"], Right: b.cons, Native: b.mapCons},
		{Name: "%", Left: b.percent, Right: b.tuple[2], Native: b.apply},

		{Name: "Merger", Left: ids["Merger"], Right: b.tuple[2], Native: b.mergerStart},
		{Name: "Merger", Left: b.merge, Right: b.cons, Native: b.mergeCons},
		{Name: "Merger", Left: b.merge, Right: b.nilList, Native: b.mergeNil},
	}
	for size := 2; size <= maxTupleSize; size++ {
		t := b.tuple[size]
		rs = append(rs, &Rule{Name: fmt.Sprintf("Tuple%d", size), Left: t, Right: t, Native: annihilate})
	}
	for _, op := range arithmetic {
		waiting := ids["_"+op.name]
		wait, done := b.arithTemplates(ids[op.name], waiting, op.op)
		first := &Rule{Name: op.name, Left: ids[op.name], Right: TypeInt, Template: wait}
		second := &Rule{Name: op.name, Left: waiting, Right: TypeInt, Template: done}
		switch op.op {
		case OpAdd, OpSub, OpMul:
			first.arithStep, first.op, first.waiting = arithWait, op.op, waiting
			second.arithStep, second.op = arithDone, op.op
		}
		rs = append(rs, first, second)
	}
	return rs
}

// ---------------------------------------------------------------------------
// Eraser and Dup

// erase carries out Eraser ~ A(s1, …, sn): every auxiliary port of A gets
// an Eraser, so erasing a tree costs one interaction per agent and per
// integer in it. Eraser ~ Eraser frees both.
func (b *builtins) erase(w *Worker, eraser, agent Port) error {
	w.eraseAgent(eraser, agent, b.types.Info(agent.Type()))
	return nil
}

// eraseInt carries out Eraser ~ integer, freeing the box of a large one.
func (b *builtins) eraseInt(w *Worker, eraser, n Port) error {
	w.DropInt(n)
	w.FreeAgent(eraser)
	return nil
}

// duplicate carries out Dup(a, b) ~ A(s1, …, sn): a gets a new agent A and
// b gets the old one, both with the same Go value. An integer held in a
// slot is copied at once. Any other slot gets a new Dup, whose two ports
// become the slot in the two copies. Dup ~ Dup annihilates, so a meets
// the other Dup's a, and b its b. An agent whose Go value is a
// PortHolder is not copied, so the pair stays and the rule fails with
// ErrCopyHeldPorts.
func (b *builtins) duplicate(w *Worker, dup, agent Port) error {
	if _, ok := w.Value(agent).(PortHolder); ok {
		return ErrCopyHeldPorts
	}
	if agent.Type() == b.dup {
		// Inpla's wire directions: a points at the other a, the other b
		// at b.
		a0, a1 := w.Aux(dup, 0), w.Aux(dup, 1)
		b0, b1 := w.Aux(agent, 0), w.Aux(agent, 1)
		w.FreeAgent(dup)
		w.FreeAgent(agent)
		w.Link(a0, b0)
		w.Link(b1, a1)
		return nil
	}
	w.dupAgent(dup, agent, b.types.Info(agent.Type()))
	return nil
}

// ErrCopyHeldPorts is the error of Dup meeting an agent whose Go value
// keeps ports of the net (see PortHolder), such as a reader of a Merger.
// Both copies would share those ports, and each port has one holder.
var ErrCopyHeldPorts = errors.New("cannot copy a reader of a Merger (or any agent whose Go value keeps ports of the net)")

// runQuick carries out the pair r, which runCompiled has popped, with the
// native rule of Eraser or Dup that c.native names, and returns true. It
// spares the call through Rule.Native. It returns false and changes
// nothing in the cases it leaves to Native: a boxed integer, Dup ~ Dup
// and agents with a Go value.
func (w *Worker) runQuick(c *ruleCell, r Redex) bool {
	a, b := r.A, r.B
	if c.swap {
		a, b = b, a
	}
	switch c.native {
	case nativeEraseInt:
		if b&tagMask != tagInt {
			return false
		}
		// The Eraser has no cell: freeing it is its count.
		w.heap.frees++
	case nativeErase:
		info := w.Net.Types.Info(b.principalType())
		if info.Valued {
			return false
		}
		w.eraseAgent(a, b, info)
	case nativeDup:
		t := b.principalType()
		info := w.Net.Types.Info(t)
		if info.Valued || t == a.principalType() {
			return false
		}
		w.dupAgent(a, b, info)
	default:
		return false
	}
	w.count++
	return true
}

// eraseAgent carries out Eraser ~ agent, where info describes agent.
func (w *Worker) eraseAgent(eraser, agent Port, info *TypeInfo) {
	n := info.arity
	var slots [MaxArity]Port
	if n > 0 {
		p := w.heap.word(agent.nodeLoc())
		for i := range n {
			slots[i] = *(*Port)(unsafe.Add(p, 8*i))
		}
	}
	w.freeAgent(agent, info)
	// The Eraser of the pair goes to the first connected port. Erasers
	// have no storage, so a new one is the same word as the pair's and
	// costs only the agent count.
	next := eraser
	for _, s := range slots[:n] {
		if s == None {
			continue
		}
		if next == None {
			w.heap.allocs++
			next = eraser
		}
		w.linkQuick(s, next)
		next = None
	}
	if next != None {
		w.heap.frees++
	}
}

// dupAgent carries out Dup(a, b) ~ agent for an agent that is not a Dup,
// where info describes agent.
func (w *Worker) dupAgent(dup, agent Port, info *TypeInfo) {
	h := w.heap
	dupCell := h.word(dup.nodeLoc())
	outA, outB := *(*Port)(dupCell), *(*Port)(unsafe.Add(dupCell, 8))
	var dupCopy Port
	if info.Valued {
		dupCopy = w.NewAgent(agent.Type())
		w.SetValue(dupCopy, w.Value(agent))
	} else {
		// Every port of the copy is written below, so its cell is not
		// cleared first.
		dupCopy = w.newAgentCell(agent.Type(), info)
	}

	// The Dup of the pair serves the first slot that needs one. Cells
	// stay where they are while agents and wires are allocated, so the
	// two cell pointers stay valid.
	spare := dup
	from, to := h.word(agent.nodeLoc()), h.word(dupCopy.nodeLoc())
	for i := range info.arity {
		src := (*Port)(unsafe.Add(from, 8*i))
		dst := (*Port)(unsafe.Add(to, 8*i))
		s := *src
		switch s & tagMask {
		case tagNone, tagInt:
			// An unconnected port stays unconnected in both copies.
			*dst = s
		case tagBig:
			*dst = w.copyInt(s)
		default:
			d := spare
			if d == None {
				d = w.newAgentCell(dup.principalType(), w.Net.Types.Info(dup.principalType()))
			}
			spare = None
			x, y := w.NewVar(), w.NewVar()
			cell := h.word(d.nodeLoc())
			*(*Port)(cell) = x
			*(*Port)(unsafe.Add(cell, 8)) = y
			*dst = x
			*src = y
			// d takes over the subnet at s. Its ports lead to the two
			// copies, which no other reducer can reach before the links
			// below.
			w.linkQuick(s, d)
		}
	}

	if spare != None {
		w.freeAgent(spare, w.Net.Types.Info(dup.principalType()))
	}
	w.linkQuick(outA, dupCopy)
	w.linkQuick(outB, agent)
}

// duplicateInt carries out Dup(a, b) ~ n: a ~ n and b ~ n.
func (b *builtins) duplicateInt(w *Worker, dup, n Port) error {
	outA, outB := w.Aux(dup, 0), w.Aux(dup, 1)
	w.FreeAgent(dup)
	w.Link(outA, w.copyInt(n))
	w.Link(outB, n)
	return nil
}

// copyInt returns a new word for the integer n, which the caller owns.
// A boxed integer gets a box of its own, because each box has one holder
// that frees it.
func (w *Worker) copyInt(n Port) Port {
	if n&tagMask != tagBig {
		return n
	}
	return w.Int(int64(w.heap.load(n.Loc())))
}

// annihilate carries out a pair of two agents of the same type by
// connecting their auxiliary ports pairwise: two tuples of one size, two
// conses, two empty lists. A wire between two names is directed; the
// directions are Inpla's: from y to x for the first ports, from x to y
// for the others, so that after (a, b) ~ (c, d) c shows a and b shows d.
func annihilate(w *Worker, x, y Port) error {
	n := w.Net.Types.Info(x.Type()).Arity()
	var xs, ys [MaxArity]Port
	for i := range n {
		xs[i], ys[i] = w.Aux(x, i), w.Aux(y, i)
	}
	w.FreeAgent(x)
	w.FreeAgent(y)
	for i := range n {
		if i == 0 {
			w.Link(ys[i], xs[i])
		} else {
			w.Link(xs[i], ys[i])
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Arithmetic

// arithmetic lists the operations of Add … Mod. Op(r, y) ~ x gives
// r ~ y op x, so r << Sub(a, b), which is Sub(r, a) ~ b, is a − b.
// Arithmetic wraps around; division truncates toward zero, and
// math.MinInt64 / -1 is math.MinInt64, as in Go.
var arithmetic = []struct {
	name string
	op   Op
}{
	{"Add", OpAdd}, {"Sub", OpSub}, {"Mul", OpMul}, {"Div", OpDiv}, {"Mod", OpMod},
}

// arithTemplates compiles the two rules of an operation as rewrite
// templates, which the reducer runs on its fast path:
//
//	Op(r, y) >< (int x)      => _Op(r, x) ~ y;
//	_Op(r, int x) >< (int y) => r ~ (y op x);
//
// _Op has Op's cell layout, so the first rule reuses Op's cell. A
// division by zero fails before the second rule changes anything.
func (b *builtins) arithTemplates(op, waiting TypeID, code Op) (wait, done *Template) {
	load := func(i int64) *Code { return &Code{Instrs: []Instr{{Op: OpLoad, Arg: i}}, Depth: 1} }
	// Ext registers: Op's ports r=0 and y=1, then Op itself=2, the integer=3.
	wait, err := Compile(b.types, op, TypeInt, []int{3}, []AltSpec{{
		Nodes: []NodeDecl{{Type: waiting}},
		Exprs: []*Code{load(0)},
		Wires: [][2]End{
			{{Kind: EndNode, Index: 0, Port: 1}, {Kind: EndExt, Index: 0}},
			{{Kind: EndNode, Index: 0, Port: 2}, {Kind: EndExpr, Index: 0}},
			{{Kind: EndNode, Index: 0, Port: 0}, {Kind: EndExt, Index: 1}},
		},
	}})
	if err != nil {
		panic("engine: built-in arithmetic rule: " + err.Error())
	}
	// _Op's ports r=0 and x=1; attribute 0 is x, attribute 1 is y.
	apply := &Code{Instrs: []Instr{{Op: OpLoad, Arg: 1}, {Op: OpLoad, Arg: 0}, {Op: code}}, Depth: 2}
	done, err = Compile(b.types, waiting, TypeInt, []int{1, 3}, []AltSpec{{
		Exprs: []*Code{apply},
		Wires: [][2]End{{{Kind: EndExt, Index: 0}, {Kind: EndExpr, Index: 0}}},
	}})
	if err != nil {
		panic("engine: built-in arithmetic rule: " + err.Error())
	}
	return wait, done
}

// ---------------------------------------------------------------------------
// Lists

// copyCons carries out F(r, …) ~ x:xs => r ~ x:w, F(w, …) ~ xs for an
// agent F whose first auxiliary port is its result, such as Append. The
// cons is reused as the copy.
func copyCons(w *Worker, f, cons Port) error {
	r, xs := w.Aux(f, 0), w.Aux(cons, 1)
	v := w.NewVar()
	w.SetAux(cons, 1, v)
	w.SetAux(f, 0, v)
	w.Link(r, cons)
	w.Link(xs, f)
	return nil
}

// appendNil carries out Append(r, ys) ~ [] => r ~ ys.
func appendNil(w *Worker, app, empty Port) error {
	r, ys := w.Aux(app, 0), w.Aux(app, 1)
	w.FreeAgent(app)
	w.FreeAgent(empty)
	w.Link(ys, r) // Inpla's direction: ys shows r
	return nil
}

// endNil carries out F(r, rest) ~ [] => r ~ [], Eraser ~ rest for an
// agent F whose first port is its result and whose second is no longer
// needed: Zip(r, ys) and _ZipC(r, x:xs), whose rest of the longer list is
// erased, and Map(r, f), whose function is erased.
func (b *builtins) endNil(w *Worker, f, empty Port) error {
	r, rest := w.Aux(f, 0), w.Aux(f, 1)
	w.FreeAgent(f)
	w.Link(r, empty)
	w.Link(rest, w.NewAgent(b.eraser))
	return nil
}

// zipCons1 carries out Zip(r, ys) ~ x:xs => _ZipC(r, x:xs) ~ ys: the Zip
// keeps the cons and waits for a cons of the other list.
func (b *builtins) zipCons1(w *Worker, zip, cons Port) error {
	ys := w.Aux(zip, 1)
	h := NodePort(b.zipCons, zip.Loc()) // same layout as Zip
	w.SetAux(h, 1, cons)                // the cons now belongs to h
	w.Link(ys, h)
	return nil
}

// zipCons2 carries out _ZipC(r, x:xs) ~ y:ys => r ~ (y, x):ws,
// Zip(ws, ys) ~ xs. The held cons becomes the pair, the other cons the
// result cell, and the helper becomes a Zip again.
func (b *builtins) zipCons2(w *Worker, h, cons Port) error {
	r, heldCons := w.Aux(h, 0), w.Aux(h, 1)
	x, xs := w.Aux(heldCons, 0), w.Aux(heldCons, 1)
	y, ys := w.Aux(cons, 0), w.Aux(cons, 1)

	pair := NodePort(b.tuple[2], heldCons.Loc()) // Cons and Tuple2 have the same layout
	w.SetAux(pair, 0, y)
	w.SetAux(pair, 1, x)

	ws := w.NewVar()
	w.SetAux(cons, 0, pair)
	w.SetAux(cons, 1, ws)

	zip := NodePort(b.zip, h.Loc())
	w.SetAux(zip, 0, ws)
	w.SetAux(zip, 1, ys)

	w.Link(r, cons)
	w.Link(xs, zip)
	return nil
}

// mapCons carries out
//
//	Map(r, f) ~ x:xs => Dup(f1, f2) ~ f, r ~ w:ws, f1 ~ (w, x), Map(ws, f2) ~ xs
func (b *builtins) mapCons(w *Worker, m, cons Port) error {
	r, f := w.Aux(m, 0), w.Aux(m, 1)
	x, xs := w.Aux(cons, 0), w.Aux(cons, 1)

	// The cons becomes the result cell w:ws.
	elem, ws := w.NewVar(), w.NewVar()
	w.SetAux(cons, 0, elem)
	w.SetAux(cons, 1, ws)
	pair := w.NewAgent(b.tuple[2])
	w.SetAux(pair, 0, elem)
	w.SetAux(pair, 1, x)

	w.SetAux(m, 0, ws)
	if f.IsNode() && f.Type() == b.percent && w.Aux(f, 0).IsInt() {
		// A function agent %foo held directly by the Map is copied with
		// no Dup and no interaction, as Inpla does, so Map over %foo
		// takes the interactions Inpla prints. The Map owns f.
		g := w.NewAgent(b.percent)
		w.SetAux(g, 0, w.copyInt(w.Aux(f, 0)))
		w.Link(g, pair)
	} else {
		// The Dup's first port holds the pair's principal port directly,
		// which saves the wire f1.
		d := w.NewAgent(b.dup)
		f2 := w.NewVar()
		w.SetAux(d, 0, pair)
		w.SetAux(d, 1, f2)
		w.SetAux(m, 1, f2)
		w.Link(f, d)
	}
	w.Link(r, cons)
	w.Link(xs, m)
	return nil
}

// Merger has a single principal port here, unlike Inpla's agent, which
// has two and takes elements from whichever list delivers first. So the
// merge is deterministic: it copies every element of the first list, then
// every element of the second. For two lists already built this is
// Inpla's order too (its single-threaded reducer drains the first list
// first), and it takes the same number of interactions: one for the
// pair, one per cons and one per []. A stream on the second list waits
// until the first list has ended.

// A Merger passes on the elements of two lists in the order they arrive.
// Two _Merge agents read the lists, one each, and share a merge: the open
// end of the output list, which each reader extends under the merge's
// lock as an element arrives, and the number of lists still open. When
// both lists are already built, the first list comes first, as in Inpla;
// with parallel workers, the readers may interleave.

// ErrNoMergeState is the error of a _Merge agent that meets a list but
// was not made by a Merger, so it lacks the state the two readers share.
var ErrNoMergeState = errors.New("the _Merge agent was not made by Merger ~ (xs, ys) and has no merge state")

// merge is the state two _Merge readers share.
type merge struct {
	mu   sync.Mutex // guards tail and open
	tail Port       // the end of the output list built so far
	open int        // lists not yet at []
}

// HeldPorts returns the end of the output list, which the readers hold
// outside their ports.
func (m *merge) HeldPorts() []Port {
	m.mu.Lock()
	defer m.mu.Unlock()
	return []Port{m.tail}
}

// mergerStart carries out Merger(r) ~ (xs, ys): a reader for each list.
// The pair (xs, ys) is free as soon as its ports are read.
func (b *builtins) mergerStart(w *Worker, m, pair Port) error {
	r := w.Aux(m, 0)
	xs, ys := w.Aux(pair, 0), w.Aux(pair, 1)
	w.FreeAgent(m)
	w.FreeAgent(pair)
	st := &merge{tail: r, open: 2}
	left, right := w.NewAgent(b.merge), w.NewAgent(b.merge)
	w.SetValue(left, st)
	w.SetValue(right, st)
	// The second list is linked first so that, on one worker, the first
	// list is read first.
	w.Link(ys, right)
	w.Link(xs, left)
	return nil
}

// mergeCons carries out _Merge ~ x:xs: x becomes the next element of the
// output, and the reader waits for xs. The cons is reused as the output
// cell; the reader agent is reused for xs.
func (b *builtins) mergeCons(w *Worker, reader, cons Port) error {
	st, ok := w.Value(reader).(*merge)
	if !ok {
		return ErrNoMergeState
	}
	xs := w.Aux(cons, 1)
	next := w.NewVar()
	w.SetAux(cons, 1, next)
	st.mu.Lock()
	w.Link(st.tail, cons)
	st.tail = next
	st.mu.Unlock()
	w.Link(xs, reader)
	return nil
}

// mergeNil carries out _Merge ~ []: the reader is done; the last one to
// finish ends the output with the [].
func (b *builtins) mergeNil(w *Worker, reader, empty Port) error {
	st, ok := w.Value(reader).(*merge)
	if !ok {
		return ErrNoMergeState
	}
	w.FreeAgent(reader)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.open--
	if st.open > 0 {
		w.FreeAgent(empty)
		return nil
	}
	w.Link(st.tail, empty)
	return nil
}

// apply carries out %foo ~ (p, q): it connects foo(r, x1, …) to q and the
// tuple (r, x1, …) to p, or foo(r) to q and r to p when foo has one
// auxiliary port, which is what the function net
// ((r, x1, …), foo(r, x1, …)) does in one interaction. When p is already
// a tuple of the right size, foo takes its elements directly.
func (b *builtins) apply(w *Worker, fn, args Port) error {
	idp := w.Aux(fn, 0)
	id, err := w.IntValue(idp)
	if err != nil {
		return err
	}
	if id <= int64(TypeInt) || id >= int64(b.types.Len()) {
		return fmt.Errorf("invalid function agent: %d is not an agent type id", id)
	}
	foo := TypeID(id)
	arity := b.types.Info(foo).Arity()
	if arity < 1 || arity > maxTupleSize {
		return fmt.Errorf("%%%s has %d auxiliary ports; a function agent needs 1 to %d", b.types.Name(foo), arity, maxTupleSize)
	}
	p, q := w.Aux(args, 0), w.Aux(args, 1)
	w.DropInt(idp)
	w.FreeAgent(fn)
	w.FreeAgent(args)

	call := w.NewAgent(foo)
	switch {
	case arity == 1:
		w.SetAux(call, 0, p)
	case p.IsNode() && p.Type() == b.tuple[arity]:
		// The tuple hangs from the pair's slot, so this rule owns it.
		for i := range arity {
			w.SetAux(call, i, w.Aux(p, i))
		}
		w.FreeAgent(p)
	default:
		tuple := w.NewAgent(b.tuple[arity])
		for i := range arity {
			v := w.NewVar()
			w.SetAux(call, i, v)
			w.SetAux(tuple, i, v)
		}
		w.Link(p, tuple)
	}
	w.Link(q, call)
	return nil
}
