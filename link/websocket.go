package link

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/proxy"
)

type wsConn struct {
	counter
	ws   *websocket.Conn
	max  int
	name string
}

// WebSocket wraps an accepted or dialled websocket. Messages over max bytes
// (up to four times max) are skipped with ErrTooBig; larger ones end the
// connection.
func WebSocket(ws *websocket.Conn, max int, name string) Conn {
	ws.SetReadLimit(int64(max) * 4)
	return &wsConn{ws: ws, max: max, name: name}
}

func (c *wsConn) String() string { return c.name }

func (c *wsConn) Read(ctx context.Context) ([]byte, error) {
	for {
		typ, rd, err := c.ws.Reader(ctx)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(rd, int64(c.max)+1))
		c.in.Add(n)
		if err != nil {
			return nil, err
		}
		if n > int64(c.max) {
			m, err := io.Copy(io.Discard, rd)
			c.in.Add(m)
			if err != nil {
				return nil, err
			}
			return nil, ErrTooBig
		}
		if typ != websocket.MessageText {
			continue // NIP-01 is text; binary frames carry nothing for us
		}
		return buf.Bytes(), nil
	}
}

func (c *wsConn) Write(ctx context.Context, msg []byte) error {
	if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		return err
	}
	c.out.Add(int64(len(msg)))
	return nil
}

func (c *wsConn) Close(reason string) error {
	if len(reason) > 120 {
		reason = reason[:120] // a close frame's reason is limited to 123 bytes
	}
	return c.ws.Close(websocket.StatusNormalClosure, reason)
}

func (c *wsConn) Ping(ctx context.Context) error { return c.ws.Ping(ctx) }

// DialOptions configure Dial. The zero value dials directly.
type DialOptions struct {
	// Proxy is a SOCKS5 proxy for the connection, as
	// "socks5://host:port" (Tor: socks5://127.0.0.1:9050). Host names,
	// including .onion addresses, are resolved by the proxy.
	Proxy string
	// MaxMessage bounds incoming messages. If zero, 4 MiB.
	MaxMessage int
	// Timeout bounds the connection handshake. If zero, 30s.
	Timeout time.Duration
}

// Dial connects to a ws:// or wss:// URL.
func Dial(ctx context.Context, rawURL string, o DialOptions) (Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("%q is not a websocket address; write it as ws://host:port or wss://host", rawURL)
	}
	if o.MaxMessage == 0 {
		o.MaxMessage = 4 << 20
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	if o.Proxy != "" {
		d, err := socksDialer(o.Proxy)
		if err != nil {
			return nil, err
		}
		tr.DialContext = d.DialContext
	} else {
		tr.DialContext = (&net.Dialer{Timeout: o.Timeout}).DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, rawURL, &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		via := ""
		if o.Proxy != "" {
			via = " through " + o.Proxy
		}
		return nil, fmt.Errorf("connect to %s%s: %w", rawURL, via, err)
	}
	return WebSocket(ws, o.MaxMessage, rawURL), nil
}

// socksDialer parses socks5://[user:pass@]host:port.
func socksDialer(p string) (proxy.ContextDialer, error) {
	u, err := url.Parse(p)
	if err != nil || !strings.HasPrefix(u.Scheme, "socks5") || u.Host == "" {
		return nil, fmt.Errorf("proxy %q: only SOCKS5 proxies are supported, written socks5://host:port", p)
	}
	var auth *proxy.Auth
	if u.User != nil {
		pw, _ := u.User.Password()
		auth = &proxy.Auth{User: u.User.Username(), Password: pw}
	}
	d, err := proxy.SOCKS5("tcp", u.Host, auth, &net.Dialer{Timeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", p, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, fmt.Errorf("proxy %q: dialer cannot be cancelled", p)
	}
	return cd, nil
}
