package annette_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/lang"
)

// fatalT is the part of *testing.T and *rapid.T that the builders below
// use, so that property tests can build networks too.
type fatalT interface {
	Helper()
	Fatalf(format string, args ...any)
}

func addAgent(t fatalT, n *annette.Network, typ string) annette.Agent {
	t.Helper()
	a, err := n.AddAgent(typ, nil)
	if err != nil {
		t.Fatalf("AddAgent(%q): %v", typ, err)
	}
	return a
}

func connect(t fatalT, n *annette.Network, p, q annette.Port) {
	t.Helper()
	if err := n.Connect(p, q); err != nil {
		t.Fatalf("Connect(%v, %v): %v", p, q, err)
	}
}

func mustReduce(t fatalT, n *annette.Network) annette.Stats {
	t.Helper()
	st, err := n.Reduce(context.Background())
	if err != nil {
		t.Fatalf("Reduce: %v", err)
	}
	return st
}

func mustText(t fatalT, n *annette.Network, name string) string {
	t.Helper()
	s, err := n.Text(name)
	if err != nil {
		t.Fatalf("Text(%q): %v", name, err)
	}
	return s
}

// newNet returns a network with the given types and rules.
func newNet(t testing.TB, cfg annette.Config, types []annette.Type, rules ...annette.Rule) *annette.Network {
	t.Helper()
	n := annette.NewNetwork(cfg)
	defineTypes(t, n, types...)
	addRules(t, n, rules...)
	return n
}

// basicTypes are agent types shared by many tests below.
var basicTypes = []annette.Type{
	{Name: "A", Ports: []string{"main", "r"}},
	{Name: "B"},
	{Name: "Z"},
	{Name: "S", Ports: []string{"main", "pred"}},
	{Name: "Two", Ports: []string{"main", "x", "y"}},
}

// auxPorts returns "main" followed by k auxiliary port names prefix0 ….
func auxPorts(prefix string, k int) []string {
	ports := []string{"main"}
	for i := range k {
		ports = append(ports, prefix+strconv.Itoa(i))
	}
	return ports
}

// ruleError returns err as a *RuleError, failing the test if it is not one.
func ruleError(t *testing.T, err error) *annette.RuleError {
	t.Helper()
	var re *annette.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RuleError", err, err)
	}
	return re
}

func TestDefineTypeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  annette.Type
		want string
	}{
		{"duplicate", annette.Type{Name: "A"}, "already defined"},
		{"builtin Int", annette.Type{Name: "Int"}, "already defined"},
		{"builtin Cons", annette.Type{Name: "Cons", Ports: []string{"main", "head", "tail"}}, "already defined"},
		{"empty name", annette.Type{}, "empty"},
		{"empty port name", annette.Type{Name: "C", Ports: []string{"main", ""}}, "empty port name"},
		{"repeated port", annette.Type{Name: "C", Ports: []string{"main", "x", "x"}}, "two ports called x"},
		{"repeated main", annette.Type{Name: "C", Ports: []string{"main", "main"}}, "two ports called main"},
		{"17 aux ports", annette.Type{Name: "C", Ports: auxPorts("p", 17)}, "maximum is 16"},
		{"ValueType not Valued", annette.Type{Name: "C", ValueType: reflect.TypeFor[string]()}, "not Valued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, []annette.Type{{Name: "A"}})
			err := n.DefineType(tc.typ)
			if err == nil {
				t.Fatalf("DefineType(%+v) = nil, want an error containing %q", tc.typ, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("DefineType error = %q, want it to contain %q", err, tc.want)
			}
			if _, ok := n.TypeOf("C"); ok {
				t.Errorf("TypeOf(C) found the rejected type")
			}
		})
	}
}

func TestTypeOf(t *testing.T) {
	n := newNet(t, annette.Config{}, []annette.Type{{Name: "B"}, {Name: "Box", Ports: []string{"main", "x"}, Valued: true}})
	b, ok := n.TypeOf("B")
	if !ok {
		t.Fatal("TypeOf(B) not found")
	}
	if got := strings.Join(b.Ports, ","); got != "main" {
		t.Errorf("TypeOf(B).Ports = %s, want main", got)
	}
	box, _ := n.TypeOf("Box")
	if !box.Valued {
		t.Errorf("TypeOf(Box).Valued = false, want true")
	}
	if _, ok := n.TypeOf("Nope"); ok {
		t.Errorf("TypeOf(Nope) found a type")
	}
	for _, name := range []string{"Int", "Nil", "Cons", "Tuple0", "Tuple2", "Tuple5"} {
		if _, ok := n.TypeOf(name); !ok {
			t.Errorf("TypeOf(%s) of a new network not found", name)
		}
	}
}

// TestSixteenPorts runs rules between two agents of the largest arity.
func TestSixteenPorts(t *testing.T) {
	big := annette.Type{Name: "Big", Ports: auxPorts("p", 16)}
	var lp, rp []string
	var body []annette.Wire
	for i := range 16 {
		p, q := "p"+strconv.Itoa(i), "q"+strconv.Itoa(i)
		lp, rp = append(lp, p), append(rp, q)
		body = append(body, W(V(p), A("S", V(q))))
	}
	action := func(c *annette.RuleContext) error {
		for i := range 16 {
			s, err := c.NewAgent("S", nil)
			if err != nil {
				return err
			}
			port := "p" + strconv.Itoa(i)
			if err := c.Link(c.Left().Port(port), s.Main()); err != nil {
				return err
			}
			if err := c.Link(s.Port("pred"), c.Right().Port(port)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name string
		rule annette.Rule
	}{
		{"rewrite", annette.RewriteRule{Name: "big", Left: Pat("Big", lp...), Right: Pat("Big", rp...), Body: body}},
		{"action", annette.ActionRule{Name: "big", Left: "Big", Right: "Big", Action: action}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, []annette.Type{big, {Name: "S", Ports: []string{"main", "pred"}}}, tc.rule)
			x, y := addAgent(t, n, "Big"), addAgent(t, n, "Big")
			for i := range 16 {
				port := "p" + strconv.Itoa(i)
				connect(t, n, x.Port(port), n.Name("a"+strconv.Itoa(i)))
				connect(t, n, y.Port(port), n.Name("b"+strconv.Itoa(i)))
			}
			connect(t, n, x.Main(), y.Main())
			st := mustReduce(t, n)
			if st.Interactions != 1 {
				t.Errorf("interactions = %d, want 1", st.Interactions)
			}
			for i := range 16 {
				a := "a" + strconv.Itoa(i)
				if got, want := mustText(t, n, a), "S(b"+strconv.Itoa(i)+")"; got != want {
					t.Errorf("%s = %s, want %s", a, got, want)
				}
			}
		})
	}
}

func TestAddAgentErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		typ   string
		value any
		want  string
	}{
		{"unknown type", "Nope", nil, `unknown agent type "Nope"`},
		{"empty type", "", nil, "unknown agent type"},
		{"Int", "Int", nil, "Network.Int"},
		{"value on non-valued type", "B", 42, "carries no value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes)
			_, err := n.AddAgent(tc.typ, tc.value)
			if err == nil {
				t.Fatalf("AddAgent(%q, %v) = nil error, want one containing %q", tc.typ, tc.value, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AddAgent error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestConnectErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, n *annette.Network) error
		is   error  // if set, errors.Is(err, is) must be true
		want string // substring of the message
	}{
		{"aux twice", func(t *testing.T, n *annette.Network) error {
			a := addAgent(t, n, "A")
			connect(t, n, a.Port("r"), n.Name("x"))
			return n.Connect(a.Port("r"), n.Name("y"))
		}, annette.ErrConnected, "A.r"},
		{"aux twice as second port", func(t *testing.T, n *annette.Network) error {
			a := addAgent(t, n, "A")
			connect(t, n, a.Port("r"), n.Name("x"))
			return n.Connect(n.Name("y"), a.Port("r"))
		}, annette.ErrConnected, "A.r"},
		{"aux twice through aux wire", func(t *testing.T, n *annette.Network) error {
			a, b := addAgent(t, n, "A"), addAgent(t, n, "A")
			connect(t, n, a.Port("r"), b.Port("r"))
			return n.Connect(b.Port("r"), n.Name("y"))
		}, annette.ErrConnected, "A.r"},
		{"principal twice", func(t *testing.T, n *annette.Network) error {
			a := addAgent(t, n, "A")
			connect(t, n, a.Main(), n.Name("x"))
			return n.Connect(a.Main(), n.Name("y"))
		}, annette.ErrConnected, "A.main"},
		{"name twice", func(t *testing.T, n *annette.Network) error {
			connect(t, n, n.Name("x"), addAgent(t, n, "B").Main())
			return n.Connect(addAgent(t, n, "B").Main(), n.Name("x"))
		}, annette.ErrConnected, "interface name x"},
		{"aux to itself", func(t *testing.T, n *annette.Network) error {
			a := addAgent(t, n, "A")
			return n.Connect(a.Port("r"), a.Port("r"))
		}, nil, "itself"},
		{"principal to itself", func(t *testing.T, n *annette.Network) error {
			a := addAgent(t, n, "A")
			return n.Connect(a.Main(), a.Main())
		}, nil, "itself"},
		{"name to itself", func(t *testing.T, n *annette.Network) error {
			return n.Connect(n.Name("x"), n.Name("x"))
		}, nil, "itself"},
		{"unknown port name", func(t *testing.T, n *annette.Network) error {
			return n.Connect(addAgent(t, n, "A").Port("nope"), n.Name("x"))
		}, nil, `has no port "nope"; its ports are main, r`},
		{"zero Port first", func(t *testing.T, n *annette.Network) error {
			return n.Connect(annette.Port{}, n.Name("x"))
		}, nil, "zero"},
		{"zero Port second", func(t *testing.T, n *annette.Network) error {
			return n.Connect(addAgent(t, n, "B").Main(), annette.Port{})
		}, nil, "zero"},
		{"zero Agent port", func(t *testing.T, n *annette.Network) error {
			return n.Connect(annette.Agent{}.Port("r"), n.Name("x"))
		}, nil, "zero Agent"},
		{"zero Agent principal", func(t *testing.T, n *annette.Network) error {
			return n.Connect(n.Name("x"), annette.Agent{}.Main())
		}, nil, "zero Agent"},
		{"empty name", func(t *testing.T, n *annette.Network) error {
			return n.Connect(n.Name(""), addAgent(t, n, "B").Main())
		}, nil, "empty"},
		{"agent of another network", func(t *testing.T, n *annette.Network) error {
			other := newNet(t, annette.Config{}, basicTypes)
			return n.Connect(addAgent(t, other, "B").Main(), n.Name("x"))
		}, nil, "another network"},
		{"name of another network", func(t *testing.T, n *annette.Network) error {
			other := newNet(t, annette.Config{}, basicTypes)
			return n.Connect(addAgent(t, n, "B").Main(), other.Name("x"))
		}, nil, "another network"},
		{"integer of another network", func(t *testing.T, n *annette.Network) error {
			other := newNet(t, annette.Config{}, basicTypes)
			return n.Connect(n.Name("x"), other.Int(1))
		}, nil, "another network"},
		{"stale after Reduce", func(t *testing.T, n *annette.Network) error {
			b := addAgent(t, n, "B")
			must(t, n.Connect(b.Main(), n.Name("y")))
			mustReduce(t, n)
			return n.Connect(b.Main(), n.Name("x"))
		}, annette.ErrStale, ""},
		{"stale after failed Reduce", func(t *testing.T, n *annette.Network) error {
			b := addAgent(t, n, "B")
			must(t, n.Connect(b.Main(), n.Name("y")))
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := n.Reduce(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Reduce with a cancelled context = %v, want context.Canceled", err)
			}
			return n.Connect(b.Main(), n.Name("x"))
		}, annette.ErrStale, ""},
		{"stale after Step", func(t *testing.T, n *annette.Network) error {
			b := addAgent(t, n, "B")
			must(t, n.Connect(b.Main(), n.Name("y")))
			if _, err := n.Step(ctx); err != nil {
				t.Fatal(err)
			}
			return n.Connect(n.Name("x"), b.Main())
		}, annette.ErrStale, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes)
			err := tc.run(t, n)
			if err == nil {
				t.Fatalf("Connect = nil, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Connect error = %v, want errors.Is(err, %v)", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Connect error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestConnectFailureChangesNothing checks that a rejected Connect leaves
// both ports free to connect.
func TestConnectFailureChangesNothing(t *testing.T) {
	n := newNet(t, annette.Config{}, basicTypes)
	a := addAgent(t, n, "A")
	if err := n.Connect(a.Port("r"), annette.Port{}); err == nil {
		t.Fatal("Connect to a zero Port = nil, want an error")
	}
	if err := n.Connect(a.Main(), a.Main()); err == nil {
		t.Fatal("Connect of a port to itself = nil, want an error")
	}
	connect(t, n, a.Port("r"), n.Name("x"))
	connect(t, n, a.Main(), n.Name("out"))
	mustReduce(t, n)
	if got := mustText(t, n, "out"); got != "A(x)" {
		t.Errorf("out = %s, want A(x)", got)
	}
}

// reduceOrStep runs n once, with Step when step is set and with Reduce
// otherwise, and returns the error.
func reduceOrStep(n *annette.Network, step bool) error {
	if step {
		_, err := n.Step(context.Background())
		return err
	}
	_, err := n.Reduce(context.Background())
	return err
}

func TestReduceOpenPort(t *testing.T) {
	for _, step := range []bool{false, true} {
		t.Run(fmt.Sprintf("step=%v", step), func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes)
			a := addAgent(t, n, "Two")
			connect(t, n, a.Port("x"), n.Name("x"))
			connect(t, n, a.Main(), n.Name("out"))
			err := reduceOrStep(n, step)
			if err == nil {
				t.Fatal("run with an open port = nil, want an error")
			}
			if want := "port y of an agent of type Two is not connected"; !strings.Contains(err.Error(), want) {
				t.Errorf("error = %q, want it to contain %q", err, want)
			}
			// The handle is still valid, so the port can be connected now.
			connect(t, n, a.Port("y"), n.Name("y"))
			mustReduce(t, n)
			if got := mustText(t, n, "out"); got != "Two(x,y)" {
				t.Errorf("out = %s, want Two(x,y)", got)
			}
		})
	}
}

// TestReduceOpenPrincipal checks that an agent whose principal port was
// never connected stops the run: nothing could reach it, so it would be
// lost without a word.
func TestReduceOpenPrincipal(t *testing.T) {
	for _, step := range []bool{false, true} {
		t.Run(fmt.Sprintf("step=%v", step), func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes)
			s := addAgent(t, n, "S")
			connect(t, n, s.Port("pred"), n.Name("y"))
			err := reduceOrStep(n, step)
			if err == nil {
				t.Fatal("run with an open principal port = nil, want an error")
			}
			if want := "principal port main of an agent of type S is not connected"; !strings.Contains(err.Error(), want) {
				t.Errorf("error = %q, want it to contain %q", err, want)
			}
			connect(t, n, s.Main(), n.Name("out"))
			mustReduce(t, n)
			if got := mustText(t, n, "out"); got != "S(y)" {
				t.Errorf("out = %s, want S(y)", got)
			}
		})
	}
}

// TestTake checks that a result can be fed into a later net through
// Network.Take, on a principal port and on an auxiliary one, and the
// errors of its misuse.
func TestTake(t *testing.T) {
	types := append([]annette.Type{{Name: "Inc", Ports: []string{"main", "r"}}}, basicTypes...)
	inc := annette.RewriteRule{Left: Pat("Inc", "r"), Right: Pat("Int", "x"),
		Body: []annette.Wire{W(V("r"), Op("+", V("x"), N(1)))}}
	n := newNet(t, annette.Config{}, types, inc)
	a := addAgent(t, n, "Inc")
	connect(t, n, a.Main(), n.Int(1))
	connect(t, n, a.Port("r"), n.Name("x"))
	mustReduce(t, n)

	if _, err := n.Take("nope"); !errors.Is(err, annette.ErrUnknownName) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Take(nope) = %v, want an error for an unknown name", err)
	}
	n.Name("empty")
	if _, err := n.Take("empty"); err == nil || !strings.Contains(err.Error(), "not connected yet") {
		t.Errorf("Take(empty) = %v, want an error for a name not connected", err)
	}
	old := n.Name("x")
	x, err := n.Take("x")
	must(t, err)
	if slices.Contains(n.Names(), "x") {
		t.Errorf("Names() = %v after Take(x), want x gone", n.Names())
	}
	if err := n.Connect(old, n.Int(5)); err == nil || !strings.Contains(err.Error(), "was taken") {
		t.Errorf("Connect(old port of x) = %v, want an error saying x was taken", err)
	}
	other := newNet(t, annette.Config{}, types, inc)
	if err := other.Connect(x, other.Name("y")); err == nil || !strings.Contains(err.Error(), "another network") {
		t.Errorf("Connect on another network = %v, want an error", err)
	}
	if _, err := n.Reduce(context.Background()); err == nil || !strings.Contains(err.Error(), "taken name x is not connected") {
		t.Errorf("Reduce with the taken port open = %v, want an error naming it", err)
	}
	if _, err := n.Snapshot(); err == nil || !strings.Contains(err.Error(), "taken name x is not connected") {
		t.Errorf("Snapshot with the taken port open = %v, want an error naming it", err)
	}

	// x holds 2: a principal port. Feed it to a new Inc.
	b := addAgent(t, n, "Inc")
	connect(t, n, b.Main(), x)
	if err := n.Connect(x, n.Name("z")); !errors.Is(err, annette.ErrConnected) {
		t.Errorf("second Connect of the taken port = %v, want ErrConnected", err)
	}
	connect(t, n, b.Port("r"), n.Name("y"))
	mustReduce(t, n)
	if got := mustText(t, n, "y"); got != "3" {
		t.Errorf("y = %s, want 3", got)
	}
	if err := n.Connect(x, n.Name("w")); !errors.Is(err, annette.ErrStale) {
		t.Errorf("Connect of a taken port after Reduce = %v, want ErrStale", err)
	}

	// An auxiliary port takes the taken end as well.
	y, err := n.Take("y")
	must(t, err)
	s := addAgent(t, n, "S")
	connect(t, n, s.Port("pred"), y)
	connect(t, n, s.Main(), n.Name("s"))
	mustReduce(t, n)
	if got := mustText(t, n, "s"); got != "S(3)" {
		t.Errorf("s = %s, want S(3)", got)
	}
	// Name gives a new, empty x.
	connect(t, n, n.Name("x"), n.Int(7))
	mustReduce(t, n)
	if got := mustText(t, n, "x"); got != "7" {
		t.Errorf("new x = %s, want 7", got)
	}
}

// TestActionAgentInConnect checks that an agent handle of an action rule
// cannot be used with Network.Connect.
func TestActionAgentInConnect(t *testing.T) {
	var leaked annette.Agent
	rule := annette.ActionRule{Name: "leak", Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
		leaked = c.Left()
		return c.Link(c.Left().Port("r"), c.Int(1))
	}}
	n := newNet(t, annette.Config{}, basicTypes, rule)
	a := addAgent(t, n, "A")
	connect(t, n, a.Port("r"), n.Name("out"))
	connect(t, n, a.Main(), addAgent(t, n, "B").Main())
	mustReduce(t, n)
	err := n.Connect(leaked.Port("r"), n.Name("z"))
	if err == nil {
		t.Fatal("Connect of an action rule's port = nil, want an error")
	}
	if want := "belongs to an action rule"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
}

