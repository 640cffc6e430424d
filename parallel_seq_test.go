package annette_test

// A stateful property test: rapid draws a sequence of calls on one
// ParallelNetwork and one Network built the same way, as a program makes
// them over its life. The calls build nets, reduce and step them, change
// the mode, cancel runs, hit limits, fail rules and fix them, take names
// and close. After each call the test checks what the API promises about
// the two networks.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/annette-go/annette"
)

// errBoom is the error of a fragile Tick agent's action.
var errBoom = errors.New("boom")

// Tick values: a Tick agent's Go value selects how its action fails
// until the sequence defuses the Tick agents.
const (
	tickPlain int64 = iota
	tickError       // the action returns errBoom
	tickPanic       // the action panics with errBoom
)

// tickTypes are the types of the Tick, Late and Ask rules. Tick(r) ~ n
// copies the unary number n to r through an action rule; Late(r) ~ n does
// the same through rewrite rules that a sequence adds only when it
// chooses. Ask(r) ~ Z requests an "echo" effect of the Ask agent's value.
var tickTypes = []annette.Type{
	{Name: "Tick", Ports: []string{"main", "r"}, Valued: true, ValueType: reflect.TypeFor[int64]()},
	{Name: "Late", Ports: []string{"main", "r"}},
	{Name: "Ask", Ports: []string{"main", "r"}, Valued: true, ValueType: reflect.TypeFor[int64]()},
}

// errHook is the error of the Events hooks while the sequence makes
// them fail.
var errHook = errors.New("hook failed")

// errEffect is the error of the echo handler for a negative payload.
var errEffect = errors.New("negative echo")

// echo is the handler of "echo" effects: it returns twice the payload
// and fails on a negative one. It sleeps briefly for payloads divisible
// by 3, so that some results arrive after the run that requested them
// has stopped or gone on.
func echo(_ context.Context, c *annette.EffectCall) (any, error) {
	v := c.Payload.(int64)
	if v < 0 {
		return nil, errEffect
	}
	if v%3 == 0 {
		time.Sleep(50 * time.Microsecond)
	}
	return 2 * v, nil
}

// askRule requests an "echo" effect with the Ask agent's value and
// links its result to the Ask agent's port r: Ask(r) >< Z.
var askRule = annette.ActionRule{Name: "ask", Left: "Ask", Right: "Z", Action: func(c *annette.RuleContext) error {
	res, err := c.Request(annette.Effect{Type: "echo", Payload: c.Left().Value()})
	if err != nil {
		return err
	}
	return c.Link(c.Left().Port("r"), res)
}}

// tickState is one network's view of the Tick rules.
type tickState struct {
	// count and onTick are guarded by the key "ticks", which every Tick
	// call writes, so the race detector checks that the parallel reducer
	// never runs two calls at once.
	count  int64
	onTick func() // called after the count grows, during the action
}

// tickRules returns Tick >< Z and Tick >< S as action rules that count
// their calls in st. While defused is false, a Tick agent whose value is
// tickError or tickPanic makes its action fail.
func tickRules(st *tickState, defused *atomic.Bool) []annette.Rule {
	action := func(c *annette.RuleContext) error {
		mode, _ := c.Left().Value().(int64)
		if !defused.Load() {
			switch mode {
			case tickError:
				return errBoom
			case tickPanic:
				panic(errBoom)
			}
		}
		st.count++
		if st.onTick != nil {
			st.onTick()
		}
		if c.Right().Type() == "Z" {
			z, err := c.NewAgent("Z", nil)
			if err != nil {
				return err
			}
			return c.Link(c.Left().Port("r"), z.Main())
		}
		s, err := c.NewAgent("S", nil)
		if err != nil {
			return err
		}
		next, err := c.NewAgent("Tick", mode)
		if err != nil {
			return err
		}
		for _, l := range [][2]annette.Port{
			{c.Left().Port("r"), s.Main()},
			{s.Port("pred"), next.Port("r")},
			{next.Main(), c.Right().Port("pred")},
		} {
			if err := c.Link(l[0], l[1]); err != nil {
				return err
			}
		}
		return nil
	}
	keys := []string{"ticks"}
	return []annette.Rule{
		annette.ActionRule{Name: "tick-zero", Left: "Tick", Right: "Z", Writes: keys, Action: action},
		annette.ActionRule{Name: "tick-succ", Left: "Tick", Right: "S", Writes: keys, Action: action},
	}
}

// lateRules are the rules of Late, which copy a unary number:
//
//	Late(r) >< Z    => r ~ Z;
//	Late(r) >< S(x) => r ~ S(w), Late(w) ~ x;
func lateRules() []annette.Rule {
	return []annette.Rule{
		annette.RewriteRule{Name: "late-zero", Left: Pat("Late", "r"), Right: Pat("Z"),
			Body: []annette.Wire{W(V("r"), A("Z"))}},
		annette.RewriteRule{Name: "late-succ", Left: Pat("Late", "r"), Right: Pat("S", "x"),
			Body: []annette.Wire{W(V("r"), A("S", V("w"))), W(A("Late", V("w")), V("x"))}},
	}
}

// seqPiece is one part of a net that a sequence adds: a subnet of
// TestPropParallelMatches, or a unary expression copied by a Tick agent
// whose value is tick, or by a Late agent.
type seqPiece struct {
	sub  subnet
	tick int64 // -1 for no Tick
	late bool
	ask  bool  // an Ask agent whose echo result goes to Plus(name, k)
	v, k int64 // the Ask agent's value and the integer added to its result
}

func (s seqPiece) String() string {
	switch {
	case s.ask:
		return fmt.Sprintf("ask %d + %d", s.v, s.k)
	case s.late:
		return "late " + s.sub.String()
	case s.tick >= 0:
		return fmt.Sprintf("tick%d %s", s.tick, s.sub)
	}
	return s.sub.String()
}

