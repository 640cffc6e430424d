package lang

import (
	"fmt"
	"slices"
	"strings"
)

// maxUseDepth bounds how deeply use statements may nest, which also ends
// cycles that the path comparison misses, such as "a.in" and "./a.in".
const maxUseDepth = 100

// ExpandUses returns a copy of p in which every use statement is replaced
// by the statements of the file it names, recursively, so that a program
// and the files it uses can be checked as a whole before anything runs.
// read returns the contents of a file given the path as the program
// writes it. The statements of that file carry that path as their file
// name.
// Files that cannot be read, syntax errors in them and cycles of use
// statements are reported in the returned ErrorList.
func ExpandUses(p *Program, read func(path string) ([]byte, error), mode Mode) (*Program, error) {
	var errs ErrorList
	out := &Program{File: p.File}
	var expand func(stmts []Stmt, chain []string)
	expand = func(stmts []Stmt, chain []string) {
		for _, s := range stmts {
			u, ok := s.(*UseCmd)
			if !ok {
				out.Stmts = append(out.Stmts, s)
				continue
			}
			if slices.Contains(chain, u.Path) {
				errs.Add(u.PathPos, "use cycle: "+strings.Join(append(chain, u.Path), " uses "))
				continue
			}
			if len(chain) > maxUseDepth {
				errs.Add(u.PathPos, fmt.Sprintf("use statements nested more than %d deep", maxUseDepth))
				continue
			}
			src, err := read(u.Path)
			if err != nil {
				errs.Add(u.PathPos, fmt.Sprintf("cannot read %s: %v", u.Path, err))
				continue
			}
			sub, err := ParseFile(u.Path, src, mode)
			if l, ok := err.(ErrorList); ok {
				errs = append(errs, l...)
			}
			expand(sub.Stmts, append(slices.Clip(chain), u.Path))
		}
	}
	expand(p.Stmts, []string{p.File})
	errs.Sort()
	return out, errs.Err()
}
