package annette

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/annette-go/annette/internal/engine"
	"github.com/annette-go/annette/internal/source"
	"github.com/annette-go/annette/lang"
)

// InterpreterConfig holds the settings of an [Interpreter]. The zero value
// is usable: output is discarded, files are read from the file system.
type InterpreterConfig struct {
	// Config sets the limits and the rand seed of the network.
	// MaxInteractions applies to each net statement of the program.
	Config
	// Stdout receives what the program prints; nil discards it.
	Stdout io.Writer
	// Stderr receives warnings; nil discards them.
	Stderr io.Writer
	// Consts are constants defined before the program, as by
	// "-d NAME=VALUE"; they win over the program's own const
	// declarations.
	Consts map[string]int64
	// ReadFile reads the files of use statements. nil reads them from
	// the file system, each up to the lexer's limit of 2 GiB less 2 bytes.
	ReadFile func(path string) ([]byte, error)
	// Weak selects the weak strategy: only active pairs with an interface
	// name in their term, below one of their two agents, are reduced.
	Weak bool
	// Workers is the number of reducer goroutines. One or less reduces
	// sequentially; more uses a ParallelNetwork in Auto mode, and the
	// line after each net reads "(N interactions by K workers, T sec)".
	// Unlike ParallelConfig.Workers, zero does not mean one per core, so
	// pass runtime.GOMAXPROCS(0) for that, as annette run does.
	Workers int
	// Mode is the execution mode of a parallel interpreter.
	Mode ExecutionMode
	// NoReduce leaves the active pairs of every net statement in the
	// network, unreduced. annette dot uses it to draw nets as built.
	// With NoReduce or StepLimit, a prnat of a term that is not a unary
	// number prints nothing while active pairs are left.
	NoReduce bool
	// StepLimit, when positive, stops each net statement after that many
	// interactions, leaving its other active pairs in the network without
	// an error.
	StepLimit int64
}

// Interpreter runs programs written in the text language (Inpla's
// language; see the lang package) on a [Network]. A program is parsed
// and checked whole before any of it runs. Then its statements run in
// order, each net being reduced to normal form, and the results are
// printed as Inpla prints them. An Interpreter with more than one worker
// runs a pool of goroutines: call Close when done with it.
//
// The network keeps the rules and interface names of every Run and Exec
// call, as a read-eval-print loop needs, so a program run twice on one
// Interpreter meets the names of its first run. Use a new Interpreter for
// a fresh start. Network().Read and Text read back the names a program
// left.
type Interpreter struct {
	cfg     InterpreterConfig
	net     *Network
	par     *ParallelNetwork // set when cfg.Workers > 1
	checker *lang.Checker
	out     io.Writer
	errOut  io.Writer
	exited  bool
	inExec  bool // Run is reading a file for Exec's use statement
	ctx     context.Context

	// selfRules contains the types T of the rules T >< T of the program
	// that Run is running, defined yet or not. A wildcard rule for T does
	// not apply to T >< T then, so it gets no warning about that pair.
	selfRules map[string]bool

	// nameSlot numbers each name in the order it first joined the
	// interface. Inpla keeps a name's entry in its name table after the
	// name is consumed or freed, so a name that joins the interface again
	// keeps its first place in the order of ifce.
	nameSlot map[string]int
}

// ProgramError is an error of a running program, at the statement that
// caused it. When an integer expression of a net statement fails, Pos is
// the position of the operator, the rand call or the name that failed.
type ProgramError struct {
	Pos lang.Pos
	Err error

	unbuilt bool // the statement failed before any of it was built
}

// Error returns the cause, after Pos as file:line:col when it is known.
func (e *ProgramError) Error() string {
	if !e.Pos.IsValid() {
		return e.Err.Error()
	}
	return e.Pos.String() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ProgramError) Unwrap() error { return e.Err }

// NewInterpreter returns an interpreter with an empty network that has
// the built-in agents of the language.
func NewInterpreter(cfg InterpreterConfig) (*Interpreter, error) {
	for _, name := range slices.Sorted(maps.Keys(cfg.Consts)) {
		if err := lang.CheckConstName(name); err != nil {
			return nil, fmt.Errorf("annette: constant %s: %w", name, err)
		}
	}
	ip := &Interpreter{cfg: cfg, ctx: context.Background(), nameSlot: map[string]int{}}
	if cfg.Workers > 1 {
		ip.par = NewParallelNetwork(cfg.Config, ParallelConfig{Workers: cfg.Workers, Mode: cfg.Mode})
		ip.net = ip.par.Network
	} else {
		ip.net = NewNetwork(cfg.Config)
	}
	ip.out, ip.errOut = cfg.Stdout, cfg.Stderr
	if ip.out == nil {
		ip.out = io.Discard
	}
	if ip.errOut == nil {
		ip.errOut = io.Discard
	}
	ip.checker = lang.NewChecker(&lang.Config{Consts: cfg.Consts, MaxArity: engine.MaxArity})
	if err := ip.net.AddBuiltins(); err != nil {
		return nil, err
	}
	return ip, nil
}

