package node

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Everything the node keeps is the user's alone: keys, messages, whom
// they talk to. The node writes files 0600 and folders 0700, and at open
// it takes group and other bits off the data directory and off what it
// keeps there, whatever made them (a directory chosen with --data that
// already existed as 0755, a store created by an older version, a key
// file copied in). The directory being 0700 alone keeps others out; each
// file is closed too, so that a copy of the directory made with its
// permissions kept is still private. Features keep their own files so
// (mesh: peers.json).

// kept are the names in the data directory that the core writes; folders
// among them are made private with all inside them. Other names are left
// alone: the directory may be one the user already kept other things in.
var kept = []string{ConfigFile, "events.db", "events.db-wal", "events.db-shm", "node-id",
	"keys", AppsDir, RuntimeFile, "lock", ReserveFile, GuestsFile}

// makePrivate takes group and other permission bits off dir and what
// the node keeps in it. Symbolic links are left alone (chmod would follow
// them out of the directory). It does what it can and reports what failed
// through logf: a filesystem without permissions (FAT on a memory stick)
// must not stop the node.
func makePrivate(dir string, logf func(string, ...any)) {
	if runtime.GOOS == "windows" {
		return // permission bits do not apply; the user's profile protects it
	}
	private(dir, true, logf)
	for _, name := range kept {
		root := filepath.Join(dir, name)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type()&fs.ModeSymlink == 0 {
				private(path, d.IsDir(), logf)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			logf("make %s private: %v", root, err)
		}
	}
}

// private takes group and other bits off path: a folder becomes 0700.
func private(path string, dir bool, logf func(string, ...any)) {
	fi, err := os.Lstat(path)
	if err != nil {
		return // gone meanwhile
	}
	perm := fi.Mode().Perm()
	want := perm &^ 0o077
	if dir {
		want = 0o700
	}
	if perm == want {
		return
	}
	if err := os.Chmod(path, want); err != nil {
		logf("make %s private: %v", path, err)
	}
}
