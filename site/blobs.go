package site

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// blob is one file for blobs/, shared by every attachment with its hash.
type blob struct {
	hash  string
	ext   string
	name  string // <hash>.<ext>
	file  string // blobs/<name>
	image bool   // shown inline with <img>
	opens []func() (io.ReadCloser, error)
	state blobState
	size  int64 // bytes written, once state is blobOK
}

type blobState int

const (
	blobNotHeld    blobState = iota // no source
	blobUnreadable                  // every source failed to open or read
	blobDamaged                     // a source gave bytes with another hash
	blobOK
)

// exts maps the MIME types a site may serve as themselves to file
// extensions. Anything else is written as .bin, so that a web host serves
// it as a download: an HTML or SVG attachment must never become a page
// that runs in the site's origin.
var exts = map[string]string{
	"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
	"application/pdf": "pdf", "text/plain": "txt", "text/csv": "csv", "application/json": "json",
	"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/opus": "opus", "audio/mp4": "m4a", "audio/wav": "wav",
	"video/mp4": "mp4", "video/webm": "webm", "video/ogg": "ogv",
	"application/zip": "zip", "application/epub+zip": "epub",
	"application/vnd.oasis.opendocument.text":                                 "odt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}

var images = map[string]bool{"png": true, "jpg": true, "gif": true, "webp": true, "avif": true}

// addBlob links a to the blob for its hash, creating it on first use. The
// first reference (in site order) decides the file's extension.
func (m *model) addBlob(a *attachment) {
	if len(a.hash) != sha256.Size*2 || !isHex(a.hash) {
		m.invalid++
		return
	}
	b := m.byHash[a.hash]
	if b == nil {
		mt, _, _ := strings.Cut(strings.ToLower(a.mime), ";")
		ext, ok := exts[strings.TrimSpace(mt)]
		if !ok {
			ext = "bin"
		}
		name := a.hash + "." + ext
		b = &blob{hash: a.hash, ext: ext, name: name, file: "blobs/" + name, image: images[ext]}
		m.byHash[a.hash] = b
		m.blobs = append(m.blobs, b)
	}
	if a.open != nil {
		b.opens = append(b.opens, a.open)
	}
	a.b = b
}

// copyBlobs writes every blob that some source can provide with the
// right hash. A source's failures only make its blob missing; failures to
// write end the build.
func (m *model) copyBlobs(root *os.Root) error {
	if len(m.blobs) == 0 {
		return nil
	}
	if err := root.Mkdir("blobs", 0o755); err != nil {
		return err
	}
	dir, err := root.OpenRoot("blobs")
	if err != nil {
		return err
	}
	defer dir.Close()
	for _, b := range m.blobs {
		for _, open := range b.opens {
			st, err := b.copy(dir, open)
			if err != nil {
				return err
			}
			b.state = max(b.state, st)
			if st == blobOK {
				break
			}
		}
	}
	return nil
}

// errSource marks a failure of the blob's source rather than of the site.
var errSource = errors.New("source failed")

// copy writes b into dir (blobs/) from one source.
func (b *blob) copy(dir *os.Root, open func() (io.ReadCloser, error)) (blobState, error) {
	f, err := dir.OpenFile(b.name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := copyFrom(io.MultiWriter(f, h), open)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	st := blobOK
	switch {
	case errors.Is(err, errSource):
		st = blobUnreadable
	case err != nil:
		return 0, fmt.Errorf("writing %s: %w", b.file, err)
	case hex.EncodeToString(h.Sum(nil)) != b.hash:
		st = blobDamaged
	}
	if st != blobOK {
		return st, dir.Remove(b.name)
	}
	b.size = n
	return st, nil
}

// copyFrom copies what open provides to w, telling read errors (wrapped
// in errSource) from write errors.
func copyFrom(w io.Writer, open func() (io.ReadCloser, error)) (n int64, err error) {
	rc, err := open()
	if err != nil {
		return 0, errSource
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	for {
		k, rerr := rc.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, errSource
		}
	}
}
