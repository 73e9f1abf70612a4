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
	"github.com/caravan-mesh/caravan/msg"
)

// An identity's follow list (kind 3, NIP-02) is public: anyone who holds
// it can read it, and every node carries it. NIP-02 lets each entry carry
// a petname, ["p", key, relay, petname]; Caravan puts one there only when
// the user chose to publish that name (FollowWithPublicName). The names a
// user gives the people they follow stay on this device, in the
// identity's vault (followNames), like the private address book.
//
// A follow list made by an older Caravan, or by another app, may carry
// names nobody chose to publish here. Whenever this node publishes the
// list (a follow, an unfollow), and when an identity is unlocked or the
// node starts serving, such names are moved into the vault and the list
// is published again without them (scrubFollowList). The newer list
// replaces the older on every node it reaches; copies already taken
// elsewhere cannot be recalled.

// ErrNotFound means what was asked for is not held.
var ErrNotFound = errors.New("not found")

// Contact is one person an identity knows: an entry of its follow list
// (kind 3, NIP-02), of its private address book, or both.
type Contact struct {
	PubKey keys.PublicKey `json:"pubkey"`
	NPub   string         `json:"npub"`
	Relay  string         `json:"relay,omitempty"`
	// Petname is what the user calls them. It stays on this device,
	// unless it is also PublicName.
	Petname string `json:"petname,omitempty"`
	// PublicName is the name the follow list publishes for them (a
	// NIP-02 petname), which anyone can read; "" if none.
	PublicName string    `json:"public_name,omitempty"`
	Verified   bool      `json:"verified,omitempty"` // safety numbers compared
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	Added      time.Time `json:"added,omitzero"`
	Private    bool      `json:"private,omitempty"`  // in the encrypted address book
	Followed   bool      `json:"followed,omitempty"` // in the public follow list (kind 3)
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

// Contacts lists whom identity as follows. The names kept on this device
// are there only while the identity is unlocked; a locked one shows the
// published names alone.
func (n *Node) Contacts(ctx context.Context, as string) ([]Contact, error) {
	list, err := n.ContactList(ctx, as)
	if err != nil || list == nil {
		return nil, err
	}
	names, _, _ := n.followNames(ctx, as) // locked: no names of our own
	var out []Contact
	for _, t := range list.Tags {
		if len(t) < 2 || t[0] != "p" {
			continue
		}
		pk, _, err := keys.ParsePublicKey(t[1])
		if err != nil {
			continue // someone else's client wrote junk; skip it, keep it in the list
		}
		c := Contact{PubKey: pk, NPub: pk.NPub(), Petname: names[pk.Hex()].Name}
		if len(t) > 2 {
			c.Relay = t[2]
		}
		if len(t) > 3 {
			c.PublicName = t[3]
		}
		if c.Petname == "" {
			c.Petname = c.PublicName
		}
		out = append(out, c)
	}
	return out, nil
}

// Follow adds (or updates) pk in identity as's follow list and publishes
// the new list. name is what the user calls them: it is kept on this
// device and never published ("" keeps the name given before). A name
// published for them before is taken out of the list.
func (n *Node) Follow(ctx context.Context, as string, pk keys.PublicKey, relay, name string) (*nostr.Event, error) {
	return n.FollowWithPublicName(ctx, as, pk, relay, name, "")
}

// FollowWithPublicName is Follow that also publishes publicName in the
// follow list (a NIP-02 petname), where anyone can read it. Call it only
// when the user chose to make that name public; "" publishes none. The
// name kept on this device is name, or if name is "" the one kept before,
// or else publicName.
func (n *Node) FollowWithPublicName(ctx context.Context, as string, pk keys.PublicKey, relay, name, publicName string) (*nostr.Event, error) {
	return n.editContacts(ctx, as, func(tags nostr.Tags, names followNames) nostr.Tags {
		e := names[pk.Hex()]
		switch {
		case name != "":
			e.Name = name
		case e.Name == "":
			e.Name = publicName
		}
		e.Public = publicName
		names.set(pk.Hex(), e)
		tag := followTag(pk.Hex(), relay, publicName)
		for i, t := range tags {
			if isFollowOf(t, pk.Hex()) {
				tags[i] = tag
				return tags
			}
		}
		return append(tags, tag)
	})
}

// Unfollow removes pk from identity as's follow list, and the name kept
// for them, and publishes the list.
func (n *Node) Unfollow(ctx context.Context, as string, pk keys.PublicKey) (*nostr.Event, error) {
	cs, err := n.Contacts(ctx, as)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(cs, func(c Contact) bool { return c.PubKey == pk }) {
		return nil, fmt.Errorf("%s is not in the contact list: %w", pk.Short(), ErrNotFound)
	}
	return n.editContacts(ctx, as, func(tags nostr.Tags, names followNames) nostr.Tags {
		delete(names, pk.Hex())
		return slices.DeleteFunc(tags, func(t nostr.Tag) bool { return isFollowOf(t, pk.Hex()) })
	})
}

// editContacts publishes identity as's follow list as edit changes it,
// after moving the names nobody chose to publish out of it.
func (n *Node) editContacts(ctx context.Context, as string, edit func(nostr.Tags, followNames) nostr.Tags) (*nostr.Event, error) {
	n.followMu.Lock()
	defer n.followMu.Unlock()
	old, err := n.ContactList(ctx, as)
	if err != nil {
		return nil, err
	}
	names, vault, err := n.followNames(ctx, as)
	if err != nil {
		return nil, err
	}
	ev := &nostr.Event{Kind: event.KindFollowList, Tags: nostr.Tags{}}
	if old != nil {
		ev.Content = old.Content
		ev.Tags, _ = scrub(old.Tags, names)
	}
	ev.Tags = edit(ev.Tags, names)
	// The names first: a list published without them must not lose them.
	if err := vault.Put(ctx, vFollowNames, vFollowNames, names); err != nil {
		return nil, n.diskFull(fmt.Errorf("keep the names of the people you follow: %w", err))
	}
	return n.Publish(ctx, as, ev) // newer than old, whatever the clock says
}

// scrubFollowList publishes identity as's follow list again if it carries
// names the user did not choose to publish (see the top of this file),
// keeping those names in the vault. It does nothing for a locked identity
// or a clean list.
func (n *Node) scrubFollowList(ctx context.Context, as string) error {
	n.followMu.Lock()
	defer n.followMu.Unlock()
	old, err := n.ContactList(ctx, as)
	if err != nil || old == nil {
		return err
	}
	names, vault, err := n.followNames(ctx, as)
	if errors.Is(err, keys.ErrLocked) {
		return nil // the next unlock does it
	}
	if err != nil {
		return err
	}
	tags, changed := scrub(old.Tags, names)
	if !changed {
		return nil
	}
	if err := vault.Put(ctx, vFollowNames, vFollowNames, names); err != nil {
		return n.diskFull(fmt.Errorf("keep the names of the people you follow: %w", err))
	}
	_, err = n.Publish(ctx, as, &nostr.Event{Kind: event.KindFollowList, Content: old.Content, Tags: tags})
	return err
}

// scrubFollowLists is scrubFollowList for every unlocked identity; what
// fails is logged, and tried again at the next unlock or start.
func (n *Node) scrubFollowLists(ctx context.Context) {
	ids, err := n.kr.List()
	if err != nil {
		n.logf("take unpublished names out of follow lists: %v", err)
		return
	}
	for _, id := range ids {
		if !id.Unlocked {
			continue
		}
		if err := n.scrubFollowList(ctx, id.Name); err != nil {
			n.logf("take unpublished names out of the follow list of %s: %v", id.Name, err)
		}
	}
}

// vFollowNames is the kind and the name of the one vault row that holds
// an identity's followNames.
const vFollowNames = "follow-names"

// followNames are the names an identity gives the people it follows, by
// hex public key. The vault keeps them.
type followNames map[string]followName

type followName struct {
	Name   string `json:"n,omitempty"` // what the user calls them, kept here
	Public string `json:"p,omitempty"` // the name the user chose to publish
}

// set records e for key, or forgets key if e holds nothing.
func (f followNames) set(key string, e followName) {
	if e == (followName{}) {
		delete(f, key)
		return
	}
	f[key] = e
}

// followNames reads identity as's names from its vault, which it returns
// for writing them back. A locked identity gives keys.ErrLocked.
func (n *Node) followNames(ctx context.Context, as string) (followNames, *msg.Vault, error) {
	id, err := n.kr.Get(as)
	if err != nil {
		return nil, nil, err
	}
	vk, err := n.kr.VaultKey(id.Name)
	if err != nil {
		return nil, nil, err
	}
	v, err := msg.OpenVault(n.st, id.PubKey.Hex(), vk)
	if err != nil {
		return nil, nil, err
	}
	v.Rand = n.rand
	names := followNames{}
	if _, err := v.Get(ctx, vFollowNames, vFollowNames, &names); err != nil {
		return nil, nil, fmt.Errorf("read the names of the people you follow: %w", err)
	}
	if names == nil { // the row held null
		names = followNames{}
	}
	return names, v, nil
}

// scrub returns a follow list's tags as this node publishes them: each
// "p" tag as key, relay and the name the user chose to publish for that
// key, if any. A name in tags that was not chosen is kept in names (unless
// names has one for that key already); a published name no longer in
// tags (another app took it out) is no longer chosen. changed says
// whether a name, or anything after it, was taken out.
func scrub(tags nostr.Tags, names followNames) (out nostr.Tags, changed bool) {
	out = make(nostr.Tags, 0, len(tags))
	for _, t := range tags {
		if len(t) < 2 || t[0] != "p" {
			out = append(out, slices.Clone(t))
			continue
		}
		key, relay, name := t[1], "", ""
		if len(t) > 2 {
			relay = t[2]
		}
		if len(t) > 3 {
			name = t[3]
		}
		e, ok := names[key]
		if name != e.Public {
			e.Public = ""
			if e.Name == "" {
				if _, _, err := keys.ParsePublicKey(key); err == nil {
					e.Name = name
				}
			}
			if ok || e.Name != "" {
				names.set(key, e)
			}
		}
		if name != e.Public || len(t) > 4 {
			changed = true
		}
		out = append(out, followTag(key, relay, e.Public))
	}
	return out, changed
}

// followTag is a follow list's entry for key (NIP-02), as short as its
// empty parts allow.
func followTag(key, relay, publicName string) nostr.Tag {
	tag := nostr.Tag{"p", key, relay, publicName}
	if publicName == "" {
		tag = tag[:3]
		if relay == "" {
			tag = tag[:2]
		}
	}
	return tag
}

func isFollowOf(t nostr.Tag, key string) bool {
	return len(t) >= 2 && t[0] == "p" && t[1] == key
}
