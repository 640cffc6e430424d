package engine

import "sync"

// Values holds the Go values carried by agents. An agent of a valued type
// stores a handle in the last word of its cell; handle 0 means nil, and
// handle h refers to slot h-1. Slots live in chunks that never move.
type Values struct {
	mu     sync.Mutex // guards every field
	chunks [][]any
	free   []uint64
	n      uint64 // slots handed out, free ones included
}

const valueChunk = 1 << 12

// Put stores v and returns its handle; nil gets handle 0.
func (vs *Values) Put(v any) uint64 {
	if v == nil {
		return 0
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	var h uint64
	if n := len(vs.free); n > 0 {
		h = vs.free[n-1]
		vs.free = vs.free[:n-1]
	} else {
		if vs.n%valueChunk == 0 {
			vs.chunks = append(vs.chunks, make([]any, valueChunk))
		}
		vs.n++
		h = vs.n
	}
	vs.chunks[(h-1)/valueChunk][(h-1)%valueChunk] = v
	return h
}

// Get returns the value of handle h.
func (vs *Values) Get(h uint64) any {
	if h == 0 {
		return nil
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.chunks[(h-1)/valueChunk][(h-1)%valueChunk]
}

// Drop releases handle h.
func (vs *Values) Drop(h uint64) {
	if h == 0 {
		return
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.chunks[(h-1)/valueChunk][(h-1)%valueChunk] = nil
	vs.free = append(vs.free, h)
}
