package annette

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/annette-go/annette/internal/engine"
)

// String returns the mode's name: "Auto", "Parallel" or "Sequential".
func (m ExecutionMode) String() string {
	switch m {
	case Auto:
		return "Auto"
	case Parallel:
		return "Parallel"
	case Sequential:
		return "Sequential"
	}
	return fmt.Sprintf("ExecutionMode(%d)", uint8(m))
}

// ExecutionMode chooses between the parallel and the sequential reducer
// of a [ParallelNetwork].
type ExecutionMode uint8

// Execution modes.
const (
	// Auto reduces sequentially while few active pairs are pending and
	// hands the pairs to all workers once there are enough of them
	// (ParallelConfig.SequentialThreshold), after a first stretch on one
	// worker (ParallelConfig.SequentialTime). A strictly sequential
	// computation thus runs at the sequential reducer's speed, and so
	// does a reduction too short to repay the start of the workers.
	Auto ExecutionMode = iota
	// Parallel always uses every worker.
	Parallel
	// Sequential always uses the sequential reducer.
	Sequential
)

// ParallelConfig holds the settings of a [ParallelNetwork]. The zero
// value is usable.
type ParallelConfig struct {
	// Workers is the number of reducer goroutines. Zero or less means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Mode chooses parallel or sequential reduction; see ExecutionMode.
	Mode ExecutionMode
	// SequentialThreshold is, in Auto mode, the number of pending active
	// pairs from which a reduction goes parallel. Zero or less means one
	// per worker, and at least 2: a computation with a single active pair
	// at a time then stays sequential, while pipelines such as list sorts,
	// which keep a few pairs active at once, gain from the workers. The
	// sequential reducer checks it after every interaction.
	//
	// NOTE: a stream of two stages keeps two pairs active, so with the
	// default it runs in parallel on two workers but stays sequential on
	// three or more. Setting the threshold to 2 makes it go parallel there
	// too. Whether the idle workers then cost more than they gain was not
	// measured, because the test machine has two cores.
	SequentialThreshold int
	// SequentialTime is, in Auto mode, how long a reduction runs on one
	// worker before SequentialThreshold applies. Starting the other
	// workers and handing them pairs costs time: on a net that takes a
	// few hundred microseconds on one worker, two workers were measured
	// to take 1.4 to 2 times as long. With the default, such a reduction
	// ends before the others start, and a longer one starts them one
	// millisecond late. The time is read every 256 interactions and after
	// each call of an action rule. With an EffectHandler, the time starts
	// again whenever Reduce goes on after waiting for results. Zero means
	// 1ms; a negative value applies the threshold from the start.
	SequentialTime time.Duration
	// MinBatch is the smallest number of active pairs a worker gets in
	// one Step round; a round with fewer pairs per worker uses fewer
	// workers. Zero or less means 64.
	MinBatch int
	// MaxBatchWait bounds the time of one Step round. Once it has passed,
	// each worker stops after the interaction in progress, having carried
	// out at least one, and the rest of its batch waits for the next
	// round. Use it to keep rounds short when rules are slow, for
	// tracing or an interactive display. Zero means no bound: a round
	// carries out every pair it started with.
	MaxBatchWait time.Duration
	// Logger receives debug records of runs (mode switches, errors).
	// Nil means no logging.
	Logger *slog.Logger
	// Analyzer orders, in Step, the calls of action rules that declare
	// the state they touch (ActionRule.Reads, Writes and Access). Nil
	// gives the network an analyzer of its own with the default
	// settings. One analyzer may serve several networks.
	Analyzer *RuleDependencyAnalyzer
	// Pool runs the workers. Nil gives the network a pool of its own
	// with Workers goroutines, closed by Close. A pool given here stays
	// open after Close; if it has fewer goroutines than Workers, the
	// network uses as many workers as the pool has goroutines, and the
	// default SequentialThreshold follows that number. While other tasks
	// use the pool's goroutines, Reduce and Step wait for them, or return
	// the error of their context when it ends first.
	Pool *WorkerPool
}

