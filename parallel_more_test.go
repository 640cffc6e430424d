package annette_test

// Concurrency tests of ParallelNetwork: races on shared wires,
// termination, panics, goroutine leaks, cancellation, limits, Step, and
// a differential property test against the sequential reducer.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/annette-go/annette"
)

// leakCheck fails t if goroutines started during the test still run when
// it ends. Goroutines that exist when it is called belong to earlier
// tests and are ignored.
func leakCheck(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// newParallel returns a parallel network with the given types and rules.
func newParallel(t testing.TB, cfg annette.Config, pcfg annette.ParallelConfig, types []annette.Type, rules ...annette.Rule) *annette.ParallelNetwork {
	t.Helper()
	p := annette.NewParallelNetwork(cfg, pcfg)
	defineTypes(t, p.Network, types...)
	addRules(t, p.Network, rules...)
	return p
}

// closeNet closes p and fails the test on an error.
func closeNet(t testing.TB, p *annette.ParallelNetwork) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// sumPerWorker returns the sum of the per-worker interaction counts.
func sumPerWorker(st annette.ParallelStats) int64 {
	var sum int64
	for _, c := range st.PerWorker {
		sum += c
	}
	return sum
}

// wireRaceTypes and wireRaceRules make pairs whose two interactions race
// to fill one wire:
//
//	L(w) ~ Go1, R(w) ~ Go2;   (w links L's and R's auxiliary ports)
//	L(o) >< Go1 => o ~ X;
//	R(o) >< Go2 => o ~ Y;
//	X >< Y => ;               (an action rule that counts its calls)
//
// Each L/R couple takes three interactions: one for each of L and R, and
// one for X >< Y, which meet through w.
var wireRaceTypes = []annette.Type{
	{Name: "L", Ports: []string{"main", "o"}},
	{Name: "R", Ports: []string{"main", "o"}},
	{Name: "Go1"}, {Name: "Go2"}, {Name: "X"}, {Name: "Y"},
}

func wireRaceRules(calls *atomic.Int64) []annette.Rule {
	return []annette.Rule{
		annette.RewriteRule{Name: "l-go1", Left: Pat("L", "o"), Right: Pat("Go1"),
			Body: []annette.Wire{W(V("o"), A("X"))}},
		annette.RewriteRule{Name: "r-go2", Left: Pat("R", "o"), Right: Pat("Go2"),
			Body: []annette.Wire{W(V("o"), A("Y"))}},
		annette.ActionRule{Name: "x-y", Left: "X", Right: "Y", Action: func(*annette.RuleContext) error {
			calls.Add(1)
			return nil
		}},
	}
}

// TestParallelWireRace reduces many L/R pairs, each pair of interactions
// linking the two ends of one wire, at the same time when work stealing
// has put L's and R's pairs on different workers. A lost or doubled link
// changes the counts. TestParallelWireRaceStreams puts the two ends of
// every wire on different workers.
func TestParallelWireRace(t *testing.T) {
	leakCheck(t)
	pairs := 100000
	if raceEnabled() {
		pairs = 25000
	}
	for _, workers := range []int{1, 2, 4, 8, 16, 32, 64} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			var calls atomic.Int64
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				wireRaceTypes, wireRaceRules(&calls)...)
			defer closeNet(t, p)
			for range pairs {
				l := addAgent(t, p.Network, "L")
				r := addAgent(t, p.Network, "R")
				connect(t, p.Network, l.Port("o"), r.Port("o"))
				connect(t, p.Network, l.Main(), addAgent(t, p.Network, "Go1").Main())
				connect(t, p.Network, r.Main(), addAgent(t, p.Network, "Go2").Main())
			}
			st, err := p.Reduce(context.Background())
			must(t, err)
			checkWireRace(t, st, calls.Load(), int64(3*pairs), int64(pairs))
			if got := p.Pending(); got != 0 {
				t.Errorf("Pending = %d, want 0", got)
			}
		})
	}
}

// checkWireRace checks a wire race's run: its interaction count, the
// calls of the counting rule X >< Y, no agent left alive, and per-worker
// counts that add up to the total.
func checkWireRace(t *testing.T, st annette.ParallelStats, calls, interactions, wantCalls int64) {
	t.Helper()
	if st.Interactions != interactions {
		t.Errorf("interactions = %d, want %d", st.Interactions, interactions)
	}
	if calls != wantCalls {
		t.Errorf("X >< Y ran %d times, want %d", calls, wantCalls)
	}
	if st.Live != 0 {
		t.Errorf("live agents = %d, want 0", st.Live)
	}
	if got := sumPerWorker(st); got != st.Interactions {
		t.Errorf("per-worker counts add up to %d, want %d", got, st.Interactions)
	}
}

// chainPairTypes and chainPairRules walk two chains of agents in step, one
// with Go1 and one with Go2, where the i-th agents of the two chains
// share the wire w_i:
//
//	LC(o, next) >< Go1 => o ~ X, next ~ Go1;
//	RC(o, next) >< Go2 => o ~ Y, next ~ Go2;
//	End >< Go1 => ;  End >< Go2 => ;
//	X >< Y => ;      (the counting action rule of wireRaceRules)
var chainPairTypes = append([]annette.Type{
	{Name: "LC", Ports: []string{"main", "o", "next"}},
	{Name: "RC", Ports: []string{"main", "o", "next"}},
	{Name: "End"},
}, wireRaceTypes...)

func chainPairRules(calls *atomic.Int64) []annette.Rule {
	return append([]annette.Rule{
		annette.RewriteRule{Name: "lc-go1", Left: Pat("LC", "o", "next"), Right: Pat("Go1"),
			Body: []annette.Wire{W(V("o"), A("X")), W(V("next"), A("Go1"))}},
		annette.RewriteRule{Name: "rc-go2", Left: Pat("RC", "o", "next"), Right: Pat("Go2"),
			Body: []annette.Wire{W(V("o"), A("Y")), W(V("next"), A("Go2"))}},
		annette.RewriteRule{Name: "end-go1", Left: Pat("End"), Right: Pat("Go1")},
		annette.RewriteRule{Name: "end-go2", Left: Pat("End"), Right: Pat("Go2")},
	}, wireRaceRules(calls)[2])
}

// TestParallelWireRaceStreams is TestParallelWireRace with the two ends
// of every wire on different workers, given two or more. The run starts
// with the first pair of each chain of chainPairRules, one on each of two
// workers. A worker that holds a chain's pair is never idle, so it never
// takes the other chain's pair. Each chain keeps one pair active at a
// time, so the chains advance in step, and the i-th agents of both link
// w_i at about the same time.
func TestParallelWireRaceStreams(t *testing.T) {
	leakCheck(t)
	couples := 100000
	if raceEnabled() {
		couples = 25000
	}
	for _, workers := range []int{1, 2, 3, 8, 64} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			var calls atomic.Int64
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				chainPairTypes, chainPairRules(&calls)...)
			defer closeNet(t, p)
			var lastL, lastR annette.Agent
			for i := range couples {
				l := addAgent(t, p.Network, "LC")
				r := addAgent(t, p.Network, "RC")
				connect(t, p.Network, l.Port("o"), r.Port("o"))
				if i == 0 {
					connect(t, p.Network, l.Main(), addAgent(t, p.Network, "Go1").Main())
					connect(t, p.Network, r.Main(), addAgent(t, p.Network, "Go2").Main())
				} else {
					connect(t, p.Network, lastL.Port("next"), l.Main())
					connect(t, p.Network, lastR.Port("next"), r.Main())
				}
				lastL, lastR = l, r
			}
			connect(t, p.Network, lastL.Port("next"), addAgent(t, p.Network, "End").Main())
			connect(t, p.Network, lastR.Port("next"), addAgent(t, p.Network, "End").Main())
			st, err := p.Reduce(context.Background())
			must(t, err)
			checkWireRace(t, st, calls.Load(), int64(3*couples+2), int64(couples))
		})
	}
}

// forwardTypes and forwardRule make chains of forwarders that all link
// their two wires at once:
//
//	X ~ w0, Fwd(w0, w1) ~ Go1, Fwd(w1, w2) ~ Go1, …, Fwd(wm-1, wm) ~ Go1, wm ~ Y;
//	Fwd(a, b) >< Go1 => a ~ b;
//	X >< Y => ;   (the counting action rule of wireRaceRules)
//
// Neighbouring forwarders run on different workers and link the wire
// between them from both ends at the same time, until X meets Y.
var forwardTypes = append([]annette.Type{{Name: "Fwd", Ports: []string{"main", "a", "b"}}}, wireRaceTypes...)

var forwardRule = annette.RewriteRule{Name: "fwd", Left: Pat("Fwd", "a", "b"), Right: Pat("Go1"),
	Body: []annette.Wire{W(V("a"), V("b"))}}

// TestParallelForwardRace reduces chains of forwarders, which link wire
// to wire concurrently, and checks that every chain joins its X and Y.
func TestParallelForwardRace(t *testing.T) {
	leakCheck(t)
	shapes := []struct{ chains, length int }{{2000, 50}, {1, 100000}}
	if raceEnabled() {
		shapes = []struct{ chains, length int }{{500, 50}, {1, 25000}}
	}
	for _, shape := range shapes {
		for _, workers := range []int{1, 2, 4, 8, 16, 32, 64} {
			t.Run(fmt.Sprintf("%dx%d/%d", shape.chains, shape.length, workers), func(t *testing.T) {
				var calls atomic.Int64
				p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
					forwardTypes, append(wireRaceRules(&calls), forwardRule)...)
				defer closeNet(t, p)
				n := p.Network
				for range shape.chains {
					end := addAgent(t, n, "X").Main()
					for range shape.length {
						f := addAgent(t, n, "Fwd")
						connect(t, n, f.Port("a"), end)
						connect(t, n, f.Main(), addAgent(t, n, "Go1").Main())
						end = f.Port("b")
					}
					connect(t, n, end, addAgent(t, n, "Y").Main())
				}
				st, err := p.Reduce(context.Background())
				must(t, err)
				if want := int64(shape.chains * (shape.length + 1)); st.Interactions != want {
					t.Errorf("interactions = %d, want %d", st.Interactions, want)
				}
				if got := calls.Load(); got != int64(shape.chains) {
					t.Errorf("X >< Y ran %d times, want %d", got, shape.chains)
				}
				if st.Live != 0 {
					t.Errorf("live agents = %d, want 0", st.Live)
				}
			})
		}
	}
}

