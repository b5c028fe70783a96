package onionservice

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func ptr[T any](v T) *T { return &v }

// TestDefensesTorrc: for each combination of the defence settings (the
// defaults of a single instance and of an Onionbalance instance, all off,
// custom values, no stream limit) the torrc holds the lines tor reads, and
// the real tor accepts it (tor --verify-config).
func TestDefensesTorrc(t *testing.T) {
	master := string(newID(t))
	tests := []struct {
		name     string
		app      App
		want     []string
		wantNone []string
	}{
		{"single instance defaults", App{}, []string{
			"HiddenServiceMaxStreams 32\n", "HiddenServiceMaxStreamsCloseCircuit 1\n",
			"HiddenServiceEnableIntroDoSDefense 1\n", "HiddenServiceEnableIntroDoSRatePerSec 25\n", "HiddenServiceEnableIntroDoSBurstPerSec 200\n",
			"HiddenServicePoWDefensesEnabled 1\n", "HiddenServicePoWQueueRate 250\n", "HiddenServicePoWQueueBurst 2500\n",
		}, nil},
		{"Onionbalance instance defaults", App{OnionbalanceMaster: master}, []string{
			"HiddenServiceOnionbalanceInstance 1\n", "HiddenServiceMaxStreams 32\n", "HiddenServiceEnableIntroDoSDefense 1\n",
			"HiddenServicePoWDefensesEnabled 0\n",
		}, []string{"HiddenServicePoWQueueRate"}},
		{"all off", App{Defenses: Defenses{MaxStreams: ptr(0), MaxStreamsCloseCircuit: ptr(false), PoWDefenses: ptr(false), IntroDoSDefense: ptr(false)}}, []string{
			"HiddenServiceMaxStreams 0\n", "HiddenServiceMaxStreamsCloseCircuit 0\n", "HiddenServiceEnableIntroDoSDefense 0\n", "HiddenServicePoWDefensesEnabled 0\n",
		}, []string{"RatePerSec", "QueueRate"}},
		{"custom values", App{Defenses: Defenses{MaxStreams: ptr(8), PoWQueueRate: 50, PoWQueueBurst: 100, IntroDoSRate: 10, IntroDoSBurst: 40}}, []string{
			"HiddenServiceMaxStreams 8\n", "HiddenServicePoWQueueRate 50\n", "HiddenServicePoWQueueBurst 100\n",
			"HiddenServiceEnableIntroDoSRatePerSec 10\n", "HiddenServiceEnableIntroDoSBurstPerSec 40\n",
		}, nil},
		{"Onionbalance instance, custom intro limits", App{OnionbalanceMaster: master, Defenses: Defenses{IntroDoSRate: 5, IntroDoSBurst: 5}}, []string{
			"HiddenServiceEnableIntroDoSRatePerSec 5\n", "HiddenServicePoWDefensesEnabled 0\n",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := tt.app
			a.DataDir = dir
			if _, err := provision(t, &a); err != nil {
				t.Fatal(err)
			}
			if err := a.Validate(); err != nil {
				t.Fatal(err)
			}
			text, err := a.torrcText()
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, "\n"+w) {
					t.Errorf("torrc lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(text, w) {
					t.Errorf("torrc has %q:\n%s", w, text)
				}
			}
			if i, j := strings.Index(text, "HiddenServiceDir"), strings.Index(text, "HiddenServiceMaxStreams"); i < 0 || j < i {
				t.Errorf("the defences are not lines of the service (after HiddenServiceDir):\n%s", text)
			}
			verifyTorrc(t, dir, text)
		})
	}
}

// TestDefensesRefused: settings tor would refuse, or that cannot work,
// fail Validate with the error that says which.
func TestDefensesRefused(t *testing.T) {
	master := string(newID(t))
	tests := []struct {
		name string
		app  App
		err  error
	}{
		{"PoW on an Onionbalance instance", App{OnionbalanceMaster: master, Defenses: Defenses{PoWDefenses: ptr(true)}}, ErrPoWOnionbalance},
		{"too many streams", App{Defenses: Defenses{MaxStreams: ptr(65536)}}, ErrDefenseRange},
		{"negative streams", App{Defenses: Defenses{MaxStreams: ptr(-1)}}, ErrDefenseRange},
		{"burst below rate", App{Defenses: Defenses{IntroDoSRate: 100, IntroDoSBurst: 10}}, ErrDefenseRange},
		{"negative PoW rate", App{Defenses: Defenses{PoWQueueRate: -5}}, ErrDefenseRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.app
			a.DataDir = t.TempDir()
			if _, err := provision(t, &a); err != nil {
				t.Fatal(err)
			}
			if err := a.Validate(); !errors.Is(err, tt.err) {
				t.Fatalf("Validate: %v, want %v", err, tt.err)
			}
		})
	}
}

// TestDefensesCaddyfile: the Caddyfile options set the JSON fields, and
// bad values name the option.
func TestDefensesCaddyfile(t *testing.T) {
	var a App
	err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`onion {
		max_streams 8
		max_streams_close_circuit off
		pow_defenses on
		pow_queue_rate 50
		pow_queue_burst 100
		intro_dos_defense off
		intro_dos_rate_per_sec 10
		intro_dos_burst_per_sec 40
	}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(a.Defenses)
	want := `{"max_streams":8,"max_streams_close_circuit":false,"pow_defenses":true,"pow_queue_rate":50,"pow_queue_burst":100,` +
		`"intro_dos_defense":false,"intro_dos_rate_per_sec":10,"intro_dos_burst_per_sec":40}`
	if string(got) != want {
		t.Fatalf("JSON %s\nwant %s", got, want)
	}
	for input, msg := range map[string]string{
		"onion {\n pow_defenses maybe\n}":     "pow_defenses: want on or off",
		"onion {\n max_streams many\n}":       "max_streams",
		"onion {\n pow_queue_rate 0\n}":       "pow_queue_rate: want a positive number",
		"onion {\n intro_dos_rate_per_sec\n}": "wrong argument count",
	} {
		var a App
		if err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", input, err, msg)
		}
	}
}
