package revenue

import (
	"math/bits"
	"sort"
)

// Split divides total among weights in proportion, exactly: part i is
// floor(total × w_i ÷ Σw), then the stroops left over go one each to the
// largest remainders (ties to the lower index). The parts sum to total.
// With no weight at all (Σw = 0), every part is 0 and Split returns false.
// total and the weights must not be negative.
func Split(total Amount, weights []int64) ([]Amount, bool) {
	parts := make([]Amount, len(weights))
	var sum uint64
	for _, w := range weights {
		sum += uint64(w)
	}
	if sum == 0 || total <= 0 {
		return parts, sum != 0
	}
	rems := make([]uint64, len(weights))
	var given Amount
	for i, w := range weights {
		// total × w < 2^63 × sum, so the 128-bit quotient fits 64 bits.
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, sum)
		parts[i], rems[i] = Amount(q), r
		given += Amount(q)
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := 0; given < total; k++ {
		parts[order[k]]++
		given++
	}
	return parts, true
}

func mul(a, b int64) (hi, lo uint64) { return bits.Mul64(uint64(a), uint64(b)) }

func div(hi, lo uint64, d int64) int64 {
	q, _ := bits.Div64(hi, lo, uint64(d))
	return int64(q)
}
