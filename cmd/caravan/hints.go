package main

import (
	"errors"
	"strings"

	"github.com/caravan-mesh/caravan/apps"
	"github.com/caravan-mesh/caravan/bundles"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/caravan-mesh/caravan/store"
)

// The hints that name commands live here, and only here: the node and
// its local API say what failed (an error code, a sentinel), and the CLI
// says which command helps. A command that knows better wraps its error
// with hint, which wins.

// sentinelHints are the hints for errors the API gives a code to (a
// *localapi.Error is each of its code's sentinels), first match wins.
var sentinelHints = []struct {
	err  error
	hint string
}{
	{keys.ErrLocked, "unlock it with `caravan unlock` (or give the passphrase with --passphrase-file or " + PassphraseEnv + ")"},
	{keys.ErrNoIdentity, "create one with `caravan id new`"},
	{keys.ErrNotFound, "`caravan id list` shows the identities"},
	{keys.ErrNeedPassphrase, "choose one, or pass --no-passphrase to store the key unencrypted"},
	{node.ErrUnknownPerson, "add them first with 'caravan contact add NPUB --name NAME'"},
	{bundles.ErrUnknownPeer, "'caravan peers' lists the peers this node has met"},
	{reports.ErrNoDraft, "'caravan report drafts' lists them"},
	{apps.ErrNothingPublished, "build the binaries with 'scripts/release DIR', then publish them with 'caravan apps publish DIR'"},
}

// hintFor is the advice printed after err, or "".
func hintFor(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	if errors.Is(err, bundles.ErrNotABundle) {
		// One code for every bundle that does not open; the words tell
		// which hint helps.
		switch msg := err.Error(); {
		case strings.Contains(msg, "cannot open the bundle"):
			s := "check the passphrase (--passphrase), or that the bundle was made --to one of your identities"
			if strings.Contains(msg, bundles.LockedNote) {
				s += "; unlock them with 'caravan unlock'"
			}
			return s
		case strings.Contains(msg, "format version"):
			return "this bundle was made by a newer Caravan; update this one (a node that has it offers it for download at its address, /apps/)"
		}
	}
	for _, s := range sentinelHints {
		if errors.Is(err, s.err) {
			return s.hint
		}
	}
	var (
		ae   *localapi.Error
		full *store.DiskFullError
	)
	switch {
	case errors.As(err, &ae) && ae.Hint != "":
		// Advice that names no command.
		return ae.Hint
	case errors.As(err, &full):
		return localapi.DiskFullHint
	}
	return ""
}
