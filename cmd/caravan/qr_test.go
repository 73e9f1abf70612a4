package main

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// TestTerminalQRDecodes turns the half-block drawing back into pixels (a
// block's lit half is a light module) and reads it with an independent QR
// decoder.
func TestTerminalQRDecodes(t *testing.T) {
	want := "nostr:nprofile1qqsz7aq5gzqdq806ujmft3mcmjrn7rngz6qhufl57genrqwhl7f0cys7z3gke"
	drawn, err := terminalQR(want)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(drawn, "\n"), "\n")
	const scale = 4
	w := len([]rune(lines[0]))
	img := image.NewGray(image.Rect(0, 0, w*scale, len(lines)*2*scale))
	for y, line := range lines {
		for x, r := range []rune(line) {
			top := r == '█' || r == '▀'
			bottom := r == '█' || r == '▄'
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetGray(x*scale+dx, (2*y)*scale+dy, lum(top))
					img.SetGray(x*scale+dx, (2*y+1)*scale+dy, lum(bottom))
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the terminal QR code does not decode: %v\n%s", err, drawn)
	}
	if res.GetText() != want {
		t.Fatalf("decoded %q, want %q", res.GetText(), want)
	}
}

func lum(light bool) color.Gray {
	if light {
		return color.Gray{255}
	}
	return color.Gray{0}
}
