package annette

import (
	"bytes"
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

	"go.uber.org/goleak"

	"github.com/annette-go/annette/internal/engine"
)

// Each test checks for leaked goroutines itself: another test file may
// add a TestMain, and goroutines that exist when a test starts belong to
// other tests.
func poolLeakCheck(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// poolTestCtx returns a context that ends well after any passing test, so
// that a deadlock fails the test with a message instead of hanging it.
func poolTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// poolClose closes p and fails the test on an error.
func poolClose(t *testing.T, p *WorkerPool) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// poolWaitFor calls cond until it returns true, yielding the processor in
// between, and fails the test if the deadline of ctx passes first. It is
// for states that no channel reports, such as a worker parked in RunOnAll.
func poolWaitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

// poolBlocker returns a task that reports on started and then waits for
// release to be closed.
func poolBlocker(started chan<- int, release <-chan struct{}) Task {
	return func(ctx context.Context, w int) error {
		started <- w
		<-release
		return nil
	}
}

func TestPoolConfigDefaults(t *testing.T) {
	poolLeakCheck(t)
	procs := runtime.GOMAXPROCS(0)
	tests := []struct {
		cfg         PoolConfig
		workers     int
		queueLength int
	}{
		{PoolConfig{}, procs, 4 * procs},
		{PoolConfig{Workers: 3}, 3, 12},
		{PoolConfig{QueueSize: 1}, procs, 1},
		{PoolConfig{Workers: 5, QueueSize: 7}, 5, 7},
	}
	for _, tt := range tests {
		p := NewWorkerPool(tt.cfg)
		if got := p.Workers(); got != tt.workers {
			t.Errorf("%+v: Workers() = %d, want %d", tt.cfg, got, tt.workers)
		}
		if got := cap(p.queue); got != tt.queueLength {
			t.Errorf("%+v: queue capacity = %d, want %d", tt.cfg, got, tt.queueLength)
		}
		if got := p.Status(); got != (PoolStatus{Total: tt.workers}) {
			t.Errorf("%+v: Status() = %+v, want %d idle workers", tt.cfg, got, tt.workers)
		}
		poolClose(t, p)
	}
}

func TestPoolConfigNegativePanics(t *testing.T) {
	poolLeakCheck(t)
	tests := []struct {
		cfg  PoolConfig
		want string
	}{
		{PoolConfig{Workers: -1}, "annette: PoolConfig.Workers is -1, want 0 or more"},
		{PoolConfig{QueueSize: -2}, "annette: PoolConfig.QueueSize is -2, want 0 or more"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("NewWorkerPool(%+v) panicked with %v, want %q", tt.cfg, got, tt.want)
				}
			}()
			NewWorkerPool(tt.cfg)
		}()
	}
}

func TestPoolNilTaskPanics(t *testing.T) {
	poolLeakCheck(t)
	p := NewWorkerPool(PoolConfig{Workers: 1})
	defer poolClose(t, p)
	ctx := t.Context()
	tests := []struct {
		name string
		call func()
	}{
		{"Submit", func() { p.Submit(ctx, nil) }},
		{"RunOnAll", func() { p.RunOnAll(ctx, nil) }},
		{"Group.Go", func() { p.NewGroup(ctx).Go(nil) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "annette: ") || !strings.Contains(msg, "nil task") {
					t.Errorf("%s(nil) panicked with %q, want an annette nil task message", tt.name, msg)
				}
			}()
			tt.call()
		}()
	}
}

