package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The interaction counts asserted below are those that Inpla 0.13.4
// (single-threaded build) prints for the program in the comment next to
// each case, unless that comment states a deliberate difference.

// fixture is a bare engine net with the built-ins installed, a worker
// that builds and reduces it, and a printer for reading results back.
type fixture struct {
	t      *testing.T
	n      *Net
	w      *Worker
	ids    map[string]TypeID
	labels map[uint64]string // wire cell → label, for printing open wires
	ran    int64             // interactions before the last run
}

func newFixture(t *testing.T, shared bool) *fixture {
	t.Helper()
	n := NewNet()
	ids, err := InstallBuiltins(n)
	if err != nil {
		t.Fatalf("InstallBuiltins: %v", err)
	}
	w := NewWorker(n, 1)
	w.Shared = shared
	return &fixture{t: t, n: n, w: w, ids: ids, labels: map[uint64]string{}}
}

// define adds a user agent type with arity auxiliary ports.
func (f *fixture) define(name string, arity int) TypeID {
	f.t.Helper()
	ports := []string{"main"}
	for i := range arity {
		ports = append(ports, fmt.Sprintf("p%d", i+1))
	}
	id, err := f.n.Types.Define(name, ports, false, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ids[name] = id
	return id
}

// userRule adds a native user rule name >< Int.
func (f *fixture) userRule(name string, fn func(w *Worker, a, b Port) error) {
	f.t.Helper()
	r := &Rule{Name: name, Left: f.ids[name], Right: TypeInt, Kind: RuleNative, Native: fn}
	if _, err := f.n.Rules.Add(r, false); err != nil {
		f.t.Fatal(err)
	}
}

// defineInc defines inc(r) >< (int x) => r ~ x+1.
func (f *fixture) defineInc() {
	f.define("inc", 1)
	f.userRule("inc", func(w *Worker, a, b Port) error {
		x, err := w.IntValue(b)
		if err != nil {
			return err
		}
		r := w.Aux(a, 0)
		w.DropInt(b)
		w.FreeAgent(a)
		w.Link(r, w.Int(x+1))
		return nil
	})
}

// defineCopies defines name(r, y, …) >< (int x) => r ~ x, y ~ x, … for an
// agent of the given arity.
func (f *fixture) defineCopies(name string, arity int) {
	f.define(name, arity)
	f.userRule(name, func(w *Worker, a, b Port) error {
		x, err := w.IntValue(b)
		if err != nil {
			return err
		}
		outs := make([]Port, arity)
		for i := range outs {
			outs[i] = w.Aux(a, i)
		}
		w.DropInt(b)
		w.FreeAgent(a)
		for _, o := range outs {
			w.Link(o, w.Int(x))
		}
		return nil
	})
}

// agent builds an agent of the named type with the given auxiliary
// ports.
func (f *fixture) agent(name string, args ...Port) Port {
	f.t.Helper()
	id, ok := f.ids[name]
	if !ok {
		f.t.Fatalf("unknown agent type %s", name)
	}
	if got := f.n.Types.Info(id).Arity(); got != len(args) {
		f.t.Fatalf("%s has %d auxiliary ports, given %d", name, got, len(args))
	}
	p := f.w.NewAgent(id)
	for i, a := range args {
		f.w.SetAux(p, i, a)
	}
	return p
}

func (f *fixture) list(elems ...Port) Port {
	l := f.agent("Nil")
	for i := len(elems) - 1; i >= 0; i-- {
		l = f.agent("Cons", elems[i], l)
	}
	return l
}

func (f *fixture) ints(vs ...int64) []Port {
	ps := make([]Port, len(vs))
	for i, v := range vs {
		ps[i] = f.w.Int(v)
	}
	return ps
}

func (f *fixture) intList(vs ...int64) Port { return f.list(f.ints(vs...)...) }

func (f *fixture) tuple(elems ...Port) Port {
	return f.agent(fmt.Sprintf("Tuple%d", len(elems)), elems...)
}

// connect is "a ~ b" while building: an active pair, or a wire end bound
// to a term.
func (f *fixture) connect(a, b Port) { f.w.Link(a, b) }

// run reduces the net and returns the interactions of this run.
func (f *fixture) run() (int64, error) {
	f.w.Prepare()
	f.ran = f.w.Interactions()
	err := f.w.Run(context.Background(), Limits{})
	return f.w.Interactions() - f.ran, err
}

// mustRun reduces the net, fails the test on an error and checks the
// interaction count.
func (f *fixture) mustRun(want int64) {
	f.t.Helper()
	got, err := f.run()
	if err != nil {
		f.t.Fatalf("run: %v", err)
	}
	if got != want {
		f.t.Errorf("interactions = %d, want %d", got, want)
	}
	if p := f.w.Pending(); p != 0 {
		f.t.Errorf("%d active pairs left after the run", p)
	}
}

// show prints the term at p in Inpla's notation; an open wire prints as
// <N>, the same label for both ends.
func (f *fixture) show(p Port) string {
	var sb strings.Builder
	f.print(&sb, p)
	return sb.String()
}

func (f *fixture) print(sb *strings.Builder, p Port) {
	w := f.w
	p = w.Resolve(p)
	switch {
	case p == None:
		sb.WriteString("NONE")
	case p.IsVar():
		l, ok := f.labels[p.Loc()]
		if !ok {
			l = fmt.Sprintf("<%d>", len(f.labels)+1)
			f.labels[p.Loc()] = l
		}
		sb.WriteString(l)
	case p.IsInt():
		v, err := w.IntValue(p)
		if err != nil {
			f.t.Fatal(err)
		}
		sb.WriteString(strconv.FormatInt(v, 10))
	case p.Type() == f.ids["Nil"]:
		sb.WriteString("[]")
	case p.Type() == f.ids["Cons"]:
		f.printList(sb, p)
	case strings.HasPrefix(f.n.Types.Name(p.Type()), "Tuple"):
		sb.WriteString("(")
		f.printArgs(sb, p)
		sb.WriteString(")")
	default:
		sb.WriteString(f.n.Types.Name(p.Type()))
		if f.n.Types.Info(p.Type()).Arity() > 0 {
			sb.WriteString("(")
			f.printArgs(sb, p)
			sb.WriteString(")")
		}
	}
}

func (f *fixture) printArgs(sb *strings.Builder, p Port) {
	for i := range f.n.Types.Info(p.Type()).Arity() {
		if i > 0 {
			sb.WriteString(",")
		}
		f.print(sb, f.w.Aux(p, i))
	}
}

// printList prints a proper list as [a,b] and any other as a:b:tail.
func (f *fixture) printList(sb *strings.Builder, p Port) {
	var elems []Port
	for p.IsNode() && p.Type() == f.ids["Cons"] {
		elems = append(elems, f.w.Aux(p, 0))
		p = f.w.Resolve(f.w.Aux(p, 1))
	}
	proper := p.IsNode() && p.Type() == f.ids["Nil"]
	if proper {
		sb.WriteString("[")
	}
	for i, e := range elems {
		if i > 0 && proper {
			sb.WriteString(",")
		}
		f.print(sb, e)
		if !proper {
			sb.WriteString(":")
		}
	}
	if proper {
		sb.WriteString("]")
	} else {
		f.print(sb, p)
	}
}

// checkShow checks the printed term at each name.
func (f *fixture) checkShow(names []Port, want string) {
	f.t.Helper()
	var got []string
	for _, n := range names {
		got = append(got, f.show(n))
	}
	if s := strings.Join(got, " "); s != want {
		f.t.Errorf("result = %s, want %s", s, want)
	}
}

// checkLive checks the number of live agents.
func (f *fixture) checkLive(want int64) {
	f.t.Helper()
	if got := f.w.Live(); got != want {
		f.t.Errorf("live agents = %d, want %d", got, want)
	}
}

// onFreeList reports whether the one-word cell at loc has been released
// to the worker's heap.
func (f *fixture) onFreeList(loc uint64) bool {
	for l, steps := f.w.heap.free[1], 0; l != 0 && steps < 1<<20; l, steps = *f.w.heap.cell(l), steps+1 {
		if l == loc {
			return true
		}
	}
	return false
}

// modes runs a test body in the sequential mode and in Shared mode, in
// which wire cells are linked with atomic operations.
func modes(t *testing.T, body func(t *testing.T, shared bool)) {
	for _, shared := range []bool{false, true} {
		name := "sequential"
		if shared {
			name = "shared"
		}
		t.Run(name, func(t *testing.T) { body(t, shared) })
	}
}

func TestInstallBuiltinsTypes(t *testing.T) {
	f := newFixture(t, false)
	arity := map[string]int{
		"Eraser": 0, "Dup": 2, "Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Mod": 2,
		"Append": 2, "Zip": 2, "Map": 2, "Merger": 1,
		"Nil": 0, "Cons": 2, "Tuple0": 0, "Tuple2": 2, "Tuple3": 3, "Tuple4": 4, "Tuple5": 5,
	}
	for name, want := range arity {
		id, ok := f.ids[name]
		if !ok {
			t.Errorf("%s is missing from the returned ids", name)
			continue
		}
		if got, _ := f.n.Types.Lookup(name); got != id {
			t.Errorf("%s: returned id %d, registry has %d", name, id, got)
		}
		if got := f.n.Types.Info(id).Arity(); got != want {
			t.Errorf("%s has arity %d, want %d", name, got, want)
		}
	}
	for name := range f.ids {
		if _, builtin := arity[name]; !builtin && !strings.HasPrefix(name, "_") {
			t.Errorf("helper type %s does not start with _", name)
		}
	}
	for _, r := range f.n.Rules.Rules() {
		if !r.Builtin {
			t.Errorf("rule %s is not marked built-in", r.Name)
		}
		if (r.Kind == RuleRewrite) != (r.Template != nil) || (r.Kind == RuleNative) != (r.Native != nil) {
			t.Errorf("rule %s has kind %d but template %v and native %v", r.Name, r.Kind, r.Template != nil, r.Native != nil)
		}
	}
}

func TestInstallBuiltinsExistingTypes(t *testing.T) {
	n := NewNet()
	cons, err := n.Types.Define("Cons", []string{"main", "head", "tail"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := InstallBuiltins(n)
	if err != nil {
		t.Fatalf("InstallBuiltins: %v", err)
	}
	if ids["Cons"] != cons {
		t.Errorf("Cons id = %d, want the existing %d", ids["Cons"], cons)
	}
	if _, err := InstallBuiltins(n); err == nil {
		t.Error("a second InstallBuiltins succeeded")
	}

	bad := NewNet()
	if _, err := bad.Types.Define("Tuple2", []string{"main", "x"}, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := InstallBuiltins(bad); err == nil {
		t.Error("InstallBuiltins accepted a Tuple2 with one auxiliary port")
	}
}

func TestArithmetic(t *testing.T) {
	cases := []struct {
		op   string
		y, x int64 // Op(r, y) ~ x, that is r << Op(y, x)
		want int64
	}{
		{"Add", 3, 4, 7},   // r << Add(3, 4); r;  → 7, 2 interactions
		{"Sub", 10, 3, 7},  // r << Sub(10, 3); r; → 7
		{"Mul", 6, 7, 42},  // r << Mul(6, 7); r;  → 42
		{"Div", -7, 2, -3}, // r << Div(-7, 2); r; → -3
		{"Mod", -7, 2, -1}, // r << Mod(-7, 2); r; → -1
		{"Div", 7, -2, -3},
		{"Mod", 7, -2, 1},
		// 64-bit two's complement, beyond the 61 bits of an INT word
		// (Inpla keeps 31 bits here; annette deliberately keeps 64).
		{"Add", 1<<60 - 1, 1, 1 << 60},
		{"Sub", math.MinInt64, 1, math.MaxInt64},
		{"Add", math.MaxInt64, 1, math.MinInt64},
		{"Mul", 1 << 40, 1 << 30, 0},
		{"Mul", math.MaxInt64, math.MaxInt64, 1},
		{"Div", math.MinInt64, -1, math.MinInt64},
		{"Mod", math.MinInt64, -1, 0},
		{"Div", math.MaxInt64, 1 << 61, 3},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s(%d,%d)", c.op, c.y, c.x), func(t *testing.T) {
				f := newFixture(t, shared)
				r := f.w.NewVar()
				f.connect(f.agent(c.op, r, f.w.Int(c.y)), f.w.Int(c.x))
				f.mustRun(2)
				got, err := f.w.IntValue(r)
				if err != nil {
					t.Fatalf("result: %v", err)
				}
				if got != c.want {
					t.Errorf("result = %d, want %d", got, c.want)
				}
				f.checkLive(0)
			})
		}
	})
}

