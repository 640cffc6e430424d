package engine

import (
	"errors"
	"sync"
	"sync/atomic"
)

// The store is a directory of chunks of words. A location is a word index:
// the chunk is loc>>chunkBits and the word is loc&chunkMask within it.
// Chunks are allocated once and never moved or freed while the store
// lives, so a pointer to a cell stays valid while other goroutines grow
// the store.
//
// The directory is an array of fixed size, so that finding a chunk is one
// load with no bounds check and no reload after another heap has grown
// the store. Measured against a growing slice that each heap cached and
// reloaded when a location was past it: the tree sum ran 13% faster and
// Fibonacci 6%. The price is a store of at most dirLen chunks (64 GiB)
// and a directory of 2 MiB of address space per store. On Unix it is
// mapped outside the Go heap, so only its pages in use take memory and
// the garbage collector does not scan it. On the heap, the collector's
// scans made a process that created 3000 networks 6 times slower.
const (
	chunkBits  = 15
	chunkWords = 1 << chunkBits
	chunkMask  = chunkWords - 1

	dirBits = 18
	dirLen  = 1 << dirBits

	// capWords is the capacity of a store in words.
	capWords = dirLen << chunkBits

	// MaxArity is the largest number of auxiliary ports an agent type may
	// have.
	MaxArity = 16
	maxWords = MaxArity + 1 // auxiliary ports plus a value handle

	// freeMask+1 is the number of free lists, a power of two above
	// maxWords so that a list index masked with freeMask needs no bounds
	// check.
	freeMask = 31
)

// ChunkWords is the size in words of the chunks that each heap takes
// from the store to allocate from.
const ChunkWords = chunkWords

// Store owns the memory of one net. Its methods are safe for concurrent
// use; the hot path goes through a [Heap].
type Store struct {
	mu        sync.Mutex // guards firstUsed, all and the entries of dir
	firstUsed bool       // chunk 0 has gone to a heap
	all       []*chunk   // the chunks, in directory order; keeps them alive

	// dir is the chunk directory. A grower writes the entry of a new
	// chunk, under mu, before it hands out any location inside the chunk.
	// A goroutine learns a location only through an operation that
	// synchronises with that hand-out (a pair, a wire cell, a free list),
	// so its plain load of the entry finds the chunk. Entries are never
	// written again. It may lie outside the garbage-collected heap (see
	// newDirectory), so all holds the references that keep chunks alive.
	dir *[dirLen]*chunk

	words atomic.Int64 // words allocated in chunks, for statistics
}

// NewStore returns an empty store. Location 0 is reserved so that a NODE
// word with location 0 can stand for a nullary agent without storage.
func NewStore() *Store {
	s := &Store{all: []*chunk{new(chunk)}}
	s.dir = newDirectory(s)
	s.dir[0] = s.all[0]
	s.words.Store(chunkWords)
	return s
}

// ErrStoreFull is the panic value of a store that has no room for
// another chunk. Runs stop with ErrMemoryLimit before that (see
// MemoryLimit), and Worker.Run turns the panic into that error when
// rules outrun the checks. Building a net outside a run may panic.
var ErrStoreFull = errors.New("engine: the store is full (64 GiB)")

// StoreFullError returns the error of a run stopped by a full store:
// ErrMemoryLimit at the limit that MemoryLimit sets for every run.
func StoreFullError() error {
	return &LimitError{Err: ErrMemoryLimit, Limit: MemoryLimit(0) * 8}
}

// MemoryLimit returns the store size limit in words that a run enforces
// when it is given the limit words (0 for none). That is words itself
// below the store's capacity. Otherwise it is the capacity less a
// sixteenth, which leaves room for the interactions between two checks.
func MemoryLimit(words int64) int64 {
	const hard = capWords - capWords/16
	if words <= 0 || words > hard {
		return hard
	}
	return words
}

// chunk is one block of the store, owned by the one heap that allocates
// from it. Cells of a chunk that another heap frees go back to the owner
// (see Heap.release): reusing them would put two parallel workers' hot
// agents on the same cache lines. The owner pointer comes first so that
// the garbage collector scans only that word of the chunk.
//
// NOTE: free cells stay with their owner. A net reduced again and again
// by many workers that take turns can therefore make the store grow
// towards the number of workers times the working set. One measurement:
// about 58 MiB instead of 10 for 400 tree sums on 8 workers. Nothing
// moves cells or chunks between heaps yet.
type chunk struct {
	owner *Heap
	w     [chunkWords]uint64
}

// Words returns the number of words the store has allocated.
func (s *Store) Words() int64 { return s.words.Load() }

// reserve hands out a chunk to owner and returns the range of it that
// owner may allocate: a new chunk, or chunk 0 without location 0 the first
// time.
func (s *Store) reserve(owner *Heap) (lo, hi uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.firstUsed {
		// No location of chunk 0 has been handed out, so no other heap
		// reads its owner before this store is published to it.
		s.firstUsed = true
		s.dir[0].owner = owner
		return 1, chunkWords
	}
	c := uint64(len(s.all))
	if c >= dirLen {
		panic(ErrStoreFull)
	}
	s.all = append(s.all, &chunk{owner: owner})
	s.dir[c] = s.all[c]
	s.words.Add(chunkWords)
	return c << chunkBits, (c + 1) << chunkBits
}

