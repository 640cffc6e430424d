package annette_test

import (
	"context"
	"testing"

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
