package phone_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// ingest signs an event as k, made at, and stores it in n as a relay
// client's would be.
func ingest(t testing.TB, n *node.Node, k feedKey, kind int, at time.Time, tags nostr.Tags, content string) *nostr.Event {
	t.Helper()
	ev := &nostr.Event{Kind: kind, CreatedAt: nostr.Timestamp(at.Unix()), Tags: tags, Content: content}
	if err := ev.Sign(k.sk); err != nil {
		t.Fatal(err)
	}
	if r := n.Ingest(context.Background(), ev)[0]; !r.OK() {
		t.Fatalf("the node refused %q: %s", content, r.Message())
	}
	return ev
}

// The Public tab in the phone page itself (the shell's index.html, CSP,
// import map, node.js, names.js, i18n.js), opened by a person who made an
// identity there: reports in the browser's language, names from the
// profiles the node holds drawn as text, and a note written in the tab
// reaching the node through the page's outbox.
func TestFeedInThePhonePage(t *testing.T) {
	tn := startNode(t)
	alice, beatriz, mallory := newFeedKey(t), newFeedKey(t), newFeedKey(t)
	now := time.Now()
	for k, name := range map[feedKey]string{alice: "Alice", beatriz: "Beatriz", mallory: `<img src=x onerror="window.pwned=1">Mallory`} {
		b, _ := json.Marshal(map[string]string{"name": name})
		ingest(t, tn.Node, k, event.KindProfile, now.Add(-time.Hour), nil, string(b))
	}
	report := func(k feedKey, at time.Time, d, lang, title, text string, extra ...nostr.Tag) *nostr.Event {
		tags := append(nostr.Tags{{"d", d}, {"title", title}, {"L", "ISO-639-1"}, {"l", lang, "ISO-639-1"}}, extra...)
		return ingest(t, tn.Node, k, event.KindReport, at, append(tags, nostr.Tag{"published_at", fmt.Sprint(at.Unix())}), text)
	}
	orig := report(alice, now.Add(-2*time.Hour), "bridge", "en", "The bridge is closed", "Since six.")
	report(beatriz, now.Add(-time.Hour), "tr-es-bridge", "es", "El puente está cerrado", "Desde las seis.",
		nostr.Tag{"a", fmt.Sprintf("%d:%s:bridge", event.KindReport, alice.pk), "", "translation-of"},
		nostr.Tag{"e", orig.ID, "", "translation-of"}, nostr.Tag{"p", alice.pk})
	ingest(t, tn.Node, mallory, event.KindTextNote, now.Add(-time.Minute), nil, `<script>window.pwned=2</script>`)

	p := newPhone(t, "ann", "es-ES")
	pk := p.createIdentity(tn, passA)
	p.show("#/public", "public")
	p.waitJS(`document.querySelectorAll('#feed-tab .feed-item').length === 2`)
	if got := p.text(".feed-report .feed-title"); got != "El puente está cerrado" {
		t.Errorf("the Spanish phone shows the report as %q", got)
	}
	// The shell learns names from profiles after the list is drawn, and
	// its api gives the tab no way to hear of them (no onNames): they
	// show at the next drawing.
	p.waitJS(fmt.Sprintf(`(JSON.parse(localStorage.getItem('caravan.phone.profiles') || '{}')[%q]?.name || '').endsWith('Mallory')`, mallory.pk))
	p.click("#feed-refresh")
	p.waitJS(`document.querySelector('.feed-note .feed-author')?.innerText === '<img src=x onerror="window.pwned=1">Mallory'`)
	if got := p.text(".feed-note .feed-text"); got != `<script>window.pwned=2</script>` {
		t.Errorf("the note shows as %q", got)
	}
	var pwned any
	p.evalInto(`window.pwned ?? null`, &pwned)
	if pwned != nil {
		t.Errorf("content ran as script: window.pwned = %v", pwned)
	}
	p.shot("public-es")

	p.click("#feed-write")
	p.typeInto("#feed-note-text", "Hay pan en la panadería.")
	p.click("#feed-publish")
	p.waitJS(`[...document.querySelectorAll('.feed-note .feed-text')].some((e) => e.innerText === 'Hay pan en la panadería.')`)
	raws, err := tn.Node.Query(context.Background(), nostr.Filter{Kinds: []int{event.KindTextNote}, Authors: []string{pk}}, 10)
	if err != nil || len(raws) != 1 || !strings.Contains(string(raws[0].JSON), "Hay pan en la panadería.") {
		t.Errorf("the node holds %d notes by the phone (%v), want the one written", len(raws), err)
	}
	p.shot("public-es-after-note")
}
