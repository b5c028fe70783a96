package soak

import (
	"testing"

	"github.com/torplus/torplus/reliability/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
