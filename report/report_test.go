package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/f60e9205/reinmax/experiments"
	"github.com/f60e9205/reinmax/experiments/catvae"
	"github.com/f60e9205/reinmax/gradlab"
)

// cellTexts returns the texts of every cell of the section's tables and verdicts.
func cellTexts(s Section) []string {
	var out []string
	for _, t := range append(slices.Clone(s.Tables), s.Verdict...) {
		for _, r := range t.Rows {
			for _, c := range r {
				out = append(out, c.Text)
			}
		}
	}
	return out
}

func hasCell(s Section, prefix string) bool {
	return slices.ContainsFunc(cellTexts(s), func(c string) bool { return strings.HasPrefix(c, prefix) })
}

// TestSections reads a folder of every experiment and checks what each section shows: its experiment, our numbers
// and the paper's, the verdicts and a figure.
func TestSections(t *testing.T) {
	inputs := allFixtures(t, t.TempDir())
	page, err := Build(inputs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		experiment string
		cells      []string // cells some table holds, by prefix
		tally      Tally
		headline   string
	}{
		{"poly", []string{"0.211000 ± 0.001000 (100 steps, 3 seeds)", "0.202500", "ahead"}, Tally{Ahead: 1},
			"p = 2, 100 steps: reinmax 0.0085, best other st 0.0485"},
		{"catvae", []string{"101.25 ± 0.00 (2 ep, 1 seed)", "98.37", "103.21", "cannot tell"}, Tally{Unclear: 2},
			"10x30, 2 ep: reinmax 101.25, best other st 102.25"},
		{"bervae", []string{"139.22 ± 0.00 (200, 1)", "98.05", "101.89"}, Tally{Unclear: 1},
			"mnist K=2, 200 steps: reinmax 139.22, best other rloo 154.22"},
		{"listops", []string{"45.00 ± 0.00 (1)", "68.07 ± 1.18", "31.83", "0.430"}, Tally{Unclear: 1},
			"h32 n100 2ep adam: reinmax 45.00, best other st 40.00"},
		{"gradlab", []string{"0.971", "2.005", "holds"}, Tally{Ahead: 4},
			"order of accuracy (exact slope): st 0.971, reinmax 2.005"},
		{"moe", []string{"85.00 ± 0.00", "83.00 ± 0.00", "switch, top-2", "0.3500 ± 0.0000"}, Tally{},
			"fashion top-1, 20 steps: reinmax 85.00, best other switch 80.00; fashion top-2, 20 steps: best other switch 83.00"},
		{"vq", []string{"18.50", "18.80", "19.00", "210 of 256", "0 of 1"}, Tally{},
			"mnist, 20 steps: reinmax T=0.01 18.50, best other ste 19.00"},
	} {
		s := page.Sections[i]
		if s.Experiment != tc.experiment || s.Problem != "" {
			t.Fatalf("section %d: experiment %q, problem %q; want %s and no problem", i, s.Experiment, s.Problem, tc.experiment)
		}
		for _, c := range tc.cells {
			if !hasCell(s, c) {
				t.Errorf("%s: no cell starts with %q; cells: %q", tc.experiment, c, cellTexts(s))
			}
		}
		if s.Headline.Tally != tc.tally {
			t.Errorf("%s: verdicts %+v, want %+v", tc.experiment, s.Headline.Tally, tc.tally)
		}
		if !strings.Contains(s.Headline.Ours, tc.headline) {
			t.Errorf("%s: headline %q, want it to contain %q", tc.experiment, s.Headline.Ours, tc.headline)
		}
		if len(s.Figures) == 0 || !strings.HasPrefix(string(s.Figures[0].SVG), "<svg") {
			t.Errorf("%s: no inline SVG figure (warnings %q)", tc.experiment, s.Warnings)
		}
	}
	// The tables of moe and vq name their data set, and the sections without the paper's numbers do not promise them.
	for i, want := range map[int]struct{ caption, heading string }{
		1: {"Training −ELBO", "Results, the paper's beside ours"},
		4: {"", "Results"},
		5: {"Fashion-MNIST: ", "Results"},
		6: {"mnist: ", "Results"},
	} {
		s := page.Sections[i]
		for _, tab := range s.Tables {
			if !strings.HasPrefix(tab.Caption, want.caption) {
				t.Errorf("%s: caption %q, want it to start with %q", s.Experiment, tab.Caption, want.caption)
			}
		}
		if got := s.ResultsHeading(); got != want.heading {
			t.Errorf("%s: tables headed %q, want %q", s.Experiment, got, want.heading)
		}
	}
	// The data sets the runs read are in the provenance, once each.
	var titles []string
	for _, d := range page.Provenance.Datasets {
		titles = append(titles, d.Title)
	}
	if want := []string{"MNIST", "ListOps", "Fashion-MNIST"}; !slices.Equal(titles, want) {
		t.Errorf("data sets %q, want %q", titles, want)
	}
}

