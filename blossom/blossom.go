// Package blossom serves a node's blobs over HTTP as a Blossom server
// (BUD-01, BUD-02 and the list and delete endpoints), so that Nostr apps
// can fetch and upload attachments from and to any Caravan node:
//
//	GET  /<sha256>[.ext]   the blob (Range requests work); HEAD: only headers
//	PUT  /upload           store the request body; answers a blob descriptor
//	HEAD /upload           would this upload be accepted? (BUD-06)
//	GET  /list/<pubkey>    the blobs pubkey uploaded (needs their authorization)
//	DELETE /<sha256>       forget the caller's upload
//
// Uploads, lists and deletions carry an authorization event in the header
// "Authorization: Nostr <base64 of a kind-24242 event>" with a "t" tag
// naming the verb (upload, list, delete), an "expiration" tag in the
// future and, for upload and delete, an "x" tag with the blob's sha256.
// Who may upload is the backend's decision (a node takes uploads from its
// own identities and their contacts, and from guests within a daily
// quota: it is not a public file host).
//
// Every byte served is from a blob stored under its hash; nothing is
// served that does not match it. Errors carry an X-Reason header.
//
// A blob is served as the media type its first bytes confirm, from the
// allow-list of media.Servable (images, common audio and video, PDF), and
// anything else as application/octet-stream with Content-Disposition:
// attachment, whatever type it was stored with. Every answer says
// X-Content-Type-Options: nosniff and Content-Security-Policy:
// default-src 'none'; sandbox, so that no blob runs as a page in the
// node's origin.
package blossom

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/media"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// Backend is what the server needs from the node.
type Backend interface {
	BlobInfo(ctx context.Context, sum string) (store.BlobMeta, bool, error)
	BlobRange(ctx context.Context, sum string, offset, n int64) ([]byte, error)
	// Put stores an uploaded blob for owner (hex public key).
	Put(ctx context.Context, data []byte, mime, owner string) (store.BlobMeta, error)
	BlobsOf(ctx context.Context, owner string, since, until int64) ([]store.BlobMeta, error)
	Drop(ctx context.Context, sum, owner string) (bool, error)
	// MayUpload says why pubkey may not store a blob of size bytes here
	// (-1 when not known yet), or nil. An *event.Rejection says how to
	// answer: "rate-limited:" with 429 Too Many Requests, others with
	// 403 Forbidden.
	MayUpload(ctx context.Context, pubkey string, size int64) error
}

// Options configure a Server.
type Options struct {
	// MaxUpload is the largest blob accepted. If zero, 16 MiB.
	MaxUpload int64
	// BaseURL starts the url of blob descriptors. If empty, it is taken
	// from the request (http://<Host>).
	BaseURL string
	// Now is the clock for authorization expiry. If nil, time.Now.
	Now func() time.Time
}

// Server is the HTTP handler.
type Server struct {
	b Backend
	o Options
}

