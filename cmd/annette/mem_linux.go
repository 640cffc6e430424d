package main

import (
	"os"
	"syscall"
)

// defaultMaxMemoryMiB returns half of the machine's memory in MiB, so that
// a program that grows forever stops with an error before the system runs
// out of memory. The limit applies to the net's store and pair stacks. A
// runaway program was measured at about 1.3 times the limit in all (1.5
// for one that only multiplies active pairs), so half leaves room for the
// rest of the process and the system.
func defaultMaxMemoryMiB() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	total := uint64(si.Totalram) * uint64(si.Unit)
	return int64(total / 2 >> 20)
}

// maxRSS returns the peak resident memory of a finished process, in
// bytes.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss) << 10 // Linux reports kilobytes
	}
	return 0
}