// tinyArithGen generates unary expressions of at most 1500 interactions,
// so that sequences of many steps stay quick under the race detector.
var tinyArithGen = rapid.Custom(func(t *rapid.T) *arith { return drawArith(t, 3) }).
	Filter(func(e *arith) bool { return e.interactions() <= 1500 })

var seqPieceGen = rapid.Custom(func(t *rapid.T) seqPiece {
	p := seqPiece{tick: -1}
	switch rapid.IntRange(0, 4).Draw(t, "shape") {
	case 4:
		p.ask = true
		p.v = rapid.Int64Range(-1, 20).Draw(t, "v")
		p.k = rapid.Int64Range(-5, 5).Draw(t, "k")
		return p
	case 0:
		p.sub = subnet{kind: "arith", expr: tinyArithGen.Draw(t, "expr")}
		p.tick = rapid.SampledFrom([]int64{tickPlain, tickPlain, tickError, tickPanic}).Draw(t, "tick")
		return p
	case 1:
		p.sub = subnet{kind: "arith", expr: tinyArithGen.Draw(t, "expr")}
		p.late = true
		return p
	}
	p.sub = subnet{kind: rapid.SampledFrom([]string{"arith", "fold", "grow", "dup", "erase"}).Draw(t, "kind")}
	switch p.sub.kind {
	case "fold":
		p.sub.tree = rapid.Custom(func(t *rapid.T) *tree { return drawTree(t, 4) }).Draw(t, "tree")
	case "grow":
		p.sub.depth = rapid.Int64Range(0, 6).Draw(t, "depth")
	default:
		p.sub.expr = tinyArithGen.Draw(t, "expr")
	}
	return p
})

// addPiece adds the agents of s to n and returns its interface names and
// whether each will hold a unary number (else an integer).
func addPiece(t fatalT, n *annette.Network, s seqPiece, prefix string) (names []string, unary []bool) {
	t.Helper()
	if s.ask {
		ask, err := n.AddAgent("Ask", s.v)
		if err != nil {
			t.Fatalf("AddAgent(Ask): %v", err)
		}
		plus := addAgent(t, n, "Plus")
		connect(t, n, plus.Port("s"), n.Name(prefix))
		connect(t, n, plus.Port("y"), n.Int(s.k))
		connect(t, n, plus.Main(), ask.Port("r"))
		connect(t, n, ask.Main(), addAgent(t, n, "Z").Main())
		return []string{prefix}, []bool{false}
	}
	if s.tick < 0 && !s.late {
		names = addSubnet(t, n, s.sub, prefix)
		for range names {
			unary = append(unary, s.sub.kind != "fold" && s.sub.kind != "grow")
		}
		return names, unary
	}
	var agent annette.Agent
	if s.late {
		agent = addAgent(t, n, "Late")
	} else {
		a, err := n.AddAgent("Tick", s.tick)
		if err != nil {
			t.Fatalf("AddAgent(Tick): %v", err)
		}
		agent = a
	}
	connect(t, n, agent.Port("r"), n.Name(prefix))
	connect(t, n, agent.Main(), buildArith(t, n, s.sub.expr))
	return []string{prefix}, []bool{true}
}

// seqRun holds the two networks of one sequence and what the sequence
// did to them.
type seqRun struct {
	seq  *annette.Network
	par  *annette.ParallelNetwork
	pool *annette.WorkerPool // a pool given in ParallelConfig, or nil
	// poolClosed is set once the sequence closed pool before the network,
	// after which runs that need the pool's goroutines fail.
	poolClosed bool
	seqTicks   *tickState
	parTicks   *tickState
	defused    atomic.Bool
	limit      int64
	workers    int
	mode       annette.ExecutionMode // the parallel network's mode
	// build defines the types and rules of a network of the sequence.
	build func(n *annette.Network, ticks *tickState)
	// beforeNets ignores the goroutines that ran before the networks
	// were made, and beforePools those that ran before the pools.
	beforeNets, beforePools goleak.Option
	// host and plugin made the parallel network, or are nil.
	host       *annette.PluginHost
	plugin     *annette.ParallelPlugin
	hostClosed bool

	effects *annette.EffectHandler // shared by both networks
	// seqEvents and parEvents are the events each network reported.
	seqEvents, parEvents []annette.Event
	// hookFails makes the Events hooks return errHook.
	hookFails bool
	// hookErr is the first error of a hook's use of its network.
	hookErr error

	names     []string
	unary     map[string]bool // whether a name will hold a unary number
	pieces    int
	lateAdded bool
	closed    bool
	// askAdded is set once an Ask piece was added. Its effect can then be
	// in flight while no pair is pending, so the networks are compared
	// only when settled: after a Reduce that returned nil, or a Step
	// that returned no interaction and no error.
	askAdded               bool
	seqSettled, parSettled bool
	// failing is set once an Ask piece with a negative value was added.
	// Its effect fails once, in whichever run takes its result, so the
	// two networks can report the failure in different calls. Its name
	// keeps an open wire, read with a label that depends on the order.
	failing bool
	open    map[string]bool // names whose wire stays open
	ask     map[string]bool // names of Ask pieces
	// cutOff is set when the EffectHandler was closed with Ask pieces in
	// the nets. Close cuts off their effects at different points in the
	// two networks, so the interactions after them differ.
	cutOff bool
	// lastPar is Stats().Interactions of par when the sequence last
	// checked it, for the checks that the counts only grow.
	lastPar int64
	// lastStore is Stats().StoreBytes of par at that time: the store
	// never shrinks.
	lastStore int64
}

// failKinds lists the sentinel errors that a run of the sequence may stop
// with besides its context's error.
var failKinds = []error{annette.ErrInteractionLimit, annette.ErrNoRule, errBoom, errEffect, annette.ErrEffectsClosed}

// effectFailure reports whether err comes from an effect that failed,
// which the run that takes its result reports once, or from a request
// to a closed EffectHandler. Either can happen to one network and not
// the other, depending on how far each got before.
func effectFailure(err error) bool {
	var ee *annette.EffectError
	return errors.As(err, &ee) || errors.Is(err, annette.ErrEffectsClosed)
}