// TestArithmeticCellsHaveTwoWords checks the cell size that runArith
// assumes when it frees the cell of _Add, _Sub or _Mul.
func TestArithmeticCellsHaveTwoWords(t *testing.T) {
	f := newFixture(t, false)
	for _, name := range []string{"Add", "Sub", "Mul", "_Add", "_Sub", "_Mul"} {
		if got := f.n.Types.Info(f.ids[name]).Words(); got != 2 {
			t.Errorf("%s has %d words, want 2", name, got)
		}
	}
}

func TestArithmeticFreesBoxes(t *testing.T) {
	f := newFixture(t, false)
	r := f.w.NewVar()
	y, x := f.w.Int(math.MaxInt64), f.w.Int(math.MinInt64)
	f.connect(f.agent("Add", r, y), x)
	f.mustRun(2)
	if v, _ := f.w.IntValue(r); v != -1 {
		t.Errorf("result = %d, want -1", v)
	}
	if !f.onFreeList(y.Loc()) {
		t.Error("box of the operand was not freed")
	}
	if !f.onFreeList(x.Loc()) {
		t.Error("box of the principal integer was not freed")
	}
}

func TestArithmeticWaitsForOperand(t *testing.T) {
	modes(t, func(t *testing.T, shared bool) {
		// Add(r1, y1) ~ 10, y1 ~ 4; r1; → 14, 2 interactions in all.
		f := newFixture(t, shared)
		r, y := f.w.NewVar(), f.w.NewVar()
		f.connect(f.agent("Add", r, y), f.w.Int(10))
		f.mustRun(1)
		if got := f.show(y); got != "_Add(<1>,10)" {
			t.Errorf("y = %s, want _Add(<1>,10)", got)
		}
		if _, err := f.w.IntValue(r); !errors.Is(err, ErrPending) {
			t.Errorf("result before the operand arrived: err = %v, want ErrPending", err)
		}
		f.connect(y, f.w.Int(4))
		f.mustRun(1)
		f.checkShow([]Port{r}, "14")
		f.checkLive(0)
	})
}

