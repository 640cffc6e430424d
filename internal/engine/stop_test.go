package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The compiled loop keeps the last pair that a program makes apart from
// the stack until its next turn. These tests stop runs right after such
// a pair is made, and check that it stays pending and is counted.

// copyRules adds unary doubling, whose second rule grows the net by one
// agent and makes one pair:
//
//	Copy(r) >< Z    => r ~ Z;
//	Copy(r) >< S(x) => r ~ S(S(w)), Copy(w) ~ x;
func (n *testNet) copyRules() {
	n.rule("copy-zero", n.copyType, n.z, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.z)},
		Wires: [][2]End{wire(ext(0), node(0, 0))},
	})
	n.rule("copy-succ", n.copyType, n.s, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.s), decl(n.s), decl(n.copyType)},
		Wires: [][2]End{
			wire(ext(0), node(0, 0)),
			wire(node(0, 1), node(1, 0)),
			wire(node(1, 1), node(2, 1)),
			wire(node(2, 0), ext(1)),
		},
	})
}

// chainRule is a set of rules that consumes a unary number one S at a
// time, each step making one pair.
type chainRule struct {
	name  string
	grows bool // the step rule adds a live agent, as Copy does and Add does not
}

var chainRules = []chainRule{{"add", false}, {"copy", true}}

// startChain pushes the pair that reduces S^steps(Z) with rule: Add(out,
// Z) or Copy(out). It returns the wire out and the term expected at out
// at the end.
func (n *testNet) startChain(rule chainRule, steps int) (out Port, want string) {
	out = n.w.NewVar()
	if rule.grows {
		n.w.Push(n.agent(n.copyType, out), n.unary(steps))
		return out, unaryString(2 * steps)
	}
	n.w.Push(n.agent(n.add, out, n.unary(0)), n.unary(steps))
	return out, unaryString(steps)
}

// unaryString returns the unary number k as show prints it.
func unaryString(k int) string {
	return strings.Repeat("S(", k) + "Z" + strings.Repeat(")", k)
}

// forChainRules runs f for each chain rule in every mode of forModes.
func forChainRules(t *testing.T, f func(t *testing.T, n *testNet, rule chainRule)) {
	for _, rule := range chainRules {
		t.Run(rule.name, func(t *testing.T) {
			forModes(t, func(t *testing.T, n *testNet) {
				n.addRules()
				n.copyRules()
				n.w.Prepare()
				f(t, n, rule)
			})
		})
	}
}

// TestRunInteractionLimitKeepsPair stops a chain at each interaction
// limit short of its end. The pair made by the last interaction must
// stay pending, and a second run must finish the chain.
func TestRunInteractionLimitKeepsPair(t *testing.T) {
	const steps = 5
	forChainRules(t, func(t *testing.T, n *testNet, rule chainRule) {
		ctx := context.Background()
		for k := int64(1); k <= steps; k++ {
			start := n.w.Interactions()
			out, want := n.startChain(rule, steps)
			err := n.w.Run(ctx, Limits{Interactions: start + k})
			if !errors.Is(err, ErrInteractionLimit) {
				t.Fatalf("limit %d: Run = %v, want ErrInteractionLimit", k, err)
			}
			if got := n.w.Interactions() - start; got != k {
				t.Errorf("limit %d: %d interactions, want %d", k, got, k)
			}
			if got := n.w.Pending(); got != 1 {
				t.Errorf("limit %d: %d pairs pending, want 1", k, got)
			}
			if err := n.w.Run(ctx, Limits{}); err != nil {
				t.Fatalf("limit %d: second Run = %v", k, err)
			}
			if got := n.show(out); got != want {
				t.Errorf("limit %d: out = %s, want %s", k, got, want)
			}
			if got := n.w.Interactions() - start; got != steps+1 {
				t.Errorf("limit %d: %d interactions in all, want %d", k, got, steps+1)
			}
		}
	})
}

