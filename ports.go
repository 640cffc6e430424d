package annette

import (
	"fmt"
	"strings"

	"github.com/annette-go/annette/internal/engine"
)

// Agent is a handle to an agent: one built with [Network.AddAgent], or one
// seen or made by an action rule through its [RuleContext]. A handle from
// AddAgent is valid until the next Step or Reduce; a handle from a
// RuleContext is valid during that rule's action only.
type Agent struct {
	n     *Network
	ctx   *RuleContext // set for agents of an action rule
	p     engine.Port
	id    int // builder serial, or index in the rule context
	epoch uint64
}

// Type returns the name of the agent's type.
func (a Agent) Type() string {
	if a.n == nil {
		return ""
	}
	return a.n.net.Types.Name(a.p.Type())
}

// Port returns the port of a called name. An unknown name gives a Port
// that makes Connect or Link return an error naming the agent's ports.
func (a Agent) Port(name string) Port {
	if a.n == nil {
		return Port{err: errorf("port %s of a zero Agent", name)}
	}
	info := a.n.net.Types.Info(a.p.Type())
	i := info.PortIndex(name)
	if i < 0 {
		return Port{err: errorf("agent type %s has no port %q; its ports are %s",
			info.Name, name, strings.Join(info.Ports, ", "))}
	}
	return Port{a: a, index: i, kind: portAgent}
}

// Main returns the agent's principal port.
func (a Agent) Main() Port {
	if a.n == nil {
		return Port{err: errorf("principal port of a zero Agent")}
	}
	return Port{a: a, kind: portAgent}
}

type portKind uint8

const (
	portInvalid portKind = iota
	portAgent            // port index of agent a
	portName             // the interface name
	portInt              // a fresh integer
	portTaken            // the far end of a name taken with Network.Take
	portResult           // the result of an effect requested with RuleContext.Request
)

// Port is one port to connect: a port of an agent, a named interface port
// ([Network.Name]), what a name was connected to ([Network.Take]) or an
// integer ([Network.Int], [RuleContext.Int]). The zero Port is invalid.
type Port struct {
	a          Agent
	index      int // 0 for the principal port, i for the i-th auxiliary port
	kind       portKind
	name       string
	value      int64
	n          *Network // for names, taken names and integers
	takenIndex int      // index in the builder's taken list
	epoch      uint64   // builder epoch of a taken name
	err        error
}

func (p Port) network() *Network {
	if p.kind == portAgent {
		return p.a.n
	}
	return p.n
}

// String describes the port for messages: Type.port for an agent's port,
// the name for an interface name, the value for an integer.
func (p Port) String() string {
	switch p.kind {
	case portAgent:
		info := p.a.n.net.Types.Info(p.a.p.Type())
		return info.Name + "." + info.Ports[p.index]
	case portName:
		return p.name
	case portTaken:
		return "taken name " + p.name
	case portResult:
		return "result of effect " + p.name
	case portInt:
		return fmt.Sprint(p.value)
	}
	if p.err != nil {
		return "invalid port (" + p.err.Error() + ")"
	}
	return "invalid port"
}

// Name returns the interface port called name, creating the name on
// first use, even if the port is then not connected (as when Connect
// returns an error). After reduction, [Network.Read] reads back what is
// connected to it.
func (n *Network) Name(name string) Port {
	if name == "" {
		return Port{err: errorf("interface name is empty")}
	}
	if n.running.Load() {
		return Port{err: ErrRunning}
	}
	if _, ok := n.names[name]; !ok {
		var cell engine.Port
		var err error
		func() {
			defer catchStoreFull(&err)
			cell = n.w.NewVar()
		}()
		if err != nil {
			return Port{err: err}
		}
		n.names[name] = &freeName{cell: cell, pos: len(n.order)}
		n.byCell[cell.Loc()] = name
		n.order = append(n.order, name)
	}
	return Port{kind: portName, name: name, n: n}
}

