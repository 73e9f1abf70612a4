package mesh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
)

// TestCarried: a phone sends wraps to a node; /phone/v1/carried lists
// none until another node has pulled them, then both, from the records
// of what peers hold. Bad requests are answered with a precise error.
func TestCarried(t *testing.T) {
	a := openMesh(t, node.Options{})
	relayLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- a.n.Serve(ctx, node.ServeOptions{Relay: relayLn, API: apiLn, APIHandler: http.NotFoundHandler(), Token: "t", NoLAN: true})
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	wsURL := "ws://" + relayLn.Addr().String()
	endpoint := "http://" + relayLn.Addr().String() + CarriedPath

	// The phone: a page that signs in, then sends two wraps and a note.
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	ws, _, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://phone.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	read := func() []any {
		_, b, err := ws.Read(dctx)
		if err != nil {
			t.Fatal(err)
		}
		var m []any
		json.Unmarshal(b, &m)
		return m
	}
	challenge := read()[1].(string)
	phone := evtest.NewKey("phone")
	now := time.Now().Unix()
	send := func(label string, ev *nostr.Event) {
		b, _ := json.Marshal([]any{label, ev})
		if err := ws.Write(dctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		if m := read(); m[0] != "OK" || m[2] != true {
			t.Fatalf("%s: %v", label, m)
		}
	}
	send("AUTH", phone.Event(event.KindAuth, now, "", nostr.Tag{"relay", wsURL}, nostr.Tag{"challenge", challenge}))
	friend := evtest.NewKey("friend")
	var sent []string
	for i := range 2 {
		w := evtest.NewKey(fmt.Sprint("one-time ", i)).Event(event.KindGiftWrap, now, fmt.Sprint("sealed ", i), nostr.Tag{"p", friend.Public})
		send("EVENT", w)
		sent = append(sent, w.ID)
	}
	note := phone.Event(event.KindTextNote, now, "a note")
	send("EVENT", note)
	ask := append(slices.Clone(sent), note.ID, strings.Repeat("0", 64))

	carried := func() []string {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"ids": ask})
		resp, err := http.Post(endpoint, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Carried []string `json:"carried"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || got.Carried == nil {
			t.Fatalf("carried: %s %v %v", resp.Status, got, err)
		}
		return got.Carried
	}
	if got := carried(); len(got) != 0 {
		t.Fatalf("carried before any peer took them: %v", got)
	}

	// Another node pulls them (as a sync session does, by id).
	b := openMesh(t, node.Options{})
	if p, err := b.SyncURL(ctx, wsURL, SyncOptions{Proxy: "direct"}); err != nil || p.Received < 2 {
		t.Fatalf("sync: %+v %v", p, err)
	}
	for deadline := time.Now().Add(time.Minute); !slices.Equal(carried(), sent); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("carried after the sync: %v, want %v (wraps only, in the order asked)", carried(), sent)
		}
	}

	tooMany := make([]string, MaxCarriedIDs+1)
	for i := range tooMany {
		tooMany[i] = strings.Repeat("a", 64)
	}
	many, _ := json.Marshal(map[string]any{"ids": tooMany})
	for _, tc := range []struct {
		method, body string
		status       int
		want         string
	}{
		{"GET", "", 405, "/phone/v1/carried takes POST with a JSON body"},
		{"POST", "", 400, "the body is empty"},
		{"POST", "ids", 400, `the body is not {"ids": [...]}: invalid character`},
		{"POST", `{"ids": "abc"}`, 400, `"ids" must be an array of event ids, not string`},
		{"POST", `{"id": []}`, 400, `the body is not {"ids": [...]}: json: unknown field "id"`},
		{"POST", `{}`, 400, `the body has no "ids"`},
		{"POST", `{"ids": [1]}`, 400, `"ids"[0] is 1, not an event id`},
		{"POST", `{"ids": ["` + sent[0] + `", "` + strings.ToUpper(sent[0]) + `"]}`, 400, `"ids"[1] is "` + strings.ToUpper(sent[0])[:60] + `...", not an event id`},
		{"POST", `{"ids": []} {}`, 400, "the body has more after the JSON object"},
		{"POST", string(many), 400, `"ids" has 501 ids; ask about at most 500 at a time`},
		{"POST", `{"ids": ["` + strings.Repeat("a", 70<<10) + `"]}`, 413, "the body is larger than 65536 bytes"},
	} {
		req, _ := http.NewRequest(tc.method, endpoint, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(body, &e)
		if resp.StatusCode != tc.status || !strings.HasPrefix(e.Error, tc.want) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %.40q: %s %s, want %d %q", tc.method, tc.body, resp.Status, body, tc.status, tc.want)
		}
	}
}
