package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
)

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngKeep lists the ancillary PNG chunks Strip keeps: those that say how to
// show the pixels. Critical chunks (IHDR, PLTE, IDAT, IEND) are always kept.
var pngKeep = map[string]bool{
	"tRNS": true, "cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true,
	"sRGB": true, "cICP": true, "mDCv": true, "cLLi": true, "bKGD": true,
	"hIST": true, "pHYs": true, "sPLT": true,
	"acTL": true, "fcTL": true, "fdAT": true, // APNG
}

// pngWords names the chunks Strip removes most often.
var pngWords = map[string]string{
	"tEXt": "PNG text chunks (tEXt/iTXt/zTXt)",
	"zTXt": "PNG text chunks (tEXt/iTXt/zTXt)",
	"iTXt": "PNG text chunks (tEXt/iTXt/zTXt)",
	"tIME": "PNG time chunk",
	"caBX": "content credentials (C2PA)",
}

// maxDeflateRatio is the most deflate can compress: 258 bytes in 2 bits.
// A PNG with less image data than its size needs by this ratio cannot
// decode, and is refused before its pixels are allocated.
const maxDeflateRatio = 1032

// stripPNG walks a PNG's chunks, verifying each checksum, and copies the
// critical ones and those in pngKeep as they are.
func stripPNG(data []byte) (cleaned, error) {
	var c cleaned
	if !bytes.HasPrefix(data, []byte(pngSignature)) {
		return c, fmt.Errorf("no PNG signature")
	}
	c.out = make([]byte, 0, len(data)+12+len(orientationTIFF(1)))
	c.out = append(c.out, pngSignature...)
	orientation := -1 // from the first eXIf that has one; -1 until then
	firstIDAT := -1   // where the image data starts in c.out
	var minBytes, idat uint64
	for i := len(pngSignature); ; {
		if i+12 > len(data) {
			return c, ends(len(data), "before the IEND chunk")
		}
		n := binary.BigEndian.Uint32(data[i:])
		typ := string(data[i+4 : i+8])
		if !isLetters(typ) {
			return c, fmt.Errorf("damaged chunk header at byte %d (type %q)", i, typ)
		}
		if uint64(n) > uint64(len(data)-i-12) {
			return c, cut(fmt.Sprintf("the %s chunk", typ), i, uint64(n)+12, len(data))
		}
		chunk := data[i : i+12+int(n)]
		body := chunk[8 : 8+n]
		if crc32.ChecksumIEEE(chunk[4:8+n]) != binary.BigEndian.Uint32(chunk[8+n:]) {
			return c, fmt.Errorf("the %s chunk at byte %d is damaged (checksum mismatch)", typ, i)
		}
		at := i
		i += len(chunk)

		switch {
		case typ == "IHDR" && n == 13 && at == len(pngSignature):
			minBytes = pngMinBytes(body)
		case typ == "IDAT":
			if firstIDAT < 0 {
				firstIDAT = len(c.out)
			}
			idat += uint64(n)
		case typ == "IEND":
			c.out = append(c.out, chunk...)
			if i < len(data) {
				c.remove("data after the end of the image")
			}
			if minBytes/maxDeflateRatio > idat+64 {
				return c, fmt.Errorf("%d bytes of image data cannot hold the %d bytes of pixels the header declares", idat, minBytes)
			}
			if orientation >= 2 && orientation <= 8 && firstIDAT >= 0 {
				c.out = slices.Insert(c.out, firstIDAT, pngChunk("eXIf", orientationTIFF(orientation))...)
			}
			return c, nil
		case typ == "eXIf":
			o, ok := isOrientationOnly(body)
			if !ok {
				o = c.removeEXIF(body)
			}
			if orientation < 0 && o != 0 {
				orientation = o
			}
			continue
		case typ == "tEXt" || typ == "zTXt" || typ == "iTXt":
			key, text, _ := bytes.Cut(body, []byte{0})
			if typ == "iTXt" && string(key) == "XML:com.adobe.xmp" {
				c.removeXMP(text)
				continue
			}
			c.gps = c.gps || bytes.Contains(bytes.ToLower(key), []byte("gps")) || xmpHasGPS(text)
			c.remove(pngWords[typ])
			continue
		case typ[0]&0x20 != 0 && !pngKeep[typ]: // ancillary
			what := pngWords[typ]
			if what == "" {
				what = "PNG " + typ + " chunk"
			}
			c.remove(what)
			continue
		}
		c.out = append(c.out, chunk...)
	}
}

// pngMinBytes is how many bytes the pixels of an image with this IHDR take
// at least, before compression; 0 if the header is not one Go decodes.
func pngMinBytes(ihdr []byte) uint64 {
	w, h := uint64(binary.BigEndian.Uint32(ihdr)), uint64(binary.BigEndian.Uint32(ihdr[4:]))
	if w*h > MaxPixels {
		return 0 // refused for its size already
	}
	channels := map[byte]uint64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ihdr[9]]
	return w * h * channels * uint64(ihdr[8]) / 8
}

// pngChunk is a PNG chunk with its checksum.
func pngChunk(typ string, body []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, typ...)
	c = append(c, body...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func isLetters(s string) bool {
	for i := range len(s) {
		if b := s[i] | 0x20; b < 'a' || b > 'z' {
			return false
		}
	}
	return true
}
