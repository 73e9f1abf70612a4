package node

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/caravan-mesh/caravan/policy"
)

// NodeSettings are what a person may change from the web UI's settings
// screen: whether the node looks for neighbours on the local network, and
// what it carries for others.
type NodeSettings struct {
	// LAN: announcing this node and looking for others with mDNS. While
	// serving it is the live state; otherwise what the next serve does.
	LAN bool `json:"lan"`
	// LANReachable: the relay endpoint listens beyond this machine, so
	// neighbours could connect. If not, announcing is pointless.
	LANReachable bool          `json:"lan_reachable"`
	Policy       policy.Config `json:"policy"`
}

// NodeSettingsChange changes some settings; nil fields stay as they are.
type NodeSettingsChange struct {
	LAN    *bool          `json:"lan,omitempty"`
	Policy *policy.Config `json:"policy,omitempty"`
}

// NodeSettings returns the current settings.
func (n *Node) NodeSettings() NodeSettings {
	s := NodeSettings{Policy: n.Policy.Config()}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if sv := n.serving; sv != nil {
		s.LAN = sv.lanCancel != nil
		s.LANReachable = sv.reachable
	} else if n.Config.LAN != nil {
		s.LAN = *n.Config.LAN
	}
	return s
}

// ChangeNodeSettings checks, applies and saves a change to config.json. A
// policy change applies at once to what arrives from now on; turning LAN
// discovery on or off takes effect at once while serving.
func (n *Node) ChangeNodeSettings(ctx context.Context, c NodeSettingsChange) (NodeSettings, error) {
	if c.Policy != nil {
		if err := checkPolicy(*c.Policy); err != nil {
			return n.NodeSettings(), err
		}
	}
	n.settingsMu.Lock()
	defer n.settingsMu.Unlock()
	file, err := LoadConfig(n.Dir)
	if err != nil {
		return n.NodeSettings(), err
	}
	if c.LAN != nil {
		on := *c.LAN
		file.LAN = &on
	}
	if c.Policy != nil {
		file.Policy = *c.Policy
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return n.NodeSettings(), err
	}
	if err := atomicfile.WriteFile(filepath.Join(n.Dir, ConfigFile), append(b, '\n'), 0o600); err != nil {
		return n.NodeSettings(), fmt.Errorf("save %s: %w", ConfigFile, err)
	}
	if c.Policy != nil {
		n.Policy.SetConfig(*c.Policy)
		n.graphDirty()
	}
	if c.LAN != nil {
		n.mu.Lock()
		on := *c.LAN
		n.Config.LAN = &on
		n.mu.Unlock()
		n.setLAN(on)
	}
	return n.NodeSettings(), nil
}

func checkPolicy(c policy.Config) error {
	switch {
	case c.FollowHops < 0 || c.FollowHops > 2:
		return fmt.Errorf("follow_hops is %d: it must be 1 (contacts) or 2 (contacts and their contacts)", c.FollowHops)
	case c.Wraps.Events < 0 || c.Wraps.Bytes < 0:
		return fmt.Errorf("the limit for private messages carried for others cannot be negative")
	case c.Strangers.Events < 0 || c.Strangers.Bytes < 0:
		return fmt.Errorf("the limit for strangers' events cannot be negative")
	case c.StrangerWindow < 0:
		return fmt.Errorf("stranger_window cannot be negative")
	case c.MaxBlob < 0 || c.Blobs < 0:
		return fmt.Errorf("attachment limits cannot be negative")
	}
	return nil
}
