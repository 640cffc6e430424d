package annette_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/annette-go/annette"
	"github.com/annette-go/annette/internal/engine"
)

// reloaded returns a network with the unary rules holding a snapshot of n.
func reloaded(t *testing.T, n *annette.Network) (*annette.Network, []byte) {
	t.Helper()
	data, err := n.Snapshot()
	must(t, err)
	m := unaryNet(t, annette.Config{})
	must(t, m.LoadSnapshot(data))
	return m, data
}

func TestSnapshotBeforeReduce(t *testing.T) {
	n := unaryNet(t, annette.Config{})
	binop(t, n, "Mul", unary(t, n, 3), unary(t, n, 5), "out")
	m, data := reloaded(t, n)

	again, err := m.Snapshot()
	must(t, err)
	if !bytes.Equal(data, again) {
		t.Errorf("snapshot of the loaded network differs:\n%s\nvs\n%s", data, again)
	}
	st1, err := n.Reduce(context.Background())
	must(t, err)
	st2, err := m.Reduce(context.Background())
	must(t, err)
	if st1.Interactions != st2.Interactions {
		t.Errorf("interactions: original %d, loaded %d", st1.Interactions, st2.Interactions)
	}
	got, err := m.Text("out")
	must(t, err)
	want, err := n.Text("out")
	must(t, err)
	if got != want {
		t.Errorf("loaded network reduces to %s, original to %s", got, want)
	}
}

func TestSnapshotAfterReduce(t *testing.T) {
	n := unaryNet(t, annette.Config{})
	binop(t, n, "Add", unary(t, n, 2), unary(t, n, 2), "out")
	_, err := n.Reduce(context.Background())
	must(t, err)
	m, _ := reloaded(t, n)
	got, err := m.Text("out")
	must(t, err)
	if got != "S(S(S(S(Z))))" {
		t.Errorf("out = %s, want S(S(S(S(Z))))", got)
	}
	if m.Pending() != 0 {
		t.Errorf("loaded normal form has %d active pairs", m.Pending())
	}
}

func TestSnapshotNames(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	must(t, n.DefineType(annette.Type{Name: "Box", Ports: []string{"main", "in"}}))
	must(t, n.Connect(n.Name("x"), n.Name("y")))
	b, err := n.AddAgent("Box", nil)
	must(t, err)
	must(t, n.Connect(b.Port("in"), n.Name("z")))
	must(t, n.Connect(b.Main(), n.Name("w")))
	n.Name("lonely")

	data, err := n.Snapshot()
	must(t, err)
	m := annette.NewNetwork(annette.Config{})
	must(t, m.LoadSnapshot(data))
	if got, want := m.Names(), n.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	for _, name := range n.Names() {
		want, err := n.Text(name)
		must(t, err)
		got, err := m.Text(name)
		must(t, err)
		if got != want {
			t.Errorf("%s reads %s after loading, %s before", name, got, want)
		}
	}
}

type point struct{ X, Y int }

func TestSnapshotValues(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	pt := annette.Type{Name: "Pt", Valued: true, ValueType: reflect.TypeFor[point]()}
	must(t, n.DefineType(pt))
	a, err := n.AddAgent("Pt", point{3, 4})
	must(t, err)
	must(t, n.Connect(a.Main(), n.Name("p")))
	data, err := n.Snapshot()
	must(t, err)

	m := annette.NewNetwork(annette.Config{})
	must(t, m.DefineType(pt))
	must(t, m.LoadSnapshot(data))
	tm, err := m.Read("p")
	must(t, err)
	if tm.Value != (point{3, 4}) {
		t.Errorf("value = %#v, want point{3, 4}", tm.Value)
	}

	raw := annette.NewNetwork(annette.Config{})
	must(t, raw.LoadSnapshot(data))
	tm, err = raw.Read("p")
	must(t, err)
	if v, ok := tm.Value.(json.RawMessage); !ok || string(v) != `{"X":3,"Y":4}` {
		t.Errorf("value without ValueType = %#v, want json.RawMessage {\"X\":3,\"Y\":4}", tm.Value)
	}
}

func TestSnapshotErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"not json", "{", "snapshot"},
		{"format", `{"format":"x","version":1}`, "format"},
		{"version", `{"format":"annette-net","version":99}`, "version 99"},
		{"bad agent", `{"format":"annette-net","version":1,"wires":[[{"agent":5,"port":"main"},{"int":1}]]}`, "agent 5"},
		{"twice", `{"format":"annette-net","version":1,"types":[{"name":"T","ports":["main"]}],"agents":[{"type":"T"}],
			"names":["a","b"],"wires":[[{"agent":0,"port":"main"},{"name":"a"}],[{"agent":0,"port":"main"},{"name":"b"}]]}`, "connected twice"},
		{"port in no wire", `{"format":"annette-net","version":1,"agents":[{"type":"Cons"}],"names":["x"],
			"wires":[[{"agent":0,"port":"main"},{"name":"x"}]]}`, "port head of agent 0, a Cons, is in no wire"},
		{"unknown name", `{"format":"annette-net","version":1,"wires":[[{"name":"q"},{"int":1}]]}`, "not in names"},
		{"unknown port", `{"format":"annette-net","version":1,"agents":[{"type":"Nil"}],"wires":[[{"agent":0,"port":"tail"},{"int":1}]]}`, "no such port"},
		{"value without Valued", `{"format":"annette-net","version":1,"types":[{"name":"P","ports":["main","a"]},{"name":"Q","ports":["main"]}],
			"agents":[{"type":"P"},{"type":"Q","value":3}],"names":["x"],
			"wires":[[{"agent":0,"port":"main"},{"name":"x"}],[{"agent":0,"port":"a"},{"agent":1,"port":"main"}]]}`, "carries no value"},
		{"repeated port", `{"format":"annette-net","version":1,"types":[{"name":"P","ports":["main","a","a"]}],"names":["x"],
			"wires":[[{"name":"x"},{"int":1}]]}`, "snapshot"},
		{"principal in no wire", `{"format":"annette-net","version":1,"types":[{"name":"P","ports":["main"]}],"agents":[{"type":"P"}],"names":[],"wires":[]}`,
			"port main of agent 0, a P, is in no wire"},
		{"bad type name", `{"format":"annette-net","version":1,"types":[{"name":"P q","ports":["main"]},{"name":"P","ports":["main"]}],"names":["x"],
			"wires":[[{"name":"x"},{"int":1}]]}`, "snapshot"},
		{"three ends", `{"format":"annette-net","version":1,"names":["x"],"wires":[[{"name":"x"},{"int":1},{"agent":7,"port":"zz"}]]}`,
			"a wire has 3 ends, want 2"},
		{"one end", `{"format":"annette-net","version":1,"names":["x"],"wires":[[{"name":"x"}]]}`, "a wire has 1 ends, want 2"},
		{"closing bracket after", `{"format":"annette-net","version":1,"names":["x"],"wires":[[{"name":"x"},{"int":1}]]}]]`,
			"data after the JSON object"},
		{"closing brace after", `{"format":"annette-net","version":1,"names":["x"],"wires":[[{"name":"x"},{"int":1}]]}}`,
			"data after the JSON object"},
		{"int and name", `{"format":"annette-net","version":1,"names":["x","y"],"wires":[[{"name":"x"},{"int":1,"name":"y"}]]}`,
			"more than one of agent, int and name"},
		{"agent and int", `{"format":"annette-net","version":1,"agents":[{"type":"Nil"}],"names":["x"],
			"wires":[[{"name":"x"},{"agent":0,"port":"main","int":5}]]}`, "more than one of agent, int and name"},
		{"port without agent", `{"format":"annette-net","version":1,"names":["x"],"wires":[[{"name":"x"},{"port":"main","int":5}]]}`,
			`port "main" without an agent`},
		{"open end on both sides", `{"format":"annette-net","version":1,"names":["x"],"wires":[[{"name":"x"},{"int":1}],[{},{}]]}`,
			"a wire has no end"},
		{"agent without port", `{"format":"annette-net","version":1,"agents":[{"type":"Nil"}],"names":["x"],"wires":[[{"name":"x"},{"agent":0}]]}`,
			"agent 0 without a port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := annette.NewNetwork(annette.Config{})
			err := n.LoadSnapshot([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadSnapshot error = %v, want one containing %q", err, tc.want)
			}
			if names := n.Names(); len(names) != 0 {
				t.Errorf("a failed load left names %v", names)
			}
			if st := n.Stats(); st.Live != 0 {
				t.Errorf("a failed load left %d agents", st.Live)
			}
			if _, ok := n.TypeOf("P"); ok {
				t.Errorf("a failed load defined type P")
			}
			// The network is still usable.
			must(t, n.Connect(n.Name("y"), n.Int(1)))
			mustReduce(t, n)
		})
	}
}

