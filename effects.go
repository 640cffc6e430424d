package annette

// This file defines effects: side effects that action rules request, run
// by an EffectHandler off the reduction path, with results that come back
// into the net.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/annette-go/annette/internal/engine"
)

// Effect is a side effect that an action rule requests with
// [RuleContext.Emit] or [RuleContext.Request], such as writing a log
// line, a lookup in a database or a call to a service. The rule only
// records it. An [EffectHandler] runs it on goroutines of its own while
// the reduction goes on.
type Effect struct {
	// Type selects the handler: "kind" or "kind:subkind". An effect of
	// type "db:read" goes to the handler registered for "db:read", or
	// else to the one for "db", or else to the one for "*".
	Type string
	// Payload is the effect's data, passed to the handler as it is.
	Payload any
	// Priority orders the effects waiting for one handler: higher
	// first, and among equal priorities the earlier first.
	Priority int
}

// EffectCall is an effect as its handler receives it.
type EffectCall struct {
	Effect
	Rule        string // name of the rule that requested it
	Left, Right string // the agent types of that rule's active pair
	// Seq numbers the effects of a registered type, from 1, in the order
	// the rules requested them, across registrations of the type. In a
	// parallel run, that order depends on the scheduling.
	Seq uint64
	// WantsResult reports whether the effect came from Request, whose
	// result goes back into the net, or from Emit, whose result is
	// dropped.
	WantsResult bool

	session *effectSession // of the network that requested the effect
	cell    engine.Port    // the held end of the result's wire, for Request
}

// EffectFunc handles one effect. For an effect from Request, its result
// goes back into the net. The result is an integer (a value of any
// integer kind, or a *Term of kind IntTerm) or a *Term of agents and
// integers, which is built in place of the result's port. A sub-term
// that the *Term reaches twice is built twice. Building counts against
// the network's MaxLiveAgents and MaxMemory. The context ends when the
// EffectHandler is closed. It does not end with the context of the Reduce
// or Step that waits for the effect, so the handler goes on and a later
// Reduce takes its result.
type EffectFunc func(ctx context.Context, call *EffectCall) (any, error)

// BatchEffectFunc handles a batch of effects at once, for handlers that
// gain from grouping, such as a database write of many rows. It returns
// one result per call, in the same order, or an error that fails every
// call of the batch. The slice may be shorter, or nil, when the calls
// past its end come from Emit: a missing result of a Request fails it.
type BatchEffectFunc func(ctx context.Context, calls []*EffectCall) ([]any, error)

// EffectConfig configures an [EffectHandler]. The zero value gives one
// goroutine per core, batches of up to 64 effects and no waiting.
type EffectConfig struct {
	// Workers is the number of goroutines that run handlers, so the
	// maximum number of handlers running at once. Each runs for a
	// different type, because the calls of one handler never overlap. A
	// handler that should serve many effects of its type at once takes
	// them with HandleBatch and spreads them itself. Zero or less means
	// runtime.GOMAXPROCS(0). The EffectHandler always has a pool of its
	// own, so that a handler that waits on a database or a service does
	// not hold a goroutine that the reduction needs.
	Workers int
	// MaxBatch is the largest number of effects handed to one handler
	// at a time. Zero or less means 64.
	MaxBatch int
	// BatchWait is how long an effect waits for more effects of its
	// handler to fill a batch, while the reduction is still busy. Zero
	// means no waiting: a handler that is free starts at once, and the
	// effects that arrive while it runs form its next batch. While a
	// network has nothing left to reduce but results to wait for, every
	// batch starts at once, whatever BatchWait is.
	BatchWait time.Duration
	// Logger receives debug records of failed effects. Nil means no
	// logging.
	Logger *slog.Logger
}