func TestRuleCompileErrors(t *testing.T) {
	nop := func(*annette.RuleContext) error { return nil }
	guard := annette.Ptr(Op(">", V("x"), N(0)))
	for _, tc := range []struct {
		name string
		rule annette.Rule
		want []string // substrings of the message
	}{
		{"unknown left type", annette.RewriteRule{Name: "t", Left: Pat("Nope", "r"), Right: Pat("B")},
			[]string{"rule t", `unknown agent type "Nope"`}},
		{"unknown right type", annette.RewriteRule{Name: "t", Left: Pat("B"), Right: Pat("Nope")},
			[]string{"rule t", `unknown agent type "Nope"`}},
		{"unknown body type", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("Nope"))}},
			[]string{"rule t", `unknown agent type "Nope"`}},
		{"Int in body", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("Int"))}},
			[]string{"rule t", "Int is not an agent type"}},
		{"body arity", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("S"))}},
			[]string{"rule t", "agent S has 1 auxiliary port but is given 0 arguments"}},
		{"left pattern arity", annette.RewriteRule{Name: "t", Left: Pat("A"), Right: Pat("B")},
			[]string{"rule t", "pattern A names 0 ports, but the type has 1 auxiliary port"}},
		{"right pattern arity", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B", "q"),
			Body: []annette.Wire{W(V("r"), V("q"))}},
			[]string{"rule t", "pattern B names 1 port, but the type has 0 auxiliary ports"}},
		{"Int pattern arity", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x", "y"),
			Body: []annette.Wire{W(V("r"), V("x"))}},
			[]string{"rule t", "pattern Int names 2 ports"}},
		{"name used once", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("S", V("w")))}},
			[]string{"rule t", "name w occurs once"}},
		{"name used three times", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("Two", V("w"), V("w"))), W(V("w"), A("Z"))}},
			[]string{"rule t", "name w occurs 3 times"}},
		{"pattern name unused", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B")},
			[]string{"rule t", "name r occurs once"}},
		{"pattern name used twice in body", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("Two", V("r"), V("w"))), W(V("w"), A("Z"))}},
			[]string{"rule t", "name r occurs 3 times"}},
		{"name in both patterns", annette.RewriteRule{Name: "t", Left: Pat("A", "x"), Right: Pat("S", "x")},
			[]string{"rule t", "name x occurs twice in the patterns"}},
		{"invalid pattern name", annette.RewriteRule{Name: "t", Left: Pat("A", "a b"), Right: Pat("B")},
			[]string{"rule t", `invalid port name "a b"`}},
		{"empty pattern name", annette.RewriteRule{Name: "t", Left: Pat("A", ""), Right: Pat("B")},
			[]string{"rule t", `invalid port name ""`}},
		{"guard on last case", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Cases: []annette.Case{{Guard: guard, Body: []annette.Wire{W(V("r"), N(1))}}}},
			[]string{"rule t", "the last case must have no guard"}},
		{"no guard before last", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Cases: []annette.Case{{Body: []annette.Wire{W(V("r"), N(1))}}, {Body: []annette.Wire{W(V("r"), N(2))}}}},
			[]string{"rule t", "case 1 has no guard but is not the last"}},
		{"Body and Cases", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Body:  []annette.Wire{W(V("r"), N(0))},
			Cases: []annette.Case{{Body: []annette.Wire{W(V("r"), N(1))}}}},
			[]string{"rule t", "set Body or Cases, not both"}},
		{"wire name in expression", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("S", "x"),
			Body: []annette.Wire{W(V("r"), Op("+", V("x"), N(1)))}},
			[]string{"rule t", "x is not an integer attribute or let"}},
		{"agent in expression", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Body: []annette.Wire{W(V("r"), Op("+", A("Z"), N(1)))}},
			[]string{"rule t", "agent Z cannot be used in an integer expression"}},
		{"unknown operator", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Body: []annette.Wire{W(V("r"), Op("^", V("x"), N(1)))}},
			[]string{"rule t", `unknown operator "^"`}},
		{"guard with wire name", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("S", "x"),
			Cases: []annette.Case{
				{Guard: annette.Ptr(V("x")), Body: []annette.Wire{W(V("r"), V("x"))}},
				{Body: []annette.Wire{W(V("r"), V("x"))}},
			}},
			[]string{"rule t", "guard", "x is not an integer attribute"}},
		{"guard uses a let", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Cases: []annette.Case{
				{Lets: []annette.Let{{Name: "d", Value: V("x")}}, Guard: annette.Ptr(V("d")), Body: []annette.Wire{W(V("r"), V("d"))}},
				{Body: []annette.Wire{W(V("r"), N(0))}},
			}},
			[]string{"rule t", "guard", "d is not an integer attribute"}},
		{"let name taken by a port", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Cases: []annette.Case{{Lets: []annette.Let{{Name: "r", Value: V("x")}}, Body: []annette.Wire{W(V("r"), N(1))}}}},
			[]string{"rule t", "let r"}},
		{"let of an unknown name", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Cases: []annette.Case{{Lets: []annette.Let{{Name: "y", Value: V("q")}}, Body: []annette.Wire{W(V("r"), V("y"))}}}},
			[]string{"rule t", "let y", "q is not an integer attribute"}},
		{"wire loop", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("Z")), W(V("a"), V("a"))}},
			[]string{"rule t", "loop"}},
		{"wire between integers", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("Int", "x"),
			Body: []annette.Wire{W(V("r"), A("Z")), W(V("x"), N(1))}},
			[]string{"rule t", "a wire joins two integers, which can never interact"}},
		{"wire between constants", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat("B"),
			Body: []annette.Wire{W(V("r"), A("Z")), W(N(2), Op("+", N(1), N(1)))}},
			[]string{"rule t", "a wire joins two integers"}},
		{"rule between integers", annette.RewriteRule{Name: "t", Left: Pat("Int", "x"), Right: Pat("Int", "y")},
			[]string{"rule t", "both sides are Int"}},
		{"action between integers", annette.ActionRule{Name: "t", Left: "Int", Right: "Int", Action: nop},
			[]string{"rule t", "both sides are Int"}},
		{"two wildcards", annette.RewriteRule{Name: "t", Left: annette.Any("x"), Right: annette.Any("y"),
			Body: []annette.Wire{W(V("x"), V("y"))}},
			[]string{"rule t", "both sides are wildcards"}},
		{"wildcard with two names", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: Pat(annette.Wildcard, "x", "y")},
			[]string{"rule t", "exactly one"}},
		{"wildcard name unused", annette.RewriteRule{Name: "t", Left: Pat("A", "r"), Right: annette.Any("x"),
			Body: []annette.Wire{W(V("r"), A("Z"))}},
			[]string{"rule t", "name x occurs once"}},
		{"action without Action", annette.ActionRule{Name: "t", Left: "A", Right: "B"},
			[]string{"rule t", "Action is nil"}},
		{"action unknown left", annette.ActionRule{Name: "t", Left: "Nope", Right: "B", Action: nop},
			[]string{"rule t", `unknown agent type "Nope"`}},
		{"action unknown right", annette.ActionRule{Name: "t", Left: "A", Right: "Nope", Action: nop},
			[]string{"rule t", `unknown agent type "Nope"`}},
		{"action default name", annette.ActionRule{Left: "A", Right: "Nope", Action: nop},
			[]string{"rule A><Nope"}},
		{"rewrite default name", annette.RewriteRule{Left: Pat("A", "r"), Right: Pat("Nope")},
			[]string{"rule A><Nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes)
			err := n.AddRule(tc.rule)
			if err == nil {
				t.Fatalf("AddRule = nil, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("AddRule error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// abRule returns the rule A(r) >< B => r ~ v, written with the agents in
// the given order.
func abRule(name string, v int64, bFirst, action bool) annette.Rule {
	if action {
		left, right := "A", "B"
		if bFirst {
			left, right = right, left
		}
		return annette.ActionRule{Name: name, Left: left, Right: right, Action: func(c *annette.RuleContext) error {
			a := c.Left()
			if bFirst {
				a = c.Right()
			}
			return c.Link(a.Port("r"), c.Int(v))
		}}
	}
	left, right := Pat("A", "r"), Pat("B")
	if bFirst {
		left, right = right, left
	}
	return annette.RewriteRule{Name: name, Left: left, Right: right, Body: []annette.Wire{W(V("r"), N(v))}}
}

// reduceAB builds A(out) >< B, reduces it and returns the text at out.
func reduceAB(t *testing.T, n *annette.Network) (string, error) {
	t.Helper()
	a := addAgent(t, n, "A")
	connect(t, n, a.Port("r"), n.Name("out"))
	connect(t, n, addAgent(t, n, "B").Main(), a.Main())
	if _, err := n.Reduce(context.Background()); err != nil {
		return "", err
	}
	return mustText(t, n, "out"), nil
}

func TestAddRuleDuplicate(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second annette.Rule
	}{
		{"same orientation", abRule("first", 1, false, false), abRule("second", 2, false, false)},
		{"reversed", abRule("first", 1, false, false), abRule("second", 2, true, false)},
		{"action then rewrite", abRule("first", 1, false, true), abRule("second", 2, true, false)},
		{"rewrite then action", abRule("first", 1, true, false), abRule("second", 2, false, true)},
		{"actions reversed", abRule("first", 1, true, true), abRule("second", 2, false, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes, tc.first)
			err := n.AddRule(tc.second)
			if err == nil {
				t.Fatal("AddRule of a duplicate = nil, want an error")
			}
			if !strings.Contains(err.Error(), "already defined") {
				t.Errorf("AddRule error = %q, want it to contain %q", err, "already defined")
			}
			if !strings.Contains(err.Error(), "use ReplaceRule to replace it") {
				t.Errorf("AddRule error = %q, want it to point to ReplaceRule", err)
			}
			must(t, n.ReplaceRule(tc.second))
			got, err := reduceAB(t, n)
			must(t, err)
			if got != "2" {
				t.Errorf("out = %s after ReplaceRule, want 2", got)
			}
		})
	}
}

// TestRejectedDuplicateKeepsRule checks that a duplicate rule rejected by
// AddRule leaves the first rule in place.
func TestRejectedDuplicateKeepsRule(t *testing.T) {
	t.Run("second attempt rejected", func(t *testing.T) {
		n := newNet(t, annette.Config{}, basicTypes, abRule("first", 1, false, false))
		if err := n.AddRule(abRule("second", 2, true, false)); err == nil {
			t.Fatal("first AddRule of a reversed duplicate = nil, want an error")
		}
		if err := n.AddRule(abRule("second", 2, true, false)); err == nil {
			t.Error("second AddRule of a reversed duplicate = nil, want an error")
		}
	})
	t.Run("rule survives a table rebuild", func(t *testing.T) {
		n := newNet(t, annette.Config{}, basicTypes, abRule("first", 1, false, false))
		if err := n.AddRule(abRule("second", 2, true, false)); err == nil {
			t.Fatal("AddRule of a reversed duplicate = nil, want an error")
		}
		// A new type makes the next run rebuild the rule table.
		must(t, n.DefineType(annette.Type{Name: "C"}))
		got, err := reduceAB(t, n)
		if err != nil {
			t.Fatalf("Reduce = %v, want rule first to apply", err)
		}
		if got != "1" {
			t.Errorf("out = %s, want 1", got)
		}
	})
}

// TestIntLeftRule checks a rule that names the integer first, (int x) ><
// A(r) => r ~ x*10, with the integer on either side of the active pair.
func TestIntLeftRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule annette.Rule
	}{
		{"rewrite", annette.RewriteRule{Name: "int-a", Left: Pat("Int", "x"), Right: Pat("A", "r"),
			Body: []annette.Wire{W(V("r"), Op("*", V("x"), N(10)))}}},
		{"action", annette.ActionRule{Name: "int-a", Left: "Int", Right: "A", Action: func(c *annette.RuleContext) error {
			x, ok := c.Left().Value().(int64)
			if !ok {
				return fmt.Errorf("left value is %T, want int64", c.Left().Value())
			}
			return c.Link(c.Right().Port("r"), c.Int(x*10))
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, basicTypes, tc.rule)
			ints := []int64{5, 7, math.MaxInt64 / 10, math.MinInt64 / 10}
			for i, v := range ints {
				a := addAgent(t, n, "A")
				connect(t, n, a.Port("r"), n.Name("out"+strconv.Itoa(i)))
				if i%2 == 0 {
					connect(t, n, a.Main(), n.Int(v))
				} else {
					connect(t, n, n.Int(v), a.Main())
				}
			}
			st := mustReduce(t, n)
			if st.Interactions != int64(len(ints)) {
				t.Errorf("interactions = %d, want %d", st.Interactions, len(ints))
			}
			for i, v := range ints {
				name := "out" + strconv.Itoa(i)
				if got, want := mustText(t, n, name), strconv.FormatInt(v*10, 10); got != want {
					t.Errorf("%s = %s, want %s", name, got, want)
				}
			}
		})
	}
}

// calcTypes is Calc(r, y): a rule Calc(r, int y) >< (int x) computes r
// from x and y.
var calcTypes = []annette.Type{{Name: "Calc", Ports: []string{"main", "r", "y"}}}

// calcNet returns a network with the basic types, rule (its patterns set
// to Calc(r, int y) >< (int x)) and the active pair Calc(out, y) >< x.
func calcNet(t *testing.T, rule annette.RewriteRule, x, y int64) *annette.Network {
	t.Helper()
	rule.Left, rule.Right = Pat("Calc", "r", "int y"), Pat("Int", "x")
	types := append(append([]annette.Type(nil), calcTypes...), basicTypes...)
	n := newNet(t, annette.Config{}, types, rule)
	c := addAgent(t, n, "Calc")
	connect(t, n, c.Port("r"), n.Name("out"))
	connect(t, n, c.Port("y"), n.Int(y))
	connect(t, n, c.Main(), n.Int(x))
	return n
}

// runCalc reduces calcNet and returns the text at out.
func runCalc(t *testing.T, rule annette.RewriteRule, x, y int64) (string, error) {
	t.Helper()
	n := calcNet(t, rule, x, y)
	if _, err := n.Reduce(context.Background()); err != nil {
		return "", err
	}
	return mustText(t, n, "out"), nil
}

func TestArith64(t *testing.T) {
	maxI, minI := int64(math.MaxInt64), int64(math.MinInt64)
	big := int64(4000000000)
	x, y := V("x"), V("y")
	for _, tc := range []struct {
		name string
		expr annette.Expr
		x, y int64
		want int64
	}{
		{"sum past 32 bits", Op("+", x, y), 2000000000, 2000000000, 4000000000},
		{"product wraps", Op("*", x, y), big, big, big * big},
		{"max+1", Op("+", x, y), maxI, 1, minI},
		{"max+1 constant", Op("+", x, N(1)), maxI, 0, minI},
		{"max+1 on the stack", Op("*", Op("+", x, y), N(1)), maxI, 1, minI},
		{"min-1", Op("-", x, y), minI, 1, maxI},
		{"min/-1", Op("/", x, y), minI, -1, minI},
		{"min%-1", Op("%", x, y), minI, -1, 0},
		{"min/-1 constant", Op("/", x, N(-1)), minI, 0, minI},
		{"-min", annette.Neg(x), minI, 0, minI},
		{"division truncates", Op("/", x, y), -7, 2, -3},
		{"modulo sign", Op("%", x, y), -7, 2, -1},
		{"max constant", N(math.MaxInt64), 0, 0, maxI},
		{"min constant", N(math.MinInt64), 0, 0, minI},
		{"largest inline", x, 1<<60 - 1, 0, 1<<60 - 1},
		{"smallest boxed", x, 1 << 60, 0, 1 << 60},
		{"smallest inline", x, -1 << 60, 0, -1 << 60},
		{"largest negative boxed", x, -1<<60 - 1, 0, -1<<60 - 1},
		{"boxed sum wraps", Op("+", x, y), 1 << 62, 1 << 62, minI},
		{"boxed times constant", Op("*", x, N(1<<40)), 1 << 40, 0, 0},
		{"boxed compare", Op("<", x, y), minI, maxI, 1},
		{"boxed equal", Op("==", x, y), maxI, maxI, 1},
		{"and", Op("&&", x, y), 5, -3, 1},
		{"or", Op("||", x, y), 0, 0, 0},
		{"not", annette.Not(x), 0, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := annette.RewriteRule{Name: "calc", Body: []annette.Wire{W(V("r"), tc.expr)}}
			got, err := runCalc(t, rule, tc.x, tc.y)
			must(t, err)
			if want := strconv.FormatInt(tc.want, 10); got != want {
				t.Errorf("%v with x=%d, y=%d = %s, want %s", tc.expr, tc.x, tc.y, got, want)
			}
		})
	}
}

// TestPatternNamesByPosition checks that a pattern binds its names to the
// auxiliary ports in order, whatever the ports are called.
func TestPatternNamesByPosition(t *testing.T) {
	V, A, W, Pat := annette.V, annette.A, annette.W, annette.Pat
	// Swap(r) >< Two(y, x) => r ~ Two(x, y), where y names the first port
	// of Two, which its type calls x.
	n := newNet(t, annette.Config{}, append(basicTypes, annette.Type{Name: "Swap", Ports: []string{"main", "r"}}),
		annette.RewriteRule{Left: Pat("Swap", "r"), Right: Pat("Two", "y", "x"),
			Body: []annette.Wire{W(V("r"), A("Two", V("x"), V("y")))}})
	swap, err := n.AddAgent("Swap", nil)
	must(t, err)
	two, err := n.AddAgent("Two", nil)
	must(t, err)
	must(t, n.Connect(swap.Port("r"), n.Name("out")))
	must(t, n.Connect(two.Port("x"), n.Int(1)))
	must(t, n.Connect(two.Port("y"), n.Int(2)))
	must(t, n.Connect(swap.Main(), two.Main()))
	_, err = n.Reduce(context.Background())
	must(t, err)
	if got, _ := n.Text("out"); got != "Two(2,1)" {
		t.Errorf("out = %s, want Two(2,1)", got)
	}
}

