package phone_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/nbd-wtf/go-nostr/nip19"
	"github.com/nbd-wtf/go-nostr/nip49"
)

// checkSecretsStayed fails the test if anything the phone sent (every
// request, with its headers and body, and every websocket frame), or any
// file in the node's data directory, holds the phone's secret key (hex in
// either case, or nsec), its passphrase, or even its encrypted key.
func checkSecretsStayed(t *testing.T, tn *testNode, p *phoneBrowser, pass string) {
	t.Helper()
	var enc string
	p.evalInto(`localStorage.getItem('caravan.phone.key')`, &enc)
	sk, err := nip49.Decrypt(enc, pass)
	if err != nil {
		t.Fatalf("%s: the stored key does not open: %v", p.name, err)
	}
	nsec, _ := nip19.EncodePrivateKey(sk)
	secrets := map[string]string{
		"the secret key in hex": sk, "the secret key in upper-case hex": strings.ToUpper(sk),
		"the nsec": nsec, "the passphrase": pass, "the encrypted key": enc,
	}
	sent := p.sentSoFar()
	frames := 0
	for _, s := range sent {
		if strings.HasPrefix(s, "WS ") {
			frames++
		}
		for what, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s's browser sent %s: %.200s", p.name, what, s)
			}
		}
	}
	if frames == 0 {
		t.Errorf("%s: no websocket frame was recorded: is the recording still working?", p.name)
	}
	t.Logf("%s: none of %d requests and frames the page sent (%d frames) holds its key, passphrase or encrypted key", p.name, len(sent), frames)

	nodetest.NoPlainKey(t, tn.Dir, nsec)
	filepath.WalkDir(tn.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, what := range []string{"the passphrase", "the encrypted key"} {
			if bytes.Contains(b, []byte(secrets[what])) {
				t.Errorf("%s holds %s's %s", path, p.name, what)
			}
		}
		return nil
	})
}
