package annette

import (
	"container/list"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
)

// Access names the state outside its two agents that one call of an
// action rule touches. Keys are opaque strings chosen by the rule's
// author, such as "account:42". Two calls conflict when one of them
// writes a key that the other reads or writes. Reads never conflict with
// reads, and a call with no keys conflicts with nothing. A key listed in
// both Reads and Writes counts as written.
type Access struct {
	Reads  []string // keys that the call reads
	Writes []string // keys that the call writes, and may read
}

// empty reports whether a names no key.
func (a Access) empty() bool { return len(a.Reads) == 0 && len(a.Writes) == 0 }

// AnalyzerConfig holds the settings of a [RuleDependencyAnalyzer]. The
// zero value is usable.
type AnalyzerConfig struct {
	// MaxBatch is the largest number of calls in one batch. Zero or less
	// means no limit.
	MaxBatch int
	// MinBatch is the size below which a batch is dissolved into the
	// others when each of its calls fits into another batch without a
	// conflict and within MaxBatch. Zero means 2, so that a batch of a
	// single call is dissolved when it can be. 1 or less turns
	// dissolving off.
	MinBatch int
	// CacheSize is the number of analyses kept for reuse, each under the
	// keys of its calls in order. The least recently used one is dropped
	// first. A cached analysis keeps its key list, so the memory held
	// grows with CacheSize times the size of the inputs. Zero means 64,
	// and a negative value turns the cache off.
	CacheSize int
}

// AnalyzerStats reports the work of a [RuleDependencyAnalyzer] since it
// was made.
type AnalyzerStats struct {
	Analyses  int64 // calls of Batches with at least one call
	CacheHits int64 // analyses returned from the cache
	Batches   int64 // batches returned, over all analyses
}

// RuleDependencyAnalyzer splits the ready calls of action rules that
// touch shared state into batches of calls that do not conflict, so that
// the calls of one batch may run at the same time. [ParallelNetwork.Step]
// uses one to order the pairs whose rules declare an [Access].
//
// It colours the conflict graph of the calls without building its edges.
// Calls are placed one at a time, those with the most potential
// conflicts first, each into the first batch that holds no conflicting
// call and has room. Per key, it remembers which batches read it and
// which write it, so a key written by 10,000 calls costs 10,000 entries,
// not 50 million edges. The result depends only on the input: the same
// calls in the same order give the same batches.
//
// A RuleDependencyAnalyzer is safe for concurrent use.
type RuleDependencyAnalyzer struct {
	maxBatch, minBatch, cacheSize int

	analyses, hits, batches atomic.Int64 // counters for Stats only, which order nothing else

	mu    sync.Mutex               // guards cache and order
	cache map[string]*list.Element // signature → element of order
	order *list.List               // of *cacheEntry, most recently used first
}

// cacheEntry is one cached analysis.
type cacheEntry struct {
	sig     string
	batches [][]int
}

// NewRuleDependencyAnalyzer returns an analyzer with the settings of cfg.
func NewRuleDependencyAnalyzer(cfg AnalyzerConfig) *RuleDependencyAnalyzer {
	a := &RuleDependencyAnalyzer{maxBatch: cfg.MaxBatch, minBatch: cfg.MinBatch, cacheSize: cfg.CacheSize}
	if a.maxBatch < 0 {
		a.maxBatch = 0
	}
	if a.minBatch == 0 {
		a.minBatch = 2
	}
	if a.cacheSize == 0 {
		a.cacheSize = 64
	}
	if a.cacheSize > 0 {
		a.cache = map[string]*list.Element{}
		a.order = list.New()
	}
	return a
}

// Stats returns the analyzer's counters.
func (a *RuleDependencyAnalyzer) Stats() AnalyzerStats {
	return AnalyzerStats{Analyses: a.analyses.Load(), CacheHits: a.hits.Load(), Batches: a.batches.Load()}
}

// Batches splits calls into batches of calls that do not conflict with
// each other (see [Access]). Each batch lists indices into calls in
// increasing order, and every index is in exactly one batch. Batches are
// not empty and hold at most MaxBatch calls. It returns nil for no
// calls. The caller owns the result.
func (a *RuleDependencyAnalyzer) Batches(calls []Access) [][]int {
	if len(calls) == 0 {
		return nil
	}
	a.analyses.Add(1)
	in := intern(calls)
	var sig string
	if a.cache != nil {
		sig = in.signature()
		if out, ok := a.lookup(sig); ok {
			a.hits.Add(1)
			a.batches.Add(int64(len(out)))
			return out
		}
	}
	out := in.colour(a.maxBatch, a.minBatch)
	a.batches.Add(int64(len(out)))
	if a.cache != nil {
		a.store(sig, out)
	}
	return out
}

// lookup returns a copy of the cached batches for sig.
func (a *RuleDependencyAnalyzer) lookup(sig string) ([][]int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.cache[sig]
	if !ok {
		return nil, false
	}
	a.order.MoveToFront(e)
	return cloneBatches(e.Value.(*cacheEntry).batches), true
}

