package annette

// This file defines PluginHost, which initialises plugins in dependency
// order, closes them in reverse and delivers events between them.

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrHostClosed is returned by [PluginHost.Use] once the host's Close has
// begun.
var ErrHostClosed = errors.New("plugin host is closed")

// Plugin is an extension managed by a [PluginHost]: the host initialises
// it once with Init and closes it once with Close. A plugin may offer more
// through optional interfaces, found by type assertion: [Requirer] names
// the plugins it needs.
type Plugin interface {
	// Name returns the plugin's name, unique within a host. The host
	// calls it once, in Use.
	Name() string
	// Init prepares the plugin. The host calls it from Use. h is a view
	// of the host for this plugin: listeners subscribed through it are
	// cancelled if Init fails and after Close, and events published
	// through it without a Source get the plugin's name. Init may call
	// any method of h, Use included. A plugin whose Init fails is not
	// added to the host and is not closed, so Init releases what it
	// acquired before failing.
	Init(h *PluginHost) error
	// Close releases what Init acquired. The host calls it once, from
	// its own Close, after the plugins that require this one are closed.
	Close() error
}

// Requirer is implemented by a plugin that needs other plugins. Use
// rejects the plugin unless every plugin named by Requires is already in
// the host, so that those are initialised before it and closed after it.
type Requirer interface {
	// Requires returns the names of the plugins this one needs.
	Requires() []string
}

// PluginError reports that a plugin's Init or Close failed or panicked.
type PluginError struct {
	Plugin string // the plugin's name
	Op     string // "init" or "close"
	Err    error  // the method's error, or a *PanicError if it panicked
}

// Error returns the plugin's name, the operation and the cause.
func (e *PluginError) Error() string {
	if e == nil {
		return "<nil>"
	}
	cause := "failed"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return "annette: plugin " + e.Plugin + ": " + e.Op + ": " + cause
}

// Unwrap returns the cause.
func (e *PluginError) Unwrap() error { return e.Err }

// PluginHostConfig holds the settings of a [PluginHost]. The zero value
// is usable.
type PluginHostConfig struct {
	// Logger, if not nil, receives an Error record for each listener
	// that panics. Nil means no logging. Publish returns the panic as an
	// error either way.
	Logger *slog.Logger
}

// PluginHost initialises plugins, closes them and delivers events
// between them and the networks they make. Create one with
// [NewPluginHost]. A PluginHost is safe for concurrent use.
//
// Plugins are initialised by Use, one at a time in the order of the Use
// calls, and closed by Close in the reverse order. A plugin can require
// only plugins already in the host ([Requirer]), so every plugin is
// closed before the plugins it requires.
//
// Events are delivered synchronously: Publish calls each listener of the
// event's type, and each listener of every type ("*"), on the
// publisher's goroutine, in the order they subscribed, and returns when
// all have returned. Events published from several goroutines are
// delivered concurrently, so a listener that keeps state must guard it. A
// panic in a listener is recovered: Publish goes on with the next
// listener, logs the panic if PluginHostConfig.Logger is set and returns
// it as an error. No lock is held while a plugin or a listener runs, so
// both may call any method of the host.
type PluginHost struct {
	core  *hostCore
	owner string // the plugin this view was passed to, or "" for the host itself
}

// hostCore is the state shared by a host and the views of it that its
// plugins get.
type hostCore struct {
	logger *slog.Logger

	// mu guards the fields below. It is never held while a plugin's Init
	// or Close runs.
	mu       sync.Mutex
	plugins  map[string]Plugin // initialised and not yet closed
	order    []namedPlugin     // plugins in the order their Init returned
	starting map[string]bool   // names whose Init is running
	closed   bool              // Close has begun

	// subMu guards subs, nextSeq and done. A subs slice is never changed
	// in place: every change stores a new slice. So Publish can copy the
	// slices under subMu and read them after releasing it, while
	// listeners subscribe and cancel.
	subMu   sync.Mutex
	subs    map[string][]*listener // by event type, "*" for every type
	nextSeq uint64
	done    bool // Close has returned: Subscribe adds nothing
}

// namedPlugin is a plugin with its name, read once by Use.
type namedPlugin struct {
	name string
	p    Plugin
}

