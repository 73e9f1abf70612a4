package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/poster"
	"github.com/caravan-mesh/caravan/qr"
)

// TestCommunityPosterReads runs `caravan serve --community --invite` and
// reads the QR code of the poster it wrote, and of the one its local API
// draws, back with gozxing: both are the phone page's address with the
// invitation code config.json keeps. Started again, it uses the same code.
func TestCommunityPosterReads(t *testing.T) {
	bin := caravanBinary(t)
	data := t.TempDir()
	serve := func() (*served, string) {
		os.Remove(filepath.Join(data, posterPNG))
		s := startServeCmd(t, data, exec.Command(bin, "serve", "--data", data, "--community", "--invite", "--address", "127.0.0.1",
			"--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--no-passphrase", "--no-lan"))
		want := "http://" + strings.TrimPrefix(s.rt.Relay, "ws://") + "/#invite=" + inviteIn(t, data)
		return s, want
	}
	s, want := serve()
	code := inviteIn(t, data)
	if len(code) != 8 {
		t.Fatalf("config.json holds the code %q", code)
	}
	// The picture appears once serve is ready, after api.json.
	text := readPosterFile(t, data, s)
	if text != want {
		t.Errorf("poster.png says %q, want %q", text, want)
	}
	page, err := os.ReadFile(filepath.Join(data, posterHTML))
	if err != nil || !bytes.Contains(page, []byte(want)) {
		t.Errorf("poster.html does not name %s (%v)", want, err)
	}
	for _, f := range []string{posterPNG, posterHTML} {
		if fi, err := os.Stat(filepath.Join(data, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v: it holds the invitation code, so it must be the owner's alone", f, fi.Mode(), err)
		}
	}

	req, _ := http.NewRequest("GET", s.rt.API+"/api/v1/poster?format=png", nil)
	req.Header.Set("Authorization", "Bearer "+s.rt.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET poster: %d %s", resp.StatusCode, b)
	}
	if text, err := qr.ReadImage(b); err != nil || text != want {
		t.Errorf("the API's poster says %q (%v), want %q", text, err, want)
	}
	s.stop(t)

	s, want = serve()
	if again := inviteIn(t, data); again != code {
		t.Errorf("started again, the code is %q, not %q", again, code)
	}
	if text := readPosterFile(t, data, s); text != want {
		t.Errorf("started again, poster.png says %q, want %q", text, want)
	}
}

// inviteIn is the invitation code in data's config.json.
func inviteIn(t *testing.T, data string) string {
	t.Helper()
	cfg, err := node.LoadConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Guests.Invite
}

// readPosterFile waits for the served node's poster.png and reads its QR
// code.
func readPosterFile(t *testing.T, data string, s *served) string {
	t.Helper()
	path := filepath.Join(data, posterPNG)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			break
		}
		select {
		case <-s.done:
			t.Fatalf("caravan serve exited before writing the poster: %v", s.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("caravan serve wrote no poster")
		}
	}
	text, err := qr.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestCommunityListen(t *testing.T) {
	for _, c := range []struct{ configured, want string }{
		{"", "0.0.0.0:7447"},
		{"127.0.0.1:7447", "0.0.0.0:7447"},
		{"localhost:9000", "0.0.0.0:9000"},
		{"[::1]:7447", "0.0.0.0:7447"},
		{"192.168.1.23:7447", "192.168.1.23:7447"},
		{"0.0.0.0:8000", "0.0.0.0:8000"},
		{":7447", "0.0.0.0:7447"},
		{"nonsense", "0.0.0.0:7447"},
	} {
		if got := communityListen(c.configured); got != c.want {
			t.Errorf("communityListen(%q) = %q, want %q", c.configured, got, c.want)
		}
	}
}

// seenAs is a loopback listener that says it listens at addr: a node on
// 0.0.0.0, as far as it can tell, with no port opened beyond loopback.
type seenAs struct {
	net.Listener
	addr net.Addr
}

func (l seenAs) Addr() net.Addr { return l.addr }

// TestShowCommunity: what serve says about a community node listening on
// every address, with the machine's interfaces as given: the best address,
// the others, and the poster files; or why there is none, and what to do.
func TestShowCommunity(t *testing.T) {
	ip := net.ParseIP
	lo := poster.Interface{Name: "lo", Flags: net.FlagUp | net.FlagLoopback, Addrs: []net.IP{ip("127.0.0.1")}}
	wifi := poster.Interface{Name: "wlp2s0", Flags: net.FlagUp, Addrs: []net.IP{ip("10.42.0.1")}}
	eth := poster.Interface{Name: "enp3s0", Flags: net.FlagUp, Addrs: []net.IP{ip("192.168.1.23")}}
	for _, c := range []struct {
		name  string
		ifs   []poster.Interface
		want  []string
		files bool
	}{
		{"two networks", []poster.Interface{lo, eth, wifi}, []string{
			"Community node: phones on this network join with their browser at\n  http://10.42.0.1:7447/\n",
			"phones there use:\n    http://192.168.1.23:7447/ (enp3s0)\n",
			"choose with --address HOST",
			"poster to print: ",
			"Телефон браузері арқылы қосылыңыз",
		}, true},
		{"no network", []poster.Interface{lo}, []string{
			"Community node: the phone page is on, but this machine has no address on a network that phones could reach.\n",
			"Join a Wi-Fi network, or make this machine a hotspot (on Linux: nmcli device wifi hotspot),\n  then start again; or give the address phones reach it at with --address HOST.\n",
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			cf := &communityFlags{on: true}
			if _, err := prepareCommunity(n, cf); err != nil {
				t.Fatal(err)
			}
			relayLn, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			apiLn, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			err = n.Serve(ctx, node.ServeOptions{
				Relay: seenAs{relayLn, &net.TCPAddr{IP: net.IPv4zero, Port: 7447}}, API: apiLn, APIHandler: http.NotFoundHandler(), Token: "t", NoLAN: true,
				Ready: func(node.Runtime) {
					showCommunity(&out, n, cf, false, func() ([]poster.Interface, error) { return c.ifs, nil })
					cancel()
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", out.String())
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("serve does not say %q", w)
				}
			}
			_, err = os.Stat(filepath.Join(n.Dir, posterPNG))
			if c.files != (err == nil) {
				t.Errorf("poster.png written: %v, want %v", err == nil, c.files)
			}
		})
	}
}

// The phone page is turned on for the run, not in config.json.
func TestCommunityLeavesPhonePageOutOfConfig(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := prepareCommunity(n, &communityFlags{on: true, invite: true}); err != nil {
		t.Fatal(err)
	}
	if !n.Config.PhonePage {
		t.Error("the phone page is off")
	}
	b, err := os.ReadFile(filepath.Join(n.Dir, node.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if _, ok := file["phone_page"]; ok {
		t.Errorf("config.json now says phone_page: %s", b)
	}
}
