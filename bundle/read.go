package bundle

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/klauspost/compress/zstd"
	"github.com/tidwall/gjson"
)

// maxDecoded bounds one frame's decompressed payload (the writer makes at
// most 16 x payloadMax).
const maxDecoded = 2 << 20

// Source is one part to read.
type Source interface {
	io.ReaderAt
	Size() int64
	Name() string
}

// File is a Source on disk.
type File struct {
	*os.File
	size int64
}

// OpenFile opens path as a Source.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return &File{File: f, size: st.Size()}, nil
}

// Size implements Source.
func (f *File) Size() int64 { return f.size }

// Error is a problem with one part.
type Error struct {
	Name string
	Err  error
}

func (e *Error) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

type part struct {
	src     Source
	h       header
	located bool // the header was damaged; the frames were found by trial
}

// Reader reads a bundle from its parts.
type Reader struct {
	frameAEAD cipherAEAD
	parts     map[int]*part
	h         header // from any part: the bundle's totals
	Dupes     []string
}

// Open checks the parts: each must open with keys and belong to the same
// bundle. Missing parts are not an error here (see Damage).
func Open(srcs []Source, keys Keys) (*Reader, error) {
	if len(srcs) == 0 {
		return nil, errors.New("no bundle files given")
	}
	cache := map[string][]byte{}
	r := &Reader{parts: map[int]*part{}}
	var key []byte
	var first string
	var damaged []Source
	for _, src := range srcs {
		if src.Size() < partHead {
			return nil, &Error{src.Name(), fmt.Errorf("it is %d bytes, too small to be a bundle (at least %d)", src.Size(), partHead)}
		}
		head := make([]byte, partHead)
		if _, err := src.ReadAt(head, 0); err != nil {
			return nil, &Error{src.Name(), err}
		}
		k, version, err := openSlots(head[:slotsSize], keys, cache)
		if err != nil {
			return nil, &Error{src.Name(), err}
		}
		if version != Version {
			return nil, &Error{src.Name(), &VersionError{int(version)}}
		}
		if key == nil {
			key, first = k, src.Name()
			r.frameAEAD = aead(derive(key, nil, "caravan bundle v1 frames"))
		} else if !bytes.Equal(k, key) {
			return nil, &Error{src.Name(), fmt.Errorf("it belongs to another bundle than %s; import them one at a time", first)}
		}
		hb, err := aead(derive(key, nil, "caravan bundle v1 part")).Open(nil, head[slotsSize:slotsSize+12], head[slotsSize+12:], nil)
		if err != nil {
			damaged = append(damaged, src)
			continue
		}
		h := parseHeader(hb)
		if h.Parts == 0 || h.Part >= h.Parts || h.FirstFrame+h.Frames > h.TotalFrames || h.Frames == 0 {
			return nil, &Error{src.Name(), errors.New("its header is inconsistent (written by a faulty program?)")}
		}
		if len(r.parts) > 0 && h.ID != r.h.ID {
			return nil, &Error{src.Name(), fmt.Errorf("it belongs to another bundle than %s; import them one at a time", first)}
		}
		if _, dup := r.parts[h.Part]; dup {
			r.Dupes = append(r.Dupes, src.Name())
			continue
		}
		r.h = h
		r.parts[h.Part] = &part{src: src, h: h}
	}
	for _, src := range damaged {
		if !r.locate(src) {
			return nil, &Error{src.Name(), errors.New("its header is damaged and none of its frames could be placed; nothing in it can be read")}
		}
	}
	return r, nil
}

