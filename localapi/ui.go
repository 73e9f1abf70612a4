package localapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caravan-mesh/caravan/markdown"
	"github.com/caravan-mesh/caravan/media"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/qr"
	"github.com/caravan-mesh/caravan/reports"
)

// Endpoints for the web UI (the CLI may use them too), under /api/v1:
//
//	GET  live                  JSON lines: {"type":"hello"}, then each node.Activity,
//	                           and {"type":"ping"} every 15 s while nothing happens
//	GET  settings              node.NodeSettings
//	POST settings              node.NodeSettingsChange -> node.NodeSettings
//	POST panic                 PanicRequest -> node.PanicResult
//	GET  blob?sha256=HEX       the blob's bytes (media its bytes confirm inline, anything else as a download)
//	GET  qr?text=T             a PNG of the QR code for T
//	POST qr/read               a PNG or JPEG -> QRText
//	GET  reports/view?addr=&lang=&version=   ReportView: the report with its markdown rendered

// PanicRequest must say "erase": the one call that destroys keys is
// never made by accident.
type (
	PanicRequest struct {
		Confirm string `json:"confirm"`
	}
	ReportViewRequest struct {
		Addr    string `query:"addr"` // naddr
		Lang    string `query:"lang"`
		Version string `query:"version"`
	}
)

// The web UI's own endpoints. GET live, blob and qr, and POST qr/read,
// are hand-written.
var (
	Settings       = Route[Empty, node.NodeSettings]{"GET", "/api/v1/settings"}
	ChangeSettings = Route[node.NodeSettingsChange, node.NodeSettings]{"POST", "/api/v1/settings"}
	Panic          = Route[PanicRequest, node.PanicResult]{"POST", "/api/v1/panic"}
	ViewReport     = Route[ReportViewRequest, ReportView]{"GET", "/api/v1/reports/view"}
)

// QRText is what a QR code said, and what kind of thing it is.
type QRText struct {
	Text string `json:"text"`
	Kind string `json:"kind"` // contact, event
	// For a contact: the key and relay hints.
	NPub   string   `json:"npub,omitempty"`
	Relays []string `json:"relays,omitempty"`
}

// ReportView is a report with its markdown rendered to safe HTML by
// package markdown, as the site renders it: no raw HTML, links only to
// http, https and held blobs ("#blob/SHA256"), images only from held
// blobs, as <img data-blob="SHA256">.
type ReportView struct {
	*reports.Report
	HTML string `json:"html"`
}

// livePing is how often the live stream says it is still there, so a
// client can tell a quiet node from a lost one.
const livePing = 15 * time.Second

func (h *Handler) routesUI() {
	handle(h, Settings, func(context.Context, Empty) (node.NodeSettings, error) { return h.n.NodeSettings(), nil })
	handle(h, ChangeSettings, h.changeSettings)
	handle(h, Panic, h.panic)
	handle(h, ViewReport, h.viewReport)
	h.upload("POST /api/v1/qr/read", h.readQR)
	h.serve("GET /api/v1/live", h.live)
	h.serve("GET /api/v1/blob", h.blob)
	h.serve("GET /api/v1/qr", h.qrImage)
}

func (h *Handler) changeSettings(ctx context.Context, req node.NodeSettingsChange) (node.NodeSettings, error) {
	s, err := h.n.ChangeNodeSettings(ctx, req)
	if err != nil {
		return node.NodeSettings{}, err
	}
	return s, nil
}

func (h *Handler) panic(ctx context.Context, req PanicRequest) (node.PanicResult, error) {
	if req.Confirm != "erase" {
		return node.PanicResult{}, &Error{Code: CodeInvalid, Msg: `panic erases every key and all private messages; send {"confirm":"erase"} to do it`}
	}
	return h.n.Panic(ctx)
}

func (h *Handler) readQR(r *http.Request) (any, error) {
	data, err := body(r, 4<<20)
	if err != nil {
		return nil, err
	}
	text, err := qr.ReadImage(data)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error(), Hint: "use a sharp, well-lit picture of the whole code (PNG or JPEG)"}
	}
	p, err := qr.Parse(text)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	out := QRText{Text: text}
	switch {
	case p.Contact != nil:
		out.Kind, out.NPub, out.Relays = "contact", p.Contact.PubKey.NPub(), p.Contact.Relays
	case p.Event != nil:
		out.Kind = "event"
	}
	return out, nil
}

func (h *Handler) viewReport(ctx context.Context, req ReportViewRequest) (ReportView, error) {
	rep, err := h.rep().Read(ctx, req.Addr, req.Lang, req.Version)
	if err != nil {
		return ReportView{}, err
	}
	// The page fetches held blobs with its API token: a held image is
	// written as data-blob for it to fill in, a link to a held blob
	// points to "#blob/SHA256".
	held := map[string]markdown.Blob{}
	for _, a := range rep.Attach {
		if a.Held {
			sum := strings.ToLower(a.SHA256)
			held[sum] = markdown.Blob{Href: "#blob/" + sum, Image: strings.HasPrefix(a.MIME, "image/")}
		}
	}
	html, err := markdown.HTML(rep.Markdown, markdown.Options{DataBlob: true, Blob: func(sum string) (markdown.Blob, bool) {
		b, ok := held[sum]
		return b, ok
	}})
	if err != nil {
		return ReportView{}, err
	}
	return ReportView{Report: rep, HTML: html}, nil
}

// live streams the node's activity as JSON lines.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	updates := make(chan node.Activity, 256)
	var dropped atomic.Bool
	cancel := h.n.OnActivity(func(a node.Activity) {
		select {
		case updates <- a:
		default:
			dropped.Store(true) // the client is slow; it will be told to reload
		}
	})
	defer cancel()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	send := func(v any) bool {
		if err := enc.Encode(v); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	if !send(node.Activity{Type: "hello"}) {
		return
	}
	t := time.NewTicker(livePing)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case a := <-updates:
			if !send(a) {
				return
			}
		case <-t.C:
			if dropped.Swap(false) {
				if !send(node.Activity{Type: "reload"}) {
					return
				}
			}
			if !send(node.Activity{Type: "ping"}) {
				return
			}
		}
	}
}

// blob serves a held blob to the UI: as the media type its bytes confirm
// (media.Servable), anything else only as a download; never sniffed, and
// sandboxed, so that no attachment runs as a page in the UI's origin,
// which holds the session.
func (h *Handler) blob(w http.ResponseWriter, r *http.Request) {
	sum := strings.ToLower(r.URL.Query().Get("sha256"))
	if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
		writeError(w, &Error{Code: CodeInvalid, Msg: "sha256 must be 64 hex characters"})
		return
	}
	meta, ok, err := h.n.BlobInfo(r.Context(), sum)
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	if !ok {
		writeError(w, &Error{Code: CodeNotFound, Msg: "this node does not hold that file yet", Hint: "it arrives with a sync from a node that has it"})
		return
	}
	data, err := h.n.BlobRange(r.Context(), sum, 0, meta.Size)
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	media.ServeHeaders(w.Header(), data, meta.Type)
	w.Write(data)
}

// qrImage draws a QR code.
func (h *Handler) qrImage(w http.ResponseWriter, r *http.Request) {
	png, err := qr.PNG(r.URL.Query().Get("text"))
	if err != nil {
		writeError(w, &Error{Code: CodeInvalid, Msg: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}
