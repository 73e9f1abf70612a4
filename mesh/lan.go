package mesh

import (
	"context"

	"github.com/caravan-mesh/caravan/node"
)

// serving is the mesh's state while the node serves.
type serving struct {
	sv node.Serving
	// found carries the discoverers' sets to the peer loop.
	found chan foundSet
	// Discovery runs while lanCancel is set; lanLive counts the
	// discoverers still running.
	lanCancel context.CancelFunc
	lanLive   int
}

// state returns the mesh's state for serve sv, making it (and starting
// discovery if it is on) the first time. m.mu is held.
func (m *Service) state(sv node.Serving) *serving {
	if s := m.serving; s != nil && s.sv.Context == sv.Context {
		return s
	}
	s := &serving{sv: sv, found: make(chan foundSet)}
	m.serving = s
	if m.lanEnabled(sv) {
		m.startLAN(s)
	}
	return s
}

// lanEnabled: on if configured so, else when the relay listens beyond
// loopback.
func (m *Service) lanEnabled(sv node.Serving) bool {
	if sv.NoLAN {
		return false
	}
	if lan := m.n.Config.LAN; lan != nil {
		return *lan
	}
	return sv.Reachable
}

// lanOn says whether discovery runs.
func (m *Service) lanOn() bool {
	sv, ok := m.n.Serving()
	if !ok {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state(sv).lanCancel != nil
}

// setLAN starts or stops discovery while serving. Stopping it ends the
// sessions with the neighbours it found.
func (m *Service) setLAN(on bool) {
	sv, ok := m.n.Serving()
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.state(sv)
	if on == (s.lanCancel != nil) {
		return
	}
	if on {
		m.startLAN(s)
		return
	}
	s.lanCancel()
	s.lanCancel = nil
	go func() {
		for i := range m.discover {
			select {
			case s.found <- foundSet{from: i}:
			case <-s.sv.Context.Done():
				return
			}
		}
	}()
}

// startLAN starts every discoverer. m.mu is held.
func (m *Service) startLAN(s *serving) {
	if s.sv.RelayAddr == nil {
		return
	}
	ctx, cancel := context.WithCancel(s.sv.Context)
	s.lanCancel = cancel
	s.lanLive = len(m.discover)
	self := Self{ID: m.n.NodeID(), Relay: s.sv.RelayAddr, Logf: m.p.Logf}
	for i, d := range m.discover {
		found := make(chan []Found)
		go func() {
			for {
				select {
				case set := <-found:
					select {
					case s.found <- foundSet{from: i, peers: set}:
					case <-ctx.Done():
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}()
		go func() {
			err := d.Discover(ctx, self, found)
			if err == nil {
				return
			}
			m.p.Logf("LAN discovery is off: %v", err)
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.serving == s && ctx.Err() == nil {
				if s.lanLive--; s.lanLive == 0 {
					s.lanCancel = nil
					cancel()
				}
			}
		}()
	}
}