// checkRunError fails t unless err is nil, one of failKinds or, when
// ctxErr is set, that context error. call names the call for messages.
func checkRunError(t *rapid.T, call string, err, ctxErr error) {
	if err == nil || ctxErr != nil && errors.Is(err, ctxErr) {
		return
	}
	for _, k := range failKinds {
		if errors.Is(err, k) {
			return
		}
	}
	t.Fatalf("%s = %v, want nil or one of %v", call, err, failKinds)
}

// check compares what both networks report, where the API promises that
// they agree.
func (r *seqRun) check(t *rapid.T) {
	if r.hookErr != nil {
		t.Fatal(r.hookErr)
	}
	pst := r.par.Stats()
	if pst.Interactions < r.lastPar {
		t.Fatalf("parallel interactions went down from %d to %d", r.lastPar, pst.Interactions)
	}
	r.lastPar = pst.Interactions

	var sum int64
	for _, c := range r.par.PerWorker() {
		sum += c
	}
	if sum != pst.Interactions {
		t.Fatalf("PerWorker adds up to %d, Stats().Interactions = %d", sum, pst.Interactions)
	}
	if r.limit > 0 && pst.Interactions > r.limit {
		t.Fatalf("parallel network carried out %d interactions, limit %d", pst.Interactions, r.limit)
	}
	if pst.StoreBytes < r.lastStore {
		t.Fatalf("parallel store shrank from %d to %d bytes", r.lastStore, pst.StoreBytes)
	}
	r.lastStore = pst.StoreBytes
	if pst.PeakLive < pst.Live {
		t.Fatalf("parallel Stats().PeakLive = %d, below Live = %d", pst.PeakLive, pst.Live)
	}

	sst := r.seq.Stats()
	if r.limit > 0 && sst.Interactions > r.limit {
		t.Fatalf("sequential network carried out %d interactions, limit %d", sst.Interactions, r.limit)
	}

	if r.par.Pending() != 0 || r.seq.Pending() != 0 || r.askAdded && !(r.seqSettled && r.parSettled) {
		return
	}
	// Both are in normal form: confluence makes them the same net,
	// reached by the same interactions, whatever the history.
	if !r.cutOff && pst.Interactions != sst.Interactions {
		t.Fatalf("normal form after %d interactions in parallel, %d sequentially", pst.Interactions, sst.Interactions)
	}
	if !r.cutOff && pst.Live != sst.Live {
		t.Fatalf("normal form with %d live agents in parallel, %d sequentially", pst.Live, sst.Live)
	}
	if r.parTicks.count != r.seqTicks.count {
		t.Fatalf("normal form after %d Tick calls in parallel, %d sequentially", r.parTicks.count, r.seqTicks.count)
	}
	for _, name := range r.names {
		if r.open[name] {
			continue
		}
		if g, w := mustText(t, r.par.Network, name), mustText(t, r.seq, name); g != w {
			t.Fatalf("%s = %s in parallel, %s sequentially", name, g, w)
		}
	}
}

// reduceBoth reduces both networks with contexts from mk and checks what
// they return: the same success, or errors of the kinds a run may meet.
// It returns the two errors.
func (r *seqRun) reduceBoth(t *rapid.T, mk func(*tickState) (context.Context, context.CancelFunc), embedded bool) (seqErr, parErr error) {
	sctx, scancel := mk(r.seqTicks)
	defer scancel()
	before, events := r.seq.Stats().Interactions, len(r.seqEvents)
	sst, seqErr := r.seq.Reduce(sctx)
	if got := r.seq.Stats().Interactions - before; got != sst.Interactions {
		t.Fatalf("Network.Reduce reported %d interactions, Stats grew by %d", sst.Interactions, got)
	}
	ev := oneEvent(t, "Network.Reduce", r.seqEvents[events:], annette.EventReduce).(annette.ReduceEvent)
	seqErr = r.runError(t, "Network.Reduce", seqErr, ev.Err)
	if now := r.seq.Stats(); seqErr == nil && (sst.Live != now.Live || sst.PeakLive != now.PeakLive || sst.StoreBytes != now.StoreBytes) {
		t.Fatalf("Network.Reduce = %+v, Stats() = %+v", sst, now)
	}
	if ev.Stats != sst || ev.Parallel != nil {
		t.Fatalf("Network.Reduce = %+v, %v; its event says %+v", sst, seqErr, ev)
	}
	checkRunError(t, "Network.Reduce", seqErr, sctx.Err())
	r.seqSettled = r.seqSettled || seqErr == nil

	pctx, pcancel := mk(r.parTicks)
	defer pcancel()
	before, events = r.par.Stats().Interactions, len(r.parEvents)
	var got int64
	if embedded {
		var st annette.Stats
		st, parErr = r.par.Network.Reduce(pctx)
		got = st.Interactions
		ev := oneEvent(t, "embedded Network.Reduce", r.parEvents[events:], annette.EventReduce).(annette.ReduceEvent)
		parErr = r.runError(t, "embedded Network.Reduce", parErr, ev.Err)
		if ev.Stats != st || ev.Parallel != nil {
			t.Fatalf("embedded Network.Reduce = %+v, %v; its event says %+v", st, parErr, ev)
		}
	} else {
		var st annette.ParallelStats
		steals, allocated, mode := r.par.Steals(), r.par.Stats().Allocated, r.mode
		st, parErr = r.par.Reduce(pctx)
		got = st.Interactions
		if grew := r.par.Steals() - steals; grew != st.Steals {
			t.Fatalf("ParallelStats.Steals = %d, Steals grew by %d", st.Steals, grew)
		}
		if grew := r.par.Stats().Allocated - allocated; grew != st.Allocated {
			t.Fatalf("ParallelStats.Allocated = %d, Stats().Allocated grew by %d", st.Allocated, grew)
		}
		if mode == annette.Sequential && st.Parallel {
			t.Fatalf("a Reduce in Sequential mode used the parallel reducer")
		}
		ev := oneEvent(t, "ParallelNetwork.Reduce", r.parEvents[events:], annette.EventReduce).(annette.ReduceEvent)
		parErr = r.runError(t, "ParallelNetwork.Reduce", parErr, ev.Err)
		if ev.Stats != st.Stats || ev.Parallel == nil || ev.Parallel.Stats != st.Stats {
			t.Fatalf("ParallelNetwork.Reduce = %+v, %v; its event says %+v", st, parErr, ev)
		}
		if parErr == nil {
			if st.Workers != r.workers || len(st.PerWorker) != r.workers {
				t.Fatalf("ParallelStats.Workers = %d with %d PerWorker counts, want %d", st.Workers, len(st.PerWorker), r.workers)
			}
			if st.PeakLive < st.Live {
				t.Fatalf("ParallelStats.PeakLive = %d, below Live = %d", st.PeakLive, st.Live)
			}
			// These three describe the network, as Stats does.
			if now := r.par.Stats(); st.Live != now.Live || st.PeakLive != now.PeakLive || st.StoreBytes != now.StoreBytes {
				t.Fatalf("ParallelStats = %+v, Stats() = %+v", st.Stats, now)
			}
			if sumPerWorker(st) != st.Interactions {
				t.Fatalf("ParallelStats.PerWorker adds up to %d, Interactions = %d", sumPerWorker(st), st.Interactions)
			}
		}
	}
	if grew := r.par.Stats().Interactions - before; grew != got {
		t.Fatalf("parallel Reduce reported %d interactions, Stats grew by %d", got, grew)
	}
	if r.closed {
		if !errors.Is(parErr, annette.ErrClosed) || got != 0 {
			t.Fatalf("Reduce after Close = %d interactions, %v; want 0, ErrClosed", got, parErr)
		}
		return seqErr, parErr
	}
	if r.poolClosed && errors.Is(parErr, annette.ErrPoolClosed) {
		return seqErr, parErr
	}
	checkRunError(t, "ParallelNetwork.Reduce", parErr, pctx.Err())
	r.parSettled = r.parSettled || parErr == nil
	r.checkRunEnd(t, "Reduce", seqErr, parErr)
	return seqErr, parErr
}

