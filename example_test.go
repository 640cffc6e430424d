package annette_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/annette-go/annette"
)

// A new network already defines the list and tuple types of the text
// language, so it can hold the list [1,2] without any DefineType.
func ExampleNewNetwork() {
	n := annette.NewNetwork(annette.Config{})

	// Build the list from its end: Nil, then Cons(2, Nil), then Cons(1, …).
	list, err := n.AddAgent("Nil", nil)
	if err != nil {
		log.Fatal(err)
	}
	tail := list.Main()
	for _, v := range []int64{2, 1} {
		cons, err := n.AddAgent("Cons", nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := n.Connect(cons.Port("head"), n.Int(v)); err != nil {
			log.Fatal(err)
		}
		if err := n.Connect(cons.Port("tail"), tail); err != nil {
			log.Fatal(err)
		}
		tail = cons.Main()
	}
	if err := n.Connect(n.Name("xs"), tail); err != nil {
		log.Fatal(err)
	}

	text, err := n.Text("xs")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
	// Output: [1,2]
}

func ExampleNetwork_DefineType() {
	n := annette.NewNetwork(annette.Config{})

	// The first port is the principal port.
	if err := n.DefineType(annette.Type{Name: "Pair", Ports: []string{"main", "fst", "snd"}}); err != nil {
		log.Fatal(err)
	}
	// Without Ports, a type has only a principal port called "main".
	if err := n.DefineType(annette.Type{Name: "Unit"}); err != nil {
		log.Fatal(err)
	}

	for _, name := range []string{"Pair", "Unit"} {
		t, _ := n.TypeOf(name)
		fmt.Println(t.Name, t.Ports)
	}
	fmt.Println(n.DefineType(annette.Type{Name: "Pair"}))
	// Output:
	// Pair [main fst snd]
	// Unit [main]
	// agent type Pair is already defined
}

func ExampleNetwork_Connect() {
	n := annette.NewNetwork(annette.Config{})
	if err := n.DefineType(annette.Type{Name: "Z"}); err != nil {
		log.Fatal(err)
	}
	if err := n.DefineType(annette.Type{Name: "S", Ports: []string{"main", "pred"}}); err != nil {
		log.Fatal(err)
	}

	// S(Z), connected to the interface name "one".
	z, err := n.AddAgent("Z", nil)
	if err != nil {
		log.Fatal(err)
	}
	s, err := n.AddAgent("S", nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Connect(s.Port("pred"), z.Main()); err != nil {
		log.Fatal(err)
	}
	if err := n.Connect(n.Name("one"), s.Main()); err != nil {
		log.Fatal(err)
	}

	// Each port takes one wire.
	err = n.Connect(s.Port("pred"), n.Int(0))
	fmt.Println(err)
	fmt.Println(errors.Is(err, annette.ErrConnected))

	text, err := n.Text("one")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
	// Output:
	// S.pred: port is already connected
	// true
	// S(Z)
}

// Unary addition written as rewrite rules:
//
//	Add(r, y) >< Z    => r ~ y;
//	Add(r, y) >< S(x) => r ~ S(w), Add(w, y) ~ x;
func ExampleRewriteRule() {
	n := annette.NewNetwork(annette.Config{})
	for _, t := range []annette.Type{
		{Name: "Z"},
		{Name: "S", Ports: []string{"main", "pred"}},
		{Name: "Add", Ports: []string{"main", "r", "y"}},
	} {
		if err := n.DefineType(t); err != nil {
			log.Fatal(err)
		}
	}
	V, A, W, Pat := annette.V, annette.A, annette.W, annette.Pat
	for _, r := range []annette.Rule{
		annette.RewriteRule{Name: "add-zero", Left: Pat("Add", "r", "y"), Right: Pat("Z"),
			Body: []annette.Wire{W(V("r"), V("y"))}},
		annette.RewriteRule{Name: "add-succ", Left: Pat("Add", "r", "y"), Right: Pat("S", "x"),
			Body: []annette.Wire{W(V("r"), A("S", V("w"))), W(A("Add", V("w"), V("y")), V("x"))}},
	} {
		if err := n.AddRule(r); err != nil {
			log.Fatal(err)
		}
	}

	// number builds the unary number k and returns its principal port.
	number := func(k int) annette.Port {
		z, err := n.AddAgent("Z", nil)
		if err != nil {
			log.Fatal(err)
		}
		top := z.Main()
		for range k {
			s, err := n.AddAgent("S", nil)
			if err != nil {
				log.Fatal(err)
			}
			if err := n.Connect(s.Port("pred"), top); err != nil {
				log.Fatal(err)
			}
			top = s.Main()
		}
		return top
	}

	// 2 + 1: Add meets 2 on its principal port.
	add, err := n.AddAgent("Add", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range [][2]annette.Port{
		{add.Port("r"), n.Name("sum")},
		{add.Port("y"), number(1)},
		{add.Main(), number(2)},
	} {
		if err := n.Connect(c[0], c[1]); err != nil {
			log.Fatal(err)
		}
	}

	st, err := n.Reduce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	sum, err := n.Text("sum")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum, st.Interactions)
	// Output: S(S(S(Z))) 3
}

// An action rule is a Go function. This one squares the integer that a
// Square agent meets: Square(r) >< (int x) => r ~ x*x.
func ExampleActionRule() {
	n := annette.NewNetwork(annette.Config{})
	if err := n.DefineType(annette.Type{Name: "Square", Ports: []string{"main", "r"}}); err != nil {
		log.Fatal(err)
	}
	square := annette.ActionRule{
		Name:  "square",
		Left:  "Square",
		Right: "Int",
		Action: func(c *annette.RuleContext) error {
			x := c.Right().Value().(int64)
			return c.Link(c.Left().Port("r"), c.Int(x*x))
		},
	}
	if err := n.AddRule(square); err != nil {
		log.Fatal(err)
	}

	sq, err := n.AddAgent("Square", nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Connect(sq.Port("r"), n.Name("out")); err != nil {
		log.Fatal(err)
	}
	if err := n.Connect(sq.Main(), n.Int(12)); err != nil {
		log.Fatal(err)
	}

	if _, err := n.Reduce(context.Background()); err != nil {
		log.Fatal(err)
	}
	text, err := n.Text("out")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
	// Output: 144
}

// Reduce stops with an error at a limit of the Config. Here a rule
// rewrites a pair to itself forever, and the run stops after 100
// interactions.
func ExampleNetwork_Reduce() {
	n := annette.NewNetwork(annette.Config{MaxInteractions: 100})
	for _, name := range []string{"Ping", "Pong"} {
		if err := n.DefineType(annette.Type{Name: name}); err != nil {
			log.Fatal(err)
		}
	}
	loop := annette.RewriteRule{Name: "loop", Left: annette.Pat("Ping"), Right: annette.Pat("Pong"),
		Body: []annette.Wire{annette.W(annette.A("Ping"), annette.A("Pong"))}}
	if err := n.AddRule(loop); err != nil {
		log.Fatal(err)
	}
	ping, err := n.AddAgent("Ping", nil)
	if err != nil {
		log.Fatal(err)
	}
	pong, err := n.AddAgent("Pong", nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Connect(ping.Main(), pong.Main()); err != nil {
		log.Fatal(err)
	}

	st, err := n.Reduce(context.Background())
	fmt.Println(err)
	fmt.Println(errors.Is(err, annette.ErrInteractionLimit))
	fmt.Println(st.Interactions, st.Live, n.Pending())
	// Output:
	// interaction limit reached (limit 100)
	// true
	// 100 2 1
}

// Read returns the term at an interface name as a tree of *Term values.
// This example sums the integers of the list [10,20,30].
func ExampleNetwork_Read() {
	n := annette.NewNetwork(annette.Config{})
	nilAgent, err := n.AddAgent("Nil", nil)
	if err != nil {
		log.Fatal(err)
	}
	tail := nilAgent.Main()
	for _, v := range []int64{30, 20, 10} {
		cons, err := n.AddAgent("Cons", nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := n.Connect(cons.Port("head"), n.Int(v)); err != nil {
			log.Fatal(err)
		}
		if err := n.Connect(cons.Port("tail"), tail); err != nil {
			log.Fatal(err)
		}
		tail = cons.Main()
	}
	if err := n.Connect(n.Name("xs"), tail); err != nil {
		log.Fatal(err)
	}

	t, err := n.Read("xs")
	if err != nil {
		log.Fatal(err)
	}
	var sum int64
	for t.Kind == annette.AgentTerm && t.Type == "Cons" {
		head := t.Args[0]
		if head.Kind == annette.IntTerm {
			sum += head.Int
		}
		t = t.Args[1]
	}
	fmt.Println(sum, t.Type)

	_, err = n.Read("ys")
	fmt.Println(errors.Is(err, annette.ErrUnknownName))
	// Output:
	// 60 Nil
	// true
}

// Text prints a term in the notation of the text language: lists in
// brackets, a list with an open tail with colons, tuples in parentheses,
// f() for a lower-case agent without ports, and <EMPTY> for a name with
// nothing connected.
func ExampleNetwork_Text() {
	n := annette.NewNetwork(annette.Config{})
	if err := n.DefineType(annette.Type{Name: "f"}); err != nil {
		log.Fatal(err)
	}
	// connect joins p and q and stops the example on an error.
	connect := func(p, q annette.Port) {
		if err := n.Connect(p, q); err != nil {
			log.Fatal(err)
		}
	}
	agent := func(typ string) annette.Agent {
		a, err := n.AddAgent(typ, nil)
		if err != nil {
			log.Fatal(err)
		}
		return a
	}

	// open: 1:xs, the list 1 in front of the name xs.
	cons := agent("Cons")
	connect(cons.Port("head"), n.Int(1))
	connect(cons.Port("tail"), n.Name("xs"))
	connect(n.Name("open"), cons.Main())

	// pair: (f(), 2).
	pair := agent("Tuple2")
	connect(pair.Port("e1"), agent("f").Main())
	connect(pair.Port("e2"), n.Int(2))
	connect(n.Name("pair"), pair.Main())

	// loose: a tuple whose two ports are wired to each other.
	loose := agent("Tuple2")
	connect(loose.Port("e1"), loose.Port("e2"))
	connect(n.Name("loose"), loose.Main())

	n.Name("unused")

	for _, name := range []string{"open", "pair", "loose", "unused"} {
		text, err := n.Text(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s = %s\n", name, text)
	}
	// Output:
	// open = 1:xs
	// pair = (f(),2)
	// loose = (<a1>,<a1>)
	// unused = <EMPTY>
}

// An action rule requests a word's length from an effect handler. The
// handler's result comes back into the net as an integer, which the
// built-in Add agent then adds to 100.
func ExampleRuleContext_Request() {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	err := h.Handle("text:length", func(_ context.Context, c *annette.EffectCall) (any, error) {
		return len(c.Payload.(string)), nil
	})
	if err != nil {
		log.Fatal(err)
	}

	n := annette.NewNetwork(annette.Config{Effects: h})
	if err := n.AddBuiltins(); err != nil {
		log.Fatal(err)
	}
	for _, t := range []annette.Type{
		{Name: "Length", Ports: []string{"main", "ret"}},
		{Name: "Word", Valued: true},
	} {
		if err := n.DefineType(t); err != nil {
			log.Fatal(err)
		}
	}
	// Length(ret) >< Word: ret ~ the length, from the handler.
	err = n.AddRule(annette.ActionRule{Name: "length", Left: "Length", Right: "Word",
		Action: func(c *annette.RuleContext) error {
			res, err := c.Request(annette.Effect{Type: "text:length", Payload: c.Right().Value()})
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("ret"), res)
		}})
	if err != nil {
		log.Fatal(err)
	}

	// Add(out, 100) ~ n, Length(n) ~ Word("interaction")
	add, _ := n.AddAgent("Add", nil)
	length, _ := n.AddAgent("Length", nil)
	word, _ := n.AddAgent("Word", "interaction")
	for _, c := range [][2]annette.Port{
		{add.Port("result"), n.Name("out")},
		{add.Port("operand"), n.Int(100)},
		{add.Main(), length.Port("ret")},
		{length.Main(), word.Main()},
	} {
		if err := n.Connect(c[0], c[1]); err != nil {
			log.Fatal(err)
		}
	}

	stats, err := n.Reduce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	out, _ := n.Text("out")
	fmt.Println(out, stats.Effects)
	// Output: 111 1
}

// An Interpreter runs a program in the text language. What the program
// prints goes to Stdout, the names it leaves can be read back from its
// network, and a run-time error carries the statement's position and
// matches the engine's errors.
func ExampleInterpreter() {
	var out strings.Builder
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out})
	if err != nil {
		log.Fatal(err)
	}
	defer ip.Close()

	src := `Double(r) >< (int n) => r ~ n * 2;
Double(x) ~ 21;
x;
`
	if err := ip.Run("double.in", []byte(src)); err != nil {
		log.Fatal(err)
	}
	// The first line has the interaction count and the time, which varies.
	timing, printed, _ := strings.Cut(out.String(), "\n")
	var count int
	if _, err := fmt.Sscanf(timing, "(%d interactions", &count); err != nil {
		log.Fatal(err)
	}
	fmt.Println("interactions:", count)
	fmt.Print(printed)
	x, err := ip.Network().Text("x")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("x =", x)

	err = ip.Run("missing.in", []byte("Half(y) ~ 8;\n"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, annette.ErrNoRule))
	// Output:
	// interactions: 1
	// 42
	// x = 42
	// missing.in:1:1: no rule for Half >< Int
	// true
}

// A ParallelNetwork is built like a Network and reduced by a pool of
// workers. This one sums the list [1..1000] with two rewrite rules that
// carry the running total as an integer attribute:
// Sum(r, int acc) >< [] => r ~ acc; Sum(r, int acc) >< (int x):xs =>
// Sum(r, acc + x) ~ xs. The result and the interaction count are those
// of the sequential reducer. In the default Auto mode a net this small
// is done within its first millisecond, before the second worker starts.
func ExampleNewParallelNetwork() {
	pn := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: 2})
	defer pn.Close()

	if err := pn.DefineType(annette.Type{Name: "Sum", Ports: []string{"main", "ret", "acc"}}); err != nil {
		log.Fatal(err)
	}
	rules := []annette.RewriteRule{{
		Left: annette.Pat("Sum", "r", "int acc"), Right: annette.Pat("Nil"),
		Body: []annette.Wire{annette.W(annette.V("r"), annette.V("acc"))},
	}, {
		Left: annette.Pat("Sum", "r", "int acc"), Right: annette.Pat("Cons", "int x", "xs"),
		Body: []annette.Wire{annette.W(
			annette.A("Sum", annette.V("r"), annette.Op("+", annette.V("acc"), annette.V("x"))),
			annette.V("xs"))},
	}}
	for _, r := range rules {
		if err := pn.AddRule(r); err != nil {
			log.Fatal(err)
		}
	}

	// Sum(total, 0) ~ [1, 2, ..., 1000], the list built from its end.
	list, err := pn.AddAgent("Nil", nil)
	if err != nil {
		log.Fatal(err)
	}
	tail := list.Main()
	for v := int64(1000); v >= 1; v-- {
		cons, err := pn.AddAgent("Cons", nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := pn.Connect(cons.Port("head"), pn.Int(v)); err != nil {
			log.Fatal(err)
		}
		if err := pn.Connect(cons.Port("tail"), tail); err != nil {
			log.Fatal(err)
		}
		tail = cons.Main()
	}
	sum, err := pn.AddAgent("Sum", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range [][2]annette.Port{
		{sum.Port("ret"), pn.Name("total")},
		{sum.Port("acc"), pn.Int(0)},
		{sum.Main(), tail},
	} {
		if err := pn.Connect(c[0], c[1]); err != nil {
			log.Fatal(err)
		}
	}

	stats, err := pn.Reduce(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	total, err := pn.Text("total")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(total, stats.Interactions, stats.Workers)
	// Output: 500500 1001 2
}
