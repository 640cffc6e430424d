package annette_test

import (
	"context"
	"fmt"
	"log"

	"github.com/annette-go/annette"
)

// A plugin host with the parallel plugin: the plugin makes parallel
// networks on one shared pool, and their events reach the host's
// listeners.
func ExamplePluginHost() {
	host := annette.NewPluginHost(annette.PluginHostConfig{})
	// Close closes the plugin, its networks and its pool.
	defer host.Close()

	par := annette.NewParallelPlugin(annette.ParallelPluginConfig{
		Pool: annette.PoolConfig{Workers: 2},
	})
	if err := host.Use(par); err != nil {
		log.Fatal(err)
	}
	host.Subscribe(annette.EventReduce, func(ev annette.Event) {
		run := ev.Data.(annette.ReduceEvent)
		fmt.Println(ev.Source, "reduced in", run.Stats.Interactions, "interactions")
	})

	// Add(r, y) >< Z    => r ~ y;
	// Add(r, y) >< S(x) => r ~ S(w), Add(w, y) ~ x;
	n, err := par.NewNetwork(annette.Config{})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range []annette.Type{
		{Name: "Z"},
		{Name: "S", Ports: []string{"main", "pred"}},
		{Name: "Add", Ports: []string{"main", "ret", "y"}},
	} {
		if err := n.DefineType(t); err != nil {
			log.Fatal(err)
		}
	}
	rules := []annette.Rule{
		annette.RewriteRule{
			Left: annette.Pat("Add", "r", "y"), Right: annette.Pat("Z"),
			Body: []annette.Wire{annette.W(annette.V("r"), annette.V("y"))},
		},
		annette.RewriteRule{
			Left: annette.Pat("Add", "r", "y"), Right: annette.Pat("S", "x"),
			Body: []annette.Wire{
				annette.W(annette.V("r"), annette.A("S", annette.V("w"))),
				annette.W(annette.A("Add", annette.V("w"), annette.V("y")), annette.V("x")),
			},
		},
	}
	for _, r := range rules {
		if err := n.AddRule(r); err != nil {
			log.Fatal(err)
		}
	}

	// Add(out, S(Z)) ~ S(S(Z)): 2 + 1.
	num := func(k int) annette.Port {
		z, _ := n.AddAgent("Z", nil)
		p := z.Main()
		for range k {
			s, _ := n.AddAgent("S", nil)
			n.Connect(s.Port("pred"), p)
			p = s.Main()
		}
		return p
	}
	add, _ := n.AddAgent("Add", nil)
	n.Connect(add.Port("ret"), n.Name("out"))
	n.Connect(add.Port("y"), num(1))
	n.Connect(add.Main(), num(2))

	if _, err := n.Reduce(context.Background()); err != nil {
		log.Fatal(err)
	}
	out, _ := n.Text("out")
	fmt.Println(out, "on a pool of", par.Pool().Workers(), "workers")
	// Output:
	// parallel/1 reduced in 3 interactions
	// S(S(S(Z))) on a pool of 2 workers
}
