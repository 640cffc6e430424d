package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// benchResult is one line of annette bench's report: a program at one
// worker count.
type benchResult struct {
	Program      string  `json:"program"`
	Workers      int     `json:"workers"`
	Runs         int     `json:"runs"`
	MedianSec    float64 `json:"median_sec"`
	MinSec       float64 `json:"min_sec"`
	MaxSec       float64 `json:"max_sec"`
	Interactions int64   `json:"interactions"`
	MIPS         float64 `json:"million_interactions_per_sec"`
	Speedup      float64 `json:"speedup,omitempty"` // over the 1-worker median, when measured
	PeakMiB      float64 `json:"peak_mib"`
	Go           string  `json:"go"`
	Date         string  `json:"date"`
	Error        string  `json:"error,omitempty"` // reason the program failed at this worker count, which leaves the measurements zero
}

const benchUsage = `usage: annette bench [flags] [PROGRAM ...]

Runs each program at each worker count: one warm-up run, then -n
counted runs, each in a new process. It reports the median wall time,
the interactions, millions of interactions per second, the speedup over
one worker and the peak memory. A PROGRAM is a file, or a name looked up
as bench/programs/NAME.in; without any, every bench/programs/*.in that
is not a -quick variant is run. A program whose header comment says
"Prints ` + "`RESULT`" + ` after N interactions", as those of bench/programs
do, is checked at every run: another result or count is an error. A
program that fails is reported with the reason, in place of its
figures, and bench then exits with status 1. Flags:
`

// cmdBench runs annette bench.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workers := fs.String("t", "1,"+strconv.Itoa(runtime.GOMAXPROCS(0)), "comma-separated worker `counts`, run in increasing order")
	runs := fs.Int("n", 5, "counted `runs` per program and worker count")
	asJSON := fs.Bool("json", false, "print one JSON object per line instead of a table")
	quick := fs.Bool("quick", false, "run the -quick variants of the default programs")
	timeout := fs.Duration("timeout", 0, "stop a run that takes longer than `duration`, and report the program as failed (0: no limit)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	if status, ok := parseFlags("bench", fs, args, stdout, stderr); !ok {
		return status
	}
	counts, err := parseCounts(*workers)
	if err != nil || *runs < 1 || *timeout < 0 {
		switch {
		case err != nil:
		case *runs < 1:
			err = errors.New("-n must be at least 1")
		default:
			err = fmt.Errorf("-timeout %v: want 0 (no limit) or more", *timeout)
		}
		return badUsage("bench", err, stderr)
	}
	if *quick && fs.NArg() > 0 {
		return badUsage("bench", errors.New("-quick cannot be combined with named programs: name the -quick files instead"), stderr)
	}
	programs, err := benchPrograms(fs.Args(), *quick)
	if err != nil {
		fmt.Fprintf(stderr, "annette bench: %v\n", err)
		return exitUsage
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "annette bench: %v\n", err)
		return exitError
	}

	// A signal to bench alone, not to its process group as Ctrl-C sends
	// it, must stop the run it waits for too.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	progress := io.Discard
	if isTerminal(stderr) {
		progress = stderr
	}
	var results []benchResult
	status := exitOK
	for _, prog := range programs {
		var oneWorker float64
		for _, w := range counts {
			r, err := benchOne(ctx, self, prog, w, *runs, *timeout, progress)
			if ctx.Err() != nil {
				fmt.Fprintf(progress, "\r\033[K")
				fmt.Fprintln(stderr, "annette bench: interrupted")
				return exitError
			}
			if err != nil {
				fmt.Fprintf(progress, "\r\033[K")
				fmt.Fprintf(stderr, "annette bench: %s with -t %d: %v\n", prog, w, err)
				status = exitError
				// The report lists the failure too, so that a table or
				// JSON read without stderr does not lose the program.
				r = benchResult{Program: r.Program, Workers: r.Workers, Runs: r.Runs, Go: r.Go, Date: r.Date, Error: err.Error()}
			} else {
				if w == 1 {
					oneWorker = r.MedianSec
				}
				if oneWorker > 0 && w > 1 {
					r.Speedup = oneWorker / r.MedianSec
				}
			}
			results = append(results, r)
			if *asJSON {
				// Clear the progress line first: on a terminal, stderr and
				// stdout share the screen.
				fmt.Fprintf(progress, "\r\033[K")
				b, _ := json.Marshal(r)
				fmt.Fprintf(stdout, "%s\n", b)
			}
		}
	}
	fmt.Fprintf(progress, "\r\033[K")
	if !*asJSON {
		printBenchTable(stdout, results)
	}
	return status
}

