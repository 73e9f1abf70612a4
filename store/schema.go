package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] upgrades the schema from version i to i+1. Versions are kept
// in SQLite's user_version; a store written by a newer Caravan is refused
// rather than guessed at.
var migrations = []string{
	// 0 -> 1: events, tag index, earlier versions of addressable events,
	// deletion tombstones.
	`
CREATE TABLE events (
	eid         INTEGER PRIMARY KEY,
	id          BLOB    NOT NULL UNIQUE,
	pubkey      BLOB    NOT NULL,
	created_at  INTEGER NOT NULL,
	kind        INTEGER NOT NULL,
	d           TEXT,              -- replaceable: '', addressable: the d tag, others NULL
	expiration  INTEGER,           -- NIP-40, NULL when none
	received_at INTEGER NOT NULL,
	raw         BLOB    NOT NULL   -- the event as JSON
);
CREATE INDEX events_author   ON events(pubkey, kind, created_at);
CREATE INDEX events_kind     ON events(kind, created_at);
CREATE INDEX events_created  ON events(created_at);
CREATE INDEX events_address  ON events(pubkey, kind, d) WHERE d IS NOT NULL;
CREATE INDEX events_expiring ON events(expiration) WHERE expiration IS NOT NULL;

-- Single-letter tags, for NIP-01 "#x" filters. tag is "x:value".
CREATE TABLE tags (
	tag        TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	eid        INTEGER NOT NULL,
	PRIMARY KEY (tag, created_at, eid)
) WITHOUT ROWID;

-- Earlier versions of addressable events, still readable by id (a
-- translation points at the exact version it translates).
CREATE TABLE versions (
	id         BLOB    NOT NULL PRIMARY KEY,
	pubkey     BLOB    NOT NULL,
	address    TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	raw        BLOB    NOT NULL
) WITHOUT ROWID;
CREATE INDEX versions_address ON versions(address, created_at);

-- NIP-09 deletion requests. target is an event id (hex) or an address
-- "kind:pubkey:d"; for addresses, versions up to created_at are deleted.
CREATE TABLE deletions (
	target     TEXT    NOT NULL,
	pubkey     BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (target, pubkey)
) WITHOUT ROWID;
`,
	// 1 -> 2: the private vault (rows encrypted by package msg; the store
	// sees only opaque keys and ciphertext) and content-addressed blobs.
	`
CREATE TABLE vault (
	owner BLOB NOT NULL,   -- identity public key
	key   BLOB NOT NULL,   -- keyed hash of the row's name
	kind  BLOB NOT NULL,   -- keyed hash of the row's kind
	data  BLOB NOT NULL,   -- nonce and ciphertext
	PRIMARY KEY (owner, key)
) WITHOUT ROWID;
CREATE INDEX vault_kind ON vault(owner, kind);

CREATE TABLE blobs (
	sha256  BLOB    NOT NULL PRIMARY KEY,
	size    INTEGER NOT NULL,
	type    TEXT    NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	data    BLOB    NOT NULL
) WITHOUT ROWID;
`,
}

// SchemaVersion is the schema version this code writes.
var SchemaVersion = len(migrations)

func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store schema version %d is newer than this caravan understands (%d): %w", v, len(migrations), ErrTooNew)
	}
	for ; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate schema %d -> %d: %w", v, v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate schema %d -> %d: %w", v, v+1, err)
		}
	}
	return nil
}
