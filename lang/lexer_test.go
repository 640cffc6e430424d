package lang

import (
	"fmt"
	"strings"
	"testing"
)

// lexString returns the tokens of src as "kind:text@line:col" lines and
// the lexical errors as "line:col: message".
func lexString(src string) (toks []string, errs []string) {
	ts := lex("", []byte(src), func(pos Pos, msg string, atEOF bool) {
		errs = append(errs, fmt.Sprintf("%d:%d: %s", pos.Line, pos.Col, msg))
	})
	for i := range ts.len() {
		t := ts.at(i)
		toks = append(toks, fmt.Sprintf("%s:%s@%d:%d", kindName(t.kind), ts.text(*t), t.line, t.col))
	}
	return toks, errs
}

func kindName(k tokKind) string {
	switch k {
	case tEOF:
		return "EOF"
	case tIllegal:
		return "ILLEGAL"
	case tName:
		return "NAME"
	case tAgent:
		return "AGENT"
	case tNum:
		return "NUM"
	case tString:
		return "STRING"
	}
	return "OP"
}

var lexTests = []struct {
	name string
	src  string
	toks string // space-separated "kind:text@line:col"
	errs string // "; "-separated errors
}{
	{"empty", "", "EOF:@1:1", ""},
	{"names and agents", "x xs' a.b ret_2 Tree S", "NAME:x@1:1 NAME:xs'@1:3 NAME:a.b@1:7 NAME:ret_2@1:11 AGENT:Tree@1:17 AGENT:S@1:22 EOF:@1:23", ""},
	{"lower-case agent", "inc(r)", "AGENT:inc@1:1 OP:(@1:4 NAME:r@1:5 OP:)@1:6 EOF:@1:7", ""},
	{"lower-case agent with spaces", "inc  \n (r)", "AGENT:inc@1:1 OP:(@2:2 NAME:r@2:3 OP:)@2:4 EOF:@2:5", ""},
	{"lower-case agent with comment", "inc /* c */ ()", "AGENT:inc@1:1 OP:(@1:13 OP:)@1:14 EOF:@1:15", ""},
	{"keyword before paren", "rand(3) not(x)", "OP:rand@1:1 OP:(@1:5 NUM:3@1:6 OP:)@1:7 OP:not@1:9 OP:(@1:12 NAME:x@1:13 OP:)@1:14 EOF:@1:15", ""},
	{"keywords", "int where let in end if then else and or not free ifce interface prnat memstat use exit const",
		"OP:int@1:1 OP:where@1:5 OP:let@1:11 OP:in@1:15 OP:end@1:18 OP:if@1:22 OP:then@1:25 OP:else@1:30 OP:and@1:35 OP:or@1:39 OP:not@1:42 OP:free@1:46 OP:ifce@1:51 OP:interface@1:56 OP:prnat@1:66 OP:memstat@1:72 OP:use@1:80 OP:exit@1:84 OP:const@1:89 EOF:@1:94", ""},
	{"keyword prefix is a name", "inc internal ends", "NAME:inc@1:1 NAME:internal@1:5 NAME:ends@1:14 EOF:@1:18", ""},
	{"operators", "~ >< => | _ , ; ( ) [ ] { } : << = + - * / % == != < <= > >= ! && ||",
		"OP:~@1:1 OP:><@1:3 OP:=>@1:6 OP:|@1:9 OP:_@1:11 OP:,@1:13 OP:;@1:15 OP:(@1:17 OP:)@1:19 OP:[@1:21 OP:]@1:23 OP:{@1:25 OP:}@1:27 OP::@1:29 OP:<<@1:31 OP:=@1:34 OP:+@1:36 OP:-@1:38 OP:*@1:40 OP:/@1:42 OP:%@1:44 OP:==@1:46 OP:!=@1:49 OP:<@1:52 OP:<=@1:54 OP:>@1:57 OP:>=@1:59 OP:!@1:62 OP:&&@1:64 OP:||@1:67 EOF:@1:69", ""},
	{"operators without spaces", "A><B x<<y a>=-1", "AGENT:A@1:1 OP:><@1:2 AGENT:B@1:4 NAME:x@1:6 OP:<<@1:7 NAME:y@1:9 NAME:a@1:11 OP:>=@1:12 OP:-@1:14 NUM:1@1:15 EOF:@1:16", ""},
	{"reuse annotations", "(*L)A (*R)[x] ( *L ) (*L", "OP:(*L)@1:1 AGENT:A@1:5 OP:(*R)@1:7 OP:[@1:11 NAME:x@1:12 OP:]@1:13 OP:( *L )@1:15 OP:(@1:22 OP:*@1:23 AGENT:L@1:24 EOF:@1:25", ""},
	{"not an annotation", "(*Lx) (2*L)", "OP:(@1:1 OP:*@1:2 AGENT:Lx@1:3 OP:)@1:5 OP:(@1:7 NUM:2@1:8 OP:*@1:9 AGENT:L@1:10 OP:)@1:11 EOF:@1:12", ""},
	{"integers and minus", "-5 007 99999999999999999999", "OP:-@1:1 NUM:5@1:2 NUM:007@1:4 NUM:99999999999999999999@1:8 EOF:@1:28", ""},
	{"comments", "a // line\n/* block\n comment */ b", "NAME:a@1:1 NAME:b@3:13 EOF:@3:14", ""},
	{"unterminated comment", "a\n  /* never\nclosed", "NAME:a@1:1 EOF:@3:7", "2:3: comment not terminated: '/*' has no matching '*/'"},
	{"string", `use "a \"b\" \\ \n\t";`, "OP:use@1:1 STRING:a \"b\" \\ \n\t@1:5 OP:;@1:22 EOF:@1:23", ""},
	{"unterminated string", "\"abc\nx", "STRING:abc@1:1 NAME:x@2:1 EOF:@2:2", "1:1: string not terminated: missing '\"' before the end of the line"},
	{"bad escape", `"a\qb"`, "STRING:ab@1:1 EOF:@1:7", "1:3: unknown escape sequence '\\q' in string"},
	{"wildcard and underscore start", "_ _foo", "OP:_@1:1 ILLEGAL:_foo@1:3 EOF:@1:7", "1:3: invalid identifier _foo: identifiers cannot start with '_'"},
	{"invalid characters", "@ & é", "ILLEGAL:@@1:1 ILLEGAL:&@1:3 ILLEGAL:é@1:5 EOF:@1:7", "1:1: invalid character \"@\"; 1:3: invalid character \"&\"; 1:5: invalid character U+00E9 'é'"},
	{"control character", "a\x01", "NAME:a@1:1 ILLEGAL:\x01@1:2 EOF:@1:3", "1:2: invalid character U+0001"},
	{"byte order mark", "\xEF\xBB\xBFx", "NAME:x@1:1 EOF:@1:2", ""},
	{"carriage returns", "a\r\nb", "NAME:a@1:1 NAME:b@2:1 EOF:@2:2", ""},
}