// TestExprString checks that Expr.String writes the text language's
// notation, which parses back to the same kind of term: a lower-case agent
// without ports needs its parentheses, or it reads as a name.
func TestExprString(t *testing.T) {
	V, A, N := annette.V, annette.A, annette.N
	for _, tc := range []struct {
		expr  annette.Expr
		want  string
		agent bool // the text must parse as an agent term
	}{
		{A("nil"), "nil()", true},
		{A("leaf", N(7)), "leaf(7)", true},
		{A("Zero"), "Zero", true},
		{A("S", A("Z")), "S(Z)", true},
		{A("Pair", V("x"), A("nil")), "Pair(x, nil())", true},
		{V("x"), "x", false},
		{N(-3), "-3", false},
		{annette.Op("+", N(1), annette.Op("*", V("x"), N(2))), "(1 + (x * 2))", false},
		{annette.Neg(V("x")), "-(x)", false},
		{annette.Not(N(0)), "!(0)", false},
		{annette.Rand(N(5)), "rand(5)", false},
	} {
		got := tc.expr.String()
		if got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
			continue
		}
		prog, err := lang.ParseFile("expr.in", []byte("r ~ "+got+";"), 0)
		if err != nil {
			t.Errorf("%q does not parse: %v", got, err)
			continue
		}
		conn := prog.Stmts[0].(*lang.NetStmt).Net.Conns[0].(*lang.Connection)
		if _, isAgent := conn.Right.(*lang.Agent); isAgent != tc.agent {
			t.Errorf("%q parses as %T, want an agent term: %v", got, conn.Right, tc.agent)
		}
	}
}

func TestRuleCases(t *testing.T) {
	x := V("x")
	sign := annette.RewriteRule{Name: "sign", Cases: []annette.Case{
		{Guard: annette.Ptr(Op("<", x, N(0))), Body: []annette.Wire{W(V("r"), N(-1))}},
		{Guard: annette.Ptr(Op("==", x, N(0))), Body: []annette.Wire{W(V("r"), N(0))}},
		{Body: []annette.Wire{W(V("r"), N(1))}},
	}}

	// Case 1, if x*2 + y > 10: d = x*2, e = d+y, r ~ e.
	// Case 2, otherwise: d = x-100, r ~ d.
	lets := annette.RewriteRule{Name: "lets", Cases: []annette.Case{
		{Guard: annette.Ptr(Op(">", Op("+", Op("*", x, N(2)), V("y")), N(10))),
			Lets: []annette.Let{{Name: "d", Value: Op("*", x, N(2))}, {Name: "e", Value: Op("+", V("d"), V("y"))}},
			Body: []annette.Wire{W(V("r"), V("e"))}},
		{Lets: []annette.Let{{Name: "d", Value: Op("-", x, N(100))}}, Body: []annette.Wire{W(V("r"), V("d"))}},
	}}

	// The let of a case whose guard fails is not evaluated, so y == 0
	// does not divide. Case 1, if y != 0: q = x/y, r ~ q. Case 2: r ~ 0.
	safeLet := annette.RewriteRule{Name: "safe-let", Cases: []annette.Case{
		{Guard: annette.Ptr(Op("!=", V("y"), N(0))),
			Lets: []annette.Let{{Name: "q", Value: Op("/", x, V("y"))}}, Body: []annette.Wire{W(V("r"), V("q"))}},
		{Body: []annette.Wire{W(V("r"), N(0))}},
	}}

	// x != 0 && 100/x > 5 must not divide when x is 0.
	short := annette.RewriteRule{Name: "short", Cases: []annette.Case{
		{Guard: annette.Ptr(Op("&&", Op("!=", x, N(0)), Op(">", Op("/", N(100), x), N(5)))),
			Body: []annette.Wire{W(V("r"), N(1))}},
		{Guard: annette.Ptr(Op("||", Op("==", x, N(0)), Op("==", Op("%", N(100), x), N(0)))),
			Body: []annette.Wire{W(V("r"), N(2))}},
		{Body: []annette.Wire{W(V("r"), N(3))}},
	}}

	// A guard whose body builds agents: x > 0 => r ~ Two(x, x+y) | _ => r ~ Z.
	agents := annette.RewriteRule{Name: "agents", Cases: []annette.Case{
		{Guard: annette.Ptr(Op(">", x, N(0))), Body: []annette.Wire{
			W(V("r"), A("Two", V("a"), V("b"))), W(V("a"), x), W(V("b"), Op("+", x, V("y"))),
		}},
		{Body: []annette.Wire{W(V("r"), A("Z"))}},
	}}

	for _, tc := range []struct {
		name string
		rule annette.RewriteRule
		x, y int64
		want string
	}{
		{"sign negative", sign, -5, 0, "-1"},
		{"sign zero", sign, 0, 0, "0"},
		{"sign positive", sign, 7, 0, "1"},
		{"sign min", sign, math.MinInt64, 0, "-1"},
		{"sign max", sign, math.MaxInt64, 0, "1"},
		{"lets first case", lets, 10, 1, "21"},
		{"lets second case", lets, 3, 1, "-97"},
		{"let after a failed guard", safeLet, 7, 0, "0"},
		{"let after a guard that holds", safeLet, 7, 2, "3"},
		{"short-circuit and", short, 0, 0, "2"},
		{"and true", short, 10, 0, "1"},
		{"or second operand", short, 50, 0, "2"},
		{"last case", short, 30, 0, "3"},
		{"guard builds agents", agents, 4, 3, "Two(4,7)"},
		{"guard falls through", agents, -4, 3, "Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runCalc(t, tc.rule, tc.x, tc.y)
			must(t, err)
			if got != tc.want {
				t.Errorf("rule %s with x=%d, y=%d = %s, want %s", tc.rule.Name, tc.x, tc.y, got, tc.want)
			}
		})
	}
}

func TestNoRule(t *testing.T) {
	n := newNet(t, annette.Config{}, basicTypes)
	_, err := reduceAB(t, n)
	if !errors.Is(err, annette.ErrNoRule) {
		t.Fatalf("Reduce = %v, want ErrNoRule", err)
	}
	re := ruleError(t, err)
	if re.Rule != "" {
		t.Errorf("RuleError.Rule = %q, want empty", re.Rule)
	}
	if got := re.Left + " " + re.Right; got != "A B" && got != "B A" {
		t.Errorf("RuleError types = %s, want A and B", got)
	}
	if msg := err.Error(); !strings.Contains(msg, "A") || !strings.Contains(msg, "B") {
		t.Errorf("error %q does not name both types", msg)
	}
	if p := n.Pending(); p != 1 {
		t.Errorf("Pending = %d after ErrNoRule, want 1", p)
	}
	// Adding the rule lets the same network go on.
	must(t, n.AddRule(abRule("ab", 3, false, false)))
	st := mustReduce(t, n)
	if st.Interactions != 1 {
		t.Errorf("interactions after adding the rule = %d, want 1", st.Interactions)
	}
	if got := mustText(t, n, "out"); got != "3" {
		t.Errorf("out = %s, want 3", got)
	}
}

// TestNoRuleIntPair checks the error for two integers that meet. Connect
// and AddRule reject a wire between two integers, so two interactions
// send an integer each into the two ends of one wire.
func TestNoRuleIntPair(t *testing.T) {
	n := newNet(t, annette.Config{}, basicTypes)
	must(t, n.AddRule(annette.RewriteRule{Left: Pat("A", "r"), Right: Pat("Z"), Body: []annette.Wire{W(V("r"), N(1))}}))
	a1, a2 := addAgent(t, n, "A"), addAgent(t, n, "A")
	connect(t, n, a1.Main(), addAgent(t, n, "Z").Main())
	connect(t, n, a2.Main(), addAgent(t, n, "Z").Main())
	connect(t, n, a1.Port("r"), a2.Port("r"))
	_, err := n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrNoRule) {
		t.Fatalf("Reduce = %v, want ErrNoRule", err)
	}
	re := ruleError(t, err)
	if re.Left != "Int" || re.Right != "Int" {
		t.Errorf("RuleError types = %s, %s, want Int, Int", re.Left, re.Right)
	}
}

func TestDivideByZero(t *testing.T) {
	x, y := V("x"), V("y")
	// want is the result for x=7, y=2.
	for _, tc := range []struct {
		name string
		rule annette.RewriteRule
		want string
	}{
		{"body division", annette.RewriteRule{Body: []annette.Wire{W(V("r"), Op("/", x, y))}}, "3"},
		{"body modulo", annette.RewriteRule{Body: []annette.Wire{W(V("r"), Op("%", x, y))}}, "1"},
		{"nested division", annette.RewriteRule{Body: []annette.Wire{W(V("r"), Op("+", N(1), Op("/", x, y)))}}, "4"},
		{"guard", annette.RewriteRule{Cases: []annette.Case{
			{Guard: annette.Ptr(Op(">", Op("/", x, y), N(0))), Body: []annette.Wire{W(V("r"), N(1))}},
			{Body: []annette.Wire{W(V("r"), N(0))}},
		}}, "1"},
		{"let", annette.RewriteRule{Cases: []annette.Case{
			{Lets: []annette.Let{{Name: "m", Value: Op("%", x, y)}}, Body: []annette.Wire{W(V("r"), V("m"))}},
		}}, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := tc.rule
			rule.Name = "calc-div"
			n := calcNet(t, rule, 7, 0)
			live := n.Stats().Live
			_, err := n.Reduce(context.Background())
			if !errors.Is(err, annette.ErrDivideByZero) {
				t.Fatalf("Reduce = %v, want ErrDivideByZero", err)
			}
			re := ruleError(t, err)
			if re.Rule != "calc-div" {
				t.Errorf("RuleError.Rule = %q, want calc-div", re.Rule)
			}
			if re.Left != "Calc" || re.Right != "Int" {
				t.Errorf("RuleError types = %s, %s, want Calc, Int", re.Left, re.Right)
			}
			if !strings.Contains(err.Error(), "calc-div") {
				t.Errorf("error %q does not name the rule", err)
			}
			// The failed pair stays, and nothing else changed.
			if p := n.Pending(); p != 1 {
				t.Errorf("Pending = %d, want 1", p)
			}
			if got := n.Stats().Live; got != live {
				t.Errorf("live agents = %d after the failure, want %d", got, live)
			}
			if got := mustText(t, n, "out"); got != "<EMPTY>" {
				t.Errorf("out = %s, want <EMPTY>", got)
			}
			st, err := n.Reduce(context.Background())
			if !errors.Is(err, annette.ErrDivideByZero) {
				t.Errorf("second Reduce = %v, want ErrDivideByZero again", err)
			}
			if st.Interactions != 0 {
				t.Errorf("second Reduce interactions = %d, want 0", st.Interactions)
			}
			// A fresh network with the same rule works.
			got, err := runCalc(t, rule, 7, 2)
			must(t, err)
			if got != tc.want {
				t.Errorf("x=7, y=2 gives %s on a fresh network, want %s", got, tc.want)
			}
		})
	}
}

// TestDivideByZeroEitherOrder checks that a rule that fails reports its
// types in the rule's order and keeps its pair, whichever way round the
// pair was connected.
func TestDivideByZeroEitherOrder(t *testing.T) {
	rule := annette.RewriteRule{
		Name:  "calc-div",
		Left:  Pat("Calc", "r", "int y"),
		Right: Pat("Int", "x"),
		Body:  []annette.Wire{W(V("r"), Op("/", V("x"), V("y")))},
	}
	types := append(append([]annette.Type(nil), calcTypes...), basicTypes...)
	for _, intFirst := range []bool{false, true} {
		n := newNet(t, annette.Config{}, types, rule)
		c := addAgent(t, n, "Calc")
		connect(t, n, c.Port("r"), n.Name("out"))
		connect(t, n, c.Port("y"), n.Int(0))
		if intFirst {
			connect(t, n, n.Int(7), c.Main())
		} else {
			connect(t, n, c.Main(), n.Int(7))
		}
		for round := 1; round <= 2; round++ {
			_, err := n.Reduce(context.Background())
			if !errors.Is(err, annette.ErrDivideByZero) {
				t.Fatalf("int first %v, round %d: Reduce = %v, want ErrDivideByZero", intFirst, round, err)
			}
			re := ruleError(t, err)
			if re.Left != "Calc" || re.Right != "Int" {
				t.Errorf("int first %v, round %d: types = %s, %s, want Calc, Int", intFirst, round, re.Left, re.Right)
			}
			if p := n.Pending(); p != 1 {
				t.Errorf("int first %v, round %d: Pending = %d, want 1", intFirst, round, p)
			}
		}
	}
}

