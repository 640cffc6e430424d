package annette

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/annette-go/annette/internal/engine"
)

// RuleContext is the view an [ActionRule] has of the net: the two agents of
// the active pair, the wires hanging from their auxiliary ports, and the
// means to create agents and link ports. Nothing else of the net is
// reachable from it.
//
// Changes are recorded and applied when the action returns nil, after a
// check that every auxiliary port of the two old agents and every port of
// every new agent is used exactly once. If the action returns an error or
// panics, the new agents are freed and the net is left as it was.
//
// A RuleContext is valid only during the call of the action.
type RuleContext struct {
	n    *Network
	w    *engine.Worker
	rule string
	a, b engine.Port

	ext     []engine.Port // old auxiliary ports: left's, then right's
	extUsed []uint8       // 0 unused, 1 linked, 2 read as an integer
	nodes   []engine.Port
	used    []uint32 // per new agent, bit i set when port i is used
	links   [][2]linkEnd
	gen     uint64 // counts the uses of this context; handles carry it

	calls     []*EffectCall // effects requested, submitted at commit
	callsUsed []bool        // per call, whether its result port is linked (always true for Emit)

	// The key locks of the call (see actionRunner.lock). lockBuf is
	// scratch space for computing them, and locked lists the locks the
	// call holds in lockTable, in the order taken.
	lockBuf   []stripeLock
	locked    []stripeLock
	lockTable *keyLocks
}

// Left returns the agent of the rule's Left type.
func (c *RuleContext) Left() Agent { return Agent{n: c.n, ctx: c, p: c.a, id: -1, epoch: c.gen} }

// Right returns the agent of the rule's Right type.
func (c *RuleContext) Right() Agent { return Agent{n: c.n, ctx: c, p: c.b, id: -2, epoch: c.gen} }

// Context returns the context of the run that applies the rule: the
// one given to Reduce or Step (the Interpreter's, for a program). An
// action that blocks can watch it, to stop when the run is cancelled or
// times out. Like the rest of the RuleContext, Context may be called only
// during the action. The RuleContext is reused after the action returns,
// so a kept one can return the context of a later run. A goroutine that
// the action starts should therefore take the returned context, not the
// RuleContext.
func (c *RuleContext) Context() context.Context {
	if c.w != nil && c.w.Ctx != nil {
		return c.w.Ctx
	}
	return context.Background()
}

// Rule returns the name of the rule being applied.
func (c *RuleContext) Rule() string { return c.rule }

// Int returns the principal port of a new integer v.
func (c *RuleContext) Int(v int64) Port { return Port{kind: portInt, value: v, n: c.n} }

// NewAgent creates an agent of the named type with an optional Go value.
// Each of its ports must be linked before the action returns.
func (c *RuleContext) NewAgent(typ string, value any) (Agent, error) {
	id, ok := c.n.net.Types.Lookup(typ)
	if !ok {
		return Agent{}, fmt.Errorf("unknown agent type %q", typ)
	}
	if id == engine.TypeInt {
		return Agent{}, fmt.Errorf("integers are not agents: use RuleContext.Int")
	}
	info := c.n.net.Types.Info(id)
	if value != nil && !info.Valued {
		return Agent{}, fmt.Errorf("agent type %s carries no value", typ)
	}
	p := c.w.NewAgent(id)
	if value != nil {
		c.w.SetValue(p, value)
	}
	c.nodes = append(c.nodes, p)
	c.used = append(c.used, 0)
	return Agent{n: c.n, ctx: c, p: p, id: len(c.nodes) - 1, epoch: c.gen}, nil
}

// IntAt reads the integer connected to auxiliary port p of one of the two
// old agents and consumes that port. It returns ErrPending if the integer
// has not arrived yet: an action that returns that error is retried after
// other interactions. It returns ErrNotInteger if an agent is connected.
func (c *RuleContext) IntAt(p Port) (int64, error) {
	i, err := c.extIndex(p)
	if err != nil {
		return 0, err
	}
	v, err := c.w.IntValue(c.ext[i])
	if err != nil {
		return 0, fmt.Errorf("port %s: %w", p, err)
	}
	c.extUsed[i] = 2
	return v, nil
}

