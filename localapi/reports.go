package localapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/caravan-mesh/caravan/store"
)

// Request bodies.
type (
	ReportRequest struct {
		As    string        `json:"as,omitempty"`
		Input reports.Input `json:"report"`
	}
	TranslateRequest struct {
		As    string        `json:"as,omitempty"`
		Addr  string        `json:"addr"` // naddr of the original
		Input reports.Input `json:"translation"`
	}
	DraftRequest struct {
		As    string        `json:"as,omitempty"`
		D     string        `json:"d,omitempty"`
		Draft reports.Draft `json:"draft,omitempty"`
		// Publish: fields that override the draft's.
		Input reports.Input `json:"report,omitempty"`
	}
	SiteRequest struct {
		Dir   string `json:"dir"`
		Title string `json:"title,omitempty"`
		Base  string `json:"base_url,omitempty"`
	}
	ReportsRequest struct {
		Lang   string     `query:"lang"`
		Author string     `query:"author"` // a key, or a contact's name
		As     string     `query:"as"`     // whose contacts' names Author may be
		Limit  int        `query:"limit"`  // 1 to 10000; 0, no limit
		Order  node.Order `query:"order"`
	}
	ReadReportRequest struct {
		Addr    string `query:"addr"` // naddr
		Lang    string `query:"lang"`
		Version string `query:"version"`
	}
	ReportStatusRequest struct {
		Addr string `query:"addr"`
	}
	SearchRequest struct {
		Q     string     `query:"q"`
		Kinds []int      `query:"kind"`
		Limit int        `query:"limit"` // 0, no limit
		Open  string     `query:"open"`  // marks around the matched words
		Close string     `query:"close"`
		Order node.Order `query:"order"`
	}
)

// Reports, drafts, search and the site. POST import and POST attachments
// are hand-written (Client.Import, Client.Attach): they carry a file.
var (
	PublishReport = Route[ReportRequest, *reports.Report]{"POST", "/api/v1/reports"}
	Translate     = Route[TranslateRequest, *reports.Report]{"POST", "/api/v1/reports/translate"}
	Reports       = Route[ReportsRequest, []reports.Report]{"GET", "/api/v1/reports"} // without their texts
	ReadReport    = Route[ReadReportRequest, *reports.Report]{"GET", "/api/v1/reports/read"}
	ReportStatus  = Route[ReportStatusRequest, *reports.Status]{"GET", "/api/v1/reports/status"}
	Drafts        = Route[AsRequest, []reports.Draft]{"GET", "/api/v1/drafts"}
	SaveDraft     = Route[DraftRequest, reports.Draft]{"POST", "/api/v1/drafts"}
	PublishDraft  = Route[DraftRequest, *reports.Report]{"POST", "/api/v1/drafts/publish"}
	DeleteDraft   = Route[DraftRequest, Empty]{"POST", "/api/v1/drafts/delete"}
	Search        = Route[SearchRequest, []reports.SearchHit]{"GET", "/api/v1/search"}
	BuildSite     = Route[SiteRequest, reports.SiteResult]{"POST", "/api/v1/site"}
)

// rep is the node's reports feature.
func (h *Handler) rep() *reports.Service { return reports.New(h.n) }

// MaxUpload bounds imports and attachments sent to the local API.
const MaxUpload = 64 << 20

func (h *Handler) routesReports() {
	handle(h, PublishReport, func(ctx context.Context, req ReportRequest) (*reports.Report, error) {
		return h.rep().Publish(ctx, req.As, req.Input)
	})
	handle(h, Translate, func(ctx context.Context, req TranslateRequest) (*reports.Report, error) {
		return h.rep().Translate(ctx, req.As, req.Addr, req.Input)
	})
	handle(h, Reports, h.reports)
	handle(h, ReadReport, func(ctx context.Context, req ReadReportRequest) (*reports.Report, error) {
		return h.rep().Read(ctx, req.Addr, req.Lang, req.Version)
	})
	handle(h, ReportStatus, func(ctx context.Context, req ReportStatusRequest) (*reports.Status, error) {
		return h.rep().Status(ctx, req.Addr)
	})
	handle(h, Drafts, func(ctx context.Context, req AsRequest) ([]reports.Draft, error) {
		return h.rep().Drafts(ctx, req.As)
	})
	handle(h, SaveDraft, func(ctx context.Context, req DraftRequest) (reports.Draft, error) {
		return h.rep().SaveDraft(ctx, req.As, req.Draft)
	})
	handle(h, PublishDraft, func(ctx context.Context, req DraftRequest) (*reports.Report, error) {
		return h.rep().PublishDraft(ctx, req.As, req.D, req.Input)
	})
	handle(h, DeleteDraft, func(ctx context.Context, req DraftRequest) (Empty, error) {
		return Empty{}, h.rep().DeleteDraft(ctx, req.As, req.D)
	})
	handle(h, Search, h.search)
	handle(h, BuildSite, func(ctx context.Context, req SiteRequest) (reports.SiteResult, error) {
		return h.rep().BuildSite(ctx, req.Dir, reports.SiteOptions{Title: req.Title, BaseURL: req.Base})
	})
	h.upload("POST /api/v1/import", h.importFile)
	h.upload("POST /api/v1/attachments", h.attach)
}

