package resolver

import "fmt"

// fmtAll prints v with the verbs a careless log line might use.
func fmtAll(v any) string { return fmt.Sprintf("%v %+v %#v %s %q %x", v, v, v, v, v, v) }
