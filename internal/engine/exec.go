package engine

import (
	"errors"
	"sync/atomic"
	"time"
	"unsafe"
)

// Most rewrite rules are carried out by a program compiled from their
// template: a straight list of instructions per alternative that tests
// the guard, computes the integers, allocates and fills the new agents
// and links what is left. Running it costs one dispatch per instruction
// and no call on the common paths, where rewrite walks every array of the
// template with its own loop and checks.
//
// A rule qualifies when its registers and attributes fit in 256 slots.
// It must also not be a wildcard rule, carry Go values, leave an integer
// of the pair unread as an attribute or draw random numbers. An interaction whose attributes
// are not inline integers, or whose results do not fit in one, goes
// through rewrite instead: the program bails out before it changes
// anything.

// fastRegs is the size of the register file and of the attribute array
// of a compiled program.
const fastRegs = 256

// Instruction codes. Registers and attribute numbers are uint8 fields,
// w holds a constant or a NODE word without location, and a jump's
// target is the instruction index r|z<<8.
const (
	insEnd     = iota // the rule is done: n agents allocated, y wires made, mode 1 if live agents grew
	insGuardEq        // unless env[x] == int64(w), jump to the next alternative, at r|z<<8
	insGuardNe
	insGuardLt
	insGuardLe
	insGuardGt
	insGuardGe
	insGuard // unless the guard expression of alternative y holds, jump to r|z<<8
	insLet   // env[r] = let x of alternative y
	insAddK  // reg[r] = the integer env[x] + int64(w)
	insAddV  // reg[r] = the integer env[x] + env[y]
	insSubV  // reg[r] = the integer env[x] - env[y]
	insMulK  // reg[r] = the integer env[x] * int64(w)
	insMulV  // reg[r] = the integer env[x] * env[y]
	insExpr  // reg[r] = the integer value of expression x of alternative y
	insFreeA // release the left agent's cell of n words
	insFreeB // release the right agent's cell of n words
	insVar   // reg[r] = a fresh wire
	insConst // reg[r] = w (an integer word or a nullary agent)
	insBig   // reg[r] = a box holding int64(w)
	insNew1  // allocate agent reg[r] = w with slot x (mode: see ins)
	insNew2  // the same with slots x, y
	insNew3  // the same with slots x, y, z
	insNew4  // the same with slots x, y, z, v
	insNewN  // the same with n slots listed at slots[x|y<<8:]
	insAlloc // allocate agent reg[r] = w of n words, slots left unset
	insFill  // write the n slots listed at slots[x|y<<8:] into agent reg[r]
	insPush  // push the pair (reg[x], reg[y]), both principal ports
	insLink  // link reg[x] and reg[y], either of which may be a wire
	insVarT  // insVar in the cell of reg[x] if that is a filled wire; reg[x] = its content (see takeWire)
	insVarP  // insVar from placeAlloc, for a wire in the slot of a placed agent
	insNewP  // allocate agent reg[r] = w of n words from placeAlloc, slots left to an insFill
)

// ins is one instruction of a compiled program.
type ins struct {
	op      uint8
	r       uint8 // destination register
	x, y, z uint8 // operands
	// n is the cell's words. insNewN writes as many slots, which holds
	// because compiled programs build no agent with a Go value (see
	// compileProg). For insFill n is the number of slots.
	n    uint8
	mode uint8 // insNew*, insAlloc: 0 allocates, 1 takes the left cell, 2 the right cell
	v    uint8 // insNew4's fourth slot
	w    uint64
}

// insSize is the size of an instruction in bytes.
const insSize = unsafe.Sizeof(ins{})

// target returns the jump target of a guard.
func (in *ins) target() int { return int(in.r) | int(in.z)<<8 }

// prog is the compiled program of a template: the alternatives one after
// the other, each ending with insEnd. It repeats the fields of the
// template that every interaction reads, so that they are one load away
// from the rule table.
type prog struct {
	code   []ins
	slots  []uint8 // slot registers of insNewN (more than four slots) and insFill
	nfree  int64   // agents among the two of the pair
	na, nb int     // auxiliary ports of the left and right agent
	attrs  []uint8 // registers read as attributes
	t      *Template
}

// compileProg builds the program of t, or returns nil if t must go
// through rewrite.
func compileProg(t *Template) *prog {
	if t.valued[0] || t.valued[1] || t.wild || t.EnvLen > fastRegs {
		return nil
	}
	for _, a := range t.Attrs {
		if a >= fastRegs {
			return nil
		}
	}
	p := &prog{na: t.NA, nb: t.NB, t: t}
	for _, a := range t.Attrs {
		p.attrs = append(p.attrs, uint8(a))
	}
	for i, id := range t.sides {
		if id != TypeInt {
			p.nfree++
		} else if !t.isAttr(t.NA + t.NB + i) {
			// An integer of the pair that is not read could be boxed and
			// must then be freed: rewrite does that.
			return nil
		}
	}
	var jumps []int // instructions whose z is the next alternative
	for ai := range t.Alts {
		alt := &t.Alts[ai]
		if alt.Regs > fastRegs || alt.Valued || alt.random() {
			return nil
		}
		start := len(p.code)
		for _, j := range jumps {
			p.code[j].r, p.code[j].z = uint8(start), uint8(start>>8)
		}
		jumps = jumps[:0]
		if g := alt.Guard; g != nil {
			if fails, ok := p.translateGuard(g, t.EnvLen); ok {
				jumps = append(jumps, fails...)
			} else if v, ok := p.translateExpr(g, t.EnvLen); ok {
				switch {
				case !v.konst:
					jumps = append(jumps, len(p.code))
					p.code = append(p.code, ins{op: insTest, x: uint8(v.v)})
				case v.v == 0:
					jumps = append(jumps, len(p.code))
					p.code = append(p.code, ins{op: insJump})
				}
			} else {
				jumps = append(jumps, len(p.code))
				p.code = append(p.code, ins{op: insGuard, y: uint8(ai)})
			}
		}
		for k, c := range alt.Lets {
			s := len(t.Attrs) + k
			v, ok := p.translateExpr(c, t.EnvLen)
			switch {
			case !ok:
				p.code = append(p.code, ins{op: insLet, r: uint8(s), x: uint8(k), y: uint8(ai)})
			case v.konst:
				p.code = append(p.code, ins{op: insKSet, r: uint8(s), w: uint64(v.v)})
			case v.v != int64(s):
				p.code = append(p.code, ins{op: insMov, r: uint8(s), x: uint8(v.v)})
			}
		}
		if len(alt.Exprs) >= fastRegs || ai >= fastRegs {
			return nil
		}
		if !p.body(t, alt, ai) {
			return nil
		}
	}
	if len(p.code) > 1<<16 || len(p.slots) > 1<<16 {
		return nil
	}
	return p
}

