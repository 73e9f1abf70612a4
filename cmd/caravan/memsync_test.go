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
	"strings"
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
// With CARAVAN_MEM_BASELINE=REV (a git revision), the same run is made
// first with the hub built from REV, for a before-and-after in one run.
// CARAVAN_MEM_QUERY_TIMEOUT sets that hub's relay query_timeout: builds
// before 0e23d3a list a set for each peer at once, and on a small machine
// three lists of a million events take longer than the default allows.
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
	fx := newMemFixture(t, total)
	var runs []memRun
	if rev := os.Getenv("CARAVAN_MEM_BASELINE"); rev != "" {
		cfg := ""
		if qt := os.Getenv("CARAVAN_MEM_QUERY_TIMEOUT"); qt != "" {
			cfg = `{"relay":{"query_timeout":"` + qt + `"}}`
		}
		runs = append(runs, fx.run(t, "hub at "+rev, buildRevision(t, rev), bin, cfg))
	}
	runs = append(runs, fx.run(t, "this build", bin, bin, ""))

	rows := [][]string{{""}}
	for _, r := range runs {
		rows[0] = append(rows[0], r.label)
	}
	if len(runs) == 2 {
		rows[0] = append(rows[0], "ratio")
	}
	// A metric shows a run's value, and gives it as a number for the
	// ratio (nil: no ratio).
	type metric struct {
		show func(r memRun) string
		val  func(r memRun) float64
	}
	add := func(name string, m metric) {
		row := []string{name}
		for _, r := range runs {
			row = append(row, m.show(r))
		}
		if len(runs) == 2 && m.val != nil && m.val(runs[0]) > 0 {
			row = append(row, fmt.Sprintf("%.2f", m.val(runs[1])/m.val(runs[0])))
		}
		rows = append(rows, row)
	}
	bytes := func(get func(r memRun) int64) metric {
		return metric{func(r memRun) string { return mib(get(r)) }, func(r memRun) float64 { return float64(get(r)) }}
	}
	secs := func(get func(r memRun) time.Duration) metric {
		return metric{func(r memRun) string { return get(r).Round(100 * time.Millisecond).String() },
			func(r memRun) float64 { return get(r).Seconds() }}
	}
	moved := func(phase int) metric { return metric{show: func(r memRun) string { return r.moved(phase) }} }
	add("hub RSS before syncing", bytes(func(r memRun) int64 { return r.idle }))
	add("phase 1 (3 peers sync with the hub): took", secs(func(r memRun) time.Duration { return r.took[0] }))
	add("  events in+out, round trips, bytes", moved(0))
	add("  hub peak RSS (sampled)", bytes(func(r memRun) int64 { return r.peak[0] }))
	add("phase 2 (the hub syncs with 3 peers): took", secs(func(r memRun) time.Duration { return r.took[1] }))
	add("  events in+out, round trips, bytes", moved(1))
	add("  hub peak RSS (sampled)", bytes(func(r memRun) int64 { return r.peak[1] }))
	add("hub peak RSS (VmHWM)", bytes(func(r memRun) int64 { return r.end.HWM }))
	add("hub RSS at the end", bytes(func(r memRun) int64 { return r.end.RSS }))
	t.Logf("\nmemsync: a node holding %d events and 3 peers syncing with it at once (caravan serve ×4, loopback)\n"+
		"reconciled: contacts' events (%d authors every identity follows), one filter over the whole store; then the last 7 days again as strangers'\n%s",
		total, memAuthors, columns(rows))
}

// memFixture is what every run starts from: a shared store and the
// signed events that tell the four stores apart.
type memFixture struct {
	total   int
	authors []evtest.Key
	base    string // the shared store
	now     int64
	lacks   [3][]*nostr.Event // each peer lacks lacks[i]
	extras  [3][]*nostr.Event // only peer i holds extras[i]
}

