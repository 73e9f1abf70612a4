// Package carry runs a sync session: one encounter between this node and a
// peer (another Caravan node, or any Nostr relay), over any link.
//
// The initiating side drives everything with standard messages, so the
// other side can be any NIP-01 relay with NIP-77:
//
//  1. For each of the node's wants (policy.Want, in priority order), it
//     reconciles the two sets with NEG-OPEN / NEG-MSG / NEG-CLOSE and
//     learns which events each side lacks.
//  2. It pushes what the peer lacks with EVENT (newest first, the peer
//     answering OK) and pulls what it lacks with REQ {"ids": [...]} in
//     batches sized to about a second of the link's measured rate, while
//     both directions run at once (one after the other with
//     Options.Serial, for the simulator).
//  3. In live mode it then keeps a REQ open for new events and pushes the
//     node's own new events as they appear, reconciling again now and then.
//
// New local events are pushed at once, ahead of any backlog, and batches
// stay small enough that a message written now crosses even a slow link
// within seconds. Everything received is validated and stored event by
// event (in small batches), so a session cut at any byte loses nothing and
// the next one, reconciling again, resends nothing that arrived.
//
// A peer that sends malformed messages, events it did not offer or that
// do not match the filter, invalid events, or nothing at all for too long,
// ends the session with an error saying so; nothing invalid is stored.
package carry

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// Local is what a session needs from the node.
type Local interface {
	// Items returns (created_at, id) of the stored events matching f; if
	// more than max > 0 match, it fails with negentropy.ErrTooMany instead.
	Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error)
	// Raw returns stored events by hex id, as JSON; missing ones are left
	// out.
	Raw(ctx context.Context, ids []string) (map[string][]byte, error)
	// Ingest validates and stores events; for each, nil means it is new
	// and now held, ErrHeld that it already was, anything else why it was
	// refused.
	Ingest(ctx context.Context, evs ...*nostr.Event) []error
	// Subscribe calls fn for each event newly stored, from any source.
	Subscribe(fn func(ev *nostr.Event, raw []byte)) (cancel func())
}

// Options configure a session. The zero value (plus Wants) works.
type Options struct {
	// Wants are reconciled in order.
	Wants []policy.Want
	// Live keeps the session open after the first pass: new events flow
	// both ways and everything is reconciled again every Rescan.
	Live bool
	// Rescan is the time between reconciliations in live mode. If zero,
	// 15 minutes.
	Rescan time.Duration
	// FrameBytes bounds negentropy messages we send. If zero, 200,000.
	FrameBytes int
	// Stall is how long the peer may send nothing while we wait for it.
	// If zero, 60s.
	Stall time.Duration
	// Progress, if set, is called with the session's state as it changes
	// (at most every 250 ms) and once at the end.
	Progress func(Progress)
	// Logf reports what the session does. If nil, nothing is logged.
	Logf func(format string, args ...any)
	// PlainSince returns, for a peer without NIP-77, the time from which
	// to ask again for a want's events; Synced records a completed pass.
	// Both may be nil (then everything is asked for, newest first).
	PlainSince func(w policy.Want) int64
	Synced     func(w policy.Want, at int64)
	// Accepted, if set, is called with the id of each event the peer
	// accepted from us (delivery state: "carried").
	Accepted func(id string)
	// Blobs, if set, moves attachments after the events of each pass
	// (see blobs.go). If nil, no blobs move.
	Blobs Blobs
	// Now is the node's clock, for the time windows of wants and the time
	// a pass with a relay without NIP-77 is recorded at. If nil, time.Now.
	// Timeouts and rates use the elapsed time of the machine's clock.
	Now func() time.Time
	// Turns, if set, is shared with the node's other sessions, which
	// then take turns at reconciling big sets. If nil, none waits.
	Turns *Turns
	// Refusals, if set, is shared with the node's other sessions: the
	// events refused for lack of room (Local.Ingest reporting ErrNoRoom)
	// are remembered there, and not asked for again while there is no
	// room for them. If nil, every session asks for them again.
	Refusals *Refusals
	// Serial, if set, transfers one direction at a time, push before
	// pull, each in a fixed order, so that a session cut after N bytes of
	// events has moved the same events every time; for the simulator.
	// Slower on real links.
	Serial bool
}

