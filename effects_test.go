package annette_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

// effectTreeRules are the tree-sum rules with the leaf rule replaced by
// an action that requests the "leaf:value" effect for the leaf's value and
// links the result to the sum, and with a "log" effect emitted at each
// fork.
func effectTreeRules() []annette.Rule {
	rules := treeRewriteRules()
	for i, r := range rules {
		if rw, ok := r.(annette.RewriteRule); ok && rw.Name == "fold-leaf" {
			rules[i] = annette.ActionRule{Name: "fold-leaf", Left: "Fold", Right: "Leaf", Action: func(c *annette.RuleContext) error {
				v, err := c.IntAt(c.Right().Port("v"))
				if err != nil {
					return err
				}
				res, err := c.Request(annette.Effect{Type: "leaf:value", Payload: v})
				if err != nil {
					return err
				}
				return c.Link(c.Left().Port("s"), res)
			}}
		}
		if rw, ok := r.(annette.RewriteRule); ok && rw.Name == "fold-fork" {
			fork := actionNamed("fold-fork")
			rules[i] = annette.ActionRule{Name: "fold-fork", Left: "Fold", Right: "Fork", Action: func(c *annette.RuleContext) error {
				if err := c.Emit(annette.Effect{Type: "log", Payload: "fork"}); err != nil {
					return err
				}
				return fork(c)
			}}
		}
	}
	return rules
}

// actionNamed returns the action of the rule of treeActionRules with the
// given name.
func actionNamed(name string) func(*annette.RuleContext) error {
	for _, r := range treeActionRules() {
		if ar := r.(annette.ActionRule); ar.Name == name {
			return ar.Action
		}
	}
	panic("no tree action rule named " + name)
}

// leafEffects returns an EffectHandler that handles "leaf:value" with
// three times the payload and counts "log" effects.
func leafEffects(t testing.TB, cfg annette.EffectConfig, logs *atomic.Int64) *annette.EffectHandler {
	t.Helper()
	h := annette.NewEffectHandler(cfg)
	t.Cleanup(func() { h.Close() })
	must(t, h.Handle("leaf:value", func(_ context.Context, c *annette.EffectCall) (any, error) {
		return 3 * c.Payload.(int64), nil
	}))
	must(t, h.Handle("log", func(context.Context, *annette.EffectCall) (any, error) {
		logs.Add(1)
		return nil, nil
	}))
	return h
}

// effectTree builds the tree sum of the given depth on n.
func effectTree(t testing.TB, n *annette.Network, depth int64) {
	t.Helper()
	defineTypes(t, n, treeTypes...)
	addRules(t, n, effectTreeRules()...)
	g, err := n.AddAgent("Grow", nil)
	must(t, err)
	f, err := n.AddAgent("Fold", nil)
	must(t, err)
	must(t, n.Connect(g.Main(), n.Int(depth)))
	must(t, n.Connect(g.Port("t"), f.Main()))
	must(t, n.Connect(f.Port("s"), n.Name("total")))
}

func TestEffectsTreeSequential(t *testing.T) {
	leakCheck(t)
	var logs atomic.Int64
	h := leafEffects(t, annette.EffectConfig{}, &logs)
	n := annette.NewNetwork(annette.Config{Effects: h})
	const depth = 8
	effectTree(t, n, depth)
	st, err := n.Reduce(context.Background())
	must(t, err)
	got, _ := n.Text("total")
	if want := fmt.Sprint(3 << depth); got != want {
		t.Errorf("total = %s, want %s", got, want)
	}
	if st.Interactions != treeInteractions(depth) {
		t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(depth))
	}
	leaves, forks := int64(1)<<depth, int64(1)<<depth-1
	if st.Effects != leaves+forks || logs.Load() != forks {
		t.Errorf("effects = %d, logs = %d; want %d and %d", st.Effects, logs.Load(), leaves+forks, forks)
	}
	if s := h.Stats(); s.Emitted != leaves+forks || s.Handled != leaves+forks || s.Failed != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// TestEffectsTreeParallel checks the tree sum with effects against the
// sequential oracle at several worker counts, in Reduce and in Step.
func TestEffectsTreeParallel(t *testing.T) {
	leakCheck(t)
	const depth = 9
	want := fmt.Sprint(3 << depth)
	for _, workers := range []int{1, 2, 3, 4, 8} {
		for _, mode := range []annette.ExecutionMode{annette.Auto, annette.Parallel} {
			for _, step := range []bool{false, true} {
				t.Run(fmt.Sprintf("w%d/mode%d/step=%v", workers, mode, step), func(t *testing.T) {
					var logs atomic.Int64
					h := leafEffects(t, annette.EffectConfig{Workers: 2, MaxBatch: 7}, &logs)
					// A negative SequentialTime lets Auto mode go parallel on this small net.
					p := annette.NewParallelNetwork(annette.Config{Effects: h},
						annette.ParallelConfig{Workers: workers, Mode: mode, SequentialTime: -1})
					defer p.Close()
					effectTree(t, p.Network, depth)
					var count int64
					if step {
						count = stepToEnd(t, p, false)
					} else {
						st, err := p.Reduce(context.Background())
						must(t, err)
						count = st.Interactions
					}
					got, _ := p.Text("total")
					if got != want || count != treeInteractions(depth) {
						t.Errorf("total %s in %d interactions, want %s in %d", got, count, want, treeInteractions(depth))
					}
					if logs.Load() != 1<<depth-1 {
						t.Errorf("logs = %d, want %d", logs.Load(), 1<<depth-1)
					}
				})
			}
		}
	}
}

