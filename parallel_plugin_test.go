package annette_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/annette-go/annette"
)

// newParallelHost returns a host with a parallel plugin of the given
// configuration.
func newParallelHost(t testing.TB, cfg annette.ParallelPluginConfig) (*annette.PluginHost, *annette.ParallelPlugin) {
	t.Helper()
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	pp := annette.NewParallelPlugin(cfg)
	must(t, h.Use(pp))
	return h, pp
}

// pluginTree returns a network made by pp that grows and sums a tree of
// the given depth.
func pluginTree(t testing.TB, pp *annette.ParallelPlugin, cfg annette.Config, depth int64) *annette.ParallelNetwork {
	t.Helper()
	n, err := pp.NewNetwork(cfg)
	must(t, err)
	defineTypes(t, n.Network, treeTypes...)
	addRules(t, n.Network, treeRewriteRules()...)
	addTreeSum(t, n.Network, depth)
	return n
}

func TestParallelPluginSharedPool(t *testing.T) {
	leakCheck(t)
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{Pool: annette.PoolConfig{Workers: 2}})
	defer h.Close()
	if got, ok := h.Plugin(annette.ParallelPluginName); !ok || got != pp {
		t.Fatalf("Plugin(%q) = %v, %v; want the plugin", annette.ParallelPluginName, got, ok)
	}
	n1, err := pp.NewNetwork(annette.Config{})
	must(t, err)
	n2, err := pp.NewNetwork(annette.Config{})
	must(t, err)
	if pp.Pool() == nil || n1.Pool() != pp.Pool() || n2.Pool() != pp.Pool() {
		t.Errorf("pools: plugin %p, networks %p and %p; want one pool", pp.Pool(), n1.Pool(), n2.Pool())
	}
	if n1.Workers() != 2 {
		t.Errorf("network has %d workers, want the pool's 2", n1.Workers())
	}
}

// TestParallelPluginOracle checks that networks made by the plugin give
// the sequential reducer's result and interaction count, for several pool
// sizes, and that their events reach the host.
func TestParallelPluginOracle(t *testing.T) {
	leakCheck(t)
	const depth = 10
	seq := treeNet(t, treeRewriteRules(), depth)
	want, err := seq.Reduce(context.Background())
	must(t, err)
	wantTotal, _ := seq.Text("total")

	for _, workers := range []int{1, 2, 3, 4, 8} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			h, pp := newParallelHost(t, annette.ParallelPluginConfig{
				Network: annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
				Pool:    annette.PoolConfig{Workers: workers},
			})
			defer h.Close()
			var got []annette.Event
			h.Subscribe(annette.EventReduce, func(ev annette.Event) { got = append(got, ev) })

			// Two networks on the one pool, reduced one after the other.
			for i := range 2 {
				n := pluginTree(t, pp, annette.Config{}, depth)
				st, err := n.Reduce(context.Background())
				must(t, err)
				if total, _ := n.Text("total"); total != wantTotal {
					t.Errorf("network %d: total = %s, want %s", i, total, wantTotal)
				}
				if st.Interactions != want.Interactions {
					t.Errorf("network %d: interactions = %d, sequential %d", i, st.Interactions, want.Interactions)
				}
				if st.Workers != workers {
					t.Errorf("network %d: %d workers, want %d", i, st.Workers, workers)
				}
			}
			if len(got) != 2 {
				t.Fatalf("host got %d reduce events, want 2", len(got))
			}
			for i, ev := range got {
				if src := fmt.Sprintf("parallel/%d", i+1); ev.Source != src {
					t.Errorf("event %d: Source %q, want %q", i, ev.Source, src)
				}
				re := ev.Data.(annette.ReduceEvent)
				if re.Parallel == nil || re.Stats.Interactions != want.Interactions {
					t.Errorf("event %d: %+v, want ParallelStats with %d interactions", i, re, want.Interactions)
				}
			}
		})
	}
}

// TestParallelPluginConcurrentNetworks reduces networks of one plugin
// from several goroutines at once; their runs take turns on the pool.
func TestParallelPluginConcurrentNetworks(t *testing.T) {
	leakCheck(t)
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{
		Network: annette.ParallelConfig{Mode: annette.Parallel},
		Pool:    annette.PoolConfig{Workers: 2},
	})
	var mu sync.Mutex
	events := 0
	h.Subscribe("*", func(annette.Event) {
		mu.Lock()
		events++
		mu.Unlock()
	})
	const goroutines, depth = 4, 8
	var nets []*annette.ParallelNetwork
	for range goroutines {
		nets = append(nets, pluginTree(t, pp, annette.Config{}, depth))
	}
	var wg sync.WaitGroup
	for _, n := range nets {
		wg.Go(func() {
			st, err := n.Reduce(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			if st.Interactions != treeInteractions(depth) {
				t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(depth))
			}
		})
	}
	wg.Wait()
	must(t, h.Close())
	// Each network reports its rules, its run and its Close.
	want := goroutines * (len(treeRewriteRules()) + 2)
	if events != want {
		t.Errorf("host got %d events, want %d", events, want)
	}
}

