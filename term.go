package annette

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/annette-go/annette/internal/engine"
)

// TermKind is the kind of a [Term].
type TermKind uint8

// Term kinds.
const (
	AgentTerm TermKind = iota + 1 // an agent: Type, Value and Args are set
	IntTerm                       // an integer: Int is set
	NameTerm                      // the end of a wire to an interface name: Name is set
	WireTerm                      // an internal wire end with nothing connected: Name is a label such as <a1>
	EmptyTerm                     // nothing to read: the name is not connected, or leads into an auxiliary port (see Network.Read)
	CycleTerm                     // an agent already read higher up, on a cycle
)

var termKindNames = [...]string{AgentTerm: "agent", IntTerm: "integer", NameTerm: "name", WireTerm: "wire", EmptyTerm: "empty", CycleTerm: "cycle"}

// String returns the kind's name.
func (k TermKind) String() string {
	if int(k) < len(termKindNames) && termKindNames[k] != "" {
		return termKindNames[k]
	}
	return fmt.Sprintf("TermKind(%d)", k)
}

// Term is a tree read back from a network. A reader of the built-in
// Merger reads as an agent of type _MergerP whose one argument is the end
// of the output list built so far, as Inpla prints it.
type Term struct {
	Kind  TermKind
	Type  string  // agent type
	Int   int64   // integer value
	Name  string  // interface name, or label of a wire end
	Value any     // Go value of an agent of a Valued type
	Args  []*Term // one per auxiliary port
}

// ErrUnknownName means Read, Text or Take was given a name that is not
// an interface name of the network.
var ErrUnknownName = errors.New("unknown interface name")

// unknownName returns ErrUnknownName wrapped with the name.
func unknownName(name string) error {
	return fmt.Errorf("annette: %w: %q", ErrUnknownName, name)
}

// Read returns the term connected to the interface name. Read and the
// printing of terms are iterative, so the depth of a term is limited by
// memory only.
//
// A term is read from an agent's principal port down through its
// auxiliary ports. A name connected to an auxiliary port, such as the
// result port of an Add agent that never got its operands, reads as an
// EmptyTerm, because no principal port is at the name's end.
//
// NOTE: a wire between two interface names reads as a NameTerm from one
// end and an EmptyTerm from the other, as in Inpla. When a rule links
// the two names to each other, the order of the interactions decides
// which end reads as which, so the reading can differ between runs and
// worker counts. Either way it is the same net. When a reduction leaves
// them joined through a wire of a rule body, the name created first
// reads as the other (see joinNameWires).
func (n *Network) Read(name string) (*Term, error) {
	return n.readContext(context.Background(), name)
}

// readContext is Read that stops with ctx's error when ctx is done.
func (n *Network) readContext(ctx context.Context, name string) (*Term, error) {
	n.joinNameWires()
	nm, ok := n.names[name]
	if !ok {
		return nil, unknownName(name)
	}
	if n.w.Cell(nm.cell) == engine.None {
		return &Term{Kind: EmptyTerm}, nil
	}
	return n.readPort(ctx, n.w.Cell(nm.cell))
}

// Text returns the term connected to the interface name in the notation
// of the text language.
func (n *Network) Text(name string) (string, error) {
	return n.textContext(context.Background(), name, PrintOptions{})
}

// readPort reads the term at port word p, in preorder so that wire labels
// are handed out in the order a printer meets them. It checks ctx every
// few thousand agents, so that a huge term can be interrupted.
func (n *Network) readPort(ctx context.Context, p engine.Port) (*Term, error) {
	nameOf := n.byCell
	// One bit per store word marks the agents read so far, to stop at a
	// cycle. A map would cost tens of bytes per agent of a large term.
	var seen locSet
	root := &Term{}
	type item struct {
		t *Term
		p engine.Port
	}
	stack := []item{{root, p}}
	for k := 1; len(stack) > 0; k++ {
		if k%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p := n.w.Resolve(it.p)
		t := it.t
		switch {
		case p == engine.None:
			t.Kind = EmptyTerm
		case p.IsVar():
			if name, ok := nameOf[p.Loc()]; ok {
				t.Kind, t.Name = NameTerm, name
			} else {
				t.Kind, t.Name = WireTerm, n.wireLabel(p.Loc())
			}
		case p.IsInt():
			v, _ := n.w.IntValue(p)
			t.Kind, t.Int = IntTerm, v
		default:
			info := n.net.Types.Info(p.Type())
			t.Kind, t.Type = AgentTerm, info.Name
			if name, ok := n.functionAgent(p); ok {
				t.Type = name // a leaf: %foo
				continue
			}
			if p.Loc() != 0 {
				if seen.has(p.Loc()) {
					t.Kind = CycleTerm
					continue
				}
				seen.add(p.Loc())
			}
			if info.Valued {
				t.Value = n.w.Value(p)
			}
			if tail, ok := n.mergerTail(p); ok {
				t.Type = mergerReader
				t.Args = []*Term{{}}
				stack = append(stack, item{t.Args[0], tail})
				continue
			}
			if info.Arity() > 0 {
				t.Args = make([]*Term, info.Arity())
				for i := range t.Args {
					t.Args[i] = &Term{}
				}
				for i := info.Arity() - 1; i >= 0; i-- {
					stack = append(stack, item{t.Args[i], n.w.Aux(p, i)})
				}
			}
		}
	}
	return root, nil
}

