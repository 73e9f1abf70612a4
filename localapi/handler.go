// Package localapi is the node's local API: JSON over HTTP on a loopback
// address, used by the CLI and (later) the web UI. Both are clients of the
// same handler; there is no second code path.
//
// Every request must carry "Authorization: Bearer <token>", where the token
// is in the data directory's api.json (readable only by its owner), so other
// local users cannot use the API. Requests whose Host is not a loopback name
// are refused (DNS rebinding), and so are requests from web pages of other
// origins.
//
// Endpoints, all under /api/v1:
//
//	GET  status                       node.Status
//	GET  identities                   []keys.Identity
//	GET  identity?name=N              IdentityInfo ("" is the default)
//	POST identities                   NewIdentityRequest -> keys.Identity
//	POST identities/import            ImportRequest -> keys.Identity
//	POST identity/default             NameRequest
//	POST identity/unlock              UnlockRequest -> keys.Identity
//	POST identity/export              ExportRequest -> ExportResponse
//	POST identity/passphrase          PassphraseRequest -> keys.Identity
//	POST lock                         forget decrypted keys
//	POST post                         PostRequest -> nostr.Event (signed, stored)
//	POST publish                      nostr.Event -> PublishResponse
//	POST query                        QueryRequest -> QueryResponse
//	GET  event?id=HEX                 nostr.Event
//	GET  contacts?as=N                []node.Contact
//	POST follow                       FollowRequest -> nostr.Event
//	POST unfollow                     FollowRequest -> nostr.Event
//
// Errors are {"error": "...", "hint": "...", "code": "..."} with an HTTP
// status; Code values are listed with the Code constants.
package localapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Handler serves the local API for one node.
type Handler struct {
	n     *node.Node
	msgs  *chat.Service
	token string
	mux   *http.ServeMux
	// mesh is the node's (package mesh); nil, with meshErr, when its
	// peer book cannot be read.
	mesh    *mesh.Service
	meshErr error
}

// NewHandler returns the API handler; requests must present token.
func NewHandler(n *node.Node, token string) *Handler {
	h := &Handler{n: n, msgs: chat.New(n), token: token, mux: http.NewServeMux()}
	h.mesh, h.meshErr = mesh.New(n)
	routes := map[string]func(*http.Request) (any, error){
		"GET /api/v1/status":               h.status,
		"GET /api/v1/identities":           h.identities,
		"GET /api/v1/identity":             h.identity,
		"POST /api/v1/identities":          h.newIdentity,
		"POST /api/v1/identities/import":   h.importIdentity,
		"POST /api/v1/identity/default":    h.setDefault,
		"POST /api/v1/identity/unlock":     h.unlock,
		"POST /api/v1/identity/export":     h.export,
		"POST /api/v1/identity/passphrase": h.passphrase,
		"POST /api/v1/lock":                h.lock,
		"POST /api/v1/post":                h.post,
		"POST /api/v1/publish":             h.publish,
		"POST /api/v1/query":               h.query,
		"GET /api/v1/event":                h.event,
		"GET /api/v1/contacts":             h.contacts,
		"POST /api/v1/follow":              h.follow,
		"POST /api/v1/unfollow":            h.unfollow,
	}
	for pattern, f := range h.routesSync() {
		routes[pattern] = f
	}
	for pattern, f := range h.routesMessages() {
		routes[pattern] = f
	}
	for pattern, f := range h.routesReports() {
		routes[pattern] = f
	}
	for pattern, f := range h.routesBundle() {
		routes[pattern] = f
	}
	for pattern, f := range h.routesApps() {
		routes[pattern] = f
	}
	for pattern, f := range h.routesUI() {
		routes[pattern] = f
	}
	for pattern, f := range h.routesTrust() {
		routes[pattern] = f
	}
	for pattern, f := range routes {
		h.mux.HandleFunc(pattern, h.wrap(f))
	}
	h.mux.HandleFunc("POST /api/v1/sync", h.sync)
	h.mux.HandleFunc("GET /api/v1/link", h.link)
	h.mux.HandleFunc("GET /api/v1/chat", h.chat)
	h.mux.HandleFunc("GET /api/v1/live", h.live)
	h.mux.HandleFunc("GET /api/v1/blob", h.blob)
	h.mux.HandleFunc("GET /api/v1/qr", h.qrImage)
	h.mux.HandleFunc("POST /api/v1/bundle/download", h.downloadBundle)
	h.mux.HandleFunc("POST /api/v1/bundle/upload", h.uploadBundle)
	h.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("no API endpoint %s %s", r.Method, r.URL.Path)})
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if e := CheckLocal(r); e != nil {
		writeError(w, e)
		return
	}
	if !h.Authorized(r) {
		writeError(w, &Error{Code: CodeUnauthorized, Msg: "missing or wrong API token", Hint: "the token is in api.json in the node's data directory"})
		return
	}
	h.mux.ServeHTTP(w, r)
}

