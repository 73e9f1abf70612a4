package node

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"

	"github.com/caravan-mesh/caravan/store"
)

// diskFull is err, or a *store.DiskFullError naming the data directory
// when err is a write that found no space left: the store's words for a
// full disk, whichever file of the directory was being written.
func (n *Node) diskFull(err error) error { return diskFull(n.Dir, err) }

func diskFull(dir string, err error) error {
	var full *store.DiskFullError
	if errors.Is(err, syscall.ENOSPC) && !errors.As(err, &full) {
		return &store.DiskFullError{Dir: dir, Err: err}
	}
	return err
}

// The store's quota is the most the store may hold: the default is half
// the room the store has on its disk (the free space there plus what the
// store's files already take, free pages in them included), measured
// when the node opens and again as the store grows, and when a write
// finds the disk full. So it follows the disk as others fill or free it,
// and a store on a small disk stops short of filling it. policy.max_store
// sets the quota instead, but never above 7/8 of that room: the rest is
// for the write-ahead log and whatever else the disk holds.
const (
	// minStoreQuota is the default quota where the free space cannot be
	// told.
	minStoreQuota = 256 << 20
	// overhead: a stored event takes about three times its JSON size
	// with its indexes and search terms.
	overhead = 3
)

// storeQuota is the quota with policy.max_store maxStore (0 if not set)
// and room bytes the store could grow to on its disk (0 if unknown).
func storeQuota(maxStore, room int64) int64 {
	switch {
	case room <= 0 && maxStore > 0:
		return maxStore
	case room <= 0:
		return minStoreQuota
	case maxStore > 0:
		return min(maxStore, room-room/8)
	}
	return room / 2
}

// StoreQuota is the most the store may hold, in bytes, as last measured.
func (n *Node) StoreQuota() int64 {
	return storeQuota(n.pol.Config().MaxStore, n.room.Load())
}

// measureStep is how much the store may grow, by estimate, before the
// disk is measured again: a bounded number of measures for a quota, and
// at most every 64 MiB however large the disk.
func measureStep(quota int64) int64 {
	return min(max(quota/32, 256<<10), 64<<20)
}

// measure reads the store's size and the room on its disk, and starts a
// new estimate from them. It is cheap (a statfs, two stats and three
// pragmas), and is done only when the estimate has grown by measureStep
// or nears the quota.
func (n *Node) measure(ctx context.Context) (used int64, err error) {
	if used, err = n.st.SizeInUse(ctx); err != nil {
		return 0, err
	}
	n.room.Store(storeRoom(n.Dir, n.st.Path()))
	n.estimated.Store(used)
	n.nextMeasure.Store(used + measureStep(n.StoreQuota()))
	return used, nil
}

// remeasure measures the disk and keeps the reserve, between writes.
func (n *Node) remeasure(ctx context.Context) {
	n.spaceMu.Lock()
	defer n.spaceMu.Unlock()
	if _, err := n.measure(ctx); err != nil {
		if ctx.Err() == nil {
			n.logf("measure the store: %v", err)
		}
		return
	}
	n.keepReserve(ctx)
}

// storeRoom is what the store at path could grow to on the disk holding
// dir: the free space plus its files' sizes; 0 if the free space cannot
// be told.
func storeRoom(dir, path string) int64 {
	free, ok := diskFree(dir)
	if !ok {
		return 0
	}
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			free += fi.Size()
		}
	}
	return free
}

// The reserve: SQLite writes even a deletion to its write-ahead log
// first, and can use the log's space again only once the log is folded
// into the database, which needs room for the pages the log added. So on
// a disk that others filled to the last byte the store could not evict
// anything, and the owner's note would be refused with the strangers'
// notes still there. Where the disk is nearly full, the node keeps a
// little of it in a file, and has the log folded in well before it grows
// to that size; when a write finds the disk full, it gives the file up:
// the log then has room to evict, and once folded in it reuses the pages
// evicted.
const (
	// ReserveFile holds the reserve, in the data directory.
	ReserveFile = "reserve"
	// reserveWhenFree: the reserve is kept where less than this is free.
	// A roomy disk needs none, and the many nodes of a simulation or a
	// test suite should not each write one.
	reserveWhenFree = 64 << 20
	// maxReserve is the reserve's size, or 1/16 of the room if less.
	maxReserve = 1 << 20
	// walDefault is how long the log grows on a roomy disk (SQLite's
	// default, 1000 pages).
	walDefault = 4 << 20
)

// keepReserve keeps the reserve and the log's length right for the free
// space on the disk: on a nearly full disk, a reserve file (written if
// the free space is well above it) and a log folded in at half its size.
// The reserve's bytes are pseudo-random, so that a compressing
// filesystem cannot hand the space back. It is called with spaceMu held, or from Open.
func (n *Node) keepReserve(ctx context.Context) {
	free, ok := diskFree(n.Dir)
	if !ok {
		return
	}
	size := min(maxReserve, n.room.Load()/16)
	tight := free < reserveWhenFree
	wal := int64(walDefault)
	if tight {
		wal = max(size/2, 64<<10)
	}
	if wal != n.walBytes {
		if err := n.st.CheckpointEvery(ctx, wal); err != nil {
			n.logf("set the write-ahead log's length: %v", err)
		} else {
			n.walBytes = wal
		}
	}
	path := filepath.Join(n.Dir, ReserveFile)
	if !tight || free < 8*size {
		return
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() >= size {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		n.logf("reserve disk space: %v", err)
		return
	}
	var seed [32]byte
	_, err = io.CopyN(f, rand.NewChaCha8(seed), size)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		os.Remove(path)
		n.logf("reserve disk space: %v", err)
	}
}

// diskFilled is called when a write found the disk full: others filled
// it, or it filled faster than the last measure said. The room is
// measured again, which lowers the quota so that the next makeSpace
// evicts what the node carries for strangers; the reserve is given up, so
// that the write-ahead log has room to do it.
func (n *Node) diskFilled(ctx context.Context) {
	n.spaceMu.Lock()
	defer n.spaceMu.Unlock()
	n.logf("the disk holding %s is full; the store's quota is measured again and strangers' data makes room", n.Dir)
	if err := os.Remove(filepath.Join(n.Dir, ReserveFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.logf("give up the reserve: %v", err)
	}
	if _, err := n.measure(ctx); err != nil {
		n.logf("measure the store: %v", err)
	}
}
