package media

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/gif"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

type stripCase struct {
	name        string
	in          []byte
	original    []byte   // the same image without metadata, to compare pixels with
	removed     []string // Info.Removed, exactly
	gps         bool
	orientation int    // the orientation written back; 0 for none
	keep        []byte // bytes that must survive (a colour profile)
	want        []byte // the result, exactly; nil: not checked
}

// thumbnailEXIF has an orientation (8) in IFD0 and a thumbnail in IFD1.
var thumbnailEXIF = []byte("II*\x00\x08\x00\x00\x00" +
	"\x01\x00" + "\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00" + "\x1a\x00\x00\x00" + // IFD0: Orientation; IFD1 at 26
	"\x01\x00" + "\x03\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00" + "\x00\x00\x00\x00") // IFD1: Compression JPEG

func TestStripJPEG(t *testing.T) {
	plain := plainJPEG(t)
	jfifThumb := segment(markerAPP0, append([]byte("JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x02\x01"), "RGBRGB"...))
	cases := []stripCase{{
		name: "phone photo",
		in: append(withSegments(plain,
			exifAPP1(phoneEXIF(binary.LittleEndian, 6)),
			segment(markerAPP1, xmpPacket),
			iccAPP2,
			segment(markerAPP13, []byte("Photoshop 3.0\x008BIM\x04\x04 byline: Aigerim")),
			segment(markerCOM, []byte("shot by Aigerim")),
		), "\x00\x00TRAILER serial SN-0042"...),
		removed: []string{
			"EXIF (camera, serial number, time, GPS position)", "XMP", "IPTC", "JPEG comment",
			"data after the end of the image (such as a second picture or a camera's trailer)",
		},
		gps:         true,
		orientation: 6,
		keep:        iccAPP2,
	}, {
		name:    "big-endian EXIF, upright, no GPS",
		in:      withSegments(plain, exifAPP1(buildTIFF(binary.BigEndian, []entry{ascii(tagMake, "Caravan Phone Co"), short(tagOrientation, 1)}, nil, nil))),
		removed: []string{"EXIF (camera)"},
	}, {
		name:        "JFIF thumbnail, EXIF thumbnail, orientation 8",
		in:          withSegments(plain, jfifThumb, exifAPP1(thumbnailEXIF)),
		removed:     []string{"JFIF thumbnail", "EXIF (thumbnail)"},
		orientation: 8,
	}, {
		name:    "GPS IFD beyond the block, EXIF IFD pointing at IFD0",
		in:      withSegments(plain, exifAPP1([]byte("II*\x00\x08\x00\x00\x00\x02\x00\x69\x87\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00\x25\x88\x04\x00\x01\x00\x00\x00\xff\xff\xff\x7f\x08\x00\x00\x00"))),
		removed: []string{"EXIF (GPS position)"},
		gps:     true,
	}, {
		name:    "damaged EXIF, APP1 of another kind, MPF, APP5",
		in:      withSegments(plain, exifAPP1([]byte("II*")), segment(markerAPP1, []byte("something else")), segment(markerAPP2, []byte("MPF\x00II*")), segment(0xE5, []byte("x"))),
		removed: []string{"EXIF", "APP1 metadata", "multi-picture index (MPF)", "APP5 metadata"},
	}}
	// Restart markers in the image data are copied with it.
	restart := readTestdata(t, "restart.jpg")
	cases = append(cases, stripCase{
		name:        "restart markers",
		in:          withSegments(restart, exifAPP1(phoneEXIF(binary.LittleEndian, 3))),
		original:    restart,
		removed:     []string{"EXIF (camera, serial number, time, GPS position)"},
		gps:         true,
		orientation: 3,
		want:        slices.Insert(slices.Clone(restart), 4+int(binary.BigEndian.Uint16(restart[4:])), orientationAPP1(3)...), // after JFIF
	})
	// Stray bytes between segments are dropped, as decoders skip them.
	stray := withSegments(plain, segment(markerCOM, []byte("c")), []byte("\x00\x01\x02"))
	cases = append(cases, stripCase{name: "stray bytes", in: stray, removed: []string{"JPEG comment", "stray data between JPEG segments"}})
	for _, c := range cases {
		if c.original == nil {
			c.original = plain
		}
		t.Run(c.name, func(t *testing.T) { testStrip(t, c) })
	}
}

