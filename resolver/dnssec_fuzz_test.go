package resolver

import (
	"context"
	"crypto"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/torplus/torplus/internal/onion"
)

// signedZone is example.test. signed in Go with one key (KSK and ZSK in
// one), served by a DNS server on loopback that answers one query type of
// one name with whatever bytes the fuzzer gives it, and everything else
// with the genuine signed answer.
type signedZone struct {
	id     onion.ID // the genuine record of torplus.match.example.test.
	anchor *dns.DS
	addr   string
	now    time.Time

	mu      sync.Mutex
	answers map[dns.Question]*dns.Msg // genuine answers
	hostile dns.Question              // the question answered with hostile
	bytes   []byte
}

// fuzzZone is the zone's apex; matchName has a TXT record, nothingName none.
const (
	fuzzZone    = "example.test."
	matchName   = "torplus.match.example.test."
	nothingName = "torplus.nothing.example.test."
)

func startSignedZone(t testing.TB) *signedZone {
	t.Helper()
	key := &dns.DNSKEY{Hdr: dns.RR_Header{Name: fuzzZone, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: dns.ZONE | dns.SEP, Protocol: 3, Algorithm: dns.ED25519}
	priv, err := key.Generate(256)
	if err != nil {
		t.Fatal(err)
	}
	z := &signedZone{id: newID(t), anchor: key.ToDS(dns.SHA256), now: time.Now(), answers: map[dns.Question]*dns.Msg{}}
	sign := func(rrs ...dns.RR) []dns.RR {
		sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: rrs[0].Header().Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: 300},
			KeyTag: key.KeyTag(), SignerName: fuzzZone, Algorithm: key.Algorithm,
			Inception: uint32(z.now.Add(-time.Hour).Unix()), Expiration: uint32(z.now.Add(24 * time.Hour).Unix())}
		if err := sig.Sign(priv.(crypto.Signer), rrs); err != nil {
			t.Fatal(err)
		}
		return append(rrs, sig)
	}
	txt := &dns.TXT{Hdr: dns.RR_Header{Name: matchName, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300},
		Txt: []string{onion.TXTPrefix + string(z.id)}}
	nsec := &dns.NSEC{Hdr: dns.RR_Header{Name: matchName, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
		NextDomain: "zzz." + fuzzZone, TypeBitMap: []uint16{dns.TypeTXT, dns.TypeRRSIG, dns.TypeNSEC}}
	answer := func(name string, qtype uint16, rcode int, ans, ns []dns.RR) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Response, m.Authoritative, m.Rcode, m.Answer, m.Ns = true, true, rcode, ans, ns
		z.answers[m.Question[0]] = m
	}
	answer(fuzzZone, dns.TypeDNSKEY, dns.RcodeSuccess, sign(key), nil)
	answer(matchName, dns.TypeTXT, dns.RcodeSuccess, sign(txt), nil)
	answer(nothingName, dns.TypeTXT, dns.RcodeNameError, nil, sign(nsec))

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(z.serve)}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	z.addr = pc.LocalAddr().String()
	return z
}

// serve answers one query: the fuzzer's bytes (with the query's id) for
// the hostile question, else the genuine answer, else REFUSED.
func (z *signedZone) serve(w dns.ResponseWriter, r *dns.Msg) {
	z.mu.Lock()
	q, hostile := r.Question[0], append([]byte(nil), z.bytes...)
	hostileQ, genuine := z.hostile, z.answers[dns.Question{Name: dns.CanonicalName(q.Name), Qtype: q.Qtype, Qclass: q.Qclass}]
	z.mu.Unlock()
	if len(r.Question) == 1 && q == hostileQ {
		if len(hostile) >= 2 {
			hostile[0], hostile[1] = byte(r.Id>>8), byte(r.Id)
		}
		w.Write(hostile)
		return
	}
	m := new(dns.Msg)
	if genuine == nil {
		m.SetRcode(r, dns.RcodeRefused)
	} else {
		m = genuine.Copy()
		m.Id = r.Id
	}
	w.WriteMsg(m)
}

// packed is the genuine answer to name/qtype in wire format.
func (z *signedZone) packed(t testing.TB, name string, qtype uint16) []byte {
	b, err := z.answers[dns.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET}].Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileQuestions are what the fuzzer's answer replaces: the TXT of a
// name with a record, the TXT of one without, and the zone's DNSKEY set.
var hostileQuestions = []dns.Question{
	{Name: matchName, Qtype: dns.TypeTXT, Qclass: dns.ClassINET},
	{Name: nothingName, Qtype: dns.TypeTXT, Qclass: dns.ClassINET},
	{Name: fuzzZone, Qtype: dns.TypeDNSKEY, Qclass: dns.ClassINET},
}

// FuzzValidateSigned feeds hostile answers, starting from genuine signed
// ones, to the resolver's local DNSSEC validation (DS → DNSKEY → RRSIG, or
// the NSEC of an absence), over real UDP: a lookup must never panic, and
// whatever the answer, a lookup that succeeds gives exactly the genuinely
// signed onion id, validated — a forged, replayed, re-owned or re-signed
// record never passes; the name with no record never gets one.
func FuzzValidateSigned(f *testing.F) {
	z := startSignedZone(f)
	for i, q := range hostileQuestions {
		genuine := z.packed(f, q.Name, q.Qtype)
		f.Add(uint8(i), genuine)
		for _, at := range []int{len(genuine) - 1, len(genuine) - 40, len(genuine) / 2} { // a flipped bit in the signature, the data, the header
			bad := append([]byte(nil), genuine...)
			bad[at] ^= 0x01
			f.Add(uint8(i), bad)
		}
		f.Add(uint8(i), z.packed(f, hostileQuestions[(i+1)%len(hostileQuestions)].Name, hostileQuestions[(i+1)%len(hostileQuestions)].Qtype))
	}
	f.Add(uint8(0), []byte{})
	d := &DNS{Server: z.addr, Anchor: z.anchor, Timeout: 300 * time.Millisecond, Now: func() time.Time { return z.now }}
	// The genuine zone validates: else every hostile answer would fail
	// for the wrong reason.
	if res, err := d.Lookup(context.Background(), "match.example.test"); err != nil || res.ID != z.id || res.DNSSEC != DNSSECValidated {
		f.Fatalf("the genuine record: %+v, %v", res, err)
	}
	if _, err := d.Lookup(context.Background(), "nothing.example.test"); !errors.Is(err, ErrNoRecord) {
		f.Fatalf("the genuine denial: %v, want ErrNoRecord", err)
	}
	f.Fuzz(func(t *testing.T, which uint8, answer []byte) {
		q := hostileQuestions[int(which)%len(hostileQuestions)]
		z.mu.Lock()
		z.hostile, z.bytes = q, answer
		z.mu.Unlock()
		for _, domain := range []string{"match.example.test", "nothing.example.test"} {
			res, err := d.Lookup(context.Background(), domain)
			if err != nil {
				continue
			}
			if domain != "match.example.test" || res.ID != z.id || res.DNSSEC != DNSSECValidated {
				t.Fatalf("hostile %s answer %x: %s accepted as %+v", dns.TypeToString[q.Qtype], answer, domain, res)
			}
		}
	})
}