// chainTypes and chainRule make a countdown in which only one active pair
// exists at any time:
//
//	Chain(r) >< (int n) | n == 0 => r ~ Fin
//	                    | _      => Chain(r) ~ (n - 1);
var chainTypes = []annette.Type{
	{Name: "Chain", Ports: []string{"main", "r"}},
	{Name: "Fin"},
}

var chainRule = annette.RewriteRule{Name: "chain", Left: Pat("Chain", "r"), Right: Pat("Int", "n"),
	Cases: []annette.Case{
		{Guard: annette.Ptr(Op("==", V("n"), N(0))), Body: []annette.Wire{W(V("r"), A("Fin"))}},
		{Body: []annette.Wire{W(A("Chain", V("r")), Op("-", V("n"), N(1)))}},
	}}

// slowChainRule is chainRule as an action rule that sleeps for delay on
// every call and counts its calls.
func slowChainRule(delay time.Duration, calls *atomic.Int64) annette.Rule {
	return annette.ActionRule{Name: "chain", Left: "Chain", Right: "Int", Action: func(c *annette.RuleContext) error {
		calls.Add(1)
		time.Sleep(delay)
		n := c.Right().Value().(int64)
		if n == 0 {
			fin, err := c.NewAgent("Fin", nil)
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("r"), fin.Main())
		}
		next, err := c.NewAgent("Chain", nil)
		if err != nil {
			return err
		}
		if err := c.Link(next.Port("r"), c.Left().Port("r")); err != nil {
			return err
		}
		return c.Link(next.Main(), c.Int(n-1))
	}}
}

// startChain connects Chain(out) ~ n.
func startChain(t testing.TB, n *annette.Network, count int64, out string) {
	t.Helper()
	c := addAgent(t, n, "Chain")
	connect(t, n, c.Port("r"), n.Name(out))
	connect(t, n, c.Main(), n.Int(count))
}

// TestParallelChainEnds runs a countdown with one active pair at a time
// on many workers, all but one of them idle: the run must end, neither
// early nor never, with every interaction done.
func TestParallelChainEnds(t *testing.T) {
	leakCheck(t)
	count := int64(200000)
	if raceEnabled() {
		count = 20000
	}
	for _, workers := range []int{8, 64} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				chainTypes, chainRule)
			defer closeNet(t, p)
			startChain(t, p.Network, count, "out")
			st, err := p.Reduce(context.Background())
			must(t, err)
			if st.Interactions != count+1 {
				t.Errorf("interactions = %d, want %d", st.Interactions, count+1)
			}
			if got := mustText(t, p.Network, "out"); got != "Fin" {
				t.Errorf("out = %s, want Fin", got)
			}
			if st.Live != 1 {
				t.Errorf("live agents = %d, want 1", st.Live)
			}
		})
	}
}

// TestParallelStartsEveryWorker gives a parallel run one pair per
// worker, each reduced by one interaction, and checks that every worker
// carries out one. A worker shares pairs only after an interaction and
// never its last one, so a worker that started with none would stay
// idle, and a slow action rule would delay every pair behind it.
func TestParallelStartsEveryWorker(t *testing.T) {
	leakCheck(t)
	for _, workers := range []int{2, 3, 8, 64} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				chainTypes, chainRule)
			defer closeNet(t, p)
			for i := range workers {
				startChain(t, p.Network, 0, "out"+strconv.Itoa(i))
			}
			st, err := p.Reduce(context.Background())
			must(t, err)
			for i, n := range st.PerWorker {
				if n != 1 {
					t.Errorf("worker %d carried out %d interactions, want 1", i, n)
				}
			}
		})
	}
}

// TestParallelSlowChainEnds is TestParallelChainEnds with a rule that
// sleeps: idle workers wait long for the one busy worker, which must
// neither end the run early nor hang it.
func TestParallelSlowChainEnds(t *testing.T) {
	leakCheck(t)
	const count = 500
	for _, workers := range []int{8, 64} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			var calls atomic.Int64
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				chainTypes, slowChainRule(50*time.Microsecond, &calls))
			defer closeNet(t, p)
			startChain(t, p.Network, count, "out")
			st, err := p.Reduce(context.Background())
			must(t, err)
			if st.Interactions != count+1 {
				t.Errorf("interactions = %d, want %d", st.Interactions, count+1)
			}
			if got := calls.Load(); got != count+1 {
				t.Errorf("chain rule ran %d times, want %d", got, count+1)
			}
			if got := mustText(t, p.Network, "out"); got != "Fin" {
				t.Errorf("out = %s, want Fin", got)
			}
		})
	}
}

// fullTree returns a full binary tree of the given depth whose leaf i
// (from the left, from 0) holds leaf(i).
func fullTree(depth int, leaf func(i int) int64) *tree {
	var build func(depth, first int) *tree
	build = func(depth, first int) *tree {
		if depth == 0 {
			return &tree{leaf: true, v: leaf(first)}
		}
		half := 1 << (depth - 1)
		return &tree{l: build(depth-1, first), r: build(depth-1, first+half)}
	}
	return build(depth, 0)
}

// treeLeaves returns the leaves of tr from left to right.
func treeLeaves(tr *tree) []*tree {
	if tr.leaf {
		return []*tree{tr}
	}
	return append(treeLeaves(tr.l), treeLeaves(tr.r)...)
}

// plantedPanic is the value the panicking plus2 rule panics with.
type plantedPanic struct{ x int64 }

// panickingTreeRules returns treeActionRules with plus2 replaced by a
// version that panics with plantedPanic{7} when its left sum x is 7.
func panickingTreeRules() []annette.Rule {
	return plantedTreeRules(func() { panic(plantedPanic{7}) })
}

// plantedTreeRules returns the action rules of the tree sum with a plus2
// rule that calls planted when its left sum x is 7, before it adds.
func plantedTreeRules(planted func()) []annette.Rule {
	rules := treeActionRules()
	for i, r := range rules {
		if a, ok := r.(annette.ActionRule); ok && a.Name == "plus2" {
			rules[i] = annette.ActionRule{Name: "plus2", Left: "Plus2", Right: "Int", Action: func(c *annette.RuleContext) error {
				x, err := c.IntAt(c.Left().Port("x"))
				if err != nil {
					return err
				}
				if x == 7 {
					planted()
				}
				return c.Link(c.Left().Port("s"), c.Int(x+c.Right().Value().(int64)))
			}}
		}
	}
	return rules
}

// addPanickingTree adds to n a tree of depth 10 whose leaves hold 1,
// except for one left leaf that holds 7, and a Fold over it. The
// Plus2 agent above that leaf is the only one whose left sum x is 7,
// because every other left sum is a power of two or 2^k + 6 with k >= 1.
func addPanickingTree(t testing.TB, n *annette.Network) {
	t.Helper()
	const planted = 2 * 300
	tr := fullTree(10, func(i int) int64 {
		if i == planted {
			return 7
		}
		return 1
	})
	addFold(t, n, tr, "total")
}

// checkPlantedPanic checks that err reports the panic of the plus2 rule
// with plantedPanic{7}.
func checkPlantedPanic(t *testing.T, err error) {
	t.Helper()
	var re *annette.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("Reduce = %v (%T), want a *RuleError", err, err)
	}
	if re.Rule != "plus2" {
		t.Errorf("RuleError.Rule = %q, want plus2", re.Rule)
	}
	if re.Left != "Plus2" || re.Right != "Int" {
		t.Errorf("RuleError types = %s >< %s, want Plus2 >< Int", re.Left, re.Right)
	}
	var pe *annette.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Reduce = %v, want a *PanicError inside the RuleError", err)
	}
	if pe.Value != (plantedPanic{7}) {
		t.Errorf("PanicError.Value = %#v, want %#v", pe.Value, plantedPanic{7})
	}
	if len(pe.Stack) == 0 {
		t.Errorf("PanicError.Stack is empty")
	}
}

// addTreeSum adds Grow(t) ~ depth and Fold(total) ~ t to n.
func addTreeSum(t testing.TB, n *annette.Network, depth int64) {
	t.Helper()
	g := addAgent(t, n, "Grow")
	f := addAgent(t, n, "Fold")
	connect(t, n, g.Main(), n.Int(depth))
	connect(t, n, g.Port("t"), f.Main())
	connect(t, n, f.Port("s"), n.Name("total"))
}

