package site

import (
	"html/template"

	"github.com/caravan-mesh/caravan/markdown"
)

// render renders a report's markdown with package markdown's rules
// (links only to http, https and held blobs; no raw HTML). A link or
// image naming a blob the site holds by its SHA-256 points to the local
// copy, prefix leading from the page to the site's root; an image of any
// other blob, or from anywhere else, becomes a link, so that opening a
// page fetches nothing from anywhere else.
func (m *model) render(src, prefix string) (template.HTML, error) {
	h, err := markdown.HTML(src, markdown.Options{Blob: func(sum string) (markdown.Blob, bool) {
		b := m.byHash[sum]
		if b == nil || b.state != blobOK {
			return markdown.Blob{}, false
		}
		return markdown.Blob{Href: prefix + b.file, Image: b.image}, true
	}})
	return template.HTML(h), err
}