// parseCounts parses "1,2,4". The counts come back in increasing order
// without repeats, so that the one-worker time, when requested, is
// measured before the speedups that divide it.
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-t: %q is not a worker count of at least 1", f)
		}
		if n > maxThreads {
			return nil, fmt.Errorf("-t: %d: at most %d threads", n, maxThreads)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// benchPrograms resolves the program arguments.
func benchPrograms(args []string, quick bool) ([]string, error) {
	if len(args) == 0 {
		all, _ := filepath.Glob(filepath.Join("bench", "programs", "*.in"))
		for _, p := range all {
			if strings.HasSuffix(p, "-quick.in") == quick {
				args = append(args, p)
			}
		}
		if len(args) == 0 {
			return nil, errors.New("no programs given and none found in bench/programs; run from the repository root or name the files")
		}
		return args, nil
	}
	var out []string
	for i, a := range args {
		if _, err := os.Stat(a); err == nil {
			out = append(out, a)
			continue
		}
		if i > 0 && strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("flag %s after the program names: put flags before them", a)
		}
		if strings.ContainsRune(a, filepath.Separator) || strings.HasSuffix(a, ".in") {
			return nil, fmt.Errorf("program %s not found", a)
		}
		p := filepath.Join("bench", "programs", a+".in")
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("program %s not found (nor %s)", a, p)
		}
		out = append(out, p)
	}
	return out, nil
}

// statsCount returns the interaction count in the statistics that
// annette run -stats prints, and false if out has none.
func statsCount(out string) (int64, bool) {
	for line := range strings.Lines(out) {
		if s, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "interactions: "); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// headerClaim matches the sentence of a program's header comment that
// states what the program prints and after how many interactions. The
// expressions are compiled on first use: compiling them when the
// command started took an eighth of the instructions of a short run.
var headerClaim = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("(?s)Prints `([^`]+)`.*?after[\\s/]+(\\d[\\d,_]*)[\\s/]+interactions")
})

// headSize is how much of a program headerExpectation reads: the header
// comment comes first.
const headSize = 64 << 10

// readHead returns the first headSize bytes of file, or all of it if it
// is shorter. Reading the whole file made `annette bench /dev/zero` take
// all of the machine's memory.
func readHead(file string) ([]byte, error) {
	fd, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	return io.ReadAll(io.LimitReader(fd, headSize))
}

