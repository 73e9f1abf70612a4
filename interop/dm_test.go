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

// TestNIP17WithNostrTools: nostr-tools sends a gift-wrapped message to a
// Caravan identity through the node's relay endpoint; the node opens it,
// and its reply, wrapped by Caravan, is opened by nostr-tools.
func TestNIP17WithNostrTools(t *testing.T) {
	n, me := interoptest.NewNode(t)
	msgs := chat.New(n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd, _, stdout := interoptest.StartNode(t, "dm.mjs", interoptest.ServeRelay(t, n), me.PubKey.Hex())
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		t.Fatal("the script printed nothing")
	}
	theirs := strings.TrimSpace(out.Text())

	// Their message arrives and opens.
	var got []chat.Message
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, got, _ = msgs.Chat(ctx, "", theirs, true)
		if len(got) > 0 {
			break
		}
	}
	if len(got) != 1 || got[0].Text != "Salem from nostr-tools! ✓" || got[0].From != theirs || got[0].Subject != "interop" {
		t.Fatalf("from nostr-tools: %+v", got)
	}
	// Our reply opens on their side.
	if _, err := msgs.Send(ctx, "", []string{theirs}, "Salem from Caravan", "", nil); err != nil {
		t.Fatal(err)
	}
	if !out.Scan() || out.Text() != "reply: Salem from Caravan" {
		t.Fatalf("nostr-tools says %q", out.Text())
	}
	cmd.Wait()
}
