package report

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/f60e9205/reinmax/data/mnist"
	"github.com/f60e9205/reinmax/data/omniglot"
	"github.com/f60e9205/reinmax/data/store"
)

// Provenance says what made the page and the results: the build, the machine, the data sets' checksums and when.
type Provenance struct {
	Build    []Setting // module, version, commit, Go, GoMLX, compute, backend
	Machine  []Setting // CPU model, cores, operating system
	Made     []Setting // when the page and each folder's results were made
	Datasets []Dataset // the data sets the runs read, each verified by these SHA-256 before use
}

// Dataset is a data set with the checksums its loader verifies.
type Dataset struct {
	Title, About string
	Files        []Setting // file name and accepted SHA-256
}

// provenance gathers the provenance of a page of sections, made at now; made, when set, says how the results were made.
func provenance(sections []Section, made string, now time.Time) Provenance {
	p := Provenance{Build: buildInfo(), Machine: machine()}
	p.Made = append(p.Made, Setting{"this page", now.UTC().Format(time.RFC3339)})
	if made != "" {
		p.Made = append(p.Made, Setting{"the results", made})
	}
	var seen []string
	for _, s := range sections {
		if s.Made != "" {
			p.Made = append(p.Made, Setting{s.Dir, s.Made})
		}
		for _, d := range s.datasets {
			if slices.Contains(seen, d.Name) {
				continue
			}
			seen = append(seen, d.Name)
			p.Datasets = append(p.Datasets, dataset(d))
		}
	}
	return p
}

// datasetsNamed returns the data sets that the names runs record ("mnist", "fashion", "omniglot") stand for, in
// the order of their first use; names of no data set are left out.
func datasetsNamed(names []string) []store.Dataset {
	var out []store.Dataset
	var seen []string
	for _, n := range names {
		if slices.Contains(seen, n) {
			continue
		}
		seen = append(seen, n)
		switch n {
		case "mnist":
			out = append(out, mnist.Dataset(mnist.MNIST))
		case "fashion":
			out = append(out, mnist.Dataset(mnist.Fashion))
		case "omniglot":
			out = append(out, omniglot.Dataset())
		}
	}
	return out
}

func dataset(d store.Dataset) Dataset {
	out := Dataset{Title: d.Title, About: d.About}
	for _, f := range d.Files {
		sum := strings.Join(f.SHA256, " or ")
		if f.GunzipSHA256 != "" {
			sum += " (content when gunzipped: " + f.GunzipSHA256 + ")"
		}
		out.Files = append(out.Files, Setting{f.Name, sum})
	}
	return out
}

// buildInfo reads the binary's module version, VCS commit and the versions of GoMLX and its compute backends.
func buildInfo() []Setting {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return []Setting{{"build", "no build information in this binary"}}
	}
	out := []Setting{{"module", bi.Main.Path + " " + bi.Main.Version}}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		commit := rev
		if vcs["vcs.time"] != "" {
			commit += " (" + vcs["vcs.time"] + ")"
		}
		if vcs["vcs.modified"] == "true" {
			commit += ", with uncommitted changes"
		}
		out = append(out, Setting{"commit", commit})
	} else {
		out = append(out, Setting{"commit", "not recorded in the binary (built outside a git checkout, or with -buildvcs=false)"})
	}
	out = append(out, Setting{"Go", bi.GoVersion + " " + vcs["GOOS"] + "/" + vcs["GOARCH"]})
	if e := vcs["GOEXPERIMENT"]; e != "" {
		out = append(out, Setting{"GOEXPERIMENT", e})
	}
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/gomlx/gomlx":
			out = append(out, Setting{"GoMLX", d.Version})
		case "github.com/gomlx/compute":
			out = append(out, Setting{"GoMLX compute", d.Version})
		}
	}
	backend := "the pure-Go backend (github.com/gomlx/compute/gobackend), operations executed one at a time"
	if v, ok := os.LookupEnv(compute.ConfigEnvVar); ok {
		backend = compute.ConfigEnvVar + "=" + v
	}
	return append(out, Setting{"backend", backend})
}

// machine describes the machine the page is made on: CPU model, cores, operating system.
func machine() []Setting {
	cpu := "unknown"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return []Setting{{"CPU", cpu}, {"cores", strconv.Itoa(runtime.NumCPU())}, {"system", runtime.GOOS + "/" + runtime.GOARCH}}
}
