package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromium runs Debian's chromium (bin) headless on url with extra flags, in the fresh profile folder profile, and
// returns its standard output. The flags keep it off the network, which this machine's closed network would refuse
// anyway.
func chromium(bin, profile, url string, extra ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + profile}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("chromium %s: %v\n%s", strings.Join(extra, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// TestBrowser renders the page of a folder of every experiment in a real browser, as a person would see it at a
// laptop's width: the screenshot is not blank, the DOM holds every experiment's tables with their numbers, and the
// results record whose estimator is a script shows it as text: the script does not run.
func TestBrowser(t *testing.T) {
	root := t.TempDir()
	page, err := Build(allFixtures(t, root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "report.html")
	if err := page.Write(path); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("Debian's chromium is not installed (scripts/setup.sh installs it): %v", err)
	}
	url := "file://" + path
	shot := filepath.Join(root, "screenshot.png")
	var dom []byte
	var errShot, errDOM error
	profiles := [2]string{t.TempDir(), t.TempDir()}
	var wg sync.WaitGroup
	wg.Go(func() { _, errShot = chromium(bin, profiles[0], url, "--window-size=1366,2000", "--screenshot="+shot) })
	wg.Go(func() { dom, errDOM = chromium(bin, profiles[1], url, "--dump-dom") })
	wg.Wait()
	if err := errors.Join(errShot, errDOM); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	ink, colours := 0, map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 < 200 || g>>8 < 200 || bl>>8 < 200 {
				ink++
			}
		}
	}
	if frac := float64(ink) / float64(b.Dx()*b.Dy()/4); b.Dx() != 1366 || frac < 0.01 || len(colours) < 20 {
		t.Errorf("the screenshot looks blank: %dx%d, %.2f%% of it inked, %d colours", b.Dx(), b.Dy(), 100*frac, len(colours))
	}

	html := string(dom)
	if !strings.Contains(html, "<title>ReinMax for Go: the paper in miniature</title>") || strings.Contains(html, "pwned</title>") {
		t.Errorf("the page's title changed: a script from the results ran")
	}
	if strings.Contains(html, "<script") {
		t.Errorf("the DOM holds a script element")
	}
	if !strings.Contains(html, "<td>&lt;script&gt;document.title='pwned'&lt;/script&gt;</td>") {
		t.Errorf("the estimator named %s is not shown as text in a table cell", scriptName)
	}
	for i, tc := range []struct {
		experiment string
		numbers    []string
	}{
		{"poly", []string{"0.211000 ± 0.001000 (100 steps, 3 seeds)", "0.202500"}},
		{"catvae", []string{"101.25 ± 0.00 (2 ep, 1 seed)", "98.37"}},
		{"bervae", []string{"139.22 ± 0.00 (200, 1)", "98.05"}},
		{"listops", []string{"45.00 ± 0.00 (1)", "68.07 ± 1.18"}},
		{"gradlab", []string{"0.971", "2.005", "0.266 [0.261, 0.272]"}},
		{"moe", []string{"85.00 ± 0.00", "switch, top-2"}},
		{"vq", []string{"18.50", "210 of 256"}},
	} {
		start := strings.Index(html, fmt.Sprintf(`<section id="s%d-%s"`, i+1, tc.experiment))
		if start < 0 {
			t.Errorf("no section of %s in the DOM", tc.experiment)
			continue
		}
		end := strings.Index(html[start+1:], "<section")
		if end < 0 {
			end = len(html) - start - 1
		}
		sec := html[start : start+1+end]
		if !strings.Contains(sec, "<table") || !strings.Contains(sec, "<svg") {
			t.Errorf("the section of %s holds no table or no figure", tc.experiment)
		}
		for _, n := range tc.numbers {
			if !strings.Contains(sec, "<td>"+n+"</td>") && !strings.Contains(sec, `<td class="paper">`+n+"</td>") {
				t.Errorf("the section of %s has no cell %q", tc.experiment, n)
			}
		}
	}
}
