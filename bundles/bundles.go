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

// ErrNotABundle is what cannot be opened as a bundle here: it is not a
// bundle, no passphrase given and no unlocked identity opens it, its
// headers are damaged beyond reading, its parts belong to different
// bundles, or it is of a newer format. A bundle looks like random bytes,
// so the first two cannot be told apart. Every *Error is ErrNotABundle.
var ErrNotABundle = errors.New("not a bundle this node can open")

// ErrUnknownPeer means an export was asked for a peer (by address) this
// node has never synced with, so it cannot know what that peer lacks.
var ErrUnknownPeer = errors.New("not a peer this node has met")

// LockedNote is in the message of an ErrNotABundle when identities that
// might have opened the bundle were locked (and so not tried).
const LockedNote = "locked identities were not tried"

// Error says why files given to Import cannot be opened as a bundle, in
// words that name the file. Err is the cause from package bundle: it is
// bundle.ErrNoKey when nothing given opens it, a *bundle.VersionError for
// a newer format.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Is makes every *Error ErrNotABundle.
func (e *Error) Is(target error) bool { return target == ErrNotABundle }
