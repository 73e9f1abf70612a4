// Package link carries Nostr protocol messages between two nodes, or a node
// and a client, over whatever connects them: a websocket (to a Caravan
// node's relay endpoint or any Nostr relay, directly or through a SOCKS5
// proxy such as Tor), or any byte stream (stdin/stdout through ssh, a
// serial line, a TCP socket).
//
// On a byte stream, messages are newline-delimited JSON: one NIP-01/NIP-77
// message per line. JSON escapes newlines inside strings, so a line is
// always a whole message, and a person can read the traffic.
//
// Sessions and the relay handler only see the Conn interface; no other
// package touches a socket.
package link

import (
	"context"
	"errors"
	"sync/atomic"
)

// Conn carries whole messages both ways. Read and Write may be called
// concurrently with each other, but not with themselves.
type Conn interface {
	// Read returns the next message. A message larger than the
	// connection's limit is skipped and reported as ErrTooBig; the
	// connection stays usable.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one message.
	Write(ctx context.Context, msg []byte) error
	// Close ends the connection, telling the other side why where the
	// transport allows it.
	Close(reason string) error
	// Stats counts the bytes carried so far.
	Stats() Stats
	// String names the other end for logs.
	String() string
}

// Pinger is implemented by connections with a keep-alive of their own.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ErrTooBig reports a message over the size limit, which was skipped.
var ErrTooBig = errors.New("message too big")

// Stats are byte counts of one connection.
type Stats struct {
	In, Out int64
}

type counter struct{ in, out atomic.Int64 }

func (c *counter) Stats() Stats { return Stats{In: c.in.Load(), Out: c.out.Load()} }
