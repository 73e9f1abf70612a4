// Package interoptest finds the independent implementations (Node.js with
// nostr-tools, from the interop folder) that interoperability tests talk to.
//
// scripts/test installs them and sets CARAVAN_REQUIRE_INTEROP=1, so that in
// CI a missing piece fails the test; a plain `go test` run without them
// skips with a message saying how to get them.
package interoptest

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Dir is the interop folder (with package.json and the scripts).
func Dir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "interop")
}

// Missing fails the test in CI (CARAVAN_REQUIRE_INTEROP set) and skips it
// otherwise, saying what is missing and how to get it.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CARAVAN_REQUIRE_INTEROP") != "" {
		t.Fatalf("%s; scripts/test should have installed it", what)
	}
	t.Skipf("%s; run scripts/test (or `npm ci` in interop/) to run this interop test", what)
}

// RunNode runs a script of the interop folder with Node.js and returns its
// standard output. The test fails with the script's standard error if it
// exits non-zero.
func RunNode(t testing.TB, script string, args ...string) []byte {
	t.Helper()
	node := nodePath(t)
	dir := Dir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s%s", script, err, stderr.Bytes(), stdout.Bytes())
	}
	return stdout.Bytes()
}

// StartNode starts a script of the interop folder with Node.js and returns
// the running command with its standard input and output connected; its
// standard error goes to the test log.
func StartNode(t testing.TB, script string, args ...string) (*exec.Cmd, io.WriteCloser, io.ReadCloser) {
	t.Helper()
	node := nodePath(t)
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.Dir = Dir(t)
	cmd.Stderr = testWriter{t}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, in, out
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("node: %s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

func nodePath(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "Node.js is not installed")
	}
	if _, err := os.Stat(filepath.Join(Dir(t), "node_modules", "nostr-tools")); err != nil {
		Missing(t, "nostr-tools is not installed in interop/node_modules")
	}
	return node
}
