package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
)

// FuzzParseConfig: whatever config.json holds, it is read or refused
// with a message naming the file and what to do; a configuration read
// writes back to JSON that reads as the same configuration.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{}`, ``, `null`, `{"listen": "0.0.0.0:7447", "lan": false}`,
		`{"events": {"max_event_bytes": 262144, "max_future": "15m", "max_tags": 2000}}`,
		`{"relay": {"max_message_bytes": 524288, "write_timeout": "30s", "events_per_second": 0.5}}`,
		`{"policy": {"follow_hops": 1, "wraps": {"events": 10, "bytes": 1000}, "stranger_window": "168h"}}`,
		`{"events": {"max_future": "soon"}}`, `{"unknown": 1}`, `{"name": "café"} trailing`,
		`{"proxy": "socks5://127.0.0.1:9050", "media_url": "https://media.example.org"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseConfig(b, "/data/config.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "/data/config.json: ") || !strings.Contains(err.Error(), "fix or remove the file") {
				t.Fatalf("the error does not say which file and what to do: %v", err)
			}
			return
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("a configuration read does not write back: %v", err)
		}
		c2, err := parseConfig(again, "/data/config.json")
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("read %+v, wrote %s, read back %+v (%v)", c, again, c2, err)
		}
		c.WithDefaults() // must not panic on any values read
	})
}

// FuzzCheckPeerURL: a peer address typed or pasted in is refused with a
// message, or accepted in a normal form that is accepted again as is.
func FuzzCheckPeerURL(f *testing.F) {
	for _, s := range []string{
		"ws://192.168.1.20:7447", "wss://relay.example.org/", " ws://[::1]:7447 ", "ws://abc.onion:80/path",
		"http://example.org", "ws://user:pw@host", "ws://", "ws:///x", "wss://host:99999", "ws://%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := CheckPeerURL(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
			t.Fatalf("%q accepted as %q", s, u)
		}
		if v, err := CheckPeerURL(u); err != nil || v != u {
			t.Fatalf("%q accepted as %q, which reads as %q (%v)", s, u, v, err)
		}
	})
}

// FuzzGuestsFile: whatever guests.txt holds, it is read or refused with
// its name, the line and what to do; the keys read are public keys in
// hex, and admitting them again in a new file reads back the same.
func FuzzGuestsFile(f *testing.F) {
	k := strings.Repeat("ab", 32)
	for _, s := range []string{"", "# comment\n" + k + " 1700000000\n", k + " 1\n" + k + " 2", k + " 1\nnot a key\n", k + " 1\n" + k[:10],
		"\n\n  " + k + "   1700000000  \n", strings.ToUpper(k) + " 1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, GuestsFile), b, 0o600)
		g, err := openGuests(dir)
		if err != nil {
			if !strings.Contains(err.Error(), GuestsFile+" line ") || !strings.Contains(err.Error(), "fix or delete the line") {
				t.Fatalf("the error does not say where and what to do: %v", err)
			}
			return
		}
		again := t.TempDir()
		h, _ := openGuests(again)
		for pk := range g.admitted {
			if !event.IsHexID(pk) {
				t.Fatalf("%q admitted", pk)
			}
			if err := h.admit(pk, time.Unix(1700000000, 0)); err != nil {
				t.Fatal(err)
			}
		}
		back, err := openGuests(again)
		if err != nil || !reflect.DeepEqual(back.admitted, g.admitted) {
			t.Fatalf("admitted again, read back %v (%v), want %v", back.admitted, err, g.admitted)
		}
	})
}
