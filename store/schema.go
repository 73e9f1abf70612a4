package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/caravan-mesh/caravan/event"
)

// Kinds as SQL text, for statements here and elsewhere in the package.
var (
	sqlGiftWrap = strconv.Itoa(event.KindGiftWrap)
	sqlReport   = strconv.Itoa(event.KindReport)
	sqlDraft    = strconv.Itoa(event.KindDraft)
	// sqlSearchable lists the kinds in full-text search: notes and reports.
	sqlSearchable = strconv.Itoa(event.KindTextNote) + ", " + sqlReport
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
	// 2 -> 3: full-text search over notes and reports; which blobs events
	// reference (NIP-92 imeta "x"); partial blobs being received; who
	// uploaded a blob (Blossom BUD-02); blobs wanted for other reasons (a
	// file in a private message); which peers are known to hold an event.
	//
	// Triggers keep search and blob_refs in step with events on every
	// path (insert, replacement, deletion, expiry) without Go code on each.
	`
CREATE VIRTUAL TABLE search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER search_add AFTER INSERT ON events WHEN new.kind IN (` + sqlSearchable + `) BEGIN
	INSERT INTO search (rowid, title, body) VALUES (new.eid,
		coalesce((SELECT json_extract(t.value, '$[1]') FROM json_each(CAST(new.raw AS TEXT), '$.tags') t
			WHERE json_extract(t.value, '$[0]') = 'title' LIMIT 1), ''),
		coalesce((SELECT json_extract(t.value, '$[1]') || char(10) FROM json_each(CAST(new.raw AS TEXT), '$.tags') t
			WHERE json_extract(t.value, '$[0]') = 'summary' LIMIT 1), '') ||
		coalesce(json_extract(CAST(new.raw AS TEXT), '$.content'), ''));
END;
CREATE TRIGGER search_drop AFTER DELETE ON events WHEN old.kind IN (` + sqlSearchable + `) BEGIN
	DELETE FROM search WHERE rowid = old.eid;
END;

CREATE TABLE blob_refs (
	sha256 BLOB    NOT NULL,
	eid    INTEGER NOT NULL,
	PRIMARY KEY (sha256, eid)
) WITHOUT ROWID;
CREATE INDEX blob_refs_eid ON blob_refs(eid);
CREATE TRIGGER blob_refs_add AFTER INSERT ON events WHEN instr(new.raw, '"imeta"') > 0 BEGIN
	INSERT OR IGNORE INTO blob_refs (sha256, eid)
	SELECT unhex(substr(v.value, 3)), new.eid
	FROM json_each(CAST(new.raw AS TEXT), '$.tags') t, json_each(t.value) v
	WHERE json_extract(t.value, '$[0]') = 'imeta' AND v.type = 'text' AND v.value LIKE 'x %'
		AND length(v.value) = 66 AND unhex(substr(v.value, 3)) IS NOT NULL;
END;
CREATE TRIGGER blob_refs_drop AFTER DELETE ON events WHEN instr(old.raw, '"imeta"') > 0 BEGIN
	DELETE FROM blob_refs WHERE eid = old.eid;
END;

CREATE TABLE blob_parts (
	sha256 BLOB    NOT NULL,
	offset INTEGER NOT NULL,
	total  INTEGER NOT NULL,
	data   BLOB    NOT NULL,
	PRIMARY KEY (sha256, offset)
) WITHOUT ROWID;

CREATE TABLE blob_owners (
	sha256  BLOB    NOT NULL,
	pubkey  BLOB    NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (sha256, pubkey)
) WITHOUT ROWID;
CREATE INDEX blob_owners_pubkey ON blob_owners(pubkey, created);

CREATE TABLE blob_wants (
	sha256  BLOB    NOT NULL PRIMARY KEY,
	created INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE holdings (
	id   BLOB    NOT NULL,
	peer TEXT    NOT NULL,
	at   INTEGER NOT NULL,
	PRIMARY KEY (id, peer)
) WITHOUT ROWID;

INSERT INTO search (rowid, title, body)
SELECT eid,
	coalesce((SELECT json_extract(t.value, '$[1]') FROM json_each(CAST(raw AS TEXT), '$.tags') t
		WHERE json_extract(t.value, '$[0]') = 'title' LIMIT 1), ''),
	coalesce((SELECT json_extract(t.value, '$[1]') || char(10) FROM json_each(CAST(raw AS TEXT), '$.tags') t
		WHERE json_extract(t.value, '$[0]') = 'summary' LIMIT 1), '') ||
	coalesce(json_extract(CAST(raw AS TEXT), '$.content'), '')
FROM events WHERE kind IN (` + sqlSearchable + `);
INSERT OR IGNORE INTO blob_refs (sha256, eid)
SELECT unhex(substr(v.value, 3)), e.eid
FROM events e, json_each(CAST(e.raw AS TEXT), '$.tags') t, json_each(t.value) v
WHERE instr(e.raw, '"imeta"') > 0 AND json_extract(t.value, '$[0]') = 'imeta' AND v.type = 'text'
	AND v.value LIKE 'x %' AND length(v.value) = 66 AND unhex(substr(v.value, 3)) IS NOT NULL;
`,
	// 3 -> 4: blob bytes in pieces of 64 KiB. SQLite keeps a large value
	// as a chain of overflow pages that must be walked from the start to
	// read at an offset, so reading a 16 MB blob part by part cost time
	// quadratic in its size; pieces are found by index.
	`
CREATE TABLE blob_data (
	id     INTEGER PRIMARY KEY,
	sha256 BLOB    NOT NULL,
	offset INTEGER NOT NULL,
	data   BLOB    NOT NULL
);
CREATE UNIQUE INDEX blob_data_at ON blob_data(sha256, offset);
INSERT INTO blob_data (sha256, offset, data) SELECT sha256, 0, data FROM blobs WHERE length(data) > 0;
UPDATE blobs SET data = x'';
`,
	// 4 -> 5: what peers are known to hold, for bundles made for them:
	// events they sent us or confirmed (state 1) or that went to them in
	// a bundle not yet confirmed (state 2); the bundles made and read; and
	// how far a complete sync with a peer reached (our eid at its start).
	`
CREATE TABLE peer_events (
	peer   TEXT    NOT NULL,
	id     BLOB    NOT NULL,
	state  INTEGER NOT NULL,
	at     INTEGER NOT NULL,
	PRIMARY KEY (peer, id)
) WITHOUT ROWID;

-- Which bundle carried which event to a peer (an event may go in several).
CREATE TABLE peer_sent (
	peer   TEXT NOT NULL,
	bundle BLOB NOT NULL,
	id     BLOB NOT NULL,
	PRIMARY KEY (peer, bundle, id)
) WITHOUT ROWID;

CREATE TABLE bundles (
	id     BLOB    NOT NULL,
	way    INTEGER NOT NULL, -- 1 read here, 2 made here
	peer   TEXT    NOT NULL, -- who made it, or whom it was made for ('' none)
	events INTEGER NOT NULL,
	at     INTEGER NOT NULL,
	PRIMARY KEY (id, way)
) WITHOUT ROWID;

CREATE TABLE peer_sync (
	peer TEXT    NOT NULL PRIMARY KEY,
	eid  INTEGER NOT NULL,
	at   INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 5 -> 6: events carried for others that may be evicted to make room,
	// by band (1 strangers' events, 2 gift wraps for others, 3 strangers'
	// reports), weakest first: least NIP-13 proof of work, then oldest.
	// Events already held are listed by kind with no proof of work; the
	// node drops a row when its event turns out to be its own or a
	// contact's (see Store.Evict).
	`
CREATE TABLE carried (
	eid        INTEGER PRIMARY KEY,
	band       INTEGER NOT NULL,
	pow        INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX carried_weakest ON carried(band, pow, created_at);
CREATE TRIGGER carried_drop AFTER DELETE ON events BEGIN
	DELETE FROM carried WHERE eid = old.eid;
END;
INSERT INTO carried (eid, band, pow, created_at)
SELECT eid, CASE kind WHEN ` + sqlGiftWrap + ` THEN 2 WHEN ` + sqlReport + ` THEN 3 ELSE 1 END, 0, created_at
FROM events WHERE kind != ` + sqlDraft + `;
`,
	// 6 -> 7: holdings also record gift wraps (whether a message went on
	// to another peer: its sender's "carried"), one holder each, and
	// forget them with the wrap, so that the table stays within the
	// wraps the store holds.
	`
CREATE TRIGGER holdings_wrap_drop AFTER DELETE ON events WHEN old.kind = ` + sqlGiftWrap + ` BEGIN
	DELETE FROM holdings WHERE id = old.id;
END;
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