// Network returns the interpreter's network.
func (ip *Interpreter) Network() *Network { return ip.net }

// Parallel returns the parallel network of an interpreter with more than
// one worker, and nil otherwise.
func (ip *Interpreter) Parallel() *ParallelNetwork { return ip.par }

// Close releases the workers of a parallel interpreter. Its net
// statements then fail with ErrClosed. A sequential interpreter holds no
// goroutines: Close does nothing to it, and it goes on running
// statements.
func (ip *Interpreter) Close() error {
	if ip.par != nil {
		return ip.par.Close()
	}
	return nil
}

// UnusedConsts returns the constants of InterpreterConfig.Consts that no
// program or statement has named so far.
func (ip *Interpreter) UnusedConsts() []string { return ip.checker.UnusedConfigConsts() }

// Exited reports whether the program ran an exit statement.
func (ip *Interpreter) Exited() bool { return ip.exited }

// SetContext sets the context that bounds each reduction; a done context
// stops the running net with its error. A nil ctx restores the default,
// context.Background().
func (ip *Interpreter) SetContext(ctx context.Context) {
	if ctx == nil {
		ctx = context.Background()
	}
	ip.ctx = ctx
}

// Run parses, checks and runs a whole program. Syntax and check errors
// are returned as a lang.ErrorList before anything runs. A rule that
// fails to compile is also reported before anything runs, but as a
// *ProgramError at the rule. A runtime error stops the program and is
// returned as a *ProgramError as well. Its cause is the run's error, so
// errors.Is and errors.As find ErrNoRule, ErrDivideByZero, a *RuleError
// or a *LimitError through it.
//
// A program that fails before anything runs leaves nothing behind: later
// Run and Exec calls may use its names and agents with other arities.
//
// Unlike Exec, Run keeps the active pairs that a failed net left, so
// that the caller can read or draw the net as it failed (annette dot
// does). A later Run on the same Interpreter reduces them first, and
// they count against the InterpreterConfig.MaxInteractions of its first
// net. Use a new Interpreter after a failed Run.
func (ip *Interpreter) Run(filename string, src []byte) (err error) {
	defer catchStoreFull(&err)
	prog, err := lang.ParseFile(filename, src, 0)
	if err != nil {
		return err
	}
	prog, err = lang.ExpandUses(prog, ip.readFile(), 0)
	if err != nil {
		return err
	}
	warns, err := ip.checker.CheckProgram(prog)
	ip.warn(ip.dropOverrideWarnings(prog.Stmts, warns))
	if err != nil {
		// Nothing of the program runs, so its statements are removed from
		// the checker, and a read-eval-print loop that used the file goes
		// on without them.
		ip.checker.UndoProgram()
		return err
	}
	if !ip.inExec {
		// A whole program has been checked: a constant set before it that
		// it never names is most likely a typing slip in its name.
		for _, name := range ip.checker.UnusedConfigConsts() {
			fmt.Fprintf(ip.errOut, "warning: constant %s is set before the program (-d) but the program never names it\n", name)
		}
	}
	types := ip.net.net.Types.Len()
	if err := ip.checkRules(prog.Stmts); err != nil {
		// Compiling defined the types that the rules name. They are
		// removed again, with what the checker learned from the program.
		ip.net.dropTypes(types)
		ip.checker.UndoProgram()
		return err
	}
	saved := ip.selfRules
	ip.selfRules = map[string]bool{}
	for t := range saved {
		ip.selfRules[t] = true
	}
	defer func() { ip.selfRules = saved }()
	for _, s := range prog.Stmts {
		if r, ok := s.(*lang.Rule); ok && r.Left.Kind == lang.PatAgent && r.Right.Kind == lang.PatAgent && r.Left.Agent == r.Right.Agent {
			ip.selfRules[r.Left.Agent] = true
		}
	}
	for i, s := range prog.Stmts {
		if err := ip.exec(s); err != nil {
			return withLaterRule(err, prog.Stmts[i+1:])
		}
		if ip.exited {
			break
		}
	}
	return nil
}

