package negentropy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	gonegentropy "github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"
)

func randItems(r *rand.Rand, n int, times int) []Item {
	out := make([]Item, n)
	for i := range out {
		out[i].Time = uint64(1_700_000_000 + r.Intn(times))
		r.Read(out[i].ID[:])
	}
	return out
}

// split makes two sets sharing `common` items, with onlyA and onlyB more.
func split(r *rand.Rand, common, onlyA, onlyB, times int) (a, b []Item, wantHaves, wantNeeds map[[32]byte]bool) {
	all := randItems(r, common+onlyA+onlyB, times)
	a = append(a, all[:common]...)
	b = append(b, all[:common]...)
	wantHaves, wantNeeds = map[[32]byte]bool{}, map[[32]byte]bool{}
	for _, it := range all[common : common+onlyA] {
		a = append(a, it)
		wantHaves[it.ID] = true
	}
	for _, it := range all[common+onlyA:] {
		b = append(b, it)
		wantNeeds[it.ID] = true
	}
	return
}

// run reconciles client set a with server set b and returns what the
// client learned, the rounds and the bytes sent each way.
func run(t testing.TB, a, b []Item, frame int) (haves, needs map[[32]byte]bool, rounds, up, down int) {
	client := NewClient(NewSet(a), frame)
	server := NewServer(NewSet(b), frame)
	haves, needs = map[[32]byte]bool{}, map[[32]byte]bool{}
	msg := client.Initiate()
	for {
		rounds++
		if rounds > 1000 {
			t.Fatal("no convergence in 1000 rounds")
		}
		if frame > 0 && len(msg) > frame {
			t.Fatalf("client message of %d bytes exceeds frame limit %d", len(msg), frame)
		}
		up += len(msg)
		reply, _, err := server.Reconcile(msg)
		if err != nil {
			t.Fatal(err)
		}
		if frame > 0 && len(reply) > frame {
			t.Fatalf("server message of %d bytes exceeds frame limit %d", len(reply), frame)
		}
		down += len(reply)
		next, res, err := client.Reconcile(reply)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Haves {
			if haves[h.ID] {
				t.Fatalf("have %x reported twice", h.ID[:4])
			}
			haves[h.ID] = true
		}
		for _, n := range res.Needs {
			if needs[n.ID] {
				t.Fatalf("need %x reported twice", n.ID[:4])
			}
			needs[n.ID] = true
		}
		if next == nil {
			return
		}
		msg = next
	}
}

