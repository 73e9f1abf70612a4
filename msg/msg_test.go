package msg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

var (
	alice = evtest.NewKey("alice")
	bob   = evtest.NewKey("bob")
	eve   = evtest.NewKey("eve")
)

func TestWrapUnwrap(t *testing.T) {
	now := time.Now()
	rumor := NewRumor(alice.PubKey(), event.KindChat, "Salem, Bob! Are you safe?", nostr.Tags{{"p", bob.PubKey()}}, now)
	wrap, err := Wrap(rumor, bob.PubKey(), alice, Options{Expire: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// What a carrier sees: a valid kind-1059 event by a one-time key,
	// addressed to bob, with a time up to two days in the past.
	if err := event.Verify(wrap); err != nil {
		t.Fatal(err)
	}
	if wrap.Kind != 1059 || wrap.PubKey == alice.PubKey() || strings.Contains(wrap.Content, "Salem") {
		t.Fatalf("wrap reveals too much: %+v", wrap)
	}
	if d := now.Unix() - int64(wrap.CreatedAt); d < 0 || d > int64(maxJitter/time.Second) {
		t.Fatalf("wrap time moved by %ds", d)
	}
	if exp, ok := event.Expiration(wrap); !ok || exp != int64(wrap.CreatedAt)+30*86400 {
		t.Fatalf("expiration %d (%v)", exp, ok)
	}
	got, err := Unwrap(wrap, bob)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != rumor.ID || got.PubKey != alice.PubKey() || got.Content != rumor.Content {
		t.Fatalf("unwrapped %+v", got)
	}
	if _, err := Unwrap(wrap, eve); !errors.Is(err, ErrNotForMe) {
		t.Fatalf("eve opening bob's wrap: %v", err)
	}
	// Eve retargets the wrap at herself: the p tag changes, the content
	// is still encrypted for bob.
	stolen := *wrap
	stolen.Tags = nostr.Tags{{"p", eve.PubKey()}}
	if _, err := Unwrap(&stolen, eve); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("retargeted wrap: %v", err)
	}
}

// Eve seals a rumor that claims alice as its author: the seal's signature
// is eve's, so it is rejected as impersonation.
func TestImpersonationIsRejected(t *testing.T) {
	rumor := NewRumor(alice.PubKey(), event.KindChat, "I am alice, send money", nostr.Tags{{"p", bob.PubKey()}}, time.Now())
	ck, _ := eve.ConversationKey(bob.PubKey())
	inner, _ := json.Marshal(rumor)
	sealed, _ := Encrypt(string(inner), ck)
	seal := &nostr.Event{Kind: 13, Content: sealed, Tags: nostr.Tags{}, CreatedAt: nostr.Now()}
	eve.Sign(seal)
	sealJSON, _ := json.Marshal(seal)
	one := evtest.NewKey("one-time")
	wck, _ := ConversationKey(one.Secret, bob.PubKey())
	outer, _ := Encrypt(string(sealJSON), wck)
	wrap := one.Event(1059, time.Now().Unix(), outer, nostr.Tag{"p", bob.PubKey()})
	if _, err := Unwrap(wrap, bob); !errors.Is(err, ErrImpersonation) {
		t.Fatalf("impersonation: %v", err)
	}
}

func TestUnwrapRejectsDamage(t *testing.T) {
	rumor := NewRumor(alice.PubKey(), event.KindChat, "hello", nostr.Tags{{"p", bob.PubKey()}}, time.Now())
	wrap, _ := Wrap(rumor, bob.PubKey(), alice, Options{})
	for name, mutate := range map[string]func(w *nostr.Event){
		"flipped byte": func(w *nostr.Event) {
			w.Content = w.Content[:50] + string('A'+(w.Content[50]-'A'+1)%26) + w.Content[51:]
		},
		"truncated":  func(w *nostr.Event) { w.Content = w.Content[:len(w.Content)/2] },
		"not base64": func(w *nostr.Event) { w.Content = strings.Repeat("!", 200) },
		"empty":      func(w *nostr.Event) { w.Content = "" },
		"wrong kind": func(w *nostr.Event) { w.Kind = 1 },
	} {
		w := *wrap
		mutate(&w)
		if _, err := Unwrap(&w, bob); err == nil {
			t.Errorf("%s: unwrapped", name)
		}
	}
}

func TestSafetyNumberIsSymmetric(t *testing.T) {
	ab, err := SafetyNumber(alice.PubKey(), bob.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := SafetyNumber(bob.PubKey(), alice.PubKey())
	ae, _ := SafetyNumber(alice.PubKey(), eve.PubKey())
	if ab != ba || ab == ae {
		t.Fatalf("ab %s, ba %s, ae %s", ab, ba, ae)
	}
	groups := strings.Fields(ab)
	if len(groups) != 12 {
		t.Fatalf("%q: want 12 groups of 5 digits", ab)
	}
	for _, g := range groups {
		if len(g) != 5 || strings.Trim(g, "0123456789") != "" {
			t.Fatalf("group %q", g)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("photo of the square "), 1000)
	enc, f, err := EncryptFile(data, "image/jpeg", "square.jpg", nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc, []byte("photo")) {
		t.Fatal("the blob is not encrypted")
	}
	rumor := NewRumor(alice.PubKey(), event.KindFile, f.URL, f.Tags(), time.Now())
	back, err := FileOf(rumor)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := DecryptFile(enc, back)
	if err != nil || !bytes.Equal(plain, data) {
		t.Fatalf("round trip: %v", err)
	}
	enc[10] ^= 1
	if _, err := DecryptFile(enc, back); err == nil {
		t.Fatal("a damaged file decrypted")
	}
}

type memVault struct {
	mu   sync.Mutex
	rows map[string][2][]byte
}

func (m *memVault) VaultPut(ctx context.Context, owner, key, kind, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[string(owner)+string(key)] = [2][]byte{kind, data}
	return nil
}
func (m *memVault) VaultGet(ctx context.Context, owner, key []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rows[string(owner)+string(key)][1], nil
}
func (m *memVault) VaultList(ctx context.Context, owner, kind []byte) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][]byte
	for k, r := range m.rows {
		if strings.HasPrefix(k, string(owner)) && bytes.Equal(r[0], kind) {
			out = append(out, r[1])
		}
	}
	return out, nil
}
func (m *memVault) VaultDelete(ctx context.Context, owner, key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows, string(owner)+string(key))
	return nil
}

