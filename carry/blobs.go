package carry

// Blobs (attachments named by their sha256) travel in the same session as
// events, after them, with Caravan's own messages; any other relay answers
// them with a NOTICE and the session simply moves no blobs:
//
//	initiator -> ["BLOBS", <id>, {"want": [<sha256>, ...]}]
//	peer      -> ["BLOBS", <id>, {"have": [{"x": <sha256>, "size": n}, ...],
//	                              "want": [{"x": <sha256>, "have": n}, ...]}]
//	initiator -> ["BLOB-GET", <id>, <sha256>, <offset>, <max bytes>]
//	peer      -> ["BLOB", <id>, <sha256>, <offset>, <total>, <base64 bytes>]
//	          or ["BLOB-ERR", <id>, <sha256>, <reason>]
//	initiator -> ["BLOB-PUT", <id>, <sha256>, <offset>, <total>, <base64 bytes>]
//	peer      -> ["BLOB-OK", <id>, <sha256>, <bytes now held>, <"" or why not>]
//
// Each side wants the blobs that events it holds reference (and files of
// its own private messages), up to its policy's size cap. Parts are stored
// as they arrive, so a cut transfer resumes from where it stopped (the
// "have" counts); a blob is kept only once complete and matching its
// hash. Parts are sized to about a second of the link, so events pushed
// meanwhile never wait long behind a photo.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/relay"
)

// Blobs is what a session needs from the node to move blobs.
type Blobs interface {
	// WantedBlobs lists blobs the node lacks and would take, with how
	// much of each has arrived.
	WantedBlobs(ctx context.Context, limit int) ([]BlobWant, error)
	// BlobSize says whether a blob is held, and its size.
	BlobSize(ctx context.Context, sum string) (int64, bool, error)
	BlobRange(ctx context.Context, sum string, offset, n int64) ([]byte, error)
	// PutBlobPart stores bytes from offset of a blob of total bytes; see
	// store.PutBlobPart. It refuses blobs the node does not want or that
	// are over its cap.
	PutBlobPart(ctx context.Context, sum string, offset, total int64, data []byte) (have int64, done bool, err error)
}

// BlobWant is a blob a node lacks, and how much of it has arrived.
type BlobWant struct {
	X    string `json:"x"`
	Have int64  `json:"have"`
}

type blobHave struct {
	X    string `json:"x"`
	Size int64  `json:"size"`
}

// maxBlobList bounds the hashes in one BLOBS message.
const maxBlobList = 500

// blobTimeout is how long a peer may take to answer BLOBS before we take
// it for a relay that does not move blobs (one that ignores unknown
// messages rather than answering with a NOTICE).
const blobTimeout = 15 * time.Second

// ErrBlobsUnsupported means the peer does not move blobs.
var ErrBlobsUnsupported = errors.New("the peer does not move blobs")

// pending is a blob request waiting for its answer.
type pending struct {
	id   string
	ch   chan inbound
	sent time.Time
	n    int // bytes asked for or sent
}

// blobSend sends a blob request (msg[1] is set to a new id) and returns
// what to wait on.
func (s *session) blobSend(ctx context.Context, msg []any) (pending, error) {
	p := pending{id: s.newID("b"), ch: make(chan inbound, 1), sent: time.Now()}
	msg[1] = p.id
	s.mu.Lock()
	s.blobs[p.id] = p.ch
	s.mu.Unlock()
	if err := s.send(ctx, msg); err != nil {
		s.forget(p)
		return p, err
	}
	return p, nil
}

// forgetAll drops the requests still waiting (a transfer that ended early).
func (s *session) forgetAll(queue *[]pending) {
	for _, p := range *queue {
		s.forget(p)
	}
}

func (s *session) forget(p pending) {
	s.mu.Lock()
	delete(s.blobs, p.id)
	s.mu.Unlock()
}

// blobWait waits for the answer to p (timeout 0: as long as the peer
// keeps the link alive; the watchdog ends a silent one).
func (s *session) blobWait(ctx context.Context, p pending, timeout time.Duration) (inbound, error) {
	defer s.forget(p)
	var t <-chan time.Time
	if timeout > 0 {
		t = time.After(timeout)
	}
	select {
	case in := <-p.ch:
		if in.label == "NOTICE" {
			return in, ErrBlobsUnsupported
		}
		return in, nil
	case <-t:
		return inbound{}, ErrBlobsUnsupported
	case <-ctx.Done():
		return inbound{}, ctx.Err()
	}
}

