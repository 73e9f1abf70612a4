package reports

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/media"
	"github.com/caravan-mesh/caravan/publish"
)

// AttachInput is a file to attach to a report.
type AttachInput struct {
	Data []byte
	Name string // the file's name, shown to readers (no directories)
	Alt  string // a description, for people who cannot see the image
	MIME string // what the sender says it is; the content decides
	// KeepMetadata keeps a photo's EXIF and GPS metadata. By default
	// they are removed before the photo is stored: a protest photo's
	// position can get someone arrested.
	KeepMetadata bool
}

// Attach stores a file as a blob owned by identity as and describes it
// for a report's imeta tag. Photos lose their metadata (EXIF, GPS, XMP)
// unless in.KeepMetadata; what was removed is listed in the result.
// Images that do not decode are refused, as are files over the policy's
// blob limit.
func (s *Service) Attach(ctx context.Context, as string, in AttachInput) (Attachment, error) {
	sg, err := s.p.Keys.Signer(as)
	if err != nil {
		return Attachment{}, err
	}
	if len(in.Data) == 0 {
		return Attachment{}, event.Reject(event.Invalid, "the file %q is empty", in.Name)
	}
	if max := s.n.Config.Policy.MaxBlob; int64(len(in.Data)) > max {
		return Attachment{}, event.Reject(event.Invalid, "the file %q is %d bytes; attachments may be at most %d (policy max_blob)", in.Name, len(in.Data), max)
	}
	data := in.Data
	a := Attachment{Name: baseName(in.Name), Alt: strings.TrimSpace(in.Alt), MIME: media.Sniff(data)}
	if strings.HasPrefix(a.MIME, "image/") {
		var info media.Info
		if media.IsPhoto(a.MIME) && !in.KeepMetadata {
			data, info, err = media.Strip(data)
		} else {
			info, err = media.Inspect(data)
			if err == nil && media.IsPhoto(a.MIME) {
				// Kept on purpose; still say whether it gives a place away.
				_, si, _ := media.Strip(data)
				info.HadGPS = si.HadGPS
			}
		}
		if err != nil {
			return Attachment{}, event.Reject(event.Invalid, "%s: %v", in.Name, err)
		}
		a.Width, a.Height, a.Removed, a.HadGPS = info.Width, info.Height, info.Removed, info.HadGPS
		a.KeptMetadata = in.KeepMetadata && media.IsPhoto(a.MIME)
	}
	pk, _ := hex.DecodeString(sg.PubKey())
	sum, err := s.n.PutBlob(ctx, data, a.MIME, pk)
	if err != nil {
		return Attachment{}, err
	}
	a.SHA256 = hex.EncodeToString(sum[:])
	a.Size = int64(len(data))
	a.URL = BlobURL(s.n.Config.MediaURL, a.SHA256, a.MIME)
	a.Held = true
	return a, nil
}

func baseName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return oneLine(name)
}

// ImportDraft turns an existing article (.txt, .md, .html) into a draft
// of identity as: decoded, converted to markdown, normalised, with
// mojibake repaired. What was changed is in the draft's Import notes.
func (s *Service) ImportDraft(ctx context.Context, as, name string, data []byte) (Draft, error) {
	d, err := publish.Import(name, data)
	if err != nil {
		var ie *publish.ImportError
		if errors.As(err, &ie) && ie.Hint != "" {
			return Draft{}, event.Reject(event.Invalid, "%v (%s)", err, ie.Hint)
		}
		return Draft{}, event.Reject(event.Invalid, "%v", err)
	}
	dr := Draft{Input: Input{Title: d.Title, Summary: d.Summary, Markdown: d.Markdown, Tags: d.Tags}}
	if d.Lang != "" {
		if l, err := CheckLang(d.Lang); err == nil {
			dr.Lang = l
		}
	}
	dr.Import = append(dr.Import, d.Notes...)
	for _, r := range d.Repairs {
		where := fmt.Sprintf("line %d", r.Line)
		if r.Line == 0 {
			where = "title, summary or topics"
		}
		dr.Import = append(dr.Import, fmt.Sprintf("%s: repaired %q to %q (UTF-8 read as %s)", where, r.Before, r.After, r.Charset))
	}
	return s.SaveDraft(ctx, as, dr)
}
