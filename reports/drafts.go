package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/nbd-wtf/go-nostr"
)

// Drafts are reports not yet published. Each is a signed kind-30024 event
// (NIP-23), kept only in its author's vault: encrypted on disk, never in
// the event store, so no sync and no relay client ever sees it.

const vaultDraft = "draft"

// vault opens identity as's vault, where its drafts are kept; it fails
// with keys.ErrLocked when the identity's key is not in memory.
func (s *Service) vault(as string) (*keys.Signer, *msg.Vault, error) {
	sg, err := s.p.Keys.Signer(as)
	if err != nil {
		return nil, nil, err
	}
	vk, err := s.p.Keys.VaultKey(sg.Name())
	if err != nil {
		return nil, nil, err
	}
	v, err := msg.OpenVault(s.p.Store, sg.PubKey(), vk)
	if err != nil {
		return nil, nil, err
	}
	v.Rand = s.p.Rand
	return sg, v, nil
}

// Draft is a report draft.
type Draft struct {
	Input
	Updated int64 `json:"updated_at"`
	// Import notes what was done to an imported text (repairs, decoding).
	Import []string `json:"import,omitempty"`
}

// SaveDraft stores a draft for identity as; with in.D naming an existing
// draft, it replaces it. It returns the draft with its identifier.
func (s *Service) SaveDraft(ctx context.Context, as string, d Draft) (Draft, error) {
	sg, vault, err := s.vault(as)
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
		d.D = s.newD()
	}
	d.Updated = s.p.Now().Unix()
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
		tags = append(tags, imeta(a, s.n.Config.MediaURL))
	}
	ev := &nostr.Event{Kind: event.KindDraft, Content: d.Markdown, Tags: tags, CreatedAt: nostr.Timestamp(d.Updated)}
	if err := sg.Sign(ev); err != nil {
		return Draft{}, err
	}
	if err := vault.Put(ctx, vaultDraft, d.D, storedDraft{Event: ev, Import: d.Import, Attach: d.Attachments}); err != nil {
		return Draft{}, err
	}
	return d, nil
}

type storedDraft struct {
	Event  *nostr.Event `json:"event"`
	Import []string     `json:"import,omitempty"`
	Attach []Attachment `json:"attachments,omitempty"`
}

func (sd storedDraft) draft() Draft {
	ev := sd.Event
	d := Draft{Updated: int64(ev.CreatedAt), Import: sd.Import}
	d.D = tagValue(ev, "d")
	d.Title = tagValue(ev, "title")
	d.Summary = tagValue(ev, "summary")
	d.Lang = reportLang(ev)
	d.Markdown = ev.Content
	d.Attachments = sd.Attach
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "t" {
			d.Tags = append(d.Tags, t[1])
		}
	}
	return d
}

// Drafts lists identity as's drafts, newest first.
func (s *Service) Drafts(ctx context.Context, as string) ([]Draft, error) {
	_, vault, err := s.vault(as)
	if err != nil {
		return nil, err
	}
	var out []Draft
	err = vault.List(ctx, vaultDraft, func(raw json.RawMessage) error {
		var sd storedDraft
		if err := json.Unmarshal(raw, &sd); err != nil || sd.Event == nil {
			return fmt.Errorf("a draft in the vault is damaged: %v", err)
		}
		out = append(out, sd.draft())
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Updated > out[j].Updated })
	return out, err
}

// GetDraft returns one draft by its identifier.
func (s *Service) GetDraft(ctx context.Context, as, d string) (Draft, error) {
	_, vault, err := s.vault(as)
	if err != nil {
		return Draft{}, err
	}
	var sd storedDraft
	ok, err := vault.Get(ctx, vaultDraft, d, &sd)
	if err != nil {
		return Draft{}, err
	}
	if !ok || sd.Event == nil {
		return Draft{}, fmt.Errorf("%w: no draft %q", ErrNoDraft, clipStr(d))
	}
	return sd.draft(), nil
}

// PublishDraft publishes a draft as a report, with changes (non-empty
// fields of over replace the draft's), and removes the draft.
func (s *Service) PublishDraft(ctx context.Context, as, d string, over Input) (*Report, error) {
	dr, err := s.GetDraft(ctx, as, d)
	if err != nil {
		return nil, err
	}
	in := dr.Input
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
	r, err := s.Publish(ctx, as, in)
	if err != nil {
		return nil, err
	}
	if err := s.DeleteDraft(ctx, as, d); err != nil {
		s.p.Logf("published draft %s, but could not remove it: %v", d, err)
	}
	return r, nil
}

// DeleteDraft removes a draft.
func (s *Service) DeleteDraft(ctx context.Context, as, d string) error {
	_, vault, err := s.vault(as)
	if err != nil {
		return err
	}
	return vault.Delete(ctx, vaultDraft, d)
}