// isAttr reports whether ext index i is read as an attribute.
func (t *Template) isAttr(i int) bool {
	for _, a := range t.Attrs {
		if a == i {
			return true
		}
	}
	return false
}

// random reports whether an expression of alt draws a random number.
func (alt *Alt) random() bool {
	codes := append(append([]*Code{alt.Guard}, alt.Lets...), alt.Exprs...)
	for _, c := range codes {
		if c == nil {
			continue
		}
		for _, in := range c.Instrs {
			if in.Op == OpRand {
				return true
			}
		}
	}
	return false
}

// body appends the instructions of alternative ai after its guard and
// lets.
func (p *prog) body(t *Template, alt *Alt, ai int) bool {
	base := t.NA + t.NB + 2
	nn := len(alt.Nodes)
	vbase := base + nn + alt.Vars

	// The integers first: they may still bail out to rewrite. A value that
	// is an attribute as it came needs no instruction: its register is
	// replaced by the register of the port that brought the attribute,
	// which holds the same INT word.
	alias := make(map[int]uint8)
	reg := func(r uint16) uint8 {
		if a, ok := alias[int(r)]; ok {
			return a
		}
		return uint8(r)
	}
	var consts []ins
	for i, v := range alt.Values {
		r := uint8(vbase + i)
		if v.Kind == valExpr {
			if k, ok := attrLoad(alt.Exprs[v.Index], len(t.Attrs)); ok {
				alias[vbase+i] = uint8(t.Attrs[k])
				continue
			}
		}
		switch v.Kind {
		case valConst:
			consts = append(consts, ins{op: insConst, r: r, w: uint64(v.Port)})
		case valBig:
			consts = append(consts, ins{op: insBig, r: r, w: uint64(v.Int)})
		default:
			c := alt.Exprs[v.Index]
			in := exprIns(c, r, uint8(v.Index), uint8(ai))
			if in.op == insExpr {
				if res, ok := p.translateExpr(c, t.EnvLen); ok {
					in = ins{op: insTag, r: r, x: uint8(res.v)}
					if res.konst {
						// A constant is set with the changes, below.
						in = ins{op: insConst, r: r, w: uint64(res.v)<<3 | tagInt}
						if _, fits := inlineInt(res.v); !fits {
							in = ins{op: insBig, r: r, w: uint64(res.v)}
						}
						consts = append(consts, in)
						continue
					}
				}
			}
			p.code = append(p.code, in)
		}
	}

	// Then the changes: free the pair's cells, make the wires and the
	// constants, build the agents, link.
	if n := t.words[0]; n > 0 && !alt.reused[0] {
		p.code = append(p.code, ins{op: insFreeA, n: uint8(n)})
	}
	if n := t.words[1]; n > 0 && !alt.reused[1] {
		p.code = append(p.code, ins{op: insFreeB, n: uint8(n)})
	}
	port, wire, take := takeWire(t, alt)
	// The wires in the slots of a placed agent are placed too, beside it.
	placed := make(map[uint16]bool)
	o := 0
	for _, ns := range alt.Nodes {
		if ns.Placed {
			for _, s := range alt.Slots[o : o+ns.Arity] {
				placed[s] = true
			}
		}
		o += ns.Arity
	}
	for i := range alt.Vars {
		in := ins{op: insVar, r: uint8(base + nn + i)}
		switch {
		case placed[uint16(in.r)]:
			in.op = insVarP
		case take && in.r == wire:
			in.op, in.x = insVarT, port
		}
		p.code = append(p.code, in)
	}
	p.code = append(p.code, consts...)

	slots := make([][]uint8, nn)
	o = 0
	for i, ns := range alt.Nodes {
		for _, s := range alt.Slots[o : o+ns.Arity] {
			slots[i] = append(slots[i], reg(s))
		}
		o += ns.Arity
	}
	newIns := func(i int) ins {
		ns := &alt.Nodes[i]
		in := ins{op: insAlloc, r: uint8(base + i), n: uint8(ns.Words), mode: uint8(ns.Reuse), w: uint64(ns.Port)}
		if ns.Words == 0 {
			in.op = insConst
		}
		return in
	}
	withSlots := func(in ins, s []uint8) ins {
		off := len(p.slots)
		p.slots = append(p.slots, s...)
		in.x, in.y = uint8(off), uint8(off>>8)
		return in
	}
	// Build every agent after the agents whose principal ports its slots
	// hold, so that each is filled as it is allocated. Agents that hold
	// each other's principal ports in a cycle are allocated first and
	// filled after.
	if order, ok := nodeOrder(slots, base); ok {
		for _, i := range order {
			in, s := newIns(i), slots[i]
			if alt.Nodes[i].Placed && in.op != insConst {
				// Its own instruction keeps the common allocations as
				// they are; insFill writes the slots.
				in.op = insNewP
				p.code = append(p.code, in)
				if len(s) > 0 {
					fill := ins{op: insFill, r: in.r, n: uint8(len(s))}
					p.code = append(p.code, withSlots(fill, s))
				}
				continue
			}
			if in.op != insConst {
				switch len(s) {
				case 1:
					in.op, in.x = insNew1, s[0]
				case 2:
					in.op, in.x, in.y = insNew2, s[0], s[1]
				case 3:
					in.op, in.x, in.y, in.z = insNew3, s[0], s[1], s[2]
				case 4:
					in.op, in.x, in.y, in.z, in.v = insNew4, s[0], s[1], s[2], s[3]
				default:
					in.op = insNewN
					in = withSlots(in, s)
				}
			}
			p.code = append(p.code, in)
		}
	} else {
		for i := range nn {
			in := newIns(i)
			if alt.Nodes[i].Placed && in.op != insConst {
				in.op = insNewP
			}
			p.code = append(p.code, in)
		}
		for i := range nn {
			if len(slots[i]) > 0 {
				in := ins{op: insFill, r: uint8(base + i), n: uint8(len(slots[i]))}
				p.code = append(p.code, withSlots(in, slots[i]))
			}
		}
	}

	// Links, in the order of the template. A new agent or an integer is a
	// principal port; an old port may be a wire.
	for _, l := range alt.Links {
		op := uint8(insLink)
		if alt.made(t, l[0]) && alt.made(t, l[1]) {
			op = insPush
		}
		p.code = append(p.code, ins{op: op, x: reg(l[0]), y: reg(l[1])})
	}
	if nn >= 256 || alt.Vars >= 256 {
		return false
	}
	end := ins{op: insEnd, n: uint8(nn), y: uint8(alt.Vars)}
	if int64(nn) > p.nfree {
		end.mode = 1 // the live agent count grows
	}
	p.code = append(p.code, end)
	return true
}

