package annette_test

// Tests of action rules that declare the state they touch: a bank whose
// transfers run on several workers, checked against the sequential
// reducer under the race detector, and the release of key locks when an
// action fails.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/annette-go/annette"
)

// account is one bank account. Transfers change balance without a lock
// of their own: the keys they declare keep them apart.
type account struct {
	balance int64
	busy    atomic.Int32 // transfers running on the account, to catch overlaps
}

// transfer is the value of a Transfer agent.
type transfer struct {
	from, to string
	amount   int64
}

// bank is the state outside the net that the bank's rules touch.
type bank struct {
	// accounts is filled before a run and only read during it, so the
	// map itself needs no lock. Each account's balance is guarded by its
	// key.
	accounts map[string]*account
	audit    []string // appended to under the key "audit"
	overlaps atomic.Int64
}

func (b *bank) total() int64 {
	var sum int64
	for _, a := range b.accounts {
		sum += a.balance
	}
	return sum
}

func (b *bank) balances() map[string]int64 {
	out := map[string]int64{}
	for k, a := range b.accounts {
		out[k] = a.balance
	}
	return out
}

// enter and leave count the transfers running on an account, and record
// an overlap when two run at once.
func (b *bank) enter(key string) {
	if b.accounts[key].busy.Add(1) != 1 {
		b.overlaps.Add(1)
	}
}

func (b *bank) leave(key string) { b.accounts[key].busy.Add(-1) }

var bankTypes = []annette.Type{
	{Name: "Transfer", Ports: []string{"main", "next"}, Valued: true},
	{Name: "Go"},
	{Name: "End"},
	{Name: "Audit", Valued: true},
}

// bankRules returns the rules of the bank:
//
//   - Transfer >< Go moves money between the two accounts named in the
//     Transfer's value, which it declares through Access, and passes a
//     new Go on to the next transfer of its chain;
//   - Audit >< Go appends to the audit log under the static key "audit";
//   - Go >< End, a rewrite rule, ends a chain.
func bankRules(b *bank) []annette.Rule {
	return []annette.Rule{
		annette.ActionRule{
			Name: "transfer", Left: "Transfer", Right: "Go",
			Access: func(left, _ annette.Agent) annette.Access {
				tr := left.Value().(transfer)
				return annette.Access{Writes: []string{tr.from, tr.to}}
			},
			Action: func(c *annette.RuleContext) error {
				tr := c.Left().Value().(transfer)
				b.enter(tr.from)
				b.enter(tr.to)
				b.accounts[tr.from].balance -= tr.amount
				runtime.Gosched() // widen the window in which an overlap shows
				b.accounts[tr.to].balance += tr.amount
				b.leave(tr.to)
				b.leave(tr.from)
				g, err := c.NewAgent("Go", nil)
				if err != nil {
					return err
				}
				return c.Link(c.Left().Port("next"), g.Main())
			},
		},
		annette.ActionRule{
			Name: "audit", Left: "Audit", Right: "Go", Writes: []string{"audit"},
			Action: func(c *annette.RuleContext) error {
				b.audit = append(b.audit, c.Left().Value().(string))
				return nil
			},
		},
		annette.RewriteRule{Left: Pat("Go"), Right: Pat("End")},
	}
}

// buildBank adds to n a bank of nacct accounts holding 1000 each, chains
// chains of length transfers each, and audits Audit pairs. One transfer
// in three involves account 0, so many calls conflict.
func buildBank(t testing.TB, n *annette.Network, b *bank, nacct, chains, length, audits int) {
	t.Helper()
	b.accounts = map[string]*account{}
	for i := range nacct {
		b.accounts["acct:"+strconv.Itoa(i)] = &account{balance: 1000}
	}
	agent := func(typ string, v any) annette.Agent {
		a, err := n.AddAgent(typ, v)
		must(t, err)
		return a
	}
	seq := 0
	for range chains {
		prev := agent("Go", nil).Main()
		for range length {
			seq++
			from, to := seq*7%nacct, (seq*13+1)%nacct
			if seq%3 == 0 {
				from = 0
			}
			if from == to {
				to = (to + 1) % nacct
			}
			tr := agent("Transfer", transfer{"acct:" + strconv.Itoa(from), "acct:" + strconv.Itoa(to), int64(seq%50 + 1)})
			must(t, n.Connect(prev, tr.Main()))
			prev = tr.Port("next")
		}
		must(t, n.Connect(prev, agent("End", nil).Main()))
	}
	for i := range audits {
		a := agent("Audit", "audit "+strconv.Itoa(i))
		must(t, n.Connect(a.Main(), agent("Go", nil).Main()))
	}
}

