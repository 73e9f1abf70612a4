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

// segment is a part placed in the bundle: its frames are
// [first, first+frames).
type segment struct {
	src     Source
	end     int64 // where its frames (and padding) end: before the key slots' copy, if known to be there
	part    int   // -1 when unknown (a damaged header, no other part to go by)
	first   int64
	frames  int64
	located bool // the header was damaged; the frames were found by trial
}

// Reader reads a bundle from its parts.
type Reader struct {
	frameAEAD cipherAEAD
	segs      []*segment // by first frame
	h         header     // from any intact header: the bundle's totals
	known     bool       // an intact header was read
	Dupes     []string
}

// maxTrials bounds the positions tried for a part whose header is damaged
// when no other part says where parts start.
const maxTrials = 4096

// Open checks the parts: each must open with keys and belong to the same
// bundle. Missing parts are not an error here (see Damage).
func Open(srcs []Source, keys Keys) (*Reader, error) {
	if len(srcs) == 0 {
		return nil, errors.New("no bundle files given")
	}
	cache := map[string][]byte{}
	r := &Reader{}
	var key []byte
	var first string
	var damaged []*segment
	byPart := map[int]bool{}
	for _, src := range srcs {
		if src.Size() < partHead {
			return nil, &Error{src.Name(), fmt.Errorf("it is %d bytes, too small to be a bundle (at least %d)", src.Size(), partHead)}
		}
		head := make([]byte, partHead)
		if _, err := src.ReadAt(head, 0); err != nil {
			return nil, &Error{src.Name(), err}
		}
		end := src.Size()
		k, version, err := openSlots(head[:slotsSize], keys, cache)
		if errors.Is(err, ErrNoKey) {
			// The start may be damaged; the copy at the end opens the
			// same way. (Before it was written, the end was frames,
			// which no key opens.)
			var tk []byte
			var tv byte
			tk, tv, err = openTail(src, keys, cache)
			if err == nil {
				k, version, end = tk, tv, src.Size()-partTail
			}
		}
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
			// Its frames are found by trial, from where they end: before
			// the copy of the key slots, if this part ends with one.
			if end == src.Size() {
				if tk, _, err := openTail(src, keys, cache); err == nil && bytes.Equal(tk, key) {
					end -= partTail
				}
			}
			damaged = append(damaged, &segment{src: src, end: end})
			continue
		}
		h := parseHeader(hb)
		if h.Parts == 0 || h.Part >= h.Parts || h.Frames == 0 || h.FirstFrame+h.Frames > h.TotalFrames ||
			h.LastFrame < frameHead+16 || h.LastFrame > FrameSize {
			return nil, &Error{src.Name(), errors.New("its header is inconsistent (written by a faulty program?)")}
		}
		if r.known && (h.ID != r.h.ID || h.Parts != r.h.Parts || h.TotalFrames != r.h.TotalFrames) {
			return nil, &Error{src.Name(), fmt.Errorf("it belongs to another bundle than %s; import them one at a time", first)}
		}
		if byPart[h.Part] {
			r.Dupes = append(r.Dupes, src.Name())
			continue
		}
		byPart[h.Part] = true
		r.h, r.known = h, true
		r.segs = append(r.segs, &segment{src: src, end: end, part: h.Part, first: h.FirstFrame, frames: h.Frames})
	}
	if err := r.checkSegments(); err != nil {
		return nil, err
	}
	for _, seg := range damaged {
		switch r.locate(seg) {
		case placed:
		case duplicate:
			r.Dupes = append(r.Dupes, seg.src.Name())
		default:
			return nil, &Error{seg.src.Name(), errors.New("its header is damaged and none of its first frames could be placed; nothing in it can be read")}
		}
	}
	return r, nil
}

// openTail opens the copy of the key slots at the end of src.
func openTail(src Source, keys Keys, cache map[string][]byte) ([]byte, byte, error) {
	if src.Size() < partHead+partTail {
		return nil, 0, ErrNoKey
	}
	tail := make([]byte, partTail)
	if _, err := src.ReadAt(tail, src.Size()-partTail); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, err
	}
	return openSlots(tail, keys, cache)
}

// checkSegments sorts the parts and refuses overlapping ones, and totals
// that the parts cannot hold (a hostile maker's header).
func (r *Reader) checkSegments() error {
	sort.Slice(r.segs, func(i, j int) bool { return r.segs[i].first < r.segs[j].first })
	for i := 1; i < len(r.segs); i++ {
		a, b := r.segs[i-1], r.segs[i]
		if a.first+a.frames > b.first {
			return &Error{b.src.Name(), fmt.Errorf("its frames overlap those of %s (written by a faulty program?)", a.src.Name())}
		}
	}
	if r.known {
		if per := r.perPart(); per > 0 && r.h.TotalFrames > per*int64(r.h.Parts) {
			return &Error{r.segs[0].src.Name(), errors.New("its header claims more frames than its parts can hold (written by a faulty program?)")}
		}
	}
	return nil
}

type placement int

const (
	unplaced placement = iota
	placed
	duplicate
)

