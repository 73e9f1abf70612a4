package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// SearchHit is one search result.
type SearchHit struct {
	Kind       int    `json:"kind"`
	ID         string `json:"id"`
	Ref        string `json:"ref"` // naddr for reports, nevent for notes
	Author     string `json:"author"`
	AuthorName string `json:"author_name,omitempty"`
	Title      string `json:"title,omitempty"` // reports, matches marked
	Snippet    string `json:"snippet"`
	Lang       string `json:"lang,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	Trust      Trust  `json:"trust"`
}

// Search finds notes and reports by their words (see store.Search for
// what may be typed). Matches are marked with open and close. The best
// matches come first; ByTrust puts the hits by own identities and
// contacts first, then the rest as Feed does, best first within each;
// ByTime puts the newest first.
func (n *Node) Search(ctx context.Context, words string, o store.SearchOptions, order Order) ([]SearchHit, error) {
	hits, err := n.Store.Search(ctx, words, o)
	if errors.Is(err, store.ErrQuery) {
		return nil, event.Reject(event.Invalid, "%v", err)
	} else if err != nil {
		return nil, err
	}
	g := n.graphNow(ctx)
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		var ev nostr.Event
		if json.Unmarshal(h.Raw, &ev) != nil {
			continue
		}
		sh := SearchHit{Kind: ev.Kind, ID: ev.ID, Author: ev.PubKey, Snippet: h.Snippet, CreatedAt: int64(ev.CreatedAt)}
		sh.AuthorName = n.profileName(ctx, ev.PubKey)
		sh.Trust = trustIn(g, ev.PubKey)
		if ev.Kind == KindReport {
			sh.Ref = Naddr(ev.PubKey, tagValue(&ev, "d"))
			sh.Title = h.Title
			sh.Lang = reportLang(&ev)
		} else {
			sh.Ref, _ = nip19.EncodeEvent(ev.ID, nil, ev.PubKey)
		}
		out = append(out, sh)
	}
	switch order {
	case ByTrust:
		slices.SortStableFunc(out, func(a, b SearchHit) int { return compareTrust(a.Trust, b.Trust) })
	case ByTime:
		slices.SortStableFunc(out, func(a, b SearchHit) int { return cmp.Compare(b.CreatedAt, a.CreatedAt) })
	}
	return out, nil
}
