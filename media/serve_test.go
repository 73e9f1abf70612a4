package media

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// hostilePage is what a stranger might upload and declare image/png: a
// page whose script would run in the origin that serves it as HTML.
const hostilePage = "<!doctype html><html><body><script>localStorage.x=1;fetch('http://127.0.0.1:1/')</script></body></html>"

func TestServable(t *testing.T) {
	webmHead := "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\xF7\x81\x01\x42\xF2\x81\x04\x42\xF3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
	photo, err := os.ReadFile("testdata/photo.png")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, data, declared, want string // want "": not servable
	}{
		{"JPEG", string(plainJPEG(t)), "image/jpeg", "image/jpeg"},
		{"PNG", string(photo), "image/png", "image/png"},
		{"PNG declared JPEG", string(photo), "image/jpeg", "image/png"},
		{"PNG declared nothing", string(photo), "", "image/png"},
		{"GIF", "GIF89a\x01\x00\x01\x00", "image/gif", "image/gif"},
		{"WebP", "RIFF\x00\x00\x00\x00WEBPVP8X", "image/webp", "image/webp"},
		{"AVIF", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif", "image/avif"},
		{"WAV", "RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wave", "audio/wav"},
		{"MP3 with ID3", "ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg", "audio/mpeg"},
		{"MP3 frame", "\xFF\xFB\x90\x64\x00\x00", "audio/mpeg", "audio/mpeg"},
		{"Ogg Opus", "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead", "audio/ogg; codecs=opus", "audio/ogg"},
		{"Ogg declared application/ogg", "OggS\x00\x02", "application/ogg", "audio/ogg"},
		{"Ogg video", "OggS\x00\x02", "video/ogg", "video/ogg"},
		{"FLAC", "fLaC\x00\x00\x00\x22", "audio/flac", "audio/flac"},
		{"MP4", "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4", "video/mp4"},
		{"M4A", "\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00", "audio/mp4", "audio/mp4"},
		{"MP4 declared audio", "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "audio/mp4", "audio/mp4"},
		{"WebM", webmHead, "video/webm", "video/webm"},
		{"WebM audio", webmHead, "audio/webm", "audio/webm"},
		{"PDF", "%PDF-1.7\n", "application/pdf", "application/pdf"},

		{"HTML declared PNG", hostilePage, "image/png", ""},
		{"HTML", hostilePage, "text/html", ""},
		{"HTML after spaces", "  \n" + hostilePage, "image/jpeg", ""},
		{"HTML in UTF-16", "\xFF\xFE<\x00h\x00t\x00m\x00l\x00>\x00", "image/png", ""},
		{"SVG", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "image/svg+xml", ""},
		{"XML", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`, "image/svg+xml", ""},
		{"script", "alert(1)", "text/javascript", ""},
		{"plain text", "plain words\n", "text/plain", ""},
		{"HEIC", string(heic), "image/heic", ""},
		{"Matroska", "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x88matroska", "video/webm", ""},
		{"AVI", "RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo", ""},
		{"zip", "PK\x03\x04\x14\x00", "application/zip", ""},
		{"MPEG sync with reserved values", "\xFF\xFF\xFF\xFF", "audio/mpeg", ""},
		{"too short", "\xFF\xD8", "image/jpeg", ""},
		{"empty", "", "image/png", ""},
	} {
		got, ok := Servable([]byte(c.data), c.declared)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: Servable = %q, %v; want %q", c.name, got, ok, c.want)
		}
		if ext := Ext(got); (ext == "bin") != (c.want == "") {
			t.Errorf("%s: Ext(%q) = %s", c.name, got, ext)
		}
	}
}

// TestServableExtensions: no extension a web host would serve as a
// document.
func TestServableExtensions(t *testing.T) {
	for typ, ext := range servable {
		switch ext {
		case "html", "htm", "xhtml", "svg", "xml", "js", "mjs", "bin":
			t.Errorf("%s: extension .%s", typ, ext)
		}
		if strings.Contains(typ, "html") || strings.Contains(typ, "xml") || strings.Contains(typ, "script") {
			t.Errorf("%s is on the allow-list", typ)
		}
	}
}

func TestServeHeaders(t *testing.T) {
	h := http.Header{"Content-Disposition": {"inline"}}
	ServeHeaders(h, []byte(pngSignature), "text/html")
	if h.Get("Content-Type") != "image/png" || h.Get("Content-Disposition") != "" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != ServeCSP {
		t.Errorf("PNG: %v", h)
	}
	h = http.Header{}
	ServeHeaders(h, []byte(hostilePage), "image/png")
	if h.Get("Content-Type") != "application/octet-stream" || h.Get("Content-Disposition") != "attachment" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != ServeCSP {
		t.Errorf("HTML: %v", h)
	}
}
