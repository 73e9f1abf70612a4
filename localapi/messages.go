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
		Who    string `json:"who"`            // a key, or a contact's name
		Name   string `json:"name,omitempty"` // what you call them: kept on this device
		Relay  string `json:"relay,omitempty"`
		Follow bool   `json:"follow,omitempty"` // also add to the public follow list
		// PublicName, with Follow, is published with them in the follow
		// list, which anyone can read: only on the user's explicit choice.
		PublicName string `json:"public_name,omitempty"`
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
	ChatRequest struct {
		As   string `query:"as"`
		With string `query:"with"` // a key, a contact's name, or a group's
	}
	SafetyRequest struct {
		As  string `query:"as"`
		Who string `query:"who"` // a key, or a contact's name
	}
)

// Private messages, people and groups. GET chat with follow=1 and POST
// files are hand-written (FollowChat, UploadFile).
var (
	DM           = Route[DMRequest, chat.Message]{"POST", "/api/v1/dm"}
	Inbox        = Route[AsRequest, []chat.Conversation]{"GET", "/api/v1/inbox"}
	Chat         = Route[ChatRequest, ChatResponse]{"GET", "/api/v1/chat"} // marks it read
	People       = Route[AsRequest, []node.Contact]{"GET", "/api/v1/people"}
	AddPerson    = Route[PersonRequest, node.Contact]{"POST", "/api/v1/people"}
	RemovePerson = Route[PersonRequest, Empty]{"POST", "/api/v1/people/remove"}
	Safety       = Route[SafetyRequest, SafetyResponse]{"GET", "/api/v1/people/safety"}
	Verify       = Route[PersonRequest, node.Contact]{"POST", "/api/v1/people/verify"}
	Groups       = Route[AsRequest, []chat.Group]{"GET", "/api/v1/groups"}
	NewGroup     = Route[GroupRequest, chat.Group]{"POST", "/api/v1/groups"}
	ChangeGroup  = Route[GroupRequest, chat.Group]{"POST", "/api/v1/groups/change"}
	LeaveGroup   = Route[GroupRequest, Empty]{"POST", "/api/v1/groups/leave"}
	Receipts     = Route[AsRequest, ReceiptsRequest]{"GET", "/api/v1/receipts"}
	SetReceipts  = Route[ReceiptsRequest, Empty]{"POST", "/api/v1/receipts"}
)

func (h *Handler) routesMessages() {
	handle(h, DM, h.dm)
	h.upload("POST /api/v1/files", h.files)
	h.serve("GET /api/v1/chat", h.chat)
	handle(h, Inbox, h.inbox)
	handle(h, People, h.people)
	handle(h, AddPerson, h.addPerson)
	handle(h, RemovePerson, h.removePerson)
	handle(h, Safety, h.safety)
	handle(h, Verify, h.verify)
	handle(h, Groups, h.groups)
	handle(h, NewGroup, h.newGroup)
	handle(h, ChangeGroup, h.changeGroup)
	handle(h, LeaveGroup, h.leaveGroup)
	handle(h, SetReceipts, h.receipts)
	handle(h, Receipts, h.getReceipts)
}

// resolveAll turns names and keys into hex keys.
func (h *Handler) resolveAll(ctx context.Context, as string, who []string) ([]string, error) {
	var out []string
	for _, w := range who {
		pk, err := h.n.Resolve(ctx, as, w)
		if err != nil {
			return nil, err
		}
		out = append(out, pk.Hex())
	}
	return out, nil
}

