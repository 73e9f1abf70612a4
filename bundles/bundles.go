// Package bundles carries what a node holds to another node with no
// network between them: on a USB stick, an SD card, any file.
//
// Package bundle is the file format (encrypted, framed, split into parts,
// readable when damaged). This package is the feature built on it, with
// the node's store, keyring and policy: Export chooses what goes into a
// bundle and in which order, and signs the maker's proof (who made it, for
// whom, which of their bundles it has read); Import takes every intact
// event through the same checks and policy as one from a sync, keeps the
// attachments its events reference, remembers what the maker holds, and
// says what a damaged or incomplete bundle lost.
package bundles

import (
	"errors"

	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/node"
)

// Service exports and imports bundles for one node. It keeps no state of
// its own (what was sent and read is in the node's store), registers no
// hooks, and is cheap to make: any number may exist for a node.
type Service struct {
	n *node.Node
	p *nodehost.Parts
}

// New returns the bundles feature of n.
func New(n *node.Node) *Service {
	return &Service{n: n, p: nodehost.Of(n)}
}

// ErrLocked is a bundle no given passphrase or unlocked identity opens.
var ErrLocked = errors.New("cannot open the bundle")
