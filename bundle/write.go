package bundle

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

const (
	// FrameSize is the size of every frame on disk but the last.
	FrameSize   = 64 << 10
	frameHead   = 9 // flags, first, n
	payloadMax  = FrameSize - 16 - frameHead
	headerPlain = 96
	headerSize  = 12 + headerPlain + 16
	partHead    = slotsSize + headerSize
	// partTail is the second copy of the key slots that ends every part.
	partTail = slotsSize
	// partCost is what a part takes besides its frames (and padding).
	partCost = partHead + partTail
	noRecord = 0xFFFFFFFF
	flagZstd = 1
	// MaxRecord bounds one record: an event, or a piece of a blob.
	MaxRecord = 1 << 20
	blobPiece = 128 << 10
	// MinPartSize is the smallest --split: one frame per part.
	MinPartSize = partCost + FrameSize
)

// ErrFull means an event or blob does not fit in what is left of the size
// limit.
var ErrFull = errors.New("it does not fit in the bundle's size limit")

// Info is the bundle's first record.
type Info struct {
	// ID is the bundle's id, 32 hex digits; if empty, NewWriter makes one.
	ID      string `json:"id"`
	Created int64  `json:"created_at"`
	App     string `json:"app,omitempty"`
	// Proof is the maker's word about the bundle, signed (package node
	// uses a Nostr event: who made it, for whom, which bundles it read).
	Proof json.RawMessage `json:"proof,omitempty"`
}

// PartFile is one part being written.
type PartFile interface {
	io.Writer
	io.WriterAt
	Sync() error
	Close() error
}

// Output makes a bundle's parts.
type Output interface {
	// Create makes part n (from 0), empty.
	Create(n int) (PartFile, error)
	// Reopen opens part n again to write its header.
	Reopen(n int) (PartFile, error)
}

// Options shape a bundle.
type Options struct {
	Lock Lock
	// PartSize splits the bundle into parts of at most this many bytes
	// (at least MinPartSize). If zero, one part.
	PartSize int64
	// Max bounds the whole bundle. If zero, no bound.
	Max  int64
	Info Info

	version byte // tests write other versions
}

// Summary describes a written bundle.
type Summary struct {
	ID        string
	Parts     int
	Bytes     int64
	Events    int
	Blobs     int
	BlobBytes int64
	RawBytes  int64 // the events' JSON and the blobs' bytes
}

// Writer writes a bundle.
type Writer struct {
	out        Output
	o          Options
	slots      []byte
	tail       []byte // the slots again, sealed anew: see package doc
	partKey    []byte
	frameAEAD  cipherAEAD
	id         [16]byte
	enc        *zstd.Encoder
	partFrames int64 // frames per part; 0 is unbounded

	pending      []byte
	pendingStart int64
	starts       []int64
	target       int
	index        []byte
	minFail      int64 // the smallest addition found not to fit
	credit       int64 // bytes known to fit beyond what is added (see fits)
	room         int64 // and that the last frame can take

	held    []byte // the last frame's plaintext, written when the next comes
	nframes int64  // frames made, held one included
	part    PartFile
	partNo  int
	written int64

	sum  Summary
	done bool
	err  error
}

// NewWriter starts a bundle.
func NewWriter(out Output, o Options) (*Writer, error) {
	if o.PartSize != 0 && o.PartSize < MinPartSize {
		return nil, fmt.Errorf("parts must be at least %d bytes (one frame of %d bytes, and %d bytes of keys and header)", MinPartSize, FrameSize, partCost)
	}
	if o.version == 0 {
		o.version = Version
	}
	key := make([]byte, keySize)
	rand.Read(key)
	slots, err := makeSlots(o.Lock, key, o.version)
	if err != nil {
		return nil, err
	}
	// Fresh salt and ephemeral keys: the copy shares no bytes with the
	// first, so the file still looks random throughout.
	tail, err := makeSlots(o.Lock, key, o.version)
	if err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	w := &Writer{
		out:       out,
		o:         o,
		slots:     slots,
		tail:      tail,
		partKey:   derive(key, nil, "caravan bundle v1 part"),
		frameAEAD: aead(derive(key, nil, "caravan bundle v1 frames")),
		enc:       enc,
		target:    payloadMax * 2,
	}
	if o.PartSize != 0 {
		w.partFrames = (o.PartSize - partCost) / FrameSize
	}
	if id, err := hex.DecodeString(o.Info.ID); err == nil && len(id) == len(w.id) {
		copy(w.id[:], id)
	} else if o.Info.ID != "" {
		return nil, fmt.Errorf("bundle id %q is not 32 hex digits", o.Info.ID)
	} else {
		rand.Read(w.id[:])
	}
	info := o.Info
	info.ID = hex.EncodeToString(w.id[:])
	w.sum.ID = info.ID
	b, _ := json.Marshal(info)
	w.record('h', b)
	if !w.fits(0) {
		return nil, fmt.Errorf("a size limit of %d bytes is too small: this bundle needs at least %d", o.Max, w.size(0))
	}
	return w, nil
}

