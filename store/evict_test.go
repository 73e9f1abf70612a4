package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

func has(t *testing.T, s *Store, evs ...*nostr.Event) int {
	t.Helper()
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	got, err := s.Has(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

// Room is made from the weakest events of the band: least proof of work,
// then oldest; protected events leave the band instead of going; an event
// weaker than all it would replace is not stored.
func TestEvictWeakestFirst(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	at := t0.Unix()
	var evs []*nostr.Event
	var carry []Carry
	for i := range 6 {
		evs = append(evs, evtest.NewKey(fmt.Sprint("e", i)).Event(1, at+int64(i), fmt.Sprint(i)))
		carry = append(carry, Carry{Band: BandStrangers})
	}
	carry[0].PoW = 12 // the oldest, but worked for
	// e1 is by someone who has since become a contact.
	keep := func(ev *nostr.Event) bool { return ev.ID == evs[1].ID }
	if _, _, err := s.SaveCarried(ctx, evs, carry); err != nil {
		t.Fatal(err)
	}
	// Another band is never touched.
	wrap := evtest.NewKey("w").Event(1059, at-100, "sealed", nostr.Tag{"p", alice.Public})
	s.SaveCarried(ctx, []*nostr.Event{wrap}, []Carry{{Band: BandWraps}})

	newer := evtest.NewKey("new").Event(1, at+100, "new")
	out, gone, err := s.SaveCarried(ctx, []*nostr.Event{newer}, []Carry{{Band: BandStrangers, Room: &Room{Events: 2, Keep: keep}}})
	if err != nil || out[0] != Stored {
		t.Fatalf("%v %v", out, err)
	}
	if len(gone) != 2 || gone[0].Event.ID != evs[2].ID || gone[1].Event.ID != evs[3].ID {
		t.Fatalf("evicted %v, want e2 and e3 (e0 has proof of work, e1 is protected)", gone)
	}
	if has(t, s, evs[0], evs[1], evs[4], evs[5], wrap, newer) != 6 {
		t.Fatal("an event that should stay is gone")
	}
	// Older than everything left in the band (and without work): no room.
	old := evtest.NewKey("old").Event(1, at-1000, "old")
	out, gone, err = s.SaveCarried(ctx, []*nostr.Event{old}, []Carry{{Band: BandStrangers, Room: &Room{Events: 1, Keep: keep}}})
	if err != nil || out[0] != NoRoom || len(gone) != 0 || has(t, s, old) != 0 {
		t.Fatalf("an event weaker than the band: %v %v %v", out, gone, err)
	}
	// An author's room comes only from that author's events.
	k := evtest.NewKey("e4")
	out, gone, err = s.SaveCarried(ctx, []*nostr.Event{k.Event(1, at+200, "again")}, []Carry{{Band: BandStrangers, Room: &Room{Author: k.Public, Events: 1}}})
	if err != nil || out[0] != Stored || len(gone) != 1 || gone[0].Event.ID != evs[4].ID {
		t.Fatalf("author's room: %v %v %v", out, gone, err)
	}
	// MakeSpace goes band by band, the protected e1 never.
	gone, err = s.MakeSpace(ctx, 1<<30, keep)
	if err != nil {
		t.Fatal(err)
	}
	if has(t, s, evs[1]) != 1 || has(t, s, wrap) != 0 || len(gone) != 5 || gone[len(gone)-1].Event.ID != wrap.ID {
		t.Fatalf("make space: %d gone, last %v", len(gone), gone[len(gone)-1].Event.ID)
	}
}

// A store from before eviction bands lists what it holds as evictable by
// kind, with no proof of work; drafts never.
func TestMigrationListsHeldEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs := []*nostr.Event{alice.Event(1, t0.Unix(), "note"), alice.Event(1059, t0.Unix(), "w"), alice.Event(30023, t0.Unix(), "r", nostr.Tag{"d", "x"}), alice.Event(30024, t0.Unix(), "draft", nostr.Tag{"d", "y"})}
	save(t, s, evs...)
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER holdings_wrap_drop`, `DROP TRIGGER carried_drop`, `DROP TABLE carried`, `PRAGMA user_version = 5`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.read.Query(`SELECT e.kind, c.band, c.pow FROM carried c JOIN events e ON e.eid = c.eid ORDER BY e.kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var kind, band, pow int
		rows.Scan(&kind, &band, &pow)
		got = append(got, fmt.Sprint(kind, ":", band, ":", pow))
	}
	if fmt.Sprint(got) != "[1:1:0 1059:2:0 30023:3:0]" {
		t.Fatalf("migrated bands %v", got)
	}
}

