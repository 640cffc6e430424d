package annette

import (
	"cmp"
	"context"
	"errors"
	"hash/maphash"
	"runtime/debug"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/annette-go/annette/internal/engine"
)

// This file keeps the calls of action rules that declare state outside
// their two agents (ActionRule.Reads, Writes and Access) apart from each
// other when several workers run. ParallelNetwork.Reduce runs such a call
// while it holds locks on its keys. ParallelNetwork.Step instead has a
// RuleDependencyAnalyzer split the round's keyed pairs into batches of
// calls that do not conflict, and runs the batches one after another.

// lockStripes is the number of locks that keys share. Two keys that hash
// to one stripe can make two calls wait for each other although their
// keys differ. That costs time but never correctness.
const lockStripes = 256

// keySeed hashes keys to stripes, the same way in every network of the
// process, so that rules can hash their static keys when they are added.
var keySeed = maphash.MakeSeed()

// stripeLock is one lock a call takes: a stripe, for writing or reading.
type stripeLock struct {
	stripe uint32
	write  bool
}

// keyLocks are the locks of one ParallelNetwork's keys, one per stripe.
// Each lock is padded to a multiple of 64 bytes, a common cache line
// size, so that workers locking neighbouring stripes do not slow each
// other down.
type keyLocks struct {
	stripes [lockStripes]struct {
		sync.RWMutex
		_ [(64 - unsafe.Sizeof(sync.RWMutex{})%64) % 64]byte
	}
}

// appendStripes appends the locks for the keys of a.
func appendStripes(dst []stripeLock, a Access) []stripeLock {
	for _, k := range a.Writes {
		dst = append(dst, stripeLock{uint32(maphash.String(keySeed, k) % lockStripes), true})
	}
	for _, k := range a.Reads {
		dst = append(dst, stripeLock{uint32(maphash.String(keySeed, k) % lockStripes), false})
	}
	return dst
}

// lockOrder sorts locks by stripe and keeps one lock per stripe, for
// writing if any of its keys is written. Every call takes its locks in
// this one order, so no two calls wait for each other in a cycle.
func lockOrder(locks []stripeLock) []stripeLock {
	slices.SortFunc(locks, func(x, y stripeLock) int {
		if c := cmp.Compare(x.stripe, y.stripe); c != 0 {
			return c
		}
		switch {
		case x.write == y.write:
			return 0
		case x.write:
			return -1
		}
		return 1
	})
	return slices.CompactFunc(locks, func(x, y stripeLock) bool { return x.stripe == y.stripe })
}

// declare checks and records the state a rule declares.
func (r *actionRunner) declare(reads, writes []string, access func(left, right Agent) Access) error {
	for _, set := range []struct {
		field string
		keys  []string
	}{{"Reads", reads}, {"Writes", writes}} {
		for i, k := range set.keys {
			if k == "" {
				return errorf("key %d of %s is empty; give each key the name of the state it guards", i, set.field)
			}
		}
	}
	r.reads, r.writes, r.access = slices.Clone(reads), slices.Clone(writes), access
	r.isolated = len(reads) > 0 || len(writes) > 0 || access != nil
	r.static = lockOrder(appendStripes(nil, Access{Reads: r.reads, Writes: r.writes}))
	return nil
}

// errEmptyKey is the error of a call whose Access function returned an
// empty key.
var errEmptyKey = errors.New("Access returned an empty key; return only keys that name state")

// callAccess returns the keys of one call, Reads and Writes included,
// for the agents left and right. It fails on an empty key.
func (r *actionRunner) callAccess(left, right Agent) (Access, error) {
	acc := Access{Reads: r.reads, Writes: r.writes}
	if r.access == nil {
		return acc, nil
	}
	dynamic := r.access(left, right)
	for _, keys := range [2][]string{dynamic.Reads, dynamic.Writes} {
		if slices.Contains(keys, "") {
			return Access{}, errEmptyKey
		}
	}
	acc.Reads = append(slices.Clip(acc.Reads), dynamic.Reads...)
	acc.Writes = append(slices.Clip(acc.Writes), dynamic.Writes...)
	return acc, nil
}