// TestSnapshotMerger checks that a net with a Merger in progress gives an
// error instead of a snapshot that loses the end of the output list,
// which the Merger's readers keep in their state. A snapshot naming a
// reader must be rejected instead of making Reduce fail.
func TestSnapshotMerger(t *testing.T) {
	var out bytes.Buffer
	ip, err := annette.NewInterpreter(annette.InterpreterConfig{Stdout: &out, Workers: 1})
	must(t, err)
	defer ip.Close()
	must(t, ip.Run("m.in", []byte("Merger(r) ~ (xs, [1, 2]);\n")))
	if _, err := ip.Network().Snapshot(); err == nil || !strings.Contains(err.Error(), "a _Merge agent keeps ports of the net in its state") {
		t.Errorf("Snapshot error = %v, want one about the _Merge agent's state", err)
	}

	hostile := `{"format":"annette-net","version":1,"types":[],"agents":[{"type":"_Merge"},{"type":"Nil"}],
		"wires":[[{"agent":0,"port":"main"},{"agent":1,"port":"main"}]],"names":[]}`
	n := annette.NewNetwork(annette.Config{})
	must(t, n.AddBuiltins())
	if err := n.LoadSnapshot([]byte(hostile)); err == nil || !strings.Contains(err.Error(), "only the built-in Merger makes such agents") {
		t.Errorf("LoadSnapshot error = %v, want one about the Merger's readers", err)
	}

	// A reader made through the Go API lacks the state too: its pair
	// fails instead of crashing the process.
	reader, err := n.AddAgent("_Merge", nil)
	must(t, err)
	empty, err := n.AddAgent("Nil", nil)
	must(t, err)
	must(t, n.Connect(reader.Main(), empty.Main()))
	if _, err := n.Reduce(context.Background()); !errors.Is(err, engine.ErrNoMergeState) {
		t.Errorf("Reduce error = %v, want ErrNoMergeState", err)
	}
}

// FuzzLoadSnapshot feeds LoadSnapshot arbitrary bytes, on a network with
// Go rules and on one with the built-in agents. Whatever loads must
// reduce, read back and snapshot again without a panic, and a snapshot
// written by Snapshot must load into a fresh network of the same kind.
func FuzzLoadSnapshot(f *testing.F) {
	n := unaryNet(f, annette.Config{})
	must(f, n.Connect(n.Name("x"), unary(f, n, 2)))
	two, err := n.Snapshot()
	must(f, err)
	f.Add(two)
	f.Add([]byte(`{"format":"annette-net","version":1,"types":[],"agents":[{"type":"Cons"},{"type":"Nil"}],"names":["x"],
		"wires":[[{"name":"x"},{"agent":0,"port":"main"}],[{"agent":0,"port":"head"},{"int":4}],[{"agent":0,"port":"tail"},{"agent":1,"port":"main"}]]}`))
	f.Add([]byte(`{"format":"annette-net","version":1,"types":[],"agents":[{"type":"_Merge"},{"type":"Nil"}],
		"wires":[[{"agent":0,"port":"main"},{"agent":1,"port":"main"}]],"names":[]}`))
	f.Add([]byte(`{"format":"annette-net","version":1,"names":["x","y"],"wires":[[{"name":"x"},{"name":"y"}]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		builtins := func(tb testing.TB) *annette.Network {
			m := annette.NewNetwork(annette.Config{MaxInteractions: 10000, MaxMemory: 64 << 20})
			must(tb, m.AddBuiltins())
			return m
		}
		unaryLimited := func(tb testing.TB) *annette.Network {
			return unaryNet(tb, annette.Config{MaxInteractions: 10000, MaxMemory: 64 << 20})
		}
		for _, fresh := range []func(testing.TB) *annette.Network{unaryLimited, builtins} {
			m := fresh(t)
			if m.LoadSnapshot(data) != nil {
				continue
			}
			_, _ = m.Reduce(context.Background())
			for _, name := range m.Names() {
				_, _ = m.Text(name)
			}
			again, err := m.Snapshot()
			if err != nil {
				continue
			}
			if err := fresh(t).LoadSnapshot(again); err != nil {
				t.Errorf("a snapshot written by Snapshot does not load: %v\n%s", err, again)
			}
		}
	})
}

// TestSnapshotOpenEndFirst checks that a wire may give its open end
// first: the format does not fix the order of a wire's ends.
func TestSnapshotOpenEndFirst(t *testing.T) {
	data := `{"format":"annette-net","version":1,"types":[{"name":"A","ports":["main","x"]}],
		"agents":[{"type":"A"}],
		"wires":[[{"agent":0,"port":"main"},{"name":"o"}],[{},{"agent":0,"port":"x"}]],"names":["o"]}`
	n := annette.NewNetwork(annette.Config{})
	must(t, n.LoadSnapshot([]byte(data)))
	if got := mustText(t, n, "o"); got != "A(<a1>)" {
		t.Errorf("o = %s, want A(<a1>)", got)
	}
}
