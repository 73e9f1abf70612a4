package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// block is a piece of metadata in a photo.
type block struct {
	kind string // "EXIF" (data is the TIFF block), "XMP", or the segment or chunk
	data []byte
}

// metadataBlocks lists the metadata in a photo Strip returned, walking it
// independently of Strip's own code: every JPEG APPn and COM segment but
// JFIF (without a thumbnail), ICC profiles and Adobe's, every PNG
// ancillary chunk but the colour ones, every WebP chunk that is not part
// of the image, and anything after the image's end.
func metadataBlocks(t *testing.T, data []byte) []block {
	t.Helper()
	var bs []block
	switch Sniff(data) {
	case "image/jpeg":
		for i := 2; ; {
			if i+2 > len(data) || data[i] != 0xFF {
				t.Fatalf("JPEG: no marker at byte %d", i)
			}
			m := data[i+1]
			if m == markerEOI {
				if i+2 < len(data) {
					bs = append(bs, block{"trailer", data[i+2:]})
				}
				return bs
			}
			n := int(binary.BigEndian.Uint16(data[i+2:]))
			p := data[i+4 : i+2+n]
			i += 2 + n
			switch {
			case m == markerAPP1 && bytes.HasPrefix(p, []byte("Exif\x00\x00")):
				bs = append(bs, block{"EXIF", p[6:]})
			case m == markerAPP1 && bytes.Contains(p, []byte(xmpNS)):
				bs = append(bs, block{"XMP", p})
			case m == markerAPP0 && len(p) == 14 && string(p[:5]) == "JFIF\x00" && p[12] == 0 && p[13] == 0,
				m == markerAPP0 && len(p) < 14 && string(p[:min(5, len(p))]) == "JFIF\x00",
				m == markerAPP2 && bytes.HasPrefix(p, []byte("ICC_PROFILE\x00")),
				m == markerAPP14 && bytes.HasPrefix(p, []byte("Adobe")):
			case m >= markerAPP0 && m <= markerAPP15 || m == markerCOM:
				bs = append(bs, block{"segment", data[i-2-n : i]})
			case m == markerSOS:
				for i+1 < len(data) && (data[i] != 0xFF || data[i+1] == 0 || data[i+1] >= markerRST0 && data[i+1] <= markerRST7) {
					i++
				}
			}
		}
	case "image/png":
		colour := map[string]bool{"tRNS": true, "cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true, "cICP": true, "mDCv": true, "cLLi": true, "bKGD": true, "hIST": true, "pHYs": true, "sPLT": true, "acTL": true, "fcTL": true, "fdAT": true}
		for i := 8; i < len(data); {
			n := int(binary.BigEndian.Uint32(data[i:]))
			typ, body := string(data[i+4:i+8]), data[i+8:i+8+n]
			i += 12 + n
			switch {
			case typ == "eXIf":
				bs = append(bs, block{"EXIF", body})
			case typ == "IEND" && i < len(data):
				bs = append(bs, block{"trailer", data[i:]})
			case typ[0] >= 'a' && !colour[typ]:
				bs = append(bs, block{typ, body})
			}
		}
	case "image/webp":
		size := int(binary.LittleEndian.Uint32(data[4:]))
		if 8+size < len(data) {
			bs = append(bs, block{"trailer", data[8+size:]})
		}
		for i := 12; i < 8+size; {
			fourcc := string(data[i : i+4])
			n := int(binary.LittleEndian.Uint32(data[i+4:]))
			body := data[i+8 : i+8+n]
			i += 8 + n + n%2
			switch fourcc {
			case "EXIF":
				bs = append(bs, block{"EXIF", body})
			case "VP8X", "VP8 ", "VP8L", "ALPH", "ICCP", "ANIM", "ANMF":
			default:
				bs = append(bs, block{fourcc, body})
			}
		}
	}
	return bs
}

func fuzzSeeds(f *testing.F) [][]byte {
	plain := plainJPEG(f)
	le := binary.LittleEndian
	lossy := readTestdata(f, "lossy.webp")
	return [][]byte{
		plain,
		withSegments(plain, exifAPP1(phoneEXIF(le, 6)), segment(markerAPP1, xmpPacket), iccAPP2, segment(markerCOM, []byte("c"))),
		withSegments(plain, segment(markerAPP0, []byte("JFIF\x00\x01\x02\x00\x00\x48\x00\x48\x01\x01RGB")), exifAPP1(thumbnailEXIF)),
		plainPNG(f),
		withChunks(plainPNG(f), pngChunk("eXIf", phoneEXIF(binary.BigEndian, 3)), pngChunk("iTXt", append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), xmpPacket...)), pngChunk("tEXt", []byte("GPS\x00here"))),
		lossy,
		withWebPChunks(lossy, vp8xEXIF|vp8xXMP, riffChunk("EXIF", phoneEXIF(le, 6)), riffChunk("XMP ", xmpPacket)),
		readTestdata(f, "lossy-alpha.webp"),
		withWebPChunks(readTestdata(f, "lossless.webp"), vp8xEXIF, riffChunk("EXIF", phoneEXIF(le, 2))),
		readTestdata(f, "progressive-exiftool.jpg"),
		readTestdata(f, "restart.jpg"),
		readTestdata(f, "photo-exiftool.png"),
		readTestdata(f, "lossy-alpha-exiftool.webp"),
	}
}

