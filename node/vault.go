package node

import (
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/msg"
)

// messenger is one unlocked identity with its vault open (drafts live in
// the vault).
type messenger struct {
	id    *keys.Signer
	vault *msg.Vault
}

// messenger opens an identity's vault; it fails with keys.ErrLocked when
// the identity's key is not in memory.
func (n *Node) messenger(name string) (*messenger, error) {
	s, err := n.Keys.Signer(name)
	if err != nil {
		return nil, err
	}
	vk, err := n.Keys.VaultKey(s.Name())
	if err != nil {
		return nil, err
	}
	v, err := msg.OpenVault(n.Store, s.PubKey(), vk)
	if err != nil {
		return nil, err
	}
	v.Rand = n.rand
	return &messenger{id: s, vault: v}, nil
}
