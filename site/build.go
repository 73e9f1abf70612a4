package site

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// write writes the whole site into root.
func (m *model) write(root *os.Root) (Stats, error) {
	st := Stats{Reports: len(m.reports), Languages: len(m.langs), MissingAttachments: m.invalid}
	// Blobs first: pages say which ones could not be published, and links
	// point only to blobs that were.
	if err := m.copyBlobs(root); err != nil {
		return st, err
	}
	for _, b := range m.blobs {
		if b.state == blobOK {
			st.Attachments++
		} else {
			st.MissingAttachments++
		}
	}

	if err := root.WriteFile("style.css", styleCSS, 0o644); err != nil {
		return st, err
	}
	if err := writePage(root, "index.html", "index", m.indexPage()); err != nil {
		return st, err
	}
	st.Pages++
	for _, l := range m.langs {
		if err := root.Mkdir(l.code, 0o755); err != nil {
			return st, err
		}
		if err := writePage(root, l.code+"/index.html", "language", m.languagePage(l)); err != nil {
			return st, err
		}
		st.Pages++
	}

	n, err := m.writeReports(root)
	st.Pages += n
	if err != nil {
		return st, err
	}

	// Feeds last: they carry the bodies rendered by writeReports.
	var originals []*version
	for _, r := range m.reports {
		originals = append(originals, r.versions[0])
	}
	if err := writeFeed(root, "atom.xml", m.feed("", originals)); err != nil {
		return st, err
	}
	for _, l := range m.langs {
		if err := writeFeed(root, l.code+"/atom.xml", m.feed(l.code, l.versions)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// writeReports renders and writes the report pages, one report per
// worker at a time: most of a build's time is spent here, converting
// markdown and waiting on the file system. Each file depends only on its
// report, so the output does not depend on scheduling.
func (m *model) writeReports(root *os.Root) (int, error) {
	if len(m.reports) == 0 {
		return 0, nil
	}
	if err := root.Mkdir("reports", 0o755); err != nil {
		return 0, err
	}
	dir, err := root.OpenRoot("reports")
	if err != nil {
		return 0, err
	}
	defer dir.Close()
	var (
		wg     sync.WaitGroup
		pages  atomic.Int64
		failed atomic.Bool
		once   sync.Once
		first  error
		jobs   = make(chan *report)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for r := range jobs {
				n, err := m.writeReport(dir, r)
				pages.Add(int64(n))
				if err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	for _, r := range m.reports {
		if failed.Load() {
			break
		}
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	return int(pages.Load()), first
}

// writeReport writes r's pages into reports/<slug>/ under dir (reports/).
func (m *model) writeReport(dir *os.Root, r *report) (int, error) {
	for _, v := range r.versions {
		var err error
		if v.body, err = m.render(v.markdown, "../../"); err != nil {
			return 0, err
		}
	}
	if err := dir.Mkdir(r.slug, 0o755); err != nil {
		return 0, err
	}
	// Opening the directories once saves walking the path again for each
	// file, which costs as much as writing a page on slow storage.
	sub, err := dir.OpenRoot(r.slug)
	if err != nil {
		return 0, err
	}
	defer sub.Close()
	for i, v := range r.versions {
		if err := writePage(sub, v.file, "report", m.reportPage(v)); err != nil {
			return i, err
		}
	}
	return len(r.versions), nil
}