// locate places a part whose header is damaged by trying its first frame
// at every position the other parts leave open.
func (r *Reader) locate(src Source) bool {
	total := r.h.TotalFrames
	if total == 0 {
		total = (src.Size()-partHead)/FrameSize + 1 // a lone part: assume it is all of it
	}
	size := min(src.Size()-partHead, FrameSize)
	ct := make([]byte, size)
	if _, err := src.ReadAt(ct, partHead); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	per := r.perPart()
	for i := int64(0); i < total && i < 1<<16; i++ {
		if per > 0 && i%per != 0 {
			continue
		}
		for _, final := range []bool{false, true} {
			if _, err := r.frameAEAD.Open(nil, frameNonce(i, final), ct, nil); err != nil {
				continue
			}
			frames := (src.Size() - partHead + FrameSize - 1) / FrameSize
			h := r.h
			if h.TotalFrames == 0 {
				h = header{Parts: 1, TotalFrames: frames, LastFrame: (src.Size() - partHead) - (frames-1)*FrameSize}
			}
			h.FirstFrame, h.Frames = i, frames
			if per > 0 {
				h.Part = int(i / per)
			}
			if _, taken := r.parts[h.Part]; taken {
				return false
			}
			if r.h.TotalFrames == 0 {
				r.h = h
			}
			r.parts[h.Part] = &part{src: src, h: h, located: true}
			return true
		}
	}
	return false
}

// perPart is the frame count of every part but the last (0 if unsplit or
// unknown).
func (r *Reader) perPart() int64 {
	if r.h.Parts <= 1 {
		return 0
	}
	for _, p := range r.parts {
		if !p.located && p.h.Part < p.h.Parts-1 {
			return p.h.Frames
		}
	}
	// Only the last part is here: its first frame says how many came before.
	for _, p := range r.parts {
		if !p.located && p.h.Part > 0 {
			return p.h.FirstFrame / int64(p.h.Part)
		}
	}
	return 0
}

// Totals are what the bundle holds, from its headers.
type Totals struct {
	ID        string
	Parts     int
	Events    int
	Blobs     int
	BlobBytes int64
	Created   int64
}

// Totals says what the whole bundle holds.
func (r *Reader) Totals() Totals {
	return Totals{ID: hex.EncodeToString(r.h.ID[:]), Parts: max(r.h.Parts, 1), Events: r.h.Events, Blobs: r.h.Blobs, BlobBytes: r.h.BlobBytes, Created: r.h.Created}
}

// Record is one thing read from a bundle.
type Record struct {
	Info  *Info  // the bundle's info record
	Event []byte // an event's JSON
	// A piece of a blob.
	Blob   [32]byte
	Total  int64
	Offset int64
	Data   []byte
}

// Listed is an event the index names.
type Listed struct {
	IDPrefix string // 16 hex digits
	Kind     int
}

// ListedBlob is a blob the index names, with how much of it was read.
type ListedBlob struct {
	SHA256 string
	Size   int64
	Read   int64
}

// Damage says what could not be read.
type Damage struct {
	MissingParts []int   // numbered from 1
	LostFrames   []int64 // damaged, cut off, or in missing parts
	LostBytes    int64
	Cut          []string // parts shorter than their header says
	Located      []string // parts whose header was damaged
	// The index was read whole; if not, the lost events and blobs it
	// names may be incomplete and LostUnlisted counts the rest.
	IndexComplete bool
	LostEvents    []Listed
	LostBlobs     []ListedBlob
	LostUnlisted  int
	// Blobs whose listing was lost, and that were not read whole.
	LostUnlistedBlobs int
	BadRecords        int // records that did not parse (a faulty writer)
}

// Any says whether anything was lost.
func (d Damage) Any() bool {
	return len(d.MissingParts) > 0 || len(d.LostFrames) > 0 || len(d.LostEvents) > 0 || len(d.LostBlobs) > 0 ||
		d.LostUnlisted > 0 || d.LostUnlistedBlobs > 0 || d.BadRecords > 0 || !d.IndexComplete
}

