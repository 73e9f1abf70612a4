package bundles

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/caravan-mesh/caravan/bundle"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// Import names a bundle's files and the passphrase, if any. Bundles made
// for one of this node's identities open with its key (unlocked).
type Import struct {
	Paths      []string `json:"paths"`
	Passphrase string   `json:"passphrase,omitempty"`
}

// Read says what a bundle brought and what of it was lost.
type Read struct {
	ID      string   `json:"id"`
	From    string   `json:"from,omitempty"`        // the maker's public key, from its signed proof
	Proof   string   `json:"proof_error,omitempty"` // why the maker's proof was not taken
	Created int64    `json:"created_at"`
	Parts   int      `json:"parts"`
	Files   []string `json:"files"`
	// Read before, at this time (unix seconds); importing again is safe.
	ReadBefore int64 `json:"read_before,omitempty"`

	Events    int            `json:"events"` // events in the bundle that were read
	Stored    int            `json:"stored"`
	Held      int            `json:"held"` // already here
	Refused   int            `json:"refused"`
	Why       map[string]int `json:"why,omitempty"` // refusals by reason
	Blobs     int            `json:"blobs"`         // blobs now held whole
	BlobBytes int64          `json:"blob_bytes"`
	// Blobs refused (policy) or begun but not complete.
	BlobsRefused map[string]string `json:"blobs_refused,omitempty"`
	Confirmed    int               `json:"confirmed,omitempty"` // our events the maker says it got

	Lost Lost `json:"lost"`
}

// Lost is what a damaged or incomplete bundle could not give.
type Lost struct {
	MissingParts []int    `json:"missing_parts,omitempty"`
	Frames       int64    `json:"frames,omitempty"`
	Bytes        int64    `json:"bytes,omitempty"`
	Cut          []string `json:"cut,omitempty"`     // files shorter than they should be
	Located      []string `json:"located,omitempty"` // files with a damaged header, read anyway
	// Events listed in the bundle and not read, by kind name; HeldAnyway
	// of them are here from elsewhere.
	Events     int            `json:"events,omitempty"`
	ByKind     map[string]int `json:"by_kind,omitempty"`
	HeldAnyway int            `json:"held_anyway,omitempty"`
	IDs        []string       `json:"ids,omitempty"` // 16-hex-digit prefixes of the lost ones not held
	// Events whose listing was lost too (only their count is known).
	Unlisted int `json:"unlisted,omitempty"`
	// Attachments whose listing was lost too, not read whole.
	UnlistedBlobs int      `json:"unlisted_blobs,omitempty"`
	Blobs         []string `json:"blobs,omitempty"` // sha256 of blobs not read whole
	BadRecords    int      `json:"bad_records,omitempty"`
}

// Any says whether anything was lost.
func (l Lost) Any() bool {
	return len(l.MissingParts) > 0 || l.Frames > 0 || l.Events > 0 || l.Unlisted > 0 || l.UnlistedBlobs > 0 ||
		len(l.Blobs) > 0 || l.BadRecords > 0
}

// bundleKey lets package bundle try an identity's key.
type bundleKey struct {
	kr   *keys.Keyring
	name string
	pub  string
}

func (k bundleKey) PubKey() string { return k.pub }
func (k bundleKey) ECDH(ell [64]byte) ([32]byte, error) {
	return k.kr.BundleECDH(k.name, ell)
}

