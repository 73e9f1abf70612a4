package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/smalldisk"
	"github.com/caravan-mesh/caravan/policy"
)

// smallDisk is the size of the filesystems the tests below put a data
// directory on, in bytes and as mount takes it.
const (
	smallDisk     = 30 << 20
	smallDiskSize = "30m"
)

// onSmallDisk opens a node with an identity on a new 30 MB filesystem.
func onSmallDisk(t *testing.T, cfg *Config) (*Node, string) {
	t.Helper()
	dir := filepath.Join(smalldisk.Mount(t, smallDiskSize), "data")
	n, err := Open(dir, Options{Config: cfg, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	n.kr.LogN = 4
	if _, err := n.kr.New("me", "", true); err != nil {
		t.Fatal(err)
	}
	return n, dir
}

// strangersEvents makes count events of kind and about size bytes by
// fresh keys.
func strangersEvents(prefix string, kind, count, size int) []*nostr.Event {
	at := time.Now().Unix() - int64(count)
	pad := strings.Repeat("words carried for a stranger ", size/29)
	evs := make([]*nostr.Event, count)
	for i := range evs {
		evs[i] = evtest.NewKey(fmt.Sprint(prefix, i)).Event(kind, at+int64(i), fmt.Sprint(i, " ", pad))
	}
	return evs
}

// The quota is half the room on the disk, or max_store but at most 7/8
// of the room; where the free space cannot be told, max_store or 256 MiB.
func TestStoreQuotaRule(t *testing.T) {
	for _, c := range []struct {
		maxStore, room, want int64
	}{
		{0, 0, minStoreQuota},
		{1 << 30, 0, 1 << 30},
		{0, 30 << 20, 15 << 20},
		{1 << 30, 30 << 20, 30<<20 - 30<<20/8},
		{10 << 20, 30 << 20, 10 << 20},
		{0, 1 << 40, 1 << 39},
	} {
		if got := storeQuota(c.maxStore, c.room); got != c.want {
			t.Errorf("max_store %d, room %d: quota %d, want %d", c.maxStore, c.room, got, c.want)
		}
	}
}

// The quota of a node on a 30 MB disk is less than the disk, whatever
// max_store says.
func TestStoreQuotaFitsTheDisk(t *testing.T) {
	for _, maxStore := range []int64{0, 1 << 30} {
		n, _ := onSmallDisk(t, &Config{Policy: policy.Config{MaxStore: maxStore}})
		q := n.StoreQuota()
		t.Logf("max_store %d on a %d MiB disk: quota %.1f MiB", maxStore, smallDisk>>20, float64(q)/(1<<20))
		if q <= 0 || q >= smallDisk {
			t.Errorf("max_store %d: the quota on a %d byte disk is %d", maxStore, smallDisk, q)
		}
	}
}

// Strangers' notes pour into a node on a 30 MB disk, as much as the disk
// holds and twice the quota: they cycle through the store, which stays
// under a quota the disk can hold, and the owner's own note still goes
// in.
func TestSmallDiskStrangersCycle(t *testing.T) {
	n, dir := onSmallDisk(t, nil)
	ctx := context.Background()
	flood := strangersEvents("stranger", 1, smallDisk/(64<<10), 64<<10)
	ok, refused := ingestAll(t, n, flood)
	used, _ := n.st.SizeInUse(ctx)
	free, _ := diskFree(dir)
	t.Logf("%d strangers' notes of 64 KB: %d stored, %d evicted, refused %v; store %.1f MiB of a %.1f MiB quota, %.1f MiB free",
		len(flood), ok, n.Counts().Evicted.Load(), refused, float64(used)/(1<<20), float64(n.StoreQuota())/(1<<20), float64(free)/(1<<20))
	if ok != len(flood) {
		t.Fatalf("%d of %d strangers' notes refused, the store could have evicted older ones: %v", len(flood)-ok, len(flood), refused)
	}
	if n.Counts().Evicted.Load() == 0 || holdsAll(t, n, flood[:10]) != 0 {
		t.Fatal("no stranger's note was evicted: the flood fitted, the test proved nothing")
	}
	if used > n.StoreQuota() || n.StoreQuota() >= smallDisk {
		t.Fatalf("the store holds %d bytes, its quota is %d, on a disk of %d", used, n.StoreQuota(), smallDisk)
	}
	if _, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: "my own note"}); err != nil {
		t.Fatalf("the owner's note after the flood: %v", err)
	}
}

// Strangers' reports pour into a node on a 30 MB disk, each with a photo
// fetched for it, twice what the disk holds: the photos go with the
// reports evicted, and the owner's attachments and note still go in.
func TestSmallDiskStrangersBlobs(t *testing.T) {
	n, _ := onSmallDisk(t, nil)
	ctx := context.Background()
	const photo = 256 << 10
	at := time.Now().Unix() - 1000
	stored, refused := 0, map[string]int{}
	for i := range 2 * smallDisk / photo {
		b := noise(uint64(i), photo)
		h := sha256.Sum256(b)
		x := hex.EncodeToString(h[:])
		ev := evtest.NewKey(fmt.Sprint("reporter ", i)).Event(30023, at+int64(i), "a report with a photo",
			nostr.Tag{"d", "r"}, nostr.Tag{"title", "A photo"}, nostr.Tag{"imeta", "url https://example.org/" + x, "x " + x})
		if r := n.Ingest(ctx, ev)[0]; !r.OK() {
			t.Fatalf("report %d: %s", i, r.Message())
		}
		if _, done, err := n.PutBlobPart(ctx, x, 0, photo, b); err != nil || !done {
			refused[fmt.Sprint(err)]++
			continue
		}
		stored++
	}
	blobs, _ := n.st.BlobBytes(ctx)
	used, _ := n.st.SizeInUse(ctx)
	t.Logf("%d strangers' photos of 256 KB: %d stored, refused %v; %d reports evicted; photos now %.1f MiB, store %.1f MiB of a %.1f MiB quota",
		2*smallDisk/photo, stored, refused, n.Counts().Evicted.Load(), float64(blobs)/(1<<20), float64(used)/(1<<20), float64(n.StoreQuota())/(1<<20))
	if stored != 2*smallDisk/photo {
		t.Fatalf("strangers' photos refused, the store could have evicted older ones: %v", refused)
	}
	if used > n.StoreQuota() {
		t.Fatalf("the store holds %d bytes, over its quota of %d", used, n.StoreQuota())
	}
	for i := range 4 {
		mine := noise(uint64(1000+i), 1<<20)
		if _, err := n.PutBlob(ctx, mine, "image/jpeg", []byte("me")); err != nil {
			t.Fatalf("the owner's attachment %d: %v", i, err)
		}
	}
	if _, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: "my own note, with four photos"}); err != nil {
		t.Fatalf("the owner's note: %v", err)
	}
	if err := n.st.VerifyBlobs(ctx); err != nil {
		t.Fatal(err)
	}
}

