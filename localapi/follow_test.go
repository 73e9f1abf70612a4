package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
)

// followList is the identity's newest kind-3 event as the API gives it to
// any client.
func followList(t *testing.T, c *Client) string {
	t.Helper()
	r, err := Call(context.Background(), c, Query, QueryRequest{Filters: []json.RawMessage{json.RawMessage(`{"kinds":[3]}`)}})
	if err != nil || len(r.Events) != 1 {
		t.Fatalf("follow lists: %v %v", r, err)
	}
	return string(r.Events[0])
}

// Names given through the API stay on the device unless the request asks
// for a public name.
func TestFollowPublishesOnlyChosenNames(t *testing.T) {
	n, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx := context.Background()
	if _, err := n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	a, b, d := evtest.NewKey("a").Public, evtest.NewKey("b").Public, evtest.NewKey("d").Public
	npub := func(k string) string { return keys.PublicKey(k).NPub() }

	// POST follow with a petname: kept here.
	if _, err := Call(ctx, c, Follow, FollowRequest{PubKey: npub(a), Petname: "Aigerim Secretname"}); err != nil {
		t.Fatal(err)
	}
	// POST people with follow: the address book's name stays in it.
	if _, err := Call(ctx, c, AddPerson, PersonRequest{Who: npub(b), Name: "Bolat Hidden", Follow: true}); err != nil {
		t.Fatal(err)
	}
	js := followList(t, c)
	for _, secret := range []string{"Secretname", "Hidden"} {
		if strings.Contains(js, secret) {
			t.Fatalf("the follow list publishes %q: %s", secret, js)
		}
	}
	if !strings.Contains(js, a) || !strings.Contains(js, b) {
		t.Fatalf("the follow list lacks the follows: %s", js)
	}

	// The explicit choice, both ways.
	if _, err := Call(ctx, c, Follow, FollowRequest{PubKey: npub(a), PublicName: "Aika"}); err != nil {
		t.Fatal(err)
	}
	p, err := Call(ctx, c, AddPerson, PersonRequest{Who: npub(d), Name: "Dana", Follow: true, PublicName: "Dana"})
	if err != nil || p.PublicName != "Dana" || !p.Followed {
		t.Fatalf("add with a public name: %+v %v", p, err)
	}
	js = followList(t, c)
	if !strings.Contains(js, `["p","`+a+`","","Aika"]`) || !strings.Contains(js, `["p","`+d+`","","Dana"]`) || strings.Contains(js, "Hidden") {
		t.Fatalf("follow list: %s", js)
	}
	people, err := Call(ctx, c, People, AsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]string{}
	for _, p := range people {
		got[p.PubKey.Hex()] = [2]string{p.Petname, p.PublicName}
	}
	if got[a] != [2]string{"Aigerim Secretname", "Aika"} || got[b] != [2]string{"Bolat Hidden", ""} || got[d] != [2]string{"Dana", "Dana"} {
		t.Fatalf("people: %v", got)
	}

	// A public name with nothing to publish it in is refused, and nothing
	// is added.
	e := evtest.NewKey("e").Public
	_, err = Call(ctx, c, AddPerson, PersonRequest{Who: npub(e), Name: "Erlan", PublicName: "Erlan"})
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != CodeInvalid || !strings.Contains(ae.Msg, "follow") {
		t.Fatalf("public name without follow: %v", err)
	}
	if _, err := n.Resolve(ctx, "", "Erlan"); !errors.Is(err, node.ErrUnknownPerson) {
		t.Fatalf("the refused contact was added: %v", err)
	}
}
