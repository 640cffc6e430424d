package engine

import (
	"sync"
	"testing"
)

// TestShareOldestPair checks that share gives the oldest pair to the pool
// and keeps the rest of the stack in order. A long stack is resliced, not
// shifted, so that a share costs the same whatever the stack's length.
func TestShareOldestPair(t *testing.T) {
	for _, n := range []int{1, 2, shareShift, shareShift + 1, 1000} {
		s := &Scheduler{}
		s.cond = sync.NewCond(&s.mu)
		w := &Worker{}
		for i := range n {
			w.stack = append(w.stack, Redex{Port(uint64(i)<<3 | tagInt), Port(uint64(i+1)<<3 | tagInt)})
		}
		oldest := w.stack[0]
		var second *Redex
		if n > 1 {
			second = &w.stack[1]
		}
		s.share(w)
		if len(s.pool) != 1 || s.pool[0] != oldest {
			t.Errorf("n=%d: pool %v, want the oldest pair %v", n, s.pool, oldest)
		}
		if got := s.poolLen.Load(); got != 1 {
			t.Errorf("n=%d: poolLen %d, want 1", n, got)
		}
		if len(w.stack) != n-1 {
			t.Fatalf("n=%d: %d pairs left, want %d", n, len(w.stack), n-1)
		}
		for i, r := range w.stack {
			want := Redex{Port(uint64(i+1)<<3 | tagInt), Port(uint64(i+2)<<3 | tagInt)}
			if r != want {
				t.Fatalf("n=%d: pair %d is %v, want %v", n, i, r, want)
			}
		}
		if n == 1000 && &w.stack[0] != second {
			t.Errorf("n=%d: the stack was copied, want it resliced", n)
		}
	}
}
