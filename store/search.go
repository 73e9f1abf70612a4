package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/caravan-mesh/caravan/event"
)

// Hit is one full-text search result.
type Hit struct {
	Raw     []byte  // the event as JSON
	Title   string  // the title with matches marked (reports)
	Snippet string  // a few words around the best match, marked
	Rank    float64 // lower is better (SQLite's bm25)
}

// SearchOptions refine Search. The zero value works.
type SearchOptions struct {
	// Kinds limits the results to these kinds (of 1 and 30023, the
	// indexed ones). If empty, both.
	Kinds []int
	// Limit bounds the results. If zero, 20; at most 500.
	Limit int
	// Mark surrounds matches in Title and Snippet. If both empty, "[" and
	// "]".
	Open, Close string
}

// ErrQuery is wrapped by every error about the search words themselves.
var ErrQuery = errors.New("bad search")

// MaxQueryTerms bounds how many words and phrases one search holds.
const MaxQueryTerms = 32

// Search finds notes (kind 1) and reports (kind 30023, translations
// included) whose title, summary or text contain the words, ranked by
// relevance with titles weighing more. Matching ignores case and
// diacritics ("Almaty" finds "almaty", "senal" finds "señal").
//
// The words are not FTS5 syntax: each is matched as given. "Quoted words"
// are a phrase, a trailing * matches a prefix (almat*), OR between two
// words accepts either, and -word excludes a word.
func (s *Store) Search(ctx context.Context, words string, o SearchOptions) ([]Hit, error) {
	q, err := ftsQuery(words)
	if err != nil {
		return nil, err
	}
	if o.Limit <= 0 {
		o.Limit = 20
	}
	o.Limit = min(o.Limit, 500)
	if o.Open == "" && o.Close == "" {
		o.Open, o.Close = "[", "]"
	}
	kinds := sqlSearchable
	if len(o.Kinds) > 0 {
		var ks []string
		for _, k := range o.Kinds {
			if k != event.KindTextNote && k != event.KindReport {
				return nil, fmt.Errorf("%w: kind %d is not searchable; notes (1) and reports (30023) are", ErrQuery, k)
			}
			ks = append(ks, fmt.Sprint(k))
		}
		kinds = strings.Join(ks, ", ")
	}
	// Rank first, then mark up only the rows shown: snippets of every
	// match of a common word would cost far more than the ranking.
	rows, err := s.read.QueryContext(ctx, `
WITH top AS (
	SELECT search.rowid AS eid, bm25(search, 5.0, 1.0) AS score, e.created_at AS at
	FROM search JOIN events e ON e.eid = search.rowid
	WHERE search MATCH ?1 AND e.kind IN (`+kinds+`)
	ORDER BY score, at DESC LIMIT ?2
)
SELECT e.raw, highlight(search, 0, ?3, ?4), snippet(search, 1, ?3, ?4, '…', 16), top.score
FROM top JOIN search ON search.rowid = top.eid JOIN events e ON e.eid = top.eid
WHERE search MATCH ?1
ORDER BY top.score, top.at DESC`, q, o.Limit, o.Open, o.Close)
	if err != nil {
		if strings.Contains(err.Error(), "fts5") {
			return nil, fmt.Errorf("%w: %q could not be searched for: %v", ErrQuery, words, err)
		}
		return nil, err
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.Raw, &h.Title, &h.Snippet, &h.Rank); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// ftsQuery turns what a user typed into an FTS5 query in which every word
// and phrase is a quoted string, so no input is read as FTS5 syntax.
func ftsQuery(words string) (string, error) {
	if len(words) > 1000 {
		return "", fmt.Errorf("%w: the search is %d bytes long; use at most 1000", ErrQuery, len(words))
	}
	type term struct {
		text   string
		prefix bool
		not    bool
		or     bool // joined to the previous term with OR
	}
	var terms []term
	rs := []rune(words)
	for i, r := range rs {
		if unicode.IsControl(r) {
			rs[i] = ' ' // a NUL would end the query string inside SQLite
		}
	}
	or := false
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		not := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			not = true
			i++
		}
		var t term
		if rs[i] == '"' {
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			if j == len(rs) {
				return "", fmt.Errorf("%w: a phrase opened with \" at character %d is not closed", ErrQuery, i+1)
			}
			t.text = string(rs[i+1 : j])
			i = j + 1
		} else {
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			t.text = string(rs[i:j])
			i = j
			if t.text == "OR" && !not {
				if len(terms) == 0 || or {
					return "", fmt.Errorf("%w: OR needs a word on each side", ErrQuery)
				}
				or = true
				continue
			}
			if strings.HasSuffix(t.text, "*") {
				t.text = strings.TrimRight(t.text, "*")
				t.prefix = true
			}
		}
		if strings.IndexFunc(t.text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue // punctuation alone matches nothing
		}
		t.not, t.or = not, or
		or = false
		terms = append(terms, t)
	}
	if or {
		return "", fmt.Errorf("%w: OR needs a word on each side", ErrQuery)
	}
	if len(terms) > MaxQueryTerms {
		return "", fmt.Errorf("%w: %d words; use at most %d", ErrQuery, len(terms), MaxQueryTerms)
	}
	quote := func(t term) string {
		s := `"` + strings.ReplaceAll(t.text, `"`, `""`) + `"`
		if t.prefix {
			s += "*"
		}
		return s
	}
	// Words joined by OR form one group; groups must all match: "police
	// OR army protest" is (police OR army) AND protest.
	var groups [][]string
	var nots []string
	for _, t := range terms {
		switch {
		case t.not:
			nots = append(nots, quote(t))
		case t.or && len(groups) > 0:
			groups[len(groups)-1] = append(groups[len(groups)-1], quote(t))
		default:
			groups = append(groups, []string{quote(t)})
		}
	}
	if len(groups) == 0 {
		return "", fmt.Errorf("%w: nothing to search for; give at least one word (excluded -words alone match nothing)", ErrQuery)
	}
	var parts []string
	for _, g := range groups {
		parts = append(parts, "("+strings.Join(g, " OR ")+")")
	}
	q := strings.Join(parts, " AND ")
	for _, n := range nots {
		q = "(" + q + ") NOT " + n
	}
	return q, nil
}
