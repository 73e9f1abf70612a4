package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/caravan-mesh/caravan/apps"
	"github.com/caravan-mesh/caravan/blossom"
	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/caravan-mesh/caravan/store"
)

// NewBlossom returns the node's Blossom server (package blossom): its
// blobs for anyone who asks by hash, uploads from its own identities and
// their contacts, and from guests within their daily bytes (guests.go).
func (n *Node) NewBlossom() *blossom.Server {
	return blossom.New(blossomBackend{n}, blossom.Options{
		MaxUpload: n.Config.Policy.MaxBlob,
		BaseURL:   n.Config.MediaURL,
		Now:       n.now,
	})
}

// relayAndBlobs serves the relay endpoint at / and Blossom beside it, and
// the program itself for download at /apps/ (package apps).
func (n *Node) relayAndBlobs(rl *relay.Relay, bl *blossom.Server, ap http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if relay.IsProtocol(r) {
			rl.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/apps" || strings.HasPrefix(r.URL.Path, apps.Prefix) {
			ap.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != "/" && blossom.IsBlobPath(r.URL.Path) {
			bl.ServeHTTP(w, r)
			return
		}
		for _, f := range n.hooks.relayHTTP.All() {
			if f(w, r) {
				return
			}
		}
		rl.ServeHTTP(w, r)
	})
}

type blossomBackend struct{ n *Node }

func (b blossomBackend) BlobInfo(ctx context.Context, sum string) (store.BlobMeta, bool, error) {
	return b.n.st.BlobInfo(ctx, sum)
}

func (b blossomBackend) BlobRange(ctx context.Context, sum string, off, n int64) ([]byte, error) {
	return b.n.st.BlobRange(ctx, sum, off, n)
}

func (b blossomBackend) Put(ctx context.Context, data []byte, mime, owner string) (store.BlobMeta, error) {
	pk, _ := hex.DecodeString(owner)
	var sum [32]byte
	// Uploads come from the node's identities, whose files always go in,
	// and from their contacts and guests, whose go in while there is
	// room; a guest's also within its day's bytes and the room for blobs
	// carried for others (policy blobs).
	b.n.refreshGraph(ctx)
	var charge *guestCharge
	if !b.n.trusted(owner) {
		if err := b.n.mayUploadAsGuest(owner, int64(len(data))); err != nil {
			return store.BlobMeta{}, err
		}
		if used, err := b.n.st.BlobBytes(ctx); err != nil {
			return store.BlobMeta{}, err
		} else if pol := b.n.Config.Policy; used+int64(len(data)) > pol.Blobs {
			return store.BlobMeta{}, event.Reject(event.Blocked, "this node's blob space is full (%d of %d bytes; policy blobs)", used, pol.Blobs)
		}
		var err error
		if charge, err = b.n.guests.take(b.n.Config.Guests, owner, 0, int64(len(data)), b.n.now()); err != nil {
			return store.BlobMeta{}, err
		}
	}
	mine := func() bool { return b.n.pol.Graph().Own[owner] }
	err := b.n.withRoom(ctx, blobSize(len(data)), mine, func() (err error) {
		sum, err = b.n.st.PutBlob(ctx, data, mime, pk)
		return err
	})
	charge.settle(err == nil)
	if err != nil {
		return store.BlobMeta{}, err
	}
	m, _, err := b.n.st.BlobInfo(ctx, hex.EncodeToString(sum[:]))
	return m, err
}

func (b blossomBackend) BlobsOf(ctx context.Context, owner string, since, until int64) ([]store.BlobMeta, error) {
	pk, _ := hex.DecodeString(owner)
	return b.n.st.BlobsOf(ctx, pk, since, until)
}

func (b blossomBackend) Drop(ctx context.Context, sum, owner string) (bool, error) {
	pk, _ := hex.DecodeString(owner)
	return b.n.st.DropBlobOwner(ctx, sum, pk)
}

func (b blossomBackend) MayUpload(ctx context.Context, pubkey string, size int64) error {
	b.n.refreshGraph(ctx)
	if b.n.trusted(pubkey) {
		return nil
	}
	return b.n.mayUploadAsGuest(pubkey, size)
}

