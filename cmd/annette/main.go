// Command annette evaluates interaction nets.
//
// Usage:
//
//	annette version
//
// Run "annette help" for the list of commands.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the program or net failed
	exitUsage = 2 // bad command line
)

const usage = `annette evaluates interaction nets.

Usage:

	annette <command> [arguments]

Commands:

	version   print the version of annette and of Go
	help      print this help
`

// run carries out one command and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "version":
		fmt.Fprintf(stdout, "annette %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "annette: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// version returns the module version recorded in the binary, or "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