func TestVault(t *testing.T) {
	st := &memVault{rows: map[string][2][]byte{}}
	ctx := context.Background()
	v, err := OpenVault(st, alice.PubKey(), [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	type contact struct{ Name string }
	v.Put(ctx, "contact", "bob", contact{"Bob from Almaty"})
	v.Put(ctx, "contact", "aigerim", contact{"Aigerim"})
	v.Put(ctx, "msg", "m1", map[string]string{"text": "secret plans"})
	for _, r := range st.rows {
		if bytes.Contains(r[1], []byte("Almaty")) || bytes.Contains(r[1], []byte("secret")) {
			t.Fatal("plaintext in the vault's rows")
		}
	}
	var c contact
	if ok, err := v.Get(ctx, "contact", "bob", &c); !ok || err != nil || c.Name != "Bob from Almaty" {
		t.Fatalf("get: %v %v %+v", ok, err, c)
	}
	n := 0
	v.List(ctx, "contact", func(json.RawMessage) error { n++; return nil })
	if n != 2 {
		t.Fatalf("listed %d contacts", n)
	}
	// Another key reads nothing.
	other, _ := OpenVault(st, alice.PubKey(), [32]byte{2})
	if ok, _ := other.Get(ctx, "contact", "bob", &c); ok {
		t.Fatal("a wrong key read the vault")
	}
	// A row moved to another name is detected.
	for k, r := range st.rows {
		if bytes.Equal(r[0], v.hash("kind", "contact")) {
			st.rows[string(v.owner)+string(v.hash("row", "contact", "mallory"))] = r
			_ = k
			break
		}
	}
	if _, err := v.Get(ctx, "contact", "mallory", &c); !errors.Is(err, ErrVaultDamaged) {
		t.Fatalf("swapped row: %v", err)
	}
}

// FuzzUnwrap: arbitrary wrap contents never panic and never unwrap into a
// message unless they really are one.
func FuzzUnwrap(f *testing.F) {
	rumor := NewRumor(alice.PubKey(), event.KindChat, "hi", nostr.Tags{{"p", bob.PubKey()}}, time.Now())
	wrap, _ := Wrap(rumor, bob.PubKey(), alice, Options{})
	f.Add(wrap.PubKey, wrap.Content)
	f.Add(wrap.PubKey, "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("zz", "")
	f.Fuzz(func(t *testing.T, pub, content string) {
		w := &nostr.Event{Kind: 1059, PubKey: pub, Content: content, Tags: nostr.Tags{{"p", bob.PubKey()}}}
		r, err := Unwrap(w, bob)
		if err == nil && (r.PubKey != alice.PubKey() || r.Content != "hi") {
			t.Fatalf("unwrapped a forged message from %s", r.PubKey)
		}
	})
}

// TestWrapWithSeededRand checks that a wrap made from a seeded source
// (as the simulator does) is the same event every time, and still opens.
func TestWrapWithSeededRand(t *testing.T) {
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	rumor := NewRumor(alice.PubKey(), event.KindChat, "hello", nostr.Tags{{"p", bob.PubKey()}}, at)
	wrap := func(seed byte) *nostr.Event {
		o := Options{Now: func() time.Time { return at }, Rand: rand.NewChaCha8([32]byte{seed})}
		w, err := Wrap(rumor, bob.PubKey(), alice, o)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a, b, c := wrap(1), wrap(1), wrap(2)
	if a.ID != b.ID || a.Content != b.Content {
		t.Error("the same seed made different wraps")
	}
	if a.ID == c.ID || a.Content == c.Content {
		t.Error("different seeds made the same wrap")
	}
	if got, err := Unwrap(a, bob); err != nil || got.ID != rumor.ID {
		t.Errorf("unwrap: %v", err)
	}
}
