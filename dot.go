package annette

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteDot writes the network to w as an undirected graph in Graphviz's
// DOT language, for drawing with a command such as dot -Tsvg. It draws
// what a snapshot holds (see Snapshot): the agents that the interface
// names and the active pairs lead to, and the wires between them. Like
// Snapshot, it fails while effects are in flight.
//
// Each agent is a box with its type on top, where its principal port
// is, and its auxiliary ports below, named as its type names them. A Go
// value is shown in JSON after the type, cut to 40 characters.
// Integers are ellipses, interface names are bold text, and an open wire
// end is a dot. The wire of an active pair is thick and red, so the
// pairs that the next interactions rewrite stand out.
func (n *Network) WriteDot(w io.Writer) error {
	s, err := n.snapshot(true)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "graph net {")
	fmt.Fprintln(bw, "\tnode [fontname=\"Helvetica\", fontsize=11];")
	fmt.Fprintln(bw, "\tedge [fontname=\"Helvetica\"];")

	types := map[string][]string{}
	for _, t := range s.Types {
		ports := t.Ports
		if len(ports) == 0 {
			ports = []string{"main"}
		}
		types[t.Name] = ports
	}
	for i, a := range s.Agents {
		ports := types[a.Type]
		title := dotEscape(a.Type)
		if len(a.Value) > 0 {
			v := string(a.Value)
			if len([]rune(v)) > 40 {
				v = string([]rune(v)[:39]) + "…"
			}
			title += " <I>" + dotEscape(v) + "</I>"
		}
		fmt.Fprintf(bw, "\ta%d [shape=plaintext, label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\">", i)
		span := max(1, len(ports)-1)
		fmt.Fprintf(bw, "<TR><TD PORT=\"p0\" COLSPAN=\"%d\"><B>%s</B></TD></TR>", span, title)
		if len(ports) > 1 {
			fmt.Fprint(bw, "<TR>")
			for k, name := range ports[1:] {
				fmt.Fprintf(bw, "<TD PORT=\"p%d\"><FONT POINT-SIZE=\"9\">%s</FONT></TD>", k+1, dotEscape(name))
			}
			fmt.Fprint(bw, "</TR>")
		}
		fmt.Fprintln(bw, "</TABLE>>];")
	}
	for i, name := range s.Names {
		fmt.Fprintf(bw, "\tn%d [shape=plaintext, label=<<B>%s</B>>];\n", i, dotEscape(name))
	}

	nameID := make(map[string]int, len(s.Names))
	for i, name := range s.Names {
		nameID[name] = i
	}
	ints, opens := 0, 0
	// node returns the DOT end of e, and whether it is a principal port.
	node := func(e snapEnd) (string, bool) {
		switch {
		case e.Agent != nil:
			k := 0
			for j, p := range types[s.Agents[*e.Agent].Type] {
				if p == e.Port {
					k = j
				}
			}
			// Wires leave a principal port upwards and an auxiliary
			// port downwards, as nets are drawn by hand.
			side := ":s"
			if k == 0 {
				side = ":n"
			}
			return "a" + strconv.Itoa(*e.Agent) + ":p" + strconv.Itoa(k) + side, k == 0
		case e.Int != nil:
			id := "i" + strconv.Itoa(ints)
			ints++
			fmt.Fprintf(bw, "\t%s [shape=ellipse, label=\"%d\"];\n", id, *e.Int)
			return id, true
		case e.Name != "":
			return "n" + strconv.Itoa(nameID[e.Name]), false
		}
		id := "o" + strconv.Itoa(opens)
		opens++
		fmt.Fprintf(bw, "\t%s [shape=point];\n", id)
		return id, false
	}
	for _, wire := range s.Wires {
		a, pa := node(wire[0])
		b, pb := node(wire[1])
		style := ""
		if pa && pb {
			style = " [color=red, penwidth=2.5]"
		}
		fmt.Fprintf(bw, "\t%s -- %s%s;\n", a, b, style)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotEscape returns s as text for one of Graphviz's HTML labels. Names
// may hold any bytes, but such a label is XML: bytes that are not UTF-8
// become U+FFFD, and control characters, which XML does not allow even
// as references, are written as \xNN.
func dotEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteString(html.EscapeString(s[i : i+size]))
		}
		i += size
	}
	return b.String()
}