// TestRunAgentLimitKeepsPair stops a doubling at each live agent limit
// that it passes. Each step adds one agent, so with the limit j agents
// above the live count at the start, the run stops after step j+1. The
// pair made by that step must stay pending, and a second run without the
// limit must finish.
func TestRunAgentLimitKeepsPair(t *testing.T) {
	const steps = 5
	rule := chainRule{name: "copy", grows: true}
	forModes(t, func(t *testing.T, n *testNet) {
		n.copyRules()
		n.w.Prepare()
		ctx := context.Background()
		for j := int64(0); j < steps; j++ {
			start := n.w.Interactions()
			out, want := n.startChain(rule, steps)
			err := n.w.Run(ctx, Limits{LiveAgents: n.w.Live() + j})
			if !errors.Is(err, ErrAgentLimit) {
				t.Fatalf("limit %d: Run = %v, want ErrAgentLimit", j, err)
			}
			if got := n.w.Interactions() - start; got != j+1 {
				t.Errorf("limit %d: %d interactions, want %d", j, got, j+1)
			}
			if got := n.w.Pending(); got != 1 {
				t.Errorf("limit %d: %d pairs pending, want 1", j, got)
			}
			if err := n.w.Run(ctx, Limits{}); err != nil {
				t.Fatalf("limit %d: second Run = %v", j, err)
			}
			if got := n.show(out); got != want {
				t.Errorf("limit %d: out = %s, want %s", j, got, want)
			}
		}
	})
}

// TestRunAgentLimitUnderPeak sets a live agent limit below a peak that
// an earlier run recorded. The compiled loop looks at the live count only
// when it passes the smaller of the two, so the limit must still stop the
// run at its first step past the limit.
func TestRunAgentLimitUnderPeak(t *testing.T) {
	const steps = 5
	rule := chainRule{name: "copy", grows: true}
	forModes(t, func(t *testing.T, n *testNet) {
		n.copyRules()
		n.w.Prepare()
		out, want := n.startChain(rule, steps)
		n.w.NotePeak(n.w.Live() + 100)
		n.stopAtLimit(t, Limits{LiveAgents: n.w.Live() + 1}, 0, 2, out, want)
	})
}

// TestRunPauseCountsPair starts one to three chains and pauses at one to
// four pending pairs. After the first interaction as many pairs are
// pending as at the start, the newest one made by that interaction. So a
// pause at that many pairs or fewer must stop the run there, and a
// larger one must never stop it.
func TestRunPauseCountsPair(t *testing.T) {
	const steps = 4
	forChainRules(t, func(t *testing.T, n *testNet, rule chainRule) {
		ctx := context.Background()
		for chains := 1; chains <= 3; chains++ {
			for pause := 1; pause <= 4; pause++ {
				t.Run(fmt.Sprintf("%d chains, pause %d", chains, pause), func(t *testing.T) {
					start := n.w.Interactions()
					outs := make([]Port, chains)
					wants := make([]string, chains)
					for i := range chains {
						outs[i], wants[i] = n.startChain(rule, steps)
					}
					err := n.w.Run(ctx, Limits{Pause: pause})
					if pause <= chains {
						if err != ErrPaused {
							t.Fatalf("Run = %v, want ErrPaused", err)
						}
						if got := n.w.Interactions() - start; got != 1 {
							t.Errorf("paused after %d interactions, want 1", got)
						}
						if got := n.w.Pending(); got != chains {
							t.Errorf("%d pairs pending, want %d", got, chains)
						}
						err = n.w.Run(ctx, Limits{})
					}
					if err != nil {
						t.Fatalf("Run = %v", err)
					}
					for i, out := range outs {
						if got := n.show(out); got != wants[i] {
							t.Errorf("chain %d: out = %s, want %s", i, got, wants[i])
						}
					}
					if got, want := n.w.Interactions()-start, int64(chains*(steps+1)); got != want {
						t.Errorf("%d interactions, want %d", got, want)
					}
				})
			}
		}
	})
}

// TestRunLimitPairOrder walks a list with
//
//	Walk(out) >< Two(h, tl) => out ~ Two(h, o2), Eps ~ Z, tl ~ Walk(o2);
//	Walk(out) >< Z          => out ~ Z;
//	Eps >< Z                => ;
//
// whose elements are linked in the slot, through a filled wire or through
// a chain of two wires, so that the link of tl leaves the fast loop while
// Eps ~ Z is held. It stops the walk after each interaction and records
// the pending pairs from the bottom of the stack up. The compiled
// programs must leave them in the order of the general path.
func TestRunLimitPairOrder(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) {
			general := walkPairOrder(t, shared, true)
			compiled := walkPairOrder(t, shared, false)
			if len(compiled) != len(general) {
				t.Fatalf("compiled programs stop %d times, the general path %d", len(compiled), len(general))
			}
			for k := range general {
				if compiled[k] != general[k] {
					t.Errorf("after %d interactions the compiled programs leave %s, the general path %s", k+1, compiled[k], general[k])
				}
			}
		})
	}
}

