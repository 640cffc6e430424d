// Command annette evaluates interaction nets.
//
// Usage:
//
//	annette run [flags] [FILE]           run a program in the text language
//	annette repl [flags]                 read and run statements interactively
//	annette bench [flags] [PROGRAM ...]  time programs at several worker counts
//	annette dot [flags] [FILE]           draw the net of a program in DOT
//	annette version                      print the version
//
// Run "annette help" for the list of commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

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

	run       run a program file in the text language (Inpla's language)
	repl      read and run statements interactively
	bench     time programs at several worker counts
	dot       draw the net of a program with Graphviz (DOT output)
	version   print the version of annette and of Go
	help      print this help, or with a command its flags

Run "annette <command> -h" for the flags of a command.
`

// run carries out one command and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdin, stdout, stderr)
	case "repl":
		return cmdRepl(args[1:], stdin, stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "dot":
		return cmdDot(args[1:], stdin, stdout, stderr)
	case "version", "-version", "--version":
		// Many tools print their version for -version or --version, so
		// those are accepted too.
		if len(args) == 2 && slices.Contains([]string{"-h", "-help", "--help"}, args[1]) {
			// The usage text promises "annette <command> -h" for every command.
			fmt.Fprint(stdout, "usage: annette version\n\nPrints the version of annette, of Go and the platform. It takes no flags.\n")
			return exitOK
		}
		if len(args) > 1 {
			fmt.Fprintf(stderr, "annette: %s takes no arguments, found %q\n", args[0], args[1])
			return exitUsage
		}
		fmt.Fprintf(stdout, "annette %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "help", "-h", "-help", "--help":
		switch {
		case len(args) == 1:
			fmt.Fprint(stdout, usage)
			return exitOK
		case len(args) == 2 && slices.Contains([]string{"run", "repl", "bench", "dot"}, args[1]):
			// "annette help run" is "annette run -h".
			return run([]string{args[1], "-h"}, stdin, stdout, stderr)
		case len(args) == 2 && slices.Contains([]string{"version", "-version", "--version", "help"}, args[1]):
			fmt.Fprint(stdout, usage)
			return exitOK
		case len(args) == 2:
			fmt.Fprintf(stderr, "annette: unknown command %q\n\n%s", args[1], usage)
			return exitUsage
		}
		fmt.Fprintf(stderr, "annette: %s takes at most one command, found %q\n", args[0], args[1:])
		return exitUsage
	}
	if a := args[0]; a == "-f" || strings.HasSuffix(a, ".in") {
		// Inpla takes a program with -f, or people try the file alone.
		fmt.Fprintf(stderr, "annette: unknown command %q; to run a program, use: annette run FILE\n", a)
		return exitUsage
	}
	fmt.Fprintf(stderr, "annette: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// version returns the module version recorded in the binary, or "devel".
// go build in a checkout records a version made of the commit's date and
// hash, unless -buildvcs=false is set.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// parseFlags parses args with fs, whose Usage prints the full help to
// fs.Output(). For -h it prints the help to stdout and reports exitOK;
// for a bad flag it prints the error and a pointer to -h rather than the
// whole help to stderr, and reports exitUsage. ok is true when the
// command should go on.
func parseFlags(name string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (status int, ok bool) {
	usage := fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	fs.Usage = usage
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		usage()
		fs.SetOutput(stderr)
		return exitOK, false
	}
	return badUsage(name, err, stderr), false
}

// flagAfterFile returns the first argument in args that starts with "-".
// Callers pass the arguments after the program file. The flag package
// stops at the first argument that is not a flag, so a flag written after
// the file ends up there.
func flagAfterFile(args []string) (string, bool) {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return a, true
		}
	}
	return "", false
}

// badUsage prints err for a bad command line of subcommand name, with a
// pointer to its help, and returns exitUsage.
func badUsage(name string, err error, stderr io.Writer) int {
	fmt.Fprintf(stderr, "annette %s: %v\nRun 'annette %s -h' to list the flags.\n", name, err, name)
	return exitUsage
}
