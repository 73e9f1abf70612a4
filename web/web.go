// Package web serves Caravan's web UI: a page, a script and a style sheet
// embedded in the binary, which talk to the node through the same local API
// as the CLI. Nothing is fetched from anywhere else; the UI works with no
// internet.
//
// # Signing in
//
// Every API call carries the API token in an Authorization header, as the
// CLI's do. A browser gets the token in one of two ways:
//
//   - `caravan open` asks the node for a one-time code (POST
//     /api/v1/ui/code, with the token) and opens http://127.0.0.1:PORT/#code=C.
//     The page trades the code for the token (POST /ui/exchange) and removes
//     it from the address bar. A code works once, for two minutes.
//   - On the sign-in page, the passphrase of the node's default identity
//     (POST /ui/signin): it unlocks the identity and returns the token.
//     Attempts are spaced one second apart.
//
// The page keeps the token in localStorage; a restarted node has a new one,
// and the page asks to sign in again.
//
// # Why no cookie
//
// Cookies are sent by the browser on requests other sites make; an
// Authorization header is not. So a page on another site can make the
// browser send a request to the node, but not one that carries the token:
// state-changing calls cannot be forged (CSRF). The API also refuses any
// request with a non-loopback Host (DNS rebinding), a foreign Origin, or
// Sec-Fetch-Site other than same-origin.
//
// # Content
//
// All content from events is inserted as text (textContent), except a
// report's body, which the API renders from markdown with the static site's
// rules (no raw HTML; only http, https, mailto and nostr links; images only
// from blobs the node holds). The Content-Security-Policy allows scripts,
// styles, images and connections from the node's own origin only (images
// also from blob: URLs the page makes), so even a mistake there cannot run
// a script or load anything from elsewhere.
package web

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
)

//go:embed assets
var assets embed.FS

// CSP is the Content-Security-Policy of every UI page.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// CodeLifetime is how long a one-time sign-in code works.
const CodeLifetime = 2 * time.Minute

// Server serves the UI and, under /api/, the local API.
type Server struct {
	api   *localapi.Handler
	token string
	node  *node.Node
	now   func() time.Time
	files http.Handler

	mu         sync.Mutex
	codes      map[string]time.Time // one-time code -> expiry
	lastSignin time.Time
}

// New returns the UI server in front of api, whose token is token.
func New(api *localapi.Handler, token string, n *node.Node) *Server {
	sub, _ := fs.Sub(assets, "assets")
	return &Server{api: api, token: token, node: n, now: time.Now, files: http.FileServerFS(sub), codes: map[string]time.Time{}}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.URL.Path == "/api/v1/ui/code" {
		s.code(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.api.ServeHTTP(w, r)
		return
	}
	h.Set("Content-Security-Policy", CSP)
	if e := localapi.CheckLocal(r); e != nil {
		localapi.WriteError(w, e)
		return
	}
	switch r.URL.Path {
	case "/ui/exchange":
		s.exchange(w, r)
		return
	case "/ui/signin":
		s.signin(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeNotFound, Msg: "no such page"})
		return
	}
	// One page: every other path is the app, which reads its own route
	// from the fragment.
	p := path.Clean(r.URL.Path)
	if p == "/" || !strings.Contains(path.Base(p), ".") {
		r.URL.Path = "/"
	}
	h.Set("Cache-Control", "no-cache")
	s.files.ServeHTTP(w, r)
}

// MintCode returns a new one-time sign-in code.
func (s *Server) MintCode() string {
	b := make([]byte, 16)
	rand.Read(b)
	c := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, exp := range s.codes {
		if now.After(exp) {
			delete(s.codes, k)
		}
	}
	s.codes[c] = now.Add(CodeLifetime)
	return c
}

// UICode is the route that gives a one-time sign-in code (served here,
// not by package localapi, as only the web UI's server has codes).
var UICode = localapi.Route[localapi.Empty, CodeResponse]{Method: "POST", Path: "/api/v1/ui/code"}

// CodeResponse is what POST /api/v1/ui/code returns.
type CodeResponse struct {
	Code string `json:"code"`
	// URL opens the UI signed in: http://HOST/#code=CODE.
	URL string `json:"url"`
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if e := localapi.CheckLocal(r); e != nil {
		localapi.WriteError(w, e)
		return
	}
	if !s.api.Authorized(r) {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeUnauthorized, Msg: "missing or wrong API token"})
		return
	}
	if r.Method != http.MethodPost {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeNotFound, Msg: "use POST"})
		return
	}
	c := s.MintCode()
	writeJSON(w, CodeResponse{Code: c, URL: "http://" + r.Host + "/#code=" + c})
}

// TokenResponse carries the API token to a signed-in page.
type TokenResponse struct {
	Token string `json:"token"`
}

func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var req struct {
		Code string `json:"code"`
	}
	if err := readJSON(r, &req); err != nil {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeInvalid, Msg: err.Error()})
		return
	}
	s.mu.Lock()
	var ok bool
	for c, exp := range s.codes {
		if subtle.ConstantTimeCompare([]byte(c), []byte(req.Code)) == 1 {
			ok = s.now().Before(exp)
			delete(s.codes, c)
		}
	}
	s.mu.Unlock()
	if !ok {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeUnauthorized,
			Msg:  "this sign-in link was used already or is too old",
			Hint: "run 'caravan open' again, or sign in with your passphrase"})
		return
	}
	writeJSON(w, TokenResponse{Token: s.token})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var req struct {
		Passphrase string `json:"passphrase"`
	}
	if err := readJSON(r, &req); err != nil {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeInvalid, Msg: err.Error()})
		return
	}
	s.mu.Lock()
	wait := s.lastSignin.Add(time.Second).Sub(s.now())
	if wait <= 0 {
		s.lastSignin = s.now()
	}
	s.mu.Unlock()
	if wait > 0 {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeForbidden, Msg: "too many attempts: wait a second and try again"})
		return
	}
	if req.Passphrase == "" {
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeInvalid, Msg: "enter your passphrase"})
		return
	}
	err := s.node.CheckPassphrase("", req.Passphrase)
	if err == nil {
		_, err = s.node.Unlock("", req.Passphrase)
	}
	switch {
	case errors.Is(err, keys.ErrBadPassphrase):
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeBadPassphrase, Msg: "wrong passphrase"})
		return
	case errors.Is(err, keys.ErrNoIdentity):
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeNoIdentity, Msg: "this node has no identity yet",
			Hint: "run 'caravan open' in a terminal on this machine to set it up"})
		return
	case err != nil:
		localapi.WriteError(w, &localapi.Error{Code: localapi.CodeForbidden, Msg: "signing in with a passphrase needs an identity protected by one",
			Hint: "run 'caravan open' in a terminal on this machine"})
		return
	}
	writeJSON(w, TokenResponse{Token: s.token})
}

func readJSON(r *http.Request, v any) error {
	if r.Method != http.MethodPost {
		return errors.New("use POST")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("request body: " + err.Error())
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
