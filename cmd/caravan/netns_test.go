package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// lockedBuffer collects a running process's output; the test may read it
// while the process still writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// netns is a throwaway network of namespaces that the test owns.
type netns struct {
	t     *testing.T
	names []string
}

func (n *netns) run(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (n *netns) must(args ...string) {
	n.t.Helper()
	if err := n.run(args...); err != nil {
		n.t.Fatal(err)
	}
}

func (n *netns) add(name string) {
	n.t.Helper()
	if err := n.run("netns", "add", name); err != nil {
		n.t.Skipf("cannot create network namespaces here (needs root and iproute2), so the three-host test does not run: %v", err)
	}
	n.names = append(n.names, name)
	n.must("-n", name, "link", "set", "lo", "up")
}

func (n *netns) cleanup() {
	for _, name := range n.names {
		n.run("netns", "del", name)
	}
}

// TestThreeHosts runs three nodes on three hosts made with ip netns: A and
// B share a LAN segment and find each other by mDNS; B and C are joined
// only by a stdio pipe. A note and a report posted on A reach C; the pipe
// is cut mid-transfer and restored; the LAN goes down and comes back; all
// three converge. All traffic, mDNS included, stays inside the namespaces.
func TestThreeHosts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating network namespaces needs root; .ci/run runs as root")
	}
	bin := caravanBinary(t)
	tag := fmt.Sprintf("cv%d", os.Getpid()%100000)
	ns := &netns{t: t}
	defer ns.cleanup()
	nsA, nsB, nsC := tag+"a", tag+"b", tag+"c"
	ns.add(nsA)
	ns.add(nsB)
	ns.add(nsC)
	vA, vB := tag+"va", tag+"vb"
	ns.must("link", "add", vA, "type", "veth", "peer", "name", vB)
	ns.must("link", "set", vA, "netns", nsA)
	ns.must("link", "set", vB, "netns", nsB)
	ns.must("-n", nsA, "addr", "add", "10.77.0.1/24", "dev", vA)
	ns.must("-n", nsB, "addr", "add", "10.77.0.2/24", "dev", vB)
	ns.must("-n", nsA, "link", "set", vA, "up")
	ns.must("-n", nsB, "link", "set", vB, "up")
	// mDNS multicast leaves through the veth, never a real interface.
	ns.must("-n", nsA, "route", "add", "224.0.0.0/4", "dev", vA)
	ns.must("-n", nsB, "route", "add", "224.0.0.0/4", "dev", vB)

	dir := t.TempDir()
	dA, dB, dC := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	in := func(name string, args ...string) *exec.Cmd {
		return exec.Command("ip", append([]string{"netns", "exec", name, bin}, args...)...)
	}
	cv := func(name string, args ...string) string {
		t.Helper()
		out, err := in(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("caravan %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// A's identity is a key the test knows, so it can sign A's report.
	author := evtest.NewKey("alice in almaty")
	nsec, _ := nip19.EncodePrivateKey(author.Secret)
	keyFile := filepath.Join(dir, "alice.nsec")
	os.WriteFile(keyFile, []byte(nsec), 0o600)
	cv(nsA, "--data", dA, "id", "import", "alice", keyFile, "--no-passphrase")

	var logs []*lockedBuffer
	serve := func(name, data, addr string) {
		buf := new(lockedBuffer)
		logs = append(logs, buf)
		cmd := in(name, "--data", data, "serve", "--listen", addr, "--no-passphrase")
		cmd.Stdout, cmd.Stderr = buf, buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	}
	serve(nsA, dA, "10.77.0.1:7447")
	serve(nsB, dB, "10.77.0.2:7447")
	defer func() {
		if t.Failed() {
			for _, l := range logs {
				t.Logf("node log:\n%s", l)
			}
		}
	}()

	has := func(name, data, id string) bool {
		return in(name, "--data", data, "get", id).Run() == nil
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s", what)
	}

	start := time.Now()
	// A note and a report on A.
	serving := func(data string) func() bool {
		return func() bool { _, err := node.ReadRuntime(data); return err == nil }
	}
	waitFor("A's node", serving(dA))
	waitFor("B's node", serving(dB))
	out := cv(nsA, "--data", dA, "post", "Zhanaozen: the square is full tonight")
	note := strings.Fields(out)[1]
	now := time.Now().Unix()
	report := author.Event(30023, now, "# What happened\n\nPeople gathered at dawn...",
		nostr.Tag{"d", "zhanaozen-1"}, nostr.Tag{"title", "Zhanaozen, day one"}, nostr.Tag{"L", "ISO-639-1"}, nostr.Tag{"l", "en", "ISO-639-1"})
	publish := func(name, data string, evs ...*nostr.Event) {
		t.Helper()
		var buf bytes.Buffer
		for _, ev := range evs {
			b, _ := json.Marshal(ev)
			buf.Write(append(b, '\n'))
		}
		cmd := in(name, "--data", data, "publish", "-")
		cmd.Stdin = &buf
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("publish: %v\n%s", err, out)
		}
	}
	publish(nsA, dA, report)

	// A and B find each other on the LAN and sync by themselves.
	waitFor("the note and report to cross the LAN", func() bool { return has(nsB, dB, note) && has(nsB, dB, report.ID) })
	t.Logf("%s: note and report on B", time.Since(start).Round(time.Millisecond))

	// A backlog, so that the pipe to C can be cut in the middle of it.
	var backlog []*nostr.Event
	for i := 0; i < 400; i++ {
		backlog = append(backlog, author.Event(1, now-int64(i), fmt.Sprintf("backlog %d %s", i, strings.Repeat("·", 300))))
	}
	publish(nsA, dA, backlog...)
	last := backlog[len(backlog)-1].ID
	waitFor("the backlog to reach B", func() bool { return has(nsB, dB, last) })

	// B and C: only a pipe. First cut after 40 KB, in the middle.
	pipeTo := func(limit string) {
		t.Helper()
		c := fmt.Sprintf("ip netns exec %s %s --data %s sync --stdio", nsC, bin, dC)
		if limit != "" {
			c = "dd bs=1 count=" + limit + " status=none | " + c
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", nsB, bin, "--data", dB, "sync", "--exec", c)
		out, err := cmd.CombinedOutput()
		t.Logf("pipe (limit %q): %v\n%s", limit, err, out)
	}
	t.Logf("%s: backlog on B", time.Since(start).Round(time.Millisecond))
	pipeTo("150000")
	count := func(data string) int {
		st, err := store.Open(filepath.Join(data, "events.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		items, err := st.Items(context.Background(), nostr.Filter{Authors: []string{author.Public}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return items.Size()
	}
	partial := count(dC)
	if partial == 0 || partial >= len(backlog)+2 {
		t.Fatalf("the cut pipe moved %d of A's events; the cut did not fall in the middle of the transfer", partial)
	}
	t.Logf("%s: pipe cut with %d events across", time.Since(start).Round(time.Millisecond), partial)
	pipeTo("")
	if !has(nsC, dC, note) || !has(nsC, dC, report.ID) || !has(nsC, dC, last) {
		t.Fatalf("C is missing A's events after the pipe was restored (had %d after the cut)", partial)
	}

	t.Logf("%s: pipe restored", time.Since(start).Round(time.Millisecond))
	// The LAN goes down; A writes; the LAN comes back; B gets it.
	ns.must("-n", nsA, "link", "set", vA, "down")
	late := strings.Fields(cv(nsA, "--data", dA, "post", "written while the LAN was down"))[1]
	time.Sleep(time.Second)
	ns.must("-n", nsA, "link", "set", vA, "up")
	ns.must("-n", nsA, "route", "replace", "224.0.0.0/4", "dev", vA)
	waitFor("the LAN to come back and carry the late note", func() bool { return has(nsB, dB, late) })
	t.Logf("%s: LAN back", time.Since(start).Round(time.Millisecond))

	// LAN discovery turned off on both nodes while they run: their LAN
	// session ends. Turned on again, they find each other again.
	lanConnected := func(name, data string) bool {
		var ps []mesh.Peer
		json.Unmarshal([]byte(cv(name, "--data", data, "peers", "list", "--json")), &ps)
		for _, p := range ps {
			if p.Kind == "lan" && p.State == "connected" {
				return true
			}
		}
		return false
	}
	waitFor("a live LAN session", func() bool { return lanConnected(nsA, dA) || lanConnected(nsB, dB) })
	for _, h := range [][2]string{{nsA, dA}, {nsB, dB}} {
		if out := cv(h[0], "--data", h[1], "lan", "off"); !strings.Contains(out, "LAN discovery is off") {
			t.Fatalf("lan off: %s", out)
		}
	}
	waitFor("the LAN sessions to end", func() bool { return !lanConnected(nsA, dA) && !lanConnected(nsB, dB) })
	if out := cv(nsB, "--data", dB, "status"); !strings.Contains(out, "LAN discovery:  off") {
		t.Fatalf("status after lan off:\n%s", out)
	}
	quiet := strings.Fields(cv(nsA, "--data", dA, "post", "written with discovery off"))[1]
	for _, h := range [][2]string{{nsA, dA}, {nsB, dB}} {
		cv(h[0], "--data", h[1], "lan", "on")
	}
	waitFor("discovery to find the neighbour again", func() bool { return has(nsB, dB, quiet) })
	t.Logf("%s: LAN discovery off and on again", time.Since(start).Round(time.Millisecond))
	pipeTo("")

	// All three hold all of A's events.
	want := len(backlog) + 4
	for _, d := range []string{dA, dB, dC} {
		if got := count(d); got != want {
			t.Errorf("%s holds %d of A's events, want %d", filepath.Base(d), got, want)
		}
	}
	t.Logf("after the cut C had %d of %d; all three converged", partial, want)
}
