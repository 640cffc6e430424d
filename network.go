package annette

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/annette-go/annette/internal/engine"
)

// Config holds the settings of a [Network]. The zero value is usable: no
// limits and a fixed seed for rand.
type Config struct {
	// MaxInteractions stops a run with ErrInteractionLimit once the
	// network has carried out this many interactions in all. Zero means
	// no limit.
	MaxInteractions int64
	// MaxLiveAgents stops a run with ErrAgentLimit as soon as more agents
	// than this are alive. The count is checked after interactions, so a
	// net built above the limit stops after its first interaction, and one
	// with no active pair reaches normal form without the error. A parallel
	// run counts them every 256 interactions per worker and when a worker
	// runs out of pairs, so it may pass the limit by up to that many
	// interactions' worth of agents.
	// Without a limit, it counts them for the peak (Stats.PeakLive) every
	// 4,096 interactions per worker and when a worker runs out of pairs.
	// It does not see agents made and freed between two counts, so a run
	// that is above the limit only between counts reaches normal form
	// without the error that the sequential reducer returns. Zero means
	// no limit.
	MaxLiveAgents int64
	// MaxMemory stops a run with ErrMemoryLimit once the network's store
	// and its stacks of pending active pairs take more than this many
	// bytes. A run also stops before it starts if the rule table, which
	// has a cell for every pair of agent types, would take more (32 GiB
	// when MaxMemory is 0). A stack counts twice its size, because growing it copies it.
	// It is checked every 256 interactions (per worker in a parallel
	// run), so a run may pass it by a few kilobytes. In a parallel run,
	// each worker takes store memory in chunks of 256 KiB. The limit can
	// then be passed by up to a chunk per worker, and a limit below a
	// chunk per worker can stop a run that one worker would finish. It does
	// not count the Go runtime's own memory or garbage not yet collected:
	// a runaway program was measured at about 1.3 times the limit in all,
	// and one that only multiplies active pairs at 1.5 times, since a stack
	// that doubles between two checks briefly needs three times its size.
	// Zero means no limit but the one the nets of a process share. They
	// hold at most 512 GiB together, less where the system refuses that
	// much address space. A run stops with ErrMemoryLimit at 480 GiB
	// whatever the limit. A program built with -race, or for a system
	// without mmap, keeps nets on the Go heap, so that the race detector
	// checks every access to a cell: there they share 256 MiB, and runs
	// stop at 240 MiB. The store never shrinks: cells freed go to free lists. Once
	// a run has stopped on the limit, or a net was built above it, later
	// runs may use the cells freed since. They stop once the store and
	// stacks take an eighth of the limit, plus a chunk per worker, more
	// than the store did then.
	MaxMemory int64
	// Seed seeds the generator behind the rand expression. Sequential
	// runs with the same seed draw the same numbers. A ParallelNetwork
	// gives each worker a generator of its own, seeded from Seed, so
	// with more than one worker the numbers an interaction draws depend
	// on which worker carries it out, and can differ from run to run.
	Seed uint64
	// Effects runs the effects that action rules request with
	// RuleContext.Emit and Request. Nil means none: Emit and Request
	// then return ErrNoEffectHandler. The network does not close it.
	Effects *EffectHandler
	// Events, if not nil, is called with an Event after each rule added
	// or replaced, each Reduce and Step call and the Close of a
	// ParallelNetwork (see EventRuleAdded and the other Event constants).
	// It runs on the goroutine that made the call, once the operation has
	// finished and the network no longer runs, so it may use the network.
	// It is never called during a run: a call rejected with ErrRunning,
	// as from an action rule, reports nothing. A failed AddRule or
	// ReplaceRule reports nothing either. Every other Reduce and Step
	// call reports its result, errors included.
	//
	// The operation's result is kept whatever the hook does. If the hook
	// returns an error or panics, the call returns a *HookError carrying
	// it, joined with the call's own error if there was one. So
	// AddRule can return an error for a rule that it added, and a Reduce
	// that reached normal form can return one too. Use errors.As to tell
	// such an error from a failed operation.
	Events func(Event) error
}

// Type describes an agent type.
type Type struct {
	// Name is the type's name, unique in the network.
	Name string
	// Ports lists the port names; the first is the principal port. Nil
	// or an empty list gives a single principal port called "main".
	Ports []string
	// Valued marks a type whose agents carry a Go value.
	Valued bool
	// ValueType, when set, is the Go type that snapshot loading decodes
	// values into. Without it a loaded value is a json.RawMessage.
	ValueType reflect.Type
}

