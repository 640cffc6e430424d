package engine

import (
	"strconv"
	"sync"
	"testing"
)

// TestPlaceAllocInOrder checks that placeAlloc hands out cells one after
// the other, block after block, and that it takes an emptied block again
// in address order before it takes another chunk.
func TestPlaceAllocInOrder(t *testing.T) {
	h := NewHeap(NewStore())
	const n = 3
	cells := fillChunk(h, n)
	chunk := cells[0] &^ chunkMask
	if cells[0] != chunk+firstPlaced {
		t.Fatalf("first cell at word %d of its chunk, want %d", cells[0]-chunk, firstPlaced)
	}
	for i := 1; i < len(cells); i++ {
		prev, l := cells[i-1], cells[i]
		if l>>blockBits == prev>>blockBits && l != prev+n {
			t.Fatalf("cell %d at %d follows %d in the same block", i, l, prev)
		}
		if l>>blockBits != prev>>blockBits && l != l>>blockBits<<blockBits {
			t.Fatalf("cell %d at %d, not at the start of the next block", i, l)
		}
		if l < prev {
			t.Fatalf("cell %d at %d, below the cell before it at %d", i, l, prev)
		}
	}
	if len(h.placed) != 1 {
		t.Fatalf("%d ordered chunks, want 1", len(h.placed))
	}

	// Free the cells of blocks 0 and 2 and of the chunk's last block:
	// once the chunk is used up, the next cells come from block 0, then
	// block 2, then the last block, in order.
	for _, l := range cells {
		if b := l & chunkMask >> blockBits; b == 0 || b == 2 || b == blocksPerChunk-1 {
			h.placeFree(l)
		}
	}
	for h.pbump+n <= h.pend {
		h.placeAlloc(n)
	}
	for _, want := range []uint64{0, 2, blocksPerChunk - 1} {
		l := h.placeAlloc(n)
		if l&^chunkMask != chunk || l&chunkMask>>blockBits != want {
			t.Fatalf("after the chunk, a cell at %d, want block %d of chunk %d", l, want, chunk)
		}
		for h.pbump+n <= h.pend {
			h.placeAlloc(n)
		}
	}
	if len(h.placed) != 1 {
		t.Fatalf("%d ordered chunks after reuse, want 1", len(h.placed))
	}
	// Nothing is empty now: the next block comes from a new chunk.
	if l := h.placeAlloc(n); l&^chunkMask == chunk || len(h.placed) != 2 {
		t.Fatalf("cell at %d with %d ordered chunks, want a second chunk", l, len(h.placed))
	}
}

// fillChunk allocates n-word cells with placeAlloc until its first
// ordered chunk has no room left for another, and returns them.
func fillChunk(h *Heap, n uint64) []uint64 {
	cells := []uint64{h.placeAlloc(n)}
	chunk := cells[0] &^ chunkMask
	for h.pbump+n <= h.pend || h.pend-chunk < chunkWords {
		cells = append(cells, h.placeAlloc(n))
	}
	return cells
}

// TestPlaceBounded allocates and frees the same number of cells again
// and again: the ordered chunks must stop growing.
func TestPlaceBounded(t *testing.T) {
	h := NewHeap(NewStore())
	const cells = 5000
	var early int
	for round := range 50 {
		var ls []uint64
		for i := range cells {
			ls = append(ls, h.placeAlloc(uint64(1+i%3)))
		}
		for _, l := range ls {
			h.placeFree(l)
		}
		if round == 5 {
			early = len(h.placed)
		}
	}
	if len(h.placed) > early {
		t.Fatalf("%d ordered chunks after 50 rounds, %d after 6", len(h.placed), early)
	}
	if need := cells * 3 / blockWords / blocksPerChunk; len(h.placed) > 2*need+2 {
		t.Fatalf("%d ordered chunks for %d cells of 1 to 3 words", len(h.placed), cells)
	}
}

