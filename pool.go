package annette

// This file defines WorkerPool, the bounded set of goroutines that the
// parallel reducer and the tasks of its callers run on.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrPoolClosed is returned by the methods of a [WorkerPool] that start
// work once [WorkerPool.Close] has been called.
var ErrPoolClosed = errors.New("worker pool is closed")

// errGoexit is the result of a task that called runtime.Goexit, for
// example through testing.T.FailNow.
var errGoexit = errors.New("task called runtime.Goexit")

// Task is a unit of work run by a [WorkerPool]. The pool passes the
// context given when the task was submitted, and the index of the worker
// goroutine that runs it, from 0 to Workers-1. A worker runs one task at a
// time, so a task may use per-worker state indexed by worker without
// locking it.
type Task func(ctx context.Context, worker int) error

// PoolConfig configures a [WorkerPool]. The zero value selects
// runtime.GOMAXPROCS(0) workers, a queue of 4 tasks per worker and no
// logging.
type PoolConfig struct {
	// Workers is the number of worker goroutines. Zero means
	// runtime.GOMAXPROCS(0).
	Workers int
	// QueueSize is the number of submitted tasks that may wait for a free
	// worker before Submit blocks. Zero means 4 × Workers: enough that a
	// worker which finishes a task finds the next one queued, few enough
	// that a fast producer is held back soon.
	QueueSize int
	// Logger, if not nil, receives Debug records when a worker starts or
	// stops and when a task panics or calls runtime.Goexit. Nil means no
	// logging.
	Logger *slog.Logger
}

// PoolStatus is a snapshot of a [WorkerPool]'s counters. Each count is
// read separately while the workers run, so the three may come from
// slightly different moments.
type PoolStatus struct {
	Total  int // worker goroutines running, 0 once Close has returned
	Busy   int // workers running a task or holding a RunOnAll share
	Queued int // tasks accepted by Submit or Group.Go, not yet started
}

// WorkerPool runs tasks on a fixed number of goroutines, each with its
// own worker index. Tasks enter through a bounded queue ([WorkerPool.Submit],
// [WorkerPool.NewGroup], [WorkerPool.Run]), or one task runs on every worker
// at once ([WorkerPool.RunOnAll]). A WorkerPool is safe for concurrent use.
// The zero WorkerPool is ready to use: it starts with PoolConfig{} on
// first use. Use [NewWorkerPool] for any other configuration.
//
// A panic in a task is recovered around that task and becomes a
// *[PanicError] carrying the panic value and the stack. The error goes to
// the call that waits for the task (Group.Wait, RunOnAll, or Close for
// Submit), and the worker goes on with the next task.
// golang.org/x/sync/errgroup lets such a panic crash the program because
// it only runs the caller's own code, but this pool runs user code on the
// library's behalf: action rules and submitted tasks. Turning their panics
// into errors lets a run end with an error that names the cause while the
// pool stays usable. A task that calls runtime.Goexit ends with an error
// and its worker goroutine is replaced.
//
// Close stops the pool from accepting work, lets every task already
// accepted run to completion, and returns once all worker goroutines have
// exited. Close does not cancel the contexts of queued tasks. A caller who
// wants them to stop early cancels those contexts before calling Close.
//
// A task must not call Close, RunOnAll or Group.Wait of its own pool,
// because each of them waits for workers, and the worker running the task
// is not free until the task returns. For the same reason, Submit or
// Group.Go from a task deadlocks if the queue is full while every worker
// is blocked in such a call.
//
// Measured with go test -run '^$' -bench Pool -count 5 on a shared 2-core
// Intel Xeon VM (Go 1.26, linux/amd64, 2 workers), the pool costs about
// 2 µs to start and close, 0.3 to 0.5 µs per task run through Group.Go
// and Wait (with no allocation), 1 µs for a Run call with one task, and
// 3 µs per RunOnAll call. A task shorter than that overhead gains nothing
// from running on the pool.
type WorkerPool struct {
	// initOnce runs start, from NewWorkerPool or on first use of a zero
	// WorkerPool. Every method calls it first, which publishes the fields
	// below to the caller.
	initOnce sync.Once

	// Set by start and never changed.
	workers int
	logger  *slog.Logger
	queue   chan job        // accepted tasks, closed by Close
	shares  []chan *allCall // shares[w] (capacity 1) passes worker w its RunOnAll share
	quit    chan struct{}   // closed when Close begins
	allSem  chan struct{}   // capacity 1, held by the RunOnAll call in progress

	// mu (read side) is held by every call that sends on queue or shares,
	// and Close closes quit and then takes the write side before closing
	// queue. So no task is sent on a closed queue, and no RunOnAll share
	// is left in shares after the workers have exited.
	mu sync.RWMutex

	wg        sync.WaitGroup // one count per running worker goroutine
	closeOnce sync.Once      // runs the body of Close once

	// Counters for Status only. They publish no other memory, so nothing
	// reads them to decide what another goroutine has written.
	total atomic.Int32
	busy  atomic.Int32

	// Failures of tasks run with Submit. Close is the only call that waits
	// for those tasks, so it returns these.
	errMu    sync.Mutex // guards firstErr and failures
	firstErr error
	failures int
}

