package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/f60e9205/reinmax/experiments"
)

// kind is an experiment the page knows how to show.
type kind struct {
	name  string // the experiment's command name, part of every run identity
	title string
	about string
	// read fills the section from the folder's results; an error marks the section.
	read func(dir string, s *Section) error
}

// kinds are the experiments whose results files the page shows. An experiment added to the project gets an entry
// here and a file with its read function.
var kinds = []kind{polyKind, catvaeKind, bervaeKind, listopsKind, moeKind, vqKind}

// kindNames lists the names of kinds, for messages.
func kindNames() string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.name)
	}
	return strings.Join(names, ", ")
}

// readSection recognises the experiment of the results folder dir and reads it into a section; a folder that
// cannot be shown gives a section with its Problem set.
func readSection(dir string) Section {
	s := Section{Dir: dir, Title: dir}
	k, err := detect(dir)
	if err != nil {
		s.Problem = err.Error()
		return s
	}
	s.Experiment, s.Title, s.About = k.name, k.title, k.about
	s.Made = madeAt(dir, k)
	if err := k.read(dir, &s); err != nil {
		s.Problem = err.Error()
		s.Runs, s.Tables, s.Verdict, s.Figures, s.Headline = Runs{}, nil, nil, nil, Headline{}
	}
	return s
}

// detect returns the kind of the results folder dir: the experiment whose name, hashed with the settings of the
// results file's first record, gives the record's run identity; or the gradient lab, recognised by its results.csv.
func detect(dir string) (kind, error) {
	first, err := firstRecord(filepath.Join(dir, experiments.ResultsFile))
	if errors.Is(err, fs.ErrNotExist) {
		if isGradlab(dir) {
			return gradlabKind, nil
		}
		return kind{}, fmt.Errorf("no results file (%s): %s", experiments.ResultsFile, listing(dir))
	}
	if err != nil {
		return kind{}, err
	}
	if first == nil {
		return kind{}, fmt.Errorf("%s holds no record", filepath.Join(dir, experiments.ResultsFile))
	}
	if _, ok := first["problem"]; ok && first["run"] == nil {
		return gradlabKind, nil // the lab's results.jsonl beside its results.csv
	}
	var run string
	if err := json.Unmarshal(first["run"], &run); err != nil || run == "" || first["settings"] == nil {
		return kind{}, fmt.Errorf("%s holds records without their run's identity (written by an older reinmax): "+
			"stamp them with 'reinmax EXPERIMENT --migrate --out %s' and the flags that made them", filepath.Join(dir, experiments.ResultsFile), dir)
	}
	for _, k := range kinds {
		if id, err := experiments.ID(k.name, first["settings"]); err == nil && id == run {
			return k, nil
		}
	}
	return kind{}, fmt.Errorf("results of an experiment this reinmax does not know: run %s matches none of %s (made by a newer reinmax?)", run, kindNames())
}

// firstRecord returns the top-level fields of the first record of the JSON-lines file at path, nil for a file
// without records, or an error wrapping fs.ErrNotExist when there is no file.
func firstRecord(path string) (map[string]json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(text, &m); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON record: %v", path, line, err)
		}
		return m, nil
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return nil, nil
}

// listing says which files a folder holds, for the message of a folder without results: "the folder holds only
// a.csv, b.md" or "the folder is empty".
func listing(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "the folder is empty"
	}
	slices.Sort(names)
	const most = 8
	if len(names) > most {
		names = append(names[:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	return "the folder holds only " + strings.Join(names, ", ")
}

// madeAt says when the results file of dir was made: the time of the commit that last changed it, when it is a
// file of a git repository unchanged since, otherwise its modification time (which a fresh checkout resets).
func madeAt(dir string, k kind) string {
	name := experiments.ResultsFile
	if k.name == gradlabKind.name {
		name = gradlabResults
	}
	if t := committedAt(dir, name); t != "" {
		return t + " (" + name + " last committed)"
	}
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return fi.ModTime().UTC().Format(time.RFC3339) + " (" + name + " last modified)"
}

// committedAt returns the commit time of the last commit that changed the file name of dir, or "" when git cannot
// tell (no git, not a repository, an untracked file) or the file has changed since.
func committedAt(dir, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	git := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	if changed, err := git("status", "--porcelain", "--", name); err != nil || changed != "" {
		return ""
	}
	t, err := git("log", "-1", "--format=%cI", "--", name)
	if err != nil || t == "" {
		return ""
	}
	if parsed, err := time.Parse(time.RFC3339, t); err == nil {
		return parsed.UTC().Format(time.RFC3339)
	}
	return t
}

// wrapRead marks an error of reading a results file that names a field this version does not know as the sign of
// a newer format.
func wrapRead(err error) error {
	if err != nil && strings.Contains(err.Error(), "unknown field") {
		return fmt.Errorf("%v (a record of a newer format: made by a newer reinmax?)", err)
	}
	return err
}
