//go:build !unix

package engine

// newDirectory allocates a chunk directory on the Go heap, where the
// garbage collector scans its 2 MiB on every cycle. Unix systems map it
// outside the heap instead (dir_unix.go).
func newDirectory(s *Store) *[dirLen]*chunk { return new([dirLen]*chunk) }
