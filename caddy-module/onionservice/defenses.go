package onionservice

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
)

// Tor's own defences for an onion service, written into the torrc after
// the service's lines. The meter bounds what a client may take; these bound
// what a client can make tor do before the meter sees a byte: streams per
// circuit (each a parallel response), introductions per second at the
// introduction points, and, when the service is flooded, a proof of work
// from every client, queued by effort (tor's PoW defence, proposal 327).
const (
	// DefaultMaxStreams is the streams one circuit may have open at once:
	// a browser opens about 6 per site, so 32 is generous, and a circuit
	// that wants more is a client draining the site in parallel.
	DefaultMaxStreams = 32
	// DefaultPoWQueueRate and DefaultPoWQueueBurst are tor's own defaults
	// (introductions per second taken from the PoW queue, and its burst).
	DefaultPoWQueueRate  = 250
	DefaultPoWQueueBurst = 2500
	// DefaultIntroDoSRate and DefaultIntroDoSBurst are tor's defaults for
	// the introductions per second each introduction point lets through.
	DefaultIntroDoSRate  = 25
	DefaultIntroDoSBurst = 200
)

// Errors of the defence settings; test them with errors.Is.
var (
	// ErrPoWOnionbalance means pow_defenses was turned on for an
	// Onionbalance instance: visitors fetch the frontend's descriptor,
	// which Onionbalance builds without the instances' PoW parameters, so
	// no client would ever solve the puzzle and the setting does nothing.
	ErrPoWOnionbalance = errors.New("onion: pow_defenses cannot work on an Onionbalance instance (visitors see the frontend's descriptor, which carries no PoW parameters)")
	// ErrDefenseRange means a defence setting is out of tor's range.
	ErrDefenseRange = errors.New("onion: defence setting out of range")
)

// Defenses are tor's onion-service DoS settings. Every one has a default;
// the booleans default to on, except PoW on an Onionbalance instance.
type Defenses struct {
	// MaxStreams is HiddenServiceMaxStreams: the streams one circuit may
	// have open at once; 0 means no limit. Default DefaultMaxStreams.
	MaxStreams *int `json:"max_streams,omitempty"`
	// MaxStreamsCloseCircuit is HiddenServiceMaxStreamsCloseCircuit: a
	// circuit asking for more streams is closed, not just refused the
	// stream. Default on.
	MaxStreamsCloseCircuit *bool `json:"max_streams_close_circuit,omitempty"`

	// PoWDefenses is HiddenServicePoWDefensesEnabled: under a flood of
	// introductions tor asks clients for a proof of work and serves the
	// most effort first. Default on, and off (it cannot be on) for an
	// Onionbalance instance.
	PoWDefenses *bool `json:"pow_defenses,omitempty"`
	// PoWQueueRate and PoWQueueBurst are HiddenServicePoWQueueRate and
	// …Burst: introductions per second tor takes off the PoW queue.
	// Defaults DefaultPoWQueueRate and DefaultPoWQueueBurst.
	PoWQueueRate  int `json:"pow_queue_rate,omitempty"`
	PoWQueueBurst int `json:"pow_queue_burst,omitempty"`

	// IntroDoSDefense is HiddenServiceEnableIntroDoSDefense: each
	// introduction point lets through at most IntroDoSRate introductions a
	// second (bursts of IntroDoSBurst) and drops the rest. Default on.
	IntroDoSDefense *bool `json:"intro_dos_defense,omitempty"`
	// IntroDoSRate and IntroDoSBurst are
	// HiddenServiceEnableIntroDoSRatePerSec and …BurstPerSec. Defaults
	// DefaultIntroDoSRate and DefaultIntroDoSBurst.
	IntroDoSRate  int `json:"intro_dos_rate_per_sec,omitempty"`
	IntroDoSBurst int `json:"intro_dos_burst_per_sec,omitempty"`
}