// A blob held only because an evicted event referenced it goes with it,
// whole or still arriving, and counts as room made; one that someone
// uploaded, one that was asked for, and one another held event
// references stay.
func TestEvictTakesItsBlobs(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	at := t0.Unix()
	blob := func(name string) ([]byte, string) {
		b := []byte("the bytes of " + name)
		sum := sha256.Sum256(b)
		return b, hex.EncodeToString(sum[:])
	}
	report := func(k string, i int, sums ...string) *nostr.Event {
		tags := nostr.Tags{{"d", fmt.Sprint(i)}}
		for _, x := range sums {
			tags = append(tags, nostr.Tag{"imeta", "url https://example.org/" + x, "x " + x})
		}
		return evtest.NewKey(k).Event(30023, at+int64(i), "a report", tags...)
	}
	carried, xCarried := blob("carried")
	_, xArriving := blob("arriving, half of it here")
	owned, xOwned := blob("uploaded")
	wanted, xWanted := blob("asked for")
	shared, xShared := blob("also referenced by a kept event")
	strangers := []*nostr.Event{report("s1", 1, xCarried, xArriving), report("s2", 2, xOwned, xWanted, xShared)}
	kept := report("friend", 3, xShared)
	if _, _, err := s.SaveCarried(ctx, append(strangers, kept), []Carry{{Band: BandReports}, {Band: BandReports}, {}}); err != nil {
		t.Fatal(err)
	}
	if err := s.WantBlob(ctx, xWanted); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{carried, wanted, shared} {
		sum := sha256.Sum256(b)
		if _, done, err := s.PutBlobPart(ctx, hex.EncodeToString(sum[:]), 0, int64(len(b)), b); err != nil || !done {
			t.Fatalf("put a part: %v %v", done, err)
		}
	}
	if _, _, err := s.PutBlobPart(ctx, xArriving, 0, 100, []byte("half")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBlob(ctx, owned, "text/plain", mustHex(alice.Public)); err != nil {
		t.Fatal(err)
	}

	// The first report's blob frees what is asked: the second stays.
	gone, err := s.MakeSpace(ctx, int64(len(carried)), nil)
	if err != nil || len(gone) != 1 || gone[0].Event.ID != strangers[0].ID || gone[0].Blobs != int64(len(carried))+4 {
		t.Fatalf("make space for one blob: %d evicted, %v", len(gone), err)
	}
	if gone, err = s.MakeSpace(ctx, 1<<30, nil); err != nil || len(gone) != 1 || gone[0].Blobs != 0 {
		t.Fatalf("make space: %d evicted, %v", len(gone), err)
	}
	for x, want := range map[string]bool{xCarried: false, xOwned: true, xWanted: true, xShared: true} {
		if _, held, err := s.BlobInfo(ctx, x); err != nil || held != want {
			t.Errorf("blob %s held %v after eviction, want %v (%v)", x[:8], held, want, err)
		}
	}
	if b, err := s.BlobRange(ctx, xCarried, 0, 100); err != nil || len(b) != 0 {
		t.Errorf("the evicted blob's bytes: %q %v", b, err)
	}
	var parts int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM blob_parts`).Scan(&parts); err != nil || parts != 0 {
		t.Errorf("%d parts of a blob no held event wants are left (%v)", parts, err)
	}
	if err := s.VerifyBlobs(ctx); err != nil {
		t.Fatal(err)
	}
}
