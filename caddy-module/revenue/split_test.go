package revenue

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		err  error
	}{
		{"0", 0, nil}, {"12", 120_000_000, nil}, {"0.5", 5_000_000, nil}, {"1.2500000", 12_500_000, nil},
		{"0.0000001", 1, nil}, {"922337203685.4775807", 1<<63 - 1, nil},
		{"922337203685.4775808", 0, ErrBadAmount}, {"922337203686", 0, ErrBadAmount},
		{"-1", 0, ErrBadAmount}, {"1.", 0, ErrBadAmount}, {".5", 0, ErrBadAmount}, {"1.00000001", 0, ErrBadAmount},
		{"1e3", 0, ErrBadAmount}, {"", 0, ErrBadAmount}, {"+1", 0, ErrBadAmount}, {" 1", 0, ErrBadAmount},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
		if tt.err == nil {
			if back, _ := ParseAmount(got.String()); back != got {
				t.Errorf("%q does not round-trip through %q", tt.in, got.String())
			}
		}
	}
	if s := Amount(12_500_000).String(); s != "1.2500000" {
		t.Errorf("String = %q", s)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name    string
		total   Amount
		weights []int64
		want    []Amount
		ok      bool
	}{
		{"3:1", 100 * StroopsPerUnit, []int64{300_000, 100_000}, []Amount{75 * StroopsPerUnit, 25 * StroopsPerUnit}, true},
		{"3:1 of an odd stroop count", 101, []int64{3, 1}, []Amount{76, 25}, true},
		{"equal thirds: remainder to the first", 10, []int64{1, 1, 1}, []Amount{4, 3, 3}, true},
		{"largest remainder wins", 10, []int64{1, 2, 4}, []Amount{1, 3, 6}, true}, // 1.43 2.86 5.71
		{"one stroop, three pages", 1, []int64{5, 5, 5}, []Amount{1, 0, 0}, true},
		{"a page without attention gets nothing", 7, []int64{0, 2, 1}, []Amount{0, 5, 2}, true},
		{"no attention", 50, []int64{0, 0}, []Amount{0, 0}, false},
		{"no pages", 50, nil, []Amount{}, false},
		{"no income", 0, []int64{1, 2}, []Amount{0, 0}, true},
		{"huge amounts do not overflow", 1<<63 - 1, []int64{1<<62 - 1, 1<<62 - 1},
			[]Amount{1<<62 + 0, 1<<62 - 1}, true},
	}
	for _, tt := range tests {
		got, ok := Split(tt.total, tt.weights)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Split(%d, %v) = %v, %v; want %v, %v", tt.name, tt.total, tt.weights, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSplitSumsToWhole: for many random incomes and attention tables the
// parts sum to the income, and each part is within one stroop of its exact
// proportional share.
func TestSplitSumsToWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		total := Amount(rng.Int64N(1 << 50))
		weights := make([]int64, 1+rng.IntN(20))
		var sum int64
		for j := range weights {
			weights[j] = rng.Int64N(1 << 40)
			sum += weights[j]
		}
		parts, ok := Split(total, weights)
		if !ok {
			continue
		}
		var got Amount
		for j, p := range parts {
			got += p
			hi, lo := mul(int64(total), weights[j])
			floor := Amount(div(hi, lo, sum))
			if p != floor && p != floor+1 {
				t.Fatalf("part %d = %d, exact floor %d", j, p, floor)
			}
		}
		if got != total {
			t.Fatalf("parts of %d sum to %d (%v)", total, got, weights)
		}
	}
}
