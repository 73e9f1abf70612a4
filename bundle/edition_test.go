package bundle

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
)

// The key slots are at the start of every part, and again, sealed anew,
// at its end: a part whose first bytes are damaged (a flipped bit in its
// first 64 bytes, its whole first kilobyte) opens with the copy, and
// reads whole. Damaged at both ends it cannot be opened, and says so as
// for any file that is not a bundle.
func TestDamagedStart(t *testing.T) {
	c := makeContent(t, 800, 30_000)
	r := evtest.NewKey("r")
	id, err := NewSecretKey(r.Secret)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		name string
		lock Lock
		keys Keys
	}{
		{"passphrase", Lock{Passphrase: "p"}, Keys{Passphrase: "p"}},
		{"recipient", Lock{To: []string{r.Public}}, Keys{Identities: []Identity{id}}},
		{"both, by key", Lock{Passphrase: "p", To: []string{r.Public}}, Keys{Identities: []Identity{id}}},
	} {
		out, _ := write(t, c, Options{Lock: tc.lock})
		whole := out.parts[0].buf.Bytes()
		damage := map[string]func(b []byte){
			"the whole first kilobyte": func(b []byte) {
				for i := range slotsSize {
					b[i] ^= 0xff
				}
			},
		}
		for range 4 {
			bit := rng.IntN(64 * 8)
			damage[fmt.Sprintf("bit %d", bit)] = func(b []byte) { b[bit/8] ^= 1 << (bit % 8) }
		}
		for what, spoil := range damage {
			b := slices.Clone(whole)
			spoil(b)
			g, d := read(t, []Source{memSource{"b", b}}, tc.keys)
			if d.Any() || !slices.Equal(g.events, c.ids) || len(g.blobs) != 1 {
				t.Fatalf("%s, %s damaged: read %d of %d events, %d blobs, damage %+v", tc.name, what, len(g.events), len(c.ids), len(g.blobs), d)
			}
		}
		// Both copies damaged: lost, like a file that is not a bundle.
		b := slices.Clone(whole)
		for i := range slotsSize {
			b[i] ^= 1
			b[len(b)-slotsSize+i] ^= 1
		}
		if _, err := Open([]Source{memSource{"b", b}}, tc.keys); !errors.Is(err, ErrNoKey) {
			t.Fatalf("%s, both copies damaged: %v, want ErrNoKey", tc.name, err)
		}
	}
}

// A split bundle: every part opens with its own copy, and a part whose
// start (slots and header) is damaged is placed by its frames, which end
// where the copy begins.
func TestDamagedStartSplit(t *testing.T) {
	c := makeContent(t, 3000)
	out, _ := write(t, c, Options{Lock: Lock{Passphrase: "p"}, PartSize: MinPartSize * 2})
	srcs := out.sources()
	if len(srcs) < 3 {
		t.Fatalf("%d parts", len(srcs))
	}
	last := srcs[len(srcs)-1].(memSource).b
	for i := range partHead {
		last[i] ^= 0x5a // slots and header
	}
	srcs[0].(memSource).b[3] ^= 0x10
	g, d := read(t, srcs, Keys{Passphrase: "p"})
	if len(d.Located) != 1 || d.LostFrames != 0 || !slices.Equal(g.events, c.ids) {
		t.Fatalf("read %d of %d, %+v", len(g.events), len(c.ids), d)
	}
	// The last part alone, its start damaged: it opens and is placed.
	g, d = read(t, []Source{srcs[len(srcs)-1]}, Keys{Passphrase: "p"})
	if len(g.events) == 0 || !d.TotalsUnknown {
		t.Fatalf("the last part alone: %d events, %+v", len(g.events), d)
	}
	checkLoss(t, c, g, d)
}

// Bundles written before the copy of the key slots was added (the
// first edition of format 1, testdata/first-edition.bundle, written then)
// still open, with a passphrase or a key, and read whole, also with a
// damaged header. With a damaged start they are lost: they have no copy.
func TestFirstEdition(t *testing.T) {
	b, err := os.ReadFile("testdata/first-edition.bundle")
	if err != nil {
		t.Fatal(err)
	}
	c := makeContent(t, 40, 5000)
	id, _ := NewSecretKey(evtest.NewKey("old reader").Secret)
	for _, keys := range []Keys{{Passphrase: "old format"}, {Identities: []Identity{id}}} {
		g, d := read(t, []Source{memSource{"old", b}}, keys)
		if d.Any() || !slices.Equal(g.events, c.ids) || len(g.blobs) != 1 || g.info.App != "caravan before trailing slots" {
			t.Fatalf("first edition: %d of %d events, %d blobs, info %+v, %+v", len(g.events), len(c.ids), len(g.blobs), g.info, d)
		}
	}
	hd := slices.Clone(b)
	hd[slotsSize+20] ^= 0xff
	g, d := read(t, []Source{memSource{"old", hd}}, Keys{Passphrase: "old format"})
	if !slices.Equal(g.events, c.ids) || len(d.Located) != 1 || d.LostFrames != 0 {
		t.Fatalf("first edition, damaged header: %d of %d events, %+v", len(g.events), len(c.ids), d)
	}
	st := slices.Clone(b)
	st[0] ^= 1
	if _, err := Open([]Source{memSource{"old", st}}, Keys{Passphrase: "old format"}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("first edition, damaged start: %v", err)
	}
}
