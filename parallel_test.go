package annette_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/annette-go/annette"
)

var workerCounts = []int{1, 2, 3, 4, 8, 16}

// parallelTree returns a parallel network that grows and sums a tree.
func parallelTree(tb testing.TB, rules []annette.Rule, depth int64, workers int, mode annette.ExecutionMode) *annette.ParallelNetwork {
	tb.Helper()
	// Auto mode applies SequentialThreshold from the start, so that the
	// tests take the switch on nets that finish within SequentialTime.
	p := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: mode, SequentialTime: -1})
	defineTypes(tb, p.Network, treeTypes...)
	addRules(tb, p.Network, rules...)
	g, err := p.AddAgent("Grow", nil)
	must(tb, err)
	f, err := p.AddAgent("Fold", nil)
	must(tb, err)
	must(tb, p.Connect(g.Main(), p.Int(depth)))
	must(tb, p.Connect(g.Port("t"), f.Main()))
	must(tb, p.Connect(f.Port("s"), p.Name("total")))
	return p
}

func TestParallelTreeSum(t *testing.T) {
	for _, style := range []struct {
		name  string
		rules func() []annette.Rule
	}{{"rewrite", treeRewriteRules}, {"action", treeActionRules}} {
		for _, mode := range []annette.ExecutionMode{annette.Parallel, annette.Auto} {
			for _, workers := range workerCounts {
				t.Run(fmt.Sprintf("%s/mode%d/%d", style.name, mode, workers), func(t *testing.T) {
					p := parallelTree(t, style.rules(), 12, workers, mode)
					defer p.Close()
					st, err := p.Reduce(context.Background())
					must(t, err)
					if got, _ := p.Text("total"); got != "4096" {
						t.Errorf("total = %s, want 4096", got)
					}
					if st.Interactions != treeInteractions(12) {
						t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(12))
					}
					if st.Live != 0 {
						t.Errorf("live agents = %d, want 0", st.Live)
					}
					var sum int64
					for _, c := range st.PerWorker {
						sum += c
					}
					if sum != st.Interactions {
						t.Errorf("per-worker counts add up to %d, want %d", sum, st.Interactions)
					}
				})
			}
		}
	}
}

// TestParallelTreeSumRepeated is the tree of depth 16 reduced many times
// on 8 workers: always 65536 in exactly 393212 interactions.
func TestParallelTreeSumRepeated(t *testing.T) {
	runs := 200
	if testing.Short() || raceEnabled() {
		runs = 20
	}
	for i := range runs {
		p := parallelTree(t, treeRewriteRules(), 16, 8, annette.Parallel)
		st, err := p.Reduce(context.Background())
		must(t, err)
		if got, _ := p.Text("total"); got != "65536" || st.Interactions != 393212 {
			t.Fatalf("run %d: total %s in %d interactions, want 65536 in 393212", i, got, st.Interactions)
		}
		p.Close()
	}
}

func TestParallelUnary(t *testing.T) {
	for _, workers := range workerCounts {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			seq := unaryNet(t, annette.Config{})
			binop(t, seq, "Mul", unary(t, seq, 30), unary(t, seq, 40), "out")
			want, err := seq.Reduce(context.Background())
			must(t, err)
			wantText, _ := seq.Text("out")

			p := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel})
			defer p.Close()
			par := p.Network
			copyUnary(t, par)
			binop(t, par, "Mul", unary(t, par, 30), unary(t, par, 40), "out")
			st, err := p.Reduce(context.Background())
			must(t, err)
			if got, _ := par.Text("out"); got != wantText {
				t.Errorf("out differs from the sequential result")
			}
			if st.Interactions != want.Interactions {
				t.Errorf("interactions = %d, sequential %d", st.Interactions, want.Interactions)
			}
		})
	}
}

// copyUnary defines the unary types and rules on n.
func copyUnary(tb testing.TB, n *annette.Network) {
	tb.Helper()
	src := unaryNet(tb, annette.Config{})
	for _, name := range []string{"Z", "S", "Add", "Mul", "Erase", "Dup"} {
		ty, _ := src.TypeOf(name)
		must(tb, n.DefineType(ty))
	}
	addRules(tb, n, unaryRules()...)
}

