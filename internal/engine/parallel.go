package engine

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The parallel reducer runs one Worker per goroutine over a shared Net.
// Each worker keeps its own stack of active pairs and reduces it without
// locks; wires shared with other workers are linked with atomic swaps
// (Worker.Shared). Work moves between workers through a shared pool:
//
//   - A run starts with one of the oldest pending pairs on each worker
//     but the first, which keeps the others.
//   - A worker that runs out of pairs registers as idle under the
//     scheduler's mutex and waits for the pool to fill.
//   - A busy worker reads the number of idle workers with one atomic load
//     after each batch of at most 256 interactions, after each native
//     rule or general rewrite, and before each slow native rule (an
//     action rule), which may take long. When some are idle and it holds
//     more than one pair, it moves its oldest pair to the pool and wakes
//     them, and shares no more until an idle worker has emptied the
//     pool. The oldest pair sits nearest the root of the computation and
//     tends to carry the most work. When pairs taken from the pool keep
//     a worker busy for only a few interactions, later shares move more
//     pairs at a time.
//   - The run is over when every worker is idle and the pool is empty:
//     that state is only reached under the mutex, by the last worker to
//     go idle, and no worker can create work while idle, so no pair is
//     left behind.
//
// Pairs that wait for an integer (ErrPending) go to a shared deferred
// list. When every worker is idle and pairs are deferred, they are put
// back into the pool if any interaction happened since they were last
// tried; otherwise no interaction can bring their integers and the run
// fails with ErrPending, as the sequential reducer does.

// Scheduler coordinates the workers of one parallel run. Create it with
// NewScheduler, call RunWorker(i) once for every worker on its own
// goroutine, and then Finish.
type Scheduler struct {
	// Set by NewScheduler, read-only during the run.
	workers  []*Worker
	maxLive  int64
	maxWords int64 // store size limit in words, for the error
	stopAt   int64 // words past which the run stops: maxWords or the memory floor
	limit    int64 // interaction limit, 0 for none
	liveBase int64 // live agents of the net before the run
	doneBase int64 // interactions of the workers before the run

	// Atomics read by busy workers without the lock, on their own cache
	// lines: idleHint and stop are read at least once a batch, and the
	// others are written now and then.
	_        [cacheLine]byte
	idleHint atomic.Int32 // idle while the pool is empty, else 0; a busy worker shares work when > 0
	poolLen  atomic.Int32 // copy of len(pool), polled by spinning idle workers
	stop     atomic.Bool  // set once the run must end: done, error or cancel
	_        [cacheLine]byte
	budget   atomic.Int64 // interactions left to hand out under a limit
	live     atomic.Int64 // live agents, as last published by the workers
	peak     atomic.Int64 // largest value seen in live
	stacks   atomic.Int64 // words of the workers' pair stacks, as last published
	// shared is the words of the pool and the deferred list, as counted
	// towards the memory limit. It is stored under mu, after the lists
	// change, and loaded without it by the workers' memory checks.
	shared atomic.Int64
	_      [cacheLine]byte

	mu         sync.Mutex // guards the fields below and is the lock of cond
	cond       *sync.Cond // signalled when pool gains pairs or the run stops
	pool       []Redex    // pairs shared by busy workers
	deferred   []Redex    // pairs waiting for an integer
	idle       int        // workers waiting in idleWait
	err        error      // the run's result: the first error, or a fault in place of the context's (see fail)
	errContext bool       // err is the context's error, recorded by failContext
	retried    bool       // deferred pairs were put back once
	retryMark  int64      // total interactions at that time
	published  []int64    // interactions of each worker, as of its last idle wait
	takenAt    []int64    // each worker's count when it last took pairs from the pool, or -1
	batch      int        // pairs that share gives away, from 1 to maxShareBatch
	steals     []int64    // pairs each worker took from the pool
	cancelStop func() bool
	ctx        context.Context // the run's context, given to each worker as Ctx
}

