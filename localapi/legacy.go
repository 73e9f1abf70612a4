package localapi

import (
	"context"
	"net/http"
)

// The reports endpoints still use the hand-written style until they move
// to routes; this file goes with them.

func (h *Handler) legacy(pattern string, f func(*http.Request) (any, error)) {
	h.serve(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !ownLimit[r.URL.Path] {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		v, err := f(r)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		writeJSON(w, v)
	})
}

var ownLimit = map[string]bool{"/api/v1/attachments": true, "/api/v1/import": true}

func list[T any](xs []T, err error) (any, error) { return xs, err }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	if method == "POST" && in == nil {
		in = struct{}{}
	}
	resp, err := c.stream(ctx, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}