// TestDivideByZeroReadBack checks that the results of interactions done
// before a failure can still be read.
func TestDivideByZeroReadBack(t *testing.T) {
	rule := annette.RewriteRule{Name: "div", Left: Pat("Calc", "r", "int y"), Right: Pat("Int", "x"),
		Body: []annette.Wire{W(V("r"), Op("/", V("x"), V("y")))}}
	n := newNet(t, annette.Config{}, calcTypes, rule)
	// The last pair connected is reduced first, so "good" is done before
	// "bad" fails.
	for _, c := range []struct {
		name string
		y    int64
	}{{"bad", 0}, {"good", 4}} {
		a := addAgent(t, n, "Calc")
		connect(t, n, a.Port("r"), n.Name(c.name))
		connect(t, n, a.Port("y"), n.Int(c.y))
		connect(t, n, a.Main(), n.Int(12))
	}
	st, err := n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrDivideByZero) {
		t.Fatalf("Reduce = %v, want ErrDivideByZero", err)
	}
	if st.Interactions != 1 {
		t.Errorf("interactions = %d, want 1", st.Interactions)
	}
	if got := mustText(t, n, "good"); got != "3" {
		t.Errorf("good = %s, want 3", got)
	}
	if got := mustText(t, n, "bad"); got != "<EMPTY>" {
		t.Errorf("bad = %s, want <EMPTY>", got)
	}
	if st := n.Stats(); st.Live != 1 {
		t.Errorf("live agents = %d, want 1 (the failed Calc)", st.Live)
	}
}

// TestWildcard checks Wrap(r) >< Any(x) => r ~ Box(x), written with the
// wildcard on either side, next to the specific rule Wrap(r) >< Z => r ~ Z.
func TestWildcard(t *testing.T) {
	types := []annette.Type{
		{Name: "Wrap", Ports: []string{"main", "r"}},
		{Name: "Box", Ports: []string{"main", "x"}},
		{Name: "Z"},
		{Name: "S", Ports: []string{"main", "pred"}},
		{Name: "Tag", Valued: true},
	}
	specific := annette.RewriteRule{Name: "wrap-zero", Left: Pat("Wrap", "r"), Right: Pat("Z"),
		Body: []annette.Wire{W(V("r"), A("Z"))}}
	body := []annette.Wire{W(V("r"), A("Box", V("x")))}
	for _, tc := range []struct {
		name string
		rule annette.RewriteRule
	}{
		{"wildcard right", annette.RewriteRule{Name: "wrap", Left: Pat("Wrap", "r"), Right: annette.Any("x"), Body: body}},
		{"wildcard left", annette.RewriteRule{Name: "wrap", Left: annette.Any("x"), Right: Pat("Wrap", "r"), Body: body}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, types, tc.rule, specific)
			tag, err := n.AddAgent("Tag", "kept")
			must(t, err)
			s := addAgent(t, n, "S")
			connect(t, n, s.Port("pred"), addAgent(t, n, "Z").Main())
			box := addAgent(t, n, "Box")
			connect(t, n, box.Port("x"), n.Name("in"))
			for i, p := range []annette.Port{s.Main(), addAgent(t, n, "Z").Main(), tag.Main(), box.Main()} {
				w := addAgent(t, n, "Wrap")
				connect(t, n, w.Port("r"), n.Name("out"+strconv.Itoa(i)))
				if i%2 == 0 {
					connect(t, n, w.Main(), p)
				} else {
					connect(t, n, p, w.Main())
				}
			}
			st := mustReduce(t, n)
			for i, want := range []string{"Box(S(Z))", "Z", "Box(Tag)", "Box(Box(in))"} {
				name := "out" + strconv.Itoa(i)
				if got := mustText(t, n, name); got != want {
					t.Errorf("%s = %s, want %s", name, got, want)
				}
			}
			if st.Interactions != 4 {
				t.Errorf("interactions = %d, want 4", st.Interactions)
			}
			term, err := n.Read("out2")
			must(t, err)
			if len(term.Args) == 1 && term.Args[0].Value != "kept" {
				t.Errorf("value of the wrapped Tag = %v, want kept", term.Args[0].Value)
			}
		})
	}
	t.Run("not an integer", func(t *testing.T) {
		rule := annette.RewriteRule{Name: "wrap", Left: Pat("Wrap", "r"), Right: annette.Any("x"), Body: body}
		n := newNet(t, annette.Config{}, types, rule)
		w := addAgent(t, n, "Wrap")
		connect(t, n, w.Port("r"), n.Name("out"))
		connect(t, n, w.Main(), n.Int(5))
		if _, err := n.Reduce(context.Background()); !errors.Is(err, annette.ErrNoRule) {
			t.Errorf("Reduce = %v, want ErrNoRule", err)
		}
	})
}

// TestFailedRewriteDrawsOnce checks that a rewrite that fails has no
// effect on the draws of rand. The rule r ~ rand(2) shows the draws of a
// seed. With the rule r ~ 10/rand(2), the same seed must fail at the first
// pair that draws 0, after one interaction per draw of 1 before it.
func TestFailedRewriteDrawsOnce(t *testing.T) {
	const pairs = 64
	run := func(seed uint64, expr annette.Expr) (annette.Stats, error, *annette.Network) {
		rule := annette.RewriteRule{Name: "draw", Left: Pat("Calc", "r", "int y"), Right: Pat("Int", "x"),
			Body: []annette.Wire{W(V("r"), expr)}}
		n := newNet(t, annette.Config{Seed: seed}, calcTypes, rule)
		for i := range pairs {
			c := addAgent(t, n, "Calc")
			connect(t, n, c.Port("r"), n.Name("out"+strconv.Itoa(i)))
			connect(t, n, c.Port("y"), n.Int(0))
			connect(t, n, c.Main(), n.Int(2))
		}
		st, err := n.Reduce(context.Background())
		return st, err, n
	}
	for seed := range uint64(8) {
		_, err, ref := run(seed, annette.Rand(V("x")))
		must(t, err)
		// Pairs are reduced last connected first.
		ones := int64(0)
		for i := pairs - 1; i >= 0 && mustText(t, ref, "out"+strconv.Itoa(i)) == "1"; i-- {
			ones++
		}
		st, err, _ := run(seed, Op("/", N(10), annette.Rand(V("x"))))
		if !errors.Is(err, annette.ErrDivideByZero) {
			t.Errorf("seed %d: Reduce = %v, want ErrDivideByZero", seed, err)
			continue
		}
		if st.Interactions != ones {
			t.Errorf("seed %d: failed after %d interactions, want %d (the draws of 1 before the first 0)",
				seed, st.Interactions, ones)
		}
	}
}

// actionNet returns a network with the basic types, rule and the active
// pair A(out) >< B.
func actionNet(t *testing.T, rule annette.Rule) *annette.Network {
	t.Helper()
	n := newNet(t, annette.Config{}, basicTypes, rule)
	a := addAgent(t, n, "A")
	connect(t, n, a.Port("r"), n.Name("out"))
	connect(t, n, a.Main(), addAgent(t, n, "B").Main())
	return n
}

func TestActionRuleError(t *testing.T) {
	errMine := errors.New("my error")
	rule := annette.ActionRule{Name: "fails", Left: "B", Right: "A", Action: func(c *annette.RuleContext) error {
		if _, err := c.NewAgent("S", nil); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errMine)
	}}
	n := actionNet(t, rule)
	live := n.Stats().Live
	_, err := n.Reduce(context.Background())
	if !errors.Is(err, errMine) {
		t.Fatalf("Reduce = %v, want the action's error", err)
	}
	re := ruleError(t, err)
	if re.Rule != "fails" {
		t.Errorf("RuleError.Rule = %q, want fails", re.Rule)
	}
	if re.Left != "B" || re.Right != "A" {
		t.Errorf("RuleError types = %s, %s, want B, A as the rule names them", re.Left, re.Right)
	}
	if got := n.Stats().Live; got != live {
		t.Errorf("live agents = %d after the failed action, want %d", got, live)
	}
	if p := n.Pending(); p != 1 {
		t.Errorf("Pending = %d, want 1", p)
	}
	if _, err := n.Reduce(context.Background()); !errors.Is(err, errMine) {
		t.Errorf("second Reduce = %v, want the action's error again", err)
	}
}

func TestActionRulePanic(t *testing.T) {
	errBoom := errors.New("boom error")
	for _, tc := range []struct {
		name  string
		value any
	}{{"string", "boom"}, {"error", errBoom}} {
		t.Run(tc.name, func(t *testing.T) {
			rule := annette.ActionRule{Name: "explode", Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
				s, err := c.NewAgent("S", nil)
				if err != nil {
					return err
				}
				if err := c.Link(c.Left().Port("r"), s.Main()); err != nil {
					return err
				}
				panic(tc.value)
			}}
			n := actionNet(t, rule)
			live := n.Stats().Live
			_, err := n.Reduce(context.Background())
			if err == nil {
				t.Fatal("Reduce = nil, want the panic as an error")
			}
			re := ruleError(t, err)
			if re.Rule != "explode" {
				t.Errorf("RuleError.Rule = %q, want explode", re.Rule)
			}
			var pe *annette.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v does not hold a *PanicError", err)
			}
			if pe.Value != tc.value {
				t.Errorf("PanicError.Value = %v, want %v", pe.Value, tc.value)
			}
			if !bytes.Contains(pe.Stack, []byte("core_test.go")) {
				t.Errorf("PanicError.Stack does not show the action:\n%s", pe.Stack)
			}
			if e, ok := tc.value.(error); ok && !errors.Is(err, e) {
				t.Errorf("errors.Is(err, panic value) = false, want true")
			}
			if got := n.Stats().Live; got != live {
				t.Errorf("live agents = %d after the panic, want %d", got, live)
			}
			// The network stays usable: a working rule finishes it.
			must(t, n.ReplaceRule(abRule("explode", 9, false, true)))
			mustReduce(t, n)
			if got := mustText(t, n, "out"); got != "9" {
				t.Errorf("out = %s after replacing the rule, want 9", got)
			}
		})
	}
}

func TestActionRuleUnlinked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		action func(c *annette.RuleContext) error
		want   string
	}{
		{"old port", func(c *annette.RuleContext) error { return nil }, "port r of the old A agent is not linked"},
		{"new agent port", func(c *annette.RuleContext) error {
			s, err := c.NewAgent("S", nil)
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("r"), s.Main())
		}, "port pred of the new S agent is not linked"},
		{"new agent principal", func(c *annette.RuleContext) error {
			s, err := c.NewAgent("S", nil)
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("r"), s.Port("pred"))
		}, "port main of the new S agent is not linked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := actionNet(t, annette.ActionRule{Name: "forgets", Left: "A", Right: "B", Action: tc.action})
			live := n.Stats().Live
			_, err := n.Reduce(context.Background())
			if err == nil {
				t.Fatal("Reduce = nil, want an error for the unlinked port")
			}
			re := ruleError(t, err)
			if re.Rule != "forgets" {
				t.Errorf("RuleError.Rule = %q, want forgets", re.Rule)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
			if got := n.Stats().Live; got != live {
				t.Errorf("live agents = %d, want %d", got, live)
			}
		})
	}
}

