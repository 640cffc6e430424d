package engine

import (
	"sync/atomic"
	"unsafe"
)

// Ordered chunks. The free lists hand out the cell freed last, and the
// compiled rules rebuild agents in the cells of the pair, which keeps
// hot cells in the cache. A merge, though, writes out an element it
// carried and then goes on along another list: each element of its
// output takes the cell of an element of the other list. The output
// then alternates between the cells of two lists, and after a few
// rounds its cells lie all over the store. Walking it misses the cache
// at every element and its wire.
//
// The agents that such rules write out (see Template.inOrder) and the
// fresh wires in their slots come from placeAlloc instead: in address
// order, from chunks of their own. An ordered chunk is cut into blocks
// of blockWords words. placeAlloc takes cells from the current block one
// after the other, and when the block is used up it takes the next block
// whose cells have all been freed, in address order over the heap's
// ordered chunks. A cell is never taken out of a block that still holds
// live cells, so those blocks keep the order their lists were built in.
//
// Each block has two counts at the head of its chunk:
//
//   - the local count, cells allocated minus cells that the owning heap
//     freed, written by the owner only;
//   - the remote count, cells that other heaps freed, which they add
//     with an atomic add. Such cells go to no inbox.
//
// A block is empty when the two counts are equal. Only the owner reads
// that, with an atomic load of the remote count that synchronises with
// the adds of the other heaps, so their reads of the cells come before
// the owner's reuse. No other heap can change an empty block's counts,
// because none of its cells is live, so the owner resets both.
//
// Words 1 to blocksPerChunk of an ordered chunk hold the local counts,
// and the remote counts start at word 2*blocksPerChunk, on cache lines
// of their own. The cells of block 0 start after them.
const (
	// orderedChunk marks an ordered chunk in its first word, beside
	// the owner's number.
	orderedChunk = 1 << 62

	blockBits      = 9
	blockWords     = 1 << blockBits
	blocksPerChunk = chunkWords / blockWords

	remoteCounts = 2 * blocksPerChunk // word of block 0's remote count
	firstPlaced  = 3 * blocksPerChunk // first word of block 0's cells
)

// localCount returns the local count of the block of loc.
func (h *Heap) localCount(loc uint64) *uint64 {
	return (*uint64)(h.word(loc&^chunkMask + 1 + (loc&chunkMask)>>blockBits))
}

// remoteCount returns the remote count of the block of loc.
func (h *Heap) remoteCount(loc uint64) *uint64 {
	return (*uint64)(h.word(loc&^chunkMask + remoteCounts + (loc&chunkMask)>>blockBits))
}

// placeAlloc returns the location of a free n-word cell (1 ≤ n ≤
// maxWords), the next one in address order. The compiled loop does the
// same in place while the current block has room: a call there would
// make the loop keep its instruction pointer in memory. While the
// ordered part is sparse (see nextBlock), the cell comes from the free
// lists instead, in a chunk that is not ordered.
func (h *Heap) placeAlloc(n uint64) uint64 {
	if h.pbump+n > h.pend && !h.nextBlock() {
		return h.alloc(int(n))
	}
	l := h.pbump
	h.pbump += n
	*h.localCount(l)++
	return l
}

// placeFree counts the cell at loc, in an ordered chunk, as freed.
func (h *Heap) placeFree(loc uint64) {
	if h.head(loc) == h.id|orderedChunk {
		*h.localCount(loc)--
		return
	}
	atomic.AddUint64(h.remoteCount(loc), 1)
}

// sparseCells is the number of live cells below which a block counts as
// sparse. Placed cells are agents and the wires in their slots, mostly
// of one to three words, so a sparse block has less than a tenth of its
// words in use.
const sparseCells = blockWords / 32

// nextBlock makes the next empty block the current one, looking from
// where the last search stopped, and reports true. At the end of a pass
// over all the ordered chunks it starts another pass if this one found
// at least a quarter of their blocks empty. Otherwise it takes a new
// chunk: the ordered part grows while three quarters of its blocks hold
// live cells. Against a half, a quarter took a fifth less memory on
// merge sort 800,000 in the same time.
//
// It takes no chunk, though, when most of the blocks with live cells
// that the pass found are sparse. A few long-lived cells per block, such
// as elements that a program keeps of each list a merge writes out,
// keep every block from emptying. New chunks would then make the store
// grow by all the cells placed rather than by those kept. nextBlock
// reports false instead, and placeAlloc takes cells from the free lists
// until the next search, 16 cells for each ordered block later, so that
// the passes cost little.
//
//go:noinline
func (h *Heap) nextBlock() bool {
	if h.pspare > 0 {
		h.pspare--
		return false
	}

	total := len(h.placed) * blocksPerChunk
	for again := true; ; again = false {
		for h.pnext < total {
			c := h.placed[h.pnext/blocksPerChunk] << chunkBits
			b := uint64(h.pnext % blocksPerChunk)
			h.pnext++
			local := (*uint64)(h.word(c + 1 + b))
			remote := atomic.LoadUint64((*uint64)(h.word(c + remoteCounts + b)))
			if live := *local - remote; live != 0 {
				h.pheld++
				if live < sparseCells {
					h.psparse++
				}
				continue
			}
			*local = 0
			atomic.StoreUint64((*uint64)(h.word(c+remoteCounts+b)), 0)
			h.pbump, h.pend = c+b<<blockBits, c+(b+1)<<blockBits
			if b == 0 {
				h.pbump = c + firstPlaced
			}
			h.pfound++
			return true
		}
		if !again || h.pfound*4 < total {
			break
		}
		h.newPass()
	}

	if h.psparse*2 > h.pheld || h.pcap > 0 && int64(len(h.placed)+1)*chunkWords > h.pcap {
		h.newPass()
		h.pbump, h.pend = 0, 0
		h.pspare = 16 * max(total, blocksPerChunk)
		return false
	}

	lo, _ := h.store.reserve(h)
	c := lo &^ chunkMask
	*(*uint64)(h.word(c)) |= orderedChunk
	clear(unsafe.Slice((*uint64)(h.word(c+1)), firstPlaced-1))
	h.placed = append(h.placed, c>>chunkBits)
	h.pnext = (len(h.placed)-1)*blocksPerChunk + 1
	h.pfound++
	h.pbump, h.pend = c+firstPlaced, c+blockWords
	return true
}

// capPlaced bounds the words that h's ordered chunks may take; 0 lifts
// the bound. Runs with a memory limit give each heap a share of a
// quarter of it. Ordered chunks take more memory than the free lists for
// the same cells, and a net that fits under the limit without them must
// not stop because of them. Past the bound, placeAlloc takes cells from
// the free lists. With half of the limit, merge sort 800,000 still
// failed under 32 MiB, which it needs 24 MiB for without placing.
//
// NOTE: a net that comes within a tenth of a limit without placing may
// now stop at that limit. Merge sort 800,000 on two workers peaked at
// 33.4 MB without placing and passed a limit of 32 MiB (33.6 MB). With a
// quarter of the limit placed, it stopped there.
func (h *Heap) capPlaced(words int64) { h.pcap = max(words, 0) }

// newPass makes the next search start a pass over the ordered chunks
// from the first block.
func (h *Heap) newPass() {
	h.pnext, h.pfound, h.pheld, h.psparse = 0, 0, 0, 0
}
