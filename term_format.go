package annette

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/annette-go/annette/internal/engine"
)

// formatPort returns the term at port word p printed with opt, as
// Format prints the term that readPort returns, but without building that
// term. Its memory is the output and a stack of the pieces still to
// print, where a Term costs a few hundred bytes per agent. A list cut by
// opt.MaxList is not read past the cut, except to find its end.
//
// A list whose tail leads back into the list is left to readPort and
// Format, which mark it <CYCLE>.
func (n *Network) formatPort(ctx context.Context, p engine.Port, opt PrintOptions) (string, error) {
	s, err := n.formatStream(ctx, p, opt)
	if errors.Is(err, errListCycle) {
		t, err := n.readPort(ctx, p)
		if err != nil {
			return "", err
		}
		return t.Format(opt), nil
	}
	return s, err
}

// textContext returns the term connected to the interface name printed
// with opt, stopping with ctx's error when ctx is done.
func (n *Network) textContext(ctx context.Context, name string, opt PrintOptions) (string, error) {
	n.joinNameWires()
	nm, ok := n.names[name]
	if !ok {
		return "", unknownName(name)
	}
	if n.w.Cell(nm.cell) == engine.None {
		return "<EMPTY>", nil
	}
	return n.formatPort(ctx, n.w.Cell(nm.cell), opt)
}

// errListCycle stops formatStream at a list whose tail leads back into
// the list.
var errListCycle = errors.New("a list's tail leads back into the list")

// fmtItem is a piece still to print: the term at port word p when lit
// is zero, or else the literal fmtLits[lit]. Sixteen bytes an item keep
// the stack of a deep term small.
type fmtItem struct {
	p   engine.Port
	lit uint8
}

// The literals that printing pushes, indices into fmtLits. Zero is not
// one of them, so that a zero lit means a term.
const (
	litOpen = iota + 1
	litClose
	litBracket
	litBracketEnd
	litComma
	litColon
	litOpenTail
	litCut
)

var fmtLits = [...]string{litOpen: "(", litClose: ")", litBracket: "[", litBracketEnd: "]",
	litComma: ",", litColon: ":", litOpenTail: "...", litCut: ",..."}

func (n *Network) formatStream(ctx context.Context, p engine.Port, opt PrintOptions) (string, error) {
	nameOf := n.byCell
	var seen locSet // the agents printed so far, to stop at a cycle
	var b strings.Builder
	stack := []fmtItem{{p: p}}
	push := func(q engine.Port) { stack = append(stack, fmtItem{p: q}) }
	lit := func(l uint8) { stack = append(stack, fmtItem{lit: l}) }
	for k := 1; len(stack) > 0; k++ {
		if k%4096 == 0 && ctx.Err() != nil {
			return "", ctx.Err()
		}
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.lit != 0 {
			b.WriteString(fmtLits[it.lit])
			continue
		}
		q := n.w.Resolve(it.p)
		switch {
		case q == engine.None:
			b.WriteString("<EMPTY>")
			continue
		case q.IsVar():
			if name, ok := nameOf[q.Loc()]; ok {
				b.WriteString(name)
			} else {
				b.WriteString(n.wireLabel(q.Loc()))
			}
			continue
		case q.IsInt():
			v, _ := n.w.IntValue(q)
			b.WriteString(strconv.FormatInt(v, 10))
			continue
		}
		info := n.net.Types.Info(q.Type())
		if name, ok := n.functionAgent(q); ok {
			b.WriteString(name)
			continue
		}
		if q.Loc() != 0 {
			if seen.has(q.Loc()) {
				b.WriteString("<CYCLE>")
				continue
			}
			seen.add(q.Loc())
		}
		arity := info.Arity()
		// args pushes the auxiliary ports of q, separated by commas, and
		// the closing, in reverse.
		args := func() {
			lit(litClose)
			for i := arity - 1; i >= 0; i-- {
				push(n.w.Aux(q, i))
				if i > 0 {
					lit(litComma)
				}
			}
		}
		if tail, ok := n.mergerTail(q); ok {
			b.WriteString(mergerReader + "(")
			lit(litClose)
			push(tail)
			continue
		}
		if n.isCons(q) {
			if err := n.pushList(q, opt, &seen, push, lit); err != nil {
				return "", err
			}
			continue
		}
		if writeAgentOpening(&b, info.Name, arity) {
			args()
		}
	}
	return b.String(), nil
}

