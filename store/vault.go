package store

import (
	"context"
	"database/sql"
	"errors"
)

// run runs f in the writer's next transaction and waits for the commit.
func (s *Store) run(ctx context.Context, f func(ctx context.Context, c *sql.Conn) error) error {
	_, err := s.save(ctx, &saveReq{job: f})
	return err
}

// VaultPut stores (or replaces) one opaque vault row. The store never
// sees names, kinds or contents: package msg hashes and encrypts them.
func (s *Store) VaultPut(ctx context.Context, owner, key, kind, data []byte) error {
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `INSERT INTO vault (owner, key, kind, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (owner, key) DO UPDATE SET kind = excluded.kind, data = excluded.data`, owner, key, kind, data)
		return err
	})
}

// VaultGet returns one row's data, or nil if there is none.
func (s *Store) VaultGet(ctx context.Context, owner, key []byte) ([]byte, error) {
	var data []byte
	err := s.read.QueryRowContext(ctx, `SELECT data FROM vault WHERE owner = ? AND key = ?`, owner, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return data, err
}

// VaultList returns the data of every row of one kind.
func (s *Store) VaultList(ctx context.Context, owner, kind []byte) ([][]byte, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT data FROM vault WHERE owner = ? AND kind = ?`, owner, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var d []byte
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// VaultDelete removes one row.
func (s *Store) VaultDelete(ctx context.Context, owner, key []byte) error {
	return s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `DELETE FROM vault WHERE owner = ? AND key = ?`, owner, key)
		return err
	})
}

// EraseVault deletes every vault row of every owner, with SQLite's
// secure_delete on so the freed pages are zeroed, then checkpoints the
// write-ahead log so the old pages leave it too. It returns the number of
// rows removed.
func (s *Store) EraseVault(ctx context.Context) (int64, error) {
	var n int64
	err := s.run(ctx, func(ctx context.Context, c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
			return err
		}
		defer c.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = OFF`)
		res, err := c.ExecContext(ctx, `DELETE FROM vault`)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return n, err
	}
	_, err = s.read.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return n, err
}