func TestParallelPluginClose(t *testing.T) {
	leakCheck(t)
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{Pool: annette.PoolConfig{Workers: 2}})
	var closed []string
	h.Subscribe(annette.EventClose, func(ev annette.Event) { closed = append(closed, ev.Source) })

	n1 := pluginTree(t, pp, annette.Config{}, 4)
	n2 := pluginTree(t, pp, annette.Config{}, 4)
	n3 := pluginTree(t, pp, annette.Config{}, 4)
	must(t, n2.Close()) // closed by its user, so the plugin does not close it again
	pool := pp.Pool()
	must(t, h.Close())

	if want := []string{"parallel/2", "parallel/1", "parallel/3"}; !slices.Equal(closed, want) {
		t.Errorf("close events from %v, want %v", closed, want)
	}
	for i, n := range []*annette.ParallelNetwork{n1, n3} {
		if _, err := n.Reduce(context.Background()); !errors.Is(err, annette.ErrClosed) {
			t.Errorf("network %d: Reduce after the plugin's Close: error %v, want ErrClosed", i, err)
		}
	}
	if st := pool.Status(); st.Total != 0 {
		t.Errorf("pool has %d workers after Close, want 0", st.Total)
	}
	if _, err := pp.NewNetwork(annette.Config{}); !errors.Is(err, annette.ErrPluginClosed) {
		t.Errorf("NewNetwork after Close: error %v, want ErrPluginClosed", err)
	}
	must(t, pp.Close())
}

// TestParallelPluginCycles creates, reduces and closes many networks and
// hosts, and checks that no goroutine is left.
func TestParallelPluginCycles(t *testing.T) {
	leakCheck(t)
	const cycles, depth = 200, 6
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{Network: annette.ParallelConfig{Mode: annette.Parallel}})
	for i := range cycles {
		n := pluginTree(t, pp, annette.Config{}, depth)
		st, err := n.Reduce(context.Background())
		must(t, err)
		if st.Interactions != treeInteractions(depth) {
			t.Fatalf("cycle %d: interactions = %d, want %d", i, st.Interactions, treeInteractions(depth))
		}
		must(t, n.Close())
	}
	must(t, h.Close())

	for i := range cycles {
		h, pp := newParallelHost(t, annette.ParallelPluginConfig{Network: annette.ParallelConfig{Mode: annette.Parallel}})
		n := pluginTree(t, pp, annette.Config{}, depth)
		st, err := n.Reduce(context.Background())
		must(t, err)
		if st.Interactions != treeInteractions(depth) {
			t.Fatalf("host cycle %d: interactions = %d, want %d", i, st.Interactions, treeInteractions(depth))
		}
		must(t, h.Close()) // closes n too
	}
}

func TestParallelPluginErrors(t *testing.T) {
	leakCheck(t)
	t.Run("not initialised", func(t *testing.T) {
		pp := annette.NewParallelPlugin(annette.ParallelPluginConfig{})
		if _, err := pp.NewNetwork(annette.Config{}); err == nil || !strings.Contains(err.Error(), "not initialised") {
			t.Errorf("NewNetwork before Init: error %v, want one saying it is not initialised", err)
		}
		if pp.Pool() != nil {
			t.Error("Pool() before Init is not nil")
		}
		must(t, pp.Close())
	})
	t.Run("pool given", func(t *testing.T) {
		pool := annette.NewWorkerPool(annette.PoolConfig{Workers: 1})
		defer pool.Close()
		h := annette.NewPluginHost(annette.PluginHostConfig{})
		defer h.Close()
		err := h.Use(annette.NewParallelPlugin(annette.ParallelPluginConfig{Network: annette.ParallelConfig{Pool: pool}}))
		var pe *annette.PluginError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "Pool is set") {
			t.Errorf("Use: error %v, want a *PluginError saying the Pool is set", err)
		}
	})
	t.Run("negative workers", func(t *testing.T) {
		h := annette.NewPluginHost(annette.PluginHostConfig{})
		defer h.Close()
		err := h.Use(annette.NewParallelPlugin(annette.ParallelPluginConfig{Pool: annette.PoolConfig{Workers: -1}}))
		if err == nil || !strings.Contains(err.Error(), "Workers -1") {
			t.Errorf("Use: error %v, want one naming Workers -1", err)
		}
	})
	t.Run("two hosts", func(t *testing.T) {
		h1, pp := newParallelHost(t, annette.ParallelPluginConfig{Pool: annette.PoolConfig{Workers: 1}})
		defer h1.Close()
		h2 := annette.NewPluginHost(annette.PluginHostConfig{})
		defer h2.Close()
		if err := h2.Use(pp); err == nil || !strings.Contains(err.Error(), "already initialised") {
			t.Errorf("Use in a second host: error %v, want one saying it is already initialised", err)
		}
	})
}