// record appends one record to the stream.
func (w *Writer) record(typ byte, parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	w.starts = append(w.starts, w.pendingStart+int64(len(w.pending)))
	w.pending = append(w.pending, typ)
	w.pending = binary.AppendUvarint(w.pending, uint64(n))
	for _, p := range parts {
		w.pending = append(w.pending, p...)
	}
}

// size is what the bundle would take with extra more bytes of records,
// counted as if nothing more compressed (which never overestimates).
func (w *Writer) size(extra int64) int64 {
	return w.sizeOf(int64(len(w.pending)) + int64(len(w.index)) + extra)
}

// sizeOf is the bundle's size if raw bytes of records followed what is
// already in frames.
func (w *Writer) sizeOf(raw int64) int64 {
	frames := w.nframes
	var bytes int64
	if k := (raw + payloadMax - 1) / payloadMax; k > 0 {
		frames += k
		bytes = (frames-1)*FrameSize + raw - (k-1)*payloadMax + frameHead + 16
	} else {
		bytes = (frames-1)*FrameSize + int64(len(w.held)) + 16
	}
	parts := int64(1)
	if w.partFrames > 0 {
		parts = (frames + w.partFrames - 1) / w.partFrames
	}
	return bytes + parts*partCost
}

// fits says whether rec (the bytes of records still to add: a record,
// then its index entries) and opaque more bytes that do not compress
// (blobs) keep the bundle within Max.
//
// The quick estimate counts pending records uncompressed, which never
// underestimates: every frame but the last takes at least payloadMax bytes
// of records. Near the limit, a dry run cuts what is pending, the record
// and the index into frames exactly as writing and closing will, and
// measures the result. What it leaves (credit) is then spent at the raw
// rate (appending to the last frame costs at most that) until a frame is
// due to be cut, when another dry run measures again.
func (w *Writer) fits(opaque int64, rec ...[]byte) bool {
	if w.o.Max == 0 {
		return true
	}
	n := opaque
	for _, r := range rec {
		n += int64(len(r))
	}
	if w.size(n) <= w.o.Max {
		return true
	}
	if c := rawCost(n); w.credit > 0 && c <= w.credit && c <= w.room && int64(len(w.pending)+len(w.index))+n < int64(w.target) {
		w.credit -= c
		w.room -= c
		return true
	}
	if w.minFail > 0 && n >= w.minFail {
		return false
	}
	stream := append([]byte{}, w.pending...)
	if len(rec) > 0 {
		stream = append(stream, rec[0]...)
	}
	stream = append(stream, w.index...)
	for _, r := range rec[min(1, len(rec)):] {
		stream = append(stream, r...)
	}
	size, last := w.dryRun(stream, opaque)
	if size <= w.o.Max {
		w.credit = w.o.Max - size
		// What the last frame can take before it must be cut in two.
		w.room = payloadMax - 64 - last
		return true
	}
	w.credit, w.room = 0, 0
	if w.minFail == 0 || n < w.minFail {
		w.minFail = n
	}
	return false
}

