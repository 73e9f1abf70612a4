package bundle

import (
	"crypto/rand"
	"strings"
	"testing"
)

// reseal replaces a part's header with a modified one, as a maker holding
// the key could.
func reseal(t *testing.T, w *Writer, b []byte, mod func(*header)) {
	t.Helper()
	hb, err := aead(w.partKey).Open(nil, b[slotsSize:slotsSize+12], b[slotsSize+12:partHead], nil)
	if err != nil {
		t.Fatal(err)
	}
	h := parseHeader(hb)
	mod(&h)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	copy(b[slotsSize:], aead(w.partKey).Seal(nonce, nonce, h.marshal(), nil))
}

// A header claiming billions of frames is refused or costs nothing.
func TestHostileTotals(t *testing.T) {
	c := makeContent(t, 20)
	for _, parts := range []int{1, 60000} {
		out, _, w := writeKeep(t, c, Options{Lock: Lock{Passphrase: "p"}})
		b := out.parts[0].buf.Bytes()
		reseal(t, w, b, func(h *header) { h.TotalFrames = 0xFFFFFFFF; h.Parts = parts })
		r, err := Open([]Source{memSource{"f", b}}, Keys{Passphrase: "p"})
		if err != nil {
			if !strings.Contains(err.Error(), "faulty") {
				t.Fatalf("parts %d: %v", parts, err)
			}
			continue
		}
		d, err := r.Read(func(Record) error { return nil })
		if err != nil || !d.Any() {
			t.Fatalf("parts %d: %v %+v", parts, err, d)
		}
	}
}

// Parts whose header is damaged: alone, two together, twice, with their
// first frame damaged too.
func TestDamagedHeaders(t *testing.T) {
	c := makeContent(t, 3000)
	out, _, _ := writeKeep(t, c, Options{Lock: Lock{Passphrase: "p"}, PartSize: MinPartSize * 2})
	srcs := out.sources()
	if len(srcs) < 4 {
		t.Fatalf("%d parts", len(srcs))
	}
	for _, i := range []int{1, 2} {
		srcs[i].(memSource).b[slotsSize+20] ^= 0xff
	}
	// Part 2 alone: read, and what came before it is counted as lost.
	g, d := read(t, []Source{srcs[1]}, Keys{Passphrase: "p"})
	if len(g.events) == 0 || d.LostFrames < 2 || !d.TotalsUnknown || !d.Any() {
		t.Fatalf("lone located part: %d events, %+v", len(g.events), d)
	}
	// Parts 2 and 3 together.
	g, d = read(t, []Source{srcs[2], srcs[1]}, Keys{Passphrase: "p"})
	if len(g.events) == 0 || len(d.Located) != 2 {
		t.Fatalf("two located parts: %d events, %+v", len(g.events), d)
	}
	// With the others, twice over: everything, the copy noted.
	all := append(append([]Source{}, srcs...), srcs[1])
	r, err := Open(all, Keys{Passphrase: "p"})
	if err != nil || len(r.Dupes) != 1 {
		t.Fatalf("damaged part given twice: %v %v", err, r)
	}
	g, d = read(t, srcs, Keys{Passphrase: "p"})
	if len(g.events) != len(c.ids) || d.LostFrames != 0 {
		t.Fatalf("all parts: %d of %d events, %+v", len(g.events), len(c.ids), d)
	}
	// Header and first frame damaged: the second frame places it.
	srcs[1].(memSource).b[partHead+100] ^= 0xff
	g, d = read(t, srcs, Keys{Passphrase: "p"})
	if d.LostFrames != 1 || len(d.Located) != 2 {
		t.Fatalf("header and first frame damaged: %+v", d)
	}
	checkLoss(t, c, g, d)
}