// TestPlaceRemoteFree frees one heap's ordered cells from other
// goroutines, through release as the reducers do. The cells must go to
// no inbox, and their blocks must come back to the owner. Run it with
// -race.
func TestPlaceRemoteFree(t *testing.T) {
	s := NewStore()
	owner := NewHeap(s)
	const n = 2
	cells := fillChunk(owner, n)
	var wg sync.WaitGroup
	const workers = 4
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := NewHeap(s)
			for i := g; i < len(cells); i += workers {
				h.release(cells[i], n)
			}
		}()
	}
	wg.Wait()
	for k := range owner.inbox {
		if owner.inbox[k].Load() != 0 {
			t.Fatalf("the inbox of %d-word cells holds cells", k)
		}
	}
	for owner.pbump+n <= owner.pend {
		owner.placeAlloc(n)
	}
	if l := owner.placeAlloc(n); l != cells[0] || len(owner.placed) != 1 {
		t.Fatalf("after remote frees, a cell at %d with %d chunks, want block 0's first cell %d", l, len(owner.placed), cells[0])
	}
}

// TestPlaceMergeOutput runs a rule that writes out the element it
// carried and goes on along the list it holds: Carry(r, x, xs) ><
// Two(y, ys) => r ~ Two(x, r2), Carry(r2, y, ys) ~ xs, which interleaves
// two lists. Its output elements must come from placeAlloc, each after
// the one before it, while a rule that goes on along the right agent's
// tail keeps the cell of the element it took apart.
func TestPlaceMergeOutput(t *testing.T) {
	forModes(t, func(t *testing.T, n *testNet) {
		carry := n.define("Carry", false, "r", "x", "xs")
		// Carry goes on along xs, the left agent's list.
		writeOut(n, "carry", carry, []int{1, 3}, wire(node(1, 3), ext(4)), wire(ext(2), node(1, 0)))
		n.rule("carry-end", carry, n.z, []int{1}, AltSpec{
			Nodes: []NodeDecl{decl(n.two)},
			Exprs: []*Code{code(load(0))},
			Wires: [][2]End{
				wire(ext(0), node(0, 0)),
				wire(node(0, 1), exprEnd(0)),
				wire(node(0, 2), ext(2)),
			},
		})
		bubble := n.define("Bubble", false, "r", "x")
		// Bubble(r, x) goes on along ys, the tail of the Two it took apart.
		writeOut(n, "bubble", bubble, []int{1, 2}, wire(ext(3), node(1, 0)))
		// The lists 0, 2, ..., 18 and 1, 3, ..., 19, and what Carry makes
		// of them: carried is the number of elements that the first rule
		// writes out, want the whole output.
		var lists [2][]int64
		for i := range int64(20) {
			lists[i%2] = append(lists[i%2], i)
		}
		x, xs, other := int64(-1), lists[0], lists[1]
		var want []int64
		for len(other) > 0 {
			want = append(want, x)
			x, xs, other = other[0], other[1:], xs
		}
		carried := len(want)
		want = append(append(want, x), xs...)

		list := func(elems []int64) Port {
			end := n.agent(n.z)
			for i := len(elems) - 1; i >= 0; i-- {
				end = n.agent(n.two, n.w.Int(elems[i]), end)
			}
			return end
		}
		out := n.w.NewVar()
		n.w.Push(n.agent(carry, out, n.w.Int(-1), list(lists[0])), list(lists[1]))
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		if !NoPrograms.Load() {
			if r, _ := n.net.Rules.lookup(carry, n.two); !hasOp(r.Template.prog, insNewP) {
				t.Error("Carry's program does not place its Two")
			}
			if r, _ := n.net.Rules.lookup(bubble, n.two); hasOp(r.Template.prog, insNewP) {
				t.Error("Bubble's program places its Two")
			}
		}

		var prev uint64
		p := n.w.Resolve(out)
		for i, v := range want {
			if !p.IsNode() || p.Type() != n.two {
				t.Fatalf("element %d is %s", i, n.show(p))
			}
			if got := n.show(n.w.Aux(p, 0)); got != strconv.FormatInt(v, 10) {
				t.Fatalf("element %d holds %s, want %d", i, got, v)
			}
			if l := p.Loc(); !NoPrograms.Load() && i < carried {
				if l <= prev || n.w.heap.head(l)&orderedChunk == 0 {
					t.Fatalf("element %d at %d, after %d: not placed in order", i, l, prev)
				}
				prev = l
			}
			p = n.w.Resolve(n.w.Aux(p, 1))
		}
		if !p.IsNode() || p.Type() != n.z {
			t.Fatalf("the output ends in %s", n.show(p))
		}
	})
}