// dryRun is the bundle's size if stream were the rest of its records and
// the bundle were closed, with opaque more bytes written raw before the
// index, and the size of the last frame's payload.
func (w *Writer) dryRun(stream []byte, opaque int64) (int64, int64) {
	frames, target := w.nframes, w.target
	for len(stream) >= target {
		var used int
		used, _, _, target = cut(w.enc, stream, target)
		stream = stream[used:]
		frames++
	}
	last := int64(0)
	for len(stream) > 0 {
		used, payload, _, next := cut(w.enc, stream, min(len(stream), target))
		target = next
		stream = stream[used:]
		frames++
		last = int64(len(payload))
	}
	bytes := frames * FrameSize
	if opaque > 0 {
		bytes += rawCost(opaque)
		last = payloadMax
	} else if last > 0 {
		bytes += frameHead + last + 16 - FrameSize // the final frame is not padded
	}
	parts := int64(1)
	if w.partFrames > 0 {
		parts = (frames + opaque/payloadMax + 1 + w.partFrames - 1) / w.partFrames
	}
	return bytes + parts*partCost, last
}

// rawCost bounds what n more bytes of records add to a last, unfinished
// piece: themselves, and a frame's overhead at each frame boundary.
func rawCost(n int64) int64 {
	return n + (n/payloadMax+1)*(frameHead+16)
}

func (w *Writer) check() error {
	if w.err == nil && w.done {
		w.err = errors.New("the bundle is closed")
	}
	return w.err
}

// AddEvent adds an event's JSON; id and kind go to the index. It returns
// ErrFull when the event does not fit in Max.
func (w *Writer) AddEvent(raw []byte, id string, kind int) error {
	if err := w.check(); err != nil {
		return err
	}
	idb, err := hex.DecodeString(id)
	if err != nil || len(idb) != 32 {
		return fmt.Errorf("event id %q is not 64 hex digits", id)
	}
	if len(raw) > MaxRecord {
		return fmt.Errorf("event %s is %d bytes, over the %d a bundle carries", id, len(raw), MaxRecord)
	}
	entry := append(append([]byte{'i', 0}, idb[:8]...), binary.AppendUvarint(nil, uint64(kind))...)
	entry[1] = byte(len(entry) - 2)
	rec := binary.AppendUvarint([]byte{'e'}, uint64(len(raw)))
	if !w.fits(0, append(rec, raw...), entry) {
		return ErrFull
	}
	w.index = append(w.index, entry...)
	w.record('e', raw)
	w.sum.Events++
	w.sum.RawBytes += int64(len(raw))
	return w.emit(false)
}

// AddBlob adds a blob of size bytes read from r; its sha256 is sum (not
// checked here: the reader's store checks it). It returns ErrFull when it
// does not fit in Max.
func (w *Writer) AddBlob(sum [32]byte, size int64, r io.ReaderAt) error {
	if err := w.check(); err != nil {
		return err
	}
	if size <= 0 {
		return fmt.Errorf("blob %x is empty", sum[:6])
	}
	entry := append([]byte{'l', 0}, sum[:]...)
	entry = binary.AppendUvarint(entry, uint64(size))
	entry[1] = byte(len(entry) - 2)
	pieces := (size + blobPiece - 1) / blobPiece
	if !w.fits(size+pieces*(1+3+32+20), entry) {
		return ErrFull
	}
	buf := make([]byte, blobPiece)
	for off := int64(0); off < size; off += blobPiece {
		n := min(blobPiece, size-off)
		if got, err := r.ReadAt(buf[:n], off); int64(got) < n {
			// Pieces already in the stream would make a partial blob.
			w.err = fmt.Errorf("read blob %x at %d: %d of %d bytes (%v)", sum[:6], off, got, n, err)
			return w.err
		}
		head := append(append([]byte{}, sum[:]...), binary.AppendUvarint(nil, uint64(size))...)
		head = binary.AppendUvarint(head, uint64(off))
		w.record('b', head, buf[:n])
		if err := w.emit(false); err != nil {
			return err
		}
	}
	w.index = append(w.index, entry...)
	w.sum.Blobs++
	w.sum.BlobBytes += size
	w.sum.RawBytes += size
	return nil
}

