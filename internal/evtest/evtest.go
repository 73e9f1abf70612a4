// Package evtest makes signed Nostr events for tests, with deterministic keys
// so that failures reproduce.
package evtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip44"
)

// Key is a test identity.
type Key struct {
	Secret string // hex
	Public string // hex
}

// NewKey derives a key from a name, the same on every run.
func NewKey(name string) Key {
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("caravan test key %s %d", name, i)))
		sk := hex.EncodeToString(h[:])
		pk, err := nostr.GetPublicKey(sk)
		if err == nil {
			return Key{Secret: sk, Public: pk}
		}
	}
}

// Event signs an event of the given kind, time and content, with tags.
func (k Key) Event(kind int, createdAt int64, content string, tags ...nostr.Tag) *nostr.Event {
	ev := &nostr.Event{
		Kind:      kind,
		CreatedAt: nostr.Timestamp(createdAt),
		Content:   content,
		Tags:      nostr.Tags(tags),
	}
	if ev.Tags == nil {
		ev.Tags = nostr.Tags{}
	}
	if err := ev.Sign(k.Secret); err != nil {
		panic(err)
	}
	return ev
}

// PubKey, Sign and ConversationKey make a Key an identity that seals and
// opens private messages (msg.Identity).
func (k Key) PubKey() string { return k.Public }

// Sign signs ev as k.
func (k Key) Sign(ev *nostr.Event) error { return ev.Sign(k.Secret) }

// ConversationKey is the NIP-44 key between k and peer.
func (k Key) ConversationKey(peer string) ([32]byte, error) {
	return nip44.GenerateConversationKey(peer, k.Secret)
}

// Notes makes n distinct signed notes by 100 authors, dated over the last
// day, signing on all cores: the load of the ingest and bundle benchmarks.
func Notes(n int) []*nostr.Event {
	evs := make([]*nostr.Event, n)
	ks := make([]Key, 100)
	for i := range ks {
		ks[i] = NewKey(fmt.Sprint("bench", i))
	}
	now := time.Now().Unix()
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += w {
				evs[i] = ks[i%100].Event(1, now-int64(i%86400), fmt.Sprintf("benchmark note %d with some words in it", i),
					nostr.Tag{"t", fmt.Sprint("topic", i%50)}, nostr.Tag{"p", ks[(i+1)%100].Public})
			}
		}(g)
	}
	wg.Wait()
	return evs
}
