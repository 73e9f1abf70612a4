package localapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/caravan-mesh/caravan/node"
)

// Message endpoints, under /api/v1:
//
//	POST dm                 DMRequest -> chat.Message
//	POST files              raw bytes (headers Content-Type, X-File-Name: the name
//	                        percent-encoded, as browsers send only Latin-1 headers) -> msg.File
//	GET  inbox?as=          []chat.Conversation
//	GET  chat?as=&with=     ChatResponse; with &follow=1, JSON lines: the
//	                        messages so far, then each new or changed one
//	GET  people?as=         []node.Contact
//	POST people             PersonRequest -> node.Contact
//	POST people/remove      PersonRequest
//	GET  people/safety?as=&who=   SafetyResponse
//	POST people/verify      PersonRequest -> node.Contact
//	GET  groups?as=         []chat.Group
//	POST groups             GroupRequest -> chat.Group
//	POST groups/change      GroupRequest -> chat.Group
//	POST groups/leave       GroupRequest
//	GET  receipts?as=       ReceiptsRequest: whether receipts are on
//	POST receipts           ReceiptsRequest

// Request and response bodies.
type (
	DMRequest struct {
		As      string    `json:"as,omitempty"`
		To      []string  `json:"to,omitempty"`    // names, npubs, nprofiles or hex keys
		Group   string    `json:"group,omitempty"` // or a group's name
		Text    string    `json:"text,omitempty"`
		Subject string    `json:"subject,omitempty"`
		File    *msg.File `json:"file,omitempty"`
	}
	ChatResponse struct {
		Room     string         `json:"room"`
		Messages []chat.Message `json:"messages"`
	}
	PersonRequest struct {
		As     string `json:"as,omitempty"`
		Who    string `json:"who"` // a key, or a contact's name
		Name   string `json:"name,omitempty"`
		Relay  string `json:"relay,omitempty"`
		Follow bool   `json:"follow,omitempty"` // also add to the public follow list
	}
	SafetyResponse struct {
		Number   string `json:"number"`
		Verified bool   `json:"verified"`
		NPub     string `json:"npub"`
	}
	GroupRequest struct {
		As      string   `json:"as,omitempty"`
		Group   string   `json:"group,omitempty"`
		Name    string   `json:"name,omitempty"`
		Members []string `json:"members,omitempty"`
		Add     []string `json:"add,omitempty"`
		Remove  []string `json:"remove,omitempty"`
	}
	ReceiptsRequest struct {
		As string `json:"as,omitempty"`
		On bool   `json:"on"`
	}
)

func (h *Handler) routesMessages() map[string]func(*http.Request) (any, error) {
	return map[string]func(*http.Request) (any, error){
		"POST /api/v1/dm":            h.dm,
		"POST /api/v1/files":         h.files,
		"GET /api/v1/inbox":          h.inbox,
		"GET /api/v1/people":         h.people,
		"POST /api/v1/people":        h.addPerson,
		"POST /api/v1/people/remove": h.removePerson,
		"GET /api/v1/people/safety":  h.safety,
		"POST /api/v1/people/verify": h.verify,
		"GET /api/v1/groups":         h.groups,
		"POST /api/v1/groups":        h.newGroup,
		"POST /api/v1/groups/change": h.changeGroup,
		"POST /api/v1/groups/leave":  h.leaveGroup,
		"POST /api/v1/receipts":      h.receipts,
		"GET /api/v1/receipts":       h.getReceipts,
	}
}

// resolveAll turns names and keys into hex keys.
func (h *Handler) resolveAll(ctx context.Context, as string, who []string) ([]string, error) {
	var out []string
	for _, w := range who {
		pk, err := h.n.Resolve(ctx, as, w)
		if err != nil {
			return nil, &Error{Code: CodeNotFound, Msg: err.Error(), Hint: "add them first with 'caravan contact add NPUB --name NAME'"}
		}
		out = append(out, pk.Hex())
	}
	return out, nil
}

func (h *Handler) dm(r *http.Request) (any, error) {
	var req DMRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	to, subject := req.To, req.Subject
	if req.Group != "" {
		g, err := h.msgs.FindGroup(ctx, req.As, req.Group)
		if err != nil {
			return nil, err
		}
		to, subject = g.Members, g.Name
	}
	keys, err := h.resolveAll(ctx, req.As, to)
	if err != nil {
		return nil, err
	}
	return h.msgs.Send(ctx, req.As, keys, req.Text, subject, req.File)
}