// TestParallelPluginOwnHook checks that a network's own Config.Events
// still gets its events, and that a listener's panic comes back from the
// call that reported the event.
func TestParallelPluginOwnHook(t *testing.T) {
	leakCheck(t)
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{Pool: annette.PoolConfig{Workers: 2}})
	defer h.Close()
	var log eventLog
	n := pluginTree(t, pp, annette.Config{Events: log.hook}, 5)
	if len(log.events) != len(treeRewriteRules()) || log.events[0].Source != "parallel/1" {
		t.Fatalf("own hook got %v, want %d rule events from parallel/1", log.types(), len(treeRewriteRules()))
	}

	h.Subscribe(annette.EventReduce, func(annette.Event) { panic("listener broke") })
	st, err := n.Reduce(context.Background())
	var he *annette.HookError
	var pe *annette.PanicError
	if !errors.As(err, &he) || !errors.As(err, &pe) || pe.Value != "listener broke" {
		t.Errorf("Reduce: error %v, want a *HookError with the listener's panic", err)
	}
	if st.Interactions != treeInteractions(5) {
		t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(5))
	}
	if got := log.types(); got[len(got)-1] != annette.EventReduce {
		t.Errorf("own hook got %v, want the reduce event last", got)
	}
}

// TestParallelPluginEffects checks that the plugin's networks send their
// effects to the plugin's handler, and that the plugin's Close closes
// the handler with everything else.
func TestParallelPluginEffects(t *testing.T) {
	leakCheck(t)
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{Effects: annette.EffectConfig{Workers: 1, MaxBatch: 16}})
	fx := pp.Effects()
	if fx == nil {
		t.Fatal("Effects() = nil after Init")
	}
	must(t, fx.Handle("leaf:value", func(_ context.Context, c *annette.EffectCall) (any, error) {
		return 3 * c.Payload.(int64), nil
	}))
	must(t, fx.Handle("log", func(context.Context, *annette.EffectCall) (any, error) { return nil, nil }))
	n, err := pp.NewNetwork(annette.Config{})
	must(t, err)
	const depth = 7
	effectTree(t, n.Network, depth)
	st, err := n.Reduce(context.Background())
	must(t, err)
	if got, _ := n.Text("total"); got != fmt.Sprint(3<<depth) || st.Interactions != treeInteractions(depth) {
		t.Errorf("total %s in %d interactions", got, st.Interactions)
	}
	if st.Effects != 1<<(depth+1)-1 {
		t.Errorf("effects = %d, want %d", st.Effects, 1<<(depth+1)-1)
	}
	must(t, h.Close())
	if err := fx.Handle("late", func(context.Context, *annette.EffectCall) (any, error) { return nil, nil }); !errors.Is(err, annette.ErrEffectsClosed) {
		t.Errorf("Handle after the host's Close = %v, want ErrEffectsClosed", err)
	}
}

func TestParallelPluginSharedAnalyzer(t *testing.T) {
	leakCheck(t)
	h, pp := newParallelHost(t, annette.ParallelPluginConfig{Analyzer: annette.AnalyzerConfig{MaxBatch: 8}})
	defer h.Close()
	n1, err := pp.NewNetwork(annette.Config{})
	must(t, err)
	n2, err := pp.NewNetwork(annette.Config{})
	must(t, err)
	if pp.Analyzer() == nil || n1.Analyzer() != pp.Analyzer() || n2.Analyzer() != pp.Analyzer() {
		t.Errorf("analyzers: plugin %p, networks %p and %p; want one analyzer", pp.Analyzer(), n1.Analyzer(), n2.Analyzer())
	}
}