// bankShape is the size of the bank used by the tests.
const (
	bankAccounts = 12
	bankChains   = 24
	bankLength   = 8
	bankAudits   = 16
)

// bankOracle reduces the bank on the sequential reducer and returns its
// interaction count and final balances.
func bankOracle(t *testing.T) (int64, map[string]int64) {
	t.Helper()
	b := &bank{}
	n := annette.NewNetwork(annette.Config{})
	defineTypes(t, n, bankTypes...)
	addRules(t, n, bankRules(b)...)
	buildBank(t, n, b, bankAccounts, bankChains, bankLength, bankAudits)
	st, err := n.Reduce(context.Background())
	must(t, err)
	return st.Interactions, b.balances()
}

// checkBank compares a bank after a run with the oracle's.
func checkBank(t *testing.T, b *bank, interactions, wantInteractions int64, want map[string]int64) {
	t.Helper()
	if interactions != wantInteractions {
		t.Errorf("interactions = %d, want %d as sequentially", interactions, wantInteractions)
	}
	if got := b.total(); got != 1000*bankAccounts {
		t.Errorf("total balance = %d, want %d", got, 1000*bankAccounts)
	}
	if got := b.balances(); !maps.Equal(got, want) {
		t.Errorf("balances = %v, want %v as sequentially", got, want)
	}
	if n := b.overlaps.Load(); n != 0 {
		t.Errorf("%d transfers ran at once on one account", n)
	}
	if len(b.audit) != bankAudits {
		t.Errorf("audit log has %d entries, want %d", len(b.audit), bankAudits)
	}
}

func TestKeyedReduceBank(t *testing.T) {
	leakCheck(t)
	wantCount, want := bankOracle(t)
	for _, workers := range []int{1, 2, 4, 8} {
		for _, mode := range []annette.ExecutionMode{annette.Parallel, annette.Auto} {
			t.Run(fmt.Sprintf("workers=%d/mode=%d", workers, mode), func(t *testing.T) {
				b := &bank{}
				// A negative SequentialTime lets Auto mode go parallel on this small net.
				p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: mode, SequentialTime: -1},
					bankTypes, bankRules(b)...)
				defer closeNet(t, p)
				buildBank(t, p.Network, b, bankAccounts, bankChains, bankLength, bankAudits)
				st, err := p.Reduce(context.Background())
				must(t, err)
				checkBank(t, b, st.Interactions, wantCount, want)
			})
		}
	}
}

func TestKeyedStepBank(t *testing.T) {
	leakCheck(t)
	wantCount, want := bankOracle(t)
	for _, workers := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			b := &bank{}
			// MinBatch 1 lets every round with more than one pair use
			// several workers.
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, MinBatch: 1}, bankTypes, bankRules(b)...)
			defer closeNet(t, p)
			buildBank(t, p.Network, b, bankAccounts, bankChains, bankLength, bankAudits)
			total := stepToEnd(t, p, false)
			checkBank(t, b, total, wantCount, want)
			st := p.Analyzer().Stats()
			if workers > 1 && st.Batches <= st.Analyses {
				t.Errorf("analyzer Stats = %+v, want more batches than analyses: the bank's transfers conflict", st)
			}
		})
	}
}

func TestKeyedStepMaxBatchWait(t *testing.T) {
	leakCheck(t)
	wantCount, want := bankOracle(t)
	b := &bank{}
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1, MaxBatchWait: time.Nanosecond}, bankTypes, bankRules(b)...)
	defer closeNet(t, p)
	buildBank(t, p.Network, b, bankAccounts, bankChains, bankLength, bankAudits)
	total := stepToEnd(t, p, false)
	checkBank(t, b, total, wantCount, want)
}