func TestArithmeticOperandFromRule(t *testing.T) {
	// Add(r, y) ~ 10, Add(y, 1) ~ 2; r; → 13, 4 interactions.
	modes(t, func(t *testing.T, shared bool) {
		f := newFixture(t, shared)
		r, y := f.w.NewVar(), f.w.NewVar()
		f.connect(f.agent("Add", r, y), f.w.Int(10))
		f.connect(f.agent("Add", y, f.w.Int(1)), f.w.Int(2))
		f.mustRun(4)
		f.checkShow([]Port{r}, "13")
		f.checkLive(0)
	})
}

// TestArithmeticLinks covers each link that ends a step of a built-in
// Add. The waiting agent meets its second operand's wire, empty or
// already filled with the integer. The result meets the first agent's
// output: a wire that is empty or contains the waiting agent of
// another Add, or an agent's principal port. Beside the result, the
// test checks that each used wire went back to the free list.
func TestArithmeticLinks(t *testing.T) {
	modes(t, func(t *testing.T, shared bool) {
		for _, outerFirst := range []bool{false, true} {
			// Add(r, y) ~ 10 and Add(y, 1) ~ 2: the pair connected last
			// runs first. With the outer Add first, its waiting agent
			// goes into y's empty cell, and the inner result finds it
			// there. The other way round, the inner result fills y,
			// and the waiting agent finds it.
			f := newFixture(t, shared)
			r, y := f.w.NewVar(), f.w.NewVar()
			outer := func() { f.connect(f.agent("Add", r, y), f.w.Int(10)) }
			inner := func() { f.connect(f.agent("Add", y, f.w.Int(1)), f.w.Int(2)) }
			if outerFirst {
				inner()
				outer()
			} else {
				outer()
				inner()
			}
			f.mustRun(4)
			f.checkShow([]Port{r}, "13")
			f.checkLive(0)
			if got := f.w.Wires(); got != 1 {
				t.Errorf("outer first %v: %d wires, want 1 (r)", outerFirst, got)
			}
			if !f.onFreeList(y.Loc()) {
				t.Errorf("outer first %v: y's cell is not on the free list", outerFirst)
			}
		}

		// Add(Add(s, 5), 1) ~ 2: the first result meets the principal
		// port of the second Add and makes a pair with it.
		f := newFixture(t, shared)
		s := f.w.NewVar()
		f.connect(f.agent("Add", f.agent("Add", s, f.w.Int(5)), f.w.Int(1)), f.w.Int(2))
		f.mustRun(4)
		f.checkShow([]Port{s}, "8")
		f.checkLive(0)
		if got := f.w.Wires(); got != 1 {
			t.Errorf("nested: %d wires, want 1 (s)", got)
		}
	})
}

// TestArithmeticPause pushes two pairs Add(r, 5) ~ 3, either way round,
// and runs them with a pause of one to three pairs. The first
// interaction, which runArith carries out, replaces its pair with
// _Add(r, 3) ~ 5. So a pause of two pairs or fewer must stop the run
// right there, and a larger one must not stop it.
func TestArithmeticPause(t *testing.T) {
	const pairs = 2
	modes(t, func(t *testing.T, shared bool) {
		for _, intFirst := range []bool{false, true} {
			for pause := 1; pause <= pairs+1; pause++ {
				name := fmt.Sprintf("int first %v, pause %d", intFirst, pause)
				f := newFixture(t, shared)
				f.w.Prepare()
				outs := make([]Port, pairs)
				for i := range outs {
					outs[i] = f.w.NewVar()
					add := f.agent("Add", outs[i], f.w.Int(5))
					if intFirst {
						f.w.Push(f.w.Int(3), add)
					} else {
						f.w.Push(add, f.w.Int(3))
					}
				}
				err := f.w.Run(context.Background(), Limits{Pause: pause})
				if pause <= pairs {
					if err != ErrPaused {
						t.Fatalf("%s: Run = %v, want ErrPaused", name, err)
					}
					if got := f.w.Interactions(); got != 1 {
						t.Errorf("%s: paused after %d interactions, want 1", name, got)
					}
					if got := f.w.Pending(); got != pairs {
						t.Errorf("%s: %d pairs pending, want %d", name, got, pairs)
					}
					err = f.w.Run(context.Background(), Limits{})
				}
				if err != nil {
					t.Fatalf("%s: Run = %v", name, err)
				}
				if got := f.w.Interactions(); got != 2*pairs {
					t.Errorf("%s: %d interactions in all, want %d", name, got, 2*pairs)
				}
				for i, out := range outs {
					if got := f.show(out); got != "8" {
						t.Errorf("%s: out %d = %s, want 8", name, i, got)
					}
				}
			}
		}
	})
}

// TestArithmeticStartsAboveLiveLimit reduces _Add(r, 3) ~ 5, either way
// round, in runs whose live count, other workers' agents included, is
// above the limit. The run must stop with ErrAgentLimit after that
// interaction, although it leaves no pair and frees an agent.
func TestArithmeticStartsAboveLiveLimit(t *testing.T) {
	modes(t, func(t *testing.T, shared bool) {
		for _, intFirst := range []bool{false, true} {
			f := newFixture(t, shared)
			f.w.Prepare()
			r := f.w.NewVar()
			add := f.agent("_Add", r, f.w.Int(3))
			if intFirst {
				f.w.Push(f.w.Int(5), add)
			} else {
				f.w.Push(add, f.w.Int(5))
			}
			err := f.w.Run(context.Background(), Limits{LiveAgents: 1, LiveOffset: 5})
			if !errors.Is(err, ErrAgentLimit) {
				t.Fatalf("int first %v: Run = %v, want ErrAgentLimit", intFirst, err)
			}
			if got := f.w.Interactions(); got != 1 {
				t.Errorf("int first %v: %d interactions, want 1", intFirst, got)
			}
			if got := f.show(r); got != "8" {
				t.Errorf("int first %v: r = %s, want 8", intFirst, got)
			}
		}
	})
}

