package identity

import "net/http"

// CircuitOf returns the key Identify gives r's circuit when r carries no
// session token: the circuit a token first seen on it was sent over, whose
// free round the token shares (a fresh token must not be a fresh round).
// ok is false when r did not come over a tor circuit. It asks Identify
// itself, so the circuit key stays whatever Identify makes it (epoch
// included); it copies r's header map, so call it only for new sessions.
func CircuitOf(r *http.Request) (k Key, ok bool) {
	if _, err := CircuitID(r.RemoteAddr); err != nil {
		return Key{}, false
	}
	bare := *r
	bare.Header = r.Header.Clone()
	bare.Header.Del(SessionHeader)
	k, err := Identify(&bare, false)
	return k, err == nil && k.Kind == KindCircuit
}