// TestParallelPanicPool checks that a panic in an action rule ends the
// run with an error naming the rule and the panic value, and that the
// network's pool still runs work afterwards, for itself and for another
// network that borrows it.
func TestParallelPanicPool(t *testing.T) {
	leakCheck(t)
	for _, workers := range []int{1, 2, 4, 8} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				foldTypes, panickingTreeRules()...)
			addPanickingTree(t, p.Network)
			_, err := p.Reduce(context.Background())
			checkPlantedPanic(t, err)

			// The failed pair stays in the network, so a second run fails
			// the same way.
			if got := p.Pending(); got == 0 {
				t.Errorf("Pending = 0 after the panic, want the failed pair left")
			}
			_, err = p.Reduce(context.Background())
			checkPlantedPanic(t, err)

			pool := p.Pool()
			if got := pool.Status().Total; got != workers {
				t.Errorf("pool has %d workers after the panic, want %d", got, workers)
			}
			var ran atomic.Int64
			err = pool.RunOnAll(context.Background(), func(context.Context, int) error {
				ran.Add(1)
				return nil
			})
			if err != nil {
				t.Errorf("RunOnAll after the panic: %v", err)
			}
			if got := ran.Load(); got != int64(workers) {
				t.Errorf("RunOnAll ran on %d workers, want %d", got, workers)
			}

			fresh := newParallel(t, annette.Config{},
				annette.ParallelConfig{Workers: workers, Mode: annette.Parallel, Pool: pool},
				treeTypes, treeRewriteRules()...)
			addTreeSum(t, fresh.Network, 12)
			st, err := fresh.Reduce(context.Background())
			if err != nil {
				t.Fatalf("Reduce on the borrowed pool: %v", err)
			}
			if got := mustText(t, fresh.Network, "total"); got != "4096" {
				t.Errorf("total = %s, want 4096", got)
			}
			if st.Interactions != treeInteractions(12) {
				t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(12))
			}
			if st.Workers != workers {
				t.Errorf("stats report %d workers, want %d", st.Workers, workers)
			}
			if len(st.PerWorker) != workers {
				t.Errorf("stats hold %d per-worker counts, want %d", len(st.PerWorker), workers)
			}
			closeNet(t, fresh)

			// Closing the borrowing network leaves the pool open.
			if got := pool.Status().Total; got != workers {
				t.Errorf("pool has %d workers after the borrower's Close, want %d", got, workers)
			}
			closeNet(t, p)
			if got := pool.Status().Total; got != 0 {
				t.Errorf("pool has %d workers after the owner's Close, want 0", got)
			}
		})
	}
}

// TestParallelGoexit checks that runtime.Goexit in an action rule (as in
// t.FailNow) ends a parallel run with an error instead of a hang. The
// pair it was reducing stays in the net, and the next run finishes with
// the right sum.
func TestParallelGoexit(t *testing.T) {
	leakCheck(t)
	for _, workers := range []int{1, 2, 4} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			var armed atomic.Bool
			armed.Store(true)
			rules := plantedTreeRules(func() {
				if armed.CompareAndSwap(true, false) {
					runtime.Goexit()
				}
			})
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				foldTypes, rules...)
			addPanickingTree(t, p.Network)
			done := make(chan error, 1)
			go func() {
				_, err := p.Reduce(context.Background())
				done <- err
			}()
			select {
			case err := <-done:
				var re *annette.RuleError
				if !errors.As(err, &re) || re.Rule != "plus2" || !strings.Contains(err.Error(), "Goexit") {
					t.Fatalf("Reduce = %v, want a RuleError of plus2 about runtime.Goexit", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Reduce did not return after runtime.Goexit in an action")
			}
			if got := p.Pending(); got == 0 {
				t.Errorf("Pending = 0 after the Goexit, want the pair left")
			}
			if _, err := p.Reduce(context.Background()); err != nil {
				t.Fatalf("second Reduce: %v", err)
			}
			if got := mustText(t, p.Network, "total"); got != "1030" {
				t.Errorf("total = %s, want 1030", got)
			}
			closeNet(t, p)
		})
	}
}

// TestStepClosedPool checks that a Step round that cannot run because
// the pool is closed keeps every pending pair, so that a sequential run
// still reaches the right result.
func TestStepClosedPool(t *testing.T) {
	leakCheck(t)
	pool := annette.NewWorkerPool(annette.PoolConfig{Workers: 2})
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1, Pool: pool},
		treeTypes, treeRewriteRules()...)
	addTreeSum(t, p.Network, 6)
	for range 3 {
		if _, err := p.Step(context.Background()); err != nil {
			t.Fatalf("Step: %v", err)
		}
	}
	before := p.Pending()

	if err := pool.Close(); err != nil {
		t.Fatalf("pool Close: %v", err)
	}
	if n, err := p.Step(context.Background()); err == nil || n != 0 {
		t.Errorf("Step on a closed pool = %d, %v; want 0 and an error", n, err)
	}
	if got := p.Pending(); got != before {
		t.Errorf("Pending after the failed Step = %d, want %d", got, before)
	}

	p.SetMode(annette.Sequential)
	if _, err := p.Reduce(context.Background()); err != nil {
		t.Fatalf("sequential Reduce: %v", err)
	}
	if got := mustText(t, p.Network, "total"); got != "64" {
		t.Errorf("total = %s, want 64", got)
	}
	if got := p.Stats().Interactions; got != treeInteractions(6) {
		t.Errorf("interactions = %d, want %d", got, treeInteractions(6))
	}
	closeNet(t, p)
}

// TestParallelCallsFromAction checks that an action rule cannot close or
// snapshot the network that runs it, and that a cancelled context stops
// Reduce before any interaction.
func TestParallelCallsFromAction(t *testing.T) {
	leakCheck(t)
	var p *annette.ParallelNetwork
	var closeErr, snapErr error
	rule := annette.ActionRule{Name: "x-y", Left: "X", Right: "Y", Action: func(*annette.RuleContext) error {
		closeErr = p.Close()
		_, snapErr = p.Snapshot()
		return nil
	}}
	p = newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel},
		[]annette.Type{{Name: "X"}, {Name: "Y"}}, rule)
	connect(t, p.Network, addAgent(t, p.Network, "X").Main(), addAgent(t, p.Network, "Y").Main())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := p.Reduce(ctx)
	if !errors.Is(err, context.Canceled) || st.Interactions != 0 {
		t.Errorf("Reduce with a cancelled context = %d interactions, %v; want 0, context.Canceled", st.Interactions, err)
	}
	if _, err := p.Reduce(context.Background()); err != nil {
		t.Fatalf("Reduce: %v", err)
	}
	if !errors.Is(closeErr, annette.ErrRunning) {
		t.Errorf("Close from an action = %v, want ErrRunning", closeErr)
	}
	if !errors.Is(snapErr, annette.ErrRunning) {
		t.Errorf("Snapshot from an action = %v, want ErrRunning", snapErr)
	}
	closeNet(t, p)
}

// TestStepLimitWaiting checks that Step rounds under an interaction
// limit stop at the limit, with the limit error, when pairs that wait for
// an integer come before the pairs that bring it.
func TestStepLimitWaiting(t *testing.T) {
	types := []annette.Type{
		{Name: "Need", Ports: []string{"main", "out", "y"}},
		{Name: "T", Ports: []string{"main", "r"}},
	}
	need := annette.ActionRule{Name: "need", Left: "Need", Right: "Int", Action: func(c *annette.RuleContext) error {
		y, err := c.IntAt(c.Left().Port("y"))
		if err != nil {
			return err
		}
		return c.Link(c.Left().Port("out"), c.Int(y+c.Right().Value().(int64)))
	}}
	bring := annette.RewriteRule{Left: Pat("T", "r"), Right: Pat("Int", "x"), Body: []annette.Wire{W(V("r"), V("x"))}}
	const pairs = 40
	for _, tc := range []struct {
		limit int64
		wait  time.Duration
	}{{1, 0}, {60, 0}, {0, 0}, {1, time.Nanosecond}, {60, time.Nanosecond}, {0, time.Nanosecond}} {
		limit := tc.limit
		t.Run(fmt.Sprintf("%d/%v", limit, tc.wait), func(t *testing.T) {
			p := newParallel(t, annette.Config{MaxInteractions: limit},
				annette.ParallelConfig{Workers: 2, MinBatch: 1, MaxBatchWait: tc.wait}, types, need, bring)
			ts := make([]annette.Agent, pairs)
			for i := range pairs {
				nd := addAgent(t, p.Network, "Need")
				ts[i] = addAgent(t, p.Network, "T")
				connect(t, p.Network, nd.Main(), p.Int(5))
				connect(t, p.Network, nd.Port("out"), p.Name(fmt.Sprintf("out%d", i)))
				connect(t, p.Network, nd.Port("y"), ts[i].Port("r"))
			}
			for i := range pairs {
				connect(t, p.Network, ts[i].Main(), p.Int(int64(i)))
			}
			total := 0
			var err error
			for {
				var n int
				n, err = p.Step(context.Background())
				total += n
				if err != nil || n == 0 {
					break
				}
			}
			switch {
			case limit == 0 && err != nil:
				t.Fatalf("Step without a limit: %v", err)
			case limit == 0:
				if total != 2*pairs {
					t.Errorf("interactions = %d, want %d", total, 2*pairs)
				}
				if got := mustText(t, p.Network, "out7"); got != "12" {
					t.Errorf("out7 = %s, want 12", got)
				}
			default:
				if !errors.Is(err, annette.ErrInteractionLimit) {
					t.Errorf("Step under limit %d stopped with %v, want the interaction limit", limit, err)
				}
				if int64(total) != limit {
					t.Errorf("interactions = %d, want the limit %d", total, limit)
				}
			}
			closeNet(t, p)
		})
	}
}

// goexitPairs returns a network with three pairs A(outI) ~ B whose
// action calls runtime.Goexit on its first call and links outI to 1 on
// the others.
func goexitPairs(t *testing.T, pcfg *annette.ParallelConfig) (*annette.Network, *annette.ParallelNetwork) {
	t.Helper()
	var calls atomic.Int64
	rule := annette.ActionRule{Name: "exit-once", Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		return c.Link(c.Left().Port("r"), c.Int(1))
	}}
	types := []annette.Type{{Name: "A", Ports: []string{"main", "r"}}, {Name: "B"}}
	var n *annette.Network
	var p *annette.ParallelNetwork
	if pcfg == nil {
		n = newNet(t, annette.Config{}, types, rule)
	} else {
		p = newParallel(t, annette.Config{}, *pcfg, types, rule)
		n = p.Network
	}
	for i := range 3 {
		a := addAgent(t, n, "A")
		connect(t, n, a.Main(), addAgent(t, n, "B").Main())
		connect(t, n, a.Port("r"), n.Name(fmt.Sprintf("out%d", i)))
	}
	return n, p
}