func TestPoolZeroValue(t *testing.T) {
	poolLeakCheck(t)
	var p WorkerPool
	var ran atomic.Int32
	err := p.Run(t.Context(), func(context.Context, int) error {
		ran.Add(1)
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ran.Load() != 1 {
		t.Errorf("task ran %d times, want 1", ran.Load())
	}
	if got, want := p.Workers(), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("Workers() = %d, want %d", got, want)
	}
	poolClose(t, &p)
}

func TestPoolWorkerIndices(t *testing.T) {
	poolLeakCheck(t)
	const workers = 4
	p := NewWorkerPool(PoolConfig{Workers: workers})
	defer poolClose(t, p)

	// Tasks blocked at the same time run on different goroutines, so
	// they must see different indices, all in range.
	started := make(chan int)
	release := make(chan struct{})
	g := p.NewGroup(t.Context())
	for range workers {
		g.Go(poolBlocker(started, release))
	}
	seen := make(map[int]bool)
	for range workers {
		w := <-started
		if w < 0 || w >= workers {
			t.Errorf("task got worker %d, want 0..%d", w, workers-1)
		}
		if seen[w] {
			t.Errorf("two running tasks got worker %d", w)
		}
		seen[w] = true
	}
	close(release)
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func TestPoolPerWorkerState(t *testing.T) {
	poolLeakCheck(t)
	const workers, tasks = 3, 3000
	p := NewWorkerPool(PoolConfig{Workers: workers})
	defer poolClose(t, p)

	// Plain ints indexed by worker: the race detector reports any two
	// goroutines that share an index.
	var counts [workers]int
	g := p.NewGroup(t.Context())
	for range tasks {
		g.Go(func(_ context.Context, w int) error {
			counts[w]++
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != tasks {
		t.Errorf("tasks run = %d, want %d", total, tasks)
	}
}

func TestPoolStatus(t *testing.T) {
	poolLeakCheck(t)
	const workers, queued = 3, 2
	p := NewWorkerPool(PoolConfig{Workers: workers, QueueSize: 5})

	started := make(chan int)
	release := make(chan struct{})
	g := p.NewGroup(t.Context())
	for range workers {
		g.Go(poolBlocker(started, release))
	}
	for range workers {
		<-started
	}
	if got, want := p.Status(), (PoolStatus{Total: workers, Busy: workers}); got != want {
		t.Errorf("all workers blocked: Status() = %+v, want %+v", got, want)
	}

	// Every worker is blocked, so these stay in the queue.
	extra := make(chan int, queued)
	for range queued {
		g.Go(poolBlocker(extra, release))
	}
	if got, want := p.Status(), (PoolStatus{Total: workers, Busy: workers, Queued: queued}); got != want {
		t.Errorf("%d tasks queued: Status() = %+v, want %+v", queued, got, want)
	}

	close(release)
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if got, want := p.Status(), (PoolStatus{Total: workers}); got != want {
		t.Errorf("after Wait: Status() = %+v, want %+v", got, want)
	}
	poolClose(t, p)
	if got, want := p.Status(), (PoolStatus{}); got != want {
		t.Errorf("after Close: Status() = %+v, want %+v", got, want)
	}
}

// poolFill blocks the only worker of p and fills its queue of size n.
// Closing release lets all of them finish.
func poolFill(t *testing.T, p *WorkerPool, n int, release <-chan struct{}) {
	t.Helper()
	started := make(chan int)
	if err := p.Submit(t.Context(), poolBlocker(started, release)); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	<-started
	for range n {
		err := p.Submit(t.Context(), func(context.Context, int) error {
			<-release
			return nil
		})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if got := p.Status().Queued; got != n {
		t.Fatalf("Status().Queued = %d, want %d", got, n)
	}
}

func TestPoolSubmitBlocksWhenFull(t *testing.T) {
	poolLeakCheck(t)
	const size = 2
	p := NewWorkerPool(PoolConfig{Workers: 1, QueueSize: size})
	release := make(chan struct{})
	poolFill(t, p, size, release)

	// The queue is full, so this Submit must wait until the worker takes
	// a task from it.
	done := make(chan error)
	go func() {
		done <- p.Submit(t.Context(), func(context.Context, int) error { return nil })
	}()
	select {
	case err := <-done:
		t.Fatalf("Submit on a full queue returned %v without waiting", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("Submit after the queue drained: %v", err)
	}
	poolClose(t, p)
}

func TestPoolSubmitContextEnds(t *testing.T) {
	poolLeakCheck(t)
	tests := []struct {
		name   string
		ctx    func() (context.Context, context.CancelFunc)
		want   error
		before bool // end ctx before calling Submit
	}{
		{"cancelled while blocked", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, context.Canceled, false},
		{"cancelled before", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, context.Canceled, true},
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Unix(0, 0))
		}, context.DeadlineExceeded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewWorkerPool(PoolConfig{Workers: 1, QueueSize: 1})
			release := make(chan struct{})
			poolFill(t, p, 1, release)

			ctx, cancel := tt.ctx()
			defer cancel()
			if tt.before {
				cancel()
			}
			var ran atomic.Bool
			done := make(chan error)
			go func() {
				done <- p.Submit(ctx, func(context.Context, int) error {
					ran.Store(true)
					return nil
				})
			}()
			cancel()
			if err := <-done; !errors.Is(err, tt.want) {
				t.Errorf("Submit = %v, want %v", err, tt.want)
			}
			close(release)
			poolClose(t, p)
			if ran.Load() {
				t.Error("the task that Submit rejected ran")
			}
		})
	}
}

func TestPoolPanics(t *testing.T) {
	poolLeakCheck(t)
	errSentinel := errors.New("sentinel")
	type custom struct{ code int }
	tests := []struct {
		name  string
		value any
		check func(t *testing.T, pe *PanicError, err error)
	}{
		{"string", "boom", func(t *testing.T, pe *PanicError, err error) {
			if pe.Value != "boom" {
				t.Errorf("Value = %v, want boom", pe.Value)
			}
			if !strings.Contains(err.Error(), "panic: boom") {
				t.Errorf("Error() = %q, want it to contain %q", err, "panic: boom")
			}
		}},
		{"error", fmt.Errorf("wrapped: %w", errSentinel), func(t *testing.T, pe *PanicError, err error) {
			if !errors.Is(err, errSentinel) {
				t.Errorf("errors.Is(%v, errSentinel) = false", err)
			}
		}},
		{"custom value", custom{7}, func(t *testing.T, pe *PanicError, err error) {
			if got, ok := pe.Value.(custom); !ok || got.code != 7 {
				t.Errorf("Value = %#v, want custom{7}", pe.Value)
			}
		}},
		{"nil", nil, func(t *testing.T, pe *PanicError, err error) {
			var pn *runtime.PanicNilError
			if !errors.As(err, &pn) {
				t.Errorf("errors.As(%v, *runtime.PanicNilError) = false", err)
			}
		}},
	}

	const workers = 3
	p := NewWorkerPool(PoolConfig{Workers: workers})
	defer poolClose(t, p)
	ctx := t.Context()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One panicking task among ordinary ones: Wait returns only
			// its error, through the errors.Join chain.
			panicky := func(context.Context, int) error { panic(tt.value) }
			fine := func(context.Context, int) error { return nil }
			err := p.Run(ctx, fine, panicky, fine)
			var pe *PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("Run = %v, want a *PanicError", err)
			}
			if !bytes.Contains(pe.Stack, []byte("TestPoolPanics")) {
				t.Errorf("Stack does not contain the panicking function:\n%s", pe.Stack)
			}
			tt.check(t, pe, err)

			// A panic on every worker at once, then every worker must
			// still serve.
			err = p.RunOnAll(ctx, panicky)
			if n := len(poolJoined(err)); n != workers {
				t.Errorf("RunOnAll with panics returned %d errors, want %d: %v", n, workers, err)
			}
			poolCheckAllWorkers(t, p)
		})
	}
}

