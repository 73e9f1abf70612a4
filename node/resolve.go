package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nbd-wtf/go-nostr"
	"golang.org/x/text/unicode/norm"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
)

// ErrUnknownPerson is what Resolve returns for text that is neither a key
// nor a contact's name. It is an ErrNotFound.
var ErrUnknownPerson = fmt.Errorf("%w", ErrNotFound)

// Resolve turns what a person typed into a key: an npub, nprofile or hex
// key, or the name of a contact (private first, as OnResolve's functions
// know them, then the follow list).
func (n *Node) Resolve(ctx context.Context, as, who string) (keys.PublicKey, error) {
	if pk, _, err := keys.ParsePublicKey(who); err == nil {
		return pk, nil
	}
	for _, f := range n.hooks.resolve.All() {
		if pk, ok := f(ctx, as, who); ok {
			return pk, nil
		}
	}
	follows, _ := n.Contacts(ctx, as)
	for _, c := range follows {
		if SameName(c.Petname, who) {
			return c.PubKey, nil
		}
	}
	return "", fmt.Errorf("%q is neither a key nor the name of one of your contacts: %w", who, ErrUnknownPerson)
}

// ProfileName is the name someone gives themselves in their kind-0
// profile, or "".
func (n *Node) ProfileName(ctx context.Context, pk string) string {
	evs, err := n.st.QueryEvents(ctx, nostr.Filter{Authors: []string{pk}, Kinds: []int{event.KindProfile}, Limit: 1}, 1)
	if err != nil || len(evs) == 0 {
		return ""
	}
	var p struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
	}
	json.Unmarshal([]byte(evs[0].Content), &p)
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Name
}

// SameName compares names as people read them: case, spacing and Unicode
// compatibility forms ignored. An empty name is nobody's.
func SameName(a, b string) bool {
	f := func(s string) string {
		s = norm.NFKC.String(strings.ToLower(s))
		return strings.Join(strings.Fields(s), "")
	}
	return a != "" && f(a) == f(b)
}