func TestDivideByZero(t *testing.T) {
	// r << Div(7, 0); kills Inpla; annette reports the rule and keeps
	// the pair.
	for _, op := range []string{"Div", "Mod"} {
		t.Run(op, func(t *testing.T) {
			f := newFixture(t, false)
			r := f.w.NewVar()
			f.connect(f.agent(op, r, f.w.Int(7)), f.w.Int(0))
			for attempt := range 2 {
				n, err := f.run()
				if !errors.Is(err, ErrDivideByZero) {
					t.Fatalf("attempt %d: err = %v, want ErrDivideByZero", attempt, err)
				}
				var fault *Fault
				if !errors.As(err, &fault) {
					t.Fatalf("err is a %T, want *Fault", err)
				}
				if fault.Rule != op || fault.Left != "_"+op || fault.Right != "Int" {
					t.Errorf("fault = %+v, want rule %s on _%s >< Int", fault, op, op)
				}
				want := fmt.Sprintf("rule %s (_%s >< Int): division by zero", op, op)
				if err.Error() != want {
					t.Errorf("message = %q, want %q", err.Error(), want)
				}
				if wantN := int64(1 - attempt); n != wantN {
					t.Errorf("attempt %d: interactions = %d, want %d", attempt, n, wantN)
				}
				rs := f.w.Redexes()
				if len(rs) != 1 {
					t.Fatalf("attempt %d: %d pairs left, want 1", attempt, len(rs))
				}
				waiting, operand := rs[0].A, rs[0].B
				if waiting.IsInt() {
					waiting, operand = operand, waiting
				}
				if got := f.show(waiting) + " ~ " + f.show(operand); got != "_"+op+"(<1>,0) ~ 7" {
					t.Errorf("attempt %d: pair = %s", attempt, got)
				}
				if _, err := f.w.IntValue(r); !errors.Is(err, ErrPending) {
					t.Errorf("result was connected: %v", err)
				}
			}
		})
	}
}

func TestIntegersMeetingHaveNoRule(t *testing.T) {
	f := newFixture(t, false)
	f.connect(f.w.Int(1), f.w.Int(2))
	_, err := f.run()
	if !errors.Is(err, ErrNoRule) {
		t.Fatalf("err = %v, want ErrNoRule", err)
	}
	var fault *Fault
	if !errors.As(err, &fault) || fault.Left != "Int" || fault.Right != "Int" {
		t.Errorf("fault = %v, want one naming Int >< Int", err)
	}
	if f.w.Pending() != 1 {
		t.Errorf("%d pairs left, want 1", f.w.Pending())
	}
}

func TestArithmeticOnAgentHasNoRule(t *testing.T) {
	f := newFixture(t, false)
	f.define("A", 0)
	f.connect(f.agent("Add", f.w.NewVar(), f.w.Int(1)), f.agent("A"))
	if _, err := f.run(); !errors.Is(err, ErrNoRule) {
		t.Errorf("Add ~ A: err = %v, want ErrNoRule", err)
	}
}

func TestEraser(t *testing.T) {
	cases := []struct {
		name  string
		build func(f *fixture) Port // the term the Eraser meets
		want  int64
	}{
		// Eraser ~ 5; → 1 interaction
		{"int", func(f *fixture) Port { return f.w.Int(5) }, 1},
		// Eraser ~ Eraser; → 1
		{"eraser", func(f *fixture) Port { return f.agent("Eraser") }, 1},
		// Eraser ~ [1,2]; → 5
		{"list", func(f *fixture) Port { return f.intList(1, 2) }, 5},
		// Eraser ~ A(B, x), x ~ 3; → 3
		{"agent with wire", func(f *fixture) Port {
			x := f.w.NewVar()
			f.connect(x, f.w.Int(3))
			return f.agent("A", f.agent("B"), x)
		}, 3},
		// Eraser ~ (x3, x3); → 2
		{"internal wire", func(f *fixture) Port {
			x := f.w.NewVar()
			return f.tuple(x, x)
		}, 2},
		// Eraser ~ Dup(a, b), a ~ 1, b ~ [2]; → 5 (either rule applies)
		{"dup", func(f *fixture) Port {
			a, b := f.w.NewVar(), f.w.NewVar()
			f.connect(a, f.w.Int(1))
			f.connect(b, f.intList(2))
			return f.agent("Dup", a, b)
		}, 5},
		// Not in Inpla, which keeps 31 bits in agent slots.
		{"boxed integers", func(f *fixture) Port {
			return f.list(f.w.Int(math.MaxInt64), f.w.Int(math.MinInt64))
		}, 5},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := newFixture(t, shared)
				f.define("A", 2)
				f.define("B", 0)
				f.connect(f.agent("Eraser"), c.build(f))
				f.mustRun(c.want)
				f.checkLive(0)
			})
		}
	})
}

// TestEraserAndDupInTheLoop checks that the rule table marks the cells of
// Eraser and Dup, in both orders of the pair, for runQuick, and leaves
// Dup ~ integer unmarked.
func TestEraserAndDupInTheLoop(t *testing.T) {
	f := newFixture(t, false)
	a := f.define("A", 2)
	f.connect(f.agent("Eraser"), f.intList(1, 2))
	f.mustRun(5)
	eraser, dup := f.ids["Eraser"], f.ids["Dup"]
	for _, c := range []struct {
		a, b TypeID
		want uint8
	}{
		{eraser, a, nativeErase}, {a, eraser, nativeErase},
		{eraser, TypeInt, nativeEraseInt}, {TypeInt, eraser, nativeEraseInt},
		{dup, a, nativeDup}, {a, dup, nativeDup},
		{dup, TypeInt, 0},
	} {
		if got := f.n.Rules.cell(c.a, c.b).native; got != c.want {
			t.Errorf("cell (%s, %s): native is %d, want %d", f.n.Types.Info(c.a).Name, f.n.Types.Info(c.b).Name, got, c.want)
		}
	}
}

