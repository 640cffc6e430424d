package engine

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The arena is one range of address space, reserved once per process,
// that contains the cells of every store. Location loc is the word at
// base + 8*loc, so that reaching a cell is one addition. Against a
// directory of chunks per store, callgrind counted 8% fewer instructions
// on Fibonacci 25.
//
// The arena is cut into chunks of chunkWords words. A store takes chunks
// one at a time for its heaps. It gives them all back when it becomes
// unreachable, which is once its net and every heap are: nothing global
// refers to a store or a heap. A chunk thus belongs to one store at a
// time, and a location never reaches another store's heaps. The first
// word of each chunk names its owner (see chunkHead) and is never a
// cell. Chunk 0 is never handed out, so that a NODE word with location 0
// can stand for a nullary agent without storage.
//
// The operating-system part (arena_mmap.go, or arena_heap.go under the
// race detector and on systems without mmap) provides:
//
//   - reserveArena, which returns the arena's first word and its size in
//     chunks (at most maxChunks);
//   - commitChunk, which makes a chunk readable and writable before it
//     is first handed out;
//   - dropChunk, which gives a chunk's memory back to the system.
var arena struct {
	once   sync.Once
	base   unsafe.Pointer // location 0
	chunks uint64         // size of the reservation in chunks

	mu    sync.Mutex   // guards the fields below
	fresh uint64       // chunks below fresh have been handed out at least once
	free  []uint64     // indexes of chunks given back, to hand out again
	used  atomic.Int64 // chunks handed out and not given back, also loaded without the lock
	gcAt  int64        // used count at which takeChunk next collects garbage
}

// gcFloor is the number of chunks in use (64 MiB) below which takeChunk
// does not start a garbage collection of its own.
const gcFloor = 64 << 20 / 8 >> chunkBits

// setUpArena reserves the arena on first use.
func setUpArena() {
	arena.once.Do(func() {
		arena.base, arena.chunks = reserveArena()
		commitChunk(0)
		arena.fresh = 1
		arena.gcAt = gcFloor
	})
}

// takeChunk hands a chunk to the heap numbered owner of a store and
// returns its index. It panics with ErrStoreFull when the arena has no
// chunk left even after a garbage collection, which gives back the
// chunks of unreachable stores.
//
// The chunk's first word takes owner before any location of the chunk is
// handed out. Every goroutine learns a location through an operation
// that synchronises with that hand-out (a pair, a wire cell, a free
// list), so its plain load of the word finds owner.
func takeChunk(owner uint64) uint64 {
	for try := 0; ; try++ {
		c, ok, collect := takeChunkLocked(owner)
		if ok {
			if collect {
				collectOrDefer()
			}
			return c
		}
		if try == 10 {
			panic(ErrStoreFull)
		}
		// Cleanups run after the collection, on another goroutine, and
		// other goroutines may take the chunks they give back first:
		// wait up to about a second in all.
		//
		// NOTE: nothing makes the waiting fair. Several goroutines that
		// create nets in an arena filled to the last chunks have been
		// seen to fail here while the others took every freed chunk.
		runtime.GC()
		time.Sleep(time.Millisecond << try)
	}
}

// collectOrDefer runs a collection for the chunks in use, which have doubled
// since the last one. The chunks of unreachable stores go back to the
// arena only when the collector finds them, and their memory is outside
// the heap that paces the collector. A collection each time the chunks
// in use double makes up for the pacing they would have had.
//
// While the chunks take less than the Go heap's own goal and less than
// half the arena, the collector's pacing of that heap is left to find
// them. The next check then waits until they grow by that goal. Forcing
// a collection of a large heap for a few small stores made a churn of
// small networks 5.8 times slower.
func collectOrDefer() {
	sample := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(sample)
	var goalChunks int64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		goalChunks = int64(sample[0].Value.Uint64()) / (chunkWords * 8)
	}
	used := arena.used.Load()
	if used < goalChunks && used+goalChunks < int64(arena.chunks)/2 {
		arena.mu.Lock()
		arena.gcAt = used + goalChunks
		arena.mu.Unlock()
		return
	}
	runtime.GC()
}

// takeChunkLocked is takeChunk's part under the lock. collect reports that
// the chunks in use have doubled since takeChunk last collected.
func takeChunkLocked(owner uint64) (c uint64, ok, collect bool) {
	arena.mu.Lock()
	defer arena.mu.Unlock()
	if n := len(arena.free); n > 0 {
		c = arena.free[n-1]
		arena.free = arena.free[:n-1]
	} else {
		c = arena.fresh
		if c >= arena.chunks {
			return 0, false, false
		}
		commitChunk(c)
		arena.fresh++
	}
	*chunkHead(c) = owner
	used := arena.used.Add(1)
	if used >= arena.gcAt {
		arena.gcAt = 2 * used
		collect = true
	}
	return c, true, collect
}

// giveBack returns the chunks cs to the arena, their memory to the
// system. No heap may allocate from them or touch their cells after.
func giveBack(cs []uint64) {
	for _, c := range cs {
		dropChunk(c)
	}
	arena.mu.Lock()
	defer arena.mu.Unlock()
	for _, c := range cs {
		*chunkHead(c) = 0
	}
	arena.free = append(arena.free, cs...)
	used := arena.used.Add(-int64(len(cs)))
	arena.gcAt = max(arena.gcAt/2, 2*used, gcFloor)
}

// chunkHead returns the first word of chunk c. It contains the number of
// the heap that allocates from the chunk among its store's heaps, or 0
// while the chunk is free. The word is never handed out as a cell.
func chunkHead(c uint64) *uint64 {
	return (*uint64)(unsafe.Add(arena.base, c<<chunkBits<<3))
}

// arenaLow reports whether fewer than a sixteenth of the arena's chunks
// are left. Runs then stop with ErrMemoryLimit at their next memory
// check, between two interactions. The nets of a process share the
// arena, so one can find it full below its own limit. A store that finds
// no chunk in the middle of an interaction would leave it half done.
//
// Before it reports true it collects garbage once, so that the chunks of
// unreachable stores do not count.
//
// NOTE: a net then stops even if its free cells would carry it through
// without a new chunk; the check cannot tell.
func arenaLow() bool {
	low := func() bool { return int64(arena.chunks)-arena.used.Load() < int64(arena.chunks)/16 }
	if !low() {
		return false
	}
	runtime.GC()
	time.Sleep(time.Millisecond) // the cleanups run on another goroutine
	return low()
}

// arenaWords returns the size of the arena in words.
func arenaWords() int64 {
	setUpArena()
	return int64(arena.chunks) << chunkBits
}
