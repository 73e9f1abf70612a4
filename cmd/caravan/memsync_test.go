package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// memAuthors is how many people wrote the events. Every node's identity
// follows all of them, so their events are contacts' events, which a node
// always carries, and the 400 fit one filter of policy.Wants (at most 500
// authors): one reconciliation covers every event.
const memAuthors = 400

// TestMemSync measures the resident memory of a node (the hub) holding
// CARAVAN_MEM_EVENTS events (default 20,000; scripts/memsync uses
// 1,000,000) while three peer nodes, each holding about as many, sync with
// it at the same time. All four are `caravan serve` processes on loopback.
//
// The stores share most events and differ by 1 % (each peer lacks its own
// scattered hundredth of the hub's events) and 0.1 % (each peer holds a
// thousandth the hub lacks), so every sync reconciles the whole store and
// moves real events both ways. Phase 1: the three peers run `caravan sync`
// with the hub at once (the hub answers NEG-OPEN and REQ). Phase 2: the hub
// runs `caravan sync` with the three at once (the hub initiates), which
// also carries each peer's own events on to the other two.
//
// It asserts that every event arrived where it should; the hub's peak RSS
// in each phase and its VmHWM are reported, not asserted.
func TestMemSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four nodes")
	}
	total := envInt(t, "CARAVAN_MEM_EVENTS", 20_000)
	bin, err := buildCaravan()
	if err != nil {
		t.Fatal(err)
	}
	authors := make([]evtest.Key, memAuthors)
	for i := range authors {
		authors[i] = evtest.NewKey(fmt.Sprint("memsync author ", i))
	}
	lack := max(total/100, 1)   // events of the hub each peer lacks
	extra := max(total/1000, 1) // events of each peer the hub lacks
	setupStart := time.Now()
	base := memBase(t, total-3*lack, authors)

	// Signed events that tell the stores apart, scattered over the month.
	now := time.Now().Unix()
	r := rand.New(rand.NewSource(now))
	scattered := func(n int, name string) []*nostr.Event {
		at := make([]int64, n)
		by := make([]int, n)
		salt := make([]int64, n)
		for i := range at {
			at[i] = now - 3600 - r.Int63n(29*86400)
			by[i] = r.Intn(len(authors))
			salt[i] = r.Int63()
		}
		return signMany(n, func(i int) *nostr.Event {
			return authors[by[i]].Event(1, at[i], fmt.Sprintf("%s %d: %x", name, i, salt[i]), nostr.Tag{"t", "memsync"})
		})
	}
	var lacks, extras [3][]*nostr.Event
	for i := range 3 {
		lacks[i] = scattered(lack, fmt.Sprint("only the hub and not peer ", i+1))
		extras[i] = scattered(extra, fmt.Sprint("only peer ", i+1))
	}

	names := []string{"hub", "peer1", "peer2", "peer3"}
	dir := t.TempDir()
	data := map[string]string{}
	for i, name := range names {
		data[name] = filepath.Join(dir, name)
		me := evtest.NewKey("memsync " + name)
		var evs []*nostr.Event
		var tags nostr.Tags
		for _, a := range authors {
			tags = append(tags, nostr.Tag{"p", a.Public})
		}
		evs = append(evs, me.Event(nostr.KindFollowList, now, "", tags...))
		for j := range 3 {
			if i == 0 || i-1 != j {
				evs = append(evs, lacks[j]...)
			}
		}
		if i > 0 {
			evs = append(evs, extras[i-1]...)
		}
		copyFileT(t, base, filepath.Join(data[name], "events.db"))
		st, err := store.Open(filepath.Join(data[name], "events.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(context.Background(), evs...); err != nil {
			t.Fatal(err)
		}
		st.Close()
		importIdentity(t, bin, data[name], name, me)
	}
	// The hub holds every event but the peers' own.
	t.Logf("four stores of about %d events ready in %s", total, time.Since(setupStart).Round(time.Second))

	nodes := map[string]*nodeProc{}
	for _, name := range names {
		nodes[name] = serveNode(t, bin, name, data[name])
	}
	defer func() {
		if t.Failed() {
			for _, name := range names {
				t.Logf("%s log:\n%s", name, nodes[name].log)
			}
		}
	}()
	hub := nodes["hub"]
	samples := sampleRSS(hub.cmd.Process.Pid)
	defer samples.close()
	idle, err := readMemory(hub.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	samples.peak()

	// Phase 1: the peers sync with the hub, all at once.
	start := time.Now()
	p1 := syncAll(t, bin, []string{data["peer1"], data["peer2"], data["peer3"]}, []string{hub.rt.Relay, hub.rt.Relay, hub.rt.Relay})
	took1 := time.Since(start)
	peak1 := samples.peak()

	// Phase 2: the hub syncs with the peers, all at once.
	start = time.Now()
	p2 := syncAll(t, bin, []string{data["hub"], data["hub"], data["hub"]}, []string{nodes["peer1"].rt.Relay, nodes["peer2"].rt.Relay, nodes["peer3"].rt.Relay})
	took2 := time.Since(start)
	peak2 := samples.peak()
	end, err := readMemory(hub.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}

	for _, name := range names {
		nodes[name].stop(t)
	}
	// Every event is now everywhere.
	for i, name := range names {
		want := map[string][]*nostr.Event{}
		for j := range 3 {
			want[fmt.Sprint("peer ", j+1, "'s own")] = extras[j]
			if i == j+1 {
				want["what it lacked"] = lacks[j]
			}
		}
		st, err := store.Open(filepath.Join(data[name], "events.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for what, evs := range want {
			ids := make([]string, len(evs))
			for k, ev := range evs {
				ids[k] = ev.ID
			}
			have, err := st.Has(context.Background(), ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(have) != len(ids) {
				t.Errorf("%s holds %d of the %d events of %s", name, len(have), len(ids), what)
			}
		}
		st.Close()
	}

	moved := func(ps []carry.Progress) (in, out, rounds int, bytes int64) {
		for _, p := range ps {
			in += p.Received
			out += p.Sent
			rounds += p.Rounds
			bytes += p.BytesIn + p.BytesOut
		}
		return
	}
	in1, out1, rounds1, bytes1 := moved(p1)
	in2, out2, rounds2, bytes2 := moved(p2)
	t.Log(table(fmt.Sprintf("memsync: a node holding %d events syncs with 3 peers at once (caravan serve ×4, loopback)", total), [][2]string{
		{"what is reconciled", fmt.Sprintf("contacts' events (the %d authors every identity follows): one filter over the whole store, plus the last 7 days again as strangers'", memAuthors)},
		{"hub RSS before syncing", mib(idle.RSS)},
		{"phase 1: peers pull from the hub", fmt.Sprintf("%s; peers received %d, sent %d; %d round trips, %s on the wire", took1.Round(10*time.Millisecond), in1, out1, rounds1, mib(bytes1))},
		{"phase 1: hub peak RSS (sampled)", mib(peak1)},
		{"phase 2: the hub syncs with the peers", fmt.Sprintf("%s; hub received %d, sent %d; %d round trips, %s on the wire", took2.Round(10*time.Millisecond), in2, out2, rounds2, mib(bytes2))},
		{"phase 2: hub peak RSS (sampled)", mib(peak2)},
		{"hub peak RSS (VmHWM)", mib(end.HWM)},
		{"hub RSS at the end", mib(end.RSS)},
	}))
}

// syncAll runs `caravan --data DIR sync URL` for each pair at once and
// returns each session's final progress.
func syncAll(t *testing.T, bin string, dirs, urls []string) []carry.Progress {
	t.Helper()
	out := make([]carry.Progress, len(dirs))
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Go(func() {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "--data", dirs[i], "sync", urls[i], "--json")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("caravan --data %s sync %s: %v\n%s", filepath.Base(dirs[i]), urls[i], err, stderr.String())
				return
			}
			// The last JSON line is the final progress.
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				var p carry.Progress
				if json.Unmarshal(sc.Bytes(), &p) == nil && p.Phase == "done" {
					out[i] = p
				}
			}
			if out[i].Phase != "done" || out[i].Error != "" || out[i].Incomplete {
				errs[i] = fmt.Errorf("caravan --data %s sync %s ended %+v\n%s", filepath.Base(dirs[i]), urls[i], out[i], stderr.String())
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// memBase returns a store of n events by authors, built once and kept in
// the temp directory. Its events are never transferred (every node starts
// with a copy), so they carry random ids and signatures, which the store
// does not check; what the tests move between nodes is signed properly.
func memBase(t *testing.T, n int, authors []evtest.Key) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "caravan-memsync")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("base-v%d-%d-%d.db", store.SchemaVersion, memAuthors, n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(f)
	}
	s, err := store.Open(tmp, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	hexs := func(k int) string {
		b := make([]byte, k)
		r.Read(b)
		return hex.EncodeToString(b)
	}
	now := time.Now().Unix()
	batch := make([]*nostr.Event, 0, 4096)
	for i := range n {
		ev := &nostr.Event{
			ID: hexs(32), PubKey: authors[r.Intn(len(authors))].Public, Sig: hexs(64), Kind: 1,
			CreatedAt: nostr.Timestamp(now - 3600 - int64(i)*(29*86400)/int64(n)),
			Content:   "a note carried from hand to hand: " + hexs(80+r.Intn(120)),
			Tags:      nostr.Tags{{"t", "memsync"}},
		}
		batch = append(batch, ev)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Save(context.Background(), batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the shared store of %d events in %s (kept as %s)", n, time.Since(start).Round(time.Second), path)
	return path
}

// signMany makes n signed events with mk, which must be safe to call
// concurrently, on all cores.
func signMany(n int, mk func(i int) *nostr.Event) []*nostr.Event {
	evs := make([]*nostr.Event, n)
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for g := range w {
		wg.Go(func() {
			for i := g; i < n; i += w {
				evs[i] = mk(i)
			}
		})
	}
	wg.Wait()
	return evs
}

func copyFileT(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
