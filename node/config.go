package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/relay"
)

// Config is the node's configuration, read from config.json in the data
// directory. The file is optional and every field may be left out; the
// zero value means the defaults documented on each field.
type Config struct {
	// Listen is the relay endpoint's address, which Nostr apps and other
	// nodes connect to. If empty, 127.0.0.1:7447 (this machine only).
	Listen string `json:"listen,omitempty"`
	// API is the local API's address, for the CLI and the web UI. It
	// must be a loopback address. If empty, 127.0.0.1:7448.
	API string `json:"api,omitempty"`
	// Name and Description appear in the NIP-11 document.
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Events bounds what events are accepted (size, future timestamps).
	Events event.Limits `json:"events,omitempty"`
	// Relay bounds what one client of the relay endpoint may do.
	Relay relay.Limits `json:"relay,omitempty"`
	// Policy says what this node carries for others.
	Policy policy.Config `json:"policy,omitempty"`
	// Proxy is a SOCKS5 proxy for every outbound link except LAN peers,
	// as socks5://host:port (Tor: socks5://127.0.0.1:9050).
	Proxy string `json:"proxy,omitempty"`
	// LAN turns discovery of nodes on the local network (mDNS) on or off.
	// If unset, it is on when the relay endpoint listens beyond this
	// machine (there is no point announcing an address nobody can reach).
	LAN *bool `json:"lan,omitempty"`
	// MediaURL is the public address where this node's blobs can be
	// fetched (its Blossom endpoint as the world reaches it, such as
	// https://media.example.org). Attachment URLs in events start with
	// it. If empty, a placeholder host that never resolves is used, and
	// readers find the file by its hash (NIP-B7).
	MediaURL string `json:"media_url,omitempty"`
	// PhonePage serves the phone page (package phone) at "/" on the relay
	// endpoint: a web app for people who join from a phone's browser,
	// with nothing installed. `caravan serve --community` turns it on.
	PhonePage bool `json:"phone_page,omitempty"`
	// Guests bounds what keys that sign in on the relay endpoint (NIP-42),
	// phones on the phone page among them, may write.
	Guests Guests `json:"guests,omitempty"`
}

// Guests bounds what guests write: keys that sign in on the relay
// endpoint with NIP-42 and are neither this node's identities nor their
// contacts.
type Guests struct {
	// EventsPerDay and BytesPerDay bound what one guest key writes in a
	// day: its own events, the gift wraps it sends, and the blobs it
	// uploads. If zero, 500 events and 32 MiB.
	EventsPerDay int   `json:"events_per_day,omitempty"`
	BytesPerDay  int64 `json:"bytes_per_day,omitempty"`
	// Invite, if set, is the invitation code (printed on the community
	// poster) a new key must present when it signs in before it may
	// write here at all.
	Invite string `json:"invite,omitempty"`
}

// WithDefaults returns g with every zero field set to its default.
func (g Guests) WithDefaults() Guests {
	if g.EventsPerDay == 0 {
		g.EventsPerDay = 500
	}
	if g.BytesPerDay == 0 {
		g.BytesPerDay = 32 << 20
	}
	return g
}

// Defaults for Config.
const (
	DefaultListen = "127.0.0.1:7447"
	DefaultAPI    = "127.0.0.1:7448"
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.API == "" {
		c.API = DefaultAPI
	}
	if c.Name == "" {
		c.Name = "Caravan node"
	}
	if c.Description == "" {
		c.Description = "A Caravan node: it stores and carries signed Nostr events, and passes them on at every encounter."
	}
	c.Events = c.Events.WithDefaults()
	c.Relay = c.Relay.WithDefaults()
	c.Policy = c.Policy.WithDefaults()
	c.Guests = c.Guests.WithDefaults()
	return c
}

// ConfigFile is the name of the configuration file in the data directory.
const ConfigFile = "config.json"

// LoadConfig reads dir/config.json; a missing file is the zero Config.
func LoadConfig(dir string) (Config, error) {
	var c Config
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	return parseConfig(b, path)
}

// parseConfig reads the content of the config file at path.
func parseConfig(b []byte, path string) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: %v (fix or remove the file; every field is optional)", path, err)
	}
	return c, nil
}

// DataDirEnv names the environment variable that overrides the default
// data directory.
const DataDirEnv = "CARAVAN_DATA"

// DefaultDataDir is where a node keeps its data when neither --data nor
// CARAVAN_DATA says otherwise: $XDG_DATA_HOME/caravan or
// ~/.local/share/caravan on Linux and BSDs, ~/Library/Application
// Support/Caravan on macOS, %LocalAppData%\Caravan on Windows.
func DefaultDataDir() (string, error) {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d, nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "Caravan"), nil
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support", "Caravan"), nil
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "caravan"), nil
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", "caravan"), nil
		}
	}
	return "", errors.New("cannot find a home directory for the data; pass --data DIR or set CARAVAN_DATA")
}