// Take removes the interface name from the network and returns a port
// for what the name was connected to, so that a new net can use the
// result of an earlier one. It is the Go counterpart of a second use of
// a name in the text language. Connect the port once before the next Step
// or Reduce; Reduce reports it if it is left open. Take fails for an
// unknown name, with ErrUnknownName, and for a name not connected yet,
// with another error. Ports from Name for the
// name stop working; calling Name again creates a new, empty name.
func (n *Network) Take(name string) (Port, error) {
	if n.running.Load() {
		return Port{}, ErrRunning
	}
	n.joinNameWires()
	nm, ok := n.names[name]
	if !ok {
		return Port{}, unknownName(name)
	}
	if !nm.connected {
		return Port{}, errorf("interface name %s is not connected yet", name)
	}
	n.dropName(name)
	b := &n.builder
	b.taken = append(b.taken, takenName{name: name, cell: nm.cell})
	return Port{kind: portTaken, name: name, n: n, takenIndex: len(b.taken) - 1, epoch: b.epoch}, nil
}

// Int returns the principal port of a new integer v.
func (n *Network) Int(v int64) Port { return Port{kind: portInt, value: v, n: n} }

// AddAgent adds an agent of the named type with an optional Go value; the
// type must be Valued for a non-nil value. Every port of the agent, its
// principal port included, must be connected before the next Step or
// Reduce. The networks of a process hold at most 512 GiB together: near
// that, AddAgent returns a *LimitError with ErrMemoryLimit.
func (n *Network) AddAgent(typ string, value any) (_ Agent, err error) {
	defer catchStoreFull(&err)
	if n.running.Load() {
		return Agent{}, ErrRunning
	}
	id, ok := n.net.Types.Lookup(typ)
	if !ok {
		return Agent{}, errorf("unknown agent type %q", typ)
	}
	if id == engine.TypeInt {
		return Agent{}, errorf("integers are not agents: use Network.Int")
	}
	info := n.net.Types.Info(id)
	if value != nil && !info.Valued {
		return Agent{}, errorf("agent type %s carries no value; define it with Valued set", typ)
	}
	if n.net.Store.Words() > engine.MemoryLimit(0) {
		// The store's capacity is near: stop before it panics.
		return Agent{}, convertError(engine.StoreFullError())
	}
	p := n.w.NewAgent(id)
	if value != nil {
		n.w.SetValue(p, value)
	}
	return n.builder.add(p), nil
}

// builder tracks the agents added since the last run, so that Connect can
// reject a port connected twice and a run can reject a port left open.
type builder struct {
	n         *Network
	epoch     uint64
	agents    []engine.Port
	principal []bool // principal port of agents[i] is connected
	open      int    // auxiliary ports not yet connected
	taken     []takenName
}

// takenName is a name removed by Network.Take since the last run.
type takenName struct {
	name string
	cell engine.Port // the name's wire, whose other end holds the result
	used bool        // connected since
}

func (b *builder) add(p engine.Port) Agent {
	b.agents = append(b.agents, p)
	b.principal = append(b.principal, false)
	b.open += b.n.net.Types.Info(p.Type()).Arity()
	return Agent{n: b.n, p: p, id: len(b.agents) - 1, epoch: b.epoch}
}

func (b *builder) reset() {
	b.epoch++
	b.agents = b.agents[:0]
	b.principal = b.principal[:0]
	b.open = 0
	b.taken = b.taken[:0]
}

// check returns an error naming the first port left open. An agent whose
// principal port is open could never be reached, read back or reduced.
func (b *builder) check() error {
	for i, p := range b.agents {
		if !b.principal[i] {
			info := b.n.net.Types.Info(p.Type())
			return errorf("principal port %s of an agent of type %s is not connected", info.Ports[0], info.Name)
		}
	}
	for _, t := range b.taken {
		if !t.used {
			return errorf("the port of taken name %s is not connected", t.name)
		}
	}
	if b.open == 0 {
		return nil
	}
	for _, p := range b.agents {
		info := b.n.net.Types.Info(p.Type())
		for i := range info.Arity() {
			if b.n.w.Aux(p, i) == engine.None {
				return errorf("port %s of an agent of type %s is not connected", info.Ports[i+1], info.Name)
			}
		}
	}
	return nil
}

