package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/poster"
	"github.com/caravan-mesh/caravan/qr"
)

// seenAs is a listener on loopback that says it listens at addr: a node
// serving on 0.0.0.0, as far as the node can tell, without the test
// opening a port beyond this machine.
type seenAs struct {
	net.Listener
	addr net.Addr
}

func (l seenAs) Addr() net.Addr { return l.addr }

// servePoster serves n with its local API, the relay endpoint's listener
// reporting relayAt (or its own address if nil), until the test ends; it
// returns the API's address and the relay's port.
func servePoster(t *testing.T, n *node.Node, h *Handler, relayAt net.IP) (api string, port int) {
	t.Helper()
	relayLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = relayLn.Addr().(*net.TCPAddr).Port
	var relay net.Listener = relayLn
	if relayAt != nil {
		relay = seenAs{relayLn, &net.TCPAddr{IP: relayAt, Port: port}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan node.Runtime, 1)
	served := make(chan error, 1)
	go func() {
		served <- n.Serve(ctx, node.ServeOptions{Relay: relay, API: apiLn, APIHandler: h,
			Token: "secret-token", NoLAN: true, Ready: func(rt node.Runtime) { ready <- rt }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	select {
	case rt := <-ready:
		return rt.API, port
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}
	return "", 0
}

// getPoster asks for the poster; it returns the answer's status, headers
// and body.
func getPoster(t *testing.T, base, format string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/poster?format="+format, nil)
	req.Header.Set("Authorization", "Bearer secret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func wantCode(t *testing.T, what string, status int, body []byte, code string) {
	t.Helper()
	var e Error
	if err := json.Unmarshal(body, &e); err != nil || e.Code != code || status != codeStatus[code] {
		t.Fatalf("%s: %d %s, want %d with code %s", what, status, body, codeStatus[code], code)
	}
	t.Logf("%s: %d %s", what, status, body)
}

// TestPosterNeedsANetwork: the poster is refused, with a code the web UI
// translates, while phones could not use it.
func TestPosterNeedsANetwork(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h := NewHandler(n, "secret-token")

	// Not serving at all: the handler in this process, as the CLI uses it.
	if _, _, err := PhonePoster(n, "", nil); !errors.Is(err, ErrNotServing) || posterError(err).Code != CodeNotOnNetwork {
		t.Fatalf("a node that does not serve: %v", err)
	}

	api, _ := servePoster(t, n, h, nil)
	cl := NewClient(api, "secret-token")
	defer cl.Close()
	status, _, body := getPoster(t, api, "png")
	wantCode(t, "the phone page off", status, body, CodeNoPhonePage)
	// GET community says the same as data, not as a failure.
	if info, err := Call(context.Background(), cl, Community, Empty{}); err != nil || info.Code != CodeNoPhonePage || info.URL != "" {
		t.Errorf("community with the phone page off: %+v, %v", info, err)
	}

	n.Config.PhonePage = true
	status, _, body = getPoster(t, api, "png")
	wantCode(t, "listening on loopback", status, body, CodeNotOnNetwork)
	if !strings.Contains(string(body), "this machine only") {
		t.Errorf("the message does not say why: %s", body)
	}
	if info, err := Call(context.Background(), cl, Community, Empty{}); err != nil || info.Code != CodeNotOnNetwork || !strings.Contains(info.Error, "this machine only") {
		t.Errorf("community on loopback: %+v, %v", info, err)
	}

	status, _, body = getPoster(t, api, "pdf")
	wantCode(t, "format pdf", status, body, CodeInvalid)
}

// TestPosterOnAllAddresses: a node that listens on every address puts
// the best of the machine's addresses on the poster, with the invitation
// code; none at all is not_on_network.
func TestPosterOnAllAddresses(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Config.PhonePage = true
	code, _, err := n.EnsureInvite()
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(n, "secret-token")
	ifaces := []poster.Interface{
		{Name: "lo", Flags: net.FlagUp | net.FlagLoopback, Addrs: []net.IP{net.ParseIP("127.0.0.1")}},
		{Name: "docker0", Flags: net.FlagUp, Addrs: []net.IP{net.ParseIP("172.17.0.1")}},
		{Name: "wlp2s0", Flags: net.FlagUp, Addrs: []net.IP{net.ParseIP("10.42.0.1")}},
	}
	h.SetInterfaces(func() ([]poster.Interface, error) { return ifaces, nil })
	api, port := servePoster(t, n, h, net.IPv4zero)

	status, header, body := getPoster(t, api, "png")
	if status != 200 || header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d %s %.200s", status, header.Get("Content-Type"), body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	text, err := qr.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := poster.New("10.42.0.1", port, code).URL; text != want {
		t.Errorf("the poster's code says %q, want %q", text, want)
	}
	_, others, err := PhonePoster(n, "", func() ([]poster.Interface, error) { return ifaces, nil })
	if err != nil || len(others) != 1 || others[0] != (CommunityURL{URL: poster.New("172.17.0.1", port, code).URL, Interface: "docker0"}) {
		t.Errorf("other addresses %v, %v", others, err)
	}

	cl := NewClient(api, "secret-token")
	defer cl.Close()
	info, err := Call(context.Background(), cl, Community, Empty{})
	if want := (CommunityInfo{URL: text, Invite: code, Others: others}); err != nil || info.URL != want.URL || info.Invite != want.Invite || len(info.Others) != 1 || info.Others[0] != others[0] || info.Code != "" {
		t.Errorf("community: %+v, %v; want %+v", info, err, want)
	}

	ifaces = ifaces[:1]
	status, _, body = getPoster(t, api, "png")
	wantCode(t, "no network", status, body, CodeNotOnNetwork)
	if info, err := Call(context.Background(), cl, Community, Empty{}); err != nil || info.Code != CodeNotOnNetwork {
		t.Errorf("community with no network: %+v, %v", info, err)
	}
}

// TestPosterAtAGivenAddress: with the address given (caravan serve
// --address), the poster names it even on loopback; the printable page is
// a download that fetches nothing.
func TestPosterAtAGivenAddress(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Config.PhonePage = true
	h := NewHandler(n, "secret-token")
	h.SetPosterAddress("127.0.0.1")
	api, port := servePoster(t, n, h, nil)
	want := poster.New("127.0.0.1", port, "").URL

	status, header, body := getPoster(t, api, "html")
	if status != 200 {
		t.Fatalf("html: %d %s", status, body)
	}
	if ct, cd := header.Get("Content-Type"), header.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/html") || !strings.HasPrefix(cd, "attachment") {
		t.Errorf("html answered as %q, %q: want a download", ct, cd)
	}
	if !strings.Contains(header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("no strict CSP on the page: %q", header.Get("Content-Security-Policy"))
	}
	if !strings.Contains(string(body), want) || strings.Contains(string(body), "#invite=") {
		t.Errorf("the page does not name %s alone", want)
	}

	status, _, body = getPoster(t, api, "png")
	if status != 200 {
		t.Fatalf("png: %d %s", status, body)
	}
	text, err := qr.ReadImage(body)
	if err != nil || text != want {
		t.Errorf("the poster's code says %q (%v), want %q", text, err, want)
	}

	// Without the token, nothing.
	resp, err := http.Get(api + "/api/v1/poster?format=png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: %d", resp.StatusCode)
	}
}