// Progress describes a session.
type Progress struct {
	Phase      string    `json:"phase"` // connecting, reconciling, transferring, live, done
	Class      string    `json:"class,omitempty"`
	NIP77      bool      `json:"nip77"`
	Received   int       `json:"received"`   // events stored from the peer
	Sent       int       `json:"sent"`       // events the peer accepted
	Refused    int       `json:"refused"`    // events the peer refused (its policy)
	ToReceive  int       `json:"to_receive"` // known still missing here
	ToSend     int       `json:"to_send"`    // known still missing there
	BytesIn    int64     `json:"bytes_in"`
	BytesOut   int64     `json:"bytes_out"`
	RateIn     float64   `json:"rate_in"` // bytes per second, recent
	RateOut    float64   `json:"rate_out"`
	Rounds     int       `json:"rounds"` // negentropy round trips
	Started    time.Time `json:"started"`
	Error      string    `json:"error,omitempty"`
	Incomplete bool      `json:"incomplete,omitempty"` // ended before everything known was transferred
	// Blobs (attachments) moved, and their bytes.
	BlobsReceived int   `json:"blobs_received,omitempty"`
	BlobsSent     int   `json:"blobs_sent,omitempty"`
	BlobBytesIn   int64 `json:"blob_bytes_in,omitempty"`
	BlobBytesOut  int64 `json:"blob_bytes_out,omitempty"`
}

// Remaining estimates the seconds left for the known transfers, or -1.
func (p Progress) Remaining() float64 {
	rate := p.RateIn + p.RateOut
	if rate <= 0 || p.ToReceive+p.ToSend == 0 {
		return -1
	}
	return float64(p.ToReceive+p.ToSend) * 1000 / rate // about 1 KB an event
}

// maxRounds bounds one reconciliation. Honest ones take a few dozen rounds
// (hundreds with 4 KB frames over millions of events).
const maxRounds = 5000

// ErrHeld is what Local.Ingest reports for an event the node already had.
var ErrHeld = errors.New("already held")

// ErrPeer wraps misbehaviour of the peer.
var ErrPeer = errors.New("peer misbehaved")

// errBusy means the peer refused a reconciliation for now (NEG-ERR
// "rate-limited:"): it is busy with others. It is tried busyTries times in
// all, over about a minute.
var errBusy = errors.New("the peer is busy")

const busyTries = 8

// ErrNoNIP77 means the peer does not speak NIP-77.
var ErrNoNIP77 = errors.New("the peer does not support NIP-77 reconciliation")

func peerErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPeer, fmt.Sprintf(format, args...))
}

// Run drives a session over conn until it is done (or, live, until ctx
// ends or the link fails). It returns the final progress.
func Run(ctx context.Context, conn link.Conn, local Local, o Options) (Progress, error) {
	s := newSession(conn, local, o)
	err := s.run(ctx)
	s.mu.Lock()
	p := s.prog
	s.mu.Unlock()
	p.Phase = "done"
	if err != nil && !errors.Is(err, context.Canceled) {
		p.Error = err.Error()
	}
	p.BytesIn, p.BytesOut = conn.Stats().In, conn.Stats().Out
	p.Incomplete = p.ToReceive+p.ToSend > 0
	if o.Progress != nil {
		// The last call: a report snapshotted earlier and still on its
		// way must not follow it with older counts.
		s.showMu.Lock()
		s.shownFinal = true
		o.Progress(p)
		s.showMu.Unlock()
	}
	return p, err
}

type session struct {
	conn  link.Conn
	local Local
	o     Options

	wmu sync.Mutex // serializes writes

	// showMu orders the calls of Options.Progress: each shows a snapshot
	// taken under it, so counts never go back, and none follows the
	// final one.
	showMu     sync.Mutex
	shownFinal bool

	mu        sync.Mutex
	prog      Progress
	lastShown time.Time
	lastRead  time.Time
	negs      map[string]chan inbound
	reqs      map[string]chan inbound
	oks       map[string]chan okResult
	blobs     map[string]chan inbound
	noBlobs   bool            // the peer does not move blobs
	fromPeer  map[string]bool // ids received from the peer: never pushed back
	pushed    map[string]bool // ids the peer now holds
	nextID    int
	rates     rates
	readDone  chan struct{}
	// counting are the goroutines that may still change the counts when
	// the session ends (see run).
	counting sync.WaitGroup
}

type inbound struct {
	label string
	parts []json.RawMessage
}

