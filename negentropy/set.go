package negentropy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"iter"
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

// Items are held in blocks of blockSize (160 KiB each), so that a set
// built item by item (Builder) never copies what it holds: a slice grown
// by append to a million items allocates about five times their 40 MB on
// the way and needs more than twice it while growing.
const (
	blockShift = 12
	blockSize  = 1 << blockShift
)

// Set is a sorted, immutable collection of items with fast range
// fingerprints.
type Set struct {
	blocks  [][]Item // all full but the last
	n       int
	samples []sum256 // samples[k] = sum of items[0 : k*sampleEvery]
}

// NewSet sorts items (in place) and indexes them; the set keeps using
// items' array. Duplicate items are removed.
func NewSet(items []Item) *Set {
	sort.Slice(items, func(i, j int) bool { return Compare(items[i], items[j]) < 0 })
	s := &Set{}
	for len(items) > 0 {
		k := min(len(items), blockSize)
		s.blocks = append(s.blocks, items[:k:k])
		items = items[k:]
		s.n += k
	}
	s.index()
	return s
}

// ErrTooMany is what a listing that stops at a maximum number of items
// returns when there are more (see store.Store.Items).
var ErrTooMany = errors.New("more items than asked for")

// Builder makes a Set from items added one at a time, in any order,
// without holding more than the items themselves (see blockSize). The zero
// value is ready to use.
type Builder struct {
	s Set
}

// Add adds an item.
func (b *Builder) Add(it Item) {
	if b.s.n%blockSize == 0 {
		b.s.blocks = append(b.s.blocks, make([]Item, 0, blockSize))
	}
	last := &b.s.blocks[len(b.s.blocks)-1]
	*last = append(*last, it)
	b.s.n++
}

// Len is the number of items added so far.
func (b *Builder) Len() int { return b.s.n }

// Set sorts the items and returns them as a Set. The Builder must not be
// used afterwards.
func (b *Builder) Set() *Set {
	s := new(Set)
	*s, b.s = b.s, Set{}
	sort.Sort(blockSorter{s})
	s.index()
	return s
}

// With returns a set holding s's items and extra's; s is not changed, and
// extra is sorted in place. The items are merged in order into blocks, as
// a Builder holds them, so the new set costs one copy of s and no sort.
func (s *Set) With(extra []Item) *Set {
	sort.Slice(extra, func(i, j int) bool { return Compare(extra[i], extra[j]) < 0 })
	var b Builder
	i := 0
	for it := range s.All() {
		for ; i < len(extra) && Compare(extra[i], it) <= 0; i++ {
			if extra[i] != it && (i == 0 || extra[i] != extra[i-1]) {
				b.Add(extra[i])
			}
		}
		b.Add(it)
	}
	for ; i < len(extra); i++ {
		if i == 0 || extra[i] != extra[i-1] {
			b.Add(extra[i])
		}
	}
	out := new(Set)
	*out = b.s
	out.index() // sorted and unique already: this only sums
	return out
}

// Has reports whether s holds it.
func (s *Set) Has(it Item) bool {
	i := s.lowerBound(0, s.n, Bound{Time: it.Time, Prefix: it.ID[:]})
	return i < s.n && *s.at(i) == it
}

// blockSorter sorts a set's items across its blocks.
type blockSorter struct{ s *Set }

func (b blockSorter) Len() int           { return b.s.n }
func (b blockSorter) Less(i, j int) bool { return Compare(*b.s.at(i), *b.s.at(j)) < 0 }
func (b blockSorter) Swap(i, j int)      { x, y := b.s.at(i), b.s.at(j); *x, *y = *y, *x }

func (s *Set) at(i int) *Item { return &s.blocks[i>>blockShift][i&(blockSize-1)] }

// index removes duplicates from the sorted items and computes the samples.
func (s *Set) index() {
	w := 0 // items kept so far
	for i := 0; i < s.n; i++ {
		it := *s.at(i)
		if w > 0 && it == *s.at(w - 1) {
			continue
		}
		*s.at(w) = it
		w++
	}
	if w < s.n {
		nb := (w + blockSize - 1) / blockSize
		clear(s.blocks[nb:])
		s.blocks = s.blocks[:nb]
		if nb > 0 {
			s.blocks[nb-1] = s.blocks[nb-1][:w-(nb-1)*blockSize]
		}
		s.n = w
	}
	var acc sum256
	s.samples = make([]sum256, 0, s.n/sampleEvery+1)
	for i := 0; i < s.n; i++ {
		if i%sampleEvery == 0 {
			s.samples = append(s.samples, acc)
		}
		acc.add(&s.at(i).ID)
	}
	if s.n%sampleEvery == 0 {
		s.samples = append(s.samples, acc)
	}
}

// Size is the number of items.
func (s *Set) Size() int { return s.n }

// Item returns the i-th item in order.
func (s *Set) Item(i int) Item { return *s.at(i) }

// All yields the items in order.
func (s *Set) All() iter.Seq[Item] {
	return func(yield func(Item) bool) {
		for _, b := range s.blocks {
			for _, it := range b {
				if !yield(it) {
					return
				}
			}
		}
	}
}

// prefix is the sum of items[0:i].
func (s *Set) prefix(i int) sum256 {
	k := i / sampleEvery
	acc := s.samples[k]
	for j := k * sampleEvery; j < i; j++ {
		acc.add(&s.at(j).ID)
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
	return lo + sort.Search(hi-lo, func(i int) bool { return !b.greaterThan(*s.at(lo + i)) })
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
