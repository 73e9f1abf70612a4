package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Blobs are content-addressed files (photos, attachments, encrypted files
// of private messages), named by the sha256 of their bytes. A node keeps
// the blobs that events it holds reference (NIP-92 imeta "x"), those
// uploaded to it by people it serves (Blossom), and those it was asked
// to fetch (a file in a private message). Blobs arriving in parts are kept
// part by part, so a cut transfer resumes where it stopped; the blob is
// stored only once all of it has arrived and its hash matches.

// BlobMeta describes a stored blob.
type BlobMeta struct {
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Type    string `json:"type"`
	Created int64  `json:"uploaded"`
}

// BlobWant is a blob the node would like to have.
type BlobWant struct {
	SHA256 string
	Have   int64 // bytes already received
	Total  int64 // announced size, 0 if unknown
}

// ErrBlobMismatch means received bytes do not have the hash they were sent
// under; they were discarded.
var ErrBlobMismatch = errors.New("the bytes do not match the blob's sha256")

func blobKey(sum string) ([]byte, error) {
	b, err := hex.DecodeString(sum)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%q is not a sha256 in hex (64 hex digits)", clip(sum))
	}
	return b, nil
}

// PutBlob stores a blob and returns its sha256; owners (public keys, raw)
// are recorded as its uploaders.
func (s *Store) PutBlob(ctx context.Context, data []byte, mime string, owners ...[]byte) ([32]byte, error) {
	sum := sha256.Sum256(data)
	err := s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		if err := s.insertBlob(ctx, c, sum[:], mime, data); err != nil {
			return err
		}
		for _, o := range owners {
			if _, err := c.ExecContext(ctx, `INSERT OR IGNORE INTO blob_owners (sha256, pubkey, created) VALUES (?, ?, ?)`, sum[:], o, s.now().Unix()); err != nil {
				return err
			}
		}
		_, err := c.ExecContext(ctx, `DELETE FROM blob_parts WHERE sha256 = ?`, sum[:])
		return err
	})
	return sum, err
}

// pieceSize is the size of the rows blob bytes are kept in.
const pieceSize = 64 << 10

// insertBlob stores a blob (metadata and pieces) unless it is held.
func (s *Store) insertBlob(ctx context.Context, c *sql.Conn, sum []byte, mime string, data []byte) error {
	res, err := c.ExecContext(ctx, `INSERT OR IGNORE INTO blobs (sha256, size, type, created, data) VALUES (?, ?, ?, ?, x'')`,
		sum, len(data), mime, s.now().Unix())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already held
	}
	for off := 0; off < len(data); off += pieceSize {
		if _, err := c.ExecContext(ctx, `INSERT INTO blob_data (sha256, offset, data) VALUES (?, ?, ?)`,
			sum, off, data[off:min(off+pieceSize, len(data))]); err != nil {
			return err
		}
	}
	return nil
}

// Blob returns a blob by its sha256, or nil.
func (s *Store) Blob(ctx context.Context, sum []byte) ([]byte, error) {
	if len(sum) != 32 {
		return nil, fmt.Errorf("a blob hash is 32 bytes")
	}
	m, ok, err := s.BlobInfo(ctx, hex.EncodeToString(sum))
	if err != nil || !ok {
		return nil, err
	}
	return s.BlobRange(ctx, m.SHA256, 0, m.Size)
}

