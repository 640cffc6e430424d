package annette_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

// gateTypes are the nullary types of the pairs that addGatePairs adds.
var gateTypes = []annette.Type{{Name: "Gl"}, {Name: "Gr"}}

// gateRule is the action rule Gl >< Gr => ; that counts its calls, closes
// started on its first call and then waits for release (if not nil) or
// sleeps for delay.
func gateRule(calls *atomic.Int64, started chan<- struct{}, release <-chan struct{}, delay time.Duration) annette.Rule {
	var once sync.Once
	return annette.ActionRule{Name: "gate", Left: "Gl", Right: "Gr", Action: func(*annette.RuleContext) error {
		calls.Add(1)
		once.Do(func() { close(started) })
		if release != nil {
			<-release
		}
		time.Sleep(delay)
		return nil
	}}
}

// addGatePairs adds k pairs Gl ~ Gr to n.
func addGatePairs(t testing.TB, n *annette.Network, k int) {
	t.Helper()
	for range k {
		connect(t, n, addAgent(t, n, "Gl").Main(), addAgent(t, n, "Gr").Main())
	}
}

// within fails t if done is not closed within a minute: a guard against
// a hang, not a measure of speed.
func within(t *testing.T, done <-chan struct{}, call string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s did not return within a minute", call)
	}
}

// TestStepCancelMidRound cancels a Step round of slow pairs after its
// first pair: Step must return context.Canceled with the pairs it did not
// start still in the net, and later rounds must run each pair once.
func TestStepCancelMidRound(t *testing.T) {
	leakCheck(t)
	const pairs = 200
	for _, mode := range []annette.ExecutionMode{annette.Auto, annette.Sequential} {
		var calls atomic.Int64
		started := make(chan struct{})
		p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1, Mode: mode},
			gateTypes, gateRule(&calls, started, nil, time.Millisecond))
		addGatePairs(t, p.Network, pairs)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-started
			cancel()
		}()
		done, err := p.Step(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("mode %d: Step = %v, want context.Canceled", mode, err)
		}
		if done >= pairs {
			t.Errorf("mode %d: Step ran %d of %d pairs after the cancel", mode, done, pairs)
		}
		if got := int64(done) + int64(p.Pending()); got != pairs {
			t.Errorf("mode %d: %d done + %d pending, want %d", mode, done, p.Pending(), pairs)
		}
		total := int64(done)
		for p.Pending() > 0 {
			k, err := p.Step(context.Background())
			must(t, err)
			total += int64(k)
		}
		if total != pairs || calls.Load() != pairs {
			t.Errorf("mode %d: %d interactions and %d calls, want %d", mode, total, calls.Load(), pairs)
		}
		closeNet(t, p)
	}
}

// TestStepSequentialOneWorker checks that a Step round in Sequential mode
// runs on the network's own worker only.
func TestStepSequentialOneWorker(t *testing.T) {
	var calls atomic.Int64
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1, Mode: annette.Sequential},
		gateTypes, gateRule(&calls, make(chan struct{}), nil, 0))
	defer closeNet(t, p)
	addGatePairs(t, p.Network, 100)
	done, err := p.Step(context.Background())
	must(t, err)
	if done != 100 {
		t.Errorf("Step = %d interactions, want 100", done)
	}
	if pw := p.PerWorker(); pw[1] != 0 {
		t.Errorf("PerWorker = %v, want none on worker 1", pw)
	}
}

// TestBusySharedPoolHonoursContext runs Reduce and Step on a network
// whose shared pool is busy with another task: both must return the
// context's error when it ends, with the net unchanged, and run normally
// once the pool is free.
func TestBusySharedPoolHonoursContext(t *testing.T) {
	leakCheck(t)
	pool := annette.NewWorkerPool(annette.PoolConfig{Workers: 2})
	defer pool.Close()
	var calls atomic.Int64
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel, MinBatch: 1, Pool: pool},
		gateTypes, gateRule(&calls, make(chan struct{}), nil, 0))
	defer closeNet(t, p)
	addGatePairs(t, p.Network, 10)

	release, busy := make(chan struct{}), make(chan struct{})
	taskDone := make(chan struct{})
	go func() {
		defer close(taskDone)
		must(t, pool.Submit(context.Background(), func(context.Context, int) error {
			close(busy)
			<-release
			return nil
		}))
	}()
	<-busy
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := p.Reduce(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Reduce = %v, want context.DeadlineExceeded", err)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel2()
		if _, err := p.Step(ctx2); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Step = %v, want context.DeadlineExceeded", err)
		}
	}()
	within(t, returned, "Reduce and Step on a busy pool")
	close(release)
	<-taskDone
	if got := p.Pending(); got != 10 || calls.Load() != 0 {
		t.Errorf("after the timeouts: %d pending and %d calls, want 10 and 0", got, calls.Load())
	}
	st, err := p.Reduce(context.Background())
	must(t, err)
	if st.Interactions != 10 {
		t.Errorf("Reduce = %d interactions, want 10", st.Interactions)
	}
}