// CheckLocal refuses a request whose Host is not a loopback name (DNS
// rebinding: a web page whose name resolves to 127.0.0.1), or that a web
// page of another origin sent. Browsers always send Origin on cross-origin
// requests, and Sec-Fetch-Site where they support it.
func CheckLocal(r *http.Request) *Error {
	if !loopbackHost(r.Host) {
		return &Error{Code: CodeForbidden, Msg: "the local API answers only to loopback host names (127.0.0.1, localhost, [::1])"}
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return &Error{Code: CodeForbidden, Msg: "requests from other web origins are refused"}
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return &Error{Code: CodeForbidden, Msg: "requests from other web sites are refused"}
	}
	return nil
}

// Authorized reports whether r carries the API token.
func (h *Handler) Authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) == 1
}

// WriteError writes e as the API does.
func WriteError(w http.ResponseWriter, e *Error) { writeError(w, e) }

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

const maxBody = 4 << 20

// ownLimit lists the endpoints that take a file and bound its size
// themselves (MaxUpload), rather than by maxBody.
var ownLimit = map[string]bool{"/api/v1/files": true, "/api/v1/attachments": true, "/api/v1/import": true}

func (h *Handler) wrap(f func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !ownLimit[r.URL.Path] {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		v, err := f(r)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return &Error{Code: CodeInvalid, Msg: "request body: " + err.Error()}
	}
	return nil
}

// Request and response bodies.
type (
	NewIdentityRequest struct {
		Name         string `json:"name"`
		Passphrase   string `json:"passphrase,omitempty"`
		NoPassphrase bool   `json:"no_passphrase,omitempty"`
	}
	ImportRequest struct {
		Name         string `json:"name"`
		Secret       string `json:"secret"`
		Passphrase   string `json:"passphrase,omitempty"`
		NoPassphrase bool   `json:"no_passphrase,omitempty"`
	}
	NameRequest struct {
		Name string `json:"name"`
	}
	UnlockRequest struct {
		Name       string `json:"name,omitempty"`
		Passphrase string `json:"passphrase"`
	}
	ExportRequest struct {
		Name       string `json:"name,omitempty"`
		NSec       bool   `json:"nsec,omitempty"` // the bare key instead of the ncryptsec
		Passphrase string `json:"passphrase,omitempty"`
	}
	ExportResponse struct {
		Secret string `json:"secret"`
	}
	PassphraseRequest struct {
		Name         string `json:"name,omitempty"`
		Old          string `json:"old,omitempty"`
		New          string `json:"new,omitempty"`
		NoPassphrase bool   `json:"no_passphrase,omitempty"`
	}
	IdentityInfo struct {
		keys.Identity
		NProfile string   `json:"nprofile"`
		Relays   []string `json:"relays,omitempty"`
	}
	PostRequest struct {
		As      string     `json:"as,omitempty"`
		Kind    int        `json:"kind"`
		Content string     `json:"content"`
		Tags    nostr.Tags `json:"tags,omitempty"`
	}
	PublishResponse struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	QueryRequest struct {
		Filters []json.RawMessage `json:"filters"`
	}
	QueryResponse struct {
		Events []json.RawMessage `json:"events"`
	}
	FollowRequest struct {
		As      string `json:"as,omitempty"`
		PubKey  string `json:"pubkey"` // npub, nprofile or hex
		Relay   string `json:"relay,omitempty"`
		Petname string `json:"petname,omitempty"`
	}
)

func (h *Handler) status(r *http.Request) (any, error) { return h.n.Status(r.Context()) }

func (h *Handler) identities(r *http.Request) (any, error) { return h.n.Identities() }

func (h *Handler) identity(r *http.Request) (any, error) {
	id, err := h.n.Identity(r.URL.Query().Get("name"))
	if err != nil {
		return nil, err
	}
	info := IdentityInfo{Identity: id}
	st, _ := h.n.Status(r.Context())
	if st.Relay != "" && !strings.HasPrefix(st.Relay, "ws://127.") && !strings.HasPrefix(st.Relay, "ws://[::1]") {
		// Only an address others can reach is a useful hint.
		info.Relays = []string{st.Relay}
	}
	info.NProfile = id.PubKey.NProfile(info.Relays)
	return info, nil
}

