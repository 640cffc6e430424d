package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMain lets annette bench run the test binary itself as annette: a
// child started with ANNETTE_TEST_MAIN=1 runs the command line it is
// given instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("ANNETTE_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestBench(t *testing.T) {
	t.Setenv("ANNETTE_TEST_MAIN", "1")
	prog := writeProgram(t, "add.in", "r << Add(3, 4);\nr;\n")
	var out, errb bytes.Buffer
	if got := run([]string{"bench", "-json", "-n", "2", "-t", "1,2", prog}, strings.NewReader(""), &out, &errb); got != exitOK {
		t.Fatalf("status = %d, want 0 (stderr %q)", got, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d result lines, want 2:\n%s", len(lines), out.String())
	}
	for i, line := range lines {
		var r benchResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if r.Workers != i+1 || r.Runs != 2 || r.Interactions != 2 || r.MedianSec <= 0 {
			t.Errorf("line %d = %+v, want workers %d, 2 runs, 2 interactions, a positive time", i, r, i+1)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "-t", "0", "x"},
		{"bench", "-t", "1,99999", "x"},
		{"bench", "-n", "0", "x"},
		{"bench", "no-such-program"},
		{"bench", "-quick", "fib"},
		{"bench", "-timeout", "-1s", "x"},
	} {
		var out, errb bytes.Buffer
		if got := run(args, strings.NewReader(""), &out, &errb); got != exitUsage {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", args, got, exitUsage, errb.String())
		}
	}
}

// TestBenchFlagAfterProgram checks that a flag written after the program
// names is reported as a misplaced flag, not as a missing program.
func TestBenchFlagAfterProgram(t *testing.T) {
	prog := writeProgram(t, "p.in", "a ~ 1;\n")
	var out, errb bytes.Buffer
	if got := run([]string{"bench", prog, "-t", "1"}, strings.NewReader(""), &out, &errb); got != exitUsage {
		t.Errorf("status %d, want %d (stderr %q)", got, exitUsage, errb.String())
	}
	if want := "flag -t after the program names: put flags before them"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q, want it to contain %q", errb.String(), want)
	}
}

// TestBenchChecksHeader checks that bench compares each run with the
// result and interaction count that the program's header states.
func TestBenchChecksHeader(t *testing.T) {
	t.Setenv("ANNETTE_TEST_MAIN", "1")
	for _, tc := range []struct {
		header  string
		status  int
		errText string
	}{
		{"// Prints `7` after 2 interactions.", exitOK, ""},
		{"// Prints `8` after 2 interactions.", exitError, `result "7" does not match "8" in the program's header`},
		{"// Prints `7` after 3 interactions.", exitError, "2 interactions do not match 3 in the program's header"},
		{"// No claim here.", exitOK, ""},
		{"// Prints `7` after 0,002 interactions.", exitOK, ""},
		{"// Prints `7` after 1_000 interactions.", exitError, "2 interactions do not match 1000 in the program's header"},
		{"// Prints `7` after 99999999999999999999 interactions.", exitError, "states 99999999999999999999 interactions, too many for a 64-bit count"},
	} {
		prog := writeProgram(t, "add.in", tc.header+"\nr << Add(3, 4);\nr;\n")
		var out, errb bytes.Buffer
		if got := run([]string{"bench", "-n", "1", "-t", "1", prog}, strings.NewReader(""), &out, &errb); got != tc.status {
			t.Errorf("%s: status %d, want %d (stderr %q)", tc.header, got, tc.status, errb.String())
		}
		if !strings.Contains(errb.String(), tc.errText) {
			t.Errorf("%s: stderr %q lacks %q", tc.header, errb.String(), tc.errText)
		}
	}
}

// TestParseCounts checks that worker counts come back in increasing
// order without repeats, so that -t 2,1 measures one worker first.
func TestParseCounts(t *testing.T) {
	got, err := parseCounts("2,1,2,4")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("parseCounts(\"2,1,2,4\") = %v, want %v", got, want)
	}
}

// TestBenchTimeout checks that -timeout stops a run that never ends and
// reports the program as failed.
func TestBenchTimeout(t *testing.T) {
	t.Setenv("ANNETTE_TEST_MAIN", "1")
	prog := writeProgram(t, "loop.in", "Ping >< Pong => Ping ~ Pong;\nPing ~ Pong;\n")
	var out, errb bytes.Buffer
	if got := run([]string{"bench", "-n", "1", "-t", "1", "-timeout", "300ms", prog}, strings.NewReader(""), &out, &errb); got != exitError {
		t.Fatalf("status = %d, want %d (stderr %q)", got, exitError, errb.String())
	}
	if !strings.Contains(errb.String(), "took longer than -timeout 300ms") {
		t.Errorf("stderr = %q, want the timeout named", errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("table = %q, want the header and one row", out.String())
	}
	if fields := strings.Fields(lines[1]); len(fields) < 3 || fields[0] != prog || fields[1] != "1" || fields[2] != "failed" {
		t.Errorf("row = %q, want %s, 1 worker, failed", lines[1], prog)
	}
	if !strings.HasSuffix(lines[1], "took longer than -timeout 300ms") {
		t.Errorf("row = %q, want it to end with the reason", lines[1])
	}
}

// TestBenchTimeoutJSON checks that with -json a failed program gives a
// JSON line with its error.
func TestBenchTimeoutJSON(t *testing.T) {
	t.Setenv("ANNETTE_TEST_MAIN", "1")
	prog := writeProgram(t, "loop.in", "Ping >< Pong => Ping ~ Pong;\nPing ~ Pong;\n")
	var out, errb bytes.Buffer
	if got := run([]string{"bench", "-json", "-n", "1", "-t", "1", "-timeout", "300ms", prog}, strings.NewReader(""), &out, &errb); got != exitError {
		t.Fatalf("status = %d, want %d (stderr %q)", got, exitError, errb.String())
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("stdout %q: %v", out.String(), err)
	}
	if r.Program != prog || r.Workers != 1 {
		t.Errorf("result = %+v, want program %s at 1 worker", r, prog)
	}
	if !strings.Contains(r.Error, "took longer than -timeout 300ms") {
		t.Errorf("error field = %q, want the timeout named", r.Error)
	}
	if r.MedianSec != 0 || r.Interactions != 0 {
		t.Errorf("result = %+v, want no measurements", r)
	}
}

// TestHeaderFromEndlessFile reads the header of /dev/zero, which has no
// end: only the first part of a program is read for its header.
func TestHeaderFromEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	_, _, ok, err := headerExpectation("/dev/zero")
	if err != nil || ok {
		t.Errorf("headerExpectation(/dev/zero) = ok %v, error %v; want no header and no error", ok, err)
	}
}