// made reports whether register r of alt holds a new agent or an
// integer, a principal port, rather than an old port that may be a wire.
func (alt *Alt) made(t *Template, r uint16) bool {
	base := t.NA + t.NB + 2
	nn := len(alt.Nodes)
	return int(r) >= base && (int(r) < base+nn || int(r) >= base+nn+alt.Vars)
}

// takeWire picks an old port whose wire cell a fresh wire of alt can
// take over, and that wire. The port is read from an agent of the pair
// whose cell a new agent N takes over, and N holds the wire. The port
// is the first end of a link to a new agent other than N or to an
// integer. Of such ports, takeWire picks the last one linked.
//
// In a list walk such as Part(lo, hi, p) >< y:ys => lo ~ y:lo2,
// Part(lo2, hi, p) ~ ys, the new y:lo2 takes the cell of the old y:ys,
// and the link of ys frees the wire that holds the next element. When
// lo2 takes that wire's cell (see insVarT), each element and its tail
// wire stay where they were made, side by side, however many times the
// list is split. With lo2 in the cell freed by the step before, an
// element and its wire drift apart, and the walk of a long list misses
// the cache twice per element.
func takeWire(t *Template, alt *Alt) (port, wire uint8, ok bool) {
	base := t.NA + t.NB + 2
	nn := len(alt.Nodes)
	vbase := base + nn + alt.Vars

	// For each side of the pair, a fresh wire held by the new agent that
	// takes over its cell, and that agent's register.
	var wireOf, holder [2]int
	o := 0
	for i, ns := range alt.Nodes {
		for _, s := range alt.Slots[o : o+ns.Arity] {
			if int(s) >= base+nn && int(s) < vbase && ns.Reuse > 0 && wireOf[ns.Reuse-1] == 0 {
				wireOf[ns.Reuse-1], holder[ns.Reuse-1] = int(s), base+i
			}
		}
		o += ns.Arity
	}
	side := func(r uint16) int {
		switch {
		case int(r) < t.NA:
			return 0
		case int(r) < t.NA+t.NB:
			return 1
		}
		return -1
	}
	// Only a port linked as the first end qualifies. Link puts a wire
	// first, so the pair it makes has the wire's content on the left,
	// where insLink puts the register of the first end. A port linked as
	// the second end would give that pair the other way round.
	for _, l := range alt.Links {
		if s := side(l[0]); s >= 0 && wireOf[s] != 0 && alt.made(t, l[1]) && int(l[1]) != holder[s] {
			port, wire, ok = uint8(l[0]), uint8(wireOf[s]), true
		}
	}
	return port, wire, ok
}

// attrLoad reports whether c only loads attribute k of the pair, one of
// the first nattr slots of the environment, and returns k.
func attrLoad(c *Code, nattr int) (int, bool) {
	if len(c.Instrs) != 1 || c.Instrs[0].Op != OpLoad {
		return 0, false
	}
	k := c.Instrs[0].Arg
	return int(k), k >= 0 && k < int64(nattr)
}

// exprIns returns the instruction that computes expression c into
// register r.
func exprIns(c *Code, r, index, alt uint8) ins {
	in := ins{op: insExpr, r: r, x: index, y: alt}
	switch c.fast {
	case fastVK:
		if c.farg < fastRegs {
			switch c.fop {
			case OpAdd:
				in = ins{op: insAddK, r: r, x: uint8(c.farg), w: uint64(c.fb)}
			case OpMul:
				in = ins{op: insMulK, r: r, x: uint8(c.farg), w: uint64(c.fb)}
			}
		}
	case fastVV:
		if c.farg < fastRegs && c.fb < fastRegs {
			switch c.fop {
			case OpAdd:
				in = ins{op: insAddV, r: r, x: uint8(c.farg), y: uint8(c.fb)}
			case OpSub:
				in = ins{op: insSubV, r: r, x: uint8(c.farg), y: uint8(c.fb)}
			case OpMul:
				in = ins{op: insMulV, r: r, x: uint8(c.farg), y: uint8(c.fb)}
			}
		}
	}
	return in
}

// nodeOrder orders new agents so that an agent comes after every agent
// whose principal port one of its slots holds. It reports false if the
// agents form a cycle.
func nodeOrder(slots [][]uint8, base int) ([]int, bool) {
	n := len(slots)
	state := make([]uint8, n) // 0 new, 1 in progress, 2 placed
	order := make([]int, 0, n)
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case 1:
			return false
		case 2:
			return true
		}
		state[i] = 1
		for _, s := range slots[i] {
			if j := int(s) - base; j >= 0 && j < n && !visit(j) {
				return false
			}
		}
		state[i] = 2
		order = append(order, i)
		return true
	}
	for i := range n {
		if !visit(i) {
			return nil, false
		}
	}
	return order, true
}

// tagged returns the INT word of v, and false if v needs a box.
func tagged(v int64) (Port, bool) {
	// v fits in 61 bits when shifting it out and back keeps its value.
	return Port(uint64(v)<<3 | tagInt), v<<3>>3 == v
}

