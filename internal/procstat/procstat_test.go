package procstat

import (
	"os"
	"testing"
	"time"
)

func TestReadsItsOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	rss, err := Memory("VmRSS")
	if err != nil || rss < 1<<20 {
		t.Errorf("VmRSS = %d, %v; want at least a megabyte", rss, err)
	}
	peak, err := Memory("VmHWM")
	if err != nil || peak < rss {
		t.Errorf("VmHWM = %d, %v; want at least VmRSS %d", peak, err, rss)
	}
	if _, err := Memory("NoSuchField"); err == nil {
		t.Error("a missing field read without error")
	}
	before, err := CPU()
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	if after, err := CPU(); err != nil || after < before {
		t.Errorf("CPU time went from %v to %v (%v)", before, after, err)
	}
}