func TestParallelErrors(t *testing.T) {
	t.Run("division by zero", func(t *testing.T) {
		for _, workers := range workerCounts {
			p := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel})
			must(t, p.DefineType(annette.Type{Name: "Div", Ports: []string{"main", "r"}}))
			must(t, p.AddRule(annette.RewriteRule{Name: "div", Left: Pat("Div", "r"), Right: Pat("Int", "x"),
				Body: []annette.Wire{W(V("r"), Op("/", N(10), V("x")))}}))
			for i := range 100 {
				d, _ := p.AddAgent("Div", nil)
				must(t, p.Connect(d.Port("r"), p.Name(fmt.Sprint("r", i))))
				must(t, p.Connect(d.Main(), p.Int(int64(i%50))))
			}
			_, err := p.Reduce(context.Background())
			if !errors.Is(err, annette.ErrDivideByZero) {
				t.Fatalf("%d workers: err = %v, want ErrDivideByZero", workers, err)
			}
			var re *annette.RuleError
			if !errors.As(err, &re) || re.Rule != "div" {
				t.Errorf("%d workers: err = %v, want a RuleError naming rule div", workers, err)
			}
			p.Close()
		}
	})
	t.Run("interaction limit", func(t *testing.T) {
		for _, workers := range workerCounts {
			p := annette.NewParallelNetwork(annette.Config{MaxInteractions: 5000}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel})
			defineTypes(t, p.Network, treeTypes...)
			addRules(t, p.Network, treeRewriteRules()...)
			g, _ := p.AddAgent("Grow", nil)
			f, _ := p.AddAgent("Fold", nil)
			must(t, p.Connect(g.Main(), p.Int(20)))
			must(t, p.Connect(g.Port("t"), f.Main()))
			must(t, p.Connect(f.Port("s"), p.Name("total")))
			st, err := p.Reduce(context.Background())
			if !errors.Is(err, annette.ErrInteractionLimit) {
				t.Fatalf("%d workers: err = %v, want ErrInteractionLimit", workers, err)
			}
			if st.Interactions != 5000 {
				t.Errorf("%d workers: stopped after %d interactions, want 5000", workers, st.Interactions)
			}
			p.Close()
		}
	})
	t.Run("cancel", func(t *testing.T) {
		for _, workers := range workerCounts {
			p := parallelTree(t, treeRewriteRules(), 30, workers, annette.Parallel)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := p.Reduce(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%d workers: err = %v, want context.Canceled", workers, err)
			}
			p.Close()
		}
	})
}

func TestParallelStep(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		p := parallelTree(t, treeRewriteRules(), 10, workers, annette.Parallel)
		total := 0
		for {
			n, err := p.Step(context.Background())
			must(t, err)
			if n == 0 {
				break
			}
			total += n
		}
		if got, _ := p.Text("total"); got != "1024" || int64(total) != treeInteractions(10) {
			t.Errorf("%d workers: total %s in %d interactions, want 1024 in %d", workers, got, total, treeInteractions(10))
		}
		p.Close()
	}
}

// TestParallelClosedError checks that Reduce and Step after Close return
// ErrClosed, and that the net stays readable.
func TestParallelClosedError(t *testing.T) {
	p := parallelTree(t, treeRewriteRules(), 4, 2, annette.Parallel)
	must(t, p.Close())
	if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("Reduce after Close: %v, want ErrClosed", err)
	}
	if _, err := p.Step(context.Background()); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("Step after Close: %v, want ErrClosed", err)
	}
	if _, err := p.Network.Reduce(context.Background()); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("the embedded Network's Reduce after Close: %v, want ErrClosed", err)
	}
	if _, err := p.Network.Step(context.Background()); !errors.Is(err, annette.ErrClosed) {
		t.Errorf("the embedded Network's Step after Close: %v, want ErrClosed", err)
	}
	if _, err := p.Text("total"); err != nil {
		t.Errorf("Text after Close: %v", err)
	}
}

// TestParallelMemoryCountsWaitingPairs checks that the memory limit of a
// parallel run counts the pairs that wait for an integer, which pile up
// in the scheduler's lists: the run stops while the store itself is well
// below the limit. Uncounted, they let a run reach four times the limit.
func TestParallelMemoryCountsWaitingPairs(t *testing.T) {
	const limit = 8 << 20
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{
		Config: annette.Config{MaxMemory: limit}, Workers: 2, Mode: annette.Parallel,
	})
	must(t, err)
	defer ip.Close()
	src := "P(r, int k) >< Q => r ~ k;\nGen >< Go => Gen ~ Go, P(a, a) ~ Q;\nGen ~ Go;\n"
	err = ip.Run("defer.in", []byte(src))
	if !errors.Is(err, annette.ErrMemoryLimit) {
		t.Fatalf("Run: %v, want the memory limit", err)
	}
	if store := ip.Network().Stats().StoreBytes; store > limit*3/4 {
		t.Errorf("store at the stop: %d bytes, want well below the limit %d: the waiting pairs were not counted", store, limit)
	}
}
