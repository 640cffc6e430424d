package annette_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

func TestUnaryAdd(t *testing.T) {
	n := unaryNet(t, annette.Config{})
	binop(t, n, "Add", unary(t, n, 3), unary(t, n, 4), "out")
	st, err := n.Reduce(context.Background())
	must(t, err)
	got, err := n.Text("out")
	must(t, err)
	if want := "S(S(S(S(S(S(S(Z)))))))"; got != want {
		t.Errorf("3+4 = %s, want %s", got, want)
	}
	if st.Interactions != 4 {
		t.Errorf("interactions = %d, want 4", st.Interactions)
	}
}

func TestTreeSum(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []annette.Rule
	}{{"rewrite", treeRewriteRules()}, {"action", treeActionRules()}} {
		t.Run(tc.name, func(t *testing.T) {
			n := treeNet(t, tc.rules, 10)
			st, err := n.Reduce(context.Background())
			must(t, err)
			got, err := n.Text("total")
			must(t, err)
			if got != "1024" {
				t.Errorf("total = %s, want 1024", got)
			}
			if st.Interactions != treeInteractions(10) {
				t.Errorf("interactions = %d, want %d", st.Interactions, treeInteractions(10))
			}
			if st.Live != 0 {
				t.Errorf("live agents = %d, want 0", st.Live)
			}
		})
	}
}

// TestUnaryMul exercises rules whose new agents refer to one another in
// both directions (Mul's slot names Add's principal port, built later).
func TestUnaryMul(t *testing.T) {
	n := unaryNet(t, annette.Config{})
	binop(t, n, "Mul", unary(t, n, 3), unary(t, n, 4), "out")
	st, err := n.Reduce(context.Background())
	must(t, err)
	got, err := n.Text("out")
	must(t, err)
	if want := "S(S(S(S(S(S(S(S(S(S(S(S(Z))))))))))))"; got != want {
		t.Errorf("3*4 = %s, want %s", got, want)
	}
	// 13 live agents remain: the result S(...(Z)) and nothing else.
	if st.Interactions != 39 || st.Live != 13 {
		t.Errorf("interactions = %d, live = %d; want 39 and 13", st.Interactions, st.Live)
	}
}

// TestMemoryPerAgent checks the store's budget: at most 32 bytes per live
// agent with two auxiliary ports, wires included.
func TestMemoryPerAgent(t *testing.T) {
	const agents = 1 << 20
	n := annette.NewNetwork(annette.Config{})
	must(t, n.DefineType(annette.Type{Name: "Pair", Ports: []string{"main", "left", "right"}}))
	// A chain of pairs: each holds an integer on the left and the next
	// pair's principal port on the right, and every other one is linked
	// through an auxiliary-to-auxiliary wire, which costs a wire cell.
	prev, err := n.AddAgent("Pair", nil)
	must(t, err)
	must(t, n.Connect(prev.Main(), n.Name("head")))
	for i := 1; i < agents; i++ {
		p, err := n.AddAgent("Pair", nil)
		must(t, err)
		must(t, n.Connect(prev.Port("left"), n.Int(int64(i))))
		if i%2 == 0 {
			must(t, n.Connect(prev.Port("right"), p.Main()))
		} else {
			// Aux to aux: the next pair hangs from a wire cell.
			q, err := n.AddAgent("Pair", nil)
			must(t, err)
			must(t, n.Connect(prev.Port("right"), q.Port("right")))
			must(t, n.Connect(q.Port("left"), n.Int(0)))
			must(t, n.Connect(q.Main(), p.Main()))
			i++
		}
		prev = p
	}
	must(t, n.Connect(prev.Port("left"), n.Int(0)))
	must(t, n.Connect(prev.Port("right"), n.Int(0)))
	st := n.Stats()
	if st.Live < agents {
		t.Fatalf("live agents = %d, want at least %d", st.Live, agents)
	}
	per := float64(st.StoreBytes) / float64(st.Live)
	t.Logf("%d live agents in %d bytes of store: %.1f bytes each", st.Live, st.StoreBytes, per)
	if per > 32 {
		t.Errorf("store uses %.1f bytes per live agent, want at most 32", per)
	}
}

func TestDefineTypeBuiltinName(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	err := n.DefineType(annette.Type{Name: "Nil"})
	if err == nil || !strings.Contains(err.Error(), "Nil is a built-in type of every network") {
		t.Errorf("DefineType(Nil) = %v, want an error saying Nil is built in", err)
	}
}

