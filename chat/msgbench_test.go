package chat

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/nbd-wtf/go-nostr"
)

// benchNode opens a node with one identity, name, without a passphrase,
// and its private messages.
func benchNode(b *testing.B, name string) *Service {
	return New(nodetest.Person(b, name, ""))
}

// wireBytes is the size of an event as one NIP-01 EVENT message.
func wireBytes(ev *nostr.Event) int {
	raw, _ := ev.MarshalJSON()
	return len(`["EVENT",]`) + len(raw)
}

// BenchmarkMessages measures, in one run: a plain signed note (the
// baseline), sending a private message (seal and wrap for the recipient
// and for ourselves, stored), opening one, the bytes on the wire of a
// 33-character message and of a 10-member group message, and finding and
// opening the user's wraps among 100,000 wraps for others.
func BenchmarkMessages(b *testing.B) {
	ctx := context.Background()
	text := "Are you safe? Meet at the clinic." // 33 characters
	if len(text) != 33 {
		b.Fatal(len(text))
	}

	b.Run("plain-note", func(b *testing.B) {
		n := benchNode(b, "me")
		for i := 0; i < b.N; i++ {
			if _, err := n.n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint(text, i)}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("send-dm", func(b *testing.B) {
		n := benchNode(b, "me")
		to := evtest.NewKey("recipient").Public
		var bytes int
		for i := 0; i < b.N; i++ {
			m, err := n.Send(ctx, "", []string{to}, text, "", nil)
			if err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				ws, _ := nodetest.Store(n.n).RawMany(ctx, m.Wraps[:1])
				bytes = len(`["EVENT",]`) + len(ws[m.Wraps[0]])
			}
		}
		b.ReportMetric(float64(bytes), "wire-bytes/recipient")
	})

	b.Run("open-dm", func(b *testing.B) {
		n := benchNode(b, "me")
		me, _ := n.n.Identity("")
		from := evtest.NewKey("sender")
		wraps := make([]*nostr.Event, b.N)
		for i := range wraps {
			r := msg.NewRumor(from.PubKey(), event.KindChat, fmt.Sprint(text, i), nostr.Tags{{"p", me.PubKey.Hex()}}, time.Now())
			w, err := msg.Wrap(r, me.PubKey.Hex(), from, msg.Options{})
			if err != nil {
				b.Fatal(err)
			}
			wraps[i] = w
		}
		n.SetReceipts(ctx, "", false)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if !n.openWrap(ctx, "me", wraps[i]) {
				b.Fatal("not opened")
			}
		}
	})

	b.Run("group-of-10", func(b *testing.B) {
		n := benchNode(b, "me")
		var members []string
		for i := 0; i < 9; i++ {
			members = append(members, evtest.NewKey(fmt.Sprint("member", i)).Public)
		}
		var total int
		for i := 0; i < b.N; i++ {
			m, err := n.Send(ctx, "", members, text, "medics", nil)
			if err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				ws, _ := nodetest.Store(n.n).RawMany(ctx, m.Wraps)
				for _, w := range ws {
					total += len(`["EVENT",]`) + len(w)
				}
			}
		}
		b.ReportMetric(float64(total), "wire-bytes/message")
	})

	b.Run("find-mine-among-100k", func(b *testing.B) {
		n := benchNode(b, "me")
		me, _ := n.n.Identity("")
		r := rand.New(rand.NewSource(1))
		hexs := func(k int) string {
			buf := make([]byte, k)
			r.Read(buf)
			return hex.EncodeToString(buf)
		}
		// 100,000 wraps for others (their signatures are not checked here:
		// the store holds what sync already validated).
		batch := make([]*nostr.Event, 0, 4096)
		now := time.Now().Unix()
		for i := 0; i < 100_000; i++ {
			batch = append(batch, &nostr.Event{ID: hexs(32), PubKey: hexs(32), Sig: hexs(64), Kind: 1059,
				CreatedAt: nostr.Timestamp(now - int64(r.Intn(172800))), Content: strings.Repeat("A", 1200),
				Tags: nostr.Tags{{"p", hexs(32)}}})
			if len(batch) == cap(batch) {
				nodetest.Store(n.n).Save(ctx, batch...)
				batch = batch[:0]
			}
		}
		nodetest.Store(n.n).Save(ctx, batch...)
		from := evtest.NewKey("sender")
		var mine []*nostr.Event
		for i := 0; i < 100; i++ {
			rm := msg.NewRumor(from.PubKey(), event.KindChat, fmt.Sprint(text, i), nostr.Tags{{"p", me.PubKey.Hex()}}, time.Now())
			w, _ := msg.Wrap(rm, me.PubKey.Hex(), from, msg.Options{})
			mine = append(mine, w)
		}
		nodetest.Store(n.n).Save(ctx, mine...)
		n.SetReceipts(ctx, "", false)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			// Forget what was opened, so each round finds and opens all 100.
			m, _ := n.messenger("me")
			for _, w := range mine {
				m.vault.Delete(ctx, vSeen, w.ID)
				m.vault.Delete(ctx, vMsg, mustRumorID(b, w, m))
			}
			b.StartTimer()
			opened, err := n.ReadBacklog(ctx, "")
			if err != nil || opened != 100 {
				b.Fatalf("opened %d: %v", opened, err)
			}
		}
	})
}

func mustRumorID(b *testing.B, w *nostr.Event, m *messenger) string {
	r, err := msg.Unwrap(w, m.id)
	if err != nil {
		b.Fatal(err)
	}
	return r.ID
}
