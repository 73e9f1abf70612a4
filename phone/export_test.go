package phone

import "net/http"

// ServeFiles serves the page's files as a node with the page on does, for
// tests that put the page in front of a relay of their own.
func ServeFiles(w http.ResponseWriter, r *http.Request) {
	s, err := build(Assets)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.serve(w, r)
}
