package experiments

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Sizer is implemented by experiments that can estimate the memory a run needs, so that the runner refuses a run
// that cannot fit before it allocates anything.
type Sizer[C any] interface {
	// Memory returns an estimate, in bytes, of the peak memory of a run of cfg: within a small factor, and never
	// far below.
	Memory(cfg C) float64
}

// checkMemory returns an error naming the first run whose estimated memory, times the runs trained at the same
// time, exceeds the machine's memory. It checks nothing where the machine's memory is unknown.
func checkMemory[C Config, R Record](exp Experiment[C, R], runs []C, workers int) error {
	sizer, ok := exp.(Sizer[C])
	if !ok {
		return nil
	}
	total, err := machineMemory()
	if err != nil {
		return nil
	}
	for _, c := range runs {
		need := sizer.Memory(c) * float64(min(workers, len(runs)))
		if need > float64(total) {
			return fmt.Errorf("%s: run %s needs about %s of memory (%d at a time), more than this machine's %s",
				exp.Name(), c.Label(), bytesText(need), min(workers, len(runs)), bytesText(float64(total)))
		}
	}
	return nil
}

// machineMemory returns the machine's memory in bytes (Linux's MemTotal).
func machineMemory() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, err
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

// bytesText writes a number of bytes in GB or MB.
func bytesText(b float64) string {
	if b >= 1e9 {
		return fmt.Sprintf("%.3g GB", b/1e9)
	}
	return fmt.Sprintf("%.3g MB", b/1e6)
}
