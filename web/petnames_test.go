package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
)

// The name given to a contact in the page stays on the device when the
// contact is also followed; it goes into the public follow list only when
// the user ticks the separate choice, which says that it is public, and
// the page says so afterwards too.
func TestBrowserContactNamesStayPrivate(t *testing.T) {
	t.Parallel()
	ann := startNode(t, "ann")
	b := newBrowser(t)
	b.signIn(ann)
	followList := func() string {
		t.Helper()
		r, err := localapi.Call(context.Background(), ann.API, localapi.Query,
			localapi.QueryRequest{Filters: []json.RawMessage{json.RawMessage(`{"kinds":[3]}`)}})
		if err != nil || len(r.Events) != 1 {
			t.Fatalf("Ann's follow lists: %v %v", r, err)
		}
		return string(r.Events[0])
	}
	aigerim, bolat := evtest.NewKey("aigerim").Public, evtest.NewKey("bolat").Public

	// "Also follow", and no more.
	b.show("#/contacts")
	b.typeInto("#contact-add-who", keys.PublicKey(aigerim).NPub())
	b.typeInto("#contact-add-name", "Aigerim Secretname")
	b.waitHidden("#contact-add-public-row") // offered only with a follow
	b.click("#contact-add-follow")
	b.waitVisible("#contact-add-public-row")
	b.click("#contact-add-submit")
	row := `#contacts-list li.contact[data-npub="` + keys.PublicKey(aigerim).NPub() + `"]`
	b.waitVisible(row)
	b.waitText(row, "Followed")
	if js := followList(); !strings.Contains(js, aigerim) || strings.Contains(js, "Secretname") {
		t.Fatalf("Ann's follow list: %s", js)
	}
	var badges int
	b.evalInto(`document.querySelectorAll('.contact-public-name').length`, &badges)
	if badges != 0 {
		t.Fatalf("%d contacts are marked with a public name", badges)
	}
	b.waitHidden("#contact-add-public-row") // the form starts again

	// The public choice: said before and after.
	b.typeInto("#contact-add-who", keys.PublicKey(bolat).NPub())
	b.typeInto("#contact-add-name", "Bolat")
	b.click("#contact-add-follow")
	b.waitVisible("#contact-add-public-row")
	if got := b.text("#contact-add-public-row"); !strings.Contains(got, "publish this name") || !strings.Contains(got, "public: anyone") {
		t.Errorf("the choice says %q", got)
	}
	b.shot("contact-public-name")
	b.click("#contact-add-public")
	b.click("#contact-add-submit")
	row = `#contacts-list li.contact[data-npub="` + keys.PublicKey(bolat).NPub() + `"]`
	b.waitVisible(row + " .contact-public-name")
	b.waitText(row+" .contact-public-name", "Public name: Bolat")
	b.waitText("#toasts", "is public")
	b.shot("contact-public-name-added")
	js := followList()
	if !strings.Contains(js, `["p","`+bolat+`","","Bolat"]`) || strings.Contains(js, "Secretname") {
		t.Fatalf("Ann's follow list: %s", js)
	}
	b.checkClean()
}
