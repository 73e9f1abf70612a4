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

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Message is one private message as its reader sees it. It lives only in
// the identity's vault, encrypted.
type Message struct {
	ID          string    `json:"id"`      // the rumor's id
	Room        string    `json:"room"`    // the conversation: its members' keys, sorted, joined by ","
	Members     []string  `json:"members"` // everyone in it, us included
	From        string    `json:"from"`
	Kind        int       `json:"kind"`
	Text        string    `json:"text"`
	Subject     string    `json:"subject,omitempty"`
	File        *msg.File `json:"file,omitempty"`
	At          int64     `json:"at"`
	Outgoing    bool      `json:"outgoing"`
	State       string    `json:"state"` // outgoing: queued, carried, delivered; incoming: received
	DeliveredTo []string  `json:"delivered_to,omitempty"`
	Read        bool      `json:"read"`
	Wraps       []string  `json:"wraps,omitempty"` // the wraps we sent
	Warning     string    `json:"warning,omitempty"`
}

// Delivery states of outgoing messages.
const (
	Queued    = "queued"    // stored here; no other node has it yet
	Carried   = "carried"   // at least one other node took a wrap of it
	Delivered = "delivered" // a recipient's node sent back a receipt
	Received  = "received"  // an incoming message
)

// Vault row kinds.
const (
	vMsg      = "msg"
	vSeen     = "seen"
	vContact  = "contact"
	vGroup    = "group"
	vSettings = "settings"
)

// Settings are an identity's messaging settings.
type Settings struct {
	NoReceipts bool `json:"no_receipts,omitempty"` // do not tell senders their messages arrived
}

// MaxGroup is the most members a group may have.
const MaxGroup = 100

// wrapExpiry lets carriers drop wraps a month after (their randomized)
// creation time.
const wrapExpiry = 30 * 24 * time.Hour

