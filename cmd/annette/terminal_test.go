package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/annette-go/annette"
	"go.uber.org/goleak"
)

// keys is a reader that returns one chunk of key presses per Read, as a
// terminal in raw mode does, and then io.EOF.
type keys struct{ chunks []string }

func (k *keys) Read(p []byte) (int, error) {
	if len(k.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, k.chunks[0])
	k.chunks[0] = k.chunks[0][n:]
	if k.chunks[0] == "" {
		k.chunks = k.chunks[1:]
	}
	return n, nil
}

// readAll reads lines until an error other than errDiscard, and returns
// them with "^C" for each discarded line.
func readAll(t *testing.T, lines *terminalLines) []string {
	t.Helper()
	var got []string
	for range 100 {
		line, err := lines.ReadLine(false)
		switch {
		case errors.Is(err, errDiscard), errors.Is(err, errLineTooLong):
			got = append(got, "^C")
		case errors.Is(err, errLineNotUTF8):
			got = append(got, "!utf8")
		case errors.Is(err, io.EOF):
			return got
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, line)
		}
	}
	t.Fatal("no end of input")
	return nil
}

func TestTerminalLines(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"lines", []string{"x ~ ", "1;\r", "x;\r"}, []string{"x ~ 1;", "x;"}},
		{"crlf", []string{"a;\r\nb;\r\n"}, []string{"a;", "b;"}},
		{"edit", []string{"ab\x7fc;\r", "\x01d\r"}, []string{"ac;", "d"}},
		{"ctrl-c drops the line", []string{"abc", "\x03", "def\r"}, []string{"^C", "def"}},
		{"ctrl-c alone", []string{"\x03", "\x03", "x\r"}, []string{"^C", "^C", "x"}},
		{"ctrl-c swallowed by an escape", []string{"a\x1b", "\x03b\r", "\x04"}, []string{"a"}},
		{"ctrl-d ends", []string{"a\r", "\x04", "b\r"}, []string{"a"}},
		{"ctrl-d deletes in a line", []string{"ab\x02\x04\r"}, []string{"a"}},
		{"up recalls", []string{"one\r", "two\r", "\x1b[A\x1b[A\r"}, []string{"one", "two", "one"}},
		{"home and end, vt220", []string{"bc\x1b[1~a\x1b[4~d\r"}, []string{"abcd"}},
		{"home and end, rxvt", []string{"bc\x1b[7~a\x1b[8~d\r"}, []string{"abcd"}},
		{"home and end, application mode", []string{"bc\x1bOHa\x1bOFd\r"}, []string{"abcd"}},
		{"home split across reads", []string{"bc\x1b", "OHa\x1b[", "4~d\r"}, []string{"abcd"}},
		{"escape at the end of input", []string{"ab\r", "\x1b"}, []string{"ab"}},
		{"line too long", []string{strings.Repeat("x", 5000) + "\r", "y\r"}, []string{"^C", "y"}},
		{"not utf-8", []string{"x ~ \xff\xfe;\r", "y\r"}, []string{"!utf8", "y"}},
		{"utf-8 split across reads", []string{"x ~ \xc3", "\xa9;\r", "\xe2\x82", "\xac\r"}, []string{"x ~ é;", "€"}},
		{"cut utf-8 then ascii", []string{"a\xc3", "b\r", "c\r"}, []string{"!utf8", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			lines := newTerminalLines(-1, &keys{chunks: tc.chunks}, &out, "")
			got := readAll(t, lines)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
			if !strings.HasPrefix(out.String(), ">>> ") {
				t.Errorf("output %q does not start with the prompt", out.String())
			}
		})
	}
}

func TestTerminalPrompt(t *testing.T) {
	var out bytes.Buffer
	lines := newTerminalLines(-1, &keys{chunks: []string{"a\r", "b\r"}}, &out, "")
	if _, err := lines.ReadLine(false); err != nil {
		t.Fatal(err)
	}
	if _, err := lines.ReadLine(true); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, ">>> a") {
		t.Errorf("output %q lacks the first prompt", s)
	}
	if s := out.String(); !strings.Contains(s, "... b") {
		t.Errorf("output %q lacks the continuation prompt", s)
	}
}

