// Package negentropy implements Negentropy protocol version 1 (range-based
// set reconciliation), the binary protocol that NIP-77 wraps in hex.
//
// Wire format (see shared/specs/negentropy-protocol-v1.md):
//
//	Message   := 0x61 Range*
//	Range     := Bound Varint(mode) (Skip | Fingerprint | IdList)
//	Bound     := Varint(timestamp delta + 1, or 0 for infinity) Varint(len) IdPrefix[len]
//	Skip      := (empty, mode 0)
//	Fingerprint := 16 bytes (mode 1): sha256(sum of ids mod 2^256, little-endian ‖ Varint(count))[:16]
//	IdList    := Varint(count) Id[count] (mode 2)
//
// This implementation exists beside go-nostr's because a node reconciles
// with strangers: every length and count read from the wire is checked
// against what the message can hold before anything is allocated, varints
// may not overflow, ranges must move forward, and sets are held as bytes
// with sampled prefix sums (a million items cost about 41 MB, and a range
// fingerprint at most 32 additions). go-nostr v0.52.1 allocates a map sized
// by the peer's id count and accumulates ids as hex strings.
package negentropy

import (
	"errors"
	"fmt"
)

// Version is the protocol version byte.
const Version = 0x61

const buckets = 16

// Mode of a range.
const (
	ModeSkip        = 0
	ModeFingerprint = 1
	ModeIDList      = 2
)