// onOwnGoroutine calls f on a new goroutine, which runtime.Goexit may
// end, and waits for it.
func onOwnGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// TestGoexitKeepsPairs checks that runtime.Goexit in an action run on the
// caller's goroutine, by Network.Reduce or by a one-worker Step round,
// leaves every pair in the net and the interactions done counted.
func TestGoexitKeepsPairs(t *testing.T) {
	leakCheck(t)
	for _, name := range []string{"Network.Reduce", "ParallelNetwork.Step"} {
		t.Run(name, func(t *testing.T) {
			var n *annette.Network
			var p *annette.ParallelNetwork
			if name == "Network.Reduce" {
				n, _ = goexitPairs(t, nil)
				onOwnGoroutine(func() { n.Reduce(context.Background()) })
			} else {
				// MinBatch above the pair count makes a one-worker round.
				n, p = goexitPairs(t, &annette.ParallelConfig{Workers: 2, MinBatch: 64})
				onOwnGoroutine(func() { p.Step(context.Background()) })
			}
			if got := n.Pending(); got != 3 {
				t.Errorf("Pending after the Goexit = %d, want 3", got)
			}
			if _, err := n.Reduce(context.Background()); err != nil {
				t.Fatalf("Reduce: %v", err)
			}
			for i := range 3 {
				if got := mustText(t, n, fmt.Sprintf("out%d", i)); got != "1" {
					t.Errorf("out%d = %s, want 1", i, got)
				}
			}
			if got := n.Stats().Interactions; got != 3 {
				t.Errorf("Stats().Interactions = %d, want 3", got)
			}
			if p != nil {
				closeNet(t, p)
			}
		})
	}
}

// endlessTypes and endlessRules make programs that never reach normal
// form, with a beacon that reports progress:
//
//	Loop >< Go => Loop ~ Go;
//	the tree-sum rules, for Grow ~ 40;
//	Chain(r) >< (int n) as chainRule, ending in r ~ Fin;
//	Fin >< Beacon => ;   (an action rule that closes a channel)
var endlessTypes = slices.Concat(treeTypes, chainTypes, []annette.Type{{Name: "Loop"}, {Name: "Go"}, {Name: "Beacon"}})

func endlessRules(started chan<- struct{}) []annette.Rule {
	var once sync.Once
	return append(treeRewriteRules(),
		chainRule,
		annette.RewriteRule{Name: "loop", Left: Pat("Loop"), Right: Pat("Go"),
			Body: []annette.Wire{W(A("Loop"), A("Go"))}},
		annette.ActionRule{Name: "beacon", Left: "Fin", Right: "Beacon", Action: func(*annette.RuleContext) error {
			once.Do(func() { close(started) })
			return nil
		}},
	)
}

// newEndless returns a network running the endless program kind ("loop"
// or "tree") and a channel that is closed once the network has carried
// out more than 1000 interactions.
func newEndless(t *testing.T, kind string, pcfg annette.ParallelConfig) (*annette.ParallelNetwork, <-chan struct{}) {
	t.Helper()
	started := make(chan struct{})
	p := newParallel(t, annette.Config{}, pcfg, endlessTypes, endlessRules(started)...)
	switch kind {
	case "loop":
		connect(t, p.Network, addAgent(t, p.Network, "Loop").Main(), addAgent(t, p.Network, "Go").Main())
	case "tree":
		addTreeSum(t, p.Network, 40)
	default:
		t.Fatalf("unknown endless program %q", kind)
	}
	c := addAgent(t, p.Network, "Chain")
	connect(t, p.Network, c.Port("r"), addAgent(t, p.Network, "Beacon").Main())
	connect(t, p.Network, c.Main(), p.Int(1000))
	return p, started
}

// reduceResult is what a Reduce running on another goroutine returned.
type reduceResult struct {
	st  annette.ParallelStats
	err error
}

// cancelRunning starts p.Reduce, cancels its context 10 ms after started
// is closed, and returns what Reduce returned and how long it took to
// return after the cancel. It fails the test if the run does not start or
// does not stop within a minute.
func cancelRunning(t *testing.T, p *annette.ParallelNetwork, started <-chan struct{}) (reduceResult, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan reduceResult, 1)
	go func() {
		st, err := p.Reduce(ctx)
		done <- reduceResult{st, err}
	}()
	guard := time.NewTimer(time.Minute)
	defer guard.Stop()
	select {
	case <-started:
	case res := <-done:
		t.Fatalf("Reduce returned %v before it was cancelled", res.err)
	case <-guard.C:
		t.Fatalf("the run did not report progress within a minute")
	}
	// started shows that the run began. The timer only lets it go on a
	// little longer, so that the cancel finds the workers busy.
	cancelled := make(chan time.Time, 1)
	time.AfterFunc(10*time.Millisecond, func() {
		cancelled <- time.Now()
		cancel()
	})
	select {
	case res := <-done:
		return res, time.Since(<-cancelled)
	case <-guard.C:
		t.Fatalf("Reduce did not return within a minute of the cancel")
	}
	panic("unreachable")
}

// TestParallelCancelLatency cancels endless runs while they are running
// and checks that Reduce returns context.Canceled soon after. The bound
// guards against a hang; it does not measure speed.
func TestParallelCancelLatency(t *testing.T) {
	leakCheck(t)
	const bound = 2 * time.Second
	for _, kind := range []string{"loop", "tree"} {
		for _, mode := range []annette.ExecutionMode{annette.Parallel, annette.Auto} {
			for _, workers := range []int{2, 8} {
				t.Run(fmt.Sprintf("%s/mode%d/%d", kind, mode, workers), func(t *testing.T) {
					p, started := newEndless(t, kind, annette.ParallelConfig{Workers: workers, Mode: mode})
					defer closeNet(t, p)
					res, latency := cancelRunning(t, p, started)
					if !errors.Is(res.err, context.Canceled) {
						t.Errorf("Reduce = %v, want context.Canceled", res.err)
					}
					if latency > bound {
						t.Errorf("Reduce returned %v after the cancel, want less than %v", latency, bound)
					}
					if res.st.Interactions <= 1000 {
						t.Errorf("interactions = %d, want more than the 1000 before the beacon", res.st.Interactions)
					}
					if got := p.Pending(); got == 0 {
						t.Errorf("Pending = 0 after the cancel, want the pairs not reduced")
					}
				})
			}
		}
	}
}

// TestParallelNoLeak checks that parallel networks leave no goroutine
// behind once closed: after many short runs, after a cancelled run and
// after a panic.
func TestParallelNoLeak(t *testing.T) {
	t.Run("cycles", func(t *testing.T) {
		leakCheck(t)
		cycles := 1000
		if raceEnabled() {
			cycles = 100
		}
		for i := range cycles {
			p := parallelTree(t, treeRewriteRules(), 4, 1+i%4, annette.Parallel)
			st, err := p.Reduce(context.Background())
			if err != nil {
				t.Fatalf("cycle %d: Reduce: %v", i, err)
			}
			if got := mustText(t, p.Network, "total"); got != "16" {
				t.Fatalf("cycle %d: total = %s, want 16", i, got)
			}
			if st.Interactions != treeInteractions(4) {
				t.Fatalf("cycle %d: interactions = %d, want %d", i, st.Interactions, treeInteractions(4))
			}
			closeNet(t, p)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		leakCheck(t)
		p, started := newEndless(t, "tree", annette.ParallelConfig{Workers: 4, Mode: annette.Parallel})
		res, _ := cancelRunning(t, p, started)
		if !errors.Is(res.err, context.Canceled) {
			t.Errorf("Reduce = %v, want context.Canceled", res.err)
		}
		closeNet(t, p)
	})
	t.Run("panic", func(t *testing.T) {
		leakCheck(t)
		p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 4, Mode: annette.Parallel},
			foldTypes, panickingTreeRules()...)
		addPanickingTree(t, p.Network)
		_, err := p.Reduce(context.Background())
		checkPlantedPanic(t, err)
		closeNet(t, p)
	})
}

// TestParallelInteractionLimit stops endless programs at MaxInteractions:
// at exactly the limit on every worker count, though workers reserve
// interactions from the budget in blocks.
func TestParallelInteractionLimit(t *testing.T) {
	leakCheck(t)
	limit := int64(100003)
	if raceEnabled() {
		limit = 20011
	}
	for _, kind := range []string{"loop", "tree"} {
		for _, mode := range []annette.ExecutionMode{annette.Parallel, annette.Auto} {
			for _, workers := range []int{1, 2, 3, 8} {
				t.Run(fmt.Sprintf("%s/mode%d/%d", kind, mode, workers), func(t *testing.T) {
					// With a negative SequentialTime, Auto mode takes the
					// tree to the parallel reducer before the limit.
					p := annette.NewParallelNetwork(annette.Config{MaxInteractions: limit},
						annette.ParallelConfig{Workers: workers, Mode: mode, SequentialTime: -1})
					defer closeNet(t, p)
					defineTypes(t, p.Network, endlessTypes...)
					addRules(t, p.Network, endlessRules(make(chan struct{}))...)
					if kind == "loop" {
						connect(t, p.Network, addAgent(t, p.Network, "Loop").Main(), addAgent(t, p.Network, "Go").Main())
					} else {
						addTreeSum(t, p.Network, 40)
					}

					st, err := p.Reduce(context.Background())
					if !errors.Is(err, annette.ErrInteractionLimit) {
						t.Fatalf("Reduce = %v, want ErrInteractionLimit", err)
					}
					var le *annette.LimitError
					if !errors.As(err, &le) {
						t.Fatalf("error %v (%T) is not a *LimitError", err, err)
					}
					if le.Limit != limit {
						t.Errorf("LimitError.Limit = %d, want %d", le.Limit, limit)
					}
					if st.Interactions != limit {
						t.Errorf("interactions = %d, want exactly %d", st.Interactions, limit)
					}
					if got := sumPerWorker(st); got != limit {
						t.Errorf("per-worker counts add up to %d, want %d", got, limit)
					}
					if got := p.Stats().Interactions; got != limit {
						t.Errorf("Stats().Interactions = %d, want %d", got, limit)
					}
					if got := p.Pending(); got == 0 {
						t.Errorf("Pending = 0 at the limit, want the pairs not reduced")
					}

					// The limit counts every interaction of the network, so a
					// second run stops at once.
					st, err = p.Reduce(context.Background())
					if !errors.Is(err, annette.ErrInteractionLimit) {
						t.Errorf("second Reduce = %v, want ErrInteractionLimit", err)
					}
					if st.Interactions != 0 {
						t.Errorf("second Reduce interactions = %d, want 0", st.Interactions)
					}
				})
			}
		}
	}
}