// ParallelStats reports what a parallel run did.
type ParallelStats struct {
	Stats
	Workers   int     // the network's workers, whether or not each carried out an interaction (see PerWorker)
	Parallel  bool    // whether the run used the parallel reducer at all
	PerWorker []int64 // interactions by each worker during the run
	// Steals counts the active pairs that idle workers took from the
	// pool where busy workers share pairs. A pair counts each time it is
	// taken, and can move more than once, as when it waits for an
	// integer. A worker that goes idle can take back pairs it shared
	// itself, so a run can show steals while one worker carries out
	// every interaction.
	Steals int64
}

// String formats the statistics on one line as Name=value pairs: those
// of [Stats.String], then the parallel fields. Without it, fmt would use
// the embedded Stats's String and leave these fields out.
func (s ParallelStats) String() string {
	return fmt.Sprintf("%s Workers=%d Parallel=%t PerWorker=%v Steals=%d",
		s.Stats.String(), s.Workers, s.Parallel, s.PerWorker, s.Steals)
}

// ParallelNetwork is a [Network] reduced by several goroutines at once.
// It gives the same results, and the same number of interactions, as
// the sequential reducer, because interaction nets are strongly
// confluent: every worker count reaches the same normal form by the same
// interactions, only in another order.
//
// Three things depend on that order and so can differ between runs and
// worker counts. Each worker draws [Rand] numbers from a generator of its
// own. The built-in Merger (see [Network.AddBuiltins]) emits its inputs
// in the order they arrive. An [ActionRule] that puts into the net a
// value it read from shared Go state, such as a counter, reads that state
// as the calls before it left it. The Sequential mode gives the
// sequential reducer's results for all three.
//
// Workers share the network's memory: each reduces its own stack of
// active pairs, the wires two neighbouring interactions both touch are
// linked with one atomic swap, and idle workers take pairs that busy
// workers share (work stealing). Build the network (DefineType,
// AddAgent, Connect, AddRule) from one goroutine, then call Reduce or
// Step. A ParallelNetwork is not safe for concurrent use; its workers
// are its own.
//
// Call Close when done with it.
type ParallelNetwork struct {
	*Network
	pcfg    ParallelConfig
	workers []*engine.Worker // workers[0] is the Network's own worker
	pool    *WorkerPool
	ownPool bool
	closed  bool

	totalSteals int64 // pairs taken from the shared pool over every run

	// prepared is Network.changes when the workers other than the
	// Network's own were last prepared. The embedded Network's Reduce and
	// Step prepare only its own worker.
	prepared uint64

	// isolating is set, when the workers are prepared, if a rule declares
	// keys (see isolation.go). lockTable contains the keys' locks, made
	// on the first parallel Reduce that needs them.
	isolating bool
	lockTable *keyLocks
}

// NewParallelNetwork returns an empty network with parallel reducers.
func NewParallelNetwork(cfg Config, pcfg ParallelConfig) *ParallelNetwork {
	if pcfg.Workers <= 0 {
		pcfg.Workers = runtime.GOMAXPROCS(0)
	}
	if pcfg.Pool != nil && pcfg.Pool.Workers() < pcfg.Workers {
		pcfg.Workers = pcfg.Pool.Workers()
	}
	if pcfg.SequentialThreshold <= 0 {
		// One pair per worker that runs, not per worker requested.
		pcfg.SequentialThreshold = max(2, pcfg.Workers)
	}
	if pcfg.SequentialTime == 0 {
		pcfg.SequentialTime = time.Millisecond
	}
	if pcfg.MinBatch <= 0 {
		pcfg.MinBatch = 64
	}
	n := NewNetwork(cfg)
	p := &ParallelNetwork{Network: n, pcfg: pcfg, pool: pcfg.Pool}
	if p.pool == nil {
		p.pool = NewWorkerPool(PoolConfig{Workers: pcfg.Workers, Logger: pcfg.Logger})
		p.ownPool = true
	}
	p.workers = append(p.workers, n.w)
	for i := 1; i < pcfg.Workers; i++ {
		w := engine.NewWorker(n.net, cfg.Seed+uint64(i))
		p.workers = append(p.workers, w)
	}
	n.others = p.workers[1:]
	return p
}

