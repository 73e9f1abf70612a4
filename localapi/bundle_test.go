package localapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/bundles"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/nbd-wtf/go-nostr"
)

func TestBundleDownloadUpload(t *testing.T) {
	a, srvA := serveTest(t)
	b, srvB := serveTest(t)
	ctx := context.Background()
	if _, err := a.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	note, err := a.Publish(ctx, "", &nostr.Event{Kind: 1, Content: "carried by hand"})
	if err != nil {
		t.Fatal(err)
	}
	pass := "пароль с пробелами"
	body, _ := json.Marshal(bundles.Export{Passphrase: pass})
	resp := authed(t, "POST", srvA.URL+"/api/v1/bundle/download", bytes.NewReader(body), nil)
	file, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || len(file) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d, %d bytes, %q", resp.StatusCode, len(file), resp.Header.Get("Content-Disposition"))
	}
	var made bundles.Made
	if err := json.Unmarshal([]byte(resp.Header.Get("X-Bundle-Made")), &made); err != nil || made.Events == 0 {
		t.Fatalf("X-Bundle-Made %q: %v", resp.Header.Get("X-Bundle-Made"), err)
	}
	gone(t, filepath.Join(a.Dir, "bundle-download-*"))

	bad := authed(t, "POST", srvB.URL+"/api/v1/bundle/upload", bytes.NewReader(file), http.Header{"X-Bundle-Passphrase": {url.PathEscape("wrong")}})
	var e Error
	json.NewDecoder(bad.Body).Decode(&e)
	if bad.StatusCode == 200 || e.Msg == "" {
		t.Fatalf("wrong passphrase: %d %+v", bad.StatusCode, e)
	}
	ok := authed(t, "POST", srvB.URL+"/api/v1/bundle/upload", bytes.NewReader(file), http.Header{"X-Bundle-Passphrase": {url.PathEscape(pass)}})
	var read bundles.Read
	if err := json.NewDecoder(ok.Body).Decode(&read); err != nil || ok.StatusCode != 200 {
		t.Fatalf("upload: %d %v", ok.StatusCode, err)
	}
	if raw, _ := nodetest.Store(b).GetRaw(ctx, note.ID); raw == nil {
		t.Fatal("the note did not arrive")
	}
	gone(t, filepath.Join(b.Dir, "bundle-upload-*"))
	split, _ := json.Marshal(bundles.Export{Passphrase: pass, Split: 1 << 20})
	if resp := authed(t, "POST", srvA.URL+"/api/v1/bundle/download", bytes.NewReader(split), nil); resp.StatusCode != 400 {
		t.Errorf("download with split: %d", resp.StatusCode)
	}
}

// TestBadBundleSameCode posts the same bad bundle to both routes that
// read one, by path (import) and by its bytes (upload): the same failure
// gets the same code and status.
func TestBadBundleSameCode(t *testing.T) {
	a, srvA := serveTest(t)
	_, srvB := serveTest(t)
	if _, err := a.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(bundles.Export{Passphrase: "right"})
	resp := authed(t, "POST", srvA.URL+"/api/v1/bundle/download", bytes.NewReader(body), nil)
	sealed, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	noise := make([]byte, 64<<10)
	rand.Read(noise)
	// Its key slots, at the start and their copy at the end: with only
	// one copy damaged it opens; a damaged header after them is read
	// anyway.
	damaged := bytes.Clone(sealed)
	for i := range 1024 {
		damaged[i] ^= 0xff
		damaged[len(damaged)-1-i] ^= 0xff
	}
	for _, c := range []struct {
		name, pass string
		file       []byte
	}{
		{"random bytes", "", noise},
		{"too small", "", []byte("hello")},
		{"wrong passphrase", "wrong", sealed},
		{"damaged", "right", damaged},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stick.bin")
			os.WriteFile(path, c.file, 0o600)
			req, _ := json.Marshal(bundles.Import{Paths: []string{path}, Passphrase: c.pass})
			byPath := authed(t, "POST", srvB.URL+"/api/v1/bundle/import", bytes.NewReader(req), nil)
			byBytes := authed(t, "POST", srvB.URL+"/api/v1/bundle/upload", bytes.NewReader(c.file), http.Header{"X-Bundle-Passphrase": {url.PathEscape(c.pass)}})
			var e1, e2 Error
			json.NewDecoder(byPath.Body).Decode(&e1)
			json.NewDecoder(byBytes.Body).Decode(&e2)
			if e1.Code != CodeNotABundle || e2.Code != CodeNotABundle || byPath.StatusCode != byBytes.StatusCode || byPath.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("import: %d %+v; upload: %d %+v", byPath.StatusCode, e1, byBytes.StatusCode, e2)
			}
			if want := strings.ReplaceAll(strings.ReplaceAll(e1.Msg, " "+path, ""), path+": ", ""); e2.Msg != want || strings.Contains(e2.Msg, "upload.bundle") {
				t.Errorf("upload says %q; import said %q", e2.Msg, e1.Msg)
			}
		})
	}

	// Across the API, the client's error is still bundles.ErrNotABundle.
	_, err := Call(context.Background(), InProcess(a), ImportBundle, bundles.Import{Paths: []string{writeTemp(t, noise)}})
	if !errors.Is(err, bundles.ErrNotABundle) {
		t.Fatalf("client: %v", err)
	}
}

func writeTemp(t *testing.T, b []byte) string {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Export and download map their failures the same way: a bundle for a
// peer never met is unknown_peer from both, not invalid from one.
func TestBundleExportDownloadSameCode(t *testing.T) {
	a, srv := serveTest(t)
	if _, err := a.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	req := bundles.Export{For: "ws://192.0.2.1:7447", Passphrase: "p"}
	dir := t.TempDir()
	ex := req
	ex.Path = filepath.Join(dir, "x.bundle")
	var ae *Error
	if _, err := Call(context.Background(), NewClient(srv.URL, "secret-token"), ExportBundle, ex); !errors.As(err, &ae) || ae.Code != CodeUnknownPeer {
		t.Fatalf("export: %v", err)
	}
	body, _ := json.Marshal(req)
	resp := authed(t, "POST", srv.URL+"/api/v1/bundle/download", bytes.NewReader(body), nil)
	var e Error
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 404 || e.Code != CodeUnknownPeer {
		t.Fatalf("download: %d %+v", resp.StatusCode, e)
	}
}
