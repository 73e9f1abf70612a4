package main

import (
	"fmt"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// TestKillDuringBundleImport kills `caravan bundle import` with SIGKILL at
// a different moment each round: the store stays sound, and the next
// import brings the rest without duplicating anything.
func TestKillDuringBundleImport(t *testing.T) {
	bin := caravanBinary(t)
	dir := t.TempDir()
	author := evtest.NewKey("bolat, on both machines")
	npub, _ := nip19.EncodePublicKey(author.Public)

	// The maker: a node holding 8,000 of the author's notes.
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	withIdentity(t, bin, a, "bolat", author)
	withIdentity(t, bin, b, "bolat", author)
	const total = 8000
	maker := startServe(t, bin, a)
	ids := postNotes(t, maker, total, func(i int) string { return fmt.Sprintf("note %d %s", i, strings.Repeat("text ", 40)) })
	maker.stop(t)
	path := filepath.Join(dir, "stick.bin")
	caravan(t, bin, a, "bundle", "export", path, "--to", npub)

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
	caravan(t, bin, b, "bundle", "import", path, "--json")
	have := holding(t, b, 5, ids)
	if len(have) != total {
		t.Fatalf("after %d kills and a last import, %d of %d events are here", killed, len(have), total)
	}
	t.Logf("%d imports killed midway; then all %d events", killed, total)
	if killed == 0 {
		t.Log("no import was killed midway (the machine was fast); the test still checked a whole import")
	}
}
