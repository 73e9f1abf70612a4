package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestVerifyBlobs: sound blobs and partly arrived ones pass; a blob whose
// bytes were damaged, and a part left after a gap, are named.
func TestVerifyBlobs(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	whole := []byte(strings.Repeat("photo bytes ", 20000))
	sum, err := s.PutBlob(ctx, whole, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	arriving := sha256.Sum256([]byte("arriving"))
	ax := hex.EncodeToString(arriving[:])
	if _, _, err := s.PutBlobPart(ctx, ax, 0, 8, []byte("arri")); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyBlobs(ctx); err != nil {
		t.Fatalf("sound blobs: %v", err)
	}
	damage := func(q string, args ...any) {
		t.Helper()
		if err := s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
			_, err := c.ExecContext(ctx, q, args...)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	damage(`UPDATE blob_parts SET offset = 2 WHERE sha256 = ?`, arriving[:])
	if err := s.VerifyBlobs(ctx); err == nil || !strings.Contains(err.Error(), ax[:12]) {
		t.Errorf("a part after a gap: %v", err)
	}
	damage(`DELETE FROM blob_parts`)
	damage(`UPDATE blob_data SET data = x'00' WHERE sha256 = ? AND offset = 65536`, sum[:])
	if err := s.VerifyBlobs(ctx); err == nil || !strings.Contains(err.Error(), hex.EncodeToString(sum[:])) {
		t.Errorf("a damaged blob: %v", err)
	}
}

// TestBlobMismatchDiscardsParts: when the last part of a blob arrives and
// the whole does not match its hash, every part is discarded for good, so
// an honest sender can then deliver it from the start.
func TestBlobMismatchDiscardsParts(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	real := []byte(strings.Repeat("the real photo ", 1000))
	h := sha256.Sum256(real)
	x := hex.EncodeToString(h[:])
	forged := append([]byte(nil), real...)
	forged[len(forged)-1] ^= 1
	half := int64(len(real) / 2)
	if have, _, err := s.PutBlobPart(ctx, x, 0, int64(len(real)), forged[:half]); err != nil || have != half {
		t.Fatalf("first part: %d %v", have, err)
	}
	if _, _, err := s.PutBlobPart(ctx, x, half, int64(len(real)), forged[half:]); !errors.Is(err, ErrBlobMismatch) {
		t.Fatalf("the forged last part: %v, want ErrBlobMismatch", err)
	}
	if err := s.VerifyBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	have, done, err := s.PutBlobPart(ctx, x, 0, int64(len(real)), real)
	if err != nil || !done || have != int64(len(real)) {
		t.Fatalf("the real blob from the start, after a forged one: %d %v %v", have, done, err)
	}
}