// Read reads every intact record in order and calls fn with it; fn's
// Record is valid only during the call. It returns what was lost. An
// error from fn stops the reading.
func (r *Reader) Read(fn func(Record) error) (Damage, error) {
	var d Damage
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecoded), zstd.WithDecoderMaxWindow(maxDecoded))
	if err != nil {
		return d, err
	}
	defer dec.Close()
	total := r.h.TotalFrames
	for p := 0; p < max(r.h.Parts, 1); p++ {
		pt, ok := r.parts[p]
		if !ok {
			d.MissingParts = append(d.MissingParts, p+1)
			continue
		}
		if pt.located {
			d.Located = append(d.Located, pt.src.Name())
		}
	}
	st := &stream{fn: fn, seen: map[[8]byte]bool{}, blobs: map[[32]byte]int64{}, blobWhole: map[[32]byte]bool{}}
	resync := false
	for i := int64(0); i < total; i++ {
		plain, why := r.frame(i, &d)
		if plain == nil {
			if why != "" && !contains(d.Cut, why) {
				d.Cut = append(d.Cut, why)
			}
			d.LostFrames = append(d.LostFrames, i)
			d.LostBytes += FrameSize
			resync = true
			continue
		}
		payload, ok := framePayload(plain, dec)
		if !ok {
			d.LostFrames = append(d.LostFrames, i)
			d.LostBytes += FrameSize
			resync = true
			continue
		}
		first := binary.BigEndian.Uint32(plain[1:])
		if resync {
			st.buf = st.buf[:0]
			if first == noRecord || int(first) > len(payload) {
				continue
			}
			payload = payload[first:]
			resync = false
		}
		st.buf = append(st.buf, payload...)
		if err := st.parse(&d); err != nil {
			return d, err
		}
		if st.bad {
			st.bad = false
			resync = true
		}
	}
	if len(st.buf) > 0 && !resync {
		d.BadRecords++ // the last frame was read, and ends inside a record
	}
	listed := map[[8]byte]bool{}
	for _, e := range st.events {
		listed[e.id] = true
		if !st.seen[e.id] {
			d.LostEvents = append(d.LostEvents, Listed{IDPrefix: hex.EncodeToString(e.id[:]), Kind: e.kind})
		}
	}
	for _, b := range st.blobList {
		if got := st.blobs[b.sum]; got < b.size {
			d.LostBlobs = append(d.LostBlobs, ListedBlob{SHA256: hex.EncodeToString(b.sum[:]), Size: b.size, Read: got})
		}
	}
	d.IndexComplete = len(st.events) == r.h.Events && len(st.blobList) == r.h.Blobs
	if !d.IndexComplete {
		seenListed := 0
		for id := range st.seen {
			if listed[id] {
				seenListed++
			}
		}
		unseen := len(st.seen) - seenListed // read, not in what index survived
		d.LostUnlisted = max(0, r.h.Events-len(st.events)-unseen)
		whole := 0
		listedBlobs := map[[32]byte]bool{}
		for _, b := range st.blobList {
			listedBlobs[b.sum] = true
		}
		for sum, got := range st.blobs {
			if !listedBlobs[sum] && got > 0 && st.blobWhole[sum] {
				whole++
			}
		}
		d.LostUnlistedBlobs = max(0, r.h.Blobs-len(st.blobList)-whole)
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// frame reads and opens frame i; on failure it returns nil and, if the
// part is cut short, its name.
func (r *Reader) frame(i int64, d *Damage) ([]byte, string) {
	var pt *part
	for _, p := range r.parts {
		if i >= p.h.FirstFrame && i < p.h.FirstFrame+p.h.Frames {
			pt = p
			break
		}
	}
	if pt == nil {
		return nil, ""
	}
	final := i == r.h.TotalFrames-1
	size := int64(FrameSize)
	if final {
		size = r.h.LastFrame
	}
	if size < frameHead+16 || size > FrameSize {
		return nil, ""
	}
	off := partHead + (i-pt.h.FirstFrame)*FrameSize
	ct := make([]byte, size)
	n, err := pt.src.ReadAt(ct, off)
	if int64(n) < size {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, pt.src.Name() + ": " + err.Error()
		}
		return nil, pt.src.Name()
	}
	plain, err := r.frameAEAD.Open(nil, frameNonce(i, final), ct, nil)
	if err != nil {
		return nil, ""
	}
	return plain, ""
}

// framePayload checks a frame's plaintext and returns its decoded payload.
func framePayload(plain []byte, dec *zstd.Decoder) ([]byte, bool) {
	if len(plain) < frameHead {
		return nil, false
	}
	n := binary.BigEndian.Uint32(plain[5:])
	if int64(n) > int64(len(plain)-frameHead) || plain[0]&^flagZstd != 0 {
		return nil, false
	}
	payload := plain[frameHead : frameHead+int(n)]
	if plain[0]&flagZstd == 0 {
		return payload, true
	}
	out, err := dec.DecodeAll(payload, nil)
	if err != nil || len(out) > maxDecoded {
		return nil, false
	}
	return out, true
}