// TestRuleContextErrors misuses a RuleContext in every way it reports,
// then finishes the action correctly.
func TestRuleContextErrors(t *testing.T) {
	errs := map[string]error{}
	rule := annette.ActionRule{Name: "misuse", Left: "Two", Right: "B", Action: func(c *annette.RuleContext) error {
		left := c.Left()
		_, errs["unknown type"] = c.NewAgent("Nope", nil)
		_, errs["Int agent"] = c.NewAgent("Int", nil)
		_, errs["value on non-valued type"] = c.NewAgent("Z", 1)
		s, err := c.NewAgent("S", nil)
		if err != nil {
			return err
		}
		errs["old principal port"] = c.Link(left.Main(), s.Port("pred"))
		errs["unknown port"] = c.Link(left.Port("nope"), s.Port("pred"))
		_, errs["IntAt on a new agent"] = c.IntAt(s.Port("pred"))
		_, errs["IntAt on an agent"] = c.IntAt(left.Port("y"))
		_, errs["IntAt pending"] = c.IntAt(left.Port("x"))
		errs["zero Port"] = c.Link(annette.Port{}, s.Port("pred"))
		if err := c.Link(s.Port("pred"), left.Port("y")); err != nil {
			return err
		}
		errs["new port twice"] = c.Link(s.Port("pred"), c.Int(1))
		if err := c.Link(left.Port("x"), s.Main()); err != nil {
			return err
		}
		errs["old port twice"] = c.Link(left.Port("x"), c.Int(1))
		return nil
	}}
	n := newNet(t, annette.Config{}, basicTypes, rule)
	two := addAgent(t, n, "Two")
	connect(t, n, two.Port("x"), n.Name("out"))
	connect(t, n, two.Port("y"), addAgent(t, n, "Z").Main())
	connect(t, n, two.Main(), addAgent(t, n, "B").Main())
	mustReduce(t, n)
	if got := mustText(t, n, "out"); got != "S(Z)" {
		t.Errorf("out = %s, want S(Z)", got)
	}
	for _, tc := range []struct {
		name string
		is   error
		want string
	}{
		{"unknown type", nil, `unknown agent type "Nope"`},
		{"Int agent", nil, "RuleContext.Int"},
		{"value on non-valued type", nil, "carries no value"},
		{"old principal port", nil, "principal port"},
		{"unknown port", nil, `has no port "nope"`},
		{"IntAt on a new agent", nil, "not a port of the rule's old agents"},
		{"IntAt on an agent", annette.ErrNotInteger, "Two.y"},
		{"IntAt pending", annette.ErrPending, "Two.x"},
		{"zero Port", nil, "cannot be linked"},
		{"new port twice", nil, "linked twice"},
		{"old port twice", nil, "used twice"},
	} {
		err := errs[tc.name]
		if err == nil {
			t.Errorf("%s: error = nil, want one containing %q", tc.name, tc.want)
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: error = %v, want errors.Is(err, %v)", tc.name, err, tc.is)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %q, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// TestLinkFailureRecordsNothing checks that a Link rejected because of its
// second port does not use up its first port.
func TestLinkFailureRecordsNothing(t *testing.T) {
	var first, second error
	rule := annette.ActionRule{Name: "retry-link", Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
		first = c.Link(c.Left().Port("r"), c.Left().Port("nope"))
		second = c.Link(c.Left().Port("r"), c.Int(5))
		return second
	}}
	n := actionNet(t, rule)
	_, err := n.Reduce(context.Background())
	if first == nil {
		t.Fatal("Link to an unknown port = nil, want an error")
	}
	if second != nil {
		t.Errorf("Link after a rejected Link = %v, want nil", second)
	}
	if err != nil {
		t.Fatalf("Reduce = %v, want nil", err)
	}
	if got := mustText(t, n, "out"); got != "5" {
		t.Errorf("out = %s, want 5", got)
	}
}

// pumpTypes and pumpRule make a rule that never stops and adds one live
// agent per interaction:
//
//	Pump(r) >< Tick => r ~ S(r2), Pump(r2) ~ Tick;
var pumpTypes = []annette.Type{
	{Name: "Pump", Ports: []string{"main", "r"}},
	{Name: "Tick"},
	{Name: "S", Ports: []string{"main", "pred"}},
}

var pumpRule = annette.RewriteRule{Name: "pump", Left: Pat("Pump", "r"), Right: Pat("Tick"),
	Body: []annette.Wire{W(V("r"), A("S", V("r2"))), W(A("Pump", V("r2")), A("Tick"))}}

func pumpNet(t *testing.T, cfg annette.Config) *annette.Network {
	t.Helper()
	n := newNet(t, cfg, pumpTypes, pumpRule)
	p := addAgent(t, n, "Pump")
	connect(t, n, p.Port("r"), n.Name("out"))
	connect(t, n, p.Main(), addAgent(t, n, "Tick").Main())
	return n
}

// countS returns the number of S agents on top of t and what is below them.
func countS(t *annette.Term) (int, *annette.Term) {
	k := 0
	for t.Kind == annette.AgentTerm && t.Type == "S" && len(t.Args) == 1 {
		k++
		t = t.Args[0]
	}
	return k, t
}

func TestInteractionLimit(t *testing.T) {
	const limit = 5000
	n := pumpNet(t, annette.Config{MaxInteractions: limit})
	st, err := n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrInteractionLimit) {
		t.Fatalf("Reduce = %v, want ErrInteractionLimit", err)
	}
	var le *annette.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *LimitError", err, err)
	}
	if le.Limit != limit {
		t.Errorf("LimitError.Limit = %d, want %d", le.Limit, limit)
	}
	if st.Interactions != limit {
		t.Errorf("interactions = %d, want exactly %d", st.Interactions, limit)
	}
	if p := n.Pending(); p != 1 {
		t.Errorf("Pending = %d, want 1", p)
	}

	// The network reads back consistently: limit S agents and the wire
	// to the Pump that is still waiting.
	term, err := n.Read("out")
	must(t, err)
	k, tail := countS(term)
	if k != limit {
		t.Errorf("out has %d S agents, want %d", k, limit)
	}
	if tail.Kind != annette.WireTerm {
		t.Errorf("below the S agents is %s, want a wire label", tail)
	}

	// The limit counts every interaction of the network, so a second run
	// stops at once.
	st, err = n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrInteractionLimit) {
		t.Errorf("second Reduce = %v, want ErrInteractionLimit", err)
	}
	if st.Interactions != 0 {
		t.Errorf("second Reduce interactions = %d, want 0", st.Interactions)
	}
}

// TestInteractionLimitExact checks that a run needing exactly the limit
// finishes without an error.
func TestInteractionLimitExact(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		fails bool
	}{{4, false}, {5, false}, {3, true}} {
		t.Run(strconv.FormatInt(tc.limit, 10), func(t *testing.T) {
			n := unaryNet(t, annette.Config{MaxInteractions: tc.limit})
			binop(t, n, "Add", unary(t, n, 3), unary(t, n, 4), "out")
			st, err := n.Reduce(context.Background())
			if tc.fails {
				if !errors.Is(err, annette.ErrInteractionLimit) {
					t.Errorf("Reduce = %v, want ErrInteractionLimit", err)
				}
				if st.Interactions != tc.limit {
					t.Errorf("interactions = %d, want %d", st.Interactions, tc.limit)
				}
				return
			}
			if err != nil {
				t.Fatalf("Reduce = %v, want nil", err)
			}
			if got := mustText(t, n, "out"); got != "S(S(S(S(S(S(S(Z)))))))" {
				t.Errorf("out = %s, want 7", got)
			}
		})
	}
}

func TestInteractionLimitStep(t *testing.T) {
	const limit = 50
	n := pumpNet(t, annette.Config{MaxInteractions: limit})
	steps := 0
	var err error
	for {
		var ok bool
		ok, err = n.Step(context.Background())
		if err != nil || !ok {
			break
		}
		steps++
	}
	if !errors.Is(err, annette.ErrInteractionLimit) {
		t.Fatalf("Step = %v, want ErrInteractionLimit", err)
	}
	if steps != limit {
		t.Errorf("steps = %d, want %d", steps, limit)
	}
	if got := n.Stats().Interactions; got != limit {
		t.Errorf("Stats().Interactions = %d, want %d", got, limit)
	}
}

func TestAgentLimit(t *testing.T) {
	const limit = 1000
	n := pumpNet(t, annette.Config{MaxLiveAgents: limit})
	st, err := n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrAgentLimit) {
		t.Fatalf("Reduce = %v, want ErrAgentLimit", err)
	}
	var le *annette.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *LimitError", err, err)
	}
	if le.Limit != limit {
		t.Errorf("LimitError.Limit = %d, want %d", le.Limit, limit)
	}
	// Each interaction adds one agent, so the run stops at the first one
	// past the limit.
	if st.Live <= limit || st.Live > limit+3 {
		t.Errorf("live agents = %d, want just above %d", st.Live, limit)
	}
	if st.PeakLive != st.Live {
		t.Errorf("peak = %d, want %d", st.PeakLive, st.Live)
	}
	if got, want := st.Interactions, st.Live-2; got != want {
		t.Errorf("interactions = %d, want %d", got, want)
	}
}

// spinNet returns a network whose one active pair Spin >< Tick rewrites
// to itself forever, so the number of live agents stays at 2.
func spinNet(t *testing.T, cfg annette.Config) *annette.Network {
	t.Helper()
	n := newNet(t, cfg, []annette.Type{{Name: "Spin"}, {Name: "Tick"}},
		annette.RewriteRule{Name: "spin", Left: Pat("Spin"), Right: Pat("Tick"),
			Body: []annette.Wire{W(A("Spin"), A("Tick"))}})
	connect(t, n, addAgent(t, n, "Spin").Main(), addAgent(t, n, "Tick").Main())
	return n
}

// TestAgentLimitAlreadyExceeded checks runs that start with more live
// agents than the limit allows: each must stop with ErrAgentLimit.
func TestAgentLimitAlreadyExceeded(t *testing.T) {
	cfg := annette.Config{MaxLiveAgents: 1, MaxInteractions: 1000}
	t.Run("first run", func(t *testing.T) {
		n := spinNet(t, cfg)
		if _, err := n.Reduce(context.Background()); !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("Reduce = %v, want ErrAgentLimit", err)
		}
	})
	t.Run("second run", func(t *testing.T) {
		n := spinNet(t, cfg)
		if _, err := n.Reduce(context.Background()); !errors.Is(err, annette.ErrAgentLimit) {
			t.Fatalf("first Reduce = %v, want ErrAgentLimit", err)
		}
		st, err := n.Reduce(context.Background())
		if !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("second Reduce = %v after %d interactions with %d live agents, want ErrAgentLimit",
				err, st.Interactions, st.Live)
		}
	})
	t.Run("after Stats", func(t *testing.T) {
		n := spinNet(t, cfg)
		_ = n.Stats()
		st, err := n.Reduce(context.Background())
		if !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("Reduce after Stats = %v after %d interactions with %d live agents, want ErrAgentLimit",
				err, st.Interactions, st.Live)
		}
	})
	t.Run("Step", func(t *testing.T) {
		n := spinNet(t, cfg)
		if _, err := n.Step(context.Background()); !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("Step = %v, want ErrAgentLimit", err)
		}
	})
}

// eraseNet returns a network of unaryNet that erases S^5(Z): 7 live
// agents, one fewer after each interaction.
func eraseNet(t *testing.T, n *annette.Network) *annette.Network {
	t.Helper()
	defineTypes(t, n, unaryTypes...)
	addRules(t, n, unaryRules()...)
	connect(t, n, addAgent(t, n, "Erase").Main(), unary(t, n, 5))
	return n
}

// TestAgentLimitStartFrees starts runs one agent above the limit, with a
// first interaction that frees an agent. The peak counts the net as the
// run starts, so every way of reducing must stop with ErrAgentLimit. The
// sequential reducer used to stop only when the live count was still
// above the limit after that interaction.
func TestAgentLimitStartFrees(t *testing.T) {
	cfg := annette.Config{MaxLiveAgents: 6}
	ctx := context.Background()
	t.Run("Reduce", func(t *testing.T) {
		n := eraseNet(t, annette.NewNetwork(cfg))
		st, err := n.Reduce(ctx)
		if !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("Reduce = %v, want ErrAgentLimit", err)
		}
		if st.Interactions != 1 {
			t.Errorf("stopped after %d interactions, want 1", st.Interactions)
		}
	})
	t.Run("Step", func(t *testing.T) {
		n := eraseNet(t, annette.NewNetwork(cfg))
		if _, err := n.Step(ctx); !errors.Is(err, annette.ErrAgentLimit) {
			t.Errorf("Step = %v, want ErrAgentLimit", err)
		}
	})
	for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Auto, annette.Parallel} {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%v/%d", mode, workers), func(t *testing.T) {
				p := annette.NewParallelNetwork(cfg, annette.ParallelConfig{Workers: workers, Mode: mode})
				defer p.Close()
				eraseNet(t, p.Network)
				if _, err := p.Reduce(ctx); !errors.Is(err, annette.ErrAgentLimit) {
					t.Errorf("Reduce = %v, want ErrAgentLimit", err)
				}
				q := annette.NewParallelNetwork(cfg, annette.ParallelConfig{Workers: workers, Mode: mode})
				defer q.Close()
				eraseNet(t, q.Network)
				if _, err := q.Step(ctx); !errors.Is(err, annette.ErrAgentLimit) {
					t.Errorf("Step = %v, want ErrAgentLimit", err)
				}
			})
		}
	}
}

