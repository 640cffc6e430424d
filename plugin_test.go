package annette_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

// testPlugin is a plugin whose methods record their calls in a shared
// log and fail as its fields set.
type testPlugin struct {
	name     string
	requires []string
	log      *[]string
	init     func(h *annette.PluginHost) error
	closeErr error
	panicEnd any
}

func (p *testPlugin) Name() string       { return p.name }
func (p *testPlugin) Requires() []string { return p.requires }

func (p *testPlugin) Init(h *annette.PluginHost) error {
	*p.log = append(*p.log, "init "+p.name)
	if p.init != nil {
		return p.init(h)
	}
	return nil
}

func (p *testPlugin) Close() error {
	*p.log = append(*p.log, "close "+p.name)
	if p.panicEnd != nil {
		panic(p.panicEnd)
	}
	return p.closeErr
}

func TestPluginHostOrder(t *testing.T) {
	var log []string
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	must(t, h.Use(&testPlugin{name: "a", log: &log}))
	must(t, h.Use(&testPlugin{name: "b", requires: []string{"a"}, log: &log}))
	must(t, h.Use(&testPlugin{name: "c", requires: []string{"a", "b"}, log: &log}))

	if got, want := h.Plugins(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("Plugins() = %v, want %v", got, want)
	}
	if p, ok := h.Plugin("b"); !ok || p.Name() != "b" {
		t.Errorf("Plugin(b) = %v, %v; want plugin b", p, ok)
	}
	if _, ok := h.Plugin("d"); ok {
		t.Error("Plugin(d) found a plugin that was never added")
	}

	must(t, h.Close())
	want := []string{"init a", "init b", "init c", "close c", "close b", "close a"}
	if !slices.Equal(log, want) {
		t.Errorf("calls = %v, want %v", log, want)
	}
	if got := h.Plugins(); len(got) != 0 {
		t.Errorf("Plugins() after Close = %v, want none", got)
	}
}

// TestPluginHostNestedUse checks a plugin whose Init adds another: the
// inner one is initialised first, so it is closed last.
func TestPluginHostNestedUse(t *testing.T) {
	var log []string
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	inner := &testPlugin{name: "inner", log: &log}
	outer := &testPlugin{name: "outer", log: &log, init: func(h *annette.PluginHost) error { return h.Use(inner) }}
	must(t, h.Use(outer))
	if got, want := h.Plugins(), []string{"inner", "outer"}; !slices.Equal(got, want) {
		t.Errorf("Plugins() = %v, want %v", got, want)
	}
	must(t, h.Close())
	want := []string{"init outer", "init inner", "close outer", "close inner"}
	if !slices.Equal(log, want) {
		t.Errorf("calls = %v, want %v", log, want)
	}
}

