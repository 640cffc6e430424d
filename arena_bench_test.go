package annette_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/annette-go/annette"
)

// churnOnce builds a small network, reduces 10*10 in unary and drops it.
func churnOnce(b *testing.B) {
	n := unaryNet(b, annette.Config{})
	binop(b, n, "Mul", unary(b, n, 10), unary(b, n, 10), "out")
	if _, err := n.Reduce(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkNetworkChurn measures creating, reducing and dropping a small
// network, with the collections that giving its memory back takes.
func BenchmarkNetworkChurn(b *testing.B) {
	start := gcCounts()
	for b.Loop() {
		churnOnce(b)
	}
	reportGCs(b, start)
}

// BenchmarkNetworkChurnParallel is BenchmarkNetworkChurn from
// GOMAXPROCS goroutines at once, which contend for the arena's lock.
func BenchmarkNetworkChurnParallel(b *testing.B) {
	start := gcCounts()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			churnOnce(b)
		}
	})
	reportGCs(b, start)
}

// ballastNode is one object of the ballast: a pointer for the collector
// to follow and padding to 32 bytes.
type ballastNode struct {
	next *ballastNode
	_    [3]uintptr
}

// ballast keeps a large pointer-rich data structure alive, as a server
// that uses networks beside its own data would.
var ballast *ballastNode

// BenchmarkNetworkChurnBigHeap is BenchmarkNetworkChurn in a process that
// holds ANNETTE_BALLAST_MIB MiB (default 512) of linked objects, which
// every collection marks. The arena must leave the collections to the Go
// heap's pacing here: forcing one each time its chunks in use doubled
// made each network cost 3.78 ms instead of 0.65.
func BenchmarkNetworkChurnBigHeap(b *testing.B) {
	mib := 512
	if v := os.Getenv("ANNETTE_BALLAST_MIB"); v != "" {
		var err error
		if mib, err = strconv.Atoi(v); err != nil {
			b.Fatalf("ANNETTE_BALLAST_MIB=%q: %v", v, err)
		}
	}
	var head *ballastNode
	for range mib << 20 / 32 {
		head = &ballastNode{next: head}
	}
	ballast = head
	runtime.GC()
	start := gcCounts()
	for b.Loop() {
		churnOnce(b)
	}
	reportGCs(b, start)
	ballast = nil
}

// gcCounts returns the collections so far and those of them forced by
// runtime.GC.
func gcCounts() [2]uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return [2]uint32{ms.NumGC, ms.NumForcedGC}
}

// reportGCs reports the collections per network since start.
func reportGCs(b *testing.B, start [2]uint32) {
	end := gcCounts()
	b.ReportMetric(float64(end[0]-start[0])/float64(b.N), "GCs/op")
	b.ReportMetric(float64(end[1]-start[1])/float64(b.N), "forcedGCs/op")
}
