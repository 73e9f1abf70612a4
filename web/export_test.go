package web

import "time"

// SetClock replaces the clock that sign-in codes expire by and sign-in
// attempts are spaced by, so tests can move time instead of waiting.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}