func (s *session) blobRequest(ctx context.Context, msg []any, timeout time.Duration) (inbound, error) {
	p, err := s.blobSend(ctx, msg)
	if err != nil {
		return inbound{}, err
	}
	return s.blobWait(ctx, p, timeout)
}

// chunker sizes blob parts by how long the last ones took: parts that
// cross the link in well under a second grow, slow ones shrink, so a
// part never holds up new events for long.
type chunker struct{ size int64 }

func newChunker() *chunker { return &chunker{size: 64 << 10} }

func (c *chunker) took(d time.Duration) {
	switch {
	case d < 300*time.Millisecond:
		c.size = min(c.size*2, maxChunk)
	case d > 1500*time.Millisecond:
		c.size = max(c.size/2, minChunk)
	}
}

// Part sizes: under the relay endpoint's 512 KiB message limit once in
// base64.
const (
	minChunk = 16 << 10
	maxChunk = 256 << 10
	// inFlight parts are asked for or sent ahead of the answers.
	inFlight = 3
	// storeEvery: received parts are stored (durably) in runs this big.
	storeEvery = 1 << 20
)

// syncBlobs moves the blobs each side lacks and the other has.
func (s *session) syncBlobs(ctx context.Context) error {
	b := s.o.Blobs
	if b == nil || s.noBlobs {
		return nil
	}
	s.setPhase("blobs", "")
	wants, err := b.WantedBlobs(ctx, maxBlobList)
	if err != nil {
		return fmt.Errorf("list wanted blobs: %w", err)
	}
	xs := make([]string, len(wants))
	have := map[string]int64{}
	for i, w := range wants {
		xs[i] = w.X
		have[w.X] = w.Have
	}
	in, err := s.blobRequest(ctx, []any{"BLOBS", "", map[string]any{"want": xs}}, blobTimeout)
	if errors.Is(err, ErrBlobsUnsupported) {
		s.o.Logf("%s does not move blobs", s.conn)
		s.noBlobs = true
		return nil
	}
	if err != nil {
		return err
	}
	var answer struct {
		Have []blobHave `json:"have"`
		Want []BlobWant `json:"want"`
	}
	if len(in.parts) < 3 || json.Unmarshal(in.parts[2], &answer) != nil || len(answer.Have) > maxBlobList || len(answer.Want) > maxBlobList {
		return peerErr("sent a malformed BLOBS answer")
	}
	for _, h := range answer.Have {
		start, ok := have[h.X]
		if !ok {
			return peerErr("offered blob %s that we did not ask for", clip(h.X))
		}
		if err := s.pullBlob(ctx, h.X, start, h.Size); err != nil {
			if errors.Is(err, ErrPeer) || ctx.Err() != nil {
				return err
			}
			s.o.Logf("blob %s from %s: %v", h.X[:12], s.conn, err)
		}
	}
	for _, w := range answer.Want {
		if !event.IsHexID(w.X) || w.Have < 0 {
			return peerErr("asked for a blob with a malformed hash")
		}
		size, ok, err := b.BlobSize(ctx, w.X)
		if err != nil {
			return err
		}
		if !ok || size == 0 {
			continue
		}
		if err := s.pushBlob(ctx, w.X, min(w.Have, size), size); err != nil {
			if errors.Is(err, ErrPeer) || ctx.Err() != nil {
				return err
			}
			s.o.Logf("blob %s to %s: %v", w.X[:12], s.conn, err)
		}
	}
	return nil
}