// lock takes the key locks of the call that c is for, blocking until
// every call that conflicts with it on a stripe has released them. The
// caller releases them with c.unlock. A panic in the rule's Access
// function propagates, with no lock held.
func (r *actionRunner) lock(c *RuleContext) error {
	locks := r.static
	if r.access != nil {
		acc, err := r.callAccess(c.Left(), c.Right())
		if err != nil {
			return err
		}
		c.lockBuf = lockOrder(appendStripes(c.lockBuf[:0], acc))
		locks = c.lockBuf
	}
	table := r.n.keyLocks
	for _, l := range locks {
		if l.write {
			table.stripes[l.stripe].Lock()
		} else {
			table.stripes[l.stripe].RLock()
		}
	}
	// From here until unlock, the action has these stripes to itself
	// (writes) or shares them with readers only: every write another call
	// made under a stripe's lock happened before this call's lock.
	c.locked, c.lockTable = locks, table
	return nil
}

// unlock releases the locks taken by lock, in the reverse order.
func (c *RuleContext) unlock() {
	for i := len(c.locked) - 1; i >= 0; i-- {
		l := c.locked[i]
		if l.write {
			c.lockTable.stripes[l.stripe].Unlock()
		} else {
			c.lockTable.stripes[l.stripe].RUnlock()
		}
	}
	c.locked, c.lockTable = nil, nil
}

// declaresKeys reports whether any rule of p declares state outside its
// two agents.
func (p *ParallelNetwork) declaresKeys() bool {
	for _, r := range p.net.Rules.Rules() {
		if ar, ok := r.Owner.(*actionRunner); ok && ar.isolated {
			return true
		}
	}
	return false
}

// Analyzer returns the analyzer that orders Step's pairs whose rules
// declare keys: ParallelConfig.Analyzer, or the network's own, made on
// first use. Its Stats report the batches of every Step round so far
// that ran on more than one worker: a round small enough for one worker
// needs no analysis.
func (p *ParallelNetwork) Analyzer() *RuleDependencyAnalyzer {
	if p.pcfg.Analyzer == nil {
		p.pcfg.Analyzer = NewRuleDependencyAnalyzer(AnalyzerConfig{})
	}
	return p.pcfg.Analyzer
}

// keyedChunk is the number of keyed pairs that keyedRound analyses at a
// time when a deadline bounds the round. A round that ends early leaves
// its pairs for the next Step, which analyses them again. Analysing all
// of them each time made many short rounds quadratic.
const keyedChunk = 256