// validate checks that p can be connected now.
func (b *builder) validate(p Port) error {
	if p.err != nil {
		return p.err
	}
	switch p.kind {
	case portInvalid:
		return errorf("invalid (zero) Port")
	case portAgent:
		if p.a.ctx != nil {
			return errorf("port %s belongs to an action rule; use RuleContext.Link", p)
		}
		if p.a.n != b.n {
			return errOtherNetwork
		}
		if p.a.epoch != b.epoch {
			return ErrStale
		}
		if p.index == 0 {
			if b.principal[p.a.id] {
				return fmt.Errorf("%s: %w", p, ErrConnected)
			}
		} else if b.n.w.Aux(p.a.p, p.index-1) != engine.None {
			return fmt.Errorf("%s: %w", p, ErrConnected)
		}
	case portName:
		if p.n != b.n {
			return errOtherNetwork
		}
		nm, ok := b.n.names[p.name]
		if !ok {
			return errorf("interface name %s was taken; call Name again for a new one", p.name)
		}
		if nm.connected {
			return fmt.Errorf("interface name %s: %w", p.name, ErrConnected)
		}
	case portTaken:
		if p.n != b.n {
			return errOtherNetwork
		}
		if p.epoch != b.epoch {
			return ErrStale
		}
		if b.taken[p.takenIndex].used {
			return fmt.Errorf("%s: %w", p, ErrConnected)
		}
	case portInt:
		if p.n != b.n {
			return errOtherNetwork
		}
	case portResult:
		return errorf("%s belongs to an action rule; use RuleContext.Link", p)
	}
	return nil
}

// Connect joins two ports with a wire. Joining two principal ports makes
// an active pair. Each agent port and each interface name can be
// connected once.
func (n *Network) Connect(p, q Port) (err error) {
	defer catchStoreFull(&err)
	if n.running.Load() {
		return ErrRunning
	}
	if p.kind == portInt && q.kind == portInt {
		return errorf("cannot connect two integers: no rule can reduce them")
	}
	b := &n.builder
	if err := b.validate(p); err != nil {
		return err
	}
	if err := b.validate(q); err != nil {
		return err
	}
	if p.kind == q.kind && p.kind == portAgent && p.a.id == q.a.id && p.index == q.index ||
		p.kind == q.kind && p.kind == portName && p.name == q.name ||
		p.kind == q.kind && p.kind == portTaken && p.takenIndex == q.takenIndex {
		return errorf("cannot connect port %s to itself", p)
	}
	isAux := func(x Port) bool { return x.kind == portAgent && x.index > 0 }
	if !isAux(p) && isAux(q) {
		p, q = q, p
	}
	if isAux(p) {
		// The auxiliary slot takes the other end's word directly.
		var word engine.Port
		switch {
		case isAux(q):
			word = n.w.NewVar()
			n.w.SetAux(q.a.p, q.index-1, word)
			b.open--
		default:
			word = b.word(q)
		}
		n.w.SetAux(p.a.p, p.index-1, word)
		b.open--
		b.mark(q)
		return nil
	}
	// Two ends without a slot: link their words.
	n.w.Link(b.word(p), b.word(q))
	b.mark(p)
	b.mark(q)
	return nil
}

// word returns the port word standing for p, which is not an auxiliary
// port.
func (b *builder) word(p Port) engine.Port {
	switch p.kind {
	case portAgent:
		return p.a.p
	case portName:
		return b.n.names[p.name].cell
	case portTaken:
		return b.taken[p.takenIndex].cell
	}
	return b.n.w.Int(p.value)
}

// mark records that p is connected.
func (b *builder) mark(p Port) {
	switch p.kind {
	case portAgent:
		if p.index == 0 {
			b.principal[p.a.id] = true
		}
	case portName:
		b.n.names[p.name].connected = true
	case portTaken:
		b.taken[p.takenIndex].used = true
	}
}
