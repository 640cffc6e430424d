// Package engine is annette's interaction-net core: the port encoding, the
// paged word store, the type registry, the rule table, compiled rewrite
// templates and the reducer loop that the public packages drive.
//
// # Representation
//
// A net is a set of agents whose auxiliary ports hold 64-bit [Port] words.
// A port word names what is on the other side of a wire:
//
//   - NODE: the principal port of an agent; the word carries the agent's
//     type id and the location of its storage.
//   - VAR: a wire between two auxiliary ports, represented by a one-word
//     cell in the store (the meeting point). Both ends hold the same VAR
//     word. Whichever end is linked first stores its peer in the cell; the
//     second finds it there, frees the cell and links the two peers.
//   - INT: a 61-bit signed integer held in the word itself.
//   - BIG: an integer outside the INT range, boxed in a one-word cell.
//
// Principal ports have no storage: an agent's principal port is wherever
// its NODE word is held. Agents are never modified after creation except
// by their owner, that is, the reducer that holds the active pair they are
// part of (or, before reduction, the builder of the net). This is what
// lets the parallel reducer share the store: the only cells written by two
// goroutines are VAR cells, and those are written with atomic swaps.
package engine

import "fmt"

// Port is one port word. The zero Port is NONE: nothing connected.
type Port uint64

// Port tags, in the low three bits of a word.
const (
	tagNone = 0 // empty cell, unconnected port
	tagVar  = 1 // wire cell location in bits 3..63
	tagNode = 2 // type id in bits 3..26, storage location in bits 27..63
	tagInt  = 3 // signed 61-bit value in bits 3..63
	tagBig  = 4 // location of a one-word box holding an int64
)

const (
	tagMask  = 7
	typeBits = 24
	typeMask = 1<<typeBits - 1
	locShift = 3 + typeBits

	// MaxTypes is the number of type ids a registry can hand out.
	MaxTypes = typeMask
	// MaxLoc is the largest store location a NODE word can address.
	MaxLoc = 1<<(64-locShift) - 1

	minInline = -1 << 60
	maxInline = 1<<60 - 1
)

// None is the empty port word.
const None Port = 0

// NodePort returns the word for the principal port of an agent of type t
// stored at loc (0 for a nullary agent without storage).
func NodePort(t TypeID, loc uint64) Port {
	return Port(loc<<locShift | uint64(t)<<3 | tagNode)
}

// VarPort returns the word for the wire cell at loc.
func VarPort(loc uint64) Port { return Port(loc<<3 | tagVar) }

// inlineInt returns the INT word for v and whether v fits in 61 bits.
func inlineInt(v int64) (Port, bool) {
	if v < minInline || v > maxInline {
		return 0, false
	}
	return Port(uint64(v)<<3 | tagInt), true
}

// IsNode reports whether p is the principal port of an agent.
func (p Port) IsNode() bool { return p&tagMask == tagNode }

// IsVar reports whether p is a wire cell.
func (p Port) IsVar() bool { return p&tagMask == tagVar }

// IsInt reports whether p is an integer, inline or boxed.
func (p Port) IsInt() bool { t := p & tagMask; return t == tagInt || t == tagBig }

// IsPrincipal reports whether p can form an active pair: an agent or an
// integer.
func (p Port) IsPrincipal() bool { t := p & tagMask; return t >= tagNode }

// Type returns the type id of a NODE word, TypeInt for an integer and
// TypeNone otherwise.
func (p Port) Type() TypeID {
	switch p & tagMask {
	case tagNode:
		return TypeID(p >> 3 & typeMask)
	case tagInt, tagBig:
		return TypeInt
	}
	return TypeNone
}

// principalType returns the type id of a principal port (an agent or an
// integer), like Type but without branching on the tag. The reducer loop
// calls it for both ports of every active pair.
func (p Port) principalType() TypeID {
	t := TypeID(p >> 3 & typeMask)
	if p&tagMask != tagNode {
		t = TypeInt
	}
	return t
}

// Loc returns the store location of a NODE, VAR or BIG word.
func (p Port) Loc() uint64 {
	if p&tagMask == tagNode {
		return uint64(p) >> locShift
	}
	return uint64(p) >> 3
}

// nodeLoc returns the location of a NODE word, without the branch of Loc.
func (p Port) nodeLoc() uint64 { return uint64(p) >> locShift }

// varLoc returns the location of a VAR or BIG word.
func (p Port) varLoc() uint64 { return uint64(p) >> 3 }

// String formats p for debugging.
func (p Port) String() string {
	switch p & tagMask {
	case tagNone:
		return "NONE"
	case tagVar:
		return fmt.Sprintf("VAR(%d)", p.Loc())
	case tagNode:
		return fmt.Sprintf("NODE(t%d@%d)", p.Type(), p.Loc())
	case tagInt:
		return fmt.Sprintf("INT(%d)", int64(p)>>3)
	case tagBig:
		return fmt.Sprintf("BIG(@%d)", p.Loc())
	}
	return fmt.Sprintf("BAD(%#x)", uint64(p))
}
