package localapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"syscall"

	"github.com/caravan-mesh/caravan/bundles"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
)

// Error codes of the local API.
const (
	CodeInvalid        = "invalid"         // the request is malformed
	CodeUnauthorized   = "unauthorized"    // missing or wrong token
	CodeForbidden      = "forbidden"       // wrong host or origin
	CodeNotFound       = "not_found"       // no such identity, event, contact or endpoint
	CodeExists         = "exists"          // an identity with that name or key exists
	CodeLocked         = "locked"          // the identity must be unlocked first
	CodeBadPassphrase  = "bad_passphrase"  // wrong passphrase
	CodeNeedPassphrase = "need_passphrase" // a passphrase (or no_passphrase) is required
	CodeNoIdentity     = "no_identity"     // the node has no identity yet
	CodeRefused        = "refused"         // the event was refused; Msg has the NIP-01 reason
	CodeDiskFull       = "disk_full"       // the disk holding the data directory is full
	CodeNotABundle     = "not_a_bundle"    // not a bundle this node can open: not one, the wrong passphrase or key, damaged headers, parts of different bundles, a newer format
	CodeInternal       = "internal"        // something failed inside the node
)

// Error is an API error. Is maps codes to the sentinel errors of packages
// keys, node and bundles, so callers can use errors.Is(err, keys.ErrLocked).
type Error struct {
	Code string `json:"code"`
	Msg  string `json:"error"`
	Hint string `json:"hint,omitempty"`
}

func (e *Error) Error() string { return e.Msg }

var codeSentinels = map[string]error{
	CodeNotFound:       keys.ErrNotFound,
	CodeExists:         keys.ErrExists,
	CodeLocked:         keys.ErrLocked,
	CodeBadPassphrase:  keys.ErrBadPassphrase,
	CodeNeedPassphrase: keys.ErrNeedPassphrase,
	CodeNoIdentity:     keys.ErrNoIdentity,
	CodeNotABundle:     bundles.ErrNotABundle,
}

func (e *Error) Is(target error) bool {
	s, ok := codeSentinels[e.Code]
	return ok && s == target || target == node.ErrNotFound && e.Code == CodeNotFound
}

func toAPIError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var (
		rej  *event.Rejection
		full *store.DiskFullError
	)
	switch {
	case errors.As(err, &full):
		return &Error{Code: CodeDiskFull, Msg: full.Error(), Hint: DiskFullHint}
	case errors.Is(err, syscall.ENOSPC):
		return &Error{Code: CodeDiskFull, Msg: err.Error(), Hint: DiskFullHint}
	case errors.As(err, &rej):
		return &Error{Code: CodeRefused, Msg: rej.Error()}
	case errors.Is(err, keys.ErrLocked):
		return &Error{Code: CodeLocked, Msg: err.Error(), Hint: "unlock it with `caravan unlock` (or give the passphrase with --passphrase-file or CARAVAN_PASSPHRASE)"}
	case errors.Is(err, keys.ErrNoIdentity):
		return &Error{Code: CodeNoIdentity, Msg: "there is no identity yet", Hint: "create one with `caravan id new`"}
	case errors.Is(err, keys.ErrNotFound):
		return &Error{Code: CodeNotFound, Msg: err.Error(), Hint: "`caravan id list` shows the identities"}
	case errors.Is(err, node.ErrNotFound):
		return &Error{Code: CodeNotFound, Msg: err.Error()}
	case errors.Is(err, keys.ErrExists), errors.Is(err, mesh.ErrExists):
		return &Error{Code: CodeExists, Msg: err.Error()}
	case errors.Is(err, keys.ErrBadPassphrase):
		return &Error{Code: CodeBadPassphrase, Msg: "wrong passphrase"}
	case errors.Is(err, keys.ErrNeedPassphrase):
		return &Error{Code: CodeNeedPassphrase, Msg: "a passphrase is required", Hint: "choose one, or pass --no-passphrase to store the key unencrypted"}
	case errors.Is(err, bundles.ErrNotABundle):
		return &Error{Code: CodeNotABundle, Msg: err.Error()}
	case errors.Is(err, keys.ErrBadName), errors.Is(err, keys.ErrBadSecret):
		return &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	return &Error{Code: CodeInternal, Msg: err.Error()}
}

// DiskFullHint is the advice given with a full disk.
const DiskFullHint = "free space on that disk, then try again; everything stored before is kept"

var codeStatus = map[string]int{
	CodeInvalid:        http.StatusBadRequest,
	CodeUnauthorized:   http.StatusUnauthorized,
	CodeForbidden:      http.StatusForbidden,
	CodeNotFound:       http.StatusNotFound,
	CodeExists:         http.StatusConflict,
	CodeLocked:         http.StatusLocked,
	CodeBadPassphrase:  http.StatusForbidden,
	CodeNeedPassphrase: http.StatusBadRequest,
	CodeNoIdentity:     http.StatusConflict,
	CodeRefused:        http.StatusUnprocessableEntity,
	CodeDiskFull:       http.StatusInsufficientStorage,
	CodeNotABundle:     http.StatusUnprocessableEntity,
	CodeInternal:       http.StatusInternalServerError,
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