// Stats reports what a run did. Reduce counts only its own run in
// Interactions, Allocated, RunPeakLive, Elapsed and Effects, and
// Network.Stats gives the totals of Step and Reduce together. Live,
// PeakLive and StoreBytes describe the network itself, so a Reduce
// reports them as Network.Stats does at its end.
type Stats struct {
	Interactions int64 // interactions carried out
	Allocated    int64 // agents allocated
	Live         int64 // agents alive at the end
	// PeakLive is the largest number of agents alive at once since the
	// network was made, as counted (see Config.MaxLiveAgents), not only
	// during the run that reports it.
	PeakLive int64
	// RunPeakLive is the same peak for the run that reports it alone: the
	// largest number of agents alive at once from its start, the net it
	// started from included, to its end. Network.Stats and
	// ParallelNetwork.Stats report no single run and give PeakLive here.
	RunPeakLive int64
	Elapsed     time.Duration // wall time
	StoreBytes  int64         // memory the network's store has allocated, in bytes
	Effects     int64         // effects whose handling the run waited for and took back (see EffectHandler)
}

// String formats the statistics on one line as Name=value pairs, with
// the field names and in field order, for logs and debugging output:
//
//	Interactions=1 Allocated=0 Live=0 PeakLive=1 RunPeakLive=1 Elapsed=2.386µs StoreBytes=262144 Effects=0
func (s Stats) String() string {
	return fmt.Sprintf("Interactions=%d Allocated=%d Live=%d PeakLive=%d RunPeakLive=%d Elapsed=%v StoreBytes=%d Effects=%d",
		s.Interactions, s.Allocated, s.Live, s.PeakLive, s.RunPeakLive, s.Elapsed, s.StoreBytes, s.Effects)
}

// Network is an interaction net with its agent types and rules, reduced
// by one goroutine. Agents are stored in arenas, not as Go objects, so a
// network of tens of millions of agents costs about 16 bytes per binary
// agent plus 8 bytes per wire between two auxiliary ports.
//
// A Network is not safe for concurrent use.
type Network struct {
	cfg Config
	net *engine.Net
	w   *engine.Worker

	names   map[string]*freeName
	byCell  map[uint64]string // a name's own wire cell -> the name, kept with names
	order   []string          // interface names in creation order, "" where a name was dropped
	dropped int               // the "" entries of order
	dirty   bool              // types or rules changed since the table was built
	changes uint64            // changes of types and rules; see ParallelNetwork.prepared
	stats   Stats             // totals over all runs
	labels  map[uint64]string // wire cell → label, see wireLabel
	nlabels int               // labels handed out so far, see wireLabel

	// namesToJoin is set by a run that made interactions, and
	// joinNameWires clears it. The interface names are read only after
	// that, so a net statement costs no walk over all names.
	namesToJoin bool

	// others are the workers of a ParallelNetwork beside w. Their counts
	// of interactions and agents add to w's.
	others  []*engine.Worker
	memBase int64 // store words when memory was last found above the limit (see memoryFloor)
	shut    bool  // the ParallelNetwork around n is closed: runs return ErrClosed

	// keyLocks is set while a ParallelNetwork's workers run Reduce in
	// parallel, and action rules that declare keys then lock them. It is
	// written before the workers start and after they stop, so the
	// workers read it without a lock.
	keyLocks *keyLocks

	// running is set while a Step or Reduce runs. Building the net or
	// changing types and rules then returns ErrRunning, which an action
	// rule that tries it gets. A run claims it with a compare-and-swap,
	// so that a second run started from another goroutine gets
	// ErrRunning too.
	running atomic.Bool
	builder builder

	effects *effectSession // effects in flight, when Config.Effects is set
}

// freeName is a named interface port: a wire cell whose one end is held
// by the interface and whose other end is in the net.
type freeName struct {
	cell      engine.Port
	connected bool
	pos       int // index in Network.order
}

// NewNetwork returns an empty network. It defines the integer type "Int"
// and the data types of the text language: "Nil" and "Cons" (main, head,
// tail) for lists, and "Tuple0", "Tuple2" … "Tuple5" for tuples (ports
// main, e1 … eN).
func NewNetwork(cfg Config) *Network {
	n := &Network{cfg: cfg, net: engine.NewNet(), names: map[string]*freeName{}, byCell: map[uint64]string{}, dirty: true, changes: 1}
	n.w = engine.NewWorker(n.net, cfg.Seed)
	n.builder.n = n
	if cfg.Effects != nil {
		n.effects = newEffectSession(cfg.Effects)
	}
	for _, t := range builtinTypes {
		if err := n.DefineType(t); err != nil {
			panic("annette: " + err.Error())
		}
	}
	return n
}

