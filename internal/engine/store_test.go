package engine

import (
	"sync"
	"testing"
)

func TestStoreChunkOwners(t *testing.T) {
	s := NewStore()
	h1, h2 := NewHeap(s), NewHeap(s)
	a := h1.alloc(2)
	b := h2.alloc(2)
	if a == 0 {
		t.Error("location 0 was handed out")
	}
	if got := h1.chunkOf(a).owner; got != h1 {
		t.Errorf("owner of h1's cell = %p, want h1 %p", got, h1)
	}
	if got := h1.chunkOf(b).owner; got != h2 {
		t.Errorf("owner of h2's cell = %p, want h2 %p", got, h2)
	}
	if a>>chunkBits == b>>chunkBits {
		t.Errorf("cells %d and %d of two heaps share a chunk", a, b)
	}
}

func TestStoreRemoteFreeReturnsCell(t *testing.T) {
	s := NewStore()
	h1, h2 := NewHeap(s), NewHeap(s)
	a := h1.alloc(3)
	h2.release(a, 3)
	if h2.free[3] != 0 {
		t.Errorf("h2 took h1's cell %d on its own free list", h2.free[3])
	}
	if got := h1.inbox[3].Load(); got != a {
		t.Errorf("h1's inbox holds %d, want %d", got, a)
	}
	// h1's free list is empty, so the next allocation takes the inbox.
	if got := h1.alloc(3); got != a {
		t.Errorf("h1 allocated %d, want its returned cell %d", got, a)
	}
	if got := h1.inbox[3].Load(); got != 0 {
		t.Errorf("h1's inbox still holds %d", got)
	}
}

// TestStoreRemoteFreeConcurrent frees one heap's cells from several
// goroutines while the owner allocates, and checks that every cell comes
// back exactly once. Run it with -race.
func TestStoreRemoteFreeConcurrent(t *testing.T) {
	const perWorker, workers = 2000, 4
	s := NewStore()
	owner := NewHeap(s)
	cells := make([]uint64, perWorker*workers)
	for i := range cells {
		cells[i] = owner.alloc(2)
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := NewHeap(s)
			for _, l := range cells[g*perWorker : (g+1)*perWorker] {
				h.release(l, 2)
			}
		}()
	}
	// The owner allocates meanwhile: from its range at first, from the
	// inbox once cells arrive.
	got := map[uint64]bool{}
	for range perWorker {
		got[owner.alloc(2)] = true
	}
	wg.Wait()
	for range len(cells) {
		got[owner.alloc(2)] = true
	}
	for _, l := range cells {
		if !got[l] {
			t.Fatalf("cell %d never came back to its owner", l)
		}
	}
	if len(got) != len(cells)+perWorker {
		t.Errorf("%d distinct cells allocated, want %d", len(got), len(cells)+perWorker)
	}
}
