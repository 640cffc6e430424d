package annette_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/annette-go/annette"
)

// TestChangeDuringRun checks that an action rule cannot change the
// network it runs in.
func TestChangeDuringRun(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	must(t, n.DefineType(annette.Type{Name: "A"}))
	must(t, n.DefineType(annette.Type{Name: "B"}))
	var got []error
	must(t, n.AddRule(annette.ActionRule{Name: "ab", Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
		got = append(got,
			n.ReplaceRule(annette.RewriteRule{Left: Pat("A"), Right: Pat("B")}),
			n.DefineType(annette.Type{Name: "C"}),
			n.Connect(n.Name("x"), n.Int(1)),
		)
		_, err := n.AddAgent("A", nil)
		got = append(got, err)
		return nil
	}}))
	a, _ := n.AddAgent("A", nil)
	b, _ := n.AddAgent("B", nil)
	must(t, n.Connect(a.Main(), b.Main()))
	_, err := n.Reduce(context.Background())
	must(t, err)
	for i, e := range got {
		if !errors.Is(e, annette.ErrRunning) {
			t.Errorf("change %d during the run: error %v, want ErrRunning", i, e)
		}
	}
	// After the run the network can change again.
	must(t, n.DefineType(annette.Type{Name: "C"}))
}

// TestStaleRuleContextPort checks that a port kept from one call of an
// action rule is rejected in the next call, although the context object
// is reused.
func TestStaleRuleContextPort(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	must(t, n.DefineType(annette.Type{Name: "A", Ports: []string{"main", "x"}}))
	must(t, n.DefineType(annette.Type{Name: "B", Ports: []string{"main", "y"}}))
	var saved annette.Port
	var linkErr error
	calls := 0
	must(t, n.AddRule(annette.ActionRule{Name: "ab", Left: "A", Right: "B", Action: func(c *annette.RuleContext) error {
		calls++
		if calls == 1 {
			saved = c.Right().Port("y")
			if err := c.Link(c.Left().Port("x"), c.Int(1)); err != nil {
				return err
			}
			return c.Link(c.Right().Port("y"), c.Int(2))
		}
		linkErr = c.Link(saved, c.Left().Port("x"))
		if linkErr == nil {
			return errors.New("stale port accepted")
		}
		if err := c.Link(c.Left().Port("x"), c.Int(3)); err != nil {
			return err
		}
		return c.Link(c.Right().Port("y"), c.Int(4))
	}}))
	for i := range 2 {
		a, _ := n.AddAgent("A", nil)
		b, _ := n.AddAgent("B", nil)
		must(t, n.Connect(a.Port("x"), n.Name("x"+string(rune('0'+i)))))
		must(t, n.Connect(b.Port("y"), n.Name("y"+string(rune('0'+i)))))
		must(t, n.Connect(a.Main(), b.Main()))
		_, err := n.Reduce(context.Background())
		must(t, err)
	}
	if linkErr == nil || !strings.Contains(linkErr.Error(), "this call") {
		t.Errorf("Link with a stale port: error %v, want one about this call", linkErr)
	}
}

func TestConnectTwoIntegers(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	if err := n.Connect(n.Int(1), n.Int(2)); err == nil {
		t.Error("Connect(Int, Int) = nil, want an error")
	}
}