func TestStripPNG(t *testing.T) {
	plain := plainPNG(t)
	gAMA := pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F})
	pHYs := pngChunk("pHYs", []byte{0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1})
	cases := []stripCase{{
		name: "tagged",
		in: withChunks(plain,
			gAMA,
			pngChunk("tEXt", []byte("GPS\x0043.2440,76.9458")),
			pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmpPacket...)),
			pngChunk("eXIf", phoneEXIF(binary.BigEndian, 6)),
			pngChunk("tIME", []byte{0x07, 0xEA, 1, 5, 18, 30, 0}),
			pngChunk("zTXt", []byte("Author\x00\x00x\x9c\x01\x07\x00\xf8\xffAigerim\x0a\x98\x02\xd8")),
			pngChunk("caBX", []byte("c2pa manifest")),
			pHYs,
		),
		removed:     []string{"PNG text chunks (tEXt/iTXt/zTXt)", "XMP", "EXIF (camera, serial number, time, GPS position)", "PNG time chunk", "content credentials (C2PA)"},
		gps:         true,
		orientation: 6,
		keep:        append(gAMA, pHYs...),
	}, {
		name:    "text after the image data, junk after IEND",
		in:      append(slices.Insert(slices.Clone(plain), len(plain)-12, pngChunk("tEXt", []byte("Comment\x00hello"))...), "TRAILER"...),
		removed: []string{"PNG text chunks (tEXt/iTXt/zTXt)", "data after the end of the image"},
	}}
	for _, c := range cases {
		c.original = plain
		t.Run(c.name, func(t *testing.T) { testStrip(t, c) })
	}
}

