package localapi

import (
	"context"
	"fmt"
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

// Handing out the program.
var (
	Apps        = Route[Empty, *apps.Set]{"GET", "/api/v1/apps"}
	PublishApps = Route[AppsPublishRequest, *apps.Set]{"POST", "/api/v1/apps/publish"}
	RemoveApps  = Route[Empty, Empty]{"POST", "/api/v1/apps/remove"}
)

func (h *Handler) routesApps() {
	handle(h, Apps, h.apps)
	handle(h, PublishApps, h.publishApps)
	handle(h, RemoveApps, h.removeApps)
}

func (h *Handler) apps(ctx context.Context, _ Empty) (*apps.Set, error) { return h.n.Apps(ctx) }

func (h *Handler) publishApps(ctx context.Context, req AppsPublishRequest) (*apps.Set, error) {
	if !filepath.IsAbs(req.Dir) {
		// Relative to what? The node may run in another directory.
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("folder %q is not an absolute path", req.Dir),
			Hint: "give the full path of the folder that scripts/release wrote"}
	}
	return h.n.PublishApps(ctx, req.As, req.Dir)
}

func (h *Handler) removeApps(ctx context.Context, _ Empty) (Empty, error) {
	return Empty{}, h.n.RemoveApps(ctx)
}
