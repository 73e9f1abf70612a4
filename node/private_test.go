//go:build unix

package node

import (
	"os"
	"path/filepath"
	"testing"
)

// Opening a data directory that others could read takes their access
// away from it and from what the node keeps in it, but does not follow a
// symbolic link out of it, nor touch what the user keeps beside.
func TestOpenMakesPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	outside := filepath.Join(t.TempDir(), "someone else's file")
	for _, d := range []string{dir, filepath.Join(dir, "keys"), filepath.Join(dir, "apps")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o755)
	}
	theirs := filepath.Join(dir, "notes.txt")
	for _, f := range []string{filepath.Join(dir, "node-id"), filepath.Join(dir, "apps", "caravan-linux-amd64"), outside, theirs} {
		if err := os.WriteFile(f, []byte("0123456789abcdef\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(f, 0o644)
	}
	os.Chmod(filepath.Join(dir, "apps", "caravan-linux-amd64"), 0o755)
	if err := os.Symlink(outside, filepath.Join(dir, "keys", "link")); err != nil {
		t.Fatal(err)
	}
	n, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for path, want := range map[string]os.FileMode{
		dir:                           0o700,
		filepath.Join(dir, "keys"):    0o700,
		filepath.Join(dir, "apps"):    0o700,
		filepath.Join(dir, "node-id"): 0o600,
		filepath.Join(dir, "apps", "caravan-linux-amd64"): 0o700,
		filepath.Join(dir, "events.db"):                   0o600,
		filepath.Join(dir, "lock"):                        0o600,
		outside:                                           0o644,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s is %#o, want %#o", path, got, want)
		}
	}
}
