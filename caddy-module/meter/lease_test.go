package meter

import "testing"

// TestLeaseAccounting: a leasing session serves only what it leased, asks
// for more only when it runs low and has allowance the lease lacks, and
// gives back exactly the leased bytes no response holds, even while one
// is in flight.
func TestLeaseAccounting(t *testing.T) {
	s := newSession(0, 1000)
	s.startLeasing()
	steps := []struct {
		name string
		do   func() int64
		want int64
	}{
		{"nothing leased: nothing granted", func() int64 { return s.reserve(10) }, 0},
		{"wants a lease", func() int64 { return s.leaseWanted(600) }, 600},
		{"leased 600", func() int64 { s.addLease(600); return s.reserve(400) }, 400},
		{"a response keeps 400 in flight; half a chunk left: no lease yet", func() int64 { return s.leaseWanted(400) }, 0},
		{"grants stop at the lease", func() int64 { g := s.reserve(500); s.release(g, 0); return g }, 200},
		{"return takes back what no response holds", func() int64 { return s.returnLease() }, 200},
		{"the response in flight still ends within its grant", func() int64 { s.release(400, 300); return s.served.Load() }, 300},
		{"what it did not send is back in the local lease", func() int64 { g := s.reserve(1000); s.release(g, 0); return g }, 100},
		{"return after that", func() int64 { return s.returnLease() }, 100},
		{"never more than the allowance is wanted", func() int64 { s.addLease(700); return s.leaseWanted(1 << 20) }, 0},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Fatalf("%s: got %d, want %d (leased %d, reserved %d)", st.name, got, st.want, s.leased.Load(), s.reserved.Load())
		}
	}
	if p := newSession(0, 1000); p.returnLease() != 0 || p.leaseWanted(100) != 0 {
		t.Fatal("a session that does not lease returned or wanted a lease")
	}
}
