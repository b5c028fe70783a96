package procstat

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

func TestParseTicks(t *testing.T) {
	tests := []struct {
		line string
		want int64
		ok   bool
	}{
		{"1234 (nginx: worker) S 1 2 3 4 5 6 7 8 9 10 250 31 7 9 20 0 1 0", 281, true},
		{"7 (a) b) (c) R 1 2 3 4 5 6 7 8 9 10 5 6 7 9", 11, true},
		{"1234 (x) S 1 2", 0, false},
		{"no parenthesis", 0, false},
		{"1 (x) S 1 2 3 4 5 6 7 8 9 10 x 6 0 0", 0, false},
		{"1 (x) S 1 2 3 4 5 6 7 8 9 10 1 6", 0, false},
	}
	for _, tt := range tests {
		got, err := parseTicks(tt.line, 14, 15)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseTicks(%q) = %d, %v; want %d, ok %v", tt.line, got, err, tt.want, tt.ok)
		}
	}
}

// TestTicksOfSelf reads this process's own stat file: the figure is there
// and grows, never shrinks, after some work.
func TestTicksOfSelf(t *testing.T) {
	pid := []int{os.Getpid()}
	a, err := Ticks(pid)
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	b, err := Ticks(pid)
	if err != nil || b < a || x == 0 {
		t.Fatalf("ticks %d then %d, %v", a, b, err)
	}
	if _, err := Ticks([]int{-1}); err == nil {
		t.Fatal("no error for a missing process")
	}
}

func TestParsePIDs(t *testing.T) {
	got, err := ParsePIDs("1, 2,3")
	if err != nil || len(got) != 3 || got[2] != 3 {
		t.Fatalf("ParsePIDs = %v, %v", got, err)
	}
	if _, err := ParsePIDs("1,x"); err == nil {
		t.Fatal("no error for a bad pid")
	}
}

// TestTreeSeconds runs a child that burns CPU and ends: its time counts in
// the tree's figure (through cutime once waited for) and never vanishes.
func TestTreeSeconds(t *testing.T) {
	self := []int{os.Getpid()}
	before, err := TreeSeconds(self)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kids, err := Children(os.Getpid())
	if err != nil || !slices.Contains(kids, cmd.Process.Pid) {
		t.Fatalf("Children = %v, %v; want %d among them", kids, err, cmd.Process.Pid)
	}
	if named := Named(self, "sh"); !slices.Contains(named, cmd.Process.Pid) {
		t.Fatalf("Named(sh) = %v, want %d among them", named, cmd.Process.Pid)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	after, err := TreeSeconds(self)
	if err != nil {
		t.Fatal(err)
	}
	child := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if after-before < child.Seconds()-0.02 {
		t.Fatalf("tree grew %.2f s, the child alone used %s", after-before, child)
	}
}
