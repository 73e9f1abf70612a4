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

// Report endpoints, under /api/v1:
//
//	POST reports                 ReportRequest -> reports.Report
//	POST reports/translate       TranslateRequest -> reports.Report
//	GET  reports?lang=&author=&limit=&order=   []reports.Report (no texts)
//	GET  reports/read?addr=&lang=&version=   reports.Report
//	GET  reports/status?addr=    reports.Status
//	GET  drafts?as=              []reports.Draft
//	POST drafts                  DraftRequest -> reports.Draft
//	POST drafts/publish          DraftRequest -> reports.Report
//	POST drafts/delete           DraftRequest
//	POST import?as=&name=        the file's bytes -> reports.Draft (saved)
//	POST attachments?as=&name=&keep_metadata=1   the file's bytes -> reports.Attachment
//	GET  search?q=&kind=&limit=&order=   []reports.SearchHit
//	POST site                    SiteRequest -> reports.SiteResult

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
)

// rep is the node's reports feature.
func (h *Handler) rep() *reports.Service { return reports.New(h.n) }

// MaxUpload bounds imports and attachments sent to the local API.
const MaxUpload = 64 << 20

func (h *Handler) routesReports() map[string]func(*http.Request) (any, error) {
	return map[string]func(*http.Request) (any, error){
		"POST /api/v1/reports":           h.publishReport,
		"POST /api/v1/reports/translate": h.translate,
		"GET /api/v1/reports":            h.reports,
		"GET /api/v1/reports/read":       h.readReport,
		"GET /api/v1/reports/status":     h.reportStatus,
		"GET /api/v1/drafts":             h.drafts,
		"POST /api/v1/drafts":            h.saveDraft,
		"POST /api/v1/drafts/publish":    h.publishDraft,
		"POST /api/v1/drafts/delete":     h.deleteDraft,
		"POST /api/v1/import":            h.importFile,
		"POST /api/v1/attachments":       h.attach,
		"GET /api/v1/search":             h.search,
		"POST /api/v1/site":              h.buildSite,
	}
}

func (h *Handler) publishReport(r *http.Request) (any, error) {
	var req ReportRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.rep().Publish(r.Context(), req.As, req.Input)
}

func (h *Handler) translate(r *http.Request) (any, error) {
	var req TranslateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.rep().Translate(r.Context(), req.As, req.Addr, req.Input)
}

func (h *Handler) reports(r *http.Request) (any, error) {
	q := r.URL.Query()
	f := reports.Filter{Lang: q.Get("lang")}
	if a := q.Get("author"); a != "" {
		pk, err := h.n.Resolve(r.Context(), q.Get("as"), a)
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
		}
		f.Author = pk.Hex()
	}
	n, err := limitParam(q, 10000)
	if err != nil {
		return nil, err
	}
	f.Limit = n
	if f.Order, err = orderParam(q.Get("order")); err != nil {
		return nil, err
	}
	return list(h.rep().List(r.Context(), f))
}

// limitParam reads the optional "limit" parameter (0 when absent), from 1
// to max (no bound when max is 0).
func limitParam(q url.Values, max int) (int, error) {
	l := q.Get("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || max > 0 && n > max {
		if max > 0 {
			return 0, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("limit must be a number from 1 to %d", max)}
		}
		return 0, &Error{Code: CodeInvalid, Msg: "limit must be a positive number"}
	}
	return n, nil
}

func (h *Handler) readReport(r *http.Request) (any, error) {
	q := r.URL.Query()
	return h.rep().Read(r.Context(), q.Get("addr"), q.Get("lang"), q.Get("version"))
}

func (h *Handler) reportStatus(r *http.Request) (any, error) {
	return h.rep().Status(r.Context(), r.URL.Query().Get("addr"))
}

func (h *Handler) drafts(r *http.Request) (any, error) {
	return list(h.rep().Drafts(r.Context(), r.URL.Query().Get("as")))
}

func (h *Handler) saveDraft(r *http.Request) (any, error) {
	var req DraftRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.rep().SaveDraft(r.Context(), req.As, req.Draft)
}

func (h *Handler) publishDraft(r *http.Request) (any, error) {
	var req DraftRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.rep().PublishDraft(r.Context(), req.As, req.D, req.Input)
}