func TestEffectsSequentialStep(t *testing.T) {
	var logs atomic.Int64
	h := leafEffects(t, annette.EffectConfig{}, &logs)
	n := annette.NewNetwork(annette.Config{Effects: h})
	const depth = 5
	effectTree(t, n, depth)
	steps := stepSeqToEnd(t, n)
	got, _ := n.Text("total")
	if got != fmt.Sprint(3<<depth) || steps != treeInteractions(depth) {
		t.Errorf("total %s in %d steps", got, steps)
	}
}

// askNet is a network with one rule, Ask(r) >< Key, whose action runs
// act, and the net Ask(out) ~ Key(value).
func askNet(t *testing.T, h *annette.EffectHandler, value any, act func(c *annette.RuleContext) error) *annette.Network {
	t.Helper()
	return askNetConfig(t, annette.Config{}, h, value, act)
}

// askNetConfig is askNet with the network's other settings in cfg.
func askNetConfig(t *testing.T, cfg annette.Config, h *annette.EffectHandler, value any, act func(c *annette.RuleContext) error) *annette.Network {
	t.Helper()
	cfg.Effects = h
	n := annette.NewNetwork(cfg)
	defineTypes(t, n,
		annette.Type{Name: "Ask", Ports: []string{"main", "r"}},
		annette.Type{Name: "Key", Valued: true},
		annette.Type{Name: "Pair", Ports: []string{"main", "a", "b"}},
		annette.Type{Name: "Box", Ports: []string{"main", "x"}, Valued: true},
	)
	addRules(t, n, annette.ActionRule{Name: "ask", Left: "Ask", Right: "Key", Action: act})
	a, err := n.AddAgent("Ask", nil)
	must(t, err)
	k, err := n.AddAgent("Key", value)
	must(t, err)
	must(t, n.Connect(a.Port("r"), n.Name("out")))
	must(t, n.Connect(a.Main(), k.Main()))
	return n
}

// requestTo returns an action that requests an effect of type typ with
// the Key's value as payload and links the result to Ask's port r.
func requestTo(typ string) func(c *annette.RuleContext) error {
	return func(c *annette.RuleContext) error {
		res, err := c.Request(annette.Effect{Type: typ, Payload: c.Right().Value()})
		if err != nil {
			return err
		}
		return c.Link(c.Left().Port("r"), res)
	}
}

func TestEffectResultTerm(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("make", func(_ context.Context, c *annette.EffectCall) (any, error) {
		return &annette.Term{Kind: annette.AgentTerm, Type: "Pair", Args: []*annette.Term{
			{Kind: annette.IntTerm, Int: 7},
			{Kind: annette.AgentTerm, Type: "Box", Value: c.Payload, Args: []*annette.Term{{Kind: annette.AgentTerm, Type: "Nil"}}},
		}}, nil
	}))
	n := askNet(t, h, "hello", requestTo("make"))
	st, err := n.Reduce(context.Background())
	must(t, err)
	got, _ := n.Read("out")
	if got.Type != "Pair" || got.Args[0].Int != 7 || got.Args[1].Type != "Box" || got.Args[1].Value != "hello" || got.Args[1].Args[0].Type != "Nil" {
		t.Errorf("out = %v (%+v)", got, got.Args[1])
	}
	if st.Effects != 1 || st.Interactions != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// TestEffectResultMakesPair checks that a result linked to a principal
// port makes an active pair that the run then reduces.
func TestEffectResultMakesPair(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("num", func(_ context.Context, c *annette.EffectCall) (any, error) {
		return int32(c.Payload.(int) * 10), nil
	}))
	// Box(x) >< (int v) => x ~ v + 1, in Go.
	n := askNet(t, h, 4, requestIntoBox)
	addRules(t, n, annette.ActionRule{Name: "box", Left: "Box", Right: "Int", Action: func(c *annette.RuleContext) error {
		return c.Link(c.Left().Port("x"), c.Int(c.Right().Value().(int64)+1))
	}})
	st, err := n.Reduce(context.Background())
	must(t, err)
	if got, _ := n.Text("out"); got != "41" || st.Interactions != 2 {
		t.Errorf("out = %s after %d interactions, want 41 after 2", got, st.Interactions)
	}
}

