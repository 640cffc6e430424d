//go:build unix || windows

package main

import (
	"os"
	"syscall"
)

// rawModeSignals lists the signals that restore the terminal's state
// while the REPL keeps it in raw mode (see restoreOnSignal).
var rawModeSignals = []os.Signal{syscall.SIGTERM, syscall.SIGHUP, os.Interrupt}
