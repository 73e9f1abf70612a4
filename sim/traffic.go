package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/caravan-mesh/caravan/msg"
)

// A Plan is who knows whom and what they write, drawn from the scenario's
// seed (its own random streams: another city size changes the plan, another
// movement does not).
type Plan struct {
	// Contacts[i] are the people node i writes to, sorted; nil for fixed
	// nodes. It is one-way: i chose them. A node that follows its
	// contacts should also follow those who chose it (they write to it).
	Contacts [][]int
	// Groups[g] are the members of group g, sorted.
	Groups [][]int
	// Messages sorted by At, with IDs 0..n-1 in that order.
	Messages []Message
}

// Social graph: a share of each person's contacts are among the people
// who start near them (neighbours, colleagues), the rest anyone.
const (
	nearShare = 0.7
	nearPool  = 50
)

// MakePlan draws the social graph (Contacts, Groups) and the messages of
// s for the city of t. Movers (people and carriers) write and read; fixed
// nodes never do.
func MakePlan(s *Scenario, t *Trace) (*Plan, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	movers := s.People + s.Carriers.Count
	if t.Nodes() < movers {
		return nil, fmt.Errorf("the trace has %d nodes, the scenario %d people and carriers: not the same city", t.Nodes(), movers)
	}
	tr := s.Traffic
	p := &Plan{Contacts: makeContacts(s, movers)}
	p.Contacts = append(p.Contacts, make([][]int, t.Nodes()-movers)...)

	r := newRand(s.Seed, streamTraffic+1)
	for range tr.Groups {
		from := r.IntN(movers)
		for len(p.Contacts[from]) < tr.GroupSize-1 { // Check makes this never happen
			from = (from + 1) % movers
		}
		c := slices.Clone(p.Contacts[from])
		r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		g := append(c[:tr.GroupSize-1], from)
		slices.Sort(g)
		p.Groups = append(p.Groups, g)
	}

	start, end := s.writing()
	at := func(r interface{ Int64N(int64) int64 }) time.Duration {
		return (start + time.Duration(r.Int64N(int64(end-start)))).Truncate(time.Second)
	}
	size := func(r interface{ IntN(int) int }, b Range) int {
		if b == (Range{}) {
			return 0
		}
		return b.Min + r.IntN(b.Max-b.Min+1)
	}
	var ms []Message
	r = newRand(s.Seed, streamTraffic+2)
	for range tr.Texts {
		from := r.IntN(movers)
		to := p.Contacts[from][r.IntN(len(p.Contacts[from]))]
		ms = append(ms, Message{Kind: Text, From: from, To: []int{to}, At: at(r),
			Size: WrapSize(size(r, tr.TextBytes)) + size(r, tr.FileBytes)})
	}
	r = newRand(s.Seed, streamTraffic+3)
	for range tr.GroupMessages {
		if len(p.Groups) == 0 {
			break
		}
		g := p.Groups[r.IntN(len(p.Groups))]
		from := g[r.IntN(len(g))]
		to := slices.DeleteFunc(slices.Clone(g), func(m int) bool { return m == from })
		ms = append(ms, Message{Kind: Group, From: from, To: to, At: at(r),
			Size: wrapSize(size(r, tr.TextBytes), len(to))})
	}
	r = newRand(s.Seed, streamTraffic+4)
	for range tr.Reports {
		photo := size(r, tr.PhotoBytes)
		ms = append(ms, Message{Kind: Report, From: r.IntN(movers), At: at(r),
			Size: ReportSize(size(r, tr.ReportBytes), photo > 0) + photo})
	}
	slices.SortStableFunc(ms, func(a, b Message) int { return cmp.Compare(a.At, b.At) })
	for i := range ms {
		ms[i].ID = i
	}
	p.Messages = ms
	return p, nil
}

// makeContacts gives each mover s.Traffic.Contacts others: with
// probability nearShare one of the nearPool who start nearest to them,
// else anyone. If that is most of the city, it is a random draw among
// everyone (everyone is near anyway).
func makeContacts(s *Scenario, movers int) [][]int {
	want := s.Traffic.Contacts
	r := newRand(s.Seed, streamTraffic)
	out := make([][]int, movers)
	if 2*want > movers-1 {
		for i := range movers {
			others := r.Perm(movers)
			others = slices.DeleteFunc(others, func(j int) bool { return j == i })[:want]
			slices.Sort(others)
			out[i] = others
		}
		return out
	}
	homes := make([]point, movers)
	places := makePlaces(s)
	for i := range homes {
		homes[i] = newWalker(s, places, i, i >= s.People).start()
	}
	near := nearest(s.Area, homes, nearPool)
	chosen := make([]int, movers) // chosen[j] == i+1: i has j
	for i := range movers {
		pool := slices.Clone(near[i])
		var c []int
		for len(c) < want {
			var j int
			if len(pool) > 0 && r.Float64() < nearShare {
				k := r.IntN(len(pool))
				j = pool[k]
				pool[k] = pool[len(pool)-1]
				pool = pool[:len(pool)-1]
			} else {
				j = r.IntN(movers)
			}
			if j == i || chosen[j] == i+1 {
				continue
			}
			chosen[j] = i + 1
			c = append(c, j)
		}
		slices.Sort(c)
		out[i] = c
	}
	return out
}