// TestRunQuickDeclines checks that runQuick leaves boxed integers,
// Dup ~ Dup and agents with a Go value to the native functions: it
// returns false and changes neither the stack nor the count.
func TestRunQuickDeclines(t *testing.T) {
	f := newFixture(t, false)
	v, err := f.n.Types.Define("V", []string{"main", "x"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.ids["V"] = v
	f.w.Prepare()
	for _, c := range []struct {
		name string
		a, b Port
	}{
		{"Eraser ~ boxed integer", f.agent("Eraser"), f.w.Int(math.MaxInt64)},
		{"boxed integer ~ Eraser", f.w.Int(math.MinInt64), f.agent("Eraser")},
		{"Dup ~ Dup", f.agent("Dup", f.w.NewVar(), f.w.NewVar()), f.agent("Dup", f.w.NewVar(), f.w.NewVar())},
		{"Eraser ~ valued", f.agent("Eraser"), f.agent("V", f.w.Int(1))},
		{"valued ~ Eraser", f.agent("V", f.w.Int(1)), f.agent("Eraser")},
		{"Dup ~ valued", f.agent("Dup", f.w.NewVar(), f.w.NewVar()), f.agent("V", f.w.Int(1))},
		{"valued ~ Dup", f.agent("V", f.w.Int(1)), f.agent("Dup", f.w.NewVar(), f.w.NewVar())},
	} {
		f.w.stack = append(f.w.stack[:0], Redex{c.a, c.b})
		cell := f.n.Rules.cell(c.a.Type(), c.b.Type())
		if cell.native == 0 {
			t.Errorf("%s: the cell is not marked for runQuick", c.name)
			continue
		}
		count := f.w.count
		if f.w.runQuick(cell, Redex{c.a, c.b}) {
			t.Errorf("%s: runQuick carried out the pair", c.name)
		}
		if len(f.w.stack) != 1 {
			t.Errorf("%s: the stack has %d pairs, want 1", c.name, len(f.w.stack))
		}
		if f.w.count != count {
			t.Errorf("%s: the count went from %d to %d", c.name, count, f.w.count)
		}
	}
	f.w.stack = f.w.stack[:0]
}

// TestQuickMatchesNative reduces Eraser ~ A and Dup ~ A for agents A of
// every arity with every kind of slot. Run carries out the pairs in the
// reducer loop (runQuick), and Step calls the native functions. Both must
// give the same net, interaction count and live agent and wire counts.
func TestQuickMatchesNative(t *testing.T) {
	// build makes the pair on a new fixture and returns it with the wire
	// ends to print afterwards. The same seed gives the same net.
	build := func(t *testing.T, shared bool, arity int, seed int64, dup, agentFirst bool) (*fixture, []Port) {
		f := newFixture(t, shared)
		f.define("K1", 1)
		f.define("A", arity)
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(arity)))
		var ends []Port
		args := make([]Port, arity)
		var open Port // a wire with one end in args so far
		for i := range args {
			switch rng.IntN(8) {
			case 0:
				args[i] = None
			case 1:
				args[i] = f.w.Int(rng.Int64N(100))
			case 2:
				args[i] = f.w.Int(math.MaxInt64 - rng.Int64N(100)) // boxed
			case 3:
				args[i] = f.w.NewVar()
				ends = append(ends, args[i])
			case 4:
				args[i] = f.agent("K1", f.w.Int(int64(i)))
			case 5:
				args[i] = f.agent("Eraser")
			case 6:
				x, y := f.w.NewVar(), f.w.NewVar()
				ends = append(ends, x, y)
				args[i] = f.agent("Dup", x, y)
			default:
				// Both ends of one wire in slots of the same agent.
				if open != None {
					args[i], open = open, None
				} else {
					open = f.w.NewVar()
					args[i] = open
				}
			}
		}
		if open != None {
			ends = append(ends, open)
		}
		agent := f.agent("A", args...)
		other := f.agent("Eraser")
		if dup {
			x, y := f.w.NewVar(), f.w.NewVar()
			ends = append(ends, x, y)
			other = f.agent("Dup", x, y)
		}
		if agentFirst {
			f.w.Push(agent, other)
		} else {
			f.w.Push(other, agent)
		}
		f.w.Prepare()
		return f, ends
	}
	// result prints the wire ends and the counts.
	result := func(f *fixture, ends []Port) string {
		var sb strings.Builder
		for _, e := range ends {
			sb.WriteString(f.show(e) + " ")
		}
		fmt.Fprintf(&sb, "| %d interactions, %d live agents, %d wires, %d pending",
			f.w.Interactions(), f.w.Live(), f.w.Wires(), f.w.Pending())
		return sb.String()
	}
	modes(t, func(t *testing.T, shared bool) {
		for arity := range MaxArity + 1 {
			for seed := range int64(8) {
				for _, dup := range []bool{false, true} {
					for _, agentFirst := range []bool{false, true} {
						name := fmt.Sprintf("arity %d seed %d dup %v agent first %v", arity, seed, dup, agentFirst)
						f, ends := build(t, shared, arity, seed, dup, agentFirst)
						if err := f.w.Run(context.Background(), Limits{}); err != nil {
							t.Fatalf("%s: Run: %v", name, err)
						}
						got := result(f, ends)
						if !dup && len(ends) == 0 && f.w.Live() != 0 {
							// Nothing leads out of the erased tree.
							t.Errorf("%s: %d live agents after erasing, want 0", name, f.w.Live())
						}

						f, ends = build(t, shared, arity, seed, dup, agentFirst)
						for {
							more, err := f.w.Step()
							if err != nil {
								t.Fatalf("%s: Step: %v", name, err)
							}
							if !more {
								break
							}
						}
						if want := result(f, ends); got != want {
							t.Errorf("%s:\nRun:  %s\nStep: %s", name, got, want)
						}
					}
				}
			}
		}
	})
}