type okResult struct {
	ok  bool
	msg string
}

func newSession(conn link.Conn, local Local, o Options) *session {
	if o.Rescan == 0 {
		o.Rescan = 15 * time.Minute
	}
	if o.FrameBytes == 0 {
		o.FrameBytes = 200_000
	}
	if o.Stall == 0 {
		o.Stall = 60 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	now := time.Now()
	return &session{
		conn: conn, local: local, o: o,
		prog:     Progress{Phase: "connecting", Started: now, NIP77: true},
		lastRead: now,
		negs:     map[string]chan inbound{},
		reqs:     map[string]chan inbound{},
		oks:      map[string]chan okResult{},
		blobs:    map[string]chan inbound{},
		fromPeer: map[string]bool{},
		pushed:   map[string]bool{},
		readDone: make(chan struct{}),
	}
}

func (s *session) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		err := s.readLoop(ctx)
		close(s.readDone)
		cancel(err)
	}()
	go s.watchdog(ctx, cancel)
	// A write blocked on a peer that stopped reading ends only when the
	// link closes: close it as soon as the session is over or abandoned.
	go func() {
		<-ctx.Done()
		s.conn.Close("")
	}()
	defer func() {
		cancel(nil)
		s.conn.Close("")
		// What still counts (an event of the live subscription being
		// stored, an answer to a live push) ends with ctx, and is waited
		// for, so that the final progress counts it. A read blocked on a
		// pipe may not end with Close (os.Stdin, for one), nor a write:
		// do not wait for them forever.
		counted := make(chan struct{})
		go func() { s.counting.Wait(); close(counted) }()
		limit := time.NewTimer(time.Second)
		defer limit.Stop()
		for _, ch := range []chan struct{}{counted, s.readDone} {
			select {
			case <-ch:
			case <-limit.C:
				return
			}
		}
	}()

	// Push new local events as they appear, ahead of any backlog.
	live := make(chan *nostr.Event, 256)
	stop := s.local.Subscribe(func(ev *nostr.Event, raw []byte) {
		select {
		case live <- ev:
		default: // a burst bigger than the queue is picked up by the next reconciliation
		}
	})
	defer stop()
	s.counting.Go(func() { s.pushLive(ctx, live) }) // it adds the answers it waits for

	if s.o.Live {
		// New events from the peer flow from the start, ahead of any
		// backlog the first pass moves.
		liveErr := make(chan error, 1)
		s.counting.Go(func() { liveErr <- s.liveSubscription(ctx) })
		for {
			if err := s.pass(ctx); err != nil {
				return s.cause(ctx, err)
			}
			s.setPhase("live", "")
			select {
			case <-time.After(s.o.Rescan):
			case err := <-liveErr:
				return s.cause(ctx, err)
			case <-ctx.Done():
				return s.cause(ctx, ctx.Err())
			}
		}
	}
	return s.cause(ctx, s.pass(ctx))
}

// cause prefers the reason the session was cancelled for (a read error, a
// stall) over the context error that it caused downstream.
func (s *session) cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && errors.Is(err, context.Canceled) {
		return c
	}
	return err
}

// pass reconciles and transfers every want once.
func (s *session) pass(ctx context.Context) error {
	if s.o.Refusals != nil {
		s.o.Refusals.prune(s.o.Now())
	}
	for _, w := range s.o.Wants {
		s.setPhase("reconciling", w.Class.String())
		var err error
		if s.nip77() {
			err = s.syncWant(ctx, w)
			if errors.Is(err, ErrNoNIP77) {
				s.o.Logf("%s: no NIP-77; exchanging events with plain REQ and EVENT", s.conn)
				s.mu.Lock()
				s.prog.NIP77 = false
				s.mu.Unlock()
			}
		}
		if !s.nip77() {
			err = s.plainWant(ctx, w)
		}
		if err != nil {
			return err
		}
	}
	return s.syncBlobs(ctx)
}

func (s *session) nip77() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prog.NIP77
}

// syncWant reconciles one want and transfers the differences.
func (s *session) syncWant(ctx context.Context, w policy.Want) error {
	for _, f := range slices(w.Filter, s.o.Now()) {
		haves, needs, err := s.reconcileWant(ctx, w, f)
		if err != nil {
			return err
		}
		if !w.Push {
			haves = nil
		}
		if !w.Pull {
			needs = nil
		}
		if err := s.transfer(ctx, w, haves, needs); err != nil {
			return err
		}
	}
	return nil
}