func TestCancel(t *testing.T) {
	t.Run("before Reduce", func(t *testing.T) {
		n := pumpNet(t, annette.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st, err := n.Reduce(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Reduce = %v, want context.Canceled", err)
		}
		if st.Interactions != 0 {
			t.Errorf("interactions = %d, want 0", st.Interactions)
		}
		if p := n.Pending(); p != 1 {
			t.Errorf("Pending = %d, want 1", p)
		}
	})
	t.Run("before Step", func(t *testing.T) {
		n := pumpNet(t, annette.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ok, err := n.Step(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Step = %v, want context.Canceled", err)
		}
		if ok {
			t.Errorf("Step reported an interaction")
		}
	})
	t.Run("during Reduce", func(t *testing.T) {
		n := spinNet(t, annette.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(20*time.Millisecond, cancel)
		st, err := n.Reduce(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Reduce = %v, want context.Canceled", err)
		}
		if p := n.Pending(); p != 1 {
			t.Errorf("Pending = %d, want 1", p)
		}
		if st.Live != 2 {
			t.Errorf("live agents = %d, want 2", st.Live)
		}
	})
}

// TestCancelResume cancels a countdown from inside a rule and checks that
// a second run finishes it with the right total count.
func TestCancelResume(t *testing.T) {
	const start, cancelAt = 100000, 60000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	count := annette.ActionRule{Name: "count", Left: "Count", Right: "Int", Action: func(c *annette.RuleContext) error {
		k := c.Right().Value().(int64)
		if k == cancelAt {
			cancel()
		}
		if k == 0 {
			return c.Link(c.Left().Port("r"), c.Int(-1))
		}
		next, err := c.NewAgent("Count", nil)
		if err != nil {
			return err
		}
		if err := c.Link(next.Port("r"), c.Left().Port("r")); err != nil {
			return err
		}
		return c.Link(next.Main(), c.Int(k-1))
	}}

	n := newNet(t, annette.Config{}, []annette.Type{{Name: "Count", Ports: []string{"main", "r"}}}, count)
	a := addAgent(t, n, "Count")
	connect(t, n, a.Port("r"), n.Name("out"))
	connect(t, n, a.Main(), n.Int(start))

	st1, err := n.Reduce(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Reduce = %v, want context.Canceled", err)
	}
	if st1.Interactions >= start {
		t.Errorf("cancelled run did %d interactions, want fewer than %d", st1.Interactions, start)
	}
	if got := mustText(t, n, "out"); got != "<EMPTY>" {
		t.Errorf("out = %s after cancellation, want <EMPTY>", got)
	}

	st2 := mustReduce(t, n)
	if got, want := st1.Interactions+st2.Interactions, int64(start+1); got != want {
		t.Errorf("interactions = %d + %d, want %d in all", st1.Interactions, st2.Interactions, want)
	}
	if got := mustText(t, n, "out"); got != "-1" {
		t.Errorf("out = %s, want -1", got)
	}
	if st2.Live != 0 {
		t.Errorf("live agents = %d, want 0", st2.Live)
	}
}

func TestRand(t *testing.T) {
	rule := annette.RewriteRule{Name: "rand", Body: []annette.Wire{W(V("r"), annette.Rand(V("x")))}}
	for _, x := range []int64{0, -5, math.MinInt64} {
		_, err := runCalc(t, rule, x, 0)
		if !errors.Is(err, annette.ErrRandRange) {
			t.Errorf("rand(%d): Reduce = %v, want ErrRandRange", x, err)
		}
	}
	// draw returns 50 draws of rand(10) with the given seed.
	draw := func(seed uint64) []string {
		rule := rule
		rule.Left, rule.Right = Pat("Calc", "r", "int y"), Pat("Int", "x")
		n := newNet(t, annette.Config{Seed: seed}, calcTypes, rule)
		var names []string
		for i := range 50 {
			c := addAgent(t, n, "Calc")
			name := "out" + strconv.Itoa(i)
			names = append(names, name)
			connect(t, n, c.Port("r"), n.Name(name))
			connect(t, n, c.Port("y"), n.Int(0))
			connect(t, n, c.Main(), n.Int(10))
		}
		mustReduce(t, n)
		var out []string
		for _, name := range names {
			out = append(out, mustText(t, n, name))
		}
		return out
	}
	a, b, c := draw(1), draw(1), draw(2)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("seed 1 draws %v, then %v, want the same", a, b)
	}
	if strings.Join(a, ",") == strings.Join(c, ",") {
		t.Errorf("seeds 1 and 2 both draw %v, want different numbers", a)
	}
	for i, s := range a {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v >= 10 {
			t.Errorf("draw %d = %s, want an integer in [0, 10)", i, s)
		}
	}
}

// pendingTypes and the rules below wait for an integer produced by
// another interaction:
//
//	Dbl(out) >< (int k) => out ~ k*2;
//	Inc(r, int x) >< Go => r ~ x+1;
var pendingTypes = []annette.Type{
	{Name: "Dbl", Ports: []string{"main", "out"}},
	{Name: "Inc", Ports: []string{"main", "r", "x"}},
	{Name: "Go"},
	{Name: "Z"},
}

var dblRule = annette.RewriteRule{Name: "dbl", Left: Pat("Dbl", "out"), Right: Pat("Int", "k"),
	Body: []annette.Wire{W(V("out"), Op("*", V("k"), N(2)))}}

func incRules() map[string]annette.Rule {
	return map[string]annette.Rule{
		"rewrite": annette.RewriteRule{Name: "inc", Left: Pat("Inc", "r", "int x"), Right: Pat("Go"),
			Body: []annette.Wire{W(V("r"), Op("+", V("x"), N(1)))}},
		"action": annette.ActionRule{Name: "inc", Left: "Inc", Right: "Go", Action: func(c *annette.RuleContext) error {
			x, err := c.IntAt(c.Left().Port("x"))
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("r"), c.Int(x+1))
		}},
	}
}

func TestPendingArrives(t *testing.T) {
	for kind, inc := range incRules() {
		for _, tc := range []struct {
			name     string
			dblFirst bool
			k        int64
		}{{"consumer on top", true, 5}, {"producer on top", false, 5}, {"boxed", true, 1 << 61}} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				n := newNet(t, annette.Config{}, pendingTypes, dblRule, inc)
				d, i := addAgent(t, n, "Dbl"), addAgent(t, n, "Inc")
				connect(t, n, i.Port("x"), d.Port("out"))
				connect(t, n, i.Port("r"), n.Name("res"))
				pairs := []func(){
					func() { connect(t, n, d.Main(), n.Int(tc.k)) },
					func() { connect(t, n, i.Main(), addAgent(t, n, "Go").Main()) },
				}
				if !tc.dblFirst {
					pairs[0], pairs[1] = pairs[1], pairs[0]
				}
				pairs[0]()
				pairs[1]()
				st := mustReduce(t, n)
				if got, want := mustText(t, n, "res"), strconv.FormatInt(tc.k*2+1, 10); got != want {
					t.Errorf("res = %s, want %s", got, want)
				}
				if st.Interactions != 2 {
					t.Errorf("interactions = %d, want 2", st.Interactions)
				}
				if st.Live != 0 {
					t.Errorf("live agents = %d, want 0", st.Live)
				}
			})
		}
		// Inc3.x <- Inc2.r, Inc2.x <- Inc1.r, Inc1.x <- Dbl.out, with the
		// pairs stacked so that each retry round finishes one more Inc.
		t.Run(kind+"/chain", func(t *testing.T) {
			n := newNet(t, annette.Config{}, pendingTypes, dblRule, inc)
			d := addAgent(t, n, "Dbl")
			incs := []annette.Agent{addAgent(t, n, "Inc"), addAgent(t, n, "Inc"), addAgent(t, n, "Inc")}
			connect(t, n, incs[0].Port("x"), d.Port("out"))
			connect(t, n, incs[1].Port("x"), incs[0].Port("r"))
			connect(t, n, incs[2].Port("x"), incs[1].Port("r"))
			connect(t, n, incs[2].Port("r"), n.Name("res"))
			connect(t, n, d.Main(), n.Int(5))
			for i := len(incs) - 1; i >= 0; i-- {
				connect(t, n, incs[i].Main(), addAgent(t, n, "Go").Main())
			}
			st := mustReduce(t, n)
			if got := mustText(t, n, "res"); got != "13" {
				t.Errorf("res = %s, want 13", got)
			}
			if st.Interactions != 4 {
				t.Errorf("interactions = %d, want 4", st.Interactions)
			}
		})
	}
}

func TestPendingNever(t *testing.T) {
	for kind, inc := range incRules() {
		t.Run(kind, func(t *testing.T) {
			n := newNet(t, annette.Config{}, pendingTypes, dblRule, inc)
			i := addAgent(t, n, "Inc")
			connect(t, n, i.Port("x"), n.Name("x"))
			connect(t, n, i.Port("r"), n.Name("res"))
			connect(t, n, i.Main(), addAgent(t, n, "Go").Main())
			// An unrelated pair that does finish.
			d := addAgent(t, n, "Dbl")
			connect(t, n, d.Port("out"), n.Name("other"))
			connect(t, n, d.Main(), n.Int(21))
			st, err := n.Reduce(context.Background())
			if !errors.Is(err, annette.ErrPending) {
				t.Fatalf("Reduce = %v, want ErrPending", err)
			}
			re := ruleError(t, err)
			if re.Rule != "inc" {
				t.Errorf("RuleError.Rule = %q, want inc", re.Rule)
			}
			if st.Interactions != 1 {
				t.Errorf("interactions = %d, want 1", st.Interactions)
			}
			if got := mustText(t, n, "res"); got != "<EMPTY>" {
				t.Errorf("res = %s, want <EMPTY>", got)
			}
			if got := mustText(t, n, "other"); got != "42" {
				t.Errorf("other = %s, want 42", got)
			}
			if p := n.Pending(); p != 1 {
				t.Errorf("Pending = %d, want 1", p)
			}
			// Step reports the same.
			if _, err := n.Step(context.Background()); !errors.Is(err, annette.ErrPending) {
				t.Errorf("Step = %v, want ErrPending", err)
			}
		})
	}
}

// TestForwardWire joins two old ports in a rule, Two(x, y) >< B => x ~ y,
// between a producer and a consumer of an integer:
//
//	Dbl(m) >< 5,  Two(i, m) >< B,  Inc(res, i) >< Go
//
// and checks every order in which the three pairs can be stacked.
func TestForwardWire(t *testing.T) {
	forward := func(first, second string) annette.Rule {
		return annette.ActionRule{Name: "forward", Left: "Two", Right: "B", Action: func(c *annette.RuleContext) error {
			return c.Link(c.Left().Port(first), c.Left().Port(second))
		}}
	}
	styles := map[string]annette.Rule{
		"rewrite": annette.RewriteRule{Name: "forward", Left: Pat("Two", "x", "y"), Right: Pat("B"),
			Body: []annette.Wire{W(V("x"), V("y"))}},
		"action x to y": forward("x", "y"),
		"action y to x": forward("y", "x"),
	}
	orders := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	types := append(append([]annette.Type(nil), pendingTypes...), annette.Type{Name: "Two", Ports: []string{"main", "x", "y"}},
		annette.Type{Name: "B"})
	for style, fwd := range styles {
		for kind, inc := range incRules() {
			for _, order := range orders {
				t.Run(fmt.Sprintf("%s/inc %s/%v", style, kind, order), func(t *testing.T) {
					n := newNet(t, annette.Config{}, types, dblRule, inc, fwd)
					d, two, i := addAgent(t, n, "Dbl"), addAgent(t, n, "Two"), addAgent(t, n, "Inc")
					connect(t, n, i.Port("x"), two.Port("x"))
					connect(t, n, two.Port("y"), d.Port("out"))
					connect(t, n, i.Port("r"), n.Name("res"))
					pairs := []func(){
						func() { connect(t, n, d.Main(), n.Int(5)) },
						func() { connect(t, n, two.Main(), addAgent(t, n, "B").Main()) },
						func() { connect(t, n, i.Main(), addAgent(t, n, "Go").Main()) },
					}
					for _, k := range order {
						pairs[k]()
					}
					st := mustReduce(t, n)
					if got := mustText(t, n, "res"); got != "11" {
						t.Errorf("res = %s, want 11", got)
					}
					if st.Interactions != 3 {
						t.Errorf("interactions = %d, want 3", st.Interactions)
					}
					if st.Live != 0 {
						t.Errorf("live agents = %d, want 0", st.Live)
					}
				})
			}
		}
	}
}

func TestNotInteger(t *testing.T) {
	for kind, inc := range incRules() {
		t.Run(kind, func(t *testing.T) {
			n := newNet(t, annette.Config{}, pendingTypes, dblRule, inc)
			i := addAgent(t, n, "Inc")
			connect(t, n, i.Port("x"), addAgent(t, n, "Z").Main())
			connect(t, n, i.Port("r"), n.Name("res"))
			connect(t, n, i.Main(), addAgent(t, n, "Go").Main())
			_, err := n.Reduce(context.Background())
			if !errors.Is(err, annette.ErrNotInteger) {
				t.Fatalf("Reduce = %v, want ErrNotInteger", err)
			}
			if re := ruleError(t, err); re.Rule != "inc" {
				t.Errorf("RuleError.Rule = %q, want inc", re.Rule)
			}
			// The message names the agent found. The text language's hint
			// for a constant left undefined has no meaning in Go.
			if !strings.Contains(err.Error(), "(Z)") {
				t.Errorf("Reduce = %q, want it to name the agent Z", err)
			}
			if strings.Contains(err.Error(), "const") {
				t.Errorf("Reduce = %q, want no hint about the text language's constants", err)
			}
		})
	}
}

