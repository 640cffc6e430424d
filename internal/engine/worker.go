package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Net is the state every reducer of one net shares: the types, the rules, the
// store and the Go values. Types and rules must not change while a reducer
// runs.
type Net struct {
	Types  *Registry
	Rules  *Table
	Store  *Store
	Values *Values
}

// NewNet returns an empty net with only the integer type.
func NewNet() *Net {
	return &Net{Types: NewRegistry(), Rules: NewTable(), Store: NewStore(), Values: &Values{}}
}

// Redex is an active pair: two principal ports (agents or integers).
type Redex struct{ A, B Port }

// Errors reported by reducers. They reach the caller wrapped in a *Fault
// or a *LimitError.
var (
	ErrNoRule           = errors.New("no rule for active pair")
	ErrNotInteger       = errors.New("integer attribute is connected to an agent")
	ErrPending          = errors.New("integer attribute has not arrived")
	ErrInteractionLimit = errors.New("interaction limit reached")
	ErrAgentLimit       = errors.New("live agent limit reached")
	ErrMemoryLimit      = errors.New("memory limit reached")
)

// Fault describes an interaction that failed. The active pair stays in the
// net, so the net is unchanged by the failed interaction.
type Fault struct {
	Rule        string // rule name; empty when no rule applies
	Left, Right string // agent types, as the rule names them when there is one; %foo for a function agent
	Err         error
}

func (f *Fault) Error() string {
	if f.Rule == "" {
		return fmt.Sprintf("%v: %s >< %s", f.Err, f.Left, f.Right)
	}
	return fmt.Sprintf("rule %s (%s >< %s): %v", f.Rule, f.Left, f.Right, f.Err)
}

func (f *Fault) Unwrap() error { return f.Err }

// LimitError reports that a run stopped at a configured limit.
type LimitError struct {
	Err   error // ErrInteractionLimit or ErrAgentLimit
	Limit int64
}

func (e *LimitError) Error() string { return fmt.Sprintf("%v (limit %d)", e.Err, e.Limit) }
func (e *LimitError) Unwrap() error { return e.Err }

// Limits bound a run. Zero means no limit.
type Limits struct {
	Interactions int64 // total interactions of the worker
	LiveAgents   int64 // agents allocated and not yet freed, LiveOffset included
	LiveOffset   int64 // live agents that other workers account for
	StoreWords   int64 // words the store and the pending pairs may take, at most the store's capacity (see MemoryLimit); checked every 256 interactions
	// MemoryFloor raises StoreWords for a run that starts with its store
	// near or above it. The store never shrinks, so after a run stopped by
	// StoreWords the next run starts above it. A run stops only when memory
	// passes both StoreWords and MemoryFloor, so that it can still use the
	// cells freed since. The caller sets it a margin above the store's size
	// at the start.
	MemoryFloor int64
	// Pause makes Run return ErrPaused once the stack holds at least this
	// many pairs (checked after every interaction), so that a caller can
	// hand them to parallel workers. Zero means never.
	Pause int
	// PauseAfter delays Pause until the run has lasted this long, so
	// that a run too short to repay the start of parallel workers ends
	// on this one. The time is read every 256 interactions and after
	// each slow rule until then. Zero applies Pause from the start.
	PauseAfter time.Duration
}

// ErrPaused is returned by Run when Limits.Pause is reached.
var ErrPaused = errors.New("paused with enough pairs for parallel workers")

