package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
)

// ErrNotFound means what was asked for is not held.
var ErrNotFound = errors.New("not found")

// Contact is one entry of an identity's follow list (kind 3, NIP-02).
type Contact struct {
	PubKey     keys.PublicKey `json:"pubkey"`
	NPub       string         `json:"npub"`
	Relay      string         `json:"relay,omitempty"`
	Petname    string         `json:"petname,omitempty"`
	Verified   bool           `json:"verified,omitempty"` // safety numbers compared
	VerifiedAt time.Time      `json:"verified_at,omitzero"`
	Added      time.Time      `json:"added,omitzero"`
	Private    bool           `json:"private,omitempty"`  // in the encrypted address book
	Followed   bool           `json:"followed,omitempty"` // in the public follow list (kind 3)
}

// ContactList returns the newest kind-3 event of identity as, or nil.
func (n *Node) ContactList(ctx context.Context, as string) (*nostr.Event, error) {
	id, err := n.kr.Get(as)
	if err != nil {
		return nil, err
	}
	evs, err := n.st.QueryEvents(ctx, nostr.Filter{Authors: []string{id.PubKey.Hex()}, Kinds: []int{event.KindFollowList}, Limit: 1}, 1)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0], nil
}

// Contacts lists whom identity as follows.
func (n *Node) Contacts(ctx context.Context, as string) ([]Contact, error) {
	list, err := n.ContactList(ctx, as)
	if err != nil || list == nil {
		return nil, err
	}
	var out []Contact
	for _, t := range list.Tags {
		if len(t) < 2 || t[0] != "p" {
			continue
		}
		pk, _, err := keys.ParsePublicKey(t[1])
		if err != nil {
			continue // someone else's client wrote junk; skip it, keep it in the list
		}
		c := Contact{PubKey: pk, NPub: pk.NPub()}
		if len(t) > 2 {
			c.Relay = t[2]
		}
		if len(t) > 3 {
			c.Petname = t[3]
		}
		out = append(out, c)
	}
	return out, nil
}

// Follow adds (or updates) pk in identity as's follow list and publishes the
// new list.
func (n *Node) Follow(ctx context.Context, as string, pk keys.PublicKey, relay, petname string) (*nostr.Event, error) {
	return n.editContacts(ctx, as, func(tags nostr.Tags) nostr.Tags {
		tag := nostr.Tag{"p", pk.Hex(), relay, petname}
		if petname == "" {
			tag = tag[:3]
			if relay == "" {
				tag = tag[:2]
			}
		}
		for i, t := range tags {
			if len(t) >= 2 && t[0] == "p" && t[1] == pk.Hex() {
				tags[i] = tag
				return tags
			}
		}
		return append(tags, tag)
	})
}

// Unfollow removes pk from identity as's follow list and publishes it.
func (n *Node) Unfollow(ctx context.Context, as string, pk keys.PublicKey) (*nostr.Event, error) {
	cs, err := n.Contacts(ctx, as)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(cs, func(c Contact) bool { return c.PubKey == pk }) {
		return nil, fmt.Errorf("%s is not in the contact list: %w", pk.Short(), ErrNotFound)
	}
	return n.editContacts(ctx, as, func(tags nostr.Tags) nostr.Tags {
		return slices.DeleteFunc(tags, func(t nostr.Tag) bool {
			return len(t) >= 2 && t[0] == "p" && t[1] == pk.Hex()
		})
	})
}

func (n *Node) editContacts(ctx context.Context, as string, edit func(nostr.Tags) nostr.Tags) (*nostr.Event, error) {
	old, err := n.ContactList(ctx, as)
	if err != nil {
		return nil, err
	}
	ev := &nostr.Event{Kind: event.KindFollowList, Tags: nostr.Tags{}}
	if old != nil {
		ev.Content = old.Content
		for _, t := range old.Tags {
			ev.Tags = append(ev.Tags, append(nostr.Tag(nil), t...))
		}
	}
	ev.Tags = edit(ev.Tags)
	return n.Publish(ctx, as, ev) // newer than old, whatever the clock says
}