// FuzzStrip: Strip never panics; what it returns decodes to the same
// size, holds no metadata but an orientation, and does not change again.
func FuzzStrip(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, info, err := Strip(data)
		if err != nil {
			if !errors.Is(err, ErrUndecodable) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNotPhoto) {
				t.Fatalf("an error callers cannot tell apart: %v", err)
			}
			return
		}
		m, err := formats[info.MIME].decodeAll(out)
		if err != nil {
			t.Fatalf("the result does not decode: %v", err)
		}
		if m.Bounds().Dx() != info.Width || m.Bounds().Dy() != info.Height {
			t.Fatalf("the result is %v, Info says %dx%d", m.Bounds(), info.Width, info.Height)
		}
		for _, b := range metadataBlocks(t, out) {
			x := readEXIF(b.data)
			if b.kind != "EXIF" || x.gps || x.camera || x.time || x.serial || !bytes.Equal(b.data, orientationTIFF(x.orientation)) {
				t.Fatalf("metadata left: %s %q", b.kind, b.data)
			}
			if bytes.Contains(b.data, []byte(xmpNS)) {
				t.Fatal("XMP left")
			}
		}
		again, info2, err := Strip(out)
		if err != nil || !bytes.Equal(again, out) || len(info2.Removed) != 0 || info2.HadGPS {
			t.Fatalf("a second Strip changed it: %q %v", info2.Removed, err)
		}
	})
}

// FuzzInspect: Inspect never panics, reports a size within the limit, and
// agrees with Strip about which photos are sound.
func FuzzInspect(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Inspect(data)
		if err != nil {
			if !errors.Is(err, ErrUndecodable) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("an error callers cannot tell apart: %v", err)
			}
		} else if _, ok := formats[info.MIME]; ok && (info.Width <= 0 || info.Height <= 0 || info.Width*info.Height > MaxPixels) {
			t.Fatalf("size %dx%d", info.Width, info.Height)
		}
		if !IsPhoto(info.MIME) {
			return
		}
		_, sinfo, serr := Strip(data)
		if (err == nil) != (serr == nil) {
			t.Fatalf("Inspect: %v; Strip: %v", err, serr)
		}
		if err == nil && (sinfo.Width != info.Width || sinfo.Height != info.Height) {
			t.Fatalf("Inspect: %dx%d; Strip: %dx%d", info.Width, info.Height, sinfo.Width, sinfo.Height)
		}
	})
}

// FuzzServable: Servable never panics, answers only types on the
// allow-list, looks at no more than SniffLen bytes, and never confirms a
// file that starts like markup.
func FuzzServable(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "image/png")
	}
	f.Add([]byte(hostilePage), "image/png")
	f.Add([]byte("OggS\x00"), "video/ogg")
	f.Fuzz(func(t *testing.T, data []byte, declared string) {
		typ, ok := Servable(data, declared)
		if ok != (typ != "") {
			t.Fatalf("%q, %v", typ, ok)
		}
		if _, listed := servable[typ]; ok && !listed {
			t.Fatalf("%q is not on the allow-list", typ)
		}
		if len(data) > SniffLen {
			if again, _ := Servable(data[:SniffLen], declared); again != typ {
				t.Fatalf("%q with the whole file, %q with its first %d bytes", typ, again, SniffLen)
			}
		}
		if ok && len(bytes.TrimLeft(data, " \t\r\n")) > 0 && bytes.TrimLeft(data, " \t\r\n")[0] == '<' {
			t.Fatalf("markup confirmed as %s", typ)
		}
	})
}