// Emit requests a side effect whose result the net does not need, such
// as a log line. The network's [EffectHandler] runs it once the action
// has returned without error, off the reduction path. The Reduce that
// carries out this interaction returns only after the effect has been
// handled. A Step returns at once, and a later Step waits for the effect
// once no pair is left. If the action returns an error, the effect is
// dropped.
//
// Emit fails with ErrNoEffectHandler when the network has no
// EffectHandler or none is registered for e.Type, with ErrEffectsClosed
// once the EffectHandler is closed, and on an invalid e.Type.
func (c *RuleContext) Emit(e Effect) error {
	_, err := c.effect(e, false)
	return err
}

// Request requests a side effect whose result comes back into the net,
// as Emit does, and returns a port that represents the result. Link the
// port like any other before the action returns. When the handler
// returns, its result (an integer, or a *Term of agents and integers) is
// built and takes the port's place, which may make an active pair. Until
// then, the wire from the port stays open and the rest of the net is
// reduced around it. Request fails as Emit does.
func (c *RuleContext) Request(e Effect) (Port, error) {
	i, err := c.effect(e, true)
	if err != nil {
		return Port{err: err}, err
	}
	return Port{kind: portResult, a: Agent{n: c.n, ctx: c, epoch: c.gen}, n: c.n, name: e.Type, takenIndex: i}, nil
}

// effect records an effect and returns its index in c.calls.
func (c *RuleContext) effect(e Effect, result bool) (int, error) {
	h := c.n.cfg.Effects
	if h == nil {
		return 0, fmt.Errorf("%w: the network's Config.Effects is nil; set it to an EffectHandler", ErrNoEffectHandler)
	}
	if err := h.check(e.Type); err != nil {
		return 0, err
	}
	call := &EffectCall{Effect: e, Rule: c.rule, Left: c.typeName(c.a), Right: c.typeName(c.b), WantsResult: result, session: c.n.effects}
	if result {
		call.cell = c.w.NewVar()
	}
	c.calls = append(c.calls, call)
	c.callsUsed = append(c.callsUsed, !result)
	return len(c.calls) - 1, nil
}

// typeName returns the type name of an agent of the active pair.
func (c *RuleContext) typeName(p engine.Port) string {
	if !p.IsNode() {
		return "Int"
	}
	return c.n.net.Types.Info(p.Type()).Name
}

// Link records a wire between p and q. Ports may be auxiliary ports of the
// two old agents (which stand for the wires hanging from them), ports of
// agents made with NewAgent, and integers from Int.
func (c *RuleContext) Link(p, q Port) error {
	if p.kind == portInt && q.kind == portInt {
		return fmt.Errorf("cannot link two integers: no rule can reduce them")
	}
	if err := c.use(p); err != nil {
		return err
	}
	if err := c.use(q); err != nil {
		c.unuse(p)
		return err
	}
	c.links = append(c.links, [2]linkEnd{c.end(p), c.end(q)})
	return nil
}

// linkEnd is one end of a recorded link, without pointers, so that
// recording costs no write barriers: an old agent's auxiliary port (its
// index in ext), a port of a new agent, or an integer.
type linkEnd struct {
	kind  uint8 // endExt, endNewAux, endNewMain, endInt or endResult
	node  int32 // new agent: index in nodes; old port: index in ext; result: index in calls
	index int32 // new agent's auxiliary port, from 0
	value int64 // the integer of endInt
}

const (
	endExt = iota
	endNewAux
	endNewMain
	endInt
	endResult
)

// end converts a port that use accepted.
func (c *RuleContext) end(p Port) linkEnd {
	switch {
	case p.kind == portInt:
		return linkEnd{kind: endInt, value: p.value}
	case p.kind == portResult:
		return linkEnd{kind: endResult, node: int32(p.takenIndex)}
	case p.a.id < 0:
		i, _ := c.extIndexUnchecked(p)
		return linkEnd{kind: endExt, node: int32(i)}
	case p.index == 0:
		return linkEnd{kind: endNewMain, node: int32(p.a.id)}
	}
	return linkEnd{kind: endNewAux, node: int32(p.a.id), index: int32(p.index - 1)}
}

// unuse undoes use(p) after the other port of a Link was rejected.
func (c *RuleContext) unuse(p Port) {
	if p.kind == portResult {
		c.callsUsed[p.takenIndex] = false
		return
	}
	if p.kind != portAgent {
		return
	}
	if p.a.id < 0 {
		i, _ := c.extIndexUnchecked(p)
		c.extUsed[i] = 0
		return
	}
	c.used[p.a.id] &^= 1 << p.index
}

