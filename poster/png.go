package poster

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sync"

	"github.com/caravan-mesh/caravan/qr"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The fonts: Noto Sans cut down by scripts/poster-font (see the package
// doc and fonts/OFL.txt).
var (
	//go:embed fonts/NotoSans-Regular.ttf
	regularTTF []byte
	//go:embed fonts/NotoSans-Bold.ttf
	boldTTF []byte
)

// The picture is an A4 page at 150 dots an inch, in pixels.
const (
	Width  = 1240
	Height = 1754
	// margin is kept clear on every side; a line that would cross it
	// is drawn smaller.
	margin = 70
	// qrMax bounds the QR code's side, quiet zone included.
	qrMax = 700
	// Text sizes, in pixels: the address under the code, each
	// language's first line, and its other lines.
	urlSize  = 40
	joinSize = 30
	lineSize = 26
	// minSize is as small as a line is drawn to fit: a very long host
	// name given by hand.
	minSize = 12
)

type fontSet struct{ regular, bold *opentype.Font }

var parsedFonts = sync.OnceValues(func() (fontSet, error) {
	r, err := opentype.Parse(regularTTF)
	if err != nil {
		return fontSet{}, fmt.Errorf("poster font: %w", err)
	}
	b, err := opentype.Parse(boldTTF)
	if err != nil {
		return fontSet{}, fmt.Errorf("poster font: %w", err)
	}
	return fontSet{r, b}, nil
})

// face is the font at size pixels.
func face(bold bool, size float64) (font.Face, error) {
	fs, err := parsedFonts()
	if err != nil {
		return nil, err
	}
	f := fs.regular
	if bold {
		f = fs.bold
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}

// textWidth is how wide s is drawn, in pixels.
func textWidth(bold bool, size float64, s string) (int, error) {
	f, err := face(bold, size)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return font.MeasureString(f, s).Ceil(), nil
}

// PNG is the poster as a picture: an A4 page at 150 dots an inch.
func (p Poster) PNG() ([]byte, error) {
	img, _, err := p.draw()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// draw paints the poster; bottom is the lowest row any of it reaches.
func (p Poster) draw() (img *image.Gray, bottom int, err error) {
	img = image.NewGray(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	bm, err := qr.Bitmap(p.URL)
	if err != nil {
		return nil, 0, err
	}
	module := qrMax / len(bm)
	side := module * len(bm)
	left, top := (Width-side)/2, margin/2 // the quiet zone is margin enough
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				draw.Draw(img, image.Rect(left+x*module, top+y*module, left+(x+1)*module, top+(y+1)*module), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	y := top + side + 10

	line := func(s string, bold bool, size float64, gap float64) error {
		f, err := fitted(s, bold, size)
		if err != nil {
			return err
		}
		defer f.Close()
		m := f.Metrics()
		y += m.Ascent.Ceil()
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: f}
		w := d.MeasureString(s).Ceil()
		d.Dot = fixed.P((Width-w)/2, y)
		d.DrawString(s)
		y += m.Descent.Ceil()
		bottom = y
		y += int(gap)
		return nil
	}
	if err := line(p.URL, true, urlSize, 36); err != nil {
		return nil, 0, err
	}
	for _, lang := range Langs {
		for i, s := range p.Lines(lang) {
			var err error
			if i == 0 {
				err = line(s, true, joinSize, 6)
			} else {
				err = line(s, false, lineSize, 4)
			}
			if err != nil {
				return nil, 0, err
			}
		}
		y += 26
	}
	return img, bottom, nil
}

// fitted is the face s is drawn with: size pixels, or smaller if the
// line would not fit between the margins.
func fitted(s string, bold bool, size float64) (font.Face, error) {
	for ; ; size-- {
		f, err := face(bold, size)
		if err != nil {
			return nil, err
		}
		if size <= minSize || font.MeasureString(f, s).Ceil() <= Width-2*margin {
			return f, nil
		}
		f.Close()
	}
}