// checkRunEnd checks what a run that ended without its context's error
// left behind.
func (r *seqRun) checkRunEnd(t *rapid.T, call string, seqErr, parErr error) {
	for _, side := range []struct {
		name string
		n    *annette.Network
		err  error
	}{{"sequential", r.seq, seqErr}, {"parallel", r.par.Network, parErr}} {
		if side.err == nil && side.n.Pending() != 0 {
			t.Fatalf("%s %s returned nil with %d pairs pending", side.name, call, side.n.Pending())
		}
		if side.err != nil && !errors.Is(side.err, context.Canceled) && !errors.Is(side.err, context.DeadlineExceeded) &&
			!effectFailure(side.err) && side.n.Pending() == 0 {
			t.Fatalf("%s %s = %v with no pair pending", side.name, call, side.err)
		}
		if errors.Is(side.err, annette.ErrInteractionLimit) {
			if got := side.n.Stats().Interactions; got != r.limit {
				t.Fatalf("%s %s = %v after %d interactions, limit %d", side.name, call, side.err, got, r.limit)
			}
			var le *annette.LimitError
			if !errors.As(side.err, &le) || le.Limit != r.limit {
				t.Fatalf("%s %s = %v, want a *LimitError with Limit %d", side.name, call, side.err, r.limit)
			}
		}
	}
}

// runError checks the error err of a call whose event carries evErr, and
// returns the call's own error. That is err itself, unless the hook
// failed: err is then a *HookError, joined with evErr if that is not nil.
func (r *seqRun) runError(t *rapid.T, call string, err, evErr error) error {
	if !r.hookFails {
		if err != evErr {
			t.Fatalf("%s = %v, its event says %v", call, err, evErr)
		}
		return err
	}
	var he *annette.HookError
	if !errors.As(err, &he) || !errors.Is(he, errHook) {
		t.Fatalf("%s = %v with a failing hook, want a *HookError", call, err)
	}
	if evErr == nil && err != error(he) || evErr != nil && !errors.Is(err, evErr) {
		t.Fatalf("%s = %v with a failing hook, want its own error %v joined with the *HookError", call, err, evErr)
	}
	return evErr
}

// stepError checks the one event of a Step call that returned done and
// err, and returns the call's own error (see runError).
func (r *seqRun) stepError(t *rapid.T, call string, events []annette.Event, done int64, err error) error {
	ev := oneEvent(t, call, events, annette.EventStep).(annette.StepEvent)
	if int64(ev.Interactions) != done {
		t.Fatalf("%s = %d, its event says %d", call, done, ev.Interactions)
	}
	return r.runError(t, call, err, ev.Err)
}

// oneEvent checks that a call reported one event of type typ in events,
// and returns its Data.
func oneEvent(t *rapid.T, call string, events []annette.Event, typ string) any {
	if len(events) != 1 || events[0].Type != typ {
		t.Fatalf("%s reported %d events %v, want one %s", call, len(events), events, typ)
	}
	return events[0].Data
}

