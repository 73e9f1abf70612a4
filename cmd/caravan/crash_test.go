package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/coder/websocket"
)

// TestKillDuringPublishLosesNothingAcknowledged kills `caravan serve` with
// SIGKILL while clients publish as fast as they can, at a different moment
// each round. After each kill, every event the node answered OK true for
// must be in the store, and SQLite's integrity check must pass.
func TestKillDuringPublishLosesNothingAcknowledged(t *testing.T) {
	bin := caravanBinary(t)
	data := t.TempDir()
	rng := rand.New(rand.NewSource(1))
	const rounds = 6
	totalAcked := 0
	for round := 0; round < rounds; round++ {
		acked := runAndKill(t, bin, data, round, time.Duration(50+rng.Intn(600))*time.Millisecond)
		totalAcked += len(acked)
		have := holding(t, data, round, acked)
		for _, id := range acked {
			if !have[id] {
				t.Fatalf("round %d: event %s was acknowledged but is gone after SIGKILL", round, id)
			}
		}
	}
	if totalAcked == 0 {
		t.Fatal("no event was acknowledged in any round; the test proved nothing")
	}
	t.Logf("%d acknowledged events survived %d kills", totalAcked, rounds)
}

// runAndKill starts the node, publishes from two connections and kills the
// node after the given delay. It returns the ids acknowledged with OK true.
func runAndKill(t *testing.T, bin, data string, round int, after time.Duration) []string {
	t.Helper()
	node := startServe(t, bin, data)
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ws, _, err := websocket.Dial(ctx, node.rt.Relay, nil)
			if err != nil {
				return
			}
			defer ws.CloseNow()
			k := evtest.NewKey(fmt.Sprint("crash", round, w))
			// Keep up to 32 events in flight, so kills land mid-batch.
			sent := make(chan struct{}, 32)
			go func() {
				for i := 0; ctx.Err() == nil; i++ {
					ev := k.Event(1, time.Now().Unix(), fmt.Sprint("round ", round, " event ", i))
					b, _ := json.Marshal([]any{"EVENT", ev})
					select {
					case sent <- struct{}{}:
					case <-ctx.Done():
						return
					}
					if ws.Write(ctx, websocket.MessageText, b) != nil {
						return
					}
				}
			}()
			for {
				_, b, err := ws.Read(ctx)
				if err != nil {
					return
				}
				var m []json.RawMessage
				if json.Unmarshal(b, &m) != nil || len(m) < 3 || string(m[0]) != `"OK"` {
					continue
				}
				<-sent
				var id string
				var ok bool
				json.Unmarshal(m[1], &id)
				json.Unmarshal(m[2], &ok)
				if ok {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(after)
	node.kill()
	// Every OK read, even after the signal, was sent by the node before it
	// died: all of them are acknowledgements.
	wg.Wait()
	cancel()
	return acked
}
