package node

import (
	"context"
	"strings"
	"testing"
)

func TestProxySetting(t *testing.T) {
	ctx := context.Background()
	n := openTest(t, Config{})
	cases := []struct {
		proxy string
		ok    bool
	}{
		{"socks5://127.0.0.1:9050", true},
		{"socks5h://tor.local:9050", true},
		{"", true},
		{"http://127.0.0.1:8080", false},
		{"socks5://127.0.0.1", false},
		{"127.0.0.1:9050", false},
		{"socks5://:9050", false},
	}
	for _, c := range cases {
		p := c.proxy
		_, err := n.ChangeNodeSettings(ctx, NodeSettingsChange{Proxy: &p})
		if (err == nil) != c.ok {
			t.Errorf("proxy %q: err %v, want ok %v", c.proxy, err, c.ok)
		}
	}
	p := "socks5://127.0.0.1:9050"
	s, err := n.ChangeNodeSettings(ctx, NodeSettingsChange{Proxy: &p})
	if err != nil || s.Proxy != p || n.Config.Proxy != p {
		t.Fatalf("settings %+v, config %q, err %v", s, n.Config.Proxy, err)
	}
	bad := "http://x:1"
	if _, err := n.ChangeNodeSettings(ctx, NodeSettingsChange{Proxy: &bad}); err == nil || !strings.Contains(err.Error(), "socks5://host:port") {
		t.Fatalf("bad proxy: %v", err)
	}
	if n.NodeSettings().Proxy != p {
		t.Fatalf("a refused change replaced the proxy")
	}
	file, err := LoadConfig(n.Dir)
	if err != nil || file.Proxy != p {
		t.Fatalf("config.json proxy %q, err %v", file.Proxy, err)
	}
	// Other changes leave the proxy alone.
	on := false
	if s, _ := n.ChangeNodeSettings(ctx, NodeSettingsChange{LAN: &on}); s.Proxy != p {
		t.Fatalf("proxy %q after a LAN change", s.Proxy)
	}
}