// TestParallelAgentLimit stops Pump(r) >< Tick, which adds one live agent
// per interaction, with MaxLiveAgents. Sequential runs stop at the first
// agent past the limit. Parallel workers publish their live counts every
// 256 interactions, so each worker may pass the limit by that many.
func TestParallelAgentLimit(t *testing.T) {
	leakCheck(t)
	limit := int64(50000)
	if raceEnabled() {
		limit = 5000
	}
	type run struct {
		mode    annette.ExecutionMode
		workers int
	}
	runs := []run{{annette.Sequential, 1}}
	for _, workers := range []int{1, 2, 3, 8} {
		runs = append(runs, run{annette.Parallel, workers})
	}
	for _, pumps := range []int{1, 4} {
		for _, r := range runs {
			t.Run(fmt.Sprintf("pumps%d/mode%d/%d", pumps, r.mode, r.workers), func(t *testing.T) {
				p := newParallel(t, annette.Config{MaxLiveAgents: limit},
					annette.ParallelConfig{Workers: r.workers, Mode: r.mode}, pumpTypes, pumpRule)
				defer closeNet(t, p)
				for i := range pumps {
					pump := addAgent(t, p.Network, "Pump")
					connect(t, p.Network, pump.Port("r"), p.Name("out"+strconv.Itoa(i)))
					connect(t, p.Network, pump.Main(), addAgent(t, p.Network, "Tick").Main())
				}
				st, err := p.Reduce(context.Background())
				if !errors.Is(err, annette.ErrAgentLimit) {
					t.Fatalf("Reduce = %v, want ErrAgentLimit", err)
				}
				var le *annette.LimitError
				if !errors.As(err, &le) {
					t.Fatalf("error %v (%T) is not a *LimitError", err, err)
				}
				if le.Limit != limit {
					t.Errorf("LimitError.Limit = %d, want %d", le.Limit, limit)
				}
				slack := int64(1)
				if r.mode != annette.Sequential {
					slack = 257 * int64(r.workers)
				}
				if st.Live <= limit || st.Live > limit+slack {
					t.Errorf("live agents = %d, want in (%d, %d]", st.Live, limit, limit+slack)
				}
				if st.PeakLive > limit+slack {
					t.Errorf("peak live agents = %d, want at most %d", st.PeakLive, limit+slack)
				}
				// Each interaction adds one S agent to the 2 agents per pump.
				if got, want := st.Interactions, st.Live-2*int64(pumps); got != want {
					t.Errorf("interactions = %d, want %d (live agents less 2 per pump)", got, want)
				}
			})
		}
	}
}

// countTypes and countRules make a countdown that leaves one S agent per
// interaction, so the number of live agents only grows, and a pair that
// reduces to nothing:
//
//	Count(r) >< (int n) | n == 0 => r ~ Z
//	                    | _      => r ~ S(r2), Count(r2) ~ (n - 1);
//	Nop >< Tick => ;
var countTypes = []annette.Type{
	{Name: "Count", Ports: []string{"main", "r"}},
	{Name: "S", Ports: []string{"main", "pred"}},
	{Name: "Z"}, {Name: "Nop"}, {Name: "Tick"},
}

var countRules = []annette.Rule{
	annette.RewriteRule{Name: "count", Left: Pat("Count", "r"), Right: Pat("Int", "n"),
		Cases: []annette.Case{
			{Guard: annette.Ptr(Op("==", V("n"), N(0))), Body: []annette.Wire{W(V("r"), A("Z"))}},
			{Body: []annette.Wire{W(V("r"), A("S", V("r2"))), W(A("Count", V("r2")), Op("-", V("n"), N(1)))}},
		}},
	annette.RewriteRule{Name: "nop", Left: Pat("Nop"), Right: Pat("Tick")},
}

// TestParallelPeakLive checks that the peak of live agents that Reduce
// reports is at least the number of agents alive at its end. The Nop pair
// starts on worker 1 and the countdown on worker 0, which keeps it
// because it never holds two pairs to share.
func TestParallelPeakLive(t *testing.T) {
	leakCheck(t)
	const count = 1000 // not a multiple of 256
	for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Parallel} {
		t.Run(fmt.Sprintf("mode%d", mode), func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: mode}, countTypes, countRules...)
			defer closeNet(t, p)
			connect(t, p.Network, addAgent(t, p.Network, "Nop").Main(), addAgent(t, p.Network, "Tick").Main())
			c := addAgent(t, p.Network, "Count")
			connect(t, p.Network, c.Port("r"), p.Name("out"))
			connect(t, p.Network, c.Main(), p.Int(count))
			st, err := p.Reduce(context.Background())
			must(t, err)
			if st.Live != count+1 {
				t.Errorf("live agents = %d, want %d", st.Live, count+1)
			}
			if st.PeakLive < st.Live {
				t.Errorf("peak live agents = %d, less than the %d alive at the end", st.PeakLive, st.Live)
			}
			if got := p.Stats().PeakLive; got != st.PeakLive {
				t.Errorf("Stats().PeakLive = %d, Reduce reported %d", got, st.PeakLive)
			}
		})
	}
}

// TestRunPeakLive checks that RunPeakLive covers the run that reports
// it alone while PeakLive keeps the network's peak. The first run counts
// down from 1000 to a chain of 1000 S and a Z (peak 1001). The second
// erases the chain, so its start, 1002 with the Del, is its peak. The
// third counts down from 10 on the emptied network (peak 11).
func TestRunPeakLive(t *testing.T) {
	leakCheck(t)
	types := append(slices.Clone(countTypes), annette.Type{Name: "Del"})
	rules := append(slices.Clone(countRules),
		annette.RewriteRule{Name: "del-s", Left: Pat("Del"), Right: Pat("S", "p"),
			Body: []annette.Wire{W(A("Del"), V("p"))}},
		annette.RewriteRule{Name: "del-z", Left: Pat("Del"), Right: Pat("Z")})
	for _, r := range []struct {
		mode    annette.ExecutionMode
		workers int
	}{{annette.Sequential, 1}, {annette.Auto, 2}, {annette.Parallel, 1}, {annette.Parallel, 2}} {
		t.Run(fmt.Sprintf("mode%d/%d", r.mode, r.workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: r.workers, Mode: r.mode}, types, rules...)
			defer closeNet(t, p)
			n := p.Network
			count := func(k int64, out string) {
				c := addAgent(t, n, "Count")
				connect(t, n, c.Port("r"), p.Name(out))
				connect(t, n, c.Main(), p.Int(k))
			}
			for i, run := range []struct {
				build         func()
				runPeak, peak int64
				wantLiveAtEnd int64
			}{
				{func() { count(1000, "a") }, 1001, 1001, 1001},
				{func() {
					a, err := n.Take("a")
					must(t, err)
					connect(t, n, a, addAgent(t, n, "Del").Main())
				}, 1002, 1002, 0},
				{func() { count(10, "b") }, 11, 1002, 11},
			} {
				run.build()
				st, err := p.Reduce(context.Background())
				must(t, err)
				if st.Live != run.wantLiveAtEnd || st.RunPeakLive != run.runPeak || st.PeakLive != run.peak {
					t.Errorf("run %d: live %d, run peak %d, peak %d; want %d, %d, %d",
						i+1, st.Live, st.RunPeakLive, st.PeakLive, run.wantLiveAtEnd, run.runPeak, run.peak)
				}
				if got := n.Stats(); got.PeakLive != run.peak || got.RunPeakLive != run.peak {
					t.Errorf("run %d: Stats gives peak %d and run peak %d, want %d for both",
						i+1, got.PeakLive, got.RunPeakLive, run.peak)
				}
			}
		})
	}
}

// stepToEnd calls p.Step until a round does no interaction and returns
// the total. With checkRounds, it also checks that every round reduces
// exactly the pairs pending at its start.
func stepToEnd(t *testing.T, p *annette.ParallelNetwork, checkRounds bool) int64 {
	t.Helper()
	var total int64
	for round := 1; ; round++ {
		pending := p.Pending()
		n, err := p.Step(context.Background())
		if err != nil {
			t.Fatalf("round %d: Step: %v", round, err)
		}
		if checkRounds && n != pending {
			t.Errorf("round %d did %d interactions, want the %d pairs pending at its start", round, n, pending)
		}
		if n == 0 {
			return total
		}
		total += int64(n)
	}
}

