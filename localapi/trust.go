package localapi

import (
	"context"
	"encoding/json"
	"fmt"

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
// reports.Report and reports.SearchHit carries its author's "trust".

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

// The web of trust.
var (
	Feed  = Route[FeedRequest, []node.FeedItem]{"POST", "/api/v1/feed"}
	Trust = Route[TrustRequest, map[string]node.Trust]{"POST", "/api/v1/trust"} // by hex key
)

func (h *Handler) routesTrust() {
	handle(h, Feed, h.feed)
	handle(h, Trust, h.trust)
}

func (h *Handler) feed(ctx context.Context, req FeedRequest) ([]node.FeedItem, error) {
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
	return h.n.Feed(ctx, f, o)
}

func (h *Handler) trust(ctx context.Context, req TrustRequest) (map[string]node.Trust, error) {
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
	return h.n.TrustOf(ctx, hex), nil
}

func orderParam(s string) (node.Order, error) {
	o, err := node.ParseOrder(s)
	if err != nil {
		return "", &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	return o, nil
}

// FeedOf is the request for the events f matches, in order o.
func FeedOf(f nostr.Filter, o node.Order) FeedRequest {
	b, _ := f.MarshalJSON()
	return FeedRequest{Filter: b, Order: o}
}