func TestKeyedStepInteractionLimit(t *testing.T) {
	leakCheck(t)
	b := &bank{}
	p := newParallel(t, annette.Config{MaxInteractions: 30}, annette.ParallelConfig{Workers: 2, MinBatch: 1}, bankTypes, bankRules(b)...)
	defer closeNet(t, p)
	buildBank(t, p.Network, b, bankAccounts, bankChains, bankLength, bankAudits)
	var total int64
	var err error
	for err == nil {
		var k int
		k, err = p.Step(context.Background())
		total += int64(k)
	}
	if !errors.Is(err, annette.ErrInteractionLimit) {
		t.Fatalf("Step error = %v, want ErrInteractionLimit", err)
	}
	if total != 30 {
		t.Errorf("interactions before the limit = %d, want 30", total)
	}
	if got := b.total(); got != 1000*bankAccounts {
		t.Errorf("total balance = %d, want %d", got, 1000*bankAccounts)
	}
}

func TestKeyedStepCancel(t *testing.T) {
	leakCheck(t)
	b := &bank{}
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, MinBatch: 1}, bankTypes, bankRules(b)...)
	defer closeNet(t, p)
	buildBank(t, p.Network, b, bankAccounts, bankChains, bankLength, bankAudits)
	pending := p.Pending()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Step(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Step error = %v, want context.Canceled", err)
	}
	if p.Pending() != pending {
		t.Errorf("Pending after a cancelled Step = %d, want %d", p.Pending(), pending)
	}
}

// keyedNet returns a network with one pair Key >< Go whose action rule
// declares the key "k" and runs action, and enough pure pairs A >< B for
// Reduce to go parallel.
func keyedNet(t *testing.T, workers int, action func(*annette.RuleContext) error) *annette.ParallelNetwork {
	t.Helper()
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: workers, Mode: annette.Parallel},
		[]annette.Type{{Name: "Key"}, {Name: "Go"}, {Name: "A"}, {Name: "B"}},
		annette.ActionRule{Left: "Key", Right: "Go", Writes: []string{"k"}, Action: action},
		annette.RewriteRule{Left: Pat("A"), Right: Pat("B")},
	)
	addKeyedPairs(t, p)
	return p
}

// addKeyedPairs adds one Key >< Go pair and four A >< B pairs to p.
func addKeyedPairs(t *testing.T, p *annette.ParallelNetwork) {
	t.Helper()
	pair := func(x, y string) {
		a, err := p.AddAgent(x, nil)
		must(t, err)
		b, err := p.AddAgent(y, nil)
		must(t, err)
		must(t, p.Connect(a.Main(), b.Main()))
	}
	pair("Key", "Go")
	for range 4 {
		pair("A", "B")
	}
}

// reduceWithin runs p.Reduce and fails t if it does not return within a
// minute, as when a key lock was never released.
func reduceWithin(t *testing.T, p *annette.ParallelNetwork) (annette.ParallelStats, error) {
	t.Helper()
	type result struct {
		st  annette.ParallelStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Reduce(context.Background())
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		return r.st, r.err
	case <-time.After(time.Minute):
		t.Fatal("Reduce did not return: a key lock is still held")
	}
	return annette.ParallelStats{}, nil
}

func TestKeyLockReleasedOnPanic(t *testing.T) {
	leakCheck(t)
	fail := true
	p := keyedNet(t, 2, func(c *annette.RuleContext) error {
		if fail {
			panic("boom")
		}
		return nil
	})
	defer closeNet(t, p)
	_, err := reduceWithin(t, p)
	var pe *annette.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Reduce error = %v, want a *PanicError", err)
	}
	fail = false
	if _, err := reduceWithin(t, p); err != nil {
		t.Fatalf("Reduce after the panic: %v", err)
	}
	// A new pair on the same key runs too.
	addKeyedPairs(t, p)
	st, err := reduceWithin(t, p)
	must(t, err)
	if st.Interactions != 5 {
		t.Errorf("interactions = %d, want 5", st.Interactions)
	}
}

func TestKeyLockReleasedOnErrorAndGoexit(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		name string
		fail func() error
	}{
		{"error", func() error { return errors.New("declined") }},
		{"goexit", func() error { runtime.Goexit(); return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failing := true
			p := keyedNet(t, 2, func(c *annette.RuleContext) error {
				if failing {
					return tc.fail()
				}
				return nil
			})
			defer closeNet(t, p)
			_, err := reduceWithin(t, p)
			var re *annette.RuleError
			if !errors.As(err, &re) || re.Left != "Key" {
				t.Fatalf("Reduce error = %v, want a *RuleError for Key >< Go", err)
			}
			failing = false
			if _, err := reduceWithin(t, p); err != nil {
				t.Fatalf("Reduce after the failure: %v", err)
			}
		})
	}
}

