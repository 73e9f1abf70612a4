package bundles

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/caravan-mesh/caravan/bundle"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// Export says what goes into a bundle file and who can open it.
type Export struct {
	// Path is the file; with Split, the parts are Path.001, Path.002, ...
	Path string `json:"path"`
	// For is the peer the bundle is for: a person (npub, nprofile, hex,
	// contact name) or the URL of a peer this node syncs with. What it is
	// known to hold is left out. "" leaves nothing out.
	For string `json:"for,omitempty"`
	// Since leaves out events created before it (unix seconds; 0: none).
	Since int64 `json:"since,omitempty"`
	// Filter, if set, keeps only the events it matches.
	Filter *nostr.Filter `json:"filter,omitempty"`
	// Max bounds the bundle's size in bytes (0: no bound).
	Max int64 `json:"max,omitempty"`
	// Split cuts the bundle into parts of at most this many bytes.
	Split int64 `json:"split,omitempty"`
	// Passphrase and To (people, as For) say who can open it: these, and
	// nothing else.
	Passphrase string   `json:"passphrase,omitempty"`
	To         []string `json:"to,omitempty"`
	// Resend includes events sent to For in earlier bundles it has not
	// confirmed.
	Resend bool `json:"resend,omitempty"`
}

// Made describes a bundle written.
type Made struct {
	ID        string         `json:"id"`
	Files     []string       `json:"files"`
	Bytes     int64          `json:"bytes"`
	Events    int            `json:"events"`
	ByClass   map[string]int `json:"by_class"`
	Blobs     int            `json:"blobs"`
	BlobBytes int64          `json:"blob_bytes"`
	RawBytes  int64          `json:"raw_bytes"`
	// Left out because they did not fit in Max.
	LeftEvents int `json:"left_events,omitempty"`
	LeftBlobs  int `json:"left_blobs,omitempty"`
	// Left out because the peer holds them, or was sent them in a
	// bundle it has not confirmed yet.
	Unconfirmed int `json:"unconfirmed,omitempty"`
	// Signed says the bundle carries the maker's signed proof (the
	// identity was unlocked): the receiver learns what this node holds.
	Signed bool `json:"signed"`
	// Opens lists every way the bundle can be opened: the people it was
	// made for, in the order given, then the passphrase if it has one.
	Opens []Opener `json:"opens"`
}

// Opener is one way to open a bundle: the secret key of a person it was
// made for, or its passphrase.
type Opener struct {
	PubKey keys.PublicKey `json:"pubkey,omitempty"` // hex
	NPub   string         `json:"npub,omitempty"`
	// Profile is the name the person gives themselves in the profile this
	// node holds, if any: their own claim, not a name the user gave them.
	Profile    string `json:"profile,omitempty"`
	Passphrase bool   `json:"passphrase,omitempty"`
}

// maxMisses is how many items in a row may fail to fit before a bundle
// with a size limit stops trying smaller ones.
const maxMisses = 2000

// Export writes a bundle of what this node carries, most valuable
// first (as sync sends it: own events, private messages for contacts,
// reports, then the rest, newest first), then the blobs those events
// reference.
func (s *Service) Export(ctx context.Context, o Export) (Made, error) {
	var made Made
	if o.Filter != nil {
		if err := event.CheckFilter(*o.Filter); err != nil {
			return made, err
		}
	}
	peer, copt, err := s.bundlePeer(ctx, o.For, o.Resend)
	if err != nil {
		return made, err
	}
	forPeer := ""
	if peer != "" && !strings.Contains(peer, "://") {
		forPeer = peer
	}
	info := bundle.Info{ID: s.newBundleID(), Created: s.p.Now().Unix(), App: node.VersionString()}
	if info.Proof, err = s.bundleProof(ctx, info.ID, forPeer); err != nil {
		return made, err
	}
	made.Signed = info.Proof != nil
	var to []string
	for _, who := range o.To {
		pk, err := s.n.Resolve(ctx, "", who)
		if err != nil {
			return made, err
		}
		if slices.Contains(to, pk.Hex()) {
			continue // named twice (a name and a key): one slot
		}
		to = append(to, pk.Hex())
		made.Opens = append(made.Opens, Opener{PubKey: pk, NPub: pk.NPub(), Profile: s.n.ProfileName(ctx, pk.Hex())})
	}
	if o.Passphrase != "" {
		made.Opens = append(made.Opens, Opener{Passphrase: true})
	}
	out, err := newBundleFiles(o.Path, o.Split > 0)
	if err != nil {
		return made, err
	}
	w, err := bundle.NewWriter(out, bundle.Options{Lock: bundle.Lock{Passphrase: o.Passphrase, To: to}, PartSize: o.Split, Max: o.Max, Info: info})
	if err != nil {
		out.remove()
		return made, err
	}
	fail := func(err error) (Made, error) {
		w.Abort()
		out.remove()
		return Made{}, err
	}
	made.ByClass = map[string]int{}
	ids, err := s.addBundleEvents(ctx, w, o, copt, &made)
	if err != nil {
		return fail(err)
	}
	if err := s.addBundleBlobs(ctx, w, ids, &made); err != nil {
		return fail(err)
	}
	sum, err := w.Close()
	if err != nil {
		out.remove()
		return made, err
	}
	files, err := out.finish()
	if err != nil {
		return made, err
	}
	made.ID, made.Files, made.Bytes = sum.ID, files, sum.Bytes
	made.Events, made.Blobs, made.BlobBytes, made.RawBytes = sum.Events, sum.Blobs, sum.BlobBytes, sum.RawBytes
	idb, _ := hex.DecodeString(sum.ID)
	if err := s.p.Store.RecordBundle(ctx, store.BundleRecord{ID: idb, Way: store.BundleMade, Peer: peer, Events: sum.Events}); err != nil {
		return made, err
	}
	if peer != "" {
		if err := s.p.Store.AddPeerEvents(ctx, peer, store.PeerSentTo, idb, ids); err != nil {
			return made, err
		}
	}
	if peer != "" && !o.Resend {
		if made.Unconfirmed, err = s.p.Store.CountUnconfirmed(ctx, peer); err == nil {
			made.Unconfirmed -= sum.Events
		}
	}
	return made, nil
}

