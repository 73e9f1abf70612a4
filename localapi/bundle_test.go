package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/bundles"
	"github.com/nbd-wtf/go-nostr"
)

func TestBundleDownloadUpload(t *testing.T) {
	a, srvA := serveTest(t)
	b, srvB := serveTest(t)
	ctx := context.Background()
	if _, err := a.Keys.New("me", "", true); err != nil {
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
	if raw, _ := b.Store.GetRaw(ctx, note.ID); raw == nil {
		t.Fatal("the note did not arrive")
	}
	gone(t, filepath.Join(b.Dir, "bundle-upload-*"))
	split, _ := json.Marshal(bundles.Export{Passphrase: pass, Split: 1 << 20})
	if resp := authed(t, "POST", srvA.URL+"/api/v1/bundle/download", bytes.NewReader(split), nil); resp.StatusCode != 400 {
		t.Errorf("download with split: %d", resp.StatusCode)
	}
}
