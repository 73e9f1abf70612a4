package node

import (
	"context"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/store"
)

// The node's identities, for clients. The keyring itself stays inside the
// core: secret keys leave it only encrypted (NIP-49), or in plain text when
// the user asks for exactly that with ExportIdentityNSec.

// Identities lists the node's identities.
func (n *Node) Identities() ([]keys.Identity, error) { return n.kr.List() }

// Identity returns the identity called name ("" is the default).
func (n *Node) Identity(name string) (keys.Identity, error) { return n.kr.Get(name) }

// NewIdentity makes an identity with a fresh key, encrypted with
// passphrase, or stored in plain text if noPassphrase is set.
func (n *Node) NewIdentity(name, passphrase string, noPassphrase bool) (keys.Identity, error) {
	id, err := n.kr.New(name, passphrase, noPassphrase)
	return id, n.diskFull(err)
}

// ImportIdentity takes in a secret key (nsec, hex or ncryptsec).
func (n *Node) ImportIdentity(name, secret, passphrase string, noPassphrase bool) (keys.Identity, error) {
	id, err := n.kr.Import(name, secret, passphrase, noPassphrase)
	return id, n.diskFull(err)
}

// SetDefaultIdentity makes name the identity used when none is named.
func (n *Node) SetDefaultIdentity(name string) error { return n.kr.SetDefault(name) }

// ExportIdentity returns the identity's key as NIP-49 ncryptsec text.
func (n *Node) ExportIdentity(name string) (string, error) { return n.kr.Export(name) }

// ExportIdentityNSec returns the identity's secret key in plain text
// (nsec), if passphrase is the identity's.
func (n *Node) ExportIdentityNSec(name, passphrase string) (string, error) {
	return n.kr.ExportNSec(name, passphrase)
}

// ChangePassphrase encrypts the identity's key with a new passphrase (or
// none, if noPassphrase is set).
func (n *Node) ChangePassphrase(name, old, new string, noPassphrase bool) (keys.Identity, error) {
	return n.kr.ChangePassphrase(name, old, new, noPassphrase)
}

// CheckPassphrase reports whether passphrase opens the identity's key,
// without unlocking it: keys.ErrBadPassphrase if not.
func (n *Node) CheckPassphrase(name, passphrase string) error {
	return n.kr.CheckPassphrase(name, passphrase)
}

// Lock forgets every decrypted key; the node goes on carrying events but
// signs nothing until an identity is unlocked again.
func (n *Node) Lock() {
	n.kr.Lock()
	n.KeysChanged()
}

// The store, for clients: reads of what any Nostr client may read from
// the relay endpoint, and nothing of the node's private tables.

// Query returns the raw events that match f, newest first, at most max.
func (n *Node) Query(ctx context.Context, f nostr.Filter, max int) ([]event.Raw, error) {
	return n.st.Query(ctx, f, max)
}

// Event returns the raw JSON of the event with the given id, current or
// an earlier version of an addressable event; store.ErrNotFound if none.
func (n *Node) Event(ctx context.Context, id string) ([]byte, error) {
	return n.st.GetRaw(ctx, id)
}

// BlobInfo describes the blob with the given sha256, if held.
func (n *Node) BlobInfo(ctx context.Context, sum string) (store.BlobMeta, bool, error) {
	return n.st.BlobInfo(ctx, sum)
}

// BlobRange reads size bytes of a held blob from off.
func (n *Node) BlobRange(ctx context.Context, sum string, off, size int64) ([]byte, error) {
	return n.st.BlobRange(ctx, sum, off, size)
}
