package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/smalldisk"
	"github.com/nbd-wtf/go-nostr"
)

// note is a kind-1 event of about size bytes with made-up id, key and
// signature: the store does not verify them, and signing thousands would
// only slow the test.
func note(seed string, size int) *nostr.Event {
	h := sha256.Sum256([]byte(seed))
	return &nostr.Event{ID: hex.EncodeToString(h[:]), PubKey: alice.Public, Sig: strings.Repeat("0", 128),
		Kind: 1, CreatedAt: nostr.Timestamp(t0.Unix()), Content: strings.Repeat("x", size), Tags: nostr.Tags{}}
}

// TestDiskFull fills the disk under a store: writes fail with a
// DiskFullError naming the directory, both when the commit cannot be
// written and when a large transaction spills before it; the writer keeps
// answering; nothing saved before is lost; and once space returns the same
// open store takes writes again.
func TestDiskFull(t *testing.T) {
	dir := smalldisk.Mount(t, "1m")
	s, err := Open(filepath.Join(dir, "events.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	isFull := func(what string, err error) {
		t.Helper()
		var full *DiskFullError
		if !errors.As(err, &full) || full.Dir != dir || full.Error() != "the disk holding "+dir+" is full" {
			t.Fatalf("%s on a full disk: %v (%T), want a DiskFullError for %s", what, err, err, dir)
		}
	}

	var saved []string
	for i := 0; ; i++ {
		var evs []*nostr.Event
		for j := range 10 {
			evs = append(evs, note(fmt.Sprint("small ", i, j), 2000))
		}
		_, err := s.Save(ctx, evs...)
		if err != nil {
			isFull(fmt.Sprintf("save %d", i), err)
			break
		}
		for _, ev := range evs {
			saved = append(saved, ev.ID)
		}
	}
	if len(saved) == 0 {
		t.Fatal("nothing fitted on the disk; the test proved nothing")
	}
	// A transaction larger than SQLite's page cache fails before its
	// commit; a blob fails the same way; the writer answers each.
	var big []*nostr.Event
	for j := range 1500 {
		big = append(big, note(fmt.Sprint("big ", j), 2000))
	}
	_, err = s.Save(ctx, big...)
	isFull("a 3 MB transaction", err)
	blob := make([]byte, 300<<10)
	rand.Read(blob)
	_, err = s.PutBlob(ctx, blob, "application/octet-stream")
	isFull("a blob", err)
	_, err = s.Save(ctx, note("one more", 2000))
	isFull("a save after failures", err)
	if v, err := s.IntegrityCheck(ctx); err != nil || v != "ok" {
		t.Fatalf("integrity_check on the full disk: %q %v", v, err)
	}

	// The log is not folded into the database while the disk is full:
	// what was written twice (log and database) needs room for both.
	smalldisk.Resize(t, dir, "64m")
	if out, err := s.Save(ctx, big...); err != nil || out[0] != Stored {
		t.Fatalf("save once space returned: %v %v", out, err)
	}
	if _, err := s.PutBlob(ctx, blob, "application/octet-stream"); err != nil {
		t.Fatalf("blob once space returned: %v", err)
	}
	have, err := s.Has(ctx, saved)
	if err != nil || len(have) != len(saved) {
		t.Fatalf("%d of the %d events saved before the disk filled are there (%v)", len(have), len(saved), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(filepath.Join(dir, "events.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.IntegrityCheck(ctx); err != nil || v != "ok" {
		t.Fatalf("integrity_check after reopening: %q %v", v, err)
	}
	t.Logf("%d events saved before the 1 MB disk filled; all there after space returned", len(saved))
}