// emit turns pending records into frames: whole frames only, unless flush.
func (w *Writer) emit(flush bool) error {
	for len(w.pending) > 0 && (flush || len(w.pending) >= w.target) {
		n, payload, z, target := cut(w.enc, w.pending, min(len(w.pending), w.target))
		w.target = target
		first := uint32(noRecord)
		end := w.pendingStart + int64(n)
		for len(w.starts) > 0 && w.starts[0] < end {
			if first == noRecord {
				first = uint32(w.starts[0] - w.pendingStart)
			}
			w.starts = w.starts[1:]
		}
		plain := make([]byte, frameHead, frameHead+len(payload))
		if z {
			plain[0] = flagZstd
		}
		binary.BigEndian.PutUint32(plain[1:], first)
		binary.BigEndian.PutUint32(plain[5:], uint32(len(payload)))
		plain = append(plain, payload...)
		w.pending = append(w.pending[:0], w.pending[n:]...)
		w.pendingStart = end
		if err := w.push(plain); err != nil {
			w.err = err
			return err
		}
	}
	return nil
}

// cut chooses how much of src goes in the next frame, starting from n
// bytes, and returns it (compressed if that is smaller) and the next
// frame's starting size. It depends only on its inputs, so a dry run
// (see fits) cuts exactly as writing will.
func cut(enc *zstd.Encoder, src []byte, n int) (int, []byte, bool, int) {
	for {
		comp := enc.EncodeAll(src[:n], nil)
		if len(comp) < n && len(comp) <= payloadMax {
			ratio := float64(len(comp)) / float64(n)
			return n, comp, true, min(max(int(payloadMax/ratio*0.97), payloadMax), 16*payloadMax)
		}
		if n <= payloadMax {
			return n, src[:n], false, payloadMax
		}
		next := payloadMax
		if len(comp) < n {
			next = int(int64(n) * payloadMax / int64(len(comp)) * 95 / 100)
		}
		n = max(min(next, n-1), payloadMax)
	}
}

// push makes plain the newest frame; the one before it is written, as not
// the last.
func (w *Writer) push(plain []byte) error {
	if w.held != nil {
		if err := w.writeFrame(w.nframes-1, w.held, false); err != nil {
			return err
		}
	}
	w.held = plain
	w.nframes++
	return nil
}

func frameNonce(i int64, final bool) []byte {
	nonce := make([]byte, 12)
	binary.BigEndian.PutUint64(nonce[3:11], uint64(i))
	if final {
		nonce[11] = 1
	}
	return nonce
}

func (w *Writer) writeFrame(i int64, plain []byte, final bool) error {
	if !final && len(plain) < FrameSize-16 {
		plain = append(plain, make([]byte, FrameSize-16-len(plain))...)
	}
	ct := w.frameAEAD.Seal(nil, frameNonce(i, final), plain, nil)
	p := 0
	if w.partFrames > 0 {
		p = int(i / w.partFrames)
	}
	if p >= 1<<16-1 {
		return fmt.Errorf("the bundle would need more than %d parts; use a larger --split", 1<<16-1)
	}
	if w.part == nil || p != w.partNo {
		if w.part != nil {
			// A full part is padded to the split size with random bytes,
			// so that every part but the last has the size asked for
			// rather than one that betrays the frame size.
			if err := w.endPart(w.o.PartSize - partCost - w.partFrames*FrameSize); err != nil {
				return err
			}
		}
		f, err := w.out.Create(p)
		if err != nil {
			return err
		}
		w.part, w.partNo = f, p
		head := make([]byte, headerSize)
		rand.Read(head) // replaced by the real header at the end
		if _, err := f.Write(append(append([]byte{}, w.slots...), head...)); err != nil {
			return err
		}
		w.written += partHead
		w.sum.Parts = p + 1
	}
	if _, err := w.part.Write(ct); err != nil {
		return err
	}
	w.written += int64(len(ct))
	return nil
}

// endPart finishes the part being written: pad random bytes, the second
// copy of the key slots, and closes it.
func (w *Writer) endPart(pad int64) error {
	b := make([]byte, pad, pad+partTail)
	rand.Read(b)
	b = append(b, w.tail...)
	if _, err := w.part.Write(b); err != nil {
		return err
	}
	w.written += int64(len(b))
	return w.closePart()
}

