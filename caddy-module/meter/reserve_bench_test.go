package meter

import (
	"testing"
	"time"
)

// BenchmarkReserveChunk measures what per-chunk reservation costs one
// 64 KiB chunk (target ≤ 100 ns): reserve it from the session, then count
// it as sent. "paid" is a session past its free round; "free" also
// reserves from the global free budget; "parallel" has every core's
// responses share one session.
func BenchmarkReserveChunk(b *testing.B) {
	run := func(b *testing.B, s *session, w *meteredWriter) {
		g, fb, err := w.grant(reserveChunk)
		if err != nil || g != reserveChunk {
			b.Fatalf("grant = %d, %v", g, err)
		}
		w.done(g, g, fb)
	}
	setup := func(free, credited, budget int64) (*session, *meteredWriter) {
		s := restoredSession(0, free, 0, credited, 0)
		h := &Handler{policy: testPolicy, st: &state{budget: newBudget(budget, time.Now())}}
		return s, &meteredWriter{s: s, h: h}
	}
	b.Run("paid", func(b *testing.B) {
		s, w := setup(0, 1<<62, 0)
		b.SetBytes(reserveChunk)
		for range b.N {
			run(b, s, w)
		}
	})
	b.Run("free", func(b *testing.B) {
		s, w := setup(1<<62, 0, 1<<62)
		b.SetBytes(reserveChunk)
		for range b.N {
			run(b, s, w)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s, _ := setup(0, 1<<62, 0)
		b.SetBytes(reserveChunk)
		b.RunParallel(func(pb *testing.PB) {
			w := &meteredWriter{s: s, h: &Handler{policy: testPolicy, st: &state{}}}
			for pb.Next() {
				run(b, s, w)
			}
		})
	})
}
