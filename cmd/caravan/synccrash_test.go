package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
)

// syncing is a `caravan sync --json` run, with its progress lines.
type syncing struct {
	cmd      *exec.Cmd
	stderr   bytes.Buffer
	progress chan carry.Progress // closed when the output ends
}

// startSync runs `caravan sync` on data with peer. A run that has not
// ended after two minutes is killed: a sync of a few thousand notes on
// loopback takes seconds, and one that never ends is the failure.
func startSync(t *testing.T, bin, data, peer string) *syncing {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	s := &syncing{progress: make(chan carry.Progress, 1000)}
	cmd := exec.CommandContext(ctx, bin, "--data", data, "sync", "--json", peer)
	cmd.Stderr = &s.stderr
	s.cmd = cmd
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.progress)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var p carry.Progress
			if json.Unmarshal(sc.Bytes(), &p) == nil {
				s.progress <- p
			}
		}
	}()
	return s
}

// untilPhase waits until the session reaches phase (true: "transferring"
// events, "blobs"), or ends first (false).
func (s *syncing) untilPhase(phase string) bool {
	for p := range s.progress {
		if p.Phase == phase {
			return true
		}
	}
	return false
}

// finish waits for the run to end and returns its last progress.
func (s *syncing) finish() (carry.Progress, error) {
	var last carry.Progress
	for p := range s.progress {
		last = p
	}
	return last, s.cmd.Wait()
}

// TestKillDuringSync kills one side of a sync with SIGKILL, at a random
// moment of the transfer each round: the pulling `caravan sync` in some
// rounds, the serving `caravan serve` in others, while b pulls 3,000 of
// its identity's notes from a and pushes 300 to it. After each kill both
// stores are sound and hold every event they held before; once the kills
// stop, one more sync completes, moving only what had not arrived.
func TestKillDuringSync(t *testing.T) {
	bin := caravanBinary(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	me := evtest.NewKey("bolat, on two machines")
	withIdentity(t, bin, a, "bolat", me)
	withIdentity(t, bin, b, "bolat", me)
	text := func(where string) func(int) string {
		return func(i int) string { return fmt.Sprintf("%s %d %s", where, i, strings.Repeat("news ", 40)) }
	}
	server := startServe(t, bin, a)
	fromA := postNotes(t, server, 3000, text("written on a"))
	puller := startServe(t, bin, b)
	fromB := postNotes(t, puller, 300, text("written on b"))
	puller.stop(t)

	rng := rand.New(rand.NewSource(3))
	all := append(append([]string{}, fromA...), fromB...)
	heldA, heldB := map[string]bool{}, map[string]bool{}
	killed := map[string]int{}
	const rounds = 8
	for round := range rounds {
		if server == nil {
			server = startServe(t, bin, a)
		}
		s := startSync(t, bin, b, server.rt.Relay)
		victim := "caravan sync"
		if round%2 == 1 {
			victim = "caravan serve"
		}
		switch {
		case !s.untilPhase("transferring"):
			victim = "nothing (the sync ended first)"
		case victim == "caravan sync":
			time.Sleep(time.Duration(rng.Intn(250)) * time.Millisecond)
			s.cmd.Process.Signal(syscall.SIGKILL)
		default:
			time.Sleep(time.Duration(rng.Intn(250)) * time.Millisecond)
			server.kill()
			server = nil
		}
		killed[victim]++
		s.finish()
		// Nothing either side held is gone; each holds all it wrote.
		nowB := holding(t, b, round, all)
		check(t, round, victim, "b", heldB, nowB, fromB)
		heldB = nowB
		if server == nil {
			nowA := holding(t, a, round, all)
			check(t, round, victim, "a", heldA, nowA, fromA)
			heldA = nowA
		}
		t.Logf("round %d: killed %s; b holds %d of the %d notes", round, victim, len(nowB), len(all))
	}

	// The kills stop: the next sync completes, and moves only the rest.
	if server == nil {
		server = startServe(t, bin, a)
	}
	last := startSync(t, bin, b, server.rt.Relay)
	p, err := last.finish()
	if err != nil || p.Incomplete || p.Error != "" {
		t.Fatalf("the sync after the kills: %v %+v\n%s", err, p, &last.stderr)
	}
	if want := len(all) - len(heldB); p.Received != want {
		t.Errorf("the last sync received %d events, want the %d still missing", p.Received, want)
	}
	server.stop(t)
	for _, data := range []string{a, b} {
		if have := holding(t, data, rounds, all); len(have) != len(all) {
			t.Fatalf("%s holds %d of the %d notes", filepath.Base(data), len(have), len(all))
		}
	}
	t.Logf("killed: %v; then one sync received the last %d", killed, p.Received)
}

// check fails the test if node name (killed or not in round) lost any of
// what it held before the round, or any of what it wrote itself.
func check(t *testing.T, round int, victim, name string, before, now map[string]bool, own []string) {
	t.Helper()
	for id := range before {
		if !now[id] {
			t.Fatalf("round %d (%s killed): %s lost %s", round, victim, name, id)
		}
	}
	for _, id := range own {
		if !now[id] {
			t.Fatalf("round %d (%s killed): %s lost its own %s", round, victim, name, id)
		}
	}
}

// TestKillDuringSyncSaysWhatArrived kills the serving node in the middle
// of a `caravan sync`, run by the command itself in some rounds and
// through the puller's running node in others: the sync must not say
// "Synced", must say why it ended, and must count what it stored, no
// more, no less.
func TestKillDuringSyncSaysWhatArrived(t *testing.T) {
	bin := caravanBinary(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	me := evtest.NewKey("aigerim, on two machines")
	withIdentity(t, bin, a, "aigerim", me)
	withIdentity(t, bin, b, "aigerim", me)
	server := startServe(t, bin, a)
	fromA := postNotes(t, server, 3000, func(i int) string { return fmt.Sprintf("note %d %s", i, strings.Repeat("news ", 40)) })
	held := holding(t, b, 0, fromA)
	cuts := 0
	for round := 1; cuts < 4 && len(held) < len(fromA); round++ {
		if server == nil {
			server = startServe(t, bin, a)
		}
		var puller *served
		if round%2 == 0 {
			puller = startServe(t, bin, b)
		}
		s := startSync(t, bin, b, server.rt.Relay)
		cut := s.untilPhase("transferring")
		if cut {
			for p := range s.progress {
				if p.Received > 0 {
					break // some events across, not all
				}
			}
			server.kill()
			server = nil
		}
		_, err := s.finish()
		if puller != nil {
			puller.stop(t)
		}
		now := holding(t, b, round, fromA)
		stored := len(now) - len(held)
		held = now
		out := s.stderr.String()
		t.Logf("round %d (through a running node: %v; cut: %v; exit: %v): %d stored\n%s", round, puller != nil, cut, err, stored, out)
		if !cut || err == nil {
			continue // the sync ended before the kill
		}
		cuts++
		if strings.Contains(out, "Synced") {
			t.Fatalf("round %d: a sync cut short says it synced:\n%s", round, out)
		}
		if want := fmt.Sprintf("received %d %s", stored, plural(stored, "event", "events")); !strings.Contains(out, want) {
			t.Fatalf("round %d: %d events were stored; the output does not say %q:\n%s", round, stored, want, out)
		}
		if !strings.Contains(out, "caravan: error:") {
			t.Fatalf("round %d: the output does not say why the sync ended:\n%s", round, out)
		}
	}
	if cuts == 0 {
		t.Fatal("no sync was cut: each ended before the kill")
	}
}
