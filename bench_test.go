package annette_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
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

// BenchmarkSmallNets reduces tree sums of about a hundred to 400,000
// interactions one after the other on one network, as a program that
// serves many small requests would, in Sequential and in Auto mode.
func BenchmarkSmallNets(b *testing.B) {
	for _, depth := range []int64{4, 8, 12, 16} {
		for _, mode := range []annette.ExecutionMode{annette.Sequential, annette.Auto} {
			b.Run(fmt.Sprintf("depth=%d/%s", depth, mode), func(b *testing.B) {
				p := annette.NewParallelNetwork(annette.Config{}, annette.ParallelConfig{Mode: mode})
				defer p.Close()
				must(b, p.AddBuiltins())
				defineTypes(b, p.Network, treeTypes...)
				addRules(b, p.Network, treeRewriteRules()...)
				var total int64
				for b.Loop() {
					b.StopTimer()
					g := addAgent(b, p.Network, "Grow")
					f := addAgent(b, p.Network, "Fold")
					connect(b, p.Network, g.Main(), p.Int(depth))
					connect(b, p.Network, g.Port("t"), f.Main())
					connect(b, p.Network, f.Port("s"), addAgent(b, p.Network, "Eraser").Main())
					b.StartTimer()
					st, err := p.Reduce(context.Background())
					must(b, err)
					total += st.Interactions
				}
				reportRate(b, total)
			})
		}
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

// streamPrograms feed a list of numbers from a generator to a summer. On
// two workers the two often run on different cores, so each list cell is
// made on one core and freed on the other. In "map" the built-in Map
// runs between them, and a worker's stack holds most of the list.
var streamPrograms = []struct{ name, src, sum string }{
	{"sum", streamRules + `
Gen(xs, 1) ~ 1000000, Sum(total, 0) ~ xs;
total;
`, "500000500000"},
	{"map", streamRules + `
inc(r) >< (int x) => r ~ x + 1;
Gen(xs, 0) ~ 200000, Map(ys, %inc) ~ xs, Sum(total, 0) ~ ys;
total;
`, "20000100000"},
}

// streamRules are the generator and the summer of streamPrograms.
const streamRules = `
Gen(r, int s) >< (int n)
| n == 0 => r ~ []
| _      => r ~ s:rest, Gen(rest, s + 1) ~ (n - 1);
Sum(r, int acc) >< [] => r ~ acc;
Sum(r, int acc) >< (int x):xs => Sum(r, acc + x) ~ xs;
`

// BenchmarkParallelStream runs streamPrograms on 1 and 2 workers.
func BenchmarkParallelStream(b *testing.B) {
	for _, prog := range streamPrograms {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", prog.name, workers), func(b *testing.B) {
				var total int64
				for b.Loop() {
					var out strings.Builder
					ip, err := annette.NewInterpreter(annette.InterpreterConfig{
						Stdout: &out, Workers: workers, Mode: annette.Parallel,
					})
					must(b, err)
					must(b, ip.Run("stream.in", []byte(prog.src)))
					total += ip.Network().Stats().Interactions
					must(b, ip.Close())
					if !strings.Contains(out.String(), prog.sum) {
						b.Fatalf("output %q lacks the sum %s", out.String(), prog.sum)
					}
				}
				reportRate(b, total)
			})
		}
	}
}

// BenchmarkEffects sums a tree whose leaves request their values from an
// EffectHandler and whose forks emit a log effect: the cost of an effect
// from the rule that requests it to its result in the net.
func BenchmarkEffects(b *testing.B) {
	const depth = 12
	for _, workers := range []int{0, 1, runtime.GOMAXPROCS(0)} {
		name := "sequential"
		if workers > 0 {
			name = "workers=" + strconv.Itoa(workers)
		}
		b.Run(name, func(b *testing.B) {
			var logs atomic.Int64
			h := leafEffects(b, annette.EffectConfig{}, &logs)
			var effects int64
			for b.Loop() {
				b.StopTimer()
				var n *annette.Network
				var p *annette.ParallelNetwork
				if workers == 0 {
					n = annette.NewNetwork(annette.Config{Effects: h})
				} else {
					p = annette.NewParallelNetwork(annette.Config{Effects: h}, annette.ParallelConfig{Workers: workers})
					n = p.Network
				}
				effectTree(b, n, depth)
				b.StartTimer()
				var err error
				var st annette.Stats
				if p != nil {
					var ps annette.ParallelStats
					ps, err = p.Reduce(context.Background())
					st = ps.Stats
					p.Close()
				} else {
					st, err = n.Reduce(context.Background())
				}
				if err != nil {
					b.Fatal(err)
				}
				effects += st.Effects
			}
			b.ReportMetric(float64(effects)/b.Elapsed().Seconds(), "effects/s")
		})
	}
}
