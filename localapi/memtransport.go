package localapi

import (
	"io"
	"net/http"
	"sync"
)

// memTransport answers requests by calling a handler in this process. The
// response streams: the caller reads the body while the handler is still
// writing it (sync progress, for example).
type memTransport struct{ h http.Handler }

func (t memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	pr, pw := io.Pipe()
	w := &memWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	go func() {
		defer pw.Close()
		defer w.start(http.StatusOK)
		t.h.ServeHTTP(w, r)
	}()
	<-w.ready
	return &http.Response{
		StatusCode: w.status, Status: http.StatusText(w.status),
		Header: w.header, Body: pr, Request: r,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, ContentLength: -1,
	}, nil
}

type memWriter struct {
	header http.Header
	body   *io.PipeWriter
	status int
	once   sync.Once
	ready  chan struct{}
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) start(status int) {
	w.once.Do(func() {
		w.status = status
		close(w.ready)
	})
}

func (w *memWriter) WriteHeader(status int) { w.start(status) }

func (w *memWriter) Write(b []byte) (int, error) {
	w.start(http.StatusOK)
	return w.body.Write(b)
}

func (w *memWriter) Flush() {}
