package annette_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/annette-go/annette"
)

// TestSymmetryWarnings checks which rules between two agents of one type
// get the warning that exchanging the agents changes the result. Every
// asymmetric rule below gets it. None of the symmetric ones does: their
// bodies differ from their exchanged forms only in the names of new
// wires, the order of new agents or the order of guards.
func TestSymmetryWarnings(t *testing.T) {
	for _, tc := range []struct {
		rule string
		want string // part of the warning, or "" for none
	}{
		// Symmetric.
		{"Dup2(a, b) >< Dup2(c, d) => a ~ c, b ~ d;", ""},
		{"C(a, b) >< C(c, d) => a ~ d, b ~ c;", ""},
		{"K >< K =>;", ""},
		{"E(a) >< E(b) => a ~ S(n), b ~ S(m), n ~ m;", ""},
		{"P(a) >< P(b) => a ~ Q(u, v), b ~ Q(v, u);", ""},
		{"P(a) >< P(b) => a ~ Q(u, v), b ~ Q(u, v);", ""},
		{"M(r, int x) >< M(s, int y) | x < y => r ~ y, s ~ y | _ => r ~ x, s ~ x;", ""},
		{"D(r, int x) >< D(s, int y) => r ~ (x - y), s ~ (y - x);", ""},
		{"W(r, int x) >< W(s, int y) => r ~ m, s ~ m2 where m = x * y m2 = y * x;", ""},
		{"Z(int x) >< Z(int y) => Out ~ (x + y);", ""},
		{"R(r) >< R(s) => r ~ rand(10), s ~ 0;", ""}, // random: not checked

		// Asymmetric.
		{"A(a) >< A(c) => a ~ 1, c ~ 0;", "rule for A >< A is not symmetric: exchanging its two agents gives another net"},
		{"F(a) >< F(b) => a ~ S(n), b ~ T(n);", "rule for F >< F is not symmetric"},
		{"M(r, int x) >< M(s, int y) | x < y => r ~ x, s ~ y | _ => r ~ y, s ~ x;", "with x = 1, y = 0,"},
		{"D(r, int x) >< D(s, int y) => r ~ (x - y), s ~ (x - y);", "with x = 1, y = 0,"},
		{"G(int x) >< G(y) => y ~ x;", `port 1 is "int x" on one side and "y" on the other`},
		{"Z(int x) >< Z(int y) => Out ~ (x - y);", "with x = 1, y = 0,"},
		{"H(r, int x) >< H(s, int y) | x > 2 => r ~ 1, s ~ 0 | _ => r ~ 0, s ~ 0;", "with x = 3, y = 0,"},
		{"L(a, b) >< L(c, d) => a ~ c, b ~ Era, d ~ Era2;", "rule for L >< L is not symmetric"},
		{"G(r, int a) >< G(s, int b) | a > 100 => r ~ 1, s ~ 2 | _ => r ~ 0, s ~ 0;", "with a = 101, b = 0,"},

		// Wildcard rules, which apply to two agents of their type unless
		// the program has a rule for that pair.
		{"Tw(r) >< x => r ~ x;", "rule for Tw >< x also applies to Tw >< Tw, where it is not symmetric"},
		{"Tz(r) >< x => r ~ Tagged(x);", "rule for Tz >< x also applies to Tz >< Tz"},
		{"x >< Tl(r) => r ~ x;", "rule for x >< Tl also applies to Tl >< Tl"},
		{"En >< x => x ~ Foo;", ""},
		{"Tv(r) >< x => r ~ Tagged(x);\nTv(r) >< Tv(s) => r ~ s;", ""},
	} {
		var out, errOut bytes.Buffer
		ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Stderr: &errOut, Workers: 1})
		must(t, err)
		if err := ip.Run("s.in", []byte(tc.rule+"\n")); err != nil {
			t.Errorf("%s: %v", tc.rule, err)
		}
		ip.Close()
		got := errOut.String()
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: stderr %q, want nothing", tc.rule, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: stderr %q, want a warning containing %q", tc.rule, got, tc.want)
		case tc.want != "" && !strings.HasPrefix(got, "s.in:1:1: warning: "):
			t.Errorf("%s: stderr %q, want it at s.in:1:1", tc.rule, got)
		}
	}
}

// TestCheckSymmetric checks the Go form of the check. The asymmetric rule
// gives a port of the left agent a new agent linked to the same port of
// the right one, as a test of big agents does on purpose. Its symmetric
// counterpart gives both sides one.
func TestCheckSymmetric(t *testing.T) {
	n := newNet(t, annette.Config{}, []annette.Type{
		{Name: "B", Ports: []string{"main", "p", "q"}},
		{Name: "S", Ports: []string{"main", "pred"}},
	})
	asym := annette.RewriteRule{Left: Pat("B", "a", "b"), Right: Pat("B", "c", "d"),
		Body: []annette.Wire{W(V("a"), A("S", V("c"))), W(V("b"), V("d"))}}
	err := asym.CheckSymmetric(n)
	if err == nil || !strings.Contains(err.Error(), "rule B><B is not symmetric") {
		t.Errorf("CheckSymmetric = %v, want an error naming B><B", err)
	}
	sym := annette.RewriteRule{Left: Pat("B", "a", "b"), Right: Pat("B", "c", "d"),
		Body: []annette.Wire{W(V("a"), A("S", V("x"))), W(V("c"), A("S", V("x"))), W(V("b"), V("d"))}}
	if err := sym.CheckSymmetric(n); err != nil {
		t.Errorf("CheckSymmetric = %v, want nil", err)
	}
	// Types of two kinds, and a rule that does not compile, give nil.
	two := annette.RewriteRule{Left: Pat("B", "a", "b"), Right: Pat("S", "c"),
		Body: []annette.Wire{W(V("a"), V("c")), W(V("b"), A("S", V("x"))), W(V("x"), A("S", V("y")))}}
	if err := two.CheckSymmetric(n); err != nil {
		t.Errorf("CheckSymmetric of B >< S = %v, want nil", err)
	}
	bad := annette.RewriteRule{Left: Pat("B", "a", "b"), Right: Pat("B", "c", "d")}
	if err := bad.CheckSymmetric(n); err != nil {
		t.Errorf("CheckSymmetric of a rule with unused ports = %v, want nil", err)
	}
	// A wildcard rule is checked for the pair of two agents of its type.
	wild := annette.RewriteRule{Left: Pat("S", "r"), Right: annette.Any("x"), Body: []annette.Wire{W(V("r"), V("x"))}}
	err = wild.CheckSymmetric(n)
	if err == nil || !strings.Contains(err.Error(), "applies to S >< S, where it is not symmetric") {
		t.Errorf("CheckSymmetric of S >< x = %v, want an error naming S >< S", err)
	}
	// A rule for S >< S takes precedence over the wildcard rule there.
	addRules(t, n, annette.RewriteRule{Left: Pat("S", "a"), Right: Pat("S", "b"), Body: []annette.Wire{W(V("a"), V("b"))}})
	if err := wild.CheckSymmetric(n); err != nil {
		t.Errorf("CheckSymmetric of S >< x with a rule for S >< S = %v, want nil", err)
	}
}
