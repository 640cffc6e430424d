//go:build !linux

package main

import "os"

// defaultMaxMemoryMiB returns 0 (no limit) where the machine's memory
// size is not read.
func defaultMaxMemoryMiB() int64 { return 0 }

// maxRSS returns 0: the peak memory of a process is not read here.
func maxRSS(*os.ProcessState) int64 { return 0 }
