package phone_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// slow3G is Chrome DevTools' "Slow 3G" preset: 2 s from a request to its
// response's headers, 50 KB/s each way (its source: 400 ms round trips
// times 5, 500 kbit/s times 0.8).
var slow3G = network.Conditions{Latency: 2000, DownloadThroughput: 50_000, UploadThroughput: 50_000, ConnectionType: network.ConnectionTypeCellular3g}

// BenchmarkPhoneFirstMessage measures, in real Chromium on a phone's
// screen, a new person's way to a first message: from opening the phone
// page (nothing cached) to its welcome screen, then through making an
// identity (NIP-49's scrypt in the page), adding a contact by npub and
// writing, until the node has taken the message ("with the node"). It
// runs on DevTools' slow-3G profile and, as the baseline of the same run,
// unthrottled over loopback; the slow-3G run reports its times over the
// baseline's as ratios. first-load-bytes is what crossed the wire before
// the welcome screen showed (compressed, headers included).
//
//	go test -run '^$' -bench PhoneFirstMessage -benchtime 3x ./phone
func BenchmarkPhoneFirstMessage(b *testing.B) {
	tn := startNode(b)
	pk, err := nostr.GetPublicKey(nostr.GeneratePrivateKey())
	if err != nil {
		b.Fatal(err)
	}
	friend, _ := nip19.EncodePublicKey(pk)
	var base firstMessage
	for _, c := range []struct {
		name string
		cond *network.Conditions
	}{{"loopback", nil}, {"slow3G", &slow3G}} {
		b.Run(c.name, func(b *testing.B) {
			var sum firstMessage
			for i := 0; i < b.N; i++ {
				sum.add(firstMessageOnce(b, tn, friend, c.cond))
			}
			avg := sum.div(b.N)
			b.ReportMetric(float64(avg.bytes), "first-load-bytes")
			b.ReportMetric(ms(avg.loaded), "ms-to-welcome")
			b.ReportMetric(ms(avg.sent), "ms-to-sent")
			b.ReportMetric(ms(avg.sent-avg.identity), "ms-to-sent-without-scrypt")
			if c.cond == nil {
				base = avg
				return
			}
			if base.sent > 0 {
				b.ReportMetric(float64(avg.loaded)/float64(base.loaded), "welcome-x-loopback")
				b.ReportMetric(float64(avg.sent)/float64(base.sent), "sent-x-loopback")
			}
		})
	}
}

// firstMessage is one way to a first message: the bytes of the first
// load, and the times from opening the page to the welcome screen, to an
// identity made (of which scrypt is most) and to the message taken.
type firstMessage struct {
	bytes                  int64
	loaded, identity, sent time.Duration
}

func (f *firstMessage) add(g firstMessage) {
	f.bytes += g.bytes
	f.loaded += g.loaded
	f.identity += g.identity - g.loaded
	f.sent += g.sent
}

func (f firstMessage) div(n int) firstMessage {
	d := time.Duration(n)
	return firstMessage{bytes: f.bytes / int64(n), loaded: f.loaded / d, identity: f.identity / d, sent: f.sent / d}
}

// emulateNetworkConditions is Network.emulateNetworkConditions, which
// this Chromium takes (it refuses emulateNetworkConditionsByRule's
// parameters) and cdproto no longer lists.
var emulateNetworkConditions = cdp.Command[emulateParams, struct{}]{Method: "Network.emulateNetworkConditions"}

type emulateParams struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func firstMessageOnce(b *testing.B, tn *testNode, friend string, cond *network.Conditions) firstMessage {
	b.StopTimer()
	p := newPhone(b, "bench", "en-US")
	if cond != nil {
		p.run("throttle the network", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Call(ctx, emulateNetworkConditions, emulateParams{Latency: cond.Latency, DownloadThroughput: cond.DownloadThroughput, UploadThroughput: cond.UploadThroughput})
			return chromedp.Void{}, err
		})
	}
	b.StartTimer()
	start := time.Now()
	var f firstMessage
	p.open(tn.Base + "/")
	p.waitScreen("welcome")
	f.loaded = time.Since(start)
	p.mu.Lock()
	f.bytes = p.received
	p.mu.Unlock()
	p.click("#start-create")
	p.waitScreen("create")
	p.typeInto("#pass1", passA)
	p.typeInto("#pass2", passA)
	p.click("#create-go")
	p.waitScreen("backup")
	f.identity = time.Since(start)
	p.click("#backup-done")
	p.waitScreen("chats")
	p.addContact(friend, "Friend")
	p.click("#write")
	p.waitScreen("chat")
	id := p.send("Salem! Are you safe?")
	p.waitState(id, "node")
	f.sent = time.Since(start)
	b.StopTimer()
	return f
}
