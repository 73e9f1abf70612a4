package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/blossom"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// What the tests that run the real binary share: building it, starting
// and killing nodes, giving them an identity and events.

// buildCaravan compiles the real binary once per test run.
var buildCaravan = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "caravan-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "caravan")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// caravanBinary is the binary for a test that runs it; such tests are
// skipped under -short.
func caravanBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the caravan binary")
	}
	bin, err := buildCaravan()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// caravan runs one command of the binary on data and returns its output,
// failing the test if it fails.
func caravan(t *testing.T, bin, data string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"--data", data}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("caravan %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// withIdentity gives data the identity k under name, unencrypted.
func withIdentity(t *testing.T, bin, data, name string, k evtest.Key) {
	t.Helper()
	nsec, _ := nip19.EncodePrivateKey(k.Secret)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(nsec), 0o600); err != nil {
		t.Fatal(err)
	}
	caravan(t, bin, data, "id", "import", name, keyFile, "--no-passphrase")
}

// A served node is a `caravan serve` process on loopback ports.
type served struct {
	cmd  *exec.Cmd
	rt   node.Runtime
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done
}

// startServe starts `caravan serve` on data and waits until it serves. The
// process is killed when the test ends, if it still runs.
func startServe(t *testing.T, bin, data string) *served {
	t.Helper()
	return startServeCmd(t, data, exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--no-passphrase", "--no-lan"))
}

// startServeCmd starts cmd, a `caravan serve` on data, and waits until it
// serves.
func startServeCmd(t *testing.T, data string, cmd *exec.Cmd) *served {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill() })
	s.rt = waitRuntime(t, data, s)
	return s
}

// kill ends the node with SIGKILL and waits until it is gone.
func (s *served) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop asks the node to shut down and waits for it.
func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if s.err != nil {
		t.Fatalf("caravan serve did not shut down cleanly: %v", s.err)
	}
}

// client is a local API client of the served node.
func (s *served) client() *localapi.Client { return localapi.NewClient(s.rt.API, s.rt.Token) }

func waitRuntime(t *testing.T, data string, s *served) node.Runtime {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-s.done:
			t.Fatalf("caravan serve exited: %v", s.err)
		default:
		}
		rt, err := node.ReadRuntime(data)
		if err == nil && rt.PID == s.cmd.Process.Pid {
			return rt
		}
	}
	t.Fatal("the node did not start")
	return node.Runtime{}
}

// postNotes has the served node sign and store n notes by its default
// identity, text(i) each, over concurrent API calls, and returns
// their ids in order. The node signs them: in the test process, under
// the race detector, a signature takes milliseconds.
func postNotes(t *testing.T, s *served, n int, text func(i int) string) []string {
	t.Helper()
	// Many at once, so the node's group commit fills its batches.
	const workers = 16
	ids := make([]string, n)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	cl := s.client()
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				ev, err := localapi.Call(context.Background(), cl, localapi.Post, localapi.PostRequest{Kind: nostr.KindTextNote, Content: text(i)})
				if err != nil {
					errs <- fmt.Errorf("post %d: %w", i, err)
					return
				}
				ids[i] = ev.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

// soundStore opens the store of data directory data after the kill of
// round, and fails the test unless SQLite's integrity check passes and
// every held blob matches its hash. The caller closes it.
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
	if err := st.VerifyBlobs(context.Background()); err != nil {
		st.Close()
		t.Fatalf("round %d: %v", round, err)
	}
	return st
}

// holding opens data's store (soundStore) and returns which of ids it
// holds.
func holding(t *testing.T, data string, round int, ids []string) map[string]bool {
	t.Helper()
	st := soundStore(t, data, round)
	defer st.Close()
	have, err := st.Has(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return have
}

// upload stores data on the served node over Blossom (PUT /upload),
// authorized by k, and returns the status and X-Reason of the answer.
func (s *served) upload(ctx context.Context, k evtest.Key, data []byte) (int, string, error) {
	sum := sha256.Sum256(data)
	auth := k.Event(event.KindBlossomAuth, time.Now().Unix()-5, "upload",
		nostr.Tag{"t", "upload"}, nostr.Tag{"x", hex.EncodeToString(sum[:])},
		nostr.Tag{"expiration", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http"+strings.TrimPrefix(s.rt.Relay, "ws")+"/upload", bytes.NewReader(data))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", blossom.Authorization(auth))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Reason"), nil
}