// NewScheduler prepares a run of workers over the pairs in start. The
// workers must share one Net, have Shared set and empty stacks. lim gives
// the interaction limit (counted over the run and the interactions the
// workers had done before) and the live agent limit; liveBase is the
// number of live agents before the run.
func NewScheduler(ctx context.Context, workers []*Worker, start []Redex, lim Limits, liveBase int64) *Scheduler {
	s := &Scheduler{
		workers:   workers,
		maxLive:   lim.LiveAgents,
		maxWords:  MemoryLimit(lim.StoreWords),
		stopAt:    max(MemoryLimit(lim.StoreWords), lim.MemoryFloor),
		limit:     lim.Interactions,
		liveBase:  liveBase,
		published: make([]int64, len(workers)),
		takenAt:   make([]int64, len(workers)),
		batch:     1,
		steals:    make([]int64, len(workers)),
	}
	for i := range s.takenAt {
		s.takenAt[i] = -1
	}
	s.cond = sync.NewCond(&s.mu)
	if s.maxLive <= 0 {
		s.maxLive = noLiveLimit
	}
	var done int64
	for i, w := range workers {
		done += w.count
		s.published[i] = w.count
		w.heap.capPlaced(lim.StoreWords / 4 / int64(len(workers)))
	}
	s.doneBase = done
	if s.limit > 0 {
		s.budget.Store(max(s.limit-done, 0))
	}
	s.live.Store(liveBase)
	s.peak.Store(liveBase)
	// Each worker but the first starts with one of the oldest pairs, and
	// the first keeps the rest in their order. In Auto mode the first
	// worker reduced the pairs sequentially before the run, so its caches
	// hold their agents. After a depth-first stretch the oldest pair
	// holds about half the work left, the next about a quarter. Dealt
	// round-robin, the pairs of a tree sum of depth 22 left the first
	// worker 13.2 of the 25.2 million interactions, and the run took 3 to
	// 7% longer. Left idle to take pairs through share instead, the
	// others waited for the first worker's first interaction, so slow
	// action rules, one pair per worker, ran one after another on it.
	dealt := max(0, min(len(workers)-1, len(start)-1))
	for i, r := range start[:dealt] {
		workers[i+1].stack = append(workers[i+1].stack, r)
	}
	workers[0].stack = append(workers[0].stack, start[dealt:]...)
	// A cancelled context stops the workers at their next check.
	s.ctx = ctx
	s.cancelStop = context.AfterFunc(ctx, func() { s.failContext(ctx.Err()) })
	return s
}

// fail records err as the run's result, unless one is recorded already,
// and stops every worker. A fault whose cause is the context's error
// replaces that error when failContext recorded it: an action that
// watched the context returned the error once the context ended, and
// its fault names the rule, as the sequential reducer reports it.
func (s *Scheduler) fail(err error) {
	s.mu.Lock()
	var f *Fault
	switch {
	case s.err == nil:
		s.err = err
	case s.errContext && errors.As(err, &f) && errors.Is(f.Err, s.err):
		s.err, s.errContext = err, false
	}
	s.stop.Store(true)
	s.mu.Unlock()
	s.cond.Broadcast()
}

// failContext is fail for the end of the run's context, with its error.
func (s *Scheduler) failContext(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err, s.errContext = err, true
	}
	s.stop.Store(true)
	s.mu.Unlock()
	s.cond.Broadcast()
}

// noLiveLimit is the Scheduler's maxLive when no live agent limit is
// set.
const noLiveLimit = 1<<63 - 1

// quantum is the number of interactions a worker reserves from the
// budget at a time under an interaction limit.
const quantum = 1024

// ErrWorkerLost is the result of a parallel run one of whose workers
// stopped without returning: a panic, or runtime.Goexit called by a
// rule's Go code. The cause is in the error of the caller that ran the
// worker.
var ErrWorkerLost = errors.New("a worker of the parallel run stopped")

// RunWorker runs worker i until the run ends. It must be called once for
// each worker, all at the same time, each on its own goroutine. If the
// goroutine unwinds instead of returning, the run stops with
// ErrWorkerLost: the other workers would otherwise wait for it forever.
func (s *Scheduler) RunWorker(i int) {
	returned := false
	s.workers[i].Ctx = s.ctx
	defer func() {
		s.workers[i].Ctx = nil
		if !returned {
			err := s.workers[i].takeExit()
			if err == nil {
				err = ErrWorkerLost
			}
			s.fail(err)
		}
	}()
	s.workers[i].exit = nil
	s.runWorker(i)
	returned = true
}

