package relay

import (
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/event"
)

// Limits protect the node and its other clients from any one client. The
// zero value means the defaults documented on each field. They are published
// in the NIP-11 document's "limitation" object.
type Limits struct {
	// MaxMessageBytes is the largest websocket message accepted. If zero,
	// 512 KiB (room for one maximal event and its envelope).
	MaxMessageBytes int `json:"max_message_bytes,omitempty"`
	// MaxSubscriptions open at once on one connection. If zero, 32.
	MaxSubscriptions int `json:"max_subscriptions,omitempty"`
	// MaxFilters in one REQ. If zero, 16.
	MaxFilters int `json:"max_filters,omitempty"`
	// MaxLimit caps the events returned for one filter. If zero, 500.
	MaxLimit int `json:"max_limit,omitempty"`
	// MaxConnections across all clients. If zero, 1024.
	MaxConnections int `json:"max_connections,omitempty"`
	// MaxConnectionsPerIP for one remote address. Loopback is exempt,
	// but for web pages: connections from loopback that carry an Origin
	// header (every browser sends one; native clients and the node's own
	// sync do not) share the limits of one address. If zero, 32.
	MaxConnectionsPerIP int `json:"max_connections_per_ip,omitempty"`
	// EventsPerSecond a connection may publish on average, with bursts of
	// ten times as many. If zero, 500: a sync session pushes through
	// this limit, and the store takes about 5,000 a second in all.
	EventsPerSecond float64 `json:"events_per_second,omitempty"`
	// EventsPerSecondPerIP all connections from one remote address may
	// publish together on average, with bursts of ten times as many, so a
	// peer opening many connections gets no more than a few (exempt as in
	// MaxConnectionsPerIP). If zero, 4 × EventsPerSecond.
	EventsPerSecondPerIP float64 `json:"events_per_second_per_ip,omitempty"`
	// ReqsPerSecond a connection may open on average, with bursts of ten
	// times as many. If zero, 20.
	ReqsPerSecond float64 `json:"reqs_per_second,omitempty"`
	// OutboxBytes bounds what the relay holds for one client: messages
	// waiting to be sent or being sent, and the events a query has read
	// from the store to send next. Query results, reconciliation replies
	// and other large sends fill at most three quarters of it and then
	// wait for the client to read; the rest is kept for answers and new
	// events. A connection with nothing waiting may always have one
	// message, however big. If zero, 8 MiB.
	OutboxBytes int `json:"outbox_bytes,omitempty"`
	// OutboxBytesTotal bounds the same for all clients together (beyond
	// the one message each may always have). Past three quarters of it,
	// queries wait for room in turn. If zero, 48 MiB.
	OutboxBytesTotal int `json:"outbox_bytes_total,omitempty"`
	// StallTimeout is how long a client may take nothing of what waits
	// to be sent to it before it is disconnected. A client that reads,
	// however slowly, is not: its queries wait for room. Measured on the
	// relay's clock (Options.Now). If zero, WriteTimeout if set, else 1m.
	StallTimeout event.Duration `json:"stall_timeout,omitempty"`
	// WriteTimeout is the former name of StallTimeout, still read.
	WriteTimeout event.Duration `json:"write_timeout,omitempty"`
	// QueryTimeout bounds one REQ's stored-event query. If zero, 10s.
	QueryTimeout event.Duration `json:"query_timeout,omitempty"`
	// PingInterval between keep-alive pings. If zero, 30s.
	PingInterval event.Duration `json:"ping_interval,omitempty"`
	// Concurrent requests (EVENT and REQ) one connection may have in
	// progress. If zero, 8.
	InFlight int `json:"in_flight,omitempty"`
	// NegSessions open at once on one connection (NIP-77). If zero, 4.
	NegSessions int `json:"neg_sessions,omitempty"`
	// NegItems is the most events one NIP-77 reconciliation may cover;
	// larger ones are refused with NEG-ERR "blocked:". If zero, 5,000,000.
	NegItems int `json:"neg_items,omitempty"`
	// NegItemsTotal bounds the events held by all open NIP-77 sessions
	// together (about 40 bytes each): a reconciliation that would take
	// them past it is refused with "rate-limited:" until others end,
	// unless it would be the only one. If zero, 1,000,000 (40 MB).
	NegItemsTotal int `json:"neg_items_total,omitempty"`
	// NegFrameBytes bounds each negentropy message this relay sends
	// (before hex encoding). If zero, 200,000.
	NegFrameBytes int `json:"neg_frame_bytes,omitempty"`
	// NegIdle is how long a NIP-77 session may wait for the client's next
	// message before it is closed. If zero, 2m.
	NegIdle event.Duration `json:"neg_idle,omitempty"`
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxMessageBytes, 512<<10)
	def(&l.MaxSubscriptions, 32)
	def(&l.MaxFilters, 16)
	def(&l.MaxLimit, 500)
	def(&l.MaxConnections, 1024)
	def(&l.MaxConnectionsPerIP, 32)
	def(&l.OutboxBytes, 8<<20)
	def(&l.OutboxBytesTotal, 48<<20)
	def(&l.InFlight, 8)
	def(&l.NegSessions, 4)
	def(&l.NegItems, 5_000_000)
	def(&l.NegItemsTotal, 1_000_000)
	def(&l.NegFrameBytes, 200_000)
	if l.EventsPerSecond <= 0 {
		l.EventsPerSecond = 500
	}
	if l.EventsPerSecondPerIP <= 0 {
		l.EventsPerSecondPerIP = 4 * l.EventsPerSecond
	}
	if l.ReqsPerSecond <= 0 {
		l.ReqsPerSecond = 20
	}
	defd := func(v *event.Duration, d time.Duration) {
		if *v <= 0 {
			*v = event.Duration(d)
		}
	}
	defd(&l.StallTimeout, time.Duration(l.WriteTimeout))
	defd(&l.StallTimeout, time.Minute)
	defd(&l.QueryTimeout, 10*time.Second)
	defd(&l.PingInterval, 30*time.Second)
	defd(&l.NegIdle, 2*time.Minute)
	return l
}

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, now time.Time) *bucket {
	return &bucket{rate: rate, burst: rate * 10, tokens: rate * 10, last: now}
}

func (b *bucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
