package engine

import (
	"fmt"
	"slices"
	"unsafe"
)

// RuleKind is the way a rule is carried out.
type RuleKind uint8

// Rule kinds.
const (
	RuleRewrite RuleKind = iota // a compiled [Template]
	RuleNative                  // a Go function with full access to the worker
)

// Rule is one entry of a rule table. The function or template always gets
// the agent of type Left first, whichever side of the active pair it was
// on. Right is TypeNone for a wildcard rule, which matches any agent (but
// not an integer) on that side.
type Rule struct {
	Name        string
	Left, Right TypeID
	Kind        RuleKind
	Template    *Template
	Native      func(w *Worker, a, b Port) error

	// Builtin rules are found after user rules and before wildcard rules.
	Builtin bool

	// Owner is the value that made the rule, for its maker's use; the
	// engine does not read it. Package annette stores its action rules'
	// runners here.
	Owner any

	// Slow marks a native rule that runs a user's Go function, which can
	// take long: a run checks its context after each call, instead of
	// every 256 interactions.
	Slow bool

	// arithStep marks the built-in rules of Add, Sub and Mul, which the
	// reducer loop carries out without their programs. It is 1 for
	// Op(r, y) >< (int x) => _Op(r, x) ~ y, where waiting is _Op, and 2
	// for _Op(r, int x) >< (int y) => r ~ (y op x).
	arithStep uint8
	// native marks the native rules of Eraser and Dup, which the
	// reducer loop carries out without calling Native most of the time
	// (see runQuick).
	native  uint8
	op      Op
	waiting TypeID
}

// Table maps pairs of type ids to rules in a dense matrix, filled for
// both orientations of every pair. The matrix is rebuilt after rules or
// types change; lookups during reduction are one load.
type Table struct {
	rules []*Rule // index 0 is unused so that a zero cell means "no rule"

	user    map[[2]TypeID]int // keyed by (Left, Right) as defined
	builtin map[[2]TypeID]int
	wild    map[TypeID]int // wildcard rules by their named side

	shift uint       // row stride is 1<<shift
	cells []ruleCell // the rule of each ordered pair of type ids
	ntype int        // number of type ids the matrix covers
}

// ruleCell is one entry of the matrix. It carries the template of a
// rewrite rule directly, so the reducer loop needs one load to find it.
type ruleCell struct {
	rule *Rule     // nil if no rule applies
	tmpl *Template // rule.Template for a rewrite rule, else nil
	prog *prog     // tmpl.prog, the compiled program, or nil
	swap bool      // the pair must be swapped so that the left type comes first
	// prog.na and prog.nb, repeated here to spare the reducer loop a
	// dependent load before it reads the pair's ports.
	na, nb uint8
	// arithStep is rule.arithStep for a rule with a program, and prog
	// is then nil.
	arithStep uint8
	// native is rule.native, set for the rules that runQuick carries
	// out.
	native uint8
}

// Values of Rule.arithStep.
const (
	arithWait = 1 + iota // Op(r, y) >< (int x)
	arithDone            // _Op(r, int x) >< (int y)
)

// Values of Rule.native: the native rules that runQuick carries out.
const (
	nativeEraseInt = 1 + iota // Eraser >< (int x)
	nativeErase               // Eraser >< A(...)
	nativeDup                 // Dup(a, b) >< A(...)
)

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{
		rules:   []*Rule{nil},
		user:    map[[2]TypeID]int{},
		builtin: map[[2]TypeID]int{},
		wild:    map[TypeID]int{},
	}
}

// Find returns the rule defined for exactly the pair (a, b) in either
// orientation, ignoring wildcards, and whether it is a user rule.
func (t *Table) Find(a, b TypeID) *Rule {
	for _, m := range []map[[2]TypeID]int{t.user, t.builtin} {
		if i, ok := m[[2]TypeID{a, b}]; ok {
			return t.rules[i]
		}
		if i, ok := m[[2]TypeID{b, a}]; ok {
			return t.rules[i]
		}
	}
	return nil
}

// Add adds r. If a rule of the same class (user, builtin or wildcard) is
// already defined for the pair in either orientation, Add returns an
// error unless replace is set, in which case r replaces it and Add
// returns the old rule.
func (t *Table) Add(r *Rule, replace bool) (*Rule, error) {
	if r.Left == TypeNone {
		return nil, fmt.Errorf("rule %s has no left agent type", r.Name)
	}
	var m map[[2]TypeID]int
	var key [2]TypeID
	var old int
	switch {
	case r.Right == TypeNone:
		if i, ok := t.wild[r.Left]; ok {
			old = i
		}
	case r.Builtin:
		m = t.builtin
	default:
		m = t.user
	}
	reversed := false
	if m != nil {
		key = [2]TypeID{r.Left, r.Right}
		if i, ok := m[key]; ok {
			old = i
		} else if i, ok := m[[2]TypeID{r.Right, r.Left}]; ok {
			old, reversed = i, true
		}
	}
	var prev *Rule
	if old != 0 {
		prev = t.rules[old]
		if !replace {
			return prev, fmt.Errorf("rule %s: a rule for this pair is already defined (%s)", r.Name, prev.Name)
		}
		if reversed {
			delete(m, [2]TypeID{r.Right, r.Left})
		}
	}
	idx := len(t.rules)
	if old != 0 {
		idx = old
		t.rules[idx] = r
	} else {
		t.rules = append(t.rules, r)
	}
	if m != nil {
		m[key] = idx
	} else {
		t.wild[r.Left] = idx
	}
	t.cells = nil // rebuilt on the next Build
	return prev, nil
}

