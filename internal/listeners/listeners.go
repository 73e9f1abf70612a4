// Package listeners is a set of callbacks that come and go: the hooks a
// node's core offers its features, and the features' own.
package listeners

import "sync"

// Set is a set of callbacks of type F; its zero value is empty and ready.
// Callbacks are called on a copy of the set, outside its lock, so they may
// add or cancel listeners.
type Set[F any] struct {
	mu   sync.Mutex
	next int
	fns  map[int]F
}

// Add registers f until the returned cancel is called.
func (l *Set[F]) Add(f F) (cancel func()) {
	l.mu.Lock()
	if l.fns == nil {
		l.fns = map[int]F{}
	}
	id := l.next
	l.next++
	l.fns[id] = f
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.fns, id)
		l.mu.Unlock()
	}
}

// All returns the callbacks registered now.
func (l *Set[F]) All() []F {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]F, 0, len(l.fns))
	for _, f := range l.fns {
		out = append(out, f)
	}
	return out
}
