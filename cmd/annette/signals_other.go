//go:build !unix && !windows

package main

import "os"

// rawModeSignals lists the signals that restore the terminal's state
// while the REPL keeps it in raw mode (see restoreOnSignal). Systems
// such as js/wasm have no hangup signal.
var rawModeSignals = []os.Signal{os.Interrupt}