// functionAgent returns "%foo" for the text language's function agent
// %foo, which holds foo's type id on its port.
func (n *Network) functionAgent(p engine.Port) (string, bool) {
	if n.net.Types.Name(p.Type()) != "_Percent" {
		return "", false
	}
	id, err := n.w.IntValue(n.w.Aux(p, 0))
	if err != nil || id <= int64(engine.TypeInt) || id >= int64(n.net.Types.Len()) {
		return "", false
	}
	return "%" + n.net.Types.Name(engine.TypeID(id)), true
}

// wireLabel returns the label of the wire cell at loc: <a1> … <z1>, <a2>
// …, handed out on first use. No label is handed out twice, so a wire
// that takes a cell that freeWire freed gets a new label.
//
// NOTE: the label of a wire that a reduction consumes stays in the map,
// because the engine does not report the cells it frees. A new wire can
// take the freed cell later and then shows the old label.
func (n *Network) wireLabel(loc uint64) string {
	if n.labels == nil {
		n.labels = map[uint64]string{}
	}
	if l, ok := n.labels[loc]; ok {
		return l
	}
	k := n.nlabels
	n.nlabels++
	l := "<" + string(rune('a'+k%26)) + strconv.Itoa(k/26+1) + ">"
	n.labels[loc] = l
	return l
}

// freeWire frees the wire cell p, which the network itself disposes of,
// and deletes its label, because the next wire in the cell is another.
func (n *Network) freeWire(p engine.Port) {
	delete(n.labels, p.Loc())
	n.w.FreeVar(p)
}

// PrintOptions adjust how a term is printed.
type PrintOptions struct {
	// MaxList cuts a list after this many elements, printing "..." for
	// the rest; zero prints every element.
	MaxList int
	// OpenTail prints a list whose tail is an unconnected name or wire
	// as [1,2,xs... (the text tools' notation for a stream still being
	// computed) instead of 1:2:xs.
	OpenTail bool
}

// String returns t in the notation of the text language: 42, A,
// A(x,y), f() for a lower-case type without ports, [1,2,3] for a
// proper list, 1:2:xs for a list with another tail, (a,b) for a tuple.
func (t *Term) String() string { return t.Format(PrintOptions{}) }

// Format returns t printed with the given options.
func (t *Term) Format(opt PrintOptions) string {
	var b strings.Builder
	// The stack holds terms to print and literal strings, in reverse.
	type item = printItem
	stack := []item{{t: t}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.t == nil {
			b.WriteString(it.lit)
			continue
		}
		t := it.t
		switch t.Kind {
		case IntTerm:
			b.WriteString(strconv.FormatInt(t.Int, 10))
		case NameTerm, WireTerm:
			b.WriteString(t.Name)
		case EmptyTerm:
			b.WriteString("<EMPTY>")
		case CycleTerm:
			b.WriteString("<CYCLE>")
		case AgentTerm:
			// Write what comes first now and push the rest in reverse, so
			// that printing allocates nothing per agent.
			args := func(closing string) {
				stack = append(stack, item{lit: closing})
				for i := len(t.Args) - 1; i >= 0; i-- {
					stack = append(stack, item{t: t.Args[i]})
					if i > 0 {
						stack = append(stack, item{lit: ","})
					}
				}
			}
			if t.Type == "Cons" && len(t.Args) == 2 {
				parts := listParts(t, opt)
				for i := len(parts) - 1; i >= 0; i-- {
					stack = append(stack, parts[i])
				}
				continue
			}
			if writeAgentOpening(&b, t.Type, len(t.Args)) {
				args(")")
			}
		default:
			b.WriteString("<invalid>")
		}
	}
	return b.String()
}

// writeAgentOpening writes what the text notation prints for an agent
// of type name with arity auxiliary ports before its arguments. That is
// [] for the empty list, ( for a tuple, the name alone for an agent
// without ports (with () after a lower-case name), and name( otherwise.
// It reports whether the arguments and a closing parenthesis follow. Both
// printers handle lists before they call it.
func writeAgentOpening(b *strings.Builder, name string, arity int) (args bool) {
	switch {
	case name == "Nil" && arity == 0:
		b.WriteString("[]")
		return false
	case strings.HasPrefix(name, "Tuple") && arity != 1 && isTupleType(name, arity):
		b.WriteByte('(')
		return true
	case arity == 0:
		b.WriteString(name)
		if r, _ := utf8.DecodeRuneInString(name); unicode.IsLower(r) {
			b.WriteString("()")
		}
		return false
	}
	b.WriteString(name)
	b.WriteByte('(')
	return true
}

