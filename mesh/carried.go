package mesh

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/caravan-mesh/caravan/event"
)

// CarriedPath is where the relay endpoint answers which events went on to
// other peers: POST {"ids": ["<hex>", ...]} (at most MaxCarriedIDs) ->
// {"carried": ["<hex>", ...]}, those of the ids (in the order given) that
// a peer is known to hold: it pulled them from this node or took them
// when pushed (node.Handover, recorded as holdings), or sent them here.
// The phone page shows a sent message as "carried" with it. Holdings are
// recorded for gift wraps (messages) and reports only; other events are
// never listed. It tells nothing that reconciling with the node
// (NIP-77) would not: wrap ids are seen by anyone who syncs.
const CarriedPath = "/phone/v1/carried"

// MaxCarriedIDs is the most ids one request may ask about.
const MaxCarriedIDs = 500

// maxCarriedBody bounds a request's body: 500 quoted ids and some room.
const maxCarriedBody = 64 << 10

// serveCarried answers CarriedPath (a node.OnRelayHTTP hook).
func (m *Service) serveCarried(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != CarriedPath {
		return false
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodPost {
		h.Set("Allow", http.MethodPost)
		carriedError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s takes POST with a JSON body {\"ids\": [...]}, not %s", CarriedPath, r.Method))
		return true
	}
	ids, err := parseCarried(http.MaxBytesReader(w, r.Body, maxCarriedBody))
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		carriedError(w, status, err.Error())
		return true
	}
	held, err := m.p.Store.HeldByPeers(r.Context(), ids)
	if err != nil {
		m.p.Logf("%s: %v", CarriedPath, err)
		carriedError(w, http.StatusInternalServerError, "could not read what peers hold; try again")
		return true
	}
	h.Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string][]string{"carried": held})
	return true
}

// parseCarried reads {"ids": [...]}, saying precisely what is wrong.
func parseCarried(body io.Reader) ([]string, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("the body is larger than %d bytes; ask about at most %d ids at a time: %w", maxCarriedBody, MaxCarriedIDs, err)
		}
		return nil, fmt.Errorf("reading the body: %v", err)
	}
	var req struct {
		IDs *[]json.RawMessage `json:"ids"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil, errors.New(`the body is empty; send {"ids": ["<event id in hex>", ...]}`)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "ids" {
			return nil, fmt.Errorf(`"ids" must be an array of event ids, not %s`, te.Value)
		}
		return nil, fmt.Errorf(`the body is not {"ids": [...]}: %s`, event.JSONError(err))
	}
	if dec.More() {
		return nil, errors.New(`the body has more after the JSON object; send one {"ids": [...]}`)
	}
	if req.IDs == nil {
		return nil, errors.New(`the body has no "ids" (or it is null); send {"ids": ["<event id in hex>", ...]}`)
	}
	if len(*req.IDs) > MaxCarriedIDs {
		return nil, fmt.Errorf(`"ids" has %d ids; ask about at most %d at a time`, len(*req.IDs), MaxCarriedIDs)
	}
	ids := make([]string, len(*req.IDs))
	for i, raw := range *req.IDs {
		err := json.Unmarshal(raw, &ids[i])
		if err == nil && event.IsHexID(ids[i]) {
			continue
		}
		what := event.Clip(string(raw))
		if err == nil {
			what = strconv.Quote(event.Clip(ids[i]))
		}
		return nil, fmt.Errorf(`"ids"[%d] is %s, not an event id (64 lowercase hex characters)`, i, what)
	}
	return ids, nil
}

func carriedError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
