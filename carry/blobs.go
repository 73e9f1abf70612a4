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

// chunkSize is how many bytes of a blob to send in one message: about a
// second of the link, within bounds (and under the relay's 512 KiB
// message limit once in base64).
func (s *session) chunkSize() int64 {
	in, out := s.rates.get()
	return min(max(int64(max(in, out)), 16<<10), 192<<10)
}

func (s *session) blobRequest(ctx context.Context, msg []any, timeout time.Duration) (inbound, error) {
	id := s.newID("b")
	msg[1] = id
	ch := make(chan inbound, 1)
	s.mu.Lock()
	s.blobs[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.blobs, id)
		s.mu.Unlock()
	}()
	if err := s.send(ctx, msg); err != nil {
		return inbound{}, err
	}
	var t <-chan time.Time
	if timeout > 0 {
		t = time.After(timeout)
	}
	select {
	case in := <-ch:
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

func (s *session) pullBlob(ctx context.Context, x string, off, size int64) error {
	for {
		in, err := s.blobRequest(ctx, []any{"BLOB-GET", "", x, off, s.chunkSize()}, 0)
		if err != nil {
			return err
		}
		if in.label == "BLOB-ERR" {
			return fmt.Errorf("the peer could not send it: %s", str(in.parts, 3))
		}
		if in.label != "BLOB" || len(in.parts) != 6 || str(in.parts, 2) != x {
			return peerErr("answered BLOB-GET with something else")
		}
		gotOff, err1 := strconv.ParseInt(string(in.parts[3]), 10, 64)
		total, err2 := strconv.ParseInt(string(in.parts[4]), 10, 64)
		data, err3 := base64.StdEncoding.DecodeString(str(in.parts, 5))
		if err1 != nil || err2 != nil || err3 != nil || gotOff != off || total != size || len(data) == 0 && off < total {
			return peerErr("sent a malformed part of blob %s", x[:12])
		}
		have, done, err := s.o.Blobs.PutBlobPart(ctx, x, off, total, data)
		if err != nil {
			return err
		}
		s.blobBytes(int64(len(data)), 0)
		if done {
			s.blobDone(true)
			return nil
		}
		if have <= off {
			return fmt.Errorf("blob %s did not advance at byte %d", x[:12], off)
		}
		off = have
	}
}

func (s *session) pushBlob(ctx context.Context, x string, off, size int64) error {
	stuck := 0
	for {
		data, err := s.o.Blobs.BlobRange(ctx, x, off, s.chunkSize())
		if err != nil {
			return err
		}
		in, err := s.blobRequest(ctx, []any{"BLOB-PUT", "", x, off, size, base64.StdEncoding.EncodeToString(data)}, 0)
		if err != nil {
			return err
		}
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
		s.blobBytes(0, int64(len(data)))
		if have == size {
			s.blobDone(false)
			return nil
		}
		// The peer says where it stands; resume from there, but not
		// forever if it never moves.
		if have <= off {
			if stuck++; stuck > 3 {
				return fmt.Errorf("the peer does not take blob %s past byte %d", x[:12], have)
			}
		}
		off = have
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
	data, err := b.BlobRange(ctx, x, off, min(max(n, 1), 192<<10))
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