// listener is one Subscribe call.
type listener struct {
	seq   uint64 // position in the order of Subscribe calls over all types
	typ   string // the event type subscribed to
	owner string // the plugin whose view subscribed, "" for the host
	fn    func(Event)

	// cancelled is set when the listener is cancelled, before it is
	// removed from subs. Publish checks it before each call, so that a
	// listener cancelled by an earlier listener of the same event is not
	// called.
	cancelled atomic.Bool
}

// NewPluginHost returns a host with no plugins.
func NewPluginHost(cfg PluginHostConfig) *PluginHost {
	return &PluginHost{core: &hostCore{
		logger:   cfg.Logger,
		plugins:  map[string]Plugin{},
		starting: map[string]bool{},
		subs:     map[string][]*listener{},
	}}
}

// Use adds p to the host and initialises it by calling its Init. It fails,
// leaving the host as it was, if p is nil, its name is empty or taken, a
// plugin it requires is not in the host, the host is closed, or Init
// returns an error or panics. A failed Init gives a *PluginError. A plugin
// that a failed Init itself added with Use stays in the host.
//
// If Close begins while Init runs, Use closes p itself once Init has
// returned, and returns ErrHostClosed.
func (h *PluginHost) Use(p Plugin) error {
	if p == nil {
		return errors.New("annette: PluginHost.Use called with a nil plugin")
	}
	var name string
	var requires []string
	if err := protect(func() error {
		name = p.Name()
		if r, ok := p.(Requirer); ok {
			requires = r.Requires()
		}
		return nil
	}); err != nil {
		return fmt.Errorf("annette: plugin of type %T: %w", p, err)
	}
	if name == "" {
		return fmt.Errorf("annette: plugin of type %T has an empty name; return a unique name from its Name method", p)
	}

	c := h.core
	if err := c.reserve(name, requires); err != nil {
		return err
	}
	err := protect(func() error { return p.Init(&PluginHost{core: c, owner: name}) })

	c.mu.Lock()
	delete(c.starting, name)
	closed := c.closed
	if err == nil && !closed {
		c.plugins[name] = p
		c.order = append(c.order, namedPlugin{name, p})
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()

	if err != nil {
		c.dropListeners(name)
		return &PluginError{Plugin: name, Op: "init", Err: err}
	}
	// Close began during Init and did not see p, so p is closed here.
	cerr := protect(p.Close)
	c.dropListeners(name)
	if cerr != nil {
		cerr = &PluginError{Plugin: name, Op: "close", Err: cerr}
	}
	return errors.Join(fmt.Errorf("annette: plugin %s: %w: Close began during its Init, so Use closed the plugin", name, ErrHostClosed), cerr)
}

// reserve checks that a plugin called name, which requires the plugins
// named in requires, may be added, and marks its Init as running.
func (c *hostCore) reserve(name string, requires []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("annette: plugin %s: %w", name, ErrHostClosed)
	}
	if c.plugins[name] != nil || c.starting[name] {
		return fmt.Errorf("annette: a plugin named %s is already in the host; give each plugin a unique name", name)
	}
	for _, dep := range requires {
		if c.plugins[dep] == nil {
			return fmt.Errorf("annette: plugin %s requires plugin %q, which is not in the host; add that one first", name, dep)
		}
	}
	c.starting[name] = true
	return nil
}

// Plugin returns the plugin called name, if it is in the host: its Init
// has returned and it is not closed.
func (h *PluginHost) Plugin(name string) (Plugin, bool) {
	c := h.core
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.plugins[name]
	return p, ok
}

// Plugins returns the names of the plugins in the host, in the order they
// were initialised.
func (h *PluginHost) Plugins() []string {
	c := h.core
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.order))
	for _, np := range c.order {
		names = append(names, np.name)
	}
	return names
}

// Close closes every plugin in the reverse order of initialisation, and
// then cancels every listener. It returns the errors and panics of the
// plugins' Close methods as *PluginError values joined with errors.Join.
// A panic does not stop the other plugins from being closed. Each plugin
// stays visible to Plugin until its own Close has returned, so a plugin
// can still reach those it requires while it closes.
//
// A second Close returns nil at once, without waiting for the first to
// finish, so that a plugin or a listener may call Close during Close.
// After Close, Use returns ErrHostClosed, and Subscribe and Publish do
// nothing.
func (h *PluginHost) Close() error {
	c := h.core
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	order := c.order
	c.mu.Unlock()

	var errs []error
	for _, np := range slices.Backward(order) {
		if err := protect(np.p.Close); err != nil {
			errs = append(errs, &PluginError{Plugin: np.name, Op: "close", Err: err})
		}
		c.mu.Lock()
		delete(c.plugins, np.name)
		c.order = c.order[:len(c.order)-1]
		c.mu.Unlock()
		c.dropListeners(np.name)
	}

	c.subMu.Lock()
	for _, ls := range c.subs {
		for _, l := range ls {
			l.cancelled.Store(true)
		}
	}
	clear(c.subs)
	c.done = true
	c.subMu.Unlock()
	return errors.Join(errs...)
}

