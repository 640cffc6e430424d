package engine

import (
	"fmt"
	"reflect"
)

// TypeID identifies an agent type in a [Registry].
type TypeID uint32

// Reserved type ids.
const (
	TypeNone TypeID = 0 // no type; never the type of an agent
	TypeInt  TypeID = 1 // integers, which have no storage of their own
)

// TypeInfo describes one agent type.
type TypeInfo struct {
	Name   string
	Ports  []string     // port names; Ports[0] is the principal port
	Valued bool         // agents carry a Go value
	Value  reflect.Type // type of the Go value for decoding snapshots; may be nil

	arity int // auxiliary ports: len(Ports)-1
	words int // cell size: arity plus one if Valued
}

// Arity returns the number of auxiliary ports.
func (t *TypeInfo) Arity() int { return t.arity }

// Words returns the size of an agent's cell in words; 0 for a nullary
// agent without a value, which needs no storage.
func (t *TypeInfo) Words() int { return t.words }

// PortIndex returns the index of the port called name, or -1.
func (t *TypeInfo) PortIndex(name string) int {
	for i, p := range t.Ports {
		if p == name {
			return i
		}
	}
	return -1
}

// Registry maps type names to ids. It is not safe for concurrent
// mutation; reducers only read it.
type Registry struct {
	types  []TypeInfo
	byName map[string]TypeID
}

// NewRegistry returns a registry holding only the integer type, named
// "Int".
func NewRegistry() *Registry {
	r := &Registry{byName: map[string]TypeID{}}
	r.types = append(r.types, TypeInfo{Name: "", Ports: []string{"main"}})
	r.types = append(r.types, TypeInfo{Name: "Int", Ports: []string{"main"}})
	r.byName["Int"] = TypeInt
	return r
}

// Define adds a type. ports lists the port names, principal first; when
// empty, the type has only a principal port called "main".
func (r *Registry) Define(name string, ports []string, valued bool, vt reflect.Type) (TypeID, error) {
	if name == "" {
		return 0, fmt.Errorf("agent type name is empty")
	}
	if _, dup := r.byName[name]; dup {
		return 0, fmt.Errorf("agent type %s is already defined", name)
	}
	if len(ports) == 0 {
		ports = []string{"main"}
	}
	if len(ports)-1 > MaxArity {
		return 0, fmt.Errorf("agent type %s has %d auxiliary ports; the maximum is %d", name, len(ports)-1, MaxArity)
	}
	seen := map[string]bool{}
	for _, p := range ports {
		if p == "" {
			return 0, fmt.Errorf("agent type %s has an empty port name", name)
		}
		if seen[p] {
			return 0, fmt.Errorf("agent type %s has two ports called %s", name, p)
		}
		seen[p] = true
	}
	if len(r.types) > MaxTypes {
		return 0, fmt.Errorf("too many agent types (maximum %d)", MaxTypes)
	}
	id := TypeID(len(r.types))
	ti := TypeInfo{Name: name, Ports: append([]string(nil), ports...), Valued: valued, Value: vt}
	ti.arity = len(ports) - 1
	ti.words = ti.arity
	if valued {
		ti.words++
	}
	r.types = append(r.types, ti)
	r.byName[name] = id
	return id, nil
}

// Truncate removes the types whose ids are n or more, so that a caller
// can take back the types it defined for something that then failed. No
// agent, rule or table may refer to those types any more.
func (r *Registry) Truncate(n int) {
	for _, t := range r.types[n:] {
		delete(r.byName, t.Name)
	}
	r.types = r.types[:n]
}

// Lookup returns the id of the type called name.
func (r *Registry) Lookup(name string) (TypeID, bool) {
	id, ok := r.byName[name]
	return id, ok
}

// Info returns the description of type id. The result must not be
// modified.
func (r *Registry) Info(id TypeID) *TypeInfo { return &r.types[id] }

// Len returns the number of type ids in use, reserved ones included.
func (r *Registry) Len() int { return len(r.types) }

// Name returns the name of type id.
func (r *Registry) Name(id TypeID) string {
	if int(id) < len(r.types) {
		return r.types[id].Name
	}
	return fmt.Sprintf("type#%d", id)
}

// PortHolder is implemented by the Go value of an agent that keeps ports
// of the net outside its auxiliary ports, as a Merger's readers keep the
// end of the output list. Walks of the net that follow wires, such as the
// weak strategy's search for the active pairs an interface name reaches,
// follow these ports too.
type PortHolder interface {
	HeldPorts() []Port
}