// extIndex returns the index in ext of an old agent's auxiliary port.
func (c *RuleContext) extIndex(p Port) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.kind != portAgent || p.a.ctx != c || p.a.id >= 0 || p.a.epoch != c.gen {
		return 0, fmt.Errorf("%s is not a port of the rule's old agents in this call", p)
	}
	if p.index == 0 {
		return 0, fmt.Errorf("%s is the principal port of an old agent, which the rule consumes", p)
	}
	i := p.index - 1
	if p.a.id == -2 {
		i += c.n.net.Types.Info(c.a.Type()).Arity()
	}
	if c.extUsed[i] != 0 {
		return 0, fmt.Errorf("%s is used twice", p)
	}
	return i, nil
}

// use marks p as used.
func (c *RuleContext) use(p Port) error {
	if p.err != nil {
		return p.err
	}
	switch p.kind {
	case portInt:
		return nil
	case portAgent:
		if p.a.ctx != c || p.a.epoch != c.gen {
			return fmt.Errorf("%s does not belong to this call of the rule", p)
		}
		if p.a.id < 0 {
			i, err := c.extIndex(p)
			if err != nil {
				return err
			}
			c.extUsed[i] = 1
			return nil
		}
		bit := uint32(1) << p.index
		if c.used[p.a.id]&bit != 0 {
			return fmt.Errorf("%s is linked twice", p)
		}
		c.used[p.a.id] |= bit
		return nil
	case portResult:
		if p.a.ctx != c || p.a.epoch != c.gen {
			return fmt.Errorf("%s does not belong to this call of the rule", p)
		}
		if c.callsUsed[p.takenIndex] {
			return fmt.Errorf("%s is linked twice", p)
		}
		c.callsUsed[p.takenIndex] = true
		return nil
	}
	return fmt.Errorf("%s cannot be linked in an action rule", p)
}

// word returns the port word of a link end that is not an auxiliary port
// of a new agent.
func (c *RuleContext) word(e linkEnd) engine.Port {
	switch e.kind {
	case endInt:
		return c.w.Int(e.value)
	case endExt:
		return c.ext[e.node]
	case endResult:
		return c.calls[e.node].cell
	}
	return c.nodes[e.node]
}

func (c *RuleContext) extIndexUnchecked(p Port) (int, bool) {
	i := p.index - 1
	if p.a.id == -2 {
		i += c.n.net.Types.Info(c.a.Type()).Arity()
	}
	return i, true
}

// check returns an error for the first port left unused.
func (c *RuleContext) check() error {
	for i, u := range c.extUsed {
		if u == 0 {
			side, idx := c.a, i
			if na := c.n.net.Types.Info(c.a.Type()).Arity(); i >= na {
				side, idx = c.b, i-na
			}
			info := c.n.net.Types.Info(side.Type())
			return fmt.Errorf("port %s of the old %s agent is not linked", info.Ports[idx+1], info.Name)
		}
	}
	for k, p := range c.nodes {
		info := c.n.net.Types.Info(p.Type())
		for i := range info.Ports {
			if c.used[k]&(1<<i) == 0 {
				return fmt.Errorf("port %s of the new %s agent is not linked", info.Ports[i], info.Name)
			}
		}
	}
	for i, used := range c.callsUsed {
		if !used {
			return fmt.Errorf("the result port of effect %s is not linked; link it before the action returns", c.calls[i].Type)
		}
	}
	return nil
}

// commit applies the recorded changes.
func (c *RuleContext) commit() {
	w := c.w
	for i, u := range c.extUsed {
		if u == 2 {
			w.DropInt(c.ext[i])
		}
	}
	for _, p := range [2]engine.Port{c.a, c.b} {
		if p.IsNode() {
			w.FreeAgent(p)
		} else {
			w.DropInt(p)
		}
	}
	// Fill every slot of the new agents before the first link: a link
	// may hand a new agent to another worker, which must find it whole.
	for _, l := range c.links {
		p, q := l[0], l[1]
		if p.kind != endNewAux && q.kind == endNewAux {
			p, q = q, p
		}
		if p.kind != endNewAux {
			continue
		}
		var word engine.Port
		if q.kind == endNewAux {
			word = w.NewVar()
			w.SetAux(c.nodes[q.node], int(q.index), word)
		} else {
			word = c.word(q)
		}
		w.SetAux(c.nodes[p.node], int(p.index), word)
	}
	for _, l := range c.links {
		if l[0].kind != endNewAux && l[1].kind != endNewAux {
			w.Link(c.word(l[0]), c.word(l[1]))
		}
	}
	if len(c.calls) > 0 {
		// Counted before they are submitted, so that a run never takes
		// an effect's result before the effect itself.
		c.n.effects.add(len(c.calls))
		c.n.cfg.Effects.submit(c.calls)
	}
}