// EffectHandler runs the effects that action rules request. Register a
// handler for each effect type with Handle or HandleBatch, give the
// EffectHandler to networks in [Config.Effects], and Close it when the
// networks are done with it. Several networks may share one.
//
// Effects of one registered type are batched: a handler gets the
// effects waiting for it, highest priority first, up to MaxBatch at a
// time. The calls of one handler never overlap, so a handler needs no
// locking of its own. Different handlers run at the same time, on
// the EffectHandler's pool.
//
// A run of a network (Reduce, and Step when nothing else is left)
// reduces all it can while the handlers work. Once nothing else is left,
// it waits for the effects its rules requested, feeds the results of
// Request back into the net, and goes on reducing. So a result reaches
// the net when the pairs that do not need it are done, not as soon as it
// is ready. The run returns once the net is in normal form and every
// effect has been handled. The first effects that failed end it with an
// *[EffectError], or several joined (see EffectError).
//
// The methods are safe for concurrent use.
type EffectHandler struct {
	// Set by NewEffectHandler and only read after it.
	cfg    EffectConfig
	pool   *WorkerPool
	ctx    context.Context // ends at Close; handlers get it
	cancel context.CancelFunc

	// mu guards routes, ready, runners, closed and the fields of every
	// route. A call's Seq, set in submit under mu, reaches the runner
	// that takes the call under mu too.
	mu      sync.Mutex
	routes  map[string]*effectRoute // by registered type
	ready   []*effectRoute          // routes with a batch to run, oldest first
	runners int                     // runner tasks on the pool, at most cfg.Workers
	closed  bool
	// tasks counts the runners and armed timers. Each Add runs under mu
	// while closed is false, so before Close begins its Wait.
	tasks sync.WaitGroup

	// Counters for Stats only: they order no other memory access.
	emitted, handled, failed, batches atomic.Int64

	// idle counts the networks that wait for results with nothing else
	// to reduce. While one does, batches start without waiting for
	// BatchWait. It is a hint: a network calls flush after it adds to
	// idle, which starts any batch that a stale read left waiting.
	idle atomic.Int32
}

// effectRoute is one registered handler and the effects waiting for it.
// pattern is set once. The other fields are guarded by the
// EffectHandler's mu, the functions too, because Handle replaces them.
type effectRoute struct {
	pattern string
	fn      EffectFunc
	batchFn BatchEffectFunc
	queue   callHeap    // waiting, highest priority and then oldest first
	seq     uint64      // effects received
	running bool        // the route is on the ready list or a runner runs its batch
	timer   *time.Timer // armed while queue waits for BatchWait
}

// EffectStats counts what an EffectHandler did since it was made.
type EffectStats struct {
	Emitted int64 // effects that rules requested
	// Handled counts the effects whose handler returned without error,
	// even if the network then could not build the result.
	Handled int64
	Failed  int64 // effects whose handler failed or panicked, or that Close cut off
	Batches int64 // batches run; a batch of a Handle function counts once
}

// ErrNoEffectHandler is returned by Emit and Request when the network
// has no EffectHandler, or when none is registered for the effect's type.
var ErrNoEffectHandler = errors.New("no effect handler")

// ErrEffectsClosed is the error of the effects requested after their
// EffectHandler was closed, and of those that its Close cut off.
var ErrEffectsClosed = errors.New("effect handler is closed")

// EffectError reports an effect that failed: its handler returned an
// error or panicked, or its result could not be built into the net.
// When several of the results that a run feeds into the net at once
// have failed, as the effects of one batch do when their handler
// fails, the run returns their EffectError values joined with
// errors.Join. Use errors.As to find one, not a type assertion.
type EffectError struct {
	Type        string // the effect's type
	Rule        string // the rule that requested it
	Left, Right string // the agent types of that rule's pair
	Err         error  // the cause; a *PanicError if the handler panicked
}

// Error returns the effect's type, the rule, its pair and the cause.
func (e *EffectError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("effect %s requested by rule %s (%s >< %s): %v", e.Type, e.Rule, e.Left, e.Right, e.Err)
}

// Unwrap returns the cause.
func (e *EffectError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// NewEffectHandler returns an EffectHandler with no handlers registered.
func NewEffectHandler(cfg EffectConfig) *EffectHandler {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 64
	}
	h := &EffectHandler{cfg: cfg, routes: map[string]*effectRoute{}}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	// The pool gets no Logger. Its records are about goroutines starting
	// and stopping, not effects, and a Logger that failed there would
	// stop the pool's goroutines, not one effect.
	h.pool = NewWorkerPool(PoolConfig{Workers: cfg.Workers})
	return h
}

