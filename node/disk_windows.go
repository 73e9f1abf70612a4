//go:build windows

package node

import "golang.org/x/sys/windows"

// diskFree is the space the user may still write on the disk holding dir;
// ok is false if it cannot be told.
func diskFree(dir string) (free int64, ok bool) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, false
	}
	var avail, total, all uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &all); err != nil {
		return 0, false
	}
	return int64(avail), true
}