// walkPairOrder runs the walk of TestRunLimitPairOrder to each
// interaction limit in turn, on the general path or with compiled
// programs, and returns the pending pairs after each stop.
func walkPairOrder(t *testing.T, shared, general bool) []string {
	NoPrograms.Store(general)
	defer NoPrograms.Store(false)
	n := newTestNet(t, shared)
	walk := n.define("Walk", false, "out")
	eps := n.define("Eps", false)
	n.rule("walk", walk, n.two, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.two), decl(eps), decl(n.z), decl(walk)},
		Wires: [][2]End{
			wire(ext(0), node(0, 0)),
			wire(node(0, 1), ext(1)),
			wire(node(0, 2), node(3, 1)),
			wire(node(1, 0), node(2, 0)),
			wire(ext(2), node(3, 0)),
		},
	})
	n.rule("walk-z", walk, n.z, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.z)},
		Wires: [][2]End{wire(ext(0), node(0, 0))},
	})
	n.rule("eps", eps, n.z, nil, AltSpec{})
	n.w.Prepare()

	const size = 9
	list := n.wiredList(size, n.agent(n.z))
	out := n.w.NewVar()
	n.w.Push(n.agent(walk, out), list)

	var stops []string
	ctx := context.Background()
	for k := int64(1); ; k++ {
		err := n.w.Run(ctx, Limits{Interactions: k})
		if err == nil {
			break
		}
		if !errors.Is(err, ErrInteractionLimit) {
			t.Fatalf("limit %d: Run = %v", k, err)
		}
		var pairs []string
		for _, r := range n.w.Redexes() {
			pairs = append(pairs, n.net.Types.Name(r.A.Type())+" >< "+n.net.Types.Name(r.B.Type()))
		}
		stops = append(stops, "["+strings.Join(pairs, ", ")+"]")
	}
	if got, want := n.w.Interactions(), int64(2*size+1); got != want {
		t.Errorf("%d interactions, want %d", got, want)
	}
	return stops
}

// TestRunCancelKeepsPair reduces Add(Keep(v), Z) ~ Z, whose rule makes
// the pair Keep ~ Z, above a chain of 300 steps. Keep >< Z is a native
// rule that cancels the run's context and links v to Z. A fast rule
// lets the chain go on to the next check of the context, after 256
// interactions, and a slow one stops the run right after the call. The
// pair that the chain made last must stay pending, and a second run must
// finish.
func TestRunCancelKeepsPair(t *testing.T) {
	const steps = 300
	for _, slow := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow=%v", slow), func(t *testing.T) {
			forModes(t, func(t *testing.T, n *testNet) {
				n.addRules()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				n.addKeep(t, slow, cancel)
				out, want := n.startChain(chainRules[0], steps)
				v := n.w.NewVar()
				n.w.Push(n.agent(n.add, n.agent(n.keep, v), n.unary(0)), n.unary(0))

				err := n.w.Run(ctx, Limits{})
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Run = %v, want context.Canceled", err)
				}
				stop := int64(256)
				if slow {
					stop = 2
				}
				if got := n.w.Interactions(); got != stop {
					t.Errorf("stopped after %d interactions, want %d", got, stop)
				}
				if got := n.w.Pending(); got != 1 {
					t.Errorf("%d pairs pending, want 1", got)
				}
				if err := n.w.Run(context.Background(), Limits{}); err != nil {
					t.Fatalf("second Run = %v", err)
				}
				if got := n.show(out); got != want {
					t.Errorf("out = %s, want %s", got, want)
				}
				if got := n.show(v); got != "Z" {
					t.Errorf("v = %s, want Z", got)
				}
				if got := n.w.Interactions(); got != steps+3 {
					t.Errorf("%d interactions in all, want %d", got, steps+3)
				}
			})
		})
	}
}

// TestRunStartsAboveLiveLimit runs chains whose net already has more
// live agents than the limit. Each run must stop with ErrAgentLimit
// after its first interaction, also when that interaction does not grow
// the net, and keep the pair it made.
func TestRunStartsAboveLiveLimit(t *testing.T) {
	const steps = 5
	forChainRules(t, func(t *testing.T, n *testNet, rule chainRule) {
		start := n.w.Interactions()
		out, want := n.startChain(rule, steps)
		n.stopAtLimit(t, Limits{LiveAgents: n.w.Live() - 1}, start, 1, out, want)
	})
}