// New returns a Server.
func New(b Backend, o Options) *Server {
	if o.MaxUpload <= 0 {
		o.MaxUpload = 16 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{b: b, o: o}
}

// Descriptor is BUD-02's blob descriptor.
type Descriptor struct {
	URL      string `json:"url"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Type     string `json:"type"`
	Uploaded int64  `json:"uploaded"`
}

// IsBlobPath says whether path is one this server answers.
func IsBlobPath(path string) bool {
	if path == "/upload" || strings.HasPrefix(path, "/list/") {
		return true
	}
	_, ok := parseHashPath(path)
	return ok
}

func parseHashPath(path string) (string, bool) {
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '.'); i >= 0 {
		p = p[:i]
	}
	if len(p) != 64 || !event.IsHexID(strings.ToLower(p)) {
		return "", false
	}
	return strings.ToLower(p), true
}

func fail(w http.ResponseWriter, code int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.Header().Set("X-Reason", msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// refuse answers an upload the backend refused: 429 for "rate-limited:"
// (with the reason, which says when to come back), 403 otherwise.
func refuse(w http.ResponseWriter, err error) {
	var rej *event.Rejection
	if errors.As(err, &rej) {
		if rej.Prefix == event.RateLimited {
			fail(w, http.StatusTooManyRequests, "%s", rej.Error())
			return
		}
		fail(w, http.StatusForbidden, "%s", rej.Error())
		return
	}
	fail(w, http.StatusForbidden, "%v", err)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	// Nothing here is a page: no answer, not even an error, is sniffed
	// or runs as one.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", media.ServeCSP)
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Headers", "Authorization, *")
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, DELETE")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch {
	case r.URL.Path == "/upload" && r.Method == http.MethodPut:
		s.upload(w, r)
	case r.URL.Path == "/upload" && r.Method == http.MethodHead:
		s.uploadCheck(w, r)
	case strings.HasPrefix(r.URL.Path, "/list/") && r.Method == http.MethodGet:
		s.list(w, r)
	default:
		sum, ok := parseHashPath(r.URL.Path)
		if !ok {
			fail(w, http.StatusBadRequest, "%q is not /<sha256>[.ext], /upload or /list/<pubkey>", clip(r.URL.Path))
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.get(w, r, sum)
		case http.MethodDelete:
			s.delete(w, r, sum)
		default:
			fail(w, http.StatusMethodNotAllowed, "%s is not supported on a blob; use GET, HEAD or DELETE", r.Method)
		}
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, sum string) {
	m, ok, err := s.b.BlobInfo(r.Context(), sum)
	if err != nil {
		fail(w, http.StatusInternalServerError, "reading the blob failed: %v", err)
		return
	}
	if !ok {
		fail(w, http.StatusNotFound, "this node does not hold blob %s", sum)
		return
	}
	// The bytes decide how a browser may take the blob, not the type it
	// was stored with (media.Servable): a page declared image/png must
	// not run in this origin, which also serves the download page.
	br := &blobReader{ctx: r.Context(), b: s.b, sum: sum, size: m.Size}
	head, err := br.head(media.SniffLen)
	if err != nil {
		fail(w, http.StatusInternalServerError, "reading the blob failed: %v", err)
		return
	}
	media.ServeHeaders(w.Header(), head, m.Type)
	w.Header().Set("ETag", `"`+sum+`"`)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, br)
}

// readAhead is how much of a blob one read from the backend asks for at
// least: the store keeps blobs in pieces of this size, and reads a whole
// piece for any part of it.
const readAhead = 64 << 10

// blobReader reads a stored blob for ServeContent (which answers Range
// requests with it), a piece at a time, keeping the last piece read.
type blobReader struct {
	ctx  context.Context
	b    Backend
	sum  string
	size int64
	off  int64

	buf   []byte // bytes of the blob from bufAt
	bufAt int64
}

// head returns the blob's first n bytes (fewer if it is shorter), and
// keeps them (and what else the read brought) for Read.
func (br *blobReader) head(n int64) ([]byte, error) {
	if err := br.fill(0, n); err != nil {
		return nil, err
	}
	return br.buf[:min(int64(len(br.buf)), n)], nil
}

// fill makes buf hold the blob from off, at least n bytes of it if the
// blob has them.
func (br *blobReader) fill(off, n int64) error {
	if off >= br.bufAt && off+n <= br.bufAt+int64(len(br.buf)) {
		return nil
	}
	n = min(max(n, readAhead), br.size-off, 1<<20)
	if n <= 0 {
		br.buf, br.bufAt = nil, off
		return nil
	}
	data, err := br.b.BlobRange(br.ctx, br.sum, off, n)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return io.ErrUnexpectedEOF
	}
	br.buf, br.bufAt = data, off
	return nil
}

func (br *blobReader) Read(p []byte) (int, error) {
	if br.off >= br.size {
		return 0, io.EOF
	}
	if br.off < br.bufAt || br.off >= br.bufAt+int64(len(br.buf)) {
		if err := br.fill(br.off, int64(len(p))); err != nil {
			return 0, err
		}
	}
	k := copy(p, br.buf[br.off-br.bufAt:])
	br.off += int64(k)
	return k, nil
}

func (br *blobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += br.off
	case io.SeekEnd:
		offset += br.size
	}
	if offset < 0 {
		return 0, errors.New("seek before the start")
	}
	br.off = offset
	return offset, nil
}

// authorize checks the request's authorization event for verb (and, if
// sum is set, that it names that blob). It returns the signer.
func (s *Server) authorize(r *http.Request, verb, sum string) (string, int, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", http.StatusUnauthorized, fmt.Errorf("%s needs an Authorization header: Nostr <base64 of a kind-%d event>", verb, event.KindBlossomAuth)
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Nostr") {
		return "", http.StatusUnauthorized, fmt.Errorf("the Authorization scheme must be Nostr, not %q", clip(scheme))
	}
	if len(token) > 64<<10 {
		return "", http.StatusBadRequest, errors.New("the authorization event is larger than 64 KiB")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(token), "=")); err != nil {
			return "", http.StatusBadRequest, errors.New("the authorization is not base64")
		}
	}
	var ev nostr.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return "", http.StatusBadRequest, fmt.Errorf("the authorization is not a Nostr event: %v", err)
	}
	if err := event.Check(&ev, event.Limits{}.WithDefaults(), s.o.Now()); err != nil {
		return "", http.StatusUnauthorized, fmt.Errorf("the authorization event: %v", err)
	}
	if err := event.Verify(&ev); err != nil {
		return "", http.StatusUnauthorized, fmt.Errorf("the authorization event: %v", err)
	}
	if ev.Kind != event.KindBlossomAuth {
		return "", http.StatusUnauthorized, fmt.Errorf("the authorization event has kind %d; it must be %d", ev.Kind, event.KindBlossomAuth)
	}
	if t := ev.Tags.GetFirst([]string{"t", ""}); t == nil || (*t)[1] != verb {
		return "", http.StatusUnauthorized, fmt.Errorf("the authorization is not for %s (its t tag must say %q)", verb, verb)
	}
	exp := ev.Tags.GetFirst([]string{"expiration", ""})
	if exp == nil {
		return "", http.StatusUnauthorized, errors.New("the authorization has no expiration tag")
	}
	at, err := strconv.ParseInt((*exp)[1], 10, 64)
	if err != nil || at <= s.o.Now().Unix() {
		return "", http.StatusUnauthorized, errors.New("the authorization has expired")
	}
	if sum != "" {
		found := false
		for _, t := range ev.Tags {
			if len(t) >= 2 && t[0] == "x" && strings.EqualFold(t[1], sum) {
				found = true
			}
		}
		if !found {
			return "", http.StatusUnauthorized, fmt.Errorf("the authorization does not name blob %s in an x tag", sum)
		}
	}
	return ev.PubKey, 0, nil
}

func (s *Server) descriptor(r *http.Request, m store.BlobMeta) Descriptor {
	base := s.o.BaseURL
	if base == "" {
		base = "http://" + r.Host
	}
	typ := m.Type
	if typ == "" {
		typ = "application/octet-stream"
	}
	return Descriptor{URL: strings.TrimSuffix(base, "/") + "/" + m.SHA256 + Ext(typ), SHA256: m.SHA256, Size: m.Size, Type: typ, Uploaded: m.Created}
}

// Ext is the file extension for a MIME type, ".bin" when unknown.
func Ext(typ string) string {
	switch typ {
	case "image/jpeg":
		return ".jpg"
	case "text/plain", "text/plain; charset=utf-8":
		return ".txt"
	}
	if exts, _ := mime.ExtensionsByType(typ); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

func (s *Server) uploadCheck(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.Header.Get("X-Content-Length"), 10, 64)
	if err == nil && n > s.o.MaxUpload {
		fail(w, http.StatusRequestEntityTooLarge, "the blob is %d bytes; this node takes at most %d", n, s.o.MaxUpload)
		return
	}
	if err != nil || n < 0 {
		n = -1
	}
	if _, _, ok := s.uploader(w, r, n); ok {
		w.WriteHeader(http.StatusOK)
	}
}

// uploader checks the announced hash (X-SHA-256, optional), the
// authorization and that its signer may upload size bytes here (-1: not
// known), answering the request itself when not. It returns the signer
// and the claimed hash.
func (s *Server) uploader(w http.ResponseWriter, r *http.Request, size int64) (pk, claimed string, ok bool) {
	claimed = strings.ToLower(r.Header.Get("X-SHA-256"))
	if claimed != "" && !event.IsHexID(claimed) {
		fail(w, http.StatusBadRequest, "X-SHA-256 is not a sha256 in hex")
		return "", "", false
	}
	pk, code, err := s.authorize(r, "upload", claimed)
	if err != nil {
		fail(w, code, "%v", err)
		return "", "", false
	}
	if err := s.b.MayUpload(r.Context(), pk, size); err != nil {
		refuse(w, err)
		return "", "", false
	}
	return pk, claimed, true
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.o.MaxUpload {
		fail(w, http.StatusRequestEntityTooLarge, "the blob is %d bytes; this node takes at most %d", r.ContentLength, s.o.MaxUpload)
		return
	}
	// Authorize before reading the body (against the announced hash).
	pk, claimed, ok := s.uploader(w, r, max(r.ContentLength, -1))
	if !ok {
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, s.o.MaxUpload+1))
	if err != nil {
		fail(w, http.StatusBadRequest, "reading the upload failed: %v", err)
		return
	}
	if int64(len(data)) > s.o.MaxUpload {
		fail(w, http.StatusRequestEntityTooLarge, "the blob is larger than %d bytes, this node's limit", s.o.MaxUpload)
		return
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	if claimed != "" && claimed != sum {
		fail(w, http.StatusConflict, "X-SHA-256 says %s but the body's sha256 is %s", claimed, sum)
		return
	}
	if _, code, err := s.authorize(r, "upload", sum); err != nil {
		fail(w, code, "%v", err)
		return
	}
	typ := r.Header.Get("Content-Type")
	if typ == "" || typ == "application/octet-stream" {
		typ = http.DetectContentType(data)
	}
	if mt, _, err := mime.ParseMediaType(typ); err == nil {
		typ = mt
	}
	_, existed, _ := s.b.BlobInfo(r.Context(), sum)
	m, err := s.b.Put(r.Context(), data, typ, pk)
	var (
		full *store.DiskFullError
		rej  *event.Rejection
	)
	switch {
	case errors.As(err, &full):
		fail(w, http.StatusInsufficientStorage, "%v; free space and retry", full)
		return
	case errors.As(err, &rej) && (rej.Prefix == event.RateLimited || rej.Prefix == event.Restricted || rej.Prefix == event.AuthRequired):
		refuse(w, err)
		return
	case errors.As(err, &rej):
		// The store is full of what its node keeps for its people.
		fail(w, http.StatusInsufficientStorage, "%s", rej.Msg)
		return
	case err != nil:
		fail(w, http.StatusInternalServerError, "storing the blob failed: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if existed {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	json.NewEncoder(w).Encode(s.descriptor(r, m))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	owner := strings.ToLower(strings.TrimPrefix(r.URL.Path, "/list/"))
	if !event.IsHexID(owner) {
		fail(w, http.StatusBadRequest, "/list/ takes a public key in hex (64 digits)")
		return
	}
	// What someone uploaded is theirs to see: a list needs their
	// authorization (BUD-12 lets servers require it).
	pk, code, err := s.authorize(r, "list", "")
	if err != nil {
		fail(w, code, "%v", err)
		return
	}
	if pk != owner {
		fail(w, http.StatusForbidden, "only %s may list their uploads", owner)
		return
	}
	q := r.URL.Query()
	since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
	until, _ := strconv.ParseInt(q.Get("until"), 10, 64)
	ms, err := s.b.BlobsOf(r.Context(), owner, since, until)
	if err != nil {
		fail(w, http.StatusInternalServerError, "listing failed: %v", err)
		return
	}
	out := []Descriptor{}
	for _, m := range ms {
		out = append(out, s.descriptor(r, m))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, sum string) {
	pk, code, err := s.authorize(r, "delete", sum)
	if err != nil {
		fail(w, code, "%v", err)
		return
	}
	had, err := s.b.Drop(r.Context(), sum, pk)
	if err != nil {
		fail(w, http.StatusInternalServerError, "deleting failed: %v", err)
		return
	}
	if !had {
		fail(w, http.StatusNotFound, "%s did not upload blob %s here", pk, sum)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Authorization builds the header value for a signed kind-24242 event
// (the client side, for tests and the CLI).
func Authorization(ev *nostr.Event) string {
	b, _ := json.Marshal(ev)
	return "Nostr " + base64.StdEncoding.EncodeToString(b)
}