// Handle registers fn for effects of the given type: "kind:subkind",
// "kind" (every subkind without a handler of its own) or "*" (every
// effect without another handler). A second registration for a type
// replaces the first from its next batch on, for the effects already
// waiting as well as for later ones.
func (h *EffectHandler) Handle(typ string, fn EffectFunc) error {
	if fn == nil {
		return fmt.Errorf("annette: Handle(%q) called with a nil function; pass an EffectFunc", typ)
	}
	return h.register(typ, fn, nil)
}

// HandleBatch registers fn for effects of the given type, as Handle
// does, for a handler that takes a whole batch in one call.
func (h *EffectHandler) HandleBatch(typ string, fn BatchEffectFunc) error {
	if fn == nil {
		return fmt.Errorf("annette: HandleBatch(%q) called with a nil function; pass a BatchEffectFunc", typ)
	}
	return h.register(typ, nil, fn)
}

func (h *EffectHandler) register(typ string, fn EffectFunc, batchFn BatchEffectFunc) error {
	if err := checkEffectType(typ, true); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrEffectsClosed
	}
	if r, ok := h.routes[typ]; ok {
		// Effects already queued keep their route; the new functions
		// take over from the next batch.
		r.fn, r.batchFn = fn, batchFn
		return nil
	}
	h.routes[typ] = &effectRoute{pattern: typ, fn: fn, batchFn: batchFn}
	return nil
}

// checkEffectType checks an effect type, or with pattern set a type
// that Handle registers ("*" allowed).
func checkEffectType(typ string, pattern bool) error {
	if pattern && typ == "*" {
		return nil
	}
	kind, sub, hasSub := strings.Cut(typ, ":")
	if kind == "" || hasSub && (sub == "" || strings.Contains(sub, ":")) || strings.Contains(typ, "*") {
		if pattern {
			return fmt.Errorf("annette: invalid effect type %q: want \"kind\", \"kind:subkind\" or \"*\"", typ)
		}
		return fmt.Errorf("annette: invalid effect type %q: want \"kind\" or \"kind:subkind\"", typ)
	}
	return nil
}

// route returns the route for an effect type: the exact type, then its
// kind, then "*". The caller holds h.mu.
func (h *EffectHandler) route(typ string) *effectRoute {
	if r, ok := h.routes[typ]; ok {
		return r
	}
	if kind, _, ok := strings.Cut(typ, ":"); ok {
		if r, ok := h.routes[kind]; ok {
			return r
		}
	}
	return h.routes["*"]
}

// check returns an error if no handler would take an effect of type typ.
func (h *EffectHandler) check(typ string) error {
	if err := checkEffectType(typ, false); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrEffectsClosed
	}
	if h.route(typ) == nil {
		return fmt.Errorf("%w for effect type %q; register one with Handle or HandleBatch", ErrNoEffectHandler, typ)
	}
	return nil
}

// submit queues calls, which an interaction has just committed, and
// starts runners for the routes that became ready. A call that arrives
// after Close fails at once. submit never blocks, because it runs inside
// an interaction.
func (h *EffectHandler) submit(calls []*EffectCall) {
	runners := 0
	h.mu.Lock()
	for _, c := range calls {
		h.emitted.Add(1)
		r := h.route(c.Type)
		if h.closed || r == nil {
			err := ErrEffectsClosed
			if !h.closed {
				// Not reached: check found a route before the commit,
				// and routes are never removed.
				err = fmt.Errorf("%w for effect type %q", ErrNoEffectHandler, c.Type)
			}
			h.failed.Add(1)
			c.session.finish(c, nil, err)
			continue
		}
		r.seq++
		c.Seq = r.seq
		r.queue.push(c)
		if r.running {
			continue
		}
		if h.cfg.BatchWait <= 0 || len(r.queue) >= h.cfg.MaxBatch || h.idle.Load() > 0 {
			runners += h.makeReady(r)
		} else if r.timer == nil {
			h.arm(r)
		}
	}
	h.mu.Unlock()
	h.startRunners(runners)
}