// Heap allocates cells of a store for one goroutine: a sequential reducer,
// a parallel worker or the builder of a net. It keeps its own free lists,
// so allocation takes no lock and no atomic operation except when the
// current range is used up.
//
// A Heap is owned by one goroutine at a time. A cell allocated by one
// heap may be freed by another, which sends it back to the first.
type Heap struct {
	_     [cacheLine]byte // keeps other heaps' hot fields off these cache lines
	store *Store
	dir   *[dirLen]*chunk // store.dir, kept here to save a load

	free      [freeMask + 1]uint64 // free-list heads by cell size; 0 ends a list
	bump, end uint64               // unused part of the current range

	// Agent counters: agents allocated and freed through this heap. Live
	// agents of a net are the sum over its heaps of allocs minus frees.
	allocs, frees int64
	vars          int64 // wire cells allocated minus freed
	_             [cacheLine]byte

	// inbox holds, by cell size, the lists of cells of this heap's chunks
	// that other heaps have freed. They push with compare-and-swap; the
	// owner takes a whole list with one swap, so no pop races a push.
	inbox [freeMask + 1]atomic.Uint64
	_     [cacheLine]byte
}

// cacheLine is a size at least that of a cache line (and of a pair of
// adjacent lines that some processors fetch together).
const cacheLine = 128

// NewHeap returns a heap that allocates from s.
func NewHeap(s *Store) *Heap {
	return &Heap{store: s, dir: s.dir}
}

// cell returns a pointer to the word at loc.
func (h *Heap) cell(loc uint64) *uint64 {
	return &h.dir[loc>>chunkBits&(dirLen-1)].w[loc&chunkMask]
}

// load reads the word at loc with a plain load.
func (h *Heap) load(loc uint64) Port { return Port(*h.cell(loc)) }

// store writes the word at loc with a plain store.
func (h *Heap) put(loc uint64, p Port) { *h.cell(loc) = uint64(p) }

// alloc returns the location of a free cell of n words (n ≥ 1). The
// content of the cell is undefined.
func (h *Heap) alloc(n int) uint64 {
	if l := h.free[n]; l != 0 {
		h.free[n] = *h.cell(l)
		return l
	}
	return h.bumpAlloc(n)
}

// bumpAlloc allocates n words from the current range. It is called when
// the free list of n-word cells is empty.
//
// Cells that other heaps freed wait in the inbox until the current range
// is used up. Taking them as soon as the free list runs dry would read
// the inbox word at every allocation from the range. That cache line
// would then move between the cores at every cell sent back. Waiting
// costs at most one range of extra memory.
//
//go:noinline
func (h *Heap) bumpAlloc(n int) uint64 {
	if h.bump+uint64(n) > h.end {
		if h.takeInbox(); h.free[n] != 0 {
			l := h.free[n]
			h.free[n] = *h.cell(l)
			return l
		}
		h.refill()
	}
	l := h.bump
	h.bump += uint64(n)
	return l
}

// takeInbox moves the cells that other heaps sent back onto the free
// lists that are empty. The swap takes a whole list, and the pusher's
// compare-and-swap published the links written into its cells. A
// non-empty free list keeps its inbox for a later range: cells of that
// size are not taken from the range meanwhile, so none pile up.
func (h *Heap) takeInbox() {
	for k := range h.inbox {
		// The load spares the swap's locked instruction while the inbox
		// is empty.
		if h.free[k] == 0 && h.inbox[k].Load() != 0 {
			h.free[k] = h.inbox[k].Swap(0)
		}
	}
}

func (h *Heap) refill() {
	if h.bump < h.end {
		// Keep the rest of the old range for cells of its size.
		rest := h.end - h.bump
		if rest <= maxWords {
			*h.cell(h.bump) = h.free[rest]
			h.free[rest] = h.bump
		}
	}
	h.bump, h.end = h.store.reserve(h)
}

// release puts the n-word cell at loc on the free list.
func (h *Heap) release(loc uint64, n int) {
	ch := h.chunkOf(loc)
	c := &ch.w[loc&chunkMask]
	if ch.owner != h {
		ch.owner.remoteFree(loc, n, c)
		return
	}
	*c = h.free[n&freeMask]
	h.free[n&freeMask] = loc
}

// remoteFree pushes the n-word cell at loc, whose word is at c, onto h's
// inbox. The compare-and-swap publishes the link written into the cell to
// h, which takes the list with a swap. It is kept out of line so that
// release stays small enough to inline.
//
//go:noinline
func (h *Heap) remoteFree(loc uint64, n int, c *uint64) {
	ib := &h.inbox[n&freeMask]
	for {
		old := ib.Load()
		*c = old
		if ib.CompareAndSwap(old, loc) {
			return
		}
	}
}

// chunkOf returns the chunk that holds loc.
func (h *Heap) chunkOf(loc uint64) *chunk {
	return h.dir[loc>>chunkBits&(dirLen-1)]
}

// Live returns agents allocated minus agents freed through this heap.
func (h *Heap) Live() int64 { return h.allocs - h.frees }

// Allocs returns the number of agents allocated through this heap.
func (h *Heap) Allocs() int64 { return h.allocs }

// cells returns the n words starting at loc, which lie in one chunk.
func (h *Heap) cells(loc uint64, n int) []uint64 {
	o := loc & chunkMask
	return h.dir[loc>>chunkBits&(dirLen-1)].w[o : o+uint64(n) : o+uint64(n)]
}