// TestSecondRunGetsErrRunning starts a Reduce that waits in an action
// rule and checks that Reduce and Step called meanwhile from another
// goroutine return ErrRunning and change nothing.
func TestSecondRunGetsErrRunning(t *testing.T) {
	leakCheck(t)
	for _, workers := range []int{1, 2} {
		var calls atomic.Int64
		started, release := make(chan struct{}), make(chan struct{})
		p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
			gateTypes, gateRule(&calls, started, release, 0))
		addGatePairs(t, p.Network, 4)
		first := make(chan struct{})
		go func() {
			defer close(first)
			st, err := p.Reduce(context.Background())
			must(t, err)
			if st.Interactions != 4 {
				t.Errorf("%d workers: first Reduce = %d interactions, want 4", workers, st.Interactions)
			}
		}()
		<-started
		if _, err := p.Reduce(context.Background()); !errors.Is(err, annette.ErrRunning) {
			t.Errorf("%d workers: second Reduce = %v, want ErrRunning", workers, err)
		}
		if _, err := p.Step(context.Background()); !errors.Is(err, annette.ErrRunning) {
			t.Errorf("%d workers: Step = %v, want ErrRunning", workers, err)
		}
		if _, err := p.Network.Reduce(context.Background()); !errors.Is(err, annette.ErrRunning) {
			t.Errorf("%d workers: embedded Network.Reduce = %v, want ErrRunning", workers, err)
		}
		close(release)
		within(t, first, "the first Reduce")
		if calls.Load() != 4 {
			t.Errorf("%d workers: %d calls, want 4", workers, calls.Load())
		}
		closeNet(t, p)
	}
}

// TestThresholdFollowsPoolSize gives a network more workers than its
// shared pool has. The network runs with the pool's size, and the
// default SequentialThreshold follows that size. Four independent chains
// then go parallel in Auto mode, as on a network with two workers. The
// threshold applies from the start: the run may take less than the
// default SequentialTime.
func TestThresholdFollowsPoolSize(t *testing.T) {
	pool := annette.NewWorkerPool(annette.PoolConfig{Workers: 2})
	defer pool.Close()
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 8, Pool: pool, SequentialTime: -1}, chainTypes, chainRule)
	defer closeNet(t, p)
	if p.Workers() != 2 {
		t.Fatalf("Workers = %d, want the pool's 2", p.Workers())
	}
	for i := range 4 {
		startChain(t, p.Network, 2000, string(rune('a'+i)))
	}
	st, err := p.Reduce(context.Background())
	must(t, err)
	if !st.Parallel {
		t.Error("four chains on two workers stayed sequential")
	}
	if st.Interactions != 4*2001 {
		t.Errorf("interactions = %d, want %d", st.Interactions, 4*2001)
	}
}

// TestThresholdCountsNewestPair starts two chains from one pair, so that
// the net never holds more than two pairs, the threshold of two workers.
// The compiled loop keeps the pair that a rule makes last apart from the
// stack until its next turn, and the check of the threshold must count it:
// the run goes parallel.
func TestThresholdCountsNewestPair(t *testing.T) {
	types := append([]annette.Type{{Name: "Fork", Ports: []string{"main", "a", "b"}}, {Name: "Go"}}, chainTypes...)
	fork := annette.RewriteRule{Name: "fork", Left: Pat("Fork", "a", "b"), Right: Pat("Go"),
		Body: []annette.Wire{W(A("Chain", V("a")), N(2000)), W(A("Chain", V("b")), N(2000))}}
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, SequentialTime: -1}, types, chainRule, fork)
	defer closeNet(t, p)
	f := addAgent(t, p.Network, "Fork")
	connect(t, p.Network, f.Port("a"), p.Name("a"))
	connect(t, p.Network, f.Port("b"), p.Name("b"))
	connect(t, p.Network, f.Main(), addAgent(t, p.Network, "Go").Main())
	st, err := p.Reduce(context.Background())
	must(t, err)
	if !st.Parallel {
		t.Error("two chains on two workers stayed sequential")
	}
	if want := int64(1 + 2*2001); st.Interactions != want {
		t.Errorf("interactions = %d, want %d", st.Interactions, want)
	}
}