var builtinTypes = []Type{
	{Name: "Nil"},
	{Name: "Cons", Ports: []string{"main", "head", "tail"}},
	{Name: "Tuple0"},
	{Name: "Tuple2", Ports: []string{"main", "e1", "e2"}},
	{Name: "Tuple3", Ports: []string{"main", "e1", "e2", "e3"}},
	{Name: "Tuple4", Ports: []string{"main", "e1", "e2", "e3", "e4"}},
	{Name: "Tuple5", Ports: []string{"main", "e1", "e2", "e3", "e4", "e5"}},
}

// DefineType adds an agent type. It fails if the name is taken (every
// network has Int, Nil, Cons and the tuples; see NewNetwork), a port
// name repeats or the type has more auxiliary ports than the engine
// supports (16).
func (n *Network) DefineType(t Type) error {
	if n.running.Load() {
		return ErrRunning
	}
	if strings.ContainsAny(t.Name, " \t\n(),~*") {
		return fmt.Errorf("agent type name %q contains a space, a parenthesis, a comma, ~ or *", t.Name)
	}
	if t.ValueType != nil && !t.Valued {
		return fmt.Errorf("agent type %s has a ValueType but is not Valued", t.Name)
	}
	if _, err := n.net.Types.Define(t.Name, t.Ports, t.Valued, t.ValueType); err != nil {
		if t.Name == "Int" || slices.ContainsFunc(builtinTypes, func(b Type) bool { return b.Name == t.Name }) {
			return fmt.Errorf("%w: %s is a built-in type of every network; choose another name", err, t.Name)
		}
		return err
	}
	n.changed()
	return nil
}

// dropTypes removes the types defined since the network had count types,
// for a definition that failed before any agent or rule used them.
func (n *Network) dropTypes(count int) {
	if n.net.Types.Len() > count {
		n.net.Types.Truncate(count)
		n.changed()
	}
}

// TypeOf returns the description of the type called name.
func (n *Network) TypeOf(name string) (Type, bool) {
	id, ok := n.net.Types.Lookup(name)
	if !ok {
		return Type{}, false
	}
	info := n.net.Types.Info(id)
	return Type{Name: info.Name, Ports: append([]string(nil), info.Ports...), Valued: info.Valued, ValueType: info.Value}, true
}

// AddBuiltins defines the built-in agents of the text language on n, with
// their rules: Eraser, Dup, Add, Sub, Mul, Div, Mod, Append, Zip, Map and
// Merger, plus internal helper types whose names start with "_". Their
// ports, principal port first, are: Eraser (main); Dup (main, a, b); Add,
// Sub, Mul, Div and Mod (main, result, operand), so that Add(r, y) ~ x
// connects r to x + y; Append (main, result, ys); Zip (main, result, ys);
// Map (main, result, fn); Merger (main, result). TypeOf gives the same.
// It fails if a type of the same name is already defined.
func (n *Network) AddBuiltins() error {
	if n.running.Load() {
		return ErrRunning
	}
	if _, err := engine.InstallBuiltins(n.net); err != nil {
		return err
	}
	n.changed()
	return nil
}

// Stats returns the totals over every Step and Reduce so far.
func (n *Network) Stats() Stats {
	s := n.stats
	s.Live = n.live()
	s.PeakLive = max(n.w.Peak(), s.Live)
	s.RunPeakLive = s.PeakLive
	s.Allocated = n.allocs()
	s.StoreBytes = n.net.Store.Words() * 8
	return s
}

// sum adds up f over all the network's workers: its own and, for a
// ParallelNetwork, the others.
func (n *Network) sum(f func(*engine.Worker) int64) int64 {
	c := f(n.w)
	for _, w := range n.others {
		c += f(w)
	}
	return c
}

// interactions returns the interactions of all the network's workers.
func (n *Network) interactions() int64 { return n.sum((*engine.Worker).Interactions) }

// live returns the live agents of the network: each worker counts the
// agents it allocated minus those it freed.
func (n *Network) live() int64 { return n.sum((*engine.Worker).Live) }

// wires returns the wire cells in use by the network.
func (n *Network) wires() int64 { return n.sum((*engine.Worker).Wires) }

// allocs returns the agents allocated by all the network's workers.
func (n *Network) allocs() int64 { return n.sum((*engine.Worker).Allocs) }

