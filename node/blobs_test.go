package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/caravan-mesh/caravan/store"
)

func TestBlobsNotReferencedAreRefused(t *testing.T) {
	ctx := context.Background()
	n := person(t, "n", "")
	b := n.Blobs()
	data := []byte("unasked")
	h := sha256.Sum256(data)
	if _, _, err := b.PutBlobPart(ctx, hex.EncodeToString(h[:]), 0, int64(len(data)), data); err == nil {
		t.Error("a blob no event references was taken")
	}
	n.Config.Policy.MaxBlob = 10
	n.st.WantBlob(ctx, hex.EncodeToString(h[:]))
	if _, _, err := b.PutBlobPart(ctx, hex.EncodeToString(h[:]), 0, 11, []byte("x")); err == nil {
		t.Error("a blob over the cap was taken")
	}
	n.Config.Policy.MaxBlob = 1 << 20
	if _, done, err := b.PutBlobPart(ctx, hex.EncodeToString(h[:]), 0, int64(len(data)), []byte("forged!")); done || err == nil || !errors.Is(err, errMismatch()) {
		t.Errorf("forged bytes: done %v err %v", done, err)
	}
}

func errMismatch() error { return store.ErrBlobMismatch }
