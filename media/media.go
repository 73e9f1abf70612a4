// Package media removes identifying metadata from photos before they are
// published, and checks attachments.
//
// A photo carries more than its pixels. Phones write EXIF blocks with the
// GPS position where it was taken, the time to the second, the camera's
// make, model and often serial number; editors add XMP and IPTC with names
// and places. Published with a report on a protest, the position alone can
// get the photographer, or the people in the picture, arrested. Strip
// removes all of it from JPEG, PNG and WebP photos at the container level,
// without decoding and re-encoding the pixels, so the picture loses nothing:
//
//   - JPEG: APP1 (EXIF, XMP), APP13 (Photoshop, IPTC), comments, every other
//     APPn but JFIF (APP0), the colour profile (APP2 ICC_PROFILE) and the
//     Adobe colour transform (APP14), and anything after the end of the
//     image (a second "multi-picture" image, a camera's trailer). The
//     orientation, without which a phone photo shows sideways, is kept in
//     a new EXIF block that holds nothing else.
//   - PNG: eXIf, tEXt, zTXt, iTXt, tIME and caBX (content credentials) chunks,
//     and anything after IEND.
//   - WebP: EXIF and XMP chunks (and their flags in VP8X), and anything
//     after the RIFF container.
//
// What remains is what the picture shows: faces, street signs, reflections,
// the view from a window. No software can judge that; the author must.
//
// Every image is decoded fully before and after (the size limit checked
// first, so a small file declaring a huge image cannot exhaust memory), and
// a result that does not decode to the same dimensions is an error rather
// than a damaged photo.
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	_ "image/gif" // decoders for Inspect
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"

	"golang.org/x/image/webp"
)

// MaxPixels bounds the images Inspect and Strip decode (100 megapixels,
// about 400 MB once decoded).
const MaxPixels = 100_000_000

// Errors callers can test for with errors.Is.
var (
	ErrUndecodable = errors.New("the image does not decode")
	ErrNotPhoto    = errors.New("not a JPEG, PNG or WebP photo")
	ErrTooLarge    = errors.New("the image is too large")
)

// Info describes an attachment.
type Info struct {
	MIME    string   `json:"mime"`
	Width   int      `json:"width,omitempty"`
	Height  int      `json:"height,omitempty"`
	Removed []string `json:"removed,omitempty"` // what Strip took out, in words
	HadGPS  bool     `json:"had_gps,omitempty"` // the original held a GPS position
}

// Sniff returns the MIME type of data by its content, not its name.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "image/gif"
	}
	t := http.DetectContentType(data)
	if i := strings.IndexByte(t, ';'); i >= 0 && !strings.HasPrefix(t, "text/") {
		t = t[:i]
	}
	return t
}

// IsPhoto says whether Strip handles this MIME type.
func IsPhoto(mime string) bool {
	return mime == "image/jpeg" || mime == "image/png" || mime == "image/webp"
}

func format(mime string) string {
	return strings.ToUpper(strings.TrimPrefix(mime, "image/"))
}

