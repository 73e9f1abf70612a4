package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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