func (s *session) pullBlob(ctx context.Context, x string, off, size int64) (err error) {
	ck := newChunker()
	var queue []pending
	next := off // where the next request starts
	var buf []byte
	bufAt := off // where buf starts
	defer s.forgetAll(&queue)
	defer func() {
		// The link broke, or the peer failed, with parts received but not
		// yet stored: keep them, so that the next session resumes after
		// them. A cut link has ended ctx; the store still takes them.
		if err != nil && len(buf) > 0 {
			s.o.Blobs.PutBlobPart(context.WithoutCancel(ctx), x, bufAt, size, buf)
		}
	}()
	store := func() error {
		if len(buf) == 0 {
			return nil
		}
		have, done, err := s.o.Blobs.PutBlobPart(ctx, x, bufAt, size, buf)
		if err != nil {
			return err
		}
		if !done && have != bufAt+int64(len(buf)) {
			return fmt.Errorf("blob %s: stored up to %d, expected %d", x[:12], have, bufAt+int64(len(buf)))
		}
		bufAt, buf = have, nil
		if done {
			s.blobDone(true)
		}
		return nil
	}
	for {
		for len(queue) < inFlight && next < size {
			n := min(ck.size, size-next)
			p, err := s.blobSend(ctx, []any{"BLOB-GET", "", x, next, n})
			if err != nil {
				return err
			}
			p.n = int(n)
			queue = append(queue, p)
			next += n
		}
		if len(queue) == 0 {
			return store()
		}
		p := queue[0]
		queue = queue[1:]
		in, err := s.blobWait(ctx, p, 0)
		if err != nil {
			return err
		}
		ck.took(time.Since(p.sent) / time.Duration(inFlight))
		if in.label == "BLOB-ERR" {
			if err := store(); err != nil {
				return err
			}
			return fmt.Errorf("the peer could not send it: %s", str(in.parts, 3))
		}
		if in.label != "BLOB" || len(in.parts) != 6 || str(in.parts, 2) != x {
			return peerErr("answered BLOB-GET with something else")
		}
		gotOff, err1 := strconv.ParseInt(string(in.parts[3]), 10, 64)
		total, err2 := strconv.ParseInt(string(in.parts[4]), 10, 64)
		data, err3 := base64.StdEncoding.DecodeString(str(in.parts, 5))
		want := bufAt + int64(len(buf))
		if err1 != nil || err2 != nil || err3 != nil || gotOff != want || total != size || len(data) != p.n {
			return peerErr("sent a malformed part of blob %s (at %d, %d bytes; expected %d bytes at %d)", x[:12], gotOff, len(data), p.n, want)
		}
		buf = append(buf, data...)
		s.blobBytes(int64(len(data)), 0)
		if len(buf) >= storeEvery || bufAt+int64(len(buf)) == size {
			if err := store(); err != nil {
				return err
			}
		}
	}
}

func (s *session) pushBlob(ctx context.Context, x string, off, size int64) error {
	ck := newChunker()
	var queue []pending
	defer s.forgetAll(&queue)
	next := off
	for {
		for len(queue) < inFlight && next < size {
			data, err := s.o.Blobs.BlobRange(ctx, x, next, min(ck.size, size-next))
			if err != nil {
				return err
			}
			if len(data) == 0 {
				return fmt.Errorf("blob %s: nothing to read at byte %d of %d", x[:12], next, size)
			}
			p, err := s.blobSend(ctx, []any{"BLOB-PUT", "", x, next, size, base64.StdEncoding.EncodeToString(data)})
			if err != nil {
				return err
			}
			p.n = len(data)
			queue = append(queue, p)
			next += int64(len(data))
		}
		if len(queue) == 0 {
			return nil
		}
		p := queue[0]
		queue = queue[1:]
		in, err := s.blobWait(ctx, p, 0)
		if err != nil {
			return err
		}
		ck.took(time.Since(p.sent) / time.Duration(inFlight))
		if in.label != "BLOB-OK" || len(in.parts) != 5 {
			return peerErr("answered BLOB-PUT with something else")
		}
		have, err := strconv.ParseInt(string(in.parts[3]), 10, 64)
		if err != nil || have < 0 || have > size {
			return peerErr("answered BLOB-PUT with a bad count")
		}
		if why := str(in.parts, 4); why != "" {
			return fmt.Errorf("the peer refused it: %s", why)
		}
		s.blobBytes(0, int64(p.n))
		if have == size {
			s.blobDone(false)
			return nil
		}
		if len(queue) == 0 && have != next {
			// The peer stands somewhere else (it lost parts, or had
			// more): go on from there. Parts in flight were ahead of it.
			if have <= off {
				return fmt.Errorf("the peer does not take blob %s past byte %d", x[:12], have)
			}
			off, next = have, have
		}
	}
}

func (s *session) blobBytes(in, out int64) {
	s.mu.Lock()
	s.prog.BlobBytesIn += in
	s.prog.BlobBytesOut += out
	s.mu.Unlock()
}

func (s *session) blobDone(received bool) {
	s.mu.Lock()
	if received {
		s.prog.BlobsReceived++
	} else {
		s.prog.BlobsSent++
	}
	s.mu.Unlock()
	s.report(true)
}