func (h *Handler) reports(ctx context.Context, req ReportsRequest) ([]reports.Report, error) {
	f := reports.Filter{Lang: req.Lang}
	if req.Author != "" {
		pk, err := h.n.Resolve(ctx, req.As, req.Author)
		if err != nil {
			return nil, err
		}
		f.Author = pk.Hex()
	}
	var err error
	if f.Limit, err = checkLimit(req.Limit, 10000); err != nil {
		return nil, err
	}
	if f.Order, err = orderParam(string(req.Order)); err != nil {
		return nil, err
	}
	return h.rep().List(ctx, f)
}

// checkLimit checks a "limit" parameter (0 when absent): from 1 to max
// (no bound when max is 0).
func checkLimit(n, max int) (int, error) {
	if n < 0 || max > 0 && n > max {
		if max > 0 {
			return 0, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("limit must be a number from 1 to %d", max)}
		}
		return 0, &Error{Code: CodeInvalid, Msg: "limit must be a positive number"}
	}
	return n, nil
}

func (h *Handler) search(ctx context.Context, req SearchRequest) ([]reports.SearchHit, error) {
	o := store.SearchOptions{Open: req.Open, Close: req.Close, Kinds: req.Kinds}
	var err error
	if o.Limit, err = checkLimit(req.Limit, 0); err != nil {
		return nil, err
	}
	order, err := orderParam(string(req.Order))
	if err != nil {
		return nil, err
	}
	return h.rep().Search(ctx, req.Q, o, order)
}

// body reads an uploaded file, refusing one over limit.
func body(r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit+1))
	if err != nil || int64(len(data)) > limit {
		return nil, &Error{Code: CodeInvalid, Msg: "the file is larger than " + strconv.FormatInt(limit, 10) + " bytes, or could not be read"}
	}
	return data, nil
}

func (h *Handler) importFile(r *http.Request) (any, error) {
	data, err := body(r, MaxUpload)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return h.rep().ImportDraft(r.Context(), q.Get("as"), q.Get("name"), data)
}

func (h *Handler) attach(r *http.Request) (any, error) {
	data, err := body(r, MaxUpload)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return h.rep().Attach(r.Context(), q.Get("as"), reports.AttachInput{
		Data: data, Name: q.Get("name"), Alt: q.Get("alt"), MIME: r.Header.Get("Content-Type"),
		KeepMetadata: q.Get("keep_metadata") == "1",
	})
}

// Client methods for the uploads.

func (c *Client) upload(ctx context.Context, path string, data []byte, header http.Header, out any) error {
	resp, err := c.send(ctx, "POST", path, bytes.NewReader(data), header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}

// Import turns a file into a saved draft.
func (c *Client) Import(ctx context.Context, as, name string, data []byte) (reports.Draft, error) {
	var d reports.Draft
	v := url.Values{"as": {as}, "name": {name}}
	return d, c.upload(ctx, "/api/v1/import?"+v.Encode(), data, http.Header{"Content-Type": {"application/octet-stream"}}, &d)
}

// Attach stores a file for a report (photos lose their metadata unless
// keep is set).
func (c *Client) Attach(ctx context.Context, as, name, alt, mime string, data []byte, keep bool) (reports.Attachment, error) {
	var a reports.Attachment
	v := url.Values{"as": {as}, "name": {name}, "alt": {alt}}
	if keep {
		v.Set("keep_metadata", "1")
	}
	return a, c.upload(ctx, "/api/v1/attachments?"+v.Encode(), data, http.Header{"Content-Type": {mime}}, &a)
}