// arm starts r's BatchWait timer. The caller holds h.mu.
func (h *EffectHandler) arm(r *effectRoute) {
	h.tasks.Add(1)
	var t *time.Timer
	t = time.AfterFunc(h.cfg.BatchWait, func() {
		defer h.tasks.Done()
		h.mu.Lock()
		// A timer that Stop could not stop in time finds r.timer
		// replaced or nil, or r already running, and does nothing. The
		// caller of arm set t and r.timer under h.mu, which this
		// function has taken since.
		if r.timer != t || r.running || h.closed || len(r.queue) == 0 {
			h.mu.Unlock()
			return
		}
		r.timer = nil
		runners := h.makeReady(r)
		h.mu.Unlock()
		h.startRunners(runners)
	})
	r.timer = t
}

// makeReady stops r's timer, marks r as running and puts it on the list
// of routes that have a batch to run. It returns 1 if a runner must be
// started for it, and 0 if the runners already at work will take it.
// The caller holds h.mu and, for a returned 1, calls startRunners.
func (h *EffectHandler) makeReady(r *effectRoute) int {
	h.stopTimer(r)
	r.running = true
	h.ready = append(h.ready, r)
	if h.runners >= h.cfg.Workers {
		return 0
	}
	h.runners++
	h.tasks.Add(1)
	return 1
}

// stopTimer stops r's BatchWait timer, if any. A timer stopped before it
// fired gives back the count that arm added to tasks; one that fired
// gives it back itself. The caller holds h.mu.
func (h *EffectHandler) stopTimer(r *effectRoute) {
	if r.timer != nil && r.timer.Stop() {
		h.tasks.Done()
	}
	r.timer = nil
}

// flush makes every route with waiting effects ready at once, without
// waiting for BatchWait, because a network waits for their results.
func (h *EffectHandler) flush() {
	runners := 0
	h.mu.Lock()
	if !h.closed {
		for _, r := range h.routes {
			if !r.running && len(r.queue) > 0 {
				runners += h.makeReady(r)
			}
		}
	}
	h.mu.Unlock()
	h.startRunners(runners)
}

// startRunners submits k runners to the pool. Submit does not block,
// because there are never more runners than the pool has goroutines and
// its queue holds four times as many tasks.
func (h *EffectHandler) startRunners(k int) {
	for range k {
		if err := h.pool.Submit(h.ctx, h.runner); err != nil {
			// Close has begun: it fails what is queued.
			h.mu.Lock()
			h.runners--
			h.mu.Unlock()
			h.tasks.Done()
			h.failQueued()
		}
	}
}

// errHandlerGoexit is the error of the effects of a batch whose handler
// called runtime.Goexit.
var errHandlerGoexit = errors.New("the handler called runtime.Goexit")

// runner runs batches of the ready routes, one route at a time and in
// the order they became ready, until none is left. A route whose queue
// still holds effects after a batch goes to the back of the list, so
// that one busy handler does not keep the others waiting.
func (h *EffectHandler) runner(ctx context.Context, _ int) error {
	var (
		r        *effectRoute
		rest     []*EffectCall // calls of the batch not finished yet
		returned bool
	)
	// Deferred first, so that it runs even if the Logger calls
	// runtime.Goexit again in the function below.
	defer h.tasks.Done()
	defer func() {
		if returned {
			return
		}
		// runtime.Goexit in a handler ends this goroutine, and the pool
		// replaces it. Fail what the handler did not finish and put the
		// route back, so that its later effects still run. The Logger
		// comes last: it is the caller's code, and could exit too.
		for _, c := range rest {
			h.settle(c, nil, errHandlerGoexit)
		}
		h.mu.Lock()
		h.runners--
		h.requeue(r)
		runners := 0
		if len(h.ready) > 0 && h.runners < h.cfg.Workers && !h.closed {
			h.runners++
			h.tasks.Add(1)
			runners = 1
		}
		h.mu.Unlock()
		h.startRunners(runners)
		for _, c := range rest {
			h.logFailure(c, errHandlerGoexit)
		}
	}()
	for {
		h.mu.Lock()
		if h.closed || len(h.ready) == 0 {
			h.runners--
			h.mu.Unlock()
			returned = true
			return nil
		}
		r = h.ready[0]
		h.ready = slices.Delete(h.ready, 0, 1)
		batch := h.take(r)
		fn, batchFn := r.fn, r.batchFn
		h.mu.Unlock()

		rest = batch
		h.runBatch(ctx, r.pattern, fn, batchFn, &rest)

		h.mu.Lock()
		h.requeue(r)
		r = nil
		h.mu.Unlock()
	}
}

