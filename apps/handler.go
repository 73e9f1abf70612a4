package apps

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Prefix is where Handler serves, on the node's relay port.
const Prefix = "/apps/"

// Handler serves a published folder over HTTP: GET /apps/ is a download
// page (no JavaScript, no outside resources, in the visitor's language),
// and /apps/<name> serves the binaries, SHA256SUMS and SHA256SUMS.json,
// with ranges, so a cut download resumes. Only a folder that verifies is
// offered, and only the files its signed sums list.
type Handler struct {
	dir string

	mu  sync.Mutex
	cur *loaded
}

// loaded is the folder as last verified.
type loaded struct {
	sig os.FileInfo // the signature file the check was keyed on
	set *Set
	err error // why the folder fails its check
}

// NewHandler serves the folder dir (which may not exist yet: then the
// page says nothing is published, and how to publish).
func NewHandler(dir string) *Handler { return &Handler{dir: dir} }

// load returns the folder's state. The folder is verified again (every
// file hashed) only when its signature file changed, which Publish always
// does; nil means nothing is published.
func (h *Handler) load() *loaded {
	fi, err := os.Stat(filepath.Join(h.dir, SigFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(h.dir, SumsFile)); errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.cur; c != nil && c.sig != nil && fi != nil && sameFile(c.sig, fi) {
		return c
	}
	set, err := Verify(h.dir, VerifyOptions{})
	h.cur = &loaded{sig: fi, set: set, err: err}
	return h.cur
}

func (h *Handler) forget(l *loaded) {
	h.mu.Lock()
	if h.cur == l {
		h.cur = nil
	}
	h.mu.Unlock()
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == strings.TrimSuffix(Prefix, "/"):
		u := Prefix
		if q := r.URL.Query().Get("lang"); q != "" {
			u += "?lang=" + pickLang(r).Code
		}
		http.Redirect(w, r, u, http.StatusMovedPermanently)
	case p == Prefix:
		h.servePage(w, r)
	case strings.HasPrefix(p, Prefix):
		h.serveFile(w, r, strings.TrimPrefix(p, Prefix))
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if name != SumsFile && name != SigFile && ValidName(name) != nil {
		http.NotFound(w, r)
		return
	}
	for try := 0; try < 2; try++ {
		l := h.load()
		if l == nil || l.err != nil {
			http.NotFound(w, r)
			return
		}
		switch name {
		case SumsFile:
			serveBytes(w, r, name, "text/plain; charset=utf-8", l.set.sums, l.set.Signed)
			return
		case SigFile:
			serveBytes(w, r, name, "application/json", l.set.sig, l.set.Signed)
			return
		}
		var file *File
		for i := range l.set.Files {
			if l.set.Files[i].Name == name {
				file = &l.set.Files[i]
			}
		}
		if file == nil {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(h.dir, name))
		if err != nil {
			h.forget(l)
			continue
		}
		fi, err := f.Stat()
		if err != nil || !sameFile(fi, l.set.infos[name]) {
			// Replaced since it was verified (a new publish): check the
			// new folder before serving from it.
			f.Close()
			h.forget(l)
			continue
		}
		defer f.Close()
		hd := w.Header()
		hd.Set("Content-Type", file.MIME)
		hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		hd.Set("ETag", `"`+file.SHA256+`"`)
		hd.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, fi.ModTime(), f)
		return
	}
	http.Error(w, "the files are being replaced; try again", http.StatusServiceUnavailable)
}

func serveBytes(w http.ResponseWriter, r *http.Request, name, ctype string, b []byte, mod time.Time) {
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, mod, bytes.NewReader(b))
}
