package chat

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
	"github.com/caravan-mesh/caravan/node"
)

// People lists everyone identity as knows: private contacts (in the vault)
// and the public follow list (kind 3), merged by key.
func (s *Service) People(ctx context.Context, as string) ([]node.Contact, error) {
	byKey := map[keys.PublicKey]*node.Contact{}
	var order []keys.PublicKey
	add := func(c node.Contact) {
		if e, ok := byKey[c.PubKey]; ok {
			e.Followed = e.Followed || c.Followed
			if e.Petname == "" {
				e.Petname = c.Petname
			}
			if e.Relay == "" {
				e.Relay = c.Relay
			}
			if e.PublicName == "" {
				e.PublicName = c.PublicName
			}
			return
		}
		cc := c
		byKey[c.PubKey] = &cc
		order = append(order, c.PubKey)
	}
	if m, err := s.messenger(as); err == nil {
		m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
			var c node.Contact
			if json.Unmarshal(raw, &c) == nil {
				c.Private = true
				add(c)
			}
			return nil
		})
	} else if !errors.Is(err, keys.ErrLocked) {
		return nil, err
	}
	follows, err := s.n.Contacts(ctx, as)
	if err != nil {
		return nil, err
	}
	for _, c := range follows {
		c.Followed = true
		add(c)
	}
	out := make([]node.Contact, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Petname) < strings.ToLower(out[j].Petname) })
	return out, nil
}

// AddContact keeps someone in identity as's private address book.
func (s *Service) AddContact(ctx context.Context, as string, pk keys.PublicKey, petname, relay string) (node.Contact, error) {
	m, err := s.messenger(as)
	if err != nil {
		return node.Contact{}, err
	}
	if pk.Hex() == m.id.PubKey() {
		return node.Contact{}, errors.New("that is your own key")
	}
	var c node.Contact
	m.vault.Get(ctx, vContact, pk.Hex(), &c)
	if petname != "" {
		if other, _ := s.findContact(ctx, m, petname); other != nil && other.PubKey != pk {
			return node.Contact{}, fmt.Errorf("the name %q is already %s; choose another", petname, other.NPub)
		}
		c.Petname = petname
	}
	c.PubKey, c.NPub = pk, pk.NPub()
	if relay != "" {
		c.Relay = relay
	}
	if c.Added.IsZero() {
		c.Added = s.p.Now().UTC().Truncate(time.Second)
	}
	if err := m.vault.Put(ctx, vContact, pk.Hex(), c); err != nil {
		return node.Contact{}, err
	}
	s.n.GraphChanged()
	c.Private = true
	return c, nil
}

// RemoveContact forgets a private contact.
func (s *Service) RemoveContact(ctx context.Context, as string, pk keys.PublicKey) error {
	m, err := s.messenger(as)
	if err != nil {
		return err
	}
	if ok, _ := m.vault.Has(ctx, vContact, pk.Hex()); !ok {
		return fmt.Errorf("%s is not in your contacts: %w", pk.Short(), node.ErrNotFound)
	}
	s.n.GraphChanged()
	return m.vault.Delete(ctx, vContact, pk.Hex())
}

// SafetyNumber is what identity as and pk compare to verify each other.
func (s *Service) SafetyNumber(as string, pk keys.PublicKey) (string, error) {
	id, err := s.p.Keys.Get(as)
	if err != nil {
		return "", err
	}
	return msg.SafetyNumber(id.PubKey.Hex(), pk.Hex())
}

// VerifyContact records that the safety numbers matched.
func (s *Service) VerifyContact(ctx context.Context, as string, pk keys.PublicKey) (node.Contact, error) {
	m, err := s.messenger(as)
	if err != nil {
		return node.Contact{}, err
	}
	var c node.Contact
	if ok, _ := m.vault.Get(ctx, vContact, pk.Hex(), &c); !ok {
		c = node.Contact{PubKey: pk, NPub: pk.NPub(), Added: s.p.Now().UTC().Truncate(time.Second)}
	}
	c.Verified, c.VerifiedAt = true, s.p.Now().UTC().Truncate(time.Second)
	return c, m.vault.Put(ctx, vContact, pk.Hex(), c)
}

// contactKey finds a contact by name in identity as's address book, for
// the core's Resolve.
func (s *Service) contactKey(ctx context.Context, as, name string) (keys.PublicKey, bool) {
	m, err := s.messenger(as)
	if err != nil {
		return "", false
	}
	c, _ := s.findContact(ctx, m, name)
	if c == nil {
		return "", false
	}
	return c.PubKey, true
}