// SetMode changes the execution mode for the next runs: Auto, Parallel
// or Sequential (see ExecutionMode). Any other value acts as Auto. It is
// the counterpart of the TypeScript library Annette's
// setParallelExecution.
func (p *ParallelNetwork) SetMode(m ExecutionMode) { p.pcfg.Mode = m }

// Workers returns the number of workers.
func (p *ParallelNetwork) Workers() int { return len(p.workers) }

// Pool returns the pool that runs the workers, for its Status.
func (p *ParallelNetwork) Pool() *WorkerPool { return p.pool }

// Close stops the network's own pool, returning when its goroutines have
// exited; a pool given in ParallelConfig stays open. The network stays
// readable; reducing it afterwards returns ErrClosed. A second Close does
// nothing. Close during a run, from an action rule, returns ErrRunning.
func (p *ParallelNetwork) Close() error {
	open := !p.closed
	err := p.close()
	if p.cfg.Events == nil || !open || err == ErrRunning {
		return err
	}
	return p.report(EventClose, CloseEvent{Err: err}, err)
}

// close is Close without the event.
func (p *ParallelNetwork) close() error {
	if p.closed {
		return nil
	}
	if p.running.Load() {
		return ErrRunning
	}
	p.closed = true
	p.Network.shut = true // the embedded Network's Reduce and Step too
	if p.ownPool {
		return p.pool.Close()
	}
	return nil
}

// claimAll marks the network as running, as Network.claim does, and
// readies every worker's rule table and scratch space.
func (p *ParallelNetwork) claimAll() error {
	if p.closed {
		return ErrClosed
	}
	if err := p.claim(); err != nil {
		return err
	}
	if p.prepared != p.changes {
		for _, w := range p.workers[1:] {
			w.Prepare()
		}
		p.prepared = p.changes
		p.isolating = p.declaresKeys()
	}
	return nil
}

// Reduce reduces the network to normal form with all workers, or
// sequentially, as the execution mode selects. Errors are those of
// Network.Reduce. On any of them every worker stops within a few hundred
// interactions, and the network is left consistent, with the pairs not
// reduced still in it. When more than one pair would fail, or a pair
// fails near a limit, the error is that of the first a worker meets: it
// can change from run to run, and differ from the sequential reducer's.
func (p *ParallelNetwork) Reduce(ctx context.Context) (ParallelStats, error) {
	st, err := p.reduce(ctx)
	return st, p.reportParallelRun(st, err)
}

