package bundle

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// memOut is an Output in memory.
type memOut struct {
	mu    sync.Mutex
	parts map[int]*memFile
}

func newMemOut() *memOut { return &memOut{parts: map[int]*memFile{}} }

func (m *memOut) Create(n int) (PartFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &memFile{}
	m.parts[n] = f
	return f, nil
}

func (m *memOut) Reopen(n int) (PartFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.parts[n]
	if !ok {
		return nil, fmt.Errorf("no part %d", n)
	}
	return f, nil
}

// sources returns the parts as Sources, in order.
func (m *memOut) sources() []Source {
	var out []Source
	for i := 0; i < len(m.parts); i++ {
		out = append(out, memSource{name: fmt.Sprintf("part%d", i+1), b: m.parts[i].buf.Bytes()})
	}
	return out
}

type memFile struct{ buf bytes.Buffer }

func (f *memFile) Write(p []byte) (int, error) { return f.buf.Write(p) }
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	b := f.buf.Bytes()
	if off+int64(len(p)) > int64(len(b)) {
		return 0, io.ErrShortWrite
	}
	return copy(b[off:], p), nil
}
func (f *memFile) Sync() error  { return nil }
func (f *memFile) Close() error { return nil }

type memSource struct {
	name string
	b    []byte
}

func (s memSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(s.b)) {
		return 0, io.EOF
	}
	n := copy(p, s.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
func (s memSource) Size() int64  { return int64(len(s.b)) }
func (s memSource) Name() string { return s.name }