func (h *Handler) deleteDraft(r *http.Request) (any, error) {
	var req DraftRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return struct{}{}, h.rep().DeleteDraft(r.Context(), req.As, req.D)
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

func (h *Handler) search(r *http.Request) (any, error) {
	q := r.URL.Query()
	o := store.SearchOptions{Open: q.Get("open"), Close: q.Get("close")}
	for _, k := range q["kind"] {
		n, err := strconv.Atoi(k)
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: "kind must be a number"}
		}
		o.Kinds = append(o.Kinds, n)
	}
	n, err := limitParam(q, 0)
	if err != nil {
		return nil, err
	}
	o.Limit = n
	order, err := orderParam(q.Get("order"))
	if err != nil {
		return nil, err
	}
	return list(h.rep().Search(r.Context(), q.Get("q"), o, order))
}

func (h *Handler) buildSite(r *http.Request) (any, error) {
	var req SiteRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.rep().BuildSite(r.Context(), req.Dir, reports.SiteOptions{Title: req.Title, BaseURL: req.Base})
}

// Client methods.

// PublishReport publishes a new report, or a new version of one.
func (c *Client) PublishReport(ctx context.Context, as string, in reports.Input) (*reports.Report, error) {
	var r reports.Report
	return &r, c.do(ctx, "POST", "/api/v1/reports", ReportRequest{As: as, Input: in}, &r)
}

// Translate publishes a translation of the report at addr.
func (c *Client) Translate(ctx context.Context, as, addr string, in reports.Input) (*reports.Report, error) {
	var r reports.Report
	return &r, c.do(ctx, "POST", "/api/v1/reports/translate", TranslateRequest{As: as, Addr: addr, Input: in}, &r)
}

// Reports lists reports, in order o (node.Reports).
func (c *Client) Reports(ctx context.Context, lang, author string, limit int, o node.Order) ([]reports.Report, error) {
	var rs []reports.Report
	v := url.Values{"lang": {lang}, "author": {author}}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	orderValue(v, o)
	return rs, c.do(ctx, "GET", "/api/v1/reports?"+v.Encode(), nil, &rs)
}

// ReadReport returns a report's text, in lang if translated.
func (c *Client) ReadReport(ctx context.Context, addr, lang, version string) (*reports.Report, error) {
	var r reports.Report
	v := url.Values{"addr": {addr}, "lang": {lang}, "version": {version}}
	return &r, c.do(ctx, "GET", "/api/v1/reports/read?"+v.Encode(), nil, &r)
}

// ReportStatus says where a report is held.
func (c *Client) ReportStatus(ctx context.Context, addr string) (*reports.Status, error) {
	var s reports.Status
	return &s, c.do(ctx, "GET", "/api/v1/reports/status?addr="+url.QueryEscape(addr), nil, &s)
}

// Drafts lists drafts.
func (c *Client) Drafts(ctx context.Context, as string) ([]reports.Draft, error) {
	var ds []reports.Draft
	return ds, c.do(ctx, "GET", "/api/v1/drafts?as="+url.QueryEscape(as), nil, &ds)
}

// SaveDraft saves a draft.
func (c *Client) SaveDraft(ctx context.Context, as string, d reports.Draft) (reports.Draft, error) {
	var out reports.Draft
	return out, c.do(ctx, "POST", "/api/v1/drafts", DraftRequest{As: as, Draft: d}, &out)
}

// PublishDraft publishes a draft, with overrides.
func (c *Client) PublishDraft(ctx context.Context, as, d string, over reports.Input) (*reports.Report, error) {
	var r reports.Report
	return &r, c.do(ctx, "POST", "/api/v1/drafts/publish", DraftRequest{As: as, D: d, Input: over}, &r)
}

// DeleteDraft removes a draft.
func (c *Client) DeleteDraft(ctx context.Context, as, d string) error {
	return c.do(ctx, "POST", "/api/v1/drafts/delete", DraftRequest{As: as, D: d}, nil)
}

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

// Search finds notes and reports, the best matches first unless o says
// otherwise (node.Search).
func (c *Client) Search(ctx context.Context, words string, kinds []int, limit int, open, close string, o node.Order) ([]reports.SearchHit, error) {
	var hs []reports.SearchHit
	v := url.Values{"q": {words}, "open": {open}, "close": {close}}
	orderValue(v, o)
	for _, k := range kinds {
		v.Add("kind", strconv.Itoa(k))
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return hs, c.do(ctx, "GET", "/api/v1/search?"+v.Encode(), nil, &hs)
}

// BuildSite writes the static site.
func (c *Client) BuildSite(ctx context.Context, req SiteRequest) (reports.SiteResult, error) {
	var s reports.SiteResult
	return s, c.do(ctx, "POST", "/api/v1/site", req, &s)
}
