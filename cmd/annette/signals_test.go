//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

// endless prints B, then runs a net that never ends.
const endless = "Loop >< Go => Loop ~ Go;\na ~ B;\na;\nLoop ~ Go;\n"

// TestRunStoppedBySIGTERM checks that SIGTERM stops annette run with the
// position of the running statement and exit status 1, as Ctrl-C does,
// and that -stats is still printed.
func TestRunStoppedBySIGTERM(t *testing.T) {
	prog := writeProgram(t, "endless.in", endless)
	cmd := exec.Command(os.Args[0], "run", "-t", "2", "-stats", prog)
	cmd.Env = append(os.Environ(), "ANNETTE_TEST_MAIN=1")

	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// B is printed after the signal handler is set, just before the
	// endless statement starts.
	out := bufio.NewReader(stdout)
	for {
		line, err := out.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("stdout ended before B: %v (stderr %q)", err, errb.String())
		}
		if line == "B\n" {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()

	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Errorf("exit: %v, want status %d", err, exitError)
	}
	if want := prog + ":4:1: terminated\n"; !strings.HasSuffix(errb.String(), want) {
		t.Errorf("stderr = %q, want it to end with %q", errb.String(), want)
	}
	if !strings.Contains(errb.String(), "interactions: ") {
		t.Errorf("stderr = %q, want the -stats lines", errb.String())
	}
}

// signalLines is a lineReader that starts sending SIGTERM to the process,
// again and again until stop is closed, once it returns the line
// trigger.
type signalLines struct {
	scriptLines
	trigger string
	stop    chan struct{}
	sending bool
}

func (s *signalLines) ReadLine(more bool) (string, error) {
	line, err := s.scriptLines.ReadLine(more)
	if err == nil && line == s.trigger && !s.sending {
		s.sending = true
		go func() {
			for {
				select {
				case <-s.stop:
					return
				default:
					syscall.Kill(os.Getpid(), syscall.SIGTERM)
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	return line, err
}

// TestReplStoppedBySIGTERM checks that SIGTERM stops the statement that
// runs, reports it as terminated at its position and ends the session
// with exit status 1, where Ctrl-C would go on to the next statement.
func TestReplStoppedBySIGTERM(t *testing.T) {
	// A SIGTERM that arrives before the statement watches for it goes to
	// this channel, so it does not kill the test binary.
	absorb := make(chan os.Signal, 1)
	signal.Notify(absorb, syscall.SIGTERM)
	defer signal.Stop(absorb)

	// The limit ends the statement, should SIGTERM fail to stop it, after
	// far more interactions than a run makes before the signal arrives.
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{
		Config:  annette.Config{MaxInteractions: 1 << 30},
		Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	str := func(s string) *string { return &s }
	lines := &signalLines{
		scriptLines: scriptLines{lines: []*string{
			str("Loop >< Go => Loop ~ Go;"), str("Loop ~ Go;"), str("a ~ B;"),
		}},
		trigger: "Loop ~ Go;",
		stop:    make(chan struct{}),
	}
	var errb bytes.Buffer
	status := repl(ip, lines, &errb)
	close(lines.stop)
	if status != exitError {
		t.Errorf("status = %d, want %d", status, exitError)
	}
	if got, want := errb.String(), "<input 2>:1:1: terminated\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if len(lines.lines) != 1 {
		t.Errorf("%d lines left unread, want 1: the session ends at SIGTERM", len(lines.lines))
	}
}