// buildList connects Cons agents for elems in front of tail and returns
// the principal port of the first.
func buildList(t fatalT, n *annette.Network, elems []annette.Port, tail annette.Port) annette.Port {
	t.Helper()
	for i := len(elems) - 1; i >= 0; i-- {
		c := addAgent(t, n, "Cons")
		connect(t, n, c.Port("head"), elems[i])
		connect(t, n, c.Port("tail"), tail)
		tail = c.Main()
	}
	return tail
}

func ints(n *annette.Network, vs ...int64) []annette.Port {
	var ps []annette.Port
	for _, v := range vs {
		ps = append(ps, n.Int(v))
	}
	return ps
}

func TestText(t *testing.T) {
	types := []annette.Type{
		{Name: "f"},
		{Name: "g", Ports: []string{"main", "a", "b"}},
		{Name: "Z"},
		{Name: "S", Ports: []string{"main", "pred"}},
	}
	tuple := func(t *testing.T, n *annette.Network, typ string, elems ...annette.Port) annette.Port {
		a := addAgent(t, n, typ)
		for i, e := range elems {
			connect(t, n, a.Port("e"+strconv.Itoa(i+1)), e)
		}
		return a.Main()
	}
	for _, tc := range []struct {
		name  string
		build func(t *testing.T, n *annette.Network) annette.Port // nil connects nothing to out
		want  string
	}{
		{"list", func(t *testing.T, n *annette.Network) annette.Port {
			return buildList(t, n, ints(n, 1, 2, 3), addAgent(t, n, "Nil").Main())
		}, "[1,2,3]"},
		{"empty list", func(t *testing.T, n *annette.Network) annette.Port {
			return addAgent(t, n, "Nil").Main()
		}, "[]"},
		{"name tail", func(t *testing.T, n *annette.Network) annette.Port {
			return buildList(t, n, ints(n, 1, 2), n.Name("xs"))
		}, "1:2:xs"},
		{"list of lists", func(t *testing.T, n *annette.Network) annette.Port {
			inner := buildList(t, n, ints(n, 1), addAgent(t, n, "Nil").Main())
			return buildList(t, n, []annette.Port{inner, addAgent(t, n, "Nil").Main()}, addAgent(t, n, "Nil").Main())
		}, "[[1],[]]"},
		{"cons element of an open list", func(t *testing.T, n *annette.Network) annette.Port {
			inner := buildList(t, n, ints(n, 1), n.Name("xs"))
			return buildList(t, n, []annette.Port{inner}, n.Name("ys"))
		}, "(1:xs):ys"},
		{"tuple", func(t *testing.T, n *annette.Network) annette.Port {
			return tuple(t, n, "Tuple2", n.Int(1), n.Int(2))
		}, "(1,2)"},
		{"nested tuple", func(t *testing.T, n *annette.Network) annette.Port {
			inner := tuple(t, n, "Tuple2", n.Int(3), n.Int(4))
			list := buildList(t, n, ints(n, 2), addAgent(t, n, "Nil").Main())
			return tuple(t, n, "Tuple3", n.Int(1), list, inner)
		}, "(1,[2],(3,4))"},
		{"empty tuple", func(t *testing.T, n *annette.Network) annette.Port {
			return tuple(t, n, "Tuple0")
		}, "()"},
		{"empty", nil, "<EMPTY>"},
		{"wire label", func(t *testing.T, n *annette.Network) annette.Port {
			a := addAgent(t, n, "Tuple2")
			connect(t, n, a.Port("e1"), a.Port("e2"))
			return a.Main()
		}, "(<a1>,<a1>)"},
		{"two wire labels", func(t *testing.T, n *annette.Network) annette.Port {
			a := addAgent(t, n, "Tuple4")
			connect(t, n, a.Port("e1"), a.Port("e3"))
			connect(t, n, a.Port("e2"), a.Port("e4"))
			return a.Main()
		}, "(<a1>,<b1>,<a1>,<b1>)"},
		{"lower-case nullary", func(t *testing.T, n *annette.Network) annette.Port {
			return addAgent(t, n, "f").Main()
		}, "f()"},
		{"upper-case nullary", func(t *testing.T, n *annette.Network) annette.Port {
			return addAgent(t, n, "Z").Main()
		}, "Z"},
		{"lower-case with ports", func(t *testing.T, n *annette.Network) annette.Port {
			g := addAgent(t, n, "g")
			connect(t, n, g.Port("a"), addAgent(t, n, "f").Main())
			connect(t, n, g.Port("b"), n.Int(2))
			return g.Main()
		}, "g(f(),2)"},
		{"agent with a name", func(t *testing.T, n *annette.Network) annette.Port {
			s := addAgent(t, n, "S")
			connect(t, n, s.Port("pred"), n.Name("xs"))
			return s.Main()
		}, "S(xs)"},
		{"negative and boxed integers", func(t *testing.T, n *annette.Network) annette.Port {
			return buildList(t, n, ints(n, -1, math.MinInt64, math.MaxInt64, 4000000000), addAgent(t, n, "Nil").Main())
		}, "[-1,-9223372036854775808,9223372036854775807,4000000000]"},
		{"integer", func(t *testing.T, n *annette.Network) annette.Port {
			return n.Int(-1 << 60)
		}, "-1152921504606846976"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, annette.Config{}, types)
			out := n.Name("out")
			if tc.build != nil {
				connect(t, n, out, tc.build(t, n))
			}
			mustReduce(t, n)
			if got := mustText(t, n, "out"); got != tc.want {
				t.Errorf("out = %s, want %s", got, tc.want)
			}
			// Reading again hands out the same labels.
			if got := mustText(t, n, "out"); got != tc.want {
				t.Errorf("second read of out = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReadTerm(t *testing.T) {
	n := newNet(t, annette.Config{}, basicTypes)
	s := addAgent(t, n, "Two")
	connect(t, n, s.Port("x"), n.Name("xs"))
	connect(t, n, s.Port("y"), n.Int(7))
	connect(t, n, n.Name("out"), s.Main())
	mustReduce(t, n)
	term, err := n.Read("out")
	must(t, err)
	if term.Kind != annette.AgentTerm || term.Type != "Two" {
		t.Fatalf("out = %+v, want a Two agent", term)
	}
	if len(term.Args) != 2 {
		t.Fatalf("Two has %d args, want 2", len(term.Args))
	}
	if a := term.Args[0]; a.Kind != annette.NameTerm || a.Name != "xs" {
		t.Errorf("first arg = %+v, want the name xs", a)
	}
	if a := term.Args[1]; a.Kind != annette.IntTerm || a.Int != 7 {
		t.Errorf("second arg = %+v, want the integer 7", a)
	}
	if got := strings.Join(n.Names(), ","); got != "xs,out" {
		t.Errorf("Names = %s, want xs,out", got)
	}
}

func TestReadUnknownName(t *testing.T) {
	n := newNet(t, annette.Config{}, basicTypes)
	_, err := n.Read("nope")
	if !errors.Is(err, annette.ErrUnknownName) {
		t.Errorf("Read(nope) = %v, want ErrUnknownName", err)
	}
	if err != nil && !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Read(nope) = %q, want the name in the message", err)
	}
	_, err = n.Text("nope")
	if !errors.Is(err, annette.ErrUnknownName) {
		t.Errorf("Text(nope) = %v, want ErrUnknownName", err)
	}
	if err != nil && !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Text(nope) = %q, want the name in the message", err)
	}
}

// TestReadNameToName checks that a wire between two interface names is
// directed, as in the text language: the name linked first reads as the
// other name, and the other reads as <EMPTY>.
func TestReadNameToName(t *testing.T) {
	t.Run("Connect", func(t *testing.T) {
		n := newNet(t, annette.Config{}, basicTypes)
		connect(t, n, n.Name("a"), n.Name("b"))
		mustReduce(t, n)
		if got := mustText(t, n, "a"); got != "b" {
			t.Errorf("a = %s, want b", got)
		}
		if got := mustText(t, n, "b"); got != "<EMPTY>" {
			t.Errorf("b = %s, want <EMPTY>", got)
		}
	})
	t.Run("rule", func(t *testing.T) {
		// The body links x, the first pattern port, to y.
		id := annette.RewriteRule{Name: "id", Left: Pat("Two", "x", "y"), Right: Pat("B"),
			Body: []annette.Wire{W(V("x"), V("y"))}}
		for range 20 { // the direction must not depend on map order
			n := newNet(t, annette.Config{}, basicTypes, id)
			two := addAgent(t, n, "Two")
			connect(t, n, two.Port("x"), n.Name("a"))
			connect(t, n, two.Port("y"), n.Name("b"))
			connect(t, n, two.Main(), addAgent(t, n, "B").Main())
			mustReduce(t, n)
			if got := mustText(t, n, "a"); got != "b" {
				t.Errorf("a = %s, want b", got)
			}
			if got := mustText(t, n, "b"); got != "<EMPTY>" {
				t.Errorf("b = %s, want <EMPTY>", got)
			}
		}
	})
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestDeepUnary adds 1 to a unary number a million deep and prints the
// result, which must not overflow the stack.
func TestDeepUnary(t *testing.T) {
	depth := 1000000
	if raceEnabled() {
		// With -race a million levels took about 7 s and 850 MB on a
		// 2-core machine, five times the plain run, so it checks a fifth.
		depth = 200000
	}
	n := unaryNet(t, annette.Config{})
	binop(t, n, "Add", unary(t, n, depth), unary(t, n, 1), "out")
	st := mustReduce(t, n)
	if got, want := st.Interactions, int64(depth+1); got != want {
		t.Errorf("interactions = %d, want %d", got, want)
	}
	got := mustText(t, n, "out")
	want := strings.Repeat("S(", depth+1) + "Z" + strings.Repeat(")", depth+1)
	if got != want {
		t.Errorf("out has %d bytes, want %d (%d+1 in unary)", len(got), len(want), depth)
	}
	term, err := n.Read("out")
	must(t, err)
	if k, tail := countS(term); k != depth+1 || tail.Type != "Z" {
		t.Errorf("out reads as %d S agents on %s, want %d on Z", k, tail, depth+1)
	}
}

// label is a Go value carried by Name agents.
type label struct{ text string }

func TestValues(t *testing.T) {
	types := []annette.Type{
		{Name: "Name", Valued: true},
		{Name: "Upper", Ports: []string{"main", "r"}},
		{Name: "Plain", Ports: []string{"main", "r"}},
		{Name: "Box", Ports: []string{"main", "x"}, Valued: true},
	}
	upper := annette.ActionRule{Name: "upper", Left: "Upper", Right: "Name", Action: func(c *annette.RuleContext) error {
		v, ok := c.Right().Value().(*label)
		if !ok {
			return fmt.Errorf("value is %T, want *label", c.Right().Value())
		}
		out, err := c.NewAgent("Name", &label{strings.ToUpper(v.text)})
		if err != nil {
			return err
		}
		return c.Link(c.Left().Port("r"), out.Main())
	}}
	// A rewrite rule cannot set values, so its new Name has none.
	plain := annette.RewriteRule{Name: "plain", Left: Pat("Plain", "r"), Right: Pat("Name"),
		Body: []annette.Wire{W(V("r"), A("Name"))}}
	n := newNet(t, annette.Config{}, types, upper, plain)
	for _, c := range []struct{ fn, out, text string }{{"Upper", "up", "hello"}, {"Plain", "plain", "world"}} {
		name, err := n.AddAgent("Name", &label{c.text})
		must(t, err)
		f := addAgent(t, n, c.fn)
		connect(t, n, f.Port("r"), n.Name(c.out))
		connect(t, n, f.Main(), name.Main())
	}
	boxValue := &label{"kept"}
	box, err := n.AddAgent("Box", boxValue)
	must(t, err)
	connect(t, n, box.Port("x"), n.Int(1))
	connect(t, n, box.Main(), n.Name("box"))
	mustReduce(t, n)

	up, err := n.Read("up")
	must(t, err)
	if l, ok := up.Value.(*label); !ok || l.text != "HELLO" {
		t.Errorf("up value = %#v, want &label{HELLO}", up.Value)
	}
	p, err := n.Read("plain")
	must(t, err)
	if p.Type != "Name" {
		t.Errorf("plain = %s, want Name", p)
	}
	if p.Value != nil {
		t.Errorf("plain value = %#v, want nil", p.Value)
	}
	b, err := n.Read("box")
	must(t, err)
	if b.Value != boxValue {
		t.Errorf("box value = %#v, want the pointer given to AddAgent", b.Value)
	}
	if got := mustText(t, n, "box"); got != "Box(1)" {
		t.Errorf("box = %s, want Box(1)", got)
	}
	if st := n.Stats(); st.Live != 3 {
		t.Errorf("live agents = %d, want 3", st.Live)
	}
}
