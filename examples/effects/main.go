// Command effects shows action rules that reach outside the net through
// effects. An order of many lines is summed as a tree: each line requests
// its item's price from a price catalog (a Request, whose result comes back
// into the net) and writes an audit record (an Emit). The catalog stands
// for a remote service with a fixed cost per call, so the effect handler
// requests a whole batch of prices at once, while the workers go on
// reducing.
//
// The program sums the order twice: once with the effects, and once
// with rules that call the catalog themselves, one price per call, and
// prints both timings.
//
//	go run ./examples/effects -lines 2000 -latency 1ms
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/annette-go/annette"
)

// line is the Go value a Line agent carries.
type line struct {
	Item string
	Qty  int64
}

// catalog simulates a remote price service: every call costs latency,
// however many prices it returns.
type catalog struct {
	latency time.Duration
	prices  map[string]int64
	calls   int
}

func (c *catalog) lookUp(items ...string) []int64 {
	time.Sleep(c.latency)
	c.calls++
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = c.prices[it]
	}
	return out
}

func main() {
	lines := flag.Int("lines", 2000, "number of lines in the order")
	latency := flag.Duration("latency", time.Millisecond, "cost of one call to the catalog")
	workers := flag.Int("workers", 0, "workers (0: one per core)")
	flag.Parse()
	if *lines < 1 {
		log.Fatalf("invalid -lines %d: an order needs 1 line or more", *lines)
	}

	items := []string{"tea", "cake", "jam", "bread", "milk", "eggs", "rice", "soap"}
	prices := map[string]int64{}
	for i, it := range items {
		prices[it] = int64(100 + 35*i)
	}
	order := make([]line, *lines)
	var want int64
	for i := range order {
		order[i] = line{Item: items[(i*5)%len(items)], Qty: int64(1 + i%4)}
		want += prices[order[i].Item] * order[i].Qty
	}

	// With effects: the catalog handles batches of requests.
	cat := &catalog{latency: *latency, prices: prices}
	audit := map[string]int{}
	h := annette.NewEffectHandler(annette.EffectConfig{})
	check(h.HandleBatch("catalog:price", func(_ context.Context, calls []*annette.EffectCall) ([]any, error) {
		names := make([]string, len(calls))
		for i, c := range calls {
			names[i] = c.Payload.(string)
		}
		out := make([]any, len(calls))
		for i, p := range cat.lookUp(names...) {
			out[i] = p
		}
		return out, nil
	}))
	// Calls of one handler never overlap, so audit needs no lock.
	check(h.Handle("audit", func(_ context.Context, c *annette.EffectCall) (any, error) {
		audit[c.Payload.(string)]++
		return nil, nil
	}))
	total, st, took := sumOrder(order, *workers, h, nil)
	check(h.Close())
	fmt.Printf("with effects:     total %d in %v, %d interactions by %s, %d effects, %d catalog calls\n",
		total, took.Round(time.Millisecond), st.Interactions, workerCount(st.Workers), st.Effects, cat.calls)
	fmt.Printf("                  audit: %d lines of tea, %d of cake\n", audit["tea"], audit["cake"])

	// Without effects: every rule calls the catalog itself.
	direct := &catalog{latency: *latency, prices: prices}
	total2, st2, took2 := sumOrder(order, *workers, nil, direct)
	fmt.Printf("direct calls:     total %d in %v, %d interactions by %s, %d catalog calls\n",
		total2, took2.Round(time.Millisecond), st2.Interactions, workerCount(st2.Workers), direct.calls)
	if total != want || total2 != want {
		log.Fatalf("wrong totals %d (effects) and %d (direct calls), want %d", total, total2, want)
	}
}

