package main

// Helpers shared by the load tests (soak_test.go, memsync_test.go): they run
// the real binary, so that the memory they report is the node process's
// own, read from /proc.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// envInt reads a positive integer from the environment, or def.
func envInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// envDuration reads a duration (such as 60s) from the environment, or def.
func envDuration(t testing.TB, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a duration such as 60s", name, v)
	}
	return d
}

// caravanCLI runs one caravan command to completion and returns its
// standard output; it fails the test if the command fails.
func caravanCLI(t testing.TB, bin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("caravan %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// importIdentity makes k the default identity of the data directory, with
// no passphrase, so the test can sign as the node.
func importIdentity(t testing.TB, bin, data, name string, k evtest.Key) {
	t.Helper()
	nsec, err := nip19.EncodePrivateKey(k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), name+".nsec")
	if err := os.WriteFile(file, []byte(nsec), 0o600); err != nil {
		t.Fatal(err)
	}
	caravanCLI(t, bin, "--data", data, "id", "import", name, file, "--no-passphrase")
}

// nodeProc is a running `caravan serve`.
type nodeProc struct {
	name string
	data string
	cmd  *exec.Cmd
	rt   node.Runtime
	log  *lockedBuffer
	done chan struct{} // closed when the process has exited
}

// serveNode starts `caravan serve` on data, on loopback ports chosen by the
// system, and waits until it serves. The node is stopped when the test
// ends, if the test has not stopped it already.
func serveNode(t testing.TB, bin, name, data string) *nodeProc {
	t.Helper()
	p := &nodeProc{name: name, data: data, log: new(lockedBuffer), done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--data", data, "serve", "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--no-passphrase", "--no-lan")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		rt, err := node.ReadRuntime(data)
		if err == nil && rt.PID == p.cmd.Process.Pid {
			p.rt = rt
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("node %s exited before serving:\n%s", name, p.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s did not start serving:\n%s", name, p.log)
		}
	}
}

// stop interrupts the node and waits for it to exit (killing it after a
// minute), so its store can be opened.
func (p *nodeProc) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Errorf("node %s did not stop within a minute of SIGINT; killing it", p.name)
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// waitIdle waits until each node has used less than a twentieth of a core
// for a whole second: done with what it starts with (such as counting every
// stored event's author for the policy), so that what is measured next is
// the load alone. It gives up after limit.
func waitIdle(t testing.TB, limit time.Duration, nodes ...*nodeProc) {
	t.Helper()
	var wg sync.WaitGroup
	for _, p := range nodes {
		wg.Go(func() {
			last, err := cpuTime(p.cmd.Process.Pid)
			for deadline := time.Now().Add(limit); err == nil && time.Now().Before(deadline); {
				time.Sleep(time.Second)
				var now time.Duration
				if now, err = cpuTime(p.cmd.Process.Pid); err == nil && now-last < time.Second/20 {
					return
				}
				last = now
			}
			if err != nil {
				t.Errorf("node %s: %v", p.name, err)
				return
			}
			t.Logf("node %s still busy after %s; measuring anyway", p.name, limit)
		})
	}
	wg.Wait()
}

// cpuTime is the user and system CPU time pid has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticks, nil
}

// ownCPU is the CPU time this process has used.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memory is what /proc/PID/status says of a process's resident memory.
type memory struct {
	RSS, HWM int64 // bytes: resident now, and the peak so far
}

// readMemory reads VmRSS and VmHWM of pid.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var into *int64
		switch k {
		case "VmRSS":
			into = &m.RSS
		case "VmHWM":
			into = &m.HWM
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("/proc/%d/status: %s: %v", pid, k, err)
		}
		*into = kb << 10
	}
	if m.HWM == 0 {
		return m, fmt.Errorf("/proc/%d/status has no VmHWM (not Linux?)", pid)
	}
	return m, sc.Err()
}

// rssSampler records the highest VmRSS of a process seen since the last
// call to peak, sampling every 50 ms: VmHWM alone cannot tell the phases
// of a run apart.
type rssSampler struct {
	mu   sync.Mutex
	max  int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := readMemory(pid); err == nil {
				s.mu.Lock()
				s.max = max(s.max, m.RSS)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// peak returns the highest RSS sampled since the previous call and starts
// a new phase.
func (s *rssSampler) peak() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.max
	s.max = 0
	return m
}

func (s *rssSampler) close() {
	close(s.stop)
	<-s.done
}

// mib formats bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// percentile of sorted durations (p in 0..100).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// table formats rows of two columns, aligned, for a report.
func table(title string, rows [][2]string) string {
	cols := make([][]string, len(rows))
	for i, r := range rows {
		cols[i] = r[:]
	}
	return "\n" + title + "\n" + columns(cols)
}

// columns aligns rows of any number of columns, indented.
func columns(rows [][]string) string {
	var w []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(w) {
				w = append(w, 0)
			}
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			fmt.Fprintf(&line, "  %s%s", c, strings.Repeat(" ", w[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

// sortedDurations returns ds sorted (a copy).
func sortedDurations(ds []time.Duration) []time.Duration {
	out := slices.Clone(ds)
	slices.Sort(out)
	return out
}
