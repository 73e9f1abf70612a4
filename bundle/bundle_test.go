package bundle

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

func TestMain(m *testing.M) {
	scryptLogN = 10 // the format's 2^18 costs a second per bundle
	os.Exit(m.Run())
}

type content struct {
	events [][]byte
	ids    []string
	blobs  map[[32]byte][]byte
}

func makeContent(t testing.TB, n int, blobSizes ...int) content {
	t.Helper()
	k := evtest.NewKey("bundle author")
	rng := rand.New(rand.NewPCG(1, 2))
	var c content
	for i := range n {
		words := make([]string, 20+rng.IntN(80))
		for j := range words {
			words[j] = []string{"Almaty", "square", "water", "bread", "tonight", "road", "closed", "news"}[rng.IntN(8)]
		}
		// Shaped like an event, not signed: this package does not verify
		// (the node does), and signing thousands is slow under -race.
		ev := nostr.Event{Kind: 1, CreatedAt: nostr.Timestamp(1700000000 + i), PubKey: k.Public, Content: strings.Join(words, " ")}
		ev.ID = ev.GetID()
		ev.Sig = strings.Repeat(fmt.Sprintf("%02x", i%256), 64)
		raw, _ := json.Marshal(ev)
		c.events = append(c.events, raw)
		c.ids = append(c.ids, ev.ID)
	}
	c.blobs = map[[32]byte][]byte{}
	for _, size := range blobSizes {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		c.blobs[sha256.Sum256(b)] = b
	}
	return c
}

func write(t testing.TB, c content, o Options) (*memOut, Summary) {
	t.Helper()
	out, s, _ := writeKeep(t, c, o)
	return out, s
}