// TestParallelStepRounds compares Step rounds to the end with Reduce.
// On nets where no pair waits for an integer (tree sum, unary
// multiplication), each round must reduce all pairs pending at its start.
// On a tree with delayed leaves, folds may wait for a later round.
func TestParallelStepRounds(t *testing.T) {
	leakCheck(t)
	// A tree whose every third leaf gets its integer through an Id pair.
	delayed := fullTree(8, func(i int) int64 { return int64(i*7 - 500) })
	for i, leaf := range treeLeaves(delayed) {
		leaf.delayed = i%3 == 0
	}

	nets := []struct {
		name        string
		types       []annette.Type
		rules       func() []annette.Rule
		build       func(t *testing.T, n *annette.Network)
		names       []string
		checkRounds bool
	}{
		{"tree", treeTypes, treeRewriteRules, func(t *testing.T, n *annette.Network) { addTreeSum(t, n, 10) }, []string{"total"}, true},
		{"unary", nil, unaryRules, func(t *testing.T, n *annette.Network) {
			binop(t, n, "Mul", unary(t, n, 20), unary(t, n, 30), "out")
		}, []string{"out"}, true},
		{"delayed", foldTypes, func() []annette.Rule { return foldRules(true) }, func(t *testing.T, n *annette.Network) {
			addFold(t, n, delayed, "total")
		}, []string{"total"}, false},
	}
	for _, net := range nets {
		for _, minBatch := range []int{0, 1} {
			for _, workers := range []int{1, 2, 4} {
				t.Run(fmt.Sprintf("%s/batch%d/%d", net.name, minBatch, workers), func(t *testing.T) {
					build := func() *annette.ParallelNetwork {
						p := annette.NewParallelNetwork(annette.Config{},
							annette.ParallelConfig{Workers: workers, Mode: annette.Parallel, MinBatch: minBatch})
						if net.types == nil {
							copyUnary(t, p.Network)
						} else {
							defineTypes(t, p.Network, net.types...)
							addRules(t, p.Network, net.rules()...)
						}
						net.build(t, p.Network)
						return p
					}
					byReduce := build()
					defer closeNet(t, byReduce)
					st, err := byReduce.Reduce(context.Background())
					must(t, err)

					byStep := build()
					defer closeNet(t, byStep)
					total := stepToEnd(t, byStep, net.checkRounds)
					if total != st.Interactions {
						t.Errorf("Step rounds did %d interactions, Reduce %d", total, st.Interactions)
					}
					if got := byStep.Stats().Interactions; got != total {
						t.Errorf("Stats().Interactions = %d after rounds of %d", got, total)
					}
					if got := byStep.Pending(); got != 0 {
						t.Errorf("Pending = %d after the last round, want 0", got)
					}
					for _, name := range net.names {
						if got, want := mustText(t, byStep.Network, name), mustText(t, byReduce.Network, name); got != want {
							t.Errorf("%s by Step = %s, by Reduce = %s", name, got, want)
						}
					}
				})
			}
		}
	}
}

// TestParallelStepStuck steps a net whose one active pair waits for an
// integer that never arrives. Reduce and Network.Step stop with
// ErrPending there. A Step round that reports no interaction and no error
// would read as normal form, with the pair still pending.
func TestParallelStepStuck(t *testing.T) {
	leakCheck(t)
	for _, workers := range []int{1, 2} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				foldTypes, foldRules(false)...)
			defer closeNet(t, p)
			// Fold(total) ~ Leaf(v), with v the result of Id(v) ~ never:
			// no integer is ever connected to the name never.
			leaf := addAgent(t, p.Network, "Leaf")
			id := addAgent(t, p.Network, "Id")
			connect(t, p.Network, leaf.Port("v"), id.Port("r"))
			connect(t, p.Network, id.Main(), p.Name("never"))
			fold := addAgent(t, p.Network, "Fold")
			connect(t, p.Network, fold.Port("s"), p.Name("total"))
			connect(t, p.Network, fold.Main(), leaf.Main())

			var err error
			for round := 1; round <= 3 && err == nil; round++ {
				var n int
				n, err = p.Step(context.Background())
				if n != 0 {
					t.Errorf("round %d did %d interactions, want 0", round, n)
				}
			}
			if !errors.Is(err, annette.ErrPending) {
				t.Errorf("Step = %v with %d pairs pending, want ErrPending", err, p.Pending())
			}
			if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrPending) {
				t.Errorf("Reduce = %v, want ErrPending", err)
			}
		})
	}
}

// subnet is one independent part of a random net: a unary expression
// ("arith"), a sum of a random tree ("fold"), a grown tree ("grow"), a
// unary expression duplicated ("dup") or erased ("erase").
type subnet struct {
	kind  string
	expr  *arith
	tree  *tree
	depth int64
}

func (s subnet) String() string {
	switch s.kind {
	case "arith", "dup", "erase":
		return s.kind + " " + s.expr.String()
	case "fold":
		return "fold " + s.tree.String()
	}
	return "grow " + strconv.FormatInt(s.depth, 10)
}

// smallArithGen generates unary expressions that reduce in at most 10000
// interactions, so that a random net stays quick under the race detector.
var smallArithGen = arithGen.Filter(func(e *arith) bool { return e.interactions() <= 10000 })

var subnetGen = rapid.Custom(func(t *rapid.T) subnet {
	s := subnet{kind: rapid.SampledFrom([]string{"arith", "fold", "grow", "dup", "erase"}).Draw(t, "kind")}
	switch s.kind {
	case "fold":
		s.tree = treeGen.Draw(t, "tree")
	case "grow":
		s.depth = rapid.Int64Range(0, 8).Draw(t, "depth")
	default:
		s.expr = smallArithGen.Draw(t, "expr")
	}
	return s
})

// addSubnet adds the agents of s to n, with its results on interface
// names that start with prefix, and returns those names.
func addSubnet(t fatalT, n *annette.Network, s subnet, prefix string) []string {
	t.Helper()
	switch s.kind {
	case "arith":
		connect(t, n, buildArith(t, n, s.expr), n.Name(prefix))
		return []string{prefix}
	case "fold":
		addFold(t, n, s.tree, prefix)
		return []string{prefix}
	case "grow":
		g := addAgent(t, n, "Grow")
		f := addAgent(t, n, "Fold")
		connect(t, n, g.Main(), n.Int(s.depth))
		connect(t, n, g.Port("t"), f.Main())
		connect(t, n, f.Port("s"), n.Name(prefix))
		return []string{prefix}
	case "dup":
		d := addAgent(t, n, "Dup")
		connect(t, n, d.Port("a"), n.Name(prefix+"a"))
		connect(t, n, d.Port("b"), n.Name(prefix+"b"))
		connect(t, n, d.Main(), buildArith(t, n, s.expr))
		return []string{prefix + "a", prefix + "b"}
	}
	connect(t, n, addAgent(t, n, "Erase").Main(), buildArith(t, n, s.expr))
	return nil
}

// TestPropParallelMatches reduces random nets built from the unary and
// tree-sum rules sequentially and on a random number of parallel workers,
// in Parallel or Auto mode, and checks that both read back the same terms
// after the same number of interactions.
func TestPropParallelMatches(t *testing.T) {
	leakCheck(t)
	rapid.Check(t, func(rt *rapid.T) {
		subs := rapid.SliceOfN(subnetGen, 1, 6).Draw(rt, "subnets")
		action := rapid.Bool().Draw(rt, "action")
		workers := rapid.SampledFrom([]int{2, 3, 4, 8, 16}).Draw(rt, "workers")
		// Auto mode with a threshold of 1 and a negative SequentialTime
		// switches to the parallel reducer after its first interaction, if
		// a pair is pending then.
		mode := rapid.SampledFrom([]annette.ExecutionMode{annette.Parallel, annette.Auto}).Draw(rt, "mode")

		build := func(n *annette.Network) []string {
			copyUnary(t, n)
			defineTypes(t, n, foldTypes...)
			addRules(t, n, foldRules(action)...)
			var names []string
			for i, s := range subs {
				names = append(names, addSubnet(rt, n, s, "out"+strconv.Itoa(i))...)
			}
			return names
		}
		seq := annette.NewNetwork(annette.Config{})
		names := build(seq)
		want := mustReduce(rt, seq)

		p := annette.NewParallelNetwork(annette.Config{},
			annette.ParallelConfig{Workers: workers, Mode: mode, SequentialThreshold: 1, SequentialTime: -1})
		defer p.Close()
		build(p.Network)
		got, err := p.Reduce(context.Background())
		if err != nil {
			rt.Fatalf("%d workers: Reduce: %v", workers, err)
		}
		for _, name := range names {
			if g, w := mustText(rt, p.Network, name), mustText(rt, seq, name); g != w {
				rt.Errorf("%d workers: %s = %s, sequential %s", workers, name, g, w)
			}
		}
		if got.Interactions != want.Interactions {
			rt.Errorf("%d workers: interactions = %d, sequential %d", workers, got.Interactions, want.Interactions)
		}
		if got.Live != want.Live {
			rt.Errorf("%d workers: live agents = %d, sequential %d", workers, got.Live, want.Live)
		}
	})
}

