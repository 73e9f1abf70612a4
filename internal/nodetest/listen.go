package nodetest

import (
	"net"
	"sync"
)

// DropListener is a listener that can close every connection it
// accepted, as a node that went away would leave them.
type DropListener struct {
	net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	dropped bool
}

// Listen listens on the TCP address addr ("127.0.0.1:0" for a new port).
func Listen(addr string) (*DropListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &DropListener{Listener: ln}, nil
}

func (l *DropListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped {
		c.Close()
	} else {
		l.conns = append(l.conns, c)
	}
	return c, nil
}

// Drop closes the connections accepted so far and every later one.
func (l *DropListener) Drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropped = true
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}
