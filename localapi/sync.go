package localapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/coder/websocket"
)

// Sync endpoints, under /api/v1:
//
//	GET  peers                 []mesh.Peer
//	POST peers                 PeerRequest -> mesh.Peer
//	POST peers/remove          PeerRequest
//	POST sync                  SyncRequest -> newline-delimited carry.Progress, the last with phase "done"
//	GET  link                  websocket: a byte-stream peer (what `caravan sync --stdio` pumps)
//	GET  policy                PolicyInfo

// PeerRequest names a peer or relay.
type PeerRequest struct {
	URL   string `json:"url"`
	Relay bool   `json:"relay,omitempty"`
}

// SyncRequest asks for one sync session.
type SyncRequest struct {
	URL   string `json:"url"`
	Relay bool   `json:"relay,omitempty"`
	Proxy string `json:"proxy,omitempty"` // "" the configured one, "direct" none
}

// PolicyInfo is what `caravan policy` shows.
type PolicyInfo struct {
	Config   policy.Config `json:"config"`
	Usage    policy.Usage  `json:"usage"`
	Own      int           `json:"own"`
	Contacts int           `json:"contacts"`
	Network  int           `json:"network"` // contacts' contacts
	Wants    []WantInfo    `json:"wants"`
	// The store: bytes in use and its quota (policy max_store, or the
	// default share of the disk).
	StoreUsed  int64 `json:"store_used"`
	StoreQuota int64 `json:"store_quota"`
	// Evicted: events removed to make room (or expired) since the node
	// started.
	Evicted int64 `json:"evicted"`
}

// WantInfo is one reconciliation filter, in order.
type WantInfo struct {
	Class  string          `json:"class"`
	Filter json.RawMessage `json:"filter"`
	Pull   bool            `json:"pull"`
	Push   bool            `json:"push"`
}

// The mesh. POST sync and GET link are hand-written (Client.Sync,
// Client.Link).
var (
	Peers      = Route[Empty, []mesh.Peer]{"GET", "/api/v1/peers"}
	AddPeer    = Route[PeerRequest, mesh.Peer]{"POST", "/api/v1/peers"}
	RemovePeer = Route[PeerRequest, Empty]{"POST", "/api/v1/peers/remove"}
	Policy     = Route[Empty, PolicyInfo]{"GET", "/api/v1/policy"}
)

func (h *Handler) routesSync() {
	handle(h, Peers, h.peers)
	handle(h, AddPeer, h.addPeer)
	handle(h, RemovePeer, h.removePeer)
	handle(h, Policy, h.policy)
	h.serve("POST /api/v1/sync", h.sync)
	h.serve("GET /api/v1/link", h.link)
}

// meshOf is the node's mesh, or why there is none.
func (h *Handler) meshOf() (*mesh.Service, error) { return h.mesh, h.meshErr }

func (h *Handler) peers(ctx context.Context, _ Empty) ([]mesh.Peer, error) {
	m, err := h.meshOf()
	if err != nil {
		return nil, err
	}
	return m.Peers(), nil
}

func (h *Handler) addPeer(ctx context.Context, req PeerRequest) (mesh.Peer, error) {
	if _, err := node.CheckPeerURL(req.URL); err != nil {
		return mesh.Peer{}, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	m, err := h.meshOf()
	if err != nil {
		return mesh.Peer{}, err
	}
	return m.AddPeer(req.URL, req.Relay)
}

func (h *Handler) removePeer(ctx context.Context, req PeerRequest) (Empty, error) {
	m, err := h.meshOf()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, m.RemovePeer(req.URL)
}

func (h *Handler) policy(ctx context.Context, _ Empty) (PolicyInfo, error) {
	wants := h.n.Wants(ctx)
	ps, err := h.n.PolicyState(ctx)
	if err != nil {
		return PolicyInfo{}, err
	}
	g := ps.Graph
	info := PolicyInfo{Config: ps.Config, Usage: ps.Usage, Own: len(g.Own), Contacts: len(g.Hop1), Network: len(g.Hop2),
		StoreUsed: ps.StoreUsed, StoreQuota: ps.StoreQuota, Evicted: h.n.Counts().Evicted.Load()}
	for _, w := range wants {
		f, _ := w.Filter.MarshalJSON()
		info.Wants = append(info.Wants, WantInfo{Class: w.Class.String(), Filter: f, Pull: w.Pull, Push: w.Push})
	}
	return info, nil
}

// sync runs one session and streams its progress as JSON lines.
func (h *Handler) sync(w http.ResponseWriter, r *http.Request) {
	var req SyncRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, toAPIError(err))
		return
	}
	u, err := node.CheckPeerURL(req.URL)
	if err != nil {
		writeError(w, &Error{Code: CodeInvalid, Msg: err.Error()})
		return
	}
	m, err := h.meshOf()
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	emit := func(p carry.Progress) {
		enc.Encode(p)
		if fl != nil {
			fl.Flush()
		}
	}
	// The final progress comes from Run's callback, with phase "done".
	m.SyncURL(r.Context(), u, mesh.SyncOptions{Relay: req.Relay, Proxy: req.Proxy, Progress: emit})
}

// link serves a byte-stream peer over a websocket from the CLI.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	m, err := h.meshOf()
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	conn := link.WebSocket(ws, 4<<20, "stdio")
	m.SyncStream(r.Context(), conn, mesh.SyncOptions{})
	conn.Close("")
}

// Sync runs one session through the node and calls progress with each
// update; it returns the final one.
func (c *Client) Sync(ctx context.Context, req SyncRequest, progress func(carry.Progress)) (carry.Progress, error) {
	resp, err := c.stream(ctx, "/api/v1/sync", req)
	if err != nil {
		return carry.Progress{}, err
	}
	defer resp.Body.Close()
	var last carry.Progress
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var p carry.Progress
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return last, fmt.Errorf("local API: unreadable progress: %v", err)
		}
		last = p
		if progress != nil {
			progress(p)
		}
	}
	if last.Phase != "done" {
		return last, fmt.Errorf("the node stopped reporting before the sync ended")
	}
	if last.Error != "" {
		return last, fmt.Errorf("%s", last.Error)
	}
	return last, sc.Err()
}

// Link opens a websocket to the node's /api/v1/link: a byte-stream peer
// whose other end the caller provides (stdin and stdout, say).
func (c *Client) Link(ctx context.Context) (link.Conn, error) {
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/api/v1/link"
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPHeader:      http.Header{"Authorization": {"Bearer " + c.token}},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, fmt.Errorf("open a link through the node: %w", err)
	}
	return link.WebSocket(ws, 4<<20, "node"), nil
}
