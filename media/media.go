// Package media removes identifying metadata from photos before they are
// published, and checks attachments.
//
// # The threat
//
// A photo carries more than its pixels. A phone writes an EXIF block with
// the GPS position where the photo was taken, the date and time to the
// second, the make and model of the camera and often its serial number,
// which ties every photo from one phone together. Editors add XMP and IPTC
// with names, places and the editing history. Many files hold a thumbnail,
// which can show the picture as it was before it was cropped or a face was
// blurred. Published with a report on a protest, any of these can get the
// photographer, or the people in the picture, arrested.
//
// # What Strip removes
//
// Strip works on the container (segments and chunks) and never decodes and
// re-encodes the pixels, so the picture loses nothing:
//
//   - JPEG: APP1 (EXIF with its thumbnail, XMP), APP13 (Photoshop, IPTC),
//     comments, the thumbnail in a JFIF header (or JFXX), every other APPn
//     segment but JFIF (APP0), the colour profile (APP2 ICC_PROFILE) and
//     Adobe's colour transform (APP14), which are needed to show the right
//     colours; bytes between segments; and anything after the end of the
//     image (a second "multi-picture" image, a camera's trailer).
//   - PNG: eXIf, tEXt, zTXt, iTXt and tIME, and every other ancillary chunk
//     but those that say how to show the pixels (tRNS, cHRM, gAMA, iCCP,
//     sBIT, sRGB, cICP, mDCv, cLLi, bKGD, hIST, pHYs, sPLT and the APNG
//     chunks); and anything after IEND.
//   - WebP: the EXIF and XMP chunks (and their flags in VP8X), chunks that
//     are not part of the image, and anything after the RIFF container.
//
// A photo's EXIF orientation decides which way up it is shown; dropping it
// would turn phone photos sideways. When it is not 1, Strip writes back an
// EXIF block holding only the orientation (see orientationTIFF): in a JPEG
// as an APP1 segment after SOI (and JFIF), in a PNG as an eXIf chunk before
// the image data, in a WebP with a VP8X header as an EXIF chunk at the end.
//
// Every result is decoded in full before it is returned, and one that does
// not decode to the original's dimensions is an error, not a damaged photo.
//
// # What remains
//
// What the picture shows: faces, tattoos, street signs, shop names,
// reflections in windows and glasses, the view from a balcony. Nothing here
// looks at the pixels; judging them is the author's responsibility, and the
// interface should say so. Also left: the colour profile (which names a
// colour space, sometimes the device family, not the device), the pixel
// density, the file's size and the encoder's choices (quantisation tables,
// chroma subsampling), which can hint at the kind of phone. The file's
// name is not part of its content and is the caller's to clean.
//
// GIFs are checked by Inspect but not stripped (IsPhoto is false): they
// are rarely photos, though they can hold comments and XMP. HEIC and AVIF,
// which iPhones and some Android phones write with the same EXIF, are
// recognised by Sniff but can be neither checked nor stripped here, so
// Inspect refuses them with ErrUnsupported rather than let them be
// published with their GPS position; so too BMP, ICO and other images it
// cannot decode.
//
// # Serving files to a browser
//
// A blob's declared type is whatever its uploader, or the event that
// names it, said; its bytes can be anything. A page of HTML with a script,
// declared image/png and served as text/html (or sniffed as HTML by the
// browser), would run in the origin that served it: the node's, which
// also serves the web UI and the download page. So every path that gives
// a stored file to a browser (Blossom on the relay port, the local API,
// the static site) asks Servable: a file is shown as itself only when its
// first bytes confirm a media type on a short allow-list of images, audio,
// video and PDF; anything else is a download of bytes
// (application/octet-stream, Content-Disposition: attachment, or a .bin
// file). SVG is not on the list: it is a document that can carry script.
// ServeHeaders sets the response headers that go with it.
//
// # Damaged and hostile files
//
// A file whose structure is damaged (cut short, a segment longer than the
// file, a PNG chunk whose checksum fails) is refused with ErrUndecodable,
// saying where. Images are never decoded before their dimensions are
// checked against MaxPixels, so a small file that declares a huge image
// cannot exhaust memory; a PNG must also hold enough compressed data for
// its size, and a JPEG may have at most 100 scans. Apart from the decoded
// image, which MaxPixels bounds, no buffer is sized by a length field in
// the file beyond the file's own length. A decoder that panics on hostile
// input is reported as ErrUndecodable.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/image/webp"
)