// writeOut adds a rule left >< Two(y, ys) that writes out Two(x, r2) to
// the left agent's first port, x being the attribute read first, and
// builds a new left agent with r2 and y, the attribute read second, in
// its first two ports. rest wires the new left agent's other ports and
// its principal port.
func writeOut(n *testNet, name string, left TypeID, attrs []int, rest ...[2]End) {
	n.rule(name, left, n.two, attrs, AltSpec{
		Nodes: []NodeDecl{decl(n.two), decl(left)},
		Exprs: []*Code{code(load(0)), code(load(1))},
		Wires: append([][2]End{
			wire(ext(0), node(0, 0)),
			wire(node(0, 1), exprEnd(0)),
			wire(node(0, 2), node(1, 1)),
			wire(node(1, 2), exprEnd(1)),
		}, rest...),
	})
}

// TestPlaceSparse keeps one cell in a hundred of each round's ordered
// cells alive and frees the rest, as a program does that keeps a few
// elements of each list a merge writes out. Every block then holds a
// live cell and never empties. The ordered part must stop growing, and
// the store must grow by about the cells kept, not by a round's cells.
// Once the kept cells are freed, the cells come in order again.
func TestPlaceSparse(t *testing.T) {
	s := NewStore()
	h := NewHeap(s)
	const cells, n, rounds = 20000, 2, 30
	var liveCells []uint64
	var early, earlyWords int64
	for round := range rounds {
		for i := range cells {
			l := h.placeAlloc(n)
			if i%100 == 0 {
				liveCells = append(liveCells, l)
			} else {
				h.release(l, n)
			}
		}
		if round == 1 {
			early, earlyWords = int64(len(h.placed)), s.Words()
		}
	}
	if int64(len(h.placed)) > early {
		t.Errorf("%d ordered chunks after %d rounds, %d after 2", len(h.placed), rounds, early)
	}
	liveLater := (rounds - 2) * cells / 100
	if grown := s.Words() - earlyWords; grown > 4*chunkWords+int64(liveLater*n*4) {
		t.Errorf("store grew by %d words in rounds that keep %d cells of %d words", grown, liveLater, n)
	}

	for _, l := range liveCells {
		h.release(l, n)
	}
	for i := 0; ; i++ {
		l := h.placeAlloc(n)
		if h.head(l)&orderedChunk != 0 {
			break
		}
		if i > 16*len(h.placed)*blocksPerChunk {
			t.Fatalf("%d cells from the free lists after every cell was freed", i)
		}
	}
}

// TestPlaceCapped checks that the ordered chunks stay within the bound
// that capPlaced sets, that placeAlloc goes on with cells from the free
// lists past it, and that lifting the bound lets them grow again.
func TestPlaceCapped(t *testing.T) {
	h := NewHeap(NewStore())
	h.capPlaced(3 * chunkWords)
	const n = 2
	unordered := 0
	for range 5 * chunkWords / n {
		if l := h.placeAlloc(n); h.head(l)&orderedChunk == 0 {
			unordered++
		}
	}
	if len(h.placed) > 3 {
		t.Fatalf("%d ordered chunks under a bound of 3 chunks", len(h.placed))
	}
	if unordered < 2*chunkWords/n {
		t.Fatalf("%d cells from the free lists past the bound, want at least %d", unordered, 2*chunkWords/n)
	}
	h.capPlaced(0)
	for len(h.placed) <= 3 {
		h.placeAlloc(n)
		if unordered > 100*chunkWords {
			t.Fatal("no new ordered chunk once the bound was lifted")
		}
		unordered++
	}
}
