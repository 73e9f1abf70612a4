package node

import (
	"context"
	"net"
	"net/http"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/internal/listeners"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/negentropy"
)

// The core calls no feature. Features (private messages, reports,
// bundles, the mesh) learn what happens in it through these hooks, and
// reach its store, keyring and policy through package nodehost.

func init() {
	nodehost.Of = func(x any) *nodehost.Parts { return x.(*Node).parts }
}

// A Handover is one event that passed between this node and a peer: the
// peer pulled it from us or accepted our push (Out), or gave it to us.
// Of what comes in, only reports (KindReport) are handed over: they are
// what "report status" follows.
type Handover struct {
	// Peer names the other side: a peer's URL or name, or "client ADDR"
	// for a client of the relay endpoint not known by name.
	Peer string
	ID   string
	Out  bool
	// Session ends with the session or connection the event passed over,
	// so that listeners may collect a session's handovers and record them
	// once.
	Session context.Context
}

// hooks are the callbacks features registered.
type hooks struct {
	handover  listeners.Set[func(Handover)]
	unlocked  listeners.Set[func(identity string)]
	serveWork listeners.Set[func(ctx context.Context)]
	panicked  listeners.Set[func()]
	// hiddenFollows are OnHiddenFollows's.
	hiddenFollows listeners.Set[func(ctx context.Context) []string]
	closed        listeners.Set[func()]
	resolve       listeners.Set[func(ctx context.Context, as, name string) (keys.PublicKey, bool)]
	// status, settings, settingsChanged and knownPeers: see OnStatus,
	// OnNodeSettings, OnSettingsChanged and OnKnownPeers.
	status          listeners.Set[func(*Status)]
	settings        listeners.Set[func(*NodeSettings)]
	settingsChanged listeners.Set[func(NodeSettingsChange)]
	knownPeers      listeners.Set[func() []KnownPeer]
	// noRoom and reconcile: see OnNoRoom and OnReconcileItems.
	noRoom    listeners.Set[func(ev *nostr.Event)]
	reconcile listeners.Set[func(f nostr.Filter) []negentropy.Item]
	// relayHTTP: see OnRelayHTTP.
	relayHTTP listeners.Set[func(w http.ResponseWriter, r *http.Request) bool]
}

// OnStored calls fn with every event newly stored (or, for ephemeral
// kinds, accepted), from any source, until cancel is called; once cancel
// has returned, fn is not called again. fn runs on the ingesting goroutine
// and must not block.
func (n *Node) OnStored(fn func(ev *nostr.Event, raw []byte)) (cancel func()) {
	n.mu.Lock()
	id := n.nextSub
	n.nextSub++
	n.subs[id] = fn
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		delete(n.subs, id)
		n.mu.Unlock()
	}
}

// OnHandover calls fn for each event that passes between this node and a
// peer, until cancel. fn runs on the session's goroutine and must not block.
func (n *Node) OnHandover(fn func(Handover)) (cancel func()) { return n.hooks.handover.Add(fn) }

// Handed tells the hooks that an event passed between this node and a
// peer (see Handover). The relay endpoint and sync sessions call it.
func (n *Node) Handed(h Handover) {
	for _, f := range n.hooks.handover.All() {
		f(h)
	}
}

// OnUnlocked calls fn with the name of each identity unlocked, until
// cancel. fn runs on the unlocking goroutine and must not block.
func (n *Node) OnUnlocked(fn func(identity string)) (cancel func()) { return n.hooks.unlocked.Add(fn) }

// Unlock decrypts an identity's key; features learn of it through
// OnUnlocked (private messages read what arrived while it was locked).
// A follow list that carries names the user did not choose to publish is
// published again without them (see contacts.go).
func (n *Node) Unlock(name, passphrase string) (keys.Identity, error) {
	id, err := n.kr.Unlock(name, passphrase)
	if err != nil {
		return id, err
	}
	n.graphDirty()
	n.KeysChanged()
	if err := n.scrubFollowList(context.Background(), id.Name); err != nil {
		n.logf("take unpublished names out of the follow list of %s: %v", id.Name, err)
	}
	for _, f := range n.hooks.unlocked.All() {
		f(id.Name)
	}
	return id, nil
}

// OnServe registers work that runs while the node serves: Serve starts fn
// in a goroutine of its own with a context that ends when serving ends,
// and returns only after fn has returned, so nothing writes into the data
// directory after Serve. Work registered while serving starts with the
// next Serve.
func (n *Node) OnServe(fn func(ctx context.Context)) (cancel func()) {
	return n.hooks.serveWork.Add(fn)
}

// OnPanic calls fn after Panic erased the keys and the vault, until
// cancel, so that features drop what they keep in memory about private
// data. fn runs on the goroutine that called Panic.
func (n *Node) OnPanic(fn func()) (cancel func()) { return n.hooks.panicked.Add(fn) }

// OnHiddenFollows registers fn, which the follow graph asks each time it
// is built for keys the node's identities know privately (such as the
// contacts in their encrypted address books), until cancel. Those keys
// count as followed (hop 1) but are never named to public relays. fn may
// read the store; call GraphChanged when what it would return changes.
func (n *Node) OnHiddenFollows(fn func(ctx context.Context) []string) (cancel func()) {
	c := n.hooks.hiddenFollows.Add(fn)
	n.graphDirty()
	return func() {
		c()
		n.graphDirty()
	}
}

