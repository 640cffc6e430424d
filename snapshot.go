package annette

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"

	"github.com/annette-go/annette/internal/engine"
)

// SnapshotFormat and SnapshotVersion identify the JSON form written by
// [Network.Snapshot]. docs/SNAPSHOT.md describes the form.
const (
	SnapshotFormat  = "annette-net"
	SnapshotVersion = 1
)

// mergeReader is the type of the two readers that the built-in Merger
// makes. Their shared state holds a port of the net (see
// engine.PortHolder), so a snapshot holds none.
const mergeReader = "_Merge"

// hasBuiltins reports whether AddBuiltins has defined the built-in agents
// in n.
func (n *Network) hasBuiltins() bool {
	_, merger := n.TypeOf("Merger")
	t, reader := n.TypeOf(mergeReader)
	return merger && reader && t.Valued
}

type snapshot struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Types   []snapType  `json:"types"`
	Agents  []snapAgent `json:"agents"`
	Wires   []snapWire  `json:"wires"`
	Names   []string    `json:"names"`
}

type snapType struct {
	Name   string   `json:"name"`
	Ports  []string `json:"ports"`
	Valued bool     `json:"valued,omitempty"`
}

type snapAgent struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value,omitempty"`
}

// snapEnd is one end of a wire: a port of an agent, an integer or an
// interface name. The zero snapEnd is an open end: a wire whose other end
// is not part of the snapshot.
type snapEnd struct {
	Agent *int   `json:"agent,omitempty"`
	Port  string `json:"port,omitempty"`
	Int   *int64 `json:"int,omitempty"`
	Name  string `json:"name,omitempty"`
}

func (e snapEnd) open() bool { return e.Agent == nil && e.Int == nil && e.Name == "" }

// valid checks that e names one thing: a port of an agent, an integer, a
// name, or nothing for an open end.
func (e snapEnd) valid() error {
	kinds := 0
	for _, set := range []bool{e.Agent != nil, e.Int != nil, e.Name != ""} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return fmt.Errorf("a wire end gives more than one of agent, int and name")
	case e.Agent == nil && e.Port != "":
		return fmt.Errorf("a wire end gives port %q without an agent", e.Port)
	case e.Agent != nil && e.Port == "":
		return fmt.Errorf("a wire end gives agent %d without a port", *e.Agent)
	}
	return nil
}

// snapWire is a wire: its two ends, either of which may be open. It is a
// slice rather than an array, so that decoding keeps a third end or a
// lone end for validateSnapshot to reject. An array drops the third end
// and takes a lone end for a wire with an open end. A slice also lets the
// decoder's check of unknown fields reach the ends.
type snapWire []snapEnd

// Snapshot returns the network as JSON: its agent types, its agents with
// their Go values (encoded with encoding/json), its wires, its active
// pairs and its interface names. Rules are Go code and are not part of a
// snapshot: load it into a network that has the same rules.
//
// The snapshot holds what can be reached from the interface names and the
// active pairs. A part of the net reachable from neither can never
// interact or be read back, and is left out. A net under construction,
// with ports that Reduce would report as not connected, gives an error,
// and so does a call during a run (from an action rule): ErrRunning.
// Snapshot also fails while effects that the rules requested are in
// flight, because their results would have no place in the snapshot:
// call Reduce first to take them.
func (n *Network) Snapshot() ([]byte, error) {
	s, err := n.snapshot(false)
	if err != nil {
		return nil, err
	}
	return s.encode()
}

