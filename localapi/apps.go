package localapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/caravan-mesh/caravan/apps"
)

// Endpoints for handing out the program itself, under /api/v1:
//
//	GET  apps             apps.Set of the published files (not_found: none)
//	POST apps/publish     AppsPublishRequest -> apps.Set
//	POST apps/remove      stop handing out the program

// AppsPublishRequest publishes the binaries of a folder on this machine.
type AppsPublishRequest struct {
	As  string `json:"as,omitempty"`
	Dir string `json:"dir"` // absolute path
}

func (h *Handler) routesApps() map[string]func(*http.Request) (any, error) {
	return map[string]func(*http.Request) (any, error){
		"GET /api/v1/apps":          h.apps,
		"POST /api/v1/apps/publish": h.publishApps,
		"POST /api/v1/apps/remove":  h.removeApps,
	}
}

// appsError carries the what, where and what-to-do of package apps to the
// client.
func appsError(err error) error {
	var e *apps.Error
	switch {
	case errors.As(err, &e):
		return &Error{Code: CodeInvalid, Msg: e.Error(), Hint: e.Hint}
	case errors.Is(err, apps.ErrNothingPublished):
		return &Error{Code: CodeNotFound, Msg: err.Error(),
			Hint: "build the binaries with 'scripts/release DIR', then publish them with 'caravan apps publish DIR'"}
	}
	return err
}

func (h *Handler) apps(r *http.Request) (any, error) {
	set, err := h.n.Apps(r.Context())
	if err != nil {
		return nil, appsError(err)
	}
	return set, nil
}

func (h *Handler) publishApps(r *http.Request) (any, error) {
	var req AppsPublishRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(req.Dir) {
		// Relative to what? The node may run in another directory.
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("folder %q is not an absolute path", req.Dir),
			Hint: "give the full path of the folder that scripts/release wrote"}
	}
	set, err := h.n.PublishApps(r.Context(), req.As, req.Dir)
	if err != nil {
		return nil, appsError(err)
	}
	return set, nil
}

func (h *Handler) removeApps(r *http.Request) (any, error) {
	if err := h.n.RemoveApps(r.Context()); err != nil {
		return nil, appsError(err)
	}
	return struct{}{}, nil
}

// Apps describes the published program files.
func (c *Client) Apps(ctx context.Context) (*apps.Set, error) {
	set := new(apps.Set)
	return set, c.do(ctx, "GET", "/api/v1/apps", nil, set)
}

// PublishApps publishes the binaries of a folder, signing their sums.
func (c *Client) PublishApps(ctx context.Context, req AppsPublishRequest) (*apps.Set, error) {
	set := new(apps.Set)
	return set, c.do(ctx, "POST", "/api/v1/apps/publish", req, set)
}

// RemoveApps stops handing out the program.
func (c *Client) RemoveApps(ctx context.Context) error {
	return c.do(ctx, "POST", "/api/v1/apps/remove", struct{}{}, nil)
}
