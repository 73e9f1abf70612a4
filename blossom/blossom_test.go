package blossom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

var (
	alice = evtest.NewKey("alice")
	eve   = evtest.NewKey("eve")
	now   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// storeBackend is the real store with a fixed set of allowed uploaders.
type storeBackend struct {
	s       *store.Store
	allowed map[string]bool
}

func (b storeBackend) BlobInfo(ctx context.Context, sum string) (store.BlobMeta, bool, error) {
	return b.s.BlobInfo(ctx, sum)
}
func (b storeBackend) BlobRange(ctx context.Context, sum string, off, n int64) ([]byte, error) {
	return b.s.BlobRange(ctx, sum, off, n)
}
func (b storeBackend) Put(ctx context.Context, data []byte, mime, owner string) (store.BlobMeta, error) {
	pk, _ := hex.DecodeString(owner)
	sum, err := b.s.PutBlob(ctx, data, mime, pk)
	if err != nil {
		return store.BlobMeta{}, err
	}
	m, _, err := b.s.BlobInfo(ctx, hex.EncodeToString(sum[:]))
	return m, err
}
func (b storeBackend) BlobsOf(ctx context.Context, owner string, since, until int64) ([]store.BlobMeta, error) {
	pk, _ := hex.DecodeString(owner)
	return b.s.BlobsOf(ctx, pk, since, until)
}
func (b storeBackend) Drop(ctx context.Context, sum, owner string) (bool, error) {
	pk, _ := hex.DecodeString(owner)
	return b.s.DropBlobOwner(ctx, sum, pk)
}
func (b storeBackend) MayUpload(ctx context.Context, pk string, size int64) error {
	if !b.allowed[pk] {
		return errors.New("not allowed here")
	}
	return nil
}

func serve(t *testing.T) *httptest.Server {
	_, srv := serveStore(t, map[string]bool{alice.Public: true})
	return srv
}

// serveStore is a server over a new store on disk where the keys in
// allowed may upload.
func serveStore(t *testing.T, allowed map[string]bool) (*store.Store, *httptest.Server) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(storeBackend{st, allowed}, Options{MaxUpload: 1 << 20, Now: func() time.Time { return now }}))
	t.Cleanup(srv.Close)
	return st, srv
}

func auth(k evtest.Key, verb string, exp time.Time, xs ...string) string {
	tags := []nostr.Tag{{"t", verb}, {"expiration", fmt.Sprint(exp.Unix())}}
	for _, x := range xs {
		tags = append(tags, nostr.Tag{"x", x})
	}
	return Authorization(k.Event(event.KindBlossomAuth, now.Unix()-10, "Upload photo", tags...))
}

