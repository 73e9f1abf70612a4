package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/msg"
)

// People lists everyone identity as knows: private contacts (in the vault)
// and the public follow list (kind 3), merged by key.
func (n *Node) People(ctx context.Context, as string) ([]Contact, error) {
	byKey := map[keys.PublicKey]*Contact{}
	var order []keys.PublicKey
	add := func(c Contact) {
		if e, ok := byKey[c.PubKey]; ok {
			e.Followed = e.Followed || c.Followed
			if e.Petname == "" {
				e.Petname = c.Petname
			}
			if e.Relay == "" {
				e.Relay = c.Relay
			}
			return
		}
		cc := c
		byKey[c.PubKey] = &cc
		order = append(order, c.PubKey)
	}
	if m, err := n.messenger(as); err == nil {
		m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
			var c Contact
			if json.Unmarshal(raw, &c) == nil {
				c.Private = true
				add(c)
			}
			return nil
		})
	} else if !errors.Is(err, keys.ErrLocked) {
		return nil, err
	}
	follows, err := n.Contacts(ctx, as)
	if err != nil {
		return nil, err
	}
	for _, c := range follows {
		c.Followed = true
		add(c)
	}
	out := make([]Contact, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Petname) < strings.ToLower(out[j].Petname) })
	return out, nil
}

// AddContact keeps someone in identity as's private address book.
func (n *Node) AddContact(ctx context.Context, as string, pk keys.PublicKey, petname, relay string) (Contact, error) {
	m, err := n.messenger(as)
	if err != nil {
		return Contact{}, err
	}
	if pk.Hex() == m.id.PubKey() {
		return Contact{}, errors.New("that is your own key")
	}
	var c Contact
	m.vault.Get(ctx, vContact, pk.Hex(), &c)
	if petname != "" {
		if other, _ := n.findContact(ctx, m, petname); other != nil && other.PubKey != pk {
			return Contact{}, fmt.Errorf("the name %q is already %s; choose another", petname, other.NPub)
		}
		c.Petname = petname
	}
	c.PubKey, c.NPub = pk, pk.NPub()
	if relay != "" {
		c.Relay = relay
	}
	if c.Added.IsZero() {
		c.Added = n.now().UTC().Truncate(time.Second)
	}
	if err := m.vault.Put(ctx, vContact, pk.Hex(), c); err != nil {
		return Contact{}, err
	}
	n.graphDirty()
	c.Private = true
	return c, nil
}

// RemoveContact forgets a private contact.
func (n *Node) RemoveContact(ctx context.Context, as string, pk keys.PublicKey) error {
	m, err := n.messenger(as)
	if err != nil {
		return err
	}
	if ok, _ := m.vault.Has(ctx, vContact, pk.Hex()); !ok {
		return fmt.Errorf("%s is not in your contacts: %w", pk.Short(), ErrNotFound)
	}
	n.graphDirty()
	return m.vault.Delete(ctx, vContact, pk.Hex())
}

// SafetyNumber is what identity as and pk compare to verify each other.
func (n *Node) SafetyNumber(as string, pk keys.PublicKey) (string, error) {
	id, err := n.Keys.Get(as)
	if err != nil {
		return "", err
	}
	return msg.SafetyNumber(id.PubKey.Hex(), pk.Hex())
}

// VerifyContact records that the safety numbers matched.
func (n *Node) VerifyContact(ctx context.Context, as string, pk keys.PublicKey) (Contact, error) {
	m, err := n.messenger(as)
	if err != nil {
		return Contact{}, err
	}
	var c Contact
	if ok, _ := m.vault.Get(ctx, vContact, pk.Hex(), &c); !ok {
		c = Contact{PubKey: pk, NPub: pk.NPub(), Added: n.now().UTC().Truncate(time.Second)}
	}
	c.Verified, c.VerifiedAt = true, n.now().UTC().Truncate(time.Second)
	return c, m.vault.Put(ctx, vContact, pk.Hex(), c)
}

// Resolve turns what a person typed into a key: an npub, nprofile or hex
// key, or the name of a contact (private first, then the follow list).
func (n *Node) Resolve(ctx context.Context, as, who string) (keys.PublicKey, error) {
	if pk, _, err := keys.ParsePublicKey(who); err == nil {
		return pk, nil
	}
	if m, err := n.messenger(as); err == nil {
		if c, _ := n.findContact(ctx, m, who); c != nil {
			return c.PubKey, nil
		}
	}
	follows, _ := n.Contacts(ctx, as)
	for _, c := range follows {
		if sameName(c.Petname, who) {
			return c.PubKey, nil
		}
	}
	return "", fmt.Errorf("%q is neither a key nor the name of one of your contacts: %w", who, ErrNotFound)
}

