package node

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Everything in a data directory is the user's alone: keys, messages,
// whom they talk to. The node writes files 0600 and directories 0700,
// and at open it takes group and other bits off the directory and off
// whatever is inside it, whatever made them (a directory chosen with
// --data that already existed as 0755, a store created by an older
// version, a file copied in). The directory being 0700 alone would keep
// others out; each file is closed too, so that a copy of the directory
// made with permissions kept is still private.

// makePrivate takes group and other permission bits off dir and all
// inside it. Symbolic links are left alone (chmod would follow them out of
// the directory). It does what it can and reports what failed through
// logf: a filesystem without permissions (FAT on a memory stick) must
// not stop the node.
func makePrivate(dir string, logf func(string, ...any)) {
	if runtime.GOOS == "windows" {
		return // permission bits do not apply; the user's profile protects it
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			logf("make %s private: %v", path, err)
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		perm := fi.Mode().Perm()
		if perm&0o077 == 0 {
			return nil
		}
		want := perm &^ 0o077
		if d.IsDir() {
			want = 0o700
		}
		if err := os.Chmod(path, want); err != nil {
			logf("make %s private: %v", path, err)
		}
		return nil
	})
}