// encode writes s as JSON with one type, agent, wire or name per line.
// Indenting every field, as json.MarshalIndent does, made a snapshot of a
// list of a million integers take 224 MB.
func (s *snapshot) encode() ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\n\"format\": %q,\n\"version\": %d", s.Format, s.Version)
	var err error
	list := func(field string, n int, item func(i int) any) {
		fmt.Fprintf(&buf, ",\n\"%s\": [", field)
		for i := range n {
			if err != nil {
				return
			}
			var b []byte
			b, err = json.Marshal(item(i))
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n ")
			buf.Write(b)
		}
		if n > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteByte(']')
	}
	list("types", len(s.Types), func(i int) any { return s.Types[i] })
	list("agents", len(s.Agents), func(i int) any { return s.Agents[i] })
	list("wires", len(s.Wires), func(i int) any { return s.Wires[i] })
	list("names", len(s.Names), func(i int) any { return s.Names[i] })
	buf.WriteString("\n}\n")
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// snapshot returns the contents of a snapshot of n. An agent whose Go
// value keeps ports of the net (see engine.PortHolder) is an error,
// unless withHeldPorts is set. Such an agent is then taken as it is, and
// the net beyond those ports is left out.
func (n *Network) snapshot(withHeldPorts bool) (*snapshot, error) {
	if n.running.Load() {
		return nil, ErrRunning
	}
	if err := n.builder.check(); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if err := n.checkNoEffects(); err != nil {
		return nil, err
	}
	sw := snapWriter{n: n, ids: map[uint64]int{}, open: map[uint64]openEnd{}}
	s := snapshot{Format: SnapshotFormat, Version: SnapshotVersion, Names: n.Names(),
		Types: []snapType{}, Agents: []snapAgent{}, Wires: []snapWire{}}
	for id := engine.TypeInt + 1; int(id) < n.net.Types.Len(); id++ {
		info := n.net.Types.Info(id)
		s.Types = append(s.Types, snapType{Name: info.Name, Ports: info.Ports, Valued: info.Valued})
	}
	for _, name := range n.order {
		if name == "" {
			continue // dropped
		}
		cell := n.names[name].cell
		if p := n.w.Cell(cell); p != engine.None {
			sw.follow(snapEnd{Name: name}, p, false)
		} else {
			// Nothing has arrived at the name: its end is passive, and a
			// wire to another name must point from that name to this one.
			sw.follow(snapEnd{Name: name}, cell, true)
		}
	}
	for _, r := range n.w.Redexes() {
		sw.wire(sw.principal(r.A), sw.principal(r.B))
	}
	for i := 0; i < len(sw.agents); i++ {
		p := sw.agents[i]
		info := n.net.Types.Info(p.Type())
		for k := range info.Arity() {
			sw.follow(snapEnd{Agent: ptr(i), Port: info.Ports[k+1]}, n.w.Aux(p, k), false)
		}
		a := snapAgent{Type: info.Name}
		if info.Valued {
			v := n.w.Value(p)
			if _, ok := v.(engine.PortHolder); ok && !withHeldPorts {
				// Such as a Merger's reader, which keeps the end of the
				// output list in its state, where no wire leads.
				return nil, fmt.Errorf("snapshot: a %s agent keeps ports of the net in its state, which a snapshot cannot contain; reduce the net until the Merger is done first", info.Name)
			}
			if v != nil {
				b, err := json.Marshal(v)
				if err != nil {
					return nil, fmt.Errorf("snapshot: value of a %s agent: %w", info.Name, err)
				}
				a.Value = b
			}
		}
		s.Agents = append(s.Agents, a)
	}
	// Ends whose partner was never reached: keep the agent ports, so that
	// a loaded net has every port connected; a name alone needs nothing.
	for _, e := range sw.order {
		if o, ok := sw.open[e]; ok && o.end.Name == "" {
			s.Wires = append(s.Wires, snapWire{o.end, {}})
		}
	}
	s.Wires = append(s.Wires, sw.wires...)
	return &s, nil
}

func ptr[T any](v T) *T { return &v }

type snapWriter struct {
	n      *Network
	ids    map[uint64]int // store location → agent number
	agents []engine.Port
	open   map[uint64]openEnd // wire cell → the end seen first
	order  []uint64           // wire cells in the order first seen
	wires  []snapWire
}

type openEnd struct {
	end     snapEnd
	passive bool
}

func (sw *snapWriter) wire(a, b snapEnd) { sw.wires = append(sw.wires, snapWire{a, b}) }

// principal returns the end for the principal port word p, numbering the
// agent the first time it is met.
func (sw *snapWriter) principal(p engine.Port) snapEnd {
	if p.IsInt() {
		v, _ := sw.n.w.IntValue(p)
		return snapEnd{Int: &v}
	}
	id, ok := sw.ids[p.Loc()]
	if !ok || p.Loc() == 0 {
		id = len(sw.agents)
		sw.agents = append(sw.agents, p)
		if p.Loc() != 0 {
			sw.ids[p.Loc()] = id
		}
	}
	return snapEnd{Agent: ptr(id), Port: sw.n.net.Types.Info(p.Type()).Ports[0]}
}

// follow records the wire from end e to whatever the word p leads to.
func (sw *snapWriter) follow(e snapEnd, p engine.Port, passive bool) {
	p = sw.n.w.Resolve(p)
	if !p.IsVar() {
		sw.wire(e, sw.principal(p))
		return
	}
	if o, ok := sw.open[p.Loc()]; ok {
		delete(sw.open, p.Loc())
		if o.passive {
			sw.wire(e, o.end)
		} else {
			sw.wire(o.end, e)
		}
		return
	}
	sw.open[p.Loc()] = openEnd{e, passive}
	sw.order = append(sw.order, p.Loc())
}