// Subscribe adds fn as a listener for events of type eventType, or of
// every type if eventType is "*", and returns a function that cancels
// it. Cancel may be called more than once, from any goroutine, including
// from inside a listener. A listener cancelled during a Publish on the
// same goroutine is not called after its cancel returns. A Publish on
// another goroutine may be calling it at that moment, and may still call
// it once after. A listener subscribed during a Publish is called from
// the next Publish on.
//
// Subscribe panics if fn is nil. After Close it adds nothing.
func (h *PluginHost) Subscribe(eventType string, fn func(Event)) (cancel func()) {
	if fn == nil {
		panic("annette: PluginHost.Subscribe called with a nil listener")
	}
	c := h.core
	l := &listener{typ: eventType, owner: h.owner, fn: fn}
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.done {
		return func() {}
	}
	l.seq = c.nextSeq
	c.nextSeq++
	// Clip so that append copies: a Publish may be reading the old slice.
	c.subs[eventType] = append(slices.Clip(c.subs[eventType]), l)
	return func() { c.cancel(l) }
}

// cancel removes l from the listeners.
func (c *hostCore) cancel(l *listener) {
	l.cancelled.Store(true)
	c.subMu.Lock()
	defer c.subMu.Unlock()
	ls := c.subs[l.typ]
	if i := slices.Index(ls, l); i >= 0 {
		c.subs[l.typ] = slices.Delete(slices.Clone(ls), i, i+1)
	}
}

// dropListeners cancels the listeners that the plugin called owner
// subscribed through its view of the host.
func (c *hostCore) dropListeners(owner string) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	for typ, ls := range c.subs {
		if !slices.ContainsFunc(ls, func(l *listener) bool { return l.owner == owner }) {
			continue
		}
		remaining := make([]*listener, 0, len(ls))
		for _, l := range ls {
			if l.owner == owner {
				l.cancelled.Store(true)
			} else {
				remaining = append(remaining, l)
			}
		}
		c.subs[typ] = remaining
	}
}

// Publish delivers ev to the listeners of ev.Type and to those of every
// type, in the order they subscribed, on the caller's goroutine. It
// fills in ev.Time if it is zero, and, when called through a plugin's
// view of the host, ev.Source if it is empty. A panic in a listener is
// recovered, and the other listeners still get the event. Publish returns
// the panics, each as an error that wraps a *PanicError, joined with
// errors.Join, and nil if every listener returned.
func (h *PluginHost) Publish(ev Event) error {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if ev.Source == "" {
		ev.Source = h.owner
	}

	c := h.core
	c.subMu.Lock()
	typed, all := c.subs[ev.Type], c.subs["*"]
	c.subMu.Unlock()
	if ev.Type == "*" {
		typed = nil // the listeners of every type get it once
	}

	// Merge the two lists, each in subscription order.
	var errs []error
	for len(typed) > 0 || len(all) > 0 {
		var l *listener
		if len(all) == 0 || len(typed) > 0 && typed[0].seq < all[0].seq {
			l, typed = typed[0], typed[1:]
		} else {
			l, all = all[0], all[1:]
		}
		if l.cancelled.Load() {
			continue
		}
		if err := c.deliver(l, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deliver calls l with ev, turning a panic into an error.
func (c *hostCore) deliver(l *listener, ev Event) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if c.logger != nil {
			c.logger.Error("annette: event listener panicked", "event", ev.Type, "subscribed", l.typ, "panic", v)
		}
		err = fmt.Errorf("listener for %q panicked on event %s: %w", l.typ, ev.Type, &PanicError{Value: v, Stack: debug.Stack()})
	}()
	l.fn(ev)
	return nil
}

// protect calls f, turning a panic into a *PanicError.
func protect(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return f()
}