func (n *Node) findContact(ctx context.Context, m *messenger, name string) (*Contact, error) {
	var found *Contact
	err := m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
		var c Contact
		if json.Unmarshal(raw, &c) == nil && sameName(c.Petname, name) {
			found = &c
		}
		return nil
	})
	return found, err
}

// Group is a named set of people who write to each other (NIP-17 rooms are
// defined by their members; the name travels as the "subject").
type Group struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"` // hex keys, not including us
	Created int64    `json:"created"`
}

// Groups lists identity as's groups.
func (n *Node) Groups(ctx context.Context, as string) ([]Group, error) {
	m, err := n.messenger(as)
	if err != nil {
		return nil, err
	}
	var out []Group
	err = m.vault.List(ctx, vGroup, func(raw json.RawMessage) error {
		var g Group
		if json.Unmarshal(raw, &g) == nil {
			out = append(out, g)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// FindGroup finds a group by name or id.
func (n *Node) FindGroup(ctx context.Context, as, name string) (Group, error) {
	gs, err := n.Groups(ctx, as)
	if err != nil {
		return Group{}, err
	}
	for _, g := range gs {
		if g.ID == name || sameName(g.Name, name) {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("no group called %q: %w", name, ErrNotFound)
}

// NewGroup creates a group and tells its members.
func (n *Node) NewGroup(ctx context.Context, as, name string, members []string) (Group, error) {
	m, err := n.messenger(as)
	if err != nil {
		return Group{}, err
	}
	if strings.TrimSpace(name) == "" {
		return Group{}, errors.New("a group needs a name")
	}
	if _, err := n.FindGroup(ctx, as, name); err == nil {
		return Group{}, fmt.Errorf("you already have a group called %q", name)
	}
	members = uniqueKeys(members, m.id.PubKey())
	if len(members) == 0 || len(members)+1 > MaxGroup {
		return Group{}, fmt.Errorf("a group has 2 to %d members, you included", MaxGroup)
	}
	g := Group{ID: n.randHex(8), Name: name, Members: members, Created: n.now().Unix()}
	if err := m.vault.Put(ctx, vGroup, g.ID, g); err != nil {
		return g, err
	}
	_, err = n.Send(ctx, as, g.Members, fmt.Sprintf("created the group %q", name), name, nil)
	return g, err
}

// ChangeGroup adds and removes members and tells the new set of members.
func (n *Node) ChangeGroup(ctx context.Context, as, group string, add, remove []string) (Group, error) {
	m, err := n.messenger(as)
	if err != nil {
		return Group{}, err
	}
	g, err := n.FindGroup(ctx, as, group)
	if err != nil {
		return g, err
	}
	members := uniqueKeys(append(slices.Clone(g.Members), add...), m.id.PubKey())
	members = slices.DeleteFunc(members, func(k string) bool { return slices.Contains(remove, k) })
	if len(members) == 0 || len(members)+1 > MaxGroup {
		return g, fmt.Errorf("a group has 2 to %d members, you included", MaxGroup)
	}
	g.Members = members
	if err := m.vault.Put(ctx, vGroup, g.ID, g); err != nil {
		return g, err
	}
	var note []string
	for _, k := range add {
		note = append(note, "added "+keys.PublicKey(k).Short())
	}
	for _, k := range remove {
		note = append(note, "removed "+keys.PublicKey(k).Short())
	}
	_, err = n.Send(ctx, as, g.Members, strings.Join(note, ", "), g.Name, nil)
	return g, err
}

// LeaveGroup says goodbye to the group and forgets it.
func (n *Node) LeaveGroup(ctx context.Context, as, group string) error {
	m, err := n.messenger(as)
	if err != nil {
		return err
	}
	g, err := n.FindGroup(ctx, as, group)
	if err != nil {
		return err
	}
	if _, err := n.Send(ctx, as, g.Members, "left the group", g.Name, nil); err != nil {
		return err
	}
	return m.vault.Delete(ctx, vGroup, g.ID)
}

// Conversation is one row of the inbox.
type Conversation struct {
	Room    string   `json:"room"`
	Members []string `json:"members"`
	Title   string   `json:"title"`
	Last    Message  `json:"last"`
	Unread  int      `json:"unread"`
	Total   int      `json:"total"`
}

// Inbox lists identity as's conversations, the most recent first, after
// opening whatever arrived while it was locked.
func (n *Node) Inbox(ctx context.Context, as string) ([]Conversation, error) {
	m, err := n.messenger(as)
	if err != nil {
		return nil, err
	}
	n.ReadBacklog(ctx, as)
	names := n.nameBook(ctx, as)
	rooms := map[string]*Conversation{}
	err = m.vault.List(ctx, vMsg, func(raw json.RawMessage) error {
		var x Message
		if json.Unmarshal(raw, &x) != nil {
			return nil
		}
		c, ok := rooms[x.Room]
		if !ok {
			c = &Conversation{Room: x.Room, Members: x.Members}
			rooms[x.Room] = c
		}
		c.Total++
		if !x.Read {
			c.Unread++
		}
		if x.At >= c.Last.At {
			c.Last = x
		}
		if x.Subject != "" {
			c.Title = x.Subject
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	me := m.id.PubKey()
	out := make([]Conversation, 0, len(rooms))
	for _, c := range rooms {
		if c.Title == "" {
			var ns []string
			for _, k := range c.Members {
				if k != me {
					ns = append(ns, names(k))
				}
			}
			c.Title = strings.Join(ns, ", ")
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Last.At > out[j].Last.At })
	return out, nil
}

// Chat returns one conversation, oldest first, and marks it read. with is
// a room (as in Conversation.Room), a contact or key (the one-to-one
// conversation), or a group's name.
func (n *Node) Chat(ctx context.Context, as, with string, markRead bool) (string, []Message, error) {
	m, err := n.messenger(as)
	if err != nil {
		return "", nil, err
	}
	n.ReadBacklog(ctx, as)
	room, err := n.RoomOf(ctx, as, with)
	if err != nil {
		return "", nil, err
	}
	var out []Message
	err = m.vault.List(ctx, vMsg, func(raw json.RawMessage) error {
		var x Message
		if json.Unmarshal(raw, &x) == nil && x.Room == room {
			out = append(out, x)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].At != out[j].At {
			return out[i].At < out[j].At
		}
		return out[i].ID < out[j].ID
	})
	if markRead {
		for i := range out {
			if !out[i].Read {
				out[i].Read = true
				m.vault.Put(ctx, vMsg, out[i].ID, out[i])
			}
		}
	}
	return room, out, err
}

// RoomOf names the conversation with someone, a group, or a room key.
func (n *Node) RoomOf(ctx context.Context, as, with string) (string, error) {
	id, err := n.Keys.Get(as)
	if err != nil {
		return "", err
	}
	if strings.Contains(with, ",") {
		return with, nil
	}
	if g, err := n.FindGroup(ctx, as, with); err == nil {
		return strings.Join(sortedWith(g.Members, id.PubKey.Hex()), ","), nil
	}
	pk, err := n.Resolve(ctx, as, with)
	if err == nil {
		return strings.Join(sortedWith([]string{pk.Hex()}, id.PubKey.Hex()), ","), nil
	}
	// A group someone else made: its name arrives as the subject.
	if convs, ierr := n.Inbox(ctx, as); ierr == nil {
		for _, c := range convs {
			if sameName(c.Title, with) && len(c.Members) > 2 {
				return c.Room, nil
			}
		}
	}
	return "", err
}

func sortedWith(keys []string, me string) []string {
	out := append(uniqueKeys(keys, me), me)
	sort.Strings(out)
	return out
}

// nameBook returns how to call a key: a petname, "you", or a short npub.
func (n *Node) nameBook(ctx context.Context, as string) func(string) string {
	names := map[string]string{}
	if ps, err := n.People(ctx, as); err == nil {
		for _, p := range ps {
			if p.Petname != "" {
				names[p.PubKey.Hex()] = p.Petname
			}
		}
	}
	return func(k string) string {
		if v, ok := names[k]; ok {
			return v
		}
		return keys.PublicKey(k).Short()
	}
}

// Receipts says whether identity as tells senders their messages arrived.
func (n *Node) Receipts(ctx context.Context, as string) (bool, error) {
	m, err := n.messenger(as)
	if err != nil {
		return false, err
	}
	var s Settings
	m.vault.Get(ctx, vSettings, "settings", &s)
	return !s.NoReceipts, nil
}

// SetReceipts turns delivery receipts for identity as on or off.
func (n *Node) SetReceipts(ctx context.Context, as string, on bool) error {
	m, err := n.messenger(as)
	if err != nil {
		return err
	}
	var s Settings
	m.vault.Get(ctx, vSettings, "settings", &s)
	s.NoReceipts = !on
	return m.vault.Put(ctx, vSettings, "settings", s)
}

// privateContacts lists the keys in every unlocked identity's address
// book, for the follow graph.
func (n *Node) privateContacts(ctx context.Context) []string {
	ids, err := n.Keys.List()
	if err != nil {
		return nil
	}
	var out []string
	for _, id := range ids {
		m, err := n.messenger(id.Name)
		if err != nil {
			continue
		}
		m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
			var c Contact
			if json.Unmarshal(raw, &c) == nil {
				out = append(out, c.PubKey.Hex())
			}
			return nil
		})
	}
	return out
}