// reconcileWant lists our set for one filter of a want and reconciles it
// with the peer's. A big set waits for its turn among the node's sessions
// (Options.Turns), and a busy peer is asked again after a pause.
func (s *session) reconcileWant(ctx context.Context, w policy.Want, f nostr.Filter) ([]negentropy.Item, []negentropy.Need, error) {
	items, done, err := s.list(ctx, f)
	if err != nil {
		return nil, nil, fmt.Errorf("list local events: %w", err)
	}
	defer done()
	items, refused := s.withRefused(f, items)
	for try := 1; ; try++ {
		haves, needs, err := s.reconcile(ctx, f, items)
		if !errors.Is(err, errBusy) || try == busyTries {
			if len(refused) > 0 {
				// Ours only in name: never offered.
				kept := haves[:0]
				for _, h := range haves {
					if !refused[h.ID] {
						kept = append(kept, h)
					}
				}
				haves = kept
			}
			return haves, needs, err
		}
		// The peer is reconciling with others: wait our turn there.
		wait := min(time.Second<<(try-1), 15*time.Second)
		s.o.Logf("%s: %v; reconciling %s again in %s", s.conn, err, w.Class, wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// withRefused adds to our set for f the events this node refused for
// lack of room (Options.Refusals), as if it held them: the peer is not
// asked for them again. It returns the set and the ids it added.
func (s *session) withRefused(f nostr.Filter, items *negentropy.Set) (*negentropy.Set, map[[32]byte]bool) {
	if s.o.Refusals == nil {
		return items, nil
	}
	var extra []negentropy.Item
	for _, it := range s.o.Refusals.matching(f) {
		if !items.Has(it) {
			extra = append(extra, it)
		}
	}
	if len(extra) == 0 {
		return items, nil
	}
	refused := make(map[[32]byte]bool, len(extra))
	for _, it := range extra {
		refused[it.ID] = true
	}
	items = items.With(extra)
	s.o.Logf("%s: not asking again for %d events refused for lack of room", s.conn, len(extra))
	return items, refused
}

// list lists our set for f, in its turn if it is big; done ends the turn.
func (s *session) list(ctx context.Context, f nostr.Filter) (set *negentropy.Set, done func(), err error) {
	none := func() {}
	t := s.o.Turns
	if t == nil {
		set, err = s.local.Items(ctx, f, 0)
		return set, none, err
	}
	if t.try() {
		set, err = s.local.Items(ctx, f, 0)
		if err != nil || set.Size() < BigSet {
			t.done()
			return set, none, err
		}
		return set, t.done, nil
	}
	// Another session's turn: a small set need not wait, and listing
	// stops as soon as it is known to be big (holding 4 MB, not 40).
	set, err = s.local.Items(ctx, f, BigSet)
	if !errors.Is(err, negentropy.ErrTooMany) {
		return set, none, err
	}
	if err := t.wait(ctx); err != nil {
		return nil, nil, err
	}
	if set, err = s.local.Items(ctx, f, 0); err != nil {
		t.done()
		return nil, nil, err
	}
	return set, t.done, nil
}

// BigSet is the size from which a reconciliation waits for its turn among
// the sessions sharing Options.Turns: 100,000 events, 4 MB in memory.
const BigSet = 100_000

// Turns is shared by the sessions of one node, which take turns at
// reconciling big sets (BigSet items or more): a node syncing with many
// peers at once then holds one such set in memory, not one per peer.
// Smaller sets never wait. Create it with NewTurns.
type Turns struct{ ch chan struct{} }

// NewTurns returns Turns for the sessions of one node.
func NewTurns() *Turns { return &Turns{ch: make(chan struct{}, 1)} }

func (t *Turns) try() bool {
	select {
	case t.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

func (t *Turns) wait(ctx context.Context) error {
	select {
	case t.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *Turns) done() { <-t.ch }

// slices splits a broad filter by age, newest first: the last hour, the
// last day, then everything older. Recent events then move first, and on a
// slow link transfers start after reconciling an hour, not a year. Filters
// naming authors are usually small and stay whole.
func slices(f nostr.Filter, now time.Time) []nostr.Filter {
	if len(f.Authors) > 0 || len(f.IDs) > 0 || f.Limit > 0 {
		return []nostr.Filter{f}
	}
	edges := []int64{now.Add(-time.Hour).Unix(), now.Add(-24 * time.Hour).Unix()}
	var out []nostr.Filter
	hi := int64(-1) // no upper bound
	for i := 0; i <= len(edges); i++ {
		g := f
		if hi >= 0 {
			u := nostr.Timestamp(hi - 1)
			if f.Until == nil || *f.Until > u {
				g.Until = &u
			}
		}
		if i < len(edges) {
			lo := nostr.Timestamp(edges[i])
			if f.Since == nil || *f.Since < lo {
				g.Since = &lo
			}
			hi = edges[i]
		}
		if g.Since != nil && g.Until != nil && *g.Since > *g.Until {
			continue // this slice is outside the filter's own window
		}
		out = append(out, g)
		if f.Since != nil && i < len(edges) && *f.Since >= nostr.Timestamp(edges[i]) {
			break // the filter does not reach further back
		}
	}
	return out
}

// reconcile runs the NIP-77 exchange for one filter.
func (s *session) reconcile(ctx context.Context, f nostr.Filter, items *negentropy.Set) ([]negentropy.Item, []negentropy.Need, error) {
	// Frames start small and double while round trips stay quick, so a
	// slow link is never clogged by one huge message and a fast one soon
	// uses big frames (few round trips).
	frame := min(16<<10, s.o.FrameBytes)
	rec := negentropy.NewClient(items, frame)
	id, ch, done := s.register(s.negs, s.newID("neg"), 4)
	defer done()
	fj, _ := f.MarshalJSON()
	if err := s.send(ctx, []any{"NEG-OPEN", id, json.RawMessage(fj), hex.EncodeToString(rec.Initiate())}); err != nil {
		return nil, nil, err
	}
	var (
		haves []negentropy.Item
		needs []negentropy.Need
	)
	sent := time.Now()
	rounds := 0
	for {
		var in inbound
		select {
		case in = <-ch:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		switch rtt := time.Since(sent); {
		case rtt < 250*time.Millisecond:
			frame = min(frame*2, s.o.FrameBytes)
		case rtt > time.Second:
			frame = max(frame/2, 4096)
		}
		rec.SetFrameLimit(frame)
		switch in.label {
		case "NEG-ERR":
			reason := str(in.parts, 2)
			if strings.HasPrefix(reason, event.RateLimited+":") {
				return nil, nil, fmt.Errorf("%w: %s", errBusy, reason)
			}
			return nil, nil, fmt.Errorf("the peer refused to reconcile: %s", reason)
		case "NOTICE", "CLOSED":
			return nil, nil, fmt.Errorf("%w (it answered %s)", ErrNoNIP77, in.label)
		}
		var h string
		if len(in.parts) != 3 || json.Unmarshal(in.parts[2], &h) != nil {
			return nil, nil, peerErr("NEG-MSG without a hex message")
		}
		msg, err := hex.DecodeString(h)
		if err != nil {
			return nil, nil, peerErr("NEG-MSG is not hex")
		}
		s.mu.Lock()
		s.prog.Rounds++
		s.mu.Unlock()
		next, res, err := rec.Reconcile(msg)
		if err != nil {
			return nil, nil, peerErr("%v", err)
		}
		haves = append(haves, res.Haves...)
		needs = append(needs, res.Needs...)
		rounds++
		// Each round narrows the ranges; a peer that keeps answering with
		// new ranges forever, or claims more ids than exist, is stopped.
		if len(haves)+len(needs) > 4*items.Size()+5_000_000 || rounds > maxRounds {
			return nil, nil, peerErr("reconciliation does not converge after %d rounds", rounds)
		}
		if next == nil {
			s.send(ctx, []any{"NEG-CLOSE", id})
			return haves, needs, nil
		}
		if err := s.send(ctx, []any{"NEG-MSG", id, hex.EncodeToString(next)}); err != nil {
			return nil, nil, err
		}
		sent = time.Now()
	}
}

// transfer pushes haves and pulls needs at the same time (one after the
// other if Serial), newest first.
func (s *session) transfer(ctx context.Context, w policy.Want, haves []negentropy.Item, needs []negentropy.Need) error {
	// Ties are broken by id, as NIP-01 orders events, so the order does
	// not depend on how the reconciliation happened to split its ranges.
	sort.Slice(haves, func(i, j int) bool {
		if haves[i].Time != haves[j].Time {
			return haves[i].Time > haves[j].Time
		}
		return bytes.Compare(haves[i].ID[:], haves[j].ID[:]) < 0
	})
	sort.Slice(needs, func(i, j int) bool {
		if needs[i].About != needs[j].About {
			return needs[i].About > needs[j].About
		}
		return bytes.Compare(needs[i].ID[:], needs[j].ID[:]) < 0
	})
	// Each id once, whatever the reconciliation said: an id pushed twice
	// would wait for an answer forever.
	seen := make(map[[32]byte]bool, len(haves)+len(needs))
	pushIDs := make([]string, 0, len(haves))
	s.mu.Lock()
	for _, h := range haves {
		id := hex.EncodeToString(h.ID[:])
		if !seen[h.ID] && !s.pushed[id] && !s.fromPeer[id] {
			seen[h.ID] = true
			pushIDs = append(pushIDs, id)
		}
	}
	pullIDs := make([]string, 0, len(needs))
	for _, n := range needs {
		id := hex.EncodeToString(n.ID[:])
		if !seen[n.ID] && !s.fromPeer[id] {
			seen[n.ID] = true
			pullIDs = append(pullIDs, id)
		}
	}
	s.prog.ToSend += len(pushIDs)
	s.prog.ToReceive += len(pullIDs)
	s.mu.Unlock()
	if len(pushIDs)+len(pullIDs) == 0 {
		return nil
	}
	s.setPhase("transferring", w.Class.String())
	if s.o.Serial {
		if err := s.pushAll(ctx, pushIDs); err != nil {
			return err
		}
		return s.pullAll(ctx, w.Filter, pullIDs)
	}
	// The first failure ends the other direction at once: the session is
	// over, and says why.
	tctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	errc := make(chan error, 2)
	both := func(f func(context.Context) error) {
		err := f(tctx)
		if err != nil {
			stop(err)
		}
		errc <- err
	}
	go both(func(ctx context.Context) error { return s.pushAll(ctx, pushIDs) })
	go both(func(ctx context.Context) error { return s.pullAll(ctx, w.Filter, pullIDs) })
	if err := <-errc; err != nil {
		<-errc
		return err
	}
	return <-errc
}

// register makes ch receive the peer's messages for subscription id until
// done is called.
func (s *session) register(m map[string]chan inbound, id string, size int) (string, chan inbound, func()) {
	ch := make(chan inbound, size)
	s.mu.Lock()
	m[id] = ch
	s.mu.Unlock()
	return id, ch, func() {
		s.mu.Lock()
		delete(m, id)
		s.mu.Unlock()
	}
}

func (s *session) newID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return prefix + strconv.Itoa(s.nextID)
}

// send writes one message.
func (s *session) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(ctx, b)
}

func (s *session) write(ctx context.Context, b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.conn.Write(ctx, b); err != nil {
		return fmt.Errorf("send to %s: %w", s.conn, err)
	}
	s.rates.sent(len(b))
	s.report(false)
	return nil
}

func (s *session) setPhase(phase, class string) {
	s.mu.Lock()
	s.prog.Phase, s.prog.Class = phase, class
	s.mu.Unlock()
	s.report(true)
}

// report calls the progress callback, at most every 250 ms unless forced.
func (s *session) report(force bool) {
	if s.o.Progress == nil {
		return
	}
	s.showMu.Lock()
	defer s.showMu.Unlock()
	if s.shownFinal {
		return
	}
	s.mu.Lock()
	now := time.Now()
	if !force && now.Sub(s.lastShown) < 250*time.Millisecond {
		s.mu.Unlock()
		return
	}
	s.lastShown = now
	p := s.prog
	s.mu.Unlock()
	st := s.conn.Stats()
	p.BytesIn, p.BytesOut = st.In, st.Out
	p.RateIn, p.RateOut = s.rates.get()
	s.o.Progress(p)
}

func str(parts []json.RawMessage, i int) string {
	if i >= len(parts) {
		return ""
	}
	// The read loop validated the message: a string without escapes is
	// its bytes between the quotes (a blob part is 256 KiB of them).
	if p := parts[i]; len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' && bytes.IndexByte(p, '\\') < 0 {
		return string(p[1 : len(p)-1])
	}
	var v string
	json.Unmarshal(parts[i], &v)
	return v
}
