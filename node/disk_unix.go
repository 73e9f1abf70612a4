//go:build !windows

package node

import "syscall"

// diskFree is the space unprivileged users may still write on the disk
// holding dir; ok is false if it cannot be told.
func diskFree(dir string) (free int64, ok bool) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0, false
	}
	return int64(fs.Bavail) * int64(fs.Bsize), true
}