func TestEffectRouting(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	route := func(name string) annette.EffectFunc {
		return func(context.Context, *annette.EffectCall) (any, error) {
			return &annette.Term{Kind: annette.AgentTerm, Type: "Box", Value: name, Args: []*annette.Term{{Kind: annette.IntTerm}}}, nil
		}
	}
	must(t, h.Handle("db:read", route("db:read")))
	must(t, h.Handle("db", route("db")))
	must(t, h.Handle("*", route("*")))
	for typ, want := range map[string]string{"db:read": "db:read", "db:write": "db", "db": "db", "net:get": "*", "other": "*"} {
		n := askNet(t, h, nil, requestTo(typ))
		_, err := n.Reduce(context.Background())
		must(t, err)
		got, _ := n.Read("out")
		if got.Value != want {
			t.Errorf("effect %s went to %v, want %s", typ, got.Value, want)
		}
	}
}

func TestEffectErrors(t *testing.T) {
	boom := errors.New("boom")
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("fail", func(context.Context, *annette.EffectCall) (any, error) { return nil, boom }))
	must(t, h.Handle("panic", func(context.Context, *annette.EffectCall) (any, error) { panic("handler blew up") }))
	must(t, h.Handle("string", func(context.Context, *annette.EffectCall) (any, error) { return "text", nil }))
	must(t, h.Handle("nil", func(context.Context, *annette.EffectCall) (any, error) { return nil, nil }))
	must(t, h.Handle("badterm", func(context.Context, *annette.EffectCall) (any, error) {
		return &annette.Term{Kind: annette.AgentTerm, Type: "Pair", Args: []*annette.Term{{Kind: annette.IntTerm}}}, nil
	}))
	must(t, h.Handle("ok", func(context.Context, *annette.EffectCall) (any, error) { return 1, nil }))

	for _, tc := range []struct {
		typ  string
		want string
		is   error
	}{
		{"fail", "effect fail requested by rule ask (Ask >< Key): boom", boom},
		{"panic", "panic: handler blew up", nil},
		{"string", "result of type string", nil},
		{"nil", "no result", nil},
		{"badterm", "Pair takes 2 arguments, got 1", nil},
	} {
		n := askNet(t, h, nil, requestTo(tc.typ))
		_, err := n.Reduce(context.Background())
		var ee *annette.EffectError
		if !errors.As(err, &ee) || ee.Rule != "ask" || ee.Left != "Ask" || ee.Right != "Key" || ee.Type != tc.typ {
			t.Errorf("%s: err = %v, want an EffectError for rule ask", tc.typ, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %q, want it to contain %q", tc.typ, err, tc.want)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: errors.Is(err, cause) is false", tc.typ)
		}
		if tc.typ == "panic" {
			var pe *annette.PanicError
			if !errors.As(err, &pe) || len(pe.Stack) == 0 {
				t.Errorf("panic: err = %v, want a PanicError with a stack", err)
			}
		}
		// The failed effect is taken back: the next run has nothing
		// to wait for, and the result's wire stays open.
		if _, err := n.Reduce(context.Background()); err != nil {
			t.Errorf("%s: second Reduce: %v", tc.typ, err)
		}
		if got, err := n.Read("out"); err != nil || got.Kind != annette.WireTerm {
			t.Errorf("%s: out = %v, %v after the failed effect, want an open wire", tc.typ, got, err)
		}
	}
	// The handler keeps serving after a panic.
	n := askNet(t, h, nil, requestTo("ok"))
	_, err := n.Reduce(context.Background())
	must(t, err)
	if got, _ := n.Text("out"); got != "1" {
		t.Errorf("out = %s after a panic in another handler", got)
	}
}

