package localapi

import (
	"encoding/json"
	"errors"
	"github.com/caravan-mesh/caravan/apps"
	"github.com/caravan-mesh/caravan/reports"
	"net/http"
	"sort"
	"syscall"

	"github.com/caravan-mesh/caravan/bundles"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
)

// Error codes of the local API: each failure has one, with one HTTP
// status (codeStatus). docs/api.md says what each means; the web UI's
// catalogue has words for each, and the CLI its hints.
const (
	CodeInvalid          = "invalid"           // the request is malformed or asks for something impossible; Msg says what
	CodeUnauthorized     = "unauthorized"      // missing or wrong token
	CodeForbidden        = "forbidden"         // wrong host or origin
	CodeNotFound         = "not_found"         // no such event, contact, group, peer, report, file or endpoint
	CodeUnknownIdentity  = "unknown_identity"  // no identity of that name
	CodeUnknownPerson    = "unknown_person"    // neither a key nor the name of a contact
	CodeUnknownPeer      = "unknown_peer"      // a bundle for a peer this node has never synced with
	CodeUnknownDraft     = "unknown_draft"     // the identity has no draft of that name
	CodeNothingPublished = "nothing_published" // the node hands out no program files
	CodeExists           = "exists"            // an identity, peer or contact with that name or key exists
	CodeLocked           = "locked"            // the identity must be unlocked first
	CodeBadPassphrase    = "bad_passphrase"    // wrong passphrase
	CodeNeedPassphrase   = "need_passphrase"   // a passphrase (or no_passphrase) is required
	CodeNoIdentity       = "no_identity"       // the node has no identity yet
	CodeRefused          = "refused"           // the event was refused; Msg has the NIP-01 reason
	CodeDiskFull         = "disk_full"         // the disk holding the data directory is full
	CodeNotABundle       = "not_a_bundle"      // not a bundle this node can open: not one, the wrong passphrase or key, damaged headers, parts of different bundles, a newer format
	CodeNotOnNetwork     = "not_on_network"    // phones cannot reach this node: it does not serve, listens on loopback only, or the machine is on no network
	CodeNoPhonePage      = "no_phone_page"     // this node does not serve the phone page
	CodeInternal         = "internal"          // something failed inside the node
)

// Error is an API error. Is maps codes to the sentinel errors of packages
// keys, node and bundles, so callers can use errors.Is(err, keys.ErrLocked).
type Error struct {
	Code string `json:"code"`
	Msg  string `json:"error"`
	Hint string `json:"hint,omitempty"`
}

func (e *Error) Error() string { return e.Msg }

// codeSentinels are the errors each code stands for, first the most
// precise: errors.Is(err, s) holds for an *Error with that code and each
// of its sentinels.
var codeSentinels = map[string][]error{
	CodeNotFound:         {node.ErrNotFound},
	CodeUnknownIdentity:  {keys.ErrNotFound},
	CodeUnknownPerson:    {node.ErrUnknownPerson, node.ErrNotFound},
	CodeUnknownPeer:      {bundles.ErrUnknownPeer},
	CodeUnknownDraft:     {reports.ErrNoDraft, reports.ErrNoReport, node.ErrNotFound},
	CodeNothingPublished: {apps.ErrNothingPublished, node.ErrNotFound},
	CodeExists:           {keys.ErrExists},
	CodeLocked:           {keys.ErrLocked},
	CodeBadPassphrase:    {keys.ErrBadPassphrase},
	CodeNeedPassphrase:   {keys.ErrNeedPassphrase},
	CodeNoIdentity:       {keys.ErrNoIdentity},
	CodeNotABundle:       {bundles.ErrNotABundle},
}

func (e *Error) Is(target error) bool {
	for _, s := range codeSentinels[e.Code] {
		if s == target {
			return true
		}
	}
	return false
}

// toAPIError gives err its code. The order matters where one error is
// several: an unknown person is also not found.
func toAPIError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var (
		rej  *event.Rejection
		full *store.DiskFullError
		ae2  *apps.Error
		bad  *node.SettingError
	)
	code := CodeInternal
	switch {
	case errors.As(err, &full):
		return &Error{Code: CodeDiskFull, Msg: full.Error(), Hint: DiskFullHint}
	case errors.Is(err, syscall.ENOSPC):
		return &Error{Code: CodeDiskFull, Msg: err.Error(), Hint: DiskFullHint}
	case errors.As(err, &bad):
		code = CodeInvalid
	case errors.As(err, &ae2):
		// What is wrong with a folder, and what to do about it.
		return &Error{Code: CodeInvalid, Msg: ae2.Error(), Hint: ae2.Hint}
	case errors.As(err, &rej):
		code = CodeRefused
	case errors.Is(err, keys.ErrLocked):
		code = CodeLocked
	case errors.Is(err, keys.ErrNoIdentity):
		return &Error{Code: CodeNoIdentity, Msg: "there is no identity yet"}
	case errors.Is(err, keys.ErrNotFound):
		code = CodeUnknownIdentity
	case errors.Is(err, node.ErrUnknownPerson):
		code = CodeUnknownPerson
	case errors.Is(err, bundles.ErrUnknownPeer):
		code = CodeUnknownPeer
	case errors.Is(err, reports.ErrNoDraft):
		code = CodeUnknownDraft
	case errors.Is(err, apps.ErrNothingPublished):
		code = CodeNothingPublished
	case errors.Is(err, node.ErrNotFound):
		code = CodeNotFound
	case errors.Is(err, keys.ErrExists), errors.Is(err, mesh.ErrExists):
		code = CodeExists
	case errors.Is(err, keys.ErrBadPassphrase):
		return &Error{Code: CodeBadPassphrase, Msg: "wrong passphrase"}
	case errors.Is(err, keys.ErrNeedPassphrase):
		return &Error{Code: CodeNeedPassphrase, Msg: "a passphrase is required"}
	case errors.Is(err, bundles.ErrNotABundle):
		code = CodeNotABundle
	case errors.Is(err, keys.ErrBadName), errors.Is(err, keys.ErrBadSecret), errors.Is(err, keys.ErrBothPassphrases):
		code = CodeInvalid
	}
	return &Error{Code: code, Msg: err.Error()}
}

// DiskFullHint is the advice given with a full disk.
const DiskFullHint = "free space on that disk, then try again; everything stored before is kept"

var codeStatus = map[string]int{
	CodeUnknownIdentity:  http.StatusNotFound,
	CodeUnknownPerson:    http.StatusNotFound,
	CodeUnknownPeer:      http.StatusNotFound,
	CodeNothingPublished: http.StatusNotFound,
	CodeUnknownDraft:     http.StatusNotFound,
	CodeInvalid:          http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeNotFound:         http.StatusNotFound,
	CodeExists:           http.StatusConflict,
	CodeLocked:           http.StatusLocked,
	CodeBadPassphrase:    http.StatusForbidden,
	CodeNeedPassphrase:   http.StatusBadRequest,
	CodeNoIdentity:       http.StatusConflict,
	CodeRefused:          http.StatusUnprocessableEntity,
	CodeDiskFull:         http.StatusInsufficientStorage,
	CodeNotABundle:       http.StatusUnprocessableEntity,
	CodeNotOnNetwork:     http.StatusConflict,
	CodeNoPhonePage:      http.StatusConflict,
	CodeInternal:         http.StatusInternalServerError,
}

// Codes lists every error code, sorted.
func Codes() []string {
	out := make([]string, 0, len(codeStatus))
	for c := range codeStatus {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func writeError(w http.ResponseWriter, e *Error) {
	status, ok := codeStatus[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e)
}
