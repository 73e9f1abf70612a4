package localapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/poster"
)

// The community node and its poster, under /api/v1:
//
//	GET community                CommunityInfo: where phones join this node, or why they cannot
//	GET poster?format=png|html   the poster of the phone page (package poster): a picture,
//	                             or a printable page as a download (hand-written: bytes out)
//
// A node that does not serve, or whose relay endpoint phones cannot reach,
// answers the poster with not_on_network; one that does not serve the
// phone page, no_phone_page. GET community says the same as data: most
// nodes are not community nodes, which is no failure of the request.

// CommunityInfo says where phones join this node: the poster's address
// and the others this machine has, or, in Code and Error, why phones
// cannot (an error code of the API, not_on_network or no_phone_page,
// with the node's words).
type CommunityInfo struct {
	URL    string         `json:"url,omitempty"`
	Invite string         `json:"invite,omitempty"`
	Others []CommunityURL `json:"others,omitempty"`
	Code   string         `json:"code,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// CommunityURL is another address of this machine where phones on that
// network join.
type CommunityURL struct {
	URL       string `json:"url"`
	Interface string `json:"interface"`
}

// Community is GET community.
var Community = Route[Empty, CommunityInfo]{"GET", "/api/v1/community"}

// posterPlace is where the poster says phones reach this node.
type posterPlace struct {
	mu sync.Mutex
	// host, if set, is the address on the poster (SetPosterAddress).
	host string
	// interfaces lists this machine's network interfaces; if nil,
	// poster.SystemInterfaces.
	interfaces func() ([]poster.Interface, error)
}

// SetPosterAddress makes the poster name host (an IP address or a name:
// poster.CheckHost) as the address phones reach this node at, instead of
// this machine's address on its network ('caravan serve --address').
// The operator then vouches that phones reach the relay endpoint there,
// even if it listens on loopback behind something that forwards to it.
func (h *Handler) SetPosterAddress(host string) {
	h.place.mu.Lock()
	defer h.place.mu.Unlock()
	h.place.host = host
}

// SetInterfaces replaces how the handler lists this machine's network
// interfaces (for tests).
func (h *Handler) SetInterfaces(f func() ([]poster.Interface, error)) {
	h.place.mu.Lock()
	defer h.place.mu.Unlock()
	h.place.interfaces = f
}

func (h *Handler) routesPoster() {
	handle(h, Community, h.community)
	h.serve("GET /api/v1/poster", h.poster)
}

func (h *Handler) community(context.Context, Empty) (CommunityInfo, error) {
	h.place.mu.Lock()
	host, ifaces := h.place.host, h.place.interfaces
	h.place.mu.Unlock()
	p, others, err := PhonePoster(h.n, host, ifaces)
	if err != nil {
		e := posterError(err)
		if e.Code != CodeNotOnNetwork && e.Code != CodeNoPhonePage {
			return CommunityInfo{}, e
		}
		return CommunityInfo{Code: e.Code, Error: e.Msg}, nil
	}
	return CommunityInfo{URL: p.URL, Invite: p.Invite, Others: others}, nil
}

func (h *Handler) poster(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "png" && format != "html" {
		writeError(w, &Error{Code: CodeInvalid, Msg: "format must be png or html"})
		return
	}
	h.place.mu.Lock()
	host, ifaces := h.place.host, h.place.interfaces
	h.place.mu.Unlock()
	p, _, err := PhonePoster(h.n, host, ifaces)
	if err != nil {
		writeError(w, posterError(err))
		return
	}
	switch format {
	case "png":
		b, err := p.PNG()
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(b)
	case "html":
		b, err := p.HTML()
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		// A file to save and print, never a page in the UI's origin.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="caravan-poster.html"`)
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; font-src data:; sandbox")
		w.Write(b)
	}
}

// Why PhonePoster has no poster, besides poster.ErrLoopback and
// poster.ErrNoNetwork.
var (
	ErrNotServing  = errors.New("this node is not serving, so phones cannot reach it")
	ErrNoPhonePage = errors.New("this node does not serve the phone page")
)

// PhonePoster is the poster of the phone page n serves while it serves:
// at host, if it is not "", else at the best of this machine's addresses
// on its networks (poster.Addresses over interfaces, or the system's if
// nil), the phone page's address at the others listed in others. It asks for n's invitation code, if
// any. Its errors wrap ErrNotServing, ErrNoPhonePage, poster.ErrLoopback
// or poster.ErrNoNetwork; the API answers not_on_network or
// no_phone_page (posterError).
func PhonePoster(n *node.Node, host string, interfaces func() ([]poster.Interface, error)) (p poster.Poster, others []CommunityURL, err error) {
	sv, ok := n.Serving()
	if !ok {
		return p, nil, ErrNotServing
	}
	if !n.Config.PhonePage {
		return p, nil, ErrNoPhonePage
	}
	addr, _ := sv.RelayAddr.(*net.TCPAddr)
	if addr == nil {
		return p, nil, fmt.Errorf("the relay endpoint listens on %s: %w", sv.RelayAddr, poster.ErrNoNetwork)
	}
	invite := n.Config.Guests.Invite
	if host != "" {
		return poster.New(host, addr.Port, invite), nil, nil
	}
	if interfaces == nil {
		interfaces = poster.SystemInterfaces
	}
	ifs, err := interfaces()
	if err != nil {
		return p, nil, fmt.Errorf("list the network interfaces: %w", err)
	}
	addrs, err := poster.Addresses(addr.IP, ifs)
	if errors.Is(err, poster.ErrLoopback) {
		return p, nil, fmt.Errorf("%w (%s), so phones cannot reach it", err, addr)
	}
	if err != nil {
		return p, nil, err
	}
	for _, o := range addrs[1:] {
		others = append(others, CommunityURL{URL: poster.New(o.Host, addr.Port, invite).URL, Interface: o.Interface})
	}
	return poster.New(addrs[0].Host, addr.Port, invite), others, nil
}

// posterError gives PhonePoster's errors their codes, with advice that
// names no command.
func posterError(err error) *Error {
	switch {
	case errors.Is(err, ErrNotServing):
		return &Error{Code: CodeNotOnNetwork, Msg: err.Error()}
	case errors.Is(err, ErrNoPhonePage):
		return &Error{Code: CodeNoPhonePage, Msg: err.Error(), Hint: "a community node serves it (phone_page in config.json)"}
	case errors.Is(err, poster.ErrLoopback):
		return &Error{Code: CodeNotOnNetwork, Msg: err.Error(), Hint: "listen on 0.0.0.0:7447, or on this machine's address on its network"}
	case errors.Is(err, poster.ErrNoNetwork):
		return &Error{Code: CodeNotOnNetwork, Msg: err.Error(), Hint: "join a Wi-Fi network, or make this machine a hotspot, then try again"}
	}
	return toAPIError(err)
}