// poolJoined returns the errors joined in err.
func poolJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// poolCheckAllWorkers checks that RunOnAll runs on every worker of p.
func poolCheckAllWorkers(t *testing.T, p *WorkerPool) {
	t.Helper()
	seen := make([]atomic.Int32, p.Workers())
	err := p.RunOnAll(t.Context(), func(_ context.Context, w int) error {
		seen[w].Add(1)
		return nil
	})
	if err != nil {
		t.Fatalf("RunOnAll: %v", err)
	}
	for w := range seen {
		if n := seen[w].Load(); n != 1 {
			t.Errorf("worker %d ran the RunOnAll task %d times, want 1", w, n)
		}
	}
	if got, want := p.Status().Total, p.Workers(); got != want {
		t.Errorf("Status().Total = %d, want %d", got, want)
	}
}

func TestPoolGoexit(t *testing.T) {
	poolLeakCheck(t)
	const workers = 2
	p := NewWorkerPool(PoolConfig{Workers: workers})
	ctx := t.Context()
	exit := func(context.Context, int) error {
		runtime.Goexit()
		return nil
	}

	if err := p.Run(ctx, exit); !errors.Is(err, errGoexit) {
		t.Errorf("Run = %v, want %v", err, errGoexit)
	}
	poolCheckAllWorkers(t, p)

	err := p.RunOnAll(ctx, exit)
	if n := len(poolJoined(err)); n != workers || !errors.Is(err, errGoexit) {
		t.Errorf("RunOnAll = %v, want %d errors %v", err, workers, errGoexit)
	}
	poolCheckAllWorkers(t, p)

	if err := p.Submit(ctx, exit); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if err := p.Close(); !errors.Is(err, errGoexit) {
		t.Errorf("Close = %v, want %v", err, errGoexit)
	}
}

