package web_test

import (
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/localapi"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowserFlow walks what a person does, in the browser, on three
// nodes on loopback: Ann's first run, a report with a photo, its Russian
// translation, a private message to Bob that is delivered, and a bundle
// Ann makes that Carol, with no link at all, reads in Russian: Ann a
// stranger to her, then followed by one of her contacts. It saves a
// screenshot of every screen on the way.
func TestBrowserFlow(t *testing.T) {
	t.Parallel()
	ann := startNode(t, "ann", withoutIdentity())
	bob := startNode(t, "bob")
	carol := startNode(t, "carol")
	b := newBrowser(t)

	// First run: no identity yet.
	if got := b.signIn(ann); got != "welcome" {
		t.Fatalf("first run shows %q, want the welcome screen", got)
	}
	b.shot("welcome")
	b.shotPhone("welcome")
	b.clearField("#welcome-name")
	b.typeInto("#welcome-name", "ann")
	b.typeInto("#welcome-passphrase", "short")
	b.typeInto("#welcome-repeat", "different")
	b.click("#welcome-submit")
	b.waitVisible("#welcome-form .field-error:not([hidden])")
	b.shot("welcome-mismatch")
	b.clearField("#welcome-passphrase")
	b.clearField("#welcome-repeat")
	b.typeInto("#welcome-passphrase", testPassphrase)
	b.typeInto("#welcome-repeat", testPassphrase)
	b.click("#welcome-submit")
	b.waitScreen("feed")
	id, err := ann.Node.Identity("")
	if err != nil || !id.Encrypted || id.Name != "ann" {
		t.Fatalf("after the welcome screen: %+v, %v", id, err)
	}
	if err := ann.Node.CheckPassphrase("", testPassphrase); err != nil {
		t.Fatalf("the passphrase chosen in the page does not open the key: %v", err)
	}
	// The key the page made is kept encrypted only.
	nsec, err := ann.Node.ExportIdentityNSec("", testPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	nodetest.NoPlainKey(t, ann.Node.Dir, nsec)
	b.shot("feed-empty")

	// A report with a photo.
	b.show("#/write")
	b.typeInto("#write-title", "Water in Almaty")
	b.typeInto("#write-summary", "Where to find clean water")
	b.typeInto("#write-body", "The taps on **Abay avenue** work again.\n\nBring bottles.")
	b.run("attach a photo", chromedp.SetUploadFiles(chromedp.CSS("#write-photo"), []string{photo(t)}))
	b.waitVisible("#write-photos .photo-privacy")
	b.shot("write-report")
	b.shotPhone("write-report")
	b.click("#write-publish")
	b.waitScreen("report")
	b.waitText("#report-body", "Abay avenue")
	b.waitJS(`document.querySelector('#report-attachments img[src^="blob:"]')?.complete`)
	b.shot("report")
	b.shotPhone("report")
	reps, err := localapi.Call(context.Background(), ann.API, localapi.Reports, localapi.ReportsRequest{Lang: "", Author: "", Limit: 0, Order: ""})
	if err != nil || len(reps) != 1 || len(reps[0].Attach) != 1 || !reps[0].Attach[0].Held {
		t.Fatalf("reports on Ann's node: %+v, %v", reps, err)
	}
	original := reps[0]

	// Its Russian translation, side by side.
	b.click("#report-translate")
	b.waitScreen("translate")
	b.selectOption("#translate-lang", "ru")
	b.clearField("#translate-title")
	b.typeInto("#translate-title", "Вода в Алматы")
	b.clearField("#translate-body")
	b.typeInto("#translate-body", "Краны на **проспекте Абая** снова работают.")
	b.shot("translate")
	b.click("#translate-publish")
	b.waitScreen("report")
	b.waitText("#report-body", "проспекте Абая")
	b.shot("translation")
	b.show("#/report/" + original.Naddr)
	b.waitVisible(`#report-translations li.translation[data-lang="ru"]`)
	b.show("#/feed")
	b.waitVisible(`#feed-list a.feed-report[data-naddr]`)
	b.shot("feed")
	b.shotPhone("feed")

	// Bob as a contact, then a private message to him.
	bobID, _ := bob.Node.Identity("")
	b.show("#/contacts")
	b.waitJS(`document.querySelector('#my-qr')?.src?.startsWith('blob:')`)
	b.typeInto("#contact-add-who", bobID.NPub)
	b.typeInto("#contact-add-name", "Bob")
	b.click("#contact-add-submit")
	b.waitVisible(`#contacts-list li.contact[data-npub="` + bobID.NPub + `"]`)
	b.shot("contacts")
	b.shotPhone("contacts")
	b.show("#/contacts/" + bobID.NPub) // the safety number, as a link to it opens it
	b.waitVisible(".safety-number")
	b.shot("safety-number")

	b.show("#/chat/Bob")
	b.waitVisible(`#chat-info .trust-mark[data-level="contact"]`)
	b.typeInto("#chat-input", "Are you safe? Salem from Ann.")
	b.click("#chat-send")
	b.waitVisible(`#chat-messages .msg-out[data-state="queued"]`)
	b.shot("chat-queued")
	// The nodes meet: the message crosses, Bob's node opens it and sends a
	// receipt back, and the page shows it delivered without a reload.
	peer(t, ann, bob)
	b.waitVisible(`#chat-messages .msg-out[data-state="delivered"]`)
	b.shot("chat-delivered")
	b.shotPhone("chat-delivered")
	convs, err := localapi.Call(context.Background(), bob.API, localapi.Inbox, localapi.AsRequest{As: ""})
	if err != nil || len(convs) != 1 || convs[0].Last.Text != "Are you safe? Salem from Ann." {
		t.Fatalf("Bob's inbox: %+v, %v", convs, err)
	}
	b.show("#/chats")
	b.waitVisible("#chats-list a.conv")
	b.shot("chats")
	b.show("#/links")
	b.waitVisible(`#peers-list li.peer[data-url="` + bob.Relay + `"]`)
	b.shot("links")
	b.shotPhone("links")
	b.show("#/settings")
	b.waitVisible("#policy-form")
	b.waitVisible("#usage-reports")
	if got := b.text("#usage-store"); !strings.Contains(got, "of") || !strings.Contains(got, "never") {
		t.Fatalf("the store line on the settings screen says %q", got)
	}
	b.shot("settings")
	b.shotPhone("settings")

	// A bundle for Carol, who has no link to anyone. It is sealed to her
	// key (a passphrase works too, and is tested in localapi; its scrypt
	// takes most of a minute under the race detector).
	carolID, _ := carol.Node.Identity("")
	if _, err := localapi.Call(context.Background(), ann.API, localapi.AddPerson, localapi.PersonRequest{Who: carolID.NPub, Name: "Carol"}); err != nil {
		t.Fatal(err)
	}
	dl := t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, waitTime)
	_, err = chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	b.show("#/bundles")
	b.click(`#bundle-export-form input[name=to][value="` + carolID.NPub + `"]`)
	b.click("#bundle-export")
	b.waitVisible("#bundle-made .result")
	// It says who can open it: Carol, by the name Ann gave her, and no
	// passphrase.
	if got, want := b.text("#bundle-made-facts"), "Who can open it, and no one else: Carol (npub1"; !strings.Contains(got, want) || strings.Contains(got, "passphrase") {
		t.Errorf("the bundle made says %q, want %q and no passphrase", got, want)
	}
	b.shot("bundle-export")
	file := waitDownload(t, dl)

	c := newBrowser(t, withLang("ru"))
	c.signIn(carol)
	c.show("#/bundles")
	c.run("choose the bundle", chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{file}))
	c.click("#bundle-import")
	c.waitVisible("#bundle-read > *")
	c.shot("bundle-import")
	c.shotPhone("bundle-import")
	if raw, _ := nodetest.Store(carol.Node).GetRaw(context.Background(), original.ID); raw == nil {
		t.Fatal("Ann's report did not reach Carol in the bundle")
	}
	// Ann is a stranger to Carol: her report is marked and set apart.
	c.show("#/feed")
	annCard := `#feed-list a.feed-report.from-stranger[data-naddr="` + original.Naddr + `"]`
	c.waitText(annCard+` .trust-mark[data-level="stranger"]`, "незнакомец")
	c.shot("feed-after-bundle")
	c.show("#/report/" + original.Naddr)
	c.waitVisible("article.report.from-stranger #report-stranger-note")
	c.shot("report-stranger")

	// Carol follows Bob, and Bob's follow list, which names Ann, reaches
	// her: Ann is now followed by one of Carol's contacts.
	annID, _ := ann.Node.Identity("")
	bobList, err := localapi.Call(context.Background(), bob.API, localapi.Follow, localapi.FollowRequest{PubKey: annID.NPub})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Call(context.Background(), carol.API, localapi.Follow, localapi.FollowRequest{PubKey: bobID.NPub, Petname: "Bob"}); err != nil {
		t.Fatal(err)
	}
	if r := carol.Node.Ingest(context.Background(), bobList)[0]; !r.OK() {
		t.Fatal(r.Message())
	}
	c.show("#/feed")
	c.waitVisible(`#feed-list a.feed-report:not(.from-stranger)[data-naddr="` + original.Naddr + `"] .trust-mark[data-level="followed"]`)
	c.show("#/report/" + original.Naddr)
	c.waitText(`#report-meta .trust-mark[data-level="followed"]`, "в подписках у 1 вашего контакта")
	c.waitVisible(`#report-translations li.translation[data-lang="ru"] .trust-mark[data-level="followed"]`)
	c.shot("report-followed")
}

// photo writes a small JPEG and returns its path.
func photo(t *testing.T) string {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 320; x++ {
			m.Set(x, y, color.RGBA{uint8(40 + x/3), uint8(90 + y/3), 170, 255})
		}
	}
	path := filepath.Join(t.TempDir(), "taps.jpg")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, m, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitDownload waits for the browser to finish a download into dir.
func waitDownload(t *testing.T, dir string) string {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for time.Now().Before(deadline) {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				if info, err := e.Info(); err == nil && info.Size() > 0 {
					return filepath.Join(dir, e.Name())
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no download arrived in %s", dir)
	return ""
}
