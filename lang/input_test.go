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
	}
	for _, tt := range tests {
		if got := ScanInput([]byte(tt.src)); got != tt.want {
			t.Errorf("ScanInput(%q) = %+v, want %+v", tt.src, got, tt.want)
		}
	}
}
