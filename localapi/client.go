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
	"time"

	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
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
			_, err := Call(pctx, c, Status, Empty{})
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