// LoadSnapshot adds the net of a snapshot to n. Types of the snapshot that
// n lacks are defined; types it has must have the same ports. A Go value
// is decoded into the type's ValueType when it has one, and is a
// json.RawMessage otherwise. Interface names must not exist in n yet.
// The whole snapshot is checked before anything is added: every port of
// every agent must be in exactly one wire and a name in at most one, and
// on error n is unchanged. LoadSnapshot fails while effects that n's
// rules requested are in flight, as Snapshot does.
func (n *Network) LoadSnapshot(data []byte) (err error) {
	defer catchStoreFull(&err)
	if n.running.Load() {
		return ErrRunning
	}
	if err := n.checkNoEffects(); err != nil {
		return err
	}
	var s snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("snapshot: data after the JSON object")
	}
	if s.Format != SnapshotFormat {
		return fmt.Errorf("snapshot: format is %q, want %q", s.Format, SnapshotFormat)
	}
	if s.Version != SnapshotVersion {
		return fmt.Errorf("snapshot: version %d is not supported (this build reads version %d)", s.Version, SnapshotVersion)
	}
	if err := n.validateSnapshot(&s); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	// Some errors (a type definition, a Go value that does not decode)
	// show only while loading. A trial load into an empty network with
	// n's types finds them before n changes.
	trial := NewNetwork(Config{})
	for id := engine.TypeInt + 1; int(id) < n.net.Types.Len(); id++ {
		t, _ := n.TypeOf(n.net.Types.Info(id).Name)
		if _, ok := trial.TypeOf(t.Name); ok {
			continue // a built-in type
		}
		if err := trial.DefineType(t); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if err := trial.load(&s); err != nil {
		return err
	}
	return n.load(&s)
}

