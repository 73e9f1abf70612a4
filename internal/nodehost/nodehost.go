// Package nodehost is the door between a node's core and the feature
// packages built on it (private messages, reports, bundles, the mesh).
//
// The core (package node) does not export its store, keyring or policy:
// clients such as the local API, the CLI and the web UI reach them only
// through the core's and the features' methods. A feature needs more than
// a client: it queries the store with its own tables, signs with the
// keyring, reads the policy's graph. It gets them here, with Of.
//
// Which packages may import this one is guarded by internal/deptest:
// the feature packages only, never a client.
package nodehost

import (
	"io"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
)

// Parts are what a node's core shares with its features.
type Parts struct {
	Dir    string
	Store  *store.Store
	Keys   *keys.Keyring
	Policy *policy.Policy
	// Now is the node's clock; Rand its source of randomness (safe for
	// concurrent use); Logf its log.
	Now  func() time.Time
	Rand io.Reader
	Logf func(format string, args ...any)
}

// Of returns the parts of node n (a *node.Node). Package node sets it when
// it is initialised; it panics for anything that is not a node.
var Of func(n any) *Parts
