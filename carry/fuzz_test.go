package carry

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// memLocal is an in-memory node for fuzzing: it stores only events that
// validate, as the real node does.
type memLocal struct {
	mu  sync.Mutex
	evs map[string]*nostr.Event
}

func (m *memLocal) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []negentropy.Item
	for id, ev := range m.evs {
		b, _ := hex.DecodeString(id)
		out = append(out, negentropy.Item{Time: uint64(ev.CreatedAt), ID: [32]byte(b)})
	}
	if max > 0 && len(out) > max {
		return nil, negentropy.ErrTooMany
	}
	return negentropy.NewSet(out), nil
}

func (m *memLocal) Raw(ctx context.Context, ids []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for _, id := range ids {
		if ev, ok := m.evs[id]; ok {
			out[id], _ = ev.MarshalJSON()
		}
	}
	return out, nil
}

func (m *memLocal) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]error, len(evs))
	for i, ev := range evs {
		if err := event.Check(ev, event.Limits{}, time.Now()); err != nil {
			out[i] = err
			continue
		}
		if err := event.Verify(ev); err != nil {
			out[i] = err
			continue
		}
		m.evs[ev.ID] = ev
	}
	return out
}

func (m *memLocal) Subscribe(fn func(*nostr.Event, []byte)) func() { return func() {} }

// FuzzSession plays a peer that answers each message of ours with the
// next line of the input. Whatever it says, the session ends (with an
// error or not) without panicking, and only valid events are stored.
func FuzzSession(f *testing.F) {
	k := evtest.NewKey("fuzz")
	ev := k.Event(1, time.Now().Unix()-10, "hello")
	evJSON, _ := ev.MarshalJSON()
	f.Add([]byte(`["NEG-MSG","neg1","6100"]`))
	f.Add([]byte(`["NEG-ERR","neg1","blocked: no"]` + "\n" + `["NOTICE","x"]`))
	f.Add([]byte(`["NEG-MSG","neg1","610002` + ev.ID + `"]` + "\n" + `["EVENT","get2",` + string(evJSON) + `]` + "\n" + `["EOSE","get2"]`))
	f.Add([]byte(`["OK","x",true,""]` + "\n" + `not json` + "\n" + `["EVENT","live",{}]`))
	f.Add([]byte(`["NOTICE","unknown message type NEG-OPEN"]` + "\n" + `["EOSE","q2"]`))
	f.Fuzz(func(t *testing.T, script []byte) {
		ca, cb := net.Pipe()
		peer := link.Stream(cb, cb, cb, 1<<20, "fuzz peer")
		lines := bytes.Split(script, []byte("\n"))
		go func() {
			ctx := context.Background()
			for _, line := range lines {
				if _, err := peer.Read(ctx); err != nil {
					return
				}
				if len(bytes.TrimSpace(line)) > 0 && bytes.IndexByte(line, '\n') < 0 {
					peer.Write(ctx, line)
				}
			}
			peer.Close("")
		}()
		local := &memLocal{evs: map[string]*nostr.Event{}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		Run(ctx, link.Stream(ca, ca, ca, 1<<20, "fuzz"), local, Options{
			Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{Kinds: []int{1}}, Pull: true, Push: true}},
			Stall: 200 * time.Millisecond,
		})
		if ctx.Err() != nil {
			t.Fatal("the session did not end")
		}
		for id, ev := range local.evs {
			if ev.ID != id || event.Verify(ev) != nil {
				t.Fatalf("an invalid event was stored: %s", id)
			}
		}
	})
}

func TestSlicesCoverTheFilterOnce(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ts := func(v int64) *nostr.Timestamp { x := nostr.Timestamp(v); return &x }
	for _, f := range []nostr.Filter{
		{}, {Kinds: []int{1059}}, {Since: ts(now.Unix() - 7*86400)}, {Since: ts(now.Unix() - 600)},
		{Until: ts(now.Unix() - 7200)}, {Authors: []string{"x"}},
	} {
		sl := slices(f, now)
		// Every second in a wide window is covered by exactly one slice
		// when, and only when, f covers it.
		for _, at := range []int64{0, now.Unix() - 90000, now.Unix() - 86400, now.Unix() - 86399, now.Unix() - 3601, now.Unix() - 3600, now.Unix() - 1, now.Unix(), now.Unix() + 500} {
			ev := &nostr.Event{CreatedAt: nostr.Timestamp(at), Kind: 1059, PubKey: "x"}
			n := 0
			for _, g := range sl {
				if g.Matches(ev) {
					n++
				}
			}
			want := 0
			if f.Matches(ev) {
				want = 1
			}
			if n != want {
				t.Fatalf("filter %v: time %d is in %d slices, want %d (slices %v)", f, at, n, want, sl)
			}
		}
		for i := 1; i < len(sl); i++ {
			if sl[i].Until == nil || sl[i-1].Since == nil || *sl[i].Until >= *sl[i-1].Since {
				t.Fatalf("slices not newest first: %v", sl)
			}
		}
	}
}

// FuzzHandshake reads whatever the other end of a byte stream says before
// a session (a login banner, a shell's greeting, a hostile program): the
// handshake ends, with a role when a well-formed hello came in time and
// otherwise with an error that says what was wrong.
func FuzzHandshake(f *testing.F) {
	for _, s := range []string{
		`["CARAVAN-HELLO",{"version":1,"nonce":"00112233445566778899aabbccddeeff"}]`,
		"Welcome to Ubuntu\n$ \n" + `["CARAVAN-HELLO",{"version":1,"nonce":"ffffffffffffffffffffffffffffffff"}]`,
		`["CARAVAN-HELLO",{"version":2,"nonce":"00112233445566778899aabbccddeeff"}]`,
		`["CARAVAN-HELLO",{"version":1,"nonce":"short"}]`, `["CARAVAN-HELLO"]`, "", "\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		conn := link.Stream(bytes.NewReader(in), io.Discard, nil, 4<<20, "fuzz")
		_, err := Handshake(context.Background(), conn)
		switch {
		case err != nil && err.Error() == "":
			t.Fatal("an empty error")
		case err == nil && !bytes.Contains(in, []byte(helloLabel)):
			t.Fatalf("a role taken without a hello from %q", in)
		}
	})
}