// keyedRound runs batch as round does, keeping apart the calls of rules
// that declare keys. The analyzer splits those pairs into batches of
// calls that do not conflict. The first batch runs in one round with the
// pairs of the other rules, and each further batch in a round of its
// own, after the round before it has ended. Rounds stop as Step's do: on
// an error, when ctx ends, or once the deadline has passed and a pair of
// this call has been carried out. The pairs of the rounds not run are
// returned in Left.
//
// With a deadline, the keyed pairs are analysed keyedChunk at a time,
// each chunk once the rounds of the one before have run, so that a
// round stopped early has not paid for analysing the pairs it leaves.
// Without one, they are analysed at once, which gives fewer batches.
//
// With one worker, or without keyed rules, it is round.
func (p *ParallelNetwork) keyedRound(ctx context.Context, batch []engine.Redex, deadline time.Time) engine.Result {
	if !p.isolating || p.roundWorkers(len(batch)) == 1 {
		return p.round(ctx, batch, deadline)
	}
	plain, keyed := p.splitKeyed(batch)
	if len(keyed) == 0 {
		return p.round(ctx, plain, deadline)
	}
	chunk := len(keyed)
	if !deadline.IsZero() {
		chunk = keyedChunk
	}

	var res engine.Result
	var groups [][]engine.Redex  // the current chunk's batches
	started, next := 0, 0        // groups[:started] have run; keyed[:next] are in chunks
	var analysing []engine.Redex // the chunk whose keys are being read
	finished := false
	defer func() {
		if finished {
			return
		}
		// runtime.Goexit in an Access function, or in an action that a
		// one-worker round ran on the caller's goroutine: keep the pairs
		// of this call in the net. The
		// round that was running put its own pairs back on the worker.
		p.w.PushAll(res.Left)
		for _, g := range groups[started:] {
			p.w.PushAll(g)
		}
		p.w.PushAll(keyed[next:])
		p.w.PushAll(analysing)
		if plain != nil {
			p.w.PushAll(plain)
		}
	}()
	before := p.interactions()
	for res.Err == nil {
		if started == len(groups) {
			if next == len(keyed) {
				break
			}
			part := keyed[next:min(next+chunk, len(keyed))]
			next += len(part)
			t0 := time.Now()
			// A failed split keeps groups as it was, all run, so that the
			// code below slices it with started in range. Until the split
			// returns, part is only in analysing: an Access function may
			// call runtime.Goexit, and the deferred function then keeps it.
			analysing = part
			split, err := p.keyedBatches(part)
			analysing = nil
			if err != nil {
				res.Err = err
				res.Left = append(res.Left, part...)
				break
			}
			groups, started = split, 0
			if !deadline.IsZero() {
				// The deadline bounds reducing, not analysing: a round
				// that started past it would stop after one pair.
				deadline = deadline.Add(time.Since(t0))
			}
		}
		if plain == nil && !deadline.IsZero() && time.Now().After(deadline) && p.interactions() > before {
			break // late, and this call has carried out a pair
		}
		pairs := groups[started]
		if plain != nil {
			pairs = append(plain, pairs...)
			plain = nil
		}
		started++
		r := p.round(ctx, pairs, deadline)
		res.Err = r.Err
		res.Left = append(res.Left, r.Left...)
	}
	for _, g := range groups[started:] {
		res.Left = append(res.Left, g...)
	}
	res.Left = append(res.Left, keyed[next:]...)
	if plain != nil {
		res.Left = append(res.Left, plain...) // the first round did not run
	}
	finished = true
	return res
}

// splitKeyed separates the pairs of batch whose rules declare keys.
func (p *ParallelNetwork) splitKeyed(batch []engine.Redex) (plain, keyed []engine.Redex) {
	plain = make([]engine.Redex, 0, len(batch))
	for _, rx := range batch {
		rule, _, _ := p.w.RuleFor(rx)
		if ar, ok := ruleRunner(rule); ok && ar.isolated {
			keyed = append(keyed, rx)
		} else {
			plain = append(plain, rx)
		}
	}
	return plain, keyed
}

// keyedBatches returns the pairs of keyed in batches of calls that do
// not conflict, as the analyzer splits them. An Access function that
// fails or panics fails the split with the error of its pair.
func (p *ParallelNetwork) keyedBatches(keyed []engine.Redex) ([][]engine.Redex, error) {
	calls := make([]Access, len(keyed))
	for i, rx := range keyed {
		rule, a, b := p.w.RuleFor(rx)
		ar, _ := ruleRunner(rule)
		acc, err := p.accessOf(ar, a, b)
		if err != nil {
			return nil, p.w.Fault(a, b, err)
		}
		calls[i] = acc
	}
	groups := p.Analyzer().Batches(calls)
	out := make([][]engine.Redex, len(groups))
	for k, g := range groups {
		out[k] = make([]engine.Redex, len(g))
		for j, i := range g {
			out[k][j] = keyed[i]
		}
	}
	return out, nil
}

// ruleRunner returns the runner of an action rule.
func ruleRunner(rule *engine.Rule) (*actionRunner, bool) {
	if rule == nil {
		return nil, false
	}
	ar, ok := rule.Owner.(*actionRunner)
	return ar, ok
}

// accessOf calls ar's Access for the agents a and b outside a run,
// turning a panic into a *PanicError.
func (p *ParallelNetwork) accessOf(ar *actionRunner, a, b engine.Port) (acc Access, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	// The handles carry no builder epoch, so Connect rejects them as
	// stale.
	left := Agent{n: p.Network, p: a, id: -1, epoch: staleEpoch}
	right := Agent{n: p.Network, p: b, id: -1, epoch: staleEpoch}
	return ar.callAccess(left, right)
}

// staleEpoch is the builder epoch of agent handles given to Access
// functions by Step, which no builder reaches.
const staleEpoch = ^uint64(0)