// ErrMalformed wraps every decoding failure.
var ErrMalformed = errors.New("malformed negentropy message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Need is an id the other side has and we lack, with the upper bound of the
// range it was found in (for ordering transfers newest first).
type Need struct {
	ID    [32]byte
	About uint64
}

// Reconciler runs one side of a reconciliation over a set. The zero value is
// not usable; use NewClient or NewServer.
type Reconciler struct {
	set        *Set
	frameLimit int
	client     bool

	lastIn, lastOut uint64
	// reported holds what a client has already returned in a Result: a
	// range cut short by the frame limit is examined again in the next
	// round, and each difference is reported once.
	reported map[[32]byte]bool
}

// NewClient is the initiating side: it learns what each side lacks.
// frameLimit bounds the size of each message it builds (0: no limit; at
// least 4096 otherwise).
func NewClient(set *Set, frameLimit int) *Reconciler {
	return &Reconciler{set: set, frameLimit: frameLimit, client: true, reported: map[[32]byte]bool{}}
}

// NewServer is the answering side.
func NewServer(set *Set, frameLimit int) *Reconciler {
	return &Reconciler{set: set, frameLimit: frameLimit}
}

// SetFrameLimit changes the bound on the messages built from now on (0: no
// limit; at least 4096 otherwise). A side may adapt it to the link.
func (r *Reconciler) SetFrameLimit(n int) {
	if n > 0 && n < 4096 {
		n = 4096
	}
	r.frameLimit = n
}

// Initiate builds the client's first message.
func (r *Reconciler) Initiate() []byte {
	r.lastOut = 0
	out := []byte{Version}
	return r.splitRange(out, 0, r.set.Size(), Bound{Time: Infinity})
}

// Result is what a client learns from one message.
type Result struct {
	Haves []Item // we have, they lack
	Needs []Need // they have, we lack
}

// Reconcile processes a message from the other side and returns the reply.
// For a client, a nil reply means reconciliation is complete. A server
// always replies (possibly with just the version byte: nothing more to say).
func (r *Reconciler) Reconcile(msg []byte) (reply []byte, res Result, err error) {
	if len(msg) == 0 {
		return nil, res, malformed("empty message")
	}
	if msg[0] != Version {
		if r.client {
			return nil, res, fmt.Errorf("the peer speaks negentropy version 0x%02x, this node only 0x%02x", msg[0], Version)
		}
		return []byte{Version}, res, nil
	}
	rd := &reader{b: msg[1:]}
	r.lastIn, r.lastOut = 0, 0
	full := []byte{Version}
	var (
		prevBound Bound
		prevIndex int
		skipping  bool
		prevIn    *Bound
		written   int // items covered by the ranges in full
	)
	for rd.len() > 0 {
		var o []byte
		doSkip := func() {
			if skipping {
				skipping = false
				o = r.writeBound(o, prevBound)
				o = putVarint(o, ModeSkip)
			}
		}
		cur, err := r.readBound(rd)
		if err != nil {
			return nil, res, err
		}
		if prevIn != nil && !boundAfter(cur, *prevIn) {
			return nil, res, malformed("ranges are out of order")
		}
		prevIn = &cur
		mode, err := rd.varint()
		if err != nil {
			return nil, res, err
		}
		lower := prevIndex
		upper := r.set.lowerBound(prevIndex, r.set.Size(), cur)
		switch mode {
		case ModeSkip:
			skipping = true
		case ModeFingerprint:
			theirs, err := rd.bytes(16)
			if err != nil {
				return nil, res, err
			}
			ours := r.set.Fingerprint(lower, upper)
			if string(theirs) == string(ours[:]) {
				skipping = true
			} else {
				doSkip()
				o = r.splitRange(o, lower, upper, cur)
			}
		case ModeIDList:
			n, err := rd.varint()
			if err != nil {
				return nil, res, err
			}
			if n > uint64(rd.len()/32) {
				return nil, res, malformed("id list claims %d ids but only %d bytes follow", n, rd.len())
			}
			theirs := make(map[[32]byte]bool, n)
			for i := uint64(0); i < n; i++ {
				b, _ := rd.bytes(32)
				theirs[[32]byte(b)] = true
			}
			for i := lower; i < upper; i++ {
				it := r.set.Item(i)
				if theirs[it.ID] {
					delete(theirs, it.ID)
				} else if r.client && !r.reported[it.ID] {
					r.reported[it.ID] = true
					res.Haves = append(res.Haves, it)
				}
			}
			if r.client {
				about := cur.Time
				if about == Infinity {
					about = prevBound.Time
				}
				for id := range theirs {
					if !r.reported[id] {
						r.reported[id] = true
						res.Needs = append(res.Needs, Need{ID: id, About: about})
					}
				}
				skipping = true
			} else {
				doSkip()
				end := cur
				var ids []byte
				count := 0
				for i := lower; i < upper; i++ {
					if r.exceeded(len(full) + len(ids)) {
						end = Bound{Time: r.set.Item(i).Time, Prefix: r.set.at(i).ID[:]}
						upper = i
						break
					}
					ids = append(ids, r.set.at(i).ID[:]...)
					count++
				}
				o = r.writeBound(o, end)
				o = putVarint(o, ModeIDList)
				o = putVarint(o, uint64(count))
				o = append(o, ids...)
				full = append(full, o...)
				o = nil
				written = upper
			}
		default:
			return nil, res, malformed("unknown range mode %d", mode)
		}
		if r.exceeded(len(full) + len(o)) {
			// Out of room: say what is left, from the end of the last
			// range written, as one fingerprint to be split in the next
			// round (this range's output is dropped: it is done again).
			// A server's id list may have said all there was to say.
			if written < r.set.Size() || cur.Time != Infinity {
				fp := r.set.Fingerprint(written, r.set.Size())
				full = r.writeBound(full, Bound{Time: Infinity})
				full = putVarint(full, ModeFingerprint)
				full = append(full, fp[:]...)
			}
			break
		}
		full = append(full, o...)
		if len(o) > 0 {
			written = upper
		}
		prevIndex = upper
		prevBound = cur
	}
	if r.client && len(full) == 1 {
		return nil, res, nil
	}
	return full, res, nil
}

func (r *Reconciler) exceeded(n int) bool {
	return r.frameLimit > 0 && n > r.frameLimit-200
}

func (r *Reconciler) splitRange(o []byte, lower, upper int, upperBound Bound) []byte {
	n := upper - lower
	if n < buckets*2 {
		o = r.writeBound(o, upperBound)
		o = putVarint(o, ModeIDList)
		o = putVarint(o, uint64(n))
		for i := lower; i < upper; i++ {
			o = append(o, r.set.at(i).ID[:]...)
		}
		return o
	}
	per, extra := n/buckets, n%buckets
	cur := lower
	for i := 0; i < buckets; i++ {
		size := per
		if i < extra {
			size++
		}
		fp := r.set.Fingerprint(cur, cur+size)
		cur += size
		next := upperBound
		if cur != upper {
			next = minimalBound(r.set.Item(cur-1), r.set.Item(cur))
		}
		o = r.writeBound(o, next)
		o = putVarint(o, ModeFingerprint)
		o = append(o, fp[:]...)
	}
	return o
}

func minimalBound(prev, cur Item) Bound {
	if cur.Time != prev.Time {
		return Bound{Time: cur.Time}
	}
	shared := 0
	for shared < 32 && cur.ID[shared] == prev.ID[shared] {
		shared++
	}
	n := min(shared+1, 32)
	return Bound{Time: cur.Time, Prefix: append([]byte(nil), cur.ID[:n]...)}
}

// boundAfter reports whether a > b, treating prefixes as zero-padded.
func boundAfter(a, b Bound) bool {
	if a.Time != b.Time {
		return a.Time > b.Time
	}
	var pa, pb [32]byte
	copy(pa[:], a.Prefix)
	copy(pb[:], b.Prefix)
	return string(pa[:]) > string(pb[:])
}

func (r *Reconciler) writeBound(o []byte, b Bound) []byte {
	if b.Time == Infinity {
		r.lastOut = Infinity
		o = putVarint(o, 0)
	} else {
		delta := b.Time - r.lastOut
		r.lastOut = b.Time
		o = putVarint(o, delta+1)
	}
	o = putVarint(o, uint64(len(b.Prefix)))
	return append(o, b.Prefix...)
}

func (r *Reconciler) readBound(rd *reader) (Bound, error) {
	t, err := rd.varint()
	if err != nil {
		return Bound{}, err
	}
	var ts uint64
	switch {
	case t == 0 || r.lastIn == Infinity:
		ts = Infinity
	default:
		delta := t - 1
		if delta > Infinity-1-r.lastIn {
			return Bound{}, malformed("timestamp overflows")
		}
		ts = r.lastIn + delta
	}
	r.lastIn = ts
	n, err := rd.varint()
	if err != nil {
		return Bound{}, err
	}
	if n > 32 {
		return Bound{}, malformed("bound id prefix of %d bytes (at most 32)", n)
	}
	p, err := rd.bytes(int(n))
	if err != nil {
		return Bound{}, err
	}
	return Bound{Time: ts, Prefix: append([]byte(nil), p...)}, nil
}

// putVarint appends v as a negentropy varint (base 128, most significant
// digit first).
func putVarint(o []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	v >>= 7
	for v > 0 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
		v >>= 7
	}
	return append(o, tmp[i:]...)
}

type reader struct{ b []byte }

func (r *reader) len() int { return len(r.b) }

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b) {
		return nil, malformed("message ends %d bytes early", n-len(r.b))
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out, nil
}

func (r *reader) varint() (uint64, error) {
	var v uint64
	for i := 0; ; i++ {
		if len(r.b) == 0 {
			return 0, malformed("message ends inside a varint")
		}
		if i == 10 || v>>57 != 0 {
			return 0, malformed("varint overflows 64 bits")
		}
		c := r.b[0]
		r.b = r.b[1:]
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, nil
		}
	}
}
