package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunCommands(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		status     int
		stdout     string
		stderrPart string
	}{
		{[]string{"version"}, exitOK, "annette ", ""},
		{[]string{"help"}, exitOK, "Usage:", ""},
		{nil, exitUsage, "", "Usage:"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
	} {
		var out, errb bytes.Buffer
		got := run(tc.args, strings.NewReader(""), &out, &errb)
		if got != tc.status {
			t.Errorf("run(%q) = %d, want %d", tc.args, got, tc.status)
		}
		if !strings.Contains(out.String(), tc.stdout) {
			t.Errorf("run(%q) stdout = %q, want it to contain %q", tc.args, out.String(), tc.stdout)
		}
		if !strings.Contains(errb.String(), tc.stderrPart) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tc.args, errb.String(), tc.stderrPart)
		}
	}
}
