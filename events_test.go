package annette_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/annette-go/annette"
)

// eventLog collects the events a network reports.
type eventLog struct{ events []annette.Event }

func (l *eventLog) hook(ev annette.Event) error {
	l.events = append(l.events, ev)
	return nil
}

func (l *eventLog) types() []string {
	var out []string
	for _, ev := range l.events {
		out = append(out, ev.Type)
	}
	return out
}

func TestNetworkEventsRules(t *testing.T) {
	var log eventLog
	n := annette.NewNetwork(annette.Config{Events: log.hook})
	defineTypes(t, n, treeTypes...)
	addRules(t, n, treeRewriteRules()...)
	must(t, n.ReplaceRule(treeRewriteRules()[1]))
	must(t, n.ReplaceRule(annette.RewriteRule{Left: Pat("Fold", "s"), Right: annette.Any("x"),
		Body: []annette.Wire{W(V("s"), V("x"))}}))
	if err := n.AddRule(treeRewriteRules()[0]); err == nil {
		t.Fatal("AddRule of an existing rule succeeded")
	}

	want := []string{
		annette.EventRuleAdded, annette.EventRuleAdded, annette.EventRuleAdded, annette.EventRuleAdded, annette.EventRuleAdded,
		annette.EventRuleReplaced, annette.EventRuleAdded,
	}
	if got := log.types(); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if got, want := log.events[0].Data, (annette.RuleEvent{Name: "grow", Left: "Grow", Right: "Int"}); got != want {
		t.Errorf("first event Data = %+v, want %+v", got, want)
	}
	if got, want := log.events[5].Data, (annette.RuleEvent{Name: "fold-leaf", Left: "Fold", Right: "Leaf"}); got != want {
		t.Errorf("replacement Data = %+v, want %+v", got, want)
	}
	if got, want := log.events[6].Data, (annette.RuleEvent{Name: "Fold><*", Left: "Fold", Right: annette.Wildcard}); got != want {
		t.Errorf("wildcard rule Data = %+v, want %+v", got, want)
	}
	for _, ev := range log.events {
		if ev.Source != "network" || ev.Time.IsZero() {
			t.Errorf("event %+v: want Source network and a time", ev)
		}
	}
}

func TestNetworkEventsReduce(t *testing.T) {
	var log eventLog
	n := annette.NewNetwork(annette.Config{Events: log.hook})
	defineTypes(t, n, treeTypes...)
	addRules(t, n, treeRewriteRules()...)
	addTreeSum(t, n, 6)
	log.events = nil

	st, err := n.Reduce(context.Background())
	must(t, err)
	if len(log.events) != 1 || log.events[0].Type != annette.EventReduce {
		t.Fatalf("events = %v, want one %s", log.types(), annette.EventReduce)
	}
	re := log.events[0].Data.(annette.ReduceEvent)
	if re.Stats.Interactions != treeInteractions(6) || re.Stats != st {
		t.Errorf("event Stats = %+v, want %+v with %d interactions", re.Stats, st, treeInteractions(6))
	}
	if re.Parallel != nil || re.Err != nil {
		t.Errorf("event = %+v, want no Parallel figures and no error", re)
	}
}

func TestNetworkEventsStep(t *testing.T) {
	var log eventLog
	n := annette.NewNetwork(annette.Config{Events: log.hook})
	defineTypes(t, n, treeTypes...)
	addRules(t, n, treeRewriteRules()...)
	addTreeSum(t, n, 1)
	log.events = nil

	steps := stepSeqToEnd(t, n)
	if steps != treeInteractions(1) {
		t.Fatalf("%d steps, want %d", steps, treeInteractions(1))
	}
	if int64(len(log.events)) != steps+1 {
		t.Fatalf("%d events for %d steps and a last Step that did nothing", len(log.events), steps)
	}
	for i, ev := range log.events {
		want := annette.StepEvent{Interactions: 1}
		if int64(i) == steps {
			want.Interactions = 0
		}
		if ev.Type != annette.EventStep || ev.Data != want {
			t.Errorf("event %d = %s %+v, want %s %+v", i, ev.Type, ev.Data, annette.EventStep, want)
		}
	}
}

