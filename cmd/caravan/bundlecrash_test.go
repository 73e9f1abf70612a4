package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// TestKillDuringBundleImport kills `caravan bundle import` with SIGKILL at
// a different moment each round: the store stays sound, and the next
// import brings the rest without duplicating anything.
func TestKillDuringBundleImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin, err := buildCaravan()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	author := evtest.NewKey("bolat, on both machines")
	nsec, _ := nip19.EncodePrivateKey(author.Secret)
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(nsec), 0o600)

	// The maker: a node holding 8,000 of the author's notes.
	a, err := node.Open(filepath.Join(dir, "a"), node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Keys.Import("bolat", nsec, "", true); err != nil {
		t.Fatal(err)
	}
	const total = 8000
	var evs []*nostr.Event
	for i := range total {
		evs = append(evs, author.Event(1, time.Now().Unix()-int64(i), fmt.Sprintf("note %d %s", i, strings.Repeat("text ", 40))))
	}
	for _, r := range a.Ingest(ctx, evs...) {
		if !r.OK() {
			t.Fatalf("set-up: %s", r.Message())
		}
	}
	path := filepath.Join(dir, "stick.bin")
	if _, err := a.ExportBundle(ctx, node.BundleExport{Path: path, To: []string{author.Public}}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	b := filepath.Join(dir, "b")
	if out, err := exec.Command(bin, "--data", b, "id", "import", "bolat", keyFile, "--no-passphrase").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rng := rand.New(rand.NewSource(2))
	killed := 0
	for round := 0; round < 5; round++ {
		cmd := exec.Command(bin, "--data", b, "bundle", "import", path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.Intn(900)) * time.Millisecond)
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			if err := cmd.Wait(); err != nil {
				killed++
			}
		}
		soundStore(t, b, round).Close()
	}
	out, err := exec.Command(bin, "--data", b, "bundle", "import", path, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("import after the kills: %v\n%s", err, out)
	}
	st, err := store.Open(filepath.Join(b, "events.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	have, _ := st.Has(ctx, ids)
	if len(have) != total {
		t.Fatalf("after %d kills and a last import, %d of %d events are here", killed, len(have), total)
	}
	stats, _ := st.Stats(ctx)
	t.Logf("%d imports killed midway; then all %d events, store %+v", killed, total, stats)
	if killed == 0 {
		t.Log("no import was killed midway (the machine was fast); the test still checked a whole import")
	}
}
