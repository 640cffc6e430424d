package engine

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// TestShareOldestPairs checks that share gives the oldest pairs to the
// pool, as many as the batch allows but never the last one, and keeps the
// rest of the stack in order. A long stack is resliced, not shifted, so
// that a share costs the same whatever the stack's length.
func TestShareOldestPairs(t *testing.T) {
	pair := func(i int) Redex {
		return Redex{Port(uint64(i)<<3 | tagInt), Port(uint64(i+1)<<3 | tagInt)}
	}
	for _, tc := range []struct{ n, batch, given int }{
		{2, 1, 1}, {shareShift, 1, 1}, {shareShift + 1, 1, 1}, {1000, 1, 1},
		{2, 3, 1}, {4, 3, 3}, {1000, 3, 3},
	} {
		s := &Scheduler{batch: tc.batch}
		s.cond = sync.NewCond(&s.mu)
		w := &Worker{}
		for i := range tc.n {
			w.stack = append(w.stack, pair(i))
		}
		next := &w.stack[tc.given]
		s.share(w)
		if len(s.pool) != tc.given {
			t.Fatalf("%+v: %d pairs in the pool, want %d", tc, len(s.pool), tc.given)
		}
		for i, r := range s.pool {
			if r != pair(i) {
				t.Errorf("%+v: pool pair %d is %v, want %v", tc, i, r, pair(i))
			}
		}
		if got := s.poolLen.Load(); got != int32(tc.given) {
			t.Errorf("%+v: poolLen %d, want %d", tc, got, tc.given)
		}
		if len(w.stack) != tc.n-tc.given {
			t.Fatalf("%+v: %d pairs left, want %d", tc, len(w.stack), tc.n-tc.given)
		}
		for i, r := range w.stack {
			if r != pair(i+tc.given) {
				t.Fatalf("%+v: stack pair %d is %v, want %v", tc, i, r, pair(i+tc.given))
			}
		}
		if tc.n == 1000 && &w.stack[0] != next {
			t.Errorf("%+v: the stack was copied, want it resliced", tc)
		}
	}
}

// TestFinishPeakAboveLiveLimit checks that a run whose count of live
// agents went above the limit ends with the limit error. The count was
// published without a check, as by a worker that ran out of pairs, and
// the net is back below the limit at the end.
func TestFinishPeakAboveLiveLimit(t *testing.T) {
	w := NewWorker(NewNet(), 0)
	s := NewScheduler(context.Background(), []*Worker{w}, nil, Limits{LiveAgents: 10}, 0)
	s.notePeak(s.live.Add(20)) // as at an idle worker's publication
	s.live.Add(-20)            // the agents are freed again
	res := s.Finish()
	if !errors.Is(res.Err, ErrAgentLimit) {
		t.Errorf("Finish error = %v, want ErrAgentLimit", res.Err)
	}
	if res.PeakLive != 20 {
		t.Errorf("PeakLive = %d, want 20", res.PeakLive)
	}
}

// TestSchedulerStartDeal checks where a run's starting pairs go: one
// of the oldest to each worker but the first, and the rest to the first
// in their order, so that the first worker keeps at least one.
func TestSchedulerStartDeal(t *testing.T) {
	for _, tc := range []struct {
		workers, pairs int
		first          int // pairs the first worker keeps
	}{
		{1, 0, 0}, {1, 3, 3}, {2, 0, 0}, {2, 1, 1}, {2, 2, 1}, {2, 5, 4},
		{3, 2, 1}, {3, 3, 1}, {3, 6, 4}, {8, 3, 1}, {8, 20, 13}, {64, 64, 1},
	} {
		net := NewNet()
		workers := make([]*Worker, tc.workers)
		for i := range workers {
			workers[i] = NewWorker(net, uint64(i))
		}
		start := make([]Redex, tc.pairs)
		for i := range start {
			start[i] = Redex{A: VarPort(uint64(2*i + 1)), B: VarPort(uint64(2*i + 2))}
		}
		s := NewScheduler(context.Background(), workers, start, Limits{}, 0)
		dealt := tc.pairs - tc.first
		if got := workers[0].stack; !slices.Equal(got, start[dealt:]) {
			t.Errorf("%+v: first worker's stack = %v, want %v", tc, got, start[dealt:])
		}
		for i, w := range workers[1:] {
			var want []Redex
			if i < dealt {
				want = start[i : i+1]
			}
			if !slices.Equal(w.stack, want) {
				t.Errorf("%+v: worker %d starts with %v, want %v", tc, i+1, w.stack, want)
			}
		}
		s.Finish()
	}
}

