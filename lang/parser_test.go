package lang

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// printTests lists statements and their canonical form. The canonical
// form must parse to the same tree (see TestPrintRoundTrip).
var printTests = []struct {
	src, want string
}{
	// Nets and terms.
	{"x~A;", "x ~ A;"},
	{"inc(r)~S(S(Z));", "inc(r) ~ S(S(Z));"},
	{"f()~A();", "f() ~ A();"},
	{"x ~ (y);", "x ~ y;"},
	{"x ~ ((A(y)));", "x ~ A(y);"},
	{"x ~ ();", "x ~ ();"},
	{"(a,b) ~ (1,(2,3),4);", "(a, b) ~ (1, (2, 3), 4);"},
	{"x ~ [];", "x ~ [];"},
	{"x ~ [1,2 , 3];", "x ~ [1, 2, 3];"},
	{"x ~ [h|t];", "x ~ h:t;"},
	{"x ~ [h | [a, b]];", "x ~ h:[a, b];"},
	{"x ~ a:b:c;", "x ~ a:b:c;"},
	{"x ~ a:(b:c);", "x ~ a:b:c;"},
	{"x ~ [a | b:c];", "x ~ a:b:c;"},
	{"x ~ (a:b):c;", "x ~ (a:b):c;"},
	{"x ~ n+1:xs;", "x ~ n + 1:xs;"},
	{"x ~ %inc, y ~ %Sub;", "x ~ %inc, y ~ %Sub;"},
	{"x ~ 5, y ~ -5, z ~ 3+4*2;", "x ~ 5, y ~ -5, z ~ 3 + 4 * 2;"},
	{"x ~ (n - 1) * 2;", "x ~ (n - 1) * 2;"},
	{"x ~ (N) + 1;", "x ~ N + 1;"},
	{"x ~ -9223372036854775808;", "x ~ -9223372036854775808;"},
	{"x ~ -009223372036854775808;", "x ~ -9223372036854775808;"},
	{"x ~ 009223372036854775807;", "x ~ 9223372036854775807;"},
	{"x ~ 9223372036854775807;", "x ~ 9223372036854775807;"},
	{"x ~ N;", "x ~ N;"},
	{"r << Add(3, 4);", "r << Add(3, 4);"},
	{"a,b<<Agent(x,y,z);", "a, b << Agent(x, y, z);"},
	{"<< A(x);", "<< A(x);"},
	{"r << (*L) A(x);", "r << (*L)A(x);"},
	{"r << inc(5);", "r << inc(5);"},
	{"x ~ A where a=1 b=a+1;", "x ~ A where a = 1 b = a + 1;"},
	{"x ~ A where;", "x ~ A where;"},
	{"let a=1;b=2 in x~A(a,b) end;", "let a = 1; b = 2 in x ~ A(a, b) end;"},
	{"let a=1; in x~a end;", "let a = 1 in x ~ a end;"},
	{"let in x~y end;", "let in x ~ y end;"},
	{"{a=1;b=2;} x~A(a,b);", "{ a = 1; b = 2 } x ~ A(a, b);"},
	{"{} x~y;", "{ } x ~ y;"},
	{"x ~ (*L)A, y ~ (*R)(a,b), z ~ (*R)[1], w ~ (*R)[h|t], v ~ (*L)(h:t);",
		"x ~ (*L)A, y ~ (*R)(a, b), z ~ (*R)[1], w ~ (*R)(h:t), v ~ (*L)(h:t);"},
	{"x ~ a:(*R)(b:c);", "x ~ a:(*R)(b:c);"},

	// Rules.
	{"inc(r)><Z=>r~S(Z);", "inc(r) >< Z => r ~ S(Z);"},
	{"A >< B =>;", "A >< B =>;"},
	{"(int x) >< A(r) => r ~ x;", "(int x) >< A(r) => r ~ x;"},
	{"int x >< A(r) => r ~ x;", "(int x) >< A(r) => r ~ x;"},
	{"Get(r, int b) >< Go => r ~ b;", "Get(r, int b) >< Go => r ~ b;"},
	{"f(r) >< (int x):xs => r ~ x:xs;", "f(r) >< (int x):xs => r ~ x:xs;"},
	{"f(r) >< [x|xs] => r ~ x:xs;", "f(r) >< x:xs => r ~ x:xs;"},
	{"g(r) >< (int a,int b) => r ~ a+b;", "g(r) >< (int a, int b) => r ~ a + b;"},
	{"g(r) >< () => r ~ 0;", "g(r) >< () => r ~ 0;"},
	{"h(r) >< [] => r ~ [];", "h(r) >< [] => r ~ [];"},
	{"show(r) >< v => r ~ v;", "show(r) >< v => r ~ v;"},
	{"f(r) >< Cons(x, xs) => r ~ x:xs;", "f(r) >< Cons(x, xs) => r ~ x:xs;"},
	{"fib(r)><(int n)|n==0=>r~0|n==1=>r~1|_=>fib(a)~n-1,fib(b)~n-2,Add(r,b)~a;",
		"fib(r) >< (int n) | n == 0 => r ~ 0 | n == 1 => r ~ 1 | _ => fib(a) ~ n - 1, fib(b) ~ n - 2, Add(r, b) ~ a;"},
	{"A(r)><B(int a, int b) | a==1 => | b==0 => r~10 | _ => | a+b>10 => r~20 | _ => r~2000 | _ => r~100;",
		"A(r) >< B(int a, int b) | a == 1 => | b == 0 => r ~ 10 | _ => | a + b > 10 => r ~ 20 | _ => r ~ 2000 | _ => r ~ 100;"},
	{"f(r) >< (int n) => if n > 0 then r ~ n else if n < 0 then r ~ -n else r ~ 0;",
		"f(r) >< (int n) => if n > 0 then r ~ n else if n < 0 then r ~ -n else r ~ 0;"},
	{"f(r) >< (int n) | n > 0 => r ~ m where m = n * 2 | _ => r ~ 0;",
		"f(r) >< (int n) | n > 0 => r ~ m where m = n * 2 | _ => r ~ 0;"},
	{"gcd(r)><(int a,int b)|b==0=>r~a|_=>(*L)gcd(r)~(*R)(b,a%b);",
		"gcd(r) >< (int a, int b) | b == 0 => r ~ a | _ => (*L)gcd(r) ~ (*R)(b, a % b);"},

	// Commands.
	{"x y  z;", "x y z;"},
	{"x;", "x;"},
	{"ifce;", "ifce;"},
	{"interface;", "interface;"},
	{"free x y;", "free x y;"},
	{"free ifce;", "free ifce;"},
	{"free interface;", "free interface;"},
	{"free;", "free;"},
	{"prnat x;", "prnat x;"},
	{`use "lib/a \"b\".in";`, `use "lib/a \"b\".in";`},
	{"const N=10;", "const N = 10;"},
	{"const M = -N * 2;", "const M = -N * 2;"},
	{"memstat;", "memstat;"},
	{"exit;", "exit;"},
}

