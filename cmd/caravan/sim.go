package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/sim"
)

func init() {
	register(&command{name: "sim", args: "SCENARIO", short: "simulate a city of nodes under a shutdown: how far and how fast messages travel", run: runSim, long: `
Runs a city's nodes in this one process, in virtual time, with the real node
code: each person's node has its own store, policy and sync sessions, and
every time two people come within radio range their nodes sync over an
in-memory link that carries what the contact's length and bandwidth allow.
The same contacts are replayed by two baselines: an epidemic oracle
(unlimited buffers and bandwidth: the most that can be delivered) and plain
flooding without reconciliation (the bandwidth a naive design spends).

SCENARIO is a shipped scenario (almaty-2022, helsinki-one) or a JSON file
in the same format (see docs/sim.md). The same seed gives the same numbers.
It prints a table; --out DIR also writes SVG plots (delivery, latency,
bytes, storage) and result.json there.
The nodes' data directories live in /dev/shm (or the temporary directory)
and are removed at the end.`})
}

func runSim(c *cli, args []string) error {
	cmd := lookup("sim")
	fs := c.flags(cmd)
	seed := fs.Int64("seed", 0, "seed for the city and its traffic (0: the scenario's)")
	people := fs.Int("people", 0, "scale the city to this many people, at the same density and traffic per person (0: as the scenario says)")
	hours := fs.Float64("hours", 0, "simulate this many hours instead of the scenario's duration")
	out := fs.String("out", "", "write plots (SVG) and result.json into this directory")
	open := fs.Int("open", 0, "nodes kept open at once (0: 1024)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	args, err := c.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("sim needs one scenario: %s, or a JSON file", strings.Join(sim.Shipped(), ", "))
	}
	s, err := sim.Load(args[0])
	if err != nil {
		return err
	}
	if *people < 0 || *people == 1 || *people > sim.MaxNodes {
		return usagef("--people must be between 2 and %d", sim.MaxNodes)
	}
	s = s.Scaled(*people)
	if *seed != 0 {
		s.Seed = *seed
	}
	if *open < 0 || *open == 1 {
		return usagef("--open must be at least 2 (the two ends of a session), or 0 for 1024")
	}
	if *hours < 0 || *hours > sim.MaxDuration.Hours() {
		return usagef("--hours must be between 0 and %.0f", sim.MaxDuration.Hours())
	}
	if *hours > 0 {
		if s, err = s.Shortened(time.Duration(*hours * float64(time.Hour))); err != nil {
			return usagef("--hours: %v", err)
		}
	}
	if err := s.Check(); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	o := sim.Options{Open: *open}
	if !*quiet {
		o.Progress = func(at time.Duration, done float64) {
			fmt.Fprintf(c.stderr, "\rsimulated %s of %s (%.0f%% of contacts)   ", at.Round(time.Minute), s.Duration.D(), 100*done)
		}
	}
	res, err := sim.Run(c.ctx, s, o)
	if !*quiet {
		fmt.Fprintln(c.stderr)
	}
	if err != nil {
		return err
	}
	res.Table(c.stdout)
	// What the run cost varies from run to run: beside the numbers.
	fmt.Fprintln(c.stderr, res.Costs())
	if *out != "" {
		paths, err := res.Plots(*out)
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(res.JSON(), "", "  ")
		if err != nil {
			return err
		}
		path := *out + string(os.PathSeparator) + "result.json"
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "\nwrote %s and %s\n", strings.Join(paths, ", "), path)
	}
	return nil
}