func (s *Service) findContact(ctx context.Context, m *messenger, name string) (*node.Contact, error) {
	var found *node.Contact
	err := m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
		var c node.Contact
		if json.Unmarshal(raw, &c) == nil && node.SameName(c.Petname, name) {
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
func (s *Service) Groups(ctx context.Context, as string) ([]Group, error) {
	m, err := s.messenger(as)
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
func (s *Service) FindGroup(ctx context.Context, as, name string) (Group, error) {
	gs, err := s.Groups(ctx, as)
	if err != nil {
		return Group{}, err
	}
	for _, g := range gs {
		if g.ID == name || node.SameName(g.Name, name) {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("no group called %q: %w", name, node.ErrNotFound)
}

// NewGroup creates a group and tells its members.
func (s *Service) NewGroup(ctx context.Context, as, name string, members []string) (Group, error) {
	m, err := s.messenger(as)
	if err != nil {
		return Group{}, err
	}
	if strings.TrimSpace(name) == "" {
		return Group{}, errors.New("a group needs a name")
	}
	if _, err := s.FindGroup(ctx, as, name); err == nil {
		return Group{}, fmt.Errorf("you already have a group called %q", name)
	}
	members = uniqueKeys(members, m.id.PubKey())
	if len(members) == 0 || len(members)+1 > MaxGroup {
		return Group{}, fmt.Errorf("a group has 2 to %d members, you included", MaxGroup)
	}
	g := Group{ID: randHex(s.p.Rand, 8), Name: name, Members: members, Created: s.p.Now().Unix()}
	if err := m.vault.Put(ctx, vGroup, g.ID, g); err != nil {
		return g, err
	}
	_, err = s.Send(ctx, as, g.Members, fmt.Sprintf("created the group %q", name), name, nil)
	return g, err
}

// ChangeGroup adds and removes members and tells the new set of members.
func (s *Service) ChangeGroup(ctx context.Context, as, group string, add, remove []string) (Group, error) {
	m, err := s.messenger(as)
	if err != nil {
		return Group{}, err
	}
	g, err := s.FindGroup(ctx, as, group)
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
	_, err = s.Send(ctx, as, g.Members, strings.Join(note, ", "), g.Name, nil)
	return g, err
}

// LeaveGroup says goodbye to the group and forgets it.
func (s *Service) LeaveGroup(ctx context.Context, as, group string) error {
	m, err := s.messenger(as)
	if err != nil {
		return err
	}
	g, err := s.FindGroup(ctx, as, group)
	if err != nil {
		return err
	}
	if _, err := s.Send(ctx, as, g.Members, "left the group", g.Name, nil); err != nil {
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
func (s *Service) Inbox(ctx context.Context, as string) ([]Conversation, error) {
	m, err := s.messenger(as)
	if err != nil {
		return nil, err
	}
	s.ReadBacklog(ctx, as)
	names := s.nameBook(ctx, as)
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
func (s *Service) Chat(ctx context.Context, as, with string, markRead bool) (string, []Message, error) {
	m, err := s.messenger(as)
	if err != nil {
		return "", nil, err
	}
	s.ReadBacklog(ctx, as)
	room, err := s.RoomOf(ctx, as, with)
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
func (s *Service) RoomOf(ctx context.Context, as, with string) (string, error) {
	id, err := s.p.Keys.Get(as)
	if err != nil {
		return "", err
	}
	if strings.Contains(with, ",") {
		return with, nil
	}
	if g, err := s.FindGroup(ctx, as, with); err == nil {
		return strings.Join(sortedWith(g.Members, id.PubKey.Hex()), ","), nil
	}
	pk, err := s.n.Resolve(ctx, as, with)
	if err == nil {
		return strings.Join(sortedWith([]string{pk.Hex()}, id.PubKey.Hex()), ","), nil
	}
	// A group someone else made: its name arrives as the subject.
	if convs, ierr := s.Inbox(ctx, as); ierr == nil {
		for _, c := range convs {
			if node.SameName(c.Title, with) && len(c.Members) > 2 {
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
func (s *Service) nameBook(ctx context.Context, as string) func(string) string {
	names := map[string]string{}
	if ps, err := s.People(ctx, as); err == nil {
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
func (s *Service) Receipts(ctx context.Context, as string) (bool, error) {
	m, err := s.messenger(as)
	if err != nil {
		return false, err
	}
	var set Settings
	m.vault.Get(ctx, vSettings, "settings", &set)
	return !set.NoReceipts, nil
}

// SetReceipts turns delivery receipts for identity as on or off.
func (s *Service) SetReceipts(ctx context.Context, as string, on bool) error {
	m, err := s.messenger(as)
	if err != nil {
		return err
	}
	var set Settings
	m.vault.Get(ctx, vSettings, "settings", &set)
	set.NoReceipts = !on
	return m.vault.Put(ctx, vSettings, "settings", set)
}

// privateContacts lists the keys in every unlocked identity's address
// book, for the follow graph.
func (s *Service) privateContacts(ctx context.Context) []string {
	ids, err := s.p.Keys.List()
	if err != nil {
		return nil
	}
	var out []string
	for _, id := range ids {
		m, err := s.messenger(id.Name)
		if err != nil {
			continue
		}
		m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
			var c node.Contact
			if json.Unmarshal(raw, &c) == nil {
				out = append(out, c.PubKey.Hex())
			}
			return nil
		})
	}
	return out
}