// Worker reduces active pairs. A sequential reducer is one Worker; the
// parallel reducer runs one per goroutine over a shared [Net]. A Worker is
// owned by one goroutine.
type Worker struct {
	_    [cacheLine]byte // keeps other workers' hot fields off these cache lines
	exit error           // cause of the unwinding of the worker's goroutine; see NoteExit
	Net  *Net
	heap *Heap
	tab  *Table

	// pa and pb are the pair that runCompiled carries out, in the order
	// of its rule, and until is the count at which it returns. Kept here
	// rather than in locals, so that the compiled code need not hold
	// them in registers across its instruction loop (see runCompiled).
	// runCompiled is never entered again while it runs: a rule's Go code
	// cannot start a run on its own network (ErrRunning).
	pa, pb Port
	until  int64

	// Shared is set when other workers may touch the same wires. Links
	// then use atomic operations on wire cells; otherwise plain loads and
	// stores.
	Shared bool

	stack    []Redex
	deferred []Redex // pairs waiting for an integer attribute
	count    int64   // interactions carried out
	peak     int64   // largest live agent count seen after an interaction

	retried   bool  // deferred pairs were moved back to the stack once
	retryMark int64 // interaction count at that time

	// Scratch space of the current rewrite, sized by Prepare for the
	// largest template of the table.
	reg  []Port  // register file, see Template
	env  []int64 // attribute and let values
	vals []int64 // expression values

	// fregs is the register file of compiled programs; a uint8 register
	// number indexes it without a bounds check.
	fregs [fastRegs]Port
	fenv  [fastRegs]int64 // attributes and lets of compiled programs

	// linkZ and linkY are the two ends that the compiled loop leaves to
	// Link after it has swapped the shared wire cell at linkCell. That
	// cell is still to be freed. linkZ is None otherwise.
	linkZ, linkY Port
	linkCell     uint64

	evalStack []int64 // stack of the expression machine

	rng *rand.Rand

	// Ctx is the context of the run that the worker is carrying out, for
	// the Go code of native rules to watch. Run, Step and the Scheduler
	// set it for the run and clear it after. Nil means no run.
	Ctx context.Context

	_ [cacheLine]byte
}

