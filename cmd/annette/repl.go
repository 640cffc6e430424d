package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/lang"
	"github.com/chzyer/readline"
)

// cmdRepl reads statements and runs each as soon as it is complete. On a
// terminal it offers line editing and a history kept in
// ~/.annette_history; otherwise it reads standard input line by line.
func cmdRepl(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := newRunFlags("repl", stderr, false)
	f.fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: annette repl [flags]\n\nReads and runs statements; a statement ends with ';'. Flags:")
		f.fs.PrintDefaults()
	}
	if err := f.fs.Parse(args); err != nil {
		return exitUsage
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintln(stderr, "annette repl: takes no file; use annette run for a file, or use \"file\"; at the prompt")
		return exitUsage
	}
	ip, err := annette.NewInterpreter(f.interpConfig(stdout, stderr))
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		return exitError
	}
	defer ip.Close()

	var lines lineReader
	if file, ok := stdin.(*os.File); ok && readline.IsTerminal(int(file.Fd())) {
		home, _ := os.UserHomeDir()
		rl, err := readline.NewEx(&readline.Config{
			Prompt:      ">>> ",
			HistoryFile: filepath.Join(home, ".annette_history"),
			Stdout:      stdout,
			Stderr:      stderr,
		})
		if err != nil {
			fmt.Fprintf(stderr, "annette: %v\n", err)
			return exitError
		}
		defer rl.Close()
		fmt.Fprintln(stdout, "annette: statements end with ';'; exit; or Ctrl-D leaves")
		lines = &terminalLines{rl: rl}
	} else {
		lines = &plainLines{sc: bufio.NewScanner(stdin)}
	}
	repl(ip, lines, stderr)
	return exitOK
}

// lineReader gives the REPL its input a line at a time.
type lineReader interface {
	// ReadLine returns the next line; more says that a statement is
	// unfinished. It returns io.EOF at the end of input.
	ReadLine(more bool) (string, error)
}

type terminalLines struct{ rl *readline.Instance }

func (t *terminalLines) ReadLine(more bool) (string, error) {
	if more {
		t.rl.SetPrompt("... ")
	} else {
		t.rl.SetPrompt(">>> ")
	}
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", nil // Ctrl-C drops the line
	}
	return line, err
}

type plainLines struct{ sc *bufio.Scanner }

func (p *plainLines) ReadLine(bool) (string, error) {
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return p.sc.Text(), nil
}

// repl runs statements from lines until end of input or an exit
// statement. Errors are printed and the loop goes on.
func repl(ip *annette.Interpreter, lines lineReader, stderr io.Writer) {
	var buf strings.Builder
	line := 0
	for !ip.Exited() {
		text, err := lines.ReadLine(strings.TrimSpace(buf.String()) != "")
		if err != nil {
			if s := strings.TrimSpace(buf.String()); s != "" {
				fmt.Fprintln(stderr, "annette: input ended inside a statement")
			}
			return
		}
		line++
		buf.WriteString(text)
		buf.WriteByte('\n')
		for !ip.Exited() {
			src := []byte(buf.String())
			stmt, n, err := lang.ParseStmt(fmt.Sprintf("<input %d>", line), src, 0)
			if lang.IsIncomplete(err) {
				break
			}
			rest := string(src[min(n, len(src)):])
			buf.Reset()
			buf.WriteString(rest)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				printError(stderr, err)
				buf.Reset()
				break
			}
			ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
			ip.SetContext(ctx)
			if err := ip.Exec(stmt); err != nil {
				printError(stderr, err)
			}
			cancel()
		}
	}
}
