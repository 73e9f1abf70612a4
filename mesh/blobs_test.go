package mesh_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// cutConn closes the link after limit bytes have been written through it.
type cutConn struct {
	net.Conn
	left *atomic.Int64
}

func (c cutConn) Write(p []byte) (int, error) {
	if c.left.Add(-int64(len(p))) < 0 {
		c.Conn.Close()
		return 0, io.ErrClosedPipe
	}
	return c.Conn.Write(p)
}

// meetCut syncs a and b over a pipe that breaks after limit bytes.
func meetCut(t *testing.T, a, b *node.Node, limit int64) {
	t.Helper()
	ca, cb := net.Pipe()
	left := &atomic.Int64{}
	left.Store(limit)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c := cutConn{ca, left}
		meshOf(t, a).SyncStream(ctx, link.Stream(c, c, c, 4<<20, "b"), mesh.SyncOptions{})
	}()
	go func() {
		defer wg.Done()
		c := cutConn{cb, left}
		meshOf(t, b).SyncStream(ctx, link.Stream(c, c, c, 4<<20, "a"), mesh.SyncOptions{})
	}()
	wg.Wait()
}

func TestBlobsFollowReportsAndResume(t *testing.T) {
	ctx := context.Background()
	alice := nodetest.Person(t, "alice", "")
	bob := nodetest.Person(t, "bob", "")
	photo := make([]byte, 700_000)
	rand.Read(photo)
	sum, err := nodetest.Store(alice).PutBlob(ctx, photo, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	x := hex.EncodeToString(sum[:])
	reportWithBlob(t, alice, "Photo", x, "image/jpeg", len(photo))

	// Sessions cut ever later: each keeps what arrived, none starts over.
	var lastHave int64
	for limit := int64(150_000); ; limit += 150_000 {
		meetCut(t, alice, bob, limit)
		if _, held, _ := nodetest.Store(bob).BlobInfo(ctx, x); held {
			break
		}
		ws, _ := nodetest.Store(bob).WantedBlobs(ctx, 10)
		if len(ws) == 1 {
			if ws[0].Have < lastHave {
				t.Fatalf("the transfer went back from %d to %d bytes", lastHave, ws[0].Have)
			}
			lastHave = ws[0].Have
		}
		if limit > 3_000_000 {
			t.Fatal("the blob never arrived")
		}
	}
	if lastHave == 0 {
		t.Error("no cut fell inside the blob transfer; the test proves nothing about resuming")
	}
	got, _ := nodetest.Store(bob).Blob(ctx, sum[:])
	if !bytes.Equal(got, photo) {
		t.Fatal("the blob arrived damaged")
	}
}

// reportWithBlob publishes, as n's default identity, a report (NIP-23)
// whose imeta tag names the blob x, as package reports writes it.
func reportWithBlob(t testing.TB, n *node.Node, title, x, mime string, size int) *nostr.Event {
	t.Helper()
	ev, err := n.Publish(context.Background(), "", &nostr.Event{Kind: event.KindReport, Content: "see the attachment", Tags: nostr.Tags{
		{"d", x[:16]}, {"title", title}, {"L", "ISO-639-1"}, {"l", "en", "ISO-639-1"},
		{"imeta", "url https://blossom.invalid/" + x, "x " + x, "m " + mime, "size " + strconv.Itoa(size)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// meshOf is the mesh of n.
func meshOf(t testing.TB, n *node.Node) *mesh.Service {
	t.Helper()
	m, err := mesh.New(n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
