package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/apps"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// TestAppsReleaseServeDownload is the whole path of handing the program to
// someone: scripts/release cross-builds the binaries, 'caravan apps
// publish' signs and publishes them, a node serves them on loopback, and a
// client downloads the page and every file, checks each against the signed
// sums and the signature against the node's identity, then runs the one
// for this machine. With a warm Go build cache the builds take seconds;
// from a cold one, minutes.
func TestAppsReleaseServeDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds five binaries")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("scripts/release needs bash")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("scripts/release needs the go command")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	const version = "v0.0.0-apptest"

	out := t.TempDir()
	rel := exec.Command(bash, filepath.Join(root, "scripts", "release"), out, version)
	rel.Dir = root
	if b, err := rel.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, b)
	}
	built, err := os.ReadFile(filepath.Join(out, apps.SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	releaseSums, err := apps.ParseSums(built)
	if err != nil || len(releaseSums) != 5 {
		t.Fatalf("SHA256SUMS of the release: %v %v", releaseSums, err)
	}

	data := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(append([]string{"--data", data}, args...), strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("caravan %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	run("id", "new", "me", "--no-passphrase")
	if o := run("apps", "publish", out); !strings.Contains(o, "Published 5 files of Caravan "+version) {
		t.Fatalf("publish: %s", o)
	}

	base, me := serveAppsNode(t, data)

	// The page lists every binary, in plain words, with the signer.
	page := appsGet(t, base+apps.Prefix, "Accept-Language", "kk-KZ")
	for _, s := range releaseSums {
		if !strings.Contains(page, `href="`+s.Name+`"`) || !strings.Contains(page, s.SHA256) {
			t.Errorf("the page lacks %s", s.Name)
		}
	}
	for _, want := range []string{`<html lang="kk">`, me.NPub, "Raspberry Pi 2 және одан жаңасы (32-биттік)", "Apple процессоры бар Mac"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// The signature: one NIP-94 event per file, by the node's identity,
	// agreeing with SHA256SUMS.
	var evs []nostr.Event
	if err := json.Unmarshal([]byte(appsGet(t, base+apps.Prefix+apps.SigFile)), &evs); err != nil {
		t.Fatal(err)
	}
	served, err := apps.ParseSums([]byte(appsGet(t, base+apps.Prefix+apps.SumsFile)))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != len(releaseSums) || len(served) != len(releaseSums) {
		t.Fatalf("%d events and %d sums for %d files", len(evs), len(served), len(releaseSums))
	}
	native := apps.NameFor(runtime.GOOS, runtime.GOARCH)
	nativePath := ""
	for i, ev := range evs {
		if ok, err := ev.CheckSignature(); !ok || err != nil || !ev.CheckID() {
			t.Fatalf("event %d: signature %v %v", i, ok, err)
		}
		if ev.PubKey != me.PubKey.Hex() || ev.Kind != event.KindFileMetadata {
			t.Fatalf("event %d: kind %d by %s, want 1063 by %s", i, ev.Kind, ev.PubKey, me.PubKey.Hex())
		}
		name, sum, size := ev.Tags.Find("name")[1], ev.Tags.Find("x")[1], ev.Tags.Find("size")[1]
		if served[i] != (apps.Sum{SHA256: sum, Name: name}) || releaseSums[i] != served[i] {
			t.Fatalf("event %d signs %s %s; served %v, built %v", i, name, sum, served[i], releaseSums[i])
		}
		if v := ev.Tags.Find("version"); len(v) < 2 || v[1] != version {
			t.Errorf("%s: version tag %v", name, v)
		}
		// Each binary, downloaded, has its signed sum and size.
		b := appsGet(t, base+apps.Prefix+name)
		h := sha256.Sum256([]byte(b))
		if got := hex.EncodeToString(h[:]); got != sum || strconv.Itoa(len(b)) != size {
			t.Fatalf("%s: downloaded %d bytes with sha256 %s; signed %s bytes, %s", name, len(b), got, size, sum)
		}
		if name == native {
			nativePath = filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(nativePath, []byte(b), 0o755); err != nil {
				t.Fatal(err)
			}
			// A cut download resumes where it stopped.
			if tail := appsGet(t, base+apps.Prefix+name, "Range", fmt.Sprintf("bytes=%d-", len(b)-1000)); tail != b[len(b)-1000:] {
				t.Errorf("%s: the range request gave other bytes", name)
			}
		}
	}

	if nativePath == "" {
		t.Skipf("no binary is built for this machine (%s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	got, err := exec.Command(nativePath, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", native, err, got)
	}
	if string(got) != "caravan "+version+"\n" {
		t.Errorf("%s --version: %q", native, got)
	}
}

// serveAppsNode runs the node of data on loopback (LAN discovery off) until
// the test ends and returns the relay port's http:// address and the
// default identity.
func serveAppsNode(t *testing.T, data string) (string, localapi.IdentityInfo) {
	t.Helper()
	n, err := node.Open(data, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	relayLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan node.Runtime, 1)
	done := make(chan error, 1)
	go func() {
		done <- n.Serve(ctx, node.ServeOptions{
			Relay: relayLn, API: apiLn, APIHandler: localapi.NewHandler(n, "token"), Token: "token",
			NoLAN: true, Ready: func(rt node.Runtime) { ready <- rt },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		n.Close()
	})
	var rt node.Runtime
	select {
	case rt = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	me, err := localapi.Call(ctx, localapi.NewClient(rt.API, rt.Token), localapi.Identity, localapi.NameRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + relayLn.Addr().String(), me
}

func appsGet(t *testing.T, url string, header ...string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("GET %s: %s\n%.300s", url, resp.Status, b)
	}
	return string(b)
}
