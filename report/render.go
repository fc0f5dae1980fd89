package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"

	"github.com/f60e9205/reinmax/internal/atomicfile"
)

//go:embed page.html
var pageHTML string

// pageTemplate lays a Page out; html/template escapes every string of the page for its context.
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Render writes the page as one self-contained HTML document: styles and figures inline, nothing loaded from
// elsewhere.
func (p *Page) Render(w io.Writer) error {
	return pageTemplate.Execute(w, p)
}

// Write renders the page into the file path atomically: the file is the whole page or, on an error, what it was
// before.
func (p *Page) Write(path string) error {
	var buf bytes.Buffer
	if err := p.Render(&buf); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}
