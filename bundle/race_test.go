//go:build race

package bundle

// raceEnabled: the race detector slows zstd tenfold; tests use less data.
const raceEnabled = true
