// Package smalldisk mounts small tmpfs filesystems for tests of what
// happens when the disk is full. Mounting needs root; the tests that use
// it skip, saying so, when they run as another user or where tmpfs cannot
// be mounted.
package smalldisk

import (
	"os"
	"os/exec"
	"testing"
)

// Mount mounts a tmpfs of size (as mount takes it: "512k", "4m") on a new
// temporary directory, unmounted when the test ends, and returns the
// directory.
func Mount(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs to fill needs root; run as root (CI does) to test a full disk")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v: %s); this test needs a full disk", err, out)
	}
	// Registered after TempDir's own cleanup, so it runs first.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Resize gives the tmpfs at dir a new size: space returns (or goes)
// under the feet of whatever uses it.
func Resize(t testing.TB, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("resize the tmpfs at %s: %v: %s", dir, err, out)
	}
}
