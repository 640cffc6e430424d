package lang

import "testing"

func TestScanInput(t *testing.T) {
	tests := []struct {
		src  string
		want Input
	}{
		{"", Input{Blank: true}},
		{"a ~ B;", Input{Complete: 6, Blank: true}},
		{"a ~ B; b", Input{Complete: 6}},
		{"a ~ B; // c; d", Input{Complete: 6, Blank: true}},
		{"a ~ /* ; */ B", Input{}},
		{"a ~ B; /* c;", Input{Complete: 6, Blank: true, InComment: true}},
		{"use \"x;y\"", Input{}},
		{"use \"x;y\";\n", Input{Complete: 10, Blank: true}},
		{";;", Input{Complete: 2, Blank: true}},
		{"// only\n/* comments */\n", Input{Blank: true}},
		{"let n = 10;", Input{Depth: 1}},
		{"let n = 10; m = 2 in a ~ m end;", Input{Complete: 31, Blank: true}},
		{"{ k = 3; } c ~ k;", Input{Complete: 17, Blank: true}},
		{"{ k = 3;", Input{Depth: 1}},
		{"a ~ 1; let x = 1;", Input{Complete: 6, Depth: 1}},
	}
	for _, tt := range tests {
		if got := ScanInput([]byte(tt.src), 0); got != tt.want {
			t.Errorf("ScanInput(%q) = %+v, want %+v", tt.src, got, tt.want)
		}
	}
}

// TestScanInputDepth checks that the bindings open before a text carry
// over to it, as when a loop scans one line at a time.
func TestScanInputDepth(t *testing.T) {
	got := ScanInput([]byte("m = 2 in a ~ m end;"), 1)
	if want := (Input{Complete: 19, Blank: true}); got != want {
		t.Errorf("ScanInput with one let open = %+v, want %+v", got, want)
	}
}

// TestScanInputTooLarge checks that text above the lexer's size limit,
// which the lexer does not read, is not reported as blank, because a
// loop drops blank input without a message.
func TestScanInputTooLarge(t *testing.T) {
	defer func(n int) { maxSource = n }(maxSource)
	maxSource = 4
	got := ScanInput([]byte("a ~ B;"), 1)
	if want := (Input{Depth: 1}); got != want {
		t.Errorf("ScanInput above the size limit = %+v, want %+v", got, want)
	}
}
