package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// Forms send what a person typed; what the API refuses comes back next to
// the field at fault, in the API's own words.
func TestBrowserBadInput(t *testing.T) {
	t.Parallel()
	ann := startNode(t, "ann")
	ctx := context.Background()
	rep, err := reports.New(ann.Node).Publish(ctx, "", reports.Input{Title: "Roads", Lang: "en", Markdown: "The road to Shymkent is open."})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.signIn(ann)
	// The API's refusals are answers with an error status, which the
	// browser logs; that is what this test is about.
	defer b.allowErrors("the server responded with a status of 4")()

	apiSays := func(call func() error) string {
		t.Helper()
		var ae *localapi.Error
		if err := call(); !errors.As(err, &ae) {
			t.Fatalf("the API took the bad input: %v", err)
		}
		return ae.Msg
	}
	fieldSays := func(field, want string) {
		t.Helper()
		sel := field + " ~ .field-error:not([hidden])"
		b.waitVisible(sel)
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("next to %s: %q, want the API's %q", field, got, want)
		}
	}

	// A language that is no language.
	want := apiSays(func() error {
		_, err := localapi.Call(ctx, ann.API, localapi.Translate, localapi.TranslateRequest{As: "", Addr: rep.Naddr, Input: reports.Input{Title: "x", Lang: "qq", Markdown: "x"}})
		return err
	})
	b.show("#/translate/" + rep.Naddr)
	b.selectOption("#translate-lang", "*")
	b.typeInto("#translate-lang-other", "qq")
	b.clearField("#translate-title")
	b.typeInto("#translate-title", "Дороги")
	b.click("#translate-publish")
	fieldSays("#translate-lang-other", want)
	b.shot("translate-bad-language")

	// A key that is not a key.
	want = apiSays(func() error {
		_, err := localapi.Call(ctx, ann.API, localapi.AddPerson, localapi.PersonRequest{Who: "npub1notakey", Name: "x"})
		return err
	})
	b.show("#/contacts")
	b.typeInto("#contact-add-who", "npub1notakey")
	b.typeInto("#contact-add-name", "Someone")
	b.click("#contact-add-submit")
	fieldSays("#contact-add-who", want)
	b.shot("contact-bad-key")

	// A peer at an address no node answers on.
	want = apiSays(func() error {
		_, err := localapi.Call(ctx, ann.API, localapi.AddPeer, localapi.PeerRequest{URL: "http://example.org"})
		return err
	})
	b.show("#/links")
	b.typeInto("#peer-add-url", "http://example.org")
	b.click("#peer-add-submit")
	fieldSays("#peer-add-url", want)
	b.shot("peer-bad-address")

	// A file that is not a bundle. (No passphrase: its scrypt would take
	// most of the test's time under the race detector.)
	b.show("#/bundles")
	b.run("choose a photo as the bundle", chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{photo(t)}))
	b.click("#bundle-import")
	b.waitVisible("#bundle-import-form .field-error:not([hidden])")
	if got := b.text("#bundle-import-form .field-error:not([hidden])"); !strings.Contains(got, "bundle") {
		t.Errorf("importing a photo says %q", got)
	}
	b.shot("bundle-not-a-bundle")
}

// The page writes keys as npubs itself (names in chats and reports come
// as hex); its encoder must agree with go-nostr's NIP-19.
func TestBrowserNPubMatchesNIP19(t *testing.T) {
	t.Parallel()
	ann := startNode(t, "ann")
	b := newBrowser(t)
	b.signIn(ann)
	var hexes, want []string
	for i := 0; i < 64; i++ {
		pk, _ := nostr.GetPublicKey(nostr.GeneratePrivateKey())
		if i == 0 {
			pk = strings.Repeat("0", 64)
		}
		if i == 1 {
			pk = strings.Repeat("f", 64)
		}
		n, _ := nip19.EncodePublicKey(pk)
		hexes, want = append(hexes, pk), append(want, n)
	}
	list, _ := json.Marshal(hexes)
	var got []string
	b.evalInto(`import('/npub.js').then((m) => `+string(list)+`.map(m.npub))`, &got)
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("npub(%s) = %q in the page, %q in nip19", hexes[i], got[i], want[i])
		}
	}
}
