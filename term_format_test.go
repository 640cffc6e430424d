package annette

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// termBuilder builds random terms in a network through the public API.
type termBuilder struct {
	t     *rapid.T
	n     *Network
	loose []Port // auxiliary ports waiting for a wire to another one
	names int
}

// build makes a random term of at most depth levels and returns the port
// that leads to it: a principal port, an integer, or an open name.
func (b *termBuilder) build(depth int) Port {
	t := b.t
	kind := rapid.IntRange(0, 9).Draw(t, "kind")
	if depth == 0 {
		kind = rapid.IntRange(0, 2).Draw(t, "leaf")
	}
	agent := func(typ string, args ...func() Port) Port {
		a, err := b.n.AddAgent(typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := b.n.TypeOf(typ)
		for i, arg := range args {
			port := a.Port(info.Ports[i+1])
			if arg == nil {
				// A wire to another port of the term, or a name.
				b.loose = append(b.loose, port)
				continue
			}
			if err := b.n.Connect(port, arg()); err != nil {
				t.Fatal(err)
			}
		}
		return a.Main()
	}
	sub := func() Port { return b.build(depth - 1) }
	switch kind {
	case 0:
		return b.n.Int(rapid.Int64Range(-5, 5).Draw(t, "int"))
	case 1:
		return agent(rapid.SampledFrom([]string{"Nil", "Z", "zero", "Tuple0"}).Draw(t, "const"))
	case 2:
		b.names++
		return b.n.Name(fmt.Sprintf("open%d", b.names))
	case 3, 4, 5:
		// A list of a few cells with any tail.
		cells := rapid.IntRange(1, 6).Draw(t, "cells")
		tail := sub
		if rapid.Bool().Draw(t, "proper") {
			tail = func() Port { return agent("Nil") }
		}
		var list func(k int) Port
		list = func(k int) Port {
			if k == 0 {
				return tail()
			}
			return agent("Cons", sub, func() Port { return list(k - 1) })
		}
		return list(cells)
	case 6:
		return agent("Tuple2", sub, sub)
	case 7:
		return agent("Tuple3", sub, sub, sub)
	case 8:
		return agent("Pair", sub, nil)
	}
	return agent("f", sub)
}

// TestFormatPortMatchesFormat checks that printing a term straight from
// the net gives what Format gives for the term Read returns, with and
// without cut lists and open tails. The random terms hold lists, tuples,
// integers, names and wires between their own ports.
func TestFormatPortMatchesFormat(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := NewNetwork(Config{})
		must := func(err error) {
			if err != nil {
				rt.Fatal(err)
			}
		}
		must(n.AddBuiltins())
		must(n.DefineType(Type{Name: "Z"}))
		must(n.DefineType(Type{Name: "zero"}))
		must(n.DefineType(Type{Name: "f", Ports: []string{"main", "x"}}))
		must(n.DefineType(Type{Name: "Pair", Ports: []string{"main", "x", "y"}}))
		b := &termBuilder{t: rt, n: n}
		must(n.Connect(n.Name("root"), b.build(4)))
		// Join the loose ports in pairs, the last one to a name.
		for len(b.loose) >= 2 {
			must(n.Connect(b.loose[0], b.loose[1]))
			b.loose = b.loose[2:]
		}
		if len(b.loose) == 1 {
			must(n.Connect(b.loose[0], n.Name("last")))
		}
		cell := n.w.Cell(n.names["root"].cell)
		for _, opt := range []PrintOptions{{}, {MaxList: 31, OpenTail: true}, {MaxList: 2, OpenTail: true}, {MaxList: 3}} {
			// Read first: it hands out the wire labels, which formatPort
			// then finds.
			term, err := n.readPort(context.Background(), cell)
			must(err)
			want := term.Format(opt)
			got, err := n.formatPort(context.Background(), cell, opt)
			must(err)
			if got != want {
				rt.Fatalf("options %+v: formatPort gives\n%s\nFormat gives\n%s", opt, got, want)
			}
		}
	})
}

// TestFormatPortDeepAndLong checks a term a million agents deep, which
// printing reaches without recursion, and a list of a million cells cut
// after 31, whose end decides the brackets.
func TestFormatPortDeepAndLong(t *testing.T) {
	n := NewNetwork(Config{})
	if err := n.AddBuiltins(); err != nil {
		t.Fatal(err)
	}
	if err := n.DefineType(Type{Name: "S", Ports: []string{"main", "pred"}}); err != nil {
		t.Fatal(err)
	}
	const depth = 1_000_000
	next := n.Name("deep")
	for range depth {
		s, err := n.AddAgent("S", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Connect(next, s.Main()); err != nil {
			t.Fatal(err)
		}
		next = s.Port("pred")
	}
	if err := n.Connect(next, n.Int(0)); err != nil {
		t.Fatal(err)
	}
	got, err := n.Text("deep")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("S(", depth) + "0" + strings.Repeat(")", depth); got != want {
		t.Errorf("deep term: %d bytes, want %d", len(got), len(want))
	}

	next = n.Name("long")
	for i := range depth {
		c, err := n.AddAgent("Cons", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Connect(next, c.Main()); err != nil {
			t.Fatal(err)
		}
		if err := n.Connect(c.Port("head"), n.Int(int64(i))); err != nil {
			t.Fatal(err)
		}
		next = c.Port("tail")
	}
	if err := n.Connect(next, n.Name("rest")); err != nil {
		t.Fatal(err)
	}
	opt := PrintOptions{MaxList: 31, OpenTail: true}
	got, err = n.textContext(context.Background(), "long", opt)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("[")
	for i := range 31 {
		if i > 0 {
			want.WriteString(",")
		}
		fmt.Fprint(&want, i)
	}
	want.WriteString(",...,rest...")
	if got != want.String() {
		t.Errorf("long list prints %q, want %q", got, want.String())
	}
}