// TestTerminalHistoryFile checks that the history starts with the file's
// lines, leaves out empty and repeated ones and lines too long for the
// editor, and adds what is typed.
func TestTerminalHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	if err := os.WriteFile(path, []byte("a;\nb;\n\nb;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	long := strings.Repeat("x", 5000) + "\r" // cut off by the editor, so dropped
	lines := newTerminalLines(-1, &keys{chunks: []string{"\x1b[A\x1b[A\r", "c;\r", long, "c;\r", "\r"}}, &out, path)
	got := readAll(t, lines)
	if want := []string{"a;", "c;", "^C", "c;", ""}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a;\nb;\n\nb;\na;\nc;\n"; string(data) != want {
		t.Errorf("history file %q, want %q", data, want)
	}
	// The next session starts with the file's lines.
	h := loadHistory(path)
	if h.Len() != 4 || h.At(0) != "c;" || h.At(3) != "a;" {
		t.Errorf("loaded history %q", h.lines)
	}
}

func TestTerminalHistoryBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	var b strings.Builder
	for i := range 3 * historyMax {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	h := loadHistory(path)
	if h.Len() != historyMax || h.At(0) != fmt.Sprintf("line %d", 3*historyMax-1) {
		t.Fatalf("loaded %d lines, the last %q", h.Len(), h.At(0))
	}

	for i := range 3 * historyMax {
		h.Add(fmt.Sprintf("new %d", i))
	}
	if h.Len() != historyMax || len(h.lines) > 2*historyMax || h.At(historyMax-1) != fmt.Sprintf("new %d", 2*historyMax) {
		t.Errorf("after adding: %d lines reachable, %d kept, the oldest %q", h.Len(), len(h.lines), h.At(h.Len()-1))
	}

	// Loading a file of more than twice the bound cuts it back.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != historyMax+3*historyMax {
		t.Errorf("history file has %d lines after loading and adding, want %d", n, 4*historyMax)
	}
	if h := loadHistory(path); h.Len() != historyMax {
		t.Errorf("reloaded history has %d lines", h.Len())
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != historyMax {
		t.Errorf("history file has %d lines after a second load, want %d", n, historyMax)
	}

	// A missing file, or one in a missing directory, is an empty history.
	if h := loadHistory(filepath.Join(path, "none")); h.Len() != 0 {
		t.Errorf("missing file: %d lines", h.Len())
	}
	h = loadHistory(filepath.Join(path, "none"))
	h.Add("kept in memory")
	if h.Len() != 1 {
		t.Errorf("a history whose file cannot be written keeps %d lines", h.Len())
	}
}

// TestReplOnTerminal runs statements typed at the terminal prompt,
// with a Ctrl-C that drops an unfinished one.
func TestReplOnTerminal(t *testing.T) {
	var stdout, stderr bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Workers: 1, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	var screen bytes.Buffer
	lines := newTerminalLines(-1, &keys{chunks: []string{"x ~ ", "\x03", "y ~ 2", "\r", ";\r", "y;\r", "x;\r"}}, &screen, "")
	if status := repl(ip, lines, &stderr); status != exitOK {
		t.Fatalf("status %d, stderr %q", status, stderr.String())
	}
	// x was dropped with its statement, so it reads as undefined.
	if got := stdout.String(); !strings.HasSuffix(got, "\n2\n<NON-DEFINED>\n") {
		t.Errorf("stdout %q, want 2 and <NON-DEFINED> (stderr %q)", got, stderr.String())
	}
	if !strings.Contains(screen.String(), "^C") {
		t.Errorf("screen %q lacks ^C", screen.String())
	}
	if !strings.Contains(screen.String(), "... ") {
		t.Errorf("screen %q lacks the continuation prompt", screen.String())
	}
}

// TestTerminalHistoryOddFiles checks a history file with a line of more
// than a megabyte, and one reached through a symbolic link.
func TestTerminalHistoryOddFiles(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	var b strings.Builder
	for i := range 2100 {
		fmt.Fprintf(&b, "old %d\n", i)
	}
	b.WriteString(strings.Repeat("x", 1<<20+10) + "\n")
	for i := range 10 {
		fmt.Fprintf(&b, "new %d\n", i)
	}
	if err := os.WriteFile(real, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}

	h := loadHistory(link)
	if h.Len() != historyMax || h.At(0) != "new 9" {
		t.Errorf("loaded %d lines, the newest %.20q", h.Len(), h.At(0))
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != historyMax {
		t.Errorf("the linked file has %d lines after the cut, want %d", n, historyMax)
	}
}

// TestRestoreOnSignalStops checks that the signal watch of raw mode ends
// its goroutine when the line has been read. The first watch starts the
// goroutine of os/signal, which stays, so it comes before the snapshot.
// goleak waits a while for goroutines that are about to end: a watch's
// goroutine still runs for a moment after stop returns.
func TestRestoreOnSignalStops(t *testing.T) {
	restoreOnSignal(-1, nil)()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for range 100 {
		restoreOnSignal(-1, nil)()
	}
}
