package media

import (
	"bytes"
	"mime"
	"net/http"
	"strings"
)

// SniffLen is how many of a file's first bytes Servable needs.
const SniffLen = 512

// servable maps the media types a browser may show or play as themselves
// to their file extensions.
var servable = map[string]string{
	"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
	"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/flac": "flac", "audio/wav": "wav", "audio/mp4": "m4a", "audio/webm": "weba",
	"video/mp4": "mp4", "video/webm": "webm", "video/ogg": "ogv",
	"application/pdf": "pdf",
}

// ServeCSP is the Content-Security-Policy of every stored file served to
// a browser: should one still be shown as a document, it runs no script,
// loads nothing and has an origin of its own.
const ServeCSP = "default-src 'none'; sandbox"

// Servable returns the media type under which a browser may be given a
// file that begins with head (its first SniffLen bytes, or all of it if
// shorter) to show or play: JPEG, PNG, GIF, WebP, AVIF, MP3, Ogg
// (Vorbis, Opus, Theora), FLAC, WAV, MP4 and M4A, WebM, PDF. The bytes
// decide; declared (the type the file was stored with) only chooses
// between audio and video in containers that hold either. ok is false
// when the bytes confirm none of these.
func Servable(head []byte, declared string) (typ string, ok bool) {
	typ = confirmed(head, declared)
	return typ, typ != ""
}

// Ext is the file extension (without the dot) for a type Servable
// returns, and "bin" for any other.
func Ext(typ string) string {
	if e, ok := servable[typ]; ok {
		return e
	}
	return "bin"
}

// ServeHeaders sets the headers of a response that gives a browser a
// stored file beginning with head (see Servable): its confirmed media
// type, or application/octet-stream as an attachment; never sniffed; and
// ServeCSP, so that it cannot run as a page in the server's origin.
func ServeHeaders(h http.Header, head []byte, declared string) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", ServeCSP)
	if typ, ok := Servable(head, declared); ok {
		h.Set("Content-Type", typ)
		h.Del("Content-Disposition")
		return
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "attachment")
}

func confirmed(head []byte, declared string) string {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if mt, _, err := mime.ParseMediaType(declared); err == nil {
		declared = mt
	}
	audio := strings.HasPrefix(declared, "audio/")
	video := strings.HasPrefix(declared, "video/")
	riff := len(head) >= 12 && string(head[:4]) == "RIFF"
	switch {
	case bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte(pngSignature)):
		return "image/png"
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif"
	case riff && string(head[8:12]) == "WEBP":
		return "image/webp"
	case riff && string(head[8:12]) == "WAVE":
		return "audio/wav"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(head, []byte("OggS\x00")):
		if video {
			return "video/ogg"
		}
		return "audio/ogg"
	case bytes.HasPrefix(head, []byte("fLaC")):
		return "audio/flac"
	case bytes.HasPrefix(head, []byte("ID3")) && len(head) >= 10 && head[3] < 0xFF && head[4] < 0xFF, mpegAudioFrame(head):
		return "audio/mpeg"
	case bytes.HasPrefix(head, []byte("\x1A\x45\xDF\xA3")):
		// EBML; only the WebM document type, not Matroska at large.
		if !bytes.Contains(head[:min(len(head), 64)], []byte("\x42\x82\x84webm")) {
			return ""
		}
		if audio {
			return "audio/webm"
		}
		return "video/webm"
	}
	switch sniffHEIF(head) {
	case "image/avif":
		return "image/avif"
	case "":
	default:
		return "" // HEIC and HEIF: browsers do not show them
	}
	switch isoMedia(head) {
	case "audio":
		return "audio/mp4"
	case "video":
		if audio {
			return "audio/mp4"
		}
		return "video/mp4"
	}
	return ""
}

// mpegAudioFrame recognises an MPEG audio frame header (an MP3 without an
// ID3 tag): eleven sync bits, then a version, layer, bitrate and sample
// rate that are not reserved values.
func mpegAudioFrame(h []byte) bool {
	if len(h) < 4 || h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return false
	}
	version, layer := (h[1]>>3)&3, (h[1]>>1)&3
	bitrate, rate := h[2]>>4, (h[2]>>2)&3
	return version != 1 && layer != 0 && bitrate != 15 && rate != 3
}

// isoMedia says whether head starts an ISO base media file (MP4, M4A)
// whose brands are those of audio or video browsers play: "audio" for
// the M4A brands, "video" for the others, "" when it is not one.
func isoMedia(head []byte) string {
	if len(head) < 16 || string(head[4:8]) != "ftyp" {
		return ""
	}
	n := min(int(head[0])<<24|int(head[1])<<16|int(head[2])<<8|int(head[3]), len(head))
	kind := ""
	for i := 8; i+4 <= n; i += 4 {
		if i == 12 {
			continue // minor version, not a brand
		}
		switch string(head[i : i+4]) {
		case "M4A ", "M4B ":
			return "audio"
		case "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "M4V ", "MSNV":
			kind = "video"
		}
	}
	return kind
}