// TestRuns checks the description of the runs: the settings every run shares, one row per configuration with its
// seeds, and the count of unfinished runs.
func TestRuns(t *testing.T) {
	dir := t.TempDir()
	for _, est := range []string{"reinmax", "st"} {
		for _, seed := range []int64{0, 1, 2, 4} {
			cfg := catvae.Config{Categories: 8, Latents: 4, Estimator: est, Tau: 1.3, Optimizer: "adam", LR: 5e-4, Batch: 100, Epochs: 1, Seed: seed}
			r := catvae.Epoch{Config: "8x4", Estimator: est, Tau: 1.3, Seed: seed, Epoch: 1, Epochs: 1, Seconds: 30}
			stamped(t, "catvae", cfg, &r)
			appendRecords(t, dir, r)
		}
	}
	cfg := catvae.Config{Categories: 8, Latents: 4, Estimator: "stgs", Tau: 0.5, Optimizer: "adam", LR: 3e-4, Batch: 100, Epochs: 2}
	r := catvae.Epoch{Config: "8x4", Estimator: "stgs", Epoch: 1, Epochs: 2} // interrupted after its first epoch
	stamped(t, "catvae", cfg, &r)
	appendRecords(t, dir, r)

	recs, err := experiments.ReadResults[catvae.Config, catvae.Epoch]("catvae", dir)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := runsOf(recs, func(r catvae.Epoch) any { return r.Settings }, func(r catvae.Epoch) float64 { return r.Seconds })
	if err != nil {
		t.Fatal(err)
	}
	if runs.Finished != 8 || runs.Unfinished != 1 {
		t.Errorf("%d finished, %d unfinished; want 8 and 1", runs.Finished, runs.Unfinished)
	}
	if want := "8 finished runs, 1 unfinished (left out); 4m0s of training"; !strings.HasPrefix(runs.Text, want) {
		t.Errorf("text %q, want it to start with %q", runs.Text, want)
	}
	if !slices.Contains(runs.Common, Setting{"categories", "8"}) || !slices.Contains(runs.Common, Setting{"optimizer", "adam"}) ||
		slices.ContainsFunc(runs.Common, func(s Setting) bool { return s.Name == "estimator" || s.Name == "seed" }) {
		t.Errorf("common settings %v: want categories and optimizer, not estimator or seed", runs.Common)
	}
	if want := []string{"estimator", "seeds"}; !slices.Equal(runs.Columns, want) {
		t.Errorf("columns %q, want %q", runs.Columns, want)
	}
	want := [][]string{{"reinmax", "0–2, 4"}, {"st", "0–2, 4"}}
	if len(runs.Rows) != 2 || !slices.Equal(runs.Rows[0], want[0]) || !slices.Equal(runs.Rows[1], want[1]) {
		t.Errorf("rows %q, want %q", runs.Rows, want)
	}
}

