package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// docBlock is a fenced code block of a Markdown file, with the paragraph
// of text just before it.
type docBlock struct {
	line  int // line of the opening fence
	intro string
	text  string
}

// fencedBlocks returns the fenced code blocks of a Markdown text, each
// with the last paragraph before it.
func fencedBlocks(md string) []docBlock {
	var blocks []docBlock
	var para []string
	ended := false // a blank line has ended para
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "```"):
			start := i
			i++
			for i < len(lines) && !strings.HasPrefix(lines[i], "```") {
				i++
			}
			body := strings.Join(lines[start+1:min(i, len(lines))], "\n")
			blocks = append(blocks, docBlock{line: start + 1, intro: strings.Join(para, " "), text: body})
			para, ended = nil, false
		case strings.TrimSpace(line) == "":
			ended = true
		default:
			if ended {
				para, ended = nil, false
			}
			para = append(para, strings.TrimSpace(line))
		}
	}
	return blocks
}

// lockedBuffer collects stdout and stderr in one text, in the order in
// which they are written. The lock keeps writes from two goroutines apart.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.WriteString(string(p))
}

var (
	// docCommand matches the paragraph before an output block that names
	// its command, such as "`annette run -t 1 divzero.in` prints (exit
	// status 1):".
	docCommand = regexp.MustCompile("^`annette ([^`]*)` prints(?: \\(exit status (\\d)\\))?:$")
	// docFileName matches the paragraph before a program block that names
	// the file it is saved in, such as "and `use/main.in`:".
	docFileName = regexp.MustCompile("`([^` ]+\\.in)`:$")
	docSeconds  = regexp.MustCompile(`\d+\.\d\d sec\)`)
)

// TestLanguageGuideExamples runs the programs of docs/LANGUAGE.md that are
// followed by "Output:" or by "`annette run ... FILE` prints:", and
// compares what they print, and their exit status, with the guide.
func TestLanguageGuideExamples(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "LANGUAGE.md"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())

	var program docBlock // the last block that is not an output
	programFile := ""    // the file that block is saved in, if the guide names one
	checked := 0
	for _, b := range fencedBlocks(string(md)) {
		var args []string
		status := exitOK
		if b.intro == "Output:" {
			if programFile == "" {
				programFile = "prog.in"
				writeDocFile(t, programFile, program.text)
			}
			args = []string{"run", "-t", "1", programFile}
		} else if m := docCommand.FindStringSubmatch(b.intro); m != nil {
			args = strings.Fields(m[1])
			if m[2] != "" {
				status, _ = strconv.Atoi(m[2])
			}
			writeDocFile(t, args[len(args)-1], program.text)
		} else {
			program, programFile = b, ""
			if m := docFileName.FindStringSubmatch(b.intro); m != nil {
				programFile = m[1]
				writeDocFile(t, programFile, b.text)
			}
			continue
		}

		var out lockedBuffer
		got := run(args, strings.NewReader(""), &out, &out)
		gotText := docSeconds.ReplaceAllString(strings.TrimSpace(out.b.String()), "T sec)")
		wantText := docSeconds.ReplaceAllString(strings.TrimSpace(b.text), "T sec)")
		if gotText != wantText {
			t.Errorf("LANGUAGE.md:%d: annette %s on the program at line %d printed\n%s\nwant\n%s",
				b.line, strings.Join(args, " "), program.line, gotText, wantText)
		}
		if got != status {
			t.Errorf("LANGUAGE.md:%d: annette %s exited with %d, want %d", b.line, strings.Join(args, " "), got, status)
		}
		checked++
	}
	if checked < 40 {
		t.Errorf("checked %d examples of LANGUAGE.md, want at least 40: the test no longer finds them", checked)
	}
}

// writeDocFile writes text and a final newline to the file at path,
// creating its directory.
func writeDocFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
