package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// BenchmarkStripJPEG strips a phone-sized photo: 1600x1200 pixels of
// noise at quality 90 (about 2 MB) with a phone's EXIF. Most of the time
// goes to decoding the result in full, to check it.
func BenchmarkStripJPEG(b *testing.B) {
	m := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Pix {
		m.Pix[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := withSegments(buf.Bytes(), exifAPP1(phoneEXIF(binary.LittleEndian, 6)), segment(markerAPP1, xmpPacket))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Strip(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/1e6, "MB/photo")
}