func (s *Scheduler) runWorker(i int) {
	w := s.workers[i]
	var quota int64 // interactions reserved from the budget
	unlimited := s.limit <= 0
	liveMark := w.heap.allocs - w.heap.frees
	// Interaction count at the last publication of live agents. Starting
	// 256 back makes the first batch publish, so a net that starts above
	// the live agent limit stops after one batch.
	published := w.count - 256
	var stackMark int64 // words of this worker's stack included in s.stacks
	var checks int64    // checks of the limits so far, for the live count's publication
	// The compiled loop does not pause and leaves the live agent limit to
	// the publications below. It stops to share when a worker is idle
	// after a native rule or a general rewrite, and before a slow rule.
	rl := &runLimits{pause: math.MaxInt, maxLive: 1<<63 - 1, idle: &s.idleHint, stop: &s.stop, quiet: 1}
	defer func() {
		// Publish the last change in live agents, whatever ends the run.
		s.notePeak(s.live.Add(w.heap.allocs - w.heap.frees - liveMark))
	}()
	for {
		for len(w.stack) > 0 {
			if s.stop.Load() {
				s.giveBack(quota)
				return
			}
			if !unlimited && quota == 0 {
				if quota = s.reserve(); quota == 0 {
					if s.retire(i) {
						return
					}
					continue // another worker gave interactions back
				}
			}
			// Reduce a batch of at most 256 interactions, within the
			// reserved quota. When a worker is idle and this one has
			// pairs to share, the batch ends before the next slow rule,
			// after the next native rule or general rewrite, or else at
			// its end.
			batch := int64(256)
			if !unlimited {
				batch = min(batch, quota)
			}
			before := w.count
			r, err := w.runCompiled(before+batch, rl)
			if err == nil && len(w.stack) > 0 && w.count < before+batch {
				// The pair on top needs the general path.
				r = w.stack[len(w.stack)-1]
				w.stack = w.stack[:len(w.stack)-1]
				if err = w.reduceOne(r); err == nil {
					r = Redex{}
					err = w.afterInteraction(rl)
				}
			}
			quota -= w.count - before
			if err == nil && len(w.stack) > 1 && s.idleHint.Load() > 0 {
				// Compiled rules leave the check for idle workers to the
				// end of their batch (see runLimits.quiet).
				err = errShare
			}
			switch {
			case err == errStopped:
				// The loop's check of s.stop ends the run.
			case err == errShare:
				s.share(w)
			case err == ErrPending:
				s.mu.Lock()
				s.deferred = append(s.deferred, r)
				s.noteShared()
				s.mu.Unlock()
			case err != nil:
				if r != (Redex{}) {
					w.stack = append(w.stack, r)
				}
				s.giveBack(quota)
				s.fail(err)
				return
			}
			if w.count-published >= 256 {
				published = w.count
				// Publish this worker's change in live agents and check the
				// limit on the sum. The count is approximate between
				// publications, but the limit applies at every worker count.
				// Without a limit, only the sampled peak reads the count, so a
				// worker publishes it at every 16th check. The add is on a
				// cache line that every worker writes, and at every check it
				// took 3% of Fibonacci 38's time on two workers.
				checks++
				if s.maxLive != noLiveLimit || checks%16 == 0 {
					now := w.heap.allocs - w.heap.frees
					live := s.live.Add(now - liveMark)
					liveMark = now
					s.notePeak(live)
					if live > s.maxLive {
						s.giveBack(quota)
						s.fail(&LimitError{Err: ErrAgentLimit, Limit: s.maxLive})
						return
					}
				}
				// The limit covers every worker's stack, each as its
				// capacity at the worker's last publication. The add is left
				// out while the capacity stays the same, for the same reason.
				words := stackWords(cap(w.stack))
				var stacks int64
				if words != stackMark {
					stacks = s.stacks.Add(words - stackMark)
					stackMark = words
				} else {
					stacks = s.stacks.Load()
				}
				if w.Net.Store.Words()+stacks+s.shared.Load() > s.stopAt {
					s.giveBack(quota)
					s.fail(&LimitError{Err: ErrMemoryLimit, Limit: s.maxWords * 8})
					return
				}
				if arenaLow() {
					s.giveBack(quota)
					s.fail(StoreFullError())
					return
				}
			}
		}
		now := w.heap.allocs - w.heap.frees
		s.notePeak(s.live.Add(now - liveMark))
		liveMark = now
		// An idle worker holds no reserved interactions, so a worker that
		// finds the budget empty can be sure that no idle one could go on.
		s.giveBack(quota)
		quota = 0
		if !s.idleWait(i) {
			return
		}
	}
}