// bundlePeer resolves Export.For to the key its holdings are kept
// under, and what to leave out.
func (s *Service) bundlePeer(ctx context.Context, who string, resend bool) (string, store.CandidateOptions, error) {
	o := store.CandidateOptions{Resend: resend}
	if who == "" {
		return "", o, nil
	}
	known := false
	for _, p := range s.n.KnownPeers() {
		known = known || p.URL == who
	}
	if known || strings.HasPrefix(who, "ws://") || strings.HasPrefix(who, "wss://") {
		u := who
		if !known {
			var err error
			if u, err = node.CheckPeerURL(who); err != nil {
				return "", o, err
			}
			for _, p := range s.n.KnownPeers() {
				known = known || p.URL == u
			}
		}
		if !known {
			return "", o, fmt.Errorf("%s is %w; give the person's npub instead", u, ErrUnknownPeer)
		}
		eid, err := s.p.Store.PeerSynced(ctx, u)
		if err != nil {
			return "", o, err
		}
		o.Peer, o.AfterEID = u, eid
		return u, o, nil
	}
	pk, err := s.n.Resolve(ctx, "", who)
	if err != nil {
		return "", o, err
	}
	o.Peer = pk.Hex()
	return pk.Hex(), o, nil
}

// addBundleEvents adds events in priority order and returns their ids.
func (s *Service) addBundleEvents(ctx context.Context, w *bundle.Writer, o Export, copt store.CandidateOptions, made *Made) ([]string, error) {
	taken := map[string]bool{}
	var ids []string
	misses := 0
	for _, want := range s.n.Wants(ctx) {
		if !want.Push {
			continue
		}
		f := want.Filter
		if o.Since > 0 && (f.Since == nil || int64(*f.Since) < o.Since) {
			s := nostr.Timestamp(o.Since)
			f.Since = &s
		}
		cands, err := s.p.Store.Candidates(ctx, f, copt)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(cands, func(a, b store.Candidate) int {
			if a.CreatedAt != b.CreatedAt {
				return int(b.CreatedAt - a.CreatedAt)
			}
			return strings.Compare(a.ID, b.ID)
		})
		for start := 0; start < len(cands); start += 500 {
			batch := cands[start:min(start+500, len(cands))]
			var todo []string
			for _, c := range batch {
				if !taken[c.ID] {
					todo = append(todo, c.ID)
				}
			}
			raws, err := s.p.Store.RawMany(ctx, todo)
			if err != nil {
				return nil, err
			}
			for _, c := range batch {
				raw, ok := raws[c.ID]
				if taken[c.ID] || !ok {
					continue
				}
				if o.Filter != nil {
					ev, err := decodeEvent(raw)
					if err != nil || !o.Filter.Matches(ev) {
						continue
					}
				}
				taken[c.ID] = true
				if misses >= maxMisses {
					made.LeftEvents++
					continue
				}
				switch err := w.AddEvent(raw, c.ID, c.Kind); {
				case errors.Is(err, bundle.ErrFull):
					made.LeftEvents++
					misses++
				case err != nil:
					return nil, err
				default:
					misses = 0
					ids = append(ids, c.ID)
					made.ByClass[className(want.Class)]++
				}
			}
		}
	}
	return ids, nil
}

func className(c policy.Class) string { return c.String() }