// TestSequentialTime checks when Auto mode starts the other workers:
// not before SequentialTime has passed, even with enough pending pairs,
// and after it at the next check, which for slow rules comes after each
// call. Four countdowns of 4 interactions with a rule that sleeps 2ms
// reach no check of every 256 interactions.
func TestSequentialTime(t *testing.T) {
	var calls atomic.Int64
	tests := []struct {
		name     string
		wait     time.Duration
		rule     annette.Rule
		count    int64
		parallel bool
	}{
		{"hour", time.Hour, chainRule, 2000, false},
		{"max duration", math.MaxInt64, chainRule, 2000, false},
		{"nanosecond", time.Nanosecond, chainRule, 2000, true},
		{"negative", -1, chainRule, 2000, true},
		{"slow rule", time.Millisecond, slowChainRule(2*time.Millisecond, &calls), 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, SequentialTime: tc.wait}, chainTypes, tc.rule)
			defer closeNet(t, p)
			for i := range 4 {
				startChain(t, p.Network, tc.count, string(rune('a'+i)))
			}
			st, err := p.Reduce(context.Background())
			must(t, err)
			if st.Parallel != tc.parallel {
				t.Errorf("Parallel = %v, want %v", st.Parallel, tc.parallel)
			}
			if want := 4 * (tc.count + 1); st.Interactions != want {
				t.Errorf("interactions = %d, want %d", st.Interactions, want)
			}
		})
	}
}

// switchLog is a slog.Handler that calls onSwitch when a network logs
// its switch to parallel reduction.
type switchLog struct{ onSwitch func() }

func (switchLog) Enabled(context.Context, slog.Level) bool { return true }
func (l switchLog) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "switching to parallel") {
		l.onSwitch()
	}
	return nil
}
func (l switchLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l switchLog) WithGroup(string) slog.Handler      { return l }

// TestSequentialTimeSlowRule checks that Auto mode goes parallel right
// after the call of an action rule during which SequentialTime ended, when
// enough pairs are pending: the rule sleeps 2ms, twice SequentialTime.
func TestSequentialTimeSlowRule(t *testing.T) {
	var calls atomic.Int64
	callsAtSwitch := int64(-1)
	logger := slog.New(switchLog{onSwitch: func() { callsAtSwitch = calls.Load() }})
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, SequentialTime: time.Millisecond, Logger: logger},
		chainTypes, slowChainRule(2*time.Millisecond, &calls))
	defer closeNet(t, p)
	for i := range 4 {
		startChain(t, p.Network, 3, string(rune('a'+i)))
	}
	st, err := p.Reduce(context.Background())
	must(t, err)
	if !st.Parallel {
		t.Errorf("Parallel = false, want true")
	}
	if callsAtSwitch != 1 {
		t.Errorf("switched to parallel after %d calls of the rule, want 1", callsAtSwitch)
	}
}

// TestZeroValueErrors checks that errors with zero fields and a nil rule
// give messages instead of panics.
func TestZeroValueErrors(t *testing.T) {
	if msg := (&annette.RuleError{}).Error(); msg == "" {
		t.Error("zero RuleError has an empty message")
	}
	if msg := (&annette.LimitError{}).Error(); msg == "" {
		t.Error("zero LimitError has an empty message")
	}
	n := annette.NewNetwork(annette.Config{})
	if err := n.AddRule(nil); err == nil {
		t.Error("AddRule(nil) = nil, want an error")
	}
	r := annette.RewriteRule{Left: Pat("Nil"), Right: Pat("Nil")}
	if err := r.CheckSymmetric(nil); err == nil {
		t.Error("CheckSymmetric(nil) = nil, want an error")
	}
}

