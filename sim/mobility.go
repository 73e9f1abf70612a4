package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// A point in the city, in metres from its south-west corner.
type point struct{ x, y float64 }

func (p point) dist(q point) float64 { return math.Hypot(p.x-q.x, p.y-q.y) }

// Streams of randomness. Each part of a run draws from its own, so that
// changing one part of a scenario (say, the traffic) does not reshuffle
// another (the movement).
const (
	streamPlaces  = 0x706c61636573 // "places"
	streamMove    = 0x6d6f7665     // "move", mixed with the node's index
	streamWindows = 0x77696e646f77 // "window"
	streamTraffic = 0x74726166666963
)

// newRand is the random source of one stream of a seeded run.
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), splitmix(stream)))
}

// splitmix scrambles a stream number, so that streams of neighbouring
// numbers (nodes 7 and 8) start from unrelated states.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// placeJitter is how far from a place's centre a person stops (a café is
// not a point).
const placeJitter = 20.0

// Carriers pause this long at each place (a delivery, a fare).
const (
	carrierPauseMin = time.Minute
	carrierPauseMax = 5 * time.Minute
)

// A walker moves by random waypoint: walk in a straight line at a random
// speed to a waypoint, pause there, pick the next. Each walker has its own
// random stream, so one node's path does not depend on any other node.
type walker struct {
	r                  *rand.Rand
	places             []point
	area               Area
	bias               float64 // probability that a waypoint is a place
	speedMin, speedMax float64
	pauseMin, pauseMax time.Duration

	from, to             point
	leave, arrive, until time.Duration
}

// newWalker makes node i's walker: people move as s.Movement says,
// carriers (carrier true) between places only, at their own speeds.
func newWalker(s *Scenario, places []point, i int, carrier bool) *walker {
	w := &walker{
		r: newRand(s.Seed, streamMove+uint64(i)), places: places, area: s.Area,
		bias: s.Movement.PlaceBias, speedMin: s.Movement.SpeedMin, speedMax: s.Movement.SpeedMax,
		pauseMin: s.Movement.PauseMin.D(), pauseMax: s.Movement.PauseMax.D(),
	}
	if carrier {
		w.bias, w.speedMin, w.speedMax = 1, s.Carriers.SpeedMin, s.Carriers.SpeedMax
		w.pauseMin, w.pauseMax = carrierPauseMin, carrierPauseMax
	}
	// The first draw is the start, so homes (see MakePlan) can be read
	// without walking.
	w.from = w.waypoint()
	w.to = w.from
	return w
}

// start is where the walker is at time 0.
func (w *walker) start() point { return w.from }

func (w *walker) waypoint() point {
	if len(w.places) > 0 && w.r.Float64() < w.bias {
		p := w.places[w.r.IntN(len(w.places))]
		a, d := w.r.Float64()*2*math.Pi, placeJitter*math.Sqrt(w.r.Float64())
		return point{
			min(max(p.x+d*math.Cos(a), 0), w.area.Width),
			min(max(p.y+d*math.Sin(a), 0), w.area.Height),
		}
	}
	return point{w.r.Float64() * w.area.Width, w.r.Float64() * w.area.Height}
}

func (w *walker) uniform(lo, hi float64) float64 { return lo + w.r.Float64()*(hi-lo) }

// at is the walker's position at time t; t must not go back.
func (w *walker) at(t time.Duration) point {
	for t >= w.until {
		w.from, w.leave = w.to, w.until
		w.to = w.waypoint()
		secs := w.from.dist(w.to) / w.uniform(w.speedMin, w.speedMax)
		w.arrive = w.leave + time.Duration(secs*float64(time.Second))
		pause := time.Duration(w.uniform(float64(w.pauseMin), float64(w.pauseMax)))
		// At least a second per leg, so a zero pause at the same
		// point cannot stall time.
		w.until = max(w.arrive+pause, w.leave+time.Second)
	}
	if t >= w.arrive {
		return w.to
	}
	f := float64(t-w.leave) / float64(w.arrive-w.leave)
	return point{w.from.x + f*(w.to.x-w.from.x), w.from.y + f*(w.to.y-w.from.y)}
}