func sameSet(a, b map[[32]byte]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func TestReconcileFindsExactDifferences(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	cases := []struct{ common, onlyA, onlyB, times, frame int }{
		{0, 0, 0, 10, 0},
		{0, 5, 0, 10, 0},
		{0, 0, 5, 10, 0},
		{10, 0, 0, 10, 0},
		{100, 3, 4, 1, 0}, // all at the same second: prefixes disambiguate
		{1000, 10, 10, 1000, 0},
		{5000, 0, 1, 100000, 0},
		{5000, 200, 300, 3, 4096},
		{20000, 500, 500, 1000000, 4096},
		{20000, 3000, 0, 1000000, 8192},
		{0, 3000, 3000, 1000, 4096},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%d+%d/%d@%d,frame%d", c.common, c.onlyA, c.onlyB, c.times, c.frame)
		t.Run(name, func(t *testing.T) {
			a, b, wantH, wantN := split(r, c.common, c.onlyA, c.onlyB, c.times)
			haves, needs, rounds, _, _ := run(t, a, b, c.frame)
			if !sameSet(haves, wantH) || !sameSet(needs, wantN) {
				t.Fatalf("haves %d (want %d), needs %d (want %d)", len(haves), len(wantH), len(needs), len(wantN))
			}
			t.Logf("%d rounds", rounds)
		})
	}
}

// TestReconcileAdaptiveFrames reconciles as package carry does: the
// client's frames double while round trips are quick and the server sizes
// its frames to the client's messages. Cut-short ranges must not make a
// side send two ranges ending at infinity (which the other refused as out
// of order, ending honest syncs), nor report a difference twice (which
// made a session push and pull the same events again).
func TestReconcileAdaptiveFrames(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for trial := range 40 {
		a, b, wantH, wantN := split(r, r.Intn(500), 300, 3000, 1+r.Intn(10))
		frame := 16 << 10
		client := NewClient(NewSet(a), frame)
		server := NewServer(NewSet(b), 0)
		haves, needs := map[[32]byte]bool{}, map[[32]byte]bool{}
		msg := client.Initiate()
		for round := 0; ; round++ {
			if round > 1000 {
				t.Fatalf("trial %d: no convergence", trial)
			}
			server.SetFrameLimit(min(max(2*len(msg), 8<<10), 200_000))
			reply, _, err := server.Reconcile(msg)
			if err != nil {
				t.Fatalf("trial %d, round %d: server: %v", trial, round, err)
			}
			frame = min(frame*2, 200_000)
			client.SetFrameLimit(frame)
			next, res, err := client.Reconcile(reply)
			if err != nil {
				t.Fatalf("trial %d, round %d: client: %v", trial, round, err)
			}
			for _, h := range res.Haves {
				if haves[h.ID] {
					t.Fatalf("trial %d: have %x reported twice", trial, h.ID[:4])
				}
				haves[h.ID] = true
			}
			for _, n := range res.Needs {
				if needs[n.ID] {
					t.Fatalf("trial %d: need %x reported twice", trial, n.ID[:4])
				}
				needs[n.ID] = true
			}
			if next == nil {
				break
			}
			msg = next
		}
		if !sameSet(haves, wantH) || !sameSet(needs, wantN) {
			t.Fatalf("trial %d: haves %d (want %d), needs %d (want %d)", trial, len(haves), len(wantH), len(needs), len(wantN))
		}
	}
}

func TestFingerprintMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	items := randItems(r, 200, 50)
	s := NewSet(items)
	for _, rg := range [][2]int{{0, 0}, {0, 1}, {0, 200}, {31, 33}, {64, 130}, {199, 200}} {
		// Straight from the spec: little-endian 256-bit sum, then count.
		sum := make([]byte, 32)
		for i := rg[0]; i < rg[1]; i++ {
			carry := 0
			id := s.Item(i).ID
			for j := 0; j < 32; j++ {
				v := int(sum[j]) + int(id[j]) + carry
				sum[j], carry = byte(v), v>>8
			}
		}
		h := sha256.Sum256(putVarint(sum, uint64(rg[1]-rg[0])))
		if got := s.Fingerprint(rg[0], rg[1]); !bytes.Equal(got[:], h[:16]) {
			t.Fatalf("fingerprint %v: %x, want %x", rg, got, h[:16])
		}
	}
}

// TestBuilderMatchesNewSet: a set built item by item across several
// blocks, duplicates included, is the set NewSet makes of the same items,
// with the same fingerprints.
func TestBuilderMatchesNewSet(t *testing.T) {
	for _, n := range []int{0, 1, blockSize - 1, blockSize, 3*blockSize + 17} {
		r := rand.New(rand.NewSource(int64(n)))
		items := randItems(r, n, 1000)
		if n > 10 {
			items = append(items, items[:n/3]...) // duplicates, some in other blocks
		}
		var b Builder
		for _, it := range items {
			b.Add(it)
		}
		built := b.Set()
		want := NewSet(append([]Item(nil), items...))
		if built.Size() != want.Size() || built.Size() != n {
			t.Fatalf("n=%d: Builder made %d items, NewSet %d", n, built.Size(), want.Size())
		}
		for i := 0; i < n; i++ {
			if built.Item(i) != want.Item(i) {
				t.Fatalf("n=%d: item %d differs", n, i)
			}
		}
		for _, rg := range [][2]int{{0, n}, {0, n / 2}, {n / 3, n}, {n / 2, n / 2}} {
			if built.Fingerprint(rg[0], rg[1]) != want.Fingerprint(rg[0], rg[1]) {
				t.Fatalf("n=%d: fingerprint of %v differs", n, rg)
			}
		}
	}
}

func TestVarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 255, 16383, 16384, 1 << 35, 1<<64 - 1} {
		b := putVarint(nil, v)
		got, err := (&reader{b: b}).varint()
		if err != nil || got != v {
			t.Fatalf("%d -> %x -> %d, %v", v, b, got, err)
		}
	}
	if b := putVarint(nil, 300); !bytes.Equal(b, []byte{0x82, 0x2c}) {
		t.Fatalf("300 encodes as %x, want 822c (most significant digit first)", b)
	}
}

func TestHostileMessages(t *testing.T) {
	server := NewServer(NewSet(randItems(rand.New(rand.NewSource(3)), 100, 10)), 0)
	client := NewClient(NewSet(nil), 0)
	bound0 := []byte{0x00, 0x00} // infinity, empty prefix
	cases := map[string][]byte{
		"empty":                   {},
		"truncated bound":         {Version, 0x85},
		"varint overflow":         append([]byte{Version}, bytes.Repeat([]byte{0xff}, 11)...),
		"prefix longer than 32":   {Version, 0x01, 33},
		"unknown mode":            append(append([]byte{Version}, bound0...), 7),
		"short fingerprint":       append(append([]byte{Version}, bound0...), ModeFingerprint, 1, 2, 3),
		"id list claims 2^60 ids": append(append(append([]byte{Version}, bound0...), ModeIDList), putVarint(nil, 1<<60)...),
		"ids cut short":           append(append([]byte{Version}, bound0...), ModeIDList, 2, 1, 2, 3),
		"ranges go backwards":     {Version, 0x0a, 0, ModeSkip, 0x01, 0, ModeSkip, 0x02, 0, ModeSkip},
		"range after infinity":    {Version, 0x00, 0, ModeSkip, 0x00, 0, ModeSkip},
		"timestamp overflow":      append(append([]byte{Version}, putVarint(nil, 1<<64-2)...), 0, ModeSkip, 0x03, 0, ModeSkip),
	}
	for name, msg := range cases {
		for _, r := range []*Reconciler{server, client} {
			if _, _, err := r.Reconcile(msg); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s (client=%v): %v, want ErrMalformed", name, r.client, err)
			}
		}
	}
	// A server answers an unknown version with its own version byte.
	if reply, _, err := server.Reconcile([]byte{0x62, 1, 2}); err != nil || !bytes.Equal(reply, []byte{Version}) {
		t.Errorf("version 2 message: %x %v", reply, err)
	}
}