// timingLine matches the line that annette run prints after each net.
var timingLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\(\d+ interactions`) })

// headerExpectation returns the result line and the interaction count stated in
// the header of the program in file, and false if the header states none.
// The count may group its digits with commas or underscores. A count too
// large for an int64 is an error, not a claim to skip.
func headerExpectation(file string) (result string, interactions int64, ok bool, err error) {
	src, err := readHead(file)
	if err != nil {
		return "", 0, false, nil
	}
	m := headerClaim().FindSubmatch(src)
	if m == nil {
		return "", 0, false, nil
	}
	digits := strings.NewReplacer(",", "", "_", "").Replace(string(m[2]))
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", 0, false, fmt.Errorf("the program's header states %s interactions, too many for a 64-bit count", m[2])
	}
	return string(m[1]), n, true, nil
}

// checkOutput compares what a run printed and its interaction count with
// the program's header.
func checkOutput(out string, n int64, result string, interactions int64) error {
	var lines []string
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if !timingLine().MatchString(line) {
			lines = append(lines, line)
		}
	}
	if got := strings.Join(lines, "\n"); got != result {
		return fmt.Errorf("result %q does not match %q in the program's header", got, result)
	}
	if n != interactions {
		return fmt.Errorf("%d interactions do not match %d in the program's header", n, interactions)
	}
	return nil
}

// benchOne measures one program at one worker count.
func benchOne(ctx context.Context, self, prog string, workers, runs int, timeout time.Duration, progress io.Writer) (benchResult, error) {
	r := benchResult{Program: prog, Workers: workers, Runs: runs, Go: runtime.Version(), Date: time.Now().Format("2006-01-02")}
	result, interactions, check, err := headerExpectation(prog)
	if err != nil {
		return r, err
	}
	var times []float64
	var peak int64
	for i := 0; i <= runs; i++ {
		label := "warm-up"
		if i > 0 {
			label = fmt.Sprintf("run %d/%d", i, runs)
		}
		unit := "workers"
		if workers == 1 {
			unit = "worker"
		}
		fmt.Fprintf(progress, "\r\033[K%s, %d %s: %s", prog, workers, unit, label)
		runCtx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			runCtx, cancel = context.WithTimeout(ctx, timeout)
		}
		cmd := exec.CommandContext(runCtx, self, "run", "-t", strconv.Itoa(workers), "-stats", prog)
		// On a signal the run stops as on Ctrl-C, or is killed after a
		// second.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = time.Second
		var out, errOut bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = &errOut
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start).Seconds()
		timedOut := runCtx.Err() != nil && ctx.Err() == nil
		cancel()
		if timedOut {
			return r, fmt.Errorf("%s took longer than -timeout %v", label, timeout)
		}
		if err != nil {
			return r, fmt.Errorf("%v: %s", err, lastLine(errOut.String()))
		}
		n, ok := statsCount(errOut.String())
		if !ok {
			return r, errors.New("no statistics in the output of annette run -stats")
		}
		if i > 0 && r.Interactions != 0 && n != r.Interactions {
			return r, fmt.Errorf("interaction count changed between runs: %d, then %d", r.Interactions, n)
		}
		if check {
			if err := checkOutput(out.String(), n, result, interactions); err != nil {
				return r, err
			}
		}
		r.Interactions = n
		if i == 0 {
			continue // the warm-up
		}
		times = append(times, wall)
		peak = max(peak, maxRSS(cmd.ProcessState))
	}
	slices.Sort(times)
	r.MinSec, r.MaxSec = times[0], times[len(times)-1]
	r.MedianSec = times[len(times)/2]
	if len(times)%2 == 0 {
		r.MedianSec = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	r.MIPS = float64(r.Interactions) / r.MedianSec / 1e6
	r.PeakMiB = float64(peak) / (1 << 20)
	return r, nil
}

func printBenchTable(w io.Writer, results []benchResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "program\tworkers\tmedian s\tinteractions\tM/s\tspeedup\tpeak MiB\t")
	for _, r := range results {
		if r.Error != "" {
			// The reason goes in the last cell, which tabwriter does not
			// align, so a long message leaves the columns as they are.
			fmt.Fprintf(tw, "%s\t%d\tfailed\t-\t-\t-\t-\t  %s\n", r.Program, r.Workers, r.Error)
			continue
		}
		speedup := "-"
		if r.Speedup > 0 {
			speedup = fmt.Sprintf("%.2f", r.Speedup)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%d\t%.1f\t%s\t%.1f\t\n",
			r.Program, r.Workers, r.MedianSec, r.Interactions, r.MIPS, speedup, r.PeakMiB)
	}
	tw.Flush()
}

// lastLine returns the last non-empty line of s: the error annette run
// printed after its statistics.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
