package node

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnsureInvite: the first call makes a code and saves it in
// config.json beside what the file held; later calls, and the node
// opened again, keep it.
func TestEnsureInvite(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"name": "Café node", "listen": "0.0.0.0:7447"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := Open(dir, Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	code, made, err := n.EnsureInvite()
	if err != nil || !made {
		t.Fatalf("EnsureInvite: %q, made %v, %v", code, made, err)
	}
	if len(code) != inviteLen || strings.Trim(code, inviteAlphabet) != "" {
		t.Errorf("code %q is not %d characters of %s", code, inviteLen, inviteAlphabet)
	}
	if n.Config.Guests.Invite != code {
		t.Errorf("the node asks for %q, not the code made", n.Config.Guests.Invite)
	}
	file, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if file.Guests.Invite != code || file.Name != "Café node" || file.Listen != "0.0.0.0:7447" {
		t.Errorf("config.json now holds %+v", file)
	}
	if again, made, err := n.EnsureInvite(); again != code || made || err != nil {
		t.Errorf("second call: %q, made %v, %v", again, made, err)
	}
	n.Close()

	n, err = Open(dir, Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if again, made, err := n.EnsureInvite(); again != code || made || err != nil {
		t.Errorf("after opening again: %q, made %v, %v", again, made, err)
	}
}

// TestEnsureInviteKeepsACodeTyped: a code the operator wrote into
// config.json is the one used.
func TestEnsureInviteKeepsACodeTyped(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"guests": {"invite": "chai-2024"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := Open(dir, Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if code, made, err := n.EnsureInvite(); code != "chai-2024" || made || err != nil {
		t.Errorf("EnsureInvite: %q, made %v, %v", code, made, err)
	}
}

// TestNewInviteIsUniform: bytes past the last whole round of the
// alphabet are skipped, so no character is likelier than another.
func TestNewInviteIsUniform(t *testing.T) {
	src := []byte{248, 255, 0, 30, 31, 62, 247, 1, 2, 3, 4}
	code, err := newInvite(bytes.NewReader(append(src, make([]byte, 32)...)))
	if err != nil {
		t.Fatal(err)
	}
	// 248 and 255 skipped; then 0 -> '2', 30 -> 'Z', 31 -> '2', 62 -> '2',
	// 247 -> 247%31 = 30 -> 'Z', 1 -> '3', 2 -> '4', 3 -> '5'.
	if code != "2Z22Z345" {
		t.Errorf("code %q, want 2Z22Z345", code)
	}
	if _, err := newInvite(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Errorf("a source that runs dry gave a code")
	}
}
