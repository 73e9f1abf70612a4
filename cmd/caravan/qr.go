package main

import (
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// terminalQR draws text as a QR code with Unicode half blocks, two module
// rows per line, light modules drawn as blocks so the code reads correctly
// on the usual dark terminal background (scanners also read it inverted).
func terminalQR(text string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bm := q.Bitmap() // true is a dark module; includes the quiet zone
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
	return b.String(), nil
}
