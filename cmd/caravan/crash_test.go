package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/coder/websocket"
)

// buildCaravan compiles the real binary once per test run.
var buildCaravan = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "caravan-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "caravan")
	args := []string{"build", "-o", bin}
	if os.Getenv("CARAVAN_PPROF") != "" {
		args = append(args, "-tags", "pprof") // see pprof.go
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// soundStore opens the store of data directory data after the kill of
// round, and fails the test unless SQLite's integrity check passes. The
// caller closes it.
func soundStore(t *testing.T, data string, round int) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(data, "events.db"), store.Options{})
	if err != nil {
		t.Fatalf("round %d: reopen after kill: %v", round, err)
	}
	if v, err := st.IntegrityCheck(context.Background()); err != nil || v != "ok" {
		st.Close()
		t.Fatalf("round %d: integrity_check: %q %v", round, v, err)
	}
	return st
}

// TestKillDuringPublishLosesNothingAcknowledged kills `caravan serve` with
// SIGKILL while clients publish as fast as they can, at a different moment
// each round. After each kill, every event the node answered OK true for
// must be in the store, and SQLite's integrity check must pass.
func TestKillDuringPublishLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin, err := buildCaravan()
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	rng := rand.New(rand.NewSource(1))
	const rounds = 6
	totalAcked := 0
	for round := 0; round < rounds; round++ {
		acked := runAndKill(t, bin, data, round, time.Duration(50+rng.Intn(600))*time.Millisecond)
		totalAcked += len(acked)

		st := soundStore(t, data, round)
		have, err := st.Has(context.Background(), acked)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range acked {
			if !have[id] {
				t.Fatalf("round %d: event %s was acknowledged but is gone after SIGKILL", round, id)
			}
		}
		st.Close()
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
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--no-passphrase")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	rt := waitRuntime(t, data, cmd.Process.Pid)

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
			ws, _, err := websocket.Dial(ctx, rt.Relay, nil)
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
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Every OK read, even after the signal, was sent by the node before it
	// died: all of them are acknowledgements.
	wg.Wait()
	cancel()
	return acked
}

func waitRuntime(t *testing.T, data string, pid int) node.Runtime {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		rt, err := node.ReadRuntime(data)
		if err == nil && rt.PID == pid {
			return rt
		}
	}
	t.Fatal("the node did not start")
	return node.Runtime{}
}
