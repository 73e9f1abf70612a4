package localapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Client talks to a node's local API.
type Client struct {
	base  string
	token string
	hc    *http.Client
	// Node is the in-process node when no node was running; nil otherwise.
	Node *node.Node
}

// DialOptions configure Dial.
type DialOptions struct {
	// Wait is how long to wait for a data directory that another process
	// holds without serving the API (another CLI command). If zero, 10s.
	Wait time.Duration
	// Node options for opening the data directory in this process.
	Node node.Options
}

// Dial connects to the node serving dataDir. When none is running, it opens
// the data directory in this process and serves the same API in memory, so
// every command works the same with or without `caravan serve`.
func Dial(ctx context.Context, dataDir string, opts DialOptions) (*Client, error) {
	if opts.Wait == 0 {
		opts.Wait = 10 * time.Second
	}
	deadline := time.Now().Add(opts.Wait)
	for {
		if rt, err := node.ReadRuntime(dataDir); err == nil {
			c := NewClient(rt.API, rt.Token)
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := c.Status(pctx)
			cancel()
			if err == nil {
				return c, nil
			}
		}
		n, err := node.Open(dataDir, opts.Node)
		if err == nil {
			if _, err := mesh.New(n); err != nil {
				n.Close()
				return nil, err
			}
			return InProcess(n), nil
		}
		if !errors.Is(err, node.ErrBusy) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w, and it does not answer on its local API; is a `caravan serve` starting, or another command still running?", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// NewClient is a client of the API at base (http://127.0.0.1:port).
func NewClient(base, token string) *Client {
	return &Client{base: base, token: token, hc: &http.Client{}}
}

// InProcess serves the API of n in memory and returns a client of it.
func InProcess(n *node.Node) *Client {
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	h := NewHandler(n, token)
	return &Client{
		base:  "http://127.0.0.1",
		token: token,
		hc:    &http.Client{Transport: memTransport{h}},
		Node:  n,
	}
}

// Close releases the in-process node, if any.
func (c *Client) Close() error {
	if c.Node != nil {
		return c.Node.Close()
	}
	return nil
}

// stream sends a request (a POST of in as JSON, or a GET when in is nil)
// and returns the response when it is 200 OK; the caller reads and closes
// the body.
func (c *Client) stream(ctx context.Context, path string, in any) (*http.Response, error) {
	if in == nil {
		return c.send(ctx, "GET", path, nil, nil)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, "POST", path, bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}})
}

// send makes a request with the token and turns non-200 answers into
// errors.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the node's local API at %s does not answer: %w", c.base, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		e := &Error{}
		if json.Unmarshal(b, e) != nil || e.Msg == "" {
			return nil, fmt.Errorf("local API: %s: %s", resp.Status, bytes.TrimSpace(b))
		}
		return nil, e
	}
	return resp, nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	if method == "GET" && in != nil {
		return fmt.Errorf("GET with a body")
	}
	if method == "POST" && in == nil {
		in = struct{}{}
	}
	resp, err := c.stream(ctx, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}

// decodeResponse reads a JSON answer into out (nil: ignore it).
func decodeResponse(resp *http.Response, out any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("local API: unreadable answer to %s: %v", resp.Request.URL.Path, err)
	}
	return nil
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (node.Status, error) {
	var st node.Status
	return st, c.do(ctx, "GET", "/api/v1/status", nil, &st)
}

// Identities lists the node's identities.
func (c *Client) Identities(ctx context.Context) ([]keys.Identity, error) {
	var ids []keys.Identity
	return ids, c.do(ctx, "GET", "/api/v1/identities", nil, &ids)
}

// Identity describes one identity; name "" is the default.
func (c *Client) Identity(ctx context.Context, name string) (IdentityInfo, error) {
	var id IdentityInfo
	return id, c.do(ctx, "GET", "/api/v1/identity?name="+url.QueryEscape(name), nil, &id)
}