// TestShareOncePerTaker checks that idleHint reads zero while the pool
// contains pairs that an idle worker has not taken yet, and the idle
// count again once the pool is empty. A worker asleep in idleWait can
// wake late, and each share stops the busy worker's loop.
func TestShareOncePerTaker(t *testing.T) {
	net := NewNet()
	busy, idle := NewWorker(net, 0), NewWorker(net, 1)
	s := NewScheduler(context.Background(), []*Worker{busy, idle}, nil, Limits{}, 0)
	defer s.Finish()
	for i := range 4 {
		busy.stack = append(busy.stack, Redex{A: VarPort(uint64(2*i + 1)), B: VarPort(uint64(2*i + 2))})
	}
	s.mu.Lock()
	s.idle++
	s.noteIdle()
	s.mu.Unlock()
	if got := s.idleHint.Load(); got != 1 {
		t.Fatalf("idleHint with an empty pool = %d, want 1", got)
	}
	s.share(busy)
	if got := s.idleHint.Load(); got != 0 {
		t.Errorf("idleHint after a share = %d, want 0", got)
	}
	s.mu.Lock()
	s.pool = s.pool[:0] // as the idle worker's take leaves it, before its idle--
	s.noteIdle()
	s.mu.Unlock()
	if got := s.idleHint.Load(); got != 1 {
		t.Errorf("idleHint once the pool is empty = %d, want 1", got)
	}
}

// TestShareBeforeSlowRule checks that a parallel worker shares a pair
// with an idle worker before it calls a slow native rule. The compiled
// rule Walk >< Node(t, h) => Walk ~ t, Job ~ h pushes the slow pair of
// Job above the walk's next pair, and the walk is shorter than a batch.
// Each slow call returns once a worker is idle or two calls overlap, so
// a worker that shares only after its calls walks the list alone.
func TestShareBeforeSlowRule(t *testing.T) {
	const length = 100 // list elements: 2*length+1 interactions, under a batch
	net := NewNet()
	define := func(name string, aux ...string) TypeID {
		id, err := net.Types.Define(name, append([]string{"main"}, aux...), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	walk, cons, end, job := define("Walk"), define("Node", "t", "h"), define("End"), define("Job")
	rewrite := func(name string, left, right TypeID, alt AltSpec) {
		tmpl, err := Compile(net.Types, left, right, nil, []AltSpec{alt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := net.Rules.Add(&Rule{Name: name, Left: left, Right: right, Kind: RuleRewrite, Template: tmpl}, false); err != nil {
			t.Fatal(err)
		}
	}
	// The link of t comes first, so the pair of Job is pushed last.
	rewrite("walk-node", walk, cons, AltSpec{
		Nodes: []NodeDecl{decl(walk), decl(job)},
		Wires: [][2]End{wire(node(0, 0), ext(0)), wire(node(1, 0), ext(1))},
	})
	rewrite("walk-end", walk, end, AltSpec{})

	var s *Scheduler           // set before the workers start
	var running atomic.Int32   // slow calls in progress
	var overlapped atomic.Bool // two slow calls ran at once
	slow := func(w *Worker, a, b Port) error {
		if running.Add(1) > 1 {
			overlapped.Store(true)
		}
		for !overlapped.Load() && s.idleHint.Load() == 0 {
			runtime.Gosched()
		}
		running.Add(-1)
		w.FreeAgent(a)
		return nil
	}
	if _, err := net.Rules.Add(&Rule{Name: "job", Left: job, Right: TypeInt, Kind: RuleNative, Native: slow, Slow: true}, false); err != nil {
		t.Fatal(err)
	}

	workers := []*Worker{NewWorker(net, 0), NewWorker(net, 1)}
	for _, w := range workers {
		w.Prepare()
		w.Shared = true
	}
	b := workers[0]
	list := b.NewAgent(end)
	for i := range length {
		n := b.NewAgent(cons)
		b.SetAux(n, 0, list)
		b.SetAux(n, 1, b.Int(int64(i)))
		list = n
	}
	s = NewScheduler(context.Background(), workers, []Redex{{b.NewAgent(walk), list}}, Limits{}, b.Live())
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { s.RunWorker(i) })
	}
	wg.Wait()
	res := s.Finish()
	if res.Err != nil {
		t.Fatalf("run failed: %v", res.Err)
	}
	if len(res.Left) != 0 {
		t.Errorf("%d pairs left, want none", len(res.Left))
	}
	if got, want := workers[0].count+workers[1].count, int64(2*length+1); got != want {
		t.Errorf("%d interactions, want %d", got, want)
	}
	if got := workers[0].Live() + workers[1].Live(); got != 0 {
		t.Errorf("%d live agents left, want 0", got)
	}
	if workers[1].count == 0 {
		t.Errorf("the second worker carried out no interaction, the first %d", workers[0].count)
	}
	if !overlapped.Load() {
		t.Error("no two slow calls ran at once")
	}
}