// setDefaults fills in every unset setting; instance tells an Onionbalance
// instance, where PoW is off by default.
func (d *Defenses) setDefaults(instance bool) {
	on, off := true, false
	if d.MaxStreams == nil {
		n := DefaultMaxStreams
		d.MaxStreams = &n
	}
	if d.MaxStreamsCloseCircuit == nil {
		d.MaxStreamsCloseCircuit = &on
	}
	if d.PoWDefenses == nil {
		d.PoWDefenses = &on
		if instance {
			d.PoWDefenses = &off
		}
	}
	if d.IntroDoSDefense == nil {
		d.IntroDoSDefense = &on
	}
	d.PoWQueueRate = cmp.Or(d.PoWQueueRate, DefaultPoWQueueRate)
	d.PoWQueueBurst = cmp.Or(d.PoWQueueBurst, DefaultPoWQueueBurst)
	d.IntroDoSRate = cmp.Or(d.IntroDoSRate, DefaultIntroDoSRate)
	d.IntroDoSBurst = cmp.Or(d.IntroDoSBurst, DefaultIntroDoSBurst)
}

// validate checks the settings (after setDefaults) against tor's ranges.
func (d *Defenses) validate(instance bool) error {
	const maxRate = 0x7fffffff // tor's bound on every rate and burst
	switch {
	case *d.MaxStreams < 0 || *d.MaxStreams > 65535:
		return fmt.Errorf("%w: max_streams %d (0 to 65535)", ErrDefenseRange, *d.MaxStreams)
	case d.PoWQueueRate < 0 || d.PoWQueueRate > maxRate:
		return fmt.Errorf("%w: pow_queue_rate %d", ErrDefenseRange, d.PoWQueueRate)
	case d.PoWQueueBurst < 0 || d.PoWQueueBurst > maxRate:
		return fmt.Errorf("%w: pow_queue_burst %d", ErrDefenseRange, d.PoWQueueBurst)
	case d.IntroDoSRate < 0 || d.IntroDoSRate > maxRate:
		return fmt.Errorf("%w: intro_dos_rate_per_sec %d", ErrDefenseRange, d.IntroDoSRate)
	case d.IntroDoSBurst < 0 || d.IntroDoSBurst > maxRate:
		return fmt.Errorf("%w: intro_dos_burst_per_sec %d", ErrDefenseRange, d.IntroDoSBurst)
	case d.IntroDoSBurst < d.IntroDoSRate:
		return fmt.Errorf("%w: intro_dos_burst_per_sec %d below intro_dos_rate_per_sec %d", ErrDefenseRange, d.IntroDoSBurst, d.IntroDoSRate)
	case instance && *d.PoWDefenses:
		return ErrPoWOnionbalance
	}
	return nil
}

// torrcLines returns the settings as torrc lines of the service.
func (d *Defenses) torrcLines() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HiddenServiceMaxStreams %d\n", *d.MaxStreams)
	fmt.Fprintf(&b, "HiddenServiceMaxStreamsCloseCircuit %d\n", bit(*d.MaxStreamsCloseCircuit))
	fmt.Fprintf(&b, "HiddenServiceEnableIntroDoSDefense %d\n", bit(*d.IntroDoSDefense))
	if *d.IntroDoSDefense {
		fmt.Fprintf(&b, "HiddenServiceEnableIntroDoSRatePerSec %d\n", d.IntroDoSRate)
		fmt.Fprintf(&b, "HiddenServiceEnableIntroDoSBurstPerSec %d\n", d.IntroDoSBurst)
	}
	fmt.Fprintf(&b, "HiddenServicePoWDefensesEnabled %d\n", bit(*d.PoWDefenses))
	if *d.PoWDefenses {
		fmt.Fprintf(&b, "HiddenServicePoWQueueRate %d\n", d.PoWQueueRate)
		fmt.Fprintf(&b, "HiddenServicePoWQueueBurst %d\n", d.PoWQueueBurst)
	}
	return b.String()
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}