func TestParallelNetworkEvents(t *testing.T) {
	leakCheck(t)
	var log eventLog
	p := annette.NewParallelNetwork(annette.Config{Events: log.hook}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel})
	defer p.Close()
	defineTypes(t, p.Network, treeTypes...)
	addRules(t, p.Network, treeRewriteRules()...)
	addTreeSum(t, p.Network, 8)
	log.events = nil

	st, err := p.Reduce(context.Background())
	must(t, err)
	g, err := p.AddAgent("Grow", nil)
	must(t, err)
	must(t, p.Connect(g.Main(), p.Int(0)))
	must(t, p.Connect(g.Port("t"), p.Name("leaf")))
	done, err := p.Step(context.Background())
	must(t, err)
	must(t, p.Close())
	must(t, p.Close())

	want := []string{annette.EventReduce, annette.EventStep, annette.EventClose}
	if got := log.types(); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	re := log.events[0].Data.(annette.ReduceEvent)
	if re.Parallel == nil || re.Parallel.Interactions != treeInteractions(8) || re.Stats != st.Stats {
		t.Errorf("reduce event = %+v, want the run's ParallelStats with %d interactions", re, treeInteractions(8))
	}
	if !slices.Equal(re.Parallel.PerWorker, st.PerWorker) {
		t.Errorf("event PerWorker = %v, want %v", re.Parallel.PerWorker, st.PerWorker)
	}
	if got := log.events[1].Data.(annette.StepEvent); got.Interactions != done || done != 1 {
		t.Errorf("step event = %+v after a Step of %d, want 1 interaction", got, done)
	}
	if got := log.events[2].Data.(annette.CloseEvent); got.Err != nil {
		t.Errorf("close event = %+v, want no error", got)
	}
}

