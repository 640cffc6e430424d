package annette

// This file defines ParallelPlugin, which makes parallel networks on one
// shared WorkerPool and publishes their events on a PluginHost.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
)

// ParallelPluginName is the name of every [ParallelPlugin].
const ParallelPluginName = "parallel"

// ErrPluginClosed is returned by the methods of a plugin that make
// something new once the plugin is closed.
var ErrPluginClosed = errors.New("plugin is closed")

// ParallelPluginConfig holds the settings of a [ParallelPlugin]. The zero
// value is usable.
type ParallelPluginConfig struct {
	// Network holds the settings of the networks NewNetwork makes. Its
	// Pool must be nil, because every such network runs on the plugin's
	// pool. Network.Workers is capped at the pool's size, as for any
	// pool given in ParallelConfig.
	Network ParallelConfig
	// Pool holds the settings of the pool that Init creates and that the
	// plugin's networks share.
	Pool PoolConfig
	// Effects holds the settings of the EffectHandler that Init creates.
	// The plugin's networks use it unless their Config sets Effects.
	Effects EffectConfig
	// Analyzer holds the settings of the RuleDependencyAnalyzer that
	// Init creates. The plugin's networks share it, and with it its
	// cache, unless Network.Analyzer is set.
	Analyzer AnalyzerConfig
}

// ParallelPlugin is a [Plugin] that makes [ParallelNetwork] values
// sharing one [WorkerPool], and publishes their events on its host.
// Create one with [NewParallelPlugin] and add it to a host with
// [PluginHost.Use], which creates the pool. A ParallelPlugin belongs to
// one host and is safe for concurrent use.
//
// The networks share the pool's goroutines, so their runs take turns
// instead of competing for the cores: a Reduce waits while another
// network's parallel run holds the pool (see ParallelConfig.Pool).
type ParallelPlugin struct {
	cfg ParallelPluginConfig

	// mu guards the fields below. It is not held while a network closes,
	// because the close reports an event that comes back to forget.
	mu       sync.Mutex
	host     *PluginHost              // the view passed to Init, nil before
	pool     *WorkerPool              // created by Init
	effects  *EffectHandler           // created by Init
	analyzer *RuleDependencyAnalyzer  // created by Init
	nets     map[int]*ParallelNetwork // networks made and not closed, by number
	nextID   int                      // number of networks made so far
	closed   bool                     // Close has begun
}

var _ Plugin = (*ParallelPlugin)(nil)

// NewParallelPlugin returns a plugin that makes parallel networks with
// cfg. It has no pool until a host initialises it.
func NewParallelPlugin(cfg ParallelPluginConfig) *ParallelPlugin {
	return &ParallelPlugin{cfg: cfg}
}

// Name returns ParallelPluginName.
func (p *ParallelPlugin) Name() string { return ParallelPluginName }

// Init creates the shared pool, the effect handler and the analyzer. It
// fails if cfg.Network.Pool is set, a count in cfg.Pool or cfg.Effects is
// negative, or p was already initialised.
func (p *ParallelPlugin) Init(h *PluginHost) error {
	if p.cfg.Network.Pool != nil {
		return errors.New("ParallelPluginConfig.Network.Pool is set; leave it nil, because the plugin's networks run on the pool made from ParallelPluginConfig.Pool")
	}
	if p.cfg.Pool.Workers < 0 || p.cfg.Pool.QueueSize < 0 {
		return fmt.Errorf("ParallelPluginConfig.Pool has Workers %d and QueueSize %d; each must be 0 or more",
			p.cfg.Pool.Workers, p.cfg.Pool.QueueSize)
	}
	if p.cfg.Effects.Workers < 0 || p.cfg.Effects.MaxBatch < 0 || p.cfg.Effects.BatchWait < 0 {
		return fmt.Errorf("ParallelPluginConfig.Effects has Workers %d, MaxBatch %d and BatchWait %v; each must be 0 or more",
			p.cfg.Effects.Workers, p.cfg.Effects.MaxBatch, p.cfg.Effects.BatchWait)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool != nil || p.closed {
		return errors.New("the plugin was already initialised; make a new one with NewParallelPlugin for each host")
	}
	p.host = h
	p.pool = NewWorkerPool(p.cfg.Pool)
	p.effects = NewEffectHandler(p.cfg.Effects)
	p.analyzer = p.cfg.Network.Analyzer
	if p.analyzer == nil {
		p.analyzer = NewRuleDependencyAnalyzer(p.cfg.Analyzer)
	}
	p.nets = map[int]*ParallelNetwork{}
	return nil
}

// Analyzer returns the rule dependency analyzer that the plugin's
// networks share, or nil before Init.
func (p *ParallelPlugin) Analyzer() *RuleDependencyAnalyzer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.analyzer
}

