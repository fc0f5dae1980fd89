package report

import (
	"fmt"
	"html/template"
	"os"
	"strings"
	"time"

	"github.com/f60e9205/reinmax/data/store"
)

// Page is the model of the report page.
type Page struct {
	Title      string
	Intro      string    // a paragraph under the title; "" for none
	Sections   []Section // each with its line of the summary at the top (Headline)
	Provenance Provenance
}

// Input is a results folder to show, with what the caller says about it (a miniature's budget, say).
type Input struct {
	Dir  string
	Note string
}

// Section is what the page shows of one results folder.
type Section struct {
	Anchor     string // the section's id on the page
	Experiment string // "poly", "catvae", "bervae", "listops", "moe", "vq", "gradlab"; "" when unknown
	Title      string
	Dir        string
	// Problem, when not empty, says in one line why the folder cannot be shown; the section is then marked and
	// holds nothing else but the note.
	Problem string
	About   string // what the experiment is and what the paper reports
	Note    string // Input.Note
	Made    string // when the results file was last written
	Runs    Runs
	Tables  []Table  // our numbers, the paper's beside them
	Verdict []Table  // paired comparisons and claims, one verdict per row
	Figures []Figure // curves
	// Warnings are things the section could not show (a figure that cannot be drawn), one line each.
	Warnings []string
	Headline Headline
	datasets []store.Dataset // the data sets the runs read, for the provenance
}

// ResultsHeading heads the section's tables: it names the paper's numbers only when a table holds some.
func (s Section) ResultsHeading() string {
	for _, t := range s.Tables {
		for _, r := range t.Rows {
			for _, c := range r {
				if c.Class == "paper" {
					return "Results, the paper's beside ours"
				}
			}
		}
	}
	return "Results"
}

// Headline is a section's line in the summary at the top of the page.
type Headline struct {
	Ours  string // our headline numbers
	Paper string // the paper's
	Tally Tally  // the verdicts of the section
}

// Tally counts the verdicts of a section: ReinMax (or the paper's claim) ahead, behind, or undecided.
type Tally struct{ Ahead, Behind, Unclear int }

func (t *Tally) add(verdict string) {
	switch verdict {
	case verdictAhead, verdictHolds:
		t.Ahead++
	case verdictBehind, verdictFails:
		t.Behind++
	default:
		t.Unclear++
	}
}

// String reads e.g. "2 as the paper, 1 against the paper, 3 cannot tell", leaving out zeros, or "none".
func (t Tally) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{t.Ahead, "as the paper"}, {t.Behind, "against the paper"}, {t.Unclear, "cannot tell"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// The verdicts a row of a verdict table can carry: those of results.Paired.Verdict, from ReinMax's side, and
// those of a claim checked against a stated rule.
const (
	verdictAhead   = "ahead"
	verdictBehind  = "behind"
	verdictUnclear = "cannot tell"
	verdictHolds   = "holds"
	verdictFails   = "does not hold"
)

// Runs describes the runs of a results folder from the settings their records carry.
type Runs struct {
	Text       string // how many runs, in a sentence
	Finished   int
	Unfinished int       // runs with records but no final record (interrupted, or running)
	Common     []Setting // settings every finished run shares
	Columns    []string  // the settings that differ between finished runs but the seed, then "seeds"
	Rows       [][]string
}

// Setting is a name and its value, as a run's settings record them.
type Setting struct{ Name, Value string }

// Table is a table of the page: a caption, a header and rows of cells.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]Cell
}

// Cell is a table cell. Class styles it: "paper" for the paper's numbers, a verdict for the verdict column, "" for
// ours.
type Cell struct {
	Text  string
	Class string
}

// Figure is a figure of the page: an SVG drawn by package plots, and its caption.
type Figure struct {
	Caption string
	SVG     template.HTML
}

// Options set what a page says besides its folders.
type Options struct {
	Title string // default "ReinMax for Go: the paper in miniature"
	Intro string
	// Made, when set, says when and how the results were made, for the provenance (e.g. "by this binary, just
	// now"); otherwise the page gives each results file's modification time.
	Made string
	Now  func() time.Time // the clock; nil for time.Now
}

// Build reads the results folders of inputs and returns the page. A folder that does not exist is an error; a
// folder that exists but cannot be shown becomes a marked section (Section.Problem).
func Build(inputs []Input, opt Options) (*Page, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("report: no results folder given")
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	page := &Page{Title: opt.Title, Intro: opt.Intro}
	if page.Title == "" {
		page.Title = "ReinMax for Go: the paper in miniature"
	}
	for i, in := range inputs {
		fi, err := os.Stat(in.Dir)
		if err != nil {
			return nil, fmt.Errorf("report: %s: no such folder", in.Dir)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("report: %s is a file, not a results folder", in.Dir)
		}
		s := readSection(in.Dir)
		s.Anchor = fmt.Sprintf("s%d-%s", i+1, anchorName(s.Experiment))
		s.Note = in.Note
		page.Sections = append(page.Sections, s)
	}
	page.Provenance = provenance(page.Sections, opt.Made, now())
	return page, nil
}

// Problems returns the one-line problems of the page's marked sections, each naming its folder.
func (p *Page) Problems() []string {
	var out []string
	for _, s := range p.Sections {
		if s.Problem != "" {
			out = append(out, s.Dir+": "+s.Problem)
		}
	}
	return out
}

func anchorName(experiment string) string {
	if experiment == "" {
		return "unknown"
	}
	return experiment
}