func (h *Handler) files(r *http.Request) (any, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, msg.MaxFile+1))
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: fmt.Sprintf("the file is larger than %d bytes, or could not be read", msg.MaxFile)}
	}
	name, err := url.PathUnescape(r.Header.Get("X-File-Name"))
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: "X-File-Name must be the file's name, percent-encoded"}
	}
	f, err := h.msgs.PutFile(r.Context(), data, r.Header.Get("Content-Type"), name)
	var fe *chat.FileError
	if errors.As(err, &fe) {
		return nil, &Error{Code: CodeInvalid, Msg: fe.Error()}
	}
	return f, err
}

func (h *Handler) inbox(r *http.Request) (any, error) {
	return list(h.msgs.Inbox(r.Context(), r.URL.Query().Get("as")))
}

// chat answers with the conversation, or streams it with follow=1.
func (h *Handler) chat(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	as, with := q.Get("as"), q.Get("with")
	if q.Get("follow") != "1" {
		room, ms, err := h.msgs.Chat(r.Context(), as, with, true)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		if ms == nil {
			ms = []chat.Message{}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ChatResponse{Room: room, Messages: ms})
		return
	}
	updates := make(chan chat.Message, 64)
	id, err := h.n.Identity(as)
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	room, ms, err := h.msgs.Chat(r.Context(), as, with, true)
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	cancel := h.msgs.OnMessage(func(name string, m chat.Message) {
		if name == id.Name && m.Room == room {
			select {
			case updates <- m:
			default:
			}
		}
	})
	defer cancel()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	for _, m := range ms {
		enc.Encode(m)
	}
	if fl != nil {
		fl.Flush()
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case m := <-updates:
			if err := enc.Encode(m); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	}
}

func (h *Handler) people(r *http.Request) (any, error) {
	return list(h.msgs.People(r.Context(), r.URL.Query().Get("as")))
}

func (h *Handler) addPerson(r *http.Request) (any, error) {
	var req PersonRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	pk, relays, err := keys.ParsePublicKey(req.Who)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	if req.Relay == "" && len(relays) > 0 {
		req.Relay = relays[0]
	}
	c, err := h.msgs.AddContact(r.Context(), req.As, pk, req.Name, req.Relay)
	if err != nil {
		return nil, err
	}
	if req.Follow {
		if _, err := h.n.Follow(r.Context(), req.As, pk, req.Relay, req.Name); err != nil {
			return nil, err
		}
		c.Followed = true
	}
	return c, nil
}

func (h *Handler) removePerson(r *http.Request) (any, error) {
	req, pk, err := h.person(r)
	if err != nil {
		return nil, err
	}
	return struct{}{}, h.msgs.RemoveContact(r.Context(), req.As, pk)
}

// person reads a PersonRequest and resolves who it is about.
func (h *Handler) person(r *http.Request) (PersonRequest, keys.PublicKey, error) {
	var req PersonRequest
	if err := decodeBody(r, &req); err != nil {
		return req, "", err
	}
	pk, err := h.n.Resolve(r.Context(), req.As, req.Who)
	return req, pk, err
}

func (h *Handler) safety(r *http.Request) (any, error) {
	q := r.URL.Query()
	pk, err := h.n.Resolve(r.Context(), q.Get("as"), q.Get("who"))
	if err != nil {
		return nil, err
	}
	num, err := h.msgs.SafetyNumber(q.Get("as"), pk)
	if err != nil {
		return nil, err
	}
	resp := SafetyResponse{Number: num, NPub: pk.NPub()}
	if ps, err := h.msgs.People(r.Context(), q.Get("as")); err == nil {
		for _, p := range ps {
			if p.PubKey == pk {
				resp.Verified = p.Verified
			}
		}
	}
	return resp, nil
}

func (h *Handler) verify(r *http.Request) (any, error) {
	req, pk, err := h.person(r)
	if err != nil {
		return nil, err
	}
	return h.msgs.VerifyContact(r.Context(), req.As, pk)
}

func (h *Handler) groups(r *http.Request) (any, error) {
	return list(h.msgs.Groups(r.Context(), r.URL.Query().Get("as")))
}

func (h *Handler) newGroup(r *http.Request) (any, error) {
	var req GroupRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	members, err := h.resolveAll(r.Context(), req.As, req.Members)
	if err != nil {
		return nil, err
	}
	return h.msgs.NewGroup(r.Context(), req.As, req.Name, members)
}

func (h *Handler) changeGroup(r *http.Request) (any, error) {
	var req GroupRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	add, err := h.resolveAll(r.Context(), req.As, req.Add)
	if err != nil {
		return nil, err
	}
	remove, err := h.resolveAll(r.Context(), req.As, req.Remove)
	if err != nil {
		return nil, err
	}
	return h.msgs.ChangeGroup(r.Context(), req.As, req.Group, add, remove)
}

func (h *Handler) leaveGroup(r *http.Request) (any, error) {
	var req GroupRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return struct{}{}, h.msgs.LeaveGroup(r.Context(), req.As, req.Group)
}