func (w *Writer) closePart() error {
	if w.part == nil {
		return nil
	}
	f := w.part
	w.part = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// header is a part header's plaintext.
type header struct {
	ID          [16]byte
	Version     byte
	Part, Parts int
	FirstFrame  int64
	Frames      int64
	TotalFrames int64
	LastFrame   int64 // size of the bundle's final frame on disk
	Events      int
	Blobs       int
	BlobBytes   int64
	Created     int64
}

func (h header) marshal() []byte {
	b := make([]byte, headerPlain)
	copy(b, h.ID[:])
	b[16] = h.Version
	be := binary.BigEndian
	be.PutUint16(b[17:], uint16(h.Part))
	be.PutUint16(b[19:], uint16(h.Parts))
	be.PutUint32(b[21:], uint32(h.FirstFrame))
	be.PutUint32(b[25:], uint32(h.Frames))
	be.PutUint32(b[29:], uint32(h.TotalFrames))
	be.PutUint32(b[33:], uint32(h.LastFrame))
	be.PutUint32(b[37:], uint32(h.Events))
	be.PutUint32(b[41:], uint32(h.Blobs))
	be.PutUint64(b[45:], uint64(h.BlobBytes))
	be.PutUint64(b[53:], uint64(h.Created))
	return b
}

func parseHeader(b []byte) header {
	be := binary.BigEndian
	var h header
	copy(h.ID[:], b)
	h.Version = b[16]
	h.Part = int(be.Uint16(b[17:]))
	h.Parts = int(be.Uint16(b[19:]))
	h.FirstFrame = int64(be.Uint32(b[21:]))
	h.Frames = int64(be.Uint32(b[25:]))
	h.TotalFrames = int64(be.Uint32(b[29:]))
	h.LastFrame = int64(be.Uint32(b[33:]))
	h.Events = int(be.Uint32(b[37:]))
	h.Blobs = int(be.Uint32(b[41:]))
	h.BlobBytes = int64(be.Uint64(b[45:]))
	h.Created = int64(be.Uint64(b[53:]))
	return h
}

// Close writes the index and the last frame, then every part's header. A
// bundle is complete only when Close returns nil.
func (w *Writer) Close() (Summary, error) {
	if err := w.check(); err != nil {
		w.Abort()
		return w.sum, err
	}
	w.done = true
	w.pending = append(w.pending, w.index...)
	// The index is one run of small records; each starts a record.
	for off := 0; off < len(w.index); {
		w.starts = append(w.starts, w.pendingStart+int64(len(w.pending)-len(w.index)+off))
		off += 2 + int(w.index[off+1])
	}
	w.index = nil
	if err := w.emit(true); err != nil {
		w.Abort()
		return w.sum, err
	}
	last := int64(len(w.held) + 16)
	if err := w.writeFrame(w.nframes-1, w.held, true); err != nil {
		w.Abort()
		return w.sum, err
	}
	if err := w.endPart(0); err != nil {
		w.Abort()
		return w.sum, err
	}
	parts := w.sum.Parts
	for p := 0; p < parts; p++ {
		h := header{ID: w.id, Version: w.o.version, Part: p, Parts: parts, TotalFrames: w.nframes, LastFrame: last,
			Events: w.sum.Events, Blobs: w.sum.Blobs, BlobBytes: w.sum.BlobBytes, Created: w.o.Info.Created}
		h.Frames = w.nframes
		if w.partFrames > 0 {
			h.FirstFrame = int64(p) * w.partFrames
			h.Frames = min(w.partFrames, w.nframes-h.FirstFrame)
		}
		nonce := make([]byte, 12)
		rand.Read(nonce)
		sealed := aead(w.partKey).Seal(nonce, nonce, h.marshal(), nil)
		f, err := w.out.Reopen(p)
		if err != nil {
			return w.sum, err
		}
		if _, err := f.WriteAt(sealed, slotsSize); err != nil {
			f.Close()
			return w.sum, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return w.sum, err
		}
		if err := f.Close(); err != nil {
			return w.sum, err
		}
	}
	w.sum.Bytes = w.written
	return w.sum, nil
}

// Abort stops writing; the caller removes the parts.
func (w *Writer) Abort() {
	w.done = true
	if w.part != nil {
		w.part.Close()
		w.part = nil
	}
}

// Size is what the bundle would take if closed now.
func (w *Writer) Size() int64 { return w.size(0) }