// noise is size bytes that do not compress, the same for a seed.
func noise(seed uint64, size int) []byte {
	b := make([]byte, size)
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	rand.NewChaCha8(s).Read(b)
	return b
}

// Another program fills the disk under a node, when the store is at its
// quota or far below it: the owner's notes still go in, more of them than
// the reserve holds, strangers' notes making room.
func TestDiskFilledByOthers(t *testing.T) {
	for _, c := range []struct {
		name  string
		notes int
		kind  int
		size  int
	}{
		// Reactions, which the search index skips: the test spends its
		// time on the quota rather than on indexing (under -race too).
		{"store at its quota", smallDisk / (64 << 10), 7, 64 << 10},
		{"store far below its quota", 128, 1, 16 << 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, dir := onSmallDisk(t, nil)
			ctx := context.Background()
			flood := strangersEvents("stranger", c.kind, c.notes, c.size)
			if ok, refused := ingestAll(t, n, flood); ok != len(flood) {
				t.Fatalf("set-up: %v", refused)
			}
			fill(t, filepath.Join(filepath.Dir(dir), "filler"))
			evicted := n.Counts().Evicted.Load()
			mine := strings.Repeat("my own words on a full disk ", 580) // 16 KB
			for i := range 2 * maxReserve / len(mine) {
				if _, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint(i, " ", mine)}); err != nil {
					t.Fatalf("the owner's note %d on a disk another program filled: %v", i, err)
				}
			}
			if n.Counts().Evicted.Load() == evicted {
				t.Fatal("no stranger's note was evicted to make room")
			}
			used, _ := n.st.SizeInUse(ctx)
			t.Logf("after the disk filled: %d strangers' notes evicted, store %.1f MiB, quota %.1f MiB",
				n.Counts().Evicted.Load()-evicted, float64(used)/(1<<20), float64(n.StoreQuota())/(1<<20))
		})
	}
}

// A batch of the owner's events larger than the write-ahead log's file
// arrives just after another program filled the disk: the log must grow
// and cannot, so the write fails. The node gives up its reserve and
// stores the batch on its second try, strangers' notes making room.
func TestDiskFullRetry(t *testing.T) {
	n, dir := onSmallDisk(t, nil)
	ctx := context.Background()
	flood := strangersEvents("stranger", 1, 128, 16<<10)
	for i := 0; i < len(flood); i += 8 { // small batches: a short log
		if ok, refused := ingestAll(t, n, flood[i:i+8]); ok != 8 {
			t.Fatalf("set-up: %v", refused)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, ReserveFile)); err != nil || fi.Size() != maxReserve {
		t.Fatalf("no reserve of %d bytes on a nearly full disk: %v", maxReserve, err)
	}
	fill(t, filepath.Join(filepath.Dir(dir), "filler"))
	wal, err := os.Stat(n.st.Path() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	me, err := n.Identity("")
	if err != nil {
		t.Fatal(err)
	}
	// A note takes about 2.5 times its text in the log (the event, the
	// search index's copy and its positions): the batch takes what the
	// log holds and half the reserve.
	var batch []*nostr.Event
	words := strings.Repeat("my own words ", 5000) // 65 KB
	for range int(wal.Size()+maxReserve/2) * 2 / (5 * len(words)) {
		ev := &nostr.Event{Kind: 1, CreatedAt: nostr.Timestamp(time.Now().Unix()), Content: fmt.Sprint(len(batch), " ", words), Tags: nostr.Tags{}}
		if err := n.kr.Sign(me.Name, ev); err != nil {
			t.Fatal(err)
		}
		batch = append(batch, ev)
	}
	evicted := n.Counts().Evicted.Load()
	for i, r := range n.Ingest(ctx, batch...) {
		if !r.OK() {
			t.Fatalf("the owner's event %d of %d, the log being %d bytes: %s", i, len(batch), wal.Size(), r.Message())
		}
	}
	if n.Counts().Evicted.Load() == evicted {
		t.Fatal("no stranger's note was evicted to make room")
	}
	if _, err := os.Stat(filepath.Join(dir, ReserveFile)); err == nil {
		t.Fatal("the reserve is still there: the disk never turned out full, the test proved nothing")
	}
	t.Logf("%d events of 65 KB in one batch after the disk filled (log %d bytes); %d strangers' notes evicted",
		len(batch), wal.Size(), n.Counts().Evicted.Load()-evicted)
}

// fill writes zeros to path until the disk holding it is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	if free, _ := diskFree(filepath.Dir(path)); free > 64<<10 {
		t.Fatalf("%d bytes still free after filling the disk", free)
	}
}