// BlobHandlers answer the blob messages on the relay endpoint.
func BlobHandlers(b Blobs) map[string]func(c *relay.Conn, m *relay.Message) {
	return map[string]func(c *relay.Conn, m *relay.Message){
		"BLOBS":    func(c *relay.Conn, m *relay.Message) { blobsAnswer(b, c, m) },
		"BLOB-GET": func(c *relay.Conn, m *relay.Message) { blobGet(b, c, m) },
		"BLOB-PUT": func(c *relay.Conn, m *relay.Message) { blobPut(b, c, m) },
	}
}

func rawStr(parts []json.RawMessage, i int) (string, bool) {
	if i >= len(parts) {
		return "", false
	}
	var s string
	return s, json.Unmarshal(parts[i], &s) == nil
}

func rawInt(parts []json.RawMessage, i int) (int64, bool) {
	if i >= len(parts) {
		return 0, false
	}
	v, err := strconv.ParseInt(string(parts[i]), 10, 64)
	return v, err == nil && v >= 0
}

func blobsAnswer(b Blobs, c *relay.Conn, m *relay.Message) {
	id, ok := rawStr(m.Raw, 1)
	var q struct {
		Want []string `json:"want"`
	}
	if !ok || len(m.Raw) != 3 || json.Unmarshal(m.Raw[2], &q) != nil || len(q.Want) > maxBlobList {
		c.Notice(fmt.Sprintf("invalid: BLOBS takes an id and {\"want\": [up to %d sha256]}", maxBlobList))
		return
	}
	ctx := c.Context()
	answer := struct {
		Have []blobHave `json:"have"`
		Want []BlobWant `json:"want"`
	}{Have: []blobHave{}, Want: []BlobWant{}}
	for _, x := range q.Want {
		if !event.IsHexID(x) {
			continue
		}
		if size, ok, err := b.BlobSize(ctx, x); err == nil && ok {
			answer.Have = append(answer.Have, blobHave{X: x, Size: size})
		}
	}
	if ws, err := b.WantedBlobs(ctx, maxBlobList); err == nil {
		answer.Want = append(answer.Want, ws...)
	}
	c.Send([]any{"BLOBS", id, answer})
}

func blobGet(b Blobs, c *relay.Conn, m *relay.Message) {
	id, ok1 := rawStr(m.Raw, 1)
	x, ok2 := rawStr(m.Raw, 2)
	off, ok3 := rawInt(m.Raw, 3)
	n, ok4 := rawInt(m.Raw, 4)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(m.Raw) != 5 || !event.IsHexID(x) {
		c.Notice("invalid: BLOB-GET takes an id, a sha256, an offset and a byte count")
		return
	}
	ctx := c.Context()
	size, held, err := b.BlobSize(ctx, x)
	switch {
	case err != nil:
		c.Send([]any{"BLOB-ERR", id, x, "error: " + err.Error()})
		return
	case !held:
		c.Send([]any{"BLOB-ERR", id, x, "not held here"})
		return
	case off > size:
		c.Send([]any{"BLOB-ERR", id, x, fmt.Sprintf("offset %d is past the end (%d bytes)", off, size)})
		return
	}
	data, err := b.BlobRange(ctx, x, off, min(max(n, 1), maxChunk))
	if err != nil {
		c.Send([]any{"BLOB-ERR", id, x, "error: " + err.Error()})
		return
	}
	c.SendBulk([]any{"BLOB", id, x, off, size, base64.StdEncoding.EncodeToString(data)})
}

func blobPut(b Blobs, c *relay.Conn, m *relay.Message) {
	id, ok1 := rawStr(m.Raw, 1)
	x, ok2 := rawStr(m.Raw, 2)
	off, ok3 := rawInt(m.Raw, 3)
	total, ok4 := rawInt(m.Raw, 4)
	b64, ok5 := rawStr(m.Raw, 5)
	data, err := base64.StdEncoding.DecodeString(b64)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || err != nil || len(m.Raw) != 6 || !event.IsHexID(x) {
		c.Notice("invalid: BLOB-PUT takes an id, a sha256, an offset, the total size and base64 bytes")
		return
	}
	have, _, err := b.PutBlobPart(c.Context(), x, off, total, data)
	why := ""
	if err != nil {
		why = err.Error()
	}
	c.Send([]any{"BLOB-OK", id, x, have, why})
}
