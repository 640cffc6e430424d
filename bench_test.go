package annette_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/annette-go/annette"
)

// reportRate records interactions per second.
func reportRate(b *testing.B, interactions int64) {
	b.ReportMetric(float64(interactions)/b.Elapsed().Seconds(), "interactions/s")
}

func BenchmarkTreeSum(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rules func() []annette.Rule
	}{{"rewrite", treeRewriteRules}, {"action", treeActionRules}} {
		b.Run(bc.name, func(b *testing.B) {
			var total int64
			for b.Loop() {
				b.StopTimer()
				n := treeNet(b, bc.rules(), int64(benchDepth))
				b.StartTimer()
				st, err := n.Reduce(context.Background())
				must(b, err)
				total += st.Interactions
				b.StopTimer()
				if got, _ := n.Text("total"); got != strconv.Itoa(1<<benchDepth) {
					b.Fatalf("total = %s", got)
				}
				b.StartTimer()
			}
			reportRate(b, total)
		})
	}
}

func BenchmarkUnary(b *testing.B) {
	for _, bc := range []struct {
		op   string
		x, y int
	}{{"Add", 1000000, 1000}, {"Mul", 300, 300}} {
		b.Run(bc.op, func(b *testing.B) {
			var total int64
			for b.Loop() {
				b.StopTimer()
				n := unaryNet(b, annette.Config{})
				binop(b, n, bc.op, unary(b, n, bc.x), unary(b, n, bc.y), "out")
				b.StartTimer()
				st, err := n.Reduce(context.Background())
				must(b, err)
				total += st.Interactions
			}
			reportRate(b, total)
		})
	}
}

var benchDepth = 20

// BenchmarkParallelTreeSum reduces the tree sum on 1, 2 and all workers
// in Parallel mode, next to the sequential reducer, and reports the
// speedup over the sequential run.
func BenchmarkParallelTreeSum(b *testing.B) {
	seqRate := 0.0
	counts := []int{1, 2}
	if n := runtime.GOMAXPROCS(0); n > 2 {
		counts = append(counts, n)
	}
	b.Run("sequential", func(b *testing.B) {
		seqRate = benchParallelTree(b, 1, annette.Sequential)
	})
	for _, workers := range counts {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			rate := benchParallelTree(b, workers, annette.Parallel)
			if seqRate > 0 {
				b.ReportMetric(rate/seqRate, "speedup")
			}
		})
	}
}

func benchParallelTree(b *testing.B, workers int, mode annette.ExecutionMode) float64 {
	var total int64
	for b.Loop() {
		b.StopTimer()
		p := parallelTree(b, treeRewriteRules(), int64(benchDepth), workers, mode)
		b.StartTimer()
		st, err := p.Reduce(context.Background())
		must(b, err)
		total += st.Interactions
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
	rate := float64(total) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "interactions/s")
	return rate
}