// loopActionRule is the action rule Gl >< Gr => Gl ~ Gr, which never
// ends: it counts its calls, closes started on the first and sleeps for
// delay.
func loopActionRule(calls *atomic.Int64, started chan<- struct{}, delay time.Duration) annette.Rule {
	var once sync.Once
	return annette.ActionRule{Name: "loop", Left: "Gl", Right: "Gr", Action: func(c *annette.RuleContext) error {
		calls.Add(1)
		once.Do(func() { close(started) })
		time.Sleep(delay)
		l, err := c.NewAgent("Gl", nil)
		if err != nil {
			return err
		}
		r, err := c.NewAgent("Gr", nil)
		if err != nil {
			return err
		}
		return c.Link(l.Main(), r.Main())
	}}
}

// TestCancelAfterSlowAction cancels runs of a slow action rule and
// counts the calls made after the cancel. Each worker may finish the call
// it is in and start at most one more. A run that checked its context
// only every 256 interactions would make many more.
func TestCancelAfterSlowAction(t *testing.T) {
	leakCheck(t)
	for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Auto, annette.Parallel} {
		for _, workers := range []int{1, 2, 8} {
			var calls atomic.Int64
			started := make(chan struct{})
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: mode},
				gateTypes, loopActionRule(&calls, started, 200*time.Microsecond))
			addGatePairs(t, p.Network, 4)
			ctx, cancel := context.WithCancel(context.Background())
			var atCancel atomic.Int64
			go func() {
				<-started
				time.Sleep(5 * time.Millisecond)
				atCancel.Store(calls.Load())
				cancel()
			}()
			if _, err := p.Reduce(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("mode %d, %d workers: Reduce = %v, want context.Canceled", mode, workers, err)
			}
			if extra := calls.Load() - atCancel.Load(); extra > int64(2*workers) {
				t.Errorf("mode %d, %d workers: %d calls after the cancel, want at most %d", mode, workers, extra, 2*workers)
			}
			if got := p.Pending(); got != 4 {
				t.Errorf("mode %d, %d workers: %d pairs pending, want 4", mode, workers, got)
			}
			closeNet(t, p)
		}
	}
}

// waitRule is the action rule Gl >< Gr => ; that closes started on its
// first call and then waits for the end of its RuleContext's context,
// whose error it returns.
func waitRule(started chan<- struct{}) annette.Rule {
	var once sync.Once
	return annette.ActionRule{Name: "wait", Left: "Gl", Right: "Gr", Action: func(c *annette.RuleContext) error {
		once.Do(func() { close(started) })
		<-c.Context().Done()
		return c.Context().Err()
	}}
}

// TestRuleContextSeesCancel cancels runs whose action waits on
// RuleContext.Context: Reduce and Step of the sequential and the parallel
// network must return with context.Canceled, which reaches the action.
// Each must report it as the action's error, a *RuleError that names the
// rule and its pair, whether the action or the run's own check of the
// context notices the end first.
func TestRuleContextSeesCancel(t *testing.T) {
	leakCheck(t)
	type run struct {
		name string
		call func(ctx context.Context, started chan struct{}) error
	}
	parallel := func(mode annette.ExecutionMode, step bool) func(context.Context, chan struct{}) error {
		return func(ctx context.Context, started chan struct{}) error {
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1, Mode: mode},
				gateTypes, waitRule(started))
			defer closeNet(t, p)
			addGatePairs(t, p.Network, 4)
			if step {
				_, err := p.Step(ctx)
				return err
			}
			_, err := p.Reduce(ctx)
			return err
		}
	}
	runs := []run{
		{"Network.Reduce", func(ctx context.Context, started chan struct{}) error {
			n := newNet(t, annette.Config{}, gateTypes, waitRule(started))
			addGatePairs(t, n, 1)
			_, err := n.Reduce(ctx)
			return err
		}},
		{"Network.Step", func(ctx context.Context, started chan struct{}) error {
			n := newNet(t, annette.Config{}, gateTypes, waitRule(started))
			addGatePairs(t, n, 1)
			_, err := n.Step(ctx)
			return err
		}},
		{"ParallelNetwork.Reduce parallel", parallel(annette.Parallel, false)},
		{"ParallelNetwork.Reduce sequential", parallel(annette.Sequential, false)},
		{"ParallelNetwork.Step parallel", parallel(annette.Parallel, true)},
		{"ParallelNetwork.Step sequential", parallel(annette.Sequential, true)},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := make(chan struct{})
			go func() {
				<-started
				cancel()
			}()
			done := make(chan struct{})
			var err error
			go func() {
				defer close(done)
				err = r.call(ctx, started)
			}()
			within(t, done, r.name)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s = %v, want context.Canceled", r.name, err)
			}
			var re *annette.RuleError
			if !errors.As(err, &re) || re.Rule != "wait" || re.Left != "Gl" || re.Right != "Gr" {
				t.Errorf("%s = %v, want a *RuleError for rule wait (Gl >< Gr)", r.name, err)
			}
		})
	}
}

