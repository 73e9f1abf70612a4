package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/nbd-wtf/go-nostr"
)

// TestKillDuringBlobWrites kills nodes while they write attachments, by
// both ways blobs are written: uploads (the local API's attachments, as
// `caravan report attach` sends them, and Blossom's PUT /upload), and
// sync, which stores a blob part by part as it arrives. After each kill
// the store is sound, every held blob matches its hash (no cut blob is
// kept as whole), the parts of blobs still arriving leave no gap, and
// every upload that was answered is there; after the kills, uploading
// again and one more sync complete, the sync fetching only what had not
// arrived, and the puller serves every blob with its hash.
func TestKillDuringBlobWrites(t *testing.T) {
	bin := caravanBinary(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	me := evtest.NewKey("aigerim, with photos")
	withIdentity(t, bin, a, "aigerim", me)
	withIdentity(t, bin, b, "aigerim", me)
	rng := rand.New(rand.NewSource(4))  // when to kill
	fill := rand.New(rand.NewSource(5)) // the blobs' bytes, under mu
	var (
		mu    sync.Mutex
		blobs [][]byte // every blob offered, in order
		sums  []string
		acked = map[string]bool{}
	)
	newBlob := func() ([]byte, string) {
		mu.Lock()
		defer mu.Unlock()
		data := make([]byte, 1<<20+fill.Intn(2<<20))
		fill.Read(data)
		h := sha256.Sum256(data)
		blobs = append(blobs, data)
		sums = append(sums, hex.EncodeToString(h[:]))
		return data, sums[len(sums)-1]
	}

	// Uploads to a, three at a time, each a new blob, until a is killed.
	for round := range 4 {
		node := startServe(t, bin, a)
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Go(func() {
				for i := 0; ; i++ {
					data, sum := newBlob()
					var err error
					if (w+i)%2 == 0 {
						_, err = node.client().Attach(context.Background(), "", "photo", "", "application/octet-stream", data, false)
					} else {
						var code int
						code, _, err = node.upload(context.Background(), me, data)
						if err == nil && code != http.StatusCreated {
							err = fmt.Errorf("status %d", code)
						}
					}
					if err != nil {
						return // killed
					}
					mu.Lock()
					acked[sum] = true
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(100+rng.Intn(600)) * time.Millisecond)
		node.kill()
		wg.Wait()
		checkBlobs(t, a, round, acked, sums)
		t.Logf("upload round %d: %d of %d blobs offered acknowledged so far", round, len(acked), len(blobs))
	}
	// Uploading again completes, whatever a kill cut.
	node := startServe(t, bin, a)
	for i, data := range blobs {
		if code, reason, err := node.upload(context.Background(), me, data); err != nil || code != http.StatusOK && code != http.StatusCreated {
			t.Fatalf("upload %d after the kills: %d %q %v", i, code, reason, err)
		}
	}
	all := map[string]bool{}
	for _, sum := range sums {
		all[sum] = true
	}
	checkBlobs(t, a, 4, all, sums) // while a serves: SQLite lets another process read
	blobs, sums = blobs[:8], sums[:8]

	// A note on a names them all, so b, with the same identity, fetches
	// them when it syncs.
	var tags nostr.Tags
	for i, sum := range sums {
		tags = append(tags, nostr.Tag{"imeta", "x " + sum, "m application/octet-stream", fmt.Sprint("size ", len(blobs[i]))})
	}
	if _, err := localapi.Call(context.Background(), node.client(), localapi.Post, localapi.PostRequest{Kind: 1, Content: "photos from the square", Tags: tags}); err != nil {
		t.Fatal(err)
	}

	// b pulls them; its sync, or a, is killed mid-blob.
	heldB := map[string]bool{}
	killed := map[string]int{}
	for round := range 6 {
		if node == nil {
			node = startServe(t, bin, a)
		}
		s := startSync(t, bin, b, node.rt.Relay)
		victim := "caravan sync"
		if round%3 == 2 {
			victim = "caravan serve"
		}
		if !s.untilPhase("blobs") {
			victim = "nothing (the sync ended first)"
		} else {
			time.Sleep(time.Duration(rng.Intn(200)) * time.Millisecond)
			if victim == "caravan sync" {
				s.cmd.Process.Signal(syscall.SIGKILL)
			} else {
				node.kill()
				node = nil
			}
		}
		killed[victim]++
		s.finish()
		now := checkBlobs(t, b, round, heldB, sums)
		t.Logf("sync round %d: killed %s; b holds %d of %d blobs", round, victim, len(now), len(blobs))
		heldB = now
	}
	if node == nil {
		node = startServe(t, bin, a)
	}
	missing, arrived := int64(0), int64(0)
	st := soundStore(t, b, 6)
	wants, err := st.WantedBlobs(context.Background(), 100)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		for i, sum := range sums {
			if sum == w.SHA256 {
				missing += int64(len(blobs[i]))
				arrived += w.Have
			}
		}
	}
	last := startSync(t, bin, b, node.rt.Relay)
	p, err := last.finish()
	if err != nil || p.Incomplete || p.Error != "" {
		t.Fatalf("the sync after the kills: %v %+v\n%s", err, p, &last.stderr)
	}
	if p.BlobBytesIn != missing-arrived {
		t.Errorf("the last sync fetched %d blob bytes, want the %d still missing (%d of the unfinished blobs had arrived)", p.BlobBytesIn, missing-arrived, arrived)
	}
	node.stop(t)

	puller := startServe(t, bin, b)
	for i, sum := range sums {
		resp, err := http.Get("http" + strings.TrimPrefix(puller.rt.Relay, "ws") + "/" + sum)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if h := sha256.Sum256(got); err != nil || resp.StatusCode != http.StatusOK || hex.EncodeToString(h[:]) != sum {
			t.Fatalf("blob %d served by b: %d, %d bytes, %v", i, resp.StatusCode, len(got), err)
		}
	}
	puller.stop(t)
	t.Logf("killed during sync: %v; then one sync fetched the last %d bytes (%d had arrived in parts)", killed, p.BlobBytesIn, arrived)
}

// checkBlobs opens data's store after the kill of round (soundStore:
// integrity, every blob against its hash) and fails the test unless it
// holds every blob in want. It returns which of sums it holds.
func checkBlobs(t *testing.T, data string, round int, want map[string]bool, sums []string) map[string]bool {
	t.Helper()
	st := soundStore(t, data, round)
	defer st.Close()
	held := map[string]bool{}
	for _, sum := range sums {
		_, ok, err := st.BlobInfo(context.Background(), sum)
		if err != nil {
			t.Fatal(err)
		}
		held[sum] = ok
	}
	for sum := range want {
		if !held[sum] {
			t.Fatalf("round %d: blob %s is gone", round, sum[:12])
		}
	}
	for sum, ok := range held {
		if !ok {
			delete(held, sum)
		}
	}
	return held
}
