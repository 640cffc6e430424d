package engine

import (
	"context"
	"testing"
)

// Benchmarks of the hot paths, one operation per b.N step, so that a
// regression shows in go test -bench and can be compared between two
// versions with benchstat (see docs/BENCHMARKS.md).

// benchNet returns a net with the built-in agents and a worker for it.
func benchNet(b *testing.B, shared bool) (*Net, *Worker, map[string]TypeID) {
	b.Helper()
	n := NewNet()
	ids, err := InstallBuiltins(n)
	if err != nil {
		b.Fatal(err)
	}
	w := NewWorker(n, 1)
	w.Shared = shared
	w.Prepare()
	return n, w, ids
}

// BenchmarkAlloc allocates and frees a two-port agent.
func BenchmarkAlloc(b *testing.B) {
	_, w, ids := benchNet(b, false)
	cons := ids["Cons"]
	for b.Loop() {
		p := w.NewAgent(cons)
		w.FreeAgent(p)
	}
}

// BenchmarkLink links both ends of a fresh wire, the first arrival
// storing its word and the second taking it, in plain and shared mode.
func BenchmarkLink(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "plain"
		if shared {
			name = "atomic"
		}
		b.Run(name, func(b *testing.B) {
			_, w, _ := benchNet(b, shared)
			for b.Loop() {
				v := w.NewVar()
				w.Link(v, NodePort(TypeID(2), 0))
				w.Link(v, w.Int(1)) // makes an active pair
				w.stack = w.stack[:0]
			}
		})
	}
}

// BenchmarkInteraction carries out one interaction of each kind: a
// rewrite template, an annihilation (Dup ~ Dup), a copy (Dup ~ agent),
// an erasure (Eraser ~ agent) and the two steps of built-in Add.
func BenchmarkInteraction(b *testing.B) {
	for _, bc := range []struct {
		name  string
		build func(w *Worker, ids map[string]TypeID) // pushes one pair
		steps int64
	}{
		{"rewrite", func(w *Worker, ids map[string]TypeID) {
			// Add(r, y) ~ x with x = 1 runs the built-in's first template.
			op := w.NewAgent(ids["Add"])
			w.SetAux(op, 0, w.NewVar())
			w.SetAux(op, 1, w.Int(2))
			w.Push(op, w.Int(1))
		}, 2},
		{"annihilate", func(w *Worker, ids map[string]TypeID) {
			a, c := w.NewAgent(ids["Dup"]), w.NewAgent(ids["Dup"])
			for i := range 2 {
				v := w.NewVar()
				w.SetAux(a, i, v)
				w.SetAux(c, i, v)
			}
			w.Push(a, c)
		}, 1},
		{"copy", func(w *Worker, ids map[string]TypeID) {
			d := w.NewAgent(ids["Dup"])
			w.SetAux(d, 0, w.NewVar())
			w.SetAux(d, 1, w.NewVar())
			w.Push(d, NodePort(ids["Nil"], 0))
		}, 1},
		{"erase", func(w *Worker, ids map[string]TypeID) {
			c := w.NewAgent(ids["Cons"])
			w.SetAux(c, 0, w.Int(1))
			w.SetAux(c, 1, NodePort(ids["Nil"], 0))
			w.Push(NodePort(ids["Eraser"], 0), c)
		}, 3},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, w, ids := benchNet(b, false)
			ctx := context.Background()
			for b.Loop() {
				bc.build(w, ids)
				if err := w.Run(ctx, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(bc.steps), "interactions/op")
		})
	}
}
