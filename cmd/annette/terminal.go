package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"golang.org/x/term"
)

// NOTE: the editor counts characters, not screen columns, so on a line
// with wide characters (as in Chinese or Japanese) the cursor lands in
// the wrong column after Ctrl-A, Ctrl-E or the arrow keys.

// terminalLines reads the REPL's lines from a terminal with line editing:
// the arrow keys, Home and End, Ctrl-A, Ctrl-E, Ctrl-K, Ctrl-U, Ctrl-W,
// and a history that the up and down keys walk. The terminal is in raw
// mode only while a line is read, so Ctrl-C during a reduction still
// sends the interrupt signal that stops it.
type terminalLines struct {
	fd   int // the terminal's descriptor, or -1 to leave its mode alone (tests)
	in   *keyReader
	out  io.Writer
	term *term.Terminal
	hist *fileHistory
}

// newTerm gives t a new line editor, with an empty line.
func (t *terminalLines) newTerm() {
	t.term = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{t.in, t.out}, ">>> ")
	t.term.History = t.hist
}

// newTerminalLines returns a reader of lines typed on in, with the prompt
// and the echo written to out. fd is the descriptor of in when it is a
// terminal, or -1. The history is read from and added to histPath, if it
// is not empty.
func newTerminalLines(fd int, in io.Reader, out io.Writer, histPath string) *terminalLines {
	t := &terminalLines{fd: fd, in: &keyReader{r: in}, out: out, hist: loadHistory(histPath)}
	t.newTerm()
	return t
}

// ReadLine reads one line. Ctrl-C drops the line being typed and returns
// errDiscard. Ctrl-D on an empty line ends the input.
func (t *terminalLines) ReadLine(more bool) (string, error) {
	if more {
		t.term.SetPrompt("... ")
	} else {
		t.term.SetPrompt(">>> ")
	}
	if t.fd >= 0 {
		state, err := term.MakeRaw(t.fd)
		if err != nil {
			return "", err
		}
		defer term.Restore(t.fd, state)
		defer restoreOnSignal(t.fd, state)()
		// A terminal that gives no size (a bare pseudo-terminal reports 0
		// columns) keeps the editor's default of 80.
		if w, h, err := term.GetSize(t.fd); err == nil && w > 0 && h > 0 {
			t.term.SetSize(w, h)
		}
	}
	line, err := t.term.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		// A pasted line is a line like any other here.
		err = nil
	}
	invalid := t.in.invalid
	if err == nil {
		// A Ctrl-C byte read by now went into the line or into an escape
		// sequence that the editor skipped, and ended nothing.
		t.in.interrupted = false
		t.in.invalid = false
	}
	if err == nil && utf8.RuneCountInString(line) >= maxLine {
		// The editor silently drops the keys past its limit.
		return "", errLineTooLong
	}
	if err == nil && invalid {
		return "", errLineNotUTF8
	}
	if errors.Is(err, io.EOF) {
		// The editor reports Ctrl-C as the end of input too, so the
		// reader tells the two apart. The editor keeps the line that
		// Ctrl-C ended, so a new editor takes its place. Keys typed ahead
		// after the Ctrl-C are lost with the old one.
		if t.in.interrupted {
			fmt.Fprint(t.out, "^C\r\n")
			t.in.interrupted = false
			t.newTerm()
			return "", errDiscard
		}
		fmt.Fprint(t.out, "\r\n")
	}
	return line, err
}

// maxLine is the length in characters at which term.Terminal stops
// taking keys into a line.
const maxLine = 4096

// errLineTooLong is returned by terminalLines.ReadLine for a line that
// reached the editor's limit and so lost its end.
var errLineTooLong = fmt.Errorf("a line typed at the prompt must be shorter than %d characters, so the statement was dropped: put longer input in a file and load it with use \"FILE\";", maxLine)

// errLineNotUTF8 is returned by terminalLines.ReadLine for a line typed
// with bytes that are not UTF-8, which the editor would drop unseen.
var errLineNotUTF8 = errors.New("the line typed contains bytes that are not UTF-8, so the statement was dropped")

// restoreOnSignal makes a SIGTERM, SIGHUP or SIGINT (sent by kill, since
// in raw mode Ctrl-C is a key) that arrives while the terminal is in raw
// mode restore its state. The process then exits with 128 plus the
// signal's number, as a shell reports it. Without this it would die with
// the terminal still raw. The function returned stops the watch and its
// goroutine.
func restoreOnSignal(fd int, state *term.State) (stop func()) {
	return onSignal(rawModeSignals, func(sig os.Signal) {
		term.Restore(fd, state)
		code := 1
		if s, ok := sig.(syscall.Signal); ok {
			code = 128 + int(s)
		}
		os.Exit(code)
	})
}

// keyReader passes a terminal's input through. It notes the Ctrl-C
// bytes in it, which term.Terminal reports as io.EOF like Ctrl-D. It
// also rewrites the Home and End codes that the editor does not handle
// into the ones it does.
type keyReader struct {
	r           io.Reader
	interrupted bool   // a Ctrl-C byte was read since the last line
	invalid     bool   // bytes that are not UTF-8 were read since the last line
	partial     []byte // the start of a code that a read cut off
	utf         []byte // the start of a character that a read cut off
	out         []byte // rewritten input not yet returned
}

