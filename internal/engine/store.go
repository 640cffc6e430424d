package engine

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A store holds the cells of one net in chunks of the arena (see
// arena.go). A location is a word index into the arena: the chunk is
// loc>>chunkBits. Chunks never move, so a pointer to a cell stays valid
// while other goroutines grow the store.
const (
	chunkWords = 1 << chunkBits
	chunkMask  = chunkWords - 1

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
//
// A store and its heaps refer to each other and to nothing global, so
// that the store becomes unreachable when its net and all its heaps do.
// A cleanup then gives its chunks back to the arena.
type Store struct {
	mu     sync.Mutex // guards chunks.indexes, limit and the growth of heaps
	chunks *chunkList // the chunks this store has taken
	limit  int        // chunks the store may take, 0 for no limit but the arena's (tests)

	// heaps holds every heap of the store, heap number k at index k-1.
	// NewHeap publishes a longer copy with an atomic store. A heap takes
	// a chunk only after that, and every goroutine learns a location of
	// the chunk through an operation that synchronises with the
	// hand-out, so the copy it loads holds the chunk's owner.
	heaps atomic.Pointer[[]*Heap]

	words atomic.Int64 // words allocated in chunks, for statistics
}

// chunkList is the list of a store's chunks, apart from the store so
// that the store's cleanup can take it.
type chunkList struct{ indexes []uint64 }

// giveBack returns the chunks of l to the arena.
func (l *chunkList) giveBack() { giveBack(l.indexes) }

// NewStore returns an empty store.
func NewStore() *Store {
	setUpArena()
	s := &Store{chunks: &chunkList{}}
	runtime.AddCleanup(s, (*chunkList).giveBack, s.chunks)
	return s
}

// ErrStoreFull is the panic value of a store that has no room for
// another chunk. Runs stop with ErrMemoryLimit before that (see
// MemoryLimit), and Worker.Run turns the panic into that error when
// rules outrun the checks. Building a net outside a run may panic.
var ErrStoreFull = errors.New("engine: the memory reserved for nets is full")

// StoreFullError returns the error of a run stopped by a full store:
// ErrMemoryLimit at the limit that MemoryLimit sets for every run.
func StoreFullError() error {
	return &LimitError{Err: ErrMemoryLimit, Limit: MemoryLimit(0) * 8}
}

// MemoryLimit returns the store size limit in words that a run enforces
// when it is given the limit words (0 for none). That is words itself
// below the arena's size. Otherwise it is that size less a sixteenth,
// which leaves room for the interactions between two checks. The nets
// of a process share the arena, so a net can run out of room below its
// limit: the run then stops with the same error.
func MemoryLimit(words int64) int64 {
	capWords := arenaWords()
	hard := capWords - capWords/16
	if words <= 0 || words > hard {
		return hard
	}
	return words
}

// Words returns the number of words the store has allocated.
func (s *Store) Words() int64 { return s.words.Load() }

// reserve hands out a chunk to owner and returns its range of locations,
// all but the chunk's first word (see chunkHead).
func (s *Store) reserve(owner *Heap) (lo, hi uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit > 0 && len(s.chunks.indexes) >= s.limit {
		panic(ErrStoreFull)
	}
	// Taking a chunk may wait for a garbage collection, which does not
	// need s.mu: the cleanups it starts touch no store.
	c := takeChunk(owner.id)
	s.chunks.indexes = append(s.chunks.indexes, c)
	s.words.Add(chunkWords)
	return c<<chunkBits + 1, (c + 1) << chunkBits
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
	base  unsafe.Pointer // arena.base, kept here to save a load
	id    uint64         // the heap's number in its store, as chunks' first words hold it

	free      [freeMask + 1]uint64 // free-list heads by cell size; 0 ends a list
	bump, end uint64               // unused part of the current range

	// The ordered part: cells that placeAlloc hands out in address order
	// from chunks of their own (see placeAlloc).
	pbump, pend uint64   // unused part of the current block
	placed      []uint64 // the heap's ordered chunks, in the order taken
	pnext       int      // next block to look at, counted over placed
	pfound      int      // empty blocks found since the last pass began
	pheld       int      // blocks with live cells passed since the last pass began
	psparse     int      // those of them that held fewer than sparseCells
	pspare      int      // cells placeAlloc takes from the free lists before it looks again
	pcap        int64    // words the ordered chunks may take, 0 for no bound (see capPlaced)

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
	h := &Heap{store: s, base: arena.base}
	s.mu.Lock()
	defer s.mu.Unlock()
	var hs []*Heap
	if old := s.heaps.Load(); old != nil {
		hs = append(hs, *old...)
	}
	hs = append(hs, h)
	h.id = uint64(len(hs))
	s.heaps.Store(&hs)
	return h
}

// cell returns a pointer to the word at loc.
func (h *Heap) cell(loc uint64) *uint64 { return (*uint64)(h.word(loc)) }

// word returns a pointer to the word at loc. The cells of an agent lie in
// one chunk, so the word i places after it is at unsafe.Add(p, 8*i).
func (h *Heap) word(loc uint64) unsafe.Pointer { return unsafe.Add(h.base, loc<<3) }

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

// release puts the n-word cell at loc on the free list of the heap that
// owns its chunk. Reusing another heap's cells would put two parallel
// workers' hot agents on the same cache lines.
//
// NOTE: free cells stay with their owner. A net reduced again and again
// by many workers that take turns can therefore make the store grow
// towards the number of workers times the working set. One measurement:
// about 58 MiB instead of 10 for 400 tree sums on 8 workers.
func (h *Heap) release(loc uint64, n int) {
	c := h.cell(loc)
	switch hd := h.head(loc); {
	case hd == h.id:
		*c = h.free[n&freeMask]
		h.free[n&freeMask] = loc
	case hd&orderedChunk != 0:
		h.placeFree(loc)
	default:
		h.ownerOf(loc).remoteFree(loc, n, c)
	}
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

// ownerNumber returns the number of the heap that allocates from the
// chunk of loc, read from the chunk's first word (see chunkHead).
func (h *Heap) ownerNumber(loc uint64) uint64 { return h.head(loc) &^ orderedChunk }

// head returns the first word of the chunk of loc: the owner's number,
// with orderedChunk set in an ordered chunk.
func (h *Heap) head(loc uint64) uint64 { return *(*uint64)(h.word(loc &^ chunkMask)) }

// owns reports whether loc lies in a chunk of h that its free lists
// serve, that is, not in an ordered chunk.
func (h *Heap) owns(loc uint64) bool { return h.head(loc) == h.id }

// ownerOf returns the heap of h's store that allocates from the chunk of
// loc.
func (h *Heap) ownerOf(loc uint64) *Heap { return (*h.store.heaps.Load())[h.ownerNumber(loc)-1] }

// Live returns agents allocated minus agents freed through this heap.
func (h *Heap) Live() int64 { return h.allocs - h.frees }

// Allocs returns the number of agents allocated through this heap.
func (h *Heap) Allocs() int64 { return h.allocs }

// cells returns the n words starting at loc, which lie in one chunk.
func (h *Heap) cells(loc uint64, n int) []uint64 {
	return unsafe.Slice(h.cell(loc), n)
}
