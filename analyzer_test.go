package annette_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/annette-go/annette"
)

// conflicts reports whether x and y conflict, by the rule of
// annette.Access, computed pair by pair.
func conflicts(x, y annette.Access) bool {
	for _, k := range x.Writes {
		if slices.Contains(y.Writes, k) || slices.Contains(y.Reads, k) {
			return true
		}
	}
	for _, k := range y.Writes {
		if slices.Contains(x.Reads, k) {
			return true
		}
	}
	return false
}

// checkBatches fails t unless batches is a valid result for calls: every
// index in exactly one batch, batches not empty, sorted, within maxBatch
// (zero for no limit), and no two calls of a batch in conflict.
func checkBatches(t fatalT, calls []annette.Access, batches [][]int, maxBatch int) {
	t.Helper()
	seen := make([]int, len(calls))
	for bi, b := range batches {
		if len(b) == 0 {
			t.Fatalf("batch %d is empty", bi)
		}
		if maxBatch > 0 && len(b) > maxBatch {
			t.Fatalf("batch %d has %d calls, MaxBatch is %d", bi, len(b), maxBatch)
		}
		if !slices.IsSorted(b) {
			t.Fatalf("batch %d is not sorted: %v", bi, b)
		}
		for k, i := range b {
			if i < 0 || i >= len(calls) {
				t.Fatalf("batch %d holds index %d, out of range", bi, i)
			}
			seen[i]++
			for _, j := range b[k+1:] {
				if conflicts(calls[i], calls[j]) {
					t.Fatalf("batch %d holds calls %d %v and %d %v, which conflict", bi, i, calls[i], j, calls[j])
				}
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("call %d is in %d batches, want 1", i, n)
		}
	}
}

func writes(keys ...string) annette.Access { return annette.Access{Writes: keys} }
func reads(keys ...string) annette.Access  { return annette.Access{Reads: keys} }

func TestAnalyzerEmpty(t *testing.T) {
	a := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{})
	if got := a.Batches(nil); got != nil {
		t.Errorf("Batches(nil) = %v, want nil", got)
	}
	if got := a.Batches([]annette.Access{}); got != nil {
		t.Errorf("Batches(empty) = %v, want nil", got)
	}
	if st := a.Stats(); st != (annette.AnalyzerStats{}) {
		t.Errorf("Stats after empty inputs = %+v, want zero", st)
	}
}

func TestAnalyzerCases(t *testing.T) {
	tests := []struct {
		name     string
		cfg      annette.AnalyzerConfig
		calls    []annette.Access
		want     [][]int
		wantSize int // number of batches when want is nil
	}{
		{name: "no keys", calls: []annette.Access{{}, {}, {}}, want: [][]int{{0, 1, 2}}},
		{name: "no keys max batch", cfg: annette.AnalyzerConfig{MaxBatch: 2},
			calls: []annette.Access{{}, {}, {}, {}, {}}, want: [][]int{{0, 1}, {2, 3}, {4}}},
		{name: "readers share", calls: []annette.Access{reads("x"), reads("x"), reads("x")}, want: [][]int{{0, 1, 2}}},
		{name: "writers split", calls: []annette.Access{writes("x"), writes("x"), writes("x")}, want: [][]int{{0}, {1}, {2}}},
		{name: "reader and writer", calls: []annette.Access{reads("x"), writes("x")}, wantSize: 2},
		{name: "distinct keys", calls: []annette.Access{writes("a"), writes("b"), writes("c"), reads("a")}, want: [][]int{{0, 1, 2}, {3}}},
		{name: "read and write in one call counts as write",
			calls: []annette.Access{{Reads: []string{"x"}, Writes: []string{"x"}}, reads("x")}, wantSize: 2},
		{name: "duplicate keys", calls: []annette.Access{writes("x", "x"), reads("y", "y")}, want: [][]int{{0, 1}}},
		// The first pass gives [0 1] [2 4] [3] [5]. [2 4] is below
		// MinBatch, and 2 fits with 5, 4 with 3.
		{name: "dissolve", cfg: annette.AnalyzerConfig{MaxBatch: 2, MinBatch: 3},
			calls: []annette.Access{reads("1"), {Reads: []string{"1"}, Writes: []string{"2"}},
				{Reads: []string{"0"}, Writes: []string{"2"}}, reads("3"), writes("1"), writes("3")},
			want: [][]int{{0, 1}, {3, 4}, {2, 5}}},
		{name: "no dissolve", cfg: annette.AnalyzerConfig{MaxBatch: 2, MinBatch: 1},
			calls: []annette.Access{reads("1"), {Reads: []string{"1"}, Writes: []string{"2"}},
				{Reads: []string{"0"}, Writes: []string{"2"}}, reads("3"), writes("1"), writes("3")},
			want: [][]int{{0, 1}, {2, 4}, {3}, {5}}},
		// Two small batches that conflict stay apart.
		{name: "small conflicting batches", cfg: annette.AnalyzerConfig{MinBatch: 10},
			calls: []annette.Access{writes("x"), writes("x")}, want: [][]int{{0}, {1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := annette.NewRuleDependencyAnalyzer(tc.cfg)
			got := a.Batches(tc.calls)
			checkBatches(t, tc.calls, got, tc.cfg.MaxBatch)
			if tc.want != nil && !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("Batches = %v, want %v", got, tc.want)
			}
			if tc.want == nil && len(got) != tc.wantSize {
				t.Errorf("Batches = %v, want %d batches", got, tc.wantSize)
			}
		})
	}
}

