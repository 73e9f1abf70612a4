package localapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
)

func TestAppsEndpoints(t *testing.T) {
	n, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx := context.Background()
	if _, err := Call(ctx, c, Apps, Empty{}); !errors.Is(err, node.ErrNotFound) {
		t.Fatalf("nothing published: %v", err)
	}

	dir := t.TempDir()
	bin := []byte("linux binary\n")
	os.WriteFile(filepath.Join(dir, "caravan-linux-amd64"), bin, 0o644)
	h := sha256.Sum256(bin)
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(hex.EncodeToString(h[:])+"  caravan-linux-amd64\n"), 0o644)

	for _, c := range []struct{ dir, msg, hint string }{
		{"", `folder "" is not an absolute path`, "full path"},
		{"rel", `folder "rel" is not an absolute path`, "full path"},
		{filepath.Join(dir, "nope"), "is not a folder; nothing was published", "SHA256SUMS"},
	} {
		_, err := Call(ctx, NewClient(srv.URL, "secret-token"), PublishApps, AppsPublishRequest{Dir: c.dir})
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != CodeInvalid || !strings.Contains(ae.Msg, c.msg) || !strings.Contains(ae.Hint, c.hint) {
			t.Errorf("%q: %#v", c.dir, err)
		}
	}

	// Locked: the error says so, as for posting.
	if _, err := n.NewIdentity("me", "pass", false); err != nil {
		t.Fatal(err)
	}
	n.Lock()
	if _, err := Call(ctx, c, PublishApps, AppsPublishRequest{Dir: dir}); !errors.Is(err, keys.ErrLocked) {
		t.Fatalf("locked: %v", err)
	}
	if _, err := Call(ctx, c, Unlock, UnlockRequest{Name: "me", Passphrase: "pass"}); err != nil {
		t.Fatal(err)
	}
	set, err := Call(ctx, c, PublishApps, AppsPublishRequest{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	me, _ := n.Identity("")
	if len(set.Files) != 1 || set.Signer != me.PubKey.Hex() || set.NPub != me.NPub {
		t.Errorf("published: %+v", set)
	}
	if got, err := Call(ctx, c, Apps, Empty{}); err != nil || got.Files[0].SHA256 != hex.EncodeToString(h[:]) {
		t.Errorf("list: %+v %v", got, err)
	}
	if _, err := Call(ctx, c, RemoveApps, Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Call(ctx, c, RemoveApps, Empty{}); !errors.Is(err, node.ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
}
