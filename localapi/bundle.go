package localapi

import (
	"context"
	"net/http"

	"github.com/caravan-mesh/caravan/node"
)

// Bundle endpoints:
//
//	POST bundle/export   node.BundleExport -> node.BundleMade
//	POST bundle/import   node.BundleImport -> node.BundleRead
//
// Paths are absolute paths on this machine: the node writes and reads the
// files itself (a bundle can be gigabytes).
func (h *Handler) routesBundle() map[string]func(*http.Request) (any, error) {
	return map[string]func(*http.Request) (any, error){
		"POST /api/v1/bundle/export": h.exportBundle,
		"POST /api/v1/bundle/import": h.importBundle,
	}
}

func (h *Handler) exportBundle(r *http.Request) (any, error) {
	var req node.BundleExport
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.n.ExportBundle(r.Context(), req)
}

func (h *Handler) importBundle(r *http.Request) (any, error) {
	var req node.BundleImport
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return h.n.ImportBundle(r.Context(), req)
}

// ExportBundle writes a bundle file.
func (c *Client) ExportBundle(ctx context.Context, req node.BundleExport) (node.BundleMade, error) {
	var m node.BundleMade
	return m, c.do(ctx, "POST", "/api/v1/bundle/export", req, &m)
}

// ImportBundle reads a bundle file.
func (c *Client) ImportBundle(ctx context.Context, req node.BundleImport) (node.BundleRead, error) {
	var m node.BundleRead
	return m, c.do(ctx, "POST", "/api/v1/bundle/import", req, &m)
}
