//go:build windows

package node

import "golang.org/x/sys/windows"

// diskFree is the space the user may still write on the disk holding dir,
// or 0 if it cannot be told.
func diskFree(dir string) int64 {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0
	}
	var free, total, all uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &all); err != nil {
		return 0
	}
	return int64(free)
}
