package node

import (
	"context"
	"errors"
	"time"
)

// PanicResult says what Panic erased.
type PanicResult struct {
	Identities int   `json:"identities"` // key files destroyed
	Private    int64 `json:"private"`    // vault rows: messages, contacts, groups, drafts
	Millis     int64 `json:"millis"`
}

// Panic erases every identity's secret key and all private data
// (messages, contacts, groups, drafts, settings, all in the vault). What
// the node carries for others stays: it was never readable here, so the
// node goes on carrying it blindly. A new identity can be made afterwards.
func (n *Node) Panic(ctx context.Context) (PanicResult, error) {
	start := time.Now()
	ids, errKeys := n.kr.EraseAll()
	rows, errVault := n.st.EraseVault(ctx)
	for _, f := range n.hooks.panicked.All() {
		f()
	}
	n.graphDirty()
	n.KeysChanged()
	return PanicResult{Identities: ids, Private: rows, Millis: time.Since(start).Milliseconds()}, errors.Join(errKeys, errVault)
}