func TestLex(t *testing.T) {
	for _, tt := range lexTests {
		t.Run(tt.name, func(t *testing.T) {
			toks, errs := lexString(tt.src)
			if got := strings.Join(toks, " "); got != tt.toks {
				t.Errorf("tokens:\ngot  %s\nwant %s", got, tt.toks)
			}
			if got := strings.Join(errs, "; "); got != tt.errs {
				t.Errorf("errors:\ngot  %s\nwant %s", got, tt.errs)
			}
		})
	}
}

func TestLexNeverStalls(t *testing.T) {
	// Every byte value alone and after a letter must produce tokens and
	// end with EOF.
	for b := 0; b < 256; b++ {
		for _, src := range []string{string([]byte{byte(b)}), "a" + string([]byte{byte(b)}) + "b"} {
			toks := lex("", []byte(src), func(Pos, string, bool) {})
			if toks.at(toks.len()-1).kind != tEOF {
				t.Fatalf("lex(%q) does not end with EOF", src)
			}
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b`, `back\slash`, "new\nline", "tab\t", "é"} {
		toks := lex("", []byte(quote(s)), func(pos Pos, msg string, _ bool) { t.Errorf("%q: %s", s, msg) })
		if first := *toks.at(0); first.kind != tString || toks.text(first) != s {
			t.Errorf("quote(%q) reads back as %q", s, toks.text(first))
		}
	}
}
