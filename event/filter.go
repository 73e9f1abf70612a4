package event

import (
	"errors"
	"sort"

	"github.com/nbd-wtf/go-nostr"
)

// MaxFilterValues bounds each list in a filter (ids, authors, kinds, the
// values of one tag).
const MaxFilterValues = 1000

// Raw is a stored event as JSON, with the fields a caller sorts and
// deduplicates by.
type Raw struct {
	ID        string
	CreatedAt int64
	JSON      []byte
}

// SortRaw orders events as NIP-01 wants: newest first, ties by lowest id.
func SortRaw(rs []Raw) {
	sort.Slice(rs, func(i, j int) bool {
		return Ref{ID: rs[i].ID, CreatedAt: rs[i].CreatedAt}.Before(Ref{ID: rs[j].ID, CreatedAt: rs[j].CreatedAt})
	})
}

// Ref is a stored event's place in NIP-01 order, the size of its JSON and
// its kind, without the JSON: what a reader pages through before it
// fetches the events themselves, a few at a time (the relay endpoint
// leaves out, by kind, gift wraps a client may not see).
type Ref struct {
	ID        string
	CreatedAt int64
	Size      int // bytes of JSON
	Kind      int
}

// Before reports whether r comes before o in NIP-01 order: newest first,
// ties by lowest id.
func (r Ref) Before(o Ref) bool {
	if r.CreatedAt != o.CreatedAt {
		return r.CreatedAt > o.CreatedAt
	}
	return r.ID < o.ID
}

// ErrBusy means a call gave up waiting for another to finish. The store
// returns it (as store.ErrBusy) when a listing waited too long for
// another; the relay recognises it without naming the store.
var ErrBusy = errors.New("store is busy")

// CheckFilter refuses filters a node cannot answer faithfully.
func CheckFilter(f nostr.Filter) error {
	if f.Search != "" {
		return Reject(Unsupported, "search (NIP-50) is not supported by this node")
	}
	if len(f.IDs) > MaxFilterValues || len(f.Authors) > MaxFilterValues || len(f.Kinds) > MaxFilterValues {
		return Reject(Invalid, "a filter list has more than %d values", MaxFilterValues)
	}
	for _, id := range f.IDs {
		if !IsHexID(id) {
			return Reject(Invalid, "ids must be 64 lowercase hex characters, got %q", clipValue(id))
		}
	}
	for _, a := range f.Authors {
		if !IsHexID(a) {
			return Reject(Invalid, "authors must be 64 lowercase hex characters, got %q", clipValue(a))
		}
	}
	for _, k := range f.Kinds {
		if k < 0 || k > 65535 {
			return Reject(Invalid, "kind %d is outside 0..65535", k)
		}
	}
	for name, values := range f.Tags {
		if len(name) != 1 || !isLetter(name[0]) {
			return Reject(Unsupported, "only single-letter tag filters (#e, #p, #t, ...) can be queried, not #%s", clipValue(name))
		}
		if len(values) > MaxFilterValues {
			return Reject(Invalid, "#%s has more than %d values", name, MaxFilterValues)
		}
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func clipValue(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