// load adds the net of a checked snapshot to n.
func (n *Network) load(s *snapshot) error {
	for _, t := range s.Types {
		if have, ok := n.TypeOf(t.Name); ok {
			if !reflect.DeepEqual(have.Ports, t.Ports) || have.Valued != t.Valued {
				return fmt.Errorf("snapshot: type %s differs from the network's type of that name", t.Name)
			}
			continue
		}
		if err := n.DefineType(Type{Name: t.Name, Ports: t.Ports, Valued: t.Valued}); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	for _, name := range s.Names {
		if _, dup := n.names[name]; dup {
			return fmt.Errorf("snapshot: interface name %s already exists in the network", name)
		}
	}
	for _, name := range s.Names {
		n.Name(name)
	}
	agents := make([]Agent, len(s.Agents))
	for i, a := range s.Agents {
		var v any
		if len(a.Value) > 0 {
			var err error
			if v, err = n.decodeValue(a); err != nil {
				return err
			}
		}
		ag, err := n.AddAgent(a.Type, v)
		if err != nil {
			return fmt.Errorf("snapshot: agent %d: %w", i, err)
		}
		agents[i] = ag
	}
	port := func(e snapEnd) (Port, error) {
		switch {
		case e.Agent != nil:
			if *e.Agent < 0 || *e.Agent >= len(agents) {
				return Port{}, fmt.Errorf("snapshot: wire to agent %d, which does not exist", *e.Agent)
			}
			return agents[*e.Agent].Port(e.Port), nil
		case e.Int != nil:
			return n.Int(*e.Int), nil
		}
		return n.Name(e.Name), nil
	}
	for _, w := range s.Wires {
		if w[0].open() {
			// validateSnapshot takes an open end on either side.
			w[0], w[1] = w[1], w[0]
		}
		p, err := port(w[0])
		if err != nil {
			return err
		}
		if w[1].open() {
			if err := n.builder.connectOpen(p); err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
			continue
		}
		q, err := port(w[1])
		if err != nil {
			return err
		}
		if err := n.Connect(p, q); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	return nil
}

func (n *Network) decodeValue(a snapAgent) (any, error) {
	t, ok := n.TypeOf(a.Type)
	if !ok || t.ValueType == nil {
		var b bytes.Buffer
		if err := json.Compact(&b, a.Value); err != nil {
			return nil, fmt.Errorf("snapshot: value of a %s agent: %w", a.Type, err)
		}
		return json.RawMessage(b.Bytes()), nil
	}
	v := reflect.New(t.ValueType)
	if err := json.Unmarshal(a.Value, v.Interface()); err != nil {
		return nil, fmt.Errorf("snapshot: value of a %s agent: %w", a.Type, err)
	}
	return v.Elem().Interface(), nil
}

// connectOpen connects an auxiliary port to a wire whose other end is
// nowhere: the port stays as it would be had its partner never arrived.
func (b *builder) connectOpen(p Port) error {
	if err := b.validate(p); err != nil {
		return err
	}
	if p.kind != portAgent || p.index == 0 {
		return fmt.Errorf("open wire end at %s, which is not an auxiliary port", p)
	}
	b.n.w.SetAux(p.a.p, p.index-1, b.n.w.NewVar())
	b.open--
	return nil
}

// validateSnapshot checks a decoded snapshot against n without changing
// n.
func (n *Network) validateSnapshot(s *snapshot) error {
	ports := map[string][]string{} // type name → port names
	for _, t := range s.Types {
		if have, ok := n.TypeOf(t.Name); ok {
			if !reflect.DeepEqual(have.Ports, t.Ports) || have.Valued != t.Valued {
				return fmt.Errorf("type %s differs from the network's type of that name", t.Name)
			}
		}
		if _, dup := ports[t.Name]; dup {
			return fmt.Errorf("type %s is listed twice", t.Name)
		}
		ps := t.Ports
		if len(ps) == 0 {
			ps = []string{"main"}
		}
		ports[t.Name] = ps
	}
	typePorts := func(name string) ([]string, bool) {
		if ps, ok := ports[name]; ok {
			return ps, true
		}
		t, ok := n.TypeOf(name)
		return t.Ports, ok
	}
	names := map[string]bool{}
	for _, name := range s.Names {
		if name == "" {
			return fmt.Errorf("an interface name is empty")
		}
		if names[name] {
			return fmt.Errorf("interface name %s is listed twice", name)
		}
		if _, dup := n.names[name]; dup {
			return fmt.Errorf("interface name %s already exists in the network", name)
		}
		names[name] = true
	}
	used := make([]map[string]int, len(s.Agents))
	for i, a := range s.Agents {
		if _, ok := typePorts(a.Type); !ok {
			return fmt.Errorf("agent %d has unknown type %q", i, a.Type)
		}
		if a.Type == "Int" {
			return fmt.Errorf("agent %d: integers are wire ends, not agents", i)
		}
		if a.Type == mergeReader && n.hasBuiltins() {
			return fmt.Errorf("agent %d: invalid type %s: only the built-in Merger makes such agents, and no snapshot contains one", i, a.Type)
		}
		used[i] = map[string]int{}
	}
	nameUsed := map[string]bool{}
	check := func(e snapEnd, other snapEnd) error {
		switch {
		case e.Agent != nil:
			k := *e.Agent
			if k < 0 || k >= len(s.Agents) {
				return fmt.Errorf("wire to agent %d, which does not exist", k)
			}
			ps, _ := typePorts(s.Agents[k].Type)
			idx := slices.Index(ps, e.Port)
			if idx < 0 {
				return fmt.Errorf("wire to port %q of agent %d, a %s, which has no such port", e.Port, k, s.Agents[k].Type)
			}
			if other.open() && idx == 0 {
				return fmt.Errorf("open wire at the principal port of agent %d", k)
			}
			if used[k][e.Port]++; used[k][e.Port] > 1 {
				return fmt.Errorf("port %s of agent %d is connected twice", e.Port, k)
			}
		case e.Int != nil:
		case e.Name != "":
			if !names[e.Name] {
				return fmt.Errorf("wire to name %s, which is not in names", e.Name)
			}
			if nameUsed[e.Name] {
				return fmt.Errorf("interface name %s is connected twice", e.Name)
			}
			nameUsed[e.Name] = true
		default:
			return fmt.Errorf("a wire has no end")
		}
		return nil
	}
	for _, wire := range s.Wires {
		if len(wire) != 2 {
			return fmt.Errorf("a wire has %d ends, want 2 (an open end is written {})", len(wire))
		}
		for _, e := range wire {
			if err := e.valid(); err != nil {
				return err
			}
		}
		w := [2]snapEnd{wire[0], wire[1]}
		if w[0].open() {
			w[0], w[1] = w[1], w[0]
		}
		if w[0].Int != nil && w[1].Int != nil {
			return fmt.Errorf("a wire joins two integers, which no rule can reduce")
		}
		if err := check(w[0], w[1]); err != nil {
			return err
		}
		if !w[1].open() {
			if err := check(w[1], w[0]); err != nil {
				return err
			}
		}
	}
	for i, a := range s.Agents {
		ps, _ := typePorts(a.Type)
		// The principal port too: an agent that nothing reaches could
		// never interact, and Reduce would report it.
		for _, p := range ps {
			if used[i][p] != 1 {
				return fmt.Errorf("port %s of agent %d, a %s, is in no wire", p, i, a.Type)
			}
		}
	}
	return nil
}
