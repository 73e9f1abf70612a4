package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Web of trust endpoints, under /api/v1 (docs/trust.md):
//
//	POST feed      FeedRequest -> []node.FeedItem: events with their authors' standing
//	POST trust     TrustRequest -> {"<hex key>": node.Trust, ...}
//
// GET reports and GET search take order=time|trust too, and every
// node.Report and node.SearchHit carries its author's "trust".

// Request bodies.
type (
	FeedRequest struct {
		Filter json.RawMessage `json:"filter,omitempty"` // a NIP-01 filter; {} if absent
		Order  node.Order      `json:"order,omitempty"`  // time (the default) or trust
	}
	TrustRequest struct {
		PubKeys []string `json:"pubkeys"` // hex, npub or nprofile
	}
)

// maxTrustKeys bounds one trust request: a group has at most 100 members
// and a page of events fewer authors.
const maxTrustKeys = 1000

func (h *Handler) routesTrust() map[string]func(*http.Request) (any, error) {
	return map[string]func(*http.Request) (any, error){
		"POST /api/v1/feed":  h.feed,
		"POST /api/v1/trust": h.trust,
	}
}

func (h *Handler) feed(r *http.Request) (any, error) {
	var req FeedRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	o, err := orderParam(string(req.Order))
	if err != nil {
		return nil, err
	}
	if len(req.Filter) == 0 {
		req.Filter = json.RawMessage(`{}`)
	}
	f, err := event.DecodeFilter(req.Filter)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: "filter: " + err.Error()}
	}
	return list(h.n.Feed(r.Context(), f, o))
}

func (h *Handler) trust(r *http.Request) (any, error) {
	var req TrustRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if len(req.PubKeys) > maxTrustKeys {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("%d keys; at most %d in one request", len(req.PubKeys), maxTrustKeys)}
	}
	hex := make([]string, 0, len(req.PubKeys))
	for _, s := range req.PubKeys {
		pk, _, err := keys.ParsePublicKey(s)
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
		}
		hex = append(hex, pk.Hex())
	}
	return h.n.TrustOf(r.Context(), hex), nil
}

func orderParam(s string) (node.Order, error) {
	o, err := node.ParseOrder(s)
	if err != nil {
		return "", &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	return o, nil
}

// Client methods.

// Feed returns the events f matches with their authors' standing, in
// order o (node.Feed).
func (c *Client) Feed(ctx context.Context, f nostr.Filter, o node.Order) ([]node.FeedItem, error) {
	b, err := f.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var items []node.FeedItem
	return items, c.do(ctx, "POST", "/api/v1/feed", FeedRequest{Filter: b, Order: o}, &items)
}

// Trust says where each key (hex, npub or nprofile) stands, by hex key.
func (c *Client) Trust(ctx context.Context, pubkeys []string) (map[string]node.Trust, error) {
	var out map[string]node.Trust
	return out, c.do(ctx, "POST", "/api/v1/trust", TrustRequest{PubKeys: pubkeys}, &out)
}

// orderValue adds order to v when it is not the default.
func orderValue(v url.Values, o node.Order) {
	if o != "" {
		v.Set("order", string(o))
	}
}
