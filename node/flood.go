package node

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
)

// band is the store's eviction band for an event of class c that the node
// carries for others; 0 for what it keeps for good.
func band(c policy.Class) int {
	switch c {
	case policy.Stranger, policy.Deletion:
		return store.BandStrangers
	case policy.Wrap:
		return store.BandWraps
	case policy.Report:
		return store.BandReports
	}
	return 0
}

// carry turns a policy admission into the store's instruction.
func (n *Node) carry(ev *nostr.Event, a policy.Admission) store.Carry {
	c := store.Carry{Band: band(a.Class), PoW: a.PoW}
	if a.Full != nil && c.Band > 0 {
		c.Room = &store.Room{Events: a.Full.Events, Bytes: a.Full.Bytes, Keep: n.pol.Protected}
		if a.ByAuthor {
			c.Room.Author = ev.PubKey
		}
	}
	return c
}

// noRoom is the refusal for an event whose cap is full of stronger events.
func noRoom(a policy.Admission) error {
	whose := map[policy.Class]string{
		policy.Wrap:   "sealed messages carried for others",
		policy.Report: "reports by people outside your contacts",
	}[a.Class]
	if whose == "" {
		whose = "events of people outside your contacts"
	}
	if a.ByAuthor {
		whose = "events of this author, who is outside your contacts,"
	}
	r := event.Reject(event.Blocked, "this node's room for %s is full of events with more proof of work (NIP-13) or newer; it keeps those", whose)
	r.Err = errNoRoom
	return r
}

// errNoRoom is the cause of refusals for lack of room (noRoom,
// storeFull), which Ingest tells the OnNoRoom hooks about.
var errNoRoom = errors.New("no room for it")

// forget counts out events the store removed.
func (n *Node) forget(gone []store.Evicted) {
	for _, e := range gone {
		n.pol.Return(e.Event, e.Size)
		if n.removed != nil {
			n.removed(e.Event.ID)
		}
	}
	n.counts.Evicted.Add(int64(len(gone)))
}

// purgeExpired removes expired events and counts them out.
func (n *Node) purgeExpired(ctx context.Context) (int, error) {
	gone, err := n.st.PurgeExpired(ctx)
	n.forget(gone)
	return len(gone), err
}

// makeSpace keeps the store under its quota before about incoming bytes
// are stored (as they will take on disk): expired events go first, then
// what the node carries for strangers, weakest first. It reports whether
// there is room; when there is none, only the node's own data is taken.
func (n *Node) makeSpace(ctx context.Context, incoming int64) (bool, error) {
	// The store and the disk are measured only when the estimate, grown
	// from the last measure, nears the quota or has grown by a step.
	if est := n.estimated.Add(incoming); est <= n.nextMeasure.Load() && est <= n.StoreQuota() {
		return true, nil
	}
	n.spaceMu.Lock()
	defer n.spaceMu.Unlock()
	used, err := n.measure(ctx)
	if err != nil {
		return false, err
	}
	quota := n.StoreQuota()
	if used+incoming <= quota {
		n.estimated.Add(incoming)
		return true, nil
	}
	defer n.measure(ctx)
	if _, err := n.purgeExpired(ctx); err != nil {
		return false, err
	}
	// Make room down to 90% of the quota, so that a store at its limit
	// does not evict for every event.
	for try := 0; try < 4; try++ {
		if used, err = n.st.SizeInUse(ctx); err != nil {
			return false, err
		}
		need := used + incoming - quota*9/10
		if need <= 0 {
			return true, nil
		}
		gone, err := n.st.MakeSpace(ctx, need/overhead+1, n.pol.Protected)
		n.forget(gone)
		if err != nil {
			return false, err
		}
		if len(gone) == 0 {
			break
		}
	}
	return used+incoming <= quota, nil
}

// withRoom stores about size bytes with put, after making room for them
// under the store's quota. Unless they are mine (the user's own data),
// they are refused when the store is full with nothing left to evict.
// When the disk turns out full all the same, it is measured again, room
// made, and put tried once more.
func (n *Node) withRoom(ctx context.Context, size int64, mine func() bool, put func() error) error {
	for try := 0; ; try++ {
		room, err := n.makeSpace(ctx, size)
		if err != nil {
			// Room unknown: put itself says what is wrong.
			n.logf("make room in the store: %v", err)
			room = true
		}
		if !room && !mine() {
			return n.storeFull()
		}
		err = put()
		var full *store.DiskFullError
		if try > 0 || !errors.As(err, &full) {
			return err
		}
		n.diskFilled(ctx)
	}
}

// storeFull is the refusal when the store is at its quota with nothing
// left to evict.
func (n *Node) storeFull() error {
	quota, maxStore := n.StoreQuota(), n.pol.Config().MaxStore
	todo := fmt.Sprintf("free space on the disk holding %s", n.Dir)
	if maxStore == 0 || maxStore <= quota {
		todo = fmt.Sprintf("raise policy.max_store in %s or free disk space", filepath.Join(n.Dir, ConfigFile))
	}
	r := event.Reject(event.Blocked, "this node's store is full (%d MiB, its quota) with data it keeps for its people and their contacts; %s",
		quota>>20, todo)
	r.Err = errNoRoom
	return r
}

// PolicyState is what the node carries and holds now, for `caravan
// policy` and the settings screen.
type PolicyState struct {
	Config policy.Config
	Usage  policy.Usage
	Graph  policy.Graph
	// StoreUsed is the bytes the store uses; StoreQuota what it may grow to.
	StoreUsed, StoreQuota int64
}

// PolicyState reads the policy's settings and counters, the follow graph
// and the store's size against its quota.
func (n *Node) PolicyState(ctx context.Context) (PolicyState, error) {
	used, err := n.st.SizeInUse(ctx)
	if err != nil {
		return PolicyState{}, err
	}
	return PolicyState{Config: n.pol.Config(), Usage: n.pol.Usage(), Graph: n.pol.Graph(),
		StoreUsed: used, StoreQuota: n.StoreQuota()}, nil
}
