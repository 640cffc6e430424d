package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestDotCommand checks annette dot on a program: the net as built by
// default, after -steps and after -reduce, and that what the program
// prints stays out of the drawing.
func TestDotCommand(t *testing.T) {
	prog := writeProgram(t, "inc.in", "Inc(r) >< (int n) => r ~ n + 1;\nInc(Inc(a)) ~ 1;\na;\n")
	for _, tc := range []struct {
		args  []string
		pairs int
		want  string // a line of the drawing
	}{
		{nil, 1, `<B>Inc</B>`},
		{[]string{"-steps", "1"}, 1, `label="2"`},
		{[]string{"-reduce"}, 0, `label="3"`},
	} {
		var out, errb bytes.Buffer
		args := append(append([]string{"dot"}, tc.args...), prog)
		if got := run(args, strings.NewReader(""), &out, &errb); got != exitOK {
			t.Fatalf("%q: status %d, stderr %q", args, got, errb.String())
		}
		got := out.String()
		if !strings.HasPrefix(got, "graph net {\n") || !strings.HasSuffix(got, "}\n") {
			t.Errorf("%q: output is not one graph:\n%s", args, got)
		}
		if n := strings.Count(got, "color=red"); n != tc.pairs {
			t.Errorf("%q: %d active pairs drawn, want %d:\n%s", args, n, tc.pairs, got)
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%q: output lacks %s:\n%s", args, tc.want, got)
		}
		if strings.Contains(got, "interactions") {
			t.Errorf("%q: the program's output is in the drawing:\n%s", args, got)
		}
	}
}

// TestDotErrors checks the usage errors of annette dot, the limit on the
// agents drawn, and a program error.
func TestDotErrors(t *testing.T) {
	prog := writeProgram(t, "list.in", "a ~ [1, 2, 3, 4, 5, 6];\n")
	bad := writeProgram(t, "bad.in", "a ~ ;\n")
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"dot", "-steps", "2", "-reduce", prog}, exitUsage, "give -steps or -reduce, not both"},
		{[]string{"dot", "-steps", "-1", prog}, exitUsage, "must not be negative"},
		{[]string{"dot", prog, prog}, exitUsage, "give one program file"},
		{[]string{"dot", prog, "-reduce"}, exitUsage, "flag -reduce after the program file: put flags before it"},
		{[]string{"dot", "-max-agents", "5", prog}, exitError, "the net has 7 agents, more than -max-agents 5"},
		{[]string{"dot", bad}, exitError, "bad.in:1:5:"},
		{[]string{"dot", "/nonexistent/x.in"}, exitError, "no such file"},
	} {
		var out, errb bytes.Buffer
		if got := run(tc.args, strings.NewReader(""), &out, &errb); got != tc.status {
			t.Errorf("%q: status %d, want %d (stderr %q)", tc.args, got, tc.status, errb.String())
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: stderr %q, want it to contain %q", tc.args, errb.String(), tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", tc.args, out.String())
		}
	}
}

// TestDotDrawsFailedNet checks that a statement that fails, here at the
// interaction limit or on a pair with no rule, is reported and that the
// net it left is drawn, with exit status 1.
func TestDotDrawsFailedNet(t *testing.T) {
	loop := writeProgram(t, "loop.in", "L(r) >< Go => L(r) ~ Go;\nL(x) ~ Go;\n")
	stuck := writeProgram(t, "stuck.in", "a ~ Foo(b);\nFoo(x) ~ Bar;\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dot", "-reduce", "-max-interactions", "100", loop}, "loop.in:2:1: interaction limit reached (limit 100)"},
		{[]string{"dot", "-reduce", stuck}, "stuck.in:2:1: no rule for Foo >< Bar"},
	} {
		var out, errb bytes.Buffer
		if got := run(tc.args, strings.NewReader(""), &out, &errb); got != exitError {
			t.Errorf("%q: status %d, want %d", tc.args, got, exitError)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: stderr %q, want %q", tc.args, errb.String(), tc.want)
		}
		if got := out.String(); !strings.HasPrefix(got, "graph net {") || strings.Count(got, "color=red") != 1 {
			t.Errorf("%q: want a drawing with the active pair left:\n%s", tc.args, got)
		}
	}
}