func TestPluginHostUseErrors(t *testing.T) {
	var log []string
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	defer h.Close()
	must(t, h.Use(&testPlugin{name: "a", log: &log}))

	cases := []struct {
		name   string
		plugin annette.Plugin
		want   string
	}{
		{"nil", nil, "nil plugin"},
		{"empty name", &testPlugin{log: &log}, "empty name"},
		{"duplicate", &testPlugin{name: "a", log: &log}, "already in the host"},
		{"missing dependency", &testPlugin{name: "b", requires: []string{"a", "x"}, log: &log}, `requires plugin "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log = nil
			err := h.Use(c.plugin)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Use: error %v, want one containing %q", err, c.want)
			}
			if len(log) != 0 {
				t.Errorf("Use called %v on a rejected plugin", log)
			}
			if got := h.Plugins(); !slices.Equal(got, []string{"a"}) {
				t.Errorf("Plugins() = %v, want [a]", got)
			}
		})
	}
}

func TestPluginHostInitFails(t *testing.T) {
	cause := errors.New("no licence")
	for _, c := range []struct {
		name string
		fail func() error
	}{
		{"error", func() error { return cause }},
		{"panic", func() error { panic(cause) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log []string
			h := annette.NewPluginHost(annette.PluginHostConfig{})
			p := &testPlugin{name: "p", log: &log, init: func(h *annette.PluginHost) error {
				// The listener must go with the failed plugin.
				h.Subscribe("*", func(annette.Event) { t.Error("listener of a failed plugin called") })
				return c.fail()
			}}

			err := h.Use(p)
			var pe *annette.PluginError
			if !errors.As(err, &pe) {
				t.Fatalf("Use: error %v, want a *PluginError", err)
			}
			if pe.Plugin != "p" || pe.Op != "init" {
				t.Errorf("PluginError names plugin %q, op %q; want p, init", pe.Plugin, pe.Op)
			}
			if !errors.Is(err, cause) {
				t.Errorf("Use: error %v does not wrap the cause", err)
			}
			var panicErr *annette.PanicError
			if got := errors.As(err, &panicErr); got != (c.name == "panic") {
				t.Errorf("error %v: wraps a *PanicError = %v, want %v", err, got, c.name == "panic")
			}
			if got := h.Plugins(); len(got) != 0 {
				t.Errorf("Plugins() = %v after a failed Init, want none", got)
			}
			must(t, h.Publish(annette.Event{Type: "x"}))

			// The name is free again, and the failed plugin is not closed.
			must(t, h.Use(&testPlugin{name: "p", log: &log}))
			must(t, h.Close())
			want := []string{"init p", "init p", "close p"}
			if !slices.Equal(log, want) {
				t.Errorf("calls = %v, want %v", log, want)
			}
		})
	}
}

// TestPluginHostNamePanics checks that a panic in Name or Requires is
// contained.
func TestPluginHostNamePanics(t *testing.T) {
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	defer h.Close()
	for _, p := range []annette.Plugin{panicName{}, panicRequires{}} {
		err := h.Use(p)
		var pe *annette.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("Use(%T): error %v, want a *PanicError", p, err)
		}
		if want := fmt.Sprintf("%T", p); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name the plugin's type %s", err, want)
		}
	}
	if got := h.Plugins(); len(got) != 0 {
		t.Errorf("Plugins() = %v, want none", got)
	}
}

type panicName struct{}

func (panicName) Name() string                   { panic("no name") }
func (panicName) Init(*annette.PluginHost) error { return nil }
func (panicName) Close() error                   { return nil }

type panicRequires struct{}

func (panicRequires) Name() string                   { return "r" }
func (panicRequires) Requires() []string             { panic("no list") }
func (panicRequires) Init(*annette.PluginHost) error { return nil }
func (panicRequires) Close() error                   { return nil }

func TestPluginHostCloseErrors(t *testing.T) {
	var log []string
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	errB := errors.New("b failed")
	must(t, h.Use(&testPlugin{name: "a", log: &log}))
	must(t, h.Use(&testPlugin{name: "b", log: &log, closeErr: errB}))
	must(t, h.Use(&testPlugin{name: "c", log: &log, panicEnd: "c broke"}))
	must(t, h.Use(&testPlugin{name: "d", log: &log}))

	err := h.Close()
	want := []string{"init a", "init b", "init c", "init d", "close d", "close c", "close b", "close a"}
	if !slices.Equal(log, want) {
		t.Errorf("calls = %v, want %v", log, want)
	}
	if !errors.Is(err, errB) {
		t.Errorf("Close: error %v does not wrap b's error", err)
	}
	var panicErr *annette.PanicError
	if !errors.As(err, &panicErr) || panicErr.Value != "c broke" {
		t.Errorf("Close: error %v, want c's panic", err)
	}
	for _, name := range []string{"b", "c"} {
		if !strings.Contains(err.Error(), "plugin "+name+": close") {
			t.Errorf("Close: error %q does not name plugin %s", err, name)
		}
	}

	// Idempotent, and closed for good.
	log = nil
	must(t, h.Close())
	if len(log) != 0 {
		t.Errorf("second Close called %v", log)
	}
	if err := h.Use(&testPlugin{name: "e", log: &log}); !errors.Is(err, annette.ErrHostClosed) {
		t.Errorf("Use after Close: error %v, want ErrHostClosed", err)
	}
	if len(log) != 0 {
		t.Errorf("Use after Close called %v", log)
	}
	cancel := h.Subscribe("*", func(annette.Event) { t.Error("listener subscribed after Close was called") })
	cancel()
	must(t, h.Publish(annette.Event{Type: "x"}))
}

// TestPluginHostCloseDuringInit checks a plugin whose Init closes the
// host: Use closes the plugin itself and reports ErrHostClosed.
func TestPluginHostCloseDuringInit(t *testing.T) {
	var log []string
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	must(t, h.Use(&testPlugin{name: "a", log: &log}))
	err := h.Use(&testPlugin{name: "b", log: &log, init: func(h *annette.PluginHost) error {
		return h.Close()
	}})
	if !errors.Is(err, annette.ErrHostClosed) {
		t.Errorf("Use: error %v, want ErrHostClosed", err)
	}
	want := []string{"init a", "init b", "close a", "close b"}
	if !slices.Equal(log, want) {
		t.Errorf("calls = %v, want %v", log, want)
	}
}

// TestPluginHostListenersDropped checks that a plugin's listeners are
// cancelled once it is closed, while the host's own stay until the host
// closes.
func TestPluginHostListenersDropped(t *testing.T) {
	var log []string
	var got []string
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	h.Subscribe("ping", func(ev annette.Event) { got = append(got, "host") })
	var view *annette.PluginHost
	must(t, h.Use(&testPlugin{name: "p", log: &log, init: func(v *annette.PluginHost) error {
		view = v
		v.Subscribe("ping", func(ev annette.Event) { got = append(got, "p") })
		return nil
	}}))
	must(t, view.Publish(annette.Event{Type: "ping"}))
	must(t, h.Close())
	must(t, h.Publish(annette.Event{Type: "ping"}))
	if want := []string{"host", "p"}; !slices.Equal(got, want) {
		t.Errorf("listeners called = %v, want %v", got, want)
	}
}

func TestEventOrder(t *testing.T) {
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	defer h.Close()
	var got []string
	record := func(tag string) func(annette.Event) {
		return func(ev annette.Event) { got = append(got, tag+":"+ev.Type) }
	}
	h.Subscribe("a", record("a1"))
	h.Subscribe("*", record("all1"))
	h.Subscribe("b", record("b1"))
	h.Subscribe("a", record("a2"))
	h.Subscribe("*", record("all2"))

	must(t, h.Publish(annette.Event{Type: "a"}))
	must(t, h.Publish(annette.Event{Type: "b"}))
	must(t, h.Publish(annette.Event{Type: "c"}))
	must(t, h.Publish(annette.Event{Type: "*"}))
	want := []string{
		"a1:a", "all1:a", "a2:a", "all2:a",
		"all1:b", "b1:b", "all2:b",
		"all1:c", "all2:c",
		"all1:*", "all2:*",
	}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}

func TestEventFields(t *testing.T) {
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	defer h.Close()
	var got []annette.Event
	h.Subscribe("*", func(ev annette.Event) { got = append(got, ev) })
	var view *annette.PluginHost
	var log []string
	must(t, h.Use(&testPlugin{name: "p", log: &log, init: func(v *annette.PluginHost) error { view = v; return nil }}))

	at := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	before := time.Now()
	must(t, h.Publish(annette.Event{Type: "x", Data: 7}))
	must(t, view.Publish(annette.Event{Type: "y"}))
	must(t, view.Publish(annette.Event{Type: "z", Source: "other", Time: at}))
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3", len(got))
	}
	if got[0].Source != "" || got[0].Data != 7 || got[0].Time.Before(before) {
		t.Errorf("host event = %+v, want no Source, Data 7 and the time of Publish", got[0])
	}
	if got[1].Source != "p" {
		t.Errorf("view event Source = %q, want p", got[1].Source)
	}
	if got[2].Source != "other" || !got[2].Time.Equal(at) {
		t.Errorf("view event = %+v, want its own Source and Time kept", got[2])
	}
}

// TestEventCancelInListener cancels and subscribes from inside listeners;
// it would hang if Publish held a lock while calling them.
func TestEventCancelInListener(t *testing.T) {
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	defer h.Close()
	var got []string
	var cancelSelf, cancelLater func()
	cancelSelf = h.Subscribe("e", func(annette.Event) {
		got = append(got, "self")
		cancelSelf()
		cancelSelf() // a second cancel does nothing
	})
	h.Subscribe("e", func(annette.Event) {
		got = append(got, "canceller")
		cancelLater()
		h.Subscribe("e", func(annette.Event) { got = append(got, "new") })
	})
	cancelLater = h.Subscribe("*", func(annette.Event) { got = append(got, "later") })

	must(t, h.Publish(annette.Event{Type: "e"}))
	must(t, h.Publish(annette.Event{Type: "e"}))
	want := []string{"self", "canceller", "canceller", "new"}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}

func TestEventListenerPanic(t *testing.T) {
	var buf bytes.Buffer
	h := annette.NewPluginHost(annette.PluginHostConfig{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	defer h.Close()
	var got []string
	h.Subscribe("e", func(annette.Event) { got = append(got, "first") })
	h.Subscribe("e", func(annette.Event) { panic("listener broke") })
	h.Subscribe("*", func(annette.Event) { got = append(got, "last") })

	err := h.Publish(annette.Event{Type: "e"})
	var pe *annette.PanicError
	if !errors.As(err, &pe) || pe.Value != "listener broke" {
		t.Fatalf("Publish: error %v, want the listener's panic", err)
	}
	if len(pe.Stack) == 0 {
		t.Error("PanicError has no stack")
	}
	if want := []string{"first", "last"}; !slices.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
	if !strings.Contains(buf.String(), "listener broke") {
		t.Errorf("log = %q, want the panic recorded", buf.String())
	}
}

// TestEventConcurrent publishes, subscribes and cancels from several
// goroutines at once, for the race detector.
func TestEventConcurrent(t *testing.T) {
	h := annette.NewPluginHost(annette.PluginHostConfig{})
	defer h.Close()
	var mu sync.Mutex
	count := 0
	h.Subscribe("*", func(annette.Event) {
		mu.Lock()
		count++
		mu.Unlock()
	})
	const goroutines, events = 4, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range events {
				cancel := h.Subscribe(fmt.Sprint(g), func(annette.Event) {})
				if err := h.Publish(annette.Event{Type: fmt.Sprint(i % goroutines)}); err != nil {
					t.Error(err)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	if count != goroutines*events {
		t.Errorf("wildcard listener called %d times, want %d", count, goroutines*events)
	}
}