// reduce is Reduce without the event.
func (p *ParallelNetwork) reduce(ctx context.Context) (ParallelStats, error) {
	// A call from an action rule gets ErrRunning, and one after Close
	// gets ErrClosed, whatever the context: the first reports no event
	// during the run.
	if err := p.claimAll(); err != nil {
		return ParallelStats{}, err
	}
	defer p.running.Store(false)
	if err := ctx.Err(); err != nil {
		return ParallelStats{}, err
	}
	start := time.Now()
	c0 := p.interactions()
	// The worker measures this run's peak, and the network's peak is
	// restored at the end. The totals are kept even if an action ends the
	// goroutine.
	networkPeak := p.w.ResetPeak(p.live())
	defer func() {
		p.w.NotePeak(networkPeak)
		p.stats.Interactions += p.interactions() - c0
		p.stats.Elapsed += time.Since(start)
	}()
	before := p.perWorker()
	a0, steals0 := p.allocs(), p.totalSteals
	parallel := false
	effects, err := p.runWithEffects(ctx, func() error {
		switch p.pcfg.Mode {
		case Sequential:
			return p.runSequential(ctx, 0)
		case Parallel:
			parallel = true
			return p.runParallel(ctx)
		}
		if len(p.workers) == 1 {
			return p.runSequential(ctx, 0)
		}
		err := p.runSequential(ctx, p.pcfg.SequentialThreshold)
		if errors.Is(err, engine.ErrPaused) {
			p.logf("switching to parallel reduction", "pending", p.w.Pending())
			parallel = true
			err = p.runParallel(ctx)
		}
		return err
	})
	if err == nil && p.interactions() > c0 {
		p.namesToJoin = true
	}
	st := ParallelStats{Workers: len(p.workers), Parallel: parallel}
	st.Effects = effects
	after := p.perWorker()
	for i := range after {
		d := after[i] - before[i]
		st.PerWorker = append(st.PerWorker, d)
		st.Interactions += d
	}
	st.Allocated = p.allocs() - a0
	st.Live = p.live()
	p.w.NotePeak(st.Live)
	st.RunPeakLive = p.w.Peak()
	st.PeakLive = max(st.RunPeakLive, networkPeak)
	st.Elapsed = time.Since(start)
	st.StoreBytes = p.net.Store.Words() * 8
	// With effects, the run can go parallel more than once.
	st.Steals = p.totalSteals - steals0
	if err != nil {
		p.logf("run stopped", "err", err)
	}
	return st, p.runError(err)
}

// runSequential reduces with the network's own worker; with pause > 0 it
// returns engine.ErrPaused once that many pairs are pending.
func (p *ParallelNetwork) runSequential(ctx context.Context, pause int) error {
	p.w.SetShared(false)
	lim := p.limits()
	lim.Pause = pause
	if pause > 0 {
		lim.PauseAfter = max(p.pcfg.SequentialTime, 0)
	}
	return p.runOwn(ctx, lim)
}