// Pending returns the number of active pairs not yet reduced.
func (n *Network) Pending() int { return n.w.Pending() }

// prepare makes the network ready to reduce: it checks that every port
// of the agents built since the last run is connected, rebuilds the rule
// table if needed and makes existing agent handles stale.
// changed records a change of types or rules: the next run rebuilds the
// rule table.
func (n *Network) changed() {
	n.dirty = true
	n.changes++
}

// claim marks n as running for a Reduce or Step and prepares it. It
// returns ErrRunning if another run has claimed n. After any error, n is
// left not running.
func (n *Network) claim() error {
	if !n.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	if err := n.prepare(); err != nil {
		n.running.Store(false)
		return err
	}
	return nil
}

// prepare readies n's worker for a run that has claimed n.
func (n *Network) prepare() error {
	if n.shut {
		return ErrClosed
	}
	if err := n.builder.check(); err != nil {
		return err
	}
	if n.dirty {
		if err := n.checkTable(); err != nil {
			return err
		}
		n.w.Prepare()
		n.dirty = false
	}
	n.builder.reset()
	return nil
}

// maxTableBytes bounds the rule table when Config.MaxMemory is not set:
// half the largest store.
const maxTableBytes = 32 << 30

// checkTable returns an error wrapping a *LimitError for ErrMemoryLimit
// if the rule table for n's agent types would take more memory than
// Config.MaxMemory, or than maxTableBytes without it. The table has a
// cell for every pair of types, so tens of thousands of types take
// gigabytes.
func (n *Network) checkTable() error {
	limit := int64(maxTableBytes)
	if n.cfg.MaxMemory > 0 {
		limit = n.cfg.MaxMemory
	}
	types := n.net.Types.Len()
	if b := engine.TableBytes(types); b > limit {
		return fmt.Errorf("annette: the rule table for %d agent types would take %d MiB (use fewer agent types or raise the memory limit): %w",
			types, b>>20, &LimitError{Err: ErrMemoryLimit, Limit: limit})
	}
	return nil
}

// Reduce reduces the network to normal form: it carries out interactions
// until no active pair is left. It stops early with an error when an
// interaction fails (a *RuleError), a limit of the Config is reached (a
// *LimitError) or ctx is done (ctx.Err()); the network is then left in a
// consistent state and Reduce can be called again. The context is checked
// before the first interaction, every 256 interactions and after each call
// of an ActionRule. A call from an action rule returns ErrRunning even when
// ctx is done.
//
// When action rules request effects (RuleContext.Emit and Request),
// Reduce reduces what it can while the Config's EffectHandler runs them.
// Whenever nothing else is left to reduce, it feeds the results that
// have arrived into the net. It returns once the net is in normal form
// and no effect is in flight, or with ctx.Err() when ctx ends first, in
// which case the effects in flight go on for the next Reduce. An effect
// that failed ends the run with an *EffectError at once (several joined
// with errors.Join when results that failed arrive together; see
// EffectError): the wire of its result stays open for good (Read gives a WireTerm, such as <a1>, at
// its end), and the other effects in flight go on, for the next Reduce
// to take their results.
//
// A pair whose interaction failed stays in the net, untouched, so the
// next Reduce tries it first and fails the same way until the cause is
// gone: for ErrNoRule, add the missing rule (AddRule) and call Reduce
// again to go on from where the run stopped.
func (n *Network) Reduce(ctx context.Context) (Stats, error) {
	st, err := n.reduce(ctx)
	return st, n.reportRun(st, err)
}

// reduce is Reduce without the event.
func (n *Network) reduce(ctx context.Context) (Stats, error) {
	if err := n.claim(); err != nil {
		return Stats{}, err
	}
	defer n.running.Store(false)
	start := time.Now()
	c0, a0 := n.interactions(), n.allocs()
	// The worker measures this run's peak, and the network's peak is
	// restored at the end. The totals are kept even if an action ends the
	// goroutine.
	networkPeak := n.w.ResetPeak(n.live())
	defer func() {
		n.w.NotePeak(networkPeak)
		n.stats.Interactions += n.interactions() - c0
		n.stats.Elapsed += time.Since(start)
	}()
	effects, err := n.runWithEffects(ctx, func() error { return n.runOwn(ctx, n.limits()) })
	if err == nil && n.interactions() > c0 {
		n.namesToJoin = true
	}
	s := Stats{
		Effects:      effects,
		Interactions: n.interactions() - c0,
		Allocated:    n.allocs() - a0,
		Live:         n.live(),
		RunPeakLive:  max(n.w.Peak(), n.live()),
		Elapsed:      time.Since(start),
		StoreBytes:   n.net.Store.Words() * 8,
	}
	s.PeakLive = max(s.RunPeakLive, networkPeak)
	return s, n.runError(err)
}