func TestGroupErrorOrder(t *testing.T) {
	poolLeakCheck(t)
	const n = 3
	p := NewWorkerPool(PoolConfig{Workers: n})
	defer poolClose(t, p)

	// Task i waits for gates[i], and the gates open in reverse order, so
	// the tasks fail in the reverse of their submission order.
	var gates, finished [n]chan struct{}
	g := p.NewGroup(t.Context())
	for i := range n {
		gates[i] = make(chan struct{})
		finished[i] = make(chan struct{})
		g.Go(func(context.Context, int) error {
			<-gates[i]
			defer close(finished[i])
			return fmt.Errorf("task %d", i)
		})
	}
	for i := n - 1; i >= 0; i-- {
		close(gates[i])
		<-finished[i]
	}
	err := g.Wait()
	if got, want := err.Error(), "task 0\ntask 1\ntask 2"; got != want {
		t.Errorf("Wait = %q, want %q", got, want)
	}

	// Errors accumulate: a later batch adds to them.
	g.Go(func(context.Context, int) error { return errors.New("task 3") })
	if got := len(poolJoined(g.Wait())); got != n+1 {
		t.Errorf("second Wait returned %d errors, want %d", got, n+1)
	}
}

func TestGroupRejectedOnce(t *testing.T) {
	poolLeakCheck(t)
	p := NewWorkerPool(PoolConfig{Workers: 1})
	defer poolClose(t, p)

	ctx, cancel := context.WithCancel(t.Context())
	g := p.NewGroup(ctx)
	g.Go(func(context.Context, int) error { return errors.New("ran before cancel") })
	cancel()
	var ran atomic.Int32
	for range 10 {
		g.Go(func(context.Context, int) error {
			ran.Add(1)
			return nil
		})
	}
	errs := poolJoined(g.Wait())
	if len(errs) != 2 || errs[0].Error() != "ran before cancel" || !errors.Is(errs[1], context.Canceled) {
		t.Errorf("Wait = %v, want the first task's error, then context.Canceled once", errs)
	}
	if ran.Load() != 0 {
		t.Errorf("%d tasks ran after their context was cancelled, want 0", ran.Load())
	}
}

func TestPoolRunEmpty(t *testing.T) {
	poolLeakCheck(t)
	p := NewWorkerPool(PoolConfig{Workers: 1})
	if err := p.Run(t.Context()); err != nil {
		t.Errorf("Run with no tasks = %v, want nil", err)
	}
	poolClose(t, p)
}

