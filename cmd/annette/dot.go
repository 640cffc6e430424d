package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/annette-go/annette"
)

const dotUsage = `usage: annette dot [flags] [FILE]

Runs a program in the text language, read from FILE or standard input,
and writes the net it leaves in Graphviz's DOT language to standard
output, for example:

	annette dot prog.in | dot -Tsvg > net.svg

By default each net statement is only built, so the drawing shows the
active pairs before any interaction (thick red wires). -steps N carries
out up to N interactions per net statement, and -reduce reduces to
normal form as annette run does. What the program prints is discarded.
Only the agents that interface names and active pairs lead to are
drawn. When a statement fails, for example on a pair with no rule or at
-max-interactions, the error is reported and the net is drawn as that
statement left it, with exit status 1. Flags:
`

// cmdDot runs "annette dot".
func cmdDot(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dot", flag.ContinueOnError)
	consts := constFlags{}
	fs.Var(consts, "d", "bind the constant `NAME=VALUE`; wins over the program's const (repeatable)")
	steps := fs.Int64("steps", 0, "carry out up to `N` interactions per net statement before drawing")
	reduce := fs.Bool("reduce", false, "reduce each net statement to normal form before drawing")
	maxSteps := fs.Int64("max-interactions", 1_000_000, "stop a net statement with an error after this many interactions (0: no limit), and draw the net it left")
	maxAgents := fs.Int64("max-agents", 5000, "stop with an error when the net to draw has more agents than this (0: no limit); Graphviz lays out a few thousand at most")
	maxMiB := fs.Int64("max-memory", defaultMaxMemoryMiB(), "stop with an error when the net's store passes this many `MiB`; 0 means no limit, and the default is half of this machine's memory")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), dotUsage)
		fs.PrintDefaults()
	}
	if status, ok := parseFlags("dot", fs, args, stdout, stderr); !ok {
		return status
	}
	switch {
	case *steps < 0 || *maxSteps < 0 || *maxAgents < 0 || *maxMiB < 0:
		return badUsage("dot", errors.New("-steps, -max-interactions, -max-agents and -max-memory must not be negative"), stderr)
	case *steps > 0 && *reduce:
		return badUsage("dot", errors.New("give -steps or -reduce, not both"), stderr)
	case *maxMiB > maxMemoryMiB:
		return badUsage("dot", fmt.Errorf("-max-memory %d: too large; 0 means no limit", *maxMiB), stderr)
	case fs.NArg() > 1:
		if a, ok := flagAfterFile(fs.Args()[1:]); ok {
			return badUsage("dot", fmt.Errorf("flag %s after the program file: put flags before it", a), stderr)
		}
		return badUsage("dot", errors.New("give one program file"), stderr)
	case emptyFileName(fs):
		return badUsage("dot", errEmptyFileName, stderr)
	}
	file, src, err := readProgram(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		return exitError
	}

	ip, err := annette.NewInterpreter(annette.InterpreterConfig{
		Config:    annette.Config{MaxInteractions: *maxSteps, MaxMemory: *maxMiB << 20},
		Stderr:    stderr,
		Consts:    consts,
		Workers:   1,
		ReadFile:  readFile,
		NoReduce:  *steps == 0 && !*reduce,
		StepLimit: *steps,
	})
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		return exitError
	}
	defer ip.Close()
	ctx, cancel := stopOnSignal()
	defer cancel()
	ip.SetContext(ctx)
	status := exitOK
	if err := interrupted(ctx, ip.Run(file, src)); err != nil {
		printError(stderr, err)
		var pe *annette.ProgramError
		if !errors.As(err, &pe) {
			return exitError // nothing ran
		}
		// The net as the failed statement left it shows why it failed.
		status = exitError
	}
	net := ip.Network()
	if live := net.Stats().Live; *maxAgents > 0 && live > *maxAgents {
		fmt.Fprintf(stderr, "annette dot: the net has %d agents, more than -max-agents %d; draw a smaller net, or raise the limit\n", live, *maxAgents)
		return exitError
	}
	out := &errWriter{w: stdout}
	if err := net.WriteDot(out); err != nil {
		fmt.Fprintf(stderr, "annette dot: %v\n", err)
		return exitError
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "annette: writing the drawing failed: %v\n", out.err)
		return exitError
	}
	return status
}
