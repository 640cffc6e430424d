// Command warehouse shows action rules that change Go state outside the
// net, kept apart by the keys they declare. Orders meet a desk; each
// order takes its items from the stock of one product and adds their
// price to its customer's bill. Both live in plain Go maps without locks
// of their own: each rule declares the product and the customer it
// writes (ActionRule.Access), and the product prices it only reads
// (ActionRule.Reads).
//
// The program runs the same orders on a sequential Network, on a
// ParallelNetwork with Reduce, and with a loop of Step calls, in which
// the rule dependency analyzer splits each round's orders into batches
// that do not conflict. The stock and the bills must come out the same
// every time.
//
// With no work per order (-work 0), the locks cost more than two workers
// gain. The more work an order takes outside the shared state, the
// closer two workers come to twice the speed of one. Step runs the
// orders of one product in separate batches, one after another, so with
// few products its rounds are long chains of small batches.
//
//	go run ./examples/warehouse -orders 10000 -work 20us
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"maps"
	"strings"
	"time"

	"github.com/annette-go/annette"
)

// order is the Go value of an Order agent.
type order struct {
	Customer string
	Product  string
	Qty      int64
}

// warehouse is the state that the rules change. Its maps are filled
// before a run and only read during it; the values they point to change
// under the keys the rules declare.
type warehouse struct {
	prices map[string]int64  // read only, under the key "prices"
	stock  map[string]*int64 // written under "stock:" + product
	bills  map[string]*int64 // written under "bill:" + customer
}

func newWarehouse(products, customers int) *warehouse {
	w := &warehouse{prices: map[string]int64{}, stock: map[string]*int64{}, bills: map[string]*int64{}}
	for i := range products {
		name := fmt.Sprintf("p%02d", i)
		w.prices[name] = int64(100 + 7*i)
		w.stock[name] = new(int64)
		*w.stock[name] = 1_000_000
	}
	for i := range customers {
		w.bills[fmt.Sprintf("c%03d", i)] = new(int64)
	}
	return w
}

// snapshot returns the stock and the bills as plain numbers.
func (w *warehouse) snapshot() map[string]int64 {
	out := map[string]int64{}
	for k, v := range w.stock {
		out["stock:"+k] = *v
	}
	for k, v := range w.bills {
		out["bill:"+k] = *v
	}
	return out
}

// rule returns the rule Order >< Desk for w. Each call first spends
// work on the order (checking it, say) without touching shared state,
// then updates the stock and the bill.
func (w *warehouse) rule(work time.Duration) annette.Rule {
	return annette.ActionRule{
		Name: "fill", Left: "Order", Right: "Desk",
		Reads: []string{"prices"},
		Access: func(left, _ annette.Agent) annette.Access {
			o := left.Value().(order)
			return annette.Access{Writes: []string{"stock:" + o.Product, "bill:" + o.Customer}}
		},
		Action: func(c *annette.RuleContext) error {
			o := c.Left().Value().(order)
			for end := time.Now().Add(work); time.Now().Before(end); {
			}
			*w.stock[o.Product] -= o.Qty
			*w.bills[o.Customer] += o.Qty * w.prices[o.Product]
			return nil
		},
	}
}

// network is the part of a Network or a ParallelNetwork that the three
// runs use.
type network interface {
	DefineType(annette.Type) error
	AddRule(annette.Rule) error
	AddAgent(string, any) (annette.Agent, error)
	Connect(p, q annette.Port) error
}

// build defines the types and the rule on n and adds one Order ~ Desk
// pair per order.
func build(n network, w *warehouse, orders []order, work time.Duration) {
	check(n.DefineType(annette.Type{Name: "Order", Valued: true}))
	check(n.DefineType(annette.Type{Name: "Desk"}))
	check(n.AddRule(w.rule(work)))
	for _, o := range orders {
		a, err := n.AddAgent("Order", o)
		check(err)
		d, err := n.AddAgent("Desk", nil)
		check(err)
		check(n.Connect(a.Main(), d.Main()))
	}
}

func main() {
	count := flag.Int("orders", 10000, "orders")
	products := flag.Int("products", 12, "products")
	customers := flag.Int("customers", 300, "customers")
	workers := flag.Int("workers", 0, "workers (0: one per core)")
	work := flag.Duration("work", 20*time.Microsecond, "work per order outside the shared state")
	flag.Parse()
	if *count < 1 || *products < 1 || *customers < 1 {
		log.Fatalf("invalid sizes: -orders, -products and -customers must be 1 or more")
	}
	orders := make([]order, *count)
	for i := range orders {
		orders[i] = order{
			Customer: fmt.Sprintf("c%03d", (i*31)%*customers),
			Product:  fmt.Sprintf("p%02d", (i*7)%*products),
			Qty:      int64(1 + i%5),
		}
	}
	ctx := context.Background()

	// The oracle: one goroutine, one call at a time.
	w := newWarehouse(*products, *customers)
	n := annette.NewNetwork(annette.Config{})
	build(n, w, orders, *work)
	start := time.Now()
	st, err := n.Reduce(ctx)
	check(err)
	want := w.snapshot()
	fmt.Printf("sequential:        %d orders in %v\n", st.Interactions, time.Since(start).Round(time.Microsecond))

	// Reduce on all workers: each call holds locks on its keys.
	w = newWarehouse(*products, *customers)
	p := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: *workers, Mode: annette.Parallel})
	build(p, w, orders, *work)
	start = time.Now()
	ps, err := p.Reduce(ctx)
	check(err)
	fmt.Printf("parallel Reduce:   %d orders in %v by %d workers, per worker %v, same result: %v\n",
		ps.Interactions, time.Since(start).Round(time.Microsecond), ps.Workers, ps.PerWorker, maps.Equal(w.snapshot(), want))
	check(p.Close())

	// Step rounds: the analyzer splits each round's orders into batches
	// of calls with no key in common, run one after another.
	w = newWarehouse(*products, *customers)
	p = annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: *workers, MinBatch: 1})
	build(p, w, orders, *work)
	start = time.Now()
	var done, rounds int
	for {
		k, err := p.Step(ctx)
		check(err)
		if k == 0 {
			break
		}
		done += k
		rounds++
	}
	as := p.Analyzer().Stats()
	fmt.Printf("parallel Step:     %d orders in %v, %s, %s, same result: %v\n",
		done, time.Since(start).Round(time.Microsecond), countOf(rounds, "round"), countOf(int(as.Batches), "batch"), maps.Equal(w.snapshot(), want))
	check(p.Close())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// countOf returns n and the noun, in the plural unless n is 1.
func countOf(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "ch"):
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
