package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// webpKeep lists the WebP chunks that make up the image.
var webpKeep = map[string]bool{
	"VP8X": true, "VP8 ": true, "VP8L": true, "ALPH": true,
	"ICCP": true, "ANIM": true, "ANMF": true,
}

// VP8X flags (WebP container specification).
const (
	vp8xEXIF = 0x08
	vp8xXMP  = 0x04
)

// stripWebP walks a WebP's RIFF chunks and copies those of the image,
// then fixes the RIFF size and the VP8X flags.
func stripWebP(data []byte) (cleaned, error) {
	var c cleaned
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return c, fmt.Errorf("no RIFF WEBP header")
	}
	size := binary.LittleEndian.Uint32(data[4:])
	if size < 4 || uint64(size) > uint64(len(data)-8) {
		return c, cut("the RIFF container", 0, uint64(size)+8, len(data))
	}
	end := 8 + int(size)
	if len(bytes.Trim(data[end:], "\x00")) > 0 {
		c.remove("data after the end of the image")
	}
	c.out = make([]byte, 0, end+8+len(orientationTIFF(1)))
	c.out = append(c.out, data[:12]...)
	flags := -1       // where the VP8X flags are in c.out
	orientation := -1 // from the first EXIF chunk that has one; -1 until then
	for i := 12; i < end; {
		if i+8 > end {
			return c, ends(end, "inside a chunk header")
		}
		fourcc := string(data[i : i+4])
		n := binary.LittleEndian.Uint32(data[i+4:])
		if uint64(n) > uint64(end-i-8) {
			return c, cut(fmt.Sprintf("the %q chunk", fourcc), i, uint64(n)+8, end)
		}
		body := data[i+8 : i+8+int(n)]
		next := min(i+8+int(n)+int(n&1), end) // chunks are padded to even lengths; tolerate a missing last pad byte
		chunk := data[i:next]
		i = next

		switch fourcc {
		case "EXIF":
			o, ok := isOrientationOnly(body)
			if !ok {
				o = c.removeEXIF(body)
			}
			if orientation < 0 && o != 0 {
				orientation = o
			}
		case "XMP ":
			c.removeXMP(body)
		default:
			if !webpKeep[fourcc] {
				c.remove(fmt.Sprintf("WebP %q chunk", fourcc))
				continue
			}
			if fourcc == "VP8X" && n > 0 && flags < 0 {
				flags = len(c.out) + 8
			}
			c.out = append(c.out, chunk...)
			if len(chunk)%2 == 1 {
				c.out = append(c.out, 0) // the missing pad byte
			}
		}
	}
	if flags >= 0 {
		c.out[flags] &^= vp8xEXIF | vp8xXMP
		if orientation >= 2 && orientation <= 8 {
			c.out[flags] |= vp8xEXIF
			c.out = append(c.out, "EXIF"...)
			c.out = binary.LittleEndian.AppendUint32(c.out, uint32(len(orientationTIFF(orientation))))
			c.out = append(c.out, orientationTIFF(orientation)...)
		}
	}
	binary.LittleEndian.PutUint32(c.out[4:], uint32(len(c.out)-8))
	return c, nil
}
