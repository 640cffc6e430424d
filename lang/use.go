package lang

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// maxUseDepth bounds how deeply use statements may nest, which also ends
// cycles that the path comparison misses, such as "a.in" and "./a.in".
const maxUseDepth = 100

// maxUseFiles bounds how many files the use statements of one program may
// read in all. Without it, files that each use the next one twice would
// expand exponentially within the depth bound.
const maxUseFiles = 10000

// ExpandUses returns a copy of p in which every use statement is replaced
// by the statements of the file it names, recursively, so that a program
// and the files it uses can be checked as a whole before anything runs.
// read returns the contents of a file. A relative path is read as
// written and, if that fails, relative to the directory of the file that
// contains the use statement (p.File for the program itself). The
// statements of a used file carry the path it was read from as their
// file name, and cycles are found by comparing those paths.
// Files that cannot be read, syntax errors in them and cycles of use
// statements are reported in the returned ErrorList.
func ExpandUses(p *Program, read func(path string) ([]byte, error), mode Mode) (*Program, error) {
	var errs ErrorList
	out := &Program{File: p.File}
	files := 0 // files read so far
	// dir is the directory of the file the statements come from.
	var expand func(stmts []Stmt, chain []string, dir string)
	expand = func(stmts []Stmt, chain []string, dir string) {
		for _, s := range stmts {
			u, ok := s.(*UseCmd)
			if !ok {
				out.Stmts = append(out.Stmts, s)
				continue
			}
			if len(chain) > maxUseDepth {
				errs.Add(u.PathPos, fmt.Sprintf("use statements nested more than %d deep", maxUseDepth))
				continue
			}
			if files++; files > maxUseFiles {
				if files == maxUseFiles+1 {
					errs.Add(u.PathPos, fmt.Sprintf("use statements read more than %d files; a file used from many places is read each time", maxUseFiles))
				}
				continue
			}
			resolved := u.Path
			src, err := read(resolved)
			if err != nil && !filepath.IsAbs(u.Path) && dir != "" && dir != "." {
				if alt, err2 := read(filepath.Join(dir, u.Path)); err2 == nil {
					resolved, src, err = filepath.Join(dir, u.Path), alt, nil
				}
			}
			if err != nil {
				errs.Add(u.PathPos, fmt.Sprintf("cannot read %s: %v", u.Path, err))
				continue
			}
			resolved = filepath.Clean(resolved)
			if slices.Contains(chain, resolved) {
				errs.Add(u.PathPos, "use cycle: "+strings.Join(append(chain, resolved), " uses "))
				continue
			}
			// Positions name the file as it was opened, so that an error
			// in a used file can be found from where the program ran.
			sub, err := ParseFile(resolved, src, mode)
			if l, ok := err.(ErrorList); ok {
				errs = append(errs, l...)
			}
			expand(sub.Stmts, append(slices.Clip(chain), resolved), filepath.Dir(resolved))
		}
	}
	expand(p.Stmts, []string{filepath.Clean(p.File)}, filepath.Dir(p.File))
	errs.Sort()
	return out, errs.Err()
}
