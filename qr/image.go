package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // photos of codes
	_ "image/png"
	"io"
	"os"
	"strings"

	"github.com/makiuchi-d/gozxing"
	zxingqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"
)

// Level is the error correction of the codes we draw: M restores 15 % of
// the code, enough for a photo of a screen, and holds [MaxEventBytes] in a
// code small enough to photograph.
const Level = qrcode.Medium

// pngModule is the side of one module in a PNG, in pixels.
const pngModule = 8

// Limits on pictures to read: a phone photo is 12 to 50 megapixels; a
// small file that claims to be far larger would only exhaust memory.
const (
	maxFileBytes = 64 << 20
	maxPixels    = 64 << 20
)

// Errors of Decode and ReadFile.
var (
	ErrNotImage = errors.New("not a PNG or JPEG picture")
	ErrNoCode   = errors.New("no QR code found")
)

// PNG draws text as a QR code, 8 pixels a module, with a quiet zone.
func PNG(text string) ([]byte, error) {
	q, err := qrcode.New(text, Level)
	if err != nil {
		return nil, err
	}
	return q.PNG(-pngModule)
}

// Bitmap is text's QR code as rows of modules, true where a module is
// dark, with the quiet zone (4 modules on each side), for drawing it in
// other ways (a poster, SVG).
func Bitmap(text string) ([][]bool, error) {
	q, err := qrcode.New(text, Level)
	if err != nil {
		return nil, err
	}
	return q.Bitmap(), nil
}

// Terminal draws text as a QR code with Unicode half blocks, two module
// rows per line, light modules drawn as blocks so the code reads correctly
// on the usual dark terminal background (scanners also read it inverted).
// Width is the number of columns the drawing takes.
func Terminal(text string) (drawing string, width int, err error) {
	bm, err := Bitmap(text)
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	for y := 0; y < len(bm); y += 2 {
		for x := range bm[y] {
			top := !bm[y][x]
			bottom := y+1 < len(bm) && !bm[y+1][x]
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	return b.String(), len(bm), nil
}

// Decode reads the first QR code in a picture. Byte-mode text without a
// character set is read as UTF-8, which is what Nostr text is.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoCode, err)
	}
	// gozxing misses about one clean code in ten with TRY_HARDER alone
	// (measured on generated events); each other way of looking finds
	// most of those.
	for _, extra := range []gozxing.DecodeHintType{-1, gozxing.DecodeHintType_PURE_BARCODE} {
		hints := map[gozxing.DecodeHintType]interface{}{
			gozxing.DecodeHintType_TRY_HARDER:    true,
			gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
		}
		if extra >= 0 {
			hints[extra] = true
		}
		if res, err := zxingqr.NewQRCodeReader().Decode(bmp, hints); err == nil {
			return res.GetText(), nil
		}
	}
	return "", ErrNoCode
}

// ReadFile reads the first QR code in a PNG or JPEG file. Its errors wrap
// [ErrNotImage] or [ErrNoCode] and name the file.
func ReadFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return read(f, path)
}

// ReadImage reads the first QR code in a PNG or JPEG image held in
// memory (an upload). Its errors wrap [ErrNotImage] or [ErrNoCode].
func ReadImage(data []byte) (string, error) {
	return read(bytes.NewReader(data), "the image")
}

func read(f io.ReadSeeker, name string) (string, error) {
	cfg, _, err := image.DecodeConfig(io.LimitReader(f, maxFileBytes))
	if err != nil {
		return "", fmt.Errorf("%s is %w (%v)", name, ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return "", fmt.Errorf("%s is %w that can be read: it claims %d×%d pixels, more than %d megapixels",
			name, ErrNotImage, cfg.Width, cfg.Height, maxPixels>>20)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	img, _, err := image.Decode(io.LimitReader(f, maxFileBytes))
	if err != nil {
		return "", fmt.Errorf("%s is %w (%v)", name, ErrNotImage, err)
	}
	text, err := Decode(img)
	if err != nil {
		return "", fmt.Errorf("%w in %s", err, name)
	}
	return text, nil
}