// Blobs is the node's blob store as a sync session's blob mover (package
// carry) sees it: it takes only blobs that held events reference, within
// the policy's caps. The relay endpoint answers blob messages with it,
// and sync sessions move blobs with it (PutBlobPart applies the same
// rules to blobs from elsewhere).
func (n *Node) Blobs() carry.Blobs { return syncBlobs{n} }

// syncBlobs is Blobs.
type syncBlobs struct{ n *Node }

func (b syncBlobs) WantedBlobs(ctx context.Context, limit int) ([]carry.BlobWant, error) {
	ws, err := b.n.st.WantedBlobs(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]carry.BlobWant, 0, len(ws))
	for _, w := range ws {
		out = append(out, carry.BlobWant{X: w.SHA256, Have: w.Have})
	}
	return out, nil
}

func (b syncBlobs) BlobSize(ctx context.Context, sum string) (int64, bool, error) {
	m, ok, err := b.n.st.BlobInfo(ctx, sum)
	return m.Size, ok, err
}

func (b syncBlobs) BlobRange(ctx context.Context, sum string, off, n int64) ([]byte, error) {
	return b.n.st.BlobRange(ctx, sum, off, n)
}

// PutBlobPart takes only blobs that held events reference (or that were
// asked for), within the policy's caps.
func (b syncBlobs) PutBlobPart(ctx context.Context, sum string, off, total int64, data []byte) (int64, bool, error) {
	pol := b.n.Config.Policy
	if total > pol.MaxBlob {
		return 0, false, fmt.Errorf("blob of %d bytes is over this node's limit of %d (policy max_blob)", total, pol.MaxBlob)
	}
	if ok, err := b.n.st.BlobReferenced(ctx, sum); err != nil {
		return 0, false, err
	} else if !ok {
		if m, held, _ := b.n.st.BlobInfo(ctx, sum); held {
			return m.Size, true, nil
		}
		return 0, false, fmt.Errorf("no event held here references blob %s", sum)
	}
	if off == 0 {
		if used, err := b.n.st.BlobBytes(ctx); err != nil {
			return 0, false, err
		} else if used+total > pol.Blobs {
			return 0, false, fmt.Errorf("this node's blob space is full (%d of %d bytes; policy blobs)", used, pol.Blobs)
		}
	}
	// A file of a private message to the node's people always goes in,
	// as the message does; other blobs while there is room.
	mine := func() bool {
		wanted, err := b.n.st.BlobWanted(ctx, sum)
		return err == nil && wanted
	}
	var (
		have int64
		done bool
	)
	err := b.n.withRoom(ctx, blobSize(len(data)), mine, func() (err error) {
		have, done, err = b.n.st.PutBlobPart(ctx, sum, off, total, data)
		return err
	})
	return have, done, err
}

// PutBlob keeps a blob of the node's people (an attachment, the sealed
// file of a private message), recording owners (public keys, raw) as its
// uploaders. Like their events it always goes in, strangers' data making
// room under the store's quota and on a full disk.
func (n *Node) PutBlob(ctx context.Context, data []byte, mime string, owners ...[]byte) ([32]byte, error) {
	var sum [32]byte
	err := n.withRoom(ctx, blobSize(len(data)), func() bool { return true }, func() (err error) {
		sum, err = n.st.PutBlob(ctx, data, mime, owners...)
		return err
	})
	return sum, err
}

// blobSize is about what n bytes of a blob take in the store.
func blobSize(n int) int64 { return int64(n) + 1<<10 }

// PutBlobPart stores a piece of a blob that arrived from elsewhere (a
// sync, a bundle), under the same rules as from a peer: only a blob that
// an event held here references (or that was asked for), within the
// policy's caps (max_blob, blobs). It returns how many bytes of the blob
// are held and whether it is whole.
func (n *Node) PutBlobPart(ctx context.Context, sum string, off, total int64, data []byte) (have int64, done bool, err error) {
	return syncBlobs{n}.PutBlobPart(ctx, sum, off, total, data)
}
