package store

import (
	"context"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

// TestQueryPlansUseIndexes guards that each common filter shape is answered
// from an index, not by scanning the events table.
func TestQueryPlansUseIndexes(t *testing.T) {
	s, _ := openTest(t)
	pk := alice.Public
	cases := []struct {
		name string
		f    nostr.Filter
		want string
	}{
		{"ids", nostr.Filter{IDs: []string{pk}}, "sqlite_autoindex_events_1"},
		{"author+kind", nostr.Filter{Authors: []string{pk}, Kinds: []int{1}}, "events_author"},
		{"authors", nostr.Filter{Authors: []string{pk, bob.Public}}, "events_author"},
		{"kind", nostr.Filter{Kinds: []int{1}}, "events_kind"},
		{"tag", nostr.Filter{Tags: nostr.TagMap{"p": {pk}}}, "PRIMARY KEY"},
		{"time range", nostr.Filter{Since: ts(1), Until: ts(2)}, "events_created"},
		{"recent", nostr.Filter{Limit: 10}, "events_created"},
	}
	for _, c := range cases {
		q, args := buildQuery(c.f, 10, 0)
		joined := queryPlan(t, s, q, args)
		if !strings.Contains(joined, c.want) || strings.Contains(joined, "TEMP B-TREE FOR ORDER BY") && len(c.f.Authors) < 2 {
			t.Errorf("%s: plan %q does not use %s or sorts everything", c.name, joined, c.want)
		}
		t.Logf("%s: %s", c.name, joined)
	}
}

// queryPlan is SQLite's plan for query q, its steps joined by "; ".
func queryPlan(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}