// BlobInfo describes a held blob; ok is false when it is not held.
func (s *Store) BlobInfo(ctx context.Context, sum string) (m BlobMeta, ok bool, err error) {
	key, err := blobKey(sum)
	if err != nil {
		return m, false, err
	}
	err = s.read.QueryRowContext(ctx, `SELECT size, type, created FROM blobs WHERE sha256 = ?`, key).Scan(&m.Size, &m.Type, &m.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	m.SHA256 = hex.EncodeToString(key)
	return m, err == nil, err
}

// BlobRange reads up to n bytes of a held blob from offset, without
// loading the rest.
func (s *Store) BlobRange(ctx context.Context, sum string, offset, n int64) ([]byte, error) {
	key, err := blobKey(sum)
	if err != nil {
		return nil, err
	}
	if offset < 0 || n < 0 {
		return nil, fmt.Errorf("blob range %d+%d is negative", offset, n)
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT offset, data FROM blob_data WHERE sha256 = ?1 AND offset < ?3
AND offset >= (SELECT coalesce(max(offset), 0) FROM blob_data WHERE sha256 = ?1 AND offset <= ?2)
ORDER BY offset`, key, offset, offset+n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []byte{}
	for rows.Next() {
		var at int64
		var piece []byte
		if err := rows.Scan(&at, &piece); err != nil {
			return nil, err
		}
		lo := max(offset-at, 0)
		hi := min(offset+n-at, int64(len(piece)))
		if lo < hi {
			out = append(out, piece[lo:hi]...)
		}
	}
	return out, rows.Err()
}

// BlobsOf lists the blobs an owner uploaded, newest first, optionally
// within [since, until] (0 for open ends).
func (s *Store) BlobsOf(ctx context.Context, owner []byte, since, until int64) ([]BlobMeta, error) {
	if until == 0 {
		until = 1 << 62
	}
	rows, err := s.read.QueryContext(ctx, `
SELECT b.sha256, b.size, b.type, o.created FROM blob_owners o JOIN blobs b ON b.sha256 = o.sha256
WHERE o.pubkey = ? AND o.created >= ? AND o.created <= ? ORDER BY o.created DESC LIMIT 10000`, owner, since, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BlobMeta
	for rows.Next() {
		var m BlobMeta
		var key []byte
		if err := rows.Scan(&key, &m.Size, &m.Type, &m.Created); err != nil {
			return nil, err
		}
		m.SHA256 = hex.EncodeToString(key)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DropBlobOwner forgets that owner uploaded the blob, and removes the blob
// once nobody owns it and no held event references it. It reports whether
// the owner had it.
func (s *Store) DropBlobOwner(ctx context.Context, sum string, owner []byte) (bool, error) {
	key, err := blobKey(sum)
	if err != nil {
		return false, err
	}
	var had bool
	err = s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `DELETE FROM blob_owners WHERE sha256 = ? AND pubkey = ?`, key, owner)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		had = n > 0
		res, err = c.ExecContext(ctx, `DELETE FROM blobs WHERE sha256 = ?1
AND NOT EXISTS (SELECT 1 FROM blob_owners WHERE sha256 = ?1)
AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE sha256 = ?1)
AND NOT EXISTS (SELECT 1 FROM blob_wants WHERE sha256 = ?1)`, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			_, err = c.ExecContext(ctx, `DELETE FROM blob_data WHERE sha256 = ?`, key)
		}
		return err
	})
	return had, err
}

// WantBlob asks for a blob no held public event references (the file of
// a private message, say): sync fetches it from peers that have it.
func (s *Store) WantBlob(ctx context.Context, sum string) error {
	key, err := blobKey(sum)
	if err != nil {
		return err
	}
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT OR IGNORE INTO blob_wants (sha256, created) VALUES (?, ?)`, key, s.now().Unix())
		return err
	})
}