// writeKeep writes c to a bundle in memory and also returns the writer
// (its keys let a test re-seal headers).
func writeKeep(t testing.TB, c content, o Options) (*memOut, Summary, *Writer) {
	t.Helper()
	out := newMemOut()
	w, err := NewWriter(out, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range c.events {
		if err := w.AddEvent(raw, c.ids[i], 1); err != nil {
			t.Fatal(err)
		}
	}
	for _, sum := range sortedSums(c.blobs) {
		b := c.blobs[sum]
		if err := w.AddBlob(sum, int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return out, s, w
}

func sortedSums(m map[[32]byte][]byte) [][32]byte {
	var out [][32]byte
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	return out
}

type got struct {
	info   *Info
	events []string
	blobs  map[[32]byte][]byte
}

func read(t testing.TB, srcs []Source, keys Keys) (got, Damage) {
	t.Helper()
	r, err := Open(srcs, keys)
	if err != nil {
		t.Fatal(err)
	}
	g := got{blobs: map[[32]byte][]byte{}}
	d, err := r.Read(func(rec Record) error {
		switch {
		case rec.Info != nil:
			g.info = rec.Info
		case rec.Event != nil:
			var ev nostr.Event
			if err := json.Unmarshal(rec.Event, &ev); err != nil {
				t.Fatalf("event does not parse: %v", err)
			}
			g.events = append(g.events, ev.ID)
		default:
			if int64(len(g.blobs[rec.Blob])) == rec.Offset {
				g.blobs[rec.Blob] = append(g.blobs[rec.Blob], rec.Data...)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, d
}

var pass = Keys{Passphrase: "correct horse battery"}

func TestRoundTrip(t *testing.T) {
	c := makeContent(t, 3000, 300_000, 10, 70_000)
	out, sum := write(t, c, Options{Lock: Lock{Passphrase: pass.Passphrase}, Info: Info{Created: 1700000000, App: "ab"}})
	if sum.Events != 3000 || sum.Blobs != 3 || sum.Parts != 1 {
		t.Fatalf("summary %+v", sum)
	}
	g, d := read(t, out.sources(), pass)
	if d.Any() {
		t.Fatalf("damage in an intact bundle: %+v", d)
	}
	if !slices.Equal(g.events, c.ids) {
		t.Fatalf("read %d events, wrote %d (or not in order)", len(g.events), len(c.ids))
	}
	for sum, b := range c.blobs {
		if !bytes.Equal(g.blobs[sum], b) {
			t.Fatalf("blob %x: read %d bytes, wrote %d", sum[:4], len(g.blobs[sum]), len(b))
		}
	}
	if g.info == nil || g.info.App != "ab" || g.info.ID != sum.ID {
		t.Fatalf("info %+v", g.info)
	}
	if int64(out.parts[0].buf.Len()) != sum.Bytes {
		t.Fatalf("summary says %d bytes, file has %d", sum.Bytes, out.parts[0].buf.Len())
	}
}

// A bundle shows nothing: no readable text, no structure a compressor can
// find, the same bytes nowhere twice (the copy of the key slots at the end
// is sealed anew, not copied).
func TestLooksRandom(t *testing.T) {
	c := makeContent(t, 500)
	for _, lock := range []Lock{{Passphrase: "p"}, {To: []string{evtest.NewKey("r").Public}}} {
		out, _ := write(t, c, Options{Lock: lock})
		b := out.parts[0].buf.Bytes()
		seen := make(map[[12]byte]int, len(b))
		for i := 0; i+12 <= len(b); i++ {
			w := [12]byte(b[i : i+12])
			if j, ok := seen[w]; ok {
				t.Fatalf("the 12 bytes at %d are also at %d, in a file of %d", i, j, len(b))
			}
			seen[w] = i
		}
		for _, word := range []string{"caravan", "Caravan", "bundle", "Almaty", "age-encryption", "zstd"} {
			if bytes.Contains(b, []byte(word)) {
				t.Errorf("the file contains %q", word)
			}
		}
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestCompression)
		fw.Write(b)
		fw.Close()
		if z.Len() < len(b) {
			t.Errorf("deflate shrinks the file from %d to %d bytes: it has structure", len(b), z.Len())
		}
		// Byte frequencies: chi-square with 255 degrees of freedom stays
		// far below 400 for random data (p < 1e-7 above it).
		var counts [256]float64
		for _, x := range b {
			counts[x]++
		}
		exp := float64(len(b)) / 256
		chi := 0.0
		for _, n := range counts {
			chi += (n - exp) * (n - exp) / exp
		}
		if chi > 400 {
			t.Errorf("byte frequencies are not uniform: chi-square %.0f", chi)
		}
	}
}

func TestRecipients(t *testing.T) {
	alice, bob, eve := evtest.NewKey("alice"), evtest.NewKey("bob"), evtest.NewKey("eve")
	c := makeContent(t, 50)
	out, _ := write(t, c, Options{Lock: Lock{To: []string{alice.Public, bob.Public}, Passphrase: "also"}})
	for _, k := range []evtest.Key{alice, bob} {
		id, err := NewSecretKey(k.Secret)
		if err != nil {
			t.Fatal(err)
		}
		g, d := read(t, out.sources(), Keys{Identities: []Identity{id}})
		if d.Any() || len(g.events) != 50 {
			t.Fatalf("recipient %s read %d events, damage %+v", k.Public[:8], len(g.events), d)
		}
	}
	if g, _ := read(t, out.sources(), Keys{Passphrase: "also"}); len(g.events) != 50 {
		t.Fatal("the passphrase did not open a bundle that also has recipients")
	}
	id, _ := NewSecretKey(eve.Secret)
	if _, err := Open(out.sources(), Keys{Identities: []Identity{id}, Passphrase: "wrong"}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("someone else's key: %v, want ErrNoKey", err)
	}
}

func TestBadInput(t *testing.T) {
	c := makeContent(t, 20)
	out, _ := write(t, c, Options{Lock: Lock{Passphrase: "right"}})
	if _, err := Open(out.sources(), Keys{Passphrase: "wrong"}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	noise := make([]byte, 200_000)
	for i := range noise {
		noise[i] = byte(i * 7919 >> 3)
	}
	if _, err := Open([]Source{memSource{"photo.jpg", noise}}, Keys{Passphrase: "right"}); !errors.Is(err, ErrNoKey) {
		t.Fatalf("not a bundle: %v", err)
	}
	if _, err := Open([]Source{memSource{"tiny", []byte("hello")}}, Keys{Passphrase: "right"}); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Fatalf("tiny file: %v", err)
	}
	// A bundle of a future format version.
	out2 := newMemOut()
	w, err := NewWriter(out2, Options{Lock: Lock{Passphrase: "right"}, version: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	var ve *VersionError
	if _, err := Open(out2.sources(), Keys{Passphrase: "right"}); !errors.As(err, &ve) || ve.Version != 2 {
		t.Fatalf("future version: %v", err)
	}
	// Parts of two bundles.
	other, _ := write(t, c, Options{Lock: Lock{Passphrase: "right"}})
	mixed := []Source{out.sources()[0], memSource{"other", other.sources()[0].(memSource).b}}
	if _, err := Open(mixed, Keys{Passphrase: "right"}); err == nil || !strings.Contains(err.Error(), "another bundle") {
		t.Fatalf("mixed bundles: %v", err)
	}
	if _, err := NewWriter(newMemOut(), Options{}); err == nil {
		t.Fatal("a bundle with no passphrase and no recipient")
	}
	if _, err := NewWriter(newMemOut(), Options{Lock: Lock{Passphrase: "x"}, PartSize: 1000}); err == nil {
		t.Fatal("parts smaller than a frame")
	}
}

func TestSplitAnyOrder(t *testing.T) {
	c := makeContent(t, 4000, 400_000)
	out, sum := write(t, c, Options{Lock: Lock{Passphrase: "p"}, PartSize: MinPartSize * 3})
	if sum.Parts < 4 {
		t.Fatalf("only %d parts", sum.Parts)
	}
	for i, p := range out.parts {
		if i < len(out.parts)-1 && int64(p.buf.Len()) != MinPartSize*3 || int64(p.buf.Len()) > MinPartSize*3 {
			t.Fatalf("part %d is %d bytes; all but the last must be the split size, %d", i, p.buf.Len(), MinPartSize*3)
		}
	}
	srcs := out.sources()
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(srcs), func(i, j int) { srcs[i], srcs[j] = srcs[j], srcs[i] })
	g, d := read(t, srcs, Keys{Passphrase: "p"})
	if d.Any() || !slices.Equal(g.events, c.ids) {
		t.Fatalf("shuffled parts: %d events, damage %+v", len(g.events), d)
	}
	// Without part 2: it says so, and reads everything else.
	without := append([]Source{}, out.sources()[:1]...)
	without = append(without, out.sources()[2:]...)
	g, d = read(t, without, Keys{Passphrase: "p"})
	if !slices.Equal(d.MissingParts, []int{2}) {
		t.Fatalf("missing parts %v, want [2]", d.MissingParts)
	}
	checkLoss(t, c, g, d)
	// A duplicated part is read once.
	dup := append(out.sources(), out.sources()[1])
	g, d = read(t, dup, Keys{Passphrase: "p"})
	if d.Any() || len(g.events) != len(c.ids) {
		t.Fatalf("duplicated part: %d events, %+v", len(g.events), d)
	}
}

// checkLoss: every event read is one that was written, and what the
// damage report lists as lost is exactly what was not read.
func checkLoss(t *testing.T, c content, g got, d Damage) {
	t.Helper()
	read := map[string]bool{}
	for _, id := range g.events {
		read[id[:16]] = true
	}
	written := map[string]bool{}
	for _, id := range c.ids {
		written[id[:16]] = true
	}
	for id := range read {
		if !written[id] {
			t.Fatalf("read an event that was not written: %s", id)
		}
	}
	lost := map[string]bool{}
	for _, l := range d.LostEvents {
		lost[l.IDPrefix] = true
		if read[l.IDPrefix] {
			t.Fatalf("%s is listed as lost but was read", l.IDPrefix)
		}
	}
	if d.IndexComplete {
		for id := range written {
			if !read[id] && !lost[id] {
				t.Fatalf("%s was neither read nor listed as lost", id)
			}
		}
	} else if len(read)+len(lost)+d.LostUnlisted != len(written) {
		t.Fatalf("read %d + lost %d + unlisted %d != written %d", len(read), len(lost), d.LostUnlisted, len(written))
	}
	for _, b := range d.LostBlobs {
		for sum, data := range c.blobs {
			if fmt.Sprintf("%x", sum) == b.SHA256 && bytes.Equal(g.blobs[sum], data) {
				t.Fatalf("blob %s listed as lost but read whole", b.SHA256[:8])
			}
		}
	}
}

func TestTruncatedAndCorrupted(t *testing.T) {
	c := makeContent(t, 3000, 200_000)
	out, _ := write(t, c, Options{Lock: Lock{Passphrase: "p"}})
	whole := out.parts[0].buf.Bytes()
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 12 {
		b := append([]byte{}, whole...)
		var what string
		switch trial % 3 {
		case 0: // cut anywhere in the frames
			n := partHead + rng.IntN(len(b)-partCost)
			b, what = b[:n], fmt.Sprintf("cut at %d", n)
		case 1: // a damaged run of bytes in the frames
			at := partHead + rng.IntN(len(b)-partCost-100)
			for i := range 1 + rng.IntN(100) {
				b[at+i] ^= 0x5a
			}
			what = fmt.Sprintf("damaged at %d", at)
		case 2: // both
			at := partHead + rng.IntN(len(b)/2)
			b[at] ^= 1
			b, what = b[:len(b)-rng.IntN(len(b)/3)-1], fmt.Sprintf("damaged at %d and cut", at)
		}
		t.Run(what, func(t *testing.T) {
			g, d := read(t, []Source{memSource{"b", b}}, Keys{Passphrase: "p"})
			if !d.Any() {
				t.Fatal("no damage reported")
			}
			if len(g.events) == 0 && len(b) > partHead+3*FrameSize {
				t.Fatal("nothing read")
			}
			checkLoss(t, c, g, d)
		})
	}
}

func TestMaxSize(t *testing.T) {
	c := makeContent(t, 5000, 50_000, 50_000)
	maxes := []int64{3000, 20_000, 150_000, 700_000}
	if raceEnabled {
		maxes = []int64{3000, 150_000}
	}
	for _, max := range maxes {
		out := newMemOut()
		w, err := NewWriter(out, Options{Lock: Lock{Passphrase: "p"}, Max: max})
		if err != nil {
			t.Fatal(err)
		}
		added := 0
		for i, raw := range c.events {
			if err := w.AddEvent(raw, c.ids[i], 1); err == nil {
				added++
			} else if !errors.Is(err, ErrFull) {
				t.Fatal(err)
			}
		}
		for _, sum := range sortedSums(c.blobs) {
			w.AddBlob(sum, int64(len(c.blobs[sum])), bytes.NewReader(c.blobs[sum]))
		}
		s, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Bytes > max {
			t.Fatalf("max %d: wrote %d bytes", max, s.Bytes)
		}
		if added == 0 || added == len(c.events) {
			t.Fatalf("max %d: added %d of %d events", max, added, len(c.events))
		}
		if s.Bytes < max*6/10 {
			t.Errorf("max %d: used only %d bytes", max, s.Bytes)
		}
		g, d := read(t, out.sources(), Keys{Passphrase: "p"})
		if d.Any() || len(g.events) != added {
			t.Fatalf("max %d: read %d of %d, %+v", max, len(g.events), added, d)
		}
	}
	if _, err := NewWriter(newMemOut(), Options{Lock: Lock{Passphrase: "p"}, Max: 500}); err == nil {
		t.Fatal("a limit smaller than the head was taken")
	}
}

// A damaged part header: the part is placed by trying its first frame.
func TestDamagedHeader(t *testing.T) {
	c := makeContent(t, 3000)
	out, _ := write(t, c, Options{Lock: Lock{Passphrase: "p"}, PartSize: MinPartSize * 2})
	srcs := out.sources()
	b := srcs[1].(memSource).b
	b[slotsSize+20] ^= 0xff
	g, d := read(t, srcs, Keys{Passphrase: "p"})
	if len(d.Located) != 1 || len(g.events) != len(c.ids) {
		t.Fatalf("damaged header: read %d of %d, located %v", len(g.events), len(c.ids), d.Located)
	}
}

// The limit holds whatever the content: text that compresses a hundredfold
// fills frames by the raw cap, mixed content changes the ratio from frame
// to frame.
func TestMaxSizeAnyContent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	kinds := map[string]func(i int) string{
		"repetitive": func(i int) string { return strings.Repeat("a", 500+i%7) },
		"mixed": func(i int) string {
			if i%3 == 0 {
				b := make([]byte, 300)
				for j := range b {
					b[j] = byte(rng.Uint32())
				}
				return fmt.Sprintf("%x", b)
			}
			return strings.Repeat("word ", 100)
		},
	}
	c, step := makeContent(t, 4000), int64(17)
	if raceEnabled {
		c, step = makeContent(t, 1500), 40
	}
	for max := int64(100_000); max < 3_000_000; max = max*step/10 + 7919 {
		out := newMemOut()
		w, err := NewWriter(out, Options{Lock: Lock{Passphrase: "p"}, Max: max})
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.events {
			if err := w.AddEvent(c.events[i], c.ids[i], 1); err != nil && !errors.Is(err, ErrFull) {
				t.Fatal(err)
			}
		}
		if s, err := w.Close(); err != nil || s.Bytes > max {
			t.Errorf("notes, max %d: wrote %d bytes (%v)", max, s.Bytes, err)
		}
	}
	for name, text := range kinds {
		var raws [][]byte
		var ids []string
		for i := range 3000 {
			id := fmt.Sprintf("%064x", i+1)
			raws = append(raws, []byte(`{"id":"`+id+`","content":"`+text(i)+`"}`))
			ids = append(ids, id)
		}
		maxes := []int64{100_000, 200_000, 300_000, 1_000_000, 1_234_567}
		if raceEnabled {
			maxes = []int64{200_000, 1_234_567}
		}
		for _, max := range maxes {
			out := newMemOut()
			w, err := NewWriter(out, Options{Lock: Lock{Passphrase: "p"}, Max: max})
			if err != nil {
				t.Fatal(err)
			}
			for i := range raws {
				if err := w.AddEvent(raws[i], ids[i], 1); err != nil && !errors.Is(err, ErrFull) {
					t.Fatal(err)
				}
			}
			s, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			if s.Bytes > max {
				t.Errorf("%s, max %d: wrote %d bytes", name, max, s.Bytes)
			}
		}
	}
}