// locate places a part whose header is damaged (seg, with only its source
// and end known) by trying its first frames at every position the other
// parts leave open.
func (r *Reader) locate(seg *segment) placement {
	src := seg.src
	fileFrames := (seg.end - partHead + FrameSize - 1) / FrameSize
	per := r.perPart()
	limit := int64(maxTrials)
	if r.known {
		limit = r.h.TotalFrames
	}
	for j := int64(0); j < min(fileFrames, 4); j++ {
		size := min(seg.end-partHead-j*FrameSize, FrameSize)
		ct := make([]byte, size)
		if _, err := src.ReadAt(ct, partHead+j*FrameSize); err != nil && !errors.Is(err, io.EOF) {
			return unplaced
		}
		for i := j; i < limit; i++ {
			if per > 0 && (i-j)%per != 0 {
				continue
			}
			if _, err := r.frameAEAD.Open(nil, frameNonce(i, false), ct, nil); err != nil {
				if _, err := r.frameAEAD.Open(nil, frameNonce(i, true), ct, nil); err != nil {
					continue
				}
			}
			seg.part, seg.first, seg.frames, seg.located = -1, i-j, fileFrames, true
			if per > 0 {
				seg.part = int(seg.first / per)
				seg.frames = min(per, r.h.TotalFrames-seg.first)
			} else if r.known {
				seg.frames = min(fileFrames, r.h.TotalFrames-seg.first)
			}
			for _, s := range r.segs {
				if s.first == seg.first {
					return duplicate
				}
				if s.first < seg.first+seg.frames && seg.first < s.first+s.frames {
					// Sizes overcount a located part's frames (a split
					// part is padded): the earlier one ends where the
					// later begins, unless its frames are known.
					switch {
					case s.first < seg.first && s.located:
						s.frames = seg.first - s.first
					case seg.first < s.first:
						seg.frames = s.first - seg.first
					default:
						return unplaced
					}
				}
			}
			r.segs = append(r.segs, seg)
			sort.Slice(r.segs, func(a, b int) bool { return r.segs[a].first < r.segs[b].first })
			return placed
		}
	}
	return unplaced
}

// perPart is the frame count of every part but the last (0 if unsplit or
// unknown).
func (r *Reader) perPart() int64 {
	if !r.known || r.h.Parts <= 1 {
		return 0
	}
	for _, s := range r.segs {
		if !s.located && s.part < r.h.Parts-1 {
			return s.frames
		}
	}
	// Only the last part is here: its first frame says how many came before.
	for _, s := range r.segs {
		if !s.located && s.part > 0 {
			return s.first / int64(s.part)
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
	MissingParts []int // numbered from 1
	LostFrames   int64 // damaged, cut off, or in missing parts
	LostBytes    int64
	Cut          []string // parts shorter than their header says
	Located      []string // parts whose header was damaged
	// The index was read whole; if not, the lost events and blobs it
	// names may be incomplete and LostUnlisted counts the rest.
	IndexComplete bool
	LostEvents    []Listed
	LostBlobs     []ListedBlob
	LostUnlisted  int
	// No intact part header was read: the totals, and so what was lost
	// before and after the parts read, are unknown.
	TotalsUnknown bool
	// Blobs whose listing was lost, and that were not read whole.
	LostUnlistedBlobs int
	BadRecords        int // records that did not parse (a faulty writer)
}

// Any says whether anything was lost.
func (d Damage) Any() bool {
	return len(d.MissingParts) > 0 || d.LostFrames > 0 || d.TotalsUnknown || len(d.LostEvents) > 0 || len(d.LostBlobs) > 0 ||
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
	if r.known {
		have := map[int]bool{}
		for _, s := range r.segs {
			have[s.part] = true
		}
		for p := 0; p < r.h.Parts; p++ {
			if !have[p] {
				d.MissingParts = append(d.MissingParts, p+1)
			}
		}
	} else {
		d.TotalsUnknown = true
		last := r.segs[len(r.segs)-1]
		total = last.first + last.frames
	}
	for _, s := range r.segs {
		if s.located {
			d.Located = append(d.Located, s.src.Name())
		}
	}
	st := &stream{fn: fn, seen: map[[8]byte]bool{}, blobs: map[[32]byte]int64{}, blobWhole: map[[32]byte]bool{}}
	resync := false
	lose := func(n int64) {
		if n > 0 {
			d.LostFrames += n
			d.LostBytes += n * FrameSize
			resync = true
		}
	}
	next := int64(0)
	for _, seg := range r.segs {
		lose(seg.first - next)
		next = seg.first + seg.frames
		inFile := (seg.end - partHead + FrameSize - 1) / FrameSize
		for k := int64(0); k < seg.frames; k++ {
			if k >= inFile {
				d.Cut = append(d.Cut, seg.src.Name())
				lose(seg.frames - k)
				break
			}
			plain, short := r.frame(seg, seg.first+k, total)
			if short && !contains(d.Cut, seg.src.Name()) {
				d.Cut = append(d.Cut, seg.src.Name())
			}
			var payload []byte
			ok := plain != nil
			if ok {
				payload, ok = framePayload(plain, dec)
			}
			if !ok {
				lose(1)
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
	}
	lose(total - next)
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
	d.IndexComplete = r.known && len(st.events) == r.h.Events && len(st.blobList) == r.h.Blobs
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

// frame reads and opens frame i of seg; short says the file ends inside
// it.
func (r *Reader) frame(seg *segment, i, total int64) (plain []byte, short bool) {
	off := partHead + (i-seg.first)*FrameSize
	size := min(int64(FrameSize), seg.end-off)
	final := i == total-1
	if r.known && final {
		if seg.end-off < r.h.LastFrame {
			return nil, true
		}
		size = r.h.LastFrame
	} else if r.known && size < FrameSize {
		return nil, true
	}
	if size < frameHead+16 {
		return nil, true
	}
	ct := make([]byte, size)
	if _, err := seg.src.ReadAt(ct, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, false
	}
	plain, err := r.frameAEAD.Open(nil, frameNonce(i, final), ct, nil)
	if err != nil && !r.known {
		plain, err = r.frameAEAD.Open(nil, frameNonce(i, !final), ct, nil)
	}
	if err != nil {
		return nil, false
	}
	return plain, false
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
	var out []string
	for _, s := range r.segs {
		out = append(out, s.src.Name())
	}
	return out
}