// noteUTF8 sets k.invalid if data, read after the earlier reads, holds
// bytes that are not UTF-8. A character cut off at the end waits for the
// next read.
func (k *keyReader) noteUTF8(data []byte) {
	b := append(k.utf, data...)
	end := len(b)
	for i := max(0, len(b)-utf8.UTFMax+1); i < len(b); i++ {
		if utf8.RuneStart(b[i]) && !utf8.FullRune(b[i:]) {
			end = i
			break
		}
	}
	if !utf8.Valid(b[:end]) {
		k.invalid = true
	}
	k.utf = append([]byte(nil), b[end:]...)
}

// homeEnd maps other terminals' Home and End codes (VT220, rxvt and
// application cursor mode) to ESC [ H and ESC [ F.
var homeEnd = strings.NewReplacer(
	"\x1b[1~", "\x1b[H", "\x1b[7~", "\x1b[H", "\x1bOH", "\x1b[H",
	"\x1b[4~", "\x1b[F", "\x1b[8~", "\x1b[F", "\x1bOF", "\x1b[F",
)

// codeStarts are the beginnings of the codes homeEnd rewrites. Input
// that ends with one is held back until the next read completes it.
var codeStarts = []string{"\x1b[1", "\x1b[4", "\x1b[7", "\x1b[8", "\x1b[", "\x1bO", "\x1b"}

func (k *keyReader) Read(p []byte) (int, error) {
	var err error
	for len(k.out) == 0 && err == nil {
		buf := make([]byte, max(len(p), 16))
		var n int
		n, err = k.r.Read(buf)
		if bytes.IndexByte(buf[:n], keyInterrupt) >= 0 {
			k.interrupted = true
		}
		k.noteUTF8(buf[:n])
		data := append(k.partial, buf[:n]...)
		k.partial = nil
		if err == nil {
			for _, c := range codeStarts {
				if bytes.HasSuffix(data, []byte(c)) {
					k.partial = append([]byte(nil), data[len(data)-len(c):]...)
					data = data[:len(data)-len(c)]
					break
				}
			}
		}
		if bytes.IndexByte(data, 0x1b) >= 0 {
			data = []byte(homeEnd.Replace(string(data)))
		}
		k.out = data
	}
	n := copy(p, k.out)
	k.out = k.out[n:]
	if len(k.out) > 0 {
		return n, nil // the error comes with the rest
	}
	return n, err
}

// keyInterrupt is the byte that Ctrl-C sends in raw mode.
const keyInterrupt = 3

// historyMax is the number of lines the REPL's history keeps.
const historyMax = 1000

// fileHistory is the REPL's history: the lines typed, most recent last,
// kept in memory and added to a file as they are typed, so that the next
// session starts with them. A line equal to the one before it, and an
// empty line, are not kept.
type fileHistory struct {
	lines []string
	path  string // "" keeps the history in memory only
}

// loadHistory returns a history that starts with the last historyMax
// lines of the file at path. A missing or unreadable file gives an empty
// history: the REPL works without one.
func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	if path == "" {
		return h
	}
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	r := bufio.NewReader(f)
	lines := 0
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			h.keep(strings.TrimSuffix(line, "\n"))
			lines++
		}
		if err != nil {
			break
		}
	}
	if len(h.lines) > historyMax {
		h.lines = h.lines[len(h.lines)-historyMax:]
	}
	if lines > 2*historyMax {
		// Add only appends, so the file is cut back here.
		h.rewrite()
	}
	return h
}

// rewrite replaces the history file by the lines in memory. A failure
// leaves the old file.
func (h *fileHistory) rewrite() {
	// A link to the history stays a link: the file it leads to is
	// replaced.
	path, err := filepath.EvalSymlinks(h.path)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".annette_history*")
	if err != nil {
		return
	}
	for _, line := range h.lines {
		fmt.Fprintln(tmp, line)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
	}
}

// keep adds line to the lines in memory and reports whether it was kept.
func (h *fileHistory) keep(line string) bool {
	if strings.TrimSpace(line) == "" || len(h.lines) > 0 && h.lines[len(h.lines)-1] == line {
		return false
	}
	if utf8.RuneCountInString(line) >= maxLine {
		return false // cut off by the editor, and dropped (see ReadLine)
	}
	h.lines = append(h.lines, line)
	return true
}

// Add records a line typed at the prompt. A file that cannot be written
// loses the line from the next session's history, not from this one.
func (h *fileHistory) Add(line string) {
	if !h.keep(line) {
		return
	}
	if len(h.lines) > 2*historyMax {
		h.lines = append(h.lines[:0], h.lines[len(h.lines)-historyMax:]...)
	}
	if h.path == "" {
		return
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintln(f, line)
	f.Close()
}

// Len returns the number of lines the up key can reach.
func (h *fileHistory) Len() int { return min(len(h.lines), historyMax) }

// At returns a line: 0 is the most recent.
func (h *fileHistory) At(i int) string { return h.lines[len(h.lines)-1-i] }
