package annette

// locSet is a set of store locations, kept as a bitmap in pages of 2^15
// locations that are allocated as they are first used. Walks of the net
// (reading a term, free, discarding failed pairs) mark millions of agents:
// a Go map took seconds for them, most of it in probing.
type locSet struct {
	pages []*[locPage / 64]uint64
	n     int // locations in the set
}

const locPage = 1 << 15

// has reports whether l is in the set.
func (s *locSet) has(l uint64) bool {
	p := l / locPage
	if p >= uint64(len(s.pages)) || s.pages[p] == nil {
		return false
	}
	return s.pages[p][l%locPage/64]&(1<<(l%64)) != 0
}

// add puts l in the set.
func (s *locSet) add(l uint64) {
	p := l / locPage
	if p >= uint64(len(s.pages)) {
		s.pages = append(s.pages, make([]*[locPage / 64]uint64, p+1-uint64(len(s.pages)))...)
	}
	if s.pages[p] == nil {
		s.pages[p] = new([locPage / 64]uint64)
	}
	w := &s.pages[p][l%locPage/64]
	if *w&(1<<(l%64)) == 0 {
		*w |= 1 << (l % 64)
		s.n++
	}
}

// remove takes l out of the set.
func (s *locSet) remove(l uint64) {
	if !s.has(l) {
		return
	}
	s.pages[l/locPage][l%locPage/64] &^= 1 << (l % 64)
	s.n--
}