func TestStripWebP(t *testing.T) {
	exif := riffChunk("EXIF", phoneEXIF(binary.LittleEndian, 6))
	xmp := riffChunk("XMP ", xmpPacket)
	var cases []stripCase
	for _, name := range []string{"lossy.webp", "lossy-alpha.webp", "lossless.webp"} {
		plain := readTestdata(t, name)
		cases = append(cases, stripCase{
			name:        name + " with EXIF and XMP",
			in:          withWebPChunks(plain, vp8xEXIF|vp8xXMP, exif, xmp),
			original:    plain,
			removed:     []string{"EXIF (camera, serial number, time, GPS position)", "XMP"},
			gps:         true,
			orientation: 6,
		}, stripCase{
			name:     name + " with XMP, an unknown chunk and trailing data",
			in:       append(withWebPChunks(plain, vp8xXMP, riffChunk("Cmnt", []byte("Aigerim")), xmp), "TRAILER"...),
			original: plain,
			removed:  []string{"data after the end of the image", `WebP "Cmnt" chunk`, "XMP"},
			gps:      true, // in the XMP
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { testStrip(t, c) })
	}
}

// TestStripExiftool strips photos tagged by exiftool (see
// testdata/README.md), an independent writer of EXIF, XMP and IPTC.
// What is left is the untagged file with the orientation added.
func TestStripExiftool(t *testing.T) {
	jpg, png, webp := readTestdata(t, "progressive.jpg"), readTestdata(t, "photo.png"), readTestdata(t, "lossy-alpha.webp")
	jfifEnd := 4 + int(binary.BigEndian.Uint16(jpg[4:]))
	wantWebP := append(slices.Clone(webp), riffChunk("EXIF", orientationTIFF(6))...)
	wantWebP[20] |= vp8xEXIF
	binary.LittleEndian.PutUint32(wantWebP[4:], uint32(len(wantWebP)-8))
	exif := "EXIF (camera, serial number, author, time, GPS position)"
	for _, c := range []stripCase{{
		name:     "progressive JPEG",
		in:       readTestdata(t, "progressive-exiftool.jpg"),
		original: jpg,
		removed:  []string{exif, "IPTC", "XMP", "JPEG comment"},
		want:     slices.Insert(slices.Clone(jpg), jfifEnd, orientationAPP1(6)...),
	}, {
		name:     "PNG",
		in:       readTestdata(t, "photo-exiftool.png"),
		original: png,
		removed:  []string{"PNG text chunks (tEXt/iTXt/zTXt)", "XMP", exif},
		want:     slices.Insert(slices.Clone(png), bytes.Index(png, []byte("IDAT"))-4, pngChunk("eXIf", orientationTIFF(6))...),
	}, {
		name:     "WebP",
		in:       readTestdata(t, "lossy-alpha-exiftool.webp"),
		original: webp,
		removed:  []string{exif, "XMP"},
		want:     wantWebP,
	}} {
		c.gps, c.orientation = true, 6
		t.Run(c.name, func(t *testing.T) { testStrip(t, c) })
	}
}

func testStrip(t *testing.T, c stripCase) {
	t.Helper()
	out, info, err := Strip(c.in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Removed, c.removed) {
		t.Errorf("removed\n%q, want\n%q", info.Removed, c.removed)
	}
	if info.HadGPS != c.gps {
		t.Errorf("HadGPS %v, want %v", info.HadGPS, c.gps)
	}
	samePixels(t, c.original, out)
	if c.want != nil && !bytes.Equal(out, c.want) {
		t.Errorf("got\n%x\nwant\n%x", out, c.want)
	}
	want, _ := Inspect(c.original)
	if info.Width != want.Width || info.Height != want.Height || info.MIME != want.MIME {
		t.Errorf("info %+v, want %+v", info, want)
	}
	for _, s := range secrets {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%q survived", s)
		}
	}
	if !bytes.Contains(out, c.keep) {
		t.Errorf("%q was removed", c.keep)
	}

	// What metadata is left is an EXIF block with the orientation alone.
	var exifs [][]byte
	for _, b := range metadataBlocks(t, out) {
		if b.kind != "EXIF" {
			t.Errorf("%s block left: %q", b.kind, b.data)
			continue
		}
		exifs = append(exifs, b.data)
	}
	switch {
	case c.orientation == 0 && len(exifs) > 0:
		t.Errorf("EXIF left: %q", exifs)
	case c.orientation != 0 && len(exifs) != 1:
		t.Errorf("%d EXIF blocks, want one with the orientation", len(exifs))
	case c.orientation != 0:
		f := readEXIF(exifs[0])
		if f.orientation != c.orientation || f.gps || f.camera || f.time || !bytes.Equal(exifs[0], orientationTIFF(c.orientation)) {
			t.Errorf("EXIF left: %+v %x", f, exifs[0])
		}
	}
	if info.MIME == "image/webp" {
		if got := binary.LittleEndian.Uint32(out[4:]); int(got) != len(out)-8 {
			t.Errorf("RIFF size %d, file %d", got, len(out))
		}
		want := byte(0)
		if c.orientation != 0 {
			want = vp8xEXIF
		}
		if string(out[12:16]) == "VP8X" && out[20]&(vp8xEXIF|vp8xXMP) != want {
			t.Errorf("VP8X flags %#x", out[20])
		}
	}

	again, info2, err := Strip(out)
	if err != nil || !bytes.Equal(again, out) || len(info2.Removed) != 0 || info2.HadGPS {
		t.Errorf("a second Strip changed it: %q %v", info2.Removed, err)
	}
}

// samePixels decodes both images and compares them.
func samePixels(t *testing.T, a, b []byte) {
	t.Helper()
	ma, err := formats[Sniff(a)].decodeAll(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := formats[Sniff(b)].decodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ma, mb) {
		t.Errorf("the pixels changed: %T %v, %T %v", ma, ma.Bounds(), mb, mb.Bounds())
	}
}