// TestNetworkEventsNotDuringRun checks that an action rule that calls
// Reduce or Close on its own network gets ErrRunning and causes no event,
// so the hook never runs inside a run.
func TestNetworkEventsNotDuringRun(t *testing.T) {
	leakCheck(t)
	var log eventLog
	var p *annette.ParallelNetwork
	inRun := 0
	hook := func(ev annette.Event) error {
		if inRun > 0 {
			t.Errorf("event %s reported during a run", ev.Type)
		}
		return log.hook(ev)
	}
	p = annette.NewParallelNetwork(annette.Config{Events: hook}, annette.ParallelConfig{Workers: 1})
	defineTypes(t, p.Network, annette.Type{Name: "A"}, annette.Type{Name: "B"})
	addRules(t, p.Network, annette.ActionRule{Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
		inRun++
		defer func() { inRun-- }()
		if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrRunning) {
			t.Errorf("Reduce inside a run: error %v, want ErrRunning", err)
		}
		if _, err := p.Network.Reduce(context.Background()); !errors.Is(err, annette.ErrRunning) {
			t.Errorf("Network.Reduce inside a run: error %v, want ErrRunning", err)
		}
		if err := p.Close(); !errors.Is(err, annette.ErrRunning) {
			t.Errorf("Close inside a run: error %v, want ErrRunning", err)
		}
		return nil
	}})
	a, err := p.AddAgent("A", nil)
	must(t, err)
	b, err := p.AddAgent("B", nil)
	must(t, err)
	must(t, p.Connect(a.Main(), b.Main()))
	log.events = nil

	_, err = p.Reduce(context.Background())
	must(t, err)
	must(t, p.Close())
	want := []string{annette.EventReduce, annette.EventClose}
	if got := log.types(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

// TestNetworkEventsHookFails checks that a failing or panicking hook
// leaves the run's result in place and comes back as a *HookError.
func TestNetworkEventsHookFails(t *testing.T) {
	hookErr := errors.New("listener is full")
	for _, c := range []struct {
		name string
		hook func(annette.Event) error
	}{
		{"error", func(annette.Event) error { return hookErr }},
		{"panic", func(annette.Event) error { panic(hookErr) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := annette.NewNetwork(annette.Config{Events: c.hook})
			defineTypes(t, n, treeTypes...)
			for _, r := range treeRewriteRules() {
				err := n.AddRule(r)
				var he *annette.HookError
				if !errors.As(err, &he) || he.Event != annette.EventRuleAdded || !errors.Is(err, hookErr) {
					t.Fatalf("AddRule: error %v, want a *HookError for %s wrapping the hook's error", err, annette.EventRuleAdded)
				}
			}
			addTreeSum(t, n, 5)

			st, err := n.Reduce(context.Background())
			var he *annette.HookError
			if !errors.As(err, &he) || he.Event != annette.EventReduce || !errors.Is(err, hookErr) {
				t.Fatalf("Reduce: error %v, want a *HookError for %s", err, annette.EventReduce)
			}
			var pe *annette.PanicError
			if got := errors.As(err, &pe); got != (c.name == "panic") {
				t.Errorf("error %v: wraps a *PanicError = %v, want %v", err, got, c.name == "panic")
			}
			if st.Interactions != treeInteractions(5) {
				t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(5))
			}
			if got, _ := n.Text("total"); got != "32" {
				t.Errorf("total = %s, want 32", got)
			}

			// The network stays usable, and a run's own error comes first.
			a, err := n.AddAgent("Fold", nil)
			must(t, err)
			b, err := n.AddAgent("Plus", nil)
			must(t, err)
			must(t, n.Connect(a.Main(), b.Main()))
			must(t, n.Connect(a.Port("s"), n.Name("x")))
			must(t, n.Connect(b.Port("s"), n.Name("y")))
			must(t, n.Connect(b.Port("y"), n.Name("z")))
			_, err = n.Reduce(context.Background())
			if !errors.Is(err, annette.ErrNoRule) || !errors.As(err, &he) {
				t.Errorf("Reduce: error %v, want ErrNoRule joined with a *HookError", err)
			}
		})
	}
}

// TestEventsNotDuringRunDoneContext checks that an action rule that
// calls Reduce or Step on its own network with a context already done
// gets ErrRunning, not the context's error, and causes no event.
func TestEventsNotDuringRunDoneContext(t *testing.T) {
	leakCheck(t)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Parallel} {
		t.Run(mode.String(), func(t *testing.T) {
			var p *annette.ParallelNetwork
			inRun := false
			hook := func(ev annette.Event) error {
				if inRun {
					t.Errorf("event %s reported during a run", ev.Type)
				}
				return nil
			}
			p = annette.NewParallelNetwork(annette.Config{Events: hook}, annette.ParallelConfig{Workers: 2, Mode: mode})
			defer closeNet(t, p)
			defineTypes(t, p.Network, annette.Type{Name: "A"}, annette.Type{Name: "B"})
			addRules(t, p.Network, annette.ActionRule{Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
				inRun = true
				defer func() { inRun = false }()
				if _, err := p.Reduce(done); !errors.Is(err, annette.ErrRunning) {
					t.Errorf("Reduce inside a run: error %v, want ErrRunning", err)
				}
				if _, err := p.Step(done); !errors.Is(err, annette.ErrRunning) {
					t.Errorf("Step inside a run: error %v, want ErrRunning", err)
				}
				if _, err := p.Network.Reduce(done); !errors.Is(err, annette.ErrRunning) {
					t.Errorf("Network.Reduce inside a run: error %v, want ErrRunning", err)
				}
				if _, err := p.Network.Step(done); !errors.Is(err, annette.ErrRunning) {
					t.Errorf("Network.Step inside a run: error %v, want ErrRunning", err)
				}
				return nil
			}})
			connect(t, p.Network, addAgent(t, p.Network, "A").Main(), addAgent(t, p.Network, "B").Main())
			_, err := p.Reduce(context.Background())
			must(t, err)
		})
	}
}