// go-nostr's implementation is an independent peer: our client against its
// server, and its client against our server, must find the same
// differences.
func TestInteropWithGoNostr(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, c := range []struct{ common, onlyA, onlyB, times int }{
		{0, 3, 4, 10}, {300, 20, 30, 5}, {5000, 100, 80, 100000}, {3000, 0, 500, 2},
	} {
		a, b, wantH, wantN := split(r, c.common, c.onlyA, c.onlyB, c.times)

		// Ours as client, go-nostr as server.
		theirs := goNostrSet(b)
		server := gonegentropy.New(theirs, 0)
		client := NewClient(NewSet(append([]Item(nil), a...)), 0)
		haves, needs := map[[32]byte]bool{}, map[[32]byte]bool{}
		msg := client.Initiate()
		for i := 0; ; i++ {
			if i > 50 {
				t.Fatal("no convergence")
			}
			reply, err := server.Reconcile(hex.EncodeToString(msg))
			if err != nil {
				t.Fatalf("go-nostr server: %v", err)
			}
			rb, _ := hex.DecodeString(reply)
			next, res, err := client.Reconcile(rb)
			if err != nil {
				t.Fatalf("our client on go-nostr's reply: %v", err)
			}
			for _, h := range res.Haves {
				haves[h.ID] = true
			}
			for _, n := range res.Needs {
				needs[n.ID] = true
			}
			if next == nil {
				break
			}
			msg = next
		}
		if !sameSet(haves, wantH) || !sameSet(needs, wantN) {
			t.Fatalf("ours vs go-nostr server %+v: haves %d/%d needs %d/%d", c, len(haves), len(wantH), len(needs), len(wantN))
		}

		// go-nostr as client, ours as server.
		gc := gonegentropy.New(goNostrSet(a), 0)
		ourServer := NewServer(NewSet(append([]Item(nil), b...)), 0)
		gotH, gotN := map[[32]byte]bool{}, map[[32]byte]bool{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for id := range gc.Haves {
				gotH[[32]byte(mustHex(id))] = true
			}
		}()
		needDone := make(chan struct{})
		go func() {
			defer close(needDone)
			for id := range gc.HaveNots {
				gotN[[32]byte(mustHex(id))] = true
			}
		}()
		hmsg := gc.Start()
		for i := 0; ; i++ {
			if i > 50 {
				t.Fatal("no convergence")
			}
			mb, _ := hex.DecodeString(hmsg)
			reply, _, err := ourServer.Reconcile(mb)
			if err != nil {
				t.Fatalf("our server on go-nostr's message: %v", err)
			}
			next, err := gc.Reconcile(hex.EncodeToString(reply))
			if err != nil {
				t.Fatalf("go-nostr client on our reply: %v", err)
			}
			if next == "" {
				break
			}
			hmsg = next
		}
		<-done
		<-needDone
		if !sameSet(gotH, wantH) || !sameSet(gotN, wantN) {
			t.Fatalf("go-nostr client vs our server %+v: haves %d/%d needs %d/%d", c, len(gotH), len(wantH), len(gotN), len(wantN))
		}
	}
}

func goNostrSet(items []Item) *vector.Vector {
	v := vector.New()
	sorted := append([]Item(nil), items...)
	sort.Slice(sorted, func(i, j int) bool { return Compare(sorted[i], sorted[j]) < 0 })
	for _, it := range sorted {
		v.Insert(nostr.Timestamp(it.Time), hex.EncodeToString(it.ID[:]))
	}
	v.Seal()
	return v
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// With adds items to a set as NewSet would hold them all; Has finds
// exactly the items held.
func TestWithMatchesNewSet(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, c := range []struct{ held, extra, shared int }{{0, 0, 0}, {0, 5, 0}, {5, 0, 0}, {100, 30, 10}, {3 * blockSize, 500, 200}} {
		held := randItems(r, c.held, 50)
		extra := append(randItems(r, c.extra, 50), held[:c.shared]...)
		if len(extra) > 0 {
			extra = append(extra, extra[0]) // a duplicate among the extras
		}
		s := NewSet(append([]Item(nil), held...))
		before := s.Size()
		got := s.With(append([]Item(nil), extra...))
		want := NewSet(append(append([]Item(nil), held...), extra...))
		if s.Size() != before {
			t.Fatalf("%+v: With changed the set it was called on", c)
		}
		if got.Size() != want.Size() || (got.Size() > 0 && got.Fingerprint(0, got.Size()) != want.Fingerprint(0, want.Size())) {
			t.Fatalf("%+v: With holds %d items, NewSet %d, or their fingerprints differ", c, got.Size(), want.Size())
		}
		for i := 0; i < got.Size(); i++ {
			if got.Item(i) != want.Item(i) {
				t.Fatalf("%+v: item %d differs", c, i)
			}
		}
		for _, it := range held {
			if !s.Has(it) {
				t.Fatalf("%+v: Has misses a held item", c)
			}
		}
		for _, it := range extra[:c.extra] {
			if s.Has(it) || !got.Has(it) {
				t.Fatalf("%+v: Has is wrong about an added item", c)
			}
		}
	}
}