// job is one task in the queue.
type job struct {
	ctx   context.Context
	task  Task
	group *Group // the Group waiting for the task, nil for Submit
	seq   int    // the task's position in group
}

// allCall is one RunOnAll call, shared by all its workers.
type allCall struct {
	ctx  context.Context
	task Task

	ready chan struct{} // capacity Workers, one send per worker when it takes its share
	start chan struct{} // closed by RunOnAll when every worker is ready, or on abort

	// aborted is written before start is closed and read after a receive
	// from start, so the close publishes it.
	aborted bool

	// errs[w] is written by worker w before done.Done, and read by
	// RunOnAll after done.Wait.
	errs []error
	done sync.WaitGroup
}

// NewWorkerPool returns a pool with its worker goroutines started. It
// panics if cfg.Workers or cfg.QueueSize is negative.
func NewWorkerPool(cfg PoolConfig) *WorkerPool {
	p := &WorkerPool{}
	p.initOnce.Do(func() { p.start(cfg) })
	return p
}

// ensureStarted starts a zero WorkerPool with the default configuration.
func (p *WorkerPool) ensureStarted() {
	p.initOnce.Do(func() { p.start(PoolConfig{}) })
}

func (p *WorkerPool) start(cfg PoolConfig) {
	if cfg.Workers < 0 {
		panic(fmt.Sprintf("annette: PoolConfig.Workers is %d, want 0 or more", cfg.Workers))
	}
	if cfg.QueueSize < 0 {
		panic(fmt.Sprintf("annette: PoolConfig.QueueSize is %d, want 0 or more", cfg.QueueSize))
	}
	n := cfg.Workers
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	size := cfg.QueueSize
	if size == 0 {
		size = 4 * n
	}

	p.workers = n
	p.logger = cfg.Logger
	p.queue = make(chan job, size)
	p.shares = make([]chan *allCall, n)
	for w := range p.shares {
		p.shares[w] = make(chan *allCall, 1)
	}
	p.quit = make(chan struct{})
	p.allSem = make(chan struct{}, 1)

	p.total.Store(int32(n))
	p.wg.Add(n)
	for w := range n {
		go p.work(w)
	}
}

// Workers returns the number of worker goroutines, which is also the
// number of worker indices a [Task] may see.
func (p *WorkerPool) Workers() int {
	p.ensureStarted()
	return p.workers
}

// Status returns the current counts of workers and queued tasks.
func (p *WorkerPool) Status() PoolStatus {
	p.ensureStarted()
	return PoolStatus{
		Total:  int(p.total.Load()),
		Busy:   int(p.busy.Load()),
		Queued: len(p.queue),
	}
}

// Submit queues task to run with ctx on a free worker, and returns
// without waiting for it to run. It blocks while the queue is full. It
// returns ctx.Err() if ctx is done before the task is queued, and
// ErrPoolClosed if Close has been called. A task that Submit accepted
// always runs, even if ctx is done or Close is called before it starts.
//
// Close is the only call that waits for tasks run with Submit, so Close
// returns the first error or panic of these tasks. Use a [Group] to wait for tasks
// and collect their errors. Submit panics if task is nil.
func (p *WorkerPool) Submit(ctx context.Context, task Task) error {
	if task == nil {
		panic("annette: WorkerPool.Submit called with a nil task")
	}
	p.ensureStarted()
	return p.submit(job{ctx: ctx, task: task})
}

// accepting returns ErrPoolClosed once Close has begun, ctx's error if
// ctx is done, and nil otherwise.
func (p *WorkerPool) accepting(ctx context.Context) error {
	select {
	case <-p.quit:
		return ErrPoolClosed
	default:
	}
	return ctx.Err()
}

func (p *WorkerPool) submit(j job) error {
	p.mu.RLock()
	defer p.mu.RUnlock()

	// Check quit and ctx first: the select below picks at random among
	// ready cases, and would sometimes queue the task anyway.
	if err := p.accepting(j.ctx); err != nil {
		return err
	}
	select {
	case p.queue <- j:
		return nil
	case <-j.ctx.Done():
		return j.ctx.Err()
	case <-p.quit:
		return ErrPoolClosed
	}
}

// Run runs tasks on the pool with ctx and waits for all of them. It
// returns their errors as a [Group] does.
func (p *WorkerPool) Run(ctx context.Context, tasks ...Task) error {
	g := p.NewGroup(ctx)
	for _, t := range tasks {
		g.Go(t)
	}
	return g.Wait()
}