// Import reads a bundle: every intact event goes through the same checks
// and policy as one from a sync, blobs follow their events, and what the
// maker holds is remembered. Importing twice, or after a crash in the
// middle, is safe. Files that cannot be opened as a bundle give an *Error
// (ErrNotABundle).
func (s *Service) Import(ctx context.Context, o Import) (Read, error) {
	var res Read
	var srcs []bundle.Source
	for _, p := range o.Paths {
		f, err := bundle.OpenFile(p)
		if err != nil {
			return res, err
		}
		defer f.Close()
		srcs = append(srcs, f)
	}
	ids, err := s.p.Keys.List()
	if err != nil {
		return res, err
	}
	bk := bundle.Keys{Passphrase: o.Passphrase}
	var locked []string
	for _, id := range ids {
		if id.Unlocked {
			bk.Identities = append(bk.Identities, bundleKey{s.p.Keys, id.Name, id.PubKey.Hex()})
		} else {
			locked = append(locked, id.Name)
		}
	}
	r, err := bundle.Open(srcs, bk)
	if err != nil {
		return res, openError(err, o.Passphrase != "", locked)
	}
	t := r.Totals()
	res.ID, res.Parts, res.Created, res.Files = t.ID, t.Parts, t.Created, r.SortedParts()
	res.Why, res.BlobsRefused = map[string]int{}, map[string]string{}
	idb, _ := hex.DecodeString(t.ID)
	if prev, ok, err := s.p.Store.FindBundle(ctx, idb, store.BundleRead); err != nil {
		return res, err
	} else if ok {
		res.ReadBefore = prev.At
	}

	var (
		batch   []*nostr.Event
		readIDs []string
		info    *bundle.Info
	)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		for i, r := range s.n.Ingest(ctx, batch...) {
			switch {
			case r.Err != nil:
				res.Refused++
				res.Why[reason(r.Err)]++
			case r.Outcome == store.Stored:
				res.Stored++
				readIDs = append(readIDs, batch[i].ID)
			default:
				res.Held++
				readIDs = append(readIDs, batch[i].ID)
			}
		}
		batch = batch[:0]
	}
	damage, err := r.Read(func(rec bundle.Record) error {
		switch {
		case rec.Info != nil:
			info = rec.Info
		case rec.Event != nil:
			res.Events++
			ev := new(nostr.Event)
			if err := ev.UnmarshalJSON(rec.Event); err != nil {
				res.Refused++
				res.Why["invalid: not an event"]++
				return nil
			}
			batch = append(batch, ev)
			if len(batch) >= 256 {
				flush()
			}
		default:
			flush() // a blob is taken only for events held
			sum := hex.EncodeToString(rec.Blob[:])
			if _, refused := res.BlobsRefused[sum]; refused {
				return nil
			}
			_, done, err := s.n.PutBlobPart(ctx, sum, rec.Offset, rec.Total, rec.Data)
			switch {
			case err != nil:
				res.BlobsRefused[sum] = err.Error()
			case done && rec.Offset+int64(len(rec.Data)) == rec.Total:
				res.Blobs++
				res.BlobBytes += rec.Total
			}
		}
		return ctx.Err()
	})
	flush()
	if err != nil {
		return res, err
	}
	s.lostInBundle(ctx, damage, &res)
	if info != nil && info.Proof != nil {
		from, forPeers, acks, err := proofOf(info.Proof, t.ID)
		if err != nil {
			res.Proof = err.Error()
		} else if len(forPeers) == 0 || slices.ContainsFunc(forPeers, s.isOwn) {
			res.From = from
			// What it carried, its maker holds.
			if err := s.p.Store.AddPeerEvents(ctx, from, store.PeerHolds, nil, readIDs); err != nil {
				return res, err
			}
			if len(forPeers) > 0 {
				if res.Confirmed, err = s.p.Store.ConfirmBundles(ctx, from, acks); err != nil {
					return res, err
				}
			}
		} else {
			res.Proof = "the maker's proof names someone else: it was copied from another bundle"
		}
	}
	if res.Lost.Any() {
		// Not acknowledged to its maker: what was lost must come again.
		return res, nil
	}
	return res, s.p.Store.RecordBundle(ctx, store.BundleRecord{ID: idb, Way: store.BundleRead, Peer: res.From, Events: res.Stored + res.Held})
}

func (s *Service) isOwn(pk string) bool {
	ids, _ := s.p.Keys.List()
	for _, id := range ids {
		if id.PubKey.Hex() == pk {
			return true
		}
	}
	return false
}

// reason is a refusal's machine-readable prefix and first words, to group
// refusals.
func reason(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, ";("); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// lostInBundle turns the reader's damage report into words a user can act
// on: what kinds of events were lost and which are here anyway.
func (s *Service) lostInBundle(ctx context.Context, d bundle.Damage, res *Read) {
	l := &res.Lost
	l.MissingParts, l.Frames, l.Bytes, l.Cut, l.Located = d.MissingParts, d.LostFrames, d.LostBytes, d.Cut, d.Located
	l.Unlisted, l.UnlistedBlobs, l.BadRecords = d.LostUnlisted, d.LostUnlistedBlobs, d.BadRecords
	var prefixes []string
	for _, e := range d.LostEvents {
		prefixes = append(prefixes, e.IDPrefix)
	}
	held, _ := s.p.Store.HeldByPrefix(ctx, prefixes)
	l.ByKind = map[string]int{}
	for _, e := range d.LostEvents {
		if held[e.IDPrefix] {
			l.HeldAnyway++
			continue
		}
		l.Events++
		l.ByKind[event.KindName(e.Kind)]++
		l.IDs = append(l.IDs, e.IDPrefix)
	}
	sort.Strings(l.IDs)
	for _, b := range d.LostBlobs {
		if _, ok, _ := s.p.Store.BlobInfo(ctx, b.SHA256); !ok {
			l.Blobs = append(l.Blobs, b.SHA256)
			s.p.Store.WantBlob(ctx, b.SHA256) // a later sync fetches the rest
		}
	}
}

// openError says why files cannot be opened as a bundle: an *Error, but
// for failures of the disk or the keyring, which are not the file's.
func openError(err error, withPassphrase bool, locked []string) error {
	var be *bundle.Error
	if !errors.As(err, &be) || isIO(be.Err) {
		return err
	}
	if !errors.Is(err, bundle.ErrNoKey) {
		return &Error{Msg: err.Error(), Err: err}
	}
	msg := "it is not a bundle, or it was made for someone else"
	if withPassphrase {
		msg = "the passphrase is wrong, or it is not a bundle, or it was made for someone else"
	}
	msg += ", or the places that hold its keys are damaged (its first kilobyte, and its last)"
	if len(locked) > 0 {
		msg += fmt.Sprintf(" (%s: %s)", LockedNote, strings.Join(locked, ", "))
	}
	return &Error{Msg: fmt.Sprintf("cannot open the bundle %s: %s; a bundle looks like random bytes, so these cannot be told apart", be.Name, msg), Err: err}
}

// isIO says whether err is the disk's (reading a part), not the bundle's.
func isIO(err error) bool {
	var pe *fs.PathError
	var errno syscall.Errno
	return errors.As(err, &pe) || errors.As(err, &errno)
}