// requeue puts r, whose batch has run, back on the ready list if effects
// wait for it, or else marks it idle. While its networks are busy, a
// queue shorter than MaxBatch waits for BatchWait first. The caller
// holds h.mu.
func (h *EffectHandler) requeue(r *effectRoute) {
	switch {
	case r == nil:
	case len(r.queue) == 0 || h.closed:
		r.running = false
	case h.cfg.BatchWait > 0 && len(r.queue) < h.cfg.MaxBatch && h.idle.Load() == 0:
		r.running = false
		if r.timer == nil {
			h.arm(r)
		}
	default:
		h.ready = append(h.ready, r)
	}
}

// take removes the next batch from r's queue: up to MaxBatch effects,
// highest priority first and then oldest first. The caller holds h.mu.
func (h *EffectHandler) take(r *effectRoute) []*EffectCall {
	batch := make([]*EffectCall, min(len(r.queue), h.cfg.MaxBatch))
	for i := range batch {
		batch[i] = r.queue.pop()
	}
	return batch
}

// callHeap is a binary heap of effects, highest priority and then
// lowest Seq at the top, so that taking a batch from a long queue costs
// the batch's size times the logarithm of the queue's.
type callHeap []*EffectCall

// before reports whether a goes before b.
func (q callHeap) before(a, b *EffectCall) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.Seq < b.Seq
}

func (q *callHeap) push(c *EffectCall) {
	*q = append(*q, c)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.before(h[i], h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *callHeap) pop() *EffectCall {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = nil
	h = h[:last]
	for i := 0; ; {
		first := i
		for _, child := range [2]int{2*i + 1, 2*i + 2} {
			if child < len(h) && h.before(h[child], h[first]) {
				first = child
			}
		}
		if first == i {
			break
		}
		h[i], h[first] = h[first], h[i]
		i = first
	}
	*q = h
	return top
}

// runBatch calls a route's handler on the calls in *rest and hands each
// result to the session of the network that requested it. It removes
// each call from *rest once finished, so that the runner can fail the
// others if the handler calls runtime.Goexit.
func (h *EffectHandler) runBatch(ctx context.Context, pattern string, fn EffectFunc, batchFn BatchEffectFunc, rest *[]*EffectCall) {
	h.batches.Add(1)
	batch := *rest
	if batchFn != nil {
		var results []any
		err := ErrEffectsClosed
		if ctx.Err() == nil {
			results, err = callBatch(ctx, batchFn, batch)
		}
		if err == nil && len(results) > len(batch) {
			err = fmt.Errorf("batch handler for %s returned %s for %s; return at most one per effect",
				pattern, countOf(len(results), "result"), countOf(len(batch), "effect"))
		}
		for i, c := range batch {
			var v any
			callErr := err
			switch {
			case err != nil:
			case i < len(results):
				v = results[i]
			case c.WantsResult:
				// A Request past the end of a short slice: the handler
				// left it out, and buildResult would only see a nil.
				callErr = fmt.Errorf("batch handler for %s returned %s for %s; a Request needs one",
					pattern, countOf(len(results), "result"), countOf(len(batch), "effect"))
			}
			*rest = batch[i+1:]
			h.finish(c, v, callErr)
		}
		return
	}
	for i, c := range batch {
		var v any
		err := ErrEffectsClosed
		if ctx.Err() == nil {
			// Close has not begun: a batch already taken is not started
			// after it.
			v, err = callOne(ctx, fn, c)
		}
		*rest = batch[i+1:]
		h.finish(c, v, err)
	}
}

// countOf returns n with noun, in the plural unless n is 1, and "no"
// for zero: "no results", "1 effect", "3 effects".
func countOf(n int, noun string) string {
	switch n {
	case 0:
		return "no " + noun + "s"
	case 1:
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// finish counts and logs the outcome of c and passes it to c's session.
func (h *EffectHandler) finish(c *EffectCall, v any, err error) {
	// The network gets the result before the Logger runs, which might
	// call runtime.Goexit.
	err = h.settle(c, v, err)
	if err != nil {
		h.logFailure(c, err)
	}
}

// settle counts the result of c and hands it to c's network, without
// logging it. It returns err, marked as ErrEffectsClosed if it came
// after Close began.
func (h *EffectHandler) settle(c *EffectCall, v any, err error) error {
	if err != nil && h.ctx.Err() != nil && !errors.Is(err, ErrEffectsClosed) {
		// The handler failed once Close had begun, most likely on the
		// context that Close ended.
		err = fmt.Errorf("%w: %w", ErrEffectsClosed, err)
	}
	if err != nil {
		h.failed.Add(1)
	} else {
		h.handled.Add(1)
	}
	c.session.finish(c, v, err)
	return err
}

// logFailure logs a failed effect. A panic in the Logger is dropped, so
// that it does not keep the effect's network from getting the failure.
func (h *EffectHandler) logFailure(c *EffectCall, err error) {
	if h.cfg.Logger == nil {
		return
	}
	defer func() { _ = recover() }()
	h.cfg.Logger.Debug("annette: effect failed", "type", c.Type, "rule", c.Rule, "err", err)
}

// callOne calls fn, turning a panic into a *PanicError.
func callOne(ctx context.Context, fn EffectFunc, c *EffectCall) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, c)
}

// callBatch calls fn, turning a panic into a *PanicError.
func callBatch(ctx context.Context, fn BatchEffectFunc, calls []*EffectCall) (v []any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, calls)
}