func TestSeedList(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"0"}, "0"},
		{[]string{"2", "0", "1"}, "0–2"},
		{[]string{"0", "1", "3", "4", "5", "9"}, "0, 1, 3–5, 9"},
		{[]string{"a", "b"}, "a, b"},
		{nil, "–"},
	} {
		if got := seedList(tc.in); got != tc.want {
			t.Errorf("seedList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBadFolders checks that a folder that cannot be shown becomes a marked section naming the reason, and that a
// folder that does not exist is an error.
func TestBadFolders(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if text != "" {
			if err := os.WriteFile(filepath.Join(dir, experiments.ResultsFile), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// corrupt writes a folder with fixture and changes its results file with edit.
	corrupt := func(name string, fixture func(*testing.T, string), edit func([]byte) []byte) string {
		dir := filepath.Join(root, name)
		fixture(t, dir)
		path := filepath.Join(dir, experiments.ResultsFile)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, edit(b), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
	}
	// lines changes every line of a results file but the first, by which the folder is recognised, to keep(line).
	lines := func(keep func(string) string) func([]byte) []byte {
		return func(b []byte) []byte {
			ls := strings.SplitAfter(string(b), "\n")
			for i := 1; i < len(ls); i++ {
				ls[i] = keep(ls[i])
			}
			return []byte(strings.Join(ls, ""))
		}
	}
	for _, tc := range []struct {
		dir, want string
	}{
		{write("empty", ""), "no results file"},
		{write("summaries", ""), "no results file"},
		{write("unknown", `{"run":"0123456789abcdef","settings":{"experts":8},"step":1}`+"\n"), "does not know"},
		{write("legacy", `{"config":"10x30","estimator":"st","epoch":1,"epochs":1}`+"\n"), "without their run's identity"},
		{write("garbage", "not json\n"), "not a JSON record"},
		// A record of a newer format: a field this version does not know, under the same identity.
		{corrupt("newer", catvaeFixture, replace(`"seconds"`, `"joules":1,"seconds"`)), "newer format"},
		// Folders of moe and vq recognised by their first record, with a broken record, no finished run, a wrong type.
		{corrupt("moe-garbage", moeFixture, lines(func(l string) string { return strings.Replace(l, `"test_acc":`, `"test_acc`, 1) })), "not a valid record"},
		{corrupt("moe-unfinished", moeFixture, lines(func(l string) string {
			if strings.Contains(l, `"step":20,`) {
				return ""
			}
			return l
		})), "no finished run"},
		{corrupt("vq-wrong-type", vqFixture, replace(`"collapsed":false`, `"collapsed":"no"`)), "collapsed"},
	} {
		page, err := Build([]Input{{Dir: tc.dir}}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		s := page.Sections[0]
		if !strings.Contains(s.Problem, tc.want) || strings.Contains(s.Problem, "\n") {
			t.Errorf("%s: problem %q, want one line containing %q", filepath.Base(tc.dir), s.Problem, tc.want)
		}
		if len(s.Tables)+len(s.Verdict)+len(s.Figures) > 0 {
			t.Errorf("%s: a marked section shows results", filepath.Base(tc.dir))
		}
		if got := page.Problems(); len(got) != 1 || !strings.HasPrefix(got[0], tc.dir+": ") {
			t.Errorf("%s: Problems() = %q", filepath.Base(tc.dir), got)
		}
	}
	if _, err := Build([]Input{{Dir: filepath.Join(root, "missing")}}, Options{}); err == nil || !strings.Contains(err.Error(), "no such folder") {
		t.Errorf("a missing folder: %v, want an error saying so", err)
	}
}

// TestRenderEscapes renders a page whose results hold a script and checks that the script is text, everywhere it
// appears (tables, legends of the figures, the runs), and that the page loads nothing from elsewhere.
func TestRenderEscapes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), `<b>folder</b>`)
	catvaeFixture(t, dir)
	page, err := Build([]Input{{Dir: dir, Note: "<i>note</i>"}}, Options{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := page.Render(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"<script", "<b>folder", "<i>note", "src=", "href=\"http", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;", "&lt;b&gt;folder&lt;/b&gt;", "1970-01-01T00:00:00Z"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// In the SVG legend the script is escaped by the SVG writer.
	if !strings.Contains(html, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;</text>") {
		t.Errorf("the figure's legend does not hold the escaped name")
	}
}

// TestWriteIsAtomic checks that a page that cannot be written leaves what was there.
func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	catvaeFixture(t, filepath.Join(dir, "catvae"))
	page, err := Build([]Input{{Dir: filepath.Join(dir, "catvae")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("before"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := page.Write(path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</html>")) {
		t.Fatalf("the written page does not end with </html>")
	}
	if err := page.Write(filepath.Join(dir, "missing", "report.html")); err == nil {
		t.Errorf("writing into a missing folder succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the folder holds %d entries, want 2 (no temporary file left)", len(entries))
	}
}

// TestClaims checks the rules of the gradient lab's claims: each holds, fails or cannot tell as its rule says.
func TestClaims(t *testing.T) {
	order := func(slope string) []map[string]string {
		return []map[string]string{{"kind": "exact", "estimator": "reinmax", "h": "0.01", "rel_bias": "1e-4", "slope": slope}}
	}
	for _, tc := range []struct {
		slope, want string
	}{{"2.005", verdictHolds}, {"1.81", verdictHolds}, {"1.5", verdictFails}, {"nan", verdictUnclear}} {
		c := orderClaims(order(tc.slope))
		if len(c) != 1 || c[0].verdict != tc.want {
			t.Errorf("slope %s: %+v, want %s", tc.slope, c, tc.want)
		}
	}
	row := func(est, rb, lo, hi string) map[string]string {
		return map[string]string{"problem": "vae8x4", "estimator": est, "tau": "1", "rel_bias": rb, "rel_bias_lo": lo, "rel_bias_hi": hi}
	}
	for _, tc := range []struct {
		rm   map[string]string
		want string
	}{
		{row("reinmax", "0.26", "0.25", "0.27"), verdictHolds},
		{row("reinmax", "0.6", "0.55", "0.65"), verdictFails},
		{row("reinmax", "0.5", "0.45", "0.55"), verdictUnclear},
	} {
		c := closerClaims("vae8x4", []map[string]string{tc.rm, row("st", "0.52", "0.51", "0.53")})
		if len(c) != 1 || c[0].verdict != tc.want {
			t.Errorf("reinmax [%s, %s] against st [0.51, 0.53]: %+v, want %s", tc.rm["rel_bias_lo"], tc.rm["rel_bias_hi"], c, tc.want)
		}
	}
}

// TestRealLab reads the folder of a small real run of the gradient lab, so that the page follows the lab's files.
func TestRealLab(t *testing.T) {
	dir := t.TempDir()
	lab := gradlab.Lab{Problems: []gradlab.ProblemSpec{{Name: "quadratic"}, {Name: "net"}}, Estimators: []string{"st", "reinmax"},
		Taus: []float64{1, 1.5}, Config: gradlab.Config{Draws: 200, Seed: 1, Replicates: 100}, Order: true, OrderDraws: 200, Dir: dir}
	backend, err := experiments.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.Run(backend, nil); err != nil {
		t.Fatal(err)
	}
	page, err := Build([]Input{{Dir: dir}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := page.Sections[0]
	if s.Experiment != "gradlab" || s.Problem != "" {
		t.Fatalf("experiment %q, problem %q", s.Experiment, s.Problem)
	}
	// Two problems, the table of slopes; the quadratic and the two order claims; both figures.
	if len(s.Tables) != 3 || len(s.Verdict) != 1 || len(s.Verdict[0].Rows) != 3 || len(s.Figures) != 2 {
		t.Errorf("%d tables, %d verdict tables, %d figures (warnings %q); want 3, 1 of 3 claims, 2", len(s.Tables), len(s.Verdict), len(s.Figures), s.Warnings)
	}
	for _, c := range []string{"holds", "1.5"} {
		if !hasCell(s, c) {
			t.Errorf("no cell %q", c)
		}
	}
}

// TestHeadline checks the headline of a cell: ReinMax's value, the best of its runs when several settings carry its
// name, and the best other method's; ReinMax's variants under other names are other methods.
func TestHeadline(t *testing.T) {
	for _, tc := range []struct {
		scores []score
		lower  bool
		want   string
	}{
		{[]score{{"a", "st", 2}, {"a", "reinmax", 1}, {"a", "gst-1.0", 1.5}}, true, "a: reinmax 1.00, best other gst-1.0 1.50"},
		{[]score{{"a", "st", 2}, {"a", "reinmax", 1}}, false, "a: reinmax 1.00, best other st 2.00"},
		{[]score{{"a", "reinmax T=0.1", 3}, {"a", "reinmax T=0.01", 2}, {"a", "reinmax-rao", 1}, {"b", "ste", 4}}, true,
			"a: reinmax T=0.01 2.00, best other reinmax-rao 1.00; b: best other ste 4.00"},
		{[]score{{"a", "reinmax", math.NaN()}, {"a", "st", math.NaN()}, {"a", "stgs", 5}}, true, "a: reinmax NaN, best other stgs 5.00"},
	} {
		if got := headline(tc.scores, tc.lower, f2); got != tc.want {
			t.Errorf("headline(%v) = %q, want %q", tc.scores, got, tc.want)
		}
	}
}
