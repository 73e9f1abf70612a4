package link

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoServer is a websocket server that echoes messages.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c := WebSocket(ws, 1<<20, "client")
		for {
			m, err := c.Read(r.Context())
			if err != nil {
				return
			}
			c.Write(r.Context(), m)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// socks5 is a minimal SOCKS5 proxy (no auth, CONNECT) that resolves the
// names it is given through a table, as Tor resolves .onion names, and
// records what it was asked for.
type socks5 struct {
	ln    net.Listener
	mu    sync.Mutex
	asked []string
	names map[string]string
}

func newSOCKS5(t *testing.T, names map[string]string) *socks5 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks5{ln: ln, names: names}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *socks5) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 262)
	if _, err := io.ReadFull(c, buf[:2]); err != nil || buf[0] != 5 {
		return
	}
	io.ReadFull(c, buf[:buf[1]])
	c.Write([]byte{5, 0})
	if _, err := io.ReadFull(c, buf[:4]); err != nil {
		return
	}
	var host string
	switch buf[3] {
	case 3:
		io.ReadFull(c, buf[:1])
		n := int(buf[0])
		io.ReadFull(c, buf[:n])
		host = string(buf[:n])
	case 1:
		io.ReadFull(c, buf[:4])
		host = net.IP(buf[:4]).String()
	default:
		return
	}
	io.ReadFull(c, buf[:2])
	port := binary.BigEndian.Uint16(buf[:2])
	s.mu.Lock()
	s.asked = append(s.asked, host)
	s.mu.Unlock()
	target, ok := s.names[host]
	if !ok {
		target = net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Write([]byte{5, 4, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	go io.Copy(up, c)
	io.Copy(c, up)
}

func TestDialThroughSOCKS5OnionName(t *testing.T) {
	srv := echoServer(t)
	relayAddr := strings.TrimPrefix(srv.URL, "http://")
	onion := "caravanxyzexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
	px := newSOCKS5(t, map[string]string{onion: relayAddr})
	ctx := context.Background()
	c, err := Dial(ctx, "ws://"+onion+":7447", DialOptions{Proxy: "socks5://" + px.ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close("")
	if err := c.Write(ctx, []byte(`["REQ","x",{}]`)); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read(ctx)
	if err != nil || string(got) != `["REQ","x",{}]` {
		t.Fatalf("echo through the proxy: %q %v", got, err)
	}
	px.mu.Lock()
	defer px.mu.Unlock()
	if len(px.asked) != 1 || px.asked[0] != onion {
		t.Fatalf("the proxy was asked for %v; the .onion name must reach it unresolved", px.asked)
	}
}

func TestDialErrorsSayWhat(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ url, proxy, want string }{
		{"http://example.org", "", "not a websocket address"},
		{"ws://127.0.0.1:1", "", "connect to ws://127.0.0.1:1"},
		{"ws://127.0.0.1:1", "http://proxy:8080", "only SOCKS5 proxies"},
		{"ws://127.0.0.1:1", "socks5://127.0.0.1:1", "through socks5://127.0.0.1:1"},
	} {
		_, err := Dial(ctx, c.url, DialOptions{Proxy: c.proxy, Timeout: 2 * time.Second})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Dial(%s, proxy %q): %v, want %q", c.url, c.proxy, err, c.want)
		}
	}
}

func TestStreamFraming(t *testing.T) {
	ca, cb := net.Pipe()
	a, b := Stream(ca, ca, ca, 64, "a"), Stream(cb, cb, cb, 64, "b")
	ctx := context.Background()
	go func() {
		cb.Write([]byte("\n  \r\n[\"one\"]\r\n"))
		cb.Write([]byte(`["` + strings.Repeat("x", 200) + `"]` + "\n"))
		cb.Write([]byte(`["two"]`))
		cb.Close()
	}()
	if m, err := a.Read(ctx); err != nil || string(m) != `["one"]` {
		t.Fatalf("first: %q %v", m, err)
	}
	if _, err := a.Read(ctx); !errors.Is(err, ErrTooBig) {
		t.Fatalf("oversized line: %v, want ErrTooBig", err)
	}
	if m, err := a.Read(ctx); err != nil || string(m) != `["two"]` {
		t.Fatalf("last line without newline: %q %v", m, err)
	}
	if err := b.Write(ctx, []byte("a\nb")); err == nil {
		t.Fatal("a message with a raw newline was written")
	}
}