// mergerReader is the name under which a reader of a Merger prints, as in
// Inpla: _MergerP(t), where t is the end of the output list so far.
const mergerReader = "_MergerP"

// mergerTail returns the end of the output list that q holds when q, a
// resolved port word, is a reader of a Merger.
func (n *Network) mergerTail(q engine.Port) (engine.Port, bool) {
	if n.net.Types.Name(q.Type()) != mergeReader {
		return engine.None, false
	}
	h, ok := n.w.Value(q).(engine.PortHolder)
	if !ok {
		return engine.None, false
	}
	ports := h.HeldPorts()
	if len(ports) != 1 {
		return engine.None, false
	}
	return ports[0], true
}

// isCons reports whether q, a resolved port word, is a cons cell that a
// printer shows as part of a list.
func (n *Network) isCons(q engine.Port) bool {
	if !q.IsNode() || q.Loc() == 0 {
		return false
	}
	info := n.net.Types.Info(q.Type())
	return info.Name == "Cons" && info.Arity() == 2
}

// listEnd follows the tails of the list at the cons cell q and returns
// the first tail that is not a cons cell, resolved, and the number of
// cells. It returns errListCycle if the tails lead back into the list,
// which it finds with Brent's method in constant memory.
func (n *Network) listEnd(q engine.Port) (engine.Port, int, error) {
	cells := 1
	mark, power, steps := q.Loc(), 1, 0
	for {
		q = n.w.Resolve(n.w.Aux(q, 1))
		if !n.isCons(q) {
			return q, cells, nil
		}
		if q.Loc() == mark {
			return q, cells, errListCycle
		}
		cells++
		if steps++; steps == power {
			mark, power, steps = q.Loc(), power*2, 0
		}
	}
}

// printsInBrackets reports whether a list ending in tail prints in
// brackets: a proper list, or with OpenTail one whose tail is still open.
func (n *Network) printsInBrackets(tail engine.Port, opt PrintOptions) bool {
	if tail.IsNode() && n.net.Types.Info(tail.Type()).Name == "Nil" && n.net.Types.Info(tail.Type()).Arity() == 0 {
		return true
	}
	return opt.OpenTail && (tail == engine.None || tail.IsVar())
}

// pushList pushes the pieces of the list at the cons cell q, which is in
// seen already, in reverse, as listParts lays them out.
func (n *Network) pushList(q engine.Port, opt PrintOptions, seen *locSet, push func(engine.Port), lit func(uint8)) error {
	tail, cells, err := n.listEnd(q)
	if err != nil {
		return err
	}
	// The heads to print, collected along the spine in order.
	printed := cells
	brackets := n.printsInBrackets(tail, opt)
	cut := brackets && opt.MaxList > 0 && cells > opt.MaxList
	if cut {
		printed = opt.MaxList
	}
	heads := make([]engine.Port, 0, printed)
	c := q
	for i := range printed {
		if i > 0 {
			c = n.w.Resolve(n.w.Aux(c, 1))
			seen.add(c.Loc())
		}
		heads = append(heads, n.w.Aux(c, 0))
	}

	if brackets {
		switch {
		case tail.IsNode():
			lit(litBracketEnd)
		default:
			lit(litOpenTail)
			push(tail)
			lit(litComma)
		}
		if cut {
			lit(litCut)
		}
		for i := len(heads) - 1; i >= 0; i-- {
			push(heads[i])
			if i > 0 {
				lit(litComma)
			}
		}
		lit(litBracket)
		return nil
	}
	push(tail)
	for i := len(heads) - 1; i >= 0; i-- {
		lit(litColon)
		h := n.w.Resolve(heads[i])
		if n.isCons(h) && !n.consInBrackets(h, opt) {
			lit(litClose)
			push(heads[i])
			lit(litOpen)
		} else {
			push(heads[i])
		}
	}
	return nil
}

// consInBrackets reports whether the list at the cons cell h prints in
// brackets. A list that leads back into itself does not.
func (n *Network) consInBrackets(h engine.Port, opt PrintOptions) bool {
	tail, _, err := n.listEnd(h)
	return err == nil && n.printsInBrackets(tail, opt)
}