// nearest lists, for each point, about the k others nearest to it: it
// searches square rings of grid cells around the point until they hold k
// others, so the list is the k nearest of a square, not quite of a disc.
func nearest(area Area, ps []point, k int) [][]int {
	cell := max(1, math.Sqrt(area.Width*area.Height*8/float64(len(ps))))
	gw := max(1, int(math.Ceil(area.Width/cell)))
	gh := max(1, int(math.Ceil(area.Height/cell)))
	grid := make([][]int, gw*gh)
	at := func(p point) (int, int) {
		return min(max(int(p.x/cell), 0), gw-1), min(max(int(p.y/cell), 0), gh-1)
	}
	for i, p := range ps {
		x, y := at(p)
		grid[y*gw+x] = append(grid[y*gw+x], i)
	}
	out := make([][]int, len(ps))
	var cand []int
	for i, p := range ps {
		cx, cy := at(p)
		cand = cand[:0]
		for ring := 0; len(cand) < k && ring <= max(gw, gh); ring++ {
			for y := cy - ring; y <= cy+ring; y++ {
				for x := cx - ring; x <= cx+ring; x++ {
					if x < 0 || y < 0 || x >= gw || y >= gh || max(abs(x-cx), abs(y-cy)) != ring {
						continue
					}
					for _, j := range grid[y*gw+x] {
						if j != i {
							cand = append(cand, j)
						}
					}
				}
			}
		}
		slices.SortFunc(cand, func(a, b int) int {
			return cmp.Or(cmp.Compare(p.dist(ps[a]), p.dist(ps[b])), cmp.Compare(a, b))
		})
		out[i] = slices.Clone(cand[:min(k, len(cand))])
	}
	return out
}

func abs(x int) int { return max(x, -x) }

// WrapSize estimates the bytes of the NIP-59 gift wrap (kind 1059) that
// carries a private text of textBytes to one person, as Caravan's node
// makes it: a kind-14 rumor (the text, a "p" tag) in a kind-13 seal, the
// seal in the wrap, each layer NIP-44 encrypted (padded to NIP-44's
// chunks, base64), and the wrap with its "p" and "expiration" tags. The
// text is counted as it is, not JSON-escaped. Checked against real wraps
// in TestWrapSize.
func WrapSize(textBytes int) int { return wrapSize(textBytes, 1) }

// Bytes of the JSON around the variable parts, measured on events made by
// msg.Wrap (TestWrapSize shows how they were found).
const (
	rumorJSON = 206 - 1 // kind 14, id, pubkey, created_at, no sig; no tags, empty content
	pTagJSON  = 73      // ["p","<64 hex>"] and a comma (one fewer in all)
	sealJSON  = 343     // kind 13, id, pubkey, created_at, sig; empty content
	wrapJSON  = 445     // the seal's fields, a "p" and an "expiration" tag; empty content
)

// wrapSize is WrapSize for a message to several people (a group): the
// rumor names every recipient, and each gets a wrap this size.
func wrapSize(textBytes, recipients int) int {
	rumor := rumorJSON + textBytes + recipients*pTagJSON
	seal := sealJSON + nip44Len(rumor)
	return wrapJSON + nip44Len(seal)
}

// nip44Len is the length of the base64 NIP-44 v2 payload of a plaintext
// of n bytes: version (1), nonce (32), length (2), padded text, MAC (32).
func nip44Len(n int) int { return 4 * ((1 + 32 + 2 + msg.PaddedLen(n) + 32 + 2) / 3) }

// ReportSize estimates the bytes of a report (a NIP-23 kind-30023 event)
// with textBytes of markdown: the signed event's fields, its tags (d,
// title, summary, published_at, a topic, the language label) and, with a
// photo, an "imeta" tag naming it (the photo's own bytes are not counted).
func ReportSize(textBytes int, photo bool) int {
	const (
		event = 343 // as a seal: kind, id, pubkey, created_at, sig
		tags  = 400 // d, a 60-byte title, a 160-byte summary, published_at, t, L, l
		imeta = 250 // url, sha256, mime type, dimensions
	)
	n := event + tags + textBytes
	if photo {
		n += imeta
	}
	return n
}
