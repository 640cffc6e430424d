//go:build !linux

package main

// defaultMaxMemoryMiB returns 0 (no limit) where the machine's memory
// size is not read.
func defaultMaxMemoryMiB() int64 { return 0 }