func newMemFixture(t *testing.T, total int) *memFixture {
	fx := &memFixture{total: total, authors: make([]evtest.Key, memAuthors), now: time.Now().Unix()}
	for i := range fx.authors {
		fx.authors[i] = evtest.NewKey(fmt.Sprint("memsync author ", i))
	}
	lack := max(total/100, 1)   // events of the hub each peer lacks
	extra := max(total/1000, 1) // events of each peer the hub lacks
	fx.base = memBase(t, total-3*lack, fx.authors)
	// Signed events, scattered over the month.
	r := rand.New(rand.NewSource(fx.now))
	scattered := func(n int, name string) []*nostr.Event {
		at := make([]int64, n)
		by := make([]int, n)
		salt := make([]int64, n)
		for i := range at {
			at[i] = fx.now - 3600 - r.Int63n(29*86400)
			by[i] = r.Intn(len(fx.authors))
			salt[i] = r.Int63()
		}
		return signMany(n, func(i int) *nostr.Event {
			return fx.authors[by[i]].Event(1, at[i], fmt.Sprintf("%s %d: %x", name, i, salt[i]), nostr.Tag{"t", "memsync"})
		})
	}
	for i := range 3 {
		fx.lacks[i] = scattered(lack, fmt.Sprint("only the hub and not peer ", i+1))
		fx.extras[i] = scattered(extra, fmt.Sprint("only peer ", i+1))
	}
	return fx
}

// memRun is what one run measured.
type memRun struct {
	label string
	idle  int64
	took  [2]time.Duration
	peak  [2]int64
	sync  [2][]carry.Progress
	end   memory
}

// moved sums what the sessions of a phase moved.
func (r memRun) moved(phase int) string {
	var in, out, rounds int
	var bytes int64
	for _, p := range r.sync[phase] {
		in += p.Received
		out += p.Sent
		rounds += p.Rounds
		bytes += p.BytesIn + p.BytesOut
	}
	return fmt.Sprintf("%d+%d, %d, %s", in, out, rounds, mib(bytes))
}

