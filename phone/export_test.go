package phone

import (
	"net/http"
	"sync"
)

// testFiles is the page's files, built once: building compresses every
// file, too slow to repeat for each of the page's requests.
var testFiles = sync.OnceValues(func() (*fileSet, error) { return build(Assets) })

// ServeFiles serves the page's files as a node with the page on does, for
// tests that put the page in front of a relay of their own.
func ServeFiles(w http.ResponseWriter, r *http.Request) {
	s, err := testFiles()
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s.serve(w, r)
}
