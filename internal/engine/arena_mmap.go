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
// memory nor commit charge until commitChunk opens a chunk. The arena lies
// outside the garbage-collected heap: the collector neither scans nor
// counts it, and nothing in it points into that heap.
//
// A system that refuses the full size, as under ulimit -v, gets half of
// the largest size it accepts, down to 16 MiB, so that the Go heap keeps
// as much address space as the arena.
func reserveArena() (unsafe.Pointer, uint64) {
	const least = 16 << 20 / 8 >> chunkBits
	try := func(n uint64) ([]byte, error) {
		return unix.Mmap(-1, 0, int(n<<chunkBits*8), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON)
	}
	for n := uint64(maxChunks); ; n /= 2 {
		b, err := try(n)
		if err == nil && n < maxChunks && n/2 >= least {
			unix.Munmap(b)
			n /= 2
			b, err = try(n)
		}
		if err == nil {
			arenaMem = b
			return unsafe.Pointer(&b[0]), n
		}
		if n <= least {
			panic("engine: cannot reserve 16 MiB of address space for nets: " + err.Error())
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