// run makes the four stores afresh, serves them (the hub with hubBin and
// hubConfig as its config.json, the peers with peerBin), runs both phases
// and checks that every event arrived where it should.
func (fx *memFixture) run(t *testing.T, label, hubBin, peerBin, hubConfig string) memRun {
	t.Helper()
	res := memRun{label: label}
	setup := time.Now()
	names := []string{"hub", "peer1", "peer2", "peer3"}
	dir := t.TempDir()
	data := map[string]string{}
	var follows nostr.Tags
	for _, a := range fx.authors {
		follows = append(follows, nostr.Tag{"p", a.Public})
	}
	for i, name := range names {
		data[name] = filepath.Join(dir, name)
		me := evtest.NewKey("memsync " + name)
		evs := []*nostr.Event{me.Event(nostr.KindFollowList, fx.now, "", follows...)}
		for j := range 3 {
			if i == 0 || i-1 != j {
				evs = append(evs, fx.lacks[j]...)
			}
		}
		if i > 0 {
			evs = append(evs, fx.extras[i-1]...)
		}
		copyFileT(t, fx.base, filepath.Join(data[name], "events.db"))
		st, err := store.Open(filepath.Join(data[name], "events.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Save(context.Background(), evs...); err != nil {
			t.Fatal(err)
		}
		st.Close()
		importIdentity(t, peerBin, data[name], name, me)
		if name == "hub" && hubConfig != "" {
			if err := os.WriteFile(filepath.Join(data[name], "config.json"), []byte(hubConfig), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%s: four stores of about %d events ready in %s", label, fx.total, time.Since(setup).Round(time.Second))

	nodes := map[string]*nodeProc{}
	for _, name := range names {
		bin := peerBin
		if name == "hub" {
			bin = hubBin
		}
		nodes[name] = serveNode(t, bin, name, data[name])
	}
	defer func() {
		if t.Failed() || os.Getenv("CARAVAN_LOAD_LOGS") != "" {
			for _, name := range names {
				t.Logf("%s: %s log:\n%s", label, name, nodes[name].log)
			}
		}
	}()
	// Starting, a node counts every stored event's author for the
	// policy; let all four finish before measuring the syncs alone.
	waitIdle(t, 5*time.Minute, nodes["hub"], nodes["peer1"], nodes["peer2"], nodes["peer3"])
	hub := nodes["hub"]
	samples := sampleRSS(hub.cmd.Process.Pid)
	defer samples.close()
	idle, err := readMemory(hub.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	res.idle = idle.RSS
	samples.peak()

	peers := []string{data["peer1"], data["peer2"], data["peer3"]}
	peerURLs := []string{nodes["peer1"].rt.Relay, nodes["peer2"].rt.Relay, nodes["peer3"].rt.Relay}
	hubURL := []string{hub.rt.Relay, hub.rt.Relay, hub.rt.Relay}
	hubDir := []string{data["hub"], data["hub"], data["hub"]}
	for phase, run := range []func() []carry.Progress{
		func() []carry.Progress { return syncAll(t, peerBin, peers, hubURL) },    // the peers sync with the hub
		func() []carry.Progress { return syncAll(t, peerBin, hubDir, peerURLs) }, // the hub syncs with the peers
	} {
		start := time.Now()
		res.sync[phase] = run()
		res.took[phase] = time.Since(start)
		res.peak[phase] = samples.peak()
	}
	if res.end, err = readMemory(hub.cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		nodes[name].stop(t)
	}

	// Every event is now everywhere.
	for i, name := range names {
		want := map[string][]*nostr.Event{}
		for j := range 3 {
			want[fmt.Sprint("peer ", j+1, "'s own")] = fx.extras[j]
			if i == j+1 {
				want["what it lacked"] = fx.lacks[j]
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
				t.Errorf("%s: %s holds %d of the %d events of %s", label, name, len(have), len(ids), what)
			}
		}
		st.Close()
	}
	return res
}

// buildRevision builds caravan as it was at a git revision of this
// repository.
func buildRevision(t *testing.T, rev string) string {
	t.Helper()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("CARAVAN_MEM_BASELINE needs a git checkout: %v", err)
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`, "sh", strings.TrimSpace(string(top)), rev, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", rev, err, out)
	}
	bin := filepath.Join(src, "caravan")
	build := exec.Command("go", "build", "-o", bin, "./cmd/caravan")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build caravan at %s: %v\n%s", rev, err, out)
	}
	return bin
}

// syncAll runs `caravan --data DIR sync URL` for each pair at once and
// returns each session's final progress. With CARAVAN_LOAD_LOGS set, it
// logs when each session moved from one phase and class to the next.
func syncAll(t *testing.T, bin string, dirs, urls []string) []carry.Progress {
	t.Helper()
	out := make([]carry.Progress, len(dirs))
	errs := make([]error, len(dirs))
	steps := make([][]string, len(dirs))
	start := time.Now()
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Go(func() {
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "--data", dirs[i], "sync", urls[i], "--json")
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				errs[i] = err
				return
			}
			if err := cmd.Start(); err != nil {
				errs[i] = err
				return
			}
			// One JSON progress line at a time; the last is the final one.
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			var last carry.Progress
			for sc.Scan() {
				var p carry.Progress
				if json.Unmarshal(sc.Bytes(), &p) != nil {
					continue
				}
				if p.Phase != last.Phase || p.Class != last.Class {
					steps[i] = append(steps[i], fmt.Sprintf("%6.1fs %s %s (received %d, sent %d)", time.Since(start).Seconds(), p.Phase, p.Class, p.Received, p.Sent))
				}
				last = p
			}
			if err := cmd.Wait(); err != nil {
				errs[i] = fmt.Errorf("caravan --data %s sync %s: %v\n%s", filepath.Base(dirs[i]), urls[i], err, stderr.String())
				return
			}
			out[i] = last
			if last.Phase != "done" || last.Error != "" || last.Incomplete {
				errs[i] = fmt.Errorf("caravan --data %s sync %s ended %+v\n%s", filepath.Base(dirs[i]), urls[i], last, stderr.String())
			}
		})
	}
	wg.Wait()
	if os.Getenv("CARAVAN_LOAD_LOGS") != "" {
		for i := range dirs {
			t.Logf("%s sync %s:\n%s", filepath.Base(dirs[i]), urls[i], strings.Join(steps[i], "\n"))
		}
	}
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
	os.Remove(tmp + "-wal") // empty after Close
	os.Remove(tmp + "-shm")
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
