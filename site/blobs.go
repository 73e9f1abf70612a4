package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/caravan-mesh/caravan/media"
)

// blob is one file for blobs/, shared by every attachment with its hash.
type blob struct {
	hash  string
	mime  string // as the first reference declared it
	name  string // <hash>.<extension>
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

// addBlob links a to the blob for its hash, creating it on first use.
func (m *model) addBlob(a *attachment) {
	if len(a.hash) != sha256.Size*2 || !isHex(a.hash) {
		m.invalid++
		return
	}
	b := m.byHash[a.hash]
	if b == nil {
		b = &blob{hash: a.hash, mime: a.mime}
		b.named("")
		m.byHash[a.hash] = b
		m.blobs = append(m.blobs, b)
	}
	if a.open != nil {
		b.opens = append(b.opens, a.open)
	}
	a.b = b
}

// named gives b its file name for its media type typ, as media.Servable
// confirmed it ("" when it confirmed none).
func (b *blob) named(typ string) {
	b.name = b.hash + "." + media.Ext(typ)
	b.file, b.image = "blobs/"+b.name, strings.HasPrefix(typ, "image/")
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

// copy writes b into dir (blobs/) from one source. The file's extension
// is the one for the media type its first bytes confirm (media.Servable),
// and .bin for anything else, so that a web host serves it as a download:
// an HTML or SVG attachment, whatever type it claims, must never become a
// page that runs in the site's origin.
func (b *blob) copy(dir *os.Root, open func() (io.ReadCloser, error)) (blobState, error) {
	rc, err := open()
	if err != nil {
		return blobUnreadable, nil
	}
	defer rc.Close()
	head := make([]byte, media.SniffLen)
	k, err := io.ReadFull(rc, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return blobUnreadable, nil
	}
	head = head[:k]
	typ, _ := media.Servable(head, b.mime)
	b.named(typ)
	f, err := dir.OpenFile(b.name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := copyFrom(io.MultiWriter(f, h), io.MultiReader(bytes.NewReader(head), rc))
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

// copyFrom copies r to w, telling read errors (wrapped in errSource) from
// write errors.
func copyFrom(w io.Writer, r io.Reader) (n int64, err error) {
	buf := make([]byte, 64<<10)
	for {
		k, rerr := r.Read(buf)
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