func isCons(t *Term) bool { return t.Kind == AgentTerm && t.Type == "Cons" && len(t.Args) == 2 }

// properOrOpen reports whether the list at t prints in brackets.
func properOrOpen(t *Term, opt PrintOptions) bool {
	for isCons(t) {
		t = t.Args[1]
	}
	if t.Kind == AgentTerm && t.Type == "Nil" && len(t.Args) == 0 {
		return true
	}
	return opt.OpenTail && (t.Kind == NameTerm || t.Kind == WireTerm || t.Kind == EmptyTerm)
}

// printItem is a term still to print, or a literal when t is nil.
type printItem struct {
	t   *Term
	lit string
}

func isTupleType(name string, n int) bool {
	return name == "Tuple"+strconv.Itoa(n) && (n == 0 || n >= 2 && n <= 5)
}

// listParts returns the pieces of a list starting at the cons cell t.
func listParts(t *Term, opt PrintOptions) []printItem {
	type item = printItem
	var elems []*Term
	tail := t
	for tail.Kind == AgentTerm && tail.Type == "Cons" && len(tail.Args) == 2 {
		elems = append(elems, tail.Args[0])
		tail = tail.Args[1]
	}
	var parts []item
	proper := tail.Kind == AgentTerm && tail.Type == "Nil" && len(tail.Args) == 0
	open := opt.OpenTail && (tail.Kind == NameTerm || tail.Kind == WireTerm || tail.Kind == EmptyTerm)
	if proper || open {
		parts = append(parts, item{lit: "["})
		for i, e := range elems {
			if opt.MaxList > 0 && i == opt.MaxList {
				parts = append(parts, item{lit: ",..."})
				break
			}
			if i > 0 {
				parts = append(parts, item{lit: ","})
			}
			parts = append(parts, item{t: e})
		}
		if proper {
			parts = append(parts, item{lit: "]"})
		} else {
			parts = append(parts, item{lit: ","}, item{t: tail}, item{lit: "..."})
		}
		return parts
	}
	for _, e := range elems {
		if isCons(e) && !properOrOpen(e, opt) {
			parts = append(parts, item{lit: "("}, item{t: e}, item{lit: ")"})
		} else {
			parts = append(parts, item{t: e})
		}
		parts = append(parts, item{lit: ":"})
	}
	return append(parts, item{t: tail})
}

// joinNameWires gives the form of x ~ y to each wire that a reduction
// made between two interface names through a wire of a rule body. Such
// a wire leaves both names leading, through wire cells that only they
// refer to, to one empty cell. Both would read as the same unnamed wire,
// such as <a1>, and free would reject each name because the other holds
// it. joinNameWires frees those cells, makes the name created first read
// as the other name and leaves the other one empty. It does nothing
// unless a run has made interactions since its last call, and the
// readers of names call it first, as printing walks all names anyway.
// Call it only while no reducer runs.
func (n *Network) joinNameWires() {
	if !n.namesToJoin || n.running.Load() {
		return
	}
	n.namesToJoin = false
	ends := map[uint64]string{} // empty cell -> the first name that leads to it
	for _, name := range n.order {
		if name == "" {
			continue
		}
		z := n.w.Cell(n.names[name].cell)
		if !z.IsVar() {
			continue
		}
		end := n.w.Resolve(z)
		if !end.IsVar() {
			continue
		}
		if n.byCell[end.Loc()] != "" || n.chainHasName(z, end) {
			continue
		}
		first, ok := ends[end.Loc()]
		if !ok {
			ends[end.Loc()] = name
			continue
		}
		delete(ends, end.Loc())
		n.joinNames(first, name, end)
	}
}

// chainHasName reports whether a name's cell is on the way from the
// wire word z to end, which Resolve(z) returned.
func (n *Network) chainHasName(z, end engine.Port) bool {
	for ; z.Loc() != end.Loc(); z = n.w.Cell(z) {
		if n.byCell[z.Loc()] != "" {
			return true
		}
	}
	return false
}

// joinNames rewires the interface names first and second, which both
// lead to the empty cell end, so that first reads as second and second
// reads as <EMPTY>. It frees end and the cells on the way to it.
func (n *Network) joinNames(first, second string, end engine.Port) {
	for _, name := range []string{first, second} {
		cell := n.names[name].cell
		for z := n.w.Cell(cell); z.Loc() != end.Loc(); {
			next := n.w.Cell(z)
			n.freeWire(z)
			z = next
		}
	}
	n.freeWire(end)
	n.w.SetCell(n.names[first].cell, n.names[second].cell)
	n.w.SetCell(n.names[second].cell, engine.None)
}