func TestPoolRunOnAllBarrier(t *testing.T) {
	poolLeakCheck(t)
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			p := NewWorkerPool(PoolConfig{Workers: workers})
			defer poolClose(t, p)
			ctx := poolTestCtx(t)

			// Every share waits until all have arrived, which only
			// happens if they all run at the same time.
			for round := range 3 {
				var arrived sync.WaitGroup
				arrived.Add(workers)
				all := make(chan struct{})
				go func() {
					arrived.Wait()
					close(all)
				}()
				seen := make([]atomic.Int32, workers)
				err := p.RunOnAll(ctx, func(ctx context.Context, w int) error {
					seen[w].Add(1)
					arrived.Done()
					select {
					case <-all:
						return nil
					case <-ctx.Done():
						return fmt.Errorf("worker %d never saw the others: %w", w, ctx.Err())
					}
				})
				if err != nil {
					t.Fatalf("round %d: RunOnAll: %v", round, err)
				}
				for w := range seen {
					if n := seen[w].Load(); n != 1 {
						t.Errorf("round %d: worker %d ran %d times, want 1", round, w, n)
					}
				}
			}
		})
	}
}

func TestPoolRunOnAllWithFullQueue(t *testing.T) {
	poolLeakCheck(t)
	const workers, size = 2, 2
	p := NewWorkerPool(PoolConfig{Workers: workers, QueueSize: size})
	ctx := poolTestCtx(t)

	// Both workers blocked, the queue full and one more Submit waiting.
	started := make(chan int)
	release := make(chan struct{})
	var queuedRan atomic.Int32
	for range workers {
		if err := p.Submit(ctx, poolBlocker(started, release)); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	for range workers {
		<-started
	}
	queued := func(context.Context, int) error {
		queuedRan.Add(1)
		return nil
	}
	for range size {
		if err := p.Submit(ctx, queued); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	submitted := make(chan error)
	go func() { submitted <- p.Submit(ctx, queued) }()

	var arrived atomic.Int32
	result := make(chan error)
	go func() {
		result <- p.RunOnAll(ctx, func(ctx context.Context, w int) error {
			arrived.Add(1)
			for arrived.Load() < workers {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				runtime.Gosched()
			}
			return nil
		})
	}()
	close(release)
	if err := <-result; err != nil {
		t.Errorf("RunOnAll: %v", err)
	}
	if err := <-submitted; err != nil {
		t.Errorf("Submit: %v", err)
	}
	poolClose(t, p)
	if got := queuedRan.Load(); got != size+1 {
		t.Errorf("queued tasks run = %d, want %d", got, size+1)
	}
}

func TestPoolRunOnAllConcurrent(t *testing.T) {
	poolLeakCheck(t)
	const workers, callers, calls = 3, 4, 25
	p := NewWorkerPool(PoolConfig{Workers: workers, QueueSize: 2})
	ctx := poolTestCtx(t)

	// RunOnAll callers, each share waiting for the others of its call,
	// mixed with a stream of submitted tasks.
	var wg sync.WaitGroup
	var shares, tasks atomic.Int32
	errs := make(chan error, callers+1)
	for range callers {
		wg.Go(func() {
			for range calls {
				var arrived atomic.Int32
				err := p.RunOnAll(ctx, func(ctx context.Context, w int) error {
					shares.Add(1)
					arrived.Add(1)
					for arrived.Load() < workers {
						if ctx.Err() != nil {
							return ctx.Err()
						}
						runtime.Gosched()
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range callers * calls {
			err := p.Submit(ctx, func(context.Context, int) error {
				tasks.Add(1)
				return nil
			})
			if err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	poolClose(t, p)
	if got, want := shares.Load(), int32(callers*calls*workers); got != want {
		t.Errorf("shares run = %d, want %d", got, want)
	}
	if got, want := tasks.Load(), int32(callers*calls); got != want {
		t.Errorf("tasks run = %d, want %d", got, want)
	}
}

func TestPoolRunOnAllCancelled(t *testing.T) {
	poolLeakCheck(t)
	const workers = 3
	p := NewWorkerPool(PoolConfig{Workers: workers})
	defer poolClose(t, p)
	deadline := poolTestCtx(t)

	// Worker busy with a task: the others take their shares and park,
	// then the call is cancelled before the last one is free.
	started := make(chan int)
	release := make(chan struct{})
	if err := p.Submit(deadline, poolBlocker(started, release)); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	<-started
	ctx, cancel := context.WithCancel(deadline)
	var ran atomic.Int32
	result := make(chan error)
	go func() {
		result <- p.RunOnAll(ctx, func(context.Context, int) error {
			ran.Add(1)
			return nil
		})
	}()
	poolWaitFor(t, deadline, "every worker is busy or parked", func() bool {
		return p.Status().Busy == workers
	})
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Errorf("RunOnAll = %v, want context.Canceled", err)
	}
	close(release)

	// No share ran, and the next call finds every worker.
	poolCheckAllWorkers(t, p)
	if got := ran.Load(); got != 0 {
		t.Errorf("%d shares of the cancelled call ran, want 0", got)
	}
}

func TestPoolCloseWaitsForQueued(t *testing.T) {
	poolLeakCheck(t)
	const size = 3
	p := NewWorkerPool(PoolConfig{Workers: 1, QueueSize: size})
	release := make(chan struct{})
	started := make(chan int)
	if err := p.Submit(t.Context(), poolBlocker(started, release)); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	<-started
	var ran atomic.Int32
	for range size {
		err := p.Submit(t.Context(), func(context.Context, int) error {
			ran.Add(1)
			return nil
		})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}

	closed := make(chan error)
	go func() { closed <- p.Close() }()

	// A Submit blocked on the full queue returns once Close begins, and
	// so does any Submit after it.
	if err := p.Submit(t.Context(), func(context.Context, int) error { return nil }); err != ErrPoolClosed {
		t.Errorf("Submit during Close = %v, want ErrPoolClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while a task was still running", err)
	default:
	}
	close(release)
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := ran.Load(); got != size {
		t.Errorf("queued tasks run = %d, want %d", got, size)
	}
}

func TestPoolUseAfterClose(t *testing.T) {
	poolLeakCheck(t)
	p := NewWorkerPool(PoolConfig{Workers: 2})
	poolClose(t, p)
	ctx := t.Context()
	noop := func(context.Context, int) error { return nil }

	if err := p.Submit(ctx, noop); err != ErrPoolClosed {
		t.Errorf("Submit = %v, want ErrPoolClosed", err)
	}
	if err := p.RunOnAll(ctx, noop); err != ErrPoolClosed {
		t.Errorf("RunOnAll = %v, want ErrPoolClosed", err)
	}
	err := p.Run(ctx, noop, noop)
	if errs := poolJoined(err); len(errs) != 1 || errs[0] != ErrPoolClosed {
		t.Errorf("Run = %v, want ErrPoolClosed once", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestPoolConcurrentClose(t *testing.T) {
	poolLeakCheck(t)
	p := NewWorkerPool(PoolConfig{Workers: 2})
	started := make(chan int)
	release := make(chan struct{})
	if err := p.Submit(t.Context(), poolBlocker(started, release)); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	<-started

	// No call may return before the workers have exited.
	const closers = 3
	closed := make(chan error, closers)
	for range closers {
		go func() { closed <- p.Close() }()
	}
	close(release)
	for range closers {
		if err := <-closed; err != nil {
			t.Errorf("Close = %v, want nil", err)
		}
		if got := p.Status().Total; got != 0 {
			t.Errorf("after Close returned: Status().Total = %d, want 0", got)
		}
	}
}

func TestPoolCloseReturnsSubmitErrors(t *testing.T) {
	poolLeakCheck(t)
	errFirst := errors.New("first failure")
	p := NewWorkerPool(PoolConfig{Workers: 1})
	ctx := t.Context()
	tasks := []Task{
		func(context.Context, int) error { return nil },
		func(context.Context, int) error { return errFirst },
		func(context.Context, int) error { panic("second failure") },
		func(context.Context, int) error { return errors.New("third failure") },
	}
	for _, task := range tasks {
		if err := p.Submit(ctx, task); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	err := p.Close()
	if !errors.Is(err, errFirst) {
		t.Errorf("Close = %v, want it to wrap %v", err, errFirst)
	}
	if want := "first failure (and 2 more tasks run with Submit failed)"; err == nil || err.Error() != want {
		t.Errorf("Close = %v, want %q", err, want)
	}
}

// TestPoolCloseOneMoreFailure checks the singular of Close's count of
// further failures.
func TestPoolCloseOneMoreFailure(t *testing.T) {
	poolLeakCheck(t)
	p := NewWorkerPool(PoolConfig{Workers: 1})
	for _, msg := range []string{"first failure", "second failure"} {
		fail := func(context.Context, int) error { return errors.New(msg) }
		if err := p.Submit(t.Context(), fail); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	err := p.Close()
	if want := "first failure (and 1 more task run with Submit failed)"; err == nil || err.Error() != want {
		t.Errorf("Close = %v, want %q", err, want)
	}
}

func TestPoolCycles(t *testing.T) {
	poolLeakCheck(t)
	ctx := t.Context()
	var ran atomic.Int32
	const cycles = 1000
	for range cycles {
		p := NewWorkerPool(PoolConfig{Workers: 2})
		err := p.Submit(ctx, func(context.Context, int) error {
			ran.Add(1)
			return nil
		})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		poolClose(t, p)
	}
	if got := ran.Load(); got != cycles {
		t.Errorf("tasks run = %d, want %d", got, cycles)
	}
}

func TestPoolLogger(t *testing.T) {
	poolLeakCheck(t)
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(&poolLockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug})
	p := NewWorkerPool(PoolConfig{Workers: 2, Logger: slog.New(h)})
	err := p.Run(t.Context(), func(context.Context, int) error { panic("logged") })
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Errorf("Run = %v, want a *PanicError", err)
	}
	poolClose(t, p)

	log := buf.String()
	for _, want := range []string{
		`msg="pool worker started" worker=0`,
		`msg="pool worker started" worker=1`,
		`msg="pool task panicked"`,
		`panic=logged`,
		`msg="pool worker stopped" worker=0`,
		`msg="pool worker stopped" worker=1`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not contain %s:\n%s", want, log)
		}
	}
}

// poolLockedWriter serialises writes of the log handler's goroutines.
type poolLockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w *poolLockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

// BenchmarkPoolGroup measures the overhead per task of Group.Go and Wait.
func BenchmarkPoolGroup(b *testing.B) {
	p := NewWorkerPool(PoolConfig{})
	defer p.Close()
	noop := func(context.Context, int) error { return nil }
	g := p.NewGroup(context.Background())
	for b.Loop() {
		g.Go(noop)
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPoolRunOne measures the round trip of one task through Run.
func BenchmarkPoolRunOne(b *testing.B) {
	p := NewWorkerPool(PoolConfig{})
	defer p.Close()
	noop := func(context.Context, int) error { return nil }
	ctx := context.Background()
	for b.Loop() {
		if err := p.Run(ctx, noop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoolRunOnAll measures one RunOnAll call with an empty task.
func BenchmarkPoolRunOnAll(b *testing.B) {
	p := NewWorkerPool(PoolConfig{})
	defer p.Close()
	noop := func(context.Context, int) error { return nil }
	ctx := context.Background()
	for b.Loop() {
		if err := p.RunOnAll(ctx, noop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoolStartClose measures starting and closing a pool.
func BenchmarkPoolStartClose(b *testing.B) {
	for b.Loop() {
		p := NewWorkerPool(PoolConfig{})
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConvertStoreFullPanic checks that a worker's panic on a full store
// reaches the caller as ErrMemoryLimit.
func TestConvertStoreFullPanic(t *testing.T) {
	err := convertError(fmt.Errorf("worker 1: %w", &PanicError{Value: engine.ErrStoreFull}))
	if !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("converted error %v, want ErrMemoryLimit", err)
	}
	other := &PanicError{Value: "boom"}
	if err := convertError(other); err != other {
		t.Errorf("converted error %v, want the panic error itself", err)
	}
}
