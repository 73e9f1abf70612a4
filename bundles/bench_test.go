package bundles

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/node"
)

// strangerNode opens a node whose policy carries any number of strangers'
// events (the benchmark's authors are strangers).
func strangerNode(b *testing.B) *node.Node {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, node.ConfigFile), []byte(`{"policy":{"strangers":{"events":10000000,"bytes":100000000000},"stranger_window":"87600h"}}`), 0o600)
	n, err := node.Open(dir, node.Options{})
	if err != nil {
		b.Fatal(err)
	}
	kr := nodehost.Of(n).Keys
	kr.LogN = 4
	if _, err := kr.New("bench", "", true); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close() })
	return n
}

// BenchmarkBundle100k exports b.N events (run with -benchtime 100000x) to
// a bundle and imports it into an empty node, and measures in the same
// run the baselines: reading the same events' JSON from the store (bounds
// export) and ingesting them directly (bounds import). It reports rates,
// the ratios to the baselines, and the bundle's size against the raw JSON
// and against gzip of the raw JSON.
func BenchmarkBundle100k(b *testing.B) {
	ctx := context.Background()
	evs := evtest.Notes(b.N)
	src := strangerNode(b)
	for i := 0; i < len(evs); i += 1000 {
		for _, r := range src.Ingest(ctx, evs[i:min(i+1000, len(evs))]...) {
			if !r.OK() {
				b.Fatal(r.Message())
			}
		}
	}
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}

	// Baseline for export: read every event's JSON.
	start := time.Now()
	var raw bytes.Buffer
	for i := 0; i < len(ids); i += 500 {
		m, err := nodehost.Of(src).Store.RawMany(ctx, ids[i:min(i+500, len(ids))])
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range ids[i:min(i+500, len(ids))] {
			raw.Write(m[id])
			raw.WriteByte('\n')
		}
	}
	readTime := time.Since(start)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()

	dst := strangerNode(b)
	to, _ := nodehost.Of(dst).Keys.Get("")
	path := filepath.Join(b.TempDir(), "bundle.bin")
	b.ResetTimer()
	start = time.Now()
	made, err := New(src).Export(ctx, Export{Path: path, To: []string{to.PubKey.Hex()}})
	if err != nil {
		b.Fatal(err)
	}
	exportTime := time.Since(start)
	start = time.Now()
	got, err := New(dst).Import(ctx, Import{Paths: []string{path}})
	if err != nil {
		b.Fatal(err)
	}
	importTime := time.Since(start)
	b.StopTimer()
	if made.Events != len(evs) || got.Stored != len(evs) || got.Lost.Any() {
		b.Fatalf("exported %d, imported %d of %d (%+v)", made.Events, got.Stored, len(evs), got.Lost)
	}

	// Baseline for import: ingest the same events directly.
	base := strangerNode(b)
	start = time.Now()
	for i := 0; i < len(evs); i += 1000 {
		base.Ingest(ctx, evs[i:min(i+1000, len(evs))]...)
	}
	ingestTime := time.Since(start)

	n := float64(len(evs))
	mb := float64(raw.Len()) / 1e6
	b.ReportMetric(n/exportTime.Seconds(), "export-events/s")
	b.ReportMetric(mb/exportTime.Seconds(), "export-MB/s")
	b.ReportMetric(readTime.Seconds()/exportTime.Seconds(), "export/read-ratio")
	b.ReportMetric(n/importTime.Seconds(), "import-events/s")
	b.ReportMetric(mb/importTime.Seconds(), "import-MB/s")
	b.ReportMetric(ingestTime.Seconds()/importTime.Seconds(), "import/ingest-ratio")
	b.ReportMetric(float64(made.Bytes)/float64(raw.Len()), "bundle/json")
	b.ReportMetric(float64(gz.Len())/float64(raw.Len()), "gzip/json")
}