func TestEraserFreesBoxesAndValues(t *testing.T) {
	f := newFixture(t, false)
	v, err := f.n.Types.Define("V", []string{"main", "x"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := f.w.Int(math.MinInt64)
	agent := f.w.NewAgent(v)
	f.w.SetAux(agent, 0, big)
	f.w.SetValue(agent, "payload")
	handle := uint64(f.w.heap.load(agent.Loc() + 1))
	f.connect(f.agent("Eraser"), agent)
	f.mustRun(2)
	if !f.onFreeList(big.Loc()) {
		t.Error("box of the erased integer was not freed")
	}
	if got := f.n.Values.Get(handle); got != nil {
		t.Errorf("value of the erased agent is still stored: %v", got)
	}
	f.checkLive(0)
}

func TestDup(t *testing.T) {
	cases := []struct {
		name  string
		build func(f *fixture) Port // the term the Dup meets
		want  int64
		show  string // a b
		live  int64
	}{
		// Dup(a, b) ~ 5; a b; → 1 interaction, 5 5
		{"int", func(f *fixture) Port { return f.w.Int(5) }, 1, "5 5", 0},
		// Dup(g, h) ~ [1,2]; g h; → 3, [1,2] [1,2]
		{"list", func(f *fixture) Port { return f.intList(1, 2) }, 3, "[1,2] [1,2]", 6},
		// Dup(i, j) ~ A(B, x2, 3); i j; → 2, A(B,<a1>,3) A(B,<b1>,3)
		{"agent with open wire", func(f *fixture) Port {
			return f.agent("A", f.agent("B"), f.w.NewVar(), f.w.Int(3))
		}, 2, "A(B,<1>,3) A(B,<2>,3)", 5},
		// Dup(k, l) ~ [A, B]; k l; → 5, [A,B] [A,B] (with nullary C and B here)
		{"list of agents", func(f *fixture) Port {
			return f.list(f.agent("C"), f.agent("B"))
		}, 5, "[C,B] [C,B]", 10},
		// Dup(m, n) ~ (x4, x4); m n; → 2, (<c1>,<c1>) (<d1>,<d1>)
		{"internal wire", func(f *fixture) Port {
			x := f.w.NewVar()
			return f.tuple(x, x)
		}, 2, "(<1>,<1>) (<2>,<2>)", 2},
		// Dup(a, b) ~ A(x), x ~ 3; a b; → 2, A(3) A(3): an integer
		// reached through a wire costs a Dup interaction.
		{"int through wire", func(f *fixture) Port {
			x := f.w.NewVar()
			f.connect(x, f.w.Int(3))
			return f.agent("D", x)
		}, 2, "D(3) D(3)", 2},
		// Dup(a, b) ~ (r, inc(r)); a b; → 3, (<a1>,inc(<a1>)) (<b1>,inc(<b1>))
		{"function net", func(f *fixture) Port {
			r := f.w.NewVar()
			return f.tuple(r, f.agent("inc", r))
		}, 3, "(<1>,inc(<1>)) (<2>,inc(<2>))", 4},
		// Not in Inpla, which keeps 31 bits in agent slots.
		{"boxed int", func(f *fixture) Port { return f.w.Int(math.MinInt64) }, 1,
			fmt.Sprintf("%d %d", int64(math.MinInt64), int64(math.MinInt64)), 0},
		{"boxed int in slot", func(f *fixture) Port { return f.agent("D", f.w.Int(math.MaxInt64)) }, 1,
			fmt.Sprintf("D(%d) D(%d)", int64(math.MaxInt64), int64(math.MaxInt64)), 2},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := newFixture(t, shared)
				f.define("A", 3)
				f.define("B", 0)
				f.define("C", 0)
				f.define("D", 1)
				f.defineInc()
				a, b := f.w.NewVar(), f.w.NewVar()
				f.connect(f.agent("Dup", a, b), c.build(f))
				f.mustRun(c.want)
				f.checkShow([]Port{a, b}, c.show)
				f.checkLive(c.live)
			})
		}
	})
}

func TestDupCopiesBoxesSeparately(t *testing.T) {
	f := newFixture(t, false)
	f.define("D", 1)
	a, b := f.w.NewVar(), f.w.NewVar()
	f.connect(f.agent("Dup", a, b), f.agent("D", f.w.Int(math.MaxInt64)))
	f.mustRun(1)
	boxA, boxB := f.w.Aux(f.w.Resolve(a), 0), f.w.Aux(f.w.Resolve(b), 0)
	if boxA&tagMask != tagBig || boxB&tagMask != tagBig {
		t.Fatalf("copies hold %v and %v, want boxed integers", boxA, boxB)
	}
	if boxA.Loc() == boxB.Loc() {
		t.Error("both copies share one box, which would be freed twice")
	}
}

func TestDupAnnihilation(t *testing.T) {
	// Dup(c, d) ~ Dup(e, f); → 1 interaction, c with e and d with f.
	modes(t, func(t *testing.T, shared bool) {
		f := newFixture(t, shared)
		c, d, e, g := f.w.NewVar(), f.w.NewVar(), f.w.NewVar(), f.w.NewVar()
		f.connect(f.agent("Dup", c, d), f.agent("Dup", e, g))
		f.mustRun(1)
		if f.show(c) != f.show(e) {
			t.Errorf("c = %s and e = %s are not one wire", f.show(c), f.show(e))
		}
		if f.show(d) != f.show(g) {
			t.Errorf("d = %s and f = %s are not one wire", f.show(d), f.show(g))
		}
		if f.show(c) == f.show(d) {
			t.Error("c and d are connected to each other")
		}
		f.checkLive(0)
	})
}

func TestDupCopiesValues(t *testing.T) {
	f := newFixture(t, false)
	v, err := f.n.Types.Define("V", []string{"main", "x"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	agent := f.w.NewAgent(v)
	f.w.SetAux(agent, 0, f.w.Int(1))
	f.w.SetValue(agent, "payload")
	a, b := f.w.NewVar(), f.w.NewVar()
	f.connect(f.agent("Dup", a, b), agent)
	f.mustRun(1)
	for _, p := range []Port{a, b} {
		if got := f.w.Value(f.w.Resolve(p)); got != "payload" {
			t.Errorf("copy has value %v, want payload", got)
		}
	}
	// Erasing one copy must leave the other's value in place.
	f.connect(f.agent("Eraser"), f.w.Resolve(a))
	f.mustRun(2)
	if got := f.w.Value(f.w.Resolve(b)); got != "payload" {
		t.Errorf("after erasing the first copy, the second has value %v", got)
	}
}

func TestUserRuleOverridesDup(t *testing.T) {
	// A user rule for Dup >< A takes priority over the built-in one.
	f := newFixture(t, false)
	f.define("A", 0)
	r := &Rule{Name: "mine", Left: f.ids["Dup"], Right: f.ids["A"], Kind: RuleNative,
		Native: func(w *Worker, d, a Port) error {
			x, y := w.Aux(d, 0), w.Aux(d, 1)
			w.FreeAgent(d)
			w.FreeAgent(a)
			w.Link(x, w.Int(1))
			w.Link(y, w.Int(2))
			return nil
		}}
	if _, err := f.n.Rules.Add(r, false); err != nil {
		t.Fatal(err)
	}
	a, b := f.w.NewVar(), f.w.NewVar()
	f.connect(f.agent("A"), f.agent("Dup", a, b))
	f.mustRun(1)
	f.checkShow([]Port{a, b}, "1 2")
}

func TestAnnihilation(t *testing.T) {
	modes(t, func(t *testing.T, shared bool) {
		// (a,b) ~ (1,2); a b; → 1 interaction, 1 2
		f := newFixture(t, shared)
		a, b := f.w.NewVar(), f.w.NewVar()
		f.connect(f.tuple(a, b), f.tuple(f.ints(1, 2)...))
		f.mustRun(1)
		f.checkShow([]Port{a, b}, "1 2")

		// (c,d,e) ~ (3,4,5); c d e; → 1, 3 4 5
		c, d, e := f.w.NewVar(), f.w.NewVar(), f.w.NewVar()
		f.connect(f.tuple(c, d, e), f.tuple(f.ints(3, 4, 5)...))
		f.mustRun(1)
		f.checkShow([]Port{c, d, e}, "3 4 5")

		// (a,b,c,d,e) ~ (1,2,3,4,5) → 1
		vs := []Port{f.w.NewVar(), f.w.NewVar(), f.w.NewVar(), f.w.NewVar(), f.w.NewVar()}
		f.connect(f.tuple(vs...), f.tuple(f.ints(1, 2, 3, 4, 5)...))
		f.mustRun(1)
		f.checkShow(vs, "1 2 3 4 5")

		// [1,x] ~ [y2,2]; x y2; → 3, 2 1
		x, y := f.w.NewVar(), f.w.NewVar()
		f.connect(f.list(f.w.Int(1), x), f.list(y, f.w.Int(2)))
		f.mustRun(3)
		f.checkShow([]Port{x, y}, "2 1")

		// () ~ (); → 1   [] ~ []; → 1
		f.connect(f.agent("Tuple0"), f.agent("Tuple0"))
		f.mustRun(1)
		f.connect(f.agent("Nil"), f.agent("Nil"))
		f.mustRun(1)
		f.checkLive(0)
	})
}

func TestTuplesOfDifferentSizesHaveNoRule(t *testing.T) {
	f := newFixture(t, false)
	f.connect(f.tuple(f.ints(1, 2)...), f.tuple(f.ints(1, 2, 3)...))
	if _, err := f.run(); !errors.Is(err, ErrNoRule) {
		t.Errorf("(1,2) ~ (1,2,3): err = %v, want ErrNoRule", err)
	}
}

func TestAppend(t *testing.T) {
	cases := []struct {
		xs, ys []int64
		want   int64
		show   string
	}{
		// r << Append([1,2,3],[4,5]); r; → 4 interactions, [1,2,3,4,5]
		{[]int64{1, 2, 3}, []int64{4, 5}, 4, "[1,2,3,4,5]"},
		// r1 << Append([],[4,5]); r1; → 1, [4,5]
		{nil, []int64{4, 5}, 1, "[4,5]"},
		// r << Append([1,2],[]); r; → 3, [1,2]
		{[]int64{1, 2}, nil, 3, "[1,2]"},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(fmt.Sprint(c.xs, c.ys), func(t *testing.T) {
				f := newFixture(t, shared)
				r := f.w.NewVar()
				f.connect(f.agent("Append", r, f.intList(c.ys...)), f.intList(c.xs...))
				f.mustRun(c.want)
				f.checkShow([]Port{r}, c.show)
				f.checkLive(int64(len(c.xs) + len(c.ys) + 1))
			})
		}
	})
}

