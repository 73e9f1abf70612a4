//go:build unix

package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The store's files are the user's alone: a new store is created 0600,
// with its log files (SQLite gives them the database file's permissions,
// less the umask), and an old one others could read is made so.
func TestStoreFilesPrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022)) // what most systems have
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "new.db"), old} {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		save(t, s, alice.Event(1, t0.Unix(), "a note"))
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s is %#o, want 0600", filepath.Base(p), perm)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
