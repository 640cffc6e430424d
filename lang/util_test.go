package lang

import (
	"fmt"
	"reflect"
)

var posType = reflect.TypeOf(Pos{})

// astDiff compares two syntax trees, ignoring positions, and describes
// the first difference, or returns "" when they are equal.
func astDiff(a, b any) string {
	return diffValue(reflect.ValueOf(a), reflect.ValueOf(b), "")
}

func diffValue(a, b reflect.Value, path string) string {
	if a.IsValid() != b.IsValid() {
		return path + ": one side is nil"
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + ": nil vs non-nil"
			}
			return ""
		}
		return diffValue(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		if a.Type() == posType {
			return ""
		}
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if d := diffValue(a.Field(i), b.Field(i), path+"."+f.Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d vs %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := diffValue(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface())
	}
	return ""
}

// sexpr prints an expression with every operation in parentheses, to
// show how the parser grouped it.
func sexpr(e Expr) string {
	switch e := e.(type) {
	case *IntLit:
		return fmt.Sprint(e.Value)
	case *Ident:
		return e.Name
	case *Unary:
		return "(" + e.Op.String() + " " + sexpr(e.X) + ")"
	case *Binary:
		return "(" + sexpr(e.X) + " " + e.Op.String() + " " + sexpr(e.Y) + ")"
	case *Rand:
		return "(rand " + sexpr(e.X) + ")"
	}
	return "?"
}

// parseOne parses src, which must contain exactly one statement.
func parseOne(src string) (Stmt, error) {
	p, err := ParseFile("", []byte(src), 0)
	if err != nil {
		return nil, err
	}
	if len(p.Stmts) != 1 {
		return nil, fmt.Errorf("got %d statements, want 1", len(p.Stmts))
	}
	return p.Stmts[0], nil
}