// runOwn runs the network's own worker with lim, from limits. Its
// interaction limit is what the other workers of a ParallelNetwork left
// of Config.MaxInteractions, and the engine reads zero or less as no
// limit at all. So when they have used it up, runOwn reports the limit
// itself, as the engine would with pairs pending, and runs nothing.
func (n *Network) runOwn(ctx context.Context, lim engine.Limits) error {
	if n.cfg.MaxInteractions <= 0 || lim.Interactions > 0 {
		return n.w.Run(ctx, lim)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n.w.Pending() == 0 {
		return nil
	}
	return &engine.LimitError{Err: ErrInteractionLimit, Limit: n.cfg.MaxInteractions}
}

// limits returns the engine limits for the network's own worker, which
// counts only its own interactions and agents.
func (n *Network) limits() engine.Limits {
	var lim engine.Limits
	if n.cfg.MaxInteractions > 0 {
		lim.Interactions = n.cfg.MaxInteractions - (n.interactions() - n.w.Interactions())
	}
	if n.cfg.MaxLiveAgents > 0 {
		lim.LiveAgents = n.cfg.MaxLiveAgents
	}
	lim.StoreWords = n.cfg.MaxMemory / 8
	lim.MemoryFloor = n.memoryFloor()
	lim.LiveOffset = n.live() - n.w.Live()
	return lim
}

// memoryFloor returns the memory floor of a run that starts now (see
// engine.Limits.MemoryFloor). Memory is found above the limit when a run
// stops on it or starts with a net built larger. Later runs may then use
// the store's size at that point (memBase), plus an eighth of the limit
// and a chunk for each worker. That covers the cells freed since, room
// for stacks, and the chunk that a worker takes when the freed cells are
// another worker's, which it cannot reuse. The base
// moves only at such a finding, so that many short runs, such as the
// weak strategy's steps, cannot raise the floor one after another.
// Counting the stacks at a run's start instead made any growth of a stack
// fail a run that started with empty stacks and a full store.
func (n *Network) memoryFloor() int64 {
	if n.cfg.MaxMemory <= 0 {
		return 0
	}
	limit := engine.MemoryLimit(n.cfg.MaxMemory / 8)
	if w := n.net.Store.Words(); n.memBase == 0 && w > limit {
		n.memBase = w
	}
	if n.memBase == 0 {
		return 0
	}
	return n.memBase + limit/8 + int64(1+len(n.others))*engine.ChunkWords
}

// runError converts the error of a run for the caller. It reports the
// interaction limit as configured, and records the store's size as the
// base of later runs' memory floor when the run stopped on the memory
// limit.
func (n *Network) runError(err error) error {
	err = convertError(err)
	if errors.Is(err, ErrMemoryLimit) {
		n.memBase = n.net.Store.Words()
	}
	var le *LimitError
	if errors.As(err, &le) && errors.Is(le.Err, ErrInteractionLimit) && n.cfg.MaxInteractions > 0 {
		// A run's own limit is what is left of the configured one.
		le.Limit = n.cfg.MaxInteractions
	}
	return err
}

// runParallel hands every pending pair to the workers and runs them
// until normal form or an error.
func (p *ParallelNetwork) runParallel(ctx context.Context) error {
	if p.isolating && len(p.workers) > 1 {
		// Action rules that declare keys lock them (see actionRunner.lock).
		// The workers start after this write and have stopped before the
		// deferred one.
		if p.lockTable == nil {
			p.lockTable = &keyLocks{}
		}
		p.keyLocks = p.lockTable
		defer func() { p.keyLocks = nil }()
	}
	start := p.w.TakeRedexes()
	for _, w := range p.workers {
		w.SetShared(true)
	}
	lim := engine.Limits{Interactions: p.cfg.MaxInteractions, LiveAgents: p.cfg.MaxLiveAgents,
		StoreWords: p.cfg.MaxMemory / 8, MemoryFloor: p.memoryFloor()}
	s := engine.NewScheduler(ctx, p.workers, start, lim, p.live())
	runErr := p.runAll(ctx, len(p.workers), func(i int) { s.RunWorker(i) })
	res := s.Finish()
	if runErr != nil && (res.Err == nil || errors.Is(res.Err, engine.ErrWorkerLost)) {
		// A worker's goroutine panicked or called runtime.Goexit: the
		// pool's error gives the cause.
		res.Err = runErr
	}
	for _, w := range p.workers {
		w.SetShared(false)
	}
	p.w.HandOver(res.Left)
	p.w.NotePeak(res.PeakLive)
	for _, n := range res.Steals {
		p.totalSteals += n
	}
	return res.Err
}

// runAll calls f(i) for every worker i < k, all at once on the pool's
// goroutines, and returns when all have returned. The pool's goroutines
// beyond k do nothing. If ctx ends while a shared pool's goroutines are
// busy with other tasks, no f runs and runAll returns ctx.Err().
func (p *ParallelNetwork) runAll(ctx context.Context, k int, f func(i int)) error {
	return p.pool.RunOnAll(ctx, func(_ context.Context, i int) error {
		if i < k {
			f(i)
		}
		return nil
	})
}

// Step carries out one bulk-synchronous round: every active pair pending
// at the start of the round, spread over the workers in batches, with a
// barrier at the end. Pairs the round creates wait for the next round,
// as do those left when ParallelConfig.MaxBatchWait ends the round early.
// It returns the number of interactions of the round. (Network.Step,
// the sequential counterpart, carries out a single interaction.)
//
// Effects work as in Network.Step: results that have arrived are fed
// into the net before the round, and when no pair is left but effects
// are in flight, Step waits for them. So Step returns 0 only when no
// pair is left and no effect is in flight, and a loop of Step calls can
// stop there.
//
// When the round runs on more than one worker, the analyzer splits the
// pairs of action rules that declare keys (ActionRule.Reads, Writes and
// Access) into batches without conflicts. Access is called for each such
// pair on the goroutine that called Step, before the pair's round. The
// first batch runs with the other pairs, and each further batch in a
// round of its own after the one before has ended. These rounds all run
// within the one Step call, whose result counts the interactions of all
// of them: a round of pairs whose keys all conflict takes one Step call
// but as many rounds as pairs. MaxBatchWait, the interaction limit and
// ctx stop these rounds too, and the pairs of the rounds not run wait
// for the next Step.
//
// When ctx ends during the round, every worker stops before its next
// pair and Step returns ctx.Err(), or the *RuleError of an action that
// failed, such as one that returned ctx's error (see ActionRule): the
// pairs not started stay in the network. In Sequential mode the round
// runs on one worker.
func (p *ParallelNetwork) Step(ctx context.Context) (int, error) {
	done, err := p.step(ctx)
	return done, p.reportStep(done, err)
}

// step is Step without the event.
func (p *ParallelNetwork) step(ctx context.Context) (int, error) {
	// The context comes after the claim, as in reduce.
	if err := p.claimAll(); err != nil {
		return 0, err
	}
	defer p.running.Store(false)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for {
		done, err := p.stepOnce(ctx)
		if err != errAwaitEffects {
			return done, err
		}
		// Every pair of the round waits for an integer, and effects in
		// flight may bring it: wait for one and run the round again.
		if _, err := p.deliverEffects(ctx, true); err != nil {
			return 0, err
		}
	}
}

// errAwaitEffects is stepOnce's error when every pair of its round waits
// for an integer and effects are in flight.
var errAwaitEffects = errors.New("the pairs wait for the results of effects")

// stepOnce is step once the network is claimed.
func (p *ParallelNetwork) stepOnce(ctx context.Context) (int, error) {
	if err := p.awaitStep(ctx); err != nil {
		return 0, err
	}
	floor := p.memoryFloor()
	// The net as it starts counts towards the peak, as in Reduce. A net
	// above the live agent limit stops after this round, even if the round
	// frees agents.
	p.w.NotePeak(p.live())
	above := p.cfg.MaxLiveAgents > 0 && p.live() > p.cfg.MaxLiveAgents
	batch := p.w.TakeRedexes()
	if len(batch) == 0 {
		return 0, nil
	}
	var heldBack []engine.Redex // pairs held back by the interaction limit
	left := int64(-1)           // interactions the limit allows, -1 for no limit
	if p.cfg.MaxInteractions > 0 {
		left = p.cfg.MaxInteractions - p.interactions()
		if left <= 0 {
			p.w.PushAll(batch)
			return 0, &LimitError{Err: ErrInteractionLimit, Limit: p.cfg.MaxInteractions}
		}
		if int64(len(batch)) > left {
			batch, heldBack = batch[:left], batch[left:]
		}
	}
	var deadline time.Time
	if p.pcfg.MaxBatchWait > 0 {
		deadline = time.Now().Add(p.pcfg.MaxBatchWait)
	}
	before := p.interactions()
	var waiting []engine.Redex // pairs that failed or wait for an integer
	finished := false
	defer func() {
		if finished {
			return
		}
		// The caller's goroutine is unwinding: runtime.Goexit in an
		// action that a one-worker round ran on it. The workers' stacks
		// hold the round's pairs not started; keep every pair in the net.
		for _, w := range p.workers {
			w.SetShared(false)
			if w != p.w {
				p.w.PushAll(w.TakeStack())
			}
		}
		p.w.PushAll(heldBack)
		p.w.PushAll(waiting)
		p.stats.Interactions += p.interactions() - before
	}()
	res := p.keyedRound(ctx, batch, deadline)
	waiting = res.Left
	// Pairs of the round that waited for an integer used none of the
	// limit: give their share to pairs held back, as a sequential run
	// would, so that the round stops at the limit rather than on pairs
	// that wait. Past MaxBatchWait, this goes on only while nothing has
	// been carried out.
	for res.Err == nil && len(heldBack) > 0 &&
		(deadline.IsZero() || time.Now().Before(deadline) || p.interactions() == before) {
		room := left - (p.interactions() - before)
		if room <= 0 {
			break
		}
		next := heldBack[:min(room, int64(len(heldBack)))]
		heldBack = heldBack[len(next):]
		res = p.keyedRound(ctx, next, deadline)
		waiting = append(waiting, res.Left...)
	}
	p.w.PushAll(heldBack)
	p.w.PushAll(waiting)
	finished = true
	done := int(p.interactions() - before)
	p.stats.Interactions += int64(done)
	p.w.NotePeak(p.live())
	if res.Err == nil && done == 0 && len(waiting) > 0 && len(heldBack) == 0 {
		if p.effects != nil && p.effects.inFlight() > 0 {
			return 0, errAwaitEffects
		}
		// Every pair of the round waits for an integer and none can come.
		res.Err = p.w.PendingError(waiting[0])
	}
	if res.Err == nil && (above && done > 0 || p.cfg.MaxLiveAgents > 0 && p.live() > p.cfg.MaxLiveAgents) {
		res.Err = &engine.LimitError{Err: ErrAgentLimit, Limit: p.cfg.MaxLiveAgents}
	}
	// Every pair is back on p.w, so its stacks are all the run's.
	if res.Err == nil {
		res.Err = p.w.CheckMemory(p.cfg.MaxMemory/8, floor)
	}
	return done, p.runError(res.Err)
}

// round runs the pairs of batch once over the workers, as one Step round
// does, and puts the pairs they make back on the network's own worker.
// The returned Left contains the pairs that failed, wait for an integer or
// were not started when ctx ended. Sequential mode runs the round on the
// network's own worker.
func (p *ParallelNetwork) round(ctx context.Context, batch []engine.Redex, deadline time.Time) engine.Result {
	k := p.roundWorkers(len(batch))
	workers := p.workers[:k]
	for _, w := range workers {
		w.SetShared(k > 1)
	}
	var res engine.Result
	var runErr error
	if k == 1 {
		res = engine.Step(ctx, workers, batch, deadline, func(f func(int)) { f(0) })
	} else {
		res = engine.Step(ctx, workers, batch, deadline, func(f func(int)) { runErr = p.runAll(ctx, k, f) })
	}
	if res.Err == nil {
		res.Err = runErr
	}
	for _, w := range workers {
		w.SetShared(false)
		if w != p.w {
			p.w.PushAll(w.TakeStack())
		}
	}
	return res
}

// roundWorkers returns the number of workers of a Step round of n pairs.
func (p *ParallelNetwork) roundWorkers(n int) int {
	if p.pcfg.Mode == Sequential {
		return 1
	}
	return min(len(p.workers), max(1, n/p.pcfg.MinBatch))
}

// PerWorker returns the interactions each worker has carried out so far,
// over every run.
func (p *ParallelNetwork) PerWorker() []int64 { return p.perWorker() }

// Steals returns the number of active pairs that workers took from the
// shared pool so far, over every run (see ParallelStats.Steals).
func (p *ParallelNetwork) Steals() int64 { return p.totalSteals }

// perWorker returns the interactions of each worker so far.
func (p *ParallelNetwork) perWorker() []int64 {
	out := make([]int64, len(p.workers))
	for i, w := range p.workers {
		out[i] = w.Interactions()
	}
	return out
}

func (p *ParallelNetwork) logf(msg string, args ...any) {
	if p.pcfg.Logger != nil {
		p.pcfg.Logger.Debug("annette: "+msg, args...)
	}
}

// String describes the network's workers, for debugging.
func (p *ParallelNetwork) String() string {
	return fmt.Sprintf("ParallelNetwork(%d workers, mode %s)", len(p.workers), p.pcfg.Mode)
}
