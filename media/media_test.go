package media

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/webp"
)

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), uint8(x * y), 255})
		}
	}
	return img
}

// exifBlock builds a little-endian TIFF block with make/model, a time, an
// orientation and a GPS IFD with a latitude, as phones write them.
func exifBlock(orientation uint16) []byte {
	le := binary.LittleEndian
	var t []byte
	u16 := func(v uint16) { t = le.AppendUint16(t, v) }
	u32 := func(v uint32) { t = le.AppendUint32(t, v) }
	t = append(t, 'I', 'I')
	u16(42)
	u32(8)
	// IFD0 at 8: 4 entries = 2+48+4 = 54 -> data at 62.
	u16(4)
	u16(0x010F) // Make, "Phone\0" at 62
	u16(2)
	u32(6)
	u32(62)
	u16(0x0112) // Orientation
	u16(3)
	u32(1)
	u16(orientation)
	u16(0)
	u16(0x0132) // DateTime, 20 bytes at 68
	u16(2)
	u32(20)
	u32(68)
	u16(0x8825) // GPS IFD at 88
	u16(4)
	u32(1)
	u32(88)
	u32(0)
	t = append(t, "Phone\x00"...)
	t = append(t, "2022:01:05 18:30:00\x00"...)
	// GPS IFD at 88: 1 entry = 2+12+4 -> data at 106
	u16(1)
	u16(2) // GPSLatitude
	u16(5)
	u32(3)
	u32(106)
	u32(0)
	for _, v := range []uint32{43, 1, 15, 1, 0, 1} {
		u32(v)
	}
	return t
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

func jpegWithMetadata(t testing.TB) (plain, tagged []byte) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	plain = buf.Bytes()
	var b []byte
	b = append(b, plain[:2]...)
	b = append(b, segment(0xE1, append([]byte("Exif\x00\x00"), exifBlock(6)...))...)
	b = append(b, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><photoshop:City>Almaty</photoshop:City></x:xmpmeta>"))...)
	b = append(b, segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01fake-profile"))...)
	b = append(b, segment(0xED, []byte("Photoshop 3.0\x008BIM byline: Aigerim"))...)
	b = append(b, segment(0xFE, []byte("shot by Aigerim"))...)
	b = append(b, plain[2:]...)
	b = append(b, []byte("SAMSUNG-TRAILER serial 1234")...)
	return plain, b
}

func samePixels(t *testing.T, a, b []byte) {
	t.Helper()
	ia, _, err := image.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ia.Bounds() != ib.Bounds() {
		t.Fatalf("bounds %v != %v", ia.Bounds(), ib.Bounds())
	}
	for y := ia.Bounds().Min.Y; y < ia.Bounds().Max.Y; y++ {
		for x := ia.Bounds().Min.X; x < ia.Bounds().Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				t.Fatalf("pixel %d,%d differs", x, y)
			}
		}
	}
}

func TestStripJPEG(t *testing.T) {
	_, tagged := jpegWithMetadata(t)
	out, info, err := Strip(tagged)
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, tagged, out)
	if !info.HadGPS || info.Width != 40 || info.Height != 30 {
		t.Errorf("info: %+v", info)
	}
	for _, want := range []string{"EXIF (camera, time, GPS position)", "XMP", "Photoshop/IPTC", "JPEG comment", "data after the end"} {
		if !strings.Contains(strings.Join(info.Removed, "|"), want) {
			t.Errorf("removed %v lacks %q", info.Removed, want)
		}
	}
	for _, gone := range []string{"Phone", "2022:01:05", "Almaty", "Aigerim", "SAMSUNG", "ns.adobe.com"} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("%q is still in the photo", gone)
		}
	}
	if !bytes.Contains(out, []byte("ICC_PROFILE")) {
		t.Error("the colour profile was removed")
	}
	// The orientation survives, alone.
	i := bytes.Index(out, []byte("Exif\x00\x00"))
	if i < 0 {
		t.Fatal("the orientation was lost")
	}
	o, what, gps := readEXIF(out[i+6:])
	if o != 6 || gps || what != "camera settings" {
		t.Errorf("kept EXIF: orientation %d, %q, gps %v", o, what, gps)
	}
	// Stripping again removes nothing more.
	again, info2, err := Strip(out)
	if err != nil || !bytes.Equal(again, out) || len(info2.Removed) != 0 {
		t.Errorf("not idempotent: %v %v", info2.Removed, err)
	}
}

