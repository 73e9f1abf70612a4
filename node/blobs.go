package node

import (
	"context"
	"encoding/hex"
	"net/http"

	"github.com/caravan-mesh/caravan/blossom"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/caravan-mesh/caravan/store"
)

// NewBlossom returns the node's Blossom server (package blossom): its
// blobs for anyone who asks by hash, uploads from its own identities and
// their contacts.
func (n *Node) NewBlossom() *blossom.Server {
	return blossom.New(blossomBackend{n}, blossom.Options{
		MaxUpload: n.Config.Policy.MaxBlob,
		BaseURL:   n.Config.MediaURL,
		Now:       n.now,
	})
}

// relayAndBlobs serves the relay endpoint at / and Blossom beside it.
func relayAndBlobs(rl *relay.Relay, bl *blossom.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && blossom.IsBlobPath(r.URL.Path) {
			bl.ServeHTTP(w, r)
			return
		}
		rl.ServeHTTP(w, r)
	})
}

type blossomBackend struct{ n *Node }

func (b blossomBackend) BlobInfo(ctx context.Context, sum string) (store.BlobMeta, bool, error) {
	return b.n.Store.BlobInfo(ctx, sum)
}

func (b blossomBackend) BlobRange(ctx context.Context, sum string, off, n int64) ([]byte, error) {
	return b.n.Store.BlobRange(ctx, sum, off, n)
}

func (b blossomBackend) Put(ctx context.Context, data []byte, mime, owner string) (store.BlobMeta, error) {
	pk, _ := hex.DecodeString(owner)
	sum, err := b.n.Store.PutBlob(ctx, data, mime, pk)
	if err != nil {
		return store.BlobMeta{}, err
	}
	m, _, err := b.n.Store.BlobInfo(ctx, hex.EncodeToString(sum[:]))
	return m, err
}

func (b blossomBackend) BlobsOf(ctx context.Context, owner string, since, until int64) ([]store.BlobMeta, error) {
	pk, _ := hex.DecodeString(owner)
	return b.n.Store.BlobsOf(ctx, pk, since, until)
}

func (b blossomBackend) Drop(ctx context.Context, sum, owner string) (bool, error) {
	pk, _ := hex.DecodeString(owner)
	return b.n.Store.DropBlobOwner(ctx, sum, pk)
}

func (b blossomBackend) MayUpload(ctx context.Context, pubkey string) (bool, string) {
	b.n.refreshGraph(ctx)
	g := b.n.Policy.Graph()
	if g.Own[pubkey] || g.Hop1[pubkey] {
		return true, ""
	}
	return false, "this node stores uploads only from its own identities and the people they follow"
}