func do(t *testing.T, method, url, authz string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func TestUploadGetListDelete(t *testing.T) {
	srv := serve(t)
	data := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("fake image bytes "), 500)...)
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	later := now.Add(time.Hour)

	resp, body := do(t, "PUT", srv.URL+"/upload", auth(alice, "upload", later, sum), data, "Content-Type", "image/png")
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var d Descriptor
	json.Unmarshal(body, &d)
	if d.SHA256 != sum || d.Size != int64(len(data)) || d.Type != "image/png" || !strings.HasSuffix(d.URL, "/"+sum+".png") {
		t.Errorf("descriptor: %+v", d)
	}
	if resp, _ := do(t, "PUT", srv.URL+"/upload", auth(alice, "upload", later, sum), data); resp.StatusCode != 200 {
		t.Errorf("upload again: %d, want 200", resp.StatusCode)
	}

	resp, body = do(t, "GET", srv.URL+"/"+sum+".png", "", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("get: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, body = do(t, "GET", srv.URL+"/"+sum, "", nil, "Range", "bytes=5-9")
	if resp.StatusCode != 206 || !bytes.Equal(body, data[5:10]) {
		t.Errorf("range: %d %q", resp.StatusCode, body)
	}
	resp, body = do(t, "HEAD", srv.URL+"/"+strings.ToUpper(sum)+".jpg", "", nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != fmt.Sprint(len(data)) || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("head: %d %v", resp.StatusCode, resp.Header)
	}

	// Listing is for the uploader only.
	if resp, _ := do(t, "GET", srv.URL+"/list/"+alice.Public, "", nil); resp.StatusCode != 401 {
		t.Errorf("list without auth: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/list/"+alice.Public, auth(eve, "list", later), nil); resp.StatusCode != 403 {
		t.Errorf("list by someone else: %d", resp.StatusCode)
	}
	resp, body = do(t, "GET", srv.URL+"/list/"+alice.Public, auth(alice, "list", later), nil)
	var l []Descriptor
	json.Unmarshal(body, &l)
	if resp.StatusCode != 200 || len(l) != 1 || l[0].SHA256 != sum {
		t.Errorf("list: %d %s", resp.StatusCode, body)
	}

	if resp, _ := do(t, "DELETE", srv.URL+"/"+sum, auth(eve, "delete", later, sum), nil); resp.StatusCode != 404 {
		t.Errorf("delete by a stranger: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "DELETE", srv.URL+"/"+sum, auth(alice, "delete", later, sum), nil); resp.StatusCode != 200 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/"+sum, "", nil); resp.StatusCode != 404 || resp.Header.Get("X-Reason") == "" {
		t.Errorf("after delete: %d %q", resp.StatusCode, resp.Header.Get("X-Reason"))
	}
}

func TestUploadRefusals(t *testing.T) {
	srv := serve(t)
	data := []byte("some file")
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	other := strings.Repeat("ab", 32)
	later, earlier := now.Add(time.Hour), now.Add(-time.Minute)
	forged := alice.Event(event.KindBlossomAuth, now.Unix(), "x", nostr.Tag{"t", "upload"}, nostr.Tag{"expiration", fmt.Sprint(later.Unix())}, nostr.Tag{"x", sum})
	forged.Content = "changed"
	cases := []struct {
		name  string
		authz string
		body  []byte
		hdr   []string
		code  int
	}{
		{"no auth", "", data, nil, 401},
		{"wrong scheme", "Bearer abc", data, nil, 401},
		{"not base64", "Nostr %%%", data, nil, 400},
		{"not an event", "Nostr " + "aGVsbG8=", data, nil, 400},
		{"forged", Authorization(forged), data, nil, 401},
		{"expired", auth(alice, "upload", earlier, sum), data, nil, 401},
		{"wrong verb", auth(alice, "delete", later, sum), data, nil, 401},
		{"other blob", auth(alice, "upload", later, other), data, nil, 401},
		{"stranger", auth(eve, "upload", later, sum), data, nil, 403},
		{"hash header lies", auth(alice, "upload", later, other), data, []string{"X-SHA-256", other}, 409},
		{"too big", auth(alice, "upload", later, sum), make([]byte, 1<<20+1), nil, 413},
	}
	for _, c := range cases {
		resp, body := do(t, "PUT", srv.URL+"/upload", c.authz, c.body, c.hdr...)
		if resp.StatusCode != c.code || resp.Header.Get("X-Reason") == "" {
			t.Errorf("%s: %d %q, want %d with a reason", c.name, resp.StatusCode, body, c.code)
		}
	}
	if resp, _ := do(t, "GET", srv.URL+"/"+sum, "", nil); resp.StatusCode != 404 {
		t.Errorf("a refused upload was stored")
	}
	for _, p := range []string{"/abc", "/" + strings.Repeat("g", 64), "/list/xyz"} {
		if resp, _ := do(t, "GET", srv.URL+p, "", nil); resp.StatusCode != 400 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	resp, _ := do(t, "OPTIONS", srv.URL+"/upload", "", nil)
	if resp.Header.Get("Access-Control-Allow-Methods") != "GET, HEAD, PUT, DELETE" {
		t.Errorf("preflight: %v", resp.Header)
	}
}

// TestServedAsTheBytesSay: a blob is served as the type its bytes
// confirm, not as the type it was stored with; a page declared image/png
// is a download of bytes. Every answer, HEAD, Range and errors included,
// says nosniff and carries the sandboxing CSP.
func TestServedAsTheBytesSay(t *testing.T) {
	st, srv := serveStore(t, nil)
	ctx := context.Background()
	put := func(data []byte, typ string) string {
		sum, err := st.PutBlob(ctx, data, typ)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(sum[:])
	}
	page := []byte("<!doctype html><script>localStorage.x=1</script>" + strings.Repeat(" ", 600))
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 600)...)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	htmlSum, pngSum, svgSum := put(page, "text/html; charset=utf-8"), put(png, "image/jpeg"), put(svg, "image/svg+xml")
	declaredPNG := put(append([]byte("<html><script>x=1</script>"), make([]byte, 10)...), "image/png")
	empty := put(nil, "image/png")

	check := func(what string, resp *http.Response, typ string) {
		t.Helper()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("%s: %d nosniff %q, CSP %q", what, resp.StatusCode, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
		}
		if typ == "" {
			return
		}
		if got := h.Get("Content-Type"); got != typ {
			t.Errorf("%s: Content-Type %q, want %q", what, got, typ)
		}
		if attach := h.Get("Content-Disposition") == "attachment"; attach != (typ == "application/octet-stream") {
			t.Errorf("%s (%s): Content-Disposition %q", what, typ, h.Get("Content-Disposition"))
		}
	}
	for _, c := range []struct {
		name, sum, ext, typ string
	}{
		{"HTML", htmlSum, ".html", "application/octet-stream"},
		{"HTML declared PNG", declaredPNG, ".png", "application/octet-stream"},
		{"SVG", svgSum, ".svg", "application/octet-stream"},
		{"PNG declared JPEG", pngSum, ".jpg", "image/png"},
		{"empty", empty, ".png", "application/octet-stream"},
	} {
		for _, m := range []string{"GET", "HEAD"} {
			resp, _ := do(t, m, srv.URL+"/"+c.sum+c.ext, "", nil)
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: %d", m, c.name, resp.StatusCode)
			}
			check(m+" "+c.name, resp, c.typ)
		}
		if c.sum == empty {
			continue
		}
		resp, body := do(t, "GET", srv.URL+"/"+c.sum+c.ext, "", nil, "Range", "bytes=1-4")
		if resp.StatusCode != 206 || len(body) != 4 {
			t.Errorf("range %s: %d %q", c.name, resp.StatusCode, body)
		}
		check("range "+c.name, resp, c.typ)
		resp, _ = do(t, "GET", srv.URL+"/"+c.sum+c.ext, "", nil, "Range", "bytes=0-1,3-4")
		if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
			t.Errorf("ranges %s: %d %q", c.name, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		check("ranges "+c.name, resp, "")
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/" + strings.Repeat("ab", 32) + ".html", 404},
		{"GET", "/<script>alert(1)</script>", 400},
		{"POST", "/" + htmlSum, 405},
		{"PUT", "/upload", 401},
		{"GET", "/list/" + alice.Public, 401},
		{"OPTIONS", "/upload", 204},
	} {
		resp, _ := do(t, c.method, srv.URL+c.path, "", nil)
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
		check(c.method+" "+c.path, resp, "")
	}
}

// BenchmarkGet: a whole GET of a stored 64 KiB PNG over loopback, with
// the first bytes read once more to confirm its type.
func BenchmarkGet(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "c.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(New(storeBackend{st, nil}, Options{Now: func() time.Time { return now }}))
	defer srv.Close()
	data := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64<<10-8)...)
	sum, err := st.PutBlob(context.Background(), data, "image/png")
	if err != nil {
		b.Fatal(err)
	}
	u := srv.URL + "/" + hex.EncodeToString(sum[:]) + ".png"
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// TestRangesAcrossPieces: ranges that start, end and span the store's
// 64 KiB pieces give exactly the bytes asked for.
func TestRangesAcrossPieces(t *testing.T) {
	st, srv := serveStore(t, nil)
	data := make([]byte, 200_000)
	for i := range data {
		data[i] = byte(i * 7 / 3)
	}
	copy(data, "\x89PNG\r\n\x1a\n")
	sum, err := st.PutBlob(context.Background(), data, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	u := srv.URL + "/" + hex.EncodeToString(sum[:])
	if resp, body := do(t, "GET", u, "", nil); resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Errorf("whole: %d, %d bytes, equal %v", resp.StatusCode, len(body), bytes.Equal(body, data))
	}
	for _, c := range []struct {
		spec   string
		lo, hi int // data[lo:hi]
	}{
		{"bytes=0-0", 0, 1},
		{"bytes=65530-65545", 65530, 65546},
		{"bytes=65536-131071", 65536, 131072},
		{"bytes=1000-199999", 1000, 200000},
		{"bytes=199990-", 199990, 200000},
		{"bytes=-10", 199990, 200000},
	} {
		resp, body := do(t, "GET", u, "", nil, "Range", c.spec)
		if resp.StatusCode != 206 || !bytes.Equal(body, data[c.lo:c.hi]) || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("%s: %d %s, %d bytes, want %d", c.spec, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), c.hi-c.lo)
		}
	}
}