func TestAppendStream(t *testing.T) {
	// Append(r3, [9]) ~ xs, xs ~ 1:tail; r3; → 1 interaction, [1,<a1>...
	// tail ~ []; r3;                         → 1, [1,9]
	f := newFixture(t, false)
	r, xs, tail := f.w.NewVar(), f.w.NewVar(), f.w.NewVar()
	f.connect(f.agent("Append", r, f.intList(9)), xs)
	f.connect(xs, f.agent("Cons", f.w.Int(1), tail))
	f.mustRun(1)
	f.checkShow([]Port{r}, "1:<1>")
	f.connect(tail, f.intList())
	f.mustRun(1)
	f.checkShow([]Port{r}, "[1,9]")
}

func TestZip(t *testing.T) {
	cases := []struct {
		ys, xs []int64 // Zip(r, ys) ~ xs, that is r << Zip(ys, xs)
		want   int64
		show   string
	}{
		// r2 << Zip([1,2,3],[4,5,6]); r2; → 8, [(1,4),(2,5),(3,6)]
		{[]int64{1, 2, 3}, []int64{4, 5, 6}, 8, "[(1,4),(2,5),(3,6)]"},
		// r3 << Zip([1,2,3],[4]); r3; → 8, [(1,4)]
		{[]int64{1, 2, 3}, []int64{4}, 8, "[(1,4)]"},
		// r4 << Zip([1],[4,5,6]); r4; → 9, [(1,4)]
		{[]int64{1}, []int64{4, 5, 6}, 9, "[(1,4)]"},
		// r5 << Zip([],[4,5,6]); r5; → 9, []
		{nil, []int64{4, 5, 6}, 9, "[]"},
		// r6 << Zip([1,2],[]); r6; → 6, []
		{[]int64{1, 2}, nil, 6, "[]"},
		// r << Zip([],[]); r; → 2, []
		{nil, nil, 2, "[]"},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(fmt.Sprint(c.ys, c.xs), func(t *testing.T) {
				f := newFixture(t, shared)
				r := f.w.NewVar()
				f.connect(f.agent("Zip", r, f.intList(c.ys...)), f.intList(c.xs...))
				f.mustRun(c.want)
				f.checkShow([]Port{r}, c.show)
				pairs := int64(min(len(c.xs), len(c.ys)))
				f.checkLive(2*pairs + 1)
			})
		}
	})
}

func TestZipAgents(t *testing.T) {
	// Zip(r7, [1,2]) ~ [A, B, C]; r7; → 9, [(1,A),(2,B)]
	f := newFixture(t, false)
	for _, name := range []string{"A", "B", "C"} {
		f.define(name, 0)
	}
	r := f.w.NewVar()
	f.connect(f.agent("Zip", r, f.intList(1, 2)), f.list(f.agent("A"), f.agent("B"), f.agent("C")))
	f.mustRun(9)
	f.checkShow([]Port{r}, "[(1,A),(2,B)]")
	f.checkLive(7)
}

// functionNet builds the function net that %name stands for in the text
// language: (r, foo(r)) for arity 1 and ((r, x1, …), foo(r, x1, …)) for
// more.
func (f *fixture) functionNet(name string) Port {
	arity := f.n.Types.Info(f.ids[name]).Arity()
	ends := make([]Port, arity)
	for i := range ends {
		ends[i] = f.w.NewVar()
	}
	call := f.agent(name, ends...)
	if arity == 1 {
		return f.tuple(ends[0], call)
	}
	return f.tuple(f.tuple(ends...), call)
}

func TestMap(t *testing.T) {
	cases := []struct {
		name string
		fn   string
		xs   []int64
		want int64
		show string
		live int64
	}{
		// Map(out2, (r, inc(r))) ~ [1,2]; out2; → 16, [2,3]
		{"arity 1", "inc", []int64{1, 2}, 16, "[2,3]", 3},
		// f ~ (r, inc(r)), Map(o1, f) ~ [5]; o1; → 10, [6]
		{"one element", "inc", []int64{5}, 10, "[6]", 2},
		// f ~ (r, inc(r)), Map(o, f) ~ []; o; → 4, []
		{"empty", "inc", nil, 4, "[]", 1},
		// foo(r, y) >< (int x) => r ~ x, y ~ x;
		// Map(out2, ((r,y), foo(r,y))) ~ [1,2]; out2; → 22, [(1,1),(2,2)]
		{"arity 2", "foo", []int64{1, 2}, 22, "[(1,1),(2,2)]", 5},
		// bar(r, y, z) >< (int x) => r ~ x, y ~ x, z ~ x;
		// Map(out4, ((r,y,z), bar(r,y,z))) ~ [1,2]; out4; → 25, [(1,1,1),(2,2,2)]
		{"arity 3", "bar", []int64{1, 2}, 25, "[(1,1,1),(2,2,2)]", 5},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := newFixture(t, shared)
				f.defineInc()
				f.defineCopies("foo", 2)
				f.defineCopies("bar", 3)
				out := f.w.NewVar()
				f.connect(f.agent("Map", out, f.functionNet(c.fn)), f.intList(c.xs...))
				f.mustRun(c.want)
				f.checkShow([]Port{out}, c.show)
				f.checkLive(c.live)
			})
		}
	})
}