// MaxPixels bounds the images Inspect and Strip decode: 100 megapixels,
// above what phones write by default. A decoded image takes 1.5 to 4 bytes
// a pixel (8 for a 16-bit PNG), so up to 400 MB at the limit, and a
// progressive JPEG needs 6 to 16 bytes a pixel more while it is decoded.
const MaxPixels = 100_000_000

// Errors callers can test for with errors.Is. The messages wrapping them
// say which format and what failed.
var (
	// ErrUndecodable: the image is damaged, truncated or not what its
	// first bytes say.
	ErrUndecodable = errors.New("image does not decode")
	// ErrNotPhoto: Strip was given something other than a JPEG, PNG or
	// WebP.
	ErrNotPhoto = errors.New("not a JPEG, PNG or WebP photo")
	// ErrTooLarge: the image declares more than MaxPixels.
	ErrTooLarge = errors.New("image too large")
	// ErrUnsupported: an image format that can be neither checked nor
	// stripped here (HEIC, AVIF, BMP, ICO...).
	ErrUnsupported = errors.New("image format not supported")
)

// Info describes an attachment.
type Info struct {
	// MIME is sniffed from the content, not the file name.
	MIME string `json:"mime"`
	// Width and Height are the image's, 0 for other files.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Removed says in words what Strip took out, such as
	// "EXIF (camera, time, GPS position)" or "JPEG comment". Empty when
	// the photo was clean.
	Removed []string `json:"removed,omitempty"`
	// HadGPS: the original held a GPS position, in EXIF, XMP or a PNG
	// text chunk named for it (set by Strip only). A GPS block Strip
	// cannot read counts as a position.
	HadGPS bool `json:"had_gps,omitempty"`
}

// format is what this package knows of one image format.
type format struct {
	name   string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
	strip  func([]byte) (cleaned, error) // nil: Strip does not handle it
}

var formats = map[string]format{
	"image/jpeg": {"JPEG", jpeg.DecodeConfig, jpeg.Decode, stripJPEG},
	"image/png":  {"PNG", png.DecodeConfig, png.Decode, stripPNG},
	"image/webp": {"WebP", webp.DecodeConfig, webp.Decode, stripWebP},
	"image/gif":  {"GIF", gif.DecodeConfig, gif.Decode, nil},
}

// Sniff returns the MIME type of data by its content, not its name:
// image/jpeg, image/png, image/webp, image/gif, image/heic, image/heif or
// image/avif, or else http.DetectContentType's answer.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\xFF\xD8\xFF")):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte(pngSignature)):
		return "image/png"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "image/gif"
	}
	if t := sniffHEIF(data); t != "" {
		return t
	}
	return http.DetectContentType(data)
}

// sniffHEIF recognises the ISO base media file format's still images by
// the brands in their leading ftyp box. http.DetectContentType calls them
// application/octet-stream, which would let an iPhone's photo through with
// its GPS position.
func sniffHEIF(data []byte) string {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return ""
	}
	n := min(int(data[0])<<24|int(data[1])<<16|int(data[2])<<8|int(data[3]), len(data), 256)
	var t string
	for i := 8; i+4 <= n; i += 4 {
		if i == 12 {
			continue // minor version, not a brand
		}
		switch string(data[i : i+4]) {
		case "avif", "avis":
			return "image/avif"
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs":
			t = "image/heic"
		case "mif1", "msf1":
			if t == "" {
				t = "image/heif"
			}
		}
	}
	return t
}

// IsPhoto reports whether Strip handles this MIME type: JPEG, PNG, WebP.
func IsPhoto(mime string) bool {
	f, ok := formats[mime]
	return ok && f.strip != nil
}

// Inspect checks an attachment. An image must decode completely, within
// MaxPixels; its size is reported. Other files get their MIME type only.
func Inspect(data []byte) (Info, error) {
	info := Info{MIME: Sniff(data)}
	f, ok := formats[info.MIME]
	if !ok {
		if strings.HasPrefix(info.MIME, "image/") {
			return info, unsupported(info.MIME)
		}
		return info, nil
	}
	if _, err := f.check(data); err != nil {
		return info, err
	}
	if f.strip != nil {
		// The container walk finds damage the decoders report vaguely
		// ("unexpected EOF"), and says where.
		if _, err := f.strip(data); err != nil {
			return info, f.undecodable(err)
		}
	}
	m, err := f.decodeAll(data)
	if err != nil {
		return info, f.undecodable(err)
	}
	info.Width, info.Height = m.Bounds().Dx(), m.Bounds().Dy()
	return info, nil
}

