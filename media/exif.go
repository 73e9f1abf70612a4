package media

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// exifFacts is what an EXIF block says about the photo and whoever took it.
type exifFacts struct {
	orientation int  // 1 to 8 from IFD0; 0 if absent or invalid
	camera      bool // make, model, lens
	serial      bool // body or lens serial number
	author      bool // artist, copyright, camera owner
	time        bool // when it was taken or changed
	gps         bool // a GPS position
	thumbnail   bool // a second, small picture (IFD1), perhaps from before an edit
}

// words describes an EXIF block for Info.Removed.
func (f exifFacts) words() string {
	var parts []string
	for _, p := range []struct {
		on   bool
		word string
	}{
		{f.camera, "camera"},
		{f.serial, "serial number"},
		{f.author, "author"},
		{f.time, "time"},
		{f.gps, "GPS position"},
		{f.thumbnail, "thumbnail"},
	} {
		if p.on {
			parts = append(parts, p.word)
		}
	}
	if len(parts) == 0 {
		return "EXIF"
	}
	return "EXIF (" + strings.Join(parts, ", ") + ")"
}

// exifPrefix starts the EXIF payload of a JPEG APP1 segment. PNG and WebP
// store the TIFF block without it, though some writers add it anyway.
const exifPrefix = "Exif\x00\x00"

// TIFF tags read by readEXIF.
const (
	tagMake         = 0x010F
	tagModel        = 0x0110
	tagOrientation  = 0x0112
	tagDateTime     = 0x0132
	tagArtist       = 0x013B
	tagCopyright    = 0x8298
	tagExifIFD      = 0x8769
	tagGPSIFD       = 0x8825
	tagDateOriginal = 0x9003
	tagDateDigital  = 0x9004
	tagOwnerName    = 0xA430
	tagBodySerial   = 0xA431
	tagLensMake     = 0xA433
	tagLensModel    = 0xA434
	tagLensSerial   = 0xA435

	gpsLatitudeRef = 1 // GPS IFD tags 1 to 4 hold the position
	gpsLongitude   = 4
	typeShort      = 3
	maxIFDs        = 8 // IFD0, EXIF, GPS, IFD1 and a few to spare
	ifdEntrySize   = 12
)

// readEXIF walks a TIFF block defensively: every offset is checked against
// the block before it is read (offsets in a hostile file point anywhere),
// each IFD is read once (IFDs can point at each other in a loop), and at
// most maxIFDs are read, so the work is bounded by the block's length.
func readEXIF(t []byte) exifFacts {
	var f exifFacts
	t = bytes.TrimPrefix(t, []byte(exifPrefix))
	if len(t) < 8 {
		return f
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return f
	}
	type ifd struct {
		off  uint32
		kind byte // '0' IFD0, '1' IFD1, 'e' EXIF, 'g' GPS
	}
	queue := []ifd{{bo.Uint32(t[4:]), '0'}}
	var seen []uint32
	for len(queue) > 0 && len(seen) < maxIFDs {
		d := queue[0]
		queue = queue[1:]
		if d.off == 0 && d.kind != '0' {
			continue
		}
		if contains(seen, d.off) {
			continue
		}
		seen = append(seen, d.off)
		if uint64(d.off)+2 > uint64(len(t)) {
			if d.kind == 'g' {
				f.gps = true // it claims a position we cannot read: say so
			}
			continue
		}
		n := int(bo.Uint16(t[d.off:]))
		first := int(d.off) + 2
		for k := range n {
			e := first + ifdEntrySize*k
			if e+ifdEntrySize > len(t) {
				break
			}
			tag, typ, val := bo.Uint16(t[e:]), bo.Uint16(t[e+2:]), bo.Uint32(t[e+8:])
			switch d.kind {
			case 'g':
				if tag >= gpsLatitudeRef && tag <= gpsLongitude {
					f.gps = true
				}
				continue
			case '1':
				f.thumbnail = true
				continue
			}
			switch tag {
			case tagOrientation:
				if d.kind == '0' && typ == typeShort {
					if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
						f.orientation = o
					}
				}
			case tagMake, tagModel, tagLensMake, tagLensModel:
				f.camera = true
			case tagBodySerial, tagLensSerial:
				f.serial = true
			case tagArtist, tagCopyright, tagOwnerName:
				f.author = true
			case tagDateTime, tagDateOriginal, tagDateDigital:
				f.time = true
			case tagExifIFD:
				queue = append(queue, ifd{val, 'e'})
			case tagGPSIFD:
				queue = append(queue, ifd{val, 'g'})
			}
		}
		if d.kind == '0' {
			if next := first + ifdEntrySize*n; next+4 <= len(t) {
				queue = append(queue, ifd{bo.Uint32(t[next:]), '1'})
			}
		}
	}
	return f
}

func contains(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// orientationTIFF is a TIFF block holding only the Orientation tag: what a
// viewer needs to show a phone photo upright, and nothing else. Strip
// writes it back in place of the EXIF it removes.
func orientationTIFF(o int) []byte {
	return []byte{
		'I', 'I', 42, 0, // little-endian TIFF
		8, 0, 0, 0, // IFD0 at 8
		1, 0, // one entry
		0x12, 0x01, typeShort, 0, 1, 0, 0, 0, byte(o), 0, 0, 0, // Orientation, SHORT, 1 value
		0, 0, 0, 0, // no next IFD
	}
}

// isOrientationOnly reports whether a TIFF block is one orientationTIFF
// wrote, so a second Strip keeps it without reporting it as removed.
func isOrientationOnly(t []byte) (int, bool) {
	if len(t) != len(orientationTIFF(0)) {
		return 0, false
	}
	o := int(t[18])
	return o, o >= 2 && o <= 8 && bytes.Equal(t, orientationTIFF(o))
}

// xmpHasGPS reports whether an XMP packet holds a position (Lightroom and
// other editors copy EXIF GPS there). XMP is removed either way.
func xmpHasGPS(x []byte) bool {
	return bytes.Contains(x, []byte("GPSLatitude")) || bytes.Contains(x, []byte("GPSLongitude"))
}