// withLaterRule adds to a missing-rule error the position of a rule for
// that pair among the later statements. A reader who finds the rule in
// the file would otherwise not know why it did not apply.
func withLaterRule(err error, later []lang.Stmt) error {
	var pe *ProgramError
	var re *RuleError
	if !errors.As(err, &pe) || !errors.As(err, &re) || re.Rule != "" || !errors.Is(err, ErrNoRule) {
		return err
	}
	for _, s := range later {
		r, ok := s.(*lang.Rule)
		if !ok || !ruleMatches(r, re.Left, re.Right) {
			continue
		}
		at := r.Pos()
		if at.File == pe.Pos.File {
			at.File = ""
		}
		pe.Err = &explainedError{
			msg: fmt.Sprintf("%v (the rule at %s comes later: a rule applies only to the statements after it)", pe.Err, at),
			err: pe.Err,
		}
		return err
	}
	return err
}

// ruleMatches reports whether rule r applies to two agents of types a
// and b that meet, in either order.
func ruleMatches(r *lang.Rule, a, b string) bool {
	side := func(p *lang.Pattern, typ string) bool {
		switch p.Kind {
		case lang.PatInt:
			return typ == "Int"
		case lang.PatWildcard:
			return typ != "Int"
		}
		return p.Agent == typ
	}
	return side(r.Left, a) && side(r.Right, b) || side(r.Left, b) && side(r.Right, a)
}

// Exec checks and runs one statement, as a read-eval-print loop does. A
// statement with a syntax or rule error does not run and changes nothing.
// After a runtime error, the active pairs the statement left are
// discarded, so that later statements run.
func (ip *Interpreter) Exec(s lang.Stmt) (err error) {
	defer catchStoreFull(&err)
	if u, ok := s.(*lang.UseCmd); ok {
		src, err := ip.readFile()(u.Path)
		if err != nil {
			// The wording of a use in a program (see lang.ExpandUses).
			return &ProgramError{Pos: u.PathPos, Err: fmt.Errorf("cannot read %s: %w", u.Path, err)}
		}
		ip.inExec = true
		err = ip.Run(u.Path, src)
		ip.inExec = false
		var pe *ProgramError
		if errors.As(err, &pe) {
			// As for a statement typed in: the pairs the failed net left
			// are discarded, so that later statements run.
			ip.discard(ip.net.w.TakeRedexes())
		}
		return err
	}
	warns, err := ip.checker.CheckStmt(s)
	ip.warn(ip.dropOverrideWarnings([]lang.Stmt{s}, warns))
	if err != nil {
		return err
	}
	err = ip.exec(s)
	var pe *ProgramError
	if errors.As(err, &pe) && pe.unbuilt {
		// Nothing of the statement exists: neither do the agents and
		// names that the checker learned from it.
		ip.checker.UndoStmt()
	}
	if errors.As(err, &pe) {
		// A failed net leaves its active pairs behind; the next statement
		// starts without them, as in Inpla, instead of failing again.
		// Their agents, and the names that lead only to them, go too.
		ip.discard(ip.net.w.TakeRedexes())
	}
	return err
}

// dropOverrideWarnings removes the checker's warnings about const
// declarations that a command-line constant overrides: running the
// declaration prints Inpla's message about it instead.
func (ip *Interpreter) dropOverrideWarnings(stmts []lang.Stmt, warns lang.ErrorList) lang.ErrorList {
	at := map[lang.Pos]bool{}
	for _, s := range stmts {
		if d, ok := s.(*lang.ConstDecl); ok {
			if _, over := ip.cfg.Consts[d.Name]; over {
				at[d.NamePos] = true
				at[d.CmdPos] = true
			}
		}
	}
	out := warns[:0:0]
	for _, w := range warns {
		if !at[w.Pos] {
			out = append(out, w)
		}
	}
	return out
}

func (ip *Interpreter) warn(warns lang.ErrorList) {
	for _, w := range warns {
		fmt.Fprintf(ip.errOut, "%s: warning: %s\n", w.Pos, w.Msg)
	}
}

// readFile returns the function that reads a used file.
// lang.ExpandUses resolves a relative path against the including file.
func (ip *Interpreter) readFile() func(string) ([]byte, error) {
	if ip.cfg.ReadFile != nil {
		return ip.cfg.ReadFile
	}
	return readUsedFile
}

// maxUsedFile is the size in bytes of the largest file that the lexer
// reads (lang rejects larger ones).
const maxUsedFile = math.MaxInt32 - 1

