package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/localapi"
)

// A node started with no terminal and no passphrase (a desktop shortcut, a
// service, </dev/null) creates no identity, so no key is ever stored in
// plain text unless --no-passphrase asked for it. The identity made
// afterwards, with a passphrase as the web UI's welcome screen makes it,
// is nowhere in the data directory in plain text: not as an nsec, not in
// hex, not as its 32 raw bytes. Nor after a restart, which starts locked.
func TestServeWithoutPassphraseStoresNoPlainKey(t *testing.T) {
	bin := caravanBinary(t)
	data := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, PassphraseEnv+"=") {
			env = append(env, kv)
		}
	}
	start := func() (*served, *bytes.Buffer) {
		var out bytes.Buffer
		cmd := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--api", "127.0.0.1:0", "--no-lan")
		cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, nil, &out, &out // stdin: /dev/null
		return startServeCmd(t, data, cmd), &out
	}
	ctx := context.Background()

	s, out := start()
	ids, err := localapi.Call(ctx, s.client(), localapi.Identities, localapi.Empty{})
	if err != nil || len(ids) != 0 {
		t.Fatalf("serve </dev/null made identities %+v (%v); output:\n%s", ids, err, out)
	}
	// What the welcome screen sends.
	const pass = "a passphrase of several words"
	id, err := localapi.Call(ctx, s.client(), localapi.NewIdentity, localapi.NewIdentityRequest{Name: "me", Passphrase: pass})
	if err != nil || !id.Encrypted {
		t.Fatalf("new identity: %+v, %v", id, err)
	}
	secret, err := localapi.Call(ctx, s.client(), localapi.Export, localapi.ExportRequest{NSec: true, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	s.stop(t)
	if !strings.Contains(out.String(), "no identity was created") || !strings.Contains(out.String(), "identity:       none yet") {
		t.Errorf("serve did not say it started without an identity:\n%s", out)
	}
	nodetest.NoPlainKey(t, data, secret.Secret)

	s, out = start()
	if id, err := localapi.Call(ctx, s.client(), localapi.Identity, localapi.NameRequest{}); err != nil || id.Unlocked {
		t.Fatalf("restarted without a passphrase: %+v, %v", id, err)
	}
	s.stop(t)
	if !strings.Contains(out.String(), "locked: run 'caravan unlock'") {
		t.Errorf("the restarted node did not say it is locked:\n%s", out)
	}
	nodetest.NoPlainKey(t, data, secret.Secret)
}
