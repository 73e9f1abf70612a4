package negentropy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"sort"
)

// Item is one record of a set: an event's created_at and id.
type Item struct {
	Time uint64
	ID   [32]byte
}

// Compare orders items by time, then by id bytes.
func Compare(a, b Item) int {
	switch {
	case a.Time < b.Time:
		return -1
	case a.Time > b.Time:
		return 1
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// Infinity is the reserved timestamp of the final bound.
const Infinity = math.MaxUint64

// Bound is a range boundary: a time and an id prefix (shorter prefixes are
// padded with zero bytes).
type Bound struct {
	Time   uint64
	Prefix []byte // 0 to 32 bytes
}

// less reports whether item < bound.
func (b Bound) greaterThan(it Item) bool {
	if it.Time != b.Time {
		return it.Time < b.Time
	}
	var padded [32]byte
	copy(padded[:], b.Prefix)
	return bytes.Compare(it.ID[:], padded[:]) < 0
}

// sampleEvery is how often the running sum is stored; fingerprints of any
// range then cost at most sampleEvery additions, and a million items need
// 1 MB of samples rather than 32 MB for a full prefix-sum array.
const sampleEvery = 32

// Set is a sorted, immutable collection of items with fast range
// fingerprints.
type Set struct {
	items   []Item
	samples []sum256 // samples[k] = sum of items[0 : k*sampleEvery]
}

// NewSet sorts items (in place) and indexes them. Duplicate items are
// removed.
func NewSet(items []Item) *Set {
	sort.Slice(items, func(i, j int) bool { return Compare(items[i], items[j]) < 0 })
	out := items[:0]
	for i, it := range items {
		if i > 0 && it == items[i-1] {
			continue
		}
		out = append(out, it)
	}
	s := &Set{items: out}
	var acc sum256
	s.samples = make([]sum256, 0, len(out)/sampleEvery+1)
	for i, it := range out {
		if i%sampleEvery == 0 {
			s.samples = append(s.samples, acc)
		}
		acc.add(&it.ID)
	}
	if len(out)%sampleEvery == 0 {
		s.samples = append(s.samples, acc)
	}
	return s
}

// Size is the number of items.
func (s *Set) Size() int { return len(s.items) }

// Item returns the i-th item in order.
func (s *Set) Item(i int) Item { return s.items[i] }

// prefix is the sum of items[0:i].
func (s *Set) prefix(i int) sum256 {
	k := i / sampleEvery
	acc := s.samples[k]
	for j := k * sampleEvery; j < i; j++ {
		acc.add(&s.items[j].ID)
	}
	return acc
}

// Fingerprint of items[lo:hi], as the protocol defines it.
func (s *Set) Fingerprint(lo, hi int) [16]byte {
	a, b := s.prefix(hi), s.prefix(lo)
	a.sub(&b)
	var buf [32 + 10]byte
	copy(buf[:32], a.bytes())
	n := putVarint(buf[32:32], uint64(hi-lo))
	h := sha256.Sum256(buf[:32+len(n)])
	var fp [16]byte
	copy(fp[:], h[:16])
	return fp
}

// lowerBound is the first index in [lo, hi) whose item is not below b.
func (s *Set) lowerBound(lo, hi int, b Bound) int {
	return lo + sort.Search(hi-lo, func(i int) bool { return !b.greaterThan(s.items[lo+i]) })
}

// sum256 is a 256-bit little-endian integer, for the mod-2^256 sum of ids.
type sum256 [4]uint64

func (a *sum256) add(id *[32]byte) {
	var carry uint64
	for i := 0; i < 4; i++ {
		v := binary.LittleEndian.Uint64(id[i*8:])
		s := a[i] + v
		c1 := uint64(0)
		if s < a[i] {
			c1 = 1
		}
		s2 := s + carry
		if s2 < s {
			c1 = 1
		}
		a[i] = s2
		carry = c1
	}
}

func (a *sum256) sub(b *sum256) {
	var borrow uint64
	for i := 0; i < 4; i++ {
		d := a[i] - b[i]
		b1 := uint64(0)
		if a[i] < b[i] {
			b1 = 1
		}
		d2 := d - borrow
		if d < borrow {
			b1 = 1
		}
		a[i] = d2
		borrow = b1
	}
}

func (a *sum256) bytes() []byte {
	out := make([]byte, 32)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(out[i*8:], a[i])
	}
	return out
}
