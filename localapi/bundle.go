package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/bundles"
)

// Bundle endpoints:
//
//	POST bundle/export     bundles.Export -> bundles.Made
//	POST bundle/import     bundles.Import -> bundles.Read
//	POST bundle/download   bundles.Export (no path, no split) -> the bundle's bytes
//	POST bundle/upload     the bundle's bytes -> bundles.Read; the passphrase, if
//	                       any, in header X-Bundle-Passphrase, percent-encoded UTF-8
//
// With export and import, paths are absolute paths on this machine: the
// node writes and reads the files itself (a bundle can be gigabytes).
// Download and upload are for the web UI, whose files are the browser's.
// Files that are not a bundle this node can open give the code
// not_a_bundle from import and upload alike.
// Bundles. Download and upload are hand-written: they carry the bundle's
// bytes.
var (
	ExportBundle = Route[bundles.Export, bundles.Made]{"POST", "/api/v1/bundle/export"}
	ImportBundle = Route[bundles.Import, bundles.Read]{"POST", "/api/v1/bundle/import"}
)

func (h *Handler) routesBundle() {
	handle(h, ExportBundle, func(ctx context.Context, req bundles.Export) (bundles.Made, error) {
		return bundles.New(h.n).Export(ctx, req)
	})
	handle(h, ImportBundle, func(ctx context.Context, req bundles.Import) (bundles.Read, error) {
		return bundles.New(h.n).Import(ctx, req)
	})
	h.serve("POST /api/v1/bundle/download", h.downloadBundle)
	h.serve("POST /api/v1/bundle/upload", h.uploadBundle)
}

// downloadBundle writes a bundle into the data directory, streams it to
// the client and removes it.
func (h *Handler) downloadBundle(w http.ResponseWriter, r *http.Request) {
	var req bundles.Export
	if err := decodeBody(r, &req); err != nil {
		writeError(w, toAPIError(err))
		return
	}
	if req.Path != "" || req.Split != 0 {
		writeError(w, &Error{Code: CodeInvalid, Msg: "a downloaded bundle is one file: leave out path and split"})
		return
	}
	dir, err := os.MkdirTemp(h.n.Dir, "bundle-download-")
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	defer os.RemoveAll(dir)
	req.Path = filepath.Join(dir, "caravan.bundle")
	made, err := bundles.New(h.n).Export(r.Context(), req)
	if err != nil {
		// The same codes as export's.
		writeError(w, toAPIError(err))
		return
	}
	f, err := os.Open(req.Path)
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="caravan-`+time.Now().UTC().Format("2006-01-02")+`.bundle"`)
	w.Header().Set("Content-Length", fmt.Sprint(made.Bytes))
	made.Files = nil
	if b, err := json.Marshal(made); err == nil {
		w.Header().Set("X-Bundle-Made", string(b))
	}
	io.Copy(w, f)
}

// uploadBundle stores an uploaded bundle in the data directory, imports
// it and removes it. Its errors are import's, with the same codes.
func (h *Handler) uploadBundle(w http.ResponseWriter, r *http.Request) {
	dir, err := os.MkdirTemp(h.n.Dir, "bundle-upload-")
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "upload.bundle")
	if err := saveUpload(path, r.Body); err != nil {
		writeError(w, &Error{Code: CodeInvalid, Msg: "the upload did not arrive whole: " + err.Error(), Hint: "try again"})
		return
	}
	pass, err := url.PathUnescape(r.Header.Get("X-Bundle-Passphrase"))
	if err != nil {
		writeError(w, &Error{Code: CodeInvalid, Msg: "X-Bundle-Passphrase must be percent-encoded UTF-8"})
		return
	}
	res, err := bundles.New(h.n).Import(r.Context(), bundles.Import{Paths: []string{path}, Passphrase: pass})
	if err != nil {
		e := *toAPIError(err)
		// The temporary file's name means nothing to the person.
		e.Msg = strings.ReplaceAll(strings.ReplaceAll(e.Msg, " "+path, ""), path+": ", "")
		writeError(w, &e)
		return
	}
	res.Files = nil
	writeJSON(w, res)
}

func saveUpload(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