func TestAnalyzerHotKey(t *testing.T) {
	// Every call writes "hot"; every tenth also writes a key of its own.
	calls := make([]annette.Access, 2000)
	for i := range calls {
		calls[i] = writes("hot")
		if i%10 == 0 {
			calls[i].Writes = append(calls[i].Writes, "own"+strconv.Itoa(i))
		}
	}
	a := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{})
	got := a.Batches(calls)
	checkBatches(t, calls, got, 0)
	if len(got) != len(calls) {
		t.Errorf("got %d batches, want %d", len(got), len(calls))
	}
}

func TestAnalyzerCache(t *testing.T) {
	calls := []annette.Access{writes("a"), writes("a"), reads("b")}
	a := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{CacheSize: 1})
	first := a.Batches(calls)
	first[0][0] = 99 // the caller owns the result; the cache keeps its own copy
	second := a.Batches(calls)
	checkBatches(t, calls, second, 0)
	if st := a.Stats(); st.Analyses != 2 || st.CacheHits != 1 {
		t.Errorf("Stats after a repeat = %+v, want 2 analyses and 1 hit", st)
	}
	if st := a.Stats(); st.Batches != 4 {
		t.Errorf("Stats.Batches = %d, want 4", st.Batches)
	}

	// The same calls in another order are another input.
	a.Batches([]annette.Access{reads("b"), writes("a"), writes("a")})
	if st := a.Stats(); st.CacheHits != 1 {
		t.Errorf("CacheHits after a new order = %d, want 1", st.CacheHits)
	}
	// With room for one entry, the new order evicted the first.
	a.Batches(calls)
	if st := a.Stats(); st.CacheHits != 1 {
		t.Errorf("CacheHits after an evicted input = %d, want 1", st.CacheHits)
	}
	// Keys written differently but with the same conflicts are another
	// input: the cache compares keys, not shapes.
	a.Batches([]annette.Access{writes("c"), writes("c"), reads("b")})
	if st := a.Stats(); st.CacheHits != 1 {
		t.Errorf("CacheHits after other keys = %d, want 1", st.CacheHits)
	}
}

func TestAnalyzerCacheOff(t *testing.T) {
	calls := []annette.Access{writes("a"), writes("a")}
	a := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{CacheSize: -1})
	a.Batches(calls)
	a.Batches(calls)
	if st := a.Stats(); st.Analyses != 2 || st.CacheHits != 0 {
		t.Errorf("Stats = %+v, want 2 analyses and no hit", st)
	}
}

func TestAnalyzerConcurrent(t *testing.T) {
	leakCheck(t)
	a := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{CacheSize: 4})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				calls := []annette.Access{writes(strconv.Itoa(i % 6)), writes("x"), reads(strconv.Itoa(g))}
				checkBatches(t, calls, a.Batches(calls), 0)
			}
		})
	}
	wg.Wait()
	if st := a.Stats(); st.Analyses != 200 {
		t.Errorf("Analyses = %d, want 200", st.Analyses)
	}
}

