package annette

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/annette-go/annette/internal/engine"
)

// Errors a run can stop with. Match them with [errors.Is]; the error
// itself is a *[RuleError] or a *[LimitError] that carries the details.
var (
	// ErrNoRule means two agents met and no rule applies to their types.
	ErrNoRule = engine.ErrNoRule
	// ErrDivideByZero means a rule divided by zero or took a modulo by
	// zero.
	ErrDivideByZero = engine.ErrDivideByZero
	// ErrNotInteger means a rule expected an integer on a port and found
	// an agent.
	ErrNotInteger = engine.ErrNotInteger
	// ErrPending means a rule needs an integer that has not arrived. An
	// action rule may return it (or an error wrapping it) to be retried
	// later. A run that cannot make progress without it stops with it.
	ErrPending = engine.ErrPending
	// ErrInteractionLimit means the run reached Config.MaxInteractions.
	ErrInteractionLimit = engine.ErrInteractionLimit
	// ErrAgentLimit means the run exceeded Config.MaxLiveAgents.
	ErrAgentLimit = engine.ErrAgentLimit
	// ErrMemoryLimit means the run's store grew past Config.MaxMemory.
	ErrMemoryLimit = engine.ErrMemoryLimit
	// ErrRandRange means rand was given an argument below 1.
	ErrRandRange = engine.ErrRandRange
	// ErrCopyHeldPorts means a Dup met an agent whose Go value keeps
	// ports of the net, such as a reader of a Merger, and did not copy it.
	ErrCopyHeldPorts = engine.ErrCopyHeldPorts
)

// Errors of building a network.
var (
	// ErrStale means an agent handle was used after a Step or Reduce
	// call, which may have consumed the agent.
	ErrStale = errors.New("agent handle is stale: it was created before the last Step or Reduce")
	// ErrConnected means a port was connected twice.
	ErrConnected = errors.New("port is already connected")
	// ErrRunning means the network was changed while a Step or Reduce
	// ran, for example by an action rule, or that a Step or Reduce was
	// called while another one ran.
	ErrRunning = errors.New("cannot change the network while it is being reduced")
	// ErrClosed means a ParallelNetwork was reduced after its Close.
	ErrClosed = errors.New("parallel network is closed")
)

// RuleError reports an interaction that failed: a missing rule, an error
// or panic in an action rule, or an arithmetic error in a rewrite rule.
// The active pair is left in the network, which is otherwise unchanged by
// the failed interaction.
type RuleError struct {
	Rule  string // name of the rule; empty for ErrNoRule
	Left  string // type of the agent the rule names first, or %foo for the text language's function agent
	Right string // type of the other agent, written the same way
	Err   error  // the cause; a *PanicError if the rule panicked
}

// Error returns the cause and the pair's types, with the rule's name
// when there is one.
func (e *RuleError) Error() string {
	cause := "rule failed"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	if e.Rule == "" {
		return cause + ": " + e.Left + " >< " + e.Right
	}
	return "rule " + e.Rule + " (" + e.Left + " >< " + e.Right + "): " + cause
}

// Unwrap returns the cause.
func (e *RuleError) Unwrap() error { return e.Err }

// LimitError reports that a run stopped at a configured limit, or that
// the store is full. Err is ErrInteractionLimit, ErrAgentLimit or
// ErrMemoryLimit.
type LimitError struct {
	Err   error
	Limit int64
}

// Error returns the cause and the limit, in MiB for the memory limit.
func (e *LimitError) Error() string {
	cause := "limit reached"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	if errors.Is(e.Err, ErrMemoryLimit) {
		return cause + " (limit " + strconv.FormatInt(e.Limit>>20, 10) + " MiB)"
	}
	return cause + " (limit " + strconv.FormatInt(e.Limit, 10) + ")"
}

// Unwrap returns ErrInteractionLimit, ErrAgentLimit or ErrMemoryLimit.
func (e *LimitError) Unwrap() error { return e.Err }

// PanicError is a panic recovered from an action rule or a pool task.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error returns "panic: " and the panic value. It leaves out the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v", e.Value)
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// convertError turns an engine fault into a *RuleError.
func convertError(err error) error {
	// A worker, or an action rule, that filled the arena panicked in it,
	// and a pool or the action's runner recovered the panic. See
	// engine.Worker.Run for the sequential run.
	var p *PanicError
	if errors.As(err, &p) && p.Value == engine.ErrStoreFull {
		return convertError(engine.StoreFullError())
	}
	var f *engine.Fault
	if errors.As(err, &f) {
		return &RuleError{Rule: f.Rule, Left: f.Left, Right: f.Right, Err: f.Err}
	}
	var l *engine.LimitError
	if errors.As(err, &l) {
		return &LimitError{Err: l.Err, Limit: l.Limit}
	}
	return err
}

// catchStoreFull turns the engine's panic on a full arena into the memory
// limit error, for the methods that build a net outside a run. Other
// panics go on.
func catchStoreFull(err *error) {
	if v := recover(); v != nil {
		if v != engine.ErrStoreFull {
			panic(v)
		}
		*err = convertError(engine.StoreFullError())
	}
}
