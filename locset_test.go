package annette

import "testing"

func TestLocSet(t *testing.T) {
	var s locSet
	locs := []uint64{0, 1, 63, 64, locPage - 1, locPage, 5*locPage + 7, 1 << 33}
	for _, l := range locs {
		if s.has(l) {
			t.Errorf("empty set has %d", l)
		}
		s.add(l)
		s.add(l)
	}
	if s.n != len(locs) {
		t.Errorf("set counts %d locations, want %d", s.n, len(locs))
	}
	for _, l := range locs {
		if !s.has(l) {
			t.Errorf("set lacks %d", l)
		}
	}
	if s.has(2) || s.has(locPage+1) || s.has(1<<33+1) {
		t.Error("set has a location never added")
	}
	s.remove(64)
	s.remove(65)
	if s.has(64) || !s.has(63) || s.n != len(locs)-1 {
		t.Errorf("after removing 64: has(64) %v, has(63) %v, n %d", s.has(64), s.has(63), s.n)
	}
}
