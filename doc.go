// Package annette evaluates interaction nets.
//
// An interaction net is a graph of agents. Each agent has a type, one
// principal port and a fixed number of auxiliary ports, and wires join
// ports one to one. Two agents joined by their principal ports form an
// active pair; the rule for their two types replaces them by a new
// sub-net wired to their auxiliary ports. A [Network] holds the agent
// types, the rules and the net, and [Network.Reduce] applies rules until
// no active pair is left. Interaction nets are strongly confluent: the
// result and the number of interactions do not depend on the order in
// which active pairs are reduced.
//
// Rules come in two forms. A [RewriteRule] is a template compiled once
// when it is added, with integer attributes, expressions and guarded
// cases; carrying it out allocates nothing but agents. An [ActionRule] is
// a Go function that sees the two agents through a [RuleContext].
// Integers travel on wires without agents of their own, as 64-bit values
// with two's complement arithmetic.
//
// Interface names ([Network.Name]) are the free ports of a net: connect
// them before reducing and read back what is attached to them afterwards
// with [Network.Read] or [Network.Text]. [Network.Take] hands a result on
// to a new net: it removes the name and returns a port for what the name
// was connected to.
//
// # Example
//
// Unary addition: Add(r, y) ~ x computes r = x + y on numbers built from
// Z and S.
//
//	n := annette.NewNetwork(annette.Config{})
//	n.DefineType(annette.Type{Name: "Z"})
//	n.DefineType(annette.Type{Name: "S", Ports: []string{"main", "pred"}})
//	n.DefineType(annette.Type{Name: "Add", Ports: []string{"main", "ret", "y"}})
//
//	// Add(r, y) >< Z    => r ~ y;
//	// Add(r, y) >< S(x) => r ~ S(w), Add(w, y) ~ x;
//	n.AddRule(annette.RewriteRule{
//		Left: annette.Pat("Add", "r", "y"), Right: annette.Pat("Z"),
//		Body: []annette.Wire{annette.W(annette.V("r"), annette.V("y"))},
//	})
//	n.AddRule(annette.RewriteRule{
//		Left: annette.Pat("Add", "r", "y"), Right: annette.Pat("S", "x"),
//		Body: []annette.Wire{
//			annette.W(annette.V("r"), annette.A("S", annette.V("w"))),
//			annette.W(annette.A("Add", annette.V("w"), annette.V("y")), annette.V("x")),
//		},
//	})
//
//	// Add(out, S(Z)) ~ S(Z)
//	one := func() annette.Port {
//		z, _ := n.AddAgent("Z", nil)
//		s, _ := n.AddAgent("S", nil)
//		n.Connect(s.Port("pred"), z.Main())
//		return s.Main()
//	}
//	add, _ := n.AddAgent("Add", nil)
//	n.Connect(add.Port("ret"), n.Name("out"))
//	n.Connect(add.Port("y"), one())
//	n.Connect(add.Main(), one())
//
//	stats, err := n.Reduce(context.Background())
//	if err != nil {
//		log.Fatal(err)
//	}
//	out, _ := n.Text("out")
//	fmt.Println(out, stats.Interactions) // S(S(Z)) 2
//
// # Parallel reduction
//
// A [ParallelNetwork] is a Network reduced by several goroutines of a
// [WorkerPool] at once. It gives the same results and the same number of
// interactions as the sequential reducer at every worker count, except
// where a result depends on the order of the interactions: rand, the
// built-in Merger and action rules that read shared Go state (see
// ParallelNetwork). In its
// default Auto mode it reduces sequentially for a millisecond and then
// until enough active pairs are pending, so neither a small net nor a
// computation with no parallel work loses time to the other workers.
//
//	pn := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{})
//	defer pn.Close()
//	// define types and rules, add agents, as on a Network ...
//	stats, err := pn.Reduce(ctx)
//	fmt.Println(stats.PerWorker, pn.Pool().Status())
//
// # Effects
//
// An action rule that must reach outside the net (write a log line,
// read a database, call a service) requests an [Effect] instead of
// doing it itself. [RuleContext.Emit] requests an effect whose result
// the net does not need. [RuleContext.Request] requests one whose result
// comes back into the net through a port that the rule links like any
// other. An [EffectHandler], given to the network in [Config.Effects],
// runs the effects on goroutines of its own, batched by type and ordered
// by priority, while the workers go on reducing the rest of the net.
// Handlers are registered by type: an effect of type "db:read" goes to
// the handler for "db:read", or else to the one for "db", or else to the
// one for "*".
//
//	h := annette.NewEffectHandler(annette.EffectConfig{})
//	defer h.Close()
//	h.Handle("price", func(ctx context.Context, c *annette.EffectCall) (any, error) {
//		return lookUpPrice(ctx, c.Payload.(string)) // an int64 goes back into the net
//	})
//	n := annette.NewNetwork(annette.Config{Effects: h})
//	// in an action rule:
//	//	res, err := c.Request(annette.Effect{Type: "price", Payload: item})
//	//	c.Link(c.Left().Port("ret"), res)
//
// Reduce returns once the net is in normal form and every effect has
// been handled. Results are integers or trees of agents ([Term]). A
// handler that fails or panics ends the run with an *[EffectError]
// naming the effect, the rule and its agent types (several joined, when
// failed results arrive together: match them with errors.As). That
// result never
// reaches the net. A later Reduce returns without an error but leaves the
// result's wire open, so build the net again to retry the effect. The
// context a handler gets ends when the EffectHandler is closed, not when
// the context of Reduce is done. A cancelled Reduce leaves its effects
// running, and the next Reduce takes their results.
//
// # Plugins
//
// A [PluginHost] initialises [Plugin] values in the order they are added
// with [PluginHost.Use], closes them in the reverse order, and delivers
// events between them ([PluginHost.Subscribe], [PluginHost.Publish]).
// Delivery is synchronous, on the publisher's goroutine. The panic of a
// plugin or a listener is recovered and returned as an error. The
// [ParallelPlugin] makes parallel networks that share one [WorkerPool]
// and one [EffectHandler] and [RuleDependencyAnalyzer], and publish
// their events on the host:
//
//	host := annette.NewPluginHost(annette.PluginHostConfig{})
//	defer host.Close() // closes the plugin, its networks and its pool
//	par := annette.NewParallelPlugin(annette.ParallelPluginConfig{})
//	if err := host.Use(par); err != nil { ... }
//	host.Subscribe(annette.EventReduce, func(ev annette.Event) { ... })
//	pn, err := par.NewNetwork(annette.Config{})
//
// A network without a host reports the same events through
// Config.Events: rules added or replaced, the end of each Reduce and Step
// call, and Close. The hook runs once the operation has finished, never
// inside a run.
//
// # Rules that touch shared state
//
// An [ActionRule] may touch state outside its two agents, such as the
// accounts of a bank held in a Go map. With several workers, two calls
// of such rules can run at once, so each rule declares the state it
// touches as keys of an [Access]. Reads and Writes list the keys of every
// call, and an Access function returns keys computed from the two
// agents' values. Two calls conflict when one writes a key that the
// other reads or writes, and a [ParallelNetwork] never runs two
// conflicting calls at the same time:
//
//	n.AddRule(annette.ActionRule{
//		Left: "Transfer", Right: "Go",
//		Access: func(left, _ annette.Agent) annette.Access {
//			t := left.Value().(transfer)
//			return annette.Access{Writes: []string{t.from, t.to}}
//		},
//		Action: func(c *annette.RuleContext) error {
//			t := c.Left().Value().(transfer)
//			accounts[t.from].balance -= t.amount
//			accounts[t.to].balance += t.amount
//			return nil
//		},
//	})
//
// [ParallelNetwork.Reduce] runs such a call while holding a lock per key,
// shared by readers and exclusive for a writer, taken in one fixed order
// and released when the action returns, fails or panics. Keys share 256
// locks by hash, so calls on different keys can sometimes wait for each
// other. [ParallelNetwork.Step] instead has a
// [RuleDependencyAnalyzer] split the round's keyed pairs into batches of
// calls without conflicts and runs the batches one after another. The
// sequential reducer, and a ParallelNetwork with one worker, run one call
// at a time and take no locks. Rules that declare nothing cost nothing
// extra.
//
// A key guards what it names, not the container around it. In the
// example the map of accounts is filled before the run and only read
// during it, and each account's balance is written under its key. A map
// that the actions add to or delete from needs a key of its own that
// every such call writes.
//
// # Programs as text
//
// An [Interpreter] runs programs written in Inpla's text language (package
// lang parses and checks them) on a Network, as the annette command does.
// [Network.AddBuiltins] gives a Go program the language's built-in agents
// (Eraser, Dup, Add, Append, Map and others).
//
// # Errors
//
// A run stops with an error when two agents meet that no rule covers
// ([ErrNoRule]), when a rule fails (division by zero, an error or a panic
// in an action rule), when a limit of the [Config] is reached, or when
// its context is done. Rule failures are reported as a *[RuleError]
// naming the rule and both agent types; the failed active pair stays in
// the network, which is otherwise as it was.
package annette