func TestActionRuleEmptyKey(t *testing.T) {
	n := annette.NewNetwork(annette.Config{})
	defineTypes(t, n, annette.Type{Name: "Key"}, annette.Type{Name: "Go"})
	nop := func(*annette.RuleContext) error { return nil }
	for _, r := range []annette.ActionRule{
		{Left: "Key", Right: "Go", Action: nop, Writes: []string{"a", ""}},
		{Left: "Key", Right: "Go", Action: nop, Reads: []string{""}},
	} {
		err := n.AddRule(r)
		if err == nil || !strings.Contains(err.Error(), "empty") || !strings.Contains(err.Error(), "Key><Go") {
			t.Errorf("AddRule(Reads %q, Writes %q) error = %v, want one about an empty key naming the rule", r.Reads, r.Writes, err)
		}
	}
}

// accessNet returns a network with pairs Key >< Go whose rule's Access
// function is access.
func accessNet(t *testing.T, access func(left, right annette.Agent) annette.Access) *annette.ParallelNetwork {
	t.Helper()
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel, MinBatch: 1},
		[]annette.Type{{Name: "Key"}, {Name: "Go"}},
		annette.ActionRule{Left: "Key", Right: "Go", Access: access, Action: func(*annette.RuleContext) error { return nil }},
	)
	for range 4 {
		a, err := p.AddAgent("Key", nil)
		must(t, err)
		b, err := p.AddAgent("Go", nil)
		must(t, err)
		must(t, p.Connect(a.Main(), b.Main()))
	}
	return p
}

func TestAccessFailures(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		name   string
		access func(left, right annette.Agent) annette.Access
		check  func(error) bool
	}{
		{"empty key", func(annette.Agent, annette.Agent) annette.Access { return annette.Access{Reads: []string{""}} },
			func(err error) bool { return strings.Contains(err.Error(), "empty key") }},
		{"panic", func(annette.Agent, annette.Agent) annette.Access { panic("no access") },
			func(err error) bool { var pe *annette.PanicError; return errors.As(err, &pe) }},
	} {
		for _, run := range []string{"Reduce", "Step", "Sequential"} {
			t.Run(tc.name+"/"+run, func(t *testing.T) {
				p := accessNet(t, tc.access)
				defer closeNet(t, p)
				var err error
				switch run {
				case "Reduce":
					_, err = p.Reduce(context.Background())
				case "Step":
					_, err = p.Step(context.Background())
				case "Sequential":
					// One worker takes no locks, but checks Access the same.
					p.SetMode(annette.Sequential)
					_, err = p.Reduce(context.Background())
				}
				var re *annette.RuleError
				if !errors.As(err, &re) || re.Left != "Key" || re.Right != "Go" || !tc.check(err) {
					t.Fatalf("%s error = %v, want a *RuleError for Key >< Go", run, err)
				}
				if run == "Step" && p.Pending() != 4 {
					t.Errorf("Pending after the failed Step = %d, want 4", p.Pending())
				}
			})
		}
	}
}

// TestAccessAgents checks that Access gets the two agents, in the rule's
// order, with their values, in both Reduce and Step.
func TestAccessAgents(t *testing.T) {
	leakCheck(t)
	for _, run := range []string{"Reduce", "Step"} {
		t.Run(run, func(t *testing.T) {
			var seen atomic.Int64
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel, MinBatch: 1},
				[]annette.Type{{Name: "Key", Valued: true}, {Name: "Go"}},
				annette.ActionRule{Left: "Key", Right: "Go",
					Access: func(left, right annette.Agent) annette.Access {
						if left.Type() == "Key" && right.Type() == "Go" && left.Value() == "v" {
							seen.Add(1)
						}
						return annette.Access{Writes: []string{"k"}}
					},
					Action: func(*annette.RuleContext) error { return nil }},
			)
			defer closeNet(t, p)
			for range 4 {
				a, err := p.AddAgent("Key", "v")
				must(t, err)
				b, err := p.AddAgent("Go", nil)
				must(t, err)
				// The Go agent on the left of Connect: the rule still
				// gets Key first.
				must(t, p.Connect(b.Main(), a.Main()))
			}
			if run == "Reduce" {
				_, err := p.Reduce(context.Background())
				must(t, err)
			} else {
				for {
					k, err := p.Step(context.Background())
					must(t, err)
					if k == 0 {
						break
					}
				}
			}
			if seen.Load() < 4 {
				t.Errorf("Access saw Key with its value first %d times, want at least 4", seen.Load())
			}
		})
	}
}