func (h *Handler) newIdentity(r *http.Request) (any, error) {
	var req NewIdentityRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.n.NewIdentity(req.Name, req.Passphrase, req.NoPassphrase)
}

func (h *Handler) importIdentity(r *http.Request) (any, error) {
	var req ImportRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.n.ImportIdentity(req.Name, req.Secret, req.Passphrase, req.NoPassphrase)
}

func (h *Handler) setDefault(r *http.Request) (any, error) {
	var req NameRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := h.n.SetDefaultIdentity(req.Name); err != nil {
		return nil, err
	}
	return h.n.Identity(req.Name)
}

func (h *Handler) unlock(r *http.Request) (any, error) {
	var req UnlockRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.n.Unlock(req.Name, req.Passphrase)
}

func (h *Handler) export(r *http.Request) (any, error) {
	var req ExportRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	var (
		s   string
		err error
	)
	if req.NSec {
		s, err = h.n.ExportIdentityNSec(req.Name, req.Passphrase)
	} else {
		s, err = h.n.ExportIdentity(req.Name)
	}
	return ExportResponse{Secret: s}, err
}

func (h *Handler) passphrase(r *http.Request) (any, error) {
	var req PassphraseRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.n.ChangePassphrase(req.Name, req.Old, req.New, req.NoPassphrase)
}

func (h *Handler) lock(r *http.Request) (any, error) {
	h.n.Lock()
	return h.n.Identities()
}

func (h *Handler) post(r *http.Request) (any, error) {
	var req PostRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if !event.ValidKind(req.Kind) {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("kind %d is outside 0..65535", req.Kind)}
	}
	ev := &nostr.Event{Kind: req.Kind, Content: req.Content, Tags: req.Tags}
	return h.n.Publish(r.Context(), req.As, ev)
}

func (h *Handler) publish(r *http.Request) (any, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: "request body: " + err.Error()}
	}
	ev, err := event.DecodeEvent(b)
	if err != nil {
		return PublishResponse{OK: false, Message: "invalid: " + err.Error()}, nil
	}
	res := h.n.Ingest(r.Context(), ev)[0]
	return PublishResponse{OK: res.OK(), Message: res.Message()}, nil
}

func (h *Handler) query(r *http.Request) (any, error) {
	var req QueryRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if len(req.Filters) == 0 {
		req.Filters = []json.RawMessage{json.RawMessage(`{}`)}
	}
	max := h.n.Config.Relay.MaxLimit
	seen := map[string]bool{}
	resp := QueryResponse{Events: []json.RawMessage{}}
	for i, raw := range req.Filters {
		f, err := event.DecodeFilter(raw)
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("filter %d: %v", i+1, err)}
		}
		raws, err := h.n.Query(r.Context(), f, max)
		if err != nil {
			return nil, err
		}
		for _, ev := range raws {
			if !seen[ev.ID] {
				seen[ev.ID] = true
				resp.Events = append(resp.Events, ev.JSON)
			}
		}
	}
	return resp, nil
}

func (h *Handler) event(r *http.Request) (any, error) {
	id := r.URL.Query().Get("id")
	if !event.IsHexID(id) {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("id %q is not 64 lowercase hex characters", id)}
	}
	raw, err := h.n.Event(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, &Error{Code: CodeNotFound, Msg: "this node does not hold event " + id,
			Hint: "it may not have reached this node yet; sync with a node that has it"}
	}
	return json.RawMessage(raw), nil
}

func (h *Handler) contacts(r *http.Request) (any, error) {
	return list(h.n.Contacts(r.Context(), r.URL.Query().Get("as")))
}

func (h *Handler) follow(r *http.Request) (any, error) {
	var req FollowRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	pk, relays, err := keys.ParsePublicKey(req.PubKey)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	if req.Relay == "" && len(relays) > 0 {
		req.Relay = relays[0]
	}
	return h.n.Follow(r.Context(), req.As, pk, req.Relay, req.Petname)
}

func (h *Handler) unfollow(r *http.Request) (any, error) {
	var req FollowRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	pk, _, err := keys.ParsePublicKey(req.PubKey)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	return h.n.Unfollow(r.Context(), req.As, pk)
}
