package reports

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"time"

	"github.com/caravan-mesh/caravan/site"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// SiteOptions configure BuildSite.
type SiteOptions struct {
	Title   string // if empty, "Reports"
	BaseURL string // where the site will be hosted, for the Atom feeds; optional
}

// SiteResult says what BuildSite wrote.
type SiteResult struct {
	Dir string `json:"dir"`
	site.Stats
}

// BuildSite writes every report held here, with its translations and
// attachments, as a static website in dir (package site).
func (s *Service) BuildSite(ctx context.Context, dir string, o SiteOptions) (SiteResult, error) {
	list, err := s.List(ctx, Filter{Limit: 1 << 30})
	if err != nil {
		return SiteResult{}, err
	}
	out := site.Site{Title: o.Title, BaseURL: o.BaseURL, Generated: s.p.Now()}
	for _, r := range list {
		full, err := s.Read(ctx, r.Naddr, "", "")
		if err != nil {
			return SiteResult{}, err
		}
		sr := site.Report{
			Addr: full.Naddr, ID: full.ID, Author: full.AuthorName, AuthorKey: npub(full.Author),
			Lang: full.Lang, Title: full.Title, Summary: full.Summary, Markdown: full.Markdown, Tags: full.Tags,
			Published: time.Unix(full.Published, 0).UTC(), Updated: time.Unix(full.Updated, 0).UTC(),
		}
		for _, a := range full.Attach {
			sr.Attachments = append(sr.Attachments, s.siteAttachment(ctx, a))
		}
		for _, t := range full.Translations {
			tr, err := s.Read(ctx, t.Naddr, "", "")
			if err != nil {
				return SiteResult{}, err
			}
			var of string
			if tr.Of != nil {
				of = tr.Of.Version
			}
			sr.Translations = append(sr.Translations, site.Translation{
				Lang: tr.Lang, Title: tr.Title, Summary: tr.Summary, Markdown: tr.Markdown,
				Translator: tr.AuthorName, TranslatorKey: npub(tr.Author), ID: tr.ID, Of: of,
				Outdated: tr.Outdated, Published: time.Unix(tr.Updated, 0).UTC(),
			})
		}
		out.Reports = append(out.Reports, sr)
	}
	st, err := site.Build(dir, out)
	return SiteResult{Dir: dir, Stats: st}, err
}

func (s *Service) siteAttachment(ctx context.Context, a Attachment) site.Attachment {
	sa := site.Attachment{SHA256: a.SHA256, MIME: a.MIME, Name: a.Name, Size: a.Size, Alt: a.Alt}
	if a.Held {
		sum, _ := hex.DecodeString(a.SHA256)
		sa.Open = func() (io.ReadCloser, error) {
			b, err := s.p.Store.Blob(ctx, sum)
			if err != nil {
				return nil, err
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}
	}
	return sa
}

func npub(pk string) string {
	s, _ := nip19.EncodePublicKey(pk)
	return s
}