// TestAccessFailsInLaterChunk checks a Step whose deadline makes it
// analyse the keyed pairs in chunks, when Access fails for a pair of
// the second chunk: Step returns the *RuleError and keeps the pairs
// that did not run.
func TestAccessFailsInLaterChunk(t *testing.T) {
	leakCheck(t)
	const pairs, chunk = 300, 256
	var calls atomic.Int64
	p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel, MinBatch: 1, MaxBatchWait: time.Hour},
		[]annette.Type{{Name: "Key", Valued: true}, {Name: "Go"}},
		annette.ActionRule{Left: "Key", Right: "Go",
			Access: func(left, _ annette.Agent) annette.Access {
				// The first chunk is analysed (chunk calls) and run
				// (chunk calls more); the next call analyses chunk two.
				if calls.Add(1) > 2*chunk {
					return annette.Access{Writes: []string{""}}
				}
				return annette.Access{Writes: []string{left.Value().(string)}}
			},
			Action: func(*annette.RuleContext) error { return nil }},
	)
	defer closeNet(t, p)
	addKeyPairs(t, p.Network, pairs)
	k, err := p.Step(context.Background())
	var re *annette.RuleError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "empty key") {
		t.Fatalf("Step = %d, %v; want a *RuleError about an empty key", k, err)
	}
	if got := p.Pending(); got != pairs-chunk {
		t.Errorf("Pending after the failed Step = %d, want %d", got, pairs-chunk)
	}
}

// TestAccessGoexitKeepsPairs calls runtime.Goexit from an Access function
// while Step analyses the keyed pairs, in the first chunk and, under a
// deadline, in a later one: no pair is lost, and later Steps carry out
// every pair.
func TestAccessGoexitKeepsPairs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		wait   time.Duration
		exitAt int64 // the Access call that calls runtime.Goexit
	}{
		{"whole round", 0, 1},
		{"second chunk", time.Hour, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			var calls atomic.Int64
			p := newParallel(t, annette.Config{}, annette.ParallelConfig{Workers: 2, Mode: annette.Parallel, MinBatch: 1, MaxBatchWait: tc.wait},
				[]annette.Type{{Name: "Key", Valued: true}, {Name: "Go"}},
				annette.ActionRule{Left: "Key", Right: "Go",
					Access: func(left, _ annette.Agent) annette.Access {
						if calls.Add(1) == tc.exitAt {
							runtime.Goexit()
						}
						return annette.Access{Writes: []string{left.Value().(string)}}
					},
					Action: func(*annette.RuleContext) error { return nil }},
			)
			defer closeNet(t, p)
			const pairs = 400
			addKeyPairs(t, p.Network, pairs)
			onOwnGoroutine(func() { _, _ = p.Step(context.Background()) })
			if done := p.Stats().Interactions; int64(p.Pending())+done != pairs {
				t.Fatalf("after the Goexit: %d pending + %d done, want %d", p.Pending(), done, pairs)
			}
			stepToEnd(t, p, false)
			if got := p.Stats().Interactions; got != pairs {
				t.Errorf("interactions = %d, want %d", got, pairs)
			}
		})
	}
}

// addKeyPairs adds count pairs Key ~ Go to n, the Key agents valued "0",
// "1" and so on.
func addKeyPairs(t *testing.T, n *annette.Network, count int) {
	t.Helper()
	for i := range count {
		a, err := n.AddAgent("Key", strconv.Itoa(i))
		must(t, err)
		b, err := n.AddAgent("Go", nil)
		must(t, err)
		must(t, n.Connect(a.Main(), b.Main()))
	}
}
