package x402

import (
	"errors"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"5000000", 5_000_000, nil},
		{"9223372036854775807", 1<<63 - 1, nil},
		{"9223372036854775808", 0, ErrAmountSyntax},
		{"", 0, ErrAmountSyntax},
		{"-1", 0, ErrAmountSyntax},
		{"+1", 0, ErrAmountSyntax},
		{"01", 0, ErrAmountSyntax},
		{"1.0", 0, ErrAmountSyntax},
		{"1e7", 0, ErrAmountSyntax},
		{" 1", 0, ErrAmountSyntax},
		{"٣", 0, ErrAmountSyntax}, // a non-ASCII digit
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil && FormatAmount(got) != tt.in {
			t.Errorf("FormatAmount(%d) = %q, want %q", got, FormatAmount(got), tt.in)
		}
	}
}
