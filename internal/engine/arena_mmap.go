//go:build unix && !race

package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// chunkBits sets the size of a chunk: 256 KiB.
	chunkBits = 15
	// maxChunks is the largest arena in chunks: 512 GiB of address space.
	maxChunks = 1 << 21
)

// arenaMem is the whole reservation, for mprotect and madvise.
var arenaMem []byte

// reserveArena maps the arena with no access, so that it takes neither
// memory nor commit charge until commitChunk opens a chunk. A system that
// refuses the full size gets half as much, down to 1 GiB. The arena lies
// outside the garbage-collected heap: the collector neither scans nor
// counts it, and nothing in it points into that heap.
func reserveArena() (unsafe.Pointer, uint64) {
	for n := uint64(maxChunks); ; n /= 2 {
		b, err := unix.Mmap(-1, 0, int(n<<chunkBits*8), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err == nil {
			arenaMem = b
			return unsafe.Pointer(&b[0]), n
		}
		if n <= 1<<(30-3-chunkBits) {
			panic("engine: cannot reserve 1 GiB of address space for nets: " + err.Error())
		}
	}
}

// chunkBytes returns the bytes of chunk c.
func chunkBytes(c uint64) []byte {
	const size = chunkWords * 8
	return arenaMem[c*size : (c+1)*size : (c+1)*size]
}

// commitChunk makes chunk c readable and writable.
func commitChunk(c uint64) {
	if err := unix.Mprotect(chunkBytes(c), unix.PROT_READ|unix.PROT_WRITE); err != nil {
		panic(ErrStoreFull)
	}
}

// dropChunk gives the memory of chunk c back to the system. On Linux its
// pages read as zero when next touched. Elsewhere they may keep their
// words, and that is allowed, since allocation never relies on a fresh
// cell being zero.
func dropChunk(c uint64) {
	unix.Madvise(chunkBytes(c), unix.MADV_DONTNEED)
}
