//go:build !windows

package node

import "syscall"

// diskFree is the space unprivileged users may still write on the disk
// holding dir, or 0 if it cannot be told.
func diskFree(dir string) int64 {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0
	}
	return int64(fs.Bavail) * int64(fs.Bsize)
}
