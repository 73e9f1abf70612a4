package mesh_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/mesh"
)

// BenchmarkBlobTransfer moves an 8 MB attachment between two nodes over a
// real websocket on loopback (the whole path: reconciliation, the report
// event, then the blob in parts, each stored durably), against a plain
// copy of the same bytes from one file to another (with fsync) in the
// same run.
//
//	go test ./mesh -run '^$' -bench BlobTransfer -benchtime 3x
func BenchmarkBlobTransfer(b *testing.B) {
	ctx := context.Background()
	data := make([]byte, 8<<20)
	rand.Read(data)
	var syncTime, copyTime time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		alice, bob := nodetest.Person(b, "alice", ""), nodetest.Person(b, "bob", "")
		data[0] = byte(i) // a new blob each round
		sum, err := nodetest.Store(alice).PutBlob(ctx, data, "application/octet-stream")
		if err != nil {
			b.Fatal(err)
		}
		reportWithBlob(b, alice, "Video", hex.EncodeToString(sum[:]), "application/octet-stream", len(data))
		srv := httptest.NewServer(alice.NewRelay())
		url := "ws" + strings.TrimPrefix(srv.URL, "http")
		b.StartTimer()
		start := time.Now()
		p, err := meshOf(b, bob).SyncURL(ctx, url, mesh.SyncOptions{Proxy: "direct"})
		syncTime += time.Since(start)
		b.StopTimer()
		srv.Close()
		if err != nil || p.BlobsReceived != 1 {
			b.Fatalf("sync: %+v %v", p, err)
		}

		dir := b.TempDir()
		src := filepath.Join(dir, "src")
		os.WriteFile(src, data, 0o600)
		start = time.Now()
		copyFile(b, src, filepath.Join(dir, "dst"))
		copyTime += time.Since(start)
	}
	mb := float64(len(data)) / (1 << 20)
	b.ReportMetric(mb/syncTime.Seconds()*float64(b.N), "sync-MB/s")
	b.ReportMetric(mb/copyTime.Seconds()*float64(b.N), "copy-MB/s")
	b.ReportMetric(copyTime.Seconds()/syncTime.Seconds(), "sync/copy-speed")
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
	out.Close()
}