// genCalls draws calls with keys from a small set, so that conflicts are
// common.
func genCalls(t *rapid.T) []annette.Access {
	nkeys := rapid.IntRange(1, 8).Draw(t, "keys")
	key := rapid.Map(rapid.IntRange(0, nkeys-1), func(i int) string { return "k" + strconv.Itoa(i) })
	call := rapid.Custom(func(t *rapid.T) annette.Access {
		return annette.Access{
			Reads:  rapid.SliceOfN(key, 0, 3).Draw(t, "reads"),
			Writes: rapid.SliceOfN(key, 0, 2).Draw(t, "writes"),
		}
	})
	return rapid.SliceOfN(call, 0, 40).Draw(t, "calls")
}

func TestAnalyzerProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		calls := genCalls(rt)
		cfg := annette.AnalyzerConfig{
			MaxBatch: rapid.IntRange(0, 5).Draw(rt, "max"),
			MinBatch: rapid.IntRange(0, 6).Draw(rt, "min"),
		}
		a := annette.NewRuleDependencyAnalyzer(cfg)
		got := a.Batches(calls)
		checkBatches(rt, calls, got, cfg.MaxBatch)

		// A fresh analyzer gives the same batches, and so does the cache.
		again := annette.NewRuleDependencyAnalyzer(cfg).Batches(calls)
		if !slices.EqualFunc(got, again, slices.Equal) {
			rt.Fatalf("two analyzers differ: %v and %v", got, again)
		}
		if cached := a.Batches(calls); !slices.EqualFunc(got, cached, slices.Equal) {
			rt.Fatalf("cached result %v differs from %v", cached, got)
		}

		// Dissolving never adds a batch.
		plain := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{MaxBatch: cfg.MaxBatch, MinBatch: 1}).Batches(calls)
		if len(got) > len(plain) {
			rt.Fatalf("MinBatch %d gives %d batches, more than %d without dissolving", cfg.MinBatch, len(got), len(plain))
		}
	})
}

func BenchmarkAnalyzer(b *testing.B) {
	const n = 10000
	hot := make([]annette.Access, n)
	spread := make([]annette.Access, n)
	audited := make([]annette.Access, n)
	for i := range n {
		hot[i] = annette.Access{Writes: []string{"hot"}, Reads: []string{"r" + strconv.Itoa(i%100)}}
		// A transfer between two of 1000 accounts.
		spread[i] = writes("acct"+strconv.Itoa(i*7919%1000), "acct"+strconv.Itoa((i*104729+1)%1000))
		// Two accounts whose batches interleave: deposits to one of
		// them write an audit log, and transfers write both.
		if i%5 == 4 {
			audited[i] = writes("alice", "bob")
		} else {
			audited[i] = writes("audit", []string{"alice", "bob"}[i%2])
		}
	}
	for _, bc := range []struct {
		name  string
		calls []annette.Access
		cfg   annette.AnalyzerConfig
	}{
		{"HotKey", hot, annette.AnalyzerConfig{CacheSize: -1}},
		{"Spread", spread, annette.AnalyzerConfig{CacheSize: -1}},
		{"SpreadMax64", spread, annette.AnalyzerConfig{CacheSize: -1, MaxBatch: 64}},
		{"SpreadCached", spread, annette.AnalyzerConfig{}},
		{"Interleaved", audited, annette.AnalyzerConfig{CacheSize: -1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a := annette.NewRuleDependencyAnalyzer(bc.cfg)
			var batches int
			for b.Loop() {
				batches = len(a.Batches(bc.calls))
			}
			b.ReportMetric(float64(batches), "batches")
		})
	}
}

func ExampleRuleDependencyAnalyzer() {
	a := annette.NewRuleDependencyAnalyzer(annette.AnalyzerConfig{})
	batches := a.Batches([]annette.Access{
		{Writes: []string{"alice", "bob"}}, // 0: a transfer from alice to bob
		{Writes: []string{"bob", "carol"}}, // 1: conflicts with 0 on bob
		{Writes: []string{"dave", "erin"}}, // 2: conflicts with nothing
		{Reads: []string{"alice"}},         // 3: reads what 0 writes
		{Reads: []string{"dave", "carol"}}, // 4: reads what 1 and 2 write
	})
	fmt.Println(batches)
	// Output: [[0 4] [1 2 3]]
}
