package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"

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
	// Proxy: the SOCKS5 proxy for links to peers and relays (not LAN
	// neighbours), socks5://host:port; "" for none.
	Proxy string `json:"proxy"`
}

// NodeSettingsChange changes some settings; nil fields stay as they are.
type NodeSettingsChange struct {
	LAN    *bool          `json:"lan,omitempty"`
	Policy *policy.Config `json:"policy,omitempty"`
	Proxy  *string        `json:"proxy,omitempty"` // "" removes it
}

// NodeSettings returns the current settings.
func (n *Node) NodeSettings() NodeSettings {
	s := NodeSettings{Policy: n.pol.Config()}
	n.mu.RLock()
	s.Proxy = n.Config.Proxy
	if sv := n.serving; sv != nil {
		s.LANReachable = sv.info.Reachable
	} else if n.Config.LAN != nil {
		s.LAN = *n.Config.LAN
	}
	n.mu.RUnlock()
	for _, f := range n.hooks.settings.All() {
		f(&s)
	}
	return s
}

// SettingError is a change ChangeNodeSettings refuses to apply, as
// opposed to one it could not save.
type SettingError struct{ Err error }

func (e *SettingError) Error() string { return e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

// ChangeNodeSettings checks, applies and saves a change to config.json. A
// policy change applies at once to what arrives from now on; turning LAN
// discovery on or off takes effect at once while serving; a proxy applies
// to the next links dialled.
func (n *Node) ChangeNodeSettings(ctx context.Context, c NodeSettingsChange) (NodeSettings, error) {
	if c.Policy != nil {
		if err := checkPolicy(*c.Policy); err != nil {
			return n.NodeSettings(), &SettingError{err}
		}
	}
	if c.Proxy != nil {
		if err := CheckProxy(*c.Proxy); err != nil {
			return n.NodeSettings(), &SettingError{err}
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
	if c.Proxy != nil {
		file.Proxy = *c.Proxy
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return n.NodeSettings(), err
	}
	if err := atomicfile.WriteFile(filepath.Join(n.Dir, ConfigFile), append(b, '\n'), 0o600); err != nil {
		return n.NodeSettings(), fmt.Errorf("save %s: %w", ConfigFile, err)
	}
	if c.Policy != nil {
		n.pol.SetConfig(*c.Policy)
		n.graphDirty()
	}
	if c.LAN != nil {
		n.mu.Lock()
		on := *c.LAN
		n.Config.LAN = &on
		n.mu.Unlock()
	}
	if c.Proxy != nil {
		n.mu.Lock()
		n.Config.Proxy = *c.Proxy
		n.mu.Unlock()
	}
	for _, f := range n.hooks.settingsChanged.All() {
		f(c)
	}
	return n.NodeSettings(), nil
}

// CheckPeerURL says whether u can be dialled: ws:// or wss:// with a host.
// It returns u in a normal form.
func CheckPeerURL(u string) (string, error) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "ws" && p.Scheme != "wss") || p.Host == "" || p.User != nil {
		return "", fmt.Errorf("%q is not a websocket address; write it as ws://host:port or wss://host", u)
	}
	p.Path = strings.TrimRight(p.Path, "/")
	return p.String(), nil
}

// CheckProxy accepts "" (no proxy) or socks5://host:port, the only kind
// of proxy links can use.
func CheckProxy(p string) error {
	if p == "" {
		return nil
	}
	u, err := url.Parse(p)
	bad := fmt.Errorf("proxy %q: write it as socks5://host:port (Tor: socks5://127.0.0.1:9050), or leave it empty for none", p)
	if err != nil || (u.Scheme != "socks5" && u.Scheme != "socks5h") || u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return bad
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" || port == "" {
		return bad
	}
	return nil
}

func checkPolicy(c policy.Config) error {
	switch {
	case c.FollowHops < 0 || c.FollowHops > 2:
		return fmt.Errorf("follow_hops is %d: it must be 1 (contacts) or 2 (contacts and their contacts)", c.FollowHops)
	case c.Wraps.Events < 0 || c.Wraps.Bytes < 0:
		return fmt.Errorf("the limit for private messages carried for others cannot be negative")
	case c.Strangers.Events < 0 || c.Strangers.Bytes < 0:
		return fmt.Errorf("the limit for strangers' events cannot be negative")
	case c.Reports.Events < 0 || c.Reports.Bytes < 0 || c.PerStranger.Events < 0 || c.PerStranger.Bytes < 0:
		return fmt.Errorf("the limits for strangers' reports and for each stranger cannot be negative")
	case c.MinPoW < 0 || c.MinPoW > 256:
		return fmt.Errorf("min_pow is %d: it must be between 0 and 256 bits (NIP-13)", c.MinPoW)
	case c.MaxStore < 0:
		return fmt.Errorf("max_store cannot be negative (0 means half the free disk space)")
	case c.StrangerWindow < 0:
		return fmt.Errorf("stranger_window cannot be negative")
	case c.MaxBlob < 0 || c.Blobs < 0:
		return fmt.Errorf("attachment limits cannot be negative")
	}
	return nil
}
