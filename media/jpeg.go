package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// JPEG markers (ITU T.81 table B.1).
const (
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
	markerRST0  = 0xD0
	markerRST7  = 0xD7
	markerAPP0  = 0xE0
	markerAPP1  = 0xE1
	markerAPP2  = 0xE2
	markerAPP13 = 0xED
	markerAPP14 = 0xEE
	markerAPP15 = 0xEF
	markerCOM   = 0xFE
)

// maxScans bounds the scans in a JPEG. A progressive photo has about ten;
// each scan makes the decoder visit every block of the image again, so a
// small file of thousands of empty scans over a large image would keep it
// busy for minutes.
const maxScans = 100

// jfifLen is the length of a JFIF APP0 payload without its thumbnail:
// "JFIF\0", version, units, densities, thumbnail width and height.
const jfifLen = 14

// stripJPEG walks a JPEG's segments, drops those holding metadata and
// copies the rest, with the entropy-coded data of each scan, as they are.
// It follows Go's decoder (and libjpeg) where the standard leaves room:
// bytes between segments are skipped, "\xFF" fill bytes before a marker
// are allowed, and whatever follows EOI is not part of the image.
func stripJPEG(data []byte) (cleaned, error) {
	var c cleaned
	if len(data) < 2 || data[0] != 0xFF || data[1] != markerSOI {
		return c, fmt.Errorf("no start-of-image marker")
	}
	c.out = make([]byte, 0, len(data)+len(orientationAPP1(1)))
	c.out = append(c.out, 0xFF, markerSOI)
	insertAt := len(c.out) // where the orientation goes: after SOI, or after a JFIF APP0 right after it
	orientation := -1      // from the first EXIF block that has one; -1 until then
	scans := 0
	stray := false
	for i := 2; ; {
		// Find the next marker.
		from := i
		for i < len(data) && data[i] != 0xFF {
			i++
		}
		stray = stray || i > from
		ff := i
		for i < len(data) && data[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(data) {
			return c, ends(len(data), "before the end-of-image marker")
		}
		m := data[i]
		i++
		if m == 0 {
			if i-ff > 2 { // Go's decoder takes fill bytes then 0 for a marker, and fails
				return c, fmt.Errorf("a marker 0x00 at byte %d", i-1)
			}
			stray = true // "\xFF\x00" outside a scan: skipped by decoders
			continue
		}
		switch {
		case m == markerEOI:
			c.out = append(c.out, 0xFF, markerEOI)
			if stray {
				c.remove("stray data between JPEG segments")
			}
			if len(bytes.Trim(data[i:], "\x00\xFF")) > 0 {
				c.remove("data after the end of the image (such as a second picture or a camera's trailer)")
			}
			if orientation >= 2 && orientation <= 8 {
				c.out = slices.Insert(c.out, insertAt, orientationAPP1(orientation)...)
			}
			return c, nil
		case m >= markerRST0 && m <= markerRST7: // no length; harmless outside a scan
			c.out = append(c.out, 0xFF, m)
			continue
		}
		if i+2 > len(data) {
			return c, ends(len(data), fmt.Sprintf("inside the header of segment 0x%02X", m))
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 {
			return c, fmt.Errorf("the segment 0x%02X at byte %d has an impossible length %d", m, i-2, n)
		}
		if i+n > len(data) {
			return c, cut(fmt.Sprintf("the segment 0x%02X", m), i-2, uint64(n+2), len(data))
		}
		seg := data[i-2 : i+n]
		i += n

		if m >= markerAPP0 && m <= markerAPP15 || m == markerCOM {
			keep, o := c.jpegMetadata(m, seg)
			if o != 0 && orientation < 0 {
				orientation = o
			}
			if keep != nil {
				c.out = append(c.out, keep...)
				if m == markerAPP0 && insertAt == 2 && len(c.out) == 2+len(keep) {
					insertAt = len(c.out)
				}
			}
			continue
		}
		c.out = append(c.out, seg...)
		if m != markerSOS {
			continue
		}
		if scans++; scans > maxScans {
			return c, fmt.Errorf("more than %d scans, where photos have a dozen at most", maxScans)
		}
		// Copy the entropy-coded data: everything up to the next marker
		// other than a restart marker ("\xFF\x00" is an escaped 0xFF).
		end := i
		for {
			k := bytes.IndexByte(data[end:], 0xFF)
			if k < 0 || end+k+1 >= len(data) {
				return c, ends(len(data), fmt.Sprintf("inside the image data of scan %d, before the end-of-image marker", scans))
			}
			end += k
			if b := data[end+1]; b != 0 && (b < markerRST0 || b > markerRST7) {
				break
			}
			end += 2
		}
		c.out = append(c.out, data[i:end]...)
		i = end
	}
}

// jpegMetadata decides about an APPn or COM segment: it returns the
// segment to keep (nil to drop it) and, for EXIF, the orientation.
func (c *cleaned) jpegMetadata(m byte, seg []byte) (keep []byte, orientation int) {
	payload := seg[4:]
	switch m {
	case markerAPP0:
		switch {
		case bytes.HasPrefix(payload, []byte("JFIF\x00")):
			if len(payload) < jfifLen || len(payload) == jfifLen && payload[12] == 0 && payload[13] == 0 {
				return seg, 0 // Go's decoder reads colours differently without it
			}
			c.remove("JFIF thumbnail")
			return segment(markerAPP0, append(slices.Clip(payload[:12]), 0, 0)), 0
		case bytes.HasPrefix(payload, []byte("JFXX\x00")):
			c.remove("JFIF thumbnail")
		default:
			c.remove("APP0 metadata")
		}
	case markerAPP1:
		switch {
		case bytes.HasPrefix(payload, []byte(exifPrefix)):
			tiff := payload[len(exifPrefix):]
			if o, ok := isOrientationOnly(tiff); ok {
				return nil, o // written back, unchanged, after the walk
			}
			return nil, c.removeEXIF(tiff)
		case bytes.HasPrefix(payload, []byte("http://ns.adobe.com/xap/1.0/\x00")),
			bytes.HasPrefix(payload, []byte("http://ns.adobe.com/xmp/extension/\x00")):
			c.removeXMP(payload)
		default:
			c.remove("APP1 metadata")
		}
	case markerAPP2:
		switch {
		case bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")):
			return seg, 0
		case bytes.HasPrefix(payload, []byte("MPF\x00")):
			c.remove("multi-picture index (MPF)")
		default:
			c.remove("APP2 metadata")
		}
	case markerAPP13:
		c.remove("IPTC")
	case markerAPP14:
		if bytes.HasPrefix(payload, []byte("Adobe")) {
			return seg, 0
		}
		c.remove("APP14 metadata")
	case markerCOM:
		c.remove("JPEG comment")
	default:
		c.remove(fmt.Sprintf("APP%d metadata", m-markerAPP0))
	}
	return nil, 0
}

// segment is a JPEG segment: marker, length, payload.
func segment(m byte, payload []byte) []byte {
	s := []byte{0xFF, m, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// orientationAPP1 is the EXIF APP1 segment Strip writes back: the
// orientation and nothing else.
func orientationAPP1(o int) []byte {
	return segment(markerAPP1, append([]byte(exifPrefix), orientationTIFF(o)...))
}
