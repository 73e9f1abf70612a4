package node

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// Drafts are reports not yet published. Each is a signed kind-30024 event
// (NIP-23), kept only in its author's vault: encrypted on disk, never in
// the event store, so no sync and no relay client ever sees it.

const vaultDraft = "draft"

// Draft is a report draft.
type Draft struct {
	ReportInput
	Updated int64 `json:"updated_at"`
	// Import notes what was done to an imported text (repairs, decoding).
	Import []string `json:"import,omitempty"`
}

// SaveDraft stores a draft for identity as; with in.D naming an existing
// draft, it replaces it. It returns the draft with its identifier.
func (n *Node) SaveDraft(ctx context.Context, as string, d Draft) (Draft, error) {
	m, err := n.messenger(as)
	if err != nil {
		return Draft{}, err
	}
	if d.Lang != "" {
		if d.Lang, err = CheckLang(d.Lang); err != nil {
			return Draft{}, event.Reject(event.Invalid, "%v", err)
		}
	}
	if strings.TrimSpace(d.Markdown) == "" {
		return Draft{}, event.Reject(event.Invalid, "the draft has no text")
	}
	if d.D == "" {
		d.D = n.newD()
	}
	d.Updated = n.now().Unix()
	// The draft is kept as NIP-23 says, a signed kind-30024 event, with
	// the import notes beside it.
	tags := nostr.Tags{{"d", d.D}, {"title", d.Title}}
	if d.Summary != "" {
		tags = append(tags, nostr.Tag{"summary", d.Summary})
	}
	for _, t := range d.Tags {
		tags = append(tags, nostr.Tag{"t", t})
	}
	if d.Lang != "" {
		tags = append(tags, nostr.Tag{"L", LangNamespace}, nostr.Tag{"l", d.Lang, LangNamespace})
	}
	for _, a := range d.Attachments {
		tags = append(tags, imeta(a, n.Config.MediaURL))
	}
	ev := &nostr.Event{Kind: event.KindDraft, Content: d.Markdown, Tags: tags, CreatedAt: nostr.Timestamp(d.Updated)}
	if err := m.id.Sign(ev); err != nil {
		return Draft{}, err
	}
	if err := m.vault.Put(ctx, vaultDraft, d.D, storedDraft{Event: ev, Import: d.Import, Attach: d.Attachments}); err != nil {
		return Draft{}, err
	}
	return d, nil
}

type storedDraft struct {
	Event  *nostr.Event `json:"event"`
	Import []string     `json:"import,omitempty"`
	Attach []Attachment `json:"attachments,omitempty"`
}

func (s storedDraft) draft() Draft {
	ev := s.Event
	d := Draft{Updated: int64(ev.CreatedAt), Import: s.Import}
	d.D = tagValue(ev, "d")
	d.Title = tagValue(ev, "title")
	d.Summary = tagValue(ev, "summary")
	d.Lang = reportLang(ev)
	d.Markdown = ev.Content
	d.Attachments = s.Attach
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "t" {
			d.Tags = append(d.Tags, t[1])
		}
	}
	return d
}

// Drafts lists identity as's drafts, newest first.
func (n *Node) Drafts(ctx context.Context, as string) ([]Draft, error) {
	m, err := n.messenger(as)
	if err != nil {
		return nil, err
	}
	var out []Draft
	err = m.vault.List(ctx, vaultDraft, func(raw json.RawMessage) error {
		var s storedDraft
		if err := json.Unmarshal(raw, &s); err != nil || s.Event == nil {
			return fmt.Errorf("a draft in the vault is damaged: %v", err)
		}
		out = append(out, s.draft())
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Updated > out[j].Updated })
	return out, err
}

// GetDraft returns one draft by its identifier.
func (n *Node) GetDraft(ctx context.Context, as, d string) (Draft, error) {
	m, err := n.messenger(as)
	if err != nil {
		return Draft{}, err
	}
	var s storedDraft
	ok, err := m.vault.Get(ctx, vaultDraft, d, &s)
	if err != nil {
		return Draft{}, err
	}
	if !ok || s.Event == nil {
		return Draft{}, fmt.Errorf("%w: no draft %q; 'caravan report drafts' lists them", ErrNoReport, clipStr(d))
	}
	return s.draft(), nil
}

// PublishDraft publishes a draft as a report, with changes (non-empty
// fields of over replace the draft's), and removes the draft.
func (n *Node) PublishDraft(ctx context.Context, as, d string, over ReportInput) (*Report, error) {
	dr, err := n.GetDraft(ctx, as, d)
	if err != nil {
		return nil, err
	}
	in := dr.ReportInput
	if over.Title != "" {
		in.Title = over.Title
	}
	if over.Summary != "" {
		in.Summary = over.Summary
	}
	if over.Lang != "" {
		in.Lang = over.Lang
	}
	if over.Markdown != "" {
		in.Markdown = over.Markdown
	}
	if len(over.Tags) > 0 {
		in.Tags = over.Tags
	}
	in.Attachments = append(in.Attachments, over.Attachments...)
	if in.Lang == "" {
		return nil, event.Reject(event.Invalid, "the draft has no language; give one with --lang")
	}
	r, err := n.PublishReport(ctx, as, in)
	if err != nil {
		return nil, err
	}
	if err := n.DeleteDraft(ctx, as, d); err != nil {
		n.logf("published draft %s, but could not remove it: %v", d, err)
	}
	return r, nil
}

// DeleteDraft removes a draft.
func (n *Node) DeleteDraft(ctx context.Context, as, d string) error {
	m, err := n.messenger(as)
	if err != nil {
		return err
	}
	return m.vault.Delete(ctx, vaultDraft, d)
}