func (h *Handler) receipts(r *http.Request) (any, error) {
	var req ReceiptsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	return struct{}{}, h.msgs.SetReceipts(r.Context(), req.As, req.On)
}

func (h *Handler) getReceipts(r *http.Request) (any, error) {
	as := r.URL.Query().Get("as")
	on, err := h.msgs.Receipts(r.Context(), as)
	return ReceiptsRequest{As: as, On: on}, err
}

// list answers with a list, as [] rather than null when it is empty.
func list[T any](xs []T, err error) (any, error) {
	if xs == nil {
		xs = []T{}
	}
	return xs, err
}

// Client methods.

// DM sends a private message.
func (c *Client) DM(ctx context.Context, req DMRequest) (chat.Message, error) {
	var m chat.Message
	return m, c.do(ctx, "POST", "/api/v1/dm", req, &m)
}

// UploadFile encrypts and stores a file for a message.
func (c *Client) UploadFile(ctx context.Context, data []byte, mime, name string) (msg.File, error) {
	var f msg.File
	return f, c.upload(ctx, "/api/v1/files", data, http.Header{"Content-Type": {mime}, "X-File-Name": {url.PathEscape(name)}}, &f)
}

// Inbox lists conversations.
func (c *Client) Inbox(ctx context.Context, as string) ([]chat.Conversation, error) {
	var cs []chat.Conversation
	return cs, c.do(ctx, "GET", "/api/v1/inbox?as="+url.QueryEscape(as), nil, &cs)
}

// Chat returns one conversation and marks it read.
func (c *Client) Chat(ctx context.Context, as, with string) (ChatResponse, error) {
	var r ChatResponse
	return r, c.do(ctx, "GET", "/api/v1/chat?as="+url.QueryEscape(as)+"&with="+url.QueryEscape(with), nil, &r)
}

// FollowChat streams a conversation: the messages so far, then new and
// changed ones, until ctx ends.
func (c *Client) FollowChat(ctx context.Context, as, with string, each func(chat.Message)) error {
	resp, err := c.stream(ctx, "/api/v1/chat?follow=1&as="+url.QueryEscape(as)+"&with="+url.QueryEscape(with), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m chat.Message
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			each(m)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

// People lists contacts and follows.
func (c *Client) People(ctx context.Context, as string) ([]node.Contact, error) {
	var ps []node.Contact
	return ps, c.do(ctx, "GET", "/api/v1/people?as="+url.QueryEscape(as), nil, &ps)
}

// AddPerson adds a private contact.
func (c *Client) AddPerson(ctx context.Context, req PersonRequest) (node.Contact, error) {
	var p node.Contact
	return p, c.do(ctx, "POST", "/api/v1/people", req, &p)
}

// RemovePerson removes a private contact.
func (c *Client) RemovePerson(ctx context.Context, as, who string) error {
	return c.do(ctx, "POST", "/api/v1/people/remove", PersonRequest{As: as, Who: who}, nil)
}

// Safety returns the safety number with someone.
func (c *Client) Safety(ctx context.Context, as, who string) (SafetyResponse, error) {
	var s SafetyResponse
	return s, c.do(ctx, "GET", "/api/v1/people/safety?as="+url.QueryEscape(as)+"&who="+url.QueryEscape(who), nil, &s)
}

// Verify marks a contact verified.
func (c *Client) Verify(ctx context.Context, as, who string) (node.Contact, error) {
	var p node.Contact
	return p, c.do(ctx, "POST", "/api/v1/people/verify", PersonRequest{As: as, Who: who}, &p)
}

// Groups lists groups.
func (c *Client) Groups(ctx context.Context, as string) ([]chat.Group, error) {
	var gs []chat.Group
	return gs, c.do(ctx, "GET", "/api/v1/groups?as="+url.QueryEscape(as), nil, &gs)
}

// NewGroup creates a group.
func (c *Client) NewGroup(ctx context.Context, req GroupRequest) (chat.Group, error) {
	var g chat.Group
	return g, c.do(ctx, "POST", "/api/v1/groups", req, &g)
}

// ChangeGroup adds or removes members.
func (c *Client) ChangeGroup(ctx context.Context, req GroupRequest) (chat.Group, error) {
	var g chat.Group
	return g, c.do(ctx, "POST", "/api/v1/groups/change", req, &g)
}

// LeaveGroup leaves a group.
func (c *Client) LeaveGroup(ctx context.Context, as, group string) error {
	return c.do(ctx, "POST", "/api/v1/groups/leave", GroupRequest{As: as, Group: group}, nil)
}

// SetReceipts turns delivery receipts on or off.
func (c *Client) SetReceipts(ctx context.Context, as string, on bool) error {
	return c.do(ctx, "POST", "/api/v1/receipts", ReceiptsRequest{As: as, On: on}, nil)
}