func TestCleanPhotosPassUnchanged(t *testing.T) {
	for name, data := range map[string][]byte{
		"JPEG":          plainJPEG(t),
		"progressive":   readTestdata(t, "progressive.jpg"),
		"restarts":      readTestdata(t, "restart.jpg"),
		"JPEG with ICC": withSegments(plainJPEG(t), segment(markerAPP0, []byte("JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x00\x00")), iccAPP2, segment(markerAPP14, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))),
		"PNG":           plainPNG(t),
		"lossy WebP":    readTestdata(t, "lossy.webp"),
		"WebP alpha":    readTestdata(t, "lossy-alpha.webp"),
		"lossless WebP": readTestdata(t, "lossless.webp"),
	} {
		out, info, err := Strip(data)
		if err != nil || !bytes.Equal(out, data) || len(info.Removed) != 0 || info.HadGPS {
			t.Errorf("%s: changed: %q %v", name, info.Removed, err)
		}
	}
}

// TestOrientationGolden pins the bytes Strip writes into a JPEG.
func TestOrientationGolden(t *testing.T) {
	const want = "ffe10022" + "457869660000" + "49492a0008000000" + "0100" + "120103000100000006000000" + "00000000"
	if got := hex.EncodeToString(orientationAPP1(6)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestPNGChunkGolden pins the chunk Strip writes into a PNG (its checksum
// computed with Python's zlib.crc32), and checks pngChunk, which the tests
// also build with, against the IEND every PNG ends with.
func TestPNGChunkGolden(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{hex.EncodeToString(pngChunk("IEND", nil)), "0000000049454e44ae426082"},
		{hex.EncodeToString(pngChunk("eXIf", orientationTIFF(6))), "0000001a" + "65584966" + "49492a0008000000" + "0100" + "120103000100000006000000" + "00000000" + "b7481129"},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

func TestReadEXIF(t *testing.T) {
	le := binary.LittleEndian
	for _, c := range []struct {
		name string
		tiff []byte
		want exifFacts
	}{
		{"phone, little-endian", phoneEXIF(le, 6), exifFacts{orientation: 6, camera: true, serial: true, time: true, gps: true}},
		{"phone, big-endian", phoneEXIF(binary.BigEndian, 3), exifFacts{orientation: 3, camera: true, serial: true, time: true, gps: true}},
		{"with Exif prefix", append([]byte(exifPrefix), phoneEXIF(le, 1)...), exifFacts{orientation: 1, camera: true, serial: true, time: true, gps: true}},
		{"GPS IFD with only a version", buildTIFF(le, []entry{ascii(tagArtist, "A")}, nil, []entry{long(0, 0x02020000)}), exifFacts{author: true}},
		{"orientation out of range", buildTIFF(le, []entry{short(tagOrientation, 9)}, nil, nil), exifFacts{}},
		{"orientation as LONG", buildTIFF(le, []entry{long(tagOrientation, 6)}, nil, nil), exifFacts{}},
		{"orientation in the EXIF IFD only", buildTIFF(le, nil, []entry{short(tagOrientation, 6)}, nil), exifFacts{}},
		{"IFD0 beyond the block", []byte("II*\x00\xff\xff\xff\xff"), exifFacts{}},
		{"entry count beyond the block", []byte("II*\x00\x08\x00\x00\x00\xff\xff\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"), exifFacts{orientation: 6}},
		{"IFD0 as its own IFD1 and EXIF IFD", []byte("II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00\x08\x00\x00\x00\x08\x00\x00\x00"), exifFacts{}},
		{"not TIFF", []byte("JFIF\x00\x01\x02\x03\x04"), exifFacts{}},
		{"empty", nil, exifFacts{}},
	} {
		if got := readEXIF(c.tiff); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestBadImages(t *testing.T) {
	jpg := withSegments(plainJPEG(t), exifAPP1(phoneEXIF(binary.LittleEndian, 6)))
	p := plainPNG(t)
	badCRC := slices.Clone(p)
	badCRC[len(pngSignature)+8+4] ^= 1 // in IHDR's height
	ihdr := func(w, h uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, w)
		b = binary.BigEndian.AppendUint32(b, h)
		return pngChunk("IHDR", append(b, 8, 2, 0, 0, 0))
	}
	tinyPNG := func(w, h uint32) []byte {
		b := append([]byte(pngSignature), ihdr(w, h)...)
		b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x62, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff})...)
		return append(b, pngChunk("IEND", nil)...)
	}
	sof := bytes.Index(jpg, []byte{0xFF, 0xC0})
	hugeJPEG := slices.Clone(jpg)
	copy(hugeJPEG[sof+5:], []byte{0xEA, 0x60, 0xEA, 0x60}) // 60000x60000
	manyScans := slices.Clone(jpg[:len(jpg)-2])
	for range maxScans + 1 {
		manyScans = append(manyScans, 0xFF, markerSOS, 0, 8, 1, 1, 0, 0, 0x3F, 0, 0)
	}
	manyScans = append(manyScans, 0xFF, markerEOI)
	badHuffman := slices.Clone(jpg)
	dht := bytes.Index(badHuffman, []byte{0xFF, 0xC4})
	copy(badHuffman[dht+5:], bytes.Repeat([]byte{0xFF}, 16)) // counts of codes of each length
	w := withWebPChunks(readTestdata(t, "lossy.webp"), vp8xEXIF, riffChunk("EXIF", phoneEXIF(binary.LittleEndian, 6)))
	longWebP := slices.Clone(w)
	binary.LittleEndian.PutUint32(longWebP[4:], uint32(len(w)))
	webpChunk := slices.Clone(w)
	binary.LittleEndian.PutUint32(webpChunk[bytes.LastIndex(w, []byte("EXIF"))+4:], 1<<31)

	for _, c := range []struct {
		name    string
		data    []byte
		want    error
		message string
	}{
		{"truncated JPEG", jpg[:len(jpg)/2], ErrUndecodable, "JPEG: truncated"},
		{"JPEG cut in its image data", jpg[:len(jpg)-10], ErrUndecodable, "JPEG: truncated: the file ends at byte"},
		{"JPEG cut inside its EXIF", jpg[:40], ErrUndecodable, "JPEG: truncated: the segment 0xE1 at byte 2 claims"},
		{"JPEG without SOF", []byte("\xFF\xD8\xFF\xD9"), ErrUndecodable, "JPEG"},
		{"JPEG with an impossible segment length", append([]byte("\xFF\xD8\xFF\xE1\x00\x01"), jpg[2:]...), ErrUndecodable, "JPEG"},
		{"JPEG of 60000x60000 pixels", hugeJPEG, ErrTooLarge, "JPEG of 60000x60000 pixels (3600 megapixels)"},
		{"JPEG with too many scans", manyScans, ErrUndecodable, "more than 100 scans"},
		// Go's decoder takes 0x00 after fill bytes for a marker and fails;
		// dropping it as stray data would make Strip pass what Inspect fails.
		{"JPEG with fill bytes before 0x00", append(slices.Clone(jpg[:len(jpg)-2]), 0xFF, 0xFF, 0x00, 0xFF, markerEOI), ErrUndecodable, "JPEG: a marker 0x00 at byte"},
		{"JPEG with damaged Huffman tables", badHuffman, ErrUndecodable, "JPEG: Huffman table has excessive length"},
		{"truncated PNG", p[:len(p)-20], ErrUndecodable, "PNG: truncated"},
		{"PNG with a bad checksum", badCRC, ErrUndecodable, "PNG: the IHDR chunk at byte 8 is damaged (checksum mismatch)"},
		{"PNG of 100000x100000 pixels", tinyPNG(100000, 100000), ErrTooLarge, "PNG of 100000x100000"},
		{"PNG of 9000x9000 pixels in 9 bytes", tinyPNG(9000, 9000), ErrUndecodable, "9 bytes of image data cannot hold the 243000000 bytes"},
		{"truncated WebP", w[:len(w)-10], ErrUndecodable, "WebP: truncated: the RIFF container at byte 0 claims"},
		{"WebP longer than its file", longWebP, ErrUndecodable, "WebP: truncated"},
		{"WebP chunk longer than its container", webpChunk, ErrUndecodable, `WebP: truncated: the "EXIF" chunk`},
		{"WebP header only", []byte("RIFF\x04\x00\x00\x00WEBP"), ErrUndecodable, "WebP"},
		{"text", []byte("%PDF-1.7 hello"), ErrNotPhoto, "this is application/pdf"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrNotPhoto, "image/gif"},
		{"HEIC", heic, ErrNotPhoto, "image/heic"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := Strip(c.data)
		runtime.ReadMemStats(&after)
		t.Logf("%s: %v", c.name, err)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.message) {
			t.Errorf("%s: %v, want %v with %q", c.name, err, c.want, c.message)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
			t.Errorf("%s: allocated %d bytes", c.name, n)
		}
	}
}

var heic = []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x08mdat")

func TestInspect(t *testing.T) {
	var g bytes.Buffer
	if err := gif.Encode(&g, testImage(40, 30), nil); err != nil {
		t.Fatal(err)
	}
	gifData := g.Bytes()
	for _, c := range []struct {
		name string
		data []byte
		want Info
		err  error
	}{
		{"JPEG", plainJPEG(t), Info{MIME: "image/jpeg", Width: 40, Height: 30}, nil},
		{"PNG", plainPNG(t), Info{MIME: "image/png", Width: 40, Height: 30}, nil},
		{"WebP", readTestdata(t, "lossless.webp"), Info{MIME: "image/webp", Width: 24, Height: 16}, nil},
		{"GIF", gifData, Info{MIME: "image/gif", Width: 40, Height: 30}, nil},
		{"text", []byte("Hello, world\n"), Info{MIME: "text/plain; charset=utf-8"}, nil},
		{"HEIC", heic, Info{MIME: "image/heic"}, ErrUnsupported},
		{"truncated GIF", gifData[:len(gifData)-20], Info{MIME: "image/gif"}, ErrUndecodable},
		{"truncated JPEG", plainJPEG(t)[:400], Info{MIME: "image/jpeg"}, ErrUndecodable},
	} {
		got, err := Inspect(c.data)
		if !errors.Is(err, c.err) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, err, c.want, c.err)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		data, want string
	}{
		{string(plainJPEG(t)), "image/jpeg"},
		{pngSignature, "image/png"},
		{"RIFF\x00\x00\x00\x00WEBPVP8X", "image/webp"},
		{"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wave"},
		{"GIF87a", "image/gif"},
		{string(heic), "image/heic"},
		{"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"},
		{"\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1", "image/heif"},
		{"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"},
		{"%PDF-1.7\n", "application/pdf"},
		{"plain words\n", "text/plain; charset=utf-8"},
		{"", "text/plain; charset=utf-8"},
	} {
		if got := Sniff([]byte(c.data)); got != c.want {
			t.Errorf("%q: %s, want %s", c.data[:min(len(c.data), 12)], got, c.want)
		}
	}
}

func TestGuard(t *testing.T) {
	_, err := guard(func() (image.Image, error) { panic("index out of range") })
	if err == nil || !strings.Contains(err.Error(), "the decoder failed: index out of range") {
		t.Errorf("%v", err)
	}
}

func TestIsPhoto(t *testing.T) {
	for mime, want := range map[string]bool{
		"image/jpeg": true, "image/png": true, "image/webp": true,
		"image/gif": false, "image/heic": false, "text/plain": false, "": false,
	} {
		if IsPhoto(mime) != want {
			t.Errorf("IsPhoto(%q) = %v", mime, !want)
		}
	}
}
