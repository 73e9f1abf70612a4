package media

// Builders for the test photos: real images from Go's encoders (and, for
// WebP, files cwebp wrote; see testdata/README.md) with metadata spliced
// in the way cameras, phones and editors write it.

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

// order is a byte order that can append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// entry is a TIFF IFD entry. ASCII entries use text; the others nums.
type entry struct {
	tag, typ uint16
	text     string
	nums     []uint32
}

func ascii(tag uint16, s string) entry       { return entry{tag: tag, typ: 2, text: s} }
func short(tag uint16, v uint32) entry       { return entry{tag: tag, typ: 3, nums: []uint32{v}} }
func rational(tag uint16, v ...uint32) entry { return entry{tag: tag, typ: 5, nums: v} }
func long(tag uint16, v uint32) entry        { return entry{tag: tag, typ: 4, nums: []uint32{v}} }
func (e entry) count() int {
	return map[uint16]int{2: len(e.text) + 1, 3: len(e.nums), 4: len(e.nums), 5: len(e.nums) / 2}[e.typ]
}
func (e entry) value(bo order) []byte {
	switch e.typ {
	case 2:
		return append([]byte(e.text), 0)
	case 3:
		var b []byte
		for _, n := range e.nums {
			b = bo.AppendUint16(b, uint16(n))
		}
		return b
	}
	var b []byte
	for _, n := range e.nums {
		b = bo.AppendUint32(b, n)
	}
	return b
}

// buildTIFF lays out a TIFF block as cameras do: header, IFD0, the EXIF
// IFD and the GPS IFD (pointed to from IFD0 when not empty), then the
// values that do not fit in an entry.
func buildTIFF(bo order, ifd0, exif, gps []entry) []byte {
	ifdLen := func(es []entry) int { return 2 + 12*len(es) + 4 }
	if len(exif) > 0 {
		ifd0 = append(ifd0, long(tagExifIFD, 0))
	}
	if len(gps) > 0 {
		ifd0 = append(ifd0, long(tagGPSIFD, 0))
	}
	off0 := 8
	offExif := off0 + ifdLen(ifd0)
	offGPS := offExif
	if len(exif) > 0 {
		offGPS += ifdLen(exif)
	}
	data := offGPS
	if len(gps) > 0 {
		data += ifdLen(gps)
	}
	for i, e := range ifd0 {
		switch e.tag {
		case tagExifIFD:
			ifd0[i].nums = []uint32{uint32(offExif)}
		case tagGPSIFD:
			ifd0[i].nums = []uint32{uint32(offGPS)}
		}
	}
	var t, extra []byte
	if bo == order(binary.LittleEndian) {
		t = []byte("II*\x00")
	} else {
		t = []byte("MM\x00*")
	}
	t = bo.AppendUint32(t, uint32(off0))
	for _, es := range [][]entry{ifd0, exif, gps} {
		if len(es) == 0 {
			continue
		}
		t = bo.AppendUint16(t, uint16(len(es)))
		for _, e := range es {
			t = bo.AppendUint16(t, e.tag)
			t = bo.AppendUint16(t, e.typ)
			t = bo.AppendUint32(t, uint32(e.count()))
			v := e.value(bo)
			if len(v) <= 4 {
				t = append(t, append(v, make([]byte, 4-len(v))...)...)
			} else {
				t = bo.AppendUint32(t, uint32(data+len(extra)))
				extra = append(extra, v...)
			}
		}
		t = bo.AppendUint32(t, 0)
	}
	return append(t, extra...)
}

// phoneEXIF is what a phone writes: camera, serial number, time, GPS
// position (Almaty) and the orientation.
func phoneEXIF(bo order, orientation uint32) []byte {
	return buildTIFF(bo,
		[]entry{
			ascii(tagMake, "Caravan Phone Co"),
			ascii(tagModel, "CP-9 Pro"),
			short(tagOrientation, orientation),
			ascii(tagDateTime, "2026:01:05 18:30:00"),
		},
		[]entry{
			ascii(tagDateOriginal, "2026:01:05 18:29:59"),
			ascii(tagBodySerial, "SN-0042-7781"),
		},
		[]entry{
			ascii(1, "N"),
			rational(2, 43, 1, 14, 1, 3826, 100), // 43°14'38.26"
			ascii(3, "E"),
			rational(4, 76, 1, 56, 1, 4512, 100),
		})
}

const xmpNS = "http://ns.adobe.com/xap/1.0/"

var xmpPacket = []byte(xmpNS + "\x00<x:xmpmeta><rdf:Description photoshop:City=\"Almaty\" exif:GPSLatitude=\"43,14.6N\"/></x:xmpmeta>")

// secrets are strings from the metadata above that must not survive Strip.
var secrets = []string{"Caravan Phone", "CaravanPhone", "CP-9", "SN-0042", "2026:01:05", "Almaty", "Aigerim", xmpNS, "TRAILER"}

// testImage has a different colour in every pixel.
func testImage(w, h int) image.Image {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(x * y), 255})
		}
	}
	return m
}

func plainJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(40, 30), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSegments puts segments after a JPEG's SOI.
func withSegments(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

func exifAPP1(tiff []byte) []byte { return segment(markerAPP1, append([]byte(exifPrefix), tiff...)) }

var iccAPP2 = segment(markerAPP2, []byte("ICC_PROFILE\x00\x01\x01 a colour profile"))

func plainPNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(40, 30)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withChunks puts chunks after a PNG's IHDR.
func withChunks(p []byte, chunks ...[]byte) []byte {
	ihdrEnd := len(pngSignature) + 12 + 13
	out := append([]byte{}, p[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[ihdrEnd:]...)
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func riffChunk(fourcc string, body []byte) []byte {
	c := binary.LittleEndian.AppendUint32([]byte(fourcc), uint32(len(body)))
	c = append(c, body...)
	if len(body)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// withWebPChunks wraps a WebP's image in the extended format (VP8X, with
// the flags given) and appends chunks after it.
func withWebPChunks(w []byte, flags byte, chunks ...[]byte) []byte {
	body := w[12:]
	const alpha = 0x10
	switch {
	case string(body[:4]) == "VP8X":
		flags |= body[8] & alpha
		body = body[18:]
	case string(body[:4]) == "VP8L" && binary.LittleEndian.Uint32(body[9:])>>28&1 == 1:
		flags |= alpha
	}
	cfg, err := webpConfig(w)
	if err != nil {
		panic(err)
	}
	vp8x := []byte{flags, 0, 0, 0}
	vp8x = append(vp8x, byte(cfg.Width-1), byte((cfg.Width-1)>>8), byte((cfg.Width-1)>>16))
	vp8x = append(vp8x, byte(cfg.Height-1), byte((cfg.Height-1)>>8), byte((cfg.Height-1)>>16))
	out := append([]byte("RIFF\x00\x00\x00\x00WEBP"), riffChunk("VP8X", vp8x)...)
	out = append(out, body...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func webpConfig(w []byte) (image.Config, error) {
	return formats["image/webp"].config(bytes.NewReader(w))
}
