//go:build !unix || race

package engine

import "unsafe"

const (
	// chunkBits sets the size of a chunk: 32 KiB, so that the 256 MiB
	// arena holds 8,192 stores.
	chunkBits = 12
	// maxChunks is the largest arena in chunks: 256 MiB.
	maxChunks = 1 << 13
)

// arenaWordsHeap is the arena when it lives on the Go heap.
var arenaWordsHeap []uint64

// reserveArena allocates the arena on the Go heap. Under the race
// detector that lets it check every access to a cell. Elsewhere than on
// Unix this package maps no memory itself. The slice contains no
// pointers, so the collector does not scan it. On Linux its pages take
// memory only once written.
func reserveArena() (unsafe.Pointer, uint64) {
	arenaWordsHeap = make([]uint64, maxChunks<<chunkBits)
	return unsafe.Pointer(&arenaWordsHeap[0]), maxChunks
}

// commitChunk has nothing to do: the heap's memory is writable.
func commitChunk(uint64) {}

// dropChunk leaves chunk c as it is: clearing it would make every page of
// it resident, and allocation never relies on a fresh cell being zero.
func dropChunk(uint64) {}