// retire takes worker i out of the run once the interaction budget is
// spent, and reports true. If interactions were given back meanwhile, it
// reports false and the worker goes on. A retired worker's pairs go to the pool,
// where a worker that still holds reserved interactions can take them, so
// the run stops at exactly the limit. When every worker is out, the run
// ends with the limit error.
func (s *Scheduler) retire(i int) bool {
	w := s.workers[i]
	s.mu.Lock()
	if s.budget.Load() > 0 {
		// A worker returned its reserve after ours failed; try again.
		s.mu.Unlock()
		return false
	}
	s.published[i] = w.count
	s.pool = append(s.pool, w.stack...)
	s.poolLen.Store(int32(len(s.pool)))
	s.noteShared()
	w.stack = w.stack[:0]
	s.idle++
	s.noteIdle()
	if s.idle == len(s.workers) {
		if s.err == nil {
			s.err = &LimitError{Err: ErrInteractionLimit, Limit: s.limit}
		}
		s.stop.Store(true)
	}
	s.mu.Unlock()
	s.cond.Broadcast()
	return true
}

// notePeak raises the sampled peak of live agents to at least live.
func (s *Scheduler) notePeak(live int64) {
	for {
		p := s.peak.Load()
		if live <= p || s.peak.CompareAndSwap(p, live) {
			return
		}
	}
}

// reserve takes up to a quantum of interactions from the budget.
func (s *Scheduler) reserve() int64 {
	for {
		left := s.budget.Load()
		if left <= 0 {
			return 0
		}
		n := min(left, quantum)
		if s.budget.CompareAndSwap(left, left-n) {
			return n
		}
	}
}

// giveBack returns unused reserved interactions to the budget.
func (s *Scheduler) giveBack(quota int64) {
	if quota > 0 && s.limit > 0 {
		s.budget.Add(quota)
	}
}

// noteIdle publishes the number of idle workers in idleHint while the
// pool is empty, and 0 while it holds pairs. An idle worker asleep in
// idleWait can take a hundred microseconds or more to wake here. Until it
// takes the pairs shared with it, more shares would not help it. A busy
// worker that saw the idle count meanwhile stopped to share after each
// of its interactions, through the whole of a small net's run in one
// trace. The caller holds mu.
func (s *Scheduler) noteIdle() {
	if len(s.pool) > 0 {
		s.idleHint.Store(0)
		return
	}
	s.idleHint.Store(int32(s.idle))
}

// noteShared records the words that the pool and the deferred list hold,
// for the memory limit. Pairs that wait for an integer can pile up in the
// deferred list without bound: a helper saw a run reach four times the
// limit before it was counted. The caller holds mu.
func (s *Scheduler) noteShared() {
	s.shared.Store(stackWords(cap(s.pool) + cap(s.deferred)))
}

// share moves the oldest pairs of w's stack to the pool, s.batch of them
// but never the last, and wakes the idle workers. The oldest pair is the
// one nearest the root of the computation, so it tends to carry the most
// work. Giving away more, such as half the stack, was measured to make
// workers trade small pairs back and forth, so a share gives one pair
// until a worker comes back idle soon after taking pairs (see idleWait).
// The pairs' agents were written by w, and the mutex publishes those
// writes to the worker that takes the pairs.
func (s *Scheduler) share(w *Worker) {
	s.mu.Lock()
	n := min(s.batch, len(w.stack)-1)
	s.pool = append(s.pool, w.stack[:n]...)
	s.poolLen.Store(int32(len(s.pool)))
	s.noteShared()
	s.noteIdle()
	s.mu.Unlock()
	if len(w.stack) <= shareShift {
		w.stack = append(w.stack[:0], w.stack[n:]...)
	} else {
		// Shifting a long stack at every share made a stream of a few
		// hundred thousand pairs run in seconds instead of milliseconds.
		// Slicing costs the stack n elements of capacity instead.
		w.stack = w.stack[n:]
	}
	s.cond.Broadcast()
}

// shortRun is the number of interactions under which pairs taken from
// the pool count as too little work, and maxShareBatch the most pairs
// that share gives away at once.
const (
	shortRun      = 1024
	maxShareBatch = 256
)

// shareShift is the longest stack that share shifts down to keep its
// capacity.
const shareShift = 64

