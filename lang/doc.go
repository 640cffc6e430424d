// Package lang is the front end for annette's text language, the
// interaction-net language of Inpla 0.13: a lexer, a recursive-descent
// parser producing a syntax tree, a printer for that tree and a static
// checker. It does not evaluate anything; a compiler turns the checked
// tree into rules and nets for the engine.
//
// A program is a sequence of statements, each ended by ';':
//
//	inc(r) >< (int n) => r ~ n + 1;    // a rule
//	inc(r) ~ 41;                       // a net
//	r;                                 // a command: print r
//
// [ParseFile] parses a whole file and [ParseStmt] one statement at a time,
// for a read-eval-print loop. [IsIncomplete] reports when such a loop must
// read another line before the statement can be parsed, and [ScanInput]
// finds the statements that typed text completes, skipping comments. Errors come as an
// [ErrorList] of positioned [Error] values printed as "file:line:col:
// message". The parser recovers at the ';' that ends a faulty statement,
// so one run reports errors from many statements, and it stops after 10
// unless the [AllErrors] mode is set.
//
// [Check] (or a [Checker], which keeps state from statement to statement)
// verifies what the grammar cannot: that agents keep one arity, that
// every name of a rule occurs exactly twice, that names in the top-level
// net occur at most twice, that expressions use only attribute variables,
// bindings and constants, and more. It returns warnings, such as a rule
// that replaces an earlier one, apart from errors.
//
// Every node of the tree has a position and a String method that prints
// canonical source, which parses back to the same tree. The parser keeps
// the source's forms, such as the '<<' abbreviation, list literals and
// reuse annotations; [Abbrev.Lower] and [Pattern] give the plain forms a
// compiler needs.
//
// Beyond Inpla, the parser accepts "a and not b" (Inpla requires "not"
// at the start of a logical expression), "rand(e)" for any expression e
// and in any operand position, and "const NAME = e" for a constant
// expression e. It rejects what Inpla silently ignores, such as text
// after the last ';'.
//
// Example:
//
//	src := []byte("inc(r) >< (int n) => r ~ n + 1;\ninc(r) ~ 41;\n")
//	prog, err := lang.ParseFile("inc.in", src, 0)
//	if err != nil {
//		// Not reached: src is valid. Without the last ';', err would
//		// print as "inc.in:2:12: expected ';' after net, found end of input".
//		log.Fatal(err)
//	}
//	warnings, err := lang.Check(prog, nil)
//	if err != nil {
//		log.Fatal(err)
//	}
//	for _, w := range warnings {
//		fmt.Println("warning:", w) // none for src
//	}
//	for _, s := range prog.Stmts {
//		fmt.Println(s)
//	}
//
// The program prints the two statements in canonical form:
//
//	inc(r) >< (int n) => r ~ n + 1;
//	inc(r) ~ 41;
package lang
