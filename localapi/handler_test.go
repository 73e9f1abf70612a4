package localapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

func serveTest(t *testing.T) (*node.Node, *httptest.Server) {
	t.Helper()
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(n, "secret-token"))
	t.Cleanup(func() { srv.Close(); n.Close() })
	return n, srv
}

func TestAPIRefusesStrangers(t *testing.T) {
	_, srv := serveTest(t)
	cases := []struct {
		name   string
		mod    func(r *http.Request)
		status int
	}{
		{"no token", func(r *http.Request) {}, http.StatusUnauthorized},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, http.StatusUnauthorized},
		{"other origin", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Header.Set("Origin", "https://evil.example")
		}, http.StatusForbidden},
		{"rebound host name", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Host = "evil.example:7448"
		}, http.StatusForbidden},
		{"another site", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden},
		{"another port of this host", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Header.Set("Sec-Fetch-Site", "same-site")
		}, http.StatusForbidden},
		{"token without Bearer", func(r *http.Request) { r.Header.Set("Authorization", "secret-token") }, http.StatusUnauthorized},
		{"good", func(r *http.Request) { r.Header.Set("Authorization", "Bearer secret-token") }, http.StatusOK},
		{"typed into the address bar", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Header.Set("Sec-Fetch-Site", "none")
		}, http.StatusOK},
		{"same origin", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Header.Set("Origin", "http://"+r.Host)
		}, http.StatusOK},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/status", nil)
		c.mod(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, body, c.status)
		}
	}
}

func TestClientErrorsMapToSentinels(t *testing.T) {
	_, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx := context.Background()
	if _, err := Call(ctx, c, Post, PostRequest{Kind: 1, Content: "x"}); !errors.Is(err, keys.ErrNoIdentity) {
		t.Fatalf("post without identity: %v", err)
	}
	if _, err := Call(ctx, c, NewIdentity, NewIdentityRequest{Name: "me"}); !errors.Is(err, keys.ErrNeedPassphrase) {
		t.Fatalf("identity without passphrase: %v", err)
	}
	if _, err := Call(ctx, c, NewIdentity, NewIdentityRequest{Name: "me", Passphrase: "pw"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Call(ctx, c, Lock, Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Call(ctx, c, Post, PostRequest{Kind: 1, Content: "x"}); !errors.Is(err, keys.ErrLocked) {
		t.Fatalf("post while locked: %v", err)
	}
	if _, err := Call(ctx, c, Unlock, UnlockRequest{Name: "", Passphrase: "bad"}); !errors.Is(err, keys.ErrBadPassphrase) {
		t.Fatalf("bad unlock: %v", err)
	}
	if _, err := Call(ctx, c, Event, EventRequest{ID: strings.Repeat("0", 64)}); !errors.Is(err, node.ErrNotFound) {
		t.Fatalf("missing event: %v", err)
	}
	var ae *Error
	if _, err := QueryEvents(ctx, c, nostr.Filter{Authors: []string{"zz"}}); !errors.As(err, &ae) || ae.Code != CodeInvalid && ae.Code != CodeRefused {
		t.Fatalf("bad filter: %v", err)
	}
}

func TestPublishSignedEvent(t *testing.T) {
	n, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx := context.Background()
	ev := &nostr.Event{Kind: 1, CreatedAt: nostr.Now(), Content: "from elsewhere", Tags: nostr.Tags{}}
	ev.Sign(nostr.GeneratePrivateKey())
	r, err := Call(ctx, c, Publish, EventJSON(ev))
	if err != nil || !r.OK {
		t.Fatalf("publish: %+v %v", r, err)
	}
	if got, _ := nodetest.Store(n).Get(ctx, ev.ID); got == nil {
		t.Fatal("published event not stored")
	}
	ev.Content = "tampered"
	if r, _ := Call(ctx, c, Publish, EventJSON(ev)); r.OK || !strings.HasPrefix(r.Message, "invalid:") {
		t.Fatalf("tampered event: %+v", r)
	}
}

func TestFollowChatStreams(t *testing.T) {
	n, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	friend := nostr.GeneratePrivateKey()
	fpk, _ := nostr.GetPublicKey(friend)
	got := make(chan string, 10)
	go c.FollowChat(ctx, "", fpk, func(m chat.Message) { got <- m.Text + "/" + m.State })
	// The stream is open before we write; wait until it is registered.
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := Call(ctx, c, DM, DMRequest{To: []string{fpk}, Text: "first"}); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			if s != "first/queued" {
				t.Fatalf("streamed %q", s)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing streamed")
		}
	}
}