// NewWorker returns a worker over n with its own heap.
func NewWorker(n *Net, seed uint64) *Worker {
	return &Worker{
		Net:   n,
		heap:  NewHeap(n.Store),
		tab:   n.Rules,
		stack: padded[Redex](1024)[:0],
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// Prepare rebuilds the rule matrix for the current types. Call it before
// a run whenever types or rules have changed.
func (w *Worker) Prepare() {
	w.tab = w.Net.Rules
	w.tab.Build(w.Net.Types.Len())
	var env, vals, regs int
	for _, r := range w.tab.Rules() {
		t := r.Template
		if t == nil {
			continue
		}
		env = max(env, t.EnvLen)
		for _, alt := range t.Alts {
			vals = max(vals, len(alt.Exprs))
			regs = max(regs, alt.Regs)
		}
	}
	w.env = padded[int64](env)
	w.vals = padded[int64](vals)
	w.reg = padded[Port](regs)
}

// padded returns a slice of n elements with a cache line of unused
// memory on each side. The scratch arrays of a worker are written by
// every interaction; allocated plainly, two workers' arrays would share
// cache lines and slow each other down.
func padded[T any](n int) []T {
	const pad = cacheLine / 8
	return make([]T, n+2*pad)[pad : pad+n : pad+n]
}

// Interactions returns the number of interactions carried out.
func (w *Worker) Interactions() int64 { return w.count }

// Live returns the agents allocated minus those freed by this worker.
func (w *Worker) Live() int64 { return w.heap.Live() }

// Allocs returns the agents allocated by this worker.
func (w *Worker) Allocs() int64 { return w.heap.Allocs() }

// Peak returns the largest live agent count seen after an interaction of
// Run, counting Limits.LiveOffset, or recorded with NotePeak.
func (w *Worker) Peak() int64 { return w.peak }

// NotePeak raises the peak live agent count to at least n.
func (w *Worker) NotePeak(n int64) { w.peak = max(w.peak, n) }

// ResetPeak sets the peak live agent count to n and returns the peak it
// held, so that a caller can measure the peak of one run and then raise
// the peak back with NotePeak.
func (w *Worker) ResetPeak(n int64) int64 {
	old := w.peak
	w.peak = n
	return old
}

// Pending returns the number of active pairs not yet reduced, those
// waiting for an integer included.
func (w *Worker) Pending() int { return len(w.stack) + len(w.deferred) }

// Redexes returns the active pairs not yet reduced. The slice is the
// worker's own; it must not be modified.
func (w *Worker) Redexes() []Redex { return append(w.stack[:len(w.stack):len(w.stack)], w.deferred...) }

// Push adds an active pair.
func (w *Worker) Push(a, b Port) { w.stack = append(w.stack, Redex{a, b}) }

// Run reduces until no active pair is left, and returns nil, or until an
// interaction fails, a limit is reached or ctx is done, and returns the
// reason. The context is checked every 256 interactions.
//
// A run stops at MemoryLimit before the store is full, unless rules with
// bodies of thousands of wide agents allocate more than the margin
// between two checks. The store's ErrStoreFull panic is then returned as
// ErrMemoryLimit, and the net, stopped inside an interaction, must not be
// reduced again.
func (w *Worker) Run(ctx context.Context, lim Limits) (err error) {
	w.Ctx = ctx
	defer func() {
		w.Ctx = nil
		if v := recover(); v != nil {
			if v != ErrStoreFull {
				panic(v)
			}
			err = StoreFullError()
		}
	}()
	return w.reduce(ctx, lim)
}

// reduce is Run without the recovery of ErrStoreFull.
func (w *Worker) reduce(ctx context.Context, lim Limits) error {
	w.heap.capPlaced(lim.StoreWords / 4)
	done := ctx.Done()
	if done != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	maxCount := lim.Interactions
	if maxCount <= 0 {
		maxCount = 1<<63 - 1
	}
	maxLive := lim.LiveAgents
	if maxLive <= 0 {
		maxLive = 1<<63 - 1
	}
	// Checked after every interaction, so that a run of slow action
	// rules goes parallel as soon as there is work for other workers.
	pause := lim.Pause
	if pause <= 0 {
		pause = math.MaxInt
	}
	// The limits, the context and the memory are checked when the count
	// reaches check: every 256 interactions, and at maxCount.
	check := w.count
	if w.tab.cells == nil {
		w.Prepare()
	}
	// The net as it starts counts towards the peak: the compiled loop
	// records the peak only after interactions that grow the net.
	w.NotePeak(w.heap.allocs - w.heap.frees + lim.LiveOffset)
	rl := &runLimits{pause: pause, maxLive: maxLive, offset: lim.LiveOffset, limit: lim.LiveAgents, done: done}
	if pause != math.MaxInt && lim.PauseAfter > 0 {
		rl.pause, rl.delayed = math.MaxInt, pause
		rl.pauseAt = time.Now().Add(lim.PauseAfter)
	}
	for {
		for len(w.stack) > 0 {
			if w.count >= check {
				if err := w.checkRun(ctx, lim, maxCount); err != nil {
					return err
				}
				rl.startPause()
				check = min(maxCount, w.count|255+1)
			}
			// Pairs with compiled programs first; runCompiled stops at
			// the first other pair.
			r, err := w.runCompiled(check, rl)
			if err == nil {
				if len(w.stack) == 0 || w.count >= check {
					continue
				}
				r = w.stack[len(w.stack)-1]
				w.stack = w.stack[:len(w.stack)-1]
				if err = w.reduceOne(r); err == nil {
					err = w.afterInteraction(rl)
					if err != nil {
						return err
					}
					continue
				}
			} else if err == errStopped {
				return ctx.Err()
			} else if r == (Redex{}) {
				return err // a limit or ErrPaused
			}
			if err == ErrPending {
				w.deferred = append(w.deferred, r)
				continue
			}
			w.stack = append(w.stack, r)
			return err
		}
		if len(w.deferred) == 0 {
			return nil
		}
		if err := w.retryDeferred(); err != nil {
			return err
		}
	}
}

// stackWords returns the words that a stack of n pairs counts towards the
// memory limit: twice its size, because growing it copies it to a new
// array while the old one is still held. Counting it once, a runaway
// program on 2 workers was measured at 1.7 times the limit.
func stackWords(n int) int64 { return 4 * int64(n) }

// MemoryWords returns the words that count towards the memory limit of
// a run of w alone: the whole store and w's stacks of pending pairs.
func (w *Worker) MemoryWords() int64 {
	return w.Net.Store.Words() + w.StackWords()
}

// StackWords returns the words that w's stacks of pending pairs count
// towards the memory limit.
func (w *Worker) StackWords() int64 {
	return stackWords(cap(w.stack) + cap(w.deferred))
}

// CheckMemory returns ErrMemoryLimit in a *LimitError when MemoryWords
// is above both MemoryLimit(limit) and floor (see Limits.MemoryFloor),
// and nil otherwise.
func (w *Worker) CheckMemory(limit, floor int64) error {
	words := MemoryLimit(limit)
	if w.MemoryWords() > max(words, floor) {
		return &LimitError{Err: ErrMemoryLimit, Limit: words * 8}
	}
	if arenaLow() {
		// The limit that every net shares, not this net's own.
		return StoreFullError()
	}
	return nil
}

// checkRun returns the error that stops a run at the current interaction
// count, if any: the interaction limit, the memory limit or the end of
// ctx.
func (w *Worker) checkRun(ctx context.Context, lim Limits, maxCount int64) error {
	if w.count >= maxCount {
		return &LimitError{Err: ErrInteractionLimit, Limit: lim.Interactions}
	}
	// The pending pairs count too: a rule that only multiplies active
	// pairs grows the stack, not the store.
	if err := w.CheckMemory(lim.StoreWords, lim.MemoryFloor); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
	}
	return nil
}

// reduceOne carries out the active pair r. It returns nil, ErrPending
// for a pair that must wait for an integer, or a *Fault; on error the net
// is unchanged.
func (w *Worker) reduceOne(r Redex) error {
	// Fast path: a rewrite rule. A failed rewrite changed nothing and is
	// not tried again, which would draw rand a second time.
	if c := w.tab.cell(r.A.principalType(), r.B.principalType()); c.tmpl != nil {
		a, b := r.A, r.B
		if c.swap {
			a, b = b, a
		}
		if err := w.rewrite(c.tmpl, a, b); err != nil {
			return w.failure(r.A, r.B, err)
		}
		w.count++
		return nil
	}
	return w.interact(r.A, r.B)
}

// ResetRetry clears the mark that the pairs waiting for an integer were
// tried since the last interaction. A caller that has just brought
// integers from outside a run calls it, so that the next run tries the
// pairs again instead of reporting them.
func (w *Worker) ResetRetry() { w.retried = false }

// retryDeferred moves the pairs waiting for an integer back to the stack.
// If none of them could make progress since the last retry, no
// interaction can bring their integers any more, and it reports the first
// of them.
func (w *Worker) retryDeferred() error {
	if w.retried && w.retryMark == w.count {
		r := w.deferred[0]
		return w.fault(r.A, r.B, ErrPending)
	}
	w.retried, w.retryMark = true, w.count
	w.stack = append(w.stack, w.deferred...)
	w.deferred = w.deferred[:0]
	return nil
}

// Step carries out one interaction. It returns false when no active pair
// is left. It records no peak: the worker's heap alone does not count the
// agents that other workers' heaps made or freed, so the caller notes the
// live count of the whole net with NotePeak.
func (w *Worker) Step() (bool, error) {
	for {
		if len(w.stack) == 0 {
			if len(w.deferred) == 0 {
				return false, nil
			}
			if err := w.retryDeferred(); err != nil {
				return false, err
			}
		}
		r := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		err := w.interact(r.A, r.B)
		if err == ErrPending {
			w.deferred = append(w.deferred, r)
			continue
		}
		if err != nil {
			w.stack = append(w.stack, r)
			return false, err
		}
		return true, nil
	}
}

// interact carries out the active pair (a, b). On failure the net is
// unchanged.
func (w *Worker) interact(a, b Port) error {
	r, swap := w.tab.lookup(a.Type(), b.Type())
	if r == nil {
		return w.fault(a, b, ErrNoRule)
	}
	if swap {
		a, b = b, a
	}
	var err error
	if r.Kind == RuleRewrite {
		err = w.rewrite(r.Template, a, b)
	} else {
		err = r.Native(w, a, b)
	}
	if err != nil {
		return w.failure(a, b, err)
	}
	w.count++
	return nil
}

// RuleFor returns the rule that applies to the active pair r, with the
// pair's two agents in the rule's order, or a nil rule if none applies.
// It uses the rule table of w's last Prepare.
func (w *Worker) RuleFor(r Redex) (rule *Rule, a, b Port) {
	rule, swap := w.tab.lookup(r.A.Type(), r.B.Type())
	if swap {
		return rule, r.B, r.A
	}
	return rule, r.A, r.B
}

// Fault returns the error for the pair (a, b) failing with err, as a
// run reports it: a *Fault naming the rule and both types.
func (w *Worker) Fault(a, b Port, err error) error { return w.fault(a, b, err) }

// failure turns the error of a rule applied to the pair (a, b) into
// ErrPending, for a pair that must wait, or into a *Fault naming the rule
// and both types.
// NoteExit records that the goroutine running w is about to end without
// returning (runtime.Goexit in a rule's Go code) while it reduces the
// pair (a, b). A parallel run then stops with err as the failure of that
// pair's rule, instead of ErrWorkerLost.
func (w *Worker) NoteExit(a, b Port, err error) { w.exit = w.fault(a, b, err) }

// takeExit returns and clears the error recorded by NoteExit.
func (w *Worker) takeExit() error {
	err := w.exit
	w.exit = nil
	return err
}

func (w *Worker) failure(a, b Port, err error) error {
	if err == ErrPending || errors.Is(err, ErrPending) {
		return ErrPending
	}
	var f *Fault
	if errors.As(err, &f) {
		return err
	}
	return w.fault(a, b, err)
}

// fault builds the error for a failed pair, naming its rule when one
// applies.
func (w *Worker) fault(a, b Port, err error) error {
	f := &Fault{Left: w.agentName(a), Right: w.agentName(b), Err: err}
	if r, swap := w.tab.lookup(a.Type(), b.Type()); r != nil {
		f.Rule = r.Name
		if swap {
			f.Left, f.Right = f.Right, f.Left
		}
	}
	return f
}

// agentName returns the type name of the principal port p for an error,
// or "%foo" for the text language's function agent %foo, whose type name
// _Percent no program can write.
func (w *Worker) agentName(p Port) string {
	name := w.Net.Types.Name(p.Type())
	if name != "_Percent" || p&tagMask != tagNode {
		return name
	}
	id := *(*Port)(w.heap.word(p.nodeLoc()))
	if id&tagMask != tagInt || int64(id)>>3 <= int64(TypeInt) || int64(id)>>3 >= int64(w.Net.Types.Len()) {
		return name
	}
	return "%" + w.Net.Types.Name(TypeID(int64(id)>>3))
}

// rewrite carries out a template rule on (a, b), a being of the rule's
// left type.
func (w *Worker) rewrite(t *Template, a, b Port) error {
	h := w.heap
	reg := w.reg
	na, nb := t.NA, t.NB

	// Load the old auxiliary ports.
	if na > 0 {
		for i, c := range h.cells(a.Loc(), na) {
			reg[i] = Port(c)
		}
	}
	if nb > 0 {
		for i, c := range h.cells(b.Loc(), nb) {
			reg[na+i] = Port(c)
		}
	}
	reg[na+nb], reg[na+nb+1] = a, b

	// Read the attributes; nothing changes until all have arrived. An
	// attribute that is not an inline integer must be consumed at commit.
	env := w.env
	boxed := false
	for i, j := range t.Attrs {
		p := reg[j]
		if p&tagMask == tagInt {
			env[i] = int64(p) >> 3
			continue
		}
		v, err := w.IntValue(p)
		if err != nil {
			return err
		}
		env[i] = v
		boxed = true
	}

	// Choose the alternative and evaluate its expressions.
	alt := &t.Alts[0]
	if t.choose {
		var err error
		if alt, err = w.choose(t, env); err != nil {
			return err
		}
	}
	vals := w.vals
	for i, c := range alt.Exprs {
		v, err := w.eval(c, env)
		if err != nil {
			return err
		}
		vals[i] = v
	}

	// Commit: consume the attributes and free the pair.
	if boxed {
		for _, j := range t.Attrs {
			if j < na+nb && reg[j]&tagMask != tagInt {
				w.DropInt(reg[j])
			}
		}
	}
	var va, vb uint64
	if t.valued[0] {
		va = uint64(*h.cell(a.Loc() + uint64(na)))
	}
	if t.valued[1] {
		vb = uint64(*h.cell(b.Loc() + uint64(nb)))
	}
	if n := t.words[0]; n > 0 && !alt.reused[0] {
		h.release(a.Loc(), n)
	}
	if n := t.words[1]; n > 0 && !alt.reused[1] {
		h.release(b.Loc(), n)
	}
	if a&tagMask == tagNode {
		h.frees++
	} else if a&tagMask == tagBig {
		w.DropInt(a)
	}
	switch {
	case t.wild:
	case b&tagMask == tagNode:
		h.frees++
	case b&tagMask == tagBig:
		w.DropInt(b)
	}

	// Make the fresh wires and the integers first, so that every register
	// a slot can name, except those of later new agents, is set when the
	// new agents are built.
	nodes := na + nb + 2
	r := nodes + len(alt.Nodes)
	for range alt.Vars {
		l := h.free[1]
		if l != 0 {
			h.free[1] = *h.cell(l)
		} else {
			l = h.bumpAlloc(1)
		}
		*h.cell(l) = 0
		reg[r] = VarPort(l)
		r++
	}
	h.vars += int64(alt.Vars)
	for i := range alt.Values {
		v := &alt.Values[i]
		switch v.Kind {
		case valConst:
			reg[r] = v.Port
		case valBig:
			reg[r] = w.Int(v.Int)
		default:
			if p, ok := inlineInt(vals[v.Index]); ok {
				reg[r] = p
			} else {
				reg[r] = w.Int(vals[v.Index])
			}
		}
		r++
	}

	// Allocate the new agents. When no slot names a new agent built later
	// (alt.fused), each agent's slots are filled as soon as it has a cell.
	slots, o := alt.Slots, 0 // slots[o:] are those of the next agent with ports
	for i := range alt.Nodes {
		ns := &alt.Nodes[i]
		var l uint64
		switch n := ns.Words; {
		case ns.Reuse == 1:
			l = uint64(a) >> locShift
		case ns.Reuse == 2:
			l = uint64(b) >> locShift
		case n > 0:
			l = h.free[n]
			if l != 0 {
				h.free[n] = *h.cell(l)
			} else {
				l = h.bumpAlloc(n)
			}
		}
		reg[nodes+i] = ns.Port | Port(l<<locShift)
		if k := ns.Arity; k > 0 && alt.fused {
			cs := h.cells(l, k)
			for j := range cs {
				cs[j] = uint64(reg[slots[o+j]])
			}
			o += k
		}
	}
	h.allocs += int64(len(alt.Nodes))
	if !alt.fused {
		for i := range alt.Nodes {
			k := alt.Nodes[i].Arity
			if k == 0 {
				continue
			}
			cs := h.cells(reg[nodes+i].Loc(), k)
			for j := range cs {
				cs[j] = uint64(reg[slots[o+j]])
			}
			o += k
		}
	}
	if alt.Valued || va|vb != 0 {
		w.rewriteValues(alt, reg[nodes:], va, vb)
	}

	// Link the principal ends and the old ports. The common cases are
	// done here: two principal ends make an active pair, and a wire whose
	// cell is empty takes the other end, as in Link. The plain store is
	// safe only when no other worker can reach the cell; in Shared mode
	// every wire goes through Link and its atomic swap.
	for _, l := range alt.Links {
		x, y := reg[l[0]], reg[l[1]]
		if x&tagMask >= tagNode && y&tagMask >= tagNode {
			w.stack = append(w.stack, Redex{x, y})
			continue
		}
		if x&tagMask == tagVar && !w.Shared {
			if c := h.cell(x.Loc()); *c == 0 {
				*c = uint64(y)
				continue
			}
		}
		w.Link(x, y)
	}
	return nil
}

// rewriteValues gives the new agents of a rewrite their Go values and
// releases the values of the old agents.
func (w *Worker) rewriteValues(alt *Alt, nodes []Port, va, vb uint64) {
	vs := w.Net.Values
	for i := range alt.Nodes {
		ns := &alt.Nodes[i]
		if ns.Words == ns.Arity {
			continue
		}
		var h uint64
		switch ns.ValueFrom {
		case 1:
			h = vs.Put(vs.Get(va))
		case 2:
			h = vs.Put(vs.Get(vb))
		}
		*w.heap.cell(nodes[i].Loc() + uint64(ns.Arity)) = h
	}
	vs.Drop(va)
	vs.Drop(vb)
}

// choose returns the first alternative whose guard holds, after
// evaluating its lets.
func (w *Worker) choose(t *Template, env []int64) (*Alt, error) {
	for i := range t.Alts {
		alt := &t.Alts[i]
		if alt.Guard != nil {
			v, err := w.eval(alt.Guard, env)
			if err != nil {
				return nil, err
			}
			if v == 0 {
				continue
			}
		}
		// The lets of the chosen alternative only: another alternative's
		// lets may divide by zero where its guard would have failed.
		for k, c := range alt.Lets {
			v, err := w.eval(c, env)
			if err != nil {
				return nil, err
			}
			env[len(t.Attrs)+k] = v
		}
		return alt, nil
	}
	return nil, fmt.Errorf("no alternative applies")
}

// Link connects two port words: two principal ends make an active pair; a
// wire end takes the other word through its cell.
//
// When x is a wire, Link swaps y into the wire's cell. If the cell was
// empty, the other end of the wire has not been linked yet and will find y
// there; this end is done. If the cell held a word z, the other end was
// linked first and left its peer z: no one else refers to the cell any
// more, so this end frees it and links z to y.
//
// In Shared mode the swap is atomic. It publishes y, and every write that
// built the agents y refers to, to the goroutine that later reads the
// cell; the goroutine that finds z acquires the writes made before z was
// stored. Nothing writes a filled cell until the second end frees it, so
// the second end reads it with an atomic load and makes no swap.
func (w *Worker) Link(x, y Port) {
	for {
		if !x.IsVar() {
			if !y.IsVar() {
				w.stack = append(w.stack, Redex{x, y})
				return
			}
			x, y = y, x
		}
		c := w.heap.cell(x.Loc())
		var z uint64
		if w.Shared {
			// A filled cell is final: only the two ends write it, once
			// each. Loading it first spares the second end the swap.
			if z = atomic.LoadUint64(c); z == 0 {
				z = atomic.SwapUint64(c, uint64(y))
			}
		} else {
			z = *c
		}
		if z == 0 {
			if !w.Shared {
				*c = uint64(y)
			}
			return
		}
		w.heap.release(x.Loc(), 1)
		w.heap.vars--
		x = Port(z)
	}
}

// Resolve follows filled wire cells from p without changing them and
// returns the first word that is not a filled wire: a principal port, or
// a wire whose cell is still empty. It is meant for reading a net that no
// reducer is changing.
func (w *Worker) Resolve(p Port) Port {
	for p.IsVar() {
		z := w.heap.load(p.Loc())
		if z == 0 {
			return p
		}
		p = z
	}
	return p
}

// IntValue returns the integer at the end of p, following filled wires. It
// returns ErrPending if a wire on the way is still empty and ErrNotInteger
// if an agent is found.
func (w *Worker) IntValue(p Port) (int64, error) {
	for {
		switch p & tagMask {
		case tagInt:
			return int64(p) >> 3, nil
		case tagBig:
			return int64(w.heap.load(p.Loc())), nil
		case tagVar:
			c := w.heap.cell(p.Loc())
			var z uint64
			if w.Shared {
				z = atomic.LoadUint64(c)
			} else {
				z = *c
			}
			if z == 0 {
				return 0, ErrPending
			}
			p = Port(z)
		default:
			info := w.Net.Types.Info(p.Type())
			return 0, &NotIntegerError{Type: info.Name, Arity: info.Arity()}
		}
	}
}

// NotIntegerError is ErrNotInteger with the agent found in place of the
// integer. The message names the agent only: the interpreter adds the
// text language's hint for an undefined constant.
type NotIntegerError struct {
	Type  string // the agent's type
	Arity int    // its number of auxiliary ports
}

func (e *NotIntegerError) Error() string {
	return ErrNotInteger.Error() + " (" + e.Type + ")"
}

// Is reports whether target is ErrNotInteger.
func (e *NotIntegerError) Is(target error) bool { return target == ErrNotInteger }

// DropInt consumes the integer end p: it frees the filled wires on the
// way and the box of a large integer. The caller must own p, and
// IntValue(p) must have succeeded.
func (w *Worker) DropInt(p Port) {
	for p.IsVar() {
		z := w.heap.load(p.Loc())
		w.heap.release(p.Loc(), 1)
		w.heap.vars--
		p = z
	}
	if p&tagMask == tagBig {
		w.heap.release(p.Loc(), 1)
	}
}

// Int returns a port word for v, boxing it if it does not fit in a word.
func (w *Worker) Int(v int64) Port {
	if p, ok := inlineInt(v); ok {
		return p
	}
	l := w.heap.alloc(1)
	*w.heap.cell(l) = uint64(v)
	return Port(l<<3 | tagBig)
}

// NewAgent allocates an agent of type t with every auxiliary port empty
// and a nil value.
func (w *Worker) NewAgent(t TypeID) Port {
	info := w.Net.Types.Info(t)
	p := w.newAgentCell(t, info)
	if info.words > 0 {
		clear(w.heap.cells(p.nodeLoc(), info.words))
	}
	return p
}

// newAgentCell is NewAgent for a type without a Go value, given its
// information, with the cell left as the allocator gives it: the caller
// writes every auxiliary port.
func (w *Worker) newAgentCell(t TypeID, info *TypeInfo) Port {
	if info.words == 0 {
		w.heap.allocs++
		return NodePort(t, 0)
	}
	// The count grows after the allocation, which may panic on a full
	// store.
	l := w.heap.alloc(info.words)
	w.heap.allocs++
	return NodePort(t, l)
}

// FreeAgent frees agent p and its value. Its auxiliary ports must have
// been read or moved first.
func (w *Worker) FreeAgent(p Port) { w.freeAgent(p, w.Net.Types.Info(p.Type())) }

// freeAgent is FreeAgent for a caller that has p's type information.
func (w *Worker) freeAgent(p Port, info *TypeInfo) {
	w.heap.frees++
	if info.words == 0 {
		return
	}
	if info.Valued {
		w.Net.Values.Drop(w.heap.load(p.Loc() + uint64(info.arity)).u())
	}
	w.heap.release(p.Loc(), info.words)
}

// NewVar allocates an empty wire cell. It takes a cell from the free
// list in place, without a call, and leaves the others to newVarSlow.
func (w *Worker) NewVar() Port {
	h := w.heap
	l := h.free[1]
	if l == 0 {
		return w.newVarSlow()
	}
	c := (*uint64)(h.word(l))
	h.free[1] = *c
	*c = 0
	h.vars++
	return VarPort(l)
}

// newVarSlow is NewVar for an empty free list.
//
//go:noinline
func (w *Worker) newVarSlow() Port {
	l := w.heap.bumpAlloc(1)
	*w.heap.cell(l) = 0
	w.heap.vars++
	return VarPort(l)
}

// FreeVar frees a wire cell that no port refers to any more.
func (w *Worker) FreeVar(p Port) {
	w.heap.release(p.Loc(), 1)
	w.heap.vars--
}

// Wires returns the wire cells allocated minus those freed by this
// worker.
func (w *Worker) Wires() int64 { return w.heap.vars }

// Aux returns auxiliary port i (from 0) of agent p.
func (w *Worker) Aux(p Port, i int) Port { return w.heap.load(p.Loc() + uint64(i)) }

// SetAux sets auxiliary port i of agent p, which the caller owns.
func (w *Worker) SetAux(p Port, i int, q Port) { w.heap.put(p.Loc()+uint64(i), q) }

// Value returns the Go value of agent p.
func (w *Worker) Value(p Port) any {
	info := w.Net.Types.Info(p.Type())
	if !info.Valued {
		return nil
	}
	return w.Net.Values.Get(w.heap.load(p.Loc() + uint64(info.arity)).u())
}

// SetValue sets the Go value of agent p, which the caller owns.
func (w *Worker) SetValue(p Port, v any) {
	info := w.Net.Types.Info(p.Type())
	c := w.heap.cell(p.Loc() + uint64(info.arity))
	w.Net.Values.Drop(*c)
	*c = w.Net.Values.Put(v)
}

// Cell returns the word of wire cell p, for reading a net at rest.
func (w *Worker) Cell(p Port) Port { return w.heap.load(p.Loc()) }

// SetCell writes the word of wire cell p, for building a net.
func (w *Worker) SetCell(p Port, q Port) { w.heap.put(p.Loc(), q) }

func (p Port) u() uint64 { return uint64(p) }

// PendingError returns the error for the pair r, which waits for an
// integer that no interaction can bring any more.
func (w *Worker) PendingError(r Redex) error { return w.fault(r.A, r.B, ErrPending) }

// TakeRedexes removes and returns every active pair not yet reduced,
// those waiting for an integer included.
func (w *Worker) TakeRedexes() []Redex {
	out := append(w.stack[:len(w.stack):len(w.stack)], w.deferred...)
	w.stack, w.deferred = nil, nil
	return out
}