// failQueued fails every queued effect with ErrEffectsClosed, once
// Close has begun.
func (h *EffectHandler) failQueued() {
	h.mu.Lock()
	var cut []*EffectCall
	if h.closed {
		for _, r := range h.routes {
			cut = append(cut, r.queue...)
			r.queue = nil
			r.running = false
		}
		h.ready = nil
	}
	h.mu.Unlock()
	for _, c := range cut {
		h.finish(c, nil, ErrEffectsClosed)
	}
}

// Stats returns the handler's counts so far.
func (h *EffectHandler) Stats() EffectStats {
	return EffectStats{
		Emitted: h.emitted.Load(),
		Handled: h.handled.Load(),
		Failed:  h.failed.Load(),
		Batches: h.batches.Load(),
	}
}

// Pool returns the pool that runs the handlers, for its Status.
func (h *EffectHandler) Pool() *WorkerPool { return h.pool }

// Close ends the context given to handlers and fails the effects still
// waiting with ErrEffectsClosed, those of a batch that its handler has
// not reached too. It then waits for the handlers that are running and
// stops the pool. A network waiting for results gets the failures as an
// *EffectError. Close returns when every goroutine of the EffectHandler
// has exited. It returns an error only if the EffectHandler's own code
// failed, because a handler's panic or runtime.Goexit fails its effects
// instead. A second Close does nothing. Do not call Close from a
// handler, because it would wait for that handler to return.
func (h *EffectHandler) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for _, r := range h.routes {
		h.stopTimer(r)
	}
	h.mu.Unlock()
	h.cancel()
	h.failQueued()
	h.tasks.Wait()
	err := h.pool.Close()
	if errors.Is(err, errGoexit) {
		// A handler's runtime.Goexit, already reported to the network
		// as the failure of its effects.
		err = nil
	}
	return err
}

// effectSession contains a network's effects in flight: requested by its
// rules and not yet taken back by one of its runs. Workers add to it
// while they reduce, the handler's goroutines finish its effects, and the
// run's goroutine takes the results.
type effectSession struct {
	h *EffectHandler

	// mu guards outstanding and done. A result appended to done under
	// mu by a handler's goroutine belongs to the run that takes it.
	mu          sync.Mutex
	outstanding int            // requested, not yet taken back
	done        []effectResult // handled, waiting for a run to take them
	// signal gets a value, without blocking, each time done grows: a
	// run that waits for results selects on it.
	signal chan struct{}
}

type effectResult struct {
	call  *EffectCall
	value any
	err   error
}

func newEffectSession(h *EffectHandler) *effectSession {
	return &effectSession{h: h, signal: make(chan struct{}, 1)}
}

// add counts calls as outstanding, before they are submitted.
func (s *effectSession) add(n int) {
	s.mu.Lock()
	s.outstanding += n
	s.mu.Unlock()
}

