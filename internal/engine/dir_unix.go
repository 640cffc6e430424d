//go:build unix

package engine

import (
	"runtime"
	"syscall"
	"unsafe"
)

// newDirectory maps a chunk directory from the operating system, outside
// the garbage-collected heap: the collector neither scans nor counts it,
// and its pages are zero and take no memory until an entry on them is
// written. The Store keeps its chunks alive through Store.all, since the
// collector does not see the pointers here. The mapping is released when
// s becomes unreachable; every Heap of s holds s, so none outlives it.
func newDirectory(s *Store) *[dirLen]*chunk {
	const size = int(unsafe.Sizeof([dirLen]*chunk{}))
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return new([dirLen]*chunk)
	}
	runtime.AddCleanup(s, func(b []byte) { syscall.Munmap(b) }, b)
	return (*[dirLen]*chunk)(unsafe.Pointer(&b[0]))
}