// RunOnAll runs task once on every worker of the pool, with the worker
// indices 0 to Workers-1, and returns the joined errors of those calls in
// worker order. It waits until every worker has finished what it is
// running and taken its share, and starts all shares together, so all of
// them run at the same time and may wait for each other. Tasks still in
// the queue wait until RunOnAll has returned, except on workers whose
// share has finished. Concurrent RunOnAll calls take turns.
//
// If ctx is done or Close is called before every worker has taken its
// share, no share runs and RunOnAll returns ctx.Err() or ErrPoolClosed.
// Once the shares have started, RunOnAll waits for all of them, so shares
// that wait for each other should also watch ctx. RunOnAll panics if task
// is nil.
func (p *WorkerPool) RunOnAll(ctx context.Context, task Task) error {
	if task == nil {
		panic("annette: WorkerPool.RunOnAll called with a nil task")
	}
	p.ensureStarted()

	// Take turns: two calls that each held some of the workers would wait
	// for each other forever.
	select {
	case p.allSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.quit:
		return ErrPoolClosed
	}
	defer func() { <-p.allSem }()

	c := &allCall{
		ctx:   ctx,
		task:  task,
		ready: make(chan struct{}, p.workers),
		start: make(chan struct{}),
		errs:  make([]error, p.workers),
	}
	c.done.Add(p.workers)
	if err := p.handOut(c); err != nil {
		return err
	}
	c.done.Wait()
	return errors.Join(c.errs...)
}

// handOut gives every worker its share of c and waits until all of them
// are ready, then starts them. If c.ctx ends or Close begins first, it
// aborts c and returns why.
func (p *WorkerPool) handOut(c *allCall) error {
	p.mu.RLock()
	defer p.mu.RUnlock()

	if err := p.accepting(c.ctx); err != nil {
		return err
	}

	// Each shares[w] is empty here: the previous call either waited for
	// every share to be taken or drained the ones left, and allSem keeps
	// other calls out. So these sends do not block.
	for _, ch := range p.shares {
		ch <- c
	}
	for range p.workers {
		var err error
		select {
		case <-c.ready:
			continue
		case <-c.ctx.Done():
			err = c.ctx.Err()
		case <-p.quit:
			err = ErrPoolClosed
		}
		p.abort(c)
		return err
	}
	close(c.start)
	return nil
}

// abort stops c before any share has run. Workers holding a share see
// c.aborted when start closes and drop it, and the shares not yet taken
// are removed here. A worker may take its share between the close and the
// drain, and then drops it too.
func (p *WorkerPool) abort(c *allCall) {
	c.aborted = true
	close(c.start)
	for _, ch := range p.shares {
		select {
		case <-ch:
		default:
		}
	}
}

// Close stops the pool from accepting work, waits for every accepted task
// to finish and for every worker goroutine to exit, and returns the first
// error of the tasks run with Submit. If more than one such task failed,
// the error also reports how many. Submit and RunOnAll calls blocked in the
// meantime return ErrPoolClosed. A second Close waits for the first to
// finish and returns nil.
func (p *WorkerPool) Close() error {
	p.ensureStarted()
	var err error
	p.closeOnce.Do(func() {
		close(p.quit)

		// Blocked senders see quit and release mu. Once the write lock
		// is held, no sender can reach queue or shares again.
		p.mu.Lock()
		close(p.queue)
		p.mu.Unlock()

		p.wg.Wait()

		p.errMu.Lock()
		defer p.errMu.Unlock()
		err = p.firstErr
		if p.failures > 1 {
			tasks := "tasks"
			if p.failures == 2 {
				tasks = "task"
			}
			err = fmt.Errorf("%w (and %d more %s run with Submit failed)", err, p.failures-1, tasks)
		}
	})
	return err
}

// work is the loop of worker goroutine w.
func (p *WorkerPool) work(w int) {
	p.debug(context.Background(), "pool worker started", "worker", w)

	// cur and call are what the worker is running, so that the deferred
	// function can finish it if the task calls runtime.Goexit.
	var (
		cur      job
		call     *allCall
		returned bool
	)
	defer func() {
		if !returned {
			// A panic is recovered in run, so only runtime.Goexit ends the
			// loop this way. Finish the task with an error and replace
			// this goroutine, which Goexit will end. Adding to wg before
			// this goroutine's Done keeps the count above zero, as
			// WaitGroup requires while Close may be waiting.
			p.debug(context.Background(), "pool task called runtime.Goexit", "worker", w)
			p.busy.Add(-1)
			if call != nil {
				call.errs[w] = errGoexit
				call.done.Done()
			} else {
				p.finish(cur, errGoexit)
			}
			p.wg.Add(1)
			go p.work(w)
		} else {
			p.total.Add(-1)
			p.debug(context.Background(), "pool worker stopped", "worker", w)
		}
		p.wg.Done()
	}()

	for {
		// A pending RunOnAll share goes first, because the other workers
		// of that call sit idle until this one is ready.
		select {
		case call = <-p.shares[w]:
			p.runShare(call, w)
			call = nil
			continue
		default:
		}

		select {
		case call = <-p.shares[w]:
			p.runShare(call, w)
			call = nil
		case j, ok := <-p.queue:
			if !ok {
				returned = true
				return
			}
			cur = j
			p.busy.Add(1)
			err := p.run(j.ctx, j.task, w)
			p.busy.Add(-1)
			p.finish(j, err)
			cur = job{}
		}
	}
}

