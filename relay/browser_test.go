package relay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/browsertest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/chromedp/chromedp"
)

// A page the user opens in a real browser, served from another origin,
// opens websockets to the node on loopback and asks for everything
// without reading. The browser sends Origin, so its connections count as
// one address: it gets max_connections_per_ip of them, no more.
func TestWebPageOpensFewConnections(t *testing.T) {
	browsertest.Require(t)
	s := serve(t, node.Config{Relay: relay.Limits{MaxConnectionsPerIP: 3}}, nil)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><script>
window.result = {open: 0, refused: 0};
for (let i = 0; i < 8; i++) {
  const ws = new WebSocket(%q);
  let opened = false;
  ws.onopen = () => {
    opened = true;
    window.result.open++;
    for (let q = 0; q < 8; q++) ws.send(JSON.stringify(["REQ", "q" + q, {"limit": 500}]));
  };
  ws.onclose = () => { if (!opened) window.result.refused++; };
}
</script>`, s.url)
	}))
	defer page.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, browsertest.Options(t)...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if _, err := chromedp.Run(bctx, chromedp.Navigate(page.URL)); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	type counts struct{ Open, Refused int }
	result, err := chromedp.Run(bctx, chromedp.Poll[counts](
		`window.result.open + window.result.refused == 8 && window.result`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("the page's websockets: %v", err)
	}
	if result.Open != 3 || result.Refused != 5 {
		t.Fatalf("a web page opened %d websockets to the node (%d refused), want 3 (5 refused)", result.Open, result.Refused)
	}
	if n := s.rl.Connections(); n != 3 {
		t.Fatalf("the node has %d connections from the page, want 3", n)
	}
}