// abort frees the agents the action created.
func (c *RuleContext) abort() {
	for _, p := range c.nodes {
		c.w.FreeAgent(p)
	}
	for _, call := range c.calls {
		if call.WantsResult {
			c.w.FreeVar(call.cell)
		}
	}
}

// actionRunner carries out an ActionRule for the engine.
type actionRunner struct {
	n      *Network
	name   string
	action func(*RuleContext) error
	pool   sync.Pool // *RuleContext, reused between calls

	// The state outside the two agents that the rule declares (see
	// ActionRule.Reads, Writes and Access, and isolation.go).
	isolated bool     // the rule declares keys or has an Access function
	reads    []string // ActionRule.Reads, copied
	writes   []string // ActionRule.Writes, copied
	access   func(left, right Agent) Access
	static   []stripeLock // the stripes of reads and writes, in lock order
}

// errActionGoexit is the error of a parallel run whose action rule called
// runtime.Goexit.
var errActionGoexit = errors.New("the action called runtime.Goexit")

func (r *actionRunner) run(w *engine.Worker, a, b engine.Port) (err error) {
	c, _ := r.pool.Get().(*RuleContext)
	if c == nil {
		c = &RuleContext{}
	}
	*c = RuleContext{
		n: r.n, w: w, rule: r.name, a: a, b: b, gen: c.gen + 1,
		ext: c.ext[:0], extUsed: c.extUsed[:0], nodes: c.nodes[:0], used: c.used[:0], links: c.links[:0],
		calls: c.calls[:0], callsUsed: c.callsUsed[:0], lockBuf: c.lockBuf[:0],
	}
	for _, p := range [2]engine.Port{a, b} {
		if p.IsNode() {
			for i := range r.n.net.Types.Info(p.Type()).Arity() {
				c.ext = append(c.ext, w.Aux(p, i))
				c.extUsed = append(c.extUsed, 0)
			}
		}
	}
	returned := false
	defer func() {
		if v := recover(); v != nil {
			c.abort()
			err = &PanicError{Value: v, Stack: debug.Stack()}
		} else if !returned {
			// runtime.Goexit: the goroutine ends after this function.
			// Undo the action and put the pair back, so that the net is
			// as it was before the interaction.
			c.abort()
			w.Push(a, b)
			w.NoteExit(a, b, errActionGoexit)
		}
		c.w, c.n = nil, nil
		clear(c.calls) // submitted calls belong to the handler now
		r.pool.Put(c)
	}()
	if r.isolated && r.n.keyLocks != nil {
		if err := r.lock(c); err != nil {
			returned = true
			return err
		}
		// Deferred after the function above, so it runs first: the locks
		// are released on return, on a panic and on runtime.Goexit.
		defer c.unlock()
	} else if r.access != nil {
		// No locks on one worker, but the same checks of Access as with
		// several, so that a faulty Access fails at every worker count.
		if _, err := r.callAccess(c.Left(), c.Right()); err != nil {
			returned = true
			return err
		}
	}
	actionErr := r.action(c)
	returned = true
	if actionErr != nil {
		c.abort()
		return actionErr
	}
	if err := c.check(); err != nil {
		c.abort()
		return err
	}
	c.commit()
	return nil
}

// Value returns the agent's Go value, or for an integer its int64 value.
// It returns nil for a handle that is no longer valid (see [Agent]),
// whose cell may hold another agent by then.
func (a Agent) Value() any {
	if a.n == nil {
		return nil
	}
	w := a.n.w
	switch {
	case a.ctx != nil:
		if a.ctx.w == nil || a.ctx.gen != a.epoch {
			return nil // the action this handle belongs to has returned
		}
		w = a.ctx.w
	case a.id >= 0 && a.epoch != a.n.builder.epoch:
		return nil // a handle from AddAgent, made stale by a run
	}
	if a.p.IsInt() {
		v, _ := w.IntValue(a.p)
		return v
	}
	return w.Value(a.p)
}
