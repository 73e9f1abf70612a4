package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

func report(d, title, summary, content string, at int64) *nostr.Event {
	return alice.Event(30023, at, content, nostr.Tag{"d", d}, nostr.Tag{"title", title}, nostr.Tag{"summary", summary})
}

func hitIDs(t *testing.T, hs []Hit) []string {
	t.Helper()
	var out []string
	for _, h := range hs {
		ev, err := decode(h.Raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	at := t0.Unix()
	r1 := report("a", "Protest in Almaty", "Thousands on the square", "The police closed the roads to the airport.", at)
	r2 := report("b", "Internet cut", "Shutdown report", "In Almaty the señal was gone for days; the square was empty.", at+1)
	n1 := bob.Event(1, at+2, "Saw soldiers near the airport today", nil...)
	other := bob.Event(7, at+3, "Almaty almaty almaty")
	save(t, s, r1, r2, n1, other)

	cases := []struct {
		q    string
		want []string
	}{
		{"almaty", []string{r1.ID, r2.ID}}, // the title match ranks first
		{"ALMATY square", []string{r1.ID, r2.ID}},
		{"senal", []string{r2.ID}},              // diacritics ignored
		{`"closed the roads"`, []string{r1.ID}}, // phrase
		{`"the roads closed"`, nil},
		{"airport", []string{r1.ID, n1.ID}},
		{"airport -police", []string{n1.ID}},
		{"soldiers OR police airport", []string{r1.ID, n1.ID}},
		{"almat*", []string{r1.ID, r2.ID}},
		{"NEAR(x y) AND col:foo", nil}, // FTS5 syntax is taken as words
	}
	for _, c := range cases {
		hs, err := s.Search(ctx, c.q, SearchOptions{})
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		got := hitIDs(t, hs)
		if c.q == "airport" || c.q == "soldiers OR police airport" {
			// equal relevance: compare as sets
			if len(got) != 2 || !(contains(got, r1.ID) && contains(got, n1.ID)) {
				t.Errorf("%q: got %v, want %v", c.q, got, c.want)
			}
			continue
		}
		if !equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}

	hs, _ := s.Search(ctx, "almaty", SearchOptions{Open: "<", Close: ">", Kinds: []int{30023}})
	if len(hs) != 2 || hs[0].Title != "Protest in <Almaty>" || !strings.Contains(hs[1].Snippet, "<Almaty>") {
		t.Errorf("marks: %+v", hs)
	}

	// An edit replaces the old text in the index; a deletion removes it.
	r1b := report("a", "Protest in Almaty, updated", "", "Now the roads are open.", at+10)
	save(t, s, r1b)
	if hs, _ := s.Search(ctx, "police", SearchOptions{}); len(hs) != 0 {
		t.Errorf("the replaced version is still found: %v", hitIDs(t, hs))
	}
	if hs, _ := s.Search(ctx, "roads open", SearchOptions{}); len(hitIDs(t, hs)) != 1 || hitIDs(t, hs)[0] != r1b.ID {
		t.Errorf("the new version is not found")
	}
	save(t, s, bob.Event(5, at+20, "", nostr.Tag{"e", n1.ID}))
	if hs, _ := s.Search(ctx, "soldiers", SearchOptions{}); len(hs) != 0 {
		t.Errorf("a deleted note is still found")
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestSearchRejectsBadQueries(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []string{"", "   ", `"open phrase`, "OR", "word OR", "-alone", "...", strings.Repeat("w ", 40), strings.Repeat("x", 1001)} {
		_, err := s.Search(context.Background(), q, SearchOptions{})
		if !errors.Is(err, ErrQuery) {
			t.Errorf("%q: got %v, want ErrQuery", q, err)
		}
	}
	if _, err := s.Search(context.Background(), "x", SearchOptions{Kinds: []int{7}}); !errors.Is(err, ErrQuery) {
		t.Errorf("kind 7: %v", err)
	}
}

func FuzzSearchQuery(f *testing.F) {
	for _, q := range []string{"almaty", `"a b" -c d*`, "a OR b c", `x"y`, "-", "*", `""`} {
		f.Add(q)
	}
	s, err := Open(f.TempDir()+"/fuzz.db", Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, q string) {
		// Whatever is typed is either searched for or refused as a bad
		// search: never an FTS5 syntax error.
		if _, err := s.Search(context.Background(), q, SearchOptions{}); err != nil && !errors.Is(err, ErrQuery) {
			t.Fatalf("%q: %v", q, err)
		}
	})
}

func TestBlobRefsAndParts(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	data := []byte(strings.Repeat("photo bytes ", 1000))
	sum := sha256.Sum256(data)
	x := hex.EncodeToString(sum[:])
	ev := alice.Event(1, t0.Unix(), "a photo", nostr.Tag{"imeta", "url https://example.org/" + x + ".jpg", "x " + x, "m image/jpeg"},
		nostr.Tag{"imeta", "x nothex"})
	save(t, s, ev)
	ws, err := s.WantedBlobs(ctx, 10)
	if err != nil || len(ws) != 1 || ws[0].SHA256 != x || ws[0].Have != 0 {
		t.Fatalf("wanted: %+v %v", ws, err)
	}

	// Parts out of order are not taken; the next one is; a cut resumes.
	if have, _, _ := s.PutBlobPart(ctx, x, 5000, int64(len(data)), data[5000:6000]); have != 0 {
		t.Errorf("a part past the end of what arrived was taken: have %d", have)
	}
	have, done, err := s.PutBlobPart(ctx, x, 0, int64(len(data)), data[:5000])
	if err != nil || done || have != 5000 {
		t.Fatalf("first part: %d %v %v", have, done, err)
	}
	if ws, _ := s.WantedBlobs(ctx, 10); ws[0].Have != 5000 || ws[0].Total != int64(len(data)) {
		t.Errorf("resume point: %+v", ws)
	}
	have, done, err = s.PutBlobPart(ctx, x, 5000, int64(len(data)), data[5000:])
	if err != nil || !done || have != int64(len(data)) {
		t.Fatalf("last part: %d %v %v", have, done, err)
	}
	got, _ := s.BlobRange(ctx, x, 6, 6)
	if string(got) != "bytes " {
		t.Errorf("range: %q", got)
	}
	if ws, _ := s.WantedBlobs(ctx, 10); len(ws) != 0 {
		t.Errorf("still wanted after arriving: %+v", ws)
	}

	// Bytes that do not match the hash are discarded.
	bad := []byte("not the photo")
	other := sha256.Sum256([]byte("the real one"))
	ox := hex.EncodeToString(other[:])
	if _, _, err := s.PutBlobPart(ctx, ox, 0, int64(len(bad)), bad); !errors.Is(err, ErrBlobMismatch) {
		t.Errorf("mismatch: %v", err)
	}
	if _, ok, _ := s.BlobInfo(ctx, ox); ok {
		t.Error("a mismatching blob was stored")
	}

	// Owners: listed, and the blob goes when its last owner drops it and
	// nothing references it.
	up := []byte("uploaded")
	usum, _ := s.PutBlob(ctx, up, "text/plain", mustHex(bob.Public))
	ux := hex.EncodeToString(usum[:])
	if l, _ := s.BlobsOf(ctx, mustHex(bob.Public), 0, 0); len(l) != 1 || l[0].SHA256 != ux || l[0].Type != "text/plain" {
		t.Errorf("list: %+v", l)
	}
	if had, _ := s.DropBlobOwner(ctx, ux, mustHex(bob.Public)); !had {
		t.Error("owner not found")
	}
	if _, ok, _ := s.BlobInfo(ctx, ux); ok {
		t.Error("an unowned, unreferenced blob was kept")
	}
	// A referenced one stays.
	s.PutBlob(ctx, data, "image/jpeg", mustHex(bob.Public))
	s.DropBlobOwner(ctx, x, mustHex(bob.Public))
	if _, ok, _ := s.BlobInfo(ctx, x); !ok {
		t.Error("a referenced blob was removed with its owner")
	}
}

func TestHoldings(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	r := report("h", "T", "", "text", t0.Unix())
	n := alice.Event(1, t0.Unix(), "note")
	save(t, s, r, n)
	if err := s.AddHoldings(ctx, "wss://relay.example", []string{r.ID, n.ID, "zz"}); err != nil {
		t.Fatal(err)
	}
	c.Set(t0.Add(60e9))
	s.AddHoldings(ctx, "peer:bob", []string{r.ID})
	hs, err := s.Holders(ctx, r.ID)
	if err != nil || len(hs) != 2 || hs[0].Peer != "peer:bob" {
		t.Errorf("report holders: %+v %v", hs, err)
	}
	if hs, _ := s.Holders(ctx, n.ID); len(hs) != 0 {
		t.Errorf("notes are not tracked: %+v", hs)
	}
}

// Gift wraps are held by peers too, once each (enough to say that a
// message left this node), and only while the wrap is stored.
func TestWrapHoldings(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	r := report("h", "T", "", "text", t0.Unix())
	n := alice.Event(1, t0.Unix(), "note")
	gone := bob.Event(1059, t0.Unix(), "w1", nostr.Tag{"p", alice.Public}, nostr.Tag{"expiration", fmt.Sprint(t0.Unix() + 60)})
	kept := bob.Event(1059, t0.Unix(), "w2", nostr.Tag{"p", alice.Public})
	unheld := bob.Event(1059, t0.Unix(), "w3", nostr.Tag{"p", alice.Public})
	save(t, s, r, n, gone, kept, unheld)
	if err := s.AddHoldings(ctx, "peer:a", []string{r.ID, n.ID, gone.ID, kept.ID}); err != nil {
		t.Fatal(err)
	}
	s.AddHoldings(ctx, "peer:b", []string{kept.ID})
	if hs, err := s.Holders(ctx, kept.ID); err != nil || len(hs) != 1 || hs[0].Peer != "peer:a" {
		t.Errorf("a wrap's holders: %+v %v, want the first only", hs, err)
	}
	ask := []string{n.ID, unheld.ID, kept.ID, r.ID, gone.ID, kept.ID}
	if got, err := s.HeldByPeers(ctx, ask); err != nil || fmt.Sprint(got) != fmt.Sprint([]string{kept.ID, r.ID, gone.ID}) {
		t.Errorf("held by peers: %v %v", got, err)
	}
	c.Set(t0.Add(2 * time.Minute))
	if _, err := s.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.HeldByPeers(ctx, ask); err != nil || fmt.Sprint(got) != fmt.Sprint([]string{kept.ID, r.ID}) {
		t.Errorf("held by peers once a wrap expired: %v %v", got, err)
	}
	if _, err := s.HeldByPeers(ctx, []string{"zz"}); err == nil {
		t.Error("a bad id was taken")
	}
}
