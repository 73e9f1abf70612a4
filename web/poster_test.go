package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/caravan-mesh/caravan/poster"
)

// TestBrowserPoster: the settings screen says, in the UI's words, why a
// node phones cannot reach has no poster; once the node names an address
// for phones, it shows the poster and saves the page to print.
func TestBrowserPoster(t *testing.T) {
	ann := startNode(t, "Ann")
	ann.Node.Config.PhonePage = true
	b := newBrowser(t)
	b.signIn(ann)
	// The node listens on loopback: not on a network. The page asks
	// without a failed request (the browser watch would see one).
	b.show("#/settings")
	b.waitText("#poster-unavailable", "Phones cannot reach this node: it is not on a network. Start it with caravan serve --community.")

	ann.Handler.SetPosterAddress("127.0.0.1")
	b.show("#/feed")
	b.show("#/settings")
	b.waitJS(`document.querySelector('#poster-preview')?.dataset.loaded === '1'`)
	want := fmt.Sprintf("http://%s/", strings.TrimPrefix(ann.Relay, "ws://"))
	if got := b.text("#poster-url"); got != want {
		t.Errorf("the screen gives the address %q, want %q", got, want)
	}
	var size [2]int
	b.evalInto(`(() => { const i = document.querySelector('#poster-preview'); return [i.naturalWidth, i.naturalHeight]; })()`, &size)
	if size != [2]int{poster.Width, poster.Height} {
		t.Errorf("the preview is %v pixels, want the poster's %dx%d", size, poster.Width, poster.Height)
	}
	b.run("scroll to the poster", chromedp.ScrollIntoView("#settings-poster"))
	b.shot("settings-poster")

	dl := t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, waitTime)
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	b.click("#poster-save-html")
	file := waitDownload(t, dl)
	if !strings.HasSuffix(file, "caravan-poster.html") {
		t.Errorf("saved as %s", file)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), want) || !strings.Contains(string(page), "size: A4") {
		t.Errorf("the saved page does not name %s on an A4 sheet", want)
	}
	b.checkClean()
}
