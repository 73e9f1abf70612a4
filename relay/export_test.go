package relay

// Held is what r holds for all its clients, in bytes: messages queued or
// being written, and pages of query results being read.
func Held(r *Relay) int {
	r.sending.mu.Lock()
	defer r.sending.mu.Unlock()
	return r.sending.used
}