// TestNamesAfterTakes takes interface names in an order that leaves
// gaps, past the point where the list is compacted, and checks that
// Names keeps creation order and that a name made again comes last.
func TestNamesAfterTakes(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	defineTypes(t, n, annette.Type{Name: "Z"})
	var want []string
	for i := range 10 {
		name := fmt.Sprintf("n%d", i)
		connect(t, n, n.Name(name), addAgent(t, n, "Z").Main())
		want = append(want, name)
	}
	take := func(name string) {
		t.Helper()
		if _, err := n.Take(name); err != nil {
			t.Fatalf("Take(%s): %v", name, err)
		}
		want = slices.DeleteFunc(want, func(s string) bool { return s == name })
		if got := n.Names(); !slices.Equal(got, want) {
			t.Fatalf("after Take(%s): Names = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"n1", "n3", "n0", "n9", "n5", "n6"} {
		take(name) // the sixth of ten makes the list compact itself
	}
	connect(t, n, n.Name("n3"), addAgent(t, n, "Z").Main())
	want = append(want, "n3")
	if got := n.Names(); !slices.Equal(got, want) {
		t.Fatalf("after n3 again: Names = %v, want %v", got, want)
	}
	for _, name := range []string{"n8", "n3", "n2", "n4", "n7"} {
		take(name)
	}
}

// TestRuleTableLimit defines more agent types than a small memory limit
// leaves room for in the rule table, which has a cell for every pair of
// types: Reduce must return the memory limit error instead of allocating.
func TestRuleTableLimit(t *testing.T) {
	n := annette.NewNetwork(annette.Config{MaxMemory: 1 << 20})
	for i := range 300 {
		defineTypes(t, n, annette.Type{Name: fmt.Sprintf("T%d", i)})
	}
	_, err := n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrMemoryLimit) || !strings.Contains(err.Error(), "rule table for") {
		t.Fatalf("Reduce = %v, want the memory limit error of the rule table", err)
	}
}

// TestStaleAgentValue checks that the handle of an agent added before a
// run gives no value after it. The run consumed the agent, and a new
// agent took its cell.
func TestStaleAgentValue(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	defineTypes(t, n,
		annette.Type{Name: "Val", Valued: true},
		annette.Type{Name: "Eat"},
	)
	addRules(t, n, annette.ActionRule{Left: "Eat", Right: "Val", Action: func(*annette.RuleContext) error { return nil }})
	old, err := n.AddAgent("Val", "old")
	must(t, err)
	connect(t, n, old.Main(), addAgent(t, n, "Eat").Main())
	if got := old.Value(); got != "old" {
		t.Fatalf("Value before the run = %v, want old", got)
	}
	_, err = n.Reduce(context.Background())
	must(t, err)

	fresh, err := n.AddAgent("Val", "new")
	must(t, err)
	connect(t, n, fresh.Main(), n.Name("x"))
	if got := old.Value(); got != nil {
		t.Errorf("stale handle: Value = %v, want nil", got)
	}
	if got := fresh.Value(); got != "new" {
		t.Errorf("new handle: Value = %v, want new", got)
	}
}

// TestStatsString checks the one-line form that fmt prints for Stats
// and ParallelStats, and that ParallelStats keeps its own fields.
func TestStatsString(t *testing.T) {
	st := annette.Stats{
		Interactions: 1, Allocated: 2, Live: 3, PeakLive: 4, RunPeakLive: 5,
		Elapsed: 1500 * time.Microsecond, StoreBytes: 262144, Effects: 6,
	}
	want := "Interactions=1 Allocated=2 Live=3 PeakLive=4 RunPeakLive=5 Elapsed=1.5ms StoreBytes=262144 Effects=6"
	if got := fmt.Sprint(st); got != want {
		t.Errorf("fmt.Sprint(Stats) = %q, want %q", got, want)
	}
	ps := annette.ParallelStats{Stats: st, Workers: 2, Parallel: true, PerWorker: []int64{7, 8}, Steals: 9}
	want += " Workers=2 Parallel=true PerWorker=[7 8] Steals=9"
	if got := fmt.Sprint(ps); got != want {
		t.Errorf("fmt.Sprint(ParallelStats) = %q, want %q", got, want)
	}
}