// sumOrder sums the order as a tree of Fork agents with a Line at each
// leaf. With h set, a line's price comes from a Request to h. Otherwise
// the rule calls direct itself, on one worker, because direct's counter
// is not safe for concurrent use.
func sumOrder(order []line, workers int, h *annette.EffectHandler, direct *catalog) (int64, annette.ParallelStats, time.Duration) {
	if direct != nil {
		workers = 1
	}
	p := annette.NewParallelNetwork(annette.Config{Effects: h}, annette.ParallelConfig{Workers: workers})
	defer p.Close()
	check(p.DefineType(annette.Type{Name: "Line", Valued: true}))
	check(p.DefineType(annette.Type{Name: "Fork", Ports: []string{"main", "l", "r"}}))
	check(p.DefineType(annette.Type{Name: "Cost", Ports: []string{"main", "s"}}))
	check(p.DefineType(annette.Type{Name: "Scale", Ports: []string{"main", "s", "q"}}))
	check(p.DefineType(annette.Type{Name: "Plus", Ports: []string{"main", "s", "y"}}))
	check(p.DefineType(annette.Type{Name: "Plus2", Ports: []string{"main", "s", "x"}}))

	V, A, W := annette.V, annette.A, annette.W
	rules := []annette.Rule{
		// Cost(s) >< Fork(l, r) => Plus(s, sr) ~ sl, Cost(sl) ~ l, Cost(sr) ~ r;
		annette.RewriteRule{Left: annette.Pat("Cost", "s"), Right: annette.Pat("Fork", "l", "r"), Body: []annette.Wire{
			W(A("Plus", V("s"), V("sr")), V("sl")),
			W(A("Cost", V("sl")), V("l")),
			W(A("Cost", V("sr")), V("r")),
		}},
		// Scale(s, int q) >< (int p) => s ~ q * p;
		annette.RewriteRule{Left: annette.Pat("Scale", "s", "int q"), Right: annette.Pat("Int", "p"), Body: []annette.Wire{
			W(V("s"), annette.Op("*", V("q"), V("p"))),
		}},
		// Plus(s, y) >< (int x) => Plus2(s, x) ~ y;
		annette.RewriteRule{Left: annette.Pat("Plus", "s", "y"), Right: annette.Pat("Int", "x"), Body: []annette.Wire{
			W(A("Plus2", V("s"), V("x")), V("y")),
		}},
		// Plus2(s, int x) >< (int y) => s ~ x + y;
		annette.RewriteRule{Left: annette.Pat("Plus2", "s", "int x"), Right: annette.Pat("Int", "y"), Body: []annette.Wire{
			W(V("s"), annette.Op("+", V("x"), V("y"))),
		}},
		// Cost(s) >< Line: s ~ the line's quantity times its item's price.
		annette.ActionRule{Name: "cost-line", Left: "Cost", Right: "Line", Action: func(c *annette.RuleContext) error {
			ln := c.Right().Value().(line)
			var price annette.Port
			if direct != nil {
				price = c.Int(direct.lookUp(ln.Item)[0])
			} else {
				var err error
				if price, err = c.Request(annette.Effect{Type: "catalog:price", Payload: ln.Item}); err != nil {
					return err
				}
				if err := c.Emit(annette.Effect{Type: "audit", Payload: ln.Item}); err != nil {
					return err
				}
			}
			sc, err := c.NewAgent("Scale", nil)
			if err != nil {
				return err
			}
			for _, l := range [][2]annette.Port{
				{sc.Port("s"), c.Left().Port("s")},
				{sc.Port("q"), c.Int(ln.Qty)},
				{sc.Main(), price},
			} {
				if err := c.Link(l[0], l[1]); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, r := range rules {
		check(p.AddRule(r))
	}

	cost, err := p.AddAgent("Cost", nil)
	check(err)
	check(p.Connect(cost.Port("s"), p.Name("total")))
	check(p.Connect(cost.Main(), buildTree(p, order)))

	start := time.Now()
	st, err := p.Reduce(context.Background())
	check(err)
	took := time.Since(start)
	t, err := p.Read("total")
	check(err)
	return t.Int, st, took
}

// buildTree builds a balanced tree of Fork agents over the lines and
// returns its root's principal port.
func buildTree(p *annette.ParallelNetwork, order []line) annette.Port {
	if len(order) == 1 {
		a, err := p.AddAgent("Line", order[0])
		check(err)
		return a.Main()
	}
	f, err := p.AddAgent("Fork", nil)
	check(err)
	mid := len(order) / 2
	check(p.Connect(f.Port("l"), buildTree(p, order[:mid])))
	check(p.Connect(f.Port("r"), buildTree(p, order[mid:])))
	return f.Main()
}

// workerCount returns "1 worker" or "k workers".
func workerCount(k int) string {
	if k == 1 {
		return "1 worker"
	}
	return fmt.Sprintf("%d workers", k)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
