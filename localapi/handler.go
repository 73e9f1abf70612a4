// Package localapi is the node's local API: JSON over HTTP on a loopback
// address. The CLI and the web UI are both its clients; there is no second
// code path.
//
// Every request must carry "Authorization: Bearer <token>", where the token
// is in the data directory's api.json (readable only by its owner), so other
// local users cannot use the API. Requests whose Host is not a loopback name
// are refused (DNS rebinding), and so are requests from web pages of other
// origins.
//
// The endpoints are listed in docs/api.md, and declared in one file per
// feature: identities.go (identities, posting, queries, contacts),
// messages.go (private messages, people, groups), reports.go (reports,
// drafts, search, the site), bundle.go (bundles), sync.go (the mesh:
// peers, sync, policy), apps.go (handing out the program), ui.go (settings,
// panic, what the web UI shows), trust.go (feed and trust) and poster.go
// (the community poster).
//
// A JSON endpoint is a Route, declared once as a package-level var; the
// server serves it with handle, and clients call it with Call:
//
//	st, err := localapi.Call(ctx, client, localapi.Status, localapi.Empty{})
//
// These stay hand-written, because they stream, upgrade or carry bytes
// rather than JSON: POST sync (progress as JSON lines), GET link (a
// websocket), GET chat with follow=1 (JSON lines; without follow it is the
// Route Chat), GET live (JSON lines), GET blob, qr and poster (bytes out),
// POST bundle/download (bytes out), and the uploads POST bundle/upload,
// files, import, attachments and qr/read (bytes in, JSON out).
//
// Errors are {"error": "...", "code": "...", "hint": "..."} with an HTTP
// status. Each failure has one code (the Code constants, with their status
// in codeStatus and their meaning in docs/api.md). The hint, when there is
// one, is advice that names no command: clients add their own (the CLI
// names its commands, the web UI shows its own words for each code).
package localapi

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
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
	// place is where the poster says phones reach this node (poster.go).
	place posterPlace
	// patterns lists the routes served, for the docs test.
	patterns []string
}

// NewHandler returns the API handler; requests must present token.
func NewHandler(n *node.Node, token string) *Handler {
	h := &Handler{n: n, msgs: chat.New(n), token: token, mux: http.NewServeMux()}
	h.mesh, h.meshErr = mesh.New(n)
	h.routesIdentities()
	h.routesSync()
	h.routesMessages()
	h.routesReports()
	h.routesBundle()
	h.routesApps()
	h.routesUI()
	h.routesTrust()
	h.routesPoster()
	h.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Code: CodeNotFound, Msg: fmt.Sprintf("no API endpoint %s %s", r.Method, r.URL.Path)})
	})
	return h
}

// serve registers a hand-written endpoint (see the package doc).
func (h *Handler) serve(pattern string, f http.HandlerFunc) {
	h.patterns = append(h.patterns, pattern)
	h.mux.HandleFunc(pattern, f)
}

// upload registers an endpoint that takes a file's bytes and answers
// JSON; it bounds the body itself (MaxUpload).
func (h *Handler) upload(pattern string, f func(*http.Request) (any, error)) {
	h.serve(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		writeJSON(w, v)
	})
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