func TestMerger(t *testing.T) {
	cases := []struct {
		xs, ys []int64
		want   int64
		show   string
	}{
		// r << Merger([1,2,3],[4,5,6]); r; → 9, [1,2,3,4,5,6]
		{[]int64{1, 2, 3}, []int64{4, 5, 6}, 9, "[1,2,3,4,5,6]"},
		// r2 << Merger([1],[4,5,6]); r2; → 7, [1,4,5,6]
		{[]int64{1}, []int64{4, 5, 6}, 7, "[1,4,5,6]"},
		// r3 << Merger([1,2,3],[]); r3; → 6, [1,2,3]
		{[]int64{1, 2, 3}, nil, 6, "[1,2,3]"},
		// r4 << Merger([],[]); r4; → 3, []
		{nil, nil, 3, "[]"},
		// Merger(r5) ~ (a, b), a ~ [1,2], b ~ [3,4]; r5; → 7, [1,2,3,4]
		{[]int64{1, 2}, []int64{3, 4}, 7, "[1,2,3,4]"},
	}
	modes(t, func(t *testing.T, shared bool) {
		for _, c := range cases {
			t.Run(fmt.Sprint(c.xs, c.ys), func(t *testing.T) {
				f := newFixture(t, shared)
				r := f.w.NewVar()
				f.connect(f.agent("Merger", r), f.tuple(f.intList(c.xs...), f.intList(c.ys...)))
				f.mustRun(c.want)
				f.checkShow([]Port{r}, c.show)
				f.checkLive(int64(len(c.xs) + len(c.ys) + 1))
			})
		}
	})
}

func TestMergerStream(t *testing.T) {
	// Merger(r6) ~ (a6, b6); r6;  → 1, <EMPTY>
	// a6 ~ [1,2]; r6;             → 3, [1,2,<a1>...
	// b6 ~ [3]; r6;               → 2, [1,2,3]
	f := newFixture(t, false)
	r, a, b := f.w.NewVar(), f.w.NewVar(), f.w.NewVar()
	f.connect(f.agent("Merger", r), f.tuple(a, b))
	f.mustRun(1)
	f.checkShow([]Port{r}, "<1>")
	f.connect(a, f.intList(1, 2))
	f.mustRun(3)
	f.checkShow([]Port{r}, "1:2:<2>")
	f.connect(b, f.intList(3))
	f.mustRun(2)
	f.checkShow([]Port{r}, "[1,2,3]")
	f.checkLive(4)
}

func TestMergerTakesWhatArrives(t *testing.T) {
	// Merger(r4) ~ (a4, [3]); r4; → Inpla: 3 interactions, [3,<b1>...
	// a4 ~ [1]; r4;               → Inpla: 2, [3,1]
	f := newFixture(t, false)
	r, a := f.w.NewVar(), f.w.NewVar()
	f.connect(f.agent("Merger", r), f.tuple(a, f.intList(3)))
	f.mustRun(3)
	f.checkShow([]Port{r}, "3:<1>")
	f.connect(a, f.intList(1))
	f.mustRun(2)
	f.checkShow([]Port{r}, "[3,1]")
}

// TestBuiltinsConcurrent reduces one net with two Shared workers that
// meet on wires: each worker streams a list through Append into one side
// of a Zip, and the zipped list is duplicated and the two copies merged.
// The first worker usually ends up doing the Zip and everything after it
// on agents the second one built. The race detector tracks the
// happens-before order, not timing, so it checks that every agent a
// worker reads was handed over by a Link.
func TestBuiltinsConcurrent(t *testing.T) {
	const n = 2000
	first := newFixture(t, true)
	second := &fixture{t: t, n: first.n, w: NewWorker(first.n, 2), ids: first.ids, labels: first.labels}
	second.w.Shared = true

	left, right := make([]int64, n), make([]int64, n)
	for i := range n {
		left[i], right[i] = int64(i), int64(n+i)
	}
	xs, ys, zipped := first.w.NewVar(), first.w.NewVar(), first.w.NewVar()
	// Zip(zipped, ys) ~ xs waits on the xs wire for the first cons.
	first.connect(xs, first.agent("Zip", zipped, ys))
	first.connect(first.agent("Append", xs, first.intList()), first.intList(left...))
	second.connect(second.agent("Append", ys, second.intList()), second.intList(right...))
	merged, copy1, copy2 := second.w.NewVar(), second.w.NewVar(), second.w.NewVar()
	second.connect(zipped, second.agent("Dup", copy1, copy2))
	second.connect(second.agent("Merger", merged), second.tuple(copy1, copy2))

	// A worker pushes the pairs it forms on its own stack, so both
	// stacks are empty when both runs have returned.
	workers := []*Worker{first.w, second.w}
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		w.Prepare()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Run(context.Background(), Limits{})
		}()
	}
	wg.Wait()
	for i, w := range workers {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if w.Pending() != 0 {
			t.Errorf("worker %d has %d pairs left", i, w.Pending())
		}
	}

	const (
		appends = 2 * (n + 1) // one per cons and per [] of each list
		zip     = 2*n + 1 + 1 // two per pair, the [] of xs, erasing ys's []
		dup     = 2*n + 1     // each cons and pair of the zipped list, its []; integers are free
		merger  = 1 + 2*(n+1) // the pair, then each cons and [] of both copies
		want    = appends + zip + dup + merger
	)
	if total := first.w.Interactions() + second.w.Interactions(); total != want {
		t.Errorf("interactions = %d, want %d", total, want)
	}

	// The merge takes elements as they arrive, so the two copies may
	// interleave in any way; each pair must appear exactly twice.
	got := first.show(merged)
	if !strings.HasPrefix(got, "[") || !strings.HasSuffix(got, "]") {
		t.Fatalf("merged list = %.80s…, want a proper list", got)
	}
	seen := map[string]int{}
	for _, e := range strings.Split(strings.ReplaceAll(got[1:len(got)-1], "),(", ")|("), "|") {
		seen[e]++
	}
	for i := range n {
		e := fmt.Sprintf("(%d,%d)", right[i], left[i])
		if seen[e] != 2 {
			t.Errorf("pair %s is in the merged list %d times, want 2", e, seen[e])
		}
		delete(seen, e)
	}
	for e, k := range seen {
		t.Errorf("unexpected element %s in the merged list (%d times)", e, k)
	}
	// Two copies of n conses and n pairs, and one [].
	if live := first.w.Live() + second.w.Live(); live != 4*n+1 {
		t.Errorf("live agents = %d, want %d", live, 4*n+1)
	}
}