// runShare runs worker w's share of c once every share has been taken.
func (p *WorkerPool) runShare(c *allCall, w int) {
	p.busy.Add(1)
	c.ready <- struct{}{}
	<-c.start
	if c.aborted {
		p.busy.Add(-1)
		return
	}
	err := p.run(c.ctx, c.task, w)
	p.busy.Add(-1)
	c.errs[w] = err
	c.done.Done()
}

// run calls task, turning a panic into a *PanicError.
func (p *WorkerPool) run(ctx context.Context, task Task, w int) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
			p.debug(ctx, "pool task panicked", "worker", w, "panic", v)
		}
	}()
	return task(ctx, w)
}

// finish delivers the result of a queued task to its Group, or keeps it
// for Close if the task came from Submit.
func (p *WorkerPool) finish(j job, err error) {
	if j.group != nil {
		j.group.finish(j.seq, err)
		return
	}
	if err == nil {
		return
	}
	p.errMu.Lock()
	if p.firstErr == nil {
		p.firstErr = err
	}
	p.failures++
	p.errMu.Unlock()
}

func (p *WorkerPool) debug(ctx context.Context, msg string, args ...any) {
	if p.logger != nil {
		// The Logger is the caller's code: a panic in it must not end
		// a worker goroutine, and with it the process.
		defer func() { _ = recover() }()
		p.logger.DebugContext(ctx, msg, args...)
	}
}

// Group is a set of tasks run on a [WorkerPool] and waited for together,
// like an errgroup.Group whose goroutines are the pool's workers. Create
// one with [WorkerPool.NewGroup]. A Group is safe for concurrent use, and
// Go may be called again after Wait.
//
// A failing task does not cancel the others: Wait returns the errors of
// all failed tasks joined with [errors.Join], in the order of the Go calls,
// because independent tasks each need their failure reported. A task that must stop the rest cancels a context it
// shares with them.
type Group struct {
	// Set by NewGroup and never changed.
	pool *WorkerPool
	ctx  context.Context

	wg   sync.WaitGroup // one count per task submitted and not finished
	next atomic.Int64   // position of the next Go call, a counter only

	mu       sync.Mutex // guards errs and rejected
	errs     []seqError
	rejected bool // a Go call has failed to queue its task
}

// seqError is the error of the task at position seq of a Group.
type seqError struct {
	seq int
	err error
}

// NewGroup returns an empty Group whose tasks run on p with ctx.
func (p *WorkerPool) NewGroup(ctx context.Context) *Group {
	p.ensureStarted()
	return &Group{pool: p, ctx: ctx}
}

// Go queues task to run with the group's context, blocking while the
// pool's queue is full. If the task cannot be queued, because the context
// is done or the pool is closed, that error is kept for Wait instead: only
// the first such error is kept, so that a cancelled batch reports its
// cause once. Go panics if task is nil.
func (g *Group) Go(task Task) {
	if task == nil {
		panic("annette: Group.Go called with a nil task")
	}
	seq := int(g.next.Add(1) - 1)
	g.wg.Add(1)
	err := g.pool.submit(job{ctx: g.ctx, task: task, group: g, seq: seq})
	if err == nil {
		return
	}
	g.mu.Lock()
	if !g.rejected {
		g.rejected = true
		g.errs = append(g.errs, seqError{seq, err})
	}
	g.mu.Unlock()
	g.wg.Done()
}

// finish records the result of the task at position seq.
func (g *Group) finish(seq int, err error) {
	if err != nil {
		g.mu.Lock()
		g.errs = append(g.errs, seqError{seq, err})
		g.mu.Unlock()
	}
	g.wg.Done()
}

// Wait blocks until every task passed to Go has returned, then returns the
// errors of all failed tasks joined in the order of the Go calls, or nil.
// Errors accumulate over the life of the Group.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.errs) == 0 {
		return nil
	}
	slices.SortFunc(g.errs, func(a, b seqError) int { return cmp.Compare(a.seq, b.seq) })
	errs := make([]error, len(g.errs))
	for i, e := range g.errs {
		errs[i] = e.err
	}
	return errors.Join(errs...)
}
