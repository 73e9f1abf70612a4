package node

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/msg"
)

// BenchmarkPanic measures how long Panic takes on a node holding 100,000
// events (or $CARAVAN_PANIC_EVENTS) and 20,000 private rows of 1 KB in its
// vault, as ms per panic. Setting the node up takes about a minute per
// iteration for 100,000 events:
//
//	go test ./node -run '^$' -bench Panic -benchtime 2x
//	CARAVAN_PANIC_EVENTS=1000000 go test ./node -run '^$' -bench Panic -benchtime 1x -timeout 30m
func BenchmarkPanic(b *testing.B) {
	ctx := context.Background()
	events := 100_000
	if v, err := strconv.Atoi(os.Getenv("CARAVAN_PANIC_EVENTS")); err == nil && v >= 1000 {
		events = v / 1000 * 1000
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		n, err := Open(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		n.kr.LogN = 4
		id, err := n.kr.New("me", "", true)
		if err != nil {
			b.Fatal(err)
		}
		evs := signed(events)
		for j := 0; j < len(evs); j += 1000 {
			n.Ingest(ctx, evs[j:j+1000]...)
		}
		vk, _ := n.kr.VaultKey("me")
		v, err := msg.OpenVault(n.st, id.PubKey.Hex(), vk)
		if err != nil {
			b.Fatal(err)
		}
		row := strings.Repeat("x", 1000)
		for j := 0; j < 20_000; j++ {
			if err := v.Put(ctx, "msg", fmt.Sprint(j), row); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		res, err := n.Panic(ctx)
		took := time.Since(start)
		b.StopTimer()
		if err != nil || res.Private != 20_000 || res.Identities != 1 {
			b.Fatalf("panic: %+v, %v", res, err)
		}
		b.ReportMetric(float64(took.Microseconds())/1000, "ms/panic")
		n.Close()
	}
}