// readUsedFile reads the file of a use statement, up to maxUsedFile
// bytes, so that a device without end such as /dev/zero fails instead
// of taking all the memory.
func readUsedFile(path string) ([]byte, error) {
	return source.ReadFile(path, maxUsedFile)
}

// exec runs a checked statement.
func (ip *Interpreter) exec(s lang.Stmt) error {
	switch s := s.(type) {
	case *lang.Rule:
		return ip.defineRule(s)
	case *lang.NetStmt:
		return ip.runNet(s)
	case *lang.PrintCmd:
		texts := make([]string, len(s.Names))
		for i, name := range s.Names {
			t, err := ip.text(name.Name)
			if err != nil {
				return &ProgramError{Pos: name.NamePos, Err: err}
			}
			texts[i] = t
		}
		fmt.Fprintln(ip.out, strings.Join(texts, " "))
	case *lang.InterfaceCmd:
		if err := ip.printInterface(); err != nil {
			return &ProgramError{Pos: s.CmdPos, Err: err}
		}
	case *lang.FreeCmd:
		names := make([]string, 0, len(s.Names))
		if s.All {
			names = ip.net.Names()
		}
		for _, n := range s.Names {
			names = append(names, n.Name)
		}
		ip.net.joinNameWires()
		names = ip.withNamedEnds(names)
		// One set of half-reached wire cells for the whole command, so
		// that a wire between two freed names is freed too.
		if target, holder, ok := ip.heldName(names); ok {
			pos := s.CmdPos
			for _, n := range s.Names {
				if n.Name == target {
					pos = n.NamePos
					break
				}
			}
			return &ProgramError{Pos: pos, Err: fmt.Errorf("%s cannot be freed because %s refers to it: free %s, or both in one statement", target, holder, holder)}
		}
		half := &locSet{}
		ends := ip.nameEnds()
		for _, n := range names {
			ip.free(n, half, ends)
		}
	case *lang.PrnatCmd:
		text, err := ip.prnat(s.Name.Name)
		if err != nil && (ip.cfg.NoReduce || ip.cfg.StepLimit > 0) && ip.net.Pending() > 0 {
			// The net was left unreduced on purpose, so the term may
			// still become a unary number. Nothing is printed yet, and
			// it is no error.
			return nil
		}
		if err != nil {
			return &ProgramError{Pos: s.CmdPos, Err: err}
		}
		fmt.Fprintln(ip.out, text)
	case *lang.UseCmd:
		// Run expands use statements before checking; Exec handles them.
		return &ProgramError{Pos: s.CmdPos, Err: errors.New("use statement was not expanded")}
	case *lang.ConstDecl:
		// The checker holds the constants. A value from the command line
		// wins, with Inpla's message on stdout.
		if v, ok := ip.cfg.Consts[s.Name]; ok {
			fmt.Fprintf(ip.out, "`%s' has been already bound to a value `%d' as immutable.\n\n", s.Name, v)
		}
	case *lang.MemstatCmd:
		// Inpla's form: its name nodes are annette's wire cells, which
		// include the interface names. Joining names first frees the
		// cells that printing a name would free.
		ip.net.joinNameWires()
		fmt.Fprintf(ip.out, "Using %d agent nodes and %d name nodes.\n\n", ip.net.live(), ip.net.wires())
	case *lang.ExitCmd:
		ip.exited = true
	default:
		return fmt.Errorf("unknown statement %T", s)
	}
	return nil
}