// TestParallelStepMaxBatchWait bounds Step rounds whose rule sleeps: the
// first round stops early, and later rounds finish the net with the
// interactions of an unbounded run.
func TestParallelStepMaxBatchWait(t *testing.T) {
	leakCheck(t)
	const pairs = 60
	types := []annette.Type{{Name: "Slow"}, {Name: "Go"}}
	var calls atomic.Int64
	rule := annette.ActionRule{Name: "slow", Left: "Slow", Right: "Go", Action: func(*annette.RuleContext) error {
		calls.Add(1)
		time.Sleep(2 * time.Millisecond)
		return nil
	}}
	p := newParallel(t, annette.Config{},
		annette.ParallelConfig{Workers: 2, Mode: annette.Parallel, MinBatch: 1, MaxBatchWait: 10 * time.Millisecond},
		types, rule)
	defer closeNet(t, p)
	for range pairs {
		connect(t, p.Network, addAgent(t, p.Network, "Slow").Main(), addAgent(t, p.Network, "Go").Main())
	}

	first, err := p.Step(context.Background())
	must(t, err)
	if first < 2 || first >= pairs {
		t.Errorf("first round: %d interactions, want at least one per worker and fewer than %d", first, pairs)
	}

	total, rounds := first, 1
	for {
		n, err := p.Step(context.Background())
		must(t, err)
		if n == 0 {
			break
		}
		total += n
		rounds++
	}
	if total != pairs || calls.Load() != pairs {
		t.Errorf("%d interactions and %d calls in %d rounds, want %d", total, calls.Load(), rounds, pairs)
	}
}

// TestPeakLiveIncludesStart checks that the peak counts the net as it
// starts. Adding 1000 to zero in unary keeps the live count flat until
// the last interaction frees two agents, so the start is the peak.
func TestPeakLiveIncludesStart(t *testing.T) {
	leakCheck(t)
	for _, r := range []struct {
		mode    annette.ExecutionMode
		workers int
	}{{annette.Sequential, 1}, {annette.Auto, 2}, {annette.Parallel, 1}, {annette.Parallel, 2}} {
		t.Run(fmt.Sprintf("mode%d/%d", r.mode, r.workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{},
				annette.ParallelConfig{Workers: r.workers, Mode: r.mode}, unaryTypes, unaryRules()...)
			defer closeNet(t, p)
			n := p.Network
			z, err := n.AddAgent("Z", nil)
			must(t, err)
			binop(t, n, "Add", unary(t, n, 1000), z.Main(), "out")
			start := n.Stats().Live // 1000 S, two Z and the Add
			st, err := p.Reduce(context.Background())
			must(t, err)
			if st.PeakLive != start {
				t.Errorf("peak live agents = %d, want the %d of the start", st.PeakLive, start)
			}
			if st.Live != start-2 {
				t.Errorf("live agents = %d, want %d", st.Live, start-2)
			}
		})
	}
}

// TestStepPeakIncludesStart checks that Step, like Reduce, counts the
// net as it starts in the peak. Erasing S^5(Z) frees one agent at each
// interaction, so the start is the peak. The weak strategy of annette run
// -w reduces with Network.Step, and its peak missed the start.
func TestStepPeakIncludesStart(t *testing.T) {
	leakCheck(t)
	t.Run("Network", func(t *testing.T) {
		n := unaryNet(t, annette.Config{})
		connect(t, n, addAgent(t, n, "Erase").Main(), unary(t, n, 5))
		start := n.Stats().Live
		if _, err := n.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := n.Stats().PeakLive; got != start {
			t.Errorf("peak live agents = %d, want the %d of the start", got, start)
		}
	})
	for _, r := range []struct {
		mode    annette.ExecutionMode
		workers int
	}{{annette.Sequential, 1}, {annette.Auto, 2}, {annette.Parallel, 2}} {
		t.Run(fmt.Sprintf("mode%d/%d", r.mode, r.workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{},
				annette.ParallelConfig{Workers: r.workers, Mode: r.mode}, unaryTypes, unaryRules()...)
			defer closeNet(t, p)
			n := p.Network
			connect(t, n, addAgent(t, n, "Erase").Main(), unary(t, n, 5))
			start := n.Stats().Live
			if _, err := p.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := p.Stats().PeakLive; got != start {
				t.Errorf("peak live agents = %d, want the %d of the start", got, start)
			}
		})
	}
}

// TestEmbeddedStepPeak calls the embedded Network.Step of a parallel
// network after a parallel run in which worker 1 freed agents that the
// network's own worker made. That worker's heap then counts more agents
// than are alive, and Step recorded its heap's count as the peak.
func TestEmbeddedStepPeak(t *testing.T) {
	leakCheck(t)
	p := newParallel(t, annette.Config{},
		annette.ParallelConfig{Workers: 2, Mode: annette.Parallel}, unaryTypes, unaryRules()...)
	defer closeNet(t, p)
	n := p.Network
	// Worker 1 starts with one chain and erases it alone: 50,001
	// interactions, each freeing an agent of worker 0's heap.
	for range 4 {
		connect(t, n, addAgent(t, n, "Erase").Main(), unary(t, n, 50000))
	}
	st, err := p.Reduce(context.Background())
	must(t, err)
	if st.PerWorker[1] < 50000 {
		t.Fatalf("worker 1 did %d interactions, want at least 50000", st.PerWorker[1])
	}
	connect(t, n, addAgent(t, n, "Erase").Main(), unary(t, n, 190000))
	want := max(st.PeakLive, n.Stats().Live)
	if _, err := n.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := n.Stats().PeakLive; got != want {
		t.Errorf("peak live agents = %d, want %d", got, want)
	}
}

// TestParallelAgentLimitShortRun checks runs too short for the workers'
// periodic check of the live agent limit: one that ends above the limit
// and one that starts above it with interactions that add no agent. Both
// must fail with ErrAgentLimit at every worker count.
func TestParallelAgentLimitShortRun(t *testing.T) {
	leakCheck(t)
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprintf("ends-above/%d", workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{MaxLiveAgents: 50},
				annette.ParallelConfig{Workers: workers, Mode: annette.Parallel}, countTypes, countRules...)
			defer closeNet(t, p)
			for i := range 2 {
				c := addAgent(t, p.Network, "Count")
				connect(t, p.Network, c.Port("r"), p.Name("out"+strconv.Itoa(i)))
				connect(t, p.Network, c.Main(), p.Int(100))
			}
			if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrAgentLimit) {
				t.Errorf("Reduce = %v, want ErrAgentLimit", err)
			}
		})
		t.Run(fmt.Sprintf("starts-above/%d", workers), func(t *testing.T) {
			p := newParallel(t, annette.Config{MaxLiveAgents: 1},
				annette.ParallelConfig{Workers: workers, Mode: annette.Parallel}, unaryTypes, unaryRules()...)
			defer closeNet(t, p)
			n := p.Network
			z, err := n.AddAgent("Z", nil)
			must(t, err)
			binop(t, n, "Add", unary(t, n, 100), z.Main(), "out")
			if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrAgentLimit) {
				t.Errorf("Reduce = %v, want ErrAgentLimit", err)
			}
		})
	}
}

// TestParallelAgentLimitNoPairs reduces a net above the live agent limit
// that has no active pair. The sequential reducer carries out nothing and
// returns nil, and so must every mode at every worker count: no
// interaction ever passed the limit.
func TestParallelAgentLimitNoPairs(t *testing.T) {
	leakCheck(t)
	for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Auto, annette.Parallel} {
		for _, workers := range []int{1, 2, 3, 8} {
			t.Run(fmt.Sprintf("%v/%d", mode, workers), func(t *testing.T) {
				p := newParallel(t, annette.Config{MaxLiveAgents: 1},
					annette.ParallelConfig{Workers: workers, Mode: mode}, unaryTypes, unaryRules()...)
				defer closeNet(t, p)
				connect(t, p.Network, p.Name("out"), unary(t, p.Network, 3))
				st, err := p.Reduce(context.Background())
				if err != nil {
					t.Errorf("Reduce = %v, want nil", err)
				}
				if st.Interactions != 0 {
					t.Errorf("%d interactions, want 0", st.Interactions)
				}
			})
		}
	}
}

// TestParallelCancelResume cancels parallel tree sums partway and
// reduces them again: the pairs left by the cancelled run, which the
// network takes over from the workers' stacks, finish the sum.
func TestParallelCancelResume(t *testing.T) {
	leakCheck(t)
	const depth = 14
	for _, workers := range []int{2, 4} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var grown atomic.Int64
			rules := treeActionRules()
			for i, r := range rules {
				if a, ok := r.(annette.ActionRule); ok && a.Name == "grow" {
					inner := a.Action
					a.Action = func(c *annette.RuleContext) error {
						if grown.Add(1) == 1000 {
							// The scheduler learns of the cancel on
							// another goroutine; give it the processor.
							cancel()
							time.Sleep(10 * time.Millisecond)
						}
						return inner(c)
					}
					rules[i] = a
				}
			}
			p := parallelTree(t, rules, depth, workers, annette.Parallel)
			defer closeNet(t, p)
			st1, err := p.Reduce(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Reduce = %v, want context.Canceled", err)
			}
			if p.Pending() == 0 {
				t.Fatal("Pending = 0 after the cancel, want the pairs not reduced")
			}
			st2, err := p.Reduce(context.Background())
			if err != nil {
				t.Fatalf("second Reduce: %v", err)
			}
			if got := mustText(t, p.Network, "total"); got != fmt.Sprint(1<<depth) {
				t.Errorf("total = %s, want %d", got, 1<<depth)
			}
			if got, want := st1.Interactions+st2.Interactions, treeInteractions(depth); got != want {
				t.Errorf("interactions = %d + %d, want %d in all", st1.Interactions, st2.Interactions, want)
			}
		})
	}
}