// idleWait waits until worker i can take pairs from the pool, and moves
// them to its stack. It returns false when the run is over.
func (s *Scheduler) idleWait(i int) bool {
	w := s.workers[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published[i] = w.count
	if t := s.takenAt[i]; t >= 0 {
		// Pairs that kept their taker busy only briefly cost more to
		// move than they saved: give more at a time.
		if w.count-t < shortRun {
			s.batch = min(2*s.batch, maxShareBatch)
		} else {
			s.batch = 1
		}
		s.takenAt[i] = -1
	}
	s.idle++
	s.noteIdle()
	spun := false
	for {
		if s.stop.Load() {
			s.idle--
			s.noteIdle()
			return false
		}
		if len(s.pool) > 0 {
			// Take a fair share: the pool split among the idle workers.
			n := max(1, len(s.pool)/s.idle)
			k := len(s.pool) - n
			w.stack = append(w.stack, s.pool[k:]...)
			s.pool = s.pool[:k]
			s.poolLen.Store(int32(k))
			s.steals[i] += int64(n)
			s.takenAt[i] = w.count
			s.idle--
			s.noteIdle()
			return true
		}
		if s.idle == len(s.workers) {
			// Every worker is idle and the pool is empty: no interaction
			// can happen any more, except for deferred pairs.
			if len(s.deferred) > 0 {
				var total int64
				for _, c := range s.published {
					total += c
				}
				if !s.retried || total != s.retryMark {
					s.retried, s.retryMark = true, total
					s.pool = append(s.pool, s.deferred...)
					s.poolLen.Store(int32(len(s.pool)))
					s.deferred = s.deferred[:0]
					s.noteShared()
					continue
				}
				r := s.deferred[0]
				if s.err == nil {
					s.err = w.fault(r.A, r.B, ErrPending)
				}
			}
			s.stop.Store(true)
			s.idle--
			s.noteIdle()
			s.cond.Broadcast()
			return false
		}
		// Poll for a while before sleeping: a busy worker often shares
		// within microseconds, and a wake-up through the condition
		// variable costs more than that.
		if !spun {
			spun = true
			s.mu.Unlock()
			s.spin()
			s.mu.Lock()
			continue
		}
		s.cond.Wait()
	}
}

// spin waits, without the mutex, until the pool may hold pairs, the run
// stops or a short time has passed.
func (s *Scheduler) spin() {
	deadline := time.Now().Add(spinTime)
	for k := 0; ; k++ {
		if s.poolLen.Load() > 0 || s.stop.Load() {
			return
		}
		if k&63 == 63 && time.Now().After(deadline) {
			return
		}
	}
}

// spinTime is how long an idle worker polls before it sleeps.
const spinTime = 50 * time.Microsecond

// Result is the outcome of a parallel run.
type Result struct {
	Err      error   // nil when the net reached normal form
	Left     []Redex // pairs not reduced: on error, the failed one is among them
	Steals   []int64 // pairs each worker took from the pool
	PeakLive int64   // largest live agent count seen (sampled)
}

// Finish ends the run after every RunWorker call has returned: it
// collects the pairs left on the workers' stacks, in the pool and in the
// deferred list, and the first error.
func (s *Scheduler) Finish() Result {
	s.cancelStop()
	s.mu.Lock()
	defer s.mu.Unlock()
	res := Result{Err: s.err, Steals: s.steals, PeakLive: s.peak.Load()}
	var done int64
	for _, w := range s.workers {
		done += w.count
	}
	// A run that carried out nothing, over a net above the limit, leaves
	// the peak at liveBase. It passes, as the sequential reducer does.
	ran := done > s.doneBase || res.PeakLive > s.liveBase
	if res.Err == nil && res.PeakLive > s.maxLive && ran {
		// The workers check the limit every 256 interactions, so a run
		// can reach normal form above it between two checks. A worker
		// that runs out of pairs or stops publishes its count without a
		// check, so the peak covers those counts and the final one.
		res.Err = &LimitError{Err: ErrAgentLimit, Limit: s.maxLive}
	}
	// A stopped run can leave hundreds of millions of pairs. The largest
	// stack is handed over instead of copied, and the rest are copied
	// once into room made for all of them.
	largest := s.workers[0]
	total := len(s.pool) + len(s.deferred)
	for _, w := range s.workers {
		total += len(w.stack)
		if len(w.stack) > len(largest.stack) {
			largest = w
		}
	}
	res.Left = largest.stack
	largest.stack = nil
	if cap(res.Left) < total {
		res.Left = append(make([]Redex, 0, total), res.Left...)
	}
	for _, w := range s.workers {
		res.Left = append(res.Left, w.stack...)
		w.stack = w.stack[:0]
	}
	res.Left = append(res.Left, s.pool...)
	res.Left = append(res.Left, s.deferred...)
	return res
}

// Step carries out one bulk-synchronous round: every pair in batch once,
// spread over the workers in contiguous slices, each worker on its own
// goroutine via run. Pairs created by the round are left on the workers'
// stacks for the next round; pairs that fail or must wait are returned
// in Left with the first error. With a non-zero deadline, a worker that
// has carried out a pair stops once the deadline has passed and returns
// the rest of its slice in Left. A worker that run never calls, or whose
// goroutine unwinds (runtime.Goexit in a rule's Go code), returns the
// pairs of its slice that it had not started. When ctx ends, each worker
// stops before its next pair and returns the rest of its slice in Left,
// and the result's error is ctx.Err(), unless a pair failed: an action
// that watched ctx may have returned its error, and its fault names the
// rule.
func Step(ctx context.Context, workers []*Worker, batch []Redex, deadline time.Time, run func(func(i int))) Result {
	n := len(workers)
	errs := make([]error, n)
	left := make([][]Redex, n)
	// stopped is set once ctx has ended. The workers load it before each
	// pair, and a pair already started runs to its end.
	var stopped atomic.Bool
	defer context.AfterFunc(ctx, func() { stopped.Store(true) })()
	cut := make([]bool, n) // worker i stopped on ctx
	// next[i] is the index in batch of worker i's first pair not started;
	// returned[i] is set when worker i's function returns. run returns
	// after every worker's function has ended, which publishes both.
	next := make([]int, n)
	returned := make([]bool, n)
	for i := range n {
		next[i] = i * len(batch) / n
	}
	bounded := !deadline.IsZero()
	slice := func(i int) {
		w := workers[i]
		w.Ctx = ctx
		defer func() { w.Ctx = nil }()
		lo, hi := i*len(batch)/n, (i+1)*len(batch)/n
		progressed := false // the worker has carried out a pair of the round
		for k, r := range batch[lo:hi] {
			if stopped.Load() {
				left[i] = append(left[i], batch[lo+k:hi]...)
				cut[i] = true
				return
			}
			if bounded && progressed && time.Now().After(deadline) {
				left[i] = append(left[i], batch[lo+k:hi]...)
				return
			}
			next[i] = lo + k + 1
			err := w.reduceOne(r)
			progressed = progressed || err == nil
			if err == ErrPending {
				left[i] = append(left[i], r)
				continue
			}
			if err != nil {
				errs[i] = err
				left[i] = append(left[i], batch[lo+k:hi]...)
				return
			}
		}
	}
	run(func(i int) {
		workers[i].exit = nil
		defer func() {
			if returned[i] {
				return
			}
			// The goroutine is unwinding, maybe the caller's own when
			// run calls directly: the worker's stack keeps the pairs not
			// started, so that they stay in the net.
			w := workers[i]
			hi := (i + 1) * len(batch) / n
			w.stack = append(w.stack, left[i]...)
			w.stack = append(w.stack, batch[next[i]:hi]...)
			left[i], next[i] = nil, hi
			errs[i] = w.takeExit()
		}()
		slice(i)
		returned[i] = true
	})
	var res Result
	for i := range workers {
		if res.Err == nil {
			res.Err = errs[i]
		}
		res.Left = append(res.Left, left[i]...)
		if !returned[i] {
			res.Left = append(res.Left, batch[next[i]:(i+1)*len(batch)/n]...)
		}
	}
	if res.Err == nil && slices.Contains(cut, true) {
		res.Err = ctx.Err()
	}
	return res
}

// SetShared switches the atomic linking of wires on or off. Workers must
// be Shared while others may touch the same net.
func (w *Worker) SetShared(on bool) { w.Shared = on }

// TakeStack removes and returns the worker's stack of pairs, without the
// deferred ones.
func (w *Worker) TakeStack() []Redex {
	out := w.stack
	w.stack = nil
	return out
}

// PushAll adds pairs to the worker's stack.
func (w *Worker) PushAll(rs []Redex) { w.stack = append(w.stack, rs...) }

// HandOver adds the pairs of rs to the worker's stack like PushAll, but
// keeps rs itself when the stack is empty: the pairs left by a stopped
// parallel run can fill gigabytes. The caller must not use rs afterwards.
func (w *Worker) HandOver(rs []Redex) {
	if len(w.stack) == 0 {
		w.stack = rs
		return
	}
	w.PushAll(rs)
}