// runNet builds a net statement, reduces the network and prints the
// interaction count.
func (ip *Interpreter) runNet(s *lang.NetStmt) error {
	// The limits below are this statement's: the network gets its own
	// back, for Go code that reduces it after the program.
	saved := ip.net.cfg.MaxInteractions
	defer func() { ip.net.cfg.MaxInteractions = saved }()
	if ip.cfg.MaxInteractions > 0 {
		// The limit applies to each net statement, so that in a REPL a
		// runaway statement does not use up the budget of later ones.
		ip.net.cfg.MaxInteractions = ip.net.interactions() + ip.cfg.MaxInteractions
	}
	// A step limit below the interaction limit stops the statement
	// without an error.
	stepStop := ip.cfg.StepLimit > 0 && (ip.cfg.MaxInteractions <= 0 || ip.cfg.StepLimit < ip.cfg.MaxInteractions)
	if stepStop {
		ip.net.cfg.MaxInteractions = ip.net.interactions() + ip.cfg.StepLimit
	}
	b := netBuilder{ip: ip, n: ip.net}
	if err := b.build(s.Net); err != nil {
		// An expression that failed names its own operator, call or
		// name, as a constant's does. Other errors name the statement.
		pos := s.Pos()
		var xe *exprError
		if errors.As(err, &xe) {
			pos, err = xe.pos, xe.err
		}
		return &ProgramError{Pos: pos, Err: err, unbuilt: !b.built}
	}
	if ip.cfg.NoReduce {
		return nil
	}
	var st Stats
	var err error
	switch {
	case ip.cfg.Weak:
		start := time.Now()
		st, err = ip.net.reduceWeak(ip.ctx)
		st.Elapsed = time.Since(start)
	case ip.par != nil:
		var ps ParallelStats
		ps, err = ip.par.Reduce(ip.ctx)
		st = ps.Stats
	default:
		st, err = ip.net.Reduce(ip.ctx)
	}
	if stepStop && errors.Is(err, ErrInteractionLimit) {
		err = nil
	}
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) && errors.Is(le.Err, ErrInteractionLimit) && ip.cfg.MaxInteractions > 0 {
			// The network's limit counts earlier statements too: report
			// the limit as configured.
			le.Limit = ip.cfg.MaxInteractions
		}
		return &ProgramError{Pos: s.Pos(), Err: ip.explain(err)}
	}
	secs := strconv.FormatFloat(st.Elapsed.Seconds(), 'f', 2, 64)
	if ip.par != nil {
		fmt.Fprintf(ip.out, "(%d interactions by %d workers, %s sec)\n", st.Interactions, ip.par.Workers(), secs)
	} else {
		fmt.Fprintf(ip.out, "(%d interactions, %s sec)\n", st.Interactions, secs)
	}
	return nil
}

// explain rewrites the message of a rule error so that it names the rule
// by its source. The result still wraps err, so errors.Is and errors.As
// find ErrNoRule, ErrDivideByZero or the *RuleError through it.
func (ip *Interpreter) explain(err error) error {
	var re *RuleError
	if !errors.As(err, &re) {
		return err
	}
	var msg string
	switch {
	case re.Rule == "":
		msg = fmt.Sprintf("no rule for %s >< %s", printedType(re.Left), printedType(re.Right))
	case !strings.Contains(re.Rule, ":"):
		// A built-in rule: its name is the built-in agent's.
		msg = fmt.Sprintf("%s in built-in %s", causeText(re.Err), re.Rule)
	default:
		msg = fmt.Sprintf("%s in rule %s >< %s (%s)", causeText(re.Err), re.Left, re.Right, re.Rule)
	}
	return &explainedError{msg: msg, err: err}
}

// causeText returns the message of a rule's error for a program. The
// text language reads a name that is not a defined constant, such as a
// -d constant left out, as an agent without ports. So when such an
// agent is found where an integer belongs, the message explains how to
// define the constant.
func causeText(err error) string {
	text := err.Error()
	var ni *engine.NotIntegerError
	if errors.As(err, &ni) && ni.Arity == 0 {
		hint := fmt.Sprintf("(%s; a constant %s needs const or -d)", ni.Type, ni.Type)
		text = strings.Replace(text, "("+ni.Type+")", hint, 1)
	}
	return text
}

// printedType returns the name under which printed terms show agents of
// the type name: _MergerP for the reader of a Merger, whose type is
// _Merge, and name itself for the others.
func printedType(name string) string {
	if name == mergeReader {
		return mergerReader
	}
	return name
}

// explainedError is an error with a message of its own that wraps the
// error it explains.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }

func (e *explainedError) Unwrap() error { return e.err }

// ensureType defines an agent type of the language the first time it is
// used; its ports are called "main", "1", "2", and so on.
func (ip *Interpreter) ensureType(name string, arity int) error {
	if t, ok := ip.net.TypeOf(name); ok {
		if len(t.Ports)-1 != arity {
			return fmt.Errorf("agent %s has %d ports, not %d", name, len(t.Ports)-1, arity)
		}
		return nil
	}
	ports := []string{"main"}
	for i := 1; i <= arity; i++ {
		ports = append(ports, strconv.Itoa(i))
	}
	return ip.net.DefineType(Type{Name: name, Ports: ports})
}

// text returns the term connected to name as Inpla prints it.
func (ip *Interpreter) text(name string) (string, error) {
	s, err := ip.net.textContext(ip.ctx, name, PrintOptions{MaxList: 31, OpenTail: true})
	if errors.Is(err, ErrUnknownName) {
		return "<NON-DEFINED>", nil
	}
	return s, err
}