// store caches a copy of batches under sig, dropping the least recently
// used entry when the cache is full.
func (a *RuleDependencyAnalyzer) store(sig string, batches [][]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[sig]; ok {
		return // another goroutine stored the same analysis meanwhile
	}
	if a.order.Len() >= a.cacheSize {
		old := a.order.Remove(a.order.Back()).(*cacheEntry)
		delete(a.cache, old.sig)
	}
	a.cache[sig] = a.order.PushFront(&cacheEntry{sig: sig, batches: cloneBatches(batches)})
}

// cloneBatches copies batches into one backing array.
func cloneBatches(batches [][]int) [][]int {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	flat := make([]int, 0, n)
	out := make([][]int, len(batches))
	for i, b := range batches {
		flat = append(flat, b...)
		out[i] = flat[len(flat)-len(b) : len(flat) : len(flat)]
	}
	return out
}

// keyUse is one key of one call, by its interned number.
type keyUse struct {
	key   int32
	write bool
}

// interned is the calls of one analysis with their keys numbered, sorted
// and without duplicates.
type interned struct {
	names []string // key number → key
	uses  []keyUse // the keys of all calls, call after call
	start []int32  // call i's keys are uses[start[i]:start[i+1]]
}

// intern numbers the keys of calls in order of first use.
func intern(calls []Access) *interned {
	in := &interned{start: make([]int32, 0, len(calls)+1)}
	ids := map[string]int32{}
	id := func(k string) int32 {
		n, ok := ids[k]
		if !ok {
			n = int32(len(in.names))
			ids[k] = n
			in.names = append(in.names, k)
		}
		return n
	}
	for _, c := range calls {
		lo := len(in.uses)
		in.start = append(in.start, int32(lo))
		for _, k := range c.Writes {
			in.uses = append(in.uses, keyUse{id(k), true})
		}
		for _, k := range c.Reads {
			in.uses = append(in.uses, keyUse{id(k), false})
		}
		// Sort by key, writes first, and keep the first use of each key,
		// so that a key both read and written counts as written.
		own := in.uses[lo:]
		slices.SortFunc(own, func(x, y keyUse) int {
			if x.key != y.key {
				return int(x.key - y.key)
			}
			if x.write == y.write {
				return 0
			}
			if x.write {
				return -1
			}
			return 1
		})
		own = slices.CompactFunc(own, func(x, y keyUse) bool { return x.key == y.key })
		in.uses = in.uses[:lo+len(own)]
	}
	in.start = append(in.start, int32(len(in.uses)))
	return in
}

// keysOf returns call i's keys.
func (in *interned) keysOf(i int) []keyUse { return in.uses[in.start[i]:in.start[i+1]] }

// signature encodes the keys of every call, in call order, as the cache
// key. Keys are numbered in order of first use, so the encoding of each
// key's text appears once, and two inputs with the same signature have
// the same conflicts call for call.
func (in *interned) signature() string {
	size := 8 * (len(in.start) + len(in.uses))
	for _, k := range in.names {
		size += len(k) + 4
	}
	buf := make([]byte, 0, size)
	buf = binary.AppendUvarint(buf, uint64(len(in.names)))
	for _, k := range in.names {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
	}
	for i := range len(in.start) - 1 {
		uses := in.keysOf(i)
		buf = binary.AppendUvarint(buf, uint64(len(uses)))
		for _, u := range uses {
			v := uint64(u.key) << 1
			if u.write {
				v |= 1
			}
			buf = binary.AppendUvarint(buf, v)
		}
	}
	return string(buf)
}

// skipSet is a set of batch numbers per key, with a fast search for the
// first batch at or after b that is not in the set. An entry b → v means
// that every batch from b up to v, but not v, is in the set. The search
// follows entries and shortens the paths it took, as in a union-find
// structure.
type skipSet map[uint64]int32

func skipKey(key, batch int32) uint64 { return uint64(key)<<32 | uint64(uint32(batch)) }

// next returns the first batch at or after b that key does not have.
func (s skipSet) next(key, b int32) int32 {
	r := b
	for {
		v, ok := s[skipKey(key, r)]
		if !ok {
			break
		}
		r = v
	}
	// Point the path at its end, so later searches skip it at once.
	for b != r {
		v := s[skipKey(key, b)]
		s[skipKey(key, b)] = r
		b = v
	}
	return r
}

// add puts batch b in key's set.
func (s skipSet) add(key, b int32) {
	if _, ok := s[skipKey(key, b)]; !ok {
		s[skipKey(key, b)] = b + 1
	}
}

// colouring is the state of one analysis.
type colouring struct {
	in       *interned
	maxBatch int
	members  [][]int // calls in each batch
	size     []int   // calls in each batch, with planned moves while dissolving
	// written has, per key, the batches in which a call writes it, and
	// touched the batches in which a call reads or writes it. A reader
	// avoids written batches and a writer avoids touched ones.
	written, touched skipSet
	// closed has, under key 0, the batches that are full or dissolved.
	closed skipSet
}

