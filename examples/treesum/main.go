// Command treesum grows a full binary tree of 2^depth leaves, each
// holding 1, and sums it, all by interactions. It prints the sum, the
// number of interactions and their rate.
//
//	go run ./examples/treesum -depth 20
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"github.com/annette-go/annette"
)

func main() {
	depth := flag.Int64("depth", 20, "tree depth; the tree has 2^depth leaves")
	flag.Parse()
	if *depth < 0 || *depth > 30 {
		log.Fatalf("depth %d out of range: use 0 to 30", *depth)
	}

	n := annette.NewNetwork(annette.Config{})
	for _, t := range []annette.Type{
		{Name: "Grow", Ports: []string{"main", "t"}},
		{Name: "Leaf", Ports: []string{"main", "v"}},
		{Name: "Fork", Ports: []string{"main", "l", "r"}},
		{Name: "Fold", Ports: []string{"main", "s"}},
		{Name: "Plus", Ports: []string{"main", "s", "y"}},
		{Name: "Plus2", Ports: []string{"main", "s", "x"}},
	} {
		check(n.DefineType(t))
	}
	V, A, N, W, Op := annette.V, annette.A, annette.N, annette.W, annette.Op

	// Grow(t) >< (int d) | d == 0 => t ~ Leaf(1)
	//                    | _      => t ~ Fork(l, r), Grow(l) ~ (d-1), Grow(r) ~ (d-1);
	check(n.AddRule(annette.RewriteRule{
		Name: "grow", Left: annette.Pat("Grow", "t"), Right: annette.Pat("Int", "d"),
		Cases: []annette.Case{
			{Guard: annette.Ptr(Op("==", V("d"), N(0))), Body: []annette.Wire{W(V("t"), A("Leaf", N(1)))}},
			{Body: []annette.Wire{
				W(V("t"), A("Fork", V("l"), V("r"))),
				W(A("Grow", V("l")), Op("-", V("d"), N(1))),
				W(A("Grow", V("r")), Op("-", V("d"), N(1))),
			}},
		},
	}))
	// Fold(s) >< Leaf(int v) => s ~ v;
	check(n.AddRule(annette.RewriteRule{
		Name: "fold-leaf", Left: annette.Pat("Fold", "s"), Right: annette.Pat("Leaf", "int v"),
		Body: []annette.Wire{W(V("s"), V("v"))},
	}))
	// Fold(s) >< Fork(l, r) => Plus(s, sr) ~ sl, Fold(sl) ~ l, Fold(sr) ~ r;
	check(n.AddRule(annette.RewriteRule{
		Name: "fold-fork", Left: annette.Pat("Fold", "s"), Right: annette.Pat("Fork", "l", "r"),
		Body: []annette.Wire{
			W(A("Plus", V("s"), V("sr")), V("sl")),
			W(A("Fold", V("sl")), V("l")),
			W(A("Fold", V("sr")), V("r")),
		},
	}))
	// Plus(s, y) >< (int x) => Plus2(s, x) ~ y;
	check(n.AddRule(annette.RewriteRule{
		Name: "plus", Left: annette.Pat("Plus", "s", "y"), Right: annette.Pat("Int", "x"),
		Body: []annette.Wire{W(A("Plus2", V("s"), V("x")), V("y"))},
	}))
	// Plus2(s, int x) >< (int y) => s ~ (x + y);
	check(n.AddRule(annette.RewriteRule{
		Name: "plus2", Left: annette.Pat("Plus2", "s", "int x"), Right: annette.Pat("Int", "y"),
		Body: []annette.Wire{W(V("s"), Op("+", V("x"), V("y")))},
	}))

	// Grow(tree) ~ depth, Fold(total) ~ tree
	grow, err := n.AddAgent("Grow", nil)
	check(err)
	fold, err := n.AddAgent("Fold", nil)
	check(err)
	check(n.Connect(grow.Main(), n.Int(*depth)))
	check(n.Connect(grow.Port("t"), fold.Main()))
	check(n.Connect(fold.Port("s"), n.Name("total")))

	st, err := n.Reduce(context.Background())
	check(err)
	total, err := n.Text("total")
	check(err)
	fmt.Printf("total = %s\n", total)
	fmt.Printf("%d interactions in %v (%.1f million per second), peak %d live agents\n",
		st.Interactions, st.Elapsed, float64(st.Interactions)/st.Elapsed.Seconds()/1e6, st.PeakLive)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