// Inspect checks an attachment: images must decode completely, within
// MaxPixels. Other files get their MIME type only.
func Inspect(data []byte) (Info, error) {
	info := Info{MIME: Sniff(data)}
	if !strings.HasPrefix(info.MIME, "image/") {
		return info, nil
	}
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) (image.Image, error)
	switch info.MIME {
	case "image/jpeg":
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case "image/png":
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case "image/webp":
		decodeConfig = func(b []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) }
	default:
		decodeConfig = func(b []byte) (image.Config, error) {
			c, _, err := image.DecodeConfig(bytes.NewReader(b))
			return c, err
		}
		decode = func(b []byte) (image.Image, error) {
			m, _, err := image.Decode(bytes.NewReader(b))
			return m, err
		}
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return info, fmt.Errorf("%w: %s: %v", ErrUndecodable, format(info.MIME), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return info, fmt.Errorf("%w: %s of %dx%d pixels; at most %d megapixels are accepted", ErrTooLarge, format(info.MIME), cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	img, err := decode(data)
	if err != nil {
		return info, fmt.Errorf("%w: %s (%d bytes): %v", ErrUndecodable, format(info.MIME), len(data), err)
	}
	b := img.Bounds()
	info.Width, info.Height = b.Dx(), b.Dy()
	return info, nil
}

// Strip returns the photo without its metadata, and what was removed.
func Strip(data []byte) ([]byte, Info, error) {
	info, err := Inspect(data)
	if err != nil {
		return nil, info, err
	}
	var out []byte
	var st stripped
	switch info.MIME {
	case "image/jpeg":
		out, st, err = stripJPEG(data)
	case "image/png":
		out, st, err = stripPNG(data)
	case "image/webp":
		out, st, err = stripWebP(data)
	default:
		return nil, info, fmt.Errorf("%w: it is %s", ErrNotPhoto, info.MIME)
	}
	if err != nil {
		return nil, info, fmt.Errorf("%w: %s: %v", ErrUndecodable, format(info.MIME), err)
	}
	after, err := Inspect(out)
	if err != nil || after.Width != info.Width || after.Height != info.Height {
		return nil, info, fmt.Errorf("%w: %s: removing the metadata would damage this image (%v); it was not published", ErrUndecodable, format(info.MIME), err)
	}
	info.Removed, info.HadGPS = st.removed, st.gps
	return out, info, nil
}

// stripped collects what was removed.
type stripped struct {
	removed []string
	seen    map[string]bool
	gps     bool
}

func (s *stripped) add(what string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[what] {
		s.seen[what] = true
		s.removed = append(s.removed, what)
	}
}

// JPEG

func stripJPEG(data []byte) ([]byte, stripped, error) {
	var st stripped
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, st, errors.New("no start-of-image marker")
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	orientation := 0
	insertAt := len(out) // where a minimal EXIF goes: after SOI, or after APP0
	i := 2
	for {
		if i >= len(data) {
			return nil, st, fmt.Errorf("truncated at byte %d of %d: no end-of-image marker", i, len(data))
		}
		if data[i] != 0xFF {
			return nil, st, fmt.Errorf("expected a marker at byte %d", i)
		}
		for i < len(data) && data[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(data) {
			return nil, st, fmt.Errorf("truncated at byte %d", i)
		}
		m := data[i]
		i++
		switch {
		case m == 0xD9: // EOI
			out = append(out, 0xFF, 0xD9)
			if i < len(data) && len(bytes.Trim(data[i:], "\x00")) > 0 {
				st.add("data after the end of the image (a second picture or a camera's trailer)")
			}
			if orientation > 1 {
				out = insertBytes(out, insertAt, orientationAPP1(orientation))
			}
			return out, st, nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01: // standalone markers
			out = append(out, 0xFF, m)
			continue
		}
		if i+2 > len(data) {
			return nil, st, fmt.Errorf("truncated at byte %d", i)
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, st, fmt.Errorf("a segment at byte %d claims %d bytes; only %d remain", i-2, n, len(data)-i)
		}
		seg := data[i-2 : i+n] // marker, length, payload
		payload := data[i+2 : i+n]
		i += n
		keep := true
		switch {
		case m == 0xE1: // EXIF or XMP
			keep = false
			switch {
			case bytes.HasPrefix(payload, []byte("Exif\x00")):
				o, what, gps := readEXIF(payload[6:])
				if o > 0 {
					orientation = o
				}
				st.gps = st.gps || gps
				if !bytes.Equal(seg, orientationAPP1(o)) {
					st.add("EXIF (" + what + ")") // not just our own orientation block
				}
			case bytes.HasPrefix(payload, []byte("http://ns.adobe.com/")):
				st.add("XMP")
			default:
				st.add("APP1 metadata")
			}
		case m == 0xED:
			keep = false
			st.add("Photoshop/IPTC")
		case m == 0xFE:
			keep = false
			st.add("JPEG comment")
		case m == 0xE2:
			keep = bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00"))
			if !keep {
				st.add("APP2 metadata (multi-picture or FlashPix)")
			}
		case m == 0xE0, m == 0xEE: // JFIF, Adobe
		case m >= 0xE3 && m <= 0xEF:
			keep = false
			st.add(fmt.Sprintf("APP%d metadata", m-0xE0))
		}
		if keep {
			out = append(out, seg...)
			if m == 0xE0 && insertAt == 2 {
				insertAt = len(out)
			}
		}
		if m == 0xDA { // start of scan: copy the entropy-coded data up to the next marker
			j := i
			for j+1 < len(data) && !(data[j] == 0xFF && data[j+1] != 0x00 && !(data[j+1] >= 0xD0 && data[j+1] <= 0xD7)) {
				j++
			}
			if j+1 >= len(data) {
				return nil, st, fmt.Errorf("truncated in the image data at byte %d of %d", j, len(data))
			}
			out = append(out, data[i:j]...)
			i = j
		}
	}
}

func insertBytes(b []byte, at int, ins []byte) []byte {
	out := make([]byte, 0, len(b)+len(ins))
	out = append(out, b[:at]...)
	out = append(out, ins...)
	return append(out, b[at:]...)
}

// orientationAPP1 is an APP1 segment holding an EXIF block with only the
// Orientation tag.
func orientationAPP1(o int) []byte {
	t := []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00")
	le := binary.LittleEndian
	t = le.AppendUint16(t, 1)      // one entry
	t = le.AppendUint16(t, 0x0112) // Orientation
	t = le.AppendUint16(t, 3)      // SHORT
	t = le.AppendUint32(t, 1)
	t = le.AppendUint16(t, uint16(o))
	t = le.AppendUint16(t, 0)
	t = le.AppendUint32(t, 0) // no next IFD
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(t)+2))
	return append(seg, t...)
}

