package engine

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestStoreChunkOwners(t *testing.T) {
	s := NewStore()
	h1, h2 := NewHeap(s), NewHeap(s)
	a := h1.alloc(2)
	b := h2.alloc(2)
	if a == 0 {
		t.Error("location 0 was handed out")
	}
	if got := h1.ownerOf(a); got != h1 {
		t.Errorf("owner of h1's cell = %p, want h1 %p", got, h1)
	}
	if got := h1.ownerOf(b); got != h2 {
		t.Errorf("owner of h2's cell = %p, want h2 %p", got, h2)
	}
	if a>>chunkBits == b>>chunkBits {
		t.Errorf("cells %d and %d of two heaps share a chunk", a, b)
	}
	if !h1.owns(a) || h1.owns(b) || !h2.owns(b) || h2.owns(a) {
		t.Errorf("owns: h1 %v %v, h2 %v %v; want true false, true false", h1.owns(a), h1.owns(b), h2.owns(b), h2.owns(a))
	}
	if a&chunkMask == 0 || b&chunkMask == 0 {
		t.Errorf("a chunk's first word was handed out: %d, %d", a, b)
	}
}

func TestStoreRemoteFreeReturnsCell(t *testing.T) {
	s := NewStore()
	h1, h2 := NewHeap(s), NewHeap(s)
	a := h1.alloc(3)
	b := h1.alloc(1)
	c := h1.alloc(2)
	d := h1.alloc(2)
	h1.release(d, 2) // h1's own list of 2-word cells is not empty
	for _, x := range []struct {
		loc uint64
		n   int
	}{{a, 3}, {b, 1}, {c, 2}} {
		h2.release(x.loc, x.n)
	}
	if h2.free[3] != 0 || h2.free[1] != 0 || h2.free[2] != 0 {
		t.Errorf("h2 took h1's cells on its own free lists: %v", h2.free[:4])
	}
	if got := h1.inbox[3].Load(); got != a {
		t.Errorf("h1's inbox holds %d, want %d", got, a)
	}
	// The cells wait in the inbox while h1's current range lasts.
	if got := h1.alloc(3); got == a {
		t.Errorf("h1 took its returned cell %d before its range ended", a)
	}
	// At the end of the range, every inbox whose free list is empty is
	// taken, whatever the size being allocated.
	h1.bump = h1.end
	if got := h1.alloc(3); got != a {
		t.Errorf("h1 allocated %d, want its returned cell %d", got, a)
	}
	if got := h1.inbox[3].Load(); got != 0 {
		t.Errorf("h1's inbox of 3-word cells still holds %d", got)
	}
	if got := h1.free[1]; got != b {
		t.Errorf("h1's free list of wire cells starts at %d, want %d", got, b)
	}
	// The list of 2-word cells was not empty: its inbox waits.
	if got := h1.inbox[2].Load(); got != c {
		t.Errorf("h1's inbox of 2-word cells holds %d, want %d", got, c)
	}
	if got := h1.alloc(2); got != d {
		t.Errorf("h1 allocated %d, want its own freed cell %d", got, d)
	}
}

// TestStoreRemoteFreeConcurrent frees one heap's cells from several
// goroutines while the owner allocates and ends its ranges early, so that
// it takes its inbox while cells arrive. Every cell must come back
// exactly once. Run it with -race.
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
	got := map[uint64]bool{}
	allocs := 0
	take := func() {
		l := owner.alloc(2)
		if got[l] {
			t.Fatalf("cell %d handed out twice", l)
		}
		got[l] = true
		allocs++
	}
	for i := range perWorker {
		if i%100 == 0 {
			owner.bump = owner.end // the range ends: take the inbox
		}
		take()
	}
	wg.Wait()
	owner.bump = owner.end
	for range len(cells) {
		take()
	}
	for _, l := range cells {
		if !got[l] {
			t.Fatalf("cell %d never came back to its owner", l)
		}
	}
	if len(got) != allocs {
		t.Errorf("%d distinct cells in %d allocations", len(got), allocs)
	}
}

// TestStoreFull lets a store take two chunks and checks that the third
// panics with ErrStoreFull, and that the chunks go back to the arena once
// the store is unreachable.
func TestStoreFull(t *testing.T) {
	s := NewStore()
	s.limit = 2
	h := NewHeap(s)
	first := h.alloc(1)
	h.bump = h.end // drops the rest of the first chunk
	l := h.alloc(1)
	if l>>chunkBits == first>>chunkBits {
		t.Fatalf("two ranges in chunk %d", l>>chunkBits)
	}
	*h.cell(l&^chunkMask + chunkWords - 1) = 7 // the chunk's last word
	if got := h.ownerOf(l); got != h {
		t.Errorf("owner of the last chunk = %p, want %p", got, h)
	}
	if got := s.Words(); got != 2*chunkWords {
		t.Errorf("store words = %d, want %d", got, 2*chunkWords)
	}
	h.bump = h.end
	func() {
		defer func() {
			if v := recover(); v != ErrStoreFull {
				t.Errorf("recovered %v, want ErrStoreFull", v)
			}
		}()
		h.alloc(1)
		t.Error("allocation past the last chunk returned")
	}()
}

