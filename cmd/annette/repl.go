package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
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
	ip, finish, ok := f.start(stdout, stderr)
	if !ok {
		return exitError
	}
	defer finish(&status)
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
		if !isTerminal(stdout) {
			if isTerminal(stderr) {
				screen = stderr
			} else if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
				defer tty.Close()
				screen = tty
			}
		}
		fmt.Fprintln(screen, "annette: end each statement with ';'. Type exit or press Ctrl-D to leave.")
		lines = newTerminalLines(int(file.Fd()), file, screen, hist)
	} else {
		lines = &plainLines{r: bufio.NewReader(stdin)}
	}
	status = repl(ip, lines, stderr)
	// As annette run warns before a program, the session warns at its
	// end: a constant given with -d that no statement named is most
	// likely a typing slip in its name.
	for _, name := range ip.UnusedConsts() {
		fmt.Fprintf(stderr, "annette: warning: constant %s was set with -d but no statement named it\n", name)
	}
	return status
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
// ends inside a statement or SIGTERM stops a statement. Errors of
// statements are printed and the loop goes on.
//
// Each line is scanned once, with the state the lines before it left (in
// a block comment or not, the let bindings open). Input is parsed only
// when a line completes a statement. All the statements it completes are
// then parsed in one pass, so the time spent grows in proportion to the
// input's length. Comments count as blank: a ';' in one ends nothing,
// and a line of comments alone starts no statement.
func repl(ip *annette.Interpreter, lines lineReader, stderr io.Writer) int {
	var buf strings.Builder // input not run yet
	line, start := 0, 1     // the line being read, and the one buf starts at
	cut := 0                // end of the last ';' that ends a statement in buf, or 0
	started := false        // a statement has begun after cut
	inComment := false      // buf ends inside a block comment
	depth := 0              // let and { bindings open at the end of buf
	reset := func() {
		buf.Reset()
		cut, started, inComment, depth = 0, false, false, 0
	}
	for !ip.Exited() {
		text, err := lines.ReadLine(started || inComment)
		if errors.Is(err, errLineTooLong) || errors.Is(err, errLineNotUTF8) {
			fmt.Fprintf(stderr, "annette: %v\n", err)
			err = errDiscard
		}
		if errors.Is(err, errDiscard) {
			reset()
			continue
		}
		if err != nil {
			switch {
			case inComment:
				fmt.Fprintln(stderr, "annette: input ended inside a comment: '/*' has no matching '*/'")
			case started:
				fmt.Fprintln(stderr, "annette: input ended inside a statement")
			default:
				return exitOK
			}
			return exitError
		}
		if !started && !inComment && depth == 0 && isQuitCommand(text) {
			// People type exit or quit alone to leave an interactive
			// session. Read as it is, the line would start a statement
			// that the next lines continue. With its ';', "quit;" still
			// prints a name quit.
			text = "exit;"
		}
		line++
		if buf.Len() == 0 {
			start = line
		}
		// A line that starts inside a block comment is scanned as if it
		// opened one.
		prefix := ""
		if inComment {
			prefix = "/*"
		}
		in := lang.ScanInput([]byte(prefix+text+"\n"), depth)
		base := buf.Len() - len(prefix)
		buf.WriteString(text)
		buf.WriteByte('\n')
		inComment, depth = in.InComment, in.Depth
		switch {
		case in.Complete > 0:
			cut, started = base+in.Complete, !in.Blank
		case !in.Blank:
			started = true
		}
		if cut == 0 {
			if !started && !inComment {
				reset() // blanks and comments only
			}
			continue
		}
		// Positions in messages count lines from the start of buf, which
		// is named after the input line it starts at.
		src := buf.String()
		done, terminated := runComplete(ip, fmt.Sprintf("<input %d>", start), src, cut, stderr)
		if terminated {
			return exitError
		}
		if done < cut {
			started = true // a statement begun before cut is unfinished
		}
		if done >= len(src) || done == cut && !started && !inComment {
			reset()
			continue
		}
		// Keep the rest where it was: the lines before it count, and
		// the part of its first line already run becomes blanks.
		consumed := src[:done]
		start += strings.Count(consumed, "\n")
		column := done - (strings.LastIndexByte(consumed, '\n') + 1)
		buf.Reset()
		buf.WriteString(strings.Repeat(" ", column))
		buf.WriteString(src[done:])
		cut = 0
	}
	return exitOK
}

// isQuitCommand reports whether line is exit or quit alone, with no ';'.
func isQuitCommand(line string) bool {
	word := strings.TrimSpace(line)
	return word == "exit" || word == "quit"
}

// runComplete runs the statements in src[:cut], which ends with a ';', and
// returns the length of the part of src it is done with. That is cut, or
// the start of a statement that src[:cut] does not finish. It first
// parses src[:cut] as a whole. If that fails, it goes statement by
// statement, so that the statements around an error still run. It stops
// and reports terminated when SIGTERM stopped a statement.
func runComplete(ip *annette.Interpreter, name, src string, cut int, stderr io.Writer) (done int, terminated bool) {
	if prog, err := lang.ParseFile(name, []byte(src[:cut]), 0); err == nil {
		for _, stmt := range prog.Stmts {
			if ip.Exited() {
				return len(src), false
			}
			if execStmt(ip, stmt, stderr) {
				return len(src), true
			}
		}
		return cut, false
	}
	text := []byte(src[:cut])
	off := 0
	for off < cut {
		if ip.Exited() {
			return len(src), false
		}
		// The text run so far is blanked out rather than cut off, so that
		// positions stay those of src.
		for i := range text[:off] {
			if text[i] != '\n' {
				text[i] = ' '
			}
		}
		stmt, n, err := lang.ParseStmt(name, text, 0)
		switch {
		case lang.IsIncomplete(err):
			return off, false
		case errors.Is(err, io.EOF):
			return cut, false
		case err != nil:
			printError(stderr, err)
		default:
			if execStmt(ip, stmt, stderr) {
				return len(src), true
			}
		}
		if n <= off {
			return cut, false // the parser took nothing: it stopped at its error limit
		}
		off = n
	}
	return cut, false
}

// execStmt runs one statement. Ctrl-C or SIGTERM stops its reduction,
// and it reports whether SIGTERM did, so that the session ends.
func execStmt(ip *annette.Interpreter, stmt lang.Stmt, stderr io.Writer) (terminated bool) {
	ctx, cancel := stopOnSignal()
	defer cancel()
	ip.SetContext(ctx)
	if err := ip.Exec(stmt); err != nil {
		err = interrupted(ctx, err)
		printError(stderr, err)
		return errors.Is(err, errTerminated)
	}
	return false
}
