package node

import (
	"context"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/store"
)

// Status describes a node for `caravan status` and the web UI.
type Status struct {
	Version     string          `json:"version"`
	DataDir     string          `json:"data_dir"`
	Serving     bool            `json:"serving"`
	Relay       string          `json:"relay,omitempty"` // ws:// address of the relay endpoint
	API         string          `json:"api,omitempty"`
	Connections int             `json:"connections"`
	LAN         bool            `json:"lan"` // announcing and looking for nodes on the local network
	Started     time.Time       `json:"started"`
	Store       store.Stats     `json:"store"`
	Identities  []keys.Identity `json:"identities"`
}

// Status gathers the node's state.
func (n *Node) Status(ctx context.Context) (Status, error) {
	st := Status{Version: VersionString(), DataDir: n.Dir, Started: n.started}
	var err error
	if st.Store, err = n.st.Stats(ctx); err != nil {
		return st, err
	}
	if st.Identities, err = n.kr.List(); err != nil {
		return st, err
	}
	n.mu.RLock()
	if s := n.serving; s != nil {
		st.Serving = true
		st.Relay = s.info.Relay
		st.API = s.info.API
		st.Connections = s.relay.Connections()
	}
	n.mu.RUnlock()
	for _, f := range n.hooks.status.All() {
		f(&st)
	}
	return st, nil
}
