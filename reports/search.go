package reports

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// SearchHit is one search result.
type SearchHit struct {
	Kind       int        `json:"kind"`
	ID         string     `json:"id"`
	Ref        string     `json:"ref"` // naddr for reports, nevent for notes
	Author     string     `json:"author"`
	AuthorName string     `json:"author_name,omitempty"`
	Title      string     `json:"title,omitempty"` // reports, matches marked
	Snippet    string     `json:"snippet"`
	Lang       string     `json:"lang,omitempty"`
	CreatedAt  int64      `json:"created_at"`
	Trust      node.Trust `json:"trust"`
}

// searchPool is how many of the best matches a search sorted by trust or
// time chooses from: a contact's match that is not among the very best
// still reaches the first page.
const searchPool = 200

// Search finds notes and reports by their words (see store.Search for
// what may be typed). Matches are marked with open and close. The best
// matches come first. node.ByTrust puts the matches by the node's
// identities and contacts first, then the rest as the node's Feed does,
// best first within each; node.ByTime puts the newest first. Both choose
// o.Limit hits from the searchPool best.
func (s *Service) Search(ctx context.Context, words string, o store.SearchOptions, order node.Order) ([]SearchHit, error) {
	limit := o.Limit
	if limit <= 0 {
		limit = 20
	}
	if order != "" {
		o.Limit = max(limit, searchPool)
	}
	hits, err := s.p.Store.Search(ctx, words, o)
	if errors.Is(err, store.ErrQuery) {
		return nil, event.Reject(event.Invalid, "%v", err)
	} else if err != nil {
		return nil, err
	}
	type found struct {
		ev  nostr.Event
		hit store.Hit
		sh  SearchHit
	}
	all := make([]found, 0, len(hits))
	for _, h := range hits {
		var f found
		if json.Unmarshal(h.Raw, &f.ev) != nil {
			continue
		}
		f.hit = h
		f.sh = SearchHit{Kind: f.ev.Kind, ID: f.ev.ID, Author: f.ev.PubKey, Snippet: h.Snippet, CreatedAt: int64(f.ev.CreatedAt)}
		all = append(all, f)
	}
	pks := make([]string, len(all))
	for i, f := range all {
		pks[i] = f.ev.PubKey
	}
	trust := s.n.TrustOf(ctx, pks) // one graph for all the hits
	for i := range all {
		all[i].sh.Trust = trust[all[i].ev.PubKey]
	}
	switch order {
	case node.ByTrust:
		slices.SortStableFunc(all, func(a, b found) int { return node.CompareTrust(a.sh.Trust, b.sh.Trust) })
	case node.ByTime:
		slices.SortStableFunc(all, func(a, b found) int { return cmp.Compare(b.sh.CreatedAt, a.sh.CreatedAt) })
	}
	all = all[:min(len(all), limit)]
	out := make([]SearchHit, 0, len(all))
	for _, f := range all {
		sh, ev := f.sh, &f.ev
		sh.AuthorName = s.n.ProfileName(ctx, ev.PubKey)
		if ev.Kind == event.KindReport {
			sh.Ref = Naddr(ev.PubKey, tagValue(ev, "d"))
			sh.Title = f.hit.Title
			sh.Lang = reportLang(ev)
		} else {
			sh.Ref, _ = nip19.EncodeEvent(ev.ID, nil, ev.PubKey)
		}
		out = append(out, sh)
	}
	return out, nil
}