// TestEffectBatchResultCount checks the errors of a batch handler that
// returns more or fewer results than it got effects. Each error names
// the handler and both counts, because the fault is the handler's and
// not the Request's.
func TestEffectBatchResultCount(t *testing.T) {
	for _, tc := range []struct {
		name    string
		results []any
		want    string
	}{
		{"none", nil, "batch handler for short returned no results for 1 effect; a Request needs one"},
		{"too many", []any{1, 2}, "batch handler for short returned 2 results for 1 effect; return at most one per effect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := annette.NewEffectHandler(annette.EffectConfig{})
			defer h.Close()
			must(t, h.HandleBatch("short", func(context.Context, []*annette.EffectCall) ([]any, error) {
				return tc.results, nil
			}))
			n := askNet(t, h, nil, requestTo("short"))
			_, err := n.Reduce(context.Background())
			var ee *annette.EffectError
			if !errors.As(err, &ee) || ee.Rule != "ask" {
				t.Fatalf("Reduce = %v, want an *EffectError for rule ask", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Reduce = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestEffectRuleErrors(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("ok", func(context.Context, *annette.EffectCall) (any, error) { return 1, nil }))
	for _, tc := range []struct {
		name string
		cfg  *annette.EffectHandler
		act  func(c *annette.RuleContext) error
		want string
	}{
		{"no handler", h, requestTo("missing"), "no effect handler for effect type \"missing\""},
		{"no EffectHandler", nil, requestTo("ok"), "Config.Effects is nil"},
		{"bad type", h, requestTo("a:b:c"), "invalid effect type"},
		{"unlinked", h, func(c *annette.RuleContext) error {
			if _, err := c.Request(annette.Effect{Type: "ok"}); err != nil {
				return err
			}
			return c.Link(c.Left().Port("r"), c.Int(0))
		}, "the result port of effect ok is not linked"},
		{"twice", h, func(c *annette.RuleContext) error {
			res, _ := c.Request(annette.Effect{Type: "ok"})
			if err := c.Link(c.Left().Port("r"), res); err != nil {
				return err
			}
			return c.Link(res, c.Int(1))
		}, "result of effect ok is linked twice"},
	} {
		n := askNet(t, tc.cfg, nil, tc.act)
		_, err := n.Reduce(context.Background())
		var re *annette.RuleError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want a RuleError with %q", tc.name, err, tc.want)
		}
	}

	// A port from Request is not for Network.Connect, and an action
	// that fails after Request drops the effect.
	var kept annette.Port
	before := h.Stats().Emitted
	n := askNet(t, h, nil, func(c *annette.RuleContext) error {
		kept, _ = c.Request(annette.Effect{Type: "ok"})
		return errors.New("changed my mind")
	})
	if _, err := n.Reduce(context.Background()); err == nil {
		t.Fatal("Reduce: no error")
	}
	if err := n.Connect(kept, n.Name("x")); err == nil || !strings.Contains(err.Error(), "RuleContext.Link") {
		t.Errorf("Connect(request port) = %v", err)
	}
	if got := h.Stats().Emitted; got != before {
		t.Errorf("a failed action's effect was emitted (%d, want %d)", got, before)
	}
}

// TestEffectBatches checks batching and priorities: calls of one handler
// never overlap, no batch passes MaxBatch, and each batch comes highest
// priority first, then in the order the rules requested them.
func TestEffectBatches(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{MaxBatch: 5, BatchWait: time.Millisecond})
	defer h.Close()
	var mu sync.Mutex
	var batches [][]*annette.EffectCall
	var running atomic.Int32
	must(t, h.HandleBatch("item", func(_ context.Context, calls []*annette.EffectCall) ([]any, error) {
		if running.Add(1) != 1 {
			t.Error("two batches of one handler ran at once")
		}
		defer running.Add(-1)
		time.Sleep(100 * time.Microsecond)
		mu.Lock()
		batches = append(batches, calls)
		mu.Unlock()
		return nil, nil
	}))
	// Ask >< Key emits one effect per element of the Key's value.
	const k = 60
	prios := make([]int, k)
	for i := range prios {
		prios[i] = (i * 7) % 5
	}
	n := askNet(t, h, prios, func(c *annette.RuleContext) error {
		for _, p := range c.Right().Value().([]int) {
			if err := c.Emit(annette.Effect{Type: "item", Priority: p}); err != nil {
				return err
			}
		}
		return c.Link(c.Left().Port("r"), c.Int(0))
	})
	st, err := n.Reduce(context.Background())
	must(t, err)
	if st.Effects != k {
		t.Errorf("effects = %d, want %d", st.Effects, k)
	}
	total := 0
	for _, b := range batches {
		total += len(b)
		if len(b) > 5 {
			t.Errorf("batch of %d", len(b))
		}
		for i := 1; i < len(b); i++ {
			x, y := b[i-1], b[i]
			if x.Priority < y.Priority || x.Priority == y.Priority && x.Seq > y.Seq {
				t.Errorf("batch out of order: (%d, #%d) before (%d, #%d)", x.Priority, x.Seq, y.Priority, y.Seq)
			}
		}
	}
	if total != k {
		t.Errorf("%d effects in batches, want %d", total, k)
	}
}

// TestEffectCancelWhileWaiting cancels a run that waits for a slow
// handler, then lets the handler finish: the next Reduce takes the
// result and completes.
func TestEffectCancelWhileWaiting(t *testing.T) {
	leakCheck(t)
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	release := make(chan struct{})
	handlerErr := make(chan error, 1)
	must(t, h.Handle("slow", func(ctx context.Context, _ *annette.EffectCall) (any, error) {
		<-release
		handlerErr <- ctx.Err()
		return 5, nil
	}))
	n := askNet(t, h, nil, requestTo("slow"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := n.Reduce(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Reduce = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Reduce took %v to notice its deadline", d)
	}
	if _, err := n.Snapshot(); err == nil || !strings.Contains(err.Error(), "in flight") {
		t.Errorf("Snapshot with an effect in flight = %v", err)
	}
	close(release)
	st, err := n.Reduce(context.Background())
	must(t, err)
	if got, _ := n.Text("out"); got != "5" || st.Effects != 1 {
		t.Errorf("out = %s, effects %d", got, st.Effects)
	}
	// The run's deadline does not reach the handler, whose context was
	// still live.
	if err := <-handlerErr; err != nil {
		t.Errorf("handler's context ended with the run's: %v", err)
	}
}

// TestEffectHandlerClose closes the handler while a handler runs and
// another effect waits: the run gets the failures, and no goroutine is
// left.
func TestEffectHandlerClose(t *testing.T) {
	leakCheck(t)
	h := annette.NewEffectHandler(annette.EffectConfig{Workers: 1})
	started := make(chan struct{})
	must(t, h.Handle("block", func(ctx context.Context, _ *annette.EffectCall) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	n := askNet(t, h, nil, requestTo("block"))
	done := reduceInBackground(context.Background(), n)
	<-started
	must(t, h.Close())
	must(t, h.Close()) // a second Close does nothing
	err := <-done
	if !errors.Is(err, context.Canceled) || !errors.Is(err, annette.ErrEffectsClosed) {
		t.Errorf("Reduce after Close = %v, want ErrEffectsClosed and the handler's context error", err)
	}
	if err := h.Handle("x", func(context.Context, *annette.EffectCall) (any, error) { return nil, nil }); !errors.Is(err, annette.ErrEffectsClosed) {
		t.Errorf("Handle after Close = %v", err)
	}
	n2 := askNet(t, h, nil, requestTo("block"))
	if _, err := n2.Reduce(context.Background()); !errors.Is(err, annette.ErrEffectsClosed) {
		t.Errorf("Reduce with a closed handler = %v", err)
	}
}

func TestEffectConfigErrors(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	for _, typ := range []string{"", ":x", "x:", "a:b:c", "a*", "db:*"} {
		if err := h.Handle(typ, func(context.Context, *annette.EffectCall) (any, error) { return nil, nil }); err == nil {
			t.Errorf("Handle(%q) accepted", typ)
		}
	}
	if err := h.Handle("x", nil); err == nil {
		t.Error("Handle with nil accepted")
	}
	if err := h.HandleBatch("x", nil); err == nil {
		t.Error("HandleBatch with nil accepted")
	}
	var zero *annette.EffectError
	if zero.Error() != "<nil>" || zero.Unwrap() != nil {
		t.Error("nil EffectError")
	}
	// Errors built without a cause still print.
	for _, err := range []error{&annette.EffectError{Type: "x"}, &annette.PluginError{Plugin: "p", Op: "init"}, &annette.HookError{Event: "e"}} {
		if err.Error() == "" {
			t.Errorf("%T without a cause prints nothing", err)
		}
	}
}

// waitNet builds, on n, a net where a pair waits for an integer that an
// effect brings: Ask(r) >< Key requests "num" and links the result to
// the attribute x of Plus2(out, x), whose principal port meets 5. The
// tree-sum rule plus2 then gives x + 5.
func waitNet(t *testing.T, n *annette.Network) {
	t.Helper()
	defineTypes(t, n, append([]annette.Type{
		{Name: "Ask", Ports: []string{"main", "r"}},
		{Name: "Key", Valued: true},
	}, treeTypes...)...)
	addRules(t, n, treeRewriteRules()...)
	addRules(t, n, annette.ActionRule{Name: "ask", Left: "Ask", Right: "Key", Action: requestTo("num")})
	a, err := n.AddAgent("Ask", nil)
	must(t, err)
	k, err := n.AddAgent("Key", 37)
	must(t, err)
	p2, err := n.AddAgent("Plus2", nil)
	must(t, err)
	must(t, n.Connect(a.Main(), k.Main()))
	must(t, n.Connect(a.Port("r"), p2.Port("x")))
	must(t, n.Connect(p2.Port("s"), n.Name("out")))
	must(t, n.Connect(p2.Main(), n.Int(5)))
}

// numEffects returns a handler whose "num" effect returns its payload
// after a delay.
func numEffects(t *testing.T, delay time.Duration) *annette.EffectHandler {
	t.Helper()
	h := annette.NewEffectHandler(annette.EffectConfig{})
	t.Cleanup(func() { h.Close() })
	must(t, h.Handle("num", func(_ context.Context, c *annette.EffectCall) (any, error) {
		time.Sleep(delay)
		return c.Payload, nil
	}))
	return h
}

// TestEffectPendingPair checks that a pair waiting for an integer that an
// effect brings waits for the effect, in every way of running a net.
func TestEffectPendingPair(t *testing.T) {
	for _, delay := range []time.Duration{0, 10 * time.Millisecond} {
		t.Run(fmt.Sprint("sequential/", delay), func(t *testing.T) {
			n := annette.NewNetwork(annette.Config{Effects: numEffects(t, delay)})
			waitNet(t, n)
			_, err := n.Reduce(context.Background())
			must(t, err)
			if got, _ := n.Text("out"); got != "42" {
				t.Errorf("out = %s, want 42", got)
			}
		})
		t.Run(fmt.Sprint("sequential-step/", delay), func(t *testing.T) {
			n := annette.NewNetwork(annette.Config{Effects: numEffects(t, delay)})
			waitNet(t, n)
			stepSeqToEnd(t, n)
			if got, _ := n.Text("out"); got != "42" {
				t.Errorf("out = %s, want 42", got)
			}
		})
		for _, workers := range []int{1, 2, 4} {
			for _, mode := range []annette.ExecutionMode{annette.Auto, annette.Parallel} {
				for _, step := range []bool{false, true} {
					t.Run(fmt.Sprintf("w%d/mode%d/step=%v/%v", workers, mode, step, delay), func(t *testing.T) {
						// A negative SequentialTime lets Auto mode go parallel on this small net.
						p := annette.NewParallelNetwork(annette.Config{Effects: numEffects(t, delay)},
							annette.ParallelConfig{Workers: workers, Mode: mode, SequentialTime: -1})
						defer p.Close()
						waitNet(t, p.Network)
						if step {
							stepToEnd(t, p, false)
						} else {
							_, err := p.Reduce(context.Background())
							must(t, err)
						}
						if got, _ := p.Text("out"); got != "42" {
							t.Errorf("out = %s, want 42", got)
						}
					})
				}
			}
		}
	}
}

// TestEffectBadResults checks results that cannot be built: each fails
// the run with an *EffectError, returned as it is, and leaves the net
// usable.
func TestEffectBadResults(t *testing.T) {
	list := func(k int) *annette.Term {
		t := &annette.Term{Kind: annette.AgentTerm, Type: "Nil"}
		for i := range k {
			t = &annette.Term{Kind: annette.AgentTerm, Type: "Cons", Args: []*annette.Term{{Kind: annette.IntTerm, Int: int64(i)}, t}}
		}
		return t
	}
	for _, tc := range []struct {
		name   string
		result any
		cfg    annette.Config
		want   string
	}{
		{"integer with arguments", &annette.Term{Kind: annette.IntTerm, Int: 1 << 62, Args: []*annette.Term{{Kind: annette.IntTerm}}}, annette.Config{}, "integers take none"},
		{"integer with a nil argument", &annette.Term{Kind: annette.IntTerm, Int: 4, Args: []*annette.Term{nil}}, annette.Config{}, "integers take none"},
		{"nil argument", &annette.Term{Kind: annette.AgentTerm, Type: "Pair", Args: []*annette.Term{nil, nil}}, annette.Config{}, "nil argument"},
		{"too many agents", list(5000), annette.Config{MaxLiveAgents: 1000}, "agent limit"},
		{"too much memory", list(200000), annette.Config{MaxMemory: 1 << 20}, "memory limit"},
		{"uint64 overflow", uint64(1) << 63, annette.Config{}, "does not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := annette.NewEffectHandler(annette.EffectConfig{})
			defer h.Close()
			must(t, h.Handle("bad", func(context.Context, *annette.EffectCall) (any, error) { return tc.result, nil }))
			n := askNetConfig(t, tc.cfg, h, nil, requestTo("bad"))
			_, err := n.Reduce(context.Background())
			if _, ok := err.(*annette.EffectError); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reduce = %T %v, want an *EffectError with %q", err, err, tc.want)
			}
			if st, err := n.Reduce(context.Background()); err != nil || st.Live != 0 {
				t.Errorf("second Reduce = %v with %d agents live, want nil and none", err, st.Live)
			}
		})
	}
}

// TestEffectNamedIntegers checks results of named integer types.
func TestEffectNamedIntegers(t *testing.T) {
	type price int64
	for _, v := range []any{time.Duration(7), price(7), uintptr(7), int8(7), uint16(7)} {
		h := annette.NewEffectHandler(annette.EffectConfig{})
		must(t, h.Handle("num", func(context.Context, *annette.EffectCall) (any, error) { return v, nil }))
		n := askNet(t, h, nil, requestTo("num"))
		_, err := n.Reduce(context.Background())
		must(t, err)
		if got, _ := n.Text("out"); got != "7" {
			t.Errorf("%T result: out = %s, want 7", v, got)
		}
		h.Close()
	}
}

// TestEffectResultMeetsInteger links a result to an integer: an integer
// result fails as an *EffectError, since no rule reduces two integers,
// and the net keeps no stuck pair.
func TestEffectResultMeetsInteger(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("num", func(context.Context, *annette.EffectCall) (any, error) { return 3, nil }))
	n := askNet(t, h, nil, func(c *annette.RuleContext) error {
		x, _ := c.Request(annette.Effect{Type: "num"})
		y, _ := c.Request(annette.Effect{Type: "num"})
		if err := c.Link(x, y); err != nil {
			return err
		}
		return c.Link(c.Left().Port("r"), c.Int(0))
	})
	_, err := n.Reduce(context.Background())
	if !strings.Contains(fmt.Sprint(err), "would meet the integer 3") {
		t.Errorf("Reduce = %v, want a result meeting an integer", err)
	}
	if _, err := n.Reduce(context.Background()); err != nil {
		t.Errorf("second Reduce = %v", err)
	}
}

// TestEffectHandlerGoexit checks a handler that calls runtime.Goexit:
// its effect fails, and the handler's later effects still run.
func TestEffectHandlerGoexit(t *testing.T) {
	leakCheck(t)
	h := annette.NewEffectHandler(annette.EffectConfig{Workers: 1})
	var calls atomic.Int32
	must(t, h.Handle("num", func(context.Context, *annette.EffectCall) (any, error) {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		return 9, nil
	}))
	n := askNet(t, h, nil, requestTo("num"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := n.Reduce(ctx)
	if !strings.Contains(fmt.Sprint(err), "runtime.Goexit") {
		t.Errorf("Reduce = %v, want the handler's Goexit", err)
	}
	n2 := askNet(t, h, nil, requestTo("num"))
	_, err = n2.Reduce(ctx)
	must(t, err)
	if got, _ := n2.Text("out"); got != "9" {
		t.Errorf("out = %s after a Goexit, want 9", got)
	}
	// The Goexit was the failure of its effect, not of Close.
	must(t, h.Close())
}

// TestEffectManyBlockedHandlers checks that a rule never waits for the
// handler's pool: with one goroutine and more blocked handlers than the
// pool can queue, a run still returns at its deadline.
func TestEffectManyBlockedHandlers(t *testing.T) {
	leakCheck(t)
	h := annette.NewEffectHandler(annette.EffectConfig{Workers: 1})
	const k = 12
	for i := range k {
		must(t, h.Handle(fmt.Sprint("t", i), func(ctx context.Context, _ *annette.EffectCall) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}))
	}
	n := askNet(t, h, nil, func(c *annette.RuleContext) error {
		for i := range k {
			if err := c.Emit(annette.Effect{Type: fmt.Sprint("t", i)}); err != nil {
				return err
			}
		}
		return c.Link(c.Left().Port("r"), c.Int(0))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := reduceInBackground(ctx, n)
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Reduce = %v, want its deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reduce did not return after its deadline")
	}
	must(t, h.Close())
}

// TestEffectCloseSkipsRestOfBatch closes the handler while it handles
// the first effect of a batch of ten: the other nine fail without a
// call.
func TestEffectCloseSkipsRestOfBatch(t *testing.T) {
	leakCheck(t)
	h := annette.NewEffectHandler(annette.EffectConfig{Workers: 1, MaxBatch: 10, BatchWait: time.Hour})
	started := make(chan struct{}, 1)
	var calls atomic.Int32
	must(t, h.Handle("block", func(ctx context.Context, _ *annette.EffectCall) (any, error) {
		calls.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	n := askNet(t, h, nil, func(c *annette.RuleContext) error {
		for range 10 {
			if err := c.Emit(annette.Effect{Type: "block"}); err != nil {
				return err
			}
		}
		return c.Link(c.Left().Port("r"), c.Int(0))
	})
	done := reduceInBackground(context.Background(), n)
	<-started
	must(t, h.Close())
	if err := <-done; !errors.Is(err, annette.ErrEffectsClosed) {
		t.Errorf("Reduce = %v, want ErrEffectsClosed", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("handler called %d times, want 1", got)
	}
	if st := h.Stats(); st.Failed != 10 || st.Handled != 0 {
		t.Errorf("stats = %+v, want 10 failed", st)
	}
}

// failingLog is a slog.Handler that panics, or calls runtime.Goexit as
// testing's FailNow does, on every record.
type failingLog struct{ goexit bool }

func (failingLog) Enabled(context.Context, slog.Level) bool { return true }
func (l failingLog) Handle(context.Context, slog.Record) error {
	if l.goexit {
		runtime.Goexit()
	}
	panic("the log is broken")
}
func (l failingLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l failingLog) WithGroup(string) slog.Handler      { return l }

// TestEffectLoggerFails checks that a Logger that panics or calls
// runtime.Goexit does not keep a failed effect from its network.
func TestEffectLoggerFails(t *testing.T) {
	for _, goexit := range []bool{false, true} {
		t.Run(fmt.Sprint("goexit=", goexit), func(t *testing.T) {
			leakCheck(t)
			h := annette.NewEffectHandler(annette.EffectConfig{Workers: 1, Logger: slog.New(failingLog{goexit: goexit})})
			must(t, h.Handle("fail", func(context.Context, *annette.EffectCall) (any, error) { return nil, errors.New("boom") }))
			n := askNet(t, h, nil, requestTo("fail"))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := n.Reduce(ctx)
			var ee *annette.EffectError
			if !errors.As(err, &ee) {
				t.Errorf("Reduce = %v, want an *EffectError", err)
			}
			must(t, h.Close())
		})
	}
}

// TestEffectHandlerAndLoggerGoexit has a handler and the Logger both call
// runtime.Goexit: the effect still fails, later effects still run, and
// Close returns.
func TestEffectHandlerAndLoggerGoexit(t *testing.T) {
	leakCheck(t)
	h := annette.NewEffectHandler(annette.EffectConfig{Workers: 1, Logger: slog.New(failingLog{goexit: true})})
	var calls atomic.Int32
	must(t, h.Handle("num", func(context.Context, *annette.EffectCall) (any, error) {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		return 2, nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := askNet(t, h, nil, requestTo("num"))
	if _, err := n.Reduce(ctx); !strings.Contains(fmt.Sprint(err), "runtime.Goexit") {
		t.Errorf("Reduce = %v, want the handler's Goexit", err)
	}
	n2 := askNet(t, h, nil, requestTo("num"))
	_, err := n2.Reduce(ctx)
	must(t, err)
	must(t, h.Close())
}

// reduceInBackground reduces n on a goroutine of its own and sends
// Reduce's error on the returned channel.
func reduceInBackground(ctx context.Context, n *annette.Network) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := n.Reduce(ctx)
		done <- err
	}()
	return done
}

// TestEffectStepLimit checks that Network.Step stops at the interaction
// limit when the pair it would reduce comes from an effect's result.
func TestEffectStepLimit(t *testing.T) {
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("num", func(_ context.Context, c *annette.EffectCall) (any, error) {
		return int64(c.Payload.(int)), nil
	}))
	// The result meets Box: Box(x) >< (int v) => x ~ v.
	n := askNetConfig(t, annette.Config{MaxInteractions: 1}, h, 4, requestIntoBox)
	addRules(t, n, annette.ActionRule{Name: "box", Left: "Box", Right: "Int", Action: func(c *annette.RuleContext) error {
		return c.Link(c.Left().Port("x"), c.Int(c.Right().Value().(int64)))
	}})
	if ok, err := n.Step(context.Background()); !ok || err != nil {
		t.Fatalf("first Step = %v, %v; want true, nil", ok, err)
	}
	if _, err := n.Step(context.Background()); !errors.Is(err, annette.ErrInteractionLimit) {
		t.Errorf("second Step = %v, want ErrInteractionLimit", err)
	}
	if got := n.Stats().Interactions; got != 1 {
		t.Errorf("%d interactions, want the limit, 1", got)
	}
}

// TestEffectDoneContextKeepsFailure checks that Reduce with a context
// already done leaves a failed effect's result for the next Reduce, as
// it leaves the pairs.
func TestEffectDoneContextKeepsFailure(t *testing.T) {
	failed := errors.New("no such key")
	h := annette.NewEffectHandler(annette.EffectConfig{})
	must(t, h.Handle("get", func(context.Context, *annette.EffectCall) (any, error) { return nil, failed }))
	n := askNet(t, h, "k", requestTo("get"))
	if ok, err := n.Step(context.Background()); !ok || err != nil {
		t.Fatalf("Step = %v, %v; want true, nil", ok, err)
	}
	for h.Stats().Failed == 0 {
		runtime.Gosched()
	}
	// Close waits for the handler's goroutine, which hands the failure
	// to the network after counting it.
	must(t, h.Close())
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := n.Reduce(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Reduce with a done context = %v, want context.Canceled", err)
	}
	var ee *annette.EffectError
	if _, err := n.Reduce(context.Background()); !errors.As(err, &ee) || !errors.Is(err, failed) {
		t.Errorf("next Reduce = %v, want an *EffectError for %v", err, failed)
	}
}

// requestIntoBox is an Ask rule's action: it requests the "num" effect
// with the right agent's value and links the result to a new Box, whose
// x goes to the left agent's r.
func requestIntoBox(c *annette.RuleContext) error {
	res, err := c.Request(annette.Effect{Type: "num", Payload: c.Right().Value()})
	if err != nil {
		return err
	}
	b, _ := c.NewAgent("Box", nil)
	if err := c.Link(b.Main(), res); err != nil {
		return err
	}
	return c.Link(b.Port("x"), c.Left().Port("r"))
}