// stopAtLimit runs n's chain under lim, which must stop it with
// ErrAgentLimit after steps interactions counted from start, with the
// pair of the last one pending. A second run without limits must then
// finish it, with want read back at out.
func (n *testNet) stopAtLimit(t *testing.T, lim Limits, start, steps int64, out Port, want string) {
	t.Helper()
	ctx := context.Background()
	err := n.w.Run(ctx, lim)
	if !errors.Is(err, ErrAgentLimit) {
		t.Fatalf("Run = %v, want ErrAgentLimit", err)
	}
	if got := n.w.Interactions() - start; got != steps {
		t.Errorf("stopped after %d interactions, want %d", got, steps)
	}
	if got := n.w.Pending(); got != 1 {
		t.Errorf("%d pairs pending, want 1", got)
	}
	if err := n.w.Run(ctx, Limits{}); err != nil {
		t.Fatalf("second Run = %v", err)
	}
	if got := n.show(out); got != want {
		t.Errorf("out = %s, want %s", got, want)
	}
}

// forkRules adds rules that walk a binary tree of Pair agents with Z:
//
//	Pair(l, r) >< Z => l ~ Z, r ~ Z;
//	Mark(r) >< Z    => r ~ Z;
//
// A fork leaves the live count as it is and adds one pair to the stack.
func (n *testNet) forkRules() {
	n.rule("fork", n.pair, n.z, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.z), decl(n.z)},
		Wires: [][2]End{wire(ext(0), node(0, 0)), wire(ext(1), node(1, 0))},
	})
	n.rule("mark", n.mark, n.z, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.z)},
		Wires: [][2]End{wire(ext(0), node(0, 0))},
	})
}

// forkTree builds a tree of Pair agents of the given depth with a Mark
// at each leaf, and returns its root.
func (n *testNet) forkTree(depth int) Port {
	if depth == 0 {
		return n.agent(n.mark, n.w.NewVar())
	}
	return n.agent(n.pair, n.forkTree(depth-1), n.forkTree(depth-1))
}

// TestRunPauseAfterSlowRule reduces Keep(v) ~ Z on top of a tree of
// forks. Keep >< Z is a slow native rule that sleeps past
// Limits.PauseAfter, so the pause applies from its call on. The forks
// after it leave the live count as it is, so only the pause check
// after each interaction can stop them. The run must pause as soon as
// pause pairs are pending.
func TestRunPauseAfterSlowRule(t *testing.T) {
	// 63 forks and 64 marks. The run ends before its 256th interaction,
	// where Run would apply the delayed pause itself.
	const depth = 6
	for pause := 2; pause <= 4; pause++ {
		t.Run(fmt.Sprintf("pause %d", pause), func(t *testing.T) {
			forModes(t, func(t *testing.T, n *testNet) {
				n.forkRules()
				n.addKeep(t, true, func() { time.Sleep(3 * time.Millisecond) })
				n.w.Push(n.forkTree(depth), n.agent(n.z))
				v := n.w.NewVar()
				n.w.Push(n.agent(n.keep, v), n.agent(n.z))

				err := n.w.Run(context.Background(), Limits{Pause: pause, PauseAfter: time.Millisecond})
				if err != ErrPaused {
					t.Fatalf("Run = %v, want ErrPaused", err)
				}
				// Keep, then pause-1 forks down the tree, each adding a
				// pair to the one left under Keep.
				if got := n.w.Interactions(); got != int64(pause) {
					t.Errorf("paused after %d interactions, want %d", got, pause)
				}
				if got := n.w.Pending(); got != pause {
					t.Errorf("%d pairs pending, want %d", got, pause)
				}
				if err := n.w.Run(context.Background(), Limits{}); err != nil {
					t.Fatalf("second Run = %v", err)
				}
				if got, want := n.w.Interactions(), int64(1<<(depth+1)); got != want {
					t.Errorf("%d interactions in all, want %d", got, want)
				}
				if got := n.show(v); got != "Z" {
					t.Errorf("v = %s, want Z", got)
				}
			})
		})
	}
}

// addKeep adds the native rule keep >< Z, which calls before and then
// links keep's auxiliary port to the Z, and prepares the worker.
func (n *testNet) addKeep(t *testing.T, slow bool, before func()) {
	t.Helper()
	keep := func(w *Worker, a, b Port) error {
		before()
		v := w.Aux(a, 0)
		w.FreeAgent(a)
		w.Link(v, b)
		return nil
	}
	rule := &Rule{Name: "keep", Left: n.keep, Right: n.z, Kind: RuleNative, Native: keep, Slow: slow}
	if _, err := n.net.Rules.Add(rule, false); err != nil {
		t.Fatal(err)
	}
	n.w.Prepare()
}
