// Package phone is the phone page: a web app served on the relay
// endpoint's port for people who join a community node from a phone's
// browser, with nothing installed. Their keys stay in the page: it
// signs, seals and wraps there, and the node receives only signed events
// and gift wraps, as from any Nostr app.
//
// The page's libraries are npm packages vendored under assets/vendor
// (see scripts/vendor-phone.mjs and VENDOR.json); vendor_test.go checks
// them against the published packages.
package phone

import (
	"embed"
	"io/fs"
)

//go:embed all:assets
var embedded embed.FS

// Assets is the page's files: index.html, its modules and styles, the
// catalogues under i18n/ and the vendored libraries under vendor/.
var Assets, _ = fs.Sub(embedded, "assets")
