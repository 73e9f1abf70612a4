package bundles

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/caravan-mesh/caravan/bundle"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

var (
	person = nodetest.Person
	pk     = nodetest.PubKey
	meet   = nodetest.Meet
)

func notes(t *testing.T, n *node.Node, count int, prefix string) []string {
	t.Helper()
	var ids []string
	for i := range count {
		ev, err := n.Publish(context.Background(), "", &nostr.Event{Kind: 1, Content: fmt.Sprintf("%s %d", prefix, i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

func holds(t *testing.T, n *node.Node, ids []string) int {
	t.Helper()
	has, err := nodehost.Of(n).Store.Has(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, id := range ids {
		if has[id] {
			c++
		}
	}
	return c
}

func TestBundleCarriesEventsAndBlobs(t *testing.T) {
	ctx := context.Background()
	alice := person(t, "alice", "")
	bob := person(t, "bob", "")
	ids := notes(t, alice, 30, "from Almaty")
	photo := make([]byte, 300_000)
	rand.Read(photo)
	sum, _ := nodehost.Of(alice).Store.PutBlob(ctx, photo, "image/jpeg")
	x := hex.EncodeToString(sum[:])
	// A report with the photo attached, as package reports writes it.
	r, err := alice.Publish(ctx, "", &nostr.Event{Kind: event.KindReport, Content: "the square", Tags: nostr.Tags{
		{"d", "photo"}, {"title", "Photo"}, {"imeta", "url /blob/" + x, "x " + x, "m image/jpeg", fmt.Sprint("size ", len(photo))}}})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, r.ID)

	dir := t.TempDir()
	path := filepath.Join(dir, "stick.bin")
	made, err := New(alice).Export(ctx, Export{Path: path, For: pk(t, bob), To: []string{pk(t, bob)}})
	if err != nil {
		t.Fatal(err)
	}
	if made.Events < 31 || made.Blobs != 1 || made.ByClass["own"] < 31 {
		t.Fatalf("made %+v", made)
	}
	got, err := New(bob).Import(ctx, Import{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Stored != made.Events || got.Blobs != 1 || got.Lost.Any() || got.From != pk(t, alice) {
		t.Fatalf("read %+v", got)
	}
	if holds(t, bob, ids) != len(ids) {
		t.Fatal("bob is missing events")
	}
	if b, _ := nodehost.Of(bob).Store.Blob(ctx, sum[:]); !bytes.Equal(b, photo) {
		t.Fatal("the photo did not arrive whole")
	}

	// Again: nothing new, nothing broken, and it says it was read before.
	again, err := New(bob).Import(ctx, Import{Paths: []string{path}})
	if err != nil || again.Stored != 0 || again.Held != made.Events || again.ReadBefore == 0 {
		t.Fatalf("second import: %+v %v", again, err)
	}

	// The next bundle for bob leaves out what went in the first.
	newer := notes(t, alice, 3, "later")
	made2, err := New(alice).Export(ctx, Export{Path: path + "2", For: pk(t, bob), To: []string{pk(t, bob)}})
	if err != nil {
		t.Fatal(err)
	}
	if made2.Events != 3 || made2.Blobs != 0 || made2.Unconfirmed != made.Events {
		t.Fatalf("second bundle for bob: %+v", made2)
	}
	resend, err := New(alice).Export(ctx, Export{Path: path + "3", For: pk(t, bob), To: []string{pk(t, bob)}, Resend: true})
	if err != nil || resend.Events != made.Events+3 {
		t.Fatalf("with resend: %+v %v", resend, err)
	}

	// Bob's bundle back confirms that the first arrived; then alice leaves
	// it out even with --resend.
	back := filepath.Join(dir, "back.bin")
	if _, err := New(bob).Export(ctx, Export{Path: back, For: pk(t, alice), To: []string{pk(t, alice)}}); err != nil {
		t.Fatal(err)
	}
	conf, err := New(alice).Import(ctx, Import{Paths: []string{back}})
	if err != nil || conf.Confirmed != made.Events {
		t.Fatalf("confirmation: %+v %v", conf, err)
	}
	after, err := New(alice).Export(ctx, Export{Path: path + "4", For: pk(t, bob), To: []string{pk(t, bob)}, Resend: true})
	if err != nil || after.Events != 3 {
		t.Fatalf("after confirmation, with resend: %+v %v", after, err)
	}
	if holds(t, bob, newer) != 0 {
		t.Fatal("test set-up: bob already has the newer notes")
	}
}

func TestBundleDamagedImportsTheRest(t *testing.T) {
	ctx := context.Background()
	alice := person(t, "alice", "")
	bob := person(t, "bob", "")
	// Bob follows Alice: 1,500 notes are more than one stranger may have
	// carried (policy.Config.PerStranger).
	if _, err := bob.Publish(ctx, "", &nostr.Event{Kind: event.KindFollowList, Tags: nostr.Tags{{"p", pk(t, alice)}}}); err != nil {
		t.Fatal(err)
	}
	// Enough text for several frames.
	var ids []string
	for i := range 1500 {
		ev, err := alice.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprintf("%d %x", i, make([]byte, 400))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "b")
	if _, err := New(alice).Export(ctx, Export{Path: path, To: []string{pk(t, bob)}, Split: bundle.MinPartSize}); err != nil {
		t.Fatal(err)
	}
	parts, _ := filepath.Glob(path + ".*")
	if len(parts) < 3 {
		t.Fatalf("%d parts", len(parts))
	}
	// Part 2 is missing and part 3 is damaged.
	b, _ := os.ReadFile(parts[2])
	b[len(b)/2] ^= 0xff
	os.WriteFile(parts[2], b, 0o600)
	without := append([]string{parts[0]}, parts[2:]...)
	got, err := New(bob).Import(ctx, Import{Paths: without})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lost.MissingParts) != 1 || got.Lost.MissingParts[0] != 2 || got.Lost.Frames < 2 {
		t.Fatalf("lost %+v", got.Lost)
	}
	idb, _ := hex.DecodeString(got.ID)
	if _, ok, _ := nodehost.Of(bob).Store.FindBundle(ctx, idb, store.BundleRead); ok {
		t.Fatal("a damaged bundle was recorded as read: bob's next bundle would confirm what was lost")
	}
	if got.From != pk(t, alice) {
		t.Fatalf("the maker's signed proof was not taken: from %q (%s)", got.From, got.Proof)
	}
	held := holds(t, bob, ids)
	if held == 0 || held+got.Lost.Events != len(ids) || got.Lost.ByKind["notes"] != got.Lost.Events {
		t.Fatalf("held %d + lost %d != %d (%+v)", held, got.Lost.Events, len(ids), got.Lost)
	}
	// With every part whole, the rest arrives; nothing twice.
	os.WriteFile(parts[2], append(b[:len(b)/2:len(b)/2], append([]byte{b[len(b)/2] ^ 0xff}, b[len(b)/2+1:]...)...), 0o600)
	got, err = New(bob).Import(ctx, Import{Paths: parts})
	if err != nil || got.Lost.Any() || holds(t, bob, ids) != len(ids) || got.Stored != len(ids)-held {
		t.Fatalf("whole: %+v %v", got, err)
	}
	if _, ok, _ := nodehost.Of(bob).Store.FindBundle(ctx, idb, store.BundleRead); !ok {
		t.Fatal("a whole bundle was not recorded as read")
	}

	// Made while the identity is locked: no proof, so no one learns what
	// the maker holds.
	carol := person(t, "carol", "secret words")
	nodehost.Of(carol).Keys.Lock()
	made, err := New(carol).Export(ctx, Export{Path: filepath.Join(dir, "carol"), To: []string{pk(t, bob)}})
	if err != nil || made.Signed {
		t.Fatalf("locked maker: %+v %v", made, err)
	}
	got, err = New(bob).Import(ctx, Import{Paths: []string{filepath.Join(dir, "carol")}})
	if err != nil || got.From != "" {
		t.Fatalf("unsigned bundle: from %q, %v", got.From, err)
	}
}

func TestBundleWrongKey(t *testing.T) {
	ctx := context.Background()
	alice := person(t, "alice", "")
	bob := person(t, "bob", "")
	eve := person(t, "eve", "")
	notes(t, alice, 2, "x")
	path := filepath.Join(t.TempDir(), "b")
	if _, err := New(alice).Export(ctx, Export{Path: path, To: []string{pk(t, bob)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(eve).Import(ctx, Import{Paths: []string{path}}); !errors.Is(err, ErrNotABundle) || !errors.Is(err, bundle.ErrNoKey) {
		t.Fatalf("eve: %v", err)
	}
	if _, err := New(alice).Export(ctx, Export{Path: path, To: []string{pk(t, bob)}}); err == nil {
		t.Fatal("overwrote an existing file")
	}
	if _, err := New(alice).Export(ctx, Export{Path: path + "x"}); err == nil {
		t.Fatal("a bundle nobody can open")
	}
	if m, _ := filepath.Glob(path + "x*"); len(m) != 0 {
		t.Fatalf("a failed export left %v", m)
	}
}

// A bundle for a peer met by sync leaves out what the last complete sync
// covered. Which side of a stream sync initiates is random; the one that
// initiates records how far the sync reached.
func TestBundleForSyncPeer(t *testing.T) {
	ctx := context.Background()
	alice := person(t, "alice", "")
	bob := person(t, "bob", "")
	notes(t, alice, 5, "before")
	for i := 0; ; i++ {
		meet(t, alice, bob) // alice calls bob "b"
		if eid, _ := nodehost.Of(alice).Store.PeerSynced(ctx, "b"); eid > 0 {
			break
		}
		if i == 30 {
			t.Fatal("alice never initiated a sync, or never recorded it")
		}
	}
	after := notes(t, alice, 2, "after")
	made, err := New(alice).Export(ctx, Export{Path: filepath.Join(t.TempDir(), "b"), For: "b", To: []string{pk(t, bob)}})
	if err != nil {
		t.Fatal(err)
	}
	if made.Events != len(after) {
		t.Fatalf("a bundle for the sync peer has %d events, want the %d written since", made.Events, len(after))
	}
	if _, err := New(alice).Export(ctx, Export{Path: filepath.Join(t.TempDir(), "c"), For: "ws://nobody.example:7447", To: []string{pk(t, bob)}}); err == nil {
		t.Fatal("a bundle for a peer never met")
	}
}

// A bundle opens in the ways the export asked for and no other, and Made
// lists exactly those: each person once (named twice, by key and by
// npub, is one way in), with the name they give themselves if this node
// holds their profile, then the passphrase.
func TestExportOpensOnlyAsAsked(t *testing.T) {
	ctx := context.Background()
	alice, bob, carol := person(t, "alice", ""), person(t, "bob", ""), person(t, "carol", "")
	if _, err := bob.Publish(ctx, "", &nostr.Event{Kind: event.KindProfile, Content: `{"name":"Bolat"}`}); err != nil {
		t.Fatal(err)
	}
	notes(t, alice, 3, "note")
	meet(t, alice, bob)
	bobID, _ := bob.Identity("")
	path := filepath.Join(t.TempDir(), "for-bob.bin")
	made, err := New(alice).Export(ctx, Export{Path: path, To: []string{bobID.NPub, pk(t, bob)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Opener{{PubKey: bobID.PubKey, NPub: bobID.NPub, Profile: "Bolat"}}
	if fmt.Sprint(made.Opens) != fmt.Sprint(want) {
		t.Fatalf("opens %+v, want %+v", made.Opens, want)
	}
	if _, err := New(carol).Import(ctx, Import{Paths: []string{path}, Passphrase: "anything"}); !errors.Is(err, ErrNotABundle) {
		t.Fatalf("someone else with a passphrase: %v", err)
	}
	if _, err := New(bob).Import(ctx, Import{Paths: []string{path}}); err != nil {
		t.Fatalf("bob: %v", err)
	}

	path = filepath.Join(t.TempDir(), "both.bin")
	made, err = New(alice).Export(ctx, Export{Path: path, To: []string{bobID.NPub}, Passphrase: "open sesame"})
	if err != nil {
		t.Fatal(err)
	}
	if len(made.Opens) != 2 || made.Opens[0].PubKey != bobID.PubKey || !made.Opens[1].Passphrase {
		t.Fatalf("opens %+v, want bob, then the passphrase", made.Opens)
	}
	if _, err := New(carol).Import(ctx, Import{Paths: []string{path}, Passphrase: "open sesame"}); err != nil {
		t.Fatalf("with the passphrase: %v", err)
	}
}
