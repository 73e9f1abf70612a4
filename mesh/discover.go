package mesh

import (
	"context"
	"net"
)

// A Discoverer finds neighbours: other nodes that can be reached directly
// over some link, such as the local network (MDNS). A new kind of link is
// one Discoverer beside the link that dials what it finds (package link).
//
// Discover announces self, if its medium needs that, and looks for
// neighbours until ctx ends, when it returns nil. Each time the set of
// neighbours this node should connect to changes, it sends the whole set
// on found (empty when none is left); of two nodes that find each other,
// only one should connect, so that each pair holds one session. It
// returns an error when it cannot run at all (no network interface, say).
type Discoverer interface {
	Discover(ctx context.Context, self Self, found chan<- []Found) error
}

// Self is what a Discoverer may announce of this node.
type Self struct {
	// ID is the node's random id (node.Node.NodeID), unrelated to any
	// identity.
	ID string
	// Relay is where the relay endpoint listens; neighbours connect to it.
	Relay net.Addr
	// Logf is the node's log.
	Logf func(format string, args ...any)
}

// Found is a neighbour to connect to. The mesh keeps a live session with
// it, reached directly (never through a proxy), and lists it in the peer
// book as "lan" while discovery finds it.
type Found struct {
	URL string // what link.Dial dials: ws://host:port
}

// foundSet is one Discoverer's latest set, for the peer loop.
type foundSet struct {
	from  int // index in Service.discover
	peers []Found
}
