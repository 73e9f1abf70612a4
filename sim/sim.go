// Package sim simulates a city of Caravan nodes in one process, in virtual
// time, with the real node code: every person's node is a node.Node with its
// own SQLite store, policy and sync sessions (package carry over an
// in-memory link). What it measures is how far and how fast messages travel
// when the internet does not, against two baselines computed on the same
// contacts: an epidemic-routing oracle (unlimited buffers and bandwidth, the
// upper bound on delivery) and plain flooding without reconciliation (the
// bandwidth baseline).
//
// A run has three stages:
//
//  1. Trace: from the scenario and its seed, people move (random waypoint
//     between places) and every time two nodes come within radio range a
//     Contact is recorded, with its start and end. Internet windows are
//     drawn at random times.
//  2. Traffic: who writes what to whom, and when (Message).
//  3. Replay: the contacts in time order; each is one real sync session
//     whose link carries at most the contact's length times its bandwidth.
//
// The same seed gives the same trace, the same traffic and the same numbers.
package sim

import "time"

// A Contact is two nodes within radio range of each other from Start to End
// (offsets from the scenario's start). A < B.
type Contact struct {
	A, B       int
	Start, End time.Duration
	// Bandwidth of the link in bytes per second (the smaller radio's).
	Bandwidth int64
}

// A Window is a time the internet is reachable from the country.
type Window struct {
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
}

// NodeKind says what a node is in the city.
type NodeKind uint8

const (
	Person    NodeKind = iota // moves, writes and reads
	FixedNode                 // a café's Wi-Fi or a community node: does not move
	Carrier                   // a person who crosses the city often (a driver, a courier)
)

// Trace is what happened in the city, without the data: who met whom.
type Trace struct {
	Kinds    []NodeKind // by node index
	Bridges  []int      // nodes that reach the outside during Windows
	Contacts []Contact  // sorted by Start, then A, then B
	Windows  []Window   // sorted, not overlapping
}

// MessageKind is what a Message is.
type MessageKind uint8

const (
	Text   MessageKind = iota // a private message to one person
	Group                     // a private message to a group (one wrap per member)
	Report                    // a public report, maybe with a photo; its goal is the outside
)

// A Message is one thing somebody writes.
type Message struct {
	ID   int
	Kind MessageKind
	From int
	To   []int // recipients (none for a report)
	At   time.Duration
	// Size is the bytes that must move for one copy to reach one
	// recipient: the event (a wrap, or the report) plus any photo.
	Size int
	// Text is the bytes of text written; Attachment those of a photo or
	// file sent with it (zero for none). The replay writes the text in a
	// real event and lets the attachment's bytes be charged on links.
	Text, Attachment int
}