type listedEvent struct {
	id   [8]byte
	kind int
}

type listedBlob struct {
	sum  [32]byte
	size int64
}

// stream parses records out of the frames' payloads.
type stream struct {
	fn        func(Record) error
	buf       []byte
	bad       bool // a record did not parse: resume at the next frame
	seen      map[[8]byte]bool
	blobs     map[[32]byte]int64 // bytes read from the start, in order
	blobWhole map[[32]byte]bool
	events    []listedEvent
	blobList  []listedBlob
	infoSeen  bool
}

func (s *stream) parse(d *Damage) error {
	for len(s.buf) > 0 {
		typ := s.buf[0]
		n, k := binary.Uvarint(s.buf[1:])
		if k == 0 {
			return nil // the length continues in the next frame
		}
		if k < 0 || n > MaxRecord+64 {
			d.BadRecords++
			s.buf, s.bad = s.buf[:0], true
			return nil
		}
		end := 1 + k + int(n)
		if len(s.buf) < end {
			return nil
		}
		body := s.buf[1+k : end]
		if err := s.record(typ, body, d); err != nil {
			return err
		}
		s.buf = s.buf[end:]
	}
	s.buf = s.buf[:0]
	return nil
}

func (s *stream) record(typ byte, body []byte, d *Damage) error {
	switch typ {
	case 'h':
		var info Info
		if json.Unmarshal(body, &info) != nil || s.infoSeen {
			d.BadRecords++
			return nil
		}
		s.infoSeen = true
		return s.fn(Record{Info: &info})
	case 'e':
		id, err := hex.DecodeString(gjson.GetBytes(body, "id").String())
		if err != nil || len(id) != 32 {
			d.BadRecords++
			return nil
		}
		s.seen[[8]byte(id[:8])] = true
		return s.fn(Record{Event: body})
	case 'b':
		if len(body) < 34 {
			d.BadRecords++
			return nil
		}
		var rec Record
		copy(rec.Blob[:], body)
		rest := body[32:]
		total, k1 := binary.Uvarint(rest)
		if k1 <= 0 {
			d.BadRecords++
			return nil
		}
		off, k2 := binary.Uvarint(rest[k1:])
		if k2 <= 0 || total == 0 || total > 1<<40 || off >= total {
			d.BadRecords++
			return nil
		}
		rec.Total, rec.Offset, rec.Data = int64(total), int64(off), rest[k1+k2:]
		if rec.Offset+int64(len(rec.Data)) > rec.Total {
			d.BadRecords++
			return nil
		}
		if s.blobs[rec.Blob] == rec.Offset {
			s.blobs[rec.Blob] += int64(len(rec.Data))
			if s.blobs[rec.Blob] == rec.Total {
				s.blobWhole[rec.Blob] = true
			}
		}
		return s.fn(rec)
	case 'i':
		if len(body) < 9 {
			d.BadRecords++
			return nil
		}
		kind, k := binary.Uvarint(body[8:])
		if k <= 0 || kind > 1<<16 {
			d.BadRecords++
			return nil
		}
		s.events = append(s.events, listedEvent{id: [8]byte(body[:8]), kind: int(kind)})
	case 'l':
		if len(body) < 33 {
			d.BadRecords++
			return nil
		}
		size, k := binary.Uvarint(body[32:])
		if k <= 0 {
			d.BadRecords++
			return nil
		}
		s.blobList = append(s.blobList, listedBlob{sum: [32]byte(body[:32]), size: int64(size)})
	default:
		d.BadRecords++ // a record of a later minor version, or damage
	}
	return nil
}

// SortedParts names the parts read, in order.
func (r *Reader) SortedParts() []string {
	var nums []int
	for n := range r.parts {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var out []string
	for _, n := range nums {
		out = append(out, r.parts[n].src.Name())
	}
	return out
}
