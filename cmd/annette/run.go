package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/internal/source"
	"github.com/annette-go/annette/lang"
)

// constFlags collects -d NAME=VALUE flags.
type constFlags map[string]int64

func (c constFlags) String() string { return "" }

func (c constFlags) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if r := name[0]; r < 'A' || r > 'Z' {
		return fmt.Errorf("constant name %q must start with an upper-case letter", name)
	}
	if err := lang.CheckConstName(name); err != nil {
		return err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
	if err != nil {
		return fmt.Errorf("value of %s is not a 64-bit integer: %q", name, val)
	}
	if old, dup := c[name]; dup && old != v {
		return fmt.Errorf("constant %s is set twice, to %d and to %d", name, old, v)
	}
	c[name] = v
	return nil
}

// runFlags are the options shared by run and repl.
type runFlags struct {
	fs       *flag.FlagSet
	file     string
	threads  int
	consts   constFlags
	weak     bool
	stats    bool
	cpuProf  string
	memProf  string
	maxSteps int64
	maxLive  int64
	maxMiB   int64
}

// newRunFlags returns the flags of run, or of repl when file is false.
func newRunFlags(name string, stderr io.Writer, file bool) *runFlags {
	f := &runFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), consts: constFlags{}}
	fs := f.fs
	fs.SetOutput(stderr)
	if file {
		fs.StringVar(&f.file, "f", "", "program `file` to run (also accepted as the argument; none or - reads standard input)")
	}
	fs.IntVar(&f.threads, "t", runtime.GOMAXPROCS(0), "number of worker `threads`; 1 reduces sequentially and prints Inpla's single-thread timing line")
	fs.Var(f.consts, "d", "bind the constant `NAME=VALUE`; wins over the program's const (repeatable)")
	fs.BoolVar(&f.weak, "w", false, "weak reduction: reduce only active pairs with an interface name in their term")
	fs.BoolVar(&f.stats, "stats", false, "print run statistics to stderr at the end")
	fs.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile to `file`")
	fs.StringVar(&f.memProf, "memprofile", "", "write a heap profile to `file` at the end")
	fs.Int64Var(&f.maxSteps, "max-interactions", 0, "stop with an error after this many interactions in one net statement (0: no limit)")
	fs.Int64Var(&f.maxLive, "max-agents", 0, "stop with an error when more agents than this are alive (0: no limit)")
	fs.Int64Var(&f.maxMiB, "max-memory", defaultMaxMemoryMiB(), "stop with an error when the net's store and pending pairs pass this many `MiB`; 0 means no limit but the 480 GiB at which every run stops, and the default is half of this machine's memory")
	// Inpla's options, accepted for compatibility. annette's memory grows
	// on demand, and it always prints the plain interaction counts.
	for _, name := range []string{"Xms", "Xmt", "Xes", "s"} {
		fs.Int(name, 0, "accepted for compatibility with Inpla; ignored")
	}
	for _, name := range []string{"c", "foptimise-tail-calls", "fverbose-memory-usage", "fverbose-simulation-info"} {
		fs.Bool(name, false, "accepted for compatibility with Inpla; ignored")
	}
	return f
}

// maxMemoryMiB bounds -max-memory so that the limit in bytes, and the
// eighth more that limitProcessMemory adds, fit in an int64. Nets hold
// at most 512 GiB anyway.
const maxMemoryMiB = 1 << 42

// check reports a flag value out of range.
func (f *runFlags) check() error {
	switch {
	case f.threads < 1:
		return fmt.Errorf("-t %d: the number of threads must be at least 1", f.threads)
	case f.threads > maxThreads:
		return fmt.Errorf("-t %d: at most %d threads; each takes memory even when idle", f.threads, maxThreads)
	case f.maxSteps < 0 || f.maxLive < 0 || f.maxMiB < 0:
		return fmt.Errorf("limits must not be negative; 0 means no limit")
	case f.maxMiB > maxMemoryMiB:
		// Larger values would overflow the limit in bytes.
		return fmt.Errorf("-max-memory %d: too large: a run stops at 480 GiB (491520 MiB) in any case, and 0 selects that limit", f.maxMiB)
	}
	return nil
}

// limitProcessMemory sets the Go runtime's soft memory limit an eighth
// above -max-memory. The net's store and pair stacks are checked against
// -max-memory, but garbage (such as the old array of a stack that grew)
// and memory freed but not yet returned to the system also count towards
// the process size. With the soft limit the collector reclaims them as
// the net nears its limit: without it, a runaway program measured 1.6
// times -max-memory on one worker. The store's cells lie outside the Go
// heap, so the soft limit bounds the stacks and the garbage only.
//
// The weak strategy (-w) gets no soft limit. Each of its rounds builds a
// map of the whole net on the Go heap, larger than the store itself. Near
// the limit the collector then ran without pause, and a 16 MiB limit took
// 39 s to reach, most of it in the kernel.
func (f *runFlags) limitProcessMemory() {
	limit := int64(math.MaxInt64) // the runtime's default: none
	if f.maxMiB > 0 && !f.weak {
		limit = f.maxMiB<<20 + f.maxMiB<<20/8
	}
	debug.SetMemoryLimit(limit)
}