func TestParsePrint(t *testing.T) {
	for _, tt := range printTests {
		s, err := parseOne(tt.src)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("%s\ngot  %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestPrintRoundTrip(t *testing.T) {
	for _, tt := range printTests {
		s1, err := parseOne(tt.src)
		if err != nil {
			continue // reported by TestParsePrint
		}
		s2, err := parseOne(s1.String())
		if err != nil {
			t.Errorf("%s: reparsing %q: %v", tt.src, s1.String(), err)
			continue
		}
		if d := astDiff(s1, s2); d != "" {
			t.Errorf("%s: tree changed after printing as %q: %s", tt.src, s1.String(), d)
		}
	}
}

// precedenceTests follow the precedence of the language. From loosest
// to tightest, the levels are == and !=, then and, or and prefix not (one
// level, grouping to the left), then < <= > >=, then + -, then * / %
// (whose right operand is a primary), then unary minus on a primary.
var precedenceTests = []struct {
	src   string
	tree  string
	value int64
}{
	{"1 or 0 and 0", "((1 or 0) and 0)", 0},
	{"2 == 2 and 3", "(2 == (2 and 3))", 0},
	{"not 0 + 1", "(not (0 + 1))", 0},
	{"7 - -2 * 3", "(7 - ((- 2) * 3))", 13},
	{"2 * (-3)", "(2 * (- 3))", -6},
	{"1 + 2 * 3", "(1 + (2 * 3))", 7},
	{"10 - 4 - 3", "((10 - 4) - 3)", 3},
	{"2 * 3 % 4", "((2 * 3) % 4)", 2},
	{"1 < 2 == 1", "((1 < 2) == 1)", 1},
	{"1 < 2 and 3 > 2", "((1 < 2) and (3 > 2))", 1},
	{"not 1 == 0", "((not 1) == 0)", 1},
	{"not 0 and 0", "((not 0) and 0)", 0},
	{"0 and not 0", "(0 and (not 0))", 0},
	{"1 == not 0", "(1 == (not 0))", 1},
	{"not not 5", "(not (not 5))", 1},
	{"! 3 || 1 && 0", "(((not 3) or 1) and 0)", 0},
	{"-7 / 2", "((- 7) / 2)", -3},
	{"-7 % 2", "((- 7) % 2)", -1},
	{"-(1 + 2) * 2", "((- (1 + 2)) * 2)", -6},
	{"3 >= 3 != 0", "((3 >= 3) != 0)", 1},
	{"5 <= 4", "(5 <= 4)", 0},
	{"-9223372036854775808 - 1", "(-9223372036854775808 - 1)", 9223372036854775807},
	{"9223372036854775807 + 1", "(9223372036854775807 + 1)", -9223372036854775808},
	{"-9223372036854775808 / (-1)", "(-9223372036854775808 / (- 1))", -9223372036854775808},
	// and/or do not evaluate the right operand when the left one decides,
	// as in rules.
	{"0 and 1 / 0", "(0 and (1 / 0))", 0},
	{"2 or 5 % 0", "(2 or (5 % 0))", 1},
}

func TestPrecedence(t *testing.T) {
	for _, tt := range precedenceTests {
		s, err := parseOne("const X = " + tt.src + ";")
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		e := s.(*ConstDecl).Value
		if got := sexpr(e); got != tt.tree {
			t.Errorf("%s: grouped as %s, want %s", tt.src, got, tt.tree)
		}
		v, cerr := evalConst(e, func(string) (int64, bool) { return 0, false })
		if cerr != nil {
			t.Errorf("%s: %v", tt.src, cerr)
		} else if v != tt.value {
			t.Errorf("%s = %d, want %d", tt.src, v, tt.value)
		}
	}
}

// syntaxErrorTests list inputs with the position and a part of the first
// error message.
var syntaxErrorTests = []struct {
	src, pos, msg string
}{
	{"const X = 2 * -3;", "1:15", "expected integer expression, found '-'"},
	{"x ~ A @;", "1:7", "invalid character \"@\""},
	{"x ~ A", "1:6", "expected ';' after net, found end of input"},
	{"x ~ A y;", "1:7", "expected ';' after net, found name y"},
	{"x ~ ;", "1:5", "expected term, found ';'"},
	{"x ~ A(y;", "1:8", "expected ')' to close '(' at 1:6, found ';'"},
	{"x ~ [1, 2 | t];", "1:11", "only one element may come before '|'"},
	{"x ~ 99999999999999999999;", "1:5", "integer 99999999999999999999 out of range"},
	{"x ~ -9223372036854775809;", "1:6", "out of range"},
	{"x ~ 9223372036854775808;", "1:5", "out of range"},
	{"x ~ A(y) + 1;", "1:10", "expected integer expression before '+', found agent A"},
	{"x ~ (a, b) * 2;", "1:12", "expected integer expression before '*', found a tuple of 2 elements"},
	{"x ~ 1 < not 2;", "1:9", "expected integer expression, found 'not'"},
	{"x, y ~ z;", "1:6", "expected '<<' after a list of terms, found '~'"},
	{"r << A;", "1:6", "expected agent with arguments after '<<', found agent A"},
	{"r << A();", "1:6", "expected at least one argument in A()"},
	{"x ~ (*L)y;", "1:5", "expected an agent, a tuple or a list after a reuse annotation, found name y"},
	{"A(B(x)) >< C => x ~ x;", "1:3", "expected a name or int x as an argument in a rule pattern, found agent B"},
	{"A(x) >< 5 => x ~ x;", "1:9", "expected an agent, (int x) or a name as a side of a rule, found integer 5"},
	{"A(x) >< [a, b] => x ~ x;", "1:9", "a list in a rule pattern must be []"},
	{"A(x) >< a:b:c => x ~ x;", "1:9", "a cons in a rule pattern must be a head and a tail"},
	{"(*L)A(x) >< B => x ~ x;", "1:1", "reuse annotations belong in rule bodies"},
	{"A >< B;", "1:7", "expected '=>' or '|' after the rule's agents, found ';'"},
	{"A >< B | x > 0 r ~ 1;", "1:16", "expected '=>' after guard condition, found name r"},
	{"A >< B => if 1 then x ~ y;", "1:26", "expected 'else' after then branch, found ';'"},
	{"let a = 1 x ~ a end;", "1:11", "expected 'in' after let bindings, found name x"},
	{"let a = 1 in x ~ a;", "1:19", "expected 'end' to close 'let' at 1:1, found ';'"},
	{"{ a = 1 x ~ a;", "1:9", "expected '}' to close '{' at 1:1, found name x"},
	{"const n = 1;", "1:7", "constant names start with an upper-case letter, found name n"},
	{"const N 1;", "1:9", "expected '=' after constant name, found integer 1"},
	{"prnat;", "1:6", "expected name after prnat, found ';'"},
	{"use x;", "1:5", "expected string after use, found name x"},
	{"free x 1;", "1:8", "expected name or ';' in free, found integer 1"},
	{"x y 1;", "1:5", "expected ';' after names to print, found integer 1"},
	// A print command without its ';' is reported at the end of its line.
	{"x ~ A; x", "1:9", "expected ';' after names to print, found end of input"},
	{"x ~ A; x\n", "1:9", "expected ';' after names to print, found end of input"},
	{"x\ny ~ B;", "1:2", "expected ';' after names to print, found name y at 2:1"},
	{"x y\nz ~ B;", "1:4", "expected ';' after names to print, found name z at 2:1"},
	{"x\ny\nz << Inc(1);", "2:2", "expected ';' after names to print, found name z at 3:1"},
	{"free x\ny ~ B;", "1:7", "expected ';' after free, found name y at 2:1"},
	{"free x\n", "1:7", "expected ';' after free, found end of input"},
	{"free\ny ~ B;", "1:5", "expected ';' after free, found name y at 2:1"},
	{"free ifce\ny ~ B;", "1:10", "expected ';' after free, found name y at 2:1"},
	{"free ifce y;", "1:11", "expected ';' after free ifce, found name y"},
	{"use \"a.in\"\nx ~ B;", "1:11", "expected ';' after use \"file\", found name x at 2:1"},
	{"use \"a.in\"\n", "1:11", "expected ';' after use \"file\", found end of input"},
	{"use \"a.in\" x ~ B;", "1:12", "expected ';' after use \"file\", found name x"},
	{"exit now;", "1:6", "expected ';' after exit, found name now"},
	{") ~ x;", "1:1", "expected rule, net or command, found ')'"},
	{"x ~ _;", "1:5", "expected term, found '_'"},
	{"x ~ _y;", "1:5", "invalid identifier _y: identifiers cannot start with '_'"},
	{"A(r) >< B -> r ~ 1;", "1:11", "invalid operator '->': a rule's arrow is '=>'"},
	{"A(r) >< (int n)\n| n == 0 -> r ~ n\n| _ => r ~ 1;", "2:10", "invalid operator '->': a rule's arrow is '=>'"},
	{"A(r) <> B => r ~ 1;", "1:6", "invalid operator '<>': a rule's two agents are joined by '><', and not equal is '!='"},
	{"A(r) >< (int n)\n| n <> 0 => r ~ n\n| _ => r ~ 1;", "2:5", "invalid operator '<>'"},
	{"x ~ %1;", "1:6", "expected agent name after '%', found integer 1"},
	{"x ~ int 3;", "1:9", "expected name after int, found integer 3"},
	{"x ~ rand 3;", "1:10", "expected '(' after rand, found integer 3"},
	{"x ~ A where a = ;", "1:17", "expected integer expression, found ';'"},
	{"x ~ A(B(C);\ny ~ D;", "1:11", "expected ')' to close '(' at 1:6, found ';'"},
	{"x ~ A;\n@@@ ~~ )(\n", "2:1", "invalid character \"@\""},
	{"x ~ A;\n/* open\n", "2:1", "comment not terminated"},
}

func TestSyntaxErrors(t *testing.T) {
	for _, tt := range syntaxErrorTests {
		_, err := ParseFile("", []byte(tt.src), 0)
		var list ErrorList
		if !errors.As(err, &list) {
			t.Errorf("%q: got %v, want an ErrorList", tt.src, err)
			continue
		}
		first := list[0]
		if got := first.Pos.String(); got != tt.pos {
			t.Errorf("%q: error at %s, want %s (%s)", tt.src, got, tt.pos, first.Msg)
		}
		if !strings.Contains(first.Msg, tt.msg) {
			t.Errorf("%q: message %q does not contain %q", tt.src, first.Msg, tt.msg)
		}
	}
}

// TestPrintAcrossLines checks that names to print may still span lines
// when nothing but names and the ';' follow them.
func TestPrintAcrossLines(t *testing.T) {
	for _, src := range []string{"x\ny\nz;", "x y\nz\n;"} {
		s, err := parseOne(src)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if cmd, ok := s.(*PrintCmd); !ok || len(cmd.Names) != 3 {
			t.Errorf("%q: got %#v, want a print command of 3 names", src, s)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := ParseFile("prog.in", []byte("x ~ A\n"), 0)
	want := "prog.in:1:6: expected ';' after net, found end of input"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos != (Pos{File: "prog.in", Line: 1, Col: 6}) {
		t.Errorf("errors.As gives %v", e)
	}
}

func TestErrorListSummary(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Errorf("empty list: Err() = %v, want nil", l.Err())
	}
	if got, want := l.Error(), "no errors or warnings"; got != want {
		t.Errorf("empty list: Error() = %q, want %q", got, want)
	}
	l.Add(Pos{File: "f", Line: 3, Col: 1}, "third")
	l.Add(Pos{File: "f", Line: 1, Col: 4}, "first")
	l.Add(Pos{File: "f", Line: 1, Col: 9}, "same line")
	l.Add(Pos{}, "nowhere")
	l.RemoveMultiples()
	if got, want := l.Error(), "nowhere (and 2 more errors)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := l[1].Error(), "f:1:4: first"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (ErrorList{l[1], l[2]}).Error(); got != "f:1:4: first (and 1 more error)" {
		t.Errorf("got %q", got)
	}
	for _, tt := range []struct {
		pos  Pos
		want string
	}{
		{Pos{File: "a.in", Line: 2, Col: 3}, "a.in:2:3"},
		{Pos{File: "a.in", Line: 2}, "a.in:2"},
		{Pos{File: "a.in"}, "a.in"},
		{Pos{Line: 2, Col: 3}, "2:3"},
		{Pos{}, "-"},
	} {
		if got := tt.pos.String(); got != tt.want {
			t.Errorf("%#v: got %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestErrorLimit(t *testing.T) {
	src := strings.Repeat("x ~ ;\n", 15)
	_, err := ParseFile("", []byte(src), 0)
	list := err.(ErrorList)
	if n := len(list); n != 11 {
		t.Errorf("default mode: %d errors, want 10 and a note that the rest were not checked", n)
	}
	if last := list[len(list)-1]; !strings.Contains(last.Msg, "too many errors") {
		t.Errorf("last error %q, want the too-many-errors note", last.Msg)
	}
	_, err = ParseFile("", []byte(src), AllErrors)
	if n := len(err.(ErrorList)); n != 15 {
		t.Errorf("AllErrors: %d errors, want 15", n)
	}
	_, err = ParseFile("", []byte("x ~ ; y ~ ; z ~ ;\nw ~ ;"), 0)
	if n := len(err.(ErrorList)); n != 2 {
		t.Errorf("one error per line: got %d errors, want 2: %v", n, err)
	}
}

func TestRecoveryAfterError(t *testing.T) {
	src := "x ~ ;\nlet a = @; b = 2 in y ~ A(a, b) end;\nz ~ B;\nA(x) >< ;\nw ~ C;\n"
	p, err := ParseFile("", []byte(src), AllErrors)
	list := err.(ErrorList)
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Pos.Line)
	}
	if len(list) != 4 || lines[0] != 1 || lines[1] != 2 || lines[3] != 4 {
		t.Errorf("errors on lines %v, want 1, 2, 2, 4: %v", lines, err)
	}
	var got []string
	for _, s := range p.Stmts {
		got = append(got, s.String())
	}
	if want := "z ~ B; w ~ C;"; strings.Join(got, " ") != want {
		t.Errorf("statements kept: %q, want %q", got, want)
	}
}

func TestRuleSides(t *testing.T) {
	s, err := parseOne("Get(r, int b) >< Go => r ~ b;")
	if err != nil {
		t.Fatal(err)
	}
	r := s.(*Rule)
	if r.Left.Kind != PatAgent || r.Left.Agent != "Get" || len(r.Left.Ports) != 2 {
		t.Fatalf("left side: %+v", r.Left)
	}
	if p := r.Left.Ports[0]; p.Name != "r" || p.Attr {
		t.Errorf("port 0: %+v, want name r", p)
	}
	if p := r.Left.Ports[1]; p.Name != "b" || !p.Attr {
		t.Errorf("port 1: %+v, want attribute b", p)
	}

	s, err = parseOne("(int x) >< A(r) => r ~ x;")
	if err != nil {
		t.Fatal(err)
	}
	r = s.(*Rule)
	if r.Left.Kind != PatInt || len(r.Left.Ports) != 1 || r.Left.Ports[0].Name != "x" || !r.Left.Ports[0].Attr {
		t.Errorf("left side: %+v, want (int x)", r.Left)
	}
	if r.Right.Kind != PatAgent || r.Right.Agent != "A" {
		t.Errorf("right side: %+v, want A(r)", r.Right)
	}

	for _, tt := range []struct {
		side, agent string
		ports       string
	}{
		{"(int x):xs", "Cons", "int x, xs"},
		{"[h | t]", "Cons", "h, t"},
		{"[]", "Nil", ""},
		{"()", "Tuple0", ""},
		{"(int a, int b)", "Tuple2", "int a, int b"},
		{"(a, b, c, d, e)", "Tuple5", "a, b, c, d, e"},
		{"f(r, int k)", "f", "r, int k"},
	} {
		s, err := parseOne("Q(q) >< " + tt.side + " => q ~ Z;")
		if err != nil {
			t.Errorf("%s: %v", tt.side, err)
			continue
		}
		pat := s.(*Rule).Right
		var ports []string
		for _, p := range pat.Ports {
			if p.Attr {
				ports = append(ports, "int "+p.Name)
			} else {
				ports = append(ports, p.Name)
			}
		}
		if pat.Kind != PatAgent || pat.Agent != tt.agent || strings.Join(ports, ", ") != tt.ports {
			t.Errorf("%s: agent %s ports %q, want %s ports %q", tt.side, pat.Agent, ports, tt.agent, tt.ports)
		}
	}

	s, err = parseOne("show(r) >< v => r ~ v;")
	if err != nil {
		t.Fatal(err)
	}
	if right := s.(*Rule).Right; right.Kind != PatWildcard || right.Wildcard.Name != "v" {
		t.Errorf("wildcard side: %+v", right)
	}
}

func TestNameBeforeParenIsAgent(t *testing.T) {
	s, err := parseOne("step (r) ~ step;")
	if err != nil {
		t.Fatal(err)
	}
	c := s.(*NetStmt).Net.Conns[0].(*Connection)
	if a, ok := c.Left.(*Agent); !ok || a.Name != "step" {
		t.Errorf("left: %#v, want agent step", c.Left)
	}
	if n, ok := c.Right.(*Name); !ok || n.Name != "step" {
		t.Errorf("right: %#v, want name step", c.Right)
	}
}

func TestAbbrevLower(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"r << Add(3, 4);", "Add(r, 3) ~ 4"},
		{"a, b << Agent(x, y, z);", "Agent(a, b, x, y) ~ z"},
		{"r << Append(xs, ys);", "Append(r, ys) ~ xs"},
		{"r << Merger(xs, ys);", "Merger(r) ~ (xs, ys)"},
		{"<< A(x);", "A() ~ x"},
		{"r << (*L)f(x, y);", "(*L)f(r, x) ~ y"},
	} {
		s, err := parseOne(tt.src)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		a := s.(*NetStmt).Net.Conns[0].(*Abbrev)
		if got := a.Lower().String(); got != tt.want {
			t.Errorf("%s lowers to %s, want %s", tt.src, got, tt.want)
		}
		if got := a.String(); got+";" != s.String() {
			t.Errorf("%s: the abbreviation prints as %s", tt.src, got)
		}
	}
}

func TestPositions(t *testing.T) {
	src := "foo(r) >< (int n)\n  | n == 0 => r ~ 0\n  | _ => r ~ [n, 2];\nx ~ A(b) where b = 1 + c;"
	p, err := ParseFile("f.in", []byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Stmts[0].(*Rule)
	g := r.Body.(*Guards)
	check := func(what string, got Pos, line, col int) {
		t.Helper()
		if got.File != "f.in" || got.Line != line || got.Col != col {
			t.Errorf("%s at %s, want f.in:%d:%d", what, got, line, col)
		}
	}
	check("rule", r.Pos(), 1, 1)
	check("><", r.CrossPos, 1, 8)
	check("right pattern (int n), whose parentheses are dropped", r.Right.Term.Pos(), 1, 12)
	check("int var", r.Right.Ports[0].NamePos, 1, 16)
	check("guard 1", g.Alts[0].Pos(), 2, 3)
	check("guard 1 condition", g.Alts[0].Cond.Pos(), 2, 5)
	check("==", g.Alts[0].Cond.(*Binary).OpPos, 2, 7)
	check("guard 2", g.Alts[1].Pos(), 3, 3)
	body := g.Alts[1].Body.(*Net)
	check("guard 2 body", body.Pos(), 3, 10)
	list := body.Conns[0].(*Connection).Right.(*List)
	check("list", list.Pos(), 3, 14)
	check("list element", list.Elems[1].Pos(), 3, 18)

	net := p.Stmts[1].(*NetStmt).Net
	check("net", net.Pos(), 4, 1)
	check("where", net.Binds.Pos(), 4, 10)
	check("binding", net.Binds.List[0].Pos(), 4, 16)
	check("c", net.Binds.List[0].Value.(*Binary).Y.Pos(), 4, 24)
}

func TestParseStmt(t *testing.T) {
	src := []byte("  x ~ A; y\n ~ B ; ; \n// done\n")
	s, n, err := ParseStmt("", src, 0)
	if err != nil || s.String() != "x ~ A;" || string(src[:n]) != "  x ~ A;" {
		t.Fatalf("first: %v, %d, %v", s, n, err)
	}
	src = src[n:]
	s, n, err = ParseStmt("", src, 0)
	if err != nil || s.String() != "y ~ B;" || string(src[:n]) != " y\n ~ B ;" {
		t.Fatalf("second: %v, %q, %v", s, src[:n], err)
	}
	src = src[n:]
	s, n, err = ParseStmt("", src, 0)
	if err != io.EOF || s != nil || n != len(src) {
		t.Fatalf("end: %v, %d, %v", s, n, err)
	}
}

func TestParseStmtIncomplete(t *testing.T) {
	for _, tt := range []struct {
		src        string
		incomplete bool
	}{
		{"x ~ A", true},
		{"inc(r) >< Z => r ~ S(Z)", true},
		{"fib(r) >< (int n)\n| n == 0 => r ~ 0\n", true},
		{"let a = 1;", true},
		{"let a = 1; in x ~ a", true},
		{"x ~ A(", true},
		{"x ~ A /* comment", true},
		{"x y", true},
		{"x ~ A;", false},
		{"x ~ @", false},
		{"x ~ A)", false},
		{"use \"abc", false},
		{"x ~ A; y ~", false}, // the first statement is complete
	} {
		s, _, err := ParseStmt("", []byte(tt.src), 0)
		if got := IsIncomplete(err); got != tt.incomplete {
			t.Errorf("%q: IsIncomplete = %v, want %v (stmt %v, err %v)", tt.src, got, tt.incomplete, s, err)
		}
	}
	// Errors after the statement are left for the next call.
	for _, src := range []string{"x ~ A; @", "x ~ A; /* open"} {
		s, n, err := ParseStmt("", []byte(src), 0)
		if err != nil || s == nil || n != 6 {
			t.Errorf("%q: got %v, %d, %v, want the first statement", src, s, n, err)
		}
	}
	if IsIncomplete(errors.New("other")) || IsIncomplete(nil) {
		t.Error("IsIncomplete is true for an unrelated error")
	}
}

func TestNodeStrings(t *testing.T) {
	p, err := ParseFile("", []byte(`
f(r) >< (int n) | n > 0 => r ~ m where m = n * 2 | _ => r ~ 0;
let a = 1; b = 2 in x ~ A(a, b) end;
{ } y ~ B;
`), 0)
	if err != nil {
		t.Fatal(err)
	}
	rule := p.Stmts[0].(*Rule)
	alt := rule.Body.(*Guards).Alts[0]
	net := alt.Body.(*Net)
	let := p.Stmts[1].(*NetStmt).Net
	for _, tt := range []struct {
		node Node
		want string
	}{
		{rule.Right, "(int n)"},
		{rule.Body, "| n > 0 => r ~ m where m = n * 2 | _ => r ~ 0"},
		{alt, "| n > 0 => r ~ m where m = n * 2"},
		{alt.Cond, "n > 0"},
		{net, "r ~ m where m = n * 2"},
		{net.Binds, "where m = n * 2"},
		{net.Binds.List[0], "m = n * 2"},
		{net.Conns[0], "r ~ m"},
		{let.Binds, "let a = 1; b = 2 in"},
		{p.Stmts[2].(*NetStmt).Net.Binds, "{ }"},
	} {
		if got := tt.node.String(); got != tt.want {
			t.Errorf("%T prints %q, want %q", tt.node, got, tt.want)
		}
	}
}

func TestJunkAfterValidProgram(t *testing.T) {
	src, err := os.ReadFile("testdata/programs/fib.in")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile("fib.in", src, 0); err != nil {
		t.Fatalf("the program itself: %v", err)
	}
	lines := strings.Count(string(src), "\n")
	src = append(src, "@@@ ~~ )(\n"...)
	_, err = ParseFile("fib.in", src, 0)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want a syntax error", err)
	}
	if got, want := list[0].Pos, (Pos{File: "fib.in", Line: lines + 1, Col: 1}); got != want {
		t.Errorf("error at %s, want %s: %v", got, want, err)
	}
}

func TestBugPanicsPropagate(t *testing.T) {
	defer func() {
		r := recover()
		if _, ok := r.(runtime.Error); !ok {
			t.Errorf("recovered %v, want the runtime error", r)
		}
	}()
	p := newParser("", nil, 0)
	p.run(func() {
		var m map[string]int
		m["x"] = 1 // writing to a nil map panics as a bug in the parser would
	})
	t.Error("the panic was swallowed")
}
