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
	"golang.org/x/term"
)

// cmdRepl reads statements and runs each as soon as it is complete. On a
// terminal it offers line editing and a history kept in
// ~/.annette_history; otherwise it reads standard input line by line.
func cmdRepl(args []string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	f := newRunFlags("repl", stderr, false)
	f.fs.Usage = func() {
		fmt.Fprintln(f.fs.Output(), "usage: annette repl [flags]\n\nReads and runs statements; a statement ends with ';'. Flags:")
		f.fs.PrintDefaults()
	}
	if status, ok := parseFlags("repl", f.fs, args, stdout, stderr); !ok {
		return status
	}
	if err := f.check(); err != nil {
		return badUsage("repl", err, stderr)
	}
	f.limitProcessMemory()
	if f.fs.NArg() > 0 {
		fmt.Fprintln(stderr, "annette repl: takes no file; use annette run for a file, or use \"file\"; at the prompt")
		return exitUsage
	}
	finish, ok := f.profile(stderr)
	if !ok {
		return exitError
	}
	defer finish(&status)
	ip, err := annette.NewInterpreter(f.interpConfig(stdout, stderr))
	if err != nil {
		fmt.Fprintf(stderr, "annette: %v\n", err)
		return exitError
	}
	defer ip.Close()
	if f.stats {
		// The statistics of the whole session, when it ends.
		defer func() { printStats(stderr, ip) }()
	}

	var lines lineReader
	if file, ok := stdin.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		var hist string
		if home, err := os.UserHomeDir(); err == nil {
			hist = filepath.Join(home, ".annette_history")
		}
		// The prompt and the echo go to the terminal, also when the
		// results go to a file.
		screen := stdout
		if !isTerminal(stdout) && isTerminal(stderr) {
			screen = stderr
		}
		fmt.Fprintln(screen, "annette: statements end with ';'; exit; or Ctrl-D leaves")
		lines = newTerminalLines(int(file.Fd()), file, screen, hist)
	} else {
		lines = &plainLines{r: bufio.NewReader(stdin)}
	}
	return repl(ip, lines, stderr)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lineReader gives the REPL its input a line at a time.
type lineReader interface {
	// ReadLine returns the next line. more is true while a statement is
	// unfinished. It returns io.EOF at the end of input.
	ReadLine(more bool) (string, error)
}

// errDiscard is returned by a lineReader when the user pressed Ctrl-C at
// the prompt: the unfinished statement is dropped.
var errDiscard = errors.New("input discarded")

// plainLines reads lines of any length.
type plainLines struct{ r *bufio.Reader }

func (p *plainLines) ReadLine(bool) (string, error) {
	line, err := p.r.ReadString('\n')
	if err == io.EOF && line != "" {
		return line, nil
	}
	return strings.TrimSuffix(line, "\n"), err
}

// repl runs statements from lines until end of input or an exit
// statement, and returns the exit status: an error only when the input
// ends inside a statement. Errors of statements are printed and the loop
// goes on.
//
// Input is parsed only when a line holds a ';'. All the statements that
// line completes are then parsed in one pass, so a long statement over
// many lines, or many statements on one line, cost time in proportion to
// their length. Comments count as blank: a ';' in one ends nothing, and a
// line of comments alone starts no statement.
func repl(ip *annette.Interpreter, lines lineReader, stderr io.Writer) int {
	var buf strings.Builder
	line, start := 0, 1 // the line being read, and the one buf starts at
	blank := true       // buf holds no unfinished statement
	for !ip.Exited() {
		text, err := lines.ReadLine(!blank)
		if errors.Is(err, errLineTooLong) {
			fmt.Fprintf(stderr, "annette: %v\n", err)
			err = errDiscard
		}
		if errors.Is(err, errDiscard) {
			buf.Reset()
			blank = true
			continue
		}
		if err != nil {
			if blank {
				return exitOK
			}
			if lang.ScanInput([]byte(buf.String())).InComment {
				fmt.Fprintln(stderr, "annette: input ended inside a comment: '/*' has no matching '*/'")
			} else {
				fmt.Fprintln(stderr, "annette: input ended inside a statement")
			}
			return exitError
		}
		line++
		if buf.Len() == 0 {
			start = line
		}
		buf.WriteString(text)
		buf.WriteByte('\n')
		if !strings.Contains(text, ";") {
			// Without a ';' nothing ends, but a blank buffer may have
			// begun a statement. Once begun, it stays so until a ';'.
			if blank {
				blank = settled(lang.ScanInput([]byte(buf.String())))
			}
			if blank {
				buf.Reset() // blanks and comments only
			}
			continue
		}
		src := buf.String()
		in := lang.ScanInput([]byte(src))
		rest := src
		if in.Complete > 0 {
			// Positions in messages count lines from the start of buf,
			// which is named after the input line it starts at.
			rest = runComplete(ip, fmt.Sprintf("<input %d>", start), src, in.Complete, stderr)
		}
		buf.Reset()
		blank = settled(in) || rest == ""
		if !blank {
			buf.WriteString(rest)
		}
	}
	return exitOK
}

// settled reports whether input that ends as in has begun no statement
// and no comment after its last ';'.
func settled(in lang.Input) bool { return in.Blank && !in.InComment }

// runComplete runs the statements in src[:cut], which ends with a ';', and
// returns the unfinished rest of src. It first parses src[:cut] as a
// whole. If that fails, it goes statement by statement, so that the
// statements before an error still run and an unfinished one waits for
// more input.
func runComplete(ip *annette.Interpreter, name, src string, cut int, stderr io.Writer) string {
	if prog, err := lang.ParseFile(name, []byte(src[:cut]), 0); err == nil {
		for _, stmt := range prog.Stmts {
			if ip.Exited() {
				return ""
			}
			execStmt(ip, stmt, stderr)
		}
		return src[cut:]
	}
	for !ip.Exited() {
		stmt, n, err := lang.ParseStmt(name, []byte(src), 0)
		if lang.IsIncomplete(err) {
			return src
		}
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			printError(stderr, err)
			return ""
		}
		src = src[min(n, len(src)):]
		execStmt(ip, stmt, stderr)
	}
	return ""
}

// execStmt runs one statement; Ctrl-C stops its reduction.
func execStmt(ip *annette.Interpreter, stmt lang.Stmt, stderr io.Writer) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	ip.SetContext(ctx)
	if err := ip.Exec(stmt); err != nil {
		printError(stderr, interrupted(ctx, err))
	}
}