// Effects returns the plugin's effect handler, or nil before Init.
// Register handlers on it before the networks' rules request effects.
func (p *ParallelPlugin) Effects() *EffectHandler {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.effects
}

// Pool returns the shared pool, or nil before Init.
func (p *ParallelPlugin) Pool() *WorkerPool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pool
}

// NewNetwork returns an empty parallel network with cfg and the plugin's
// ParallelConfig, running on the plugin's pool. Its action rules'
// effects go to the plugin's effect handler, unless cfg.Effects is set.
// Its events go to the host's Publish, with Source set to "parallel/N"
// for the Nth network the plugin made, and then to cfg.Events if that is
// set. A listener that
// panics, or a cfg.Events that fails, makes the call that reported the
// event return a *HookError, as Config.Events describes.
//
// Close the network when done with it, or leave it to the plugin's Close.
// NewNetwork fails before Init and, with ErrPluginClosed, once Close has
// begun.
func (p *ParallelPlugin) NewNetwork(cfg Config) (*ParallelNetwork, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("annette: parallel plugin: %w", ErrPluginClosed)
	}
	if p.pool == nil {
		return nil, errors.New("annette: parallel plugin is not initialised; add it to a host with PluginHost.Use first")
	}
	p.nextID++
	id := p.nextID
	source := ParallelPluginName + "/" + strconv.Itoa(id)
	host, own := p.host, cfg.Events
	cfg.Events = func(ev Event) error {
		ev.Source = source
		if ev.Type == EventClose {
			p.forget(id)
		}
		err := host.Publish(ev)
		if own != nil {
			if oerr := protect(func() error { return own(ev) }); oerr != nil {
				err = errors.Join(err, oerr)
			}
		}
		return err
	}
	if cfg.Effects == nil {
		cfg.Effects = p.effects
	}
	pcfg := p.cfg.Network
	pcfg.Pool = p.pool
	pcfg.Analyzer = p.analyzer
	n := NewParallelNetwork(cfg, pcfg)
	p.nets[id] = n
	return n, nil
}

// forget removes the network numbered id, which has closed, from the
// networks that Close closes.
func (p *ParallelPlugin) forget(id int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.nets, id)
}

// Close closes every network the plugin made that is still open, in the
// order they were made, then the effect handler and the pool. It returns
// when every goroutine of the handler and the pool has exited, with the
// errors of those Close calls joined. A second Close returns nil.
//
// Close the plugin only when no network of it is being reduced: a
// ParallelNetwork is not safe for concurrent use, and its Close returns
// ErrRunning during a run.
func (p *ParallelPlugin) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ids := slices.Sorted(maps.Keys(p.nets))
	nets := make([]*ParallelNetwork, len(ids))
	for i, id := range ids {
		nets[i] = p.nets[id]
	}
	pool, effects := p.pool, p.effects
	p.mu.Unlock()

	var errs []error
	for i, n := range nets {
		if err := n.Close(); err != nil {
			errs = append(errs, fmt.Errorf("annette: closing network %s/%d: %w", ParallelPluginName, ids[i], err))
		}
	}
	if effects != nil {
		if err := effects.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if pool != nil {
		if err := pool.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
