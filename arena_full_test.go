package annette_test

// Tests of a full arena, the process-wide range that holds the cells of
// every network. Most need an arena that a test can fill: the one of a
// race-detector build (256 MiB) or of a system without mmap. Elsewhere
// they skip, because the arena there is hundreds of GiB of address space.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

// maxFillNetworks bounds the networks fillArena holds before it gives up.
// 8192 networks of one chunk each take 2 GiB of address space. That is
// eight times the race-detector arena, and the arena's size under a limit
// on address space (ulimit -v) of about 3.5 GiB.
const maxFillNetworks = 8192

// addAgentRecover calls AddAgent and turns a panic into an error, so that
// a test can report it and go on.
func addAgentRecover(n *annette.Network, typ string) (a annette.Agent, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("AddAgent panicked: %v", v)
		}
	}()
	return n.AddAgent(typ, nil)
}

// oneCellNetwork returns a network that holds one S agent, so that its
// store has taken one chunk of the arena.
func oneCellNetwork(tb testing.TB) (*annette.Network, error) {
	n := annette.NewNetwork(annette.Config{})
	defineTypes(tb, n, unaryTypes...)
	_, err := addAgentRecover(n, "S")
	return n, err
}

// fillArena holds networks of one chunk each until the arena has no chunk
// left, which it detects by the first failing AddAgent. It returns the
// networks kept and the error of that AddAgent, or skips the test when
// maxFillNetworks networks do not fill the arena.
func fillArena(t *testing.T) ([]*annette.Network, error) {
	t.Helper()
	var kept []*annette.Network
	for range maxFillNetworks {
		n, err := oneCellNetwork(t)
		if err != nil {
			return kept, err
		}
		kept = append(kept, n)
	}
	t.Skipf("%d networks of one agent did not fill the arena (only a race-detector build has a small one)", maxFillNetworks)
	return nil, nil
}

// dropLast drops the last k networks of kept, so that the collector can
// give their chunks back, and returns the rest.
func dropLast(kept []*annette.Network, k int) []*annette.Network {
	clear(kept[len(kept)-k:])
	return kept[:len(kept)-k]
}

// collectGarbage runs the collector a few times, so that the cleanups of
// unreachable networks give their chunks back to the arena.
func collectGarbage() {
	for range 5 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

// TestManyLiveNetworks holds 1500 small networks at once. Each takes a
// chunk of the shared arena; the race-detector arena has 8,192 small
// chunks so that it holds them.
func TestManyLiveNetworks(t *testing.T) {
	const count = 1500
	kept := make([]*annette.Network, 0, count)
	defer collectGarbage()
	for i := range count {
		n, err := oneCellNetwork(t)
		if err != nil {
			t.Fatalf("network %d of %d: %v", i+1, count, err)
		}
		kept = append(kept, n)
	}
	runtime.KeepAlive(kept)
}

// TestArenaFullAddAgent checks AddAgent once other networks have taken
// every chunk of the arena: it returns ErrMemoryLimit, as documented, and
// does not panic.
func TestArenaFullAddAgent(t *testing.T) {
	kept, ferr := fillArena(t)
	defer collectGarbage()
	t.Logf("arena full after %d networks: %v", len(kept), ferr)
	if !errors.Is(ferr, annette.ErrMemoryLimit) {
		t.Errorf("AddAgent of network %d: %v, want ErrMemoryLimit", len(kept)+1, ferr)
	}
	n := annette.NewNetwork(annette.Config{})
	defineTypes(t, n, unaryTypes...)
	_, err := addAgentRecover(n, "S")
	if !errors.Is(err, annette.ErrMemoryLimit) {
		t.Errorf("AddAgent with the arena full: %v, want ErrMemoryLimit", err)
	}
	runtime.KeepAlive(kept)
}

// TestArenaFullEffectResult lets an effect handler return a term larger
// than the chunks left in the arena. Reduce builds the result outside the
// run, which recovers the store's panic: Reduce must return
// ErrMemoryLimit.
func TestArenaFullEffectResult(t *testing.T) {
	const depth = 100_000 // Box agents of two words: six chunks
	h := annette.NewEffectHandler(annette.EffectConfig{})
	defer h.Close()
	must(t, h.Handle("big", func(context.Context, *annette.EffectCall) (any, error) {
		term := &annette.Term{Kind: annette.IntTerm}
		for range depth {
			term = &annette.Term{Kind: annette.AgentTerm, Type: "Box", Args: []*annette.Term{term}}
		}
		return term, nil
	}))
	kept, _ := fillArena(t)
	defer collectGarbage()
	kept = dropLast(kept, 2)
	collectGarbage()

	n := askNet(t, h, nil, requestTo("big"))
	var err error
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("Reduce panicked: %v", v)
			}
		}()
		_, err = n.Reduce(context.Background())
	}()
	if !errors.Is(err, annette.ErrMemoryLimit) {
		t.Errorf("Reduce with an effect result larger than the arena's free chunks: %v, want ErrMemoryLimit", err)
	}
	runtime.KeepAlive(kept)
}

// TestArenaFullLoadSnapshot loads a snapshot into a network once other
// networks have filled the arena. LoadSnapshot must return an error, not
// panic.
func TestArenaFullLoadSnapshot(t *testing.T) {
	src := unaryNet(t, annette.Config{})
	binop(t, src, "Add", unary(t, src, 40_000), unary(t, src, 1), "out")
	data, err := src.Snapshot()
	must(t, err)

	kept, _ := fillArena(t)
	defer collectGarbage()
	dst := annette.NewNetwork(annette.Config{})
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("LoadSnapshot panicked: %v", v)
			}
		}()
		err = dst.LoadSnapshot(data)
	}()
	if !errors.Is(err, annette.ErrMemoryLimit) {
		t.Errorf("LoadSnapshot with the arena full: %v, want ErrMemoryLimit", err)
	}
	runtime.KeepAlive(kept)
}

// TestArenaFullActionRule runs an action rule that creates more agents
// than the chunks left in the arena hold. The action's runner recovers
// the store's panic as the action's own. The run must still end with
// ErrMemoryLimit, as for a network that reaches its own limit.
func TestArenaFullActionRule(t *testing.T) {
	const count = 100_000 // Box agents of two words: six chunks
	kept, _ := fillArena(t)
	defer collectGarbage()
	kept = dropLast(kept, 2)
	collectGarbage()

	n := askNet(t, nil, nil, func(c *annette.RuleContext) error {
		end := c.Int(0)
		for range count {
			b, err := c.NewAgent("Box", nil)
			if err != nil {
				return err
			}
			if err := c.Link(b.Port("x"), end); err != nil {
				return err
			}
			end = b.Main()
		}
		return c.Link(c.Left().Port("r"), end)
	})
	_, err := n.Reduce(context.Background())
	if !errors.Is(err, annette.ErrMemoryLimit) {
		t.Errorf("Reduce of an action that outgrows the arena: %v, want ErrMemoryLimit", err)
	}
	runtime.KeepAlive(kept)
}