// finish records the result of c. The send on signal wakes a run waiting
// in deliverEffects, and the mutex orders the record with take.
func (s *effectSession) finish(c *EffectCall, v any, err error) {
	s.mu.Lock()
	s.done = append(s.done, effectResult{call: c, value: v, err: err})
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// take returns the results handled so far and the number of effects
// still in flight after them.
func (s *effectSession) take() ([]effectResult, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	done := s.done
	s.done = nil
	s.outstanding -= len(done)
	return done, s.outstanding
}

// inFlight returns the number of effects requested and not yet taken back.
func (s *effectSession) inFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outstanding
}

// deliverEffects feeds the handled effects' results into the net, on the
// network's own worker, while no worker runs. With wait set and nothing
// handled yet, it first waits for at least one effect, or for ctx. It
// returns the number of effects taken back, and an *EffectError for the
// first failed one (joined with the others' errors).
func (n *Network) deliverEffects(ctx context.Context, wait bool) (int, error) {
	s := n.effects
	if s == nil {
		return 0, nil
	}
	done, left := s.take()
	if len(done) == 0 && left > 0 && wait {
		s.h.idle.Add(1)
		s.h.flush()
		select {
		case <-s.signal:
		case <-ctx.Done():
		}
		s.h.idle.Add(-1)
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		done, _ = s.take()
	}
	if len(done) > 0 {
		// A result may bring an integer that a pair waiting on the
		// network's worker needs: let such pairs be tried again.
		n.w.ResetRetry()
	}
	var errs []error
	for _, r := range done {
		c := r.call
		err := r.err
		if err == nil && c.WantsResult {
			err = n.buildResult(r.value, c.cell)
		}
		if err != nil {
			errs = append(errs, &EffectError{Type: c.Type, Rule: c.Rule, Left: c.Left, Right: c.Right, Err: err})
		}
	}
	n.stats.Effects += int64(len(done))
	if len(errs) == 1 {
		return len(done), errs[0]
	}
	return len(done), errors.Join(errs...)
}

// buildResult builds the result v of an effect and links it to the held
// end of the result's wire. On error nothing is built and the wire stays
// open.
func (n *Network) buildResult(v any, cell engine.Port) (err error) {
	defer catchStoreFull(&err)
	t, err := resultTerm(v)
	if err != nil {
		return err
	}
	agents, words, err := n.checkTerm(t)
	if err != nil {
		return err
	}
	if n.cfg.MaxLiveAgents > 0 && n.live()+agents > n.cfg.MaxLiveAgents {
		return &LimitError{Err: ErrAgentLimit, Limit: n.cfg.MaxLiveAgents}
	}
	limit := engine.MemoryLimit(n.cfg.MaxMemory / 8)
	if n.net.Store.Words()+words > max(limit, n.memoryFloor()) {
		return &LimitError{Err: ErrMemoryLimit, Limit: limit * 8}
	}
	if t.Kind == IntTerm {
		if end := n.wireEnd(cell); end.IsInt() {
			other, _ := n.w.IntValue(end)
			return fmt.Errorf("the result %d would meet the integer %d, and no rule reduces two integers; link the result port to an agent", t.Int, other)
		}
	}
	n.w.Link(n.buildTerm(t), cell)
	return nil
}

// wireEnd returns what is at the far end of the wire whose held end is
// cell, following wires joined to it, or engine.None if nothing is.
func (n *Network) wireEnd(cell engine.Port) engine.Port {
	for {
		v := n.w.Cell(cell)
		if v == engine.None || !v.IsVar() {
			return v
		}
		cell = v
	}
}

// resultTerm converts a handler's result to a term: a *Term, a Term or a
// value of any integer kind, named integer types included.
func resultTerm(v any) (*Term, error) {
	switch x := v.(type) {
	case nil:
		return nil, errors.New("the handler returned no result for a Request; return an integer or a *Term")
	case *Term:
		if x == nil {
			return nil, errors.New("the handler returned a nil *Term for a Request")
		}
		return x, nil
	case Term:
		return &x, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &Term{Kind: IntTerm, Int: rv.Int()}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("result %d does not fit in an int64; return a value up to math.MaxInt64", u)
		}
		return &Term{Kind: IntTerm, Int: int64(u)}, nil
	}
	return nil, fmt.Errorf("result of type %T: want an integer or a *Term", v)
}