// runCompiled reduces the pairs on top of the stack whose rules have
// compiled programs, as long as the count stays below check. It returns
// with a nil error when the stack is empty, when the pair on top needs
// another path or when the count reaches check. A pair that fails is
// popped and returned with its error, and the net is unchanged by it.
// The pair of a compiled rule comes back in the order of its rule, and
// that of a native rule as it was popped. After each interaction it
// checks the pause and live agent limits, as Run does.
//
// The instructions of a program run in an inner loop that makes no call,
// so that the compiler keeps its state in registers. An instruction that
// needs a call (a slow case such as an empty free list, a full stack, a
// general expression or a filled wire) leaves the inner loop and is
// carried out by the outer one.
//
// NOTE: cmd/annette/default.pgo finds the hot calls of this function by
// their line offset from its first line. After lines are added or
// removed here, regenerate it (commands in docs/BENCHMARKS.md, "the
// newest pair held in a local"): with a stale profile, runArith was no
// longer inlined.
func (w *Worker) runCompiled(check int64, lim *runLimits) (Redex, error) {
	h := w.heap
	// A run that starts above the live agent limit must stop after its
	// next interaction, even one that keeps or lowers the live count.
	lim.full = h.allocs-h.frees+lim.offset > lim.maxLive
	lim.setTrip()
	lim.setLiveTrip(w.peak)
	// next is the pair on top of the stack when the loop keeps it here
	// instead, and zero otherwise. The fast loop puts the last pair that
	// a program makes there, and the next turn takes it without touching
	// the stack. Before each call out and each return, it goes back on
	// the stack.
	var next Redex
	w.until = check
pairs:
	for w.count < w.until {
		// The pair is popped here. The path that leaves it to the caller
		// puts it back.
		var r Redex
		if next.A != 0 {
			r, next = next, Redex{}
		} else {
			top := len(w.stack) - 1
			if top < 0 {
				break
			}
			r = w.stack[top]
			w.stack = w.stack[:top]
		}
		c := &w.tab.cells[uint(r.A.principalType())<<(w.tab.shift&63)|uint(r.B.principalType())]
		pr := c.prog
		var a, b Port
		var na, nb int
		var e uint8
		if pr == nil {
			// A built-in arithmetic rule, a native rule or none. They
			// are handled at the end of the loop body, so that the
			// values they need across their calls are saved there and
			// not on the way of compiled rules.
			goto other
		}
	compiled:
		a, b = r.A, r.B
		if c.swap {
			a, b = b, a
		}
		na = int(c.na)
		switch na {
		case 0:
		case 1:
			w.fregs[0] = *(*Port)(h.word(a.nodeLoc()))
		case 2:
			p := h.word(a.nodeLoc())
			w.fregs[0] = *(*Port)(p)
			w.fregs[1] = *(*Port)(unsafe.Add(p, 8))
		case 3:
			p := h.word(a.nodeLoc())
			w.fregs[0] = *(*Port)(p)
			w.fregs[1] = *(*Port)(unsafe.Add(p, 8))
			w.fregs[2] = *(*Port)(unsafe.Add(p, 16))
		case 4:
			p := h.word(a.nodeLoc())
			w.fregs[0] = *(*Port)(p)
			w.fregs[1] = *(*Port)(unsafe.Add(p, 8))
			w.fregs[2] = *(*Port)(unsafe.Add(p, 16))
			w.fregs[3] = *(*Port)(unsafe.Add(p, 24))
		default:
			p := h.word(a.nodeLoc())
			for i := range na {
				w.fregs[uint8(i)] = *(*Port)(unsafe.Add(p, 8*i))
			}
		}
		nb = int(c.nb)
		switch nb {
		case 0:
		case 1:
			w.fregs[uint8(na)] = *(*Port)(h.word(b.nodeLoc()))
		case 2:
			p := h.word(b.nodeLoc())
			w.fregs[uint8(na)] = *(*Port)(p)
			w.fregs[uint8(na+1)] = *(*Port)(unsafe.Add(p, 8))
		default:
			p := h.word(b.nodeLoc())
			for i := range nb {
				w.fregs[uint8(na+i)] = *(*Port)(unsafe.Add(p, 8*i))
			}
		}
		e = uint8(na + nb)
		w.fregs[e], w.fregs[e+1] = a, b
		w.pa, w.pb = a, b
		// Boxed, pending or not an integer: rewrite sorts it out.
		switch attrs := pr.attrs; len(attrs) {
		case 0:
		case 1:
			p := w.fregs[attrs[0]]
			if p&tagMask != tagInt {
				goto general
			}
			w.fenv[0] = int64(p) >> 3
		case 2:
			p, q := w.fregs[attrs[0]], w.fregs[attrs[1]]
			if p&tagMask != tagInt || q&tagMask != tagInt {
				goto general
			}
			w.fenv[0], w.fenv[1] = int64(p)>>3, int64(q)>>3
		case 3:
			p, q, o := w.fregs[attrs[0]], w.fregs[attrs[1]], w.fregs[attrs[2]]
			if p&tagMask != tagInt || q&tagMask != tagInt || o&tagMask != tagInt {
				goto general
			}
			w.fenv[0], w.fenv[1], w.fenv[2] = int64(p)>>3, int64(q)>>3, int64(o)>>3
		default:
			for i, j := range attrs {
				p := w.fregs[j]
				if p&tagMask != tagInt {
					goto general
				}
				w.fenv[uint8(i)] = int64(p) >> 3
			}
		}

		{
			// ip points at the current instruction. Every program ends
			// with insEnd, so it never passes the end of the code.
			base := unsafe.Pointer(&pr.code[0])
			ip := base
			for {
			fast:
				for ; ; ip = unsafe.Add(ip, insSize) {
					in := (*ins)(ip)
					switch in.op {
					case insEnd:
						h.allocs += int64(in.n)
						h.frees += pr.nfree
						h.vars += int64(in.y)
						w.count++
						if in.mode <= lim.quiet {
							// The live count has not grown, or the run is
							// parallel: only the stack limits apply.
							// While next has a pair, the stack in memory
							// is one pair short.
							if len(w.stack) >= lim.trip {
								w.flushNext(&next)
								if err := w.afterInteraction(lim); err != nil {
									return Redex{}, err
								}
							}
							continue pairs
						}
						// The net grew: only a new peak or a live count
						// over the limit needs afterInteraction.
						if len(w.stack) >= lim.trip || h.allocs-h.frees > lim.liveTrip {
							if len(w.stack) >= lim.trip {
								w.flushNext(&next)
							}
							if err := w.afterInteraction(lim); err != nil {
								w.flushNext(&next)
								return Redex{}, err
							}
						}
						continue pairs
					case insGuardEq:
						if w.fenv[in.x] != int64(in.w) {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardNe:
						if w.fenv[in.x] == int64(in.w) {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardLt:
						if w.fenv[in.x] >= int64(in.w) {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardLe:
						if w.fenv[in.x] > int64(in.w) {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardGt:
						if w.fenv[in.x] <= int64(in.w) {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardGe:
						if w.fenv[in.x] < int64(in.w) {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardV + 0: // OpEq
						if w.fenv[in.x] != w.fenv[in.y] {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardV + 1: // OpNe
						if w.fenv[in.x] == w.fenv[in.y] {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardV + 2: // OpLt
						if w.fenv[in.x] >= w.fenv[in.y] {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardV + 3: // OpLe
						if w.fenv[in.x] > w.fenv[in.y] {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardV + 4: // OpGt
						if w.fenv[in.x] <= w.fenv[in.y] {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insGuardV + 5: // OpGe
						if w.fenv[in.x] < w.fenv[in.y] {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insAddK:
						p, ok := tagged(w.fenv[in.x] + int64(in.w))
						if !ok {
							break fast
						}
						w.fregs[in.r] = p
					case insAddV:
						p, ok := tagged(w.fenv[in.x] + w.fenv[in.y])
						if !ok {
							break fast
						}
						w.fregs[in.r] = p
					case insSubV:
						p, ok := tagged(w.fenv[in.x] - w.fenv[in.y])
						if !ok {
							break fast
						}
						w.fregs[in.r] = p
					case insMulK:
						p, ok := tagged(w.fenv[in.x] * int64(in.w))
						if !ok {
							break fast
						}
						w.fregs[in.r] = p
					case insMulV:
						p, ok := tagged(w.fenv[in.x] * w.fenv[in.y])
						if !ok {
							break fast
						}
						w.fregs[in.r] = p
					case insKSet:
						w.fenv[in.r] = int64(in.w)
					case insMov:
						w.fenv[in.r] = w.fenv[in.x]
					case insNeg:
						w.fenv[in.r] = -w.fenv[in.x]
					case insNot:
						w.fenv[in.r] = b2i(w.fenv[in.x] == 0)
					case insBool:
						w.fenv[in.r] = b2i(w.fenv[in.x] != 0)
					case insAndV:
						w.fenv[in.r] = b2i(w.fenv[in.x] != 0 && w.fenv[in.y] != 0)
					case insOrV:
						w.fenv[in.r] = b2i(w.fenv[in.x] != 0 || w.fenv[in.y] != 0)
					case insJz, insTest:
						if w.fenv[in.x] == 0 {
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insJnz:
						if w.fenv[in.x] != 0 {
							w.fenv[in.x] = 1
							ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
						}
					case insJump:
						ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
					case insTag:
						p, ok := tagged(w.fenv[in.x])
						if !ok {
							break fast
						}
						w.fregs[in.r] = p
					case insBinV + 0: // OpAdd
						w.fenv[in.r] = w.fenv[in.x] + w.fenv[in.y]
					case insBinV + 1: // OpSub
						w.fenv[in.r] = w.fenv[in.x] - w.fenv[in.y]
					case insBinV + 2: // OpMul
						w.fenv[in.r] = w.fenv[in.x] * w.fenv[in.y]
					case insBinV + 3: // OpDiv
						if w.fenv[in.y] == 0 {
							break fast
						}
						w.fenv[in.r] = w.fenv[in.x] / w.fenv[in.y]
					case insBinV + 4: // OpMod
						if w.fenv[in.y] == 0 {
							break fast
						}
						w.fenv[in.r] = w.fenv[in.x] % w.fenv[in.y]
					case insBinV + 5: // OpEq
						w.fenv[in.r] = b2i(w.fenv[in.x] == w.fenv[in.y])
					case insBinV + 6: // OpNe
						w.fenv[in.r] = b2i(w.fenv[in.x] != w.fenv[in.y])
					case insBinV + 7: // OpLt
						w.fenv[in.r] = b2i(w.fenv[in.x] < w.fenv[in.y])
					case insBinV + 8: // OpLe
						w.fenv[in.r] = b2i(w.fenv[in.x] <= w.fenv[in.y])
					case insBinV + 9: // OpGt
						w.fenv[in.r] = b2i(w.fenv[in.x] > w.fenv[in.y])
					case insBinV + 10: // OpGe
						w.fenv[in.r] = b2i(w.fenv[in.x] >= w.fenv[in.y])
					case insBinK + 0:
						w.fenv[in.r] = w.fenv[in.x] + int64(in.w)
					case insBinK + 1:
						w.fenv[in.r] = w.fenv[in.x] - int64(in.w)
					case insBinK + 2:
						w.fenv[in.r] = w.fenv[in.x] * int64(in.w)
					case insBinK + 3:
						if in.w == 0 {
							break fast
						}
						w.fenv[in.r] = w.fenv[in.x] / int64(in.w)
					case insBinK + 4:
						if in.w == 0 {
							break fast
						}
						w.fenv[in.r] = w.fenv[in.x] % int64(in.w)
					case insBinK + 5:
						w.fenv[in.r] = b2i(w.fenv[in.x] == int64(in.w))
					case insBinK + 6:
						w.fenv[in.r] = b2i(w.fenv[in.x] != int64(in.w))
					case insBinK + 7:
						w.fenv[in.r] = b2i(w.fenv[in.x] < int64(in.w))
					case insBinK + 8:
						w.fenv[in.r] = b2i(w.fenv[in.x] <= int64(in.w))
					case insBinK + 9:
						w.fenv[in.r] = b2i(w.fenv[in.x] > int64(in.w))
					case insBinK + 10:
						w.fenv[in.r] = b2i(w.fenv[in.x] >= int64(in.w))
					case insFreeA, insFreeB:
						l := w.pa.nodeLoc()
						if in.op == insFreeB {
							l = w.pb.nodeLoc()
						}
						if hd := h.head(l); hd != h.id {
							if hd == h.id|orderedChunk {
								*h.localCount(l)--
								continue
							}
							break fast // another heap's cell goes back to it
						}
						*(*uint64)(h.word(l)) = h.free[in.n&freeMask]
						h.free[in.n&freeMask] = l
					case insNewP:
						// The fast loop makes no call: a block that is used
						// up is left to the loop below.
						n := uint64(in.n & freeMask)
						l := h.pbump
						if l+n > h.pend {
							break fast
						}
						h.pbump = l + n
						*h.localCount(l)++
						w.fregs[in.r] = Port(in.w | l<<locShift)
					case insVarP:
						l := h.pbump
						if l+1 > h.pend {
							break fast
						}
						h.pbump = l + 1
						*h.localCount(l)++
						*(*uint64)(h.word(l)) = 0
						w.fregs[in.r] = VarPort(l)
					case insVarT:
						// The link of reg[x] would free the cell: the new
						// wire takes it now (see takeWire). The link then
						// finds the content in the register and makes the
						// same pair.
						if x := w.fregs[in.x]; x&tagMask == tagVar {
							l := x.varLoc()
							c := (*uint64)(h.word(l))
							// A filled cell is final (see Link): no other
							// worker writes it again.
							var z Port
							if w.Shared {
								z = Port(atomic.LoadUint64(c))
							} else {
								z = Port(*c)
							}
							// A cell of another heap's chunk is taken too,
							// as reuse in place takes the pair's cells
							// whatever their heap. So a worker walking a
							// list that another made keeps its layout, and
							// sends no cell back.
							if z&tagMask >= tagNode {
								w.fregs[in.x] = z
								*c = 0
								w.fregs[in.r] = VarPort(l)
								h.vars--
								continue
							}
						}
						fallthrough
					case insVar:
						l := h.free[1]
						if l != 0 {
							c := (*uint64)(h.word(l))
							h.free[1] = *c
							*c = 0
						} else {
							// The current range. At its end bumpAlloc takes
							// the cells that other heaps sent back.
							if h.bump+1 > h.end {
								break fast
							}
							l = h.bump
							h.bump++
							*(*uint64)(h.word(l)) = 0
						}
						w.fregs[in.r] = VarPort(l)
					case insConst:
						w.fregs[in.r] = Port(in.w)
					case insNew1, insNew2, insNew3, insNew4, insNewN, insAlloc:
						var l uint64
						switch in.mode {
						case 0:
							n := in.n & freeMask
							l = h.free[n]
							if l != 0 {
								h.free[n] = *(*uint64)(h.word(l))
							} else {
								if h.bump+uint64(n) > h.end {
									break fast
								}
								l = h.bump
								h.bump += uint64(n)
							}
						case 1:
							l = uint64(w.pa) >> locShift
						default:
							l = uint64(w.pb) >> locShift
						}
						w.fregs[in.r] = Port(in.w | l<<locShift)
						p := h.word(l)
						switch in.op {
						case insNew1:
							*(*Port)(p) = w.fregs[in.x]
						case insNew2:
							*(*Port)(p) = w.fregs[in.x]
							*(*Port)(unsafe.Add(p, 8)) = w.fregs[in.y]
						case insNew3:
							*(*Port)(p) = w.fregs[in.x]
							*(*Port)(unsafe.Add(p, 8)) = w.fregs[in.y]
							*(*Port)(unsafe.Add(p, 16)) = w.fregs[in.z]
						case insNew4:
							*(*Port)(p) = w.fregs[in.x]
							*(*Port)(unsafe.Add(p, 8)) = w.fregs[in.y]
							*(*Port)(unsafe.Add(p, 16)) = w.fregs[in.z]
							*(*Port)(unsafe.Add(p, 24)) = w.fregs[in.v]
						case insNewN:
							off := int(in.x) | int(in.y)<<8
							for j, s := range pr.slots[off : off+int(in.n)] {
								*(*Port)(unsafe.Add(p, 8*j)) = w.fregs[s]
							}
						}
					case insFill:
						p := h.word(w.fregs[in.r].nodeLoc())
						off := int(in.x) | int(in.y)<<8
						for j, s := range pr.slots[off : off+int(in.n)] {
							*(*Port)(unsafe.Add(p, 8*j)) = w.fregs[s]
						}
					case insPush:
						// Reslicing the field in place stores its length only,
						// without a write barrier.
						if next.A != 0 {
							n := len(w.stack)
							if n == cap(w.stack) {
								break fast
							}
							w.stack = w.stack[:n+1]
							w.stack[n] = next
						}
						next = Redex{w.fregs[in.x], w.fregs[in.y]}
					case insLink:
						x, y := w.fregs[in.x], w.fregs[in.y]
						if x&tagMask != tagVar {
							if y&tagMask != tagVar {
								// insPush's lines, repeated: the fast loop
								// makes no call and has no shared exit.
								if next.A != 0 {
									n := len(w.stack)
									if n == cap(w.stack) {
										break fast
									}
									w.stack = w.stack[:n+1]
									w.stack[n] = next
								}
								next = Redex{x, y}
								continue
							}
							x, y = y, x
						}
						if w.Shared {
							// The swap publishes y, and the agents it refers to, to
							// the worker that links the other end. Finding a word
							// there acquires what that worker wrote before it.
							n := len(w.stack)
							if n == cap(w.stack) {
								break fast
							}
							c := (*uint64)(h.word(x.varLoc()))
							// A filled cell is final (see Link): the second
							// end loads it and makes no swap.
							z := Port(atomic.LoadUint64(c))
							if z == 0 {
								if z = Port(atomic.SwapUint64(c, uint64(y))); z == 0 {
									continue
								}
							}
							// The other end was linked first: this worker owns the
							// cell now and frees it.
							h.vars--
							if h.owns(x.varLoc()) && z&tagMask >= tagNode && y&tagMask >= tagNode {
								*c = h.free[1]
								h.free[1] = x.varLoc()
								if next.A != 0 {
									w.stack = w.stack[:n+1]
									w.stack[n] = next
								}
								next = Redex{z, y}
								continue
							}
							// Another heap's cell or a chain of wires: the outer
							// loop frees the cell and links z and y.
							w.linkCell, w.linkZ, w.linkY = x.varLoc(), z, y
							break fast
						}
						// An empty wire cell takes the other end. A filled one holds
						// the end linked first: the cell is freed and, when both ends
						// are principal ports, they make a pair. A chain of wires is
						// left to Link, in the outer loop.
						c := (*uint64)(h.word(x.varLoc()))
						z := Port(*c)
						if z == 0 {
							*c = uint64(y)
							continue
						}
						n := len(w.stack)
						if z&tagMask < tagNode || y&tagMask < tagNode || n == cap(w.stack) {
							break fast
						}
						switch hd := h.head(x.varLoc()); hd {
						case h.id:
							*c = h.free[1]
							h.free[1] = x.varLoc()
						case h.id | orderedChunk:
							*h.localCount(x.varLoc())--
						default:
							break fast
						}
						h.vars--
						if next.A != 0 {
							w.stack = w.stack[:n+1]
							w.stack[n] = next
						}
						next = Redex{z, y}
					default:
						break fast
					}
				}
				// The instruction at ip needs a call.
				w.flushNext(&next)
				in := (*ins)(ip)
				switch in.op {
				case insGuard:
					v, err := w.eval(pr.t.Alts[in.y].Guard, w.fenv[:])
					if err != nil {
						return w.failed(err)
					}
					if v == 0 {
						ip = unsafe.Add(base, uintptr(in.target()-1)*insSize)
					}
				case insLet:
					v, err := w.eval(pr.t.Alts[in.y].Lets[in.x], w.fenv[:])
					if err != nil {
						return w.failed(err)
					}
					w.fenv[in.r] = v
				case insFreeA:
					h.release(w.pa.nodeLoc(), int(in.n))
				case insFreeB:
					h.release(w.pb.nodeLoc(), int(in.n))
				case insAddK, insAddV, insSubV, insMulK, insMulV, insTag:
					// The result needs a box.
					goto general
				case insBinV + 3, insBinV + 4, insBinK + 3, insBinK + 4:
					return w.failed(ErrDivideByZero)
				case insExpr:
					v, err := w.eval(pr.t.Alts[in.y].Exprs[in.x], w.fenv[:])
					if err != nil {
						return w.failed(err)
					}
					p, ok := tagged(v)
					if !ok {
						goto general
					}
					w.fregs[in.r] = p
				case insVar, insVarT:
					l := h.bumpAlloc(1)
					*(*uint64)(h.word(l)) = 0
					w.fregs[in.r] = VarPort(l)
				case insVarP:
					l := h.placeAlloc(1)
					*(*uint64)(h.word(l)) = 0
					w.fregs[in.r] = VarPort(l)
				case insBig:
					w.fregs[in.r] = w.Int(int64(in.w))
				case insNew1, insNew2, insNew3, insNew4, insNewN, insAlloc:
					w.fill(in, h.bumpAlloc(int(in.n)), pr.slots)
				case insNewP:
					w.fregs[in.r] = Port(in.w | h.placeAlloc(uint64(in.n))<<locShift)
				case insPush:
					w.stack = append(w.stack, Redex{w.fregs[in.x], w.fregs[in.y]})
				case insLink:
					if z := w.linkZ; z != 0 {
						// The fast loop has swapped the wire already.
						w.linkZ = 0
						h.release(w.linkCell, 1)
						w.Link(z, w.linkY)
					} else {
						w.Link(w.fregs[in.x], w.fregs[in.y])
					}
				default:
					panic("engine: bad instruction")
				}
				ip = unsafe.Add(ip, insSize)
			}
		}

	general:
		// next is zero here: the slow path put it back.
		if err := w.rewrite(pr.t, w.pa, w.pb); err != nil {
			return w.failed(err)
		}
		w.count++
		if err := w.afterInteraction(lim); err != nil {
			return Redex{}, err
		}
		continue

	other:
		if c.arithStep != 0 {
			// A built-in rule of Add, Sub or Mul. Its program stays in
			// the template for the cases that runArith leaves to it.
			if np, ok := w.runArith(c, r); ok {
				// As after a compiled rule, the new pair, if any, waits
				// in next.
				next = np
				if len(w.stack) >= lim.trip {
					w.flushNext(&next)
					if err := w.afterInteraction(lim); err != nil {
						return Redex{}, err
					}
				}
				continue
			}
			pr = c.tmpl.prog
			goto compiled
		}
		{
			rule := c.rule
			if rule == nil || rule.Kind != RuleNative {
				w.stack = append(w.stack, r)
				return Redex{}, nil
			}
			// Eraser and Dup mostly run here without a call. Other
			// native rules are called from here, so that the loop goes
			// on after them.
			if c.native != 0 && w.runQuick(c, r) {
				// As after a compiled rule, a sequential run calls only
				// at the pause, a new peak or the live limit.
				if len(w.stack) > lim.trip || h.allocs-h.frees > lim.liveTrip || lim.idle != nil {
					if err := w.afterInteraction(lim); err != nil {
						return Redex{}, err
					}
				}
				continue
			}
			if rule.Slow && lim.idle != nil && len(w.stack) > 0 && lim.idle.Load() > 0 {
				// Compiled rules skip the idle check (see runLimits.quiet),
				// so the pair under this slow one may be new and, after
				// the call, alone. The scheduler shares the oldest pair,
				// and this one goes back on top for this worker.
				w.stack = append(w.stack, r)
				return Redex{}, errShare
			}
			a, b = r.A, r.B
			if c.swap {
				a, b = b, a
			}
			if err := rule.Native(w, a, b); err != nil {
				return r, w.failure(a, b, err)
			}
			w.count++
			if rule.Slow {
				// Before the pause check, so that a run switches right
				// after the call during which the delay ended.
				lim.startPause()
			}
			if err := w.afterInteraction(lim); err != nil {
				return Redex{}, err
			}
			if rule.Slow && lim.stopped() {
				return Redex{}, errStopped
			}
			continue
		}
	}
	w.flushNext(&next)
	return Redex{}, nil
}

// failed returns the pair that runCompiled carries out, in the order
// of its rule, and the error of its failure (see failure). The loop
// returns this pair rather than the one it popped, which it no longer
// holds.
func (w *Worker) failed(err error) (Redex, error) {
	return Redex{w.pa, w.pb}, w.failure(w.pa, w.pb, err)
}

// flushNext moves the pair that runCompiled keeps in *next, if any, to
// the top of the stack.
func (w *Worker) flushNext(next *Redex) {
	if next.A != 0 {
		w.stack = append(w.stack, *next)
		*next = Redex{}
	}
}

// runArith carries out the pair r, which runCompiled has popped, with a
// built-in rule of Add, Sub or Mul straight in Go, as Inpla does, and
// reports true. It returns the active pair that it makes in place, for
// runCompiled to hold in next, or a zero Redex when it makes none there.
// It reports false and changes nothing when an integer is boxed or the
// result needs a box, which the rule's program then handles. Cells,
// wires and counts change as the program would change them.
func (w *Worker) runArith(c *ruleCell, r Redex) (Redex, bool) {
	a, b := r.A, r.B
	if c.swap {
		a, b = b, a
	}
	if b&tagMask != tagInt {
		return Redex{}, false
	}
	h := w.heap
	l := a.nodeLoc()
	p := h.word(l)
	second := *(*Port)(unsafe.Add(p, 8)) // Op's y, or _Op's x

	// Both steps end with a link of an old port, old, and a principal
	// port, pri.
	var old, pri Port
	if c.arithStep == arithWait {
		// Op(r, y) ~ x gives _Op(r, x) ~ y, in Op's cell.
		*(*Port)(unsafe.Add(p, 8)) = b
		h.allocs++
		h.frees++
		old, pri = second, NodePort(c.rule.waiting, l)
	} else {
		// _Op(r, x) ~ y gives r ~ y op x.
		if second&tagMask != tagInt {
			return Redex{}, false
		}
		xv, yv := int64(second)>>3, int64(b)>>3
		// Only Add, Sub and Mul have an arithStep.
		var v int64
		switch c.rule.op {
		case OpAdd:
			v = yv + xv
		case OpSub:
			v = yv - xv
		default:
			v = yv * xv
		}
		res, ok := tagged(v)
		if !ok {
			return Redex{}, false
		}
		old, pri = *(*Port)(p), res
		// _Op's cell has two words. A cell of this heap goes straight
		// onto the free list.
		if h.owns(l) {
			*(*uint64)(p) = h.free[2]
			h.free[2] = l
		} else {
			h.release(l, 2)
		}
		h.frees++
	}
	w.count++

	// Link's commonest cases without the call: runCompiled is too large
	// for the compiler to inline a call in its copy of this function.
	// Two principal ports make a pair, as in Link.
	if old&tagMask < tagNode {
		if old&tagMask != tagVar {
			w.Link(old, pri)
			return Redex{}, true
		}
		cell := h.cell(old.varLoc())
		var z Port
		if w.Shared {
			// As in Link: the swap publishes pri to the worker that
			// links the other end, and a filled cell is final.
			if z = Port(atomic.LoadUint64(cell)); z == 0 {
				if z = Port(atomic.SwapUint64(cell, uint64(pri))); z == 0 {
					return Redex{}, true
				}
			}
		} else if z = Port(*cell); z == 0 {
			*cell = uint64(pri)
			return Redex{}, true
		}
		// The other end was linked first: this worker frees the cell and
		// links what it held.
		if h.owns(old.varLoc()) {
			*cell = h.free[1]
			h.free[1] = old.varLoc()
		} else {
			h.release(old.varLoc(), 1)
		}
		h.vars--
		if z&tagMask < tagNode {
			w.Link(z, pri)
			return Redex{}, true
		}
		old = z
	}
	return Redex{old, pri}, true
}

// linkQuick is Link with its two commonest cases carried out in place.
// In both, x is a wire and y a principal port. An empty cell takes y,
// and a cell that holds a principal port makes a pair with y. Everything
// else goes to Link.
func (w *Worker) linkQuick(x, y Port) {
	if x&tagMask == tagVar && y&tagMask >= tagNode {
		h := w.heap
		c := h.cell(x.varLoc())
		if w.Shared {
			// As in Link: the swap publishes y to the worker that links
			// the other end, and a filled cell is final.
			z := Port(atomic.LoadUint64(c))
			if z == 0 {
				if z = Port(atomic.SwapUint64(c, uint64(y))); z == 0 {
					return
				}
			}
			// The other end was linked first: this worker frees the
			// cell and links what it held.
			h.release(x.varLoc(), 1)
			h.vars--
			if z&tagMask >= tagNode {
				w.stack = append(w.stack, Redex{z, y})
			} else {
				w.Link(z, y)
			}
			return
		}
		z := Port(*c)
		if z == 0 {
			*c = uint64(y)
			return
		}
		if z&tagMask >= tagNode && h.owns(x.varLoc()) {
			*c = h.free[1]
			h.free[1] = x.varLoc()
			h.vars--
			w.stack = append(w.stack, Redex{z, y})
			return
		}
	}
	w.Link(x, y)
}

// runLimits are the limits that runCompiled checks after every
// interaction.
type runLimits struct {
	pause   int   // return ErrPaused once the stack holds this many pairs
	maxLive int64 // live agent limit, offset included
	offset  int64 // live agents that other workers account for
	limit   int64 // LiveAgents as configured, for the error

	// idle, when set, counts the idle workers of a parallel run: while
	// it is above zero, afterInteraction returns errShare to a worker
	// with two pairs or more, and so does runCompiled before it calls a
	// slow native rule. It also turns off the checks of pause and maxLive
	// in afterInteraction. Compiled rules of a parallel run do not call
	// it (see quiet): the scheduler checks idle between batches.
	idle *atomic.Int32

	// full is set when the live count is above maxLive already, so the
	// run started above the limit. Every interaction then goes through
	// afterInteraction, also one that does not grow the net, and gets the
	// live agent limit error, also one that frees agents.
	full bool

	// trip is pause-1, or -1 when full is set, so that one comparison in
	// runCompiled covers both. An interaction that leaves more than trip
	// pairs on the stack calls afterInteraction. After a compiled rule,
	// trip pairs are enough, because its newest pair may wait outside
	// the stack (see next).
	trip int

	// liveTrip is the heap's live count (allocs less frees) above which
	// an interaction that grows the net calls afterInteraction: the
	// smaller of the peak and maxLive, less offset. Below it the call
	// would neither record a new peak nor find the limit passed.
	liveTrip int64

	// quiet is the largest insEnd mode that leaves out afterInteraction
	// while the stack is below pause and full is unset. It is 0 in a
	// sequential run, where an interaction that grows the net records
	// the peak and checks the live agent limit. A parallel run sets 1:
	// its scheduler publishes the live count and looks for idle workers
	// between batches, so compiled rules skip the call and its atomic
	// load (6% of the instructions of Fibonacci 30 on two workers).
	quiet uint8

	// done is the context's channel of a sequential run and stop the
	// scheduler's flag of a parallel one, checked after each slow rule.
	done <-chan struct{}
	stop *atomic.Bool

	// delayed is the pause that applies from pauseAt on, as set by
	// Limits.PauseAfter. Until then pause holds math.MaxInt. Zero when no
	// pause waits.
	delayed int
	pauseAt time.Time
}

// startPause applies the delayed pause once its time has come.
func (lim *runLimits) startPause() {
	if lim.delayed != 0 && !time.Now().Before(lim.pauseAt) {
		lim.pause, lim.delayed = lim.delayed, 0
		lim.setTrip()
	}
}

// setTrip sets trip from pause and full. Call it after either changes.
func (lim *runLimits) setTrip() {
	lim.trip = lim.pause - 1
	if lim.full {
		lim.trip = -1
	}
}

// setLiveTrip sets liveTrip from the worker's peak and maxLive. Call it
// after either changes.
func (lim *runLimits) setLiveTrip(peak int64) {
	lim.liveTrip = min(peak, lim.maxLive) - lim.offset
}

// stopped reports whether the run must end: its context is done (a
// sequential run) or the scheduler has stopped (a parallel one).
func (lim *runLimits) stopped() bool {
	if lim.stop != nil {
		return lim.stop.Load()
	}
	select {
	case <-lim.done:
		return true
	default:
		return false
	}
}

// errStopped stops runCompiled after a slow rule when the run must end
// (see runLimits.stopped).
var errStopped = errors.New("the run was stopped")

// errShare stops runCompiled so that the parallel worker can give a
// pair to an idle worker.
var errShare = errors.New("a worker is idle")

// afterInteraction records the peak live agent count and returns ErrPaused
// or the live agent limit error when one applies. For a parallel worker
// (lim.idle set) it only returns errShare when a worker is idle: the
// parallel run never pauses and its scheduler samples the live count
// and checks its limit. Returning before the peak is recorded made
// Fibonacci 38, n-queens 12 and Ackermann on two workers 4 to 5% faster.
func (w *Worker) afterInteraction(lim *runLimits) error {
	if lim.idle != nil {
		if len(w.stack) > 1 && lim.idle.Load() > 0 {
			return errShare
		}
		return nil
	}
	if len(w.stack) >= lim.pause {
		return ErrPaused
	}
	live := w.heap.allocs - w.heap.frees + lim.offset
	if live > w.peak {
		w.peak = live
		lim.setLiveTrip(live)
	}
	if live > lim.maxLive || lim.full {
		return &LimitError{Err: ErrAgentLimit, Limit: lim.limit}
	}
	return nil
}

// fill gives the new agent of instruction in the cell at l and fills its
// slots, for the slow path of runCompiled. The fast loop repeats this code
// inline on purpose: a call there made the compiler keep the loop's
// variables in memory, which was measured to slow every interaction.
func (w *Worker) fill(in *ins, l uint64, slots []uint8) {
	reg := &w.fregs
	reg[in.r] = Port(in.w | l<<locShift)
	p := w.heap.word(l)
	switch in.op {
	case insNew1:
		*(*Port)(p) = reg[in.x]
	case insNew2:
		*(*Port)(p) = reg[in.x]
		*(*Port)(unsafe.Add(p, 8)) = reg[in.y]
	case insNew3:
		*(*Port)(p) = reg[in.x]
		*(*Port)(unsafe.Add(p, 8)) = reg[in.y]
		*(*Port)(unsafe.Add(p, 16)) = reg[in.z]
	case insNew4:
		*(*Port)(p) = reg[in.x]
		*(*Port)(unsafe.Add(p, 8)) = reg[in.y]
		*(*Port)(unsafe.Add(p, 16)) = reg[in.z]
		*(*Port)(unsafe.Add(p, 24)) = reg[in.v]
	case insNewN:
		off := int(in.x) | int(in.y)<<8
		for j, s := range slots[off : off+int(in.n)] {
			*(*Port)(unsafe.Add(p, 8*j)) = reg[s]
		}
	}
}