// maxThreads bounds -t, far above the cores of any machine. Each worker
// holds about 12 KiB even when idle (its goroutine stack, registers and
// heap), so -t 100000 took 1.2 GB to run a tiny program.
const maxThreads = 4096

// maxSource bounds the size of a program file, so that a device such as
// /dev/zero given as the file ends with an error.
const maxSource = 1 << 30

// errTooLarge is the error for a program of more than maxSource bytes.
var errTooLarge = fmt.Errorf("program is larger than %d MiB", maxSource>>20)

// readSource reads at most maxSource bytes from r (see source.Read).
func readSource(r io.Reader) ([]byte, error) {
	return tooLarge(source.Read(r, 0, maxSource))
}

// tooLarge returns src and err, with errTooLarge in place of a
// *source.TooLargeError.
func tooLarge(src []byte, err error) ([]byte, error) {
	var tl *source.TooLargeError
	if errors.As(err, &tl) {
		return nil, errTooLarge
	}
	return src, err
}

// cmdRun runs a program file: annette run [flags] FILE.
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	f := newRunFlags("run", stderr, true)
	f.fs.Usage = func() {
		fmt.Fprintln(f.fs.Output(), "usage: annette run [flags] [FILE]\n\nRuns a program in the text language, read from FILE or standard input. Flags:")
		f.fs.PrintDefaults()
	}
	if status, ok := parseFlags("run", f.fs, args, stdout, stderr); !ok {
		return status
	}
	if err := f.check(); err != nil {
		return badUsage("run", err, stderr)
	}
	f.limitProcessMemory()
	file := f.file
	switch rest := f.fs.Args(); {
	case len(rest) == 1 && file == "":
		file = rest[0]
	case len(rest) > 1 || len(rest) == 1 && file != "":
		if a, ok := flagAfterFile(rest[1:]); ok {
			fmt.Fprintf(stderr, "annette run: flag %s after the program file: put flags before it\n", a)
			return exitUsage
		}
		fmt.Fprintln(stderr, "annette run: give one program file")
		return exitUsage
	}
	if file == "" && emptyFileName(f.fs) {
		return badUsage("run", errEmptyFileName, stderr)
	}
	file, src, err := readProgram(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		return exitError
	}

	ip, finish, ok := f.start(stdout, stderr)
	if !ok {
		return exitError
	}
	defer finish(&status)
	ctx, cancel := stopOnSignal()
	defer cancel()
	ip.SetContext(ctx)
	err = interrupted(ctx, ip.Run(file, src))
	if f.stats {
		printStats(stderr, ip)
	}
	if err != nil {
		printError(stderr, err)
		return exitError
	}
	return exitOK
}

// errEmptyFileName rejects a program file named by an empty string, as
// "$FILE" gives with FILE unset, which would otherwise read standard input.
var errEmptyFileName = errors.New("the program file name is empty; give - to read standard input")

// emptyFileName reports whether fs, parsed, names the program file with
// an empty argument or an empty -f.
func emptyFileName(fs *flag.FlagSet) bool {
	empty := fs.NArg() == 1 && fs.Arg(0) == ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "f" && f.Value.String() == "" {
			empty = true
		}
	})
	return empty
}

// readProgram reads the program named on the command line: standard
// input for "" or "-", else the file, or the file with ".in" added when
// the name lacks it and only that exists. It returns the name that
// messages give the program.
func readProgram(file string, stdin io.Reader) (string, []byte, error) {
	if file == "" || file == "-" {
		src, err := readSource(stdin)
		return "<stdin>", src, err
	}
	src, err := readFile(file)
	if errors.Is(err, os.ErrNotExist) && !strings.HasSuffix(file, ".in") {
		alt, err2 := readFile(file + ".in")
		if err2 == nil {
			return file + ".in", alt, nil
		}
		if errors.Is(err2, os.ErrNotExist) {
			err = fmt.Errorf("%w (%s not found either)", err, file+".in")
		}
	}
	return file, src, err
}

// readFile reads a program file of at most maxSource bytes.
func readFile(name string) ([]byte, error) {
	return tooLarge(source.ReadFile(name, maxSource))
}

func (f *runFlags) interpConfig(stdout, stderr io.Writer) annette.InterpreterConfig {
	return annette.InterpreterConfig{
		Config:   annette.Config{MaxInteractions: f.maxSteps, MaxLiveAgents: f.maxLive, MaxMemory: f.maxMiB << 20},
		Stdout:   stdout,
		Stderr:   stderr,
		Consts:   f.consts,
		Weak:     f.weak,
		Workers:  f.threads,
		ReadFile: readFile,
	}
}