// TableBytes returns the memory that Build takes for ntype type ids,
// with its room for new types.
func TableBytes(ntype int) int64 {
	shift := uint(0)
	for 1<<shift < ntype {
		shift++
	}
	return int64(unsafe.Sizeof(ruleCell{})) << (2 * shift)
}

// Build fills the matrix for ntype type ids. It must be called after
// rules or types change and before a reducer uses the table.
//
// The rows are laid out with a stride of a power of two, and the matrix
// is allocated with room for as many rows as the stride. When only new
// types have come since the last Build, and they fit in that room, Build
// fills just their rows and columns. A program that brings a new type in
// each of many statements then pays for the new cells only.
func (t *Table) Build(ntype int) {
	if t.cells != nil && t.ntype == ntype {
		return
	}
	shift := uint(0)
	for 1<<shift < ntype {
		shift++
	}
	old := 0 // types whose cells are filled already
	var cells []ruleCell
	if t.cells != nil && ntype > t.ntype && shift == t.shift && cap(t.cells) >= ntype<<shift {
		old = t.ntype
		cells = t.cells[:ntype<<shift]
	} else {
		cells = make([]ruleCell, ntype<<shift, 1<<shift<<shift)
	}
	set := func(a, b TypeID, idx int, swap bool) {
		if int(a) < old && int(b) < old {
			return
		}
		c := &cells[int(a)<<shift|int(b)]
		if c.rule == nil {
			r := t.rules[idx]
			c.rule, c.swap = r, swap
			if r.Kind == RuleRewrite {
				c.tmpl = r.Template
				c.prog = r.Template.prog
				if p := c.prog; p != nil {
					c.na, c.nb = uint8(p.na), uint8(p.nb)
					if r.arithStep != 0 {
						// The reducer loop tests arithStep only where prog
						// is nil, so other pairs pay nothing for it.
						c.arithStep, c.prog = r.arithStep, nil
					}
				}
			}
			if r.Kind == RuleNative {
				c.native = r.native
			}
		}
	}
	// Lookup order: user rules, then builtin rules, then wildcard rules.
	// set keeps the first rule written to a cell. Rules name only types
	// that existed at the last Build when old > 0: adding a rule clears
	// the matrix.
	if old == 0 {
		for _, m := range []map[[2]TypeID]int{t.user, t.builtin} {
			for k, idx := range m {
				set(k[0], k[1], idx, false)
				set(k[1], k[0], idx, true)
			}
		}
	}
	// Built-in wildcard rules (Eraser, Dup) come before user ones. A
	// wildcard rule fills the row of its type (it is the left side) and
	// then, where nothing was written, its column. So a cell whose two
	// types both have wildcard rules of one class gets the rule of its
	// left type, unswapped.
	wild := make([]TypeID, 0, len(t.wild))
	for a := range t.wild {
		if int(a) < ntype {
			wild = append(wild, a)
		}
	}
	slices.Sort(wild)
	first := TypeID(max(1, old)) // the first new type
	for _, builtin := range []bool{true, false} {
		for _, a := range wild {
			if i := t.wild[a]; t.rules[i].Builtin == builtin {
				for b := first; int(b) < ntype; b++ {
					if b != TypeInt {
						set(a, b, i, false)
					}
				}
			}
		}
		for _, b := range wild {
			if i := t.wild[b]; t.rules[i].Builtin == builtin {
				for a := first; int(a) < ntype; a++ {
					if a != TypeInt {
						set(a, b, i, true)
					}
				}
			}
		}
	}
	t.shift, t.cells, t.ntype = shift, cells, ntype
}

// lookup returns the rule for an active pair of types a and b, and
// whether the pair must be swapped so that the rule's left type comes
// first. It returns nil if no rule applies.
func (t *Table) lookup(a, b TypeID) (*Rule, bool) {
	c := t.cell(a, b)
	return c.rule, c.swap
}

// noRule is the cell of a pair outside the matrix.
var noRule ruleCell

// cell returns the matrix entry for an active pair of types a and b.
func (t *Table) cell(a, b TypeID) *ruleCell {
	if int(a) >= t.ntype || int(b) >= t.ntype {
		return &noRule
	}
	return &t.cells[int(a)<<t.shift|int(b)]
}

// Rules returns every rule in the table in definition order.
func (t *Table) Rules() []*Rule {
	var out []*Rule
	for _, r := range t.rules[1:] {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}