// background returns a context that is never cancelled.
func background(*tickState) (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func TestPropParallelSequence(t *testing.T) {
	leakCheck(t)
	rapid.Check(t, func(rt *rapid.T) {
		ignore := goleak.IgnoreCurrent()
		r := &seqRun{unary: map[string]bool{}, open: map[string]bool{}, ask: map[string]bool{}, seqTicks: &tickState{}, parTicks: &tickState{},
			seqSettled: true, parSettled: true}
		// Every draw of the setup comes before anything that needs a
		// Close: a draw can end the run when rapid shrinks the input.
		ecfg := annette.EffectConfig{
			Workers:   rapid.IntRange(1, 3).Draw(rt, "effectWorkers"),
			MaxBatch:  rapid.IntRange(0, 3).Draw(rt, "maxBatch"),
			BatchWait: rapid.SampledFrom([]time.Duration{0, 20 * time.Microsecond}).Draw(rt, "batchWait"),
		}
		r.workers = rapid.IntRange(1, 5).Draw(rt, "workers")
		if rapid.IntRange(0, 3).Draw(rt, "limited") == 0 {
			r.limit = rapid.Int64Range(1, 3000).Draw(rt, "limit")
		}
		pcfg := annette.ParallelConfig{
			Workers:             r.workers,
			Mode:                rapid.SampledFrom([]annette.ExecutionMode{annette.Auto, annette.Parallel, annette.Sequential}).Draw(rt, "mode"),
			SequentialThreshold: rapid.IntRange(0, 4).Draw(rt, "threshold"),
			SequentialTime:      rapid.SampledFrom([]time.Duration{0, -1, time.Microsecond}).Draw(rt, "seqTime"),
			MinBatch:            rapid.IntRange(0, 8).Draw(rt, "minBatch"),
			MaxBatchWait:        rapid.SampledFrom([]time.Duration{0, 0, time.Microsecond}).Draw(rt, "maxBatchWait"),
		}
		if rapid.Bool().Draw(rt, "logger") {
			pcfg.Logger = slog.New(slog.DiscardHandler)
		}
		poolWorkers := 0 // no pool of the sequence's own
		if rapid.Bool().Draw(rt, "ownPool") {
			// A pool of its own, larger or smaller than the network wants.
			poolWorkers = rapid.IntRange(1, 5).Draw(rt, "poolWorkers")
		}
		pluginWorkers := 0 // no ParallelPlugin
		if poolWorkers == 0 && rapid.Bool().Draw(rt, "plugin") {
			// The network comes from a ParallelPlugin, on its pool.
			pluginWorkers = rapid.IntRange(1, 5).Draw(rt, "pluginWorkers")
		}

		r.mode = pcfg.Mode
		r.effects = annette.NewEffectHandler(ecfg)
		must(t, r.effects.Handle("echo", echo))
		// The goroutines that exist now are the effect handler's: the
		// Close of a plugin's host must leave no other.
		r.beforePools = goleak.IgnoreCurrent()
		if pluginWorkers > 0 {
			r.host = annette.NewPluginHost(annette.PluginHostConfig{})
			r.plugin = annette.NewParallelPlugin(annette.ParallelPluginConfig{Network: pcfg,
				Pool: annette.PoolConfig{Workers: pluginWorkers}})
			must(t, r.host.Use(r.plugin))
			r.workers = min(r.workers, pluginWorkers)
		}
		if poolWorkers > 0 {
			r.pool = annette.NewWorkerPool(annette.PoolConfig{Workers: poolWorkers})
			pcfg.Pool = r.pool
			r.workers = min(r.workers, r.pool.Workers())
		}
		cfg := annette.Config{MaxInteractions: r.limit, Effects: r.effects}
		// The hooks use their network, which Config.Events allows, and
		// fail while hookFails is set.
		record := func(events *[]annette.Event, n func() *annette.Network) func(annette.Event) error {
			return func(ev annette.Event) error {
				*events = append(*events, ev)
				if ev.Type == annette.EventReduce || ev.Type == annette.EventStep {
					// Snapshot fails while effects are in flight, but
					// must not find the network running.
					if _, err := n().Snapshot(); errors.Is(err, annette.ErrRunning) && r.hookErr == nil {
						r.hookErr = fmt.Errorf("Snapshot in the hook of %s: %w", ev.Type, err)
					}
				}
				if r.hookFails {
					return errHook
				}
				return nil
			}
		}
		r.build = func(n *annette.Network, ticks *tickState) {
			copyUnary(t, n)
			defineTypes(t, n, foldTypes...)
			defineTypes(t, n, tickTypes...)
			addRules(t, n, foldRules(true)...)
			addRules(t, n, tickRules(ticks, &r.defused)...)
			addRules(t, n, askRule)
		}
		// The goroutines that exist now are the effect handler's and the
		// given or the plugin's pool's: Close of the network must leave
		// no other.
		r.beforeNets = goleak.IgnoreCurrent()
		scfg, pcfgNet := cfg, cfg
		scfg.Events = record(&r.seqEvents, func() *annette.Network { return r.seq })
		pcfgNet.Events = record(&r.parEvents, func() *annette.Network { return r.par.Network })
		r.seq = annette.NewNetwork(scfg)
		r.build(r.seq, r.seqTicks)
		if r.plugin != nil {
			var err error
			if r.par, err = r.plugin.NewNetwork(pcfgNet); err != nil {
				rt.Fatalf("ParallelPlugin.NewNetwork: %v", err)
			}
		} else {
			r.par = annette.NewParallelNetwork(pcfgNet, pcfg)
		}
		r.build(r.par.Network, r.parTicks)
		defer func() {
			r.hookFails = false
			if !r.closed {
				if err := r.par.Close(); err != nil {
					rt.Errorf("Close: %v", err)
				}
			}
			if r.host != nil {
				if err := r.host.Close(); err != nil {
					rt.Errorf("PluginHost.Close: %v", err)
				}
			}
			if err := r.effects.Close(); err != nil {
				rt.Errorf("EffectHandler.Close: %v", err)
			}
			if r.pool != nil {
				if err := r.pool.Close(); err != nil {
					rt.Errorf("pool Close: %v", err)
				}
			}
			if err := goleak.Find(ignore); err != nil {
				rt.Errorf("goroutines outlive Close: %v", err)
			}
		}()
		if got := r.par.Workers(); got != r.workers {
			rt.Fatalf("Workers = %d, want %d", got, r.workers)
		}

		rt.Repeat(map[string]func(*rapid.T){
			"":       r.check,
			"add":    r.add,
			"reduce": r.reduce,
			"step":   r.step,
			"steps":  r.steps,
			"mode": func(t *rapid.T) {
				r.mode = rapid.SampledFrom([]annette.ExecutionMode{annette.Auto, annette.Parallel, annette.Sequential, 7}).Draw(t, "mode")
				r.par.SetMode(r.mode)
			},
			"cancel":    r.cancel,
			"cancelled": r.cancelled,
			"fix":       r.fix,
			"take":      r.take,
			"reenter":   r.reenter,
			"close":     r.close,
			"read":      r.read,
			"snapshot":  r.snapshot,
			"hook":      func(*rapid.T) { r.hookFails = !r.hookFails },
			"closePool": r.closePool,
			"closeHost": r.closeHost,
			"closeEffects": func(t *rapid.T) {
				// Close fails the effects not yet handled, and the
				// requests of later Ask calls fail: each network meets
				// those failures in its own calls.
				if err := r.effects.Close(); err != nil {
					t.Fatalf("EffectHandler.Close: %v", err)
				}
				r.failing = true
				r.cutOff = r.cutOff || len(r.ask) > 0
				for name := range r.ask {
					r.open[name] = true
				}
			},
		})
	})
}

// add adds the same random piece of net to both networks.
func (r *seqRun) add(t *rapid.T) {
	if r.closed {
		t.Skip("closed")
	}
	piece := seqPieceGen.Draw(t, "piece")
	prefix := "p" + strconv.Itoa(r.pieces)
	r.pieces++
	names, unary := addPiece(t, r.seq, piece, prefix)
	addPiece(t, r.par.Network, piece, prefix)
	for i, name := range names {
		r.names = append(r.names, name)
		r.unary[name] = unary[i]
	}
	if piece.ask {
		r.ask[names[0]] = true
		r.askAdded, r.seqSettled, r.parSettled = true, false, false
		if piece.v < 0 {
			r.failing = true
			r.open[names[0]] = true
		}
	}
}

// reduce reduces both networks, through the embedded Network's Reduce
// now and then.
func (r *seqRun) reduce(t *rapid.T) {
	embedded := rapid.IntRange(0, 4).Draw(t, "embedded") == 0
	seqErr, parErr := r.reduceBoth(t, background, embedded)
	if r.closed || r.poolClosed && errors.Is(parErr, annette.ErrPoolClosed) {
		return
	}
	if (seqErr == nil) != (parErr == nil) && !(r.failing && (effectFailure(seqErr) || effectFailure(parErr))) {
		t.Fatalf("Reduce = %v sequentially, %v in parallel", seqErr, parErr)
	}
}

// step calls Step once on both networks.
func (r *seqRun) step(t *rapid.T) {
	ctx := context.Background()
	before, events := r.seq.Stats().Interactions, len(r.seqEvents)
	ok, seqErr := r.seq.Step(ctx)
	seqErr = r.stepError(t, "Network.Step", r.seqEvents[events:], b2i(ok), seqErr)
	if grew := r.seq.Stats().Interactions - before; ok != (grew == 1) || grew > 1 {
		t.Fatalf("Network.Step = %v, but Stats grew by %d", ok, grew)
	}
	checkRunError(t, "Network.Step", seqErr, nil)
	if seqErr == nil && !ok && r.seq.Pending() != 0 {
		t.Fatalf("Network.Step = false with %d pairs pending", r.seq.Pending())
	}
	r.seqSettled = r.seqSettled || seqErr == nil && !ok

	before, events = r.par.Stats().Interactions, len(r.parEvents)
	pending := r.par.Pending()
	var done int
	var parErr error
	embedded := rapid.IntRange(0, 4).Draw(t, "embedded") == 0
	if embedded {
		var ok bool
		ok, parErr = r.par.Network.Step(ctx)
		if ok {
			done = 1
		}
	} else {
		done, parErr = r.par.Step(ctx)
	}
	parErr = r.stepError(t, "parallel Step", r.parEvents[events:], int64(done), parErr)
	if r.poolClosed && errors.Is(parErr, annette.ErrPoolClosed) {
		return
	}
	if r.closed {
		if !errors.Is(parErr, annette.ErrClosed) || done != 0 {
			t.Fatalf("Step after Close = %d, %v; want 0, ErrClosed", done, parErr)
		}
		return
	}
	if grew := r.par.Stats().Interactions - before; grew != int64(done) {
		t.Fatalf("parallel Step = %d, but Stats grew by %d", done, grew)
	}
	checkRunError(t, "ParallelNetwork.Step", parErr, nil)
	// Results of effects fed in before the round can add pairs.
	if done > pending && !r.askAdded {
		t.Fatalf("parallel Step did %d interactions with %d pairs pending", done, pending)
	}
	if parErr == nil && done == 0 && r.par.Pending() != 0 {
		t.Fatalf("parallel Step = 0 with %d pairs pending", r.par.Pending())
	}
	r.parSettled = r.parSettled || parErr == nil && done == 0
}

// steps calls Step on both networks until it does nothing or fails, and
// checks that both stop the same way.
func (r *seqRun) steps(t *rapid.T) {
	if r.closed {
		t.Skip("closed")
	}
	ctx := context.Background()
	var seqErr, parErr error

	for {
		events := len(r.seqEvents)
		ok, err := r.seq.Step(ctx)
		err = r.stepError(t, "Network.Step", r.seqEvents[events:], b2i(ok), err)
		if err != nil || !ok {
			seqErr = err
			break
		}
	}

	for {
		events := len(r.parEvents)
		done, err := r.par.Step(ctx)
		err = r.stepError(t, "ParallelNetwork.Step", r.parEvents[events:], int64(done), err)
		if err != nil || done == 0 {
			parErr = err
			break
		}
	}
	if r.poolClosed && errors.Is(parErr, annette.ErrPoolClosed) {
		return
	}
	checkRunError(t, "Network.Step", seqErr, nil)
	checkRunError(t, "ParallelNetwork.Step", parErr, nil)
	if (seqErr == nil) != (parErr == nil) && !(r.failing && (effectFailure(seqErr) || effectFailure(parErr))) {
		t.Fatalf("Step loop ends with %v sequentially, %v in parallel", seqErr, parErr)
	}
	r.seqSettled = r.seqSettled || seqErr == nil
	r.parSettled = r.parSettled || parErr == nil
	r.checkRunEnd(t, "Step", seqErr, parErr)
}

// cancel reduces both networks with a context that a Tick call cancels,
// or that a timer ends, during the run. Each Reduce may return the
// context's error, another error or reach normal form first.
func (r *seqRun) cancel(t *rapid.T) {
	if r.closed {
		t.Skip("closed")
	}
	after := rapid.Int64Range(0, 50).Draw(t, "ticks")
	timer := rapid.Bool().Draw(t, "timer")
	mk := func(ts *tickState) (context.Context, context.CancelFunc) {
		if timer {
			return context.WithTimeout(context.Background(), time.Duration(after)*time.Microsecond)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stop := ts.count + after
		ts.onTick = func() {
			if ts.count == stop {
				cancel()
			}
		}
		return ctx, cancel
	}
	r.reduceBoth(t, mk, rapid.IntRange(0, 4).Draw(t, "embedded") == 0)
	r.seqTicks.onTick, r.parTicks.onTick = nil, nil
}

// cancelled calls Reduce and Step with a context that is already done:
// both must return its error and change nothing.
func (r *seqRun) cancelled(t *rapid.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	want := context.Canceled
	if rapid.Bool().Draw(t, "deadline") {
		ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		want = context.DeadlineExceeded
	}

	seqBefore, parBefore := r.seq.Stats().Interactions, r.par.Stats().Interactions
	if _, err := r.seq.Reduce(ctx); !errors.Is(err, want) {
		t.Fatalf("Network.Reduce with a done context = %v, want %v", err, want)
	}
	if _, err := r.seq.Step(ctx); !errors.Is(err, want) {
		t.Fatalf("Network.Step with a done context = %v, want %v", err, want)
	}

	if r.closed {
		// Close is for good, so its error wins over the context's.
		want = annette.ErrClosed
	}
	if _, err := r.par.Reduce(ctx); !errors.Is(err, want) {
		t.Fatalf("ParallelNetwork.Reduce with a done context = %v, want %v", err, want)
	}
	if _, err := r.par.Step(ctx); !errors.Is(err, want) {
		t.Fatalf("ParallelNetwork.Step with a done context = %v, want %v", err, want)
	}
	if _, err := r.par.Network.Reduce(ctx); !errors.Is(err, want) {
		t.Fatalf("embedded Network.Reduce with a done context = %v, want %v", err, want)
	}
	if _, err := r.par.Network.Step(ctx); !errors.Is(err, want) {
		t.Fatalf("embedded Network.Step with a done context = %v, want %v", err, want)
	}

	if got := r.seq.Stats().Interactions; got != seqBefore {
		t.Fatalf("a done context let the sequential network carry out %d interactions", got-seqBefore)
	}
	if got := r.par.Stats().Interactions; got != parBefore {
		t.Fatalf("a done context let the parallel network carry out %d interactions", got-parBefore)
	}
}

// fix removes a cause of failure: it adds the Late rules, or defuses the
// fragile Tick agents.
func (r *seqRun) fix(t *rapid.T) {
	if rapid.Bool().Draw(t, "late") {
		if r.lateAdded {
			t.Skip("the Late rules are in")
		}
		for _, rule := range lateRules() {
			// A failing hook makes AddRule return a *HookError for a
			// rule that it added.
			var he *annette.HookError
			if err := r.seq.AddRule(rule); err != nil && !(r.hookFails && errors.As(err, &he)) {
				t.Fatalf("Network.AddRule: %v", err)
			}
			if err := r.par.AddRule(rule); err != nil && !(r.hookFails && errors.As(err, &he)) {
				t.Fatalf("ParallelNetwork.AddRule: %v", err)
			}
		}
		r.lateAdded = true
		return
	}
	r.defused.Store(true)
}

// take takes a name from both networks and builds on what it was
// connected to: Add(name2, k) for a unary number, Id(name2) for an
// integer.
func (r *seqRun) take(t *rapid.T) {
	if len(r.names) == 0 || r.closed {
		t.Skip("nothing to take")
	}
	i := rapid.IntRange(0, len(r.names)-1).Draw(t, "name")
	name := r.names[i]
	k := rapid.IntRange(0, 5).Draw(t, "k")
	next := name + "t"
	for _, n := range []*annette.Network{r.seq, r.par.Network} {
		port, err := n.Take(name)
		if err != nil {
			t.Fatalf("Take(%q): %v", name, err)
		}
		if r.unary[name] {
			add := addAgent(t, n, "Add")
			connect(t, n, add.Main(), port)
			connect(t, n, add.Port("y"), buildUnary(t, n, k))
			connect(t, n, add.Port("ret"), n.Name(next))
		} else {
			id := addAgent(t, n, "Id")
			connect(t, n, id.Main(), port)
			connect(t, n, id.Port("r"), n.Name(next))
		}
		if _, err := n.Text(name); !errors.Is(err, annette.ErrUnknownName) {
			t.Fatalf("Text(%q) after Take = %v, want ErrUnknownName", name, err)
		}
	}
	r.names[i] = next
	r.unary[next] = r.unary[name]
	r.open[next] = r.open[name]
	r.ask[next] = r.ask[name]
}

// reenter reduces both networks while their Tick actions call Close,
// Reduce, Step and AddAgent on the network that runs them, which must
// each return ErrRunning.
func (r *seqRun) reenter(t *rapid.T) {
	if r.closed {
		t.Skip("closed")
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	var seqCalls, parCalls []error
	hook := func(n *annette.Network, events *[]annette.Event, calls *[]error, closer func() error) func() {
		return func() {
			if len(*calls) > 0 {
				return
			}
			before := len(*events)
			*calls = append(*calls, closer())
			for _, ctx := range []context.Context{context.Background(), done} {
				_, rerr := n.Reduce(ctx)
				_, serr := n.Step(ctx)
				*calls = append(*calls, rerr, serr)
			}
			_, aerr := n.AddAgent("Z", nil)
			*calls = append(*calls, aerr)
			if len(*events) != before {
				*calls = append(*calls, fmt.Errorf("%d events during the run", len(*events)-before))
			}
		}
	}
	r.seqTicks.onTick = hook(r.seq, &r.seqEvents, &seqCalls, func() error { return annette.ErrRunning })
	r.parTicks.onTick = hook(r.par.Network, &r.parEvents, &parCalls, r.par.Close)
	r.reduceBoth(t, background, false)
	r.seqTicks.onTick, r.parTicks.onTick = nil, nil
	for _, calls := range [][]error{seqCalls, parCalls} {
		for i, err := range calls {
			if !errors.Is(err, annette.ErrRunning) {
				t.Fatalf("call %d from an action = %v, want ErrRunning", i, err)
			}
		}
	}
}

// close closes the parallel network, or checks a second Close.
func (r *seqRun) close(t *rapid.T) {
	events := len(r.parEvents)
	err := r.par.Close()
	if r.closed {
		if err != nil || len(r.parEvents) != events {
			t.Fatalf("second Close = %v with %d events, want nil and none", err, len(r.parEvents)-events)
		}
		return
	}
	ev := oneEvent(t, "Close", r.parEvents[events:], annette.EventClose).(annette.CloseEvent)
	if err = r.runError(t, "Close", err, ev.Err); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r.closed = true
	if r.pool != nil && !r.poolClosed || r.plugin != nil && !r.hostClosed {
		// A pool given in ParallelConfig, or a plugin's, stays open
		// after Close.
		if err := r.par.Pool().Run(context.Background(), func(context.Context, int) error { return nil }); err != nil {
			t.Fatalf("shared pool after Close: %v", err)
		}
	} else if r.pool == nil && r.plugin == nil && r.par.Pool().Status().Total != 0 {
		got := r.par.Pool().Status().Total
		t.Fatalf("own pool has %d workers after Close", got)
	}
	if err := goleak.Find(r.beforeNets); err != nil {
		t.Fatalf("goroutines outlive Close: %v", err)
	}
}

// read reads back every name and an unknown one from both networks.
func (r *seqRun) read(t *rapid.T) {
	for _, n := range []*annette.Network{r.seq, r.par.Network} {
		for _, name := range r.names {
			if _, err := n.Read(name); err != nil {
				t.Fatalf("Read(%q): %v", name, err)
			}
		}
		if _, err := n.Text("no such name"); !errors.Is(err, annette.ErrUnknownName) {
			t.Fatalf("Text of an unknown name = %v, want ErrUnknownName", err)
		}
	}
}

// snapshot loads a snapshot of each network into a new network with the
// same rules and reduces both copies, which must reach the same normal
// form after the same number of interactions in all.
func (r *seqRun) snapshot(t *rapid.T) {
	if r.askAdded && !(r.seqSettled && r.parSettled) {
		// A snapshot leaves out the effects in flight.
		t.Skip("effects may be in flight")
	}
	var copies [2]*annette.Network
	var stats [2]annette.Stats
	var errs [2]error
	for i, n := range []*annette.Network{r.seq, r.par.Network} {
		data, err := n.Snapshot()
		if err != nil {
			t.Fatalf("Snapshot: %v", err)
		}
		c := annette.NewNetwork(annette.Config{Effects: r.effects})
		r.build(c, &tickState{})
		if r.lateAdded {
			for _, rule := range lateRules() {
				if err := c.AddRule(rule); err != nil {
					t.Fatalf("AddRule: %v", err)
				}
			}
		}
		if err := c.LoadSnapshot(data); err != nil {
			t.Fatalf("LoadSnapshot: %v", err)
		}
		_, errs[i] = c.Reduce(context.Background())
		checkRunError(t, "Reduce of a snapshot", errs[i], nil)
		copies[i], stats[i] = c, n.Stats()
		stats[i].Interactions += c.Stats().Interactions
	}
	if errs[0] != nil || errs[1] != nil {
		return
	}
	if !r.cutOff && stats[0].Interactions != stats[1].Interactions {
		t.Fatalf("snapshots reach normal form after %d interactions in all from the sequential network, %d from the parallel one",
			stats[0].Interactions, stats[1].Interactions)
	}
	for _, name := range r.names {
		if r.open[name] {
			continue
		}
		if g, w := mustText(t, copies[1], name), mustText(t, copies[0], name); g != w {
			t.Fatalf("%s = %s from the parallel network's snapshot, %s from the sequential one's", name, g, w)
		}
	}
}

// closePool closes the pool given in ParallelConfig while the network is
// still open. Runs that need the pool then fail with ErrPoolClosed, but
// must leave the network consistent.
func (r *seqRun) closePool(t *rapid.T) {
	if r.pool == nil || r.poolClosed {
		t.Skip("no open pool of the sequence's own")
	}
	if err := r.pool.Close(); err != nil {
		t.Fatalf("pool Close: %v", err)
	}
	r.poolClosed = true
}

// closeHost closes the PluginHost that made the parallel network, which
// closes the network and the plugin's pool.
func (r *seqRun) closeHost(t *rapid.T) {
	if r.host == nil || r.hostClosed {
		t.Skip("no open host")
	}
	events := len(r.parEvents)
	err := r.host.Close()
	if err != nil && !(r.hookFails && errors.Is(err, errHook)) {
		t.Fatalf("PluginHost.Close: %v", err)
	}
	if !r.closed {
		oneEvent(t, "PluginHost.Close", r.parEvents[events:], annette.EventClose)
	} else if len(r.parEvents) != events {
		t.Fatalf("PluginHost.Close reported %d events for a closed network", len(r.parEvents)-events)
	}
	r.closed, r.hostClosed = true, true
	if _, err := r.plugin.NewNetwork(annette.Config{}); !errors.Is(err, annette.ErrPluginClosed) {
		t.Fatalf("NewNetwork after Close = %v, want ErrPluginClosed", err)
	}
	if err := goleak.Find(r.beforePools); err != nil {
		t.Fatalf("goroutines outlive the host's Close: %v", err)
	}
}