// runKey is the context key under which the tests of
// RuleContext.Context number their runs.
type runKey struct{}

// TestRuleContextKeptByGoroutine checks the pattern that
// RuleContext.Context documents for a goroutine that outlives its
// action. The goroutine takes the context during the action. While a
// later run reuses the RuleContext, the goroutine still has the first
// run's context, which that run's cancel ends.
func TestRuleContextKeptByGoroutine(t *testing.T) {
	inSecondRun := make(chan struct{})
	handoff := make(chan context.Context)
	var seen context.Context // the goroutine's context, as the second action saw it
	calls := 0
	rule := annette.ActionRule{Name: "keep", Left: "Gl", Right: "Gr", Action: func(c *annette.RuleContext) error {
		calls++
		if calls == 1 {
			ctx := c.Context()
			go func() {
				<-inSecondRun
				handoff <- ctx
			}()
			return nil
		}
		close(inSecondRun)
		seen = <-handoff
		return nil
	}}
	n := newNet(t, annette.Config{}, gateTypes, rule)

	first, cancelFirst := context.WithCancel(context.WithValue(context.Background(), runKey{}, 1))
	addGatePairs(t, n, 1)
	_, err := n.Reduce(first)
	must(t, err)
	cancelFirst()

	second := context.WithValue(context.Background(), runKey{}, 2)
	addGatePairs(t, n, 1)
	_, err = n.Reduce(second)
	must(t, err)

	if got := seen.Value(runKey{}); got != 1 {
		t.Errorf("kept context is of run %v, want run 1", got)
	}
	if !errors.Is(seen.Err(), context.Canceled) {
		t.Errorf("kept context Err() = %v, want context.Canceled", seen.Err())
	}
}

// TestRuleContextEachRun runs an action rule with Reduce, Step and
// Network.Step in each mode, three times with different contexts. Each
// call must see the context of its own run, never an earlier one, and in
// Auto mode both before and after the run goes parallel.
func TestRuleContextEachRun(t *testing.T) {
	leakCheck(t)
	var mu sync.Mutex
	seen := map[any]int{}
	rule := annette.ActionRule{Name: "see", Left: "Gl", Right: "Gr", Action: func(c *annette.RuleContext) error {
		v := c.Context().Value(runKey{})
		mu.Lock()
		seen[v]++
		mu.Unlock()
		return nil
	}}
	check := func(name string, run int, want int) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 || seen[run] != want {
			t.Errorf("%s run %d: contexts seen %v, want %d calls of run %d", name, run, seen, want, run)
		}
		clear(seen)
	}
	for _, mode := range []annette.ExecutionMode{annette.Auto, annette.Parallel, annette.Sequential} {
		p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1, Mode: mode, SequentialThreshold: 3, SequentialTime: -1},
			gateTypes, rule)
		for run := 1; run <= 3; run++ {
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), runKey{}, run))
			addGatePairs(t, p.Network, 64)
			if _, err := p.Reduce(ctx); err != nil {
				t.Fatal(err)
			}
			check("Reduce", run, 64)
			addGatePairs(t, p.Network, 8)
			for {
				k, err := p.Step(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					break
				}
			}
			check("Step", run, 8)
			addGatePairs(t, p.Network, 2)
			for {
				ok, err := p.Network.Step(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
			}
			check("Network.Step", run, 2)
			cancel()
		}
		closeNet(t, p)
	}
}