// NewIdentity creates an identity.
func (c *Client) NewIdentity(ctx context.Context, req NewIdentityRequest) (keys.Identity, error) {
	var id keys.Identity
	return id, c.do(ctx, "POST", "/api/v1/identities", req, &id)
}

// ImportIdentity adds an existing key.
func (c *Client) ImportIdentity(ctx context.Context, req ImportRequest) (keys.Identity, error) {
	var id keys.Identity
	return id, c.do(ctx, "POST", "/api/v1/identities/import", req, &id)
}

// SetDefault makes name the default identity.
func (c *Client) SetDefault(ctx context.Context, name string) (keys.Identity, error) {
	var id keys.Identity
	return id, c.do(ctx, "POST", "/api/v1/identity/default", NameRequest{Name: name}, &id)
}

// Unlock decrypts an identity's key in the node.
func (c *Client) Unlock(ctx context.Context, name, passphrase string) (keys.Identity, error) {
	var id keys.Identity
	return id, c.do(ctx, "POST", "/api/v1/identity/unlock", UnlockRequest{Name: name, Passphrase: passphrase}, &id)
}

// Export returns an identity's key (see ExportRequest).
func (c *Client) Export(ctx context.Context, req ExportRequest) (string, error) {
	var r ExportResponse
	err := c.do(ctx, "POST", "/api/v1/identity/export", req, &r)
	return r.Secret, err
}

// ChangePassphrase re-encrypts an identity's key.
func (c *Client) ChangePassphrase(ctx context.Context, req PassphraseRequest) (keys.Identity, error) {
	var id keys.Identity
	return id, c.do(ctx, "POST", "/api/v1/identity/passphrase", req, &id)
}

// Lock makes the node forget every decrypted key.
func (c *Client) Lock(ctx context.Context) error {
	return c.do(ctx, "POST", "/api/v1/lock", struct{}{}, nil)
}

// Post signs and stores a new event.
func (c *Client) Post(ctx context.Context, req PostRequest) (*nostr.Event, error) {
	ev := new(nostr.Event)
	return ev, c.do(ctx, "POST", "/api/v1/post", req, ev)
}

// Publish offers an already signed event.
func (c *Client) Publish(ctx context.Context, ev *nostr.Event) (PublishResponse, error) {
	var r PublishResponse
	return r, c.do(ctx, "POST", "/api/v1/publish", ev, &r)
}

// Query returns stored events matching any of the filters.
func (c *Client) Query(ctx context.Context, filters ...nostr.Filter) ([]*nostr.Event, error) {
	req := QueryRequest{}
	for _, f := range filters {
		b, err := f.MarshalJSON()
		if err != nil {
			return nil, err
		}
		req.Filters = append(req.Filters, b)
	}
	var r QueryResponse
	if err := c.do(ctx, "POST", "/api/v1/query", req, &r); err != nil {
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

// Event returns one event by hex id.
func (c *Client) Event(ctx context.Context, id string) (*nostr.Event, error) {
	ev := new(nostr.Event)
	return ev, c.do(ctx, "GET", "/api/v1/event?id="+url.QueryEscape(id), nil, ev)
}

// Contacts lists whom identity as follows.
func (c *Client) Contacts(ctx context.Context, as string) ([]node.Contact, error) {
	var cs []node.Contact
	return cs, c.do(ctx, "GET", "/api/v1/contacts?as="+url.QueryEscape(as), nil, &cs)
}

// Follow adds a contact and publishes the new list.
func (c *Client) Follow(ctx context.Context, req FollowRequest) (*nostr.Event, error) {
	ev := new(nostr.Event)
	return ev, c.do(ctx, "POST", "/api/v1/follow", req, ev)
}

// Unfollow removes a contact and publishes the new list.
func (c *Client) Unfollow(ctx context.Context, req FollowRequest) (*nostr.Event, error) {
	ev := new(nostr.Event)
	return ev, c.do(ctx, "POST", "/api/v1/unfollow", req, ev)
}

// Call makes one JSON call: in (if not nil) is the request body, out (if
// not nil) receives the response.
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, method, path, in, out)
}