// WantedBlobs lists blobs that held events reference, or that were asked
// for, and that are not held yet, with what has arrived of each.
func (s *Store) WantedBlobs(ctx context.Context, limit int) ([]BlobWant, error) {
	rows, err := s.queryPrepared(ctx, `
WITH wanted AS (SELECT DISTINCT sha256 FROM blob_refs UNION SELECT sha256 FROM blob_wants)
SELECT w.sha256, coalesce(sum(length(p.data)), 0), coalesce(max(p.total), 0)
FROM wanted w LEFT JOIN blob_parts p ON p.sha256 = w.sha256
WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = w.sha256)
GROUP BY w.sha256 LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BlobWant
	for rows.Next() {
		var key []byte
		var w BlobWant
		if err := rows.Scan(&key, &w.Have, &w.Total); err != nil {
			return nil, err
		}
		w.SHA256 = hex.EncodeToString(key)
		out = append(out, w)
	}
	return out, rows.Err()
}

// BlobWanted says whether the blob was asked for (WantBlob): the file of
// a private message to one of the node's people, say.
func (s *Store) BlobWanted(ctx context.Context, sum string) (bool, error) {
	key, err := blobKey(sum)
	if err != nil {
		return false, err
	}
	var one int
	err = s.read.QueryRowContext(ctx, `SELECT 1 FROM blob_wants WHERE sha256 = ?`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// BlobReferenced says whether a held event references the blob or it was
// asked for.
func (s *Store) BlobReferenced(ctx context.Context, sum string) (bool, error) {
	key, err := blobKey(sum)
	if err != nil {
		return false, err
	}
	var one int
	err = s.read.QueryRowContext(ctx, `SELECT 1 FROM blob_refs WHERE sha256 = ?1 UNION ALL SELECT 1 FROM blob_wants WHERE sha256 = ?1 LIMIT 1`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// PutBlobPart stores the bytes of a blob from offset, which must be where
// what has arrived so far ends (have). total is the blob's whole size.
// When the last part arrives the blob is checked against its hash and
// stored (done); if it does not match, every part is discarded and
// ErrBlobMismatch returned. It returns how many bytes are now held.
func (s *Store) PutBlobPart(ctx context.Context, sum string, offset, total int64, data []byte) (have int64, done bool, err error) {
	key, err := blobKey(sum)
	if err != nil {
		return 0, false, err
	}
	if total <= 0 || offset < 0 || offset+int64(len(data)) > total {
		return 0, false, fmt.Errorf("blob %s: a part at %d of %d bytes does not fit a blob of %d bytes", sum[:12], offset, len(data), total)
	}
	var mismatch error
	err = s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		var held int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE sha256 = ?`, key).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			have, done = total, true
			return nil
		}
		var prevTotal int64
		if err := c.QueryRowContext(ctx, `SELECT coalesce(sum(length(data)), 0), coalesce(max(total), 0) FROM blob_parts WHERE sha256 = ?`, key).Scan(&have, &prevTotal); err != nil {
			return err
		}
		if prevTotal != 0 && prevTotal != total {
			// Another sender announced another size: one of them lies.
			// Start again from this one.
			if _, err := c.ExecContext(ctx, `DELETE FROM blob_parts WHERE sha256 = ?`, key); err != nil {
				return err
			}
			have = 0
		}
		if offset != have {
			return nil // not the next part: the caller resumes from have
		}
		if len(data) > 0 {
			if _, err := c.ExecContext(ctx, `INSERT INTO blob_parts (sha256, offset, total, data) VALUES (?, ?, ?, ?)`, key, offset, total, data); err != nil {
				return err
			}
			have += int64(len(data))
		}
		if have < total {
			return nil
		}
		rows, err := c.QueryContext(ctx, `SELECT data FROM blob_parts WHERE sha256 = ? ORDER BY offset`, key)
		if err != nil {
			return err
		}
		var whole bytes.Buffer
		for rows.Next() {
			var p []byte
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return err
			}
			whole.Write(p)
		}
		rows.Close()
		if _, err := c.ExecContext(ctx, `DELETE FROM blob_parts WHERE sha256 = ?`, key); err != nil {
			return err
		}
		if got := sha256.Sum256(whole.Bytes()); !bytes.Equal(got[:], key) {
			// Not an error of the transaction: the parts' removal must
			// be committed, or the same bad parts would be there to
			// fail again on every later try.
			have = 0
			mismatch = fmt.Errorf("blob %s: %w (got %x); the %d bytes were discarded", sum, ErrBlobMismatch, got[:6], whole.Len())
			return nil
		}
		err = s.insertBlob(ctx, c, key, http.DetectContentType(whole.Bytes()), whole.Bytes())
		done = err == nil
		return err
	})
	if err == nil {
		err = mismatch
	}
	return have, done, err
}

