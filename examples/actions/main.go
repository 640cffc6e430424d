// Command actions shows rules written as Go functions over agents that
// carry Go values, in the style of the Annette library: a list of Item
// agents, each holding a price, flows into a Total agent that adds the
// prices up.
//
//	go run ./examples/actions
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/annette-go/annette"
)

// item is the Go value an Item agent carries.
type item struct {
	Name  string
	Price int64
}

func main() {
	n := annette.NewNetwork(annette.Config{})
	check(n.DefineType(annette.Type{Name: "Item", Ports: []string{"main", "next"}, Valued: true}))
	check(n.DefineType(annette.Type{Name: "End"}))
	check(n.DefineType(annette.Type{Name: "Total", Ports: []string{"main", "out"}, Valued: true}))

	// Total(out) >< Item(next): add the price, then meet the next item.
	check(n.AddRule(annette.ActionRule{
		Name: "add-item", Left: "Total", Right: "Item",
		Action: func(c *annette.RuleContext) error {
			sum := c.Left().Value().(int64)
			it := c.Right().Value().(item)
			total, err := c.NewAgent("Total", sum+it.Price)
			if err != nil {
				return err
			}
			if err := c.Link(total.Port("out"), c.Left().Port("out")); err != nil {
				return err
			}
			return c.Link(total.Main(), c.Right().Port("next"))
		},
	}))
	// Total(out) >< End: the sum leaves as an integer.
	check(n.AddRule(annette.ActionRule{
		Name: "total-end", Left: "Total", Right: "End",
		Action: func(c *annette.RuleContext) error {
			return c.Link(c.Left().Port("out"), c.Int(c.Left().Value().(int64)))
		},
	}))

	// Total(sum) ~ Item(tea) -> Item(cake) -> Item(jam) -> End
	end, err := n.AddAgent("End", nil)
	check(err)
	tail := end.Main()
	for _, it := range []item{{"jam", 350}, {"cake", 420}, {"tea", 180}} {
		a, err := n.AddAgent("Item", it)
		check(err)
		check(n.Connect(a.Port("next"), tail))
		tail = a.Main()
	}
	total, err := n.AddAgent("Total", int64(0))
	check(err)
	check(n.Connect(total.Port("out"), n.Name("sum")))
	check(n.Connect(total.Main(), tail))

	st, err := n.Reduce(context.Background())
	check(err)
	sum, err := n.Text("sum")
	check(err)
	fmt.Printf("sum = %s (%d interactions)\n", sum, st.Interactions)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