// TestParallelAfterEmbeddedStep runs the embedded Network's Step before
// the ParallelNetwork's Reduce. Step prepares only the Network's own
// worker for the rules, so Reduce must prepare the others. The P2 rule
// waits for an integer from a Count chain and takes the general path.
func TestParallelAfterEmbeddedStep(t *testing.T) {
	leakCheck(t)
	types := []annette.Type{
		{Name: "Count", Ports: []string{"main", "r"}},
		{Name: "P2", Ports: []string{"main", "s", "x"}},
	}
	rules := []annette.Rule{
		annette.RewriteRule{Name: "count", Left: annette.Pat("Count", "r"), Right: annette.Pat("Int", "d"),
			Cases: []annette.Case{
				{Guard: annette.Ptr(annette.Op("<=", annette.V("d"), annette.N(0))), Body: []annette.Wire{annette.W(annette.V("r"), annette.N(7))}},
				{Body: []annette.Wire{annette.W(annette.A("Count", annette.V("r")), annette.Op("-", annette.V("d"), annette.N(1)))}},
			}},
		annette.RewriteRule{Name: "p2", Left: annette.Pat("P2", "s", "int x"), Right: annette.Pat("Int", "y"),
			Body: []annette.Wire{annette.W(annette.V("s"), annette.Op("+", annette.V("x"), annette.V("y")))}},
	}
	const n = 300
	agent := func(net *annette.Network, typ string) annette.Agent {
		a, err := net.AddAgent(typ, nil)
		must(t, err)
		return a
	}
	build := func(net *annette.Network) {
		tail := agent(net, "Nil").Main()
		for i := n - 1; i >= 0; i-- {
			c, p, k := agent(net, "Cons"), agent(net, "P2"), agent(net, "Count")
			must(t, net.Connect(c.Port("tail"), tail))
			must(t, net.Connect(c.Port("head"), p.Port("s")))
			must(t, net.Connect(p.Main(), net.Int(int64(i))))
			must(t, net.Connect(k.Port("r"), p.Port("x")))
			must(t, net.Connect(k.Main(), net.Int(int64(3+i%5))))
			tail = c.Main()
		}
		must(t, net.Connect(net.Name("out"), tail))
	}

	seq := annette.NewNetwork(annette.Config{})
	defineTypes(t, seq, types...)
	addRules(t, seq, rules...)
	build(seq)
	want, err := seq.Reduce(context.Background())
	must(t, err)
	wantOut, _ := seq.Text("out")

	for _, workers := range []int{2, 4} {
		p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel}, types, rules...)
		build(p.Network)
		if _, err := p.Network.Step(context.Background()); err != nil {
			t.Fatalf("%d workers: Network.Step: %v", workers, err)
		}
		if _, err := p.Reduce(context.Background()); err != nil {
			t.Fatalf("%d workers: Reduce after Network.Step: %v", workers, err)
		}
		if got := p.Stats().Interactions; got != want.Interactions {
			t.Errorf("%d workers: %d interactions, want %d", workers, got, want.Interactions)
		}
		if got, _ := p.Text("out"); got != wantOut {
			t.Errorf("%d workers: out = %.60s, want %.60s", workers, got, wantOut)
		}
		closeNet(t, p)
	}
}

// TestNegativeWorkerCounts checks the documented meaning of a negative
// worker count: the default of each config, not an error or a panic.
func TestNegativeWorkerCounts(t *testing.T) {
	leakCheck(t)
	cores := runtime.GOMAXPROCS(0)

	p := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: -1, MinBatch: -1, SequentialThreshold: -1})
	if got := p.Workers(); got != cores {
		t.Errorf("ParallelConfig.Workers -1: Workers() = %d, want %d", got, cores)
	}
	must(t, p.Close())

	h := annette.NewEffectHandler(annette.EffectConfig{Workers: -1, MaxBatch: -1})
	if got := h.Pool().Workers(); got != cores {
		t.Errorf("EffectConfig.Workers -1: pool workers = %d, want %d", got, cores)
	}
	must(t, h.Close())

	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: -1})
	must(t, err)
	if ip.Parallel() != nil {
		t.Errorf("InterpreterConfig.Workers -1: Parallel() is not nil, want a sequential interpreter")
	}
	must(t, ip.Close())
}

// limitOnWorkerOne returns a parallel network whose interaction limit
// worker 1 has used up, with worker 0 having carried out none. Worker 1
// gets the oldest pair, a chain of one pair at a time that it cannot
// share, and worker 0 a Plus2 pair whose integer never comes. Worker 0
// can still take the chain when it reserves the whole budget before
// finding that its pair waits, so the network is built again until
// worker 1 has done all.
func limitOnWorkerOne(t *testing.T, limit int64) *annette.ParallelNetwork {
	t.Helper()
	for range 100 {
		p := newParallel(t, annette.Config{MaxInteractions: limit}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel},
			append(slices.Clone(unaryTypes), treeTypes...), append(unaryRules(), treeRewriteRules()...)...)
		binop(t, p.Network, "Add", unary(t, p.Network, int(limit-1)), unary(t, p.Network, 0), "x")
		plus := addAgent(t, p.Network, "Plus2")
		connect(t, p.Network, plus.Port("s"), p.Name("y"))
		connect(t, p.Network, plus.Port("x"), p.Name("never"))
		connect(t, p.Network, plus.Main(), p.Int(5))
		if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrInteractionLimit) {
			t.Fatalf("parallel Reduce = %v, want ErrInteractionLimit", err)
		}
		if p.PerWorker()[0] == 0 {
			return p
		}
		closeNet(t, p)
	}
	t.Fatal("worker 0 carried out interactions in each of 100 runs")
	return nil
}

// TestParallelLimitAfterOtherWorkers uses up the interaction limit on a
// worker other than the network's own, and then runs that one: in
// Sequential mode, in Auto mode's first stretch, and through the
// embedded Network. Each must stop at the limit at once.
func TestParallelLimitAfterOtherWorkers(t *testing.T) {
	leakCheck(t)
	const limit = 21 // add-succ 20 times, then add-zero
	for _, entry := range []string{"Sequential", "Auto", "embedded"} {
		t.Run(entry, func(t *testing.T) {
			p := limitOnWorkerOne(t, limit)
			defer closeNet(t, p)

			binop(t, p.Network, "Add", unary(t, p.Network, 5), unary(t, p.Network, 0), "z")
			var err error
			switch entry {
			case "embedded":
				_, err = p.Network.Reduce(context.Background())
			default:
				p.SetMode(annette.Sequential)
				if entry == "Auto" {
					p.SetMode(annette.Auto)
				}
				_, err = p.Reduce(context.Background())
			}
			if !errors.Is(err, annette.ErrInteractionLimit) {
				t.Errorf("second Reduce = %v, want ErrInteractionLimit", err)
			}
			if got := p.Stats().Interactions; got != limit {
				t.Errorf("%d interactions in all, want the limit, %d", got, limit)
			}
		})
	}
}

// TestClosedBeatsDoneContext checks that every Reduce and Step of a
// closed network returns ErrClosed, even with a context already done.
func TestClosedBeatsDoneContext(t *testing.T) {
	leakCheck(t)
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2}, unaryTypes, unaryRules()...)
	binop(t, p.Network, "Add", unary(t, p.Network, 2), unary(t, p.Network, 1), "out")
	closeNet(t, p)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Reduce(done); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("Reduce = %v, want ErrClosed", err)
	}
	if _, err := p.Step(done); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("Step = %v, want ErrClosed", err)
	}
	if _, err := p.Network.Reduce(done); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("Network.Reduce = %v, want ErrClosed", err)
	}
	if _, err := p.Network.Step(done); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("Network.Step = %v, want ErrClosed", err)
	}
}

// TestParallelStatsStealsPerRun checks that ParallelStats.Steals counts
// the steals of its own run: none for a run that stays sequential after
// one that went parallel.
func TestParallelStatsStealsPerRun(t *testing.T) {
	leakCheck(t)
	p := parallelTree(t, treeRewriteRules(), 12, 2, annette.Parallel)
	defer closeNet(t, p)
	st, err := p.Reduce(context.Background())
	must(t, err)
	if st.Steals == 0 {
		t.Skip("the parallel run took no pairs from another worker")
	}
	if got := p.Steals(); got != st.Steals {
		t.Errorf("Steals = %d after one run, want its ParallelStats.Steals, %d", got, st.Steals)
	}

	p.SetMode(annette.Sequential)
	g, f := addAgent(t, p.Network, "Grow"), addAgent(t, p.Network, "Fold")
	connect(t, p.Network, g.Main(), p.Int(3))
	connect(t, p.Network, g.Port("t"), f.Main())
	connect(t, p.Network, f.Port("s"), p.Name("small"))
	st2, err := p.Reduce(context.Background())
	must(t, err)
	if st2.Steals != 0 {
		t.Errorf("sequential run reported %d steals, want 0", st2.Steals)
	}
	if got := p.Steals(); got != st.Steals {
		t.Errorf("Steals = %d after a sequential run, want %d", got, st.Steals)
	}
}

// TestParallelPeakWithoutLimit checks that a parallel run without a live
// agent limit samples the peak while it runs, not only at its end. A
// single chain of pairs builds 100,000 S agents and then erases them, so
// the peak comes halfway and nothing is left at the end. With one pair
// at a time the first worker does all the work, and its samples may
// miss the peak by a few thousand interactions' worth of agents.
func TestParallelPeakWithoutLimit(t *testing.T) {
	leakCheck(t)
	const n = 100000
	src := fmt.Sprintf(`
Build(top, acc) >< (int n)
| n == 0 => top ~ acc
| _      => Build(top, S(acc)) ~ (n - 1);
Del >< S(p) => Del ~ p;
Del >< Z => ;
Build(top, Z) ~ %d, Del ~ top;
`, n)
	for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Parallel} {
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: 2, Mode: mode, Stdout: io.Discard})
		must(t, err)
		must(t, ip.Run("peak.in", []byte(src)))
		st := ip.Network().Stats()
		ip.Close()
		if st.Live != 0 {
			t.Errorf("mode %d: live agents = %d at the end, want 0", mode, st.Live)
		}
		// At most the S agents, Z, Build and Del.
		if st.PeakLive < n/2 || st.PeakLive > n+3 {
			t.Errorf("mode %d: peak live agents = %d, want between %d and %d", mode, st.PeakLive, n/2, n+3)
		}
	}
}
