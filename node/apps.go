package node

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/apps"
)

// AppsDir is the folder of the data directory holding the program files
// this node hands out (package apps), served at /apps/ on the relay port.
const AppsDir = "apps"

// appsMu makes publishes and removals of the folder one at a time; only
// one process uses a data directory, so a lock in memory is enough.
var appsMu sync.Mutex

func (n *Node) appsDir() string { return filepath.Join(n.Dir, AppsDir) }

// PublishApps copies the caravan binaries that src's SHA256SUMS lists into
// the data directory, checking each against its sum, and signs the sums
// as identity as ("" is the default). The signatures are not stored as
// events nor synced: who hands out the program stays on this device.
func (n *Node) PublishApps(ctx context.Context, as, src string) (*apps.Set, error) {
	appsMu.Lock()
	defer appsMu.Unlock()
	return apps.Publish(n.appsDir(), src, apps.PublishOptions{
		Sign: func(ev *nostr.Event) error { return n.kr.Sign(as, ev) },
		Now:  n.now,
	})
}

// Apps verifies and describes the published program files. It returns
// apps.ErrNothingPublished when there are none.
func (n *Node) Apps(ctx context.Context) (*apps.Set, error) {
	if _, err := os.Stat(n.appsDir()); errors.Is(err, fs.ErrNotExist) {
		return nil, apps.ErrNothingPublished
	}
	return apps.Verify(n.appsDir(), apps.VerifyOptions{})
}

// RemoveApps stops handing out the program: the folder is deleted.
func (n *Node) RemoveApps(ctx context.Context) error {
	appsMu.Lock()
	defer appsMu.Unlock()
	return apps.Remove(n.appsDir())
}

// appsHandler serves the download page and the files at /apps/.
func (n *Node) appsHandler() http.Handler { return apps.NewHandler(n.appsDir()) }