// Step carries out one interaction and reports whether there was one.
// It first feeds the results of handled effects into the net. When no
// active pair is left but effects are in flight, it waits for them.
func (n *Network) Step(ctx context.Context) (bool, error) {
	ok, err := n.step(ctx)
	done := 0
	if ok {
		done = 1
	}
	return ok, n.reportStep(done, err)
}

// step is Step without the event.
func (n *Network) step(ctx context.Context) (bool, error) {
	// The context comes after the claim, as in ParallelNetwork.reduce.
	if err := n.claim(); err != nil {
		return false, err
	}
	defer n.running.Store(false)
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := n.awaitStep(ctx); err != nil {
		return false, err
	}
	// After awaitStep, because the results of effects can bring pairs.
	if n.cfg.MaxInteractions > 0 && n.interactions() >= n.cfg.MaxInteractions && n.w.Pending() > 0 {
		return false, &LimitError{Err: ErrInteractionLimit, Limit: n.cfg.MaxInteractions}
	}
	floor := n.memoryFloor()
	// The net as it starts counts towards the peak, as in Reduce. A net
	// above the live agent limit stops at its next interaction, even if
	// that interaction frees agents.
	n.w.NotePeak(n.live())
	above := n.cfg.MaxLiveAgents > 0 && n.live() > n.cfg.MaxLiveAgents
	start := time.Now()
	n.w.Ctx = ctx
	defer func() { n.w.Ctx = nil }()
	ok, err := n.w.Step()
	for err != nil && n.awaitsEffects(err) {
		// The pairs left wait for integers that effects in flight may
		// bring: wait for one and try again.
		if _, err := n.deliverEffects(ctx, true); err != nil {
			return false, err
		}
		ok, err = n.w.Step()
	}
	n.w.NotePeak(n.live())
	if ok {
		n.stats.Interactions++
		n.stats.Elapsed += time.Since(start)
		if above || n.cfg.MaxLiveAgents > 0 && n.live() > n.cfg.MaxLiveAgents {
			return true, &LimitError{Err: ErrAgentLimit, Limit: n.cfg.MaxLiveAgents}
		}
		if err := n.w.CheckMemory(n.cfg.MaxMemory/8, floor); err != nil {
			return true, n.runError(err)
		}
	}
	return ok, n.runError(err)
}

// runWithEffects calls run, and then, while effects that rules
// requested are in flight, waits for their results, feeds them into the
// net and calls run again. It returns the number of effects taken back.
func (n *Network) runWithEffects(ctx context.Context, run func() error) (int64, error) {
	if n.effects == nil {
		return 0, run()
	}
	// A done context changes nothing, as in a run without effects: the
	// results wait for the next run.
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Results that arrived after an earlier run stopped come first.
	taken, err := n.deliverEffects(ctx, false)
	total := int64(taken)
	for err == nil {
		err = run()
		if err != nil && !n.awaitsEffects(err) || err == nil && n.effects.inFlight() == 0 {
			break
		}
		// Either the net is in normal form but for the results of the
		// effects in flight, or its pairs wait for integers that these
		// results may bring.
		taken, err = n.deliverEffects(ctx, true)
		total += int64(taken)
	}
	return total, err
}

// awaitsEffects reports whether a run that stopped with err, pairs
// waiting for an integer, should wait for effects in flight instead.
func (n *Network) awaitsEffects(err error) bool {
	return n.effects != nil && errors.Is(err, ErrPending) && n.effects.inFlight() > 0
}

// awaitStep readies a step: it feeds the results of handled effects into
// the net, and when no active pair is left but effects are in flight, it
// waits for them until one brings a pair or none is left.
func (n *Network) awaitStep(ctx context.Context) error {
	if n.effects == nil {
		return nil
	}
	if _, err := n.deliverEffects(ctx, false); err != nil {
		return err
	}
	for n.w.Pending() == 0 && n.effects.inFlight() > 0 {
		if _, err := n.deliverEffects(ctx, true); err != nil {
			return err
		}
	}
	return nil
}

// Names returns the interface names in the order they were created.
func (n *Network) Names() []string {
	out := make([]string, 0, len(n.order)-n.dropped)
	for _, name := range n.order {
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}

// errorf builds an error for a network operation.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

var errOtherNetwork = errors.New("port belongs to another network")