// Holding is a peer known to hold an event.
type Holding struct {
	Peer string `json:"peer"`
	At   int64  `json:"at"` // when it was last seen to hold it
}

// AddHoldings records that peer holds the events with these ids. Only
// reports (kind 30023), for "report status", and gift wraps (kind 1059)
// are recorded; of a wrap only the first holder, which is enough to say
// that it left this node (HeldByPeers), and only while it is stored.
func (s *Store) AddHoldings(ctx context.Context, peer string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().Unix()
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		st, err := c.PrepareContext(ctx, `
INSERT INTO holdings (id, peer, at)
SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM events WHERE id = ?1 AND (kind = `+sqlReport+`
		OR kind = `+sqlGiftWrap+` AND NOT EXISTS (SELECT 1 FROM holdings WHERE id = ?1)))
	OR EXISTS (SELECT 1 FROM versions WHERE id = ?1)
ON CONFLICT (id, peer) DO UPDATE SET at = excluded.at`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			key, err := hex.DecodeString(id)
			if err != nil || len(key) != 32 {
				continue
			}
			if _, err := st.ExecContext(ctx, key, peer, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Holders lists the peers known to hold an event, most recent first.
func (s *Store) Holders(ctx context.Context, id string) ([]Holding, error) {
	key, err := hex.DecodeString(id)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%q is not an event id", clip(id))
	}
	rows, err := s.read.QueryContext(ctx, `SELECT peer, at FROM holdings WHERE id = ? ORDER BY at DESC`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Holding
	for rows.Next() {
		var h Holding
		if err := rows.Scan(&h.Peer, &h.At); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HeldByPeers returns those of ids (hex event ids) that some peer is
// known to hold (see AddHoldings), in the order given, each once.
func (s *Store) HeldByPeers(ctx context.Context, ids []string) ([]string, error) {
	out := []string{}
	seen := make(map[string]bool, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, 0, len(chunk))
		for _, id := range chunk {
			key, err := hex.DecodeString(id)
			if err != nil || len(key) != 32 {
				return nil, fmt.Errorf("%q is not an event id", clip(id))
			}
			args = append(args, key)
		}
		rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT id FROM holdings WHERE id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		held := map[string]bool{}
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			held[hex.EncodeToString(id)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range chunk {
			if held[id] && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// BlobBytes is the size of all held blobs.
func (s *Store) BlobBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0) FROM blobs`).Scan(&n)
	return n, err
}

// VerifyBlobs reads every held blob and checks that its bytes have its
// size and sha256, and that the parts of every blob still arriving run
// from offset 0 without a gap, as resuming needs. It returns an error
// naming the first blob that fails, nil when all are sound.
func (s *Store) VerifyBlobs(ctx context.Context) error {
	rows, err := s.read.QueryContext(ctx, `SELECT sha256, size FROM blobs`)
	if err != nil {
		return err
	}
	type held struct {
		key  []byte
		size int64
	}
	var all []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.key, &h.size); err != nil {
			rows.Close()
			return err
		}
		all = append(all, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range all {
		sum := hex.EncodeToString(h.key)
		data, err := s.BlobRange(ctx, sum, 0, h.size+1)
		if err != nil {
			return err
		}
		if got := sha256.Sum256(data); int64(len(data)) != h.size || !bytes.Equal(got[:], h.key) {
			return fmt.Errorf("blob %s: %d bytes with sha256 %x, recorded as %d bytes", sum, len(data), got[:6], h.size)
		}
	}
	rows, err = s.read.QueryContext(ctx, `
SELECT sha256, sum(length(data)), max(offset + length(data)), min(offset), min(total), max(total)
FROM blob_parts GROUP BY sha256`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key                             []byte
			have, end, first, total, total2 int64
		)
		if err := rows.Scan(&key, &have, &end, &first, &total, &total2); err != nil {
			return err
		}
		if first != 0 || have != end || end > total || total != total2 {
			return fmt.Errorf("blob %x arriving: parts from %d hold %d bytes up to %d of %d (or %d)", key, first, have, end, total, total2)
		}
	}
	return rows.Err()
}
