package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ErrUsage marks a mistake on the command line or in the environment: a
// flag that does not exist, or a value of the wrong kind. Commands exit
// with ExitUsage for it.
var ErrUsage = errors.New("usage")

// usageError is a mistake of the owner's whose message is its own, and
// which errors.Is matches to ErrUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

// usage makes a sentinel for one kind of mistake.
func usage(msg string) error { return &usageError{msg} }

// Exit codes of the hoster's own commands: ExitFailed when something it
// needs is missing or taken (tor, a port, the data directory), ExitUsage
// for a mistake in the flags or the environment.
const (
	ExitFailed = 1
	ExitUsage  = 2
)

// EnvPrefix starts the environment variable of every serve flag:
// --free-round is also TORPLUS_FREE_ROUND. A flag given on the command
// line wins over its variable.
const EnvPrefix = "TORPLUS_"

// envName is the environment variable of flag name.
func envName(name string) string {
	if v, ok := envNames[name]; ok {
		return v
	}
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// envNames are the variables not spelled after their flag: the names
// deploy/base/Caddyfile has always read, so one setting has one name.
var envNames = map[string]string{
	"horizon": "TORPLUS_HORIZON_URL",
	"network": "TORPLUS_STELLAR_NETWORK",
}

// applyEnv sets every flag of fs not given on the command line from its
// TORPLUS_* variable, if set. A value of the wrong kind (a bool, a
// duration) is refused with the variable's name.
func applyEnv(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		v := os.Getenv(envName(f.Name))
		if v == "" { // compose passes unset .env lines as empty
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w: want %s", envName(f.Name), v, ErrWrongKind, kindOf(f)))
			return
		}
		fromEnv[f.Name] = true
	})
	return errors.Join(errs...)
}

// ErrWrongKind means an environment variable's value is not of its
// flag's kind.
var ErrWrongKind = usage("wrong kind of value")

// fromEnv records the flags set from the environment, so that messages
// name what the owner actually wrote.
var fromEnv = map[string]bool{}

// flagName is how a message names flag name: as the owner gave it.
func flagName(name string) string {
	if fromEnv[name] {
		return envName(name)
	}
	return "--" + name
}

// kindOf says in words what a flag's value must be.
func kindOf(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool":
		return "true or false"
	case "duration":
		return "a duration such as 30s or 2m"
	case "int", "int64":
		return "a whole number"
	case "demo":
		return "true, false or auto"
	}
	return "a " + f.Value.Type()
}

// friendlyFlags makes cmd's flag mistakes short: the bad flag, the flag
// meant when it is a typo, and where the usage is, then exit ExitUsage.
// (Cobra's own answer is "Error: unknown flag" with exit 1.)
func friendlyFlags(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
			if near := nearestFlag(c.Flags(), name); near != "" {
				msg += "; did you mean --" + near + "?"
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %s\nRun '%s --help' for the flags.\n", c.CommandPath(), msg, c.CommandPath())
		os.Exit(ExitUsage)
		return nil
	})
}

// nearestFlag is the flag of fs closest to name (at most 2 edits, or a
// prefix), or "".
func nearestFlag(fs *pflag.FlagSet, name string) string {
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