// start starts the profiles that the flags ask for and returns an
// interpreter that prints to stdout, or reports on stderr why it cannot.
// The function it returns closes the interpreter and stops the profiles.
// On a failed write of the results or the profiles it reports the
// failure and raises *status to exitError.
func (f *runFlags) start(stdout, stderr io.Writer) (ip *annette.Interpreter, finish func(status *int), ok bool) {
	stop, err := f.startProfiles()
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		return nil, nil, false
	}
	out := &errWriter{w: stdout}
	ip, err = annette.NewInterpreter(f.interpConfig(out, stderr))
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		stop()
		return nil, nil, false
	}
	return ip, func(status *int) {
		ip.Close()
		if out.err != nil {
			fmt.Fprintf(stderr, "annette: writing the results failed: %v\n", out.err)
			*status = max(*status, exitError)
		}
		if err := stop(); err != nil {
			fmt.Fprintf(stderr, "annette: %v\n", err)
			*status = max(*status, exitError)
		}
	}, true
}

// startProfiles starts the CPU profile and returns the function that
// stops it and writes the heap profile, and reports a failed write. It
// creates both files at once, so that a bad path fails before the program
// runs.
func (f *runFlags) startProfiles() (stop func() error, err error) {
	var cpu, mem *os.File
	if f.memProf != "" {
		if mem, err = os.Create(f.memProf); err != nil {
			return nil, err
		}
	}
	// pprof does not report the errors of its writes to the CPU profile.
	cpuOut := &errWriter{}
	if f.cpuProf != "" {
		if cpu, err = os.Create(f.cpuProf); err != nil {
			return nil, err
		}
		cpuOut.w = cpu
		if err := pprof.StartCPUProfile(cpuOut); err != nil {
			cpu.Close()
			return nil, err
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpuOut.err, cpu.Close())
		}
		if mem != nil {
			runtime.GC()
			errs = append(errs, pprof.WriteHeapProfile(mem), mem.Close())
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("writing the profiles failed: %w", err)
		}
		return nil
	}, nil
}

// errWriter passes writes on to w and keeps the first error, so that a
// failed write can be reported once, at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// printStats prints the statistics of the interpreter's runs, for -stats.
func printStats(w io.Writer, ip *annette.Interpreter) {
	st := ip.Network().Stats()
	fmt.Fprintf(w, "interactions: %d\nagents allocated: %d\nagents live: %d\npeak live agents: %d\nreduction time: %v\n",
		st.Interactions, st.Allocated, st.Live, st.PeakLive, st.Elapsed)
	if p := ip.Parallel(); p != nil {
		fmt.Fprintf(w, "workers: %d\ninteractions per worker: %v\npairs taken from the shared pool: %d\n",
			p.Workers(), p.PerWorker(), p.Steals())
	}
}

// errInterrupted replaces context.Canceled when Ctrl-C stopped a run.
var errInterrupted = errors.New("interrupted")

// errTerminated replaces context.Canceled when SIGTERM stopped a run.
var errTerminated = errors.New("terminated")

// stopSignals are the signals that stop a run with an error message, so
// that -stats and the profiles are still written: Ctrl-C, and SIGTERM,
// which kill and service managers send.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// signalCause is the cause of a context that stopOnSignal cancelled.
type signalCause struct{ sig os.Signal }

// Error returns the signal's name.
func (c signalCause) Error() string { return c.sig.String() }

// stopOnSignal returns a context that the first of stopSignals to arrive
// cancels, with a signalCause. The function returned stops the watch.
func stopOnSignal() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := onSignal(stopSignals, func(sig os.Signal) { cancel(signalCause{sig}) })
	return ctx, func() {
		stop()
		cancel(nil)
	}
}

// onSignal calls handle, on a goroutine of its own, with the first of
// sigs that arrives. The function returned stops the watch and returns
// once the goroutine has ended, so that handle runs before it returns
// or never.
func onSignal(sigs []os.Signal, handle func(os.Signal)) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case sig := <-ch:
			handle(sig)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		<-finished
	}
}

// interrupted returns err with its cause replaced by errInterrupted, or
// errTerminated after SIGTERM, when ctx, which only a signal cancels, is
// done and err is its cancellation.
func interrupted(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, context.Canceled) {
		return err
	}
	stop := errInterrupted
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) && sc.sig == syscall.SIGTERM {
		stop = errTerminated
	}
	var pe *annette.ProgramError
	if errors.As(err, &pe) {
		return &annette.ProgramError{Pos: pe.Pos, Err: stop}
	}
	return stop
}

// printError prints a program's errors, one per line.
func printError(w io.Writer, err error) {
	var list lang.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}
