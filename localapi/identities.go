package localapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Identities, posting, queries and contacts.
var (
	Status           = Route[Empty, node.Status]{"GET", "/api/v1/status"}
	Identities       = Route[Empty, []keys.Identity]{"GET", "/api/v1/identities"}
	Identity         = Route[NameRequest, IdentityInfo]{"GET", "/api/v1/identity"} // name "" is the default
	NewIdentity      = Route[NewIdentityRequest, keys.Identity]{"POST", "/api/v1/identities"}
	ImportIdentity   = Route[ImportRequest, keys.Identity]{"POST", "/api/v1/identities/import"}
	SetDefault       = Route[NameRequest, keys.Identity]{"POST", "/api/v1/identity/default"}
	Unlock           = Route[UnlockRequest, keys.Identity]{"POST", "/api/v1/identity/unlock"}
	Export           = Route[ExportRequest, ExportResponse]{"POST", "/api/v1/identity/export"}
	ChangePassphrase = Route[PassphraseRequest, keys.Identity]{"POST", "/api/v1/identity/passphrase"}
	Lock             = Route[Empty, []keys.Identity]{"POST", "/api/v1/lock"} // forget every decrypted key
	Post             = Route[PostRequest, *nostr.Event]{"POST", "/api/v1/post"}
	Publish          = Route[json.RawMessage, PublishResponse]{"POST", "/api/v1/publish"} // a signed event
	Query            = Route[QueryRequest, QueryResponse]{"POST", "/api/v1/query"}
	Event            = Route[EventRequest, *nostr.Event]{"GET", "/api/v1/event"}
	Contacts         = Route[AsRequest, []node.Contact]{"GET", "/api/v1/contacts"}
	Follow           = Route[FollowRequest, *nostr.Event]{"POST", "/api/v1/follow"}
	Unfollow         = Route[FollowRequest, *nostr.Event]{"POST", "/api/v1/unfollow"}
)

func (h *Handler) routesIdentities() {
	handle(h, Status, h.status)
	handle(h, Identities, h.identities)
	handle(h, Identity, h.identity)
	handle(h, NewIdentity, h.newIdentity)
	handle(h, ImportIdentity, h.importIdentity)
	handle(h, SetDefault, h.setDefault)
	handle(h, Unlock, h.unlock)
	handle(h, Export, h.export)
	handle(h, ChangePassphrase, h.passphrase)
	handle(h, Lock, h.lock)
	handle(h, Post, h.post)
	handle(h, Publish, h.publish)
	handle(h, Query, h.query)
	handle(h, Event, h.event)
	handle(h, Contacts, h.contacts)
	handle(h, Follow, h.follow)
	handle(h, Unfollow, h.unfollow)
}

// Request and response bodies.
type (
	NewIdentityRequest struct {
		Name         string `json:"name"`
		Passphrase   string `json:"passphrase,omitempty"`
		NoPassphrase bool   `json:"no_passphrase,omitempty"`
	}
	ImportRequest struct {
		Name         string `json:"name"`
		Secret       string `json:"secret"`
		Passphrase   string `json:"passphrase,omitempty"`
		NoPassphrase bool   `json:"no_passphrase,omitempty"`
	}
	NameRequest struct {
		Name string `json:"name" query:"name"`
	}
	UnlockRequest struct {
		Name       string `json:"name,omitempty"`
		Passphrase string `json:"passphrase"`
	}
	ExportRequest struct {
		Name       string `json:"name,omitempty"`
		NSec       bool   `json:"nsec,omitempty"` // the bare key instead of the ncryptsec
		Passphrase string `json:"passphrase,omitempty"`
	}
	ExportResponse struct {
		Secret string `json:"secret"`
	}
	PassphraseRequest struct {
		Name         string `json:"name,omitempty"`
		Old          string `json:"old,omitempty"`
		New          string `json:"new,omitempty"`
		NoPassphrase bool   `json:"no_passphrase,omitempty"`
	}
	IdentityInfo struct {
		keys.Identity
		NProfile string   `json:"nprofile"`
		Relays   []string `json:"relays,omitempty"`
	}
	PostRequest struct {
		As      string     `json:"as,omitempty"`
		Kind    int        `json:"kind"`
		Content string     `json:"content"`
		Tags    nostr.Tags `json:"tags,omitempty"`
	}
	PublishResponse struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	QueryRequest struct {
		Filters []json.RawMessage `json:"filters"`
	}
	QueryResponse struct {
		Events []json.RawMessage `json:"events"`
	}
	EventRequest struct {
		ID string `query:"id"` // 64 lowercase hex characters
	}
	AsRequest struct {
		As string `query:"as"` // an identity's name; "" is the default
	}
	FollowRequest struct {
		As      string `json:"as,omitempty"`
		PubKey  string `json:"pubkey"` // npub, nprofile or hex
		Relay   string `json:"relay,omitempty"`
		Petname string `json:"petname,omitempty"` // what you call them: kept on this device
		// PublicName is published with them in the follow list, which
		// anyone can read: only on the user's explicit choice.
		PublicName string `json:"public_name,omitempty"`
	}
)

func (h *Handler) status(ctx context.Context, _ Empty) (node.Status, error) { return h.n.Status(ctx) }

func (h *Handler) identities(ctx context.Context, _ Empty) ([]keys.Identity, error) {
	return h.n.Identities()
}

func (h *Handler) identity(ctx context.Context, req NameRequest) (IdentityInfo, error) {
	id, err := h.n.Identity(req.Name)
	if err != nil {
		return IdentityInfo{}, err
	}
	info := IdentityInfo{Identity: id}
	st, _ := h.n.Status(ctx)
	if st.Relay != "" && !strings.HasPrefix(st.Relay, "ws://127.") && !strings.HasPrefix(st.Relay, "ws://[::1]") {
		// Only an address others can reach is a useful hint.
		info.Relays = []string{st.Relay}
	}
	info.NProfile = id.PubKey.NProfile(info.Relays)
	return info, nil
}