// TestArenaGivesBack checks that the chunks of an unreachable store
// go back to the arena without an owner.
func TestArenaGivesBack(t *testing.T) {
	var l uint64
	func() {
		s := NewStore()
		h := NewHeap(s)
		l = h.alloc(1)
		*h.cell(l) = 12345
	}()
	c := l >> chunkBits
	for i := 0; i < 100 && chunkOwner(c) != 0; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if chunkOwner(c) != 0 {
		t.Fatalf("chunk %d still has its owner after the store went", c)
	}
}

// TestHeapKeepsStore checks that a heap in use keeps its store, and so
// its chunks, however long ago the store itself was last used.
func TestHeapKeepsStore(t *testing.T) {
	h := NewHeap(NewStore())
	l := h.alloc(1)
	*h.cell(l) = 777
	for range 5 {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := chunkOwner(l >> chunkBits); got != h.id {
		t.Fatalf("owner of the heap's chunk = %d, want %d", got, h.id)
	}
	if got := *h.cell(l); got != 777 {
		t.Fatalf("cell = %d, want 777", got)
	}
}

// chunkOwner returns the heap number in the first word of chunk c.
func chunkOwner(c uint64) uint64 {
	arena.mu.Lock()
	defer arena.mu.Unlock()
	return *chunkHead(c)
}

func TestMemoryLimit(t *testing.T) {
	hard := arenaWords() - arenaWords()/16
	for _, c := range []struct{ in, want int64 }{
		{0, hard}, {-1, hard}, {1, 1}, {1 << 20, 1 << 20}, {hard, hard}, {hard + 1, hard}, {1 << 62, hard},
	} {
		if got := MemoryLimit(c.in); got != c.want {
			t.Errorf("MemoryLimit(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestRunStoreFull fills the store during a run, faster than the memory
// checks can see, and expects ErrMemoryLimit instead of a panic.
func TestRunStoreFull(t *testing.T) {
	n := newTestNet(t, false)
	pump := n.define("Pump", false, "r")
	tick := n.define("Tick", false)
	// Pump(r) >< Tick => r ~ S(s), Pump(s) ~ Tick;
	n.rule("pump", pump, tick, nil, AltSpec{
		Nodes: []NodeDecl{decl(n.s), decl(pump), decl(tick)},
		Wires: [][2]End{
			wire(ext(0), node(0, 0)),
			wire(node(0, 1), node(1, 1)),
			wire(node(1, 0), node(2, 0)),
		},
	})
	out := n.w.NewVar()
	n.w.Push(n.agent(pump, out), n.agent(tick))
	n.net.Store.limit = 3
	err := n.run()
	if !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("run with a full store: %v, want ErrMemoryLimit", err)
	}
}

// TestTableGrowsInPlace checks that a matrix built again for more types,
// with the rules unchanged, has the cells of a matrix built for those
// types at once, wildcard rules of both classes included.
func TestTableGrowsInPlace(t *testing.T) {
	native := func(w *Worker, a, b Port) error { return nil }
	rules := []*Rule{
		{Name: "exact", Left: 3, Right: 4, Kind: RuleNative, Native: native},
		{Name: "int", Left: 5, Right: TypeInt, Kind: RuleNative, Native: native},
		{Name: "era", Left: 6, Right: TypeNone, Kind: RuleNative, Native: native, Builtin: true},
		{Name: "dup", Left: 7, Right: TypeNone, Kind: RuleNative, Native: native, Builtin: true},
		{Name: "tag", Left: 2, Right: TypeNone, Kind: RuleNative, Native: native},
		{Name: "self", Left: 2, Right: 2, Kind: RuleNative, Native: native},
	}
	grown, fresh := NewTable(), NewTable()
	for _, tab := range []*Table{grown, fresh} {
		for _, r := range rules {
			if _, err := tab.Add(r, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range []int{9, 12, 16, 17, 30} {
		grown.Build(n)
		fresh.cells = nil
		fresh.Build(n)
		for a := range TypeID(n) {
			for b := range TypeID(n) {
				g, f := grown.cell(a, b), fresh.cell(a, b)
				if g.rule != f.rule || g.swap != f.swap {
					t.Errorf("%d types: cell (%d, %d) = %v swap %v, want %v swap %v", n, a, b, g.rule, g.swap, f.rule, f.swap)
				}
			}
		}
	}
	if got := grown.cell(8, 6).rule; got == nil || got.Name != "era" {
		t.Errorf("cell (8, 6) = %v, want the wildcard rule era", got)
	}
}