func (h *Handler) dm(ctx context.Context, req DMRequest) (chat.Message, error) {
	to, subject := req.To, req.Subject
	if req.Group != "" {
		g, err := h.msgs.FindGroup(ctx, req.As, req.Group)
		if err != nil {
			return chat.Message{}, err
		}
		to, subject = g.Members, g.Name
	}
	keys, err := h.resolveAll(ctx, req.As, to)
	if err != nil {
		return chat.Message{}, err
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

func (h *Handler) inbox(ctx context.Context, req AsRequest) ([]chat.Conversation, error) {
	return h.msgs.Inbox(ctx, req.As)
}

// chat answers with the conversation, or streams it with follow=1.
func (h *Handler) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	decodeQuery(r.URL.Query(), &req)
	as, with := req.As, req.With
	if r.URL.Query().Get("follow") != "1" {
		room, ms, err := h.msgs.Chat(r.Context(), as, with, true)
		if err != nil {
			writeError(w, toAPIError(err))
			return
		}
		if ms == nil {
			ms = []chat.Message{}
		}
		writeJSON(w, ChatResponse{Room: room, Messages: ms})
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

func (h *Handler) people(ctx context.Context, req AsRequest) ([]node.Contact, error) {
	return h.msgs.People(ctx, req.As)
}

func (h *Handler) addPerson(ctx context.Context, req PersonRequest) (node.Contact, error) {
	pk, relays, err := keys.ParsePublicKey(req.Who)
	if err != nil {
		return node.Contact{}, &Error{Code: CodeInvalid, Msg: err.Error()}
	}
	if req.Relay == "" && len(relays) > 0 {
		req.Relay = relays[0]
	}
	if req.PublicName != "" && !req.Follow {
		return node.Contact{}, &Error{Code: CodeInvalid, Msg: "a public name is published in the follow list, and this contact is not being followed",
			Hint: "follow them too, or leave the public name out"}
	}
	c, err := h.msgs.AddContact(ctx, req.As, pk, req.Name, req.Relay)
	if err != nil {
		return node.Contact{}, err
	}
	if req.Follow {
		// The name stays in the address book; only a name chosen to be
		// public goes into the follow list.
		if _, err := h.n.FollowWithPublicName(ctx, req.As, pk, req.Relay, "", req.PublicName); err != nil {
			return node.Contact{}, err
		}
		c.Followed, c.PublicName = true, req.PublicName
	}
	return c, nil
}

func (h *Handler) removePerson(ctx context.Context, req PersonRequest) (Empty, error) {
	pk, err := h.n.Resolve(ctx, req.As, req.Who)
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, h.msgs.RemoveContact(ctx, req.As, pk)
}

func (h *Handler) safety(ctx context.Context, req SafetyRequest) (SafetyResponse, error) {
	pk, err := h.n.Resolve(ctx, req.As, req.Who)
	if err != nil {
		return SafetyResponse{}, err
	}
	num, err := h.msgs.SafetyNumber(req.As, pk)
	if err != nil {
		return SafetyResponse{}, err
	}
	resp := SafetyResponse{Number: num, NPub: pk.NPub()}
	if ps, err := h.msgs.People(ctx, req.As); err == nil {
		for _, p := range ps {
			if p.PubKey == pk {
				resp.Verified = p.Verified
			}
		}
	}
	return resp, nil
}

func (h *Handler) verify(ctx context.Context, req PersonRequest) (node.Contact, error) {
	pk, err := h.n.Resolve(ctx, req.As, req.Who)
	if err != nil {
		return node.Contact{}, err
	}
	return h.msgs.VerifyContact(ctx, req.As, pk)
}

func (h *Handler) groups(ctx context.Context, req AsRequest) ([]chat.Group, error) {
	return h.msgs.Groups(ctx, req.As)
}

func (h *Handler) newGroup(ctx context.Context, req GroupRequest) (chat.Group, error) {
	members, err := h.resolveAll(ctx, req.As, req.Members)
	if err != nil {
		return chat.Group{}, err
	}
	return h.msgs.NewGroup(ctx, req.As, req.Name, members)
}

func (h *Handler) changeGroup(ctx context.Context, req GroupRequest) (chat.Group, error) {
	add, err := h.resolveAll(ctx, req.As, req.Add)
	if err != nil {
		return chat.Group{}, err
	}
	remove, err := h.resolveAll(ctx, req.As, req.Remove)
	if err != nil {
		return chat.Group{}, err
	}
	return h.msgs.ChangeGroup(ctx, req.As, req.Group, add, remove)
}

func (h *Handler) leaveGroup(ctx context.Context, req GroupRequest) (Empty, error) {
	return Empty{}, h.msgs.LeaveGroup(ctx, req.As, req.Group)
}

func (h *Handler) receipts(ctx context.Context, req ReceiptsRequest) (Empty, error) {
	return Empty{}, h.msgs.SetReceipts(ctx, req.As, req.On)
}

func (h *Handler) getReceipts(ctx context.Context, req AsRequest) (ReceiptsRequest, error) {
	on, err := h.msgs.Receipts(ctx, req.As)
	return ReceiptsRequest{As: req.As, On: on}, err
}

// Client methods for the hand-written endpoints.

// UploadFile encrypts and stores a file for a message.
func (c *Client) UploadFile(ctx context.Context, data []byte, mime, name string) (msg.File, error) {
	var f msg.File
	return f, c.upload(ctx, "/api/v1/files", data, http.Header{"Content-Type": {mime}, "X-File-Name": {url.PathEscape(name)}}, &f)
}

// FollowChat streams a conversation: the messages so far, then new and
// changed ones, until ctx ends.
func (c *Client) FollowChat(ctx context.Context, as, with string, each func(chat.Message)) error {
	q := encodeQuery(ChatRequest{As: as, With: with})
	q.Set("follow", "1")
	resp, err := c.stream(ctx, "/api/v1/chat?"+q.Encode(), nil)
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