// checkTerm checks that root can be built: a tree of agents of known types
// with the right number of arguments, and of integers without any. It
// returns the number of agents and of store words that building it
// takes. A sub-term reached twice is built twice, and counted twice.
func (n *Network) checkTerm(root *Term) (agents, words int64, err error) {
	type size struct{ agents, words int64 }
	type frame struct {
		t    *Term
		exit bool
	}
	sizes := map[*Term]size{}
	onPath := map[*Term]bool{}
	stack := []frame{{t: root}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		t := f.t
		if f.exit {
			delete(onPath, t)
			sz := size{words: 1} // an integer may take a cell
			if t.Kind == AgentTerm {
				id, _ := n.net.Types.Lookup(t.Type)
				sz = size{agents: 1, words: int64(n.net.Types.Info(id).Words())}
			}
			for _, a := range t.Args {
				// Saturate: a shared sub-term can double the size at
				// each level.
				sz.agents = min(sz.agents+sizes[a].agents, math.MaxInt64/4)
				sz.words = min(sz.words+sizes[a].words, math.MaxInt64/4)
			}
			sizes[t] = sz
			continue
		}
		if t == nil {
			return 0, 0, errors.New("result term has a nil argument")
		}
		if _, ok := sizes[t]; ok {
			continue
		}
		if onPath[t] {
			return 0, 0, errors.New("result term contains itself; return a tree")
		}
		switch t.Kind {
		case IntTerm:
			if len(t.Args) > 0 {
				return 0, 0, fmt.Errorf("result term: the integer %d has %d arguments; integers take none", t.Int, len(t.Args))
			}
		case AgentTerm:
			id, ok := n.net.Types.Lookup(t.Type)
			if !ok || id == engine.TypeInt {
				return 0, 0, fmt.Errorf("result term: unknown agent type %q; define it on the network first", t.Type)
			}
			info := n.net.Types.Info(id)
			if len(t.Args) != info.Arity() {
				return 0, 0, fmt.Errorf("result term: %s takes %d arguments, got %d", t.Type, info.Arity(), len(t.Args))
			}
			if t.Value != nil && !info.Valued {
				return 0, 0, fmt.Errorf("result term: agent type %s carries no value", t.Type)
			}
		default:
			return 0, 0, fmt.Errorf("result term of kind %s: want agents and integers", t.Kind)
		}
		onPath[t] = true
		stack = append(stack, frame{t: t, exit: true})
		for _, a := range t.Args {
			stack = append(stack, frame{t: a})
		}
	}
	sz := sizes[root]
	return sz.agents, sz.words, nil
}

// buildTerm builds a term that checkTerm accepted and returns the port
// word of its root.
func (n *Network) buildTerm(t *Term) engine.Port {
	w := n.w
	makeNode := func(t *Term) engine.Port {
		if t.Kind == IntTerm {
			return w.Int(t.Int)
		}
		id, _ := n.net.Types.Lookup(t.Type)
		p := w.NewAgent(id)
		if t.Value != nil {
			w.SetValue(p, t.Value)
		}
		return p
	}
	type slot struct {
		parent engine.Port
		i      int
		t      *Term
	}
	root := makeNode(t)
	var stack []slot
	for i, a := range t.Args {
		stack = append(stack, slot{root, i, a})
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p := makeNode(s.t)
		w.SetAux(s.parent, s.i, p)
		for i, a := range s.t.Args {
			stack = append(stack, slot{p, i, a})
		}
	}
	return root
}

// checkNoEffects returns an error if effects that the network's rules
// requested are still in flight: their results would have no place in a
// snapshot, nor in a net loaded from one.
func (n *Network) checkNoEffects() error {
	if n.effects == nil {
		return nil
	}
	if k := n.effects.inFlight(); k > 0 {
		if k == 1 {
			return errors.New("snapshot: 1 effect is in flight; Reduce first to take its result")
		}
		return fmt.Errorf("snapshot: %d effects are in flight; Reduce first to take their results", k)
	}
	return nil
}
