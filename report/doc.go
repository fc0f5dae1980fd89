// Package report turns the results folders of the experiments into one self-contained web page: the paper in
// miniature. Per folder it shows what was run (the settings every run shares, the settings that differ, the
// seeds), the tables with the paper's numbers beside ours, the paired verdicts of ReinMax against each estimator,
// and the curves as inline SVG; a summary at the top gives one line per folder, and the provenance at the bottom
// names the build, the machine and the checksums of the data sets.
//
// A folder's experiment is recognised from its results file: a record's run identity is the hash of the
// experiment's name and the record's settings (experiments.ID), so the name that reproduces the identity is the
// experiment's. The gradient lab's folders (package gradlab) are recognised by their results.csv. A folder that
// cannot be shown (no results file, an unknown experiment, records this version cannot read) becomes a section
// marked as such, with the reason in one line; the page is still written, atomically.
//
// Every string that comes from a results file reaches the page through html/template, which escapes it; the
// figures are drawn by package plots from the numbers, never copied from the folder.
//
// The page of the committed results is made from the repository's root with
//
//	GOEXPERIMENT=simd go run -buildvcs=true ./cmd/reinmax report docs/poly/const docs/poly/successors docs/gradlab docs/gradlab/vae8x4/epochs10 docs/catvae docs/catvae/successors docs/bervae docs/listops docs/moe docs/vq --out docs/report.html
//
// (-buildvcs=true, so that the page's provenance names the commit even where go run or GOFLAGS leave it out of the
// binary), and `reinmax report --quick --out DIR` runs a miniature of the experiments into DIR and writes DIR/report.html.
package report // import "github.com/f60e9205/reinmax/report"