// colour returns the batches of in.
func (in *interned) colour(maxBatch, minBatch int) [][]int {
	n := len(in.start) - 1
	// Each use of a key adds at most one entry to touched and to written.
	c := &colouring{in: in, maxBatch: maxBatch, closed: skipSet{},
		written: make(skipSet, len(in.uses)), touched: make(skipSet, len(in.uses))}

	// Count each key's readers and writers, and estimate each call's
	// number of conflicts from them: a writer conflicts with every other
	// use of its key, a reader with the writers. Calls that share more
	// than one key are counted once per key, which is good enough to
	// order them.
	readers := make([]int, len(in.names))
	writers := make([]int, len(in.names))
	for _, u := range in.uses {
		if u.write {
			writers[u.key]++
		} else {
			readers[u.key]++
		}
	}
	degree := make([]int, n)
	for i := range n {
		for _, u := range in.keysOf(i) {
			if u.write {
				degree[i] += readers[u.key] + writers[u.key] - 1
			} else {
				degree[i] += writers[u.key]
			}
		}
	}

	// Place the most constrained calls first, while most batches still
	// have room, and break ties by index so that the result is the same
	// on every run.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return degree[y] - degree[x] })
	for _, i := range order {
		b := c.fit(i, -1)
		if int(b) == len(c.members) {
			c.members = append(c.members, nil)
			c.size = append(c.size, 0)
		}
		c.place(i, b)
	}

	if minBatch > 1 {
		c.dissolve(minBatch)
	}
	var out [][]int
	for _, m := range c.members {
		if len(m) > 0 {
			slices.Sort(m)
			out = append(out, m)
		}
	}
	return out
}

// maxFitJumps bounds the batches that fit looks at for one call.
const maxFitJumps = 64

// fit returns the first batch other than skip into which call i fits:
// one with room and without a call it conflicts with. The result may be
// len(c.members), a new batch, which it also returns when the search
// takes more than maxFitJumps steps.
func (c *colouring) fit(i int, skip int32) int32 {
	uses := c.in.keysOf(i)
	b := int32(0)
	for jumps := 0; ; jumps++ {
		if jumps == maxFitJumps {
			// Keys whose batches interleave, such as two accounts that
			// calls touch in turn, can make each jump advance by one
			// batch only. Opening a new batch is always right, and keeps
			// the analysis linear.
			return int32(len(c.members))
		}
		b = c.closed.next(0, b)
		if b == skip {
			b++
			continue
		}
		moved := false
		for _, u := range uses {
			var nb int32
			if u.write {
				nb = c.touched.next(u.key, b)
			} else {
				nb = c.written.next(u.key, b)
			}
			if nb != b {
				b, moved = nb, true
				break
			}
		}
		if moved {
			continue
		}
		// A batch with planned moves can be full without being closed.
		if c.maxBatch > 0 && int(b) < len(c.size) && c.size[b] >= c.maxBatch {
			b++
			continue
		}
		return b
	}
}

// place adds call i to batch b.
func (c *colouring) place(i int, b int32) {
	c.members[b] = append(c.members[b], i)
	c.grow(b)
	for _, u := range c.in.keysOf(i) {
		c.touched.add(u.key, b)
		if u.write {
			c.written.add(u.key, b)
		}
	}
}

// grow counts one more call in batch b, closing b when it is full.
func (c *colouring) grow(b int32) {
	c.size[b]++
	if c.maxBatch > 0 && c.size[b] >= c.maxBatch {
		c.closed.add(0, b)
	}
}

// dissolve empties the batches smaller than minBatch, from the last to
// the first, whose every call fits into another batch: one without a
// conflicting call and with room. A batch that cannot be emptied whole
// stays as it is. Moving calls never makes two conflicting calls share a
// batch: the calls of the dissolved batch do not conflict with each
// other, and each avoids the calls of its new batch.
//
// The first pass puts most calls into the first batch they fit at that
// time, and batches only gain calls, so such a call never fits into an
// earlier batch here. It can fit into a later one, made after it was
// placed. A call for which fit gave up after maxFitJumps went into a new
// batch, and may fit into an earlier one.
func (c *colouring) dissolve(minBatch int) {
	for s := int32(len(c.members)) - 1; s >= 0; s-- {
		m := c.members[s]
		if len(m) == 0 || len(m) >= minBatch {
			continue
		}
		// Plan a move for each call. The planned moves count in size, so
		// that two calls do not both take a batch's last place.
		targets := make([]int32, 0, len(m))
		for _, i := range m {
			t := c.fit(i, s)
			if int(t) >= len(c.members) {
				break
			}
			targets = append(targets, t)
			c.size[t]++
		}
		for _, t := range targets {
			c.size[t]--
		}
		if len(targets) < len(m) {
			continue
		}
		for k, i := range m {
			c.place(i, targets[k])
		}
		c.members[s] = nil
		c.size[s] = 0
		c.closed.add(0, s)
	}
}