func TestCleanPhotosPassUnchanged(t *testing.T) {
	plain, _ := jpegWithMetadata(t)
	out, info, err := Strip(plain)
	if err != nil || !bytes.Equal(out, plain) || len(info.Removed) != 0 || info.HadGPS {
		t.Errorf("a clean JPEG changed: %v %v", info.Removed, err)
	}
	var buf bytes.Buffer
	png.Encode(&buf, testImage())
	out, info, err = Strip(buf.Bytes())
	if err != nil || !bytes.Equal(out, buf.Bytes()) || len(info.Removed) != 0 {
		t.Errorf("a clean PNG changed: %v %v", info.Removed, err)
	}
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func pngWithMetadata(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	p := buf.Bytes()
	ihdrEnd := 8 + 12 + 13
	var b []byte
	b = append(b, p[:ihdrEnd]...)
	b = append(b, pngChunk("tEXt", []byte("Author\x00Aigerim"))...)
	b = append(b, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>Almaty</x:xmpmeta>"))...)
	b = append(b, pngChunk("eXIf", exifBlock(1))...)
	b = append(b, pngChunk("tIME", []byte{0x07, 0xE6, 1, 5, 18, 30, 0})...)
	b = append(b, p[ihdrEnd:]...)
	return b
}

func TestStripPNG(t *testing.T) {
	tagged := pngWithMetadata(t)
	out, info, err := Strip(tagged)
	if err != nil {
		t.Fatal(err)
	}
	samePixels(t, tagged, out)
	if !info.HadGPS || len(info.Removed) != 4 {
		t.Errorf("info: %+v", info)
	}
	for _, gone := range []string{"Aigerim", "Almaty", "Phone", "tIME", "eXIf"} {
		if bytes.Contains(out, []byte(gone)) {
			t.Errorf("%q is still in the PNG", gone)
		}
	}
}

// tinyWebP is a valid 1x1 lossless WebP (VP8L).
var tinyWebP, _ = hex.DecodeString("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")

func webpWithMetadata() []byte {
	chunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	vp8x := []byte{0x08 | 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0} // EXIF and XMP flags; canvas 1x1 (stored minus one)
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", vp8x)...)
	body = append(body, tinyWebP[12:]...) // the VP8L chunk
	body = append(body, chunk("EXIF", exifBlock(1))...)
	body = append(body, chunk("XMP ", []byte("<x:xmpmeta>Almaty</x:xmpmeta>"))...)
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}

func TestStripWebP(t *testing.T) {
	tagged := webpWithMetadata()
	if _, err := webp.Decode(bytes.NewReader(tagged)); err != nil {
		t.Fatalf("test image: %v", err)
	}
	out, info, err := Strip(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if !info.HadGPS || len(info.Removed) != 2 || info.Width != 1 {
		t.Errorf("info: %+v", info)
	}
	if bytes.Contains(out, []byte("Almaty")) || bytes.Contains(out, []byte("Phone")) {
		t.Error("metadata is still in the WebP")
	}
	if out[20]&0x0C != 0 {
		t.Errorf("VP8X still flags metadata: %#x", out[20])
	}
	if int(binary.LittleEndian.Uint32(out[4:])) != len(out)-8 {
		t.Error("the RIFF size is wrong")
	}
}

func TestBadImages(t *testing.T) {
	_, tagged := jpegWithMetadata(t)
	p := pngWithMetadata(t)
	badCRC := append([]byte{}, p...)
	badCRC[8+12+13+10] ^= 0xFF // inside the tEXt chunk
	hugePNG := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", []byte{0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0})...)
	hugePNG = append(hugePNG, pngChunk("IEND", nil)...)
	loopy := append([]byte{0xFF, 0xD8}, segment(0xE1, append([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00"), 0, 0, 0, 0))...)
	loopy = append(loopy, tagged[2:]...)
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"truncated JPEG", tagged[:len(tagged)/2], ErrUndecodable},
		{"truncated PNG", p[:len(p)-30], ErrUndecodable},
		{"PNG with a bad checksum", badCRC, ErrUndecodable},
		{"huge PNG", hugePNG, ErrTooLarge},
		{"truncated WebP", webpWithMetadata()[:30], ErrUndecodable},
		{"not a photo", []byte("%PDF-1.4 hello"), ErrNotPhoto},
		{"garbage after a JPEG header", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, make([]byte, 100)...), ErrUndecodable},
	}
	for _, c := range cases {
		_, _, err := Strip(c.data)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// An EXIF IFD pointing at itself is walked once.
	if _, info, err := Strip(loopy); err != nil || len(info.Removed) == 0 {
		t.Errorf("looping EXIF: %v %v", info, err)
	}
}

func TestSniff(t *testing.T) {
	plain, _ := jpegWithMetadata(t)
	for data, want := range map[string]string{
		string(plain):                   "image/jpeg",
		string(tinyWebP):                "image/webp",
		"GIF89a....":                    "image/gif",
		"%PDF-1.7\n":                    "application/pdf",
		"plain words\n":                 "text/plain; charset=utf-8",
		"\x89PNG\r\n\x1a\n\x00\x00\x00": "image/png",
	} {
		if got := Sniff([]byte(data)); got != want {
			t.Errorf("%q: %s, want %s", data[:min(len(data), 8)], got, want)
		}
	}
}

func FuzzStrip(f *testing.F) {
	plain, tagged := jpegWithMetadata(f)
	f.Add(plain)
	f.Add(tagged)
	f.Add(pngWithMetadata(f))
	f.Add(webpWithMetadata())
	f.Add(tinyWebP)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, info, err := Strip(data)
		if err != nil {
			return
		}
		after, err := Inspect(out)
		if err != nil || after.Width != info.Width || after.Height != info.Height {
			t.Fatalf("the result does not decode the same: %v", err)
		}
		if bytes.Contains(out, []byte("http://ns.adobe.com/xap/1.0/")) {
			t.Fatal("XMP survived")
		}
		if i := bytes.Index(out, []byte("Exif\x00\x00")); i >= 0 && info.MIME == "image/jpeg" {
			if _, _, gps := readEXIF(out[i+6:]); gps {
				t.Fatal("a GPS position survived")
			}
		}
		again, info2, err := Strip(out)
		if err != nil || len(info2.Removed) != 0 || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v %v", info2.Removed, err)
		}
	})
}

func FuzzInspect(f *testing.F) {
	plain, _ := jpegWithMetadata(f)
	f.Add(plain)
	f.Add(tinyWebP)
	f.Fuzz(func(t *testing.T, data []byte) {
		Inspect(data) // must not panic or hang
	})
}

// BenchmarkStripJPEG strips a 1600x1200 photo (about 2 MB) with EXIF.
func BenchmarkStripJPEG(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7919>>3) ^ byte(i)
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	p := buf.Bytes()
	data := append(append(append([]byte{}, p[:2]...), segment(0xE1, append([]byte("Exif\x00\x00"), exifBlock(6)...))...), p[2:]...)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Strip(data); err != nil {
			b.Fatal(err)
		}
	}
}
