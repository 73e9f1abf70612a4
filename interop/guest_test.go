package interop

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/internal/interoptest"
)

// TestGuestWithNostrTools: nostr-tools, as a web page would (with an
// Origin header), is refused its gift wraps until it authenticates
// (NIP-42) with nostr-tools' own AUTH; then it reads a message from a
// Caravan identity, and its answer, sent as a guest, arrives.
func TestGuestWithNostrTools(t *testing.T) {
	n, me := interoptest.NewNode(t)
	msgs := chat.New(n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd, in, stdout := interoptest.StartNode(t, "guest.mjs", interoptest.ServeRelay(t, n), me.PubKey.Hex())
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		t.Fatal("the script printed nothing")
	}
	theirs := strings.TrimSpace(out.Text())
	if _, err := msgs.Send(ctx, "", []string{theirs}, "Salem, guest", "", nil); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("sent\n"))
	for _, want := range []string{"closed: auth-required: sealed messages (kind 1059) are served only to their recipient", "got: Salem, guest", "sent"} {
		if !out.Scan() || !strings.HasPrefix(out.Text(), want) {
			t.Fatalf("nostr-tools says %q, want %q", out.Text(), want)
		}
	}
	answered := func(got []chat.Message) bool {
		for _, m := range got {
			if m.Text == "Salem from a phone" && m.From == theirs && m.Subject == "guest" {
				return true
			}
		}
		return false
	}
	var got []chat.Message
	for deadline := time.Now().Add(30 * time.Second); !answered(got); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the guest's answer did not arrive: %+v", got)
		}
		_, got, _ = msgs.Chat(ctx, "", theirs, true)
	}
	cmd.Wait()
}