// Strip returns the photo without its metadata, and what was removed. It
// handles JPEG, PNG and WebP (see IsPhoto); anything else is ErrNotPhoto.
func Strip(data []byte) ([]byte, Info, error) {
	info := Info{MIME: Sniff(data)}
	f := formats[info.MIME]
	if f.strip == nil {
		return nil, info, fmt.Errorf("%w: this is %s", ErrNotPhoto, info.MIME)
	}
	cfg, err := f.check(data)
	if err != nil {
		return nil, info, err
	}
	c, err := f.strip(data)
	if err != nil {
		return nil, info, f.undecodable(err)
	}
	m, err := f.decodeAll(c.out)
	if err != nil {
		if _, err := f.decodeAll(data); err != nil {
			return nil, info, f.undecodable(err) // it was damaged already
		}
		return nil, info, fmt.Errorf("%w: %s: removing the metadata would damage this image (%v); it was left as it was", ErrUndecodable, f.name, err)
	}
	if w, h := m.Bounds().Dx(), m.Bounds().Dy(); w != cfg.Width || h != cfg.Height {
		return nil, info, fmt.Errorf("%w: %s: the image is %dx%d pixels after removing the metadata, %dx%d before; it was left as it was", ErrUndecodable, f.name, w, h, cfg.Width, cfg.Height)
	}
	info.Width, info.Height = cfg.Width, cfg.Height
	info.Removed, info.HadGPS = c.removed, c.gps
	return c.out, info, nil
}

// check reads the image's dimensions and holds them to MaxPixels, before
// anything is decoded.
func (f format) check(data []byte) (image.Config, error) {
	cfg, err := guard(func() (image.Config, error) { return f.config(bytes.NewReader(data)) })
	if err != nil {
		if f.strip != nil {
			if _, werr := f.strip(data); werr != nil {
				err = werr // says where
			}
		}
		return cfg, f.undecodable(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, f.undecodable(fmt.Errorf("it declares %dx%d pixels", cfg.Width, cfg.Height))
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return cfg, fmt.Errorf("%w: %s of %dx%d pixels (%d megapixels); at most %d megapixels are accepted: scale it down first", ErrTooLarge, f.name, cfg.Width, cfg.Height, int64(cfg.Width)*int64(cfg.Height)/1_000_000, MaxPixels/1_000_000)
	}
	return cfg, nil
}

func (f format) decodeAll(data []byte) (image.Image, error) {
	return guard(func() (image.Image, error) { return f.decode(bytes.NewReader(data)) })
}

func (f format) undecodable(err error) error {
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "truncated: the file ends before the image does"
	}
	for _, prefix := range []string{"invalid JPEG format: ", "png: invalid format: ", "png: ", "webp: ", "gif: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return fmt.Errorf("%w: %s: %s", ErrUndecodable, f.name, msg)
}

func unsupported(mime string) error {
	name := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(mime, "image/"), "x-"))
	hint := "convert it to JPEG or PNG first"
	switch mime {
	case "image/heic", "image/heif", "image/avif":
		hint = "convert it to JPEG first: its metadata, often with the GPS position, cannot be removed here"
	}
	return fmt.Errorf("%w: %s: %s", ErrUnsupported, name, hint)
}

// guard runs a decoder, turning a panic on hostile input into an error:
// one bad attachment must not take the node down.
func guard[T any](decode func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the decoder failed: %v", r)
		}
	}()
	return decode()
}

// cleaned is a photo without its metadata, as a container walk left it.
type cleaned struct {
	out     []byte
	removed []string
	gps     bool
}

// remove notes what was taken out, once.
func (c *cleaned) remove(what string) {
	if !slices.Contains(c.removed, what) {
		c.removed = append(c.removed, what)
	}
}

// removeEXIF notes an EXIF block taken out and returns its orientation.
func (c *cleaned) removeEXIF(tiff []byte) int {
	f := readEXIF(tiff)
	c.gps = c.gps || f.gps
	c.remove(f.words())
	return f.orientation
}

// removeXMP notes an XMP packet taken out.
func (c *cleaned) removeXMP(x []byte) {
	c.gps = c.gps || xmpHasGPS(x)
	c.remove("XMP")
}

// cut describes data that ends before a structure it declares.
func cut(what string, at int, claims uint64, end int) error {
	return fmt.Errorf("truncated: %s at byte %d claims %d bytes, but the file ends at byte %d", what, at, claims, end)
}

// ends describes data that ends inside a structure.
func ends(at int, where string) error {
	return fmt.Errorf("truncated: the file ends at byte %d %s", at, where)
}