// roomOf is the conversation a rumor belongs to: its author and recipients.
func roomOf(rumor *nostr.Event) []string {
	set := map[string]bool{rumor.PubKey: true}
	for _, p := range msg.Recipients(rumor) {
		set[p] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Send writes a private message from identity as to the recipients (hex
// keys): one gift wrap for each, and one for ourselves. With file set, it
// is a kind-15 file message. The message is stored (queued) before Send
// returns.
func (s *Service) Send(ctx context.Context, as string, to []string, text, subject string, file *msg.File) (Message, error) {
	m, err := s.messenger(as)
	if err != nil {
		return Message{}, err
	}
	me := m.id.PubKey()
	recips := uniqueKeys(to, me)
	if len(recips) == 0 {
		return Message{}, errors.New("a message needs at least one recipient other than yourself")
	}
	if len(recips) > MaxGroup {
		return Message{}, fmt.Errorf("a group message can go to at most %d people", MaxGroup)
	}
	tags := nostr.Tags{}
	for _, r := range recips {
		tags = append(tags, nostr.Tag{"p", r})
	}
	if subject != "" {
		tags = append(tags, nostr.Tag{"subject", subject})
	}
	kind, content := event.KindChat, text
	if file != nil {
		kind, content = event.KindFile, file.URL
		tags = append(tags, file.Tags()...)
	} else if strings.TrimSpace(text) == "" {
		return Message{}, errors.New("the message is empty")
	}
	rumor := msg.NewRumor(me, kind, content, tags, s.p.Now())
	wraps, err := s.wrapFor(m, rumor, append(recips, me))
	if err != nil {
		return Message{}, err
	}
	out := Message{ID: rumor.ID, Members: roomOf(rumor), From: me, Kind: kind, Text: text, Subject: subject, File: file,
		At: int64(rumor.CreatedAt), Outgoing: true, State: Queued, Read: true}
	out.Room = strings.Join(out.Members, ",")
	for _, w := range wraps {
		out.Wraps = append(out.Wraps, w.ID)
	}
	// Stored in the vault before the wraps leave, so a crash between the
	// two leaves a queued message, not a message we cannot see.
	if err := m.vault.Put(ctx, vMsg, out.ID, out); err != nil {
		return Message{}, err
	}
	s.mu.Lock()
	for _, w := range out.Wraps {
		s.wrapOwner[w] = [2]string{m.id.Name(), out.ID}
	}
	s.mu.Unlock()
	for _, r := range s.n.IngestOwn(ctx, wraps...) {
		if !r.OK() {
			return out, fmt.Errorf("storing the sealed message: %s", r.Message())
		}
	}
	s.announce(m.id.Name(), out)
	return out, nil
}

// wrapFor seals rumor once for each recipient.
func (s *Service) wrapFor(m *messenger, rumor *nostr.Event, recips []string) ([]*nostr.Event, error) {
	var wraps []*nostr.Event
	for _, r := range recips {
		w, err := msg.Wrap(rumor, r, m.id, msg.Options{Now: s.p.Now, Rand: s.p.Rand, Expire: wrapExpiry})
		if err != nil {
			return nil, err
		}
		wraps = append(wraps, w)
	}
	return wraps, nil
}

func uniqueKeys(keys []string, except string) []string {
	var out []string
	for _, k := range keys {
		if k != except && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// carried notes that another node took one of our wraps.
func (s *Service) carried(wrapID string) {
	s.mu.Lock()
	owner, ok := s.wrapOwner[wrapID]
	s.mu.Unlock()
	if !ok {
		return
	}
	s.updateMessage(owner[0], owner[1], func(m *Message) bool {
		if m.State == Queued {
			m.State = Carried
			return true
		}
		return false
	})
}

func (s *Service) updateMessage(name, id string, f func(*Message) bool) {
	m, err := s.messenger(name)
	if err != nil {
		return
	}
	ctx := context.Background()
	var msgRow Message
	if ok, err := m.vault.Get(ctx, vMsg, id, &msgRow); !ok || err != nil {
		return
	}
	if f(&msgRow) {
		if err := m.vault.Put(ctx, vMsg, id, msgRow); err == nil {
			s.announce(name, msgRow)
		}
	}
}

// watchWraps queues every newly stored wrap addressed to one of our
// identities for opening.
func (s *Service) watchWraps(ev *nostr.Event) {
	if ev.Kind != event.KindGiftWrap {
		return
	}
	for _, t := range ev.Tags {
		if len(t) < 2 || t[0] != "p" {
			continue
		}
		if name, ok := s.n.IdentityOf(t[1]); ok {
			select {
			case s.work <- work{name, ev}:
			default:
				s.p.Logf("messages: too many wraps waiting; the rest are read at the next unlock or start")
			}
		}
	}
}

// openWraps opens queued wraps until ctx ends. One goroutine runs it.
func (s *Service) openWraps(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case w := <-s.work:
			s.openWrap(ctx, w.name, w.wrap)
		}
	}
}

// ReadBacklog opens every wrap for an identity that arrived while it was
// locked (or the node was off).
func (s *Service) ReadBacklog(ctx context.Context, name string) (int, error) {
	id, err := s.p.Keys.Get(name)
	if err != nil {
		return 0, err
	}
	if _, err := s.messenger(name); err != nil {
		return 0, err
	}
	opened := 0
	until := nostr.Timestamp(1<<62 - 1)
	for {
		evs, err := s.p.Store.QueryEvents(ctx, nostr.Filter{Kinds: []int{event.KindGiftWrap}, Tags: nostr.TagMap{"p": {id.PubKey.Hex()}}, Until: &until}, 500)
		if err != nil {
			return opened, err
		}
		for _, ev := range evs {
			if s.openWrap(ctx, id.Name, ev) {
				opened++
			}
		}
		if len(evs) < 500 {
			return opened, nil
		}
		until = evs[len(evs)-1].CreatedAt - 1
	}
}

// openWrap opens one wrap for identity name, at most once. It reports
// whether it was new.
func (s *Service) openWrap(ctx context.Context, name string, wrap *nostr.Event) bool {
	m, err := s.messenger(name)
	if err != nil {
		return false // locked: read at the next unlock
	}
	if seen, _ := m.vault.Has(ctx, vSeen, wrap.ID); seen {
		return false
	}
	defer m.vault.Put(ctx, vSeen, wrap.ID, true)
	rumor, err := msg.Unwrap(wrap, m.id)
	if err != nil {
		s.p.Logf("messages: dropped wrap %s for %s: %v", wrap.ID[:12], name, err)
		return false
	}
	me := m.id.PubKey()
	switch rumor.Kind {
	case event.KindReceipt:
		s.receipt(ctx, m, name, rumor)
		return true
	case event.KindChat, event.KindFile:
	default:
		s.p.Logf("messages: dropped a sealed event of kind %d from %s: not a message", rumor.Kind, rumor.PubKey[:12])
		return false
	}
	var existing Message
	if ok, _ := m.vault.Get(ctx, vMsg, rumor.ID, &existing); ok {
		return false // a replay, or our own copy of a message we sent
	}
	in := Message{ID: rumor.ID, Members: roomOf(rumor), From: rumor.PubKey, Kind: rumor.Kind, Text: rumor.Content,
		At: int64(rumor.CreatedAt), Outgoing: rumor.PubKey == me, State: Received, Read: rumor.PubKey == me}
	if !slices.Contains(in.Members, me) {
		in.Members = append(in.Members, me)
		sort.Strings(in.Members)
	}
	in.Room = strings.Join(in.Members, ",")
	for _, t := range rumor.Tags {
		if len(t) >= 2 && t[0] == "subject" {
			in.Subject = t[1]
		}
	}
	if rumor.Kind == event.KindFile {
		f, err := msg.FileOf(rumor)
		if err != nil {
			s.p.Logf("messages: dropped a file message from %s: %v", rumor.PubKey[:12], err)
			return false
		}
		in.File, in.Text = &f, f.Name
		// Fetch the (encrypted) file from whichever peer has it.
		if err := s.p.Store.WantBlob(ctx, f.SHA256); err != nil {
			s.p.Logf("messages: %v", err)
		}
	}
	in.Warning = s.impersonation(ctx, m, rumor.PubKey)
	if err := m.vault.Put(ctx, vMsg, in.ID, in); err != nil {
		s.p.Logf("messages: %v", err)
		return false
	}
	s.announce(name, in)
	if !in.Outgoing {
		s.sendReceipt(ctx, m, rumor)
	}
	return true
}

// sendReceipt tells the sender, in a wrap of its own, that the message
// arrived, unless the reader turned receipts off.
func (s *Service) sendReceipt(ctx context.Context, m *messenger, rumor *nostr.Event) {
	var set Settings
	m.vault.Get(ctx, vSettings, "settings", &set)
	if set.NoReceipts {
		return
	}
	r := msg.NewRumor(m.id.PubKey(), event.KindReceipt, "", nostr.Tags{{"e", rumor.ID}, {"p", rumor.PubKey}}, s.p.Now())
	wraps, err := s.wrapFor(m, r, []string{rumor.PubKey})
	if err != nil {
		s.p.Logf("messages: receipt: %v", err)
		return
	}
	s.n.IngestOwn(ctx, wraps...)
}

// receipt marks our messages named by a receipt as delivered to its
// author.
func (s *Service) receipt(ctx context.Context, m *messenger, name string, r *nostr.Event) {
	for _, t := range r.Tags {
		if len(t) < 2 || t[0] != "e" {
			continue
		}
		s.updateMessage(name, t[1], func(msgRow *Message) bool {
			if !msgRow.Outgoing || !slices.Contains(msgRow.Members, r.PubKey) || slices.Contains(msgRow.DeliveredTo, r.PubKey) {
				return false // receipts only count from the message's own recipients
			}
			msgRow.DeliveredTo = append(msgRow.DeliveredTo, r.PubKey)
			msgRow.State = Delivered
			return true
		})
	}
}

// impersonation warns when a message comes from someone who is not a
// verified contact but goes by the name of one.
func (s *Service) impersonation(ctx context.Context, m *messenger, from string) string {
	var c node.Contact
	if ok, _ := m.vault.Get(ctx, vContact, from, &c); ok && c.Verified {
		return ""
	}
	claimed := s.n.ProfileName(ctx, from)
	if claimed == "" {
		return ""
	}
	var warning string
	m.vault.List(ctx, vContact, func(raw json.RawMessage) error {
		var vc node.Contact
		if json.Unmarshal(raw, &vc) == nil && vc.Verified && vc.PubKey.Hex() != from && node.SameName(vc.Petname, claimed) {
			warning = fmt.Sprintf("this sender calls themselves %q, like your verified contact %q, but uses a different key: it is not them", claimed, vc.Petname)
		}
		return nil
	})
	return warning
}

// announce tells listeners (chat --follow, the web UI) about a message.
func (s *Service) announce(name string, m Message) {
	for _, l := range s.listeners.All() {
		l(name, m)
	}
	s.n.Emit(node.Activity{Type: "message", Identity: name, Message: &m})
}

// OnMessage calls f for each new or changed message, until cancel.
func (s *Service) OnMessage(f func(identity string, m Message)) (cancel func()) {
	return s.listeners.Add(f)
}

// PutFile encrypts a file for a private message (msg.EncryptFile, with a
// fresh key) and keeps the sealed bytes as a blob, which syncs like any
// other: only its recipients can read it. The File it returns goes with
// Send.
func (s *Service) PutFile(ctx context.Context, data []byte, mime, name string) (msg.File, error) {
	enc, f, err := msg.EncryptFile(data, mime, name, s.p.Rand)
	if err != nil {
		return msg.File{}, &FileError{Err: err}
	}
	if _, err := s.n.PutBlob(ctx, enc, "application/octet-stream"); err != nil {
		return msg.File{}, err
	}
	return f, nil
}

// FileError is a file that cannot be sent as it is (too large, an
// unknown type).
type FileError struct{ Err error }

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }
