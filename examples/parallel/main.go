// Command parallel reduces the same net twice, once with the sequential
// reducer and once with every core, and prints both timings. The net
// grows a binary tree of 2^depth leaves and sums it; the two halves of
// every subtree can be reduced at the same time.
//
//	go run ./examples/parallel -depth 22
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"runtime"

	"github.com/annette-go/annette"
)

func main() {
	depth := flag.Int64("depth", 22, "tree depth; the tree has 2^depth leaves")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "number of workers")
	flag.Parse()
	if *depth < 1 || *depth > 28 {
		log.Fatalf("depth %d out of range: use 1 to 28", *depth)
	}

	seq := run(*depth, *workers, annette.Sequential)
	par := run(*depth, *workers, annette.Parallel)
	fmt.Printf("speedup: %.2fx\n", seq.Seconds()/par.Seconds())
}

// run builds the net on a parallel network, steps it once, reduces it
// in the given mode and prints what happened.
func run(depth int64, workers int, mode annette.ExecutionMode) interface{ Seconds() float64 } {
	// Create the parallel network: its worker pool starts now.
	pn := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: mode})
	defer pn.Close()

	// Agents and rules, as on any Network.
	for _, t := range []annette.Type{
		{Name: "Grow", Ports: []string{"main", "t"}},
		{Name: "Leaf", Ports: []string{"main", "v"}},
		{Name: "Fork", Ports: []string{"main", "l", "r"}},
		{Name: "Fold", Ports: []string{"main", "s"}},
		{Name: "Plus", Ports: []string{"main", "s", "y"}},
		{Name: "Plus2", Ports: []string{"main", "s", "x"}},
	} {
		check(pn.DefineType(t))
	}
	for _, r := range treeRules() {
		check(pn.AddRule(r))
	}
	grow, err := pn.AddAgent("Grow", nil)
	check(err)
	fold, err := pn.AddAgent("Fold", nil)
	check(err)
	check(pn.Connect(grow.Main(), pn.Int(depth)))
	check(pn.Connect(grow.Port("t"), fold.Main()))
	check(pn.Connect(fold.Port("s"), pn.Name("total")))

	// One bulk-synchronous step, then the pool's status.
	ctx := context.Background()
	n, err := pn.Step(ctx)
	check(err)
	status := pn.Pool().Status()
	fmt.Printf("%-10s first step: %d interaction(s); pool: %d workers, %d busy, %d queued\n",
		name(mode), n, status.Total, status.Busy, status.Queued)

	// Reduce to normal form.
	st, err := pn.Reduce(ctx)
	check(err)
	total, err := pn.Text("total")
	check(err)
	fmt.Printf("%-10s total = %s: %d interactions in %v (%.1f million per second) on %d worker(s)\n",
		name(mode), total, st.Interactions+int64(n), st.Elapsed,
		float64(st.Interactions)/st.Elapsed.Seconds()/1e6, active(st))
	return st.Elapsed
}

// active returns how many workers carried out interactions.
func active(st annette.ParallelStats) int {
	k := 0
	for _, c := range st.PerWorker {
		if c > 0 {
			k++
		}
	}
	return k
}

func name(m annette.ExecutionMode) string {
	if m == annette.Sequential {
		return "sequential"
	}
	return "parallel"
}

// treeRules are the rules of the tree sum:
//
//	Grow(t) >< (int d) | d == 0 => t ~ Leaf(1)
//	                   | _      => t ~ Fork(l, r), Grow(l) ~ (d-1), Grow(r) ~ (d-1);
//	Fold(s) >< Leaf(int v) => s ~ v;
//	Fold(s) >< Fork(l, r)  => Plus(s, sr) ~ sl, Fold(sl) ~ l, Fold(sr) ~ r;
//	Plus(s, y) >< (int x)      => Plus2(s, x) ~ y;
//	Plus2(s, int x) >< (int y) => s ~ (x + y);
func treeRules() []annette.Rule {
	V, A, N, W, Op, Pat := annette.V, annette.A, annette.N, annette.W, annette.Op, annette.Pat
	return []annette.Rule{
		annette.RewriteRule{Name: "grow", Left: Pat("Grow", "t"), Right: Pat("Int", "d"),
			Cases: []annette.Case{
				{Guard: annette.Ptr(Op("==", V("d"), N(0))), Body: []annette.Wire{W(V("t"), A("Leaf", N(1)))}},
				{Body: []annette.Wire{
					W(V("t"), A("Fork", V("l"), V("r"))),
					W(A("Grow", V("l")), Op("-", V("d"), N(1))),
					W(A("Grow", V("r")), Op("-", V("d"), N(1))),
				}},
			}},
		annette.RewriteRule{Name: "fold-leaf", Left: Pat("Fold", "s"), Right: Pat("Leaf", "int v"),
			Body: []annette.Wire{W(V("s"), V("v"))}},
		annette.RewriteRule{Name: "fold-fork", Left: Pat("Fold", "s"), Right: Pat("Fork", "l", "r"),
			Body: []annette.Wire{
				W(A("Plus", V("s"), V("sr")), V("sl")),
				W(A("Fold", V("sl")), V("l")),
				W(A("Fold", V("sr")), V("r")),
			}},
		annette.RewriteRule{Name: "plus", Left: Pat("Plus", "s", "y"), Right: Pat("Int", "x"),
			Body: []annette.Wire{W(A("Plus2", V("s"), V("x")), V("y"))}},
		annette.RewriteRule{Name: "plus2", Left: Pat("Plus2", "s", "int x"), Right: Pat("Int", "y"),
			Body: []annette.Wire{W(V("s"), Op("+", V("x"), V("y")))}},
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