// readEXIF walks a TIFF structure defensively (every offset checked, each
// IFD visited once) and reports the orientation, what the block held, and
// whether it held a GPS position.
func readEXIF(t []byte) (orientation int, what string, gps bool) {
	if len(t) < 8 {
		return 0, "damaged", false
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, "damaged", false
	}
	var camera, when bool
	visited := map[uint32]bool{}
	var walk func(off uint32, depth int)
	walk = func(off uint32, depth int) {
		if depth > 4 || visited[off] || int(off)+2 > len(t) {
			return
		}
		visited[off] = true
		n := int(bo.Uint16(t[off:]))
		for k := 0; k < n && k < 1000; k++ {
			e := int(off) + 2 + 12*k
			if e+12 > len(t) {
				return
			}
			tag := bo.Uint16(t[e:])
			typ := bo.Uint16(t[e+2:])
			val := bo.Uint32(t[e+8:])
			switch tag {
			case 0x0112:
				if typ == 3 {
					if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
						orientation = v
					}
				}
			case 0x010F, 0x0110, 0xA431, 0xA434: // make, model, serial, lens
				camera = true
			case 0x0132, 0x9003, 0x9004:
				when = true
			case 0x8825: // GPS IFD
				if int(val)+2 <= len(t) && bo.Uint16(t[val:]) > 0 {
					gps = true
				}
			case 0x8769: // EXIF IFD
				walk(val, depth+1)
			}
		}
	}
	walk(bo.Uint32(t[4:]), 0)
	var parts []string
	if camera {
		parts = append(parts, "camera")
	}
	if when {
		parts = append(parts, "time")
	}
	if gps {
		parts = append(parts, "GPS position")
	}
	if len(parts) == 0 {
		parts = append(parts, "camera settings")
	}
	return orientation, strings.Join(parts, ", "), gps
}

// PNG

var pngDrop = map[string]string{
	"eXIf": "EXIF",
	"tEXt": "PNG text chunks",
	"zTXt": "PNG text chunks",
	"iTXt": "PNG text chunks (may hold XMP)",
	"tIME": "PNG time chunk",
	"caBX": "content credentials (C2PA)",
}

func stripPNG(data []byte) ([]byte, stripped, error) {
	var st stripped
	out := make([]byte, 0, len(data))
	out = append(out, data[:8]...)
	i := 8
	for {
		if i+12 > len(data) {
			return nil, st, fmt.Errorf("truncated at byte %d of %d: no IEND chunk", i, len(data))
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		if n < 0 || n > len(data)-i-12 {
			return nil, st, fmt.Errorf("a chunk at byte %d claims %d bytes; only %d remain", i, n, len(data)-i-12)
		}
		typ := string(data[i+4 : i+8])
		chunk := data[i : i+12+n]
		if crc32.ChecksumIEEE(chunk[4:8+n]) != binary.BigEndian.Uint32(chunk[8+n:]) {
			return nil, st, fmt.Errorf("the %q chunk at byte %d is damaged (checksum mismatch)", typ, i)
		}
		i += 12 + n
		if what, drop := pngDrop[typ]; drop {
			if typ == "eXIf" {
				_, w, gps := readEXIF(chunk[8 : 8+n])
				st.gps = st.gps || gps
				what = "EXIF (" + w + ")"
			}
			st.add(what)
			continue
		}
		out = append(out, chunk...)
		if typ == "IEND" {
			if i < len(data) {
				st.add("data after the end of the image")
			}
			return out, st, nil
		}
	}
}

// WebP

func stripWebP(data []byte) ([]byte, stripped, error) {
	var st stripped
	if len(data) < 12 {
		return nil, st, errors.New("truncated RIFF header")
	}
	size := int(binary.LittleEndian.Uint32(data[4:]))
	if size < 4 || size > len(data)-8 {
		return nil, st, fmt.Errorf("the RIFF container claims %d bytes; the file has %d", size, len(data)-8)
	}
	if size+8 < len(data) {
		st.add("data after the end of the image")
	}
	body := data[12 : 8+size]
	out := make([]byte, 12, len(data))
	copy(out, data[:12])
	vp8x := -1
	for i := 0; i < len(body); {
		if i+8 > len(body) {
			return nil, st, fmt.Errorf("truncated chunk header at byte %d", 12+i)
		}
		fourcc := string(body[i : i+4])
		n := int(binary.LittleEndian.Uint32(body[i+4:]))
		if n < 0 || n > len(body)-i-8 {
			return nil, st, fmt.Errorf("the %q chunk at byte %d claims %d bytes; only %d remain", fourcc, 12+i, n, len(body)-i-8)
		}
		end := i + 8 + n + n%2
		if end > len(body) {
			end = len(body) // a missing pad byte at the very end
		}
		switch fourcc {
		case "EXIF":
			_, w, gps := readEXIF(bytes.TrimPrefix(body[i+8:i+8+n], []byte("Exif\x00\x00")))
			st.gps = st.gps || gps
			st.add("EXIF (" + w + ")")
		case "XMP ":
			st.add("XMP")
		default:
			if fourcc == "VP8X" && n >= 1 {
				vp8x = len(out) + 8
			}
			out = append(out, body[i:end]...)
		}
		i = end
	}
	if vp8x >= 0 {
		out[vp8x] &^= 0x08 | 0x04 // EXIF and XMP flags
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, st, nil
}