// GraphChanged tells the core that the follow graph must be built again
// before it is next used (see OnHiddenFollows).
func (n *Node) GraphChanged() { n.graphDirty() }

// Serving describes the node while Serve runs, for the work features
// registered with OnServe: where the relay endpoint listens, to announce
// it or to tell whether other machines could reach it.
type Serving struct {
	Runtime
	// RelayAddr is the relay endpoint's listening address.
	RelayAddr net.Addr
	// Reachable: the relay endpoint listens beyond loopback.
	Reachable bool
	// NoLAN is ServeOptions.NoLAN: do not look for neighbours on the
	// local network, whatever the configuration says.
	NoLAN bool
	// Context ends when serving ends.
	Context context.Context
}

// Serving returns what Serve is doing, and false when it is not running.
func (n *Node) Serving() (Serving, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.serving == nil {
		return Serving{}, false
	}
	return n.serving.info, true
}

// OnStatus calls fn with the Status being gathered, for features to fill
// in their part (the mesh: LAN discovery), until cancel. fn must not block.
func (n *Node) OnStatus(fn func(*Status)) (cancel func()) { return n.hooks.status.Add(fn) }

// OnNodeSettings calls fn with the NodeSettings being read, for features
// to fill in their live state (the mesh: whether LAN discovery runs),
// until cancel. fn must not block.
func (n *Node) OnNodeSettings(fn func(*NodeSettings)) (cancel func()) {
	return n.hooks.settings.Add(fn)
}

// OnSettingsChanged calls fn with each change ChangeNodeSettings saved
// and applied to Config, for features to apply it to what runs (the
// mesh: LAN discovery on or off), until cancel.
func (n *Node) OnSettingsChanged(fn func(NodeSettingsChange)) (cancel func()) {
	return n.hooks.settingsChanged.Add(fn)
}

// A KnownPeer is a peer or relay this node knows by address.
type KnownPeer struct {
	URL  string
	Kind string // peer, relay, lan, stdio
}

// OnKnownPeers registers a source of the peers this node knows (the
// mesh's peer book), which KnownPeers lists, until cancel.
func (n *Node) OnKnownPeers(fn func() []KnownPeer) (cancel func()) {
	return n.hooks.knownPeers.Add(fn)
}

// KnownPeers lists the peers and relays the sources registered with
// OnKnownPeers know: whom "report status" names, and whom a bundle may
// be made for.
func (n *Node) KnownPeers() []KnownPeer {
	var out []KnownPeer
	for _, f := range n.hooks.knownPeers.All() {
		out = append(out, f()...)
	}
	return out
}

// OnClose calls fn when the node is closed, before its store is, until
// cancel: features forget the node.
func (n *Node) OnClose(fn func()) (cancel func()) { return n.hooks.closed.Add(fn) }

// OnResolve registers fn, which Resolve asks, after trying what it was
// given as a key and before the follow list, for the key of a name
// identity as knows privately (such as a contact's name in its encrypted
// address book), until cancel. fn reports whether it knew the name.
func (n *Node) OnResolve(fn func(ctx context.Context, as, name string) (keys.PublicKey, bool)) (cancel func()) {
	return n.hooks.resolve.Add(fn)
}

// OnNoRoom calls fn with each event Ingest refused for lack of room,
// whoever sent it (a sync session, a client of the relay endpoint), until
// cancel: the share of what the node carries for others that it counts
// against, or the store itself, was full of events the node keeps rather
// than this one. Events refused for anything else (invalid, blocked by
// the policy) are not passed. fn runs on the ingesting goroutine and must
// not block.
func (n *Node) OnNoRoom(fn func(ev *nostr.Event)) (cancel func()) { return n.hooks.noRoom.Add(fn) }

// noRoom tells the OnNoRoom hooks that ev was refused for lack of room.
func (n *Node) noRoom(ev *nostr.Event) {
	for _, f := range n.hooks.noRoom.All() {
		f(ev)
	}
}

// OnReconcileItems registers fn, which the relay endpoint asks for each
// set it reconciles with a client (NIP-77) for events to count as held
// though the store does not hold them (the mesh: those refused for lack
// of room, so that a peer does not push them again at every sync), until
// cancel. Such events are never served: a client that asks for them by
// id gets nothing. fn must be quick; it runs for every NEG-OPEN.
func (n *Node) OnReconcileItems(fn func(f nostr.Filter) []negentropy.Item) (cancel func()) {
	return n.hooks.reconcile.Add(fn)
}

// OnRelayHTTP registers fn, which the relay endpoint's HTTP server asks
// about each plain HTTP request it would otherwise answer itself (the
// landing page at "/", or "not found"), until cancel. fn answers the
// request and returns true, or leaves it alone and returns false.
// Websocket upgrades, the NIP-11 document, blobs and /apps/ never reach
// it. Features serve pages for people on the relay port this way (the
// phone page).
func (n *Node) OnRelayHTTP(fn func(w http.ResponseWriter, r *http.Request) bool) (cancel func()) {
	return n.hooks.relayHTTP.Add(fn)
}