func decodeEvent(raw []byte) (*nostr.Event, error) {
	ev := new(nostr.Event)
	if err := ev.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return ev, nil
}

// addBundleBlobs adds the blobs held here that the events reference.
func (s *Service) addBundleBlobs(ctx context.Context, w *bundle.Writer, ids []string, made *Made) error {
	seen := map[string]bool{}
	misses := 0
	for start := 0; start < len(ids); start += 500 {
		raws, err := s.p.Store.RawMany(ctx, ids[start:min(start+500, len(ids))])
		if err != nil {
			return err
		}
		for _, id := range ids[start:min(start+500, len(ids))] {
			ev, err := decodeEvent(raws[id])
			if err != nil {
				continue
			}
			for _, sum := range blobRefs(ev) {
				if seen[sum] {
					continue
				}
				seen[sum] = true
				m, ok, err := s.p.Store.BlobInfo(ctx, sum)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if misses >= maxMisses {
					made.LeftBlobs++
					continue
				}
				key, _ := hex.DecodeString(sum)
				switch err := w.AddBlob([32]byte(key), m.Size, blobReader{ctx, s.p.Store, sum}); {
				case errors.Is(err, bundle.ErrFull):
					made.LeftBlobs++
					misses++
				case err != nil:
					return err
				default:
					misses = 0
				}
			}
		}
	}
	return nil
}

// blobRefs lists the blobs an event's imeta tags name (x sha256).
func blobRefs(ev *nostr.Event) []string {
	var out []string
	for _, t := range ev.Tags {
		if len(t) < 2 || t[0] != "imeta" {
			continue
		}
		for _, v := range t[1:] {
			if x, ok := strings.CutPrefix(v, "x "); ok && len(x) == 64 {
				if _, err := hex.DecodeString(x); err == nil {
					out = append(out, strings.ToLower(x))
				}
			}
		}
	}
	return out
}

// blobReader reads a held blob at offsets.
type blobReader struct {
	ctx context.Context
	s   *store.Store
	sum string
}

func (b blobReader) ReadAt(p []byte, off int64) (int, error) {
	data, err := b.s.BlobRange(b.ctx, b.sum, off, int64(len(p)))
	n := copy(p, data)
	if err == nil && n < len(p) {
		err = fmt.Errorf("blob %s: %d bytes at %d, wanted %d", b.sum[:12], n, off, len(p))
	}
	return n, err
}

// bundleFiles writes a bundle's parts under temporary names and renames
// them when the bundle is complete, so a cut export leaves no file that
// looks whole.
type bundleFiles struct {
	path    string
	split   bool
	created map[int]string
}

func newBundleFiles(path string, split bool) (*bundleFiles, error) {
	if path == "" {
		return nil, errors.New("no bundle file named")
	}
	taken := []string{path}
	if parts, _ := filepath.Glob(globQuote(path) + ".[0-9][0-9][0-9]*"); len(parts) > 0 {
		taken = append(taken, parts...)
	}
	for _, p := range taken {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s already exists; choose another name or remove it first", p)
		}
		if _, err := os.Lstat(p + ".partial"); err == nil {
			return nil, fmt.Errorf("%s.partial is left from an export that was interrupted; remove it first", p)
		}
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("the folder %s does not exist", filepath.Dir(path))
	}
	return &bundleFiles{path: path, split: split, created: map[int]string{}}, nil
}

func (b *bundleFiles) name(n int) string {
	if !b.split {
		return b.path
	}
	return fmt.Sprintf("%s.%03d", b.path, n+1)
}

func (b *bundleFiles) Create(n int) (bundle.PartFile, error) {
	tmp := b.name(n) + ".partial"
	if _, err := os.Lstat(b.name(n)); err == nil {
		return nil, fmt.Errorf("%s already exists; choose another name or remove it first", b.name(n))
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%s is left from an export that was interrupted; remove it first", tmp)
	}
	if err != nil {
		return nil, err
	}
	b.created[n] = tmp
	return f, nil
}

func (b *bundleFiles) Reopen(n int) (bundle.PartFile, error) {
	return os.OpenFile(b.created[n], os.O_RDWR, 0)
}

func (b *bundleFiles) remove() {
	for _, p := range b.created {
		os.Remove(p)
	}
}

func (b *bundleFiles) finish() ([]string, error) {
	var out []string
	for n := 0; n < len(b.created); n++ {
		final := b.name(n)
		if err := os.Rename(b.created[n], final); err != nil {
			b.remove()
			for _, done := range out {
				os.Remove(done) // no incomplete set left looking whole
			}
			return nil, err
		}
		out = append(out, final)
	}
	if d, err := os.Open(filepath.Dir(b.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return out, nil
}

// globQuote escapes the pattern characters of a path for filepath.Glob.
func globQuote(p string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(p)
}
