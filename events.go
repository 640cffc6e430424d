package annette

// This file defines events: what a network reports through Config.Events
// and what a PluginHost carries between plugins.

import (
	"errors"
	"slices"
	"time"

	"github.com/annette-go/annette/internal/engine"
)

// Event is a report of something that happened, passed to the
// Config.Events hook of a network and delivered by [PluginHost.Publish]
// to listeners.
type Event struct {
	Type string // the kind of event, such as EventReduce, by which listeners subscribe
	// Source is the publisher: "network" for a network, "parallel/N" for
	// the Nth network of a ParallelPlugin, or a plugin's name.
	Source string
	Data   any       // details, whose Go type depends on Type
	Time   time.Time // when it was published
}

// Types of the events a [Network] or a [ParallelNetwork] reports through
// Config.Events.
const (
	// EventRuleAdded reports a rule added by AddRule, or by ReplaceRule
	// where no rule existed for the pair. Data is a RuleEvent.
	EventRuleAdded = "rule.added"
	// EventRuleReplaced reports a rule that ReplaceRule put in place of
	// another. Data is a RuleEvent.
	EventRuleReplaced = "rule.replaced"
	// EventReduce reports the end of a Reduce call. Data is a ReduceEvent.
	EventReduce = "reduce.done"
	// EventStep reports the end of a Step call. Data is a StepEvent.
	EventStep = "step.done"
	// EventClose reports the Close of a ParallelNetwork. Data is a
	// CloseEvent.
	EventClose = "network.closed"
)

// RuleEvent is the Data of the events EventRuleAdded and
// EventRuleReplaced.
type RuleEvent struct {
	Name  string // the rule's name, or "Left><Right" for a rule without one
	Left  string // the type of one agent of the pair
	Right string // the type of the other, or Wildcard for a wildcard rule
}

// ReduceEvent is the Data of an EventReduce event: what Reduce returned.
type ReduceEvent struct {
	Stats Stats // the run's figures
	// Parallel holds the figures of ParallelNetwork.Reduce, whose Stats
	// field equals Stats above. It is nil for Network.Reduce.
	Parallel *ParallelStats
	Err      error // the run's error, nil if it reached normal form
}

// StepEvent is the Data of an EventStep event: what Step returned.
type StepEvent struct {
	Interactions int   // interactions carried out: 0 or 1 for Network.Step
	Err          error // the step's error
}

// CloseEvent is the Data of an EventClose event.
type CloseEvent struct {
	Err error // the error Close returned, before the hook ran
}

// HookError reports that the Config.Events hook returned an error or
// panicked. The operation that the event describes had completed before
// the hook was called, and its result is kept: a Reduce that returns a
// HookError alone has reached normal form, and an AddRule that returns
// one has added the rule.
type HookError struct {
	Event string // the Type of the event the hook was given
	Err   error  // the hook's error, or a *PanicError if it panicked
}

// Error returns the event's type and the hook's error.
func (e *HookError) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Err == nil {
		return "event hook failed on event " + e.Event
	}
	return "event hook failed on event " + e.Event + ": " + e.Err.Error()
}

// Unwrap returns the hook's error.
func (e *HookError) Unwrap() error { return e.Err }

// report passes an event of type typ with data to the Config.Events hook,
// which must be set. err is the result of the operation the event
// describes. report returns err, joined with a *HookError if the hook
// failed.
func (n *Network) report(typ string, data any, err error) error {
	ev := Event{Type: typ, Source: "network", Data: data, Time: time.Now()}
	herr := protect(func() error { return n.cfg.Events(ev) })
	if herr == nil {
		return err
	}
	he := &HookError{Event: typ, Err: herr}
	if err == nil {
		return he
	}
	return errors.Join(err, he)
}

// reportRule reports the rule r, just added, to Config.Events. replaced
// reports whether r took the place of another rule.
func (n *Network) reportRule(r *engine.Rule, replaced bool) error {
	ev := RuleEvent{Name: r.Name, Left: n.net.Types.Info(r.Left).Name, Right: Wildcard}
	if r.Right != engine.TypeNone {
		ev.Right = n.net.Types.Info(r.Right).Name
	}
	typ := EventRuleAdded
	if replaced {
		typ = EventRuleReplaced
	}
	return n.report(typ, ev, nil)
}

// reportRun reports the end of a Network.Reduce call.
//
// A call rejected with ErrRunning reports nothing, because it comes from
// an action rule inside a run or from a second goroutine while another
// run goes on. The hook must run in neither. The comparison is with the
// error itself: a run that started returns ErrRunning only wrapped in a
// *RuleError.
func (n *Network) reportRun(st Stats, err error) error {
	if n.cfg.Events == nil || err == ErrRunning {
		return err
	}
	return n.report(EventReduce, ReduceEvent{Stats: st, Err: err}, err)
}

// reportStep reports the end of a Step call; see reportRun for ErrRunning.
func (n *Network) reportStep(done int, err error) error {
	if n.cfg.Events == nil || err == ErrRunning {
		return err
	}
	return n.report(EventStep, StepEvent{Interactions: done, Err: err}, err)
}

// reportParallelRun reports the end of a ParallelNetwork.Reduce call; see
// reportRun for ErrRunning.
func (p *ParallelNetwork) reportParallelRun(st ParallelStats, err error) error {
	if p.cfg.Events == nil || err == ErrRunning {
		return err
	}
	// The listener gets its own PerWorker, so that it cannot change the
	// caller's.
	cp := st
	cp.PerWorker = slices.Clone(st.PerWorker)
	return p.report(EventReduce, ReduceEvent{Stats: st.Stats, Parallel: &cp, Err: err}, err)
}