func (h *Handler) newIdentity(ctx context.Context, req NewIdentityRequest) (keys.Identity, error) {
	return h.n.NewIdentity(req.Name, req.Passphrase, req.NoPassphrase)
}

func (h *Handler) importIdentity(ctx context.Context, req ImportRequest) (keys.Identity, error) {
	return h.n.ImportIdentity(req.Name, req.Secret, req.Passphrase, req.NoPassphrase)
}

func (h *Handler) setDefault(ctx context.Context, req NameRequest) (keys.Identity, error) {
	if err := h.n.SetDefaultIdentity(req.Name); err != nil {
		return keys.Identity{}, err
	}
	return h.n.Identity(req.Name)
}

func (h *Handler) unlock(ctx context.Context, req UnlockRequest) (keys.Identity, error) {
	return h.n.Unlock(req.Name, req.Passphrase)
}

func (h *Handler) export(ctx context.Context, req ExportRequest) (ExportResponse, error) {
	var (
		s   string
		err error
	)
	if req.NSec {
		s, err = h.n.ExportIdentityNSec(req.Name, req.Passphrase)
	} else {
		s, err = h.n.ExportIdentity(req.Name)
	}
	return ExportResponse{Secret: s}, err
}

func (h *Handler) passphrase(ctx context.Context, req PassphraseRequest) (keys.Identity, error) {
	return h.n.ChangePassphrase(req.Name, req.Old, req.New, req.NoPassphrase)
}

func (h *Handler) lock(ctx context.Context, _ Empty) ([]keys.Identity, error) {
	h.n.Lock()
	return h.n.Identities()
}

func (h *Handler) post(ctx context.Context, req PostRequest) (*nostr.Event, error) {
	if !event.ValidKind(req.Kind) {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("kind %d is outside 0..65535", req.Kind)}
	}
	ev := &nostr.Event{Kind: req.Kind, Content: req.Content, Tags: req.Tags}
	return h.n.Publish(ctx, req.As, ev)
}

// publish answers a refusal in its body, as a relay's OK message does.
func (h *Handler) publish(ctx context.Context, raw json.RawMessage) (PublishResponse, error) {
	ev, err := event.DecodeEvent(raw)
	if err != nil {
		return PublishResponse{OK: false, Message: "invalid: " + err.Error()}, nil
	}
	res := h.n.Ingest(ctx, ev)[0]
	return PublishResponse{OK: res.OK(), Message: res.Message()}, nil
}

func (h *Handler) query(ctx context.Context, req QueryRequest) (QueryResponse, error) {
	if len(req.Filters) == 0 {
		req.Filters = []json.RawMessage{json.RawMessage(`{}`)}
	}
	max := h.n.Config.Relay.MaxLimit
	seen := map[string]bool{}
	resp := QueryResponse{Events: []json.RawMessage{}}
	for i, raw := range req.Filters {
		f, err := event.DecodeFilter(raw)
		if err != nil {
			return QueryResponse{}, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("filter %d: %v", i+1, err)}
		}
		raws, err := h.n.Query(ctx, f, max)
		if err != nil {
			return QueryResponse{}, err
		}
		for _, ev := range raws {
			if !seen[ev.ID] {
				seen[ev.ID] = true
				resp.Events = append(resp.Events, ev.JSON)
			}
		}
	}
	return resp, nil
}

// QueryEvents returns the stored events matching any of the filters.
func QueryEvents(ctx context.Context, c *Client, filters ...nostr.Filter) ([]*nostr.Event, error) {
	req := QueryRequest{}
	for _, f := range filters {
		b, err := f.MarshalJSON()
		if err != nil {
			return nil, err
		}
		req.Filters = append(req.Filters, b)
	}
	r, err := Call(ctx, c, Query, req)
	if err != nil {
		return nil, err
	}
	evs := make([]*nostr.Event, 0, len(r.Events))
	for _, raw := range r.Events {
		ev := new(nostr.Event)
		if err := ev.UnmarshalJSON(raw); err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

func (h *Handler) event(ctx context.Context, req EventRequest) (*nostr.Event, error) {
	if !event.IsHexID(req.ID) {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("id %q is not 64 lowercase hex characters", req.ID)}
	}
	raw, err := h.n.Event(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, &Error{Code: CodeNotFound, Msg: "this node does not hold event " + req.ID,
			Hint: "it may not have reached this node yet; sync with a node that has it"}
	}
	ev := new(nostr.Event)
	if err := ev.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return ev, nil
}

func (h *Handler) contacts(ctx context.Context, req AsRequest) ([]node.Contact, error) {
	return h.n.Contacts(ctx, req.As)
}

func (h *Handler) follow(ctx context.Context, req FollowRequest) (*nostr.Event, error) {
	pk, relays, err := keys.ParsePublicKey(req.PubKey)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	if req.Relay == "" && len(relays) > 0 {
		req.Relay = relays[0]
	}
	return h.n.FollowWithPublicName(ctx, req.As, pk, req.Relay, req.Petname, req.PublicName)
}

func (h *Handler) unfollow(ctx context.Context, req FollowRequest) (*nostr.Event, error) {
	pk, _, err := keys.ParsePublicKey(req.PubKey)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	return h.n.Unfollow(ctx, req.As, pk)
}

// EventJSON is a signed event as Publish takes it.
func EventJSON(ev *nostr.Event) json.RawMessage {
	b, _ := ev.MarshalJSON()
	return b
}
